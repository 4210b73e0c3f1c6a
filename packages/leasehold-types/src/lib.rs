//! Message and domain types of the Leasehold marketplace.
//!
//! This crate is the single definition of every message the three marketplace contracts
//! (`provider`, `market`, `escrow`) accept and every response they return. The contracts,
//! the JSON schemas in `schema/`, the node's tests and the Rust client all use these types;
//! nothing is redefined elsewhere.
//!
//! Validation that only depends on a message's own content (attribute syntax, resource bounds,
//! identifier syntax) lives next to the types, so a client can reject bad input before it
//! signs a transaction and the contracts apply exactly the same rules.

pub mod attributes;
pub mod escrow;
pub mod funds;
pub mod ids;
pub mod market;
pub mod pagination;
pub mod provider;
pub mod resources;
pub mod validation;

pub use attributes::{Attribute, SignedBy};
pub use ids::{BidId, DeploymentId, GroupId, LeaseId, OrderId};
pub use validation::ValidationError;

/// `DecCoin` has no `Display`; this renders it as Cosmos does (`12.5ulease`).
pub fn dec_coin_string(coin: &cosmwasm_std::DecCoin) -> String {
    format!("{}{}", coin.amount, coin.denom)
}
