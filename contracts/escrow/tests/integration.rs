//! cw-multi-test tests of every escrow message, its error paths and its money flows.

mod common;

use common::*;
use cosmwasm_std::{Addr, Coin, Decimal, Decimal256, Uint256, coin, coins};
use cw_multi_test::{ContractWrapper, Executor};
use leasehold_escrow::ContractError;
use leasehold_escrow::contract;
use leasehold_escrow::msg::{
    AccountId, AccountScope, AccountState, DepositMinimum, Depositor, EscrowHookMsg, EscrowParams, ExecuteMsg,
    InstantiateMsg, MAX_CLOSE_BATCH, MAX_DEPOSITORS, MAX_PAYMENTS, MAX_THIRD_PARTY_DEPOSITORS, MigrateMsg, PaymentId,
    PaymentState, TakeRate,
};
use leasehold_escrow::state::DEPOSITORS;
use leasehold_types::funds::FundsError;

fn unauthorized(action: &str, sender: &Addr) -> ContractError {
    ContractError::Unauthorized { action: action.into(), sender: sender.to_string() }
}

fn nonpayable(action: &str) -> ContractError {
    ContractError::Funds(FundsError::NonPayable { action: action.into() })
}

/// Sum over the given accounts of `deposited - refunded - paid to payees - take`, which must
/// equal the escrow's bank balance (every account of the suite must be listed, and none may have
/// an overdraft pending: the query view would show payouts not yet made).
#[track_caller]
fn assert_bank_matches_ledger(s: &Suite, accounts: &[AccountId]) {
    let mut expected = Uint256::zero();
    for id in accounts {
        let r = s.account(id);
        assert!(!r.overdrawn_now, "settle {id} before checking the bank");
        let paid = s.payments(id, None, Some(100)).iter().fold(Uint256::zero(), |x, p| x + p.withdrawn + p.take);
        expected += r.account.deposited - r.account.refunded - paid;
    }
    assert_eq!(s.balance(&s.escrow.clone()), expected, "escrow bank balance != ledger");
}

// ---------------------------------------------------------------------------------------------
// instantiate, config, migrate
// ---------------------------------------------------------------------------------------------

#[test]
fn instantiate_records_market_admin_and_params() {
    let s = Suite::new();
    let cfg = s.config();
    assert_eq!(cfg.market, s.market);
    assert_eq!(cfg.admin, Some(s.admin.clone()));
    assert_eq!(cfg.params, default_params(&s.pool));
}

#[test]
fn market_defaults_to_the_instantiating_account() {
    let mut s = Suite::new();
    let creator = s.addr("some-market");
    let msg = InstantiateMsg { admin: None, params: default_params(&s.pool), market: None };
    let escrow2 = s.app.instantiate_contract(s.escrow_code, creator.clone(), &msg, &[], "escrow2", None).unwrap();
    let cfg: leasehold_escrow::msg::ConfigResponse =
        s.app.wrap().query_wasm_smart(escrow2, &leasehold_escrow::msg::QueryMsg::Config {}).unwrap();
    assert_eq!(cfg.market, creator);
    assert_eq!(cfg.admin, None);
}

#[test]
fn instantiate_rejects_bad_params_and_funds() {
    let mut s = Suite::new();
    let creator = s.addr("creator");
    let bad = [
        EscrowParams { default_take_rate: Decimal::percent(101), ..default_params(&s.pool) },
        EscrowParams { community_pool: "not an address".into(), ..default_params(&s.pool) },
        EscrowParams {
            take_rates: vec![
                TakeRate { denom: OTHER.into(), rate: Decimal::percent(1) },
                TakeRate { denom: OTHER.into(), rate: Decimal::percent(2) },
            ],
            ..default_params(&s.pool)
        },
    ];
    for params in bad {
        let msg = InstantiateMsg { admin: None, params, market: None };
        assert!(s.app.instantiate_contract(s.escrow_code, creator.clone(), &msg, &[], "x", None).is_err());
    }
    s.mint(&creator, u(5), DENOM);
    let msg = InstantiateMsg { admin: None, params: default_params(&s.pool), market: None };
    let res = s.app.instantiate_contract(s.escrow_code, creator, &msg, &coins(5, DENOM), "x", None);
    assert_err(res, nonpayable("instantiate"));
}

#[test]
fn migrate_to_the_same_version_succeeds() {
    let mut s = Suite::new();
    let code = s.app.store_code(Box::new(
        ContractWrapper::new(contract::execute, contract::instantiate, contract::query).with_migrate(contract::migrate),
    ));
    let (admin, escrow) = (s.admin.clone(), s.escrow.clone());
    let res = s.app.migrate_contract(admin, escrow, &MigrateMsg {}, code).unwrap();
    let wasm = res.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert_eq!(attr(wasm, "action"), "migrate");
    assert_eq!(attr(wasm, "to_version"), env!("CARGO_PKG_VERSION"));
}

// ---------------------------------------------------------------------------------------------
// open_account
// ---------------------------------------------------------------------------------------------

#[test]
fn open_account_records_owner_denom_and_first_depositor() {
    let mut s = Suite::new();
    let tenant = s.addr("tenant");
    let id = deployment("tenant");
    let res = s.open_account(&id, &tenant, 500);
    assert_eq!(action(&res), "open_account");
    let e = event(&res, "escrow-account-opened");
    assert_eq!(attr(e, "account"), id.to_string());
    assert_eq!(attr(e, "scope"), "deployment");
    assert_eq!(attr(e, "owner"), tenant.to_string());
    assert_eq!(attr(e, "amount"), "500");
    assert_eq!(attr(e, "denom"), DENOM);

    let r = s.account(&id);
    assert_eq!(r.account.owner, tenant);
    assert_eq!(r.account.state, AccountState::Open);
    assert_eq!(r.account.denom, DENOM);
    assert_eq!(r.account.deposited, u(500));
    assert_eq!(r.account.settled_at, s.height());
    assert_eq!(r.balance, dec("500"));
    assert!(!r.overdrawn_now);
    assert_eq!(r.depositors.len(), 1);
    assert_eq!(
        (r.depositors[0].address.clone(), r.depositors[0].amount, r.depositors[0].remaining),
        (tenant, u(500), u(500))
    );
    assert_eq!(s.balance(&s.escrow.clone()), u(500));
}

#[test]
fn open_account_errors() {
    let mut s = Suite::new();
    let tenant = s.addr("tenant");
    let id = deployment("tenant");
    let open = |id: &AccountId| ExecuteMsg::OpenAccount { id: id.clone(), owner: tenant.to_string() };

    // only the market
    let res = s.exec_funded(&tenant, &open(&id), &coins(10, DENOM));
    assert_err(res, unauthorized("open_account", &tenant));
    // funds: none, two coins
    assert_err_contains(s.exec_market(&open(&id), &[]), "no coin attached");
    assert_err_contains(s.exec_market(&open(&id), &[coin(1, DENOM), coin(1, OTHER)]), "2 coins attached");
    // invalid owner and id
    let bad_owner = ExecuteMsg::OpenAccount { id: id.clone(), owner: "Not-An-Address".into() };
    assert!(s.exec_market(&bad_owner, &coins(1, DENOM)).is_err());
    let empty = AccountId { scope: id.scope, xid: String::new() };
    assert_err_contains(s.exec_market(&open(&empty), &coins(1, DENOM)), "must not be empty");
    let long = AccountId { scope: id.scope, xid: "x".repeat(257) };
    assert_err_contains(s.exec_market(&open(&long), &coins(1, DENOM)), "longer than the limit");
    // duplicate
    s.open_account(&id, &tenant, 10);
    assert_err(s.exec_market(&open(&id), &coins(10, DENOM)), ContractError::AccountExists { id: id.to_string() });
    // ids stay taken after closing
    s.close_account(&id).unwrap();
    assert_err(s.exec_market(&open(&id), &coins(10, DENOM)), ContractError::AccountExists { id: id.to_string() });
    // nothing stuck in the escrow from the failed attempts
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
}

#[test]
fn a_uint256_max_deposit_is_an_overflow_error() {
    let mut s = Suite::new();
    let tenant = s.addr("tenant");
    let id = deployment("tenant");
    let open = ExecuteMsg::OpenAccount { id: id.clone(), owner: tenant.to_string() };
    assert_err(
        s.exec_market(&open, &[Coin::new(Uint256::MAX, DENOM)]),
        ContractError::Overflow { what: "amount as decimal" },
    );
    // the largest amount a Decimal256 counts is fine, one more in a deposit is not
    let max = Decimal256::MAX.to_uint_floor();
    let mut s = Suite::new();
    let market = s.market.clone();
    s.mint(&market, max, DENOM);
    s.exec(&market, &open, &[Coin::new(max, DENOM)]).unwrap();
    assert_eq!(s.account(&id).balance, Decimal256::MAX.floor());
    assert_err(s.deposit(&id, &tenant, 1), ContractError::Overflow { what: "amount as decimal" });
}

// ---------------------------------------------------------------------------------------------
// deposit
// ---------------------------------------------------------------------------------------------

