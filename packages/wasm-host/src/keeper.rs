//! The wasm keeper: each operation as wasmd's `x/wasm/keeper` performs it, in the same order
//! and with the same gas charges (`keeper.go`, `msg_dispatcher.go`, `handler_plugin*.go`,
//! `query_plugins.go`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use cosmwasm_std::{
    Addr, BankMsg, BankQuery, Binary, BlockInfo, Checksum, Coin, ContractResult, CosmosMsg, Empty, Env, Event,
    MessageInfo, MigrateInfo, MsgResponse, QueryRequest, Reply, ReplyOn, Response, SubMsg, SubMsgResponse,
    SubMsgResult, TransactionInfo, WasmMsg, WasmQuery,
};
use cosmwasm_vm::{
    Backend, InstanceOptions, call_execute_raw, call_instantiate_raw, call_migrate_with_info_raw, call_query_raw,
    call_reply_raw,
};

use crate::address;
use crate::api::Bech32Api;
use crate::backend::{ContractStorage, HostQuerier};
use crate::bank::{BANK_STORE, Bank, normalize_coins};
use crate::cache::CodeCache;
use crate::error::{EntryPoint, HostError};
use crate::events::{CONTRACT_ADDRESS_KEY, custom_events, host_event, wasm_event};
use crate::gas::{GasMeter, WasmGasConfig, from_vm_gas, to_vm_gas};
use crate::keys::{self, WASM_STORE};
use crate::kv::{GasKv, KvStore};
use crate::proto::{ACCESS_TYPE_EVERYBODY, AbsoluteTxPosition, CodeInfo, ContractInfo, HistoryEntry, HistoryOperation};
use crate::store::{Prefixed, Store};

/// wasmd `DefaultMaxCallDepth`.
pub const MAX_CALL_DEPTH: u32 = 100;
/// wasmd `DefaultMaxQueryStackSize`.
pub const MAX_QUERY_STACK_SIZE: u32 = 10;
/// wasmd `MaxLabelSize`.
pub const MAX_LABEL_SIZE: usize = 128;
/// wasmd `MaxSaltSize`.
pub const MAX_SALT_SIZE: usize = 64;
/// wasmvm's limit on a submessage payload.
const MAX_REPLY_PAYLOAD: usize = 128 * 1024;
/// cosmwasm-vm's limit on deserialising a contract result.
const MAX_RESULT_JSON: usize = 256 * 1024;

/// What one operation runs under: the state, its SDK gas meter and wasmd's context values.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub store: Store,
    pub meter: GasMeter,
    pub block: BlockInfo,
    pub transaction: Option<TransactionInfo>,
    /// Checksums already loaded in this transaction (wasmd `TxContracts`, for the setup-cost
    /// discount); `None` outside transactions.
    pub tx_contracts: Option<Arc<Mutex<BTreeSet<Vec<u8>>>>>,
    pub call_depth: u32,
    pub query_depth: u32,
    /// A run whose effects are thrown away (simulation): nothing may reach the code store on
    /// disk or the module caches.
    pub dry_run: bool,
    /// The first fault of this node met in the operation ([`HostError::is_fault`]), kept here
    /// because a contract's query cannot carry it: the query answers the contract with an error,
    /// and the call that made the query fails with this fault when it returns.
    pub fault: Arc<Mutex<Option<HostError>>>,
}

impl Ctx {
    /// Records a fault (the first one wins).
    pub fn record_fault(&self, fault: &HostError) {
        let mut cell = self.fault.lock().unwrap_or_else(|e| e.into_inner());
        cell.get_or_insert_with(|| fault.clone());
    }

