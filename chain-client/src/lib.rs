//! Leasehold's Rust client library.
//!
//! - [`client`]: a gRPC connection to a node (tonic 0.13) with retries; queries; transactions
//!   built, signed (SIGN_MODE_DIRECT), simulated, broadcast and awaited.
//! - [`contracts`]: typed clients of the market, escrow and provider registry, speaking the
//!   contracts' own message types from `leasehold-types`.
//! - [`sdl`]: Akash-style SDL files parsed into the market's group specs and the manifest hash a
//!   deployment commits to on chain.
//! - [`demo`]: a tenant's whole journey against a running market (deploy, bids, match, payments,
//!   top-up, close), step by step with what happened on chain (`leasehold demo`).
//! - [`indexer`]: follows the chain into SQLite or PostgreSQL tables (blocks, txs, events,
//!   providers, deployments, orders, bids, leases, escrow) with user queries.
//! - [`bidengine`]: the provider bid engine (inventory, fit checks, pricing, bids, withdrawals).
//! - [`cli`]: the `leasehold` command line built on the above (`src/bin/leasehold.rs`).
//!
//! Keys and the encrypted keyring come from `leasehold-keys`.

#![forbid(unsafe_code)]

pub mod bidengine;
pub mod cli;
pub mod client;
pub mod contracts;
pub mod demo;
pub mod indexer;
pub mod sdl;
