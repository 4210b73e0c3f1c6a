//! [`WasmHost`]: stores code, instantiates and calls contracts, one atomic transaction per call.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cosmwasm_std::{Binary, BlockInfo, Checksum, Coin, Event, Timestamp, TransactionInfo, Uint256};

use crate::api::Bech32Api;
use crate::bank::{Bank, KvBank, validate_coins};
use crate::error::HostError;
use crate::gas::{GasMeter, SMART_QUERY_GAS_LIMIT, WASM_GAS};
use crate::keeper::{Ctx, Engine, validate_label, validate_salt};
use crate::keys;
use crate::kv::{GasKv, KvStore};
use crate::proto::{CodeInfo, ContractInfo};
use crate::store::{Prefixed, Store};

/// Default gas limit of one call, in SDK gas.
pub const DEFAULT_GAS_LIMIT: u64 = 100_000_000;

/// The result of a successful call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The contract's response data (after any `reply` overrode it), not protobuf-wrapped.
    pub data: Option<Binary>,
    /// Every event of the call, in emission order (bank transfers, `instantiate`/`execute`,
    /// `wasm`, `wasm-*`, submessages and replies).
    pub events: Vec<Event>,
    /// SDK gas used.
    pub gas_used: u64,
}

/// How to build a [`WasmHost`].
pub struct HostOptions {
    /// Module cache directory (compiled modules and the code blobs).
    pub cache_dir: PathBuf,
    /// Account address prefix.
    pub prefix: String,
    /// The state; a fresh in-memory one by default.
    pub store: Store,
    /// The bank; `None` for an [`KvBank`] in `store`.
    pub bank: Option<Box<dyn Bank>>,
}

impl HostOptions {
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self { cache_dir: cache_dir.into(), prefix: crate::api::DEFAULT_PREFIX.into(), store: Store::new(), bank: None }
    }
}

/// Hosts CosmWasm contracts on cosmwasm-vm the way wasmd does.
///
/// Each state-changing method is one transaction: it runs in a branch of the state under its
/// own gas meter ([`WasmHost::set_gas_limit`]) and either commits everything or, on error,
/// nothing (bank transfers included). Block height, time and chain id come from
/// [`WasmHost::set_block`].
pub struct WasmHost {
    engine: Arc<Engine>,
    store: Store,
    block: BlockInfo,
    transaction: Option<TransactionInfo>,
    gas_limit: u64,
    last_gas_used: u64,
    /// Runs whose effects are thrown away (see [`WasmHost::set_dry_run`]).
    dry_run: bool,
    _temp_dir: Option<tempfile::TempDir>,
}

impl WasmHost {
    pub fn new(options: HostOptions) -> Result<Self, HostError> {
        let api = Bech32Api::new(&options.prefix).map_err(|e| HostError::Internal(e.to_string()))?;
        let cache = crate::cache::CodeCache::open(&options.cache_dir)?;
        let bank = options.bank.unwrap_or_else(|| Box::new(KvBank::new(api.clone())));
        let engine = Arc::new(Engine::new(cache, api, bank, WASM_GAS));
        Ok(Self {
            engine,
            store: options.store,
            block: BlockInfo {
                height: 1,
                time: Timestamp::from_seconds(1_700_000_000),
                chain_id: "leasehold-1".into(),
            },
            transaction: None,
            gas_limit: DEFAULT_GAS_LIMIT,
            last_gas_used: 0,
            dry_run: false,
            _temp_dir: None,
        })
    }

    /// A host with the default prefix, an in-memory state and bank, and its module cache in a
    /// temporary directory removed when the host is dropped.
    pub fn temporary() -> Result<Self, HostError> {
        let dir = tempfile::tempdir().map_err(|e| HostError::Internal(e.to_string()))?;
        let mut host = Self::new(HostOptions::new(dir.path()))?;
        host._temp_dir = Some(dir);
        Ok(host)
    }

    /// A host sharing `cache_dir` (for example to start from a warm file-system cache).
    pub fn with_cache_dir(cache_dir: &Path) -> Result<Self, HostError> {
        Self::new(HostOptions::new(cache_dir))
    }

