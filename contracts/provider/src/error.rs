use cosmwasm_std::{Addr, StdError};
use leasehold_types::ValidationError;
use leasehold_types::funds::FundsError;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Validation(#[from] ValidationError),

    #[error("{0}")]
    Funds(#[from] FundsError),

    #[error("the sender is already registered as a provider")]
    AlreadyRegistered,

    #[error("{owner} is not a registered provider")]
    NotRegistered { owner: Addr },

    #[error("host_uri: invalid URI {uri:?}: {reason}")]
    InvalidHostUri { uri: String, reason: &'static str },

    #[error("the provider has {count} active lease(s); close them before deleting the registration")]
    HasActiveLeases { count: u32 },

    #[error("the sender holds no audit record for this provider")]
    NoAuditRecord,

    #[error("attribute {key:?} is not signed by the sender")]
    AttributeNotSigned { key: String },

    #[error("arithmetic overflow")]
    Overflow,
}