    fn fault(&self) -> Option<HostError> {
        self.fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn with_meter(&self, meter: GasMeter) -> Ctx {
        Ctx { meter, ..self.clone() }
    }

    pub fn wasm(&self) -> GasKv {
        GasKv::new(Prefixed::new(self.store.clone(), WASM_STORE), self.meter.clone())
    }

    pub fn bank(&self) -> GasKv {
        GasKv::new(Prefixed::new(self.store.clone(), BANK_STORE), self.meter.clone())
    }

    fn position(&self) -> AbsoluteTxPosition {
        AbsoluteTxPosition {
            block_height: self.block.height,
            tx_index: self.transaction.as_ref().map_or(0, |t| u64::from(t.index)),
        }
    }

    fn consume(&self, amount: u64, what: &'static str) -> Result<(), HostError> {
        Ok(self.meter.consume(amount, what)?)
    }
}

/// A contract address in both forms.
#[derive(Clone, Debug)]
pub(crate) struct Contract {
    pub human: String,
    pub canonical: Vec<u8>,
}

#[derive(Clone, Debug)]
pub(crate) struct Analysis {
    pub has_ibc_entry_points: bool,
    pub migrate_version: Option<u64>,
    pub required_capabilities: BTreeSet<String>,
}

enum VmCall<'a> {
    Instantiate(&'a MessageInfo, &'a [u8]),
    Execute(&'a MessageInfo, &'a [u8]),
    Migrate(&'a [u8], &'a MigrateInfo),
    Reply(&'a Reply),
    Query(&'a [u8]),
}

/// Result of dispatching one message: its events, data and message responses.
type Dispatched = (Vec<Event>, Vec<Vec<u8>>, Vec<MsgResponse>);

/// The shared, immutable part of the host: module cache, address API, bank, gas prices.
pub(crate) struct Engine {
    pub cache: CodeCache,
    pub api: Bech32Api,
    pub bank: Box<dyn Bank>,
    pub gas: WasmGasConfig,
    analyses: Mutex<BTreeMap<Vec<u8>, Analysis>>,
}

fn vm_err(e: impl std::fmt::Display) -> HostError {
    HostError::Vm(e.to_string())
}

fn check_json(msg: &[u8]) -> Result<(), HostError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(msg)
        .map(|_| ())
        .map_err(|_| HostError::Invalid("payload msg: invalid".into()))
}

/// wasmd `ValidateLabel`.
pub(crate) fn validate_label(label: &str) -> Result<(), HostError> {
    if label.is_empty() {
        return Err(HostError::Empty("label: is required".into()));
    }
    if label.len() > MAX_LABEL_SIZE {
        return Err(HostError::Limit(format!("label: cannot be longer than {MAX_LABEL_SIZE} characters")));
    }
    if label != label.trim() {
        return Err(HostError::Invalid("label: label must not start/end with whitespaces".into()));
    }
    if label.chars().any(char::is_control) {
        return Err(HostError::Invalid("label: label must have printable characters only".into()));
    }
    Ok(())
}

/// wasmd `ValidateSalt`.
pub(crate) fn validate_salt(salt: &[u8]) -> Result<(), HostError> {
    match salt.len() {
        0 => Err(HostError::Empty("salt: is required".into())),
        n if n > MAX_SALT_SIZE => {
            Err(HostError::Limit(format!("salt: cannot be longer than {MAX_SALT_SIZE} characters")))
        }
        _ => Ok(()),
    }
}

fn parse_response(data: &[u8]) -> Result<ContractResult<Response<Empty>>, HostError> {
    let result: ContractResult<Response<Empty>> = cosmwasm_vm::from_slice(data, MAX_RESULT_JSON).map_err(vm_err)?;
    if let ContractResult::Ok(r) = &result {
        for (i, m) in r.messages.iter().enumerate() {
            if m.payload.len() > MAX_REPLY_PAYLOAD {
                return Err(HostError::Vm(format!(
                    "reply contains submessage at index {i} with payload larger than {MAX_REPLY_PAYLOAD} bytes: {} bytes",
                    m.payload.len()
                )));
            }
        }
    }
    Ok(result)
}

impl Engine {
    pub fn new(cache: CodeCache, api: Bech32Api, bank: Box<dyn Bank>, gas: WasmGasConfig) -> Self {
        Self { cache, api, bank, gas, analyses: Mutex::new(BTreeMap::new()) }
    }

    pub fn canonical(&self, human: &str) -> Result<Vec<u8>, HostError> {
        self.api.canonicalize(human).map_err(|e| HostError::InvalidAddress(format!("{human}: {e}")))
    }

    fn contract_from(&self, human: &str) -> Result<Contract, HostError> {
        Ok(Contract { human: human.to_string(), canonical: self.canonical(human)? })
    }

    pub fn code_info(&self, ctx: &Ctx, code_id: u64) -> Result<Option<CodeInfo>, HostError> {
        match ctx.wasm().get(&keys::code(code_id))? {
            None => Ok(None),
            Some(b) => Ok(Some(CodeInfo::decode(&b).map_err(|e| HostError::Internal(e.to_string()))?)),
        }
    }

    pub fn contract_info(&self, ctx: &Ctx, canonical: &[u8]) -> Result<Option<ContractInfo>, HostError> {
        match ctx.wasm().get(&keys::contract(canonical))? {
            None => Ok(None),
            Some(b) => Ok(Some(ContractInfo::decode(&b).map_err(|e| HostError::Internal(e.to_string()))?)),
        }
    }

    /// wasmd `contractInstance`: contract info, then code info.
    fn contract_instance(&self, ctx: &Ctx, human: &str) -> Result<(Contract, ContractInfo, CodeInfo), HostError> {
        let contract = self.contract_from(human)?;
        let info = self
            .contract_info(ctx, &contract.canonical)?
            .ok_or_else(|| HostError::NoSuchContract(human.to_string()))?;
        let code = self.code_info(ctx, info.code_id)?.ok_or(HostError::NoSuchCode(info.code_id))?;
        Ok((contract, info, code))
    }

    pub fn is_pinned(&self, ctx: &Ctx, code_id: u64) -> Result<bool, HostError> {
        Ok(ctx.wasm().has(&keys::pinned_code(code_id))?)
    }

    /// wasmd `checkDiscountEligibility`.
    fn discount(&self, ctx: &Ctx, checksum: &[u8], pinned: bool) -> bool {
        if pinned {
            return true;
        }
        match &ctx.tx_contracts {
            None => false,
            Some(set) => {
                let mut set = set.lock().unwrap_or_else(|e| e.into_inner());
                !set.insert(checksum.to_vec())
            }
        }
    }

    pub fn analysis(&self, checksum: &[u8]) -> Result<Analysis, HostError> {
        let mut cache = self.analyses.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = cache.get(checksum) {
            return Ok(a.clone());
        }
        let cs = Checksum::try_from(checksum).map_err(vm_err)?;
        let report = self.cache.analyze(&cs)?;
        let a = Analysis {
            has_ibc_entry_points: report.has_ibc_entry_points,
            migrate_version: report.contract_migrate_version,
            required_capabilities: report.required_capabilities,
        };
        cache.insert(checksum.to_vec(), a.clone());
        Ok(a)
    }

