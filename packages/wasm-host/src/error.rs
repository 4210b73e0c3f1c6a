//! Errors of the host, with the ABCI code wasmd (or the SDK) gives each, and the redaction
//! wasmd applies before an error reaches a contract's `reply`.

use crate::bank::BankError;
use crate::gas::OutOfGas;

/// Which entry point a contract error came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryPoint {
    Instantiate,
    Execute,
    Migrate,
    Reply,
    Query,
}

/// A failed host operation. Whatever failed, the state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The SDK gas meter ran out (code `sdk/11`); aborts up to the nearest gas-limited submessage.
    #[error(transparent)]
    OutOfGas(#[from] OutOfGas),
    /// A gas-limited submessage ran out of its own limit (charged the full limit).
    #[error("SubMsg hit gas limit: out of gas")]
    SubMsgOutOfGas,
    /// The contract returned an error (deterministic; passed to `reply` verbatim).
    #[error("{msg}: {}", failed_text(*.entry))]
    Contract { entry: EntryPoint, msg: String },
    /// The VM failed (not the contract): compile, gas depletion inside the VM, bad result...
    #[error("{0}: wasmvm error")]
    Vm(String),
    #[error("address {0}: no such contract")]
    NoSuchContract(String),
    #[error("code id {0}: no such code")]
    NoSuchCode(u64),
    #[error("create wasm contract failed: {0}")]
    CreateFailed(String),
    #[error("{0}: exceeds limit")]
    Limit(String),
    #[error("{0}: empty")]
    Empty(String),
    #[error("{0}: invalid")]
    Invalid(String),
    #[error("{0}: duplicate")]
    Duplicate(String),
    #[error("{0}: invalid event")]
    InvalidEvent(String),
    #[error("{0}: unknown message from the contract")]
    UnknownMsg(String),
    /// A query kind the host does not answer (`SystemError::UnsupportedRequest` to a contract).
    #[error("unsupported query: {0}")]
    UnsupportedQuery(String),
    #[error("max call depth exceeded")]
    MaxCallDepth,
    #[error("max query stack size exceeded")]
    MaxQueryStackSize,
    #[error("{0}: unauthorized")]
    Unauthorized(String),
    #[error("{0}: invalid request")]
    InvalidRequest(String),
    #[error("{0}: invalid address")]
    InvalidAddress(String),
    #[error(transparent)]
    Bank(BankError),
    /// An error passed up from a nested operation, with wasmd's wrapping context
    /// ("submessages", "reply", "dispatch"). Not deterministic: redacted for `reply`.
    #[error("{context}: {source}")]
    Wrapped { context: &'static str, source: Box<HostError> },
    /// A fault of this node, not of the transaction: its storage, a code file or the VM cache
    /// failed (missing or corrupt code, disk full, out of memory). Never a transaction result:
    /// another validator would not fail the same way, so the node stops instead of diverging.
    /// Nothing catches it (no `reply` sees it, no query turns it into an answer).
    #[error("host failure: {0}")]
    Internal(String),
}

fn failed_text(entry: EntryPoint) -> &'static str {
    match entry {
        EntryPoint::Instantiate => "instantiate wasm contract failed",
        EntryPoint::Execute | EntryPoint::Reply => "execute wasm contract failed",
        EntryPoint::Migrate => "migrate wasm contract failed",
        EntryPoint::Query => "query wasm contract failed",
    }
}

impl From<BankError> for HostError {
    fn from(e: BankError) -> Self {
        match e {
            BankError::OutOfGas(o) => HostError::OutOfGas(o),
            other => HostError::Bank(other),
        }
    }
}

impl HostError {
    pub(crate) fn wrap(self, context: &'static str) -> Self {
        match self {
            // Running out of gas is a panic in the SDK: it is never wrapped, only caught.
            HostError::OutOfGas(_) => self,
            other => HostError::Wrapped { context, source: Box::new(other) },
        }
    }

    /// ABCI `(codespace, code)` of the error (`errorsmod.ABCIInfo`: the innermost registered error).
    pub fn abci_code(&self) -> (&'static str, u32) {
        match self {
            HostError::OutOfGas(_) | HostError::SubMsgOutOfGas => ("sdk", 11),
            HostError::Contract { entry, .. } => match entry {
                EntryPoint::Instantiate => ("wasm", 4),
                EntryPoint::Execute | EntryPoint::Reply => ("wasm", 5),
                EntryPoint::Migrate => ("wasm", 11),
                EntryPoint::Query => ("wasm", 9),
            },
            HostError::Vm(_) => ("wasm", 29),
            HostError::NoSuchContract(_) => ("wasm", 22),
            HostError::NoSuchCode(_) => ("wasm", 28),
            HostError::CreateFailed(_) => ("wasm", 2),
            HostError::Empty(_) => ("wasm", 12),
            HostError::Limit(_) => ("wasm", 13),
            HostError::Invalid(_) => ("wasm", 14),
            HostError::Duplicate(_) => ("wasm", 15),
            HostError::UnknownMsg(_) => ("wasm", 20),
            HostError::InvalidEvent(_) => ("wasm", 21),
            HostError::MaxQueryStackSize => ("wasm", 27),
            HostError::UnsupportedQuery(_) => ("wasm", 17),
            HostError::MaxCallDepth => ("wasm", 30),
            HostError::Unauthorized(_) => ("sdk", 4),
            HostError::InvalidAddress(_) => ("sdk", 7),
            HostError::InvalidRequest(_) => ("sdk", 18),
            HostError::Bank(b) => b.abci_code(),
            HostError::Wrapped { source, .. } => source.abci_code(),
            HostError::Internal(_) => ("undefined", 1),
        }
    }

    /// What a contract's `reply` sees (wasmd `redactError`): the message of a deterministic
    /// (top-level contract) error, otherwise only `codespace: X, code: N`.
    pub fn redacted(&self) -> String {
        match self {
            HostError::Contract { .. } => self.to_string(),
            _ => {
                let (space, code) = self.abci_code();
                format!("codespace: {space}, code: {code}")
            }
        }
    }

    /// True for a fault of this node ([`HostError::Internal`]), however deeply wrapped.
    pub fn is_fault(&self) -> bool {
        match self {
            HostError::Internal(_) => true,
            HostError::Wrapped { source, .. } => source.is_fault(),
            _ => false,
        }
    }

    /// True for an SDK out-of-gas (the whole transaction fails).
    pub fn is_out_of_gas(&self) -> bool {
        matches!(self, HostError::OutOfGas(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a `reply` sees of a failed submessage (wasmd `redactError`): a contract's own error
    /// verbatim (deterministic), anything else — wrapped errors, SDK errors — only its code.
    #[test]
    fn reply_sees_contract_errors_verbatim_and_only_codes_of_the_rest() {
        let contract = HostError::Contract { entry: EntryPoint::Execute, msg: "order is closed".into() };
        assert_eq!(contract.redacted(), "order is closed: execute wasm contract failed");
        let wrapped = contract.clone().wrap("submessages");
        assert_eq!(wrapped.redacted(), "codespace: wasm, code: 5");
        assert_eq!(HostError::NoSuchContract("x".into()).redacted(), "codespace: wasm, code: 22");
        assert_eq!(HostError::Unauthorized("x".into()).redacted(), "codespace: sdk, code: 4");
        // A fault is never redacted into an answer: it is not caught at all (see `is_fault`).
        assert!(HostError::Internal("disk".into()).wrap("dispatch").is_fault());
        assert!(!wrapped.is_fault());
    }
}
