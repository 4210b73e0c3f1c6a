//! The bodies of Leasehold's fuzz targets, one module per target. The cargo-fuzz targets in
//! `fuzz/fuzz_targets/` are one line each, calling [`run`] (nightly, libFuzzer); this crate's
//! test `tests/replay.rs` runs every committed corpus file through the same functions on the
//! stable toolchain (`cargo test -p leasehold-fuzz-bodies`, part of `make test`).
//!
//! Each `run` panics when its property fails: nothing may panic, and bad input must get an error
//! and change nothing (the modules document exactly what each checks). Expensive fixtures — a
//! real [`leasehold_node::app::App`] on the dev genesis, the compiled contracts on the wasm host
//! — are built once per process.
//!
//! Each module's `seeds()` returns the seed inputs committed in `fuzz/corpus/<target>/`; the
//! ignored test `write_seed_corpora` regenerates them (see docs/testing.md, "Fuzzing").

pub mod abci;
pub mod common;
pub mod contracts;
pub mod grpc;
pub mod jsonrpc;
pub mod keyring;
pub mod sdl;
pub mod tx;

/// The fuzz targets, by name (the file names in `fuzz/fuzz_targets/` and the corpus folders).
pub const TARGETS: [&str; 7] = ["tx", "abci", "jsonrpc", "grpc", "sdl", "keyring", "contracts"];

/// Runs `data` through target `target`'s body.
///
/// # Panics
///
/// When the target's property fails, or for an unknown target name.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "tx" => tx::run(data),
        "abci" => abci::run(data),
        "jsonrpc" => jsonrpc::run(data),
        "grpc" => grpc::run(data),
        "sdl" => sdl::run(data),
        "keyring" => keyring::run(data),
        "contracts" => contracts::run(data),
        other => panic!("no fuzz target {other}"),
    }
}

/// The seed inputs of target `target`: `(file name, bytes)`.
///
/// # Panics
///
/// For an unknown target name, or if the fixtures cannot be built (`make wasm` first).
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "tx" => tx::seeds(),
        "abci" => abci::seeds(),
        "jsonrpc" => jsonrpc::seeds(),
        "grpc" => grpc::seeds(),
        "sdl" => sdl::seeds(),
        "keyring" => keyring::seeds(),
        "contracts" => contracts::seeds(),
        other => panic!("no fuzz target {other}"),
    }
}
