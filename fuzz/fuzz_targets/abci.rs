//! Fuzz target `abci`: see `leasehold_fuzz_bodies::abci` (tests/fuzz-bodies/src/abci.rs) for the input and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leasehold_fuzz_bodies::abci::run(data));
