//! Fuzz target `grpc`: see `leasehold_fuzz_bodies::grpc` (tests/fuzz-bodies/src/grpc.rs) for the input and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leasehold_fuzz_bodies::grpc::run(data));