    pub fn api(&self) -> &Bech32Api {
        &self.engine.api
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn block(&self) -> &BlockInfo {
        &self.block
    }

    pub fn set_block(&mut self, block: BlockInfo) {
        self.block = block;
    }

    /// Moves to a later block: `blocks` higher and `blocks * seconds_per_block` later.
    pub fn advance_blocks(&mut self, blocks: u64, seconds_per_block: u64) {
        self.block.height += blocks;
        self.block.time = self.block.time.plus_seconds(blocks * seconds_per_block);
    }

    /// The `transaction` the contracts see in `Env` (wasmd sets it only inside transactions).
    pub fn set_transaction(&mut self, transaction: Option<TransactionInfo>) {
        self.transaction = transaction;
    }

    /// Gas limit of each following call, in SDK gas.
    pub fn set_gas_limit(&mut self, limit: u64) {
        self.gas_limit = limit;
    }

    /// SDK gas used by the last call, whether it succeeded or not.
    pub fn last_gas_used(&self) -> u64 {
        self.last_gas_used
    }

    fn ctx(&self, meter: GasMeter, in_tx: bool) -> Ctx {
        Ctx {
            store: self.store.clone(),
            meter,
            block: self.block.clone(),
            transaction: if in_tx { self.transaction.clone() } else { None },
            tx_contracts: in_tx.then(|| Arc::new(Mutex::new(Default::default()))),
            call_depth: 0,
            query_depth: 0,
            dry_run: self.dry_run,
            fault: Arc::default(),
        }
    }

    /// Marks this host's runs as dry runs (simulations): `MsgStoreCode` then validates the code
    /// and assigns an id in the (discarded) state, but writes no code file and compiles nothing,
    /// so an unsigned simulation cannot grow the node's disk or module cache. Code stored in a dry
    /// run cannot be instantiated in the same run.
    pub fn set_dry_run(&mut self, dry_run: bool) {
        self.dry_run = dry_run;
    }

    /// Runs `f` as one transaction under a fresh meter of the configured gas limit.
    fn transact<T>(
        &mut self,
        f: impl FnOnce(&TxScope<'_>, &mut Vec<Event>) -> Result<T, HostError>,
    ) -> Result<(T, Vec<Event>, u64), HostError> {
        let meter = GasMeter::new(self.gas_limit);
        let branch = self.store.branch();
        let mut events = Vec::new();
        let result = f(&self.scope(meter.clone()), &mut events);
        self.last_gas_used = meter.consumed();
        match result {
            Ok(v) => {
                branch.commit();
                Ok((v, events, meter.consumed()))
            }
            Err(e) => {
                drop(branch);
                Err(e)
            }
        }
    }

    /// The context of one transaction for a node that runs its own transactions: every call
    /// through the scope runs in the store's current branch (the caller opens and closes
    /// branches) and charges `meter`, with the block and `Env.transaction` set on this host.
    pub fn scope(&self, meter: GasMeter) -> TxScope<'_> {
        TxScope { engine: &self.engine, ctx: self.ctx(meter, true) }
    }

    /// A host over another state that shares this host's module cache, block and settings
    /// (for example queries on a committed snapshot while a block executes).
    pub fn with_store(&self, store: Store) -> WasmHost {
        WasmHost {
            engine: Arc::clone(&self.engine),
            store,
            block: self.block.clone(),
            transaction: None,
            gas_limit: self.gas_limit,
            last_gas_used: 0,
            dry_run: false,
            _temp_dir: None,
        }
    }

    /// Replaces the state (a node moves to a new committed snapshot after each block).
    pub fn set_store(&mut self, store: Store) {
        self.store = store;
    }

    /// Creates coins (genesis and test funding); not a transaction and not metered.
    pub fn mint(&mut self, to: &str, coins: &[Coin]) -> Result<(), HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        self.engine.bank.mint(&mut ctx.bank(), to, coins)?;
        Ok(())
    }

