//! A test suite builder for the whole marketplace on cw-multi-test: the market contract
//! instantiates its escrow and provider registry exactly as on chain, with bech32 `lease`
//! addresses, bank balances, and block advances.

pub mod dapp;
pub mod fixtures;

use cosmwasm_std::{Addr, Coin, DecCoin, Decimal, Decimal256, Empty, HexBinary, StdResult, Uint256, coin};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, ContractWrapper, Executor, IntoBech32, MockApiBech32};
use leasehold_types::Attribute;
use leasehold_types::escrow::{self, AccountId, AccountResponse, EscrowParams, PaymentId, TakeRate};
use leasehold_types::ids::{BidId, DeploymentId, OrderId};
use leasehold_types::market::{
    self, Bid, DenomParams, DeploymentResponse, ExecuteMsg, Lease, LeaseCloseReason, MarketParams, OrderResponse,
};
use leasehold_types::provider::{self as registry, ProviderInfo};
use leasehold_types::resources::GroupSpec;

pub type LeaseApp = App<cw_multi_test::BankKeeper, MockApiBech32>;

pub const DENOM: &str = "ulease";
pub const USD: &str = "uusdc";
/// Seconds per block in the suite's clock.
pub const BLOCK_SECONDS: u64 = 6;

pub fn market_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(::market::contract::execute, ::market::contract::instantiate, ::market::contract::query)
            .with_reply(::market::contract::reply)
            .with_migrate(::market::contract::migrate),
    )
}

pub fn escrow_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(::escrow::contract::execute, ::escrow::contract::instantiate, ::escrow::contract::query)
            .with_migrate(::escrow::contract::migrate),
    )
}

pub fn provider_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            ::provider::contract::execute,
            ::provider::contract::instantiate,
            ::provider::contract::query,
        )
        .with_migrate(::provider::contract::migrate),
    )
}

/// Parameters used unless a test overrides them.
pub fn default_params() -> MarketParams {
    MarketParams {
        denoms: vec![
            DenomParams {
                denom: DENOM.into(),
                min_deposit: Uint256::from(1_000_000u128),
                bid_min_deposit: Uint256::from(500_000u128),
            },
            DenomParams {
                denom: USD.into(),
                min_deposit: Uint256::from(1_000_000u128),
                bid_min_deposit: Uint256::from(500_000u128),
            },
        ],
        max_bids_per_order: 5,
        bidding_window: 10,
        order_expiry: 100,
    }
}

/// Escrow parameters used by the tests: 2 % take on `ulease`, 10 % on other denoms.
pub fn default_escrow_params(community_pool: &str) -> EscrowParams {
    EscrowParams {
        take_rates: vec![TakeRate { denom: DENOM.into(), rate: Decimal::percent(2) }],
        default_take_rate: Decimal::percent(10),
        deposit_minimums: vec![escrow::DepositMinimum { denom: USD.into(), amount: Uint256::from(10_000u128) }],
        default_deposit_minimum: Uint256::from(1_000u128),
        community_pool: community_pool.to_string(),
    }
}

/// The market's instantiate message as the tests deploy it.
pub fn market_instantiate_msg(
    admin: &str,
    pool: &str,
    params: MarketParams,
    escrow_code_id: u64,
    provider_code_id: u64,
) -> market::InstantiateMsg {
    market::InstantiateMsg {
        admin: Some(admin.to_string()),
        params,
        escrow_code_id,
        escrow_params: default_escrow_params(pool),
        provider_code_id,
    }
}

pub struct Suite {
    pub app: LeaseApp,
    pub market: Addr,
    pub escrow: Addr,
    pub registry: Addr,
    pub admin: Addr,
    pub pool: Addr,
    pub market_code: u64,
    pub escrow_code: u64,
    pub provider_code: u64,
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

impl Suite {
    pub fn new() -> Self {
        Self::with_params(default_params())
    }

