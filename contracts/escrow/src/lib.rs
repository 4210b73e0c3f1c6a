//! The Leasehold escrow contract: deployment funds and bid collateral, streamed to providers
//! through per-lease payments.
//!
//! - The **market** contract opens and closes accounts (one by one or up to 64 at a time) and
//!   payments; anyone may settle an account; a payment's payee withdraws its earnings; the admin
//!   sets the params and hands over the role in two steps (propose, accept).
//! - The account's owner may always deposit; third parties may too, each deposit at least a
//!   per-denom minimum, at most 16 distinct third parties per account. Each address has one entry,
//!   spent and refunded first-in-first-out by its first deposit; entries spent for good are
//!   pruned (rules and reasons: `docs/escrow-rules.md`).
//! - Payments accrue `rate x blocks` lazily and exactly (`Decimal256`); an account is settled
//!   in O(1) whenever it is touched. When its balance runs out, every open payment is paid
//!   exactly what was funded (whole blocks, then the last partial block pro-rata by rate), the
//!   account becomes `Overdrawn` and the market is told through an `EscrowHook` message.
//! - Payees receive whole units (`floor(accrued)`, minus the take to the community pool, which is
//!   `floor(total paid out x rate)` at the rate fixed when the payment was created); the
//!   fractions return to the payer when a payment stops, and depositors are refunded
//!   first-in-first-out when the account closes, so
//!   `deposited = balance + paid to payees + take + refunded` to the last unit.
//!
//! Messages and responses are defined once in [`leasehold_types::escrow`] (re-exported as
//! [`msg`]). The money math lives in [`settlement`], free of storage, and is unit-tested there.

pub mod contract;
pub mod error;
pub mod execute;
pub mod query;
pub mod settlement;
pub mod state;

pub use leasehold_types::escrow as msg;

pub use crate::error::ContractError;
