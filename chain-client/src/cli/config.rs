//! `~/.leasehold/client.toml`: defaults for the global flags. Flags override it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::error::CliError;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientFileConfig {
    pub node: Option<String>,
    pub chain_id: Option<String>,
    pub from: Option<String>,
    pub keyring_dir: Option<PathBuf>,
    /// `file` or `test`.
    pub keyring_backend: Option<String>,
    pub gas: Option<String>,
    pub gas_adjustment: Option<f64>,
    pub gas_prices: Option<String>,
    /// `text` or `json`.
    pub output: Option<String>,
    pub market: Option<String>,
    /// The index database (`index run` / `index query`): a SQLite file or a postgres:// URL.
    pub index_db: Option<String>,
}

pub fn default_dir() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".")).join(".leasehold")
}

pub fn default_path() -> PathBuf {
    default_dir().join("client.toml")
}

impl ClientFileConfig {
    /// The file at `path`; an absent file is an empty config.
    pub fn load(path: &Path) -> Result<ClientFileConfig, CliError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ClientFileConfig::default()),
            Err(e) => Err(CliError::usage(format!("{}: {e}", path.display()))),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), CliError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CliError::usage(format!("{}: {e}", dir.display())))?;
        }
        let text = toml::to_string_pretty(self).map_err(|e| CliError::usage(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
    }
}