    pub fn with_params(params: MarketParams) -> Self {
        let mut app = AppBuilder::default().with_api(MockApiBech32::new("lease")).build(|_, _, _| {});
        let admin = app.api().addr_make("admin");
        let pool = app.api().addr_make("community-pool");
        let market_code = app.store_code(market_contract());
        let escrow_code = app.store_code(escrow_contract());
        let provider_code = app.store_code(provider_contract());
        let init = market_instantiate_msg(admin.as_str(), pool.as_str(), params, escrow_code, provider_code);
        let market = app
            .instantiate_contract(market_code, admin.clone(), &init, &[], "leasehold-market", Some(admin.to_string()))
            .expect("market instantiates");
        let config: market::ConfigResponse =
            app.wrap().query_wasm_smart(&market, &market::QueryMsg::Config {}).expect("config");
        Self {
            app,
            market,
            escrow: config.escrow,
            registry: config.provider_registry,
            admin,
            pool,
            market_code,
            escrow_code,
            provider_code,
        }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// A fresh account holding `amount` of both test denoms.
    pub fn account(&mut self, name: &str, amount: u128) -> Addr {
        let addr = self.addr(name);
        self.app
            .sudo(cw_multi_test::SudoMsg::Bank(cw_multi_test::BankSudo::Mint {
                to_address: addr.to_string(),
                amount: vec![coin(amount, DENOM), coin(amount, USD)],
            }))
            .expect("mint");
        addr
    }

    /// Mints `amount` to `addr`.
    pub fn mint(&mut self, addr: &Addr, amount: Coin) {
        self.app
            .sudo(cw_multi_test::SudoMsg::Bank(cw_multi_test::BankSudo::Mint {
                to_address: addr.to_string(),
                amount: vec![amount],
            }))
            .expect("mint");
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b| {
            b.height += blocks;
            b.time = b.time.plus_seconds(blocks * BLOCK_SECONDS);
        });
    }

    pub fn balance(&self, addr: &Addr, denom: &str) -> u128 {
        let c = self.app.wrap().query_balance(addr, denom).expect("balance");
        cosmwasm_std::Uint128::try_from(c.amount).expect("fits u128").u128()
    }

