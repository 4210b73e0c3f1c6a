//! Property tests.
//!
//! 1. Random message sequences (CT-11, CT-13, CT-14) over two deployment accounts and one bid
//!    collateral account, deposited into by their owners, by 5 other addresses (repeatedly) and
//!    by a crowd of 20 more, with take-rate changes and batch closes: after every step the ledger
//!    is conserved to the last atto-unit, the bank agrees with the ledger, indexes agree with the
//!    primary store, no payee is paid more than its funded blocks, overdrafts reach the market,
//!    the runway is exact, every payment's take is `floor((withdrawn + take) x its rate)`, an
//!    owner's deposit is never refused, a third party's is refused exactly when the rules say so,
//!    an account never holds more than `1 + MAX_THIRD_PARTY_DEPOSITORS` entries (one per
//!    address, in first-deposit order) and pruned entries were spent for good. Run twice: 1,000
//!    cases driving the entry points directly (mock storage, bank effects applied from the
//!    returned messages, failed transactions rolled back), and 200 cases through cw-multi-test
//!    (real bank module, the market a contract).
//! 2. The pure settlement math over a wide range of amounts, 10,000 cases each (CT-06).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use cosmwasm_std::testing::{MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env};
use cosmwasm_std::{
    Addr, BankMsg, Coin, CosmosMsg, DecCoin, Decimal, Decimal256, Env, Event, Order, OwnedDeps, ReplyOn, Storage,
    Uint256, WasmMsg, from_json,
};
use leasehold_escrow::contract;
use leasehold_escrow::msg::{
    Account, AccountId, AccountResponse, AccountScope, AccountState, Depositor, EscrowHookMsg, EscrowParams,
    ExecuteMsg, InstantiateMsg, MAX_DEPOSITORS, MAX_THIRD_PARTY_DEPOSITORS, MarketHookExecuteMsg, Payment, PaymentId,
    PaymentState, RunwayResponse,
};
use leasehold_escrow::query;
use leasehold_escrow::settlement::{self, accrual, whole};
use leasehold_escrow::state::{ACCOUNTS, DEPOSITORS, OPEN_PAYMENTS, PAYEE_PAYMENTS, PAYMENTS};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Two ways to run the contract
// ---------------------------------------------------------------------------------------------

/// What the sequences need from a chain.
trait Chain {
    fn height(&self) -> u64;
    fn advance(&mut self, blocks: u64);
    fn addr(&self, name: &str) -> Addr;
    fn escrow(&self) -> Addr;
    fn market(&self) -> Addr;
    fn admin(&self) -> Addr;
    fn pool(&self) -> Addr;
    fn mint(&mut self, to: &Addr, amount: Uint256);
    /// The wasm events (type `wasm-...`) of a successful execution, or the error message.
    fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> Result<Vec<Event>, String>;
    fn account(&self, id: &AccountId) -> AccountResponse;
    fn payments(&self, id: &AccountId) -> Vec<Payment>;
    fn runway(&self, id: &AccountId, block_time_ms: Option<u64>) -> RunwayResponse;
    fn with_storage<R>(&self, f: impl FnOnce(&dyn Storage) -> R) -> R;
    fn balance(&self, who: &Addr) -> Uint256;
    fn hooks(&self) -> Vec<(Addr, EscrowHookMsg)>;

    fn set_height(&mut self, height: u64) {
        let now = self.height();
        assert!(height >= now);
        self.advance(height - now);
    }
}

impl Chain for Suite {
    fn height(&self) -> u64 {
        Suite::height(self)
    }
    fn advance(&mut self, blocks: u64) {
        Suite::advance(self, blocks)
    }
    fn addr(&self, name: &str) -> Addr {
        Suite::addr(self, name)
    }
    fn escrow(&self) -> Addr {
        self.escrow.clone()
    }
    fn market(&self) -> Addr {
        self.market.clone()
    }
    fn admin(&self) -> Addr {
        self.admin.clone()
    }
    fn pool(&self) -> Addr {
        self.pool.clone()
    }
    fn mint(&mut self, to: &Addr, amount: Uint256) {
        Suite::mint(self, to, amount, DENOM)
    }
    fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> Result<Vec<Event>, String> {
        Suite::exec(self, sender, msg, funds).map(|r| r.events).map_err(|e| e.to_string())
    }
    fn account(&self, id: &AccountId) -> AccountResponse {
        Suite::account(self, id)
    }
    fn payments(&self, id: &AccountId) -> Vec<Payment> {
        Suite::payments(self, id, None, Some(100))
    }
    fn runway(&self, id: &AccountId, block_time_ms: Option<u64>) -> RunwayResponse {
        Suite::runway(self, id, block_time_ms)
    }
    fn with_storage<R>(&self, f: impl FnOnce(&dyn Storage) -> R) -> R {
        f(&*self.app.contract_storage(&self.escrow))
    }
    fn balance(&self, who: &Addr) -> Uint256 {
        Suite::balance(self, who)
    }
    fn hooks(&self) -> Vec<(Addr, EscrowHookMsg)> {
        Suite::hooks(self)
    }
}

/// The entry points called directly on mock storage, with a one-denom bank kept from the funds
/// sent and the `BankMsg`s returned, and failed executions rolled back.
struct Direct {
    deps: OwnedDeps<MockStorage, MockApi, MockQuerier>,
    env: Env,
    bank: BTreeMap<Addr, Uint256>,
    hooks: Vec<(Addr, EscrowHookMsg)>,
    market: Addr,
    admin: Addr,
    pool: Addr,
}

