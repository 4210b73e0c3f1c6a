//! Accounts (`BaseAccount`/`ModuleAccount` with account number, sequence and public key) and
//! the ante handler that checks and charges every transaction before its messages run.

pub mod accounts;
pub mod ante;

pub use accounts::{AUTH_STORE, Account, FEE_COLLECTOR};
pub use ante::{AnteParams, ExecMode, GasPrice};

/// The chain's native token, in which fees are paid (the denom of `minimum_gas_prices`).
pub const FEE_DENOM: &str = "ulease";
