//! The VM's backend: contract storage over the shared state and the querier.
//!
//! Both charge the call's SDK [`GasMeter`] first and report the same amount to the VM as
//! externally used CosmWasm gas, as wasmvm's Go callbacks do (`gasAfter - gasBefore`, with
//! wasmd's meter multiplied by [`crate::gas::GAS_MULTIPLIER`]).

use std::sync::Arc;

use cosmwasm_std::{Binary, ContractResult, Empty, Order, QueryRequest, Record, SystemError, SystemResult};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Querier, Storage};

use crate::error::HostError;
use crate::gas::{GasMeter, KV_GAS, from_vm_gas, to_vm_gas};
use crate::keeper::{Ctx, Engine};
use crate::keys::WASM_STORE;
use crate::store::{Cursor, Store, prefix_end};

fn charged(meter: &GasMeter, sdk_gas: u64, what: &'static str) -> Result<GasInfo, BackendError> {
    meter.consume(sdk_gas, what).map_err(|_| BackendError::out_of_gas())?;
    Ok(GasInfo::with_externally_used(to_vm_gas(sdk_gas)))
}

/// A contract's storage: the wasm namespace under `0x03 | contract address`.
///
/// Gas follows the SDK's `gaskv` store, which sits under wasmd's prefix store and so charges
/// for the full wasm-store key (33 bytes of prefix plus the contract's key).
pub struct ContractStorage {
    store: Store,
    /// Namespace and contract prefix, as stored in [`Store`].
    prefix: Vec<u8>,
    /// Length of the prefix inside the wasm store (what gas is charged for).
    charged_prefix_len: usize,
    meter: GasMeter,
    iterators: Vec<Cursor>,
}

/// Most iterators one contract call may open (the VM has no call to close one: they live until
/// the call returns). Each is a few hundred bytes (see [`Cursor`]); the limit bounds a call that
/// opens them in a loop.
pub const MAX_ITERATORS_PER_CALL: usize = 32_768;

impl ContractStorage {
    pub(crate) fn new(store: Store, contract_prefix: &[u8], meter: GasMeter) -> Self {
        let prefix = [WASM_STORE, contract_prefix].concat();
        Self { store, prefix, charged_prefix_len: contract_prefix.len(), meter, iterators: Vec::new() }
    }

    fn full(&self, key: &[u8]) -> Vec<u8> {
        [&self.prefix[..], key].concat()
    }

    fn key_len(&self, key: &[u8]) -> usize {
        self.charged_prefix_len + key.len()
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.store.get(&self.full(key));
        let cost = KV_GAS.read(self.key_len(key), value.as_ref().map_or(0, Vec::len));
        match charged(&self.meter, cost, "ReadFlat") {
            Ok(gas) => (Ok(value), gas),
            Err(e) => (Err(e), GasInfo::free()),
        }
    }

    fn scan(&mut self, start: Option<&[u8]>, end: Option<&[u8]>, order: Order) -> BackendResult<u32> {
        let start = self.full(start.unwrap_or_default());
        let end = match end {
            Some(e) => Some(self.full(e)),
            None => prefix_end(&self.prefix),
        };
        if self.iterators.len() >= MAX_ITERATORS_PER_CALL {
            return (
                Err(BackendError::unknown(format!("reached iterator limit ({MAX_ITERATORS_PER_CALL})"))),
                GasInfo::free(),
            );
        }
        let mut iter = self.store.cursor(Some(&start), end.as_deref(), order);
        // Creating an SDK iterator seeks to its first entry.
        let first = iter.peek().map(|(k, v)| (k.len() - (self.prefix.len() - self.charged_prefix_len), v.len()));
        let skipped = iter.take_skipped();
        let cost = KV_GAS.seek(first).saturating_add(skipped.saturating_mul(KV_GAS.iter_next_flat));
        let gas = match charged(&self.meter, cost, "IterNextFlat") {
            Ok(gas) => gas,
            Err(e) => return (Err(e), GasInfo::free()),
        };
        self.iterators.push(iter);
        // At most MAX_ITERATORS_PER_CALL, so it fits.
        (Ok(self.iterators.len() as u32), gas)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let strip = self.prefix.len();
        let charged_strip = strip - self.charged_prefix_len;
        let Some(iter) = (iterator_id as usize).checked_sub(1).and_then(|i| self.iterators.get_mut(i)) else {
            return (Err(BackendError::iterator_does_not_exist(iterator_id)), GasInfo::free());
        };
        let next = iter.next();
        // Deleted entries stepped over (pending deletions hide committed entries) cost a step each.
        let skipped = iter.take_skipped().saturating_mul(KV_GAS.iter_next_flat);
        match next {
            // An exhausted iterator costs nothing more (wasmvm's `cNext` returns before metering).
            None => match charged(&self.meter, skipped, "IterNextFlat") {
                Ok(gas) => (Ok(None), gas),
                Err(e) => (Err(e), GasInfo::free()),
            },
            Some((k, v)) => {
                let cost = KV_GAS.seek(Some((k.len() - charged_strip, v.len()))).saturating_add(skipped);
                match charged(&self.meter, cost, "IterNextFlat") {
                    Ok(gas) => (Ok(Some((k[strip..].to_vec(), v))), gas),
                    Err(e) => (Err(e), GasInfo::free()),
                }
            }
        }
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        match charged(&self.meter, KV_GAS.write(self.key_len(key), value.len()), "WriteFlat") {
            Ok(gas) => {
                self.store.set(&self.full(key), value);
                (Ok(()), gas)
            }
            Err(e) => (Err(e), GasInfo::free()),
        }
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        match charged(&self.meter, KV_GAS.delete, "Delete") {
            Ok(gas) => {
                self.store.remove(&self.full(key));
                (Ok(()), gas)
            }
            Err(e) => (Err(e), GasInfo::free()),
        }
    }
}

