//! Execute handlers, one per `ExecuteMsg` variant, and the storage side of settlement.

use std::collections::BTreeSet;

use cosmwasm_std::{
    Addr, BankMsg, Coin, CosmosMsg, DecCoin, Decimal256, DepsMut, Empty, Env, Event, MessageInfo, Order, Response,
    Storage, Uint256, WasmMsg, to_json_binary, to_json_string,
};
use leasehold_types::escrow::{
    Account, AccountId, AccountScope, AccountState, Config, Depositor, EscrowHookMsg, EscrowParams, MAX_CLOSE_BATCH,
    MAX_PAYMENTS, MAX_THIRD_PARTY_DEPOSITORS, MAX_XID_LEN, MarketHookExecuteMsg, Payment, PaymentId, PaymentState,
};
use leasehold_types::funds::{nonpayable, one_coin};
use leasehold_types::validation::check_text;
use leasehold_types::{ValidationError, validation};

use crate::error::ContractError;
use crate::settlement::{self, Overdraft, Payout};
use crate::state::{ACCOUNTS, CONFIG, DEPOSITORS, OPEN_PAYMENTS, PAYEE_PAYMENTS, PAYMENTS, PENDING_ADMIN};

// ---------------------------------------------------------------------------------------------
// Checks shared by the handlers
// ---------------------------------------------------------------------------------------------

fn only_market(cfg: &Config, info: &MessageInfo, action: &str) -> Result<(), ContractError> {
    if info.sender == cfg.market { Ok(()) } else { Err(ContractError::unauthorized(action, &info.sender)) }
}

fn only_admin(cfg: &Config, info: &MessageInfo, action: &str) -> Result<(), ContractError> {
    if cfg.admin.as_ref() == Some(&info.sender) {
        Ok(())
    } else {
        Err(ContractError::unauthorized(action, &info.sender))
    }
}

fn check_account_id(id: &AccountId) -> Result<(), ContractError> {
    check_text("id.xid", &id.xid, true, MAX_XID_LEN)?;
    Ok(())
}

fn check_payment_id(id: &PaymentId) -> Result<(), ContractError> {
    check_text("id.account.xid", &id.account.xid, true, MAX_XID_LEN)?;
    check_text("id.xid", &id.xid, true, MAX_XID_LEN)?;
    Ok(())
}

/// Checks the params: every rate at most 1, every deposit minimum at least 1, one entry per
/// denom in each list, the community pool a valid address other than the escrow (`escrow`)
/// itself.
pub(crate) fn validate_params(deps: &DepsMut, escrow: &Addr, params: &EscrowParams) -> Result<(), ContractError> {
    let out_of_range =
        |field: String, value: String| ValidationError::OutOfRange { field, value, min: "0".into(), max: "1".into() };
    if params.default_take_rate > cosmwasm_std::Decimal::one() {
        return Err(out_of_range("params.default_take_rate".into(), params.default_take_rate.to_string()).into());
    }
    for (i, t) in params.take_rates.iter().enumerate() {
        validation::check_text(&format!("params.take_rates[{i}].denom"), &t.denom, true, 128)?;
        if t.rate > cosmwasm_std::Decimal::one() {
            return Err(out_of_range(format!("params.take_rates[{i}].rate"), t.rate.to_string()).into());
        }
        if params.take_rates[..i].iter().any(|o| o.denom == t.denom) {
            return Err(ValidationError::Duplicate { field: "params.take_rates".into(), value: t.denom.clone() }.into());
        }
    }
    let below_one = |field: String, value: Uint256| ValidationError::OutOfRange {
        field,
        value: value.to_string(),
        min: "1".into(),
        max: Uint256::MAX.to_string(),
    };
    if params.default_deposit_minimum.is_zero() {
        return Err(below_one("params.default_deposit_minimum".into(), params.default_deposit_minimum).into());
    }
    for (i, m) in params.deposit_minimums.iter().enumerate() {
        validation::check_text(&format!("params.deposit_minimums[{i}].denom"), &m.denom, true, 128)?;
        if m.amount.is_zero() {
            return Err(below_one(format!("params.deposit_minimums[{i}].amount"), m.amount).into());
        }
        if params.deposit_minimums[..i].iter().any(|o| o.denom == m.denom) {
            return Err(
                ValidationError::Duplicate { field: "params.deposit_minimums".into(), value: m.denom.clone() }.into()
            );
        }
    }
    let pool = deps.api.addr_validate(&params.community_pool)?;
    if pool == *escrow {
        return Err(ContractError::CommunityPoolIsEscrow { address: pool.to_string() });
    }
    Ok(())
}

pub(crate) fn load_account(storage: &dyn Storage, id: &AccountId) -> Result<Account, ContractError> {
    ACCOUNTS.may_load(storage, &id.key())?.ok_or_else(|| ContractError::AccountNotFound { id: id.to_string() })
}

pub(crate) fn load_payment(storage: &dyn Storage, id: &PaymentId) -> Result<Payment, ContractError> {
    PAYMENTS
        .may_load(storage, (&id.account.key(), &id.xid))?
        .ok_or_else(|| ContractError::PaymentNotFound { id: id.to_string() })
}

