//! Leasehold's Rust client library.
//!
//! For now it holds the [`sdl`] module: parsing Akash-style SDL files into the market's group
//! specs and the manifest hash a deployment commits to on chain. The gRPC client, keyring and
//! the `leasehold` CLI will live beside it.

#![forbid(unsafe_code)]

pub mod sdl;