#[test]
fn anyone_deposits_and_repeat_deposits_merge_into_the_first_entry() {
    let mut s = Suite::new();
    let (tenant, friend) = (s.addr("tenant"), s.addr("friend"));
    let id = deployment("tenant");
    s.open_account(&id, &tenant, 100);
    let res = s.deposit(&id, &friend, 40).unwrap();
    assert_eq!(action(&res), "deposit");
    let e = event(&res, "escrow-deposited");
    assert_eq!(attr(e, "account"), id.to_string());
    assert_eq!(attr(e, "depositor"), friend.to_string());
    assert_eq!(attr(e, "amount"), "40");
    assert_eq!(attr(e, "denom"), DENOM);
    assert_eq!(attr(e, "balance"), "140");
    assert_eq!(attr(e, "reopened"), "false");
    assert_eq!(attr(e, "third_party"), "true");
    s.advance(1);
    s.deposit(&id, &friend, 2).unwrap(); // merges into the friend's entry
    let res = s.deposit(&id, &tenant, 3).unwrap(); // merges into the owner's entry, first
    assert_eq!(attr(event(&res, "escrow-deposited"), "third_party"), "false");
    let r = s.account(&id);
    let ds: Vec<_> = r.depositors.iter().map(|d| (d.address.clone(), d.height, d.amount)).collect();
    let h = s.height();
    assert_eq!(ds, vec![(tenant.clone(), h - 1, u(103)), (friend.clone(), h - 1, u(42))], "heights of first deposits");
    assert_eq!(r.account.deposited, u(145));
    assert_eq!(s.balance(&s.escrow.clone()), u(145));
}

#[test]
fn deposit_errors() {
    let mut s = Suite::new();
    let (tenant, friend) = (s.addr("tenant"), s.addr("friend"));
    let id = deployment("tenant");
    let dep = ExecuteMsg::Deposit { id: id.clone() };
    assert_err(s.exec_funded(&friend, &dep, &coins(1, DENOM)), ContractError::AccountNotFound { id: id.to_string() });
    s.open_account(&id, &tenant, 100);
    assert_err(
        s.exec_funded(&friend, &dep, &coins(1, OTHER)),
        ContractError::WrongDenom { expected: DENOM.into(), found: OTHER.into() },
    );
    assert_err_contains(s.exec_funded(&friend, &dep, &[coin(1, DENOM), coin(1, OTHER)]), "2 coins attached");
    assert_err_contains(s.exec(&friend, &dep, &[]), "no coin attached");
    // overflow of the deposited total
    let near_max = Decimal256::MAX.to_uint_floor() - u(100);
    s.exec_funded(&friend, &dep, &[Coin::new(near_max, DENOM)]).unwrap();
    assert_err(s.exec_funded(&friend, &dep, &coins(1, DENOM)), ContractError::Overflow { what: "amount as decimal" });
    // closed
    s.close_account(&id).unwrap();
    assert_err(s.exec_funded(&friend, &dep, &coins(1, DENOM)), ContractError::AccountClosed { id: id.to_string() });
}

fn depositor_entries(s: &Suite, id: &AccountId) -> Option<Vec<Depositor>> {
    DEPOSITORS.may_load(&*s.app.contract_storage(&s.escrow), &id.key()).unwrap()
}

/// The cap, the minimum, merging and pruning on one account of each scope.
fn depositor_rules_hold(id: AccountId) {
    let mut s = Suite::build(|pool| EscrowParams {
        deposit_minimums: vec![DepositMinimum { denom: DENOM.into(), amount: u(10) }],
        ..default_params(pool)
    });
    let owner = s.addr("owner");
    s.open_account(&id, &owner, 1);
    let strangers: Vec<Addr> = (0..MAX_THIRD_PARTY_DEPOSITORS).map(|i| s.addr(&format!("d{i}"))).collect();
    for d in &strangers {
        s.deposit(&id, d, 10).unwrap();
    }
    assert_eq!(s.account(&id).depositors.len(), MAX_DEPOSITORS);
    assert_eq!(MAX_DEPOSITORS, 1 + MAX_THIRD_PARTY_DEPOSITORS);
    // a new third party is refused ...
    let newcomer = s.addr("newcomer");
    assert_err(
        s.deposit(&id, &newcomer, 10),
        ContractError::TooManyDepositors { id: id.to_string(), max: MAX_THIRD_PARTY_DEPOSITORS },
    );
    // ... the owner and every existing depositor are not, wherever their entry is
    for _ in 0..3 {
        s.deposit(&id, &owner, 1).unwrap();
        s.deposit(&id, &strangers[0], 10).unwrap();
        s.deposit(&id, &strangers[MAX_THIRD_PARTY_DEPOSITORS - 1], 11).unwrap();
    }
    let r = s.account(&id);
    assert_eq!(r.depositors.len(), MAX_DEPOSITORS);
    assert_eq!((r.depositors[0].address.clone(), r.depositors[0].amount), (owner.clone(), u(4)));
    assert_eq!((r.depositors[1].address.clone(), r.depositors[1].amount), (strangers[0].clone(), u(40)));
    assert_eq!(r.depositors[MAX_THIRD_PARTY_DEPOSITORS].amount, u(43));
    // the third-party minimum applies to every third-party deposit, merges included
    assert_err(
        s.deposit(&id, &strangers[0], 9),
        ContractError::DepositTooSmall {
            id: id.to_string(),
            amount: "9".into(),
            minimum: "10".into(),
            denom: DENOM.into(),
        },
    );
    let total = 1 + 3 + 10 * MAX_THIRD_PARTY_DEPOSITORS as u128 + 30 + 33;
    assert_eq!(r.account.deposited, u(total));
    // closing refunds every entry in full and drops the list
    let res = s.close_account(&id).unwrap();
    assert_eq!(events(&res, "escrow-refunded").len(), MAX_DEPOSITORS);
    assert_eq!(s.balance(&owner), u(4));
    assert_eq!(s.balance(&strangers[0]), u(40 + 9), "refunded 40, kept the 9 of the refused deposit");
    assert_eq!(depositor_entries(&s, &id), None);
    assert!(s.account(&id).depositors.is_empty());
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
}

#[test]
fn third_party_depositors_are_capped_but_owner_and_existing_depositors_never_refused() {
    depositor_rules_hold(deployment("tenant"));
}

#[test]
fn bid_collateral_accounts_follow_the_same_depositor_rules() {
    depositor_rules_hold(bid_account("tenant"));
}

#[test]
fn third_party_deposits_below_the_denom_minimum_are_refused_and_the_owner_has_none() {
    let mut s = Suite::build(|pool| EscrowParams {
        deposit_minimums: vec![DepositMinimum { denom: OTHER.into(), amount: u(1_000) }],
        default_deposit_minimum: u(50),
        ..default_params(pool)
    });
    let (tenant, friend) = (s.addr("tenant"), s.addr("friend"));
    let (a, b) = (deployment("a"), deployment("b"));
    s.open_account(&a, &tenant, 100);
    s.exec_market(&ExecuteMsg::OpenAccount { id: b.clone(), owner: tenant.to_string() }, &coins(100, OTHER)).unwrap();
    // uact: the default minimum, 50
    assert_err(
        s.deposit(&a, &friend, 49),
        ContractError::DepositTooSmall {
            id: a.to_string(),
            amount: "49".into(),
            minimum: "50".into(),
            denom: DENOM.into(),
        },
    );
    s.deposit(&a, &friend, 50).unwrap();
    s.deposit(&a, &tenant, 1).unwrap();
    // uakt: its own minimum, 1000
    let dep_b = ExecuteMsg::Deposit { id: b.clone() };
    assert_err(
        s.exec_funded(&friend, &dep_b, &coins(999, OTHER)),
        ContractError::DepositTooSmall {
            id: b.to_string(),
            amount: "999".into(),
            minimum: "1000".into(),
            denom: OTHER.into(),
        },
    );
    s.exec_funded(&friend, &dep_b, &coins(1_000, OTHER)).unwrap();
    s.exec_funded(&tenant, &dep_b, &coins(1, OTHER)).unwrap();
    assert_eq!(s.account(&a).account.deposited, u(151));
    assert_eq!(s.account(&b).account.deposited, u(1_101));
}