/// Answers a contract's queries (wasmd's `QueryHandler`): each query runs in a discarded branch
/// under its own SDK meter limited to the VM's remaining gas; what it used is charged to the
/// caller's meter and reported to the VM.
pub struct HostQuerier {
    engine: Arc<Engine>,
    ctx: Ctx,
}

impl HostQuerier {
    pub(crate) fn new(engine: Arc<Engine>, ctx: Ctx) -> Self {
        Self { engine, ctx }
    }
}

impl Querier for HostQuerier {
    fn query_raw(&self, request: &[u8], gas_limit: u64) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let request_value: QueryRequest<Empty> = match cosmwasm_std::from_json(request) {
            Ok(r) => r,
            Err(e) => {
                let err = SystemError::InvalidRequest { error: e.to_string(), request: Binary::from(request) };
                return (Ok(SystemResult::Err(err)), GasInfo::free());
            }
        };
        let before = self.ctx.meter.consumed();
        let sub_meter = GasMeter::new(from_vm_gas(gas_limit));
        let sub = self.ctx.with_meter(sub_meter.clone());
        let branch = self.ctx.store.branch();
        let result = self.engine.handle_query(&sub, &request_value);
        drop(branch);
        // Charge the caller what the query used, even when it failed.
        let parent_oog = self.ctx.meter.consume(sub_meter.consumed(), "contract sub-query").is_err();
        let gas = GasInfo::with_externally_used(to_vm_gas(self.ctx.meter.consumed().saturating_sub(before)));
        if parent_oog || matches!(result, Err(HostError::OutOfGas(_))) {
            return (Err(BackendError::out_of_gas()), gas);
        }
        if let Err(fault) = &result
            && fault.is_fault()
        {
            // The contract must not go on with an answer this node alone would give: the call
            // aborts here, and `run_vm` turns the recorded fault into the call's error.
            self.ctx.record_fault(fault);
            return (Err(BackendError::unknown("host fault")), gas);
        }
        let answer = match result {
            Ok(bytes) => SystemResult::Ok(ContractResult::Ok(Binary::from(bytes))),
            Err(HostError::NoSuchContract(addr)) => SystemResult::Err(SystemError::NoSuchContract { addr }),
            Err(HostError::NoSuchCode(code_id)) => SystemResult::Err(SystemError::NoSuchCode { code_id }),
            Err(HostError::UnsupportedQuery(kind)) => SystemResult::Err(SystemError::UnsupportedRequest { kind }),
            Err(e) => SystemResult::Ok(ContractResult::Err(e.redacted())),
        };
        (Ok(answer), gas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;

    const PREFIX_LEN: u64 = 33; // 0x03 | 32-byte address

    fn sdk(info: GasInfo) -> u64 {
        assert_eq!(info.cost, 0);
        info.externally_used / crate::gas::GAS_MULTIPLIER
    }

    #[test]
    fn storage_charges_sdk_kv_gas_on_the_full_wasm_store_key() {
        let store = Store::new();
        let meter = GasMeter::new(10_000_000);
        let mut s = ContractStorage::new(store.clone(), &keys::contract_store(&[7; 32]), meter.clone());
        let (r, g) = s.set(b"key", b"value");
        r.unwrap();
        assert_eq!(sdk(g), 2000 + 30 * (PREFIX_LEN + 3 + 5));
        let (r, g) = s.get(b"key");
        assert_eq!(r.unwrap(), Some(b"value".to_vec()));
        assert_eq!(sdk(g), 1000 + 3 * (PREFIX_LEN + 3 + 5));
        let (r, g) = s.get(b"nope");
        assert_eq!(r.unwrap(), None);
        assert_eq!(sdk(g), 1000 + 3 * (PREFIX_LEN + 4));
        let (r, g) = s.set(b"kez", b"v");
        r.unwrap();
        assert_eq!(sdk(g), 2000 + 30 * (PREFIX_LEN + 3 + 1));
        // The contract's data really lives under wasmd's key.
        let mut full = b"wasm/".to_vec();
        full.extend(keys::contract_store(&[7; 32]));
        full.extend(b"key");
        assert_eq!(store.get(&full), Some(b"value".to_vec()));

        // Creating an iterator seeks to its first entry; each step pays for the entry it passes;
        // the step that finds the end is free.
        let first = 30 + 3 * (PREFIX_LEN + 3 + 5);
        let second = 30 + 3 * (PREFIX_LEN + 3 + 1);
        let (id, g) = s.scan(None, None, Order::Ascending);
        let id = id.unwrap();
        assert_eq!(sdk(g), first);
        let (r, g) = s.next(id);
        assert_eq!(r.unwrap(), Some((b"key".to_vec(), b"value".to_vec())));
        assert_eq!(sdk(g), first);
        let (r, g) = s.next(id);
        assert_eq!(r.unwrap().map(|(k, _)| k), Some(b"kez".to_vec()));
        assert_eq!(sdk(g), second);
        let (r, g) = s.next(id);
        assert_eq!(r.unwrap(), None);
        assert_eq!(sdk(g), 0);
        // An empty range still pays the flat seek.
        let (_, g) = s.scan(Some(b"x"), Some(b"y"), Order::Descending);
        assert_eq!(sdk(g), 30);
        let (r, g) = s.remove(b"key");
        r.unwrap();
        assert_eq!(sdk(g), 1000);
        assert!(matches!(s.next(99).0, Err(BackendError::IteratorDoesNotExist { .. })));

        let total =
            2 * 2000 + 30 * (PREFIX_LEN * 2 + 12) + 2000 + 3 * (PREFIX_LEN * 2 + 12) + first * 2 + second + 30 + 1000;
        assert_eq!(meter.consumed(), total);
    }

    #[test]
    fn storage_reports_out_of_gas_and_writes_nothing() {
        let store = Store::new();
        let meter = GasMeter::new(2500);
        let mut s = ContractStorage::new(store.clone(), &keys::contract_store(&[1; 32]), meter.clone());
        let (r, g) = s.set(b"k", b"a long value that costs more than the limit");
        assert!(matches!(r, Err(BackendError::OutOfGas {})));
        assert_eq!(g, GasInfo::free());
        assert!(meter.is_out_of_gas());
        assert_eq!(store.committed().len(), 0);
    }

    /// A contract that writes a range and then opens iterators over it in a loop: each iterator
    /// is created lazily (before, each copied the range's pending entries: 32,768 iterators over
    /// 2,000 fresh entries meant 65 million copies), and the call's iterators are capped.
    #[test]
    fn iterators_copy_nothing_and_are_capped_per_call() {
        let store = Store::new();
        let meter = GasMeter::new(u64::MAX / 4);
        let branch = store.branch();
        let mut s = ContractStorage::new(store.clone(), &keys::contract_store(&[7; 32]), meter);
        for i in 0..2_000u32 {
            s.set(&i.to_be_bytes(), b"fresh").0.unwrap();
        }
        for _ in 0..MAX_ITERATORS_PER_CALL {
            s.scan(None, None, Order::Ascending).0.expect("within the limit");
        }
        let (r, _) = s.scan(None, None, Order::Ascending);
        let err = r.unwrap_err().to_string();
        assert!(err.contains("iterator limit"), "{err}");
        let (r, _) = s.next(1);
        assert_eq!(r.unwrap(), Some((0u32.to_be_bytes().to_vec(), b"fresh".to_vec())));
        drop(branch);
    }

    /// Deleted entries a scan steps over are paid for (a step each), so deleting a range and
    /// scanning it over and over is not free CPU.
    #[test]
    fn stepping_over_deletions_costs_gas() {
        let store = Store::new();
        let meter = GasMeter::new(u64::MAX / 4);
        let mut s = ContractStorage::new(store.clone(), &keys::contract_store(&[7; 32]), meter);
        for i in 0..100u32 {
            s.set(&i.to_be_bytes(), b"v").0.unwrap();
        }
        let branch = store.branch();
        for i in 0..99u32 {
            s.remove(&i.to_be_bytes()).0.unwrap();
        }
        let (id, g) = s.scan(None, None, Order::Ascending);
        id.unwrap();
        assert_eq!(sdk(g), 99 * 30 + 30 + 3 * (PREFIX_LEN + 4 + 1));
        drop(branch);
    }
}
