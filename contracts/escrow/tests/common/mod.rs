//! A cw-multi-test harness for the escrow contract: an `App` with bank balances, the escrow, and
//! a tiny stand-in for the market contract that drives the escrow and records the hooks it
//! receives.
#![allow(dead_code)]

use std::fmt::Debug;

use cosmwasm_std::{
    Addr, Binary, Coin, DecCoin, Decimal, Decimal256, Deps, DepsMut, Empty, Env, Event, MessageInfo, Response,
    StdResult, Uint256, coin, to_json_binary,
};
use cw_multi_test::{App, AppResponse, BankSudo, ContractWrapper, Executor};
use cw_storage_plus::Item;
use leasehold_escrow::msg::{
    AccountId, AccountResponse, AccountScope, ConfigResponse, EscrowHookMsg, EscrowParams, ExecuteMsg, InstantiateMsg,
    MarketHookExecuteMsg, Payment, PaymentId, PaymentsResponse, QueryMsg, RunwayResponse, TakeRate,
};
use leasehold_escrow::{ContractError, contract};

pub const DENOM: &str = "uact";
pub const OTHER: &str = "uakt";

// --- the market stand-in ----------------------------------------------------------------------

/// Hooks the stub received, with their sender.
const HOOKS: Item<Vec<(Addr, EscrowHookMsg)>> = Item::new("hooks");

fn stub_instantiate(deps: DepsMut, _env: Env, _info: MessageInfo, _msg: Empty) -> StdResult<Response> {
    HOOKS.save(deps.storage, &vec![])?;
    Ok(Response::new())
}

fn stub_execute(deps: DepsMut, _env: Env, info: MessageInfo, msg: MarketHookExecuteMsg) -> StdResult<Response> {
    let MarketHookExecuteMsg::EscrowHook(hook) = msg;
    let mut hooks = HOOKS.load(deps.storage)?;
    hooks.push((info.sender, hook));
    HOOKS.save(deps.storage, &hooks)?;
    Ok(Response::new())
}

fn stub_query(deps: Deps, _env: Env, _msg: Empty) -> StdResult<Binary> {
    to_json_binary(&HOOKS.load(deps.storage)?)
}

// --- the suite ----------------------------------------------------------------------------------

pub struct Suite {
    pub app: App,
    pub escrow: Addr,
    /// The market stub; the only address allowed to open and close accounts and payments.
    pub market: Addr,
    pub admin: Addr,
    pub pool: Addr,
    pub escrow_code: u64,
}

pub fn default_params(pool: &Addr) -> EscrowParams {
    EscrowParams {
        take_rates: vec![TakeRate { denom: OTHER.into(), rate: Decimal::percent(20) }],
        default_take_rate: Decimal::zero(),
        community_pool: pool.to_string(),
        deposit_minimums: vec![],
        default_deposit_minimum: Uint256::one(),
    }
}

impl Suite {
    /// Take rate 0 for `uact`, 20 % for `uakt`.
    pub fn new() -> Self {
        Self::build(default_params)
    }

    pub fn with_take(default_take_rate: Decimal) -> Self {
        Self::build(|pool| EscrowParams { default_take_rate, ..default_params(pool) })
    }

    pub fn build(params: impl FnOnce(&Addr) -> EscrowParams) -> Self {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let pool = app.api().addr_make("community-pool");
        let deployer = app.api().addr_make("deployer");
        let stub = app.store_code(Box::new(ContractWrapper::new(stub_execute, stub_instantiate, stub_query)));
        let market = app.instantiate_contract(stub, deployer.clone(), &Empty {}, &[], "market", None).unwrap();
        let escrow_code = app.store_code(Box::new(
            ContractWrapper::new(contract::execute, contract::instantiate, contract::query)
                .with_migrate(contract::migrate),
        ));
        let msg =
            InstantiateMsg { admin: Some(admin.to_string()), params: params(&pool), market: Some(market.to_string()) };
        let escrow =
            app.instantiate_contract(escrow_code, deployer, &msg, &[], "escrow", Some(admin.to_string())).unwrap();
        Self { app, escrow, market, admin, pool, escrow_code }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn mint(&mut self, to: &Addr, amount: Uint256, denom: &str) {
        self.app
            .sudo(BankSudo::Mint { to_address: to.to_string(), amount: vec![Coin::new(amount, denom)] }.into())
            .unwrap();
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b| {
            b.height += blocks;
            b.time = b.time.plus_seconds(6 * blocks);
        });
    }

