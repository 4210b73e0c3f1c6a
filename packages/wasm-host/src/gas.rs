//! Gas: the SDK gas meter a call runs under, the SDK's KV gas table and wasmd's gas register.
//!
//! Two units exist, as in wasmd. *SDK gas* is what a transaction pays and what every result
//! reports. *CosmWasm gas* is what the VM meters; one SDK gas is [`GAS_MULTIPLIER`] CosmWasm gas
//! (wasmd `DefaultGasMultiplier`). Storage and query gas is consumed on the SDK meter first and
//! then reported to the VM as "externally used", exactly as wasmvm's Go callbacks do.

use std::sync::{Arc, Mutex, MutexGuard};

use cosmwasm_std::{Attribute, Event};

/// CosmWasm gas per SDK gas (wasmd `DefaultGasMultiplier`).
pub const GAS_MULTIPLIER: u64 = 140_000;

/// Gas limit of a smart query asked from outside a transaction (wasmd `DefaultSmartQueryGasLimit`).
pub const SMART_QUERY_GAS_LIMIT: u64 = 3_000_000;

/// The Cosmos SDK's KV store gas table (`store/types/gas.go` `KVGasConfig`), in SDK gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvGasConfig {
    pub has: u64,
    pub delete: u64,
    pub read_flat: u64,
    pub read_per_byte: u64,
    pub write_flat: u64,
    pub write_per_byte: u64,
    pub iter_next_flat: u64,
}

/// The SDK's default KV gas config.
pub const KV_GAS: KvGasConfig = KvGasConfig {
    has: 1000,
    delete: 1000,
    read_flat: 1000,
    read_per_byte: 3,
    write_flat: 2000,
    write_per_byte: 30,
    iter_next_flat: 30,
};

impl KvGasConfig {
    /// `Get`: flat plus per byte of key and value (a missing value has length 0).
    pub fn read(&self, key_len: usize, value_len: usize) -> u64 {
        self.read_flat.saturating_add(self.read_per_byte.saturating_mul(bytes(key_len, value_len)))
    }

    /// `Set`: flat plus per byte of key and value.
    pub fn write(&self, key_len: usize, value_len: usize) -> u64 {
        self.write_flat.saturating_add(self.write_per_byte.saturating_mul(bytes(key_len, value_len)))
    }

    /// One iterator step (`consumeSeekGas`): per byte of the current entry, if any, plus the flat cost.
    pub fn seek(&self, entry: Option<(usize, usize)>) -> u64 {
        let per_byte = entry.map_or(0, |(k, v)| self.read_per_byte.saturating_mul(bytes(k, v)));
        per_byte.saturating_add(self.iter_next_flat)
    }
}

fn bytes(a: usize, b: usize) -> u64 {
    (a as u64).saturating_add(b as u64)
}

/// wasmd's gas register defaults (`x/wasm/types/gas_register.go`), in SDK gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmGasConfig {
    /// Loading a contract that is not in a memory cache (`DefaultInstanceCost`).
    pub instance_cost: u64,
    /// Loading a pinned contract, or one already used in this transaction (`DefaultInstanceCostDiscount`).
    pub instance_cost_discount: u64,
    /// Storing code, per byte (`DefaultCompileCost`).
    pub compile_cost_per_byte: u64,
    /// Per byte of event attribute keys and values beyond the free tier.
    pub event_attribute_data_cost: u64,
    /// Per attribute.
    pub event_per_attribute_cost: u64,
    /// Per custom (`wasm-*`) event.
    pub custom_event_cost: u64,
    /// Attribute bytes not charged, per contract response.
    pub event_attribute_data_free_tier: u64,
    /// Per byte of a message to a contract (`DefaultContractMessageDataCost`, zero).
    pub contract_message_data_cost: u64,
    /// Per byte of a contract's raw result, in SDK gas (wasmd's `costJSONDeserialization`).
    pub deserialization_cost_per_byte: u64,
    /// Address conversions, in SDK gas (`x/wasm/keeper/api.go`).
    pub humanize_cost: u64,
    pub canonicalize_cost: u64,
}