impl Direct {
    fn new(params: impl FnOnce(&Addr) -> EscrowParams) -> Self {
        let mut deps = mock_dependencies();
        let env = mock_env();
        let market = deps.api.addr_make("market");
        let pool = deps.api.addr_make("community-pool");
        let admin = deps.api.addr_make("admin");
        let msg =
            InstantiateMsg { admin: Some(admin.to_string()), params: params(&pool), market: Some(market.to_string()) };
        contract::instantiate(deps.as_mut(), env.clone(), message_info(&admin, &[]), msg).unwrap();
        Self { deps, env, bank: BTreeMap::new(), hooks: vec![], market, admin, pool }
    }

    fn credit(&mut self, to: &Addr, amount: Uint256) {
        *self.bank.entry(to.clone()).or_default() += amount;
    }

    fn debit(&mut self, from: &Addr, amount: Uint256) -> Result<(), String> {
        let b = self.bank.entry(from.clone()).or_default();
        *b = b.checked_sub(amount).map_err(|_| format!("{from} cannot send {amount}"))?;
        Ok(())
    }
}

impl Chain for Direct {
    fn height(&self) -> u64 {
        self.env.block.height
    }
    fn advance(&mut self, blocks: u64) {
        self.env.block.height += blocks;
        self.env.block.time = self.env.block.time.plus_seconds(6 * blocks);
    }
    fn addr(&self, name: &str) -> Addr {
        self.deps.api.addr_make(name)
    }
    fn escrow(&self) -> Addr {
        self.env.contract.address.clone()
    }
    fn market(&self) -> Addr {
        self.market.clone()
    }
    fn admin(&self) -> Addr {
        self.admin.clone()
    }
    fn pool(&self) -> Addr {
        self.pool.clone()
    }
    fn mint(&mut self, to: &Addr, amount: Uint256) {
        self.credit(to, amount);
    }
    fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> Result<Vec<Event>, String> {
        let total = funds.iter().fold(Uint256::zero(), |t, c| {
            assert_eq!(c.denom, DENOM);
            t + c.amount
        });
        if self.bank.get(sender).copied().unwrap_or_default() < total {
            return Err("insufficient bank balance".into());
        }
        let snapshot: Vec<(Vec<u8>, Vec<u8>)> = self.deps.storage.range(None, None, Order::Ascending).collect();
        let info = message_info(sender, funds);
        match contract::execute(self.deps.as_mut(), self.env.clone(), info, msg.clone()) {
            Err(e) => {
                let mut restored = MockStorage::new();
                for (k, v) in snapshot {
                    restored.set(&k, &v);
                }
                self.deps.storage = restored;
                Err(e.to_string())
            }
            Ok(resp) => {
                let escrow = self.escrow();
                self.debit(sender, total).unwrap();
                self.credit(&escrow, total);
                for sub in resp.messages {
                    assert_eq!(sub.reply_on, ReplyOn::Never);
                    match sub.msg {
                        CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                            for c in amount {
                                assert_eq!(c.denom, DENOM);
                                assert!(!c.amount.is_zero(), "no zero-amount transfers");
                                // the escrow never sends what it does not hold
                                self.debit(&escrow, c.amount).unwrap();
                                self.credit(&Addr::unchecked(to_address.clone()), c.amount);
                            }
                        }
                        CosmosMsg::Wasm(WasmMsg::Execute { contract_addr, msg, funds }) => {
                            assert_eq!(contract_addr, self.market.as_str());
                            assert!(funds.is_empty());
                            let MarketHookExecuteMsg::EscrowHook(hook) = from_json(&msg).unwrap();
                            self.hooks.push((escrow.clone(), hook));
                        }
                        other => panic!("unexpected message {other:?}"),
                    }
                }
                Ok(resp
                    .events
                    .into_iter()
                    .map(|e| Event::new(format!("wasm-{}", e.ty)).add_attributes(e.attributes))
                    .collect())
            }
        }
    }
    fn account(&self, id: &AccountId) -> AccountResponse {
        query::account(self.deps.as_ref(), self.env.clone(), id.clone()).unwrap()
    }
    fn payments(&self, id: &AccountId) -> Vec<Payment> {
        query::payments(self.deps.as_ref(), self.env.clone(), id.clone(), None, Some(100)).unwrap().payments
    }
    fn runway(&self, id: &AccountId, block_time_ms: Option<u64>) -> RunwayResponse {
        query::runway(self.deps.as_ref(), self.env.clone(), id.clone(), block_time_ms).unwrap()
    }
    fn with_storage<R>(&self, f: impl FnOnce(&dyn Storage) -> R) -> R {
        f(&self.deps.storage)
    }
    fn balance(&self, who: &Addr) -> Uint256 {
        self.bank.get(who).copied().unwrap_or_default()
    }
    fn hooks(&self) -> Vec<(Addr, EscrowHookMsg)> {
        self.hooks.clone()
    }
}

fn typed<'a>(evs: &'a [Event], ty: &str) -> Vec<&'a Event> {
    let ty = format!("wasm-{ty}");
    evs.iter().filter(|e| e.ty == ty).collect()
}

// ---------------------------------------------------------------------------------------------
// The sequences
// ---------------------------------------------------------------------------------------------

const ACCOUNTS_N: usize = 3;
/// Account `i` is owned by depositor `i`; the last account is a bid's collateral.
const BID_ACCOUNT: usize = ACCOUNTS_N - 1;
/// The owners, then 3 more regular depositors: each account sees its owner and 5 others.
const REGULARS_N: usize = ACCOUNTS_N + 3;
/// Third parties that each deposit rarely, enough of them to reach the third-party cap.
const CROWD_N: usize = MAX_THIRD_PARTY_DEPOSITORS + 4;
const DEPOSITORS_N: usize = REGULARS_N + CROWD_N;
const PAYEES_N: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Deposit {
        account: usize,
        depositor: usize,
        amount: u64,
    },
    /// `n` members of the crowd (from `first` on, wrapping) deposit `amount` each, one tx each.
    Crowd {
        account: usize,
        first: usize,
        n: usize,
        amount: u64,
    },
    Create {
        account: usize,
        payee: usize,
        rate: Decimal256,
    },
    ClosePayment {
        account: usize,
        slot: usize,
    },
    Withdraw {
        account: usize,
        slot: usize,
    },
    WithdrawByStranger {
        account: usize,
        slot: usize,
    },
    Advance(u64),
    Settle {
        account: usize,
    },
    CloseAccount {
        account: usize,
    },
    /// A batch close of these accounts (repeats and closed accounts included).
    CloseAccounts {
        accounts: Vec<usize>,
    },
    /// The admin changes the default take rate (the suite's denom has no own rate).
    ChangeTake(Decimal),
    Runway {
        account: usize,
    },
}

