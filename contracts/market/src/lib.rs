//! The Leasehold market contract: deployments, groups, orders, bids and leases.
//!
//! A tenant creates a deployment (`owner/dseq`) whose groups each get an open order; registered
//! providers whose attributes, audits and capabilities satisfy a group bid on its order with
//! collateral; the tenant accepts one bid (or, for auto-match deployments, anyone matches the
//! cheapest qualifying bid after the bidding window) and it becomes the lease, paid per block from
//! the deployment's escrow account. The market instantiates and drives its own escrow contract and
//! provider registry. Messages and state types live in `leasehold_types::market`.

pub mod contract;
pub mod error;
mod escrow_msgs;
mod events;
mod exclusion;
mod execute;
mod lifecycle;
mod matching;
mod query;
pub mod state;

pub use crate::error::ContractError;
pub use leasehold_types::market as msg;
