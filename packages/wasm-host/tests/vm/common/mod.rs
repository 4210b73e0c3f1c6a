//! Shared by the VM tests: loading the compiled artifacts, one marketplace deployment on the
//! [`WasmHost`] and the same on cw-multi-test (native contracts), behind one [`Chain`] trait so
//! a scenario written once runs on both.

#![allow(dead_code)]

use std::path::PathBuf;

use cosmwasm_std::testing::mock_env;
use cosmwasm_std::{Addr, Api, BlockInfo, CanonicalAddr, Coin, Empty, Event, StdResult, Storage};
use cw_multi_test::{
    AddressGenerator, App, AppBuilder, BankKeeper, BankSudo, ContractWrapper, Executor, IntoBech32, MockApiBech32,
    SudoMsg, WasmKeeper,
};
use leasehold_types::market as mkt;
use leasehold_wasm_host::WasmHost;
use serde_json::Value;

pub const DENOM: &str = "ulease";
pub const USD: &str = "uusdc";
pub const BLOCK_SECONDS: u64 = 6;

/// The compiled, lowered contract `name` from `artifacts/` (built by `make wasm`).
pub fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts").join(format!("{name}.wasm"));
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => panic!("missing contract artifact {} ({e}): run `make wasm` first", path.display()),
    }
}

/// A bech32 `lease` address derived from a name, the same on both chains.
pub fn addr(name: &str) -> String {
    name.into_bech32_with_prefix("lease").to_string()
}

/// The contracts of a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    Market,
    Escrow,
    Registry,
}

/// The market instantiate message both chains use.
pub fn market_instantiate_msg(admin: &str, pool: &str) -> mkt::InstantiateMsg {
    market_instantiate_msg_with(admin, pool, leasehold_marketplace_tests::default_params())
}

/// [`market_instantiate_msg`] with other market params.
pub fn market_instantiate_msg_with(admin: &str, pool: &str, params: mkt::MarketParams) -> mkt::InstantiateMsg {
    // Code ids: market 1, escrow 2, provider 3 (the order both chains store them in).
    leasehold_marketplace_tests::market_instantiate_msg(admin, pool, params, 2, 3)
}

/// A marketplace on some chain.
pub trait Chain {
    /// Executes `msg` on contract `to`; the events on success, the error text on failure.
    fn exec(&mut self, sender: &str, to: To, msg: &Value, funds: &[Coin]) -> Result<Vec<Event>, String>;
    fn query(&self, to: To, msg: &Value) -> Result<Value, String>;
    fn balance(&self, address: &str, denom: &str) -> u128;
    fn mint(&mut self, address: &str, coins: Vec<Coin>);
    fn advance(&mut self, blocks: u64);
    fn contract(&self, to: To) -> String;
}

fn config(chain: &dyn Chain) -> (String, String) {
    let c = chain.query(To::Market, &serde_json::json!({ "config": {} })).expect("market config");
    let s = |k: &str| c[k].as_str().expect("address").to_string();
    (s("escrow"), s("provider_registry"))
}

/// The marketplace on the wasm host: codes 1 market, 2 escrow, 3 provider (as on the native side).
pub struct VmChain {
    pub host: WasmHost,
    pub market: String,
    pub escrow: String,
    pub registry: String,
    /// SDK gas of the last successful `exec`.
    pub last_gas: u64,
}

impl VmChain {
    pub fn new(admin: &str, pool: &str) -> Self {
        Self::with_host(WasmHost::temporary().expect("host"), admin, pool)
    }

    pub fn with_host(host: WasmHost, admin: &str, pool: &str) -> Self {
        Self::with_host_and_params(host, admin, pool, leasehold_marketplace_tests::default_params())
    }

    /// The marketplace with other market params.
    pub fn with_params(admin: &str, pool: &str, params: mkt::MarketParams) -> Self {
        Self::with_host_and_params(WasmHost::temporary().expect("host"), admin, pool, params)
    }

    fn with_host_and_params(mut host: WasmHost, admin: &str, pool: &str, params: mkt::MarketParams) -> Self {
        host.set_block(mock_env().block);
        for name in ["market", "escrow", "provider"] {
            host.store_code(admin, &artifact(name)).expect("store code");
        }
        let msg = serde_json::to_vec(&market_instantiate_msg_with(admin, pool, params)).expect("json");
        let (market, _) =
            host.instantiate(admin, 1, &msg, &[], "leasehold-market", Some(admin)).expect("market instantiates");
        let mut chain = Self { host, market, escrow: String::new(), registry: String::new(), last_gas: 0 };
        let (escrow, registry) = config(&chain);
        chain.escrow = escrow;
        chain.registry = registry;
        chain
    }
}

