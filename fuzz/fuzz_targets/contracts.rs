//! Fuzz target `contracts`: see `leasehold_fuzz_bodies::contracts` (tests/fuzz-bodies/src/contracts.rs) for the input and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leasehold_fuzz_bodies::contracts::run(data));