    fn env(&self, ctx: &Ctx, contract: &str) -> Env {
        Env {
            block: ctx.block.clone(),
            transaction: ctx.transaction.clone(),
            contract: cosmwasm_std::ContractInfo { address: Addr::unchecked(contract) },
        }
    }

    /// wasmd `consumeRuntimeGas`: charges VM gas in SDK units; reaching the limit is out of gas.
    fn consume_runtime(&self, ctx: &Ctx, vm_gas: u64) -> Result<(), HostError> {
        ctx.consume(from_vm_gas(vm_gas), "wasm contract")?;
        if ctx.meter.is_out_of_gas() {
            return Err(HostError::OutOfGas(crate::gas::OutOfGas {
                descriptor: "Wasm engine function execution",
                limit: ctx.meter.limit(),
                used: ctx.meter.consumed(),
            }));
        }
        Ok(())
    }

    /// Runs one entry point of a contract and returns its raw result, charging VM gas and the
    /// result's deserialisation as wasmvm does.
    fn run_vm(
        self: &Arc<Self>,
        ctx: &Ctx,
        checksum: &[u8],
        contract: &Contract,
        call: VmCall<'_>,
    ) -> Result<Vec<u8>, HostError> {
        let env = cosmwasm_vm::to_vec(&self.env(ctx, &contract.human)).map_err(vm_err)?;
        let prefix = keys::contract_store(&contract.canonical);
        let backend = || Backend {
            api: self.api.clone(),
            storage: ContractStorage::new(ctx.store.clone(), &prefix, ctx.meter.clone()),
            querier: HostQuerier::new(Arc::clone(self), ctx.clone()),
        };
        let gas_limit = ctx.meter.vm_gas_left();
        let checksum = Checksum::try_from(checksum).map_err(vm_err)?;
        let mut instance = self.cache.instance(&checksum, backend, InstanceOptions { gas_limit })?;
        let result = match call {
            VmCall::Instantiate(info, msg) => {
                let info = cosmwasm_vm::to_vec(info).map_err(vm_err)?;
                call_instantiate_raw(&mut instance, &env, &info, msg)
            }
            VmCall::Execute(info, msg) => {
                let info = cosmwasm_vm::to_vec(info).map_err(vm_err)?;
                call_execute_raw(&mut instance, &env, &info, msg)
            }
            VmCall::Migrate(msg, migrate_info) => {
                let mi = cosmwasm_vm::to_vec(migrate_info).map_err(vm_err)?;
                call_migrate_with_info_raw(&mut instance, &env, msg, &mi)
            }
            VmCall::Reply(reply) => {
                let r = cosmwasm_vm::to_vec(reply).map_err(vm_err)?;
                call_reply_raw(&mut instance, &env, &r)
            }
            VmCall::Query(msg) => call_query_raw(&mut instance, &env, msg),
        };
        let used = instance.create_gas_report().used_internally;
        drop(instance);
        if let Some(fault) = ctx.fault() {
            return Err(fault);
        }
        let data = match result {
            Ok(d) => d,
            Err(e) => {
                self.consume_runtime(ctx, used)?;
                return Err(vm_err(e));
            }
        };
        let deserialization = (data.len() as u64).saturating_mul(to_vm_gas(self.gas.deserialization_cost_per_byte));
        if gas_limit < deserialization.saturating_add(used) {
            self.consume_runtime(ctx, used)?;
            return Err(HostError::Vm(format!(
                "insufficient gas left to deserialize contract execution result ({} bytes)",
                data.len()
            )));
        }
        self.consume_runtime(ctx, used.saturating_add(deserialization))?;
        Ok(data)
    }

    fn next_id(&self, ctx: &Ctx, key: &[u8]) -> Result<u64, HostError> {
        let mut kv = ctx.wasm();
        let id = match kv.get(key)? {
            None => 1,
            Some(b) => {
                u64::from_be_bytes(b.as_slice().try_into().map_err(|_| HostError::Internal("corrupt sequence".into()))?)
            }
        };
        kv.set(key, &(id + 1).to_be_bytes())?;
        Ok(id)
    }

    /// wasmd `create` (MsgStoreCode).
    pub fn store_code(&self, ctx: &Ctx, em: &mut Vec<Event>, creator: &str, wasm: &[u8]) -> Result<u64, HostError> {
        self.canonical(creator)?;
        if wasm.is_empty() {
            return Err(HostError::Empty("code bytes: is required".into()));
        }
        if wasm.len() > crate::cache::MAX_WASM_SIZE {
            return Err(HostError::Limit(format!(
                "code bytes: cannot be longer than {} bytes",
                crate::cache::MAX_WASM_SIZE
            )));
        }
        // wasmvm charges compilation as runtime gas before compiling.
        self.consume_runtime(ctx, (wasm.len() as u64).saturating_mul(to_vm_gas(self.gas.compile_cost_per_byte)))?;
        // A dry run validates the code as the real store would but writes and compiles nothing:
        // a simulation (free, unsigned) must not fill the node's disk or memory.
        let (checksum, required_capabilities) = if ctx.dry_run {
            (crate::cache::validate_code(wasm).map_err(HostError::CreateFailed)?, Default::default())
        } else {
            let checksum = self.cache.store(wasm)?;
            (checksum, self.analysis(checksum.as_slice())?.required_capabilities)
        };
        let code_id = self.next_id(ctx, &keys::sequence_code_id())?;
        let info = CodeInfo {
            code_hash: checksum.as_slice().to_vec(),
            creator: creator.to_string(),
            instantiate_permission: ACCESS_TYPE_EVERYBODY,
        };
        ctx.wasm().set(&keys::code(code_id), &info.encode())?;
        let mut event = Event::new("store_code")
            .add_attribute("code_checksum", checksum.to_hex())
            .add_attribute("code_id", code_id.to_string());
        // wasmd splits the comma-separated list, so no capability still yields one empty attribute.
        let caps = required_capabilities.into_iter().collect::<Vec<_>>().join(",");
        for c in caps.split(',') {
            event = event.add_attribute("required_capability", c.trim());
        }
        em.push(event);
        Ok(code_id)
    }