impl Chain for VmChain {
    fn exec(&mut self, sender: &str, to: To, msg: &Value, funds: &[Coin]) -> Result<Vec<Event>, String> {
        let contract = self.contract(to);
        let msg = serde_json::to_vec(msg).expect("json");
        match self.host.execute(sender, &contract, &msg, funds) {
            Ok(outcome) => {
                self.last_gas = outcome.gas_used;
                Ok(outcome.events)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn query(&self, to: To, msg: &Value) -> Result<Value, String> {
        let msg = serde_json::to_vec(msg).expect("json");
        let bytes = self.host.query_smart(&self.contract(to), &msg).map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }

    fn balance(&self, address: &str, denom: &str) -> u128 {
        let amount = self.host.balance(address, denom).expect("balance");
        cosmwasm_std::Uint128::try_from(amount).expect("fits").u128()
    }

    fn mint(&mut self, address: &str, coins: Vec<Coin>) {
        self.host.mint(address, &coins).expect("mint");
    }

    fn advance(&mut self, blocks: u64) {
        self.host.advance_blocks(blocks, BLOCK_SECONDS);
    }

    fn contract(&self, to: To) -> String {
        match to {
            To::Market => self.market.clone(),
            To::Escrow => self.escrow.clone(),
            To::Registry => self.registry.clone(),
        }
    }
}

/// cw-multi-test addresses as wasmd derives them: the instance sequence starts at 1.
struct WasmdAddresses;

impl AddressGenerator for WasmdAddresses {
    fn contract_address(&self, api: &dyn Api, _: &mut dyn Storage, code_id: u64, instance_id: u64) -> StdResult<Addr> {
        let canonical = leasehold_wasm_host::address::classic(code_id, instance_id + 1);
        api.addr_humanize(&CanonicalAddr::from(canonical.as_slice()))
    }
}

pub type NativeApp = App<BankKeeper, MockApiBech32>;

/// The marketplace on cw-multi-test with the native contracts.
pub struct NativeChain {
    pub app: NativeApp,
    pub market: String,
    pub escrow: String,
    pub registry: String,
}

impl NativeChain {
    pub fn new(admin: &str, pool: &str) -> Self {
        let mut app = AppBuilder::default()
            .with_api(MockApiBech32::new("lease"))
            .with_wasm(WasmKeeper::<Empty, Empty>::new().with_address_generator(WasmdAddresses))
            .build(|_, _, _| {});
        let market = ContractWrapper::new(
            ::market::contract::execute,
            ::market::contract::instantiate,
            ::market::contract::query,
        )
        .with_reply(::market::contract::reply);
        let escrow = ContractWrapper::new(
            ::escrow::contract::execute,
            ::escrow::contract::instantiate,
            ::escrow::contract::query,
        );
        let provider = ContractWrapper::new(
            ::provider::contract::execute,
            ::provider::contract::instantiate,
            ::provider::contract::query,
        );
        assert_eq!(app.store_code(Box::new(market)), 1);
        assert_eq!(app.store_code(Box::new(escrow)), 2);
        assert_eq!(app.store_code(Box::new(provider)), 3);
        let market = app
            .instantiate_contract(
                1,
                Addr::unchecked(admin),
                &market_instantiate_msg(admin, pool),
                &[],
                "leasehold-market",
                Some(admin.to_string()),
            )
            .expect("market instantiates")
            .to_string();
        let mut chain = Self { app, market, escrow: String::new(), registry: String::new() };
        let (escrow, registry) = config(&chain);
        chain.escrow = escrow;
        chain.registry = registry;
        chain
    }
}

impl Chain for NativeChain {
    fn exec(&mut self, sender: &str, to: To, msg: &Value, funds: &[Coin]) -> Result<Vec<Event>, String> {
        let contract = Addr::unchecked(self.contract(to));
        self.app
            .execute_contract(Addr::unchecked(sender), contract, msg, funds)
            .map(|r| r.events)
            .map_err(|e| format!("{e:?}"))
    }

    fn query(&self, to: To, msg: &Value) -> Result<Value, String> {
        self.app.wrap().query_wasm_smart(self.contract(to), msg).map_err(|e| e.to_string())
    }

    fn balance(&self, address: &str, denom: &str) -> u128 {
        let c = self.app.wrap().query_balance(address, denom).expect("balance");
        cosmwasm_std::Uint128::try_from(c.amount).expect("fits").u128()
    }

    fn mint(&mut self, address: &str, coins: Vec<Coin>) {
        self.app.sudo(SudoMsg::Bank(BankSudo::Mint { to_address: address.to_string(), amount: coins })).expect("mint");
    }

    fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b: &mut BlockInfo| {
            b.height += blocks;
            b.time = b.time.plus_seconds(blocks * BLOCK_SECONDS);
        });
    }

    fn contract(&self, to: To) -> String {
        match to {
            To::Market => self.market.clone(),
            To::Escrow => self.escrow.clone(),
            To::Registry => self.registry.clone(),
        }
    }
}

pub type CustomEvents = Vec<(String, Vec<(String, String)>)>;

/// The `wasm-*` events of a call with their attributes sorted by key (wasmd sorts the
/// attributes of events from successful wasm submessages; cw-multi-test does not), in order.
pub fn custom_events(events: &[Event]) -> CustomEvents {
    events
        .iter()
        .filter(|e| e.ty.starts_with("wasm-"))
        .map(|e| {
            let mut attrs: Vec<(String, String)> =
                e.attributes.iter().map(|a| (a.key.clone(), a.value.clone())).collect();
            attrs.sort();
            (e.ty.clone(), attrs)
        })
        .collect()
}

/// `value` of `key` in the first event of type `ty`.
pub fn event_attr(events: &[Event], ty: &str, key: &str) -> Option<String> {
    events.iter().find(|e| e.ty == ty).and_then(|e| e.attributes.iter().find(|a| a.key == key)).map(|a| a.value.clone())
}