/// The open payments of an account (at most `MAX_PAYMENTS`).
pub(crate) fn load_open_payments(storage: &dyn Storage, account: &Account) -> Result<Vec<Payment>, ContractError> {
    let key = account.id.key();
    let xids = OPEN_PAYMENTS
        .prefix(&key)
        .keys(storage, None, None, Order::Ascending)
        .take(MAX_PAYMENTS + 1)
        .collect::<Result<Vec<String>, _>>()?;
    if xids.len() > MAX_PAYMENTS {
        return Err(ContractError::inconsistent("more open payments than allowed"));
    }
    xids.iter()
        .map(|xid| {
            PAYMENTS.may_load(storage, (&key, xid))?.ok_or_else(|| ContractError::inconsistent("open payment missing"))
        })
        .collect()
}

/// Saves a settled account and prunes its depositor entries that are spent for good (the list
/// is written only when that changes it).
pub(crate) fn save_account(storage: &mut dyn Storage, account: &Account) -> Result<(), ContractError> {
    let key = account.id.key();
    ACCOUNTS.save(storage, &key, account)?;
    if let Some(stored) = DEPOSITORS.may_load(storage, &key)? {
        let pruned = settlement::prune_spent(account, stored.clone())?;
        if pruned != stored {
            DEPOSITORS.save(storage, &key, &pruned)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Settlement against storage
// ---------------------------------------------------------------------------------------------

/// An overdraft applied in memory: the stopped payments and what each is paid.
#[derive(Debug)]
pub struct OverdraftOutcome {
    pub overdraft: Overdraft,
    pub payments: Vec<(Payment, Payout)>,
}

/// Settles `account` (in memory) to `height`. When that overdraws, loads its open payments,
/// applies the overdraft and pays each payment out, all in memory. Writes nothing: the
/// queries use it for their settled view, the handlers then write its effects.
pub fn settle_in_memory(
    storage: &dyn Storage,
    params: &EscrowParams,
    account: &mut Account,
    height: u64,
) -> Result<Option<OverdraftOutcome>, ContractError> {
    let Some(overdraft) = settlement::settle(account, height)? else {
        return Ok(None);
    };
    let mut payments = load_open_payments(storage, account)?;
    settlement::apply_overdraft(account, &mut payments, height, &overdraft)?;
    let take_rate = settlement::take_rate(params, &account.denom);
    let payments = payments
        .into_iter()
        .map(|mut p| settlement::pay_out(&mut p, take_rate).map(|payout| (p, payout)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(OverdraftOutcome { overdraft, payments }))
}

/// Bank transfers of one payout (zero amounts skipped).
fn payout_msgs(cfg: &Config, payee: &Addr, denom: &str, payout: &Payout) -> Vec<CosmosMsg> {
    let mut msgs = Vec::with_capacity(2);
    if !payout.amount.is_zero() {
        msgs.push(
            BankMsg::Send { to_address: payee.to_string(), amount: vec![Coin::new(payout.amount, denom)] }.into(),
        );
    }
    if !payout.take.is_zero() {
        msgs.push(
            BankMsg::Send {
                to_address: cfg.params.community_pool.clone(),
                amount: vec![Coin::new(payout.take, denom)],
            }
            .into(),
        );
    }
    msgs
}

fn payment_state_str(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Open => "open",
        PaymentState::Overdrawn => "overdrawn",
        PaymentState::Closed => "closed",
    }
}

fn account_state_str(state: AccountState) -> &'static str {
    match state {
        AccountState::Open => "open",
        AccountState::Overdrawn => "overdrawn",
        AccountState::Closed => "closed",
    }
}

fn payment_closed_event(p: &Payment, payout: &Payout) -> Event {
    Event::new("escrow-payment-closed")
        .add_attribute("account", p.id.account.to_string())
        .add_attribute("payment", p.id.xid.clone())
        .add_attribute("payee", p.payee.to_string())
        .add_attribute("state", payment_state_str(p.state))
        .add_attribute("accrued", p.accrued.to_string())
        .add_attribute("amount", payout.amount.to_string())
        .add_attribute("take", payout.take.to_string())
        .add_attribute("denom", p.rate.denom.clone())
}

/// Removes a stopped payment from the open-payment indexes and saves it.
fn save_stopped_payment(storage: &mut dyn Storage, p: &Payment) -> Result<(), ContractError> {
    let key = p.id.account.key();
    OPEN_PAYMENTS.remove(storage, (&key, &p.id.xid));
    PAYEE_PAYMENTS.remove(storage, (&p.payee, &key, &p.id.xid));
    PAYMENTS.save(storage, (&key, &p.id.xid), p)?;
    Ok(())
}

/// Writes an overdraft's payments, pays them, emits `escrow-payment-closed` per payment and
/// `escrow-overdrawn`, and tells the market (deployment accounts). The account itself is saved
/// by the caller.
fn commit_overdraft(
    storage: &mut dyn Storage,
    cfg: &Config,
    account: &Account,
    outcome: OverdraftOutcome,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let mut xids = Vec::with_capacity(outcome.payments.len());
    for (p, payout) in &outcome.payments {
        save_stopped_payment(storage, p)?;
        resp = resp
            .add_messages(payout_msgs(cfg, &p.payee, &account.denom, payout))
            .add_event(payment_closed_event(p, payout));
        xids.push(p.id.xid.clone());
    }
    let shortfall = outcome.overdraft.shortfall;
    resp = resp.add_event(
        Event::new("escrow-overdrawn")
            .add_attribute("account", account.id.to_string())
            .add_attribute("funded_until", outcome.overdraft.funded_until.to_string())
            .add_attribute("shortfall", shortfall.to_string())
            .add_attribute("payments", to_json_string(&xids)?)
            .add_attribute("balance", settlement::balance(account)?.to_string())
            .add_attribute("denom", account.denom.clone()),
    );
    if account.id.scope == AccountScope::Deployment {
        let hook = MarketHookExecuteMsg::EscrowHook(EscrowHookMsg::AccountOverdrawn {
            account: account.id.clone(),
            payments: xids,
            funded_until: outcome.overdraft.funded_until,
        });
        resp = resp.add_message(WasmMsg::Execute {
            contract_addr: cfg.market.to_string(),
            msg: to_json_binary(&hook)?,
            funds: vec![],
        });
    }
    Ok(resp)
}

/// Settles and writes the overdraft effects, if any (not the account: callers save it).
fn settle_and_commit(
    storage: &mut dyn Storage,
    cfg: &Config,
    account: &mut Account,
    height: u64,
    resp: Response,
) -> Result<Response, ContractError> {
    match settle_in_memory(storage, &cfg.params, account, height)? {
        Some(outcome) => commit_overdraft(storage, cfg, account, outcome, resp),
        None => Ok(resp),
    }
}

/// Stops an open payment as `Closed` (the account is already settled), pays it out, writes it.
fn close_open_payment(
    storage: &mut dyn Storage,
    cfg: &Config,
    account: &mut Account,
    payment: &mut Payment,
    resp: Response,
) -> Result<Response, ContractError> {
    settlement::stop_payment(account, payment, PaymentState::Closed)?;
    let payout = settlement::pay_out(payment, settlement::take_rate(&cfg.params, &account.denom))?;
    save_stopped_payment(storage, payment)?;
    Ok(resp
        .add_messages(payout_msgs(cfg, &payment.payee, &account.denom, &payout))
        .add_event(payment_closed_event(payment, &payout)))
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

pub fn open_account(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: AccountId,
    owner: String,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only_market(&cfg, &info, "open_account")?;
    check_account_id(&id)?;
    let owner = deps.api.addr_validate(&owner)?;
    let coin = one_coin(&info, "open_account")?;
    settlement::whole(coin.amount)?;
    let key = id.key();
    if ACCOUNTS.has(deps.storage, &key) {
        return Err(ContractError::AccountExists { id: id.to_string() });
    }
    let account = Account {
        id: id.clone(),
        owner: owner.clone(),
        state: AccountState::Open,
        denom: coin.denom.clone(),
        deposited: coin.amount,
        refunded: Uint256::zero(),
        charged: Decimal256::zero(),
        rate: Decimal256::zero(),
        settled_at: env.block.height,
        open_payments: 0,
    };
    let depositors = vec![Depositor {
        address: owner.clone(),
        height: env.block.height,
        amount: coin.amount,
        remaining: coin.amount,
    }];
    ACCOUNTS.save(deps.storage, &key, &account)?;
    DEPOSITORS.save(deps.storage, &key, &depositors)?;
    let scope = match id.scope {
        AccountScope::Deployment => "deployment",
        AccountScope::Bid => "bid",
    };
    Ok(Response::new().add_attribute("action", "open_account").add_event(
        Event::new("escrow-account-opened")
            .add_attribute("account", id.to_string())
            .add_attribute("scope", scope)
            .add_attribute("owner", owner.to_string())
            .add_attribute("amount", coin.amount.to_string())
            .add_attribute("denom", coin.denom),
    ))
}

pub fn deposit(deps: DepsMut, env: Env, info: MessageInfo, id: AccountId) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut account = load_account(deps.storage, &id)?;
    if account.state == AccountState::Closed {
        return Err(ContractError::AccountClosed { id: id.to_string() });
    }
    let coin = one_coin(&info, "deposit")?;
    if coin.denom != account.denom {
        return Err(ContractError::WrongDenom { expected: account.denom, found: coin.denom });
    }
    let third_party = info.sender != account.owner;
    if third_party {
        let minimum = settlement::deposit_minimum(&cfg.params, &account.denom);
        if coin.amount < minimum {
            return Err(ContractError::DepositTooSmall {
                id: id.to_string(),
                amount: coin.amount.to_string(),
                minimum: minimum.to_string(),
                denom: coin.denom,
            });
        }
    }
    let height = env.block.height;
    let mut resp = Response::new().add_attribute("action", "deposit");
    resp = settle_and_commit(deps.storage, &cfg, &mut account, height, resp)?;

    let reopened = account.state == AccountState::Overdrawn;
    if reopened {
        // No debt exists in this model: the account simply starts again from now.
        account.state = AccountState::Open;
        account.settled_at = height;
        account.rate = Decimal256::zero();
        account.open_payments = 0;
    }

    let key = id.key();
    // Entries spent for good go first, so they neither count against the cap nor take merges.
    let stored = DEPOSITORS.may_load(deps.storage, &key)?.unwrap_or_default();
    let mut depositors = settlement::prune_spent(&account, stored)?;
    account.deposited = account.deposited.checked_add(coin.amount).map_err(|_| ContractError::overflow("deposited"))?;
    settlement::whole(account.deposited)?;
    match depositors.iter_mut().find(|d| d.address == info.sender) {
        Some(entry) => {
            entry.amount = entry.amount.checked_add(coin.amount).map_err(|_| ContractError::overflow("deposit"))?;
        }
        None => {
            if third_party {
                let others = depositors.iter().filter(|d| d.address != account.owner).count();
                if others >= MAX_THIRD_PARTY_DEPOSITORS {
                    return Err(ContractError::TooManyDepositors {
                        id: id.to_string(),
                        max: MAX_THIRD_PARTY_DEPOSITORS,
                    });
                }
            }
            depositors.push(Depositor {
                address: info.sender.clone(),
                height,
                amount: coin.amount,
                remaining: Uint256::zero(),
            });
        }
    }
    let depositors = settlement::with_remaining(&account, depositors)?;
    ACCOUNTS.save(deps.storage, &key, &account)?;
    DEPOSITORS.save(deps.storage, &key, &depositors)?;
    Ok(resp.add_event(
        Event::new("escrow-deposited")
            .add_attribute("account", id.to_string())
            .add_attribute("depositor", info.sender.to_string())
            .add_attribute("amount", coin.amount.to_string())
            .add_attribute("denom", coin.denom)
            .add_attribute("balance", settlement::balance(&account)?.to_string())
            .add_attribute("reopened", reopened.to_string())
            .add_attribute("third_party", third_party.to_string()),
    ))
}

pub fn create_payment(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: PaymentId,
    payee: String,
    rate: DecCoin,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only_market(&cfg, &info, "create_payment")?;
    nonpayable(&info, "create_payment")?;
    check_payment_id(&id)?;
    let payee = deps.api.addr_validate(&payee)?;
    let mut account = load_account(deps.storage, &id.account)?;
    if account.id.scope != AccountScope::Deployment {
        return Err(ContractError::WrongScope { id: account.id.to_string(), scope: "bid".into() });
    }
    match account.state {
        AccountState::Open => {}
        AccountState::Overdrawn => return Err(ContractError::AccountOverdrawn { id: account.id.to_string() }),
        AccountState::Closed => return Err(ContractError::AccountClosed { id: account.id.to_string() }),
    }
    // An overdraft found here reverts with the error (the market learns of it on the next
    // settlement, which will find it again).
    if settlement::settle(&mut account, env.block.height)?.is_some() {
        return Err(ContractError::AccountOverdrawn { id: account.id.to_string() });
    }
    let key = account.id.key();
    if PAYMENTS.has(deps.storage, (&key, &id.xid)) {
        return Err(ContractError::PaymentExists { id: id.to_string() });
    }
    if rate.denom != account.denom {
        return Err(ContractError::WrongDenom { expected: account.denom, found: rate.denom });
    }
    if rate.amount.is_zero() {
        return Err(ContractError::ZeroRate {});
    }
    if account.open_payments as usize >= MAX_PAYMENTS {
        return Err(ContractError::TooManyPayments { id: account.id.to_string(), max: MAX_PAYMENTS });
    }
    // The balance must fund at least one block of every open payment including this one.
    let new_rate = account.rate.checked_add(rate.amount).map_err(|_| ContractError::overflow("account rate"))?;
    let balance = settlement::balance(&account)?;
    if balance < new_rate {
        return Err(ContractError::InsufficientFunds {
            id: account.id.to_string(),
            balance: balance.to_string(),
            needed: new_rate.to_string(),
        });
    }
    let take_rate = settlement::take_rate(&cfg.params, &account.denom);
    let payment = Payment {
        id: id.clone(),
        payee: payee.clone(),
        state: PaymentState::Open,
        rate: rate.clone(),
        accrued: Decimal256::zero(),
        settled_at: account.settled_at,
        withdrawn: Uint256::zero(),
        take: Uint256::zero(),
        take_rate: Some(take_rate),
    };
    account.rate = new_rate;
    account.open_payments += 1;
    PAYMENTS.save(deps.storage, (&key, &id.xid), &payment)?;
    OPEN_PAYMENTS.save(deps.storage, (&key, &id.xid), &Empty {})?;
    PAYEE_PAYMENTS.save(deps.storage, (&payee, &key, &id.xid), &Empty {})?;
    save_account(deps.storage, &account)?;
    Ok(Response::new().add_attribute("action", "create_payment").add_event(
        Event::new("escrow-payment-created")
            .add_attribute("account", account.id.to_string())
            .add_attribute("payment", id.xid)
            .add_attribute("payee", payee.to_string())
            .add_attribute("rate", rate.amount.to_string())
            .add_attribute("denom", rate.denom)
            .add_attribute("account_rate", account.rate.to_string())
            .add_attribute("take_rate", take_rate.to_string()),
    ))
}

pub fn close_payment(deps: DepsMut, env: Env, info: MessageInfo, id: PaymentId) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only_market(&cfg, &info, "close_payment")?;
    nonpayable(&info, "close_payment")?;
    load_payment(deps.storage, &id)?;
    let mut account = load_account(deps.storage, &id.account)?;
    let mut resp = Response::new().add_attribute("action", "close_payment");
    resp = settle_and_commit(deps.storage, &cfg, &mut account, env.block.height, resp)?;
    let mut payment = load_payment(deps.storage, &id)?;
    if payment.state != PaymentState::Open {
        // Already stopped (overdrawn, possibly just now, or closed): nothing to do.
        save_account(deps.storage, &account)?;
        return Ok(resp.add_attribute("payment_state", payment_state_str(payment.state)));
    }
    resp = close_open_payment(deps.storage, &cfg, &mut account, &mut payment, resp)?;
    save_account(deps.storage, &account)?;
    Ok(resp.add_attribute("payment_state", payment_state_str(payment.state)))
}

/// Market only. Closes one account (`close_one`).
pub fn close_account(deps: DepsMut, env: Env, info: MessageInfo, id: AccountId) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only_market(&cfg, &info, "close_account")?;
    nonpayable(&info, "close_account")?;
    let resp = Response::new().add_attribute("action", "close_account");
    close_one(deps.storage, &cfg, env.block.height, &id, resp)
}

