//! Leasehold's Rust client library.
//!
//! - [`client`]: a gRPC connection to a node (tonic 0.13) with retries; queries; transactions
//!   built, signed (SIGN_MODE_DIRECT), simulated, broadcast and awaited.
//! - [`contracts`]: typed clients of the market, escrow and provider registry, speaking the
//!   contracts' own message types from `leasehold-types`.
//! - [`sdl`]: Akash-style SDL files parsed into the market's group specs and the manifest hash a
//!   deployment commits to on chain.
//! - [`indexer`]: follows the chain into SQLite or PostgreSQL tables (blocks, txs, events,
//!   providers, deployments, orders, bids, leases, escrow) with user queries.
//! - [`cli`]: the `leasehold` command line built on the above (`src/bin/leasehold.rs`).
//!
//! Keys and the encrypted keyring come from `leasehold-keys`.

#![forbid(unsafe_code)]

pub mod cli;
pub mod client;
pub mod contracts;
pub mod indexer;
pub mod sdl;