    pub fn balance(&self, address: &str, denom: &str) -> Result<Uint256, HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        Ok(self.engine.bank.balance(&mut ctx.bank(), address, denom)?)
    }

    /// `MsgStoreCode`: checks (800 KiB, static validation with the chain's capabilities),
    /// compiles, and assigns the next code id (from 1).
    pub fn store_code(&mut self, creator: &str, wasm: &[u8]) -> Result<u64, HostError> {
        let ((id, _), _, _) = self.transact(|scope, em| scope.store_code(em, creator, wasm))?;
        Ok(id)
    }

    /// `MsgPinCodes` (governance): the code is kept compiled in memory and calls to it get the
    /// setup-cost discount, as in wasmd (the pin is part of the state).
    pub fn pin(&mut self, code_id: u64) -> Result<(), HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        let code = self.engine.code_info(&ctx, code_id)?.ok_or(HostError::NoSuchCode(code_id))?;
        let checksum = Checksum::try_from(code.code_hash.as_slice()).map_err(|e| HostError::Internal(e.to_string()))?;
        self.engine.cache.pin(&checksum)?;
        ctx.wasm().set(&keys::pinned_code(code_id), &[])?;
        Ok(())
    }

    /// `MsgUnpinCodes`.
    pub fn unpin(&mut self, code_id: u64) -> Result<(), HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        let code = self.engine.code_info(&ctx, code_id)?.ok_or(HostError::NoSuchCode(code_id))?;
        let checksum = Checksum::try_from(code.code_hash.as_slice()).map_err(|e| HostError::Internal(e.to_string()))?;
        self.engine.cache.unpin(&checksum)?;
        ctx.wasm().remove(&keys::pinned_code(code_id))?;
        Ok(())
    }

    /// Pins in the module cache every code the state marks as pinned (wasmd
    /// `InitializePinnedCodes`; call after loading a persisted state).
    pub fn sync_pinned_codes(&mut self) -> Result<(), HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        let pinned: Vec<u64> = crate::store::Prefixed::new(self.store.clone(), keys::WASM_STORE)
            .range(
                Some(&[keys::PINNED_CODE_PREFIX]),
                Some(&[keys::PINNED_CODE_PREFIX + 1]),
                cosmwasm_std::Order::Ascending,
            )
            .filter_map(|(k, _)| k.get(1..9).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes))
            .collect();
        for code_id in pinned {
            let code = self.engine.code_info(&ctx, code_id)?.ok_or(HostError::NoSuchCode(code_id))?;
            let checksum =
                Checksum::try_from(code.code_hash.as_slice()).map_err(|e| HostError::Internal(e.to_string()))?;
            self.engine.cache.pin(&checksum)?;
        }
        Ok(())
    }

    /// `MsgInstantiateContract`: the address is wasmd's classic one (code id, instance sequence).
    pub fn instantiate(
        &mut self,
        sender: &str,
        code_id: u64,
        msg: &[u8],
        funds: &[Coin],
        label: &str,
        admin: Option<&str>,
    ) -> Result<(String, Outcome), HostError> {
        let ((addr, data), events, gas_used) =
            self.transact(|scope, em| scope.instantiate(em, sender, code_id, msg, funds, label, admin, None))?;
        Ok((addr, Outcome { data: data.map(Binary::from), events, gas_used }))
    }

    /// `MsgInstantiateContract2`: a predictable address from checksum, sender and salt (and the
    /// message if `fix_msg`).
    #[allow(clippy::too_many_arguments)]
    pub fn instantiate2(
        &mut self,
        sender: &str,
        code_id: u64,
        msg: &[u8],
        funds: &[Coin],
        label: &str,
        admin: Option<&str>,
        salt: &[u8],
        fix_msg: bool,
    ) -> Result<(String, Outcome), HostError> {
        let ((addr, data), events, gas_used) = self.transact(|scope, em| {
            scope.instantiate(em, sender, code_id, msg, funds, label, admin, Some((salt, fix_msg)))
        })?;
        Ok((addr, Outcome { data: data.map(Binary::from), events, gas_used }))
    }

    /// `MsgExecuteContract`.
    pub fn execute(&mut self, sender: &str, contract: &str, msg: &[u8], funds: &[Coin]) -> Result<Outcome, HostError> {
        let (data, events, gas_used) = self.transact(|scope, em| scope.execute(em, sender, contract, msg, funds))?;
        Ok(Outcome { data: data.map(Binary::from), events, gas_used })
    }

    /// `MsgMigrateContract` (the sender must be the contract's admin).
    pub fn migrate(
        &mut self,
        sender: &str,
        contract: &str,
        new_code_id: u64,
        msg: &[u8],
    ) -> Result<Outcome, HostError> {
        let (data, events, gas_used) =
            self.transact(|scope, em| scope.migrate(em, sender, contract, new_code_id, msg))?;
        Ok(Outcome { data: data.map(Binary::from), events, gas_used })
    }

    /// `MsgUpdateAdmin`.
    pub fn update_admin(&mut self, sender: &str, contract: &str, new_admin: &str) -> Result<Outcome, HostError> {
        let ((), events, gas_used) = self.transact(|scope, em| scope.update_admin(em, sender, contract, new_admin))?;
        Ok(Outcome { data: None, events, gas_used })
    }

    /// `MsgClearAdmin`.
    pub fn clear_admin(&mut self, sender: &str, contract: &str) -> Result<Outcome, HostError> {
        let ((), events, gas_used) = self.transact(|scope, em| scope.clear_admin(em, sender, contract))?;
        Ok(Outcome { data: None, events, gas_used })
    }

    /// A smart query as the gRPC/ABCI query service runs it: no transaction, a discarded
    /// branch, [`SMART_QUERY_GAS_LIMIT`] SDK gas.
    pub fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Binary, HostError> {
        check_msg(msg)?;
        let ctx = self.ctx(GasMeter::new(SMART_QUERY_GAS_LIMIT), false);
        let _branch = self.store.branch();
        self.engine.query_smart(&ctx, contract, msg).map(Binary::from)
    }

    /// A raw read of a contract's storage (empty when absent).
    pub fn query_raw(&self, contract: &str, key: &[u8]) -> Result<Vec<u8>, HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        self.engine.query_raw(&ctx, contract, key)
    }

    pub fn contract_info(&self, contract: &str) -> Result<Option<ContractInfo>, HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        let canonical = self.engine.canonical(contract)?;
        self.engine.contract_info(&ctx, &canonical)
    }

    pub fn code_info(&self, code_id: u64) -> Result<Option<CodeInfo>, HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        self.engine.code_info(&ctx, code_id)
    }

    /// A code's info and its wasm bytes (from the module cache's code store).
    pub fn code_bytes(&self, code_id: u64) -> Result<Option<(CodeInfo, Vec<u8>)>, HostError> {
        let Some(info) = self.code_info(code_id)? else { return Ok(None) };
        let checksum = Checksum::try_from(info.code_hash.as_slice()).map_err(|e| HostError::Internal(e.to_string()))?;
        let wasm = self.engine.cache.load_wasm(&checksum)?;
        Ok(Some((info, wasm)))
    }

    /// Stored codes in id order after `start_after`, at most `limit`.
    pub fn codes(&self, start_after: Option<u64>, limit: usize) -> Result<Vec<(u64, CodeInfo)>, HostError> {
        let wasm = Prefixed::new(self.store.clone(), keys::WASM_STORE);
        let start = match start_after {
            Some(id) => keys::code(id.saturating_add(1)),
            None => vec![keys::CODE_PREFIX],
        };
        let mut out = Vec::new();
        for (k, v) in wasm.range(Some(&start), Some(&[keys::CODE_PREFIX + 1]), cosmwasm_std::Order::Ascending) {
            if out.len() >= limit {
                break;
            }
            let id = k.get(1..9).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
            let info = CodeInfo::decode(&v).map_err(|e| HostError::Internal(e.to_string()))?;
            if let Some(id) = id {
                out.push((id, info));
            }
        }
        Ok(out)
    }

    /// Contracts instantiated from (or migrated to) `code_id`, in creation order, after the
    /// position key `start_after` (as returned), at most `limit`: `(position key, address)`.
    pub fn contracts_by_code(
        &self,
        code_id: u64,
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, String)>, HostError> {
        let wasm = Prefixed::new(self.store.clone(), keys::WASM_STORE);
        let mut prefix = vec![keys::CONTRACT_BY_CODE_PREFIX];
        prefix.extend_from_slice(&code_id.to_be_bytes());
        let start = match start_after {
            Some(k) => [&prefix[..], k, &[0u8][..]].concat(),
            None => prefix.clone(),
        };
        let end = crate::store::prefix_end(&prefix);
        let mut out = Vec::new();
        for (k, _) in wasm.range(Some(&start), end.as_deref(), cosmwasm_std::Order::Ascending) {
            if out.len() >= limit {
                break;
            }
            let rest = k[prefix.len()..].to_vec();
            let addr = rest.get(16..).ok_or_else(|| HostError::Internal("contract-by-code key".into()))?;
            let human = self.engine.api.humanize(addr).map_err(|e| HostError::Internal(e.to_string()))?;
            out.push((rest, human));
        }
        Ok(out)
    }

    /// Whether the state marks the code as pinned.
    pub fn is_pinned(&self, code_id: u64) -> Result<bool, HostError> {
        let ctx = self.ctx(GasMeter::new(u64::MAX), false);
        self.engine.is_pinned(&ctx, code_id)
    }
}