/// Market only. Closes up to `MAX_CLOSE_BATCH` distinct accounts, each with `close_one`;
/// any failure reverts them all.
pub fn close_accounts(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    ids: Vec<AccountId>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only_market(&cfg, &info, "close_accounts")?;
    nonpayable(&info, "close_accounts")?;
    if ids.len() > MAX_CLOSE_BATCH {
        return Err(ContractError::BatchTooLarge { count: ids.len(), max: MAX_CLOSE_BATCH });
    }
    let mut seen = BTreeSet::new();
    for id in &ids {
        if !seen.insert(id) {
            return Err(ContractError::DuplicateId { id: id.to_string() });
        }
    }
    let mut resp =
        Response::new().add_attribute("action", "close_accounts").add_attribute("count", ids.len().to_string());
    for id in &ids {
        resp = close_one(deps.storage, &cfg, env.block.height, id, resp)?;
    }
    Ok(resp)
}

/// Closes one account at `height`: settles it (an overdraft found is committed and reported),
/// closes every open payment paying each payee, refunds the depositors first-in-first-out,
/// marks the account `Closed` and drops its depositor list (the `escrow-refunded` events record
/// where the funds went). Unknown and already closed accounts are errors.
fn close_one(
    storage: &mut dyn Storage,
    cfg: &Config,
    height: u64,
    id: &AccountId,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let mut account = load_account(storage, id)?;
    if account.state == AccountState::Closed {
        return Err(ContractError::AccountClosed { id: id.to_string() });
    }
    resp = settle_and_commit(storage, cfg, &mut account, height, resp)?;
    for mut payment in load_open_payments(storage, &account)? {
        resp = close_open_payment(storage, cfg, &mut account, &mut payment, resp)?;
    }
    if account.open_payments != 0 || !account.rate.is_zero() {
        return Err(ContractError::inconsistent("payments still open after closing them all"));
    }

    // Refund first-in-first-out.
    let key = id.key();
    let depositors = DEPOSITORS.may_load(storage, &key)?.unwrap_or_default();
    let offset = settlement::entries_offset(&account, &depositors)?;
    let remaining = settlement::fifo_remaining(&depositors, offset, settlement::spent(&account)?)?;
    let mut total = Uint256::zero();
    let mut refunds = Vec::new();
    for (d, r) in depositors.iter().zip(remaining) {
        if r.is_zero() {
            continue;
        }
        total = total.checked_add(r).map_err(|_| ContractError::overflow("refunds"))?;
        refunds.push((d.address.clone(), r));
    }
    account.refunded = account.refunded.checked_add(total).map_err(|_| ContractError::overflow("refunded"))?;
    let left = settlement::balance(&account)?;
    if !left.is_zero() {
        return Err(ContractError::inconsistent(format!("{left} {} left after closing {id}", account.denom)));
    }
    account.state = AccountState::Closed;
    ACCOUNTS.save(storage, &key, &account)?;
    DEPOSITORS.remove(storage, &key);

    for (address, amount) in refunds {
        resp = resp
            .add_message(BankMsg::Send {
                to_address: address.to_string(),
                amount: vec![Coin::new(amount, &account.denom)],
            })
            .add_event(
                Event::new("escrow-refunded")
                    .add_attribute("account", id.to_string())
                    .add_attribute("depositor", address.to_string())
                    .add_attribute("amount", amount.to_string())
                    .add_attribute("denom", account.denom.clone()),
            );
    }
    Ok(resp.add_event(
        Event::new("escrow-closed")
            .add_attribute("account", id.to_string())
            .add_attribute("refunded", total.to_string())
            .add_attribute("denom", account.denom.clone()),
    ))
}

