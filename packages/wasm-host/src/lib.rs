//! Hosts compiled CosmWasm contracts on `cosmwasm-vm` the way wasmd does.
//!
//! [`WasmHost`] stores code, instantiates, executes, migrates and queries contracts with
//! wasmd's semantics: its state layout (`0x03 | contract | key` and the rest, see [`keys`]),
//! contract addresses ([`address`]), gas (SDK KV gas on storage, 140 000 CosmWasm gas per SDK
//! gas, setup and event costs, see [`gas`]), events, and submessage/reply dispatch. Every call is
//! atomic. The state is a transactional [`Store`], in memory or over a read-only [`Snapshot`] of
//! a database; balances live in that state through [`KvBank`] (or any [`Bank`]). A node runs its
//! own transactions through [`TxScope`] and persists [`Store::pending_writes`] at each commit.
//!
//! Module map: [`store`] (branching state), [`kv`] (metered module access), [`backend`] (the
//! VM's `Storage` and `Querier`), [`api`] (bech32 `BackendApi`), [`bank`], [`gas`], [`events`],
//! [`proto`] (wasmd's stored protobuf types), `keeper` (the operations) and [`host`].
#![deny(unsafe_code)]

pub mod address;
pub mod api;
pub mod backend;
pub mod bank;
mod cache;
pub mod error;
pub mod events;
pub mod gas;
pub mod host;
mod keeper;
pub mod keys;
pub mod kv;
pub mod proto;
pub mod store;

pub use api::{AddressError, Bech32Api};
pub use bank::{BANK_STORE, Bank, BankError, KvBank};
pub use cache::{CAPABILITIES, INSTANCE_MEMORY_LIMIT, MAX_WASM_SIZE, MEMORY_CACHE_SIZE, check_code, wasm_limits};
pub use error::{EntryPoint, HostError};
pub use gas::{GAS_MULTIPLIER, GasMeter};
pub use host::{DEFAULT_GAS_LIMIT, HostOptions, Outcome, TxScope, WasmHost};
pub use keeper::{MAX_CALL_DEPTH, MAX_QUERY_STACK_SIZE};
pub use store::{Branch, Overlay, Snapshot, Store};