fn check_msg(msg: &[u8]) -> Result<(), HostError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(msg)
        .map(|_| ())
        .map_err(|_| HostError::Invalid("payload msg: invalid".into()))
}

/// One transaction's calls for a node (see [`WasmHost::scope`]). Each method validates its
/// message as wasmd's `ValidateBasic` does, then runs the keeper operation. It does not branch:
/// a failed call can leave partial writes, which the caller discards with its branch.
pub struct TxScope<'a> {
    engine: &'a Arc<Engine>,
    ctx: Ctx,
}

impl TxScope<'_> {
    fn check_sender(&self, sender: &str) -> Result<(), HostError> {
        self.engine.api.validate(sender).map_err(|e| HostError::InvalidAddress(format!("sender: {e}")))
    }

    /// `MsgStoreCode`: checks (800 KiB, static validation with the chain's capabilities),
    /// compiles, and assigns the next code id (from 1). Returns the code id and checksum.
    pub fn store_code(&self, em: &mut Vec<Event>, creator: &str, wasm: &[u8]) -> Result<(u64, Checksum), HostError> {
        self.check_sender(creator)?;
        let code_id = self.engine.store_code(&self.ctx, em, creator, wasm)?;
        let info = self.engine.code_info(&self.ctx, code_id)?.ok_or(HostError::NoSuchCode(code_id))?;
        let checksum = Checksum::try_from(info.code_hash.as_slice()).map_err(|e| HostError::Internal(e.to_string()))?;
        Ok((code_id, checksum))
    }

    /// `MsgInstantiateContract` (`salt: None`) or `MsgInstantiateContract2`
    /// (`Some((salt, fix_msg))`). Returns the contract address and the contract's data.
    #[allow(clippy::too_many_arguments)]
    pub fn instantiate(
        &self,
        em: &mut Vec<Event>,
        sender: &str,
        code_id: u64,
        msg: &[u8],
        funds: &[Coin],
        label: &str,
        admin: Option<&str>,
        salt: Option<(&[u8], bool)>,
    ) -> Result<(String, Option<Vec<u8>>), HostError> {
        self.check_sender(sender)?;
        if code_id == 0 {
            return Err(HostError::InvalidRequest("code id is required".into()));
        }
        validate_label(label)?;
        validate_coins(funds)?;
        if let Some(a) = admin {
            self.check_sender(a)?;
        }
        check_msg(msg)?;
        if let Some((s, _)) = salt {
            validate_salt(s)?;
        }
        self.engine.instantiate(&self.ctx, em, code_id, sender, admin, msg, label, funds, salt)
    }

    /// `MsgExecuteContract`.
    pub fn execute(
        &self,
        em: &mut Vec<Event>,
        sender: &str,
        contract: &str,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<Option<Vec<u8>>, HostError> {
        self.check_sender(sender)?;
        self.engine.canonical(contract)?;
        validate_coins(funds)?;
        check_msg(msg)?;
        self.engine.execute(&self.ctx, em, contract, sender, msg, funds)
    }

    /// `MsgMigrateContract`.
    pub fn migrate(
        &self,
        em: &mut Vec<Event>,
        sender: &str,
        contract: &str,
        new_code_id: u64,
        msg: &[u8],
    ) -> Result<Option<Vec<u8>>, HostError> {
        self.check_sender(sender)?;
        if new_code_id == 0 {
            return Err(HostError::InvalidRequest("code id is required".into()));
        }
        check_msg(msg)?;
        self.engine.migrate(&self.ctx, em, contract, sender, new_code_id, msg)
    }

    /// `MsgUpdateAdmin`.
    pub fn update_admin(
        &self,
        em: &mut Vec<Event>,
        sender: &str,
        contract: &str,
        new_admin: &str,
    ) -> Result<(), HostError> {
        self.check_sender(sender)?;
        self.check_sender(new_admin)?;
        if sender.eq_ignore_ascii_case(new_admin) {
            return Err(HostError::Invalid("new admin is the same as the old".into()));
        }
        self.engine.set_admin(&self.ctx, em, contract, sender, Some(new_admin))
    }

    /// `MsgClearAdmin`.
    pub fn clear_admin(&self, em: &mut Vec<Event>, sender: &str, contract: &str) -> Result<(), HostError> {
        self.check_sender(sender)?;
        self.engine.set_admin(&self.ctx, em, contract, sender, None)
    }

    /// A bank transfer (`MsgSend`, fees), metered like every bank access.
    pub fn send(&self, em: &mut Vec<Event>, from: &str, to: &str, coins: &[Coin]) -> Result<(), HostError> {
        em.extend(self.engine.bank.send(&mut self.ctx.bank(), from, to, coins)?);
        Ok(())
    }

    /// A metered balance read.
    pub fn balance(&self, address: &str, denom: &str) -> Result<Uint256, HostError> {
        Ok(self.engine.bank.balance(&mut self.ctx.bank(), address, denom)?)
    }

    /// A metered view of a node module's namespace `prefix` in the shared store, charged to
    /// this transaction's meter (how the node's auth module reads and writes accounts).
    pub fn module_kv(&self, prefix: &[u8]) -> GasKv {
        GasKv::new(Prefixed::new(self.ctx.store.clone(), prefix), self.ctx.meter.clone())
    }
}
