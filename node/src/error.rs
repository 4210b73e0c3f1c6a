//! Transaction errors with the Cosmos SDK's ABCI codes (codespace `sdk`, `types/errors/errors.go`)
//! and wasmd's (codespace `wasm`), so clients that branch on codes behave as on any Cosmos chain.

use leasehold_wasm_host::HostError;

/// Why a transaction (or one of its messages) was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("{0}: tx parse error")]
    Decode(String),
    #[error("{0}: incorrect account sequence")]
    WrongSequence(String),
    #[error("{0}: unauthorized")]
    Unauthorized(String),
    #[error("{0}: insufficient funds")]
    InsufficientFunds(String),
    #[error("{0}: unknown request")]
    UnknownRequest(String),
    #[error("{0}: invalid address")]
    InvalidAddress(String),
    #[error("{0}: invalid pubkey")]
    InvalidPubKey(String),
    #[error("{0}: unknown address")]
    UnknownAddress(String),
    #[error("{0}: invalid coins")]
    InvalidCoins(String),
    #[error("{0}: out of gas")]
    OutOfGas(String),
    #[error("{0}: memo too large")]
    MemoTooLarge(String),
    #[error("{0}: insufficient fee")]
    InsufficientFee(String),
    #[error("{0}: maximum number of signatures exceeded")]
    TooManySignatures(String),
    #[error("{0}: no signatures supplied")]
    NoSignatures(String),
    #[error("{0}: invalid request")]
    InvalidRequest(String),
    #[error("{0}: tx too large")]
    TxTooLarge(String),
    #[error("{0}: invalid chain-id")]
    InvalidChainId(String),
    #[error("{0}: tx timeout height")]
    TxTimeoutHeight(String),
    #[error("{0}: invalid gas limit")]
    InvalidGasLimit(String),
    #[error("{0}: tx already in mempool")]
    TxInMempool(String),
    #[error("{0}: mempool is full")]
    MempoolFull(String),
    /// An error of the wasm module or the bank as the host reports it.
    #[error("{0}")]
    Host(#[from] HostError),
}

impl TxError {
    /// ABCI `(codespace, code)`.
    pub fn abci_code(&self) -> (&'static str, u32) {
        match self {
            TxError::Decode(_) => ("sdk", 2),
            TxError::WrongSequence(_) => ("sdk", 32),
            TxError::Unauthorized(_) => ("sdk", 4),
            TxError::InsufficientFunds(_) => ("sdk", 5),
            TxError::UnknownRequest(_) => ("sdk", 6),
            TxError::InvalidAddress(_) => ("sdk", 7),
            TxError::InvalidPubKey(_) => ("sdk", 8),
            TxError::UnknownAddress(_) => ("sdk", 9),
            TxError::InvalidCoins(_) => ("sdk", 10),
            TxError::OutOfGas(_) => ("sdk", 11),
            TxError::MemoTooLarge(_) => ("sdk", 12),
            TxError::InsufficientFee(_) => ("sdk", 13),
            TxError::TooManySignatures(_) => ("sdk", 14),
            TxError::NoSignatures(_) => ("sdk", 15),
            TxError::InvalidRequest(_) => ("sdk", 18),
            TxError::TxTooLarge(_) => ("sdk", 21),
            TxError::InvalidChainId(_) => ("sdk", 28),
            TxError::TxTimeoutHeight(_) => ("sdk", 30),
            TxError::InvalidGasLimit(_) => ("sdk", 41),
            TxError::TxInMempool(_) => ("sdk", 19),
            TxError::MempoolFull(_) => ("sdk", 20),
            TxError::Host(h) => h.abci_code(),
        }
    }

    pub fn is_out_of_gas(&self) -> bool {
        matches!(self, TxError::OutOfGas(_)) || matches!(self, TxError::Host(h) if h.is_out_of_gas())
    }

    /// A fault of this node (a damaged code file, storage or cache), not of the transaction:
    /// never a tx result (see [`HostError::is_fault`]).
    pub fn is_fault(&self) -> bool {
        matches!(self, TxError::Host(h) if h.is_fault())
    }
}

/// A node failure that is not the fault of a transaction (storage, configuration, genesis).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("database: {0}")]
    Db(String),
    #[error("genesis: {0}")]
    Genesis(String),
    #[error("config: {0}")]
    Config(String),
    #[error("wasm host: {0}")]
    Host(String),
    #[error("consensus: {0}")]
    Consensus(String),
    /// This node cannot execute the chain's transactions as every other node would (a damaged
    /// code file, storage or cache): it stops rather than compute a different state.
    #[error("local fault, the node stops: {0}")]
    Fault(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl NodeError {
    pub(crate) fn db(e: impl std::fmt::Display) -> Self {
        NodeError::Db(e.to_string())
    }
}