pub fn withdraw(deps: DepsMut, env: Env, info: MessageInfo, id: PaymentId) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    nonpayable(&info, "withdraw")?;
    let payment = load_payment(deps.storage, &id)?;
    if info.sender != payment.payee {
        return Err(ContractError::unauthorized("withdraw", &info.sender));
    }
    let mut account = load_account(deps.storage, &id.account)?;
    let mut resp = Response::new().add_attribute("action", "withdraw");
    resp = settle_and_commit(deps.storage, &cfg, &mut account, env.block.height, resp)?;
    // Reload: an overdraft just found has stopped and paid it.
    let mut payment = load_payment(deps.storage, &id)?;
    settlement::sync_payment(&account, &mut payment)?;
    let payout = settlement::pay_out(&mut payment, settlement::take_rate(&cfg.params, &account.denom))?;
    let key = account.id.key();
    PAYMENTS.save(deps.storage, (&key, &id.xid), &payment)?;
    save_account(deps.storage, &account)?;
    Ok(resp.add_messages(payout_msgs(&cfg, &payment.payee, &account.denom, &payout)).add_event(
        Event::new("escrow-withdrawn")
            .add_attribute("account", account.id.to_string())
            .add_attribute("payment", id.xid)
            .add_attribute("payee", payment.payee.to_string())
            .add_attribute("amount", payout.amount.to_string())
            .add_attribute("take", payout.take.to_string())
            .add_attribute("denom", account.denom.clone()),
    ))
}

