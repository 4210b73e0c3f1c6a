//! Fuzz target `sdl`: see `leasehold_fuzz_bodies::sdl` (tests/fuzz-bodies/src/sdl.rs) for the input and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leasehold_fuzz_bodies::sdl::run(data));