fn rate() -> impl Strategy<Value = Decimal256> {
    prop_oneof![
        Just(dec("0.37")),
        Just(dec("1")),
        Just(dec("1000000")),
        Just(dec("0.000000000000000001")),
        (1u64..=5_000_000, 0u32..=18).prop_map(|(n, k)| Decimal256::from_atomics(n, k).unwrap()),
    ]
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![1u64..1_000, 1u64..100_000_000]
}

fn op() -> impl Strategy<Value = Op> {
    let acc = 0..ACCOUNTS_N;
    prop_oneof![
        4 => (acc.clone(), 0..REGULARS_N, amount()).prop_map(|(account, depositor, amount)| Op::Deposit { account, depositor, amount }),
        1 => (acc.clone(), 0..CROWD_N, 1..=CROWD_N, 1u64..200).prop_map(|(account, first, n, amount)| Op::Crowd { account, first, n, amount }),
        3 => (acc.clone(), 0..PAYEES_N, rate()).prop_map(|(account, payee, rate)| Op::Create { account, payee, rate }),
        1 => (acc.clone(), 0..8usize).prop_map(|(account, slot)| Op::ClosePayment { account, slot }),
        2 => (acc.clone(), 0..8usize).prop_map(|(account, slot)| Op::Withdraw { account, slot }),
        1 => (acc.clone(), 0..8usize).prop_map(|(account, slot)| Op::WithdrawByStranger { account, slot }),
        4 => (0u64..50).prop_map(Op::Advance),
        1 => acc.clone().prop_map(|account| Op::Settle { account }),
        1 => acc.clone().prop_map(|account| Op::CloseAccount { account }),
        1 => prop::collection::vec(acc.clone(), 0..=ACCOUNTS_N).prop_map(|accounts| Op::CloseAccounts { accounts }),
        1 => take_rate().prop_map(Op::ChangeTake),
        1 => acc.prop_map(|account| Op::Runway { account }),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Open,
    Closed(u64),
    /// `funded_until` of the overdraft that stopped it.
    Overdrawn(u64),
}

#[derive(Debug)]
struct PayModel {
    id: PaymentId,
    payee: usize,
    rate: Decimal256,
    start: u64,
    end: End,
    /// The take rate in force when it was created.
    take: Decimal,
}

#[derive(Debug)]
struct AccModel {
    id: AccountId,
    owner: usize,
    deposited: Uint256,
    closed: bool,
    payments: Vec<PayModel>,
    next_xid: u32,
}

struct World<C: Chain> {
    c: C,
    accounts: Vec<AccModel>,
    depositors: Vec<Addr>,
    payees: Vec<Addr>,
    stranger: Addr,
    /// What each depositor's bank balance must be: minted - deposited + refunded.
    wallets: Vec<Uint256>,
    /// Overdrafts seen in events of deployment accounts (each must have produced one hook).
    overdrafts: Vec<EscrowHookMsg>,
    /// The params in force (the take rate of the suite's denom is `default_take_rate`).
    params: EscrowParams,
}

fn stored_account(c: &impl Chain, id: &AccountId) -> Account {
    c.with_storage(|st| ACCOUNTS.load(st, &id.key()).unwrap())
}

fn stored_payments(c: &impl Chain, id: &AccountId) -> Vec<Payment> {
    c.with_storage(|st| {
        PAYMENTS.prefix(&id.key()).range(st, None, None, Order::Ascending).map(|r| r.unwrap().1).collect()
    })
}

fn stored_depositors(c: &impl Chain, id: &AccountId) -> Option<Vec<Depositor>> {
    c.with_storage(|st| DEPOSITORS.may_load(st, &id.key()).unwrap())
}

/// The suite's params: `take` on the suite's denom, a third-party minimum of `minimum`.
fn params(pool: &Addr, take: Decimal, minimum: u64) -> EscrowParams {
    EscrowParams { default_take_rate: take, default_deposit_minimum: Uint256::from(minimum), ..default_params(pool) }
}

/// One list of depositor entries (stored, or as the account query shows it) follows the rules.
/// `for_good` is what can never return to the depositors: `refunded` plus the whole units of
/// every payment's accrual (a payment is paid at least the floor of what it accrued so far).
#[track_caller]
fn check_entries(owner: &Addr, a: &Account, payments: &[Payment], entries: &[Depositor]) {
    assert!(entries.len() <= MAX_DEPOSITORS, "{} entries", entries.len());
    assert!(entries.iter().filter(|d| d.address != *owner).count() <= MAX_THIRD_PARTY_DEPOSITORS);
    let addresses: BTreeSet<&Addr> = entries.iter().map(|d| &d.address).collect();
    assert_eq!(addresses.len(), entries.len(), "one entry per address");
    assert!(entries.windows(2).all(|w| w[0].height <= w[1].height), "entries in first-deposit order");
    assert!(entries.iter().all(|d| !d.amount.is_zero()));
    // pruned entries were spent for good (the contract's bound is sound), and the kept ones
    // hold exactly the whole balance
    let accrued = |p: &Payment| settlement::accrued_at(a, p).unwrap().to_uint_floor();
    let for_good = payments.iter().fold(a.refunded, |t, p| t + accrued(p));
    assert!(settlement::spent_for_good(a).unwrap() <= for_good, "spent_for_good is a lower bound");
    let offset = settlement::entries_offset(a, entries).unwrap();
    assert!(offset <= for_good, "pruned more than was spent for good");
    let remaining = settlement::fifo_remaining(entries, offset, settlement::spent(a).unwrap()).unwrap();
    let total = remaining.iter().fold(Uint256::zero(), |t, r| t + *r);
    assert_eq!(total, settlement::balance(a).unwrap().to_uint_floor(), "entries refund the whole balance");
}

impl<C: Chain> World<C> {
    /// Opens the accounts on a chain instantiated with `params`.
    fn new(mut c: C, params: EscrowParams, initial: [u64; ACCOUNTS_N]) -> Self {
        let depositors: Vec<Addr> = (0..DEPOSITORS_N).map(|i| c.addr(&format!("depositor{i}"))).collect();
        let payees: Vec<Addr> = (0..PAYEES_N).map(|i| c.addr(&format!("payee{i}"))).collect();
        let stranger = c.addr("stranger");
        let mut accounts = Vec::new();
        for (i, amount) in initial.into_iter().enumerate() {
            let scope = if i == BID_ACCOUNT { AccountScope::Bid } else { AccountScope::Deployment };
            let id = AccountId { scope, xid: format!("owner{i}/{i}") };
            let msg = ExecuteMsg::OpenAccount { id: id.clone(), owner: depositors[i].to_string() };
            let market = c.market();
            c.mint(&market, Uint256::from(amount));
            c.exec(&market, &msg, &[Coin::new(Uint256::from(amount), DENOM)]).unwrap();
            accounts.push(AccModel {
                id,
                owner: i,
                deposited: Uint256::from(amount),
                closed: false,
                payments: vec![],
                next_xid: 0,
            });
        }
        Self {
            c,
            accounts,
            depositors,
            payees,
            stranger,
            wallets: vec![Uint256::zero(); DEPOSITORS_N],
            overdrafts: vec![],
            params,
        }
    }

    fn payment(&self, account: usize, slot: usize) -> Option<usize> {
        let n = self.accounts[account].payments.len();
        if n == 0 { None } else { Some(slot % n) }
    }

    fn exec_as(&mut self, sender: &Addr, msg: ExecuteMsg) -> Result<Vec<Event>, String> {
        self.c.exec(sender, &msg, &[])
    }

    fn exec_market(&mut self, msg: ExecuteMsg) -> Result<Vec<Event>, String> {
        let market = self.c.market();
        self.c.exec(&market, &msg, &[])
    }

    /// Records what the events of a successful response say happened.
    fn absorb(&mut self, res: &[Event]) {
        let h = self.c.height();
        for e in typed(res, "escrow-overdrawn") {
            let account = attr(e, "account");
            let funded_until: u64 = attr(e, "funded_until").parse().unwrap();
            let xids: Vec<String> = cosmwasm_std::from_json(attr(e, "payments")).unwrap();
            let a = self.accounts.iter_mut().find(|a| a.id.to_string() == account).expect("known account");
            assert_eq!(a.id.scope, AccountScope::Deployment, "only deployment accounts pay");
            assert!(funded_until < h);
            let mut stopped = Vec::new();
            for p in a.payments.iter_mut().filter(|p| p.end == End::Open) {
                stopped.push(p.id.xid.clone());
                p.end = End::Overdrawn(funded_until);
            }
            stopped.sort();
            let mut listed = xids.clone();
            listed.sort();
            assert_eq!(stopped, listed, "an overdraft stops exactly the open payments");
            self.overdrafts.push(EscrowHookMsg::AccountOverdrawn {
                account: a.id.clone(),
                payments: xids,
                funded_until,
            });
        }
        for e in typed(res, "escrow-payment-closed") {
            let account = attr(e, "account");
            let xid = attr(e, "payment");
            let a = self.accounts.iter_mut().find(|a| a.id.to_string() == account).unwrap();
            let p = a.payments.iter_mut().find(|p| p.id.xid == xid).unwrap();
            match attr(e, "state").as_str() {
                "closed" => {
                    assert_eq!(p.end, End::Open, "only open payments close");
                    p.end = End::Closed(h);
                }
                "overdrawn" => assert!(matches!(p.end, End::Overdrawn(_))),
                other => panic!("unexpected payment state {other}"),
            }
        }
        for e in typed(res, "escrow-refunded") {
            let who = attr(e, "depositor");
            let i = self.depositors.iter().position(|d| d.as_str() == who).unwrap();
            self.wallets[i] += attr(e, "amount").parse::<Uint256>().unwrap();
        }
    }

    /// One deposit, whose outcome the rules decide: the owner's is never refused; a third
    /// party's is refused below the minimum, or when it has no entry and the account already
    /// has `MAX_THIRD_PARTY_DEPOSITORS` third-party entries (as a write now would prune them,
    /// which the account query shows).
    fn deposit(&mut self, account: usize, depositor: usize, amount: u64) {
        let id = self.accounts[account].id.clone();
        let owner = self.depositors[self.accounts[account].owner].clone();
        let from = self.depositors[depositor].clone();
        let amount = Uint256::from(amount);
        let closed = self.accounts[account].closed;
        let third_party = from != owner;
        let refusal = if closed {
            Some("is closed")
        } else if third_party && amount < self.params.default_deposit_minimum {
            Some("is below the third-party minimum")
        } else if third_party {
            let entries = self.c.account(&id).depositors;
            let others = entries.iter().filter(|d| d.address != owner).count();
            let has_entry = entries.iter().any(|d| d.address == from);
            (!has_entry && others >= MAX_THIRD_PARTY_DEPOSITORS).then_some("third-party depositor entries")
        } else {
            None
        };
        self.wallets[depositor] += amount; // minted before the attempt
        self.c.mint(&from, amount);
        let res = self.c.exec(&from, &ExecuteMsg::Deposit { id }, &[Coin::new(amount, DENOM)]);
        match (res, refusal) {
            (Ok(res), None) => {
                self.wallets[depositor] -= amount;
                self.accounts[account].deposited += amount;
                assert_eq!(attr(typed(&res, "escrow-deposited")[0], "third_party"), third_party.to_string());
                self.absorb(&res);
            }
            (Err(e), Some(why)) => assert!(e.contains(why), "{e}"),
            (Ok(_), Some(why)) => panic!("a deposit that {why} was accepted"),
            (Err(e), None) => panic!("refused a deposit the rules accept (owner: {}): {e}", !third_party),
        }
    }

    /// First in, first out: refunds go to a suffix of the entries stored before the close; all
    /// but the first refunded entry get back everything they put in.
    fn check_refunds(&self, entries: &[Depositor], account: &AccountId, res: &[Event]) {
        let refunds: Vec<(String, Uint256)> = typed(res, "escrow-refunded")
            .iter()
            .filter(|e| attr(e, "account") == account.to_string())
            .map(|e| (attr(e, "depositor"), attr(e, "amount").parse().unwrap()))
            .collect();
        let suffix = &entries[entries.len() - refunds.len()..];
        for (k, ((who, amount), entry)) in refunds.iter().zip(suffix).enumerate() {
            assert_eq!(who, entry.address.as_str());
            assert!(!amount.is_zero());
            if k == 0 {
                assert!(*amount <= entry.amount);
            } else {
                assert_eq!(*amount, entry.amount, "later deposits are refunded in full");
            }
        }
        let total = refunds.iter().fold(Uint256::zero(), |t, (_, a)| t + *a);
        let closed = typed(res, "escrow-closed").into_iter().find(|e| attr(e, "account") == account.to_string());
        assert_eq!(attr(closed.expect("closed"), "refunded"), total.to_string());
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::Deposit { account, depositor, amount } => self.deposit(account, depositor, amount),
            Op::Crowd { account, first, n, amount } => {
                for k in 0..n {
                    self.deposit(account, REGULARS_N + (first + k) % CROWD_N, amount);
                }
            }
            Op::Create { account, payee, rate } => {
                let a = &mut self.accounts[account];
                let xid = format!("{:03}", a.next_xid);
                a.next_xid += 1;
                let id = PaymentId { account: a.id.clone(), xid };
                let msg = ExecuteMsg::CreatePayment {
                    id: id.clone(),
                    payee: self.payees[payee].to_string(),
                    rate: DecCoin::new(rate, DENOM),
                };
                let closed = a.closed;
                let take = self.params.default_take_rate;
                match self.exec_market(msg) {
                    Ok(res) => {
                        assert!(!closed);
                        assert_ne!(account, BID_ACCOUNT, "bid accounts do not pay");
                        let start = self.c.height();
                        self.accounts[account].payments.push(PayModel { id, payee, rate, start, end: End::Open, take });
                        assert!(typed(&res, "escrow-overdrawn").is_empty());
                        assert_eq!(attr(typed(&res, "escrow-payment-created")[0], "take_rate"), take.to_string());
                    }
                    Err(e) => {
                        if account == BID_ACCOUNT {
                            assert!(e.contains("only deployment accounts fund payments"), "{e}");
                        } else if closed {
                            assert!(e.contains("is closed"), "{e}");
                        } else {
                            assert!(
                                e.contains("insufficient funds")
                                    || e.contains("is overdrawn")
                                    || e.contains("open payments"),
                                "{e}"
                            );
                        }
                    }
                }
            }
            Op::ClosePayment { account, slot } => {
                let Some(i) = self.payment(account, slot) else {
                    let id = PaymentId { account: self.accounts[account].id.clone(), xid: "missing".into() };
                    let e = self.exec_market(ExecuteMsg::ClosePayment { id }).unwrap_err();
                    assert!(e.contains("not found"), "{e}");
                    return;
                };
                let id = self.accounts[account].payments[i].id.clone();
                let res = self.exec_market(ExecuteMsg::ClosePayment { id }).unwrap();
                self.absorb(&res);
                assert_ne!(self.accounts[account].payments[i].end, End::Open);
            }
            Op::Withdraw { account, slot } => {
                let Some(i) = self.payment(account, slot) else { return };
                let p = &self.accounts[account].payments[i];
                let (id, payee) = (p.id.clone(), self.payees[p.payee].clone());
                let res = self.exec_as(&payee, ExecuteMsg::Withdraw { id }).unwrap();
                self.absorb(&res);
            }
            Op::WithdrawByStranger { account, slot } => {
                let Some(i) = self.payment(account, slot) else { return };
                let id = self.accounts[account].payments[i].id.clone();
                let stranger = self.stranger.clone();
                let e = self.exec_as(&stranger, ExecuteMsg::Withdraw { id }).unwrap_err();
                assert!(e.contains("is not allowed to withdraw"), "{e}");
            }
            Op::Advance(n) => self.c.advance(n),
            Op::Settle { account } => {
                let id = self.accounts[account].id.clone();
                let stranger = self.stranger.clone();
                let res = self.exec_as(&stranger, ExecuteMsg::Settle { id }).unwrap();
                self.absorb(&res);
            }
            Op::CloseAccount { account } => {
                let id = self.accounts[account].id.clone();
                if self.accounts[account].closed {
                    let e = self.exec_market(ExecuteMsg::CloseAccount { id }).unwrap_err();
                    assert!(e.contains("is closed"), "{e}");
                    return;
                }
                let entries = stored_depositors(&self.c, &id).expect("an open account has entries");
                let res = self.exec_market(ExecuteMsg::CloseAccount { id: id.clone() }).unwrap();
                self.absorb(&res);
                self.accounts[account].closed = true;
                assert!(self.accounts[account].payments.iter().all(|p| p.end != End::Open));
                self.check_refunds(&entries, &id, &res);
            }
            Op::CloseAccounts { ref accounts } => {
                let ids: Vec<AccountId> = accounts.iter().map(|&i| self.accounts[i].id.clone()).collect();
                let entries: Vec<Option<Vec<Depositor>>> =
                    ids.iter().map(|id| stored_depositors(&self.c, id)).collect();
                let distinct: BTreeSet<usize> = accounts.iter().copied().collect();
                let res = self.exec_market(ExecuteMsg::CloseAccounts { ids: ids.clone() });
                if distinct.len() < accounts.len() {
                    let e = res.unwrap_err();
                    assert!(e.contains("is listed twice"), "{e}");
                    return;
                }
                if accounts.iter().any(|&i| self.accounts[i].closed) {
                    let e = res.unwrap_err();
                    assert!(e.contains("is closed"), "{e}");
                    return;
                }
                let res = res.unwrap_or_else(|e| panic!("batch close of open accounts failed: {e}"));
                self.absorb(&res);
                assert_eq!(typed(&res, "escrow-closed").len(), accounts.len());
                for (k, &i) in accounts.iter().enumerate() {
                    self.accounts[i].closed = true;
                    assert!(self.accounts[i].payments.iter().all(|p| p.end != End::Open));
                    let stored = entries[k].as_deref().expect("an open account has entries");
                    self.check_refunds(stored, &ids[k], &res);
                }
            }
            Op::ChangeTake(take) => {
                let params = EscrowParams { default_take_rate: take, ..self.params.clone() };
                let admin = self.c.admin();
                self.exec_as(&admin, ExecuteMsg::UpdateParams { params: params.clone() }).unwrap();
                self.params = params;
            }
            Op::Runway { account } => self.check_runway(account),
        }
    }

    /// The runway is exact: settling at `funded_until` is solvent, one block later overdraws.
    fn check_runway(&mut self, account: usize) {
        let id = self.accounts[account].id.clone();
        let now = self.c.height();
        let rw = self.c.runway(&id, Some(6_000));
        let view = self.c.account(&id);
        let stored = stored_account(&self.c, &id);
        if view.overdrawn_now {
            let mut copy = stored.clone();
            let od = settlement::settle(&mut copy, now).unwrap().expect("overdraws now");
            assert_eq!((rw.blocks, rw.funded_until, rw.seconds), (Some(0), Some(od.funded_until), Some(0)));
            assert_eq!(rw.rate, stored.rate);
            return;
        }
        let (Some(blocks), Some(until)) = (rw.blocks, rw.funded_until) else {
            assert!(rw.rate.is_zero() && view.account.rate.is_zero());
            return;
        };
        assert_eq!(until, now + blocks);
        assert_eq!(rw.seconds, Some(u64::try_from(u128::from(blocks) * 6).unwrap_or(u64::MAX)));
        let mut at = stored.clone();
        assert_eq!(settlement::settle(&mut at, until).unwrap(), None, "solvent at funded_until");
        if until == u64::MAX {
            // a runway past the last representable height (a tiny rate on a big balance)
            return;
        }
        let mut after = stored.clone();
        let od = settlement::settle(&mut after, until + 1).unwrap().expect("overdraws one block later");
        assert_eq!(od.funded_until, until);
        // and the chain agrees when it is close enough to walk there
        if blocks <= 60 {
            self.c.set_height(until);
            assert!(!self.c.account(&id).overdrawn_now);
            self.c.advance(1);
            assert!(self.c.account(&id).overdrawn_now);
        }
    }

    /// Every invariant, after every step.
    fn check(&self) {
        let s = &self.c;
        let now = s.height();
        let mut escrow_expected = Uint256::zero();
        let mut payee_paid = [Uint256::zero(); PAYEES_N];
        let mut take_total = Uint256::zero();
        let mut open_keys = BTreeSet::new();
        let mut payee_keys = BTreeSet::new();

        for m in &self.accounts {
            let a = stored_account(s, &m.id);
            let payments = stored_payments(s, &m.id);
            assert_eq!(a.deposited, m.deposited, "deposits recorded");
            assert_eq!(payments.len(), m.payments.len());
            assert_eq!(a.state == AccountState::Closed, m.closed);

            // ledger: rate, open count and charged agree with the payments, exactly
            let open: Vec<&Payment> = payments.iter().filter(|p| p.state == PaymentState::Open).collect();
            assert_eq!(a.open_payments as usize, open.len());
            assert_eq!(a.rate, open.iter().fold(Decimal256::zero(), |r, p| r + p.rate.amount));
            let mut charged = Decimal256::zero();
            let mut paid = Uint256::zero();
            for p in &payments {
                let accrued = settlement::accrued_at(&a, p).unwrap();
                charged += accrued;
                let out = p.withdrawn + p.take;
                paid += out;
                assert!(out <= accrued.to_uint_floor(), "never paid more than accrued");
                if p.state != PaymentState::Open {
                    assert_eq!(accrued, whole(out).unwrap(), "a stopped payment is paid in full and whole");
                } else {
                    open_keys.insert((m.id.key(), p.id.xid.clone()));
                    payee_keys.insert((p.payee.to_string(), m.id.key(), p.id.xid.clone()));
                }
                // the take is floored on the cumulative earnings, at the payment's own rate
                let pm = m.payments.iter().find(|pm| pm.id == p.id).unwrap();
                assert_eq!(p.take_rate, Some(pm.take), "the rate in force at creation");
                assert_eq!(p.take, out.mul_floor(pm.take), "take == floor((withdrawn + take) x rate)");
                let i = self.payees.iter().position(|x| *x == p.payee).unwrap();
                payee_paid[i] += p.withdrawn;
                take_total += p.take;
            }
            assert_eq!(a.charged, charged, "charged == sum of accruals");
            // conservation: deposited = balance + paid out + unpaid accruals + refunded, exactly
            let balance = settlement::balance(&a).unwrap();
            let unpaid = charged - whole(paid).unwrap();
            assert_eq!(
                whole(a.deposited).unwrap(),
                balance + whole(paid).unwrap() + unpaid + whole(a.refunded).unwrap()
            );
            if a.state == AccountState::Closed {
                assert!(balance.is_zero() && unpaid.is_zero());
                assert_eq!(a.deposited, a.refunded + paid, "closed: deposited = refunded + payouts");
            }

            // depositor entries: bounded, one per address, pruned only when spent for good
            let owner = &self.depositors[m.owner];
            assert_eq!(&a.owner, owner);
            match stored_depositors(s, &m.id) {
                None => assert_eq!(a.state, AccountState::Closed, "only a closed account drops its list"),
                Some(entries) => {
                    assert_ne!(a.state, AccountState::Closed, "a closed account keeps no list");
                    check_entries(owner, &a, &payments, &entries);
                }
            }
            escrow_expected += a.deposited - a.refunded - paid;

            // the settled view conserves too
            let view = s.account(&m.id);
            let view_payments = s.payments(&m.id);
            check_entries(owner, &view.account, &view_payments, &view.depositors);
            let view_accrued = view_payments.iter().fold(Decimal256::zero(), |t, p| t + p.accrued);
            assert_eq!(
                whole(view.account.deposited).unwrap(),
                view.balance + view_accrued + whole(view.account.refunded).unwrap()
            );
            assert_eq!(view.account.charged, view_accrued);
            if a.state == AccountState::Open && view.account.state == AccountState::Open {
                assert_eq!(view.account.settled_at, now.max(a.settled_at));
            }

            // no payee is paid more than its payment's funded blocks
            for (pm, p) in m.payments.iter().zip(&payments) {
                assert_eq!(pm.id, p.id);
                let out = p.withdrawn + p.take;
                let floor_at = |h: u64| accrual(pm.rate, h - pm.start).unwrap().to_uint_floor();
                match pm.end {
                    End::Open => {
                        assert_eq!(p.state, PaymentState::Open);
                        assert!(out <= floor_at(now));
                    }
                    End::Closed(h) => {
                        assert_eq!(p.state, PaymentState::Closed);
                        assert_eq!(out, floor_at(h), "a closed payment is paid exactly rate x blocks");
                    }
                    End::Overdrawn(f) => {
                        assert_eq!(p.state, PaymentState::Overdrawn);
                        assert!(f >= pm.start);
                        assert!(floor_at(f) <= out && out <= floor_at(f + 1), "paid what was funded, no more");
                    }
                }
            }
        }

        // indexes agree with the primary store
        let (stored_open, stored_payee) = s.with_storage(|st| {
            let open: BTreeSet<(String, String)> =
                OPEN_PAYMENTS.keys(st, None, None, Order::Ascending).map(|k| k.unwrap()).collect();
            let payee: BTreeSet<(String, String, String)> = PAYEE_PAYMENTS
                .keys(st, None, None, Order::Ascending)
                .map(|k| {
                    let (a, b, c) = k.unwrap();
                    (a.to_string(), b, c)
                })
                .collect();
            (open, payee)
        });
        assert_eq!(stored_open, open_keys);
        assert_eq!(stored_payee, payee_keys);

        // the bank agrees with the ledger
        assert_eq!(s.balance(&s.escrow()), escrow_expected, "escrow bank balance");
        for (i, p) in self.payees.iter().enumerate() {
            assert_eq!(s.balance(p), payee_paid[i], "payee {i} bank balance");
        }
        assert_eq!(s.balance(&s.pool()), take_total, "community pool");
        for (i, d) in self.depositors.iter().enumerate() {
            assert_eq!(s.balance(d), self.wallets[i], "depositor {i} bank balance");
        }
        // one hook per overdraft, in order, from the escrow
        let hooks = s.hooks();
        assert_eq!(hooks.len(), self.overdrafts.len());
        for ((sender, hook), expected) in hooks.iter().zip(&self.overdrafts) {
            assert_eq!(sender, &s.escrow());
            assert_eq!(hook, expected);
        }
    }
}