#[test]
fn spent_entries_are_pruned_and_a_returning_depositor_starts_a_new_entry() {
    let mut s = Suite::new();
    let (tenant, friend, prov) = (s.addr("tenant"), s.addr("friend"), s.addr("prov"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "p");
    s.open_account(&id, &tenant, 100);
    s.deposit(&id, &friend, 50).unwrap();
    s.create_payment(&pid, &prov, "1").unwrap();
    s.advance(100);
    // 100 charged; one open payment may still return a fraction, so the tenant's entry (which
    // ends at 100) is not spent for good until 101 are charged
    s.settle(&id).unwrap();
    assert_eq!(depositor_entries(&s, &id).unwrap().len(), 2);
    s.advance(1);
    s.settle(&id).unwrap(); // a settlement write prunes
    let stored = depositor_entries(&s, &id).unwrap();
    assert_eq!(
        stored.iter().map(|d| (d.address.clone(), d.amount, d.remaining)).collect::<Vec<_>>(),
        vec![(friend.clone(), u(50), u(49))]
    );
    // the owner's next deposit starts a new entry, after the friend's
    s.deposit(&id, &tenant, 20).unwrap();
    let r = s.account(&id);
    let ds: Vec<_> = r.depositors.iter().map(|d| (d.address.clone(), d.amount, d.remaining)).collect();
    assert_eq!(ds, vec![(friend.clone(), u(50), u(49)), (tenant.clone(), u(20), u(20))]);
    // the cumulative model still refunds exactly: 170 deposited, 110 paid, 60 back
    s.advance(9);
    let res = s.close_account(&id).unwrap();
    let refunds: Vec<_> =
        events(&res, "escrow-refunded").iter().map(|e| (attr(e, "depositor"), attr(e, "amount"))).collect();
    assert_eq!(refunds, vec![(friend.to_string(), "40".to_string()), (tenant.to_string(), "20".to_string())]);
    assert_eq!(s.balance(&prov), u(110));
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
}

// ---------------------------------------------------------------------------------------------
// create_payment
// ---------------------------------------------------------------------------------------------

#[test]
fn create_payment_starts_streaming() {
    let mut s = Suite::new();
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let id = deployment("tenant");
    s.open_account(&id, &tenant, 100);
    s.advance(5);
    let pid = payment_id(&id, "1/1/prov");
    let res = s.create_payment(&pid, &prov, "0.5").unwrap();
    assert_eq!(action(&res), "create_payment");
    let e = event(&res, "escrow-payment-created");
    assert_eq!(attr(e, "account"), id.to_string());
    assert_eq!(attr(e, "payment"), "1/1/prov");
    assert_eq!(attr(e, "payee"), prov.to_string());
    assert_eq!(attr(e, "rate"), "0.5");
    assert_eq!(attr(e, "denom"), DENOM);
    assert_eq!(attr(e, "account_rate"), "0.5");
    let p = s.payment(&pid);
    assert_eq!((p.state, p.accrued, p.settled_at), (PaymentState::Open, Decimal256::zero(), s.height()));
    s.advance(7);
    // queries show the settled view without writing
    assert_eq!(s.payment(&pid).accrued, dec("3.5"));
    let r = s.account(&id);
    assert_eq!(
        (r.account.charged, r.balance, r.account.rate, r.account.open_payments),
        (dec("3.5"), dec("96.5"), dec("0.5"), 1)
    );
    assert_eq!(r.depositors[0].remaining, u(96)); // the fraction counts as spent
}

#[test]
fn create_payment_errors() {
    let mut s = Suite::new();
    let (tenant, prov, stranger) = (s.addr("tenant"), s.addr("prov"), s.addr("stranger"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "1/1/prov");
    let create = |rate: &str, denom: &str| ExecuteMsg::CreatePayment {
        id: pid.clone(),
        payee: prov.to_string(),
        rate: dec_coin(rate, denom),
    };
    assert_err(s.exec_market(&create("1", DENOM), &[]), ContractError::AccountNotFound { id: id.to_string() });
    s.open_account(&id, &tenant, 10);
    assert_err(s.exec(&stranger, &create("1", DENOM), &[]), unauthorized("create_payment", &stranger));
    assert_err(s.exec_market(&create("1", DENOM), &coins(1, DENOM)), nonpayable("create_payment"));
    assert_err(
        s.exec_market(&create("1", OTHER), &[]),
        ContractError::WrongDenom { expected: DENOM.into(), found: OTHER.into() },
    );
    assert_err(s.exec_market(&create("0", DENOM), &[]), ContractError::ZeroRate {});
    assert_err(
        s.exec_market(&create("10.000000000000000001", DENOM), &[]),
        ContractError::InsufficientFunds {
            id: id.to_string(),
            balance: "10".into(),
            needed: "10.000000000000000001".into(),
        },
    );
    let bad_payee = ExecuteMsg::CreatePayment { id: pid.clone(), payee: "nope".into(), rate: dec_coin("1", DENOM) };
    assert!(s.exec_market(&bad_payee, &[]).is_err());
    let empty =
        ExecuteMsg::CreatePayment { id: payment_id(&id, ""), payee: prov.to_string(), rate: dec_coin("1", DENOM) };
    assert_err_contains(s.exec_market(&empty, &[]), "must not be empty");
    // exactly the whole balance for one block is fine
    s.exec_market(&create("6", DENOM), &[]).unwrap();
    assert_err(s.exec_market(&create("1", DENOM), &[]), ContractError::PaymentExists { id: pid.to_string() });
    // the total rate counts: 6 + 5 > 10
    let pid2 = payment_id(&id, "2/1/prov");
    assert_err(
        s.create_payment(&pid2, &prov, "5"),
        ContractError::InsufficientFunds { id: id.to_string(), balance: "10".into(), needed: "11".into() },
    );

    // bid accounts do not pay
    let bid = bid_account("tenant");
    s.open_account(&bid, &prov, 10);
    assert_err(
        s.create_payment(&payment_id(&bid, "x"), &prov, "1"),
        ContractError::WrongScope { id: bid.to_string(), scope: "bid".into() },
    );

    // an overdraft found while settling reverts the creation
    s.advance(2);
    assert_err(s.create_payment(&pid2, &prov, "1"), ContractError::AccountOverdrawn { id: id.to_string() });
    assert!(s.hooks().is_empty() && s.balance(&prov).is_zero(), "the failed tx wrote nothing");
    assert!(s.account(&id).overdrawn_now);
    // ... and an overdrawn account refuses payments
    s.settle(&id).unwrap();
    assert_err(s.create_payment(&pid2, &prov, "1"), ContractError::AccountOverdrawn { id: id.to_string() });
    // closed
    s.close_account(&id).unwrap();
    assert_err(s.create_payment(&pid2, &prov, "1"), ContractError::AccountClosed { id: id.to_string() });
}

#[test]
fn open_payments_are_capped() {
    let mut s = Suite::new();
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let id = deployment("tenant");
    s.open_account(&id, &tenant, 1_000);
    for i in 0..MAX_PAYMENTS {
        s.create_payment(&payment_id(&id, &format!("{i:02}")), &prov, "1").unwrap();
    }
    let extra = payment_id(&id, "extra");
    assert_err(
        s.create_payment(&extra, &prov, "1"),
        ContractError::TooManyPayments { id: id.to_string(), max: MAX_PAYMENTS },
    );
    // closing one frees a slot
    s.close_payment(&payment_id(&id, "00")).unwrap();
    s.create_payment(&extra, &prov, "1").unwrap();
    // and an overdraft across all 32 payments works (bounded iteration)
    s.advance(100);
    let res = s.settle(&id).unwrap();
    assert_eq!(events(&res, "escrow-payment-closed").len(), MAX_PAYMENTS);
    assert_eq!(s.account(&id).account.state, AccountState::Overdrawn);
    assert_bank_matches_ledger(&s, &[id]);
}

// ---------------------------------------------------------------------------------------------
// close_payment
// ---------------------------------------------------------------------------------------------

#[test]
fn close_payment_pays_whole_units_and_returns_the_fraction() {
    let mut s = Suite::new();
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "1/1/prov");
    s.open_account(&id, &tenant, 100);
    s.create_payment(&pid, &prov, "0.37").unwrap();
    s.advance(10);
    let res = s.close_payment(&pid).unwrap();
    assert_eq!(action(&res), "close_payment");
    let e = event(&res, "escrow-payment-closed");
    assert_eq!(attr(e, "account"), id.to_string());
    assert_eq!(attr(e, "payment"), "1/1/prov");
    assert_eq!(attr(e, "payee"), prov.to_string());
    assert_eq!(attr(e, "state"), "closed");
    assert_eq!(attr(e, "accrued"), "3");
    assert_eq!(attr(e, "amount"), "3");
    assert_eq!(attr(e, "take"), "0");
    assert_eq!(attr(e, "denom"), DENOM);
    assert_eq!(s.balance(&prov), u(3));
    let p = s.payment(&pid);
    assert_eq!((p.state, p.accrued, p.withdrawn), (PaymentState::Closed, dec("3"), u(3)));
    let r = s.account(&id);
    assert_eq!((r.balance, r.account.rate, r.account.open_payments), (dec("97"), Decimal256::zero(), 0));
    // closing again is a no-op the market can rely on
    s.advance(3);
    let res = s.close_payment(&pid).unwrap();
    assert!(events(&res, "escrow-payment-closed").is_empty());
    assert_eq!(s.balance(&prov), u(3));
    assert_eq!(s.account(&id).balance, dec("97"));
    assert_bank_matches_ledger(&s, &[id]);
}

#[test]
fn close_payment_errors() {
    let mut s = Suite::new();
    let (tenant, prov, stranger) = (s.addr("tenant"), s.addr("prov"), s.addr("stranger"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "1/1/prov");
    let close = ExecuteMsg::ClosePayment { id: pid.clone() };
    s.open_account(&id, &tenant, 100);
    assert_err(s.exec_market(&close, &[]), ContractError::PaymentNotFound { id: pid.to_string() });
    s.create_payment(&pid, &prov, "1").unwrap();
    assert_err(s.exec(&stranger, &close, &[]), unauthorized("close_payment", &stranger));
    assert_err(s.exec(&prov, &close, &[]), unauthorized("close_payment", &prov));
    assert_err(s.exec_market(&close, &coins(1, DENOM)), nonpayable("close_payment"));
}

// ---------------------------------------------------------------------------------------------
// withdraw
// ---------------------------------------------------------------------------------------------

#[test]
fn two_withdraws_in_one_block_never_pay_twice() {
    let mut s = Suite::new();
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "1/1/prov");
    s.open_account(&id, &tenant, 100);
    s.create_payment(&pid, &prov, "0.37").unwrap();
    s.advance(10);
    let res = s.withdraw(&pid, &prov).unwrap();
    assert_eq!(action(&res), "withdraw");
    let e = event(&res, "escrow-withdrawn");
    assert_eq!(attr(e, "account"), id.to_string());
    assert_eq!(attr(e, "payment"), "1/1/prov");
    assert_eq!(attr(e, "payee"), prov.to_string());
    assert_eq!(attr(e, "amount"), "3");
    assert_eq!(attr(e, "take"), "0");
    assert_eq!(attr(e, "denom"), DENOM);
    let res = s.withdraw(&pid, &prov).unwrap();
    assert_eq!(attr(event(&res, "escrow-withdrawn"), "amount"), "0");
    assert!(res.events.iter().all(|e| e.ty != "transfer"), "no bank transfer for zero");
    assert_eq!(s.balance(&prov), u(3));
    let p = s.payment(&pid);
    assert_eq!((p.accrued, p.withdrawn), (dec("3.7"), u(3)));
    // the fraction keeps accruing and is paid once it is whole
    s.advance(1);
    s.withdraw(&pid, &prov).unwrap();
    assert_eq!(s.balance(&prov), u(4));
    // deposit + withdraw and close + withdraw in one block
    let friend = s.addr("friend");
    s.deposit(&id, &friend, 5).unwrap();
    s.withdraw(&pid, &prov).unwrap();
    assert_eq!(s.balance(&prov), u(4));
    s.advance(3);
    s.close_payment(&pid).unwrap();
    let res = s.withdraw(&pid, &prov).unwrap();
    assert_eq!(attr(event(&res, "escrow-withdrawn"), "amount"), "0");
    assert_eq!(s.balance(&prov), u(5)); // floor(0.37 x 14) = 5
    assert_bank_matches_ledger(&s, &[id]);
}

#[test]
fn withdraw_errors() {
    let mut s = Suite::new();
    let (tenant, prov, other) = (s.addr("tenant"), s.addr("prov"), s.addr("other-prov"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "1/1/prov");
    let w = ExecuteMsg::Withdraw { id: pid.clone() };
    assert_err(s.exec(&prov, &w, &[]), ContractError::PaymentNotFound { id: pid.to_string() });
    s.open_account(&id, &tenant, 100);
    s.create_payment(&pid, &prov, "1").unwrap();
    assert_err(s.exec(&other, &w, &[]), unauthorized("withdraw", &other));
    assert_err(s.exec(&tenant, &w, &[]), unauthorized("withdraw", &tenant));
    let market = s.market.clone();
    assert_err(s.exec(&market, &w, &[]), unauthorized("withdraw", &market));
    assert_err(s.exec_funded(&prov, &w, &coins(1, DENOM)), nonpayable("withdraw"));
}

#[test]
fn take_goes_to_the_community_pool_per_denom() {
    let mut s = Suite::with_take(Decimal::percent(10));
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let pool = s.pool.clone();
    // uact: default 10 %
    let a = deployment("a");
    let pa = payment_id(&a, "p");
    s.open_account(&a, &tenant, 1_000);
    s.create_payment(&pa, &prov, "7").unwrap();
    s.advance(10);
    let res = s.withdraw(&pa, &prov).unwrap();
    let e = event(&res, "escrow-withdrawn");
    assert_eq!((attr(e, "amount"), attr(e, "take")), ("63".to_string(), "7".to_string()));
    assert_eq!((s.balance(&prov), s.balance(&pool)), (u(63), u(7)));
    // floor: 9 x 10 % = 0.9 -> 0 take
    s.advance(1);
    s.close_payment(&pa).unwrap();
    assert_eq!((s.balance(&prov), s.balance(&pool)), (u(63 + 7), u(7)));
    let p = s.payment(&pa);
    assert_eq!((p.withdrawn, p.take), (u(70), u(7)));

    // uakt: its own 20 %
    let b = deployment("b");
    let pb = payment_id(&b, "p");
    s.exec_market(&ExecuteMsg::OpenAccount { id: b.clone(), owner: tenant.to_string() }, &coins(1_000, OTHER)).unwrap();
    s.exec_market(
        &ExecuteMsg::CreatePayment { id: pb.clone(), payee: prov.to_string(), rate: dec_coin("3", OTHER) },
        &[],
    )
    .unwrap();
    s.advance(10);
    s.withdraw(&pb, &prov).unwrap();
    assert_eq!((s.balance_of(&prov, OTHER), s.balance_of(&pool, OTHER)), (u(24), u(6)));
    s.close_account(&b).unwrap();
    assert_eq!(s.balance_of(&tenant, OTHER), u(1_000 - 30));
    assert_eq!(s.balance_of(&s.escrow.clone(), OTHER), Uint256::zero());
}

/// Regression: a take-rate change applied to earnings accrued before it (and to every running
/// payment); a payment now keeps the rate in force when it was created.
#[test]
fn regression_a_take_rate_change_applied_to_running_payments() {
    let mut s = Suite::with_take(Decimal::percent(10));
    let (tenant, prov, admin) = (s.addr("tenant"), s.addr("prov"), s.admin.clone());
    let pool = s.pool.clone();
    let id = deployment("tenant");
    let (old, new) = (payment_id(&id, "old"), payment_id(&id, "new"));
    s.open_account(&id, &tenant, 1_000);
    s.create_payment(&old, &prov, "10").unwrap();
    s.advance(10); // 100 accrued at 10 %
    let params = EscrowParams { default_take_rate: Decimal::percent(50), ..s.config().params };
    s.exec(&admin, &ExecuteMsg::UpdateParams { params }, &[]).unwrap();
    let res = s.withdraw(&old, &prov).unwrap();
    let e = event(&res, "escrow-withdrawn");
    assert_eq!((attr(e, "amount"), attr(e, "take")), ("90".to_string(), "10".to_string()));
    // a payment created now takes 50 %
    let res = s.create_payment(&new, &prov, "2").unwrap();
    assert_eq!(attr(event(&res, "escrow-payment-created"), "take_rate"), "0.5");
    s.advance(10);
    let res = s.close_account(&id).unwrap();
    let closed: Vec<_> = events(&res, "escrow-payment-closed")
        .iter()
        .map(|e| (attr(e, "payment"), attr(e, "amount"), attr(e, "take")))
        .collect();
    assert_eq!(
        closed,
        vec![
            ("new".to_string(), "10".to_string(), "10".to_string()),
            ("old".to_string(), "90".to_string(), "10".to_string())
        ]
    );
    assert_eq!(s.balance(&pool), u(30));
    assert_eq!(s.payment(&old).take_rate, Some(Decimal::percent(10)));
    assert_eq!(s.payment(&new).take_rate, Some(Decimal::percent(50)));
}

// ---------------------------------------------------------------------------------------------
// overdraft
// ---------------------------------------------------------------------------------------------

#[test]
fn overdraft_at_the_exact_block_pays_two_payments_pro_rata_and_tells_the_market() {
    let mut s = Suite::new();
    let (tenant, p1, p2) = (s.addr("tenant"), s.addr("prov1"), s.addr("prov2"));
    let id = deployment("tenant");
    let (a, b) = (payment_id(&id, "a"), payment_id(&id, "b"));
    let start = s.height();
    s.open_account(&id, &tenant, 100);
    s.create_payment(&a, &p1, "3").unwrap();
    s.create_payment(&b, &p2, "4").unwrap();

    // 100 / 7 = 14 full blocks, 2 left for the 15th
    let rw = s.runway(&id, Some(6_000));
    assert_eq!((rw.rate, rw.balance), (dec("7"), dec("100")));
    assert_eq!((rw.blocks, rw.funded_until, rw.seconds), (Some(14), Some(start + 14), Some(84)));
    assert_eq!(s.runway(&id, None).seconds, None);

    // at funded_until: still solvent
    s.set_height(start + 14);
    let r = s.account(&id);
    assert!(!r.overdrawn_now);
    assert_eq!(r.balance, dec("2"));
    let rw = s.runway(&id, None);
    assert_eq!((rw.blocks, rw.funded_until), (Some(0), Some(start + 14)));

    // one block later: the view shows the overdraft without writing it
    s.set_height(start + 15);
    let r = s.account(&id);
    assert!(r.overdrawn_now);
    assert_eq!(r.account.state, AccountState::Overdrawn);
    assert_eq!(r.balance, dec("1"));
    let rw = s.runway(&id, Some(6_000));
    assert_eq!((rw.rate, rw.blocks, rw.funded_until, rw.seconds), (dec("7"), Some(0), Some(start + 14), Some(0)));
    assert_eq!(s.payment(&a).state, PaymentState::Overdrawn);
    assert!(s.hooks().is_empty());
    assert_eq!(s.balance(&p1), Uint256::zero());

    let res = s.settle(&id).unwrap();
    assert_eq!(action(&res), "settle");
    let e = event(&res, "escrow-overdrawn");
    assert_eq!(attr(e, "account"), id.to_string());
    assert_eq!(attr(e, "funded_until"), (start + 14).to_string());
    assert_eq!(attr(e, "shortfall"), "5"); // 7 x 15 - 100
    assert_eq!(attr(e, "payments"), r#"["a","b"]"#);
    assert_eq!(attr(e, "balance"), "1");
    assert_eq!(attr(e, "denom"), DENOM);
    let closed = events(&res, "escrow-payment-closed");
    assert_eq!(closed.len(), 2);
    assert!(closed.iter().all(|e| attr(e, "state") == "overdrawn"));
    let settled = event(&res, "escrow-settled");
    assert_eq!(attr(settled, "state"), "overdrawn");
    assert_eq!(attr(settled, "settled_at"), (start + 15).to_string());
    assert_eq!(attr(settled, "balance"), "1");
    assert_eq!(attr(settled, "rate"), "0");

    // 3 x 14 + 2 x 3/7 = 42.857 -> 42; 4 x 14 + 2 x 4/7 = 57.142 -> 57; the tenant keeps 1
    assert_eq!((s.balance(&p1), s.balance(&p2)), (u(42), u(57)));
    let (pa, pb) = (s.payment(&a), s.payment(&b));
    assert_eq!(
        (pa.state, pa.accrued, pa.withdrawn, pa.settled_at),
        (PaymentState::Overdrawn, dec("42"), u(42), start + 14)
    );
    assert_eq!((pb.state, pb.accrued, pb.withdrawn), (PaymentState::Overdrawn, dec("57"), u(57)));
    let r = s.account(&id);
    assert!(!r.overdrawn_now);
    assert_eq!(
        (r.account.state, r.account.rate, r.account.open_payments),
        (AccountState::Overdrawn, Decimal256::zero(), 0)
    );
    assert_eq!(r.balance, dec("1"));

    // the market heard about it, from the escrow
    let hooks = s.hooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].0, s.escrow);
    assert_eq!(
        hooks[0].1,
        EscrowHookMsg::AccountOverdrawn {
            account: id.clone(),
            payments: vec!["a".into(), "b".into()],
            funded_until: start + 14,
        }
    );

    // nothing more to withdraw, ever; the tenant cannot withdraw at all
    s.advance(5);
    let res = s.withdraw(&a, &p1).unwrap();
    assert_eq!(attr(event(&res, "escrow-withdrawn"), "amount"), "0");
    assert_err(s.withdraw(&a, &tenant), unauthorized("withdraw", &tenant));
    // the market's close of the lease is a no-op; settling again changes nothing
    let res = s.close_payment(&a).unwrap();
    assert!(events(&res, "escrow-payment-closed").is_empty());
    let res = s.settle(&id).unwrap();
    assert!(events(&res, "escrow-overdrawn").is_empty());
    assert_eq!(s.hooks().len(), 1);
    assert!(s.payments_by_payee(&p1, None, None).is_empty(), "overdrawn payments leave the payee index");

    // closing refunds the 1 left
    let res = s.close_account(&id).unwrap();
    assert_eq!(attr(event(&res, "escrow-closed"), "refunded"), "1");
    assert_eq!(s.balance(&tenant), u(1));
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
}

#[test]
fn withdraw_and_close_account_detect_the_overdraft_too() {
    let mut s = Suite::new();
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "p");
    s.open_account(&id, &tenant, 10);
    s.create_payment(&pid, &prov, "3").unwrap();
    s.advance(50);
    // the payee's withdraw finds the overdraft: paid 10 (3 x 3 + the whole remainder 1)
    let res = s.withdraw(&pid, &prov).unwrap();
    assert_eq!(attr(event(&res, "escrow-overdrawn"), "funded_until"), (s.height() - 47).to_string());
    assert_eq!(attr(event(&res, "escrow-withdrawn"), "amount"), "0");
    assert_eq!(s.balance(&prov), u(10));
    assert_eq!(s.hooks().len(), 1);

    let id2 = deployment("tenant2");
    let pid2 = payment_id(&id2, "p");
    s.open_account(&id2, &tenant, 10);
    s.create_payment(&pid2, &prov, "4").unwrap();
    s.advance(3);
    let res = s.close_account(&id2).unwrap();
    assert_eq!(events(&res, "escrow-overdrawn").len(), 1);
    assert_eq!(s.balance(&prov), u(20));
    assert_eq!(attr(event(&res, "escrow-closed"), "refunded"), "0");
    let hooks = s.hooks();
    assert_eq!(hooks.len(), 2);
    assert!(matches!(&hooks[1].1, EscrowHookMsg::AccountOverdrawn { account, .. } if *account == id2));
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
}

