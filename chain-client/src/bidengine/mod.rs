//! The provider bid engine (`leasehold provider run --config provider.yaml`): a provider's
//! inventory and prices in a config, and a loop that bids on the open orders it can serve.
//!
//! - [`config`]: the YAML config (key, host URI, attributes, inventory, pricing, bidding).
//! - [`inventory`]: free capacity and where a group's replicas would run (first fit).
//! - [`pricing`]: the scale strategy (per resource, GPUs by model) and external scripts.
//! - [`decision`]: a bid or the reason for none, logged for every order.
//! - [`state`]: what survives a restart (bids in flight, withdrawal heights).
//! - [`engine`]: registration, reconciliation with the chain, and the per-block round:
//!   follow bids (won, lost, timed out), follow leases (ended, unservable), withdraw earnings,
//!   decide about open orders.
//!
//! The engine never bids on an order it cannot place on free capacity, never above the
//! ceiling, and reserves what it bids until the bid is lost, withdrawn or becomes a lease.

pub mod config;
pub mod decision;
pub mod engine;
pub mod error;
pub mod inventory;
pub mod pricing;
pub mod state;

pub use config::EngineConfig;
pub use decision::{Decision, SkipReason};
pub use engine::{BidEngine, EngineEvent, TickReport};
pub use error::{ConfigError, EngineError};
