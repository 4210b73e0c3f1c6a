//! Gas-metered access to a module's namespace, as the SDK's `gaskv` store wraps a module store.

use cosmwasm_std::{Order, Record};

use crate::gas::{GasMeter, KV_GAS, OutOfGas};
use crate::store::Prefixed;

/// A module's key-value store as host code (the wasm keeper, the bank) sees it. Every access is
/// charged to the current gas meter with the SDK's KV gas table; keys are module-relative, as
/// the SDK charges them.
pub trait KvStore {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, OutOfGas>;
    fn has(&mut self, key: &[u8]) -> Result<bool, OutOfGas>;
    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), OutOfGas>;
    fn remove(&mut self, key: &[u8]) -> Result<(), OutOfGas>;
    /// The entry with the greatest key starting with `prefix`: a reverse iterator that is read
    /// once and closed (charged as the SDK charges creating an iterator).
    fn last_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<Record>, OutOfGas>;
}

/// [`KvStore`] over a [`Prefixed`] namespace, charging a [`GasMeter`].
#[derive(Clone, Debug)]
pub struct GasKv {
    view: Prefixed,
    meter: GasMeter,
}

impl GasKv {
    pub fn new(view: Prefixed, meter: GasMeter) -> Self {
        Self { view, meter }
    }

    pub fn meter(&self) -> &GasMeter {
        &self.meter
    }

    pub fn view(&self) -> &Prefixed {
        &self.view
    }
}

impl KvStore for GasKv {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, OutOfGas> {
        self.meter.consume(KV_GAS.read_flat, "ReadFlat")?;
        let v = self.view.get(key);
        let per_byte = KV_GAS.read(key.len(), v.as_ref().map_or(0, Vec::len)) - KV_GAS.read_flat;
        self.meter.consume(per_byte, "ReadPerByte")?;
        Ok(v)
    }

    fn has(&mut self, key: &[u8]) -> Result<bool, OutOfGas> {
        self.meter.consume(KV_GAS.has, "Has")?;
        Ok(self.view.get(key).is_some())
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), OutOfGas> {
        self.meter.consume(KV_GAS.write(key.len(), value.len()), "WriteFlat")?;
        self.view.set(key, value);
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<(), OutOfGas> {
        self.meter.consume(KV_GAS.delete, "Delete")?;
        self.view.remove(key);
        Ok(())
    }

    fn last_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<Record>, OutOfGas> {
        let end = crate::store::prefix_end(prefix);
        let last = self.view.range(Some(prefix), end.as_deref(), Order::Descending).next();
        self.meter.consume(KV_GAS.seek(last.as_ref().map(|(k, v)| (k.len(), v.len()))), "IterNextFlat")?;
        Ok(last)
    }
}