    /// wasmd `instantiate`; `salt` selects instantiate2 (with `fix_msg`).
    #[allow(clippy::too_many_arguments)]
    pub fn instantiate(
        self: &Arc<Self>,
        ctx: &Ctx,
        em: &mut Vec<Event>,
        code_id: u64,
        creator: &str,
        admin: Option<&str>,
        msg: &[u8],
        label: &str,
        funds: &[Coin],
        salt: Option<(&[u8], bool)>,
    ) -> Result<(String, Option<Vec<u8>>), HostError> {
        let creator_canonical = self.canonical(creator)?;
        let code = self.code_info(ctx, code_id)?.ok_or(HostError::NoSuchCode(code_id))?;
        let pinned = self.is_pinned(ctx, code_id)?;
        let discount = self.discount(ctx, &code.code_hash, pinned);
        ctx.consume(self.gas.setup_cost(discount, msg.len()), "Loading CosmWasm module: instantiate")?;
        let canonical = match salt {
            None => address::classic(code_id, self.next_id(ctx, &keys::sequence_instance_id())?),
            Some((salt, fix_msg)) => {
                address::predictable(&code.code_hash, &creator_canonical, salt, if fix_msg { msg } else { &[] })
            }
        };
        let human = self.api.humanize(&canonical).map_err(|e| HostError::Internal(e.to_string()))?;
        if ctx.wasm().has(&keys::contract(&canonical))? {
            return Err(HostError::Duplicate(
                "contract address already exists, try a different combination of creator, checksum and salt".into(),
            ));
        }
        self.bank.on_contract_created(&mut ctx.bank(), &human)?;
        if !funds.is_empty() {
            em.extend(self.bank.send(&mut ctx.bank(), creator, &human, funds)?);
        }
        let contract = Contract { human, canonical: canonical.to_vec() };
        let info = MessageInfo { sender: Addr::unchecked(creator), funds: funds.to_vec() };
        let data = self.run_vm(ctx, &code.code_hash, &contract, VmCall::Instantiate(&info, msg))?;
        let response = match parse_response(&data)? {
            ContractResult::Err(msg) => return Err(HostError::Contract { entry: EntryPoint::Instantiate, msg }),
            ContractResult::Ok(r) => r,
        };
        let created = ctx.position();
        let analysis = self.analysis(&code.code_hash)?;
        let contract_info = ContractInfo {
            code_id,
            creator: creator.to_string(),
            admin: admin.unwrap_or_default().to_string(),
            label: label.to_string(),
            created: Some(created),
            ibc_port_id: if analysis.has_ibc_entry_points { format!("wasm.{}", contract.human) } else { String::new() },
            ibc2_port_id: self.ibc2_port(&contract.human),
        };
        let mut kv = ctx.wasm();
        kv.set(&keys::contract_by_code(code_id, &created, &canonical), &[])?;
        kv.set(&keys::contract_by_creator(&creator_canonical, &created, &canonical), &[])?;
        let entry = HistoryEntry { operation: HistoryOperation::Init, code_id, updated: created, msg: msg.to_vec() };
        self.append_history(ctx, &canonical, &entry)?;
        kv.set(&keys::contract(&canonical), &contract_info.encode())?;
        let code_id_text = code_id.to_string();
        em.push(host_event("instantiate", &[(CONTRACT_ADDRESS_KEY, &contract.human), ("code_id", &code_id_text)]));
        let data = self.handle_contract_response(ctx, em, &contract, response).map_err(|e| e.wrap("dispatch"))?;
        Ok((contract.human, data))
    }

    fn ibc2_port(&self, human: &str) -> String {
        format!("wasm2{}", human.strip_prefix(self.api.prefix()).unwrap_or(human))
    }

    fn append_history(&self, ctx: &Ctx, canonical: &[u8], entry: &HistoryEntry) -> Result<(), HostError> {
        let mut kv = ctx.wasm();
        let prefix = keys::history_prefix(canonical);
        let pos = match kv.last_with_prefix(&prefix)? {
            Some((k, _)) if k.len() == prefix.len() + 8 => {
                u64::from_be_bytes(k[prefix.len()..].try_into().map_err(|_| HostError::Internal("history key".into()))?)
            }
            _ => 0,
        };
        kv.set(&keys::history(canonical, pos + 1), &entry.encode())?;
        Ok(())
    }

