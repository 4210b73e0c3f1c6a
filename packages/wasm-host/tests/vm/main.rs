//! The wasm host's integration tests, gathered
//! into one binary: one link instead of one per file, and one process whose tests run in parallel.

mod common;

mod attacks;
mod faults;
mod gas_scale;
mod host;
mod marketplace;
