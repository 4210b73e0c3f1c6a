//! Every error the escrow contract returns.

use cosmwasm_std::StdError;
use leasehold_types::ValidationError;
use leasehold_types::funds::FundsError;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("invalid message: {0}")]
    Validation(#[from] ValidationError),

    #[error("{sender} is not allowed to {action}")]
    Unauthorized { action: String, sender: String },

    #[error("{0}")]
    Funds(#[from] FundsError),

    #[error("wrong denom: expected {expected}, found {found}")]
    WrongDenom { expected: String, found: String },

    #[error("escrow account {id} not found")]
    AccountNotFound { id: String },

    #[error("escrow account {id} already exists")]
    AccountExists { id: String },

    #[error("escrow account {id} is closed")]
    AccountClosed { id: String },

    #[error("escrow account {id} is overdrawn; deposit to reopen it")]
    AccountOverdrawn { id: String },

    #[error("escrow account {id} is a {scope} account; only deployment accounts fund payments")]
    WrongScope { id: String, scope: String },

    #[error("payment {id} not found")]
    PaymentNotFound { id: String },

    #[error("payment {id} already exists")]
    PaymentExists { id: String },

    #[error("payment rate must be greater than zero")]
    ZeroRate {},

    #[error("insufficient funds in {id}: balance {balance} does not fund one block at {needed}")]
    InsufficientFunds { id: String, balance: String, needed: String },

    /// A new third-party depositor when the account already has `max` third-party entries.
    #[error("escrow account {id} already has {max} third-party depositor entries")]
    TooManyDepositors { id: String, max: usize },

    /// A third-party deposit below the denom's deposit minimum.
    #[error("deposit of {amount}{denom} into escrow account {id} is below the third-party minimum of {minimum}{denom}")]
    DepositTooSmall { id: String, amount: String, minimum: String, denom: String },

    /// A `CloseAccounts` message with more than `max` ids.
    #[error("{count} accounts in one batch exceed the limit of {max}")]
    BatchTooLarge { count: usize, max: usize },

    /// An id listed twice in one `CloseAccounts` message.
    #[error("escrow account {id} is listed twice")]
    DuplicateId { id: String },

    #[error("escrow account {id} already has {max} open payments")]
    TooManyPayments { id: String, max: usize },

    /// Params naming the escrow contract itself as the community pool: the take would stay in
    /// the escrow, outside every account's ledger.
    #[error("the community pool {address} is the escrow contract itself")]
    CommunityPoolIsEscrow { address: String },

    #[error("arithmetic overflow in {what}")]
    Overflow { what: &'static str },

    /// A ledger invariant does not hold. Never expected; the transaction is refused rather than
    /// moving funds on a corrupt ledger.
    #[error("escrow ledger inconsistency: {what}")]
    Inconsistent { what: String },

    #[error("cannot migrate {found} to {expected}")]
    WrongContract { expected: String, found: String },

    #[error("cannot migrate from version {from} to older version {to}")]
    Downgrade { from: String, to: String },
}

impl ContractError {
    pub(crate) fn unauthorized(action: &str, sender: impl ToString) -> Self {
        Self::Unauthorized { action: action.to_string(), sender: sender.to_string() }
    }

    pub(crate) fn overflow(what: &'static str) -> Self {
        Self::Overflow { what }
    }

    pub(crate) fn inconsistent(what: impl Into<String>) -> Self {
        Self::Inconsistent { what: what.into() }
    }
}