pub fn settle(deps: DepsMut, env: Env, info: MessageInfo, id: AccountId) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    nonpayable(&info, "settle")?;
    let mut account = load_account(deps.storage, &id)?;
    let mut resp = Response::new().add_attribute("action", "settle");
    resp = settle_and_commit(deps.storage, &cfg, &mut account, env.block.height, resp)?;
    save_account(deps.storage, &account)?;
    Ok(resp.add_event(
        Event::new("escrow-settled")
            .add_attribute("account", id.to_string())
            .add_attribute("state", account_state_str(account.state))
            .add_attribute("settled_at", account.settled_at.to_string())
            .add_attribute("balance", settlement::balance(&account)?.to_string())
            .add_attribute("rate", account.rate.to_string())
            .add_attribute("denom", account.denom.clone()),
    ))
}

pub fn update_params(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    params: EscrowParams,
) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    only_admin(&cfg, &info, "update_params")?;
    nonpayable(&info, "update_params")?;
    validate_params(&deps, &env.contract.address, &params)?;
    cfg.params = params;
    CONFIG.save(deps.storage, &cfg)?;
    let take_rates = cfg.params.take_rates.iter().map(|t| format!("{}:{}", t.denom, t.rate)).collect::<Vec<_>>();
    let minimums = cfg.params.deposit_minimums.iter().map(|m| format!("{}:{}", m.denom, m.amount)).collect::<Vec<_>>();
    Ok(Response::new().add_attribute("action", "update_params").add_event(
        Event::new("escrow-params-updated")
            .add_attribute("default_take_rate", cfg.params.default_take_rate.to_string())
            .add_attribute("take_rates", take_rates.join(","))
            .add_attribute("community_pool", cfg.params.community_pool)
            .add_attribute("deposit_minimums", minimums.join(","))
            .add_attribute("default_deposit_minimum", cfg.params.default_deposit_minimum.to_string()),
    ))
}

