//! The code store and the VM's module cache. This is the crate's only `unsafe` code.
//!
//! cosmwasm-vm keeps each code's wasm in `<dir>/state/wasm/<checksum>.wasm` and its compiled
//! module in `<dir>/cache/modules/…`. The wasm files are part of the chain's state (a contract
//! cannot run without its code), so [`CodeCache`] makes them durable before the block that stored
//! them commits and never rewrites one that exists. The modules are a cache: a damaged one is
//! deleted and compiled again from the wasm. Anything else the cache or a code file fails with is
//! a fault of this node ([`HostError::Internal`]), never a transaction's result.

use std::path::{Path, PathBuf};

use cosmwasm_std::Checksum;
use cosmwasm_vm::{
    Backend, Cache, CacheOptions, Config, Instance, InstanceOptions, Size, VmError, WasmLimits, capabilities_from_csv,
};

use crate::api::Bech32Api;
use crate::backend::{ContractStorage, HostQuerier};
use crate::error::HostError;

/// The capabilities the chain offers contracts (wasmd `AllCapabilities` through CosmWasm 3.0).
pub const CAPABILITIES: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,cosmwasm_3_0";

/// Largest code accepted (wasmd `MaxWasmSize`, 800 KiB).
pub const MAX_WASM_SIZE: usize = 800 * 1024;

/// Memory cache size (wasmd default 100 MiB).
pub const MEMORY_CACHE_SIZE: Size = Size::mebi(100);

/// Memory limit of one contract instance (wasmd `contractMemoryLimit`, 32 MiB).
pub const INSTANCE_MEMORY_LIMIT: Size = Size::mebi(32);

pub(crate) type VmCache = Cache<Bech32Api, ContractStorage, HostQuerier>;
type HostBackend = Backend<Bech32Api, ContractStorage, HostQuerier>;

/// The code store and module cache of one host (see the module docs).
pub(crate) struct CodeCache {
    vm: VmCache,
    dir: PathBuf,
}

impl CodeCache {
    /// Opens (creating it if needed) the code store and module cache in `dir`.
    pub fn open(dir: &Path) -> Result<Self, HostError> {
        let vm = open(dir).map_err(|e| HostError::Internal(format!("module cache in {}: {e}", dir.display())))?;
        Ok(Self { vm, dir: dir.to_path_buf() })
    }

    fn wasm_file(&self, checksum: &Checksum) -> PathBuf {
        self.dir.join("state").join("wasm").join(checksum.to_hex()).with_extension("wasm")
    }

    /// `MsgStoreCode`'s checks and store: an invalid code is the tx's error
    /// ([`HostError::CreateFailed`]); a failure to write it is the node's fault. The code file is
    /// synced to disk (file and directory) before this returns, so the block that stores it can
    /// commit; a code stored before (same checksum) is verified and left as it is.
    pub fn store(&self, wasm: &[u8]) -> Result<Checksum, HostError> {
        let checksum = validate_code(wasm).map_err(HostError::CreateFailed)?;
        match self.vm.load_wasm(&checksum) {
            Ok(_) => return Ok(checksum),
            // Absent (or damaged: then rewritten with the bytes that match its checksum).
            Err(VmError::CacheErr { .. } | VmError::IntegrityErr { .. }) => {}
            Err(e) => return Err(self.fault(&checksum, e)),
        }
        match self.vm.store_code(wasm, false, true) {
            Ok(_) => {}
            Err(e @ VmError::CacheErr { .. }) => return Err(self.fault(&checksum, e)),
            Err(e) => return Err(HostError::CreateFailed(e.to_string())),
        }
        let file = self.wasm_file(&checksum);
        sync(&file).and_then(|()| sync(file.parent().unwrap_or(&self.dir))).map_err(|e| {
            HostError::Internal(format!("code {}: syncing {} to disk: {e}", checksum.to_hex(), file.display()))
        })?;
        Ok(checksum)
    }