/// wasmd's defaults.
pub const WASM_GAS: WasmGasConfig = WasmGasConfig {
    instance_cost: 60_000,
    instance_cost_discount: 2_000,
    compile_cost_per_byte: 3,
    event_attribute_data_cost: 1,
    event_per_attribute_cost: 10,
    custom_event_cost: 20,
    event_attribute_data_free_tier: 100,
    contract_message_data_cost: 0,
    deserialization_cost_per_byte: 1,
    humanize_cost: 5,
    canonicalize_cost: 4,
};

impl WasmGasConfig {
    /// `SetupContractCost`.
    pub fn setup_cost(&self, discount: bool, msg_len: usize) -> u64 {
        let data = (msg_len as u64).saturating_mul(self.contract_message_data_cost);
        let base = if discount { self.instance_cost_discount } else { self.instance_cost };
        base.saturating_add(data)
    }

    /// `EventCosts`: attributes of the `wasm` event, then each custom event; the free tier is
    /// shared by the whole response.
    pub fn event_costs(&self, attrs: &[Attribute], events: &[Event]) -> u64 {
        let (mut gas, mut free) = self.attribute_costs(attrs, self.event_attribute_data_free_tier);
        for e in events {
            gas = gas
                .saturating_add(self.custom_event_cost)
                .saturating_add((e.ty.len() as u64).saturating_mul(self.event_attribute_data_cost));
            let (g, f) = self.attribute_costs(&e.attributes, free);
            gas = gas.saturating_add(g);
            free = f;
        }
        gas
    }

    fn attribute_costs(&self, attrs: &[Attribute], free: u64) -> (u64, u64) {
        if attrs.is_empty() {
            return (0, free);
        }
        let stored: u64 = attrs.iter().map(|a| bytes(a.key.len(), a.value.len())).fold(0, u64::saturating_add);
        let (charged, free) = if stored <= free { (0, free - stored) } else { (stored - free, 0) };
        let gas = self
            .event_attribute_data_cost
            .saturating_mul(charged)
            .saturating_add(self.event_per_attribute_cost.saturating_mul(attrs.len() as u64));
        (gas, free)
    }

    /// `ReplyCosts` (always with the discount, as wasmd calls it): setup for the error or data
    /// length, plus the event types and the attribute costs of the reply's events.
    pub fn reply_costs(&self, result: &cosmwasm_std::SubMsgResult) -> u64 {
        match result {
            cosmwasm_std::SubMsgResult::Err(e) => self.setup_cost(true, e.len()),
            cosmwasm_std::SubMsgResult::Ok(ok) => {
                #[allow(deprecated)]
                let data_len = ok.data.as_ref().map_or(0, |d| d.len());
                let mut gas: u64 = 0;
                let mut attrs: Vec<Attribute> = Vec::new();
                for e in &ok.events {
                    gas = gas.saturating_add((e.ty.len() as u64).saturating_mul(self.event_attribute_data_cost));
                    attrs.extend(e.attributes.iter().cloned());
                }
                gas.saturating_add(self.event_costs(&attrs, &[])).saturating_add(self.setup_cost(true, data_len))
            }
        }
    }
}

/// SDK gas to CosmWasm gas.
pub fn to_vm_gas(sdk: u64) -> u64 {
    sdk.saturating_mul(GAS_MULTIPLIER)
}

/// CosmWasm gas to SDK gas (rounding down, as wasmd's `FromWasmVMGas`).
pub fn from_vm_gas(vm: u64) -> u64 {
    vm / GAS_MULTIPLIER
}

/// The SDK ran out of gas: consumption passed the meter's limit. Like the SDK's `ErrorOutOfGas`
/// panic, this aborts everything up to the nearest meter that catches it (a submessage with its
/// own gas limit, or the transaction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("out of gas in location: {descriptor}; gasWanted: {limit}, gasUsed: {used}")]
pub struct OutOfGas {
    pub descriptor: &'static str,
    pub limit: u64,
    pub used: u64,
}

#[derive(Debug)]
struct MeterState {
    limit: u64,
    consumed: u64,
}