    /// wasmd `execute`.
    pub fn execute(
        self: &Arc<Self>,
        ctx: &Ctx,
        em: &mut Vec<Event>,
        contract: &str,
        caller: &str,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<Option<Vec<u8>>, HostError> {
        let (contract, info, code) = self.contract_instance(ctx, contract)?;
        let pinned = self.is_pinned(ctx, info.code_id)?;
        let discount = self.discount(ctx, &code.code_hash, pinned);
        ctx.consume(self.gas.setup_cost(discount, msg.len()), "Loading CosmWasm module: execute")?;
        if !funds.is_empty() {
            em.extend(self.bank.send(&mut ctx.bank(), caller, &contract.human, funds)?);
        }
        let message_info = MessageInfo { sender: Addr::unchecked(caller), funds: funds.to_vec() };
        let data = self.run_vm(ctx, &code.code_hash, &contract, VmCall::Execute(&message_info, msg))?;
        let response = match parse_response(&data)? {
            ContractResult::Err(msg) => return Err(HostError::Contract { entry: EntryPoint::Execute, msg }),
            ContractResult::Ok(r) => r,
        };
        em.push(host_event("execute", &[(CONTRACT_ADDRESS_KEY, &contract.human)]));
        self.handle_contract_response(ctx, em, &contract, response)
    }

    /// wasmd `migrate`.
    pub fn migrate(
        self: &Arc<Self>,
        ctx: &Ctx,
        em: &mut Vec<Event>,
        contract: &str,
        caller: &str,
        new_code_id: u64,
        msg: &[u8],
    ) -> Result<Option<Vec<u8>>, HostError> {
        let contract = self.contract_from(contract)?;
        let mut info = self
            .contract_info(ctx, &contract.canonical)?
            .ok_or_else(|| HostError::InvalidRequest("unknown contract".into()))?;
        if info.admin.is_empty() || info.admin != caller {
            return Err(HostError::Unauthorized("can not migrate".into()));
        }
        let new_code =
            self.code_info(ctx, new_code_id)?.ok_or_else(|| HostError::InvalidRequest("unknown code".into()))?;
        let report = self.analysis(&new_code.code_hash)?;
        if !report.has_ibc_entry_points && !info.ibc_port_id.is_empty() {
            return Err(HostError::Invalid("requires ibc callbacks".into()));
        }
        if report.has_ibc_entry_points && info.ibc_port_id.is_empty() {
            info.ibc_port_id = format!("wasm.{}", contract.human);
        }
        info.ibc2_port_id = self.ibc2_port(&contract.human);
        let old_code = self.code_info(ctx, info.code_id)?.ok_or(HostError::NoSuchCode(info.code_id))?;
        let old_report = self.analysis(&old_code.code_hash)?;
        let call_entry = match (report.migrate_version, old_report.migrate_version) {
            (Some(new), Some(old)) => new != old,
            _ => true,
        };
        let response = if call_entry {
            let pinned = self.is_pinned(ctx, new_code_id)?;
            let discount = self.discount(ctx, &new_code.code_hash, pinned);
            ctx.consume(self.gas.setup_cost(discount, msg.len()), "Loading CosmWasm module: migrate")?;
            let migrate_info =
                MigrateInfo { sender: Addr::unchecked(caller), old_migrate_version: old_report.migrate_version };
            let data = self.run_vm(ctx, &new_code.code_hash, &contract, VmCall::Migrate(msg, &migrate_info))?;
            match parse_response(&data)? {
                ContractResult::Err(msg) => return Err(HostError::Contract { entry: EntryPoint::Migrate, msg }),
                ContractResult::Ok(r) => Some(r),
            }
        } else {
            None
        };
        let mut kv = ctx.wasm();
        let prefix = keys::history_prefix(&contract.canonical);
        if let Some((_, last)) = kv.last_with_prefix(&prefix)? {
            let last = HistoryEntry::decode(&last).map_err(|e| HostError::Internal(e.to_string()))?;
            kv.remove(&keys::contract_by_code(last.code_id, &last.updated, &contract.canonical))?;
        }
        let updated = ctx.position();
        let entry =
            HistoryEntry { operation: HistoryOperation::Migrate, code_id: new_code_id, updated, msg: msg.to_vec() };
        self.append_history(ctx, &contract.canonical, &entry)?;
        kv.set(&keys::contract_by_code(new_code_id, &updated, &contract.canonical), &[])?;
        info.code_id = new_code_id;
        kv.set(&keys::contract(&contract.canonical), &info.encode())?;
        let code_id_text = new_code_id.to_string();
        em.push(host_event("migrate", &[("code_id", &code_id_text), (CONTRACT_ADDRESS_KEY, &contract.human)]));
        match response {
            Some(r) => self.handle_contract_response(ctx, em, &contract, r).map_err(|e| e.wrap("dispatch")),
            None => Ok(None),
        }
    }

    /// wasmd `setContractAdmin` (`None` clears it).
    pub fn set_admin(
        &self,
        ctx: &Ctx,
        em: &mut Vec<Event>,
        contract: &str,
        caller: &str,
        new_admin: Option<&str>,
    ) -> Result<(), HostError> {
        let contract = self.contract_from(contract)?;
        let mut info = self
            .contract_info(ctx, &contract.canonical)?
            .ok_or_else(|| HostError::InvalidRequest("unknown contract".into()))?;
        if info.admin.is_empty() || info.admin != caller {
            return Err(HostError::Unauthorized("can not modify contract".into()));
        }
        info.admin = new_admin.unwrap_or_default().to_string();
        ctx.wasm().set(&keys::contract(&contract.canonical), &info.encode())?;
        em.push(host_event(
            "update_contract_admin",
            &[(CONTRACT_ADDRESS_KEY, &contract.human), ("new_admin_address", &info.admin)],
        ));
        Ok(())
    }

    /// wasmd `reply`.
    fn reply(
        self: &Arc<Self>,
        ctx: &Ctx,
        em: &mut Vec<Event>,
        contract: &str,
        reply: Reply,
    ) -> Result<Option<Vec<u8>>, HostError> {
        let (contract, _info, code) = self.contract_instance(ctx, contract)?;
        ctx.consume(self.gas.reply_costs(&reply.result), "Loading CosmWasm module: reply")?;
        let data = self.run_vm(ctx, &code.code_hash, &contract, VmCall::Reply(&reply))?;
        let response = match parse_response(&data)? {
            ContractResult::Err(msg) => return Err(HostError::Contract { entry: EntryPoint::Reply, msg }),
            ContractResult::Ok(r) => r,
        };
        em.push(host_event("reply", &[(CONTRACT_ADDRESS_KEY, &contract.human)]));
        self.handle_contract_response(ctx, em, &contract, response).map_err(|e| e.wrap("dispatch"))
    }

    /// wasmd `handleContractResponse`: event gas, events, then the submessages.
    fn handle_contract_response(
        self: &Arc<Self>,
        ctx: &Ctx,
        em: &mut Vec<Event>,
        contract: &Contract,
        response: Response<Empty>,
    ) -> Result<Option<Vec<u8>>, HostError> {
        ctx.consume(self.gas.event_costs(&response.attributes, &response.events), "Custom contract event attributes")?;
        if !response.attributes.is_empty() {
            em.push(wasm_event(&response.attributes, &contract.human)?);
        }
        if !response.events.is_empty() {
            em.extend(custom_events(&response.events, &contract.human)?);
        }
        let call_depth = ctx.call_depth + 1;
        if call_depth > MAX_CALL_DEPTH {
            return Err(HostError::MaxCallDepth);
        }
        let sub = Ctx { call_depth, ..ctx.clone() };
        let data = response.data.map(|d| d.to_vec());
        match self.dispatch_submessages(&sub, em, contract, response.messages) {
            Err(e) => Err(e.wrap("submessages")),
            Ok(Some(reply_data)) => Ok(Some(reply_data)),
            Ok(None) => Ok(data),
        }
    }

    /// wasmd `DispatchSubmessages`.
    fn dispatch_submessages(
        self: &Arc<Self>,
        ctx: &Ctx,
        em: &mut Vec<Event>,
        contract: &Contract,
        msgs: Vec<SubMsg<Empty>>,
    ) -> Result<Option<Vec<u8>>, HostError> {
        let mut rsp = None;
        for msg in msgs {
            let branch = ctx.store.branch();
            let remaining = ctx.meter.limit().saturating_sub(ctx.meter.consumed());
            let result = match msg.gas_limit.filter(|l| *l < remaining) {
                Some(limit) => self.dispatch_with_gas_limit(ctx, contract, &msg.msg, limit),
                None => self.dispatch_msg(ctx, contract, &msg.msg),
            };
            let is_wasm = matches!(msg.msg, CosmosMsg::Wasm(_));
            let outcome = match result {
                Ok((events, data, responses)) => {
                    branch.commit();
                    let mut filtered: Vec<Event> = events.into_iter().filter(|e| e.ty != "message").collect();
                    if is_wasm {
                        // wasmd sorts these attributes in place after emitting the events, and the
                        // emitted events share the attribute arrays: they end up sorted too.
                        for e in &mut filtered {
                            e.attributes.sort_by(|a, b| a.key.cmp(&b.key));
                        }
                    }
                    em.extend(filtered.iter().cloned());
                    Ok((if is_wasm { filtered } else { Vec::new() }, data.into_iter().next(), responses))
                }
                Err(e) => {
                    drop(branch);
                    // Out of gas is a panic in the SDK, and a fault of this node is not the
                    // message's result: no reply sees either.
                    if e.is_out_of_gas() || e.is_fault() {
                        return Err(e);
                    }
                    Err(e)
                }
            };
            if matches!(msg.reply_on, ReplyOn::Success | ReplyOn::Never)
                && let Err(e) = outcome
            {
                return Err(e);
            }
            if msg.reply_on == ReplyOn::Never || (msg.reply_on == ReplyOn::Error && outcome.is_ok()) {
                continue;
            }
            let result = match outcome {
                Ok((events, data, msg_responses)) => {
                    #[allow(deprecated)]
                    let response = SubMsgResponse {
                        events,
                        data: data.filter(|d| !d.is_empty()).map(Binary::from),
                        msg_responses,
                    };
                    SubMsgResult::Ok(response)
                }
                Err(e) => SubMsgResult::Err(e.redacted()),
            };
            let reply = Reply { id: msg.id, payload: msg.payload, gas_used: 0, result };
            match self.reply(ctx, em, &contract.human, reply) {
                Err(e) => return Err(e.wrap("reply")),
                Ok(Some(d)) => rsp = Some(d),
                Ok(None) => {}
            }
        }
        Ok(rsp)
    }

    /// wasmd `dispatchMsgWithGasLimit`: a separate meter; running out charges the whole limit
    /// and becomes an ordinary error the caller's `reply` can see.
    fn dispatch_with_gas_limit(
        self: &Arc<Self>,
        ctx: &Ctx,
        contract: &Contract,
        msg: &CosmosMsg<Empty>,
        limit: u64,
    ) -> Result<Dispatched, HostError> {
        let meter = GasMeter::new(limit);
        let result = self.dispatch_msg(&ctx.with_meter(meter.clone()), contract, msg);
        if matches!(result, Err(HostError::OutOfGas(_))) {
            ctx.consume(limit, "Sub-Message OutOfGas panic")?;
            return Err(HostError::SubMsgOutOfGas);
        }
        ctx.consume(meter.consumed(), "From limited Sub-Message")?;
        result
    }

    /// One message from a contract, as wasmd's message encoders and handlers process it.
    fn dispatch_msg(
        self: &Arc<Self>,
        ctx: &Ctx,
        contract: &Contract,
        msg: &CosmosMsg<Empty>,
    ) -> Result<Dispatched, HostError> {
        let sender = contract.human.as_str();
        let mut events = Vec::new();
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                if amount.is_empty() {
                    return Ok((events, Vec::new(), Vec::new()));
                }
                let coins = normalize_coins(amount)?;
                self.canonical(to_address)?;
                if coins.is_empty() {
                    return Err(HostError::Bank(crate::bank::BankError::InvalidCoins("empty amount".into())));
                }
                events.extend(self.bank.send(&mut ctx.bank(), sender, to_address, &coins)?);
                Ok((events, vec![Vec::new()], vec![response("/cosmos.bank.v1beta1.MsgSendResponse", Vec::new())]))
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                let coins = normalize_coins(amount)?;
                if coins.is_empty() {
                    return Err(HostError::Bank(crate::bank::BankError::InvalidCoins("empty amount".into())));
                }
                events.extend(self.bank.burn(&mut ctx.bank(), sender, &coins)?);
                Ok((events, Vec::new(), Vec::new()))
            }
            CosmosMsg::Wasm(wasm) => self.dispatch_wasm(ctx, sender, wasm),
            _ => Err(HostError::UnknownMsg("unsupported message variant".into())),
        }
    }