    /// A VM instance of a stored code. A damaged compiled module is deleted and compiled again
    /// (once); a missing or corrupt code file, or any other cache failure, is a fault.
    pub fn instance(
        &self,
        checksum: &Checksum,
        backend: impl Fn() -> HostBackend,
        options: InstanceOptions,
    ) -> Result<Instance<Bech32Api, ContractStorage, HostQuerier>, HostError> {
        self.recompiling(checksum, || self.vm.get_instance(checksum, backend(), options))
    }

    /// Runs `load` (which reads the compiled module of `checksum`); when the module file is
    /// damaged, deletes it and runs `load` once more (cosmwasm-vm then compiles it again from
    /// the wasm). Any other failure is a fault of this node.
    fn recompiling<T>(&self, checksum: &Checksum, load: impl Fn() -> Result<T, VmError>) -> Result<T, HostError> {
        match load() {
            Ok(loaded) => Ok(loaded),
            Err(VmError::CacheErr { msg, .. }) if msg.contains("module") => {
                tracing::warn!(code = %checksum.to_hex(), "compiled module unreadable ({msg}); compiling it again");
                self.remove_modules(checksum).map_err(|e| {
                    HostError::Internal(format!("code {}: removing its module: {e}", checksum.to_hex()))
                })?;
                load().map_err(|e| self.fault(checksum, e))
            }
            Err(e) => Err(self.fault(checksum, e)),
        }
    }

    /// Keeps a stored code compiled in memory (a damaged compiled module is compiled again).
    pub fn pin(&self, checksum: &Checksum) -> Result<(), HostError> {
        self.recompiling(checksum, || self.vm.pin(checksum))
    }

    pub fn unpin(&self, checksum: &Checksum) -> Result<(), HostError> {
        self.vm.unpin(checksum).map_err(|e| self.fault(checksum, e))
    }

    /// Static analysis of a stored code (its exports and required capabilities).
    pub fn analyze(&self, checksum: &Checksum) -> Result<cosmwasm_vm::AnalysisReport, HostError> {
        self.vm.analyze(checksum).map_err(|e| self.fault(checksum, e))
    }

    /// The stored wasm of a code (verified against its checksum).
    pub fn load_wasm(&self, checksum: &Checksum) -> Result<Vec<u8>, HostError> {
        self.vm.load_wasm(checksum).map_err(|e| self.fault(checksum, e))
    }

    fn fault(&self, checksum: &Checksum, e: VmError) -> HostError {
        let file = self.wasm_file(checksum);
        let what = match e {
            VmError::IntegrityErr { .. } => "its code file does not match its checksum (corrupt)".to_string(),
            VmError::CacheErr { msg, .. } if msg.contains("Wasm file") => format!("{msg} (missing or unreadable)"),
            other => other.to_string(),
        };
        HostError::Internal(format!(
            "code {}: {what}; file {} — this node's code store is damaged: restore the data directory from a \
             backup or a snapshot (the chain itself is fine)",
            checksum.to_hex(),
            file.display()
        ))
    }

    /// Deletes the compiled module(s) of `checksum` in every module-format directory
    /// (`cache/modules/<format>/<target>/<checksum>.module`).
    fn remove_modules(&self, checksum: &Checksum) -> std::io::Result<()> {
        fn walk(dir: &Path, hex: &str, depth: u8) -> std::io::Result<()> {
            let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
            for entry in entries {
                let path = entry?.path();
                if path.is_dir() {
                    if depth > 0 {
                        walk(&path, hex, depth - 1)?;
                    }
                } else if path.file_stem().is_some_and(|stem| stem.to_string_lossy() == hex) {
                    std::fs::remove_file(&path)?;
                }
            }
            Ok(())
        }
        walk(&self.dir.join("cache").join("modules"), &checksum.to_hex(), 3)
    }
}

/// Flushes `path` (a file or a directory) to disk.
fn sync(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

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