    pub fn set_height(&mut self, height: u64) {
        let now = self.height();
        assert!(height >= now, "blocks only move forward");
        self.advance(height - now);
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> StdResult<AppResponse> {
        self.app.execute_contract(sender.clone(), self.escrow.clone(), msg, funds)
    }

    /// Executes as the market, minting the funds to it first.
    pub fn exec_market(&mut self, msg: &ExecuteMsg, funds: &[Coin]) -> StdResult<AppResponse> {
        let market = self.market.clone();
        for c in funds {
            if !c.amount.is_zero() {
                self.mint(&market, c.amount, &c.denom);
            }
        }
        self.exec(&market, msg, funds)
    }

    /// Executes as `sender`, minting the funds to it first.
    pub fn exec_funded(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> StdResult<AppResponse> {
        for c in funds {
            if !c.amount.is_zero() {
                self.mint(sender, c.amount, &c.denom);
            }
        }
        self.exec(sender, msg, funds)
    }

    pub fn open_account(&mut self, id: &AccountId, owner: &Addr, amount: u128) -> AppResponse {
        self.exec_market(&ExecuteMsg::OpenAccount { id: id.clone(), owner: owner.to_string() }, &[coin(amount, DENOM)])
            .unwrap()
    }

    pub fn deposit(&mut self, id: &AccountId, from: &Addr, amount: u128) -> StdResult<AppResponse> {
        self.exec_funded(from, &ExecuteMsg::Deposit { id: id.clone() }, &[coin(amount, DENOM)])
    }

    pub fn create_payment(&mut self, id: &PaymentId, payee: &Addr, rate: &str) -> StdResult<AppResponse> {
        self.exec_market(
            &ExecuteMsg::CreatePayment { id: id.clone(), payee: payee.to_string(), rate: dec_coin(rate, DENOM) },
            &[],
        )
    }

    pub fn close_payment(&mut self, id: &PaymentId) -> StdResult<AppResponse> {
        self.exec_market(&ExecuteMsg::ClosePayment { id: id.clone() }, &[])
    }

    pub fn close_account(&mut self, id: &AccountId) -> StdResult<AppResponse> {
        self.exec_market(&ExecuteMsg::CloseAccount { id: id.clone() }, &[])
    }

    pub fn withdraw(&mut self, id: &PaymentId, payee: &Addr) -> StdResult<AppResponse> {
        self.exec(payee, &ExecuteMsg::Withdraw { id: id.clone() }, &[])
    }

    pub fn settle(&mut self, id: &AccountId) -> StdResult<AppResponse> {
        let anyone = self.addr("anyone");
        self.exec(&anyone, &ExecuteMsg::Settle { id: id.clone() }, &[])
    }

    pub fn config(&self) -> ConfigResponse {
        self.app.wrap().query_wasm_smart(self.escrow.clone(), &QueryMsg::Config {}).unwrap()
    }

    pub fn try_account(&self, id: &AccountId) -> StdResult<AccountResponse> {
        self.app.wrap().query_wasm_smart(self.escrow.clone(), &QueryMsg::Account { id: id.clone() })
    }

    pub fn account(&self, id: &AccountId) -> AccountResponse {
        self.try_account(id).unwrap()
    }

    pub fn try_payment(&self, id: &PaymentId) -> StdResult<Payment> {
        self.app.wrap().query_wasm_smart(self.escrow.clone(), &QueryMsg::Payment { id: id.clone() })
    }

    pub fn payment(&self, id: &PaymentId) -> Payment {
        self.try_payment(id).unwrap()
    }

    pub fn payments(&self, account: &AccountId, start_after: Option<String>, limit: Option<u32>) -> Vec<Payment> {
        let msg = QueryMsg::Payments { account: account.clone(), start_after, limit };
        let r: PaymentsResponse = self.app.wrap().query_wasm_smart(self.escrow.clone(), &msg).unwrap();
        r.payments
    }

    pub fn payments_by_payee(&self, payee: &Addr, start_after: Option<PaymentId>, limit: Option<u32>) -> Vec<Payment> {
        let msg = QueryMsg::PaymentsByPayee { payee: payee.to_string(), start_after, limit };
        let r: PaymentsResponse = self.app.wrap().query_wasm_smart(self.escrow.clone(), &msg).unwrap();
        r.payments
    }

    pub fn try_runway(&self, id: &AccountId, block_time_ms: Option<u64>) -> StdResult<RunwayResponse> {
        self.app.wrap().query_wasm_smart(self.escrow.clone(), &QueryMsg::Runway { id: id.clone(), block_time_ms })
    }

    pub fn runway(&self, id: &AccountId, block_time_ms: Option<u64>) -> RunwayResponse {
        self.try_runway(id, block_time_ms).unwrap()
    }

    pub fn balance(&self, who: &Addr) -> Uint256 {
        self.balance_of(who, DENOM)
    }

    pub fn balance_of(&self, who: &Addr, denom: &str) -> Uint256 {
        self.app.wrap().query_balance(who.clone(), denom).unwrap().amount
    }

    /// Hooks the market stub received (sender, hook).
    pub fn hooks(&self) -> Vec<(Addr, EscrowHookMsg)> {
        self.app.wrap().query_wasm_smart(self.market.clone(), &Empty {}).unwrap()
    }
}

pub fn deployment(name: &str) -> AccountId {
    AccountId { scope: AccountScope::Deployment, xid: format!("{name}/1") }
}

pub fn bid_account(name: &str) -> AccountId {
    AccountId { scope: AccountScope::Bid, xid: format!("{name}/1/1/1/provider") }
}

pub fn payment_id(account: &AccountId, xid: &str) -> PaymentId {
    PaymentId { account: account.clone(), xid: xid.into() }
}

pub fn dec(s: &str) -> Decimal256 {
    s.parse().unwrap()
}

pub fn dec_coin(amount: &str, denom: &str) -> DecCoin {
    DecCoin::new(dec(amount), denom)
}

pub fn u(n: u128) -> Uint256 {
    Uint256::from(n)
}

/// Asserts that `res` failed with exactly `expected` (multi-test keeps only the message).
#[track_caller]
pub fn assert_err<T: Debug>(res: StdResult<T>, expected: ContractError) {
    let err = res.expect_err("expected an error");
    let msg = err.to_string();
    assert!(msg.contains(&expected.to_string()), "error {msg:?} is not {:?}", expected.to_string());
}

/// Asserts that `res` failed with an error whose message contains `needle`.
#[track_caller]
pub fn assert_err_contains<T: Debug>(res: StdResult<T>, needle: &str) {
    let err = res.expect_err("expected an error");
    let msg = err.to_string();
    assert!(msg.contains(needle), "error {msg:?} does not contain {needle:?}");
}

/// The first wasm event of this type emitted in the response.
#[track_caller]
pub fn event<'a>(res: &'a AppResponse, ty: &str) -> &'a Event {
    let ty = format!("wasm-{ty}");
    res.events.iter().find(|e| e.ty == ty).unwrap_or_else(|| panic!("no {ty} event in {:?}", res.events))
}

pub fn events<'a>(res: &'a AppResponse, ty: &str) -> Vec<&'a Event> {
    let ty = format!("wasm-{ty}");
    res.events.iter().filter(|e| e.ty == ty).collect()
}

#[track_caller]
pub fn attr(e: &Event, key: &str) -> String {
    e.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_else(|| panic!("no attribute {key} in {e:?}"))
}

/// The `action` attribute of the escrow's own `wasm` event.
pub fn action(res: &AppResponse) -> String {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == "action")
        .map(|a| a.value.clone())
        .unwrap_or_default()
}