#[test]
fn a_deposit_reopens_an_overdrawn_account() {
    let mut s = Suite::new();
    let (tenant, friend, prov) = (s.addr("tenant"), s.addr("friend"), s.addr("prov"));
    let id = deployment("tenant");
    let (a, b) = (payment_id(&id, "a"), payment_id(&id, "b"));
    s.open_account(&id, &tenant, 100);
    s.create_payment(&a, &prov, "3").unwrap();
    s.create_payment(&b, &prov, "4").unwrap();
    s.advance(20);
    // the deposit settles first (finding the overdraft), then reopens
    let res = s.deposit(&id, &friend, 50).unwrap();
    assert_eq!(events(&res, "escrow-overdrawn").len(), 1);
    assert_eq!(attr(event(&res, "escrow-deposited"), "reopened"), "true");
    assert_eq!(attr(event(&res, "escrow-deposited"), "balance"), "51");
    let r = s.account(&id);
    assert_eq!(
        (r.account.state, r.account.rate, r.account.settled_at),
        (AccountState::Open, Decimal256::zero(), s.height())
    );
    assert_eq!(r.balance, dec("51"));
    assert_eq!(s.balance(&prov), u(99));
    // a new lease can start
    let c = payment_id(&id, "c");
    s.create_payment(&c, &prov, "5").unwrap();
    s.advance(4);
    s.close_account(&id).unwrap();
    // spent = 150 - 31: the tenant's 100 are gone, the friend gets 150 - 119 = 31
    assert_eq!(s.balance(&prov), u(119));
    assert_eq!(s.balance(&tenant), Uint256::zero());
    assert_eq!(s.balance(&friend), u(31));
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
}

