//! Fuzz target `tx`: see `leasehold_fuzz_bodies::tx` (tests/fuzz-bodies/src/tx.rs) for the input and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leasehold_fuzz_bodies::tx::run(data));
