//! The indexer: follows a Leasehold chain block by block over gRPC and writes its
//! transactions, events and the marketplace's state into a database a person can query —
//! SQLite (a file) or PostgreSQL — one database transaction per block.
//!
//! - [`follow`]: the chain follower ([`follow::run`]) and its store worker thread.
//! - [`decode`]: the node's answers into rows; marketplace events into typed values.
//! - [`model`]: one block's raw rows ([`model::BlockData`]).
//! - [`ingest`]: writing a block atomically (resumable, idempotent), re-indexing.
//! - [`project`]: the market's tables derived from its events.
//! - [`escrow`]: escrow accounts and payments with the contract's settlement arithmetic.
//! - [`schema`]: tables and migrations (`docs/indexer.md`).
//! - [`store`]: the database interface and its SQLite and PostgreSQL backends.
//! - [`queries`]: records as the contracts' types; leases, provider and market statistics.
//!
//! ```no_run
//! # async fn demo(client: leasehold_client::client::ChainClient) -> Result<(), leasehold_client::indexer::error::IndexError> {
//! use leasehold_client::indexer::{Contracts, follow};
//! let contracts = Contracts { market: "lease1…".into(), escrow: "lease1…".into(), registry: "lease1…".into() };
//! let open: follow::StoreOpener = Box::new(|| leasehold_client::indexer::store::open("index.db"));
//! let opts = follow::FollowOptions { until: Some(100), ..Default::default() };
//! follow::run(&client, contracts, open, opts, |p| eprintln!("indexed height {}/{}", p.height, p.latest)).await?;
//! # Ok(()) }
//! ```

pub mod decode;
pub mod error;
pub mod escrow;
pub mod follow;
pub mod ingest;
pub mod model;
pub mod project;
pub mod queries;
pub mod schema;
pub mod store;

pub use decode::Contracts;
pub use error::{IndexError, StoreError};

impl From<&crate::contracts::Marketplace> for Contracts {
    fn from(m: &crate::contracts::Marketplace) -> Self {
        Contracts {
            market: m.market.address.clone(),
            escrow: m.escrow.address.clone(),
            registry: m.registry.address.clone(),
        }
    }
}