    fn dispatch_wasm(self: &Arc<Self>, ctx: &Ctx, sender: &str, msg: &WasmMsg) -> Result<Dispatched, HostError> {
        let mut events = Vec::new();
        match msg {
            WasmMsg::Execute { contract_addr, msg, funds } => {
                self.canonical(contract_addr)?;
                let funds = normalize_coins(funds)?;
                check_json(msg)?;
                let data = self.execute(ctx, &mut events, contract_addr, sender, msg, &funds)?;
                let bytes = crate::proto::data_response(&data.unwrap_or_default());
                let r = response("/cosmwasm.wasm.v1.MsgExecuteContractResponse", bytes.clone());
                Ok((events, vec![bytes], vec![r]))
            }
            WasmMsg::Instantiate { admin, code_id, msg, funds, label } => {
                let funds = self.check_instantiate(*code_id, label, admin.as_deref(), msg, funds)?;
                let (addr, data) =
                    self.instantiate(ctx, &mut events, *code_id, sender, admin.as_deref(), msg, label, &funds, None)?;
                let bytes = crate::proto::instantiate_response(&addr, &data.unwrap_or_default());
                let r = response("/cosmwasm.wasm.v1.MsgInstantiateContractResponse", bytes.clone());
                Ok((events, vec![bytes], vec![r]))
            }
            WasmMsg::Instantiate2 { admin, code_id, label, msg, funds, salt } => {
                let funds = self.check_instantiate(*code_id, label, admin.as_deref(), msg, funds)?;
                validate_salt(salt)?;
                let (addr, data) = self.instantiate(
                    ctx,
                    &mut events,
                    *code_id,
                    sender,
                    admin.as_deref(),
                    msg,
                    label,
                    &funds,
                    Some((salt.as_slice(), false)),
                )?;
                let bytes = crate::proto::instantiate_response(&addr, &data.unwrap_or_default());
                let r = response("/cosmwasm.wasm.v1.MsgInstantiateContract2Response", bytes.clone());
                Ok((events, vec![bytes], vec![r]))
            }
            WasmMsg::Migrate { contract_addr, new_code_id, msg } => {
                if *new_code_id == 0 {
                    return Err(HostError::InvalidRequest("code id is required".into()));
                }
                self.canonical(contract_addr)?;
                check_json(msg)?;
                let data = self.migrate(ctx, &mut events, contract_addr, sender, *new_code_id, msg)?;
                let bytes = crate::proto::data_response(&data.unwrap_or_default());
                let r = response("/cosmwasm.wasm.v1.MsgMigrateContractResponse", bytes.clone());
                Ok((events, vec![bytes], vec![r]))
            }
            WasmMsg::UpdateAdmin { contract_addr, admin } => {
                self.canonical(contract_addr)?;
                self.canonical(admin)?;
                if sender.eq_ignore_ascii_case(admin) {
                    return Err(HostError::Invalid("new admin is the same as the old".into()));
                }
                self.set_admin(ctx, &mut events, contract_addr, sender, Some(admin))?;
                Ok((events, vec![Vec::new()], vec![response("/cosmwasm.wasm.v1.MsgUpdateAdminResponse", Vec::new())]))
            }
            WasmMsg::ClearAdmin { contract_addr } => {
                self.canonical(contract_addr)?;
                self.set_admin(ctx, &mut events, contract_addr, sender, None)?;
                Ok((events, vec![Vec::new()], vec![response("/cosmwasm.wasm.v1.MsgClearAdminResponse", Vec::new())]))
            }
            _ => Err(HostError::UnknownMsg("unsupported wasm message".into())),
        }
    }