// ---------------------------------------------------------------------------------------------
// close_account
// ---------------------------------------------------------------------------------------------

#[test]
fn close_account_refunds_three_depositors_first_in_first_out() {
    let mut s = Suite::new();
    let (tenant, alice, bob, prov) = (s.addr("tenant"), s.addr("alice"), s.addr("bob"), s.addr("prov"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "p");
    s.open_account(&id, &tenant, 100);
    s.deposit(&id, &alice, 50).unwrap();
    s.deposit(&id, &bob, 30).unwrap();
    s.create_payment(&pid, &prov, "1.37").unwrap();
    s.advance(90); // 123.3 accrued
    let r = s.account(&id);
    let remaining: Vec<_> = r.depositors.iter().map(|d| d.remaining).collect();
    // 56.7 left, the fraction counted as spent; the tenant's entry is spent for good and pruned
    assert_eq!(remaining, vec![u(26), u(30)]);
    let res = s.close_account(&id).unwrap();
    assert_eq!(action(&res), "close_account");
    let closed = event(&res, "escrow-payment-closed");
    assert_eq!((attr(closed, "amount"), attr(closed, "state")), ("123".to_string(), "closed".to_string()));
    let refunds: Vec<_> =
        events(&res, "escrow-refunded").iter().map(|e| (attr(e, "depositor"), attr(e, "amount"))).collect();
    assert_eq!(refunds, vec![(alice.to_string(), "27".to_string()), (bob.to_string(), "30".to_string())]);
    let e = event(&res, "escrow-closed");
    assert_eq!(
        (attr(e, "account"), attr(e, "refunded"), attr(e, "denom")),
        (id.to_string(), "57".into(), DENOM.into())
    );
    assert_eq!(
        (s.balance(&tenant), s.balance(&alice), s.balance(&bob), s.balance(&prov)),
        (u(0), u(27), u(30), u(123))
    );
    let r = s.account(&id);
    assert_eq!(r.account.state, AccountState::Closed);
    assert_eq!(r.balance, Decimal256::zero());
    assert!(r.depositors.iter().all(|d| d.remaining.is_zero()));
    // deposited == refunded + payouts (incl. take), exactly
    let p = s.payment(&pid);
    assert_eq!(r.account.deposited, r.account.refunded + p.withdrawn + p.take);
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
    // the payee index forgets closed payments
    assert!(s.payments_by_payee(&prov, None, None).is_empty());
}

#[test]
fn close_account_pays_every_payment_with_take() {
    let mut s = Suite::with_take(Decimal::percent(25));
    let (tenant, p1, p2) = (s.addr("tenant"), s.addr("p1"), s.addr("p2"));
    let pool = s.pool.clone();
    let id = deployment("tenant");
    s.open_account(&id, &tenant, 1_000);
    s.create_payment(&payment_id(&id, "a"), &p1, "2.5").unwrap();
    s.create_payment(&payment_id(&id, "b"), &p2, "0.75").unwrap();
    s.advance(9); // a: 22.5 -> 22, take 5; b: 6.75 -> 6, take 1
    let res = s.close_account(&id).unwrap();
    assert_eq!(events(&res, "escrow-payment-closed").len(), 2);
    assert_eq!((s.balance(&p1), s.balance(&p2), s.balance(&pool)), (u(17), u(5), u(6)));
    assert_eq!(s.balance(&tenant), u(1_000 - 28));
    let r = s.account(&id).account;
    let paid: Uint256 =
        s.payments(&id, None, None).iter().map(|p| p.withdrawn + p.take).fold(Uint256::zero(), |a, b| a + b);
    assert_eq!(r.deposited, r.refunded + paid);
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
}

#[test]
fn bid_accounts_are_refunded_in_full() {
    let mut s = Suite::new();
    let prov = s.addr("prov");
    let id = bid_account("tenant");
    let res = s.open_account(&id, &prov, 500);
    assert_eq!(attr(event(&res, "escrow-account-opened"), "scope"), "bid");
    s.advance(1_000);
    s.settle(&id).unwrap();
    let res = s.close_account(&id).unwrap();
    assert_eq!(attr(event(&res, "escrow-closed"), "refunded"), "500");
    assert_eq!(s.balance(&prov), u(500));
    assert!(s.hooks().is_empty());
}

#[test]
fn close_account_errors() {
    let mut s = Suite::new();
    let (tenant, stranger) = (s.addr("tenant"), s.addr("stranger"));
    let id = deployment("tenant");
    let close = ExecuteMsg::CloseAccount { id: id.clone() };
    assert_err(s.exec_market(&close, &[]), ContractError::AccountNotFound { id: id.to_string() });
    s.open_account(&id, &tenant, 10);
    assert_err(s.exec(&stranger, &close, &[]), unauthorized("close_account", &stranger));
    assert_err(s.exec(&tenant, &close, &[]), unauthorized("close_account", &tenant));
    assert_err(s.exec_market(&close, &coins(1, DENOM)), nonpayable("close_account"));
    s.exec_market(&close, &[]).unwrap();
    assert_err(s.exec_market(&close, &[]), ContractError::AccountClosed { id: id.to_string() });
    // a closed account's payment closes as a no-op, settle and withdraw change nothing
    s.settle(&id).unwrap();
    assert_eq!(s.account(&id).account.state, AccountState::Closed);
}

// ---------------------------------------------------------------------------------------------
// close_accounts
// ---------------------------------------------------------------------------------------------

/// Three accounts in different shapes: bid collateral with a third-party top-up, a deployment
/// paying two leases with a take, a deployment that overdraws when closed.
fn three_accounts(s: &mut Suite) -> Vec<AccountId> {
    let (tenant, prov, friend, p2) = (s.addr("tenant"), s.addr("prov"), s.addr("friend"), s.addr("p2"));
    let (bid, d1, d2) = (bid_account("tenant"), deployment("d1"), deployment("d2"));
    s.open_account(&bid, &prov, 500);
    s.deposit(&bid, &friend, 20).unwrap();
    s.open_account(&d1, &tenant, 1_000);
    s.deposit(&d1, &friend, 7).unwrap();
    s.create_payment(&payment_id(&d1, "a"), &prov, "2.5").unwrap();
    s.create_payment(&payment_id(&d1, "b"), &p2, "0.75").unwrap();
    s.open_account(&d2, &tenant, 10);
    s.create_payment(&payment_id(&d2, "a"), &prov, "4").unwrap();
    s.advance(9);
    vec![bid, d1, d2]
}

/// The escrow's own events (type and attributes, the contract address left out) of a response.
fn escrow_events(res: &cw_multi_test::AppResponse) -> Vec<(String, Vec<(String, String)>)> {
    res.events
        .iter()
        .filter(|e| e.ty.starts_with("wasm-escrow-"))
        .map(|e| {
            let attrs = e.attributes.iter().filter(|a| a.key != "_contract_address");
            (e.ty.clone(), attrs.map(|a| (a.key.clone(), a.value.clone())).collect())
        })
        .collect()
}

#[test]
fn close_accounts_closes_each_account_exactly_as_close_account() {
    let mut one = Suite::with_take(Decimal::percent(25));
    let mut batch = Suite::with_take(Decimal::percent(25));
    let ids = three_accounts(&mut one);
    assert_eq!(three_accounts(&mut batch), ids);

    let mut singly = Vec::new();
    for id in &ids {
        singly.extend(escrow_events(&one.close_account(id).unwrap()));
    }
    let res = batch.exec_market(&ExecuteMsg::CloseAccounts { ids: ids.clone() }, &[]).unwrap();
    assert_eq!(action(&res), "close_accounts");
    assert_eq!(escrow_events(&res), singly, "same events, in order");
    assert_eq!(events(&res, "escrow-closed").len(), 3);
    assert_eq!(events(&res, "escrow-overdrawn").len(), 1);
    assert_eq!(batch.hooks(), one.hooks(), "the overdraft reaches the market either way");
    for who in ["tenant", "prov", "friend", "p2"] {
        let addr = one.addr(who);
        assert_eq!(batch.balance(&addr), one.balance(&addr), "{who}");
    }
    assert_eq!(batch.balance(&batch.pool.clone()), one.balance(&one.pool.clone()));
    for id in &ids {
        assert_eq!(batch.account(id), one.account(id));
        assert_eq!(batch.account(id).account.state, AccountState::Closed);
    }
    assert_eq!(batch.balance(&batch.escrow.clone()), Uint256::zero());
}

#[test]
fn close_accounts_refunds_many_bid_collateral_accounts_at_the_limit() {
    let mut s = Suite::new();
    let prov = s.addr("prov");
    let ids: Vec<AccountId> = (0..MAX_CLOSE_BATCH)
        .map(|i| AccountId { scope: AccountScope::Bid, xid: format!("tenant/1/1/1/{i}") })
        .collect();
    for id in &ids {
        s.open_account(id, &prov, 3);
    }
    let res = s.exec_market(&ExecuteMsg::CloseAccounts { ids: ids.clone() }, &[]).unwrap();
    assert_eq!(events(&res, "escrow-refunded").len(), MAX_CLOSE_BATCH);
    assert_eq!(s.balance(&prov), u(3 * MAX_CLOSE_BATCH as u128));
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
}

#[test]
fn close_accounts_errors_fail_the_whole_message() {
    let mut s = Suite::new();
    let (tenant, stranger) = (s.addr("tenant"), s.addr("stranger"));
    let (a, b, ghost) = (deployment("a"), deployment("b"), deployment("ghost"));
    s.open_account(&a, &tenant, 10);
    s.open_account(&b, &tenant, 20);
    let close = |ids: &[&AccountId]| ExecuteMsg::CloseAccounts { ids: ids.iter().map(|&i| i.clone()).collect() };
    for who in [&stranger, &tenant, &s.admin.clone()] {
        assert_err(s.exec(who, &close(&[&a]), &[]), unauthorized("close_accounts", who));
    }
    assert_err(s.exec_market(&close(&[&a]), &coins(1, DENOM)), nonpayable("close_accounts"));
    let too_many: Vec<AccountId> =
        (0..=MAX_CLOSE_BATCH).map(|i| AccountId { scope: AccountScope::Bid, xid: format!("x/{i}") }).collect();
    assert_err(
        s.exec_market(&ExecuteMsg::CloseAccounts { ids: too_many }, &[]),
        ContractError::BatchTooLarge { count: MAX_CLOSE_BATCH + 1, max: MAX_CLOSE_BATCH },
    );
    assert_err(s.exec_market(&close(&[&a, &b, &a]), &[]), ContractError::DuplicateId { id: a.to_string() });
    assert_err(s.exec_market(&close(&[&a, &ghost]), &[]), ContractError::AccountNotFound { id: ghost.to_string() });
    s.close_account(&b).unwrap();
    assert_err(s.exec_market(&close(&[&a, &b]), &[]), ContractError::AccountClosed { id: b.to_string() });
    // nothing of the failed batches happened: a is still open and funded
    assert_eq!(s.account(&a).account.state, AccountState::Open);
    assert_eq!(s.balance(&tenant), u(20));
    // an empty batch does nothing
    let res = s.exec_market(&close(&[]), &[]).unwrap();
    assert!(escrow_events(&res).is_empty());
    s.exec_market(&close(&[&a]), &[]).unwrap();
    assert_eq!(s.balance(&tenant), u(30));
}

// ---------------------------------------------------------------------------------------------
// settle
// ---------------------------------------------------------------------------------------------

#[test]
fn settle_is_open_to_anyone_and_reports() {
    let mut s = Suite::new();
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let id = deployment("tenant");
    let settle = ExecuteMsg::Settle { id: id.clone() };
    assert_err(s.settle(&id), ContractError::AccountNotFound { id: id.to_string() });
    s.open_account(&id, &tenant, 100);
    s.create_payment(&payment_id(&id, "p"), &prov, "1.5").unwrap();
    s.advance(4);
    let res = s.settle(&id).unwrap();
    let e = event(&res, "escrow-settled");
    assert_eq!(attr(e, "account"), id.to_string());
    assert_eq!(attr(e, "state"), "open");
    assert_eq!(attr(e, "settled_at"), s.height().to_string());
    assert_eq!(attr(e, "balance"), "94");
    assert_eq!(attr(e, "rate"), "1.5");
    assert_eq!(attr(e, "denom"), DENOM);
    let r = s.account(&id);
    assert_eq!((r.account.charged, r.account.settled_at), (dec("6"), s.height()));
    assert_err(s.exec_funded(&tenant, &settle, &coins(1, DENOM)), nonpayable("settle"));
}

// ---------------------------------------------------------------------------------------------
// update_params
// ---------------------------------------------------------------------------------------------

#[test]
fn only_the_admin_updates_params() {
    let mut s = Suite::new();
    let (admin, stranger) = (s.admin.clone(), s.addr("stranger"));
    let market = s.market.clone();
    let new = EscrowParams {
        take_rates: vec![TakeRate { denom: DENOM.into(), rate: Decimal::percent(5) }],
        default_take_rate: Decimal::percent(1),
        community_pool: s.addr("new-pool").to_string(),
        deposit_minimums: vec![DepositMinimum { denom: DENOM.into(), amount: u(25) }],
        default_deposit_minimum: u(7),
    };
    let msg = ExecuteMsg::UpdateParams { params: new.clone() };
    assert_err(s.exec(&stranger, &msg, &[]), unauthorized("update_params", &stranger));
    assert_err(s.exec(&market, &msg, &[]), unauthorized("update_params", &market));
    assert_err(s.exec_funded(&admin, &msg, &coins(1, DENOM)), nonpayable("update_params"));
    for bad in [
        EscrowParams { default_take_rate: Decimal::percent(150), ..new.clone() },
        EscrowParams { take_rates: vec![TakeRate { denom: DENOM.into(), rate: Decimal::percent(101) }], ..new.clone() },
        EscrowParams {
            take_rates: vec![
                TakeRate { denom: DENOM.into(), rate: Decimal::percent(1) },
                TakeRate { denom: DENOM.into(), rate: Decimal::percent(1) },
            ],
            ..new.clone()
        },
        EscrowParams { take_rates: vec![TakeRate { denom: String::new(), rate: Decimal::percent(1) }], ..new.clone() },
        EscrowParams { community_pool: "pool".into(), ..new.clone() },
        EscrowParams {
            deposit_minimums: vec![
                DepositMinimum { denom: DENOM.into(), amount: u(1) },
                DepositMinimum { denom: DENOM.into(), amount: u(2) },
            ],
            ..new.clone()
        },
        EscrowParams { deposit_minimums: vec![DepositMinimum { denom: String::new(), amount: u(1) }], ..new.clone() },
        EscrowParams { deposit_minimums: vec![DepositMinimum { denom: DENOM.into(), amount: u(0) }], ..new.clone() },
        EscrowParams { default_deposit_minimum: u(0), ..new.clone() },
    ] {
        assert!(s.exec(&admin, &ExecuteMsg::UpdateParams { params: bad }, &[]).is_err());
    }
    let res = s.exec(&admin, &msg, &[]).unwrap();
    assert_eq!(action(&res), "update_params");
    let e = event(&res, "escrow-params-updated");
    assert_eq!(attr(e, "default_take_rate"), "0.01");
    assert_eq!(attr(e, "take_rates"), format!("{DENOM}:0.05"));
    assert_eq!(attr(e, "community_pool"), new.community_pool);
    assert_eq!(attr(e, "deposit_minimums"), format!("{DENOM}:25"));
    assert_eq!(attr(e, "default_deposit_minimum"), "7");
    assert_eq!(s.config().params, new);
}

#[test]
fn admin_transfer_takes_a_proposal_and_an_acceptance() {
    let mut s = Suite::new();
    let (admin, alice, bob, stranger) = (s.admin.clone(), s.addr("alice"), s.addr("bob"), s.addr("stranger"));
    let market = s.market.clone();
    assert_eq!(s.config().pending_admin, None);
    assert!(s.exec(&admin, &ExecuteMsg::ProposeAdmin { admin: "Not-An-Address".into() }, &[]).is_err());
    let res = s.exec(&admin, &ExecuteMsg::ProposeAdmin { admin: alice.to_string() }, &[]).unwrap();
    assert_eq!(action(&res), "propose_admin");
    let e = event(&res, "escrow-admin-proposed");
    assert_eq!((attr(e, "admin"), attr(e, "proposed")), (admin.to_string(), alice.to_string()));
    let cfg = s.config();
    assert_eq!((cfg.admin, cfg.pending_admin), (Some(admin.clone()), Some(alice.clone())));
    // a proposal changes nothing yet
    let params = s.config().params;
    assert_err(
        s.exec(&alice, &ExecuteMsg::UpdateParams { params: params.clone() }, &[]),
        unauthorized("update_params", &alice),
    );
    s.exec(&admin, &ExecuteMsg::UpdateParams { params: params.clone() }, &[]).unwrap();
    // a new proposal replaces it
    s.exec(&admin, &ExecuteMsg::ProposeAdmin { admin: bob.to_string() }, &[]).unwrap();
    assert_eq!(s.config().pending_admin, Some(bob.clone()));
    for who in [&alice, &stranger, &market, &admin] {
        assert_err(s.exec(who, &ExecuteMsg::AcceptAdmin {}, &[]), unauthorized("accept_admin", who));
    }
    assert_err(s.exec_funded(&bob, &ExecuteMsg::AcceptAdmin {}, &coins(1, DENOM)), nonpayable("accept_admin"));
    let res = s.exec(&bob, &ExecuteMsg::AcceptAdmin {}, &[]).unwrap();
    assert_eq!(action(&res), "accept_admin");
    let e = event(&res, "escrow-admin-accepted");
    assert_eq!((attr(e, "previous"), attr(e, "admin")), (admin.to_string(), bob.to_string()));
    let cfg = s.config();
    assert_eq!((cfg.admin, cfg.pending_admin), (Some(bob.clone()), None));
    // the new admin rules, the old one no longer does; accepting twice is refused
    s.exec(&bob, &ExecuteMsg::UpdateParams { params: params.clone() }, &[]).unwrap();
    assert_err(s.exec(&admin, &ExecuteMsg::UpdateParams { params }, &[]), unauthorized("update_params", &admin));
    assert_err(
        s.exec(&admin, &ExecuteMsg::ProposeAdmin { admin: admin.to_string() }, &[]),
        unauthorized("propose_admin", &admin),
    );
    assert_err(s.exec(&bob, &ExecuteMsg::AcceptAdmin {}, &[]), unauthorized("accept_admin", &bob));
}

/// Regression: the escrow accepted itself as the community pool; every take then stayed in the
/// escrow's bank balance, outside any account's ledger, and could never leave it.
#[test]
fn regression_the_escrow_could_be_its_own_community_pool() {
    let mut s = Suite::with_take(Decimal::percent(10));
    let (admin, escrow) = (s.admin.clone(), s.escrow.clone());
    let params = EscrowParams { community_pool: escrow.to_string(), ..s.config().params };
    assert_err(
        s.exec(&admin, &ExecuteMsg::UpdateParams { params }, &[]),
        ContractError::CommunityPoolIsEscrow { address: escrow.to_string() },
    );
    // the take still reaches the real pool and the escrow holds exactly its ledger
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let id = deployment("tenant");
    let pid = payment_id(&id, "p");
    s.open_account(&id, &tenant, 1_000);
    s.create_payment(&pid, &prov, "10").unwrap();
    s.advance(10);
    s.withdraw(&pid, &prov).unwrap();
    assert_eq!(s.balance(&s.pool.clone()), u(10));
    assert_bank_matches_ledger(&s, &[id]);
}

/// The chain's bank module has no blocked addresses: a validated pool address that has never
/// held anything (no account yet) receives the take.
#[test]
fn a_fresh_validated_pool_address_receives_the_take() {
    let mut s = Suite::with_take(Decimal::percent(10));
    let (admin, tenant, prov) = (s.admin.clone(), s.addr("tenant"), s.addr("prov"));
    let fresh = s.addr("a-pool-nobody-has-used");
    assert_eq!(s.balance(&fresh), Uint256::zero());
    let params = EscrowParams { community_pool: fresh.to_string(), ..s.config().params };
    s.exec(&admin, &ExecuteMsg::UpdateParams { params }, &[]).unwrap();
    let id = deployment("tenant");
    let pid = payment_id(&id, "p");
    s.open_account(&id, &tenant, 1_000);
    s.create_payment(&pid, &prov, "10").unwrap();
    s.advance(10);
    let res = s.withdraw(&pid, &prov).unwrap();
    assert_eq!(attr(event(&res, "escrow-withdrawn"), "take"), "10");
    assert_eq!((s.balance(&prov), s.balance(&fresh)), (u(90), u(10)));
}

#[test]
fn without_an_admin_nobody_updates_params_or_proposes_an_admin() {
    let mut s = Suite::new();
    let creator = s.addr("creator");
    let msg = InstantiateMsg { admin: None, params: default_params(&s.pool), market: None };
    let escrow2 = s.app.instantiate_contract(s.escrow_code, creator.clone(), &msg, &[], "escrow2", None).unwrap();
    let update = ExecuteMsg::UpdateParams { params: default_params(&s.pool) };
    for who in [creator, s.admin.clone()] {
        let res = s.app.execute_contract(who.clone(), escrow2.clone(), &update, &[]);
        assert_err(res, unauthorized("update_params", &who));
        let propose = ExecuteMsg::ProposeAdmin { admin: who.to_string() };
        let res = s.app.execute_contract(who.clone(), escrow2.clone(), &propose, &[]);
        assert_err(res, unauthorized("propose_admin", &who));
    }
}

// ---------------------------------------------------------------------------------------------
// queries
// ---------------------------------------------------------------------------------------------

#[test]
fn payments_paginate_by_xid_and_payee_index_lists_open_payments() {
    let mut s = Suite::new();
    let (tenant, p1, p2) = (s.addr("tenant"), s.addr("p1"), s.addr("p2"));
    let (x, y) = (deployment("x"), deployment("y"));
    s.open_account(&x, &tenant, 1_000);
    s.open_account(&y, &tenant, 1_000);
    for xid in ["c", "a", "b"] {
        s.create_payment(&payment_id(&x, xid), &p1, "1").unwrap();
    }
    s.create_payment(&payment_id(&y, "a"), &p1, "2").unwrap();
    s.create_payment(&payment_id(&y, "b"), &p2, "2").unwrap();

    let xids = |ps: Vec<leasehold_escrow::msg::Payment>| ps.into_iter().map(|p| p.id.xid).collect::<Vec<_>>();
    assert_eq!(xids(s.payments(&x, None, None)), ["a", "b", "c"]);
    assert_eq!(xids(s.payments(&x, None, Some(2))), ["a", "b"]);
    assert_eq!(xids(s.payments(&x, Some("b".into()), Some(2))), ["c"]);
    assert_eq!(xids(s.payments(&x, None, Some(0))), ["a"], "a zero limit still returns one");

    let all = s.payments_by_payee(&p1, None, None);
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|p| p.payee == p1));
    let first = s.payments_by_payee(&p1, None, Some(3));
    let rest = s.payments_by_payee(&p1, Some(first[2].id.clone()), Some(3));
    assert_eq!(first.len() + rest.len(), 4);
    let mut seen: Vec<PaymentId> = first.iter().chain(rest.iter()).map(|p| p.id.clone()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4);
    // settled views
    s.advance(3);
    let ya = s.payments_by_payee(&p1, None, None).into_iter().find(|p| p.id == payment_id(&y, "a")).unwrap();
    assert_eq!(ya.accrued, dec("6"));
    // closed payments leave the index
    s.close_payment(&payment_id(&x, "b")).unwrap();
    assert_eq!(s.payments_by_payee(&p1, None, None).len(), 3);
    assert_eq!(s.payments(&x, None, None).len(), 3, "but stay listed under their account");
    assert_eq!(s.payments_by_payee(&p2, None, None).len(), 1);
}