fn take_rate() -> impl Strategy<Value = Decimal> {
    prop_oneof![Just(Decimal::zero()), Just(Decimal::percent(2)), Just(Decimal::permille(375)), Just(Decimal::one())]
}

fn minimum() -> impl Strategy<Value = u64> {
    prop_oneof![Just(1u64), Just(50u64)]
}

/// Runs a sequence, checking every invariant after every step, then closes every account still
/// open in one batch and checks that the escrow holds nothing.
fn run<C: Chain>(chain: C, take: Decimal, minimum: u64, initial: [u64; ACCOUNTS_N], ops: &[Op]) {
    let params = params(&chain.pool(), take, minimum);
    let mut w = World::new(chain, params, initial);
    w.check();
    for op in ops {
        w.step(op);
        w.check();
    }
    let open: Vec<usize> = (0..ACCOUNTS_N).filter(|&i| !w.accounts[i].closed).collect();
    w.step(&Op::CloseAccounts { accounts: open });
    w.check();
    assert!(w.accounts.iter().all(|a| a.closed));
    assert_eq!(w.c.balance(&w.c.escrow()), Uint256::zero());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    /// CT-11 / CT-13 / CT-14 on the entry points.
    #[test]
    fn random_sequences_conserve_funds(
        take in take_rate(),
        minimum in minimum(),
        initial in [amount(), amount(), amount()],
        ops in prop::collection::vec(op(), 1..=40),
    ) {
        run(Direct::new(|pool| params(pool, take, minimum)), take, minimum, initial, &ops);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// The same through cw-multi-test: real bank transfers, the market a contract.
    #[test]
    fn random_sequences_conserve_funds_in_multi_test(
        take in take_rate(),
        minimum in minimum(),
        initial in [amount(), amount(), amount()],
        ops in prop::collection::vec(op(), 1..=40),
    ) {
        run(Suite::build(|pool| params(pool, take, minimum)), take, minimum, initial, &ops);
    }
}

// ---------------------------------------------------------------------------------------------
// CT-06: the pure math, 10,000 cases
// ---------------------------------------------------------------------------------------------

fn fresh_account(deposit: Uint256) -> Account {
    Account {
        id: AccountId { scope: AccountScope::Deployment, xid: "o/1".into() },
        owner: Addr::unchecked("owner"),
        state: AccountState::Open,
        denom: DENOM.into(),
        deposited: deposit,
        refunded: Uint256::zero(),
        charged: Decimal256::zero(),
        rate: Decimal256::zero(),
        settled_at: 0,
        open_payments: 0,
    }
}

fn fresh_payment(account: &mut Account, xid: &str, rate: Decimal256) -> Payment {
    account.rate += rate;
    account.open_payments += 1;
    Payment {
        id: PaymentId { account: account.id.clone(), xid: xid.into() },
        payee: Addr::unchecked(xid),
        state: PaymentState::Open,
        rate: cosmwasm_std::DecCoin::new(rate, DENOM),
        accrued: Decimal256::zero(),
        settled_at: account.settled_at,
        withdrawn: Uint256::zero(),
        take: Uint256::zero(),
        take_rate: None,
    }
}

fn big_rate() -> impl Strategy<Value = Decimal256> {
    // 1e-18 ..= 1e12 per block: any atomics, or a few digits at any scale
    prop_oneof![
        (1u128..=1_000_000_000_000_000_000_000_000_000_000u128).prop_map(|n| Decimal256::new(Uint256::from(n))),
        (1u64..=1_000_000_000_000, 0u32..=18).prop_map(|(n, k)| Decimal256::from_atomics(n, k).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// One payment, closed at some height (or overdrawn first): payee + refund == deposit,
    /// exactly, and the payee never gets more than it accrued.
    #[test]
    fn close_settlement_is_exact(
        deposit in 1u128..=u128::MAX,
        rate in big_rate(),
        close_at in 1u64..=10_000_000,
        take in 0u64..=100,
    ) {
        let mut a = fresh_account(Uint256::from(deposit));
        prop_assume!(whole(a.deposited).unwrap() >= rate);
        let mut p = fresh_payment(&mut a, "p", rate);
        let take = Decimal::percent(take);
        let payout = match settlement::settle(&mut a, close_at).unwrap() {
            None => {
                settlement::stop_payment(&mut a, &mut p, PaymentState::Closed).unwrap();
                prop_assert_eq!(p.accrued, accrual(rate, close_at).unwrap().floor());
                settlement::pay_out(&mut p, take).unwrap()
            }
            Some(od) => {
                let mut ps = vec![p];
                settlement::apply_overdraft(&mut a, &mut ps, close_at, &od).unwrap();
                p = ps.pop().unwrap();
                // funded blocks and, with a single payment, the whole remainder
                prop_assert_eq!(p.accrued, whole(a.deposited).unwrap().floor());
                settlement::pay_out(&mut p, take).unwrap()
            }
        };
        prop_assert!(payout.take <= payout.total());
        let refund = settlement::balance(&a).unwrap();
        prop_assert_eq!(refund, refund.floor(), "nothing fractional is left");
        prop_assert_eq!(whole(payout.total()).unwrap() + refund, whole(a.deposited).unwrap());
        prop_assert!(whole(payout.total()).unwrap() <= accrual(rate, close_at).unwrap());
    }

    /// Several payments overdrawn at once: each is paid for the funded blocks and a pro-rata
    /// share of the partial block, never more; the payer keeps the rest; nothing is lost.
    #[test]
    fn overdraft_split_is_exact(
        deposit in 1u128..=1_000_000_000_000_000_000u128,
        rates in prop::collection::vec(big_rate(), 1..=4),
        at in 1u64..=1_000_000,
    ) {
        let mut a = fresh_account(Uint256::from(deposit));
        let mut ps: Vec<Payment> =
            rates.iter().enumerate().map(|(i, r)| fresh_payment(&mut a, &i.to_string(), *r)).collect();
        let total = a.rate;
        let Some(od) = settlement::settle(&mut a, at).unwrap() else {
            prop_assert!(accrual(total, at).unwrap() <= whole(a.deposited).unwrap());
            return Ok(());
        };
        prop_assert!(accrual(total, od.blocks).unwrap() <= whole(a.deposited).unwrap());
        prop_assert!(accrual(total, od.blocks + 1).unwrap() > whole(a.deposited).unwrap());
        settlement::apply_overdraft(&mut a, &mut ps, at, &od).unwrap();
        let mut paid = Decimal256::zero();
        for (p, r) in ps.iter().zip(&rates) {
            prop_assert!(p.accrued >= accrual(*r, od.blocks).unwrap().floor());
            prop_assert!(p.accrued <= accrual(*r, od.blocks + 1).unwrap());
            prop_assert_eq!(p.accrued, p.accrued.floor());
            paid += p.accrued;
        }
        prop_assert_eq!(paid + settlement::balance(&a).unwrap(), whole(a.deposited).unwrap());
        prop_assert_eq!(a.charged, paid);
        // the payer keeps less than one unit per payment plus what was never owed
        prop_assert!(settlement::balance(&a).unwrap() < od.remainder + whole(Uint256::from(ps.len() as u64)).unwrap());
    }
}
