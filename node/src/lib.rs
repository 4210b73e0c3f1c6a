//! The Leasehold node: the application state machine ([`app`]) with its modules ([`auth`],
//! [`bank`], the wasm module through `leasehold-wasm-host`), the transaction pipeline
//! ([`tx`]), persistence ([`store`], [`blockstore`]), the query services ([`query`]), and the
//! embedded single-validator block producer ([`dev`]).
#![forbid(unsafe_code)]

pub mod abci;
pub mod app;
pub mod auth;
pub mod bank;
pub mod blockstore;
pub mod comet;
pub mod config;
pub mod dev;
pub mod devnet;
pub mod error;
pub mod genesis;
pub mod node;
pub mod query;
pub mod rpc;
pub mod store;
pub mod testnet;
pub mod tx;