#[test]
fn queries_of_unknown_things_fail() {
    let s = Suite::new();
    let id = deployment("nobody");
    assert!(s.try_account(&id).unwrap_err().to_string().contains("not found"));
    assert!(s.try_runway(&id, None).is_err());
    assert!(s.try_payment(&payment_id(&id, "p")).unwrap_err().to_string().contains("not found"));
    let r: Result<leasehold_escrow::msg::PaymentsResponse, _> = s.app.wrap().query_wasm_smart(
        s.escrow.clone(),
        &leasehold_escrow::msg::QueryMsg::Payments { account: id, start_after: None, limit: None },
    );
    assert!(r.is_err());
}

#[test]
fn runway_is_none_without_payments_and_settling_at_funded_until_is_solvent() {
    let mut s = Suite::new();
    let (tenant, prov) = (s.addr("tenant"), s.addr("prov"));
    let id = deployment("tenant");
    s.open_account(&id, &tenant, 1_000);
    let rw = s.runway(&id, Some(6_000));
    assert_eq!((rw.blocks, rw.funded_until, rw.seconds), (None, None, None));
    s.create_payment(&payment_id(&id, "a"), &prov, "0.37").unwrap();
    s.create_payment(&payment_id(&id, "b"), &prov, "1.000000000000000001").unwrap();
    s.advance(17);
    let rw = s.runway(&id, None);
    let until = rw.funded_until.unwrap();
    assert_eq!(until, s.height() + rw.blocks.unwrap());
    s.set_height(until);
    assert!(!s.account(&id).overdrawn_now);
    s.settle(&id).unwrap(); // solvent, writes
    assert_eq!(s.account(&id).account.state, AccountState::Open);
    s.advance(1);
    assert!(s.account(&id).overdrawn_now);
    s.settle(&id).unwrap();
    assert_eq!(s.account(&id).account.state, AccountState::Overdrawn);
    assert_eq!(s.hooks().len(), 1);
    let rw = s.runway(&id, Some(6_000));
    assert_eq!((rw.rate, rw.blocks), (Decimal256::zero(), None));
}

