//! Fuzz target `keyring`: see `leasehold_fuzz_bodies::keyring` (tests/fuzz-bodies/src/keyring.rs) for the input and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leasehold_fuzz_bodies::keyring::run(data));
