//! CLI errors: one clear line for the user, and an exit code per kind.

use crate::client::{ClientError, ErrorKind};

/// Exit codes: 0 success, 1 other failure, 2 usage error, 3 the chain refused, 4 network failure.
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_CHAIN: u8 = 3;
pub const EXIT_NETWORK: u8 = 4;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn usage(msg: impl Into<String>) -> Self {
        CliError::Usage(msg.into())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Client(e) => match e.kind() {
                ErrorKind::Usage => EXIT_USAGE,
                ErrorKind::Chain => EXIT_CHAIN,
                ErrorKind::Network => EXIT_NETWORK,
            },
            CliError::Other(_) => 1,
        }
    }
}

impl From<crate::bidengine::EngineError> for CliError {
    fn from(e: crate::bidengine::EngineError) -> Self {
        use crate::bidengine::EngineError;
        match e {
            EngineError::Config(c) => CliError::Usage(c.to_string()),
            EngineError::Chain(c) => CliError::Client(c),
            other => CliError::Other(other.to_string()),
        }
    }
}
