//! The VM's module cache. This is the crate's only `unsafe` code.

use std::path::Path;

use cosmwasm_vm::{Cache, CacheOptions, Config, Size, WasmLimits, capabilities_from_csv};

use crate::api::Bech32Api;
use crate::backend::{ContractStorage, HostQuerier};

/// The capabilities the chain offers contracts (wasmd `AllCapabilities` through CosmWasm 3.0).
pub const CAPABILITIES: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,cosmwasm_3_0";

/// Largest code accepted (wasmd `MaxWasmSize`, 800 KiB).
pub const MAX_WASM_SIZE: usize = 800 * 1024;

/// Memory cache size (wasmd default 100 MiB).
pub const MEMORY_CACHE_SIZE: Size = Size::mebi(100);

/// Memory limit of one contract instance (wasmd `contractMemoryLimit`, 32 MiB).
pub const INSTANCE_MEMORY_LIMIT: Size = Size::mebi(32);

pub(crate) type VmCache = Cache<Bech32Api, ContractStorage, HostQuerier>;

/// The static-analysis limits used for new code (cosmwasm-vm's defaults, as wasmd uses them).
pub fn wasm_limits() -> WasmLimits {
    WasmLimits::default()
}

/// Opens (creating it if needed) the module cache in `dir`.
pub(crate) fn open(dir: &Path) -> Result<VmCache, cosmwasm_vm::VmError> {
    let options = CacheOptions::new(dir, capabilities_from_csv(CAPABILITIES), MEMORY_CACHE_SIZE, INSTANCE_MEMORY_LIMIT);
    let config = Config::new(options);
    // SAFETY: `Cache::new_with_config` is unsafe only because the file-system cache loads
    // compiled modules from `dir` without verifying them. `dir` belongs to this host: it is
    // created by the host's owner for this purpose and only ever written by cosmwasm-vm itself
    // (modules it compiled from code whose checksum it verified), so its artifacts are trusted.
    #[allow(unsafe_code)]
    unsafe {
        Cache::new_with_config(config)
    }
}

/// The static checks of `MsgStoreCode` (valid wasm, the CosmWasm interface, [`CAPABILITIES`],
/// [`wasm_limits`]) without compiling or storing anything; the code's checksum.
pub fn validate_code(wasm: &[u8]) -> Result<cosmwasm_std::Checksum, String> {
    let capabilities = capabilities_from_csv(CAPABILITIES);
    cosmwasm_vm::internals::check_wasm(wasm, &capabilities, &wasm_limits(), cosmwasm_vm::internals::Logger::Off)
        .map_err(|e| e.to_string())?;
    Ok(cosmwasm_std::Checksum::generate(wasm))
}

/// Checks `wasm` as `MsgStoreCode` would (size limit, static validation with [`CAPABILITIES`]
/// and [`wasm_limits`], compilation) in a throw-away cache, and returns the capabilities the
/// code requires.
pub fn check_code(wasm: &[u8]) -> Result<Vec<String>, String> {
    if wasm.is_empty() {
        return Err("empty code".into());
    }
    if wasm.len() > MAX_WASM_SIZE {
        return Err(format!("{} bytes exceeds the limit of {MAX_WASM_SIZE} bytes", wasm.len()));
    }
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let cache = open(dir.path()).map_err(|e| e.to_string())?;
    let checksum = cache.store_code(wasm, true, true).map_err(|e| e.to_string())?;
    let report = cache.analyze(&checksum).map_err(|e| e.to_string())?;
    Ok(report.required_capabilities.into_iter().collect())
}
