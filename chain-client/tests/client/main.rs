//! The client's integration tests (CLI end to end, SDL), gathered
//! into one binary: one link instead of one per file, and one process whose tests run in parallel.

mod common;

mod bidengine;
mod cli;
mod crash;
mod demo;
mod index;
mod sdl;
mod sequence;
