//! Client errors, sorted into the three kinds a caller (and the CLI's exit code) cares about:
//! the request was wrong, the chain refused it, or the node could not be reached.

use tonic::Code;

/// What went wrong, in the terms a user acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input on our side (address, amount, key, file): fix the command.
    Usage,
    /// The chain answered and refused (CheckTx/DeliverTx code, query error, not found).
    Chain,
    /// The node could not be reached or did not answer in time.
    Network,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {endpoint}: {reason}")]
    Connect { endpoint: String, reason: String },
    #[error("{method}: the node is unavailable: {status}")]
    Unavailable { method: &'static str, status: String },
    #[error("{method}: {message}")]
    Query { method: &'static str, code: Code, message: String },
    #[error("transaction {hash} was rejected: {log} (codespace {codespace}, code {code})")]
    TxRejected { hash: String, codespace: String, code: u32, log: String },
    #[error("simulation failed: {log}")]
    Simulation { log: String },
    #[error(
        "transaction {hash} was not included within {waited_secs} s (it may still be; query it with `leasehold query tx {hash}`)"
    )]
    Timeout { hash: String, waited_secs: u64 },
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    #[error(transparent)]
    Key(#[from] leasehold_keys::KeyError),
    #[error("malformed answer from the node ({what}): {reason}")]
    Decode { what: &'static str, reason: String },
}

impl ClientError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::Connect { .. } | ClientError::Unavailable { .. } | ClientError::Timeout { .. } => {
                ErrorKind::Network
            }
            ClientError::Query { .. }
            | ClientError::TxRejected { .. }
            | ClientError::Simulation { .. }
            | ClientError::Decode { .. } => ErrorKind::Chain,
            ClientError::Invalid { .. } | ClientError::Key(_) => ErrorKind::Usage,
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl std::fmt::Display) -> Self {
        ClientError::Invalid { what, reason: reason.to_string() }
    }

    pub(crate) fn decode(what: &'static str, reason: impl std::fmt::Display) -> Self {
        ClientError::Decode { what, reason: reason.to_string() }
    }

    /// Maps a gRPC status: transport trouble is a network error, the rest the chain's answer.
    pub(crate) fn from_status(method: &'static str, status: tonic::Status) -> Self {
        match status.code() {
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                ClientError::Unavailable { method, status: status.message().to_string() }
            }
            code => ClientError::Query { method, code, message: status.message().to_string() },
        }
    }

    /// Worth retrying (with backoff): the node was briefly unreachable or slow.
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Unavailable { .. })
    }
}