/// An SDK gas meter (`storetypes.NewGasMeter`), shared by the host and the VM backends of a call.
///
/// Clones share the same meter.
#[derive(Clone, Debug)]
pub struct GasMeter(Arc<Mutex<MeterState>>);

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        Self(Arc::new(Mutex::new(MeterState { limit, consumed: 0 })))
    }

    fn lock(&self) -> MutexGuard<'_, MeterState> {
        // A poisoned meter only means another thread panicked while holding it; the numbers
        // themselves are always consistent.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limit(&self) -> u64 {
        self.lock().limit
    }

    pub fn consumed(&self) -> u64 {
        self.lock().consumed
    }

    /// Consumed, capped at the limit (`GasConsumedToLimit`).
    pub fn consumed_to_limit(&self) -> u64 {
        let s = self.lock();
        s.consumed.min(s.limit)
    }

    pub fn remaining(&self) -> u64 {
        let s = self.lock();
        s.limit.saturating_sub(s.consumed)
    }

    /// `IsOutOfGas`: consumed reached the limit.
    pub fn is_out_of_gas(&self) -> bool {
        let s = self.lock();
        s.consumed >= s.limit
    }

    /// `ConsumeGas`: adds `amount` (the meter keeps counting past the limit) and fails once the
    /// total exceeds the limit.
    pub fn consume(&self, amount: u64, descriptor: &'static str) -> Result<(), OutOfGas> {
        let mut s = self.lock();
        s.consumed = s.consumed.saturating_add(amount);
        if s.consumed > s.limit {
            return Err(OutOfGas { descriptor, limit: s.limit, used: s.consumed });
        }
        Ok(())
    }

    /// The VM's gas limit for a call under this meter (`runtimeGasForContract`).
    pub fn vm_gas_left(&self) -> u64 {
        let s = self.lock();
        if s.consumed >= s.limit {
            0
        } else if s.limit == u64::MAX {
            u64::MAX
        } else {
            to_vm_gas(s.limit - s.consumed.min(s.limit))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_costs_follow_the_sdk_table() {
        assert_eq!(KV_GAS.read(10, 0), 1000 + 30);
        assert_eq!(KV_GAS.read(40, 100), 1000 + 3 * 140);
        assert_eq!(KV_GAS.write(40, 100), 2000 + 30 * 140);
        assert_eq!(KV_GAS.seek(None), 30);
        assert_eq!(KV_GAS.seek(Some((40, 10))), 30 + 150);
    }

    #[test]
    fn event_costs_share_one_free_tier() {
        // 3 attributes of 50 bytes each: 150 bytes, 100 free -> 50 + 3 x 10.
        let a = Attribute::new("k".repeat(25), "v".repeat(25));
        let attrs = vec![a.clone(), a.clone(), a.clone()];
        assert_eq!(WASM_GAS.event_costs(&attrs, &[]), 50 + 30);
        // A custom event after the free tier is used up pays for all its bytes, its type and 20.
        let ev = Event::new("abc").add_attribute("kk", "vv");
        assert_eq!(WASM_GAS.event_costs(&attrs, std::slice::from_ref(&ev)), 80 + 20 + 3 + 4 + 10);
        // Alone, its attribute bytes fit the free tier.
        assert_eq!(WASM_GAS.event_costs(&[], &[ev]), 20 + 3 + 10);
    }

    #[test]
    fn meter_counts_past_the_limit_and_fails() {
        let m = GasMeter::new(100);
        m.consume(60, "a").unwrap();
        assert_eq!(m.vm_gas_left(), 40 * GAS_MULTIPLIER);
        let err = m.consume(50, "b").unwrap_err();
        assert_eq!(err.used, 110);
        assert!(m.is_out_of_gas());
        assert_eq!(m.consumed_to_limit(), 100);
        assert_eq!(m.vm_gas_left(), 0);
    }

    #[test]
    fn setup_cost_discount() {
        assert_eq!(WASM_GAS.setup_cost(false, 1000), 60_000);
        assert_eq!(WASM_GAS.setup_cost(true, 1000), 2_000);
    }
}