#[test]
fn the_bank_balance_always_matches_the_ledger() {
    let mut s = Suite::with_take(Decimal::percent(3));
    let (tenant, friend, p1, p2) = (s.addr("tenant"), s.addr("friend"), s.addr("p1"), s.addr("p2"));
    let (x, y) = (deployment("x"), deployment("y"));
    let all = [x.clone(), y.clone()];
    s.open_account(&x, &tenant, 500);
    assert_bank_matches_ledger(&s, &all[..1]);
    s.open_account(&y, &friend, 177);
    assert_bank_matches_ledger(&s, &all);
    s.create_payment(&payment_id(&x, "a"), &p1, "3.3").unwrap();
    s.create_payment(&payment_id(&y, "a"), &p2, "1.1").unwrap();
    s.create_payment(&payment_id(&x, "b"), &p2, "0.9").unwrap();
    for step in 0..30u64 {
        s.advance(step % 7);
        match step % 5 {
            0 => drop(s.withdraw(&payment_id(&x, "a"), &p1).unwrap()),
            1 => drop(s.deposit(&y, &tenant, 3).unwrap()),
            2 => drop(s.withdraw(&payment_id(&y, "a"), &p2).unwrap()),
            3 => drop(s.settle(&x).unwrap()),
            _ => drop(s.withdraw(&payment_id(&x, "b"), &p2).unwrap()),
        }
        assert_bank_matches_ledger(&s, &all);
    }
    s.close_account(&x).unwrap();
    assert_bank_matches_ledger(&s, &all);
    s.close_account(&y).unwrap();
    assert_eq!(s.balance(&s.escrow.clone()), Uint256::zero());
    let paid_out = s.balance(&p1) + s.balance(&p2) + s.balance(&s.pool.clone());
    let refunded = s.balance(&tenant) + s.balance(&friend);
    let deposited = u(500 + 177 + 3 * 6);
    assert_eq!(paid_out + refunded, deposited);
}

/// Regression: `Deposit` appended an entry per change of depositor and refused everyone, the
/// owner included, at 32 entries; two outsiders alternating 1-unit deposits locked the owner out.
#[test]
fn regression_two_outsiders_alternating_deposits_lock_out_the_owner() {
    let mut s = Suite::new();
    let (tenant, mallory, trent) = (s.addr("tenant"), s.addr("mallory"), s.addr("trent"));
    let id = deployment("tenant");
    s.open_account(&id, &tenant, 100);
    for i in 0..40 {
        let who = if i % 2 == 0 { &mallory } else { &trent };
        s.deposit(&id, who, 1).unwrap();
    }
    // the owner can always top up its own account
    s.deposit(&id, &tenant, 5).unwrap();
    let r = s.account(&id);
    let ds: Vec<_> = r.depositors.iter().map(|d| (d.address.clone(), d.amount)).collect();
    assert_eq!(ds, vec![(tenant, u(105)), (mallory, u(20)), (trent, u(20))]);
}