    pub fn exec_market(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> StdResult<AppResponse> {
        self.app.execute_contract(sender.clone(), self.market.clone(), msg, funds)
    }

    pub fn exec_escrow(&mut self, sender: &Addr, msg: &escrow::ExecuteMsg, funds: &[Coin]) -> StdResult<AppResponse> {
        self.app.execute_contract(sender.clone(), self.escrow.clone(), msg, funds)
    }

    pub fn exec_registry(&mut self, sender: &Addr, msg: &registry::ExecuteMsg) -> StdResult<AppResponse> {
        self.app.execute_contract(sender.clone(), self.registry.clone(), msg, &[])
    }

    /// Registers `name` as a provider with `attributes` and funds it.
    pub fn provider(&mut self, name: &str, attributes: Vec<Attribute>) -> Addr {
        let addr = self.account(name, 100_000_000);
        let msg = registry::ExecuteMsg::Register {
            host_uri: format!("https://{name}.example.com"),
            attributes,
            info: ProviderInfo::default(),
        };
        self.exec_registry(&addr, &msg).expect("register provider");
        addr
    }

    pub fn sign(&mut self, auditor: &Addr, provider: &Addr, attributes: Vec<Attribute>) {
        let msg = registry::ExecuteMsg::SignAttributes { owner: provider.to_string(), attributes };
        self.exec_registry(auditor, &msg).expect("sign attributes");
    }

    pub fn create_deployment(
        &mut self,
        tenant: &Addr,
        dseq: u64,
        groups: Vec<GroupSpec>,
        deposit: Coin,
        auto_match: bool,
    ) -> StdResult<AppResponse> {
        let msg = ExecuteMsg::CreateDeployment { dseq, hash: manifest_hash(dseq), groups, auto_match };
        self.exec_market(tenant, &msg, &[deposit])
    }

    pub fn bid(
        &mut self,
        provider: &Addr,
        order: &OrderId,
        price: DecCoin,
        collateral: Coin,
    ) -> StdResult<AppResponse> {
        self.exec_market(provider, &ExecuteMsg::CreateBid { order: order.clone(), price }, &[collateral])
    }

    pub fn create_lease(&mut self, tenant: &Addr, bid: &BidId) -> StdResult<AppResponse> {
        self.exec_market(tenant, &ExecuteMsg::CreateLease { bid: bid.clone() }, &[])
    }

    pub fn close_lease(
        &mut self,
        sender: &Addr,
        lease: &BidId,
        reason: Option<LeaseCloseReason>,
    ) -> StdResult<AppResponse> {
        self.exec_market(sender, &ExecuteMsg::CloseLease { lease: lease.clone(), reason }, &[])
    }

    pub fn withdraw(&mut self, provider: &Addr, lease: &BidId) -> StdResult<AppResponse> {
        self.exec_escrow(provider, &escrow::ExecuteMsg::Withdraw { id: PaymentId::for_lease(lease) }, &[])
    }

    pub fn deposit(&mut self, sender: &Addr, deployment: &DeploymentId, amount: Coin) -> StdResult<AppResponse> {
        self.exec_escrow(sender, &escrow::ExecuteMsg::Deposit { id: AccountId::deployment(deployment) }, &[amount])
    }

    pub fn deployment(&self, id: &DeploymentId) -> DeploymentResponse {
        self.query_market(&market::QueryMsg::Deployment { id: id.clone() })
    }

    pub fn order(&self, id: &OrderId) -> OrderResponse {
        self.query_market(&market::QueryMsg::Order { id: id.clone() })
    }

    pub fn bid_state(&self, id: &BidId) -> Bid {
        self.query_market(&market::QueryMsg::Bid { id: id.clone() })
    }

    pub fn lease(&self, id: &BidId) -> Lease {
        self.query_market(&market::QueryMsg::Lease { id: id.clone() })
    }

    pub fn escrow_account(&self, id: &AccountId) -> AccountResponse {
        self.app.wrap().query_wasm_smart(&self.escrow, &escrow::QueryMsg::Account { id: id.clone() }).expect("account")
    }

    pub fn payment(&self, lease: &BidId) -> escrow::Payment {
        self.app
            .wrap()
            .query_wasm_smart(&self.escrow, &escrow::QueryMsg::Payment { id: PaymentId::for_lease(lease) })
            .expect("payment")
    }

    pub fn query_market<T: serde::de::DeserializeOwned>(&self, msg: &market::QueryMsg) -> T {
        self.app.wrap().query_wasm_smart(&self.market, msg).expect("market query")
    }

    pub fn try_query_market<T: serde::de::DeserializeOwned>(
        &self,
        msg: &market::QueryMsg,
    ) -> cosmwasm_std::StdResult<T> {
        self.app.wrap().query_wasm_smart(&self.market, msg)
    }
}

/// A distinct 32-byte manifest hash per deployment.
pub fn manifest_hash(seed: u64) -> HexBinary {
    let mut h = [7u8; 32];
    h[..8].copy_from_slice(&seed.to_be_bytes());
    HexBinary::from(h.to_vec())
}

/// `amount` micro-units per block.
pub fn price(amount: u128, denom: &str) -> DecCoin {
    DecCoin::new(Decimal256::from_atomics(amount, 0).expect("price"), denom)
}

/// A price with decimals, e.g. `dec_price("0.37", "ulease")`.
pub fn dec_price(amount: &str, denom: &str) -> DecCoin {
    DecCoin::new(amount.parse::<Decimal256>().expect("decimal price"), denom)
}

/// Finds the first `wasm-<ty>` event and returns its attributes as `(key, value)` pairs.
pub fn event(res: &AppResponse, ty: &str) -> Option<Vec<(String, String)>> {
    let full = format!("wasm-{ty}");
    res.events
        .iter()
        .find(|e| e.ty == full)
        .map(|e| e.attributes.iter().map(|a| (a.key.clone(), a.value.clone())).collect())
}

/// All `wasm-<ty>` events.
pub fn events(res: &AppResponse, ty: &str) -> Vec<Vec<(String, String)>> {
    let full = format!("wasm-{ty}");
    res.events
        .iter()
        .filter(|e| e.ty == full)
        .map(|e| e.attributes.iter().map(|a| (a.key.clone(), a.value.clone())).collect())
        .collect()
}

pub fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

pub fn addr_from(name: &str) -> Addr {
    name.into_bech32_with_prefix("lease")
}

/// The snake_case name of a state enum as it appears in JSON and error messages.
pub fn state_name<T: serde::Serialize>(state: &T) -> String {
    cosmwasm_std::to_json_string(state).map(|s| s.trim_matches('"').to_string()).unwrap_or_default()
}
