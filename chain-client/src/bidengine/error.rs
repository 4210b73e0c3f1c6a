//! The engine's errors: a config it cannot use, state it cannot keep, a chain it cannot talk to.
//! Refusals of single orders are not errors: they are [`super::SkipReason`]s, logged and moved on.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::client::ClientError;
use crate::sdl::Location;

/// A config that cannot be used, with the field and where it is.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read {}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
    #[error("YAML: {reason}")]
    Syntax { reason: String },
    #[error("{path}{}: {reason}", location.map(|l| format!(" ({l})")).unwrap_or_default())]
    Invalid { path: String, location: Option<Location>, reason: String },
    #[error("{}: {inner}", file.display())]
    InFile { file: PathBuf, inner: Box<ConfigError> },
}

impl ConfigError {
    pub(crate) fn in_file(self, file: &Path) -> ConfigError {
        match self {
            e @ ConfigError::Io { .. } => e,
            other => ConfigError::InFile { file: file.to_path_buf(), inner: Box::new(other) },
        }
    }
}

#[derive(Error, Debug)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Chain(#[from] ClientError),
    /// The chain refuses what the config asks for (a denom the market does not accept, a
    /// collateral below its minimum, a registration it rejects).
    #[error("{0}")]
    Market(String),
    #[error("engine state {}: {reason}", path.display())]
    State { path: PathBuf, reason: String },
}