/// Admin only. Records `admin` as the proposed next admin (replacing any earlier proposal).
pub fn propose_admin(deps: DepsMut, info: MessageInfo, admin: String) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only_admin(&cfg, &info, "propose_admin")?;
    nonpayable(&info, "propose_admin")?;
    let proposed = deps.api.addr_validate(&admin)?;
    PENDING_ADMIN.save(deps.storage, &proposed)?;
    Ok(Response::new().add_attribute("action", "propose_admin").add_event(
        Event::new("escrow-admin-proposed")
            .add_attribute("admin", info.sender.to_string())
            .add_attribute("proposed", proposed.to_string()),
    ))
}

/// The proposed admin only. Makes the sender the admin and clears the proposal.
pub fn accept_admin(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let pending = PENDING_ADMIN.may_load(deps.storage)?;
    if pending.as_ref() != Some(&info.sender) {
        return Err(ContractError::unauthorized("accept_admin", &info.sender));
    }
    nonpayable(&info, "accept_admin")?;
    let mut cfg = CONFIG.load(deps.storage)?;
    let previous = cfg.admin.replace(info.sender.clone());
    CONFIG.save(deps.storage, &cfg)?;
    PENDING_ADMIN.remove(deps.storage);
    Ok(Response::new().add_attribute("action", "accept_admin").add_event(
        Event::new("escrow-admin-accepted")
            .add_attribute("previous", previous.map(|a| a.to_string()).unwrap_or_default())
            .add_attribute("admin", info.sender.to_string()),
    ))
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::{MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env};
    use cosmwasm_std::{Decimal, coin, coins};
    use leasehold_types::escrow::InstantiateMsg;
    use leasehold_types::funds::FundsError;

    use super::*;
    use crate::contract::{execute, instantiate};

    const DENOM: &str = "uact";

    struct Ctx {
        deps: cosmwasm_std::OwnedDeps<MockStorage, MockApi, MockQuerier>,
        market: Addr,
        admin: Addr,
        payee: Addr,
        account: AccountId,
        payment: PaymentId,
    }

    /// An escrow with one open account (100 uact) and one open payment (rate 1).
    fn setup() -> Ctx {
        let mut deps = mock_dependencies();
        let market = deps.api.addr_make("market");
        let admin = deps.api.addr_make("admin");
        let payee = deps.api.addr_make("payee");
        let owner = deps.api.addr_make("owner");
        let params = EscrowParams {
            take_rates: vec![],
            default_take_rate: Decimal::zero(),
            community_pool: deps.api.addr_make("pool").to_string(),
            deposit_minimums: vec![],
            default_deposit_minimum: Uint256::one(),
        };
        let msg = InstantiateMsg { admin: Some(admin.to_string()), params, market: None };
        instantiate(deps.as_mut(), mock_env(), message_info(&market, &[]), msg).unwrap();
        let account = AccountId { scope: AccountScope::Deployment, xid: "owner/1".into() };
        let payment = PaymentId { account: account.clone(), xid: "1/1/payee".into() };
        let open = ExecuteMsg::OpenAccount { id: account.clone(), owner: owner.to_string() };
        execute(deps.as_mut(), mock_env(), message_info(&market, &coins(100, DENOM)), open).unwrap();
        let create = ExecuteMsg::CreatePayment {
            id: payment.clone(),
            payee: payee.to_string(),
            rate: DecCoin::new(Decimal256::one(), DENOM),
        };
        execute(deps.as_mut(), mock_env(), message_info(&market, &[]), create).unwrap();
        Ctx { deps, market, admin, payee, account, payment }
    }

    use leasehold_types::escrow::ExecuteMsg;

    /// CT-01: every message that takes no funds refuses them, from its authorised sender.
    #[test]
    fn every_non_payable_message_refuses_funds() {
        let mut c = setup();
        let next = c.deps.api.addr_make("next-admin");
        let params = CONFIG.load(&c.deps.storage).unwrap().params;
        let cases: Vec<(Addr, ExecuteMsg, &str)> = vec![
            (
                c.market.clone(),
                ExecuteMsg::CreatePayment {
                    id: PaymentId { account: c.account.clone(), xid: "2".into() },
                    payee: c.payee.to_string(),
                    rate: DecCoin::new(Decimal256::one(), DENOM),
                },
                "create_payment",
            ),
            (c.market.clone(), ExecuteMsg::ClosePayment { id: c.payment.clone() }, "close_payment"),
            (c.market.clone(), ExecuteMsg::CloseAccount { id: c.account.clone() }, "close_account"),
            (c.market.clone(), ExecuteMsg::CloseAccounts { ids: vec![] }, "close_accounts"),
            (c.payee.clone(), ExecuteMsg::Withdraw { id: c.payment.clone() }, "withdraw"),
            (c.payee.clone(), ExecuteMsg::Settle { id: c.account.clone() }, "settle"),
            (c.admin.clone(), ExecuteMsg::UpdateParams { params }, "update_params"),
            (c.admin.clone(), ExecuteMsg::ProposeAdmin { admin: next.to_string() }, "propose_admin"),
            (next.clone(), ExecuteMsg::AcceptAdmin {}, "accept_admin"),
        ];
        for (sender, msg, action) in cases {
            for funds in [coins(1, DENOM), vec![coin(0, DENOM)], vec![coin(1, DENOM), coin(1, "uakt")]] {
                let err = execute(c.deps.as_mut(), mock_env(), message_info(&sender, &funds), msg.clone()).unwrap_err();
                assert!(
                    matches!(&err, ContractError::Funds(FundsError::NonPayable { action: a }) if a == action),
                    "{action}: {err}"
                );
            }
            // and succeeds without
            execute(c.deps.as_mut(), mock_env(), message_info(&sender, &[]), msg).unwrap();
        }
    }

    /// CT-01: payable messages want exactly one non-zero coin of the right denom.
    #[test]
    fn payable_messages_want_exactly_one_non_zero_coin() {
        let mut c = setup();
        let other = AccountId { scope: AccountScope::Bid, xid: "owner/1/1/1/p".into() };
        let open = ExecuteMsg::OpenAccount { id: other, owner: c.payee.to_string() };
        let deposit = ExecuteMsg::Deposit { id: c.account.clone() };
        for (msg, sender) in [(open, c.market.clone()), (deposit.clone(), c.payee.clone())] {
            for funds in [
                vec![],
                vec![coin(0, DENOM)],
                vec![coin(1, DENOM), coin(2, "uakt")],
                vec![coin(0, DENOM), coin(0, "uakt")],
            ] {
                let err = execute(c.deps.as_mut(), mock_env(), message_info(&sender, &funds), msg.clone()).unwrap_err();
                assert!(
                    matches!(
                        err,
                        ContractError::Funds(
                            FundsError::NoCoin { .. } | FundsError::TooManyCoins { .. } | FundsError::ZeroAmount { .. }
                        )
                    ),
                    "{funds:?}: {err}"
                );
            }
            execute(c.deps.as_mut(), mock_env(), message_info(&sender, &coins(1, DENOM)), msg).unwrap();
        }
        let err = execute(c.deps.as_mut(), mock_env(), message_info(&c.payee, &coins(1, "uakt")), deposit).unwrap_err();
        assert!(matches!(err, ContractError::WrongDenom { expected, found } if expected == DENOM && found == "uakt"));
    }

    /// CT-02: the access matrix of the restricted messages.
    #[test]
    fn restricted_messages_refuse_everyone_else() {
        let mut c = setup();
        let stranger = c.deps.api.addr_make("stranger");
        let owner = c.deps.api.addr_make("owner");
        let params = CONFIG.load(&c.deps.storage).unwrap().params;
        let market_only = [
            (ExecuteMsg::OpenAccount { id: c.account.clone(), owner: owner.to_string() }, coins(1, DENOM)),
            (
                ExecuteMsg::CreatePayment {
                    id: c.payment.clone(),
                    payee: c.payee.to_string(),
                    rate: DecCoin::new(Decimal256::one(), DENOM),
                },
                vec![],
            ),
            (ExecuteMsg::ClosePayment { id: c.payment.clone() }, vec![]),
            (ExecuteMsg::CloseAccount { id: c.account.clone() }, vec![]),
            (ExecuteMsg::CloseAccounts { ids: vec![c.account.clone()] }, vec![]),
        ];
        for (msg, funds) in market_only {
            for who in [&stranger, &owner, &c.payee, &c.admin] {
                let err = execute(c.deps.as_mut(), mock_env(), message_info(who, &funds), msg.clone()).unwrap_err();
                assert!(matches!(&err, ContractError::Unauthorized { sender, .. } if sender == who.as_str()), "{err}");
            }
        }
        for who in [&stranger, &owner, &c.market, &c.admin] {
            let msg = ExecuteMsg::Withdraw { id: c.payment.clone() };
            let err = execute(c.deps.as_mut(), mock_env(), message_info(who, &[]), msg).unwrap_err();
            assert!(matches!(&err, ContractError::Unauthorized { action, .. } if action == "withdraw"));
        }
        for who in [&stranger, &owner, &c.market, &c.payee] {
            let msg = ExecuteMsg::UpdateParams { params: params.clone() };
            let err = execute(c.deps.as_mut(), mock_env(), message_info(who, &[]), msg).unwrap_err();
            assert!(matches!(&err, ContractError::Unauthorized { action, .. } if action == "update_params"));
        }
        // admin transfer: only the admin proposes, only the proposed address accepts
        let next = c.deps.api.addr_make("next-admin");
        for who in [&stranger, &owner, &c.market, &c.payee, &next] {
            let msg = ExecuteMsg::ProposeAdmin { admin: who.to_string() };
            let err = execute(c.deps.as_mut(), mock_env(), message_info(who, &[]), msg).unwrap_err();
            assert!(
                matches!(&err, ContractError::Unauthorized { action, sender }
                    if action == "propose_admin" && sender == who.as_str()),
                "{err}"
            );
        }
        // nothing proposed: nobody accepts, the admin included
        for who in [&stranger, &owner, &c.market, &c.payee, &c.admin, &next] {
            let err =
                execute(c.deps.as_mut(), mock_env(), message_info(who, &[]), ExecuteMsg::AcceptAdmin {}).unwrap_err();
            assert!(matches!(&err, ContractError::Unauthorized { action, .. } if action == "accept_admin"), "{err}");
        }
        let propose = ExecuteMsg::ProposeAdmin { admin: next.to_string() };
        execute(c.deps.as_mut(), mock_env(), message_info(&c.admin, &[]), propose).unwrap();
        for who in [&stranger, &owner, &c.market, &c.payee, &c.admin] {
            let err =
                execute(c.deps.as_mut(), mock_env(), message_info(who, &[]), ExecuteMsg::AcceptAdmin {}).unwrap_err();
            assert!(matches!(&err, ContractError::Unauthorized { action, .. } if action == "accept_admin"), "{err}");
        }
        execute(c.deps.as_mut(), mock_env(), message_info(&next, &[]), ExecuteMsg::AcceptAdmin {}).unwrap();
        assert_eq!(CONFIG.load(&c.deps.storage).unwrap().admin, Some(next));
    }

    #[test]
    fn unknown_ids_are_typed_errors() {
        let mut c = setup();
        let ghost = AccountId { scope: AccountScope::Deployment, xid: "ghost/1".into() };
        let ghost_payment = PaymentId { account: c.account.clone(), xid: "nope".into() };
        let err = execute(c.deps.as_mut(), mock_env(), message_info(&c.payee, &[]), ExecuteMsg::Settle { id: ghost })
            .unwrap_err();
        assert!(matches!(err, ContractError::AccountNotFound { id } if id == "deployment/ghost/1"));
        let msg = ExecuteMsg::Withdraw { id: ghost_payment.clone() };
        let err = execute(c.deps.as_mut(), mock_env(), message_info(&c.payee, &[]), msg).unwrap_err();
        assert!(matches!(err, ContractError::PaymentNotFound { .. }));
        let msg = ExecuteMsg::ClosePayment { id: ghost_payment };
        let err = execute(c.deps.as_mut(), mock_env(), message_info(&c.market, &[]), msg).unwrap_err();
        assert!(matches!(err, ContractError::PaymentNotFound { .. }));
    }
}
