//! Fuzz target `jsonrpc`: see `leasehold_fuzz_bodies::jsonrpc` (tests/fuzz-bodies/src/jsonrpc.rs) for the input and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leasehold_fuzz_bodies::jsonrpc::run(data));
