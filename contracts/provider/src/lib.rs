//! The Leasehold provider registry and auditor attestations.
//!
//! Any account may register itself once as a provider, declaring where its gateway listens
//! (`host_uri`), the attributes it claims (region, tier, capabilities, ...) and contact details.
//! Any account may act as an auditor and sign attributes for a registered provider; the market
//! reads these signatures when a deployment group requires audited placement (`signed_by`).
//!
//! Unlike Akash, whose `MsgDeleteProvider` is not implemented, a provider can delete its
//! registration here, but only while the market reports no active lease for it. Audit records
//! belong to their auditors and survive the provider's deletion (and a later re-registration).
//!
//! Messages and responses are defined once, in [`leasehold_types::provider`], re-exported as
//! [`msg`]. Events are documented in `docs/events.md` (section "Provider").

pub mod contract;
pub mod error;
pub mod execute;
pub mod query;
pub mod state;

#[cfg(test)]
mod tests;

pub use crate::error::ContractError;
pub use leasehold_types::provider as msg;
