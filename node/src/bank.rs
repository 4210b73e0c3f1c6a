//! The bank module: balances and supply ([`KvBank`] in the `bank/` namespace), plus what the
//! Cosmos SDK's bank does on top — the recipient of a transfer gets an account if it has none —
//! and wasmd's account for every new contract.

use cosmwasm_std::{Coin, Event, Uint256};
use leasehold_wasm_host::kv::GasKv;
use leasehold_wasm_host::store::Prefixed;
use leasehold_wasm_host::{Bank, BankError, Bech32Api, HostError, KvBank};

use crate::auth::AUTH_STORE;
use crate::auth::accounts::AccountKeeper;
use crate::error::TxError;

/// [`KvBank`] that creates the recipient's account on every credit.
#[derive(Clone, Debug)]
pub struct NodeBank {
    inner: KvBank,
    api: Bech32Api,
}

impl NodeBank {
    pub fn new(api: Bech32Api) -> Self {
        Self { inner: KvBank::new(api.clone()), api }
    }

    pub fn kv_bank(&self) -> &KvBank {
        &self.inner
    }

    fn ensure_account(&self, kv: &GasKv, address: &str) -> Result<(), BankError> {
        let mut auth = GasKv::new(Prefixed::new(kv.view().store().clone(), AUTH_STORE), kv.meter().clone());
        AccountKeeper { api: &self.api }.get_or_create(&mut auth, address, None).map(|_| ()).map_err(|e| match e {
            TxError::Host(HostError::OutOfGas(o)) => BankError::OutOfGas(o),
            other => BankError::InvalidAddress(other.to_string()),
        })
    }
}

impl Bank for NodeBank {
    fn balance(&self, kv: &mut GasKv, address: &str, denom: &str) -> Result<Uint256, BankError> {
        self.inner.balance(kv, address, denom)
    }

    fn supply(&self, kv: &mut GasKv, denom: &str) -> Result<Uint256, BankError> {
        self.inner.supply(kv, denom)
    }

    fn send(&self, kv: &mut GasKv, from: &str, to: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError> {
        let events = self.inner.send(kv, from, to, coins)?;
        self.ensure_account(kv, to)?;
        Ok(events)
    }

    fn mint(&self, kv: &mut GasKv, to: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError> {
        let events = self.inner.mint(kv, to, coins)?;
        self.ensure_account(kv, to)?;
        Ok(events)
    }

    /// wasmd gives every contract an account (numbered like any other) when it is instantiated.
    fn on_contract_created(&self, kv: &mut GasKv, address: &str) -> Result<(), BankError> {
        self.ensure_account(kv, address)
    }

    fn burn(&self, kv: &mut GasKv, from: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError> {
        self.inner.burn(kv, from, coins)
    }
}
