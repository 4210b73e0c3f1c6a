//! The node's integration tests, gathered
//! into one binary: one link instead of one per file, and one process whose tests run in parallel.

mod common;

mod abci;
mod bad_input;
mod bank;
mod comet_mode;
mod cosmrs_client;
mod determinism;
mod flood;
mod grpc;
mod lease_flow;
mod restart;
mod rpc;
mod wasm;