    /// `MsgInstantiateContract.ValidateBasic` (for messages from contracts).
    fn check_instantiate(
        &self,
        code_id: u64,
        label: &str,
        admin: Option<&str>,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<Vec<Coin>, HostError> {
        if code_id == 0 {
            return Err(HostError::InvalidRequest("code id is required".into()));
        }
        validate_label(label)?;
        let funds = normalize_coins(funds)?;
        if let Some(a) = admin.filter(|a| !a.is_empty()) {
            self.canonical(a)?;
        }
        check_json(msg)?;
        Ok(funds)
    }

    /// wasmd `QuerySmart`.
    pub fn query_smart(self: &Arc<Self>, ctx: &Ctx, contract: &str, msg: &[u8]) -> Result<Vec<u8>, HostError> {
        let query_depth = ctx.query_depth + 1;
        if query_depth > MAX_QUERY_STACK_SIZE {
            return Err(HostError::MaxQueryStackSize);
        }
        let ctx = Ctx { query_depth, ..ctx.clone() };
        let (contract, info, code) = self.contract_instance(&ctx, contract)?;
        let pinned = self.is_pinned(&ctx, info.code_id)?;
        let discount = self.discount(&ctx, &code.code_hash, pinned);
        ctx.consume(self.gas.setup_cost(discount, msg.len()), "Loading CosmWasm module: query")?;
        let data = self.run_vm(&ctx, &code.code_hash, &contract, VmCall::Query(msg))?;
        let result: ContractResult<Binary> = cosmwasm_vm::from_slice(&data, MAX_RESULT_JSON).map_err(vm_err)?;
        match result {
            ContractResult::Ok(b) => Ok(b.to_vec()),
            ContractResult::Err(msg) => Err(HostError::Contract { entry: EntryPoint::Query, msg }),
        }
    }

    /// wasmd `QueryRaw`.
    pub fn query_raw(&self, ctx: &Ctx, contract: &str, key: &[u8]) -> Result<Vec<u8>, HostError> {
        let canonical = self.canonical(contract)?;
        let full = [keys::contract_store(&canonical), key.to_vec()].concat();
        Ok(ctx.wasm().get(&full)?.unwrap_or_default())
    }

    /// wasmd's query plugins for the queries this host answers.
    pub fn handle_query(self: &Arc<Self>, ctx: &Ctx, request: &QueryRequest<Empty>) -> Result<Vec<u8>, HostError> {
        let json = |v: serde_json::Value| serde_json::to_vec(&v).map_err(|e| HostError::Internal(e.to_string()));
        match request {
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                check_json(msg)?;
                self.query_smart(ctx, contract_addr, msg)
            }
            QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => self.query_raw(ctx, contract_addr, key),
            QueryRequest::Wasm(WasmQuery::ContractInfo { contract_addr }) => {
                let canonical = self.canonical(contract_addr)?;
                let info = self
                    .contract_info(ctx, &canonical)?
                    .ok_or_else(|| HostError::NoSuchContract(contract_addr.clone()))?;
                let pinned = self.is_pinned(ctx, info.code_id)?;
                let mut v = serde_json::json!({ "code_id": info.code_id, "creator": info.creator, "pinned": pinned });
                if !info.admin.is_empty() {
                    v["admin"] = info.admin.into();
                }
                if !info.ibc_port_id.is_empty() {
                    v["ibc_port"] = info.ibc_port_id.into();
                }
                if !info.ibc2_port_id.is_empty() {
                    v["ibc2_port"] = info.ibc2_port_id.into();
                }
                json(v)
            }
            QueryRequest::Bank(BankQuery::Balance { address, denom }) => {
                self.canonical(address)?;
                let amount = self.bank.balance(&mut ctx.bank(), address, denom)?;
                json(serde_json::json!({ "amount": { "denom": denom, "amount": amount.to_string() } }))
            }
            QueryRequest::Bank(BankQuery::Supply { denom }) => {
                let amount = self.bank.supply(&mut ctx.bank(), denom)?;
                json(serde_json::json!({ "amount": { "denom": denom, "amount": amount.to_string() } }))
            }
            QueryRequest::Bank(_) => Err(HostError::UnsupportedQuery("unknown BankQuery variant".into())),
            QueryRequest::Wasm(_) => Err(HostError::UnsupportedQuery("unsupported WasmQuery variant".into())),
            _ => Err(HostError::UnsupportedQuery("query kind not supported by this chain".into())),
        }
    }
}

fn response(type_url: &str, value: Vec<u8>) -> MsgResponse {
    MsgResponse { type_url: type_url.to_string(), value: Binary::from(value) }
}
