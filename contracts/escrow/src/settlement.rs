//! The money math of the escrow, free of storage: settling an account, stopping and paying out
//! payments, splitting the take, and first-in-first-out refunds.
//!
//! Everything is exact. Rates and accruals are `Decimal256` (18 decimals); `rate x blocks` is
//! an integer multiplication of the rate's atomics, so no rounding happens while payments
//! accrue. Rounding happens in exactly three places, always in favour of the payer of the
//! transfer:
//! - a payee is paid `floor(accrued)`; the fraction returns to the account when the payment
//!   stops (open payments keep it and pay it once it adds up to a whole unit);
//! - an overdraft's last, partially funded block is split pro-rata by rate with each share
//!   truncated to 18 decimals; the leftover (< 1e-17 units per payment) stays in the account;
//! - the take is `floor(unpaid x take_rate)`.
//!
//! Invariants kept by these functions (and checked by the contract's property tests):
//! - `account.rate` is the exact sum of the rates of the account's open payments;
//! - `account.charged` is the exact sum of what every payment accrued up to
//!   `account.settled_at` (open payments accrue lazily: `accrued + rate x (account.settled_at -
//!   payment.settled_at)`);
//! - `charged <= deposited - refunded`, so `balance = deposited - refunded - charged >= 0`.

use cosmwasm_std::{Decimal, Decimal256, Uint256, Uint512};
use leasehold_types::escrow::{Account, AccountState, Depositor, EscrowParams, Payment, PaymentState};

use crate::error::ContractError;

/// `rate x blocks`, exactly.
pub fn accrual(rate: Decimal256, blocks: u64) -> Result<Decimal256, ContractError> {
    rate.atomics()
        .checked_mul(Uint256::from(blocks))
        .map(Decimal256::new)
        .map_err(|_| ContractError::overflow("rate x blocks"))
}

/// A whole number of units as a decimal; errors when it exceeds what `Decimal256` represents
/// (about 1.15e59 units).
pub fn whole(amount: Uint256) -> Result<Decimal256, ContractError> {
    Decimal256::from_atomics(amount, 0).map_err(|_| ContractError::overflow("amount as decimal"))
}

fn add(a: Decimal256, b: Decimal256, what: &'static str) -> Result<Decimal256, ContractError> {
    a.checked_add(b).map_err(|_| ContractError::overflow(what))
}

fn sub(a: Decimal256, b: Decimal256, what: &'static str) -> Result<Decimal256, ContractError> {
    a.checked_sub(b).map_err(|_| ContractError::inconsistent(format!("{what} would be negative")))
}

/// `u64` from a `Uint256` that must fit.
pub fn to_u64(v: Uint256) -> Option<u64> {
    if v > Uint256::from(u64::MAX) {
        return None;
    }
    let bytes = v.to_be_bytes();
    let mut low = [0u8; 8];
    low.copy_from_slice(&bytes[24..32]);
    Some(u64::from_be_bytes(low))
}

/// `deposited - refunded - charged`, checked (unlike `Account::balance`, which saturates).
pub fn balance(account: &Account) -> Result<Decimal256, ContractError> {
    let held = account
        .deposited
        .checked_sub(account.refunded)
        .map_err(|_| ContractError::inconsistent("refunded exceeds deposited"))?;
    sub(whole(held)?, account.charged, "balance")
}

/// What settling an account to a later height would find when the balance does not cover it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overdraft {
    /// Whole blocks the balance funds at the account's rate, counted from `settled_at`.
    pub blocks: u64,
    /// `settled_at + blocks`: the last fully funded height.
    pub funded_until: u64,
    /// `balance - rate x blocks`, less than one block's rate; shared pro-rata by rate.
    pub remainder: Decimal256,
    /// `rate x (height - settled_at) - balance` (saturating at `Decimal256::MAX`).
    pub shortfall: Decimal256,
}

/// Settles `account` to `height` when its balance covers it, and returns `None`.
///
/// Nothing happens when the account is not open or `height <= settled_at`; with no open
/// payment only `settled_at` moves. When the balance does not cover the charge, the account
/// is left untouched and the overdraft is returned; apply it with [`apply_overdraft`] and the
/// account's open payments. O(1).
pub fn settle(account: &mut Account, height: u64) -> Result<Option<Overdraft>, ContractError> {
    if account.state != AccountState::Open || height <= account.settled_at {
        return Ok(None);
    }
    if account.rate.is_zero() {
        account.settled_at = height;
        return Ok(None);
    }
    let delta = height - account.settled_at;
    let balance = balance(account)?;
    // Compared in 512 bits: an absurd rate x delta is an overdraft, not an error that would
    // leave the account impossible to settle (and so to close).
    let need = account.rate.atomics().full_mul(Uint256::from(delta));
    if need <= Uint512::from(balance.atomics()) {
        let need = Uint256::try_from(need).map_err(|_| ContractError::overflow("rate x blocks"))?;
        account.charged = add(account.charged, Decimal256::new(need), "charged")?;
        account.settled_at = height;
        return Ok(None);
    }
    // need > balance, so blocks < delta: it fits in a u64 and funded_until < height.
    let blocks = to_u64(balance.atomics() / account.rate.atomics())
        .ok_or_else(|| ContractError::inconsistent("funded blocks exceed the settlement span"))?;
    let funded = accrual(account.rate, blocks)?;
    let remainder = sub(balance, funded, "overdraft remainder")?;
    let shortfall = need
        .checked_sub(Uint512::from(balance.atomics()))
        .ok()
        .and_then(|s| Uint256::try_from(s).ok())
        .map(Decimal256::new)
        .unwrap_or(Decimal256::MAX);
    Ok(Some(Overdraft { blocks, funded_until: account.settled_at + blocks, remainder, shortfall }))
}

/// What an open payment accrued as of the account's `settled_at` (a stopped payment's
/// `accrued` is final).
pub fn accrued_at(account: &Account, payment: &Payment) -> Result<Decimal256, ContractError> {
    if payment.state != PaymentState::Open {
        return Ok(payment.accrued);
    }
    let blocks = account
        .settled_at
        .checked_sub(payment.settled_at)
        .ok_or_else(|| ContractError::inconsistent("payment settled after its account"))?;
    add(payment.accrued, accrual(payment.rate.amount, blocks)?, "payment accrued")
}

/// Brings an open payment's `accrued` up to the account's `settled_at` (no effect on the
/// account: `charged` already includes it).
pub fn sync_payment(account: &Account, payment: &mut Payment) -> Result<(), ContractError> {
    if payment.state == PaymentState::Open {
        payment.accrued = accrued_at(account, payment)?;
        payment.settled_at = account.settled_at;
    }
    Ok(())
}

/// Stops an open payment at the account's `settled_at`: its accrual is made final, the
/// fractional part of it returns to the account, and its rate stops counting.
pub fn stop_payment(account: &mut Account, payment: &mut Payment, state: PaymentState) -> Result<(), ContractError> {
    if payment.state != PaymentState::Open {
        return Err(ContractError::inconsistent(format!("payment {} is not open", payment.id)));
    }
    sync_payment(account, payment)?;
    let floor = payment.accrued.floor();
    let fraction = sub(payment.accrued, floor, "payment fraction")?;
    account.charged = sub(account.charged, fraction, "charged")?;
    payment.accrued = floor;
    payment.state = state;
    account.rate = sub(account.rate, payment.rate.amount, "account rate")?;
    account.open_payments = account
        .open_payments
        .checked_sub(1)
        .ok_or_else(|| ContractError::inconsistent("open payment count would be negative"))?;
    Ok(())
}

/// Applies an overdraft found by [`settle`] at `height`.
///
/// `payments` must be exactly the account's open payments. Each accrues its rate through
/// `funded_until`, then its pro-rata share of the remainder; then each stops (state
/// `Overdrawn`), returning its fractional part to the account. The account ends `Overdrawn`
/// with rate 0 and `settled_at = height`; what it still holds belongs to its depositors.
/// Payments keep `settled_at = funded_until`.
pub fn apply_overdraft(
    account: &mut Account,
    payments: &mut [Payment],
    height: u64,
    overdraft: &Overdraft,
) -> Result<(), ContractError> {
    let mut total_rate = Decimal256::zero();
    for p in payments.iter() {
        if p.state != PaymentState::Open || p.rate.denom != account.denom {
            return Err(ContractError::inconsistent(format!("payment {} is not an open payment of the account", p.id)));
        }
        total_rate = add(total_rate, p.rate.amount, "account rate")?;
    }
    if total_rate != account.rate || payments.len() != account.open_payments as usize || total_rate.is_zero() {
        return Err(ContractError::inconsistent("open payments do not add up to the account rate"));
    }
    if overdraft.funded_until != account.settled_at.saturating_add(overdraft.blocks) || overdraft.funded_until >= height
    {
        return Err(ContractError::inconsistent("overdraft does not match the account"));
    }
    // Every payment accrues through the last fully funded block.
    account.charged = add(account.charged, accrual(account.rate, overdraft.blocks)?, "charged")?;
    account.settled_at = overdraft.funded_until;
    for p in payments.iter_mut() {
        sync_payment(account, p)?;
    }
    // The partially funded block, pro-rata by rate, truncated (sum <= remainder).
    for p in payments.iter_mut() {
        let share = overdraft
            .remainder
            .atomics()
            .checked_multiply_ratio(p.rate.amount.atomics(), total_rate.atomics())
            .map(Decimal256::new)
            .map_err(|_| ContractError::overflow("overdraft share"))?;
        p.accrued = add(p.accrued, share, "payment accrued")?;
        account.charged = add(account.charged, share, "charged")?;
    }
    for p in payments.iter_mut() {
        stop_payment(account, p, PaymentState::Overdrawn)?;
    }
    if !account.rate.is_zero() || account.open_payments != 0 {
        return Err(ContractError::inconsistent("account still pays after an overdraft"));
    }
    account.state = AccountState::Overdrawn;
    account.settled_at = height;
    Ok(())
}

/// One payout of a payment's earnings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Payout {
    /// To the payee.
    pub amount: Uint256,
    /// To the community pool.
    pub take: Uint256,
}

impl Payout {
    pub fn total(&self) -> Uint256 {
        self.amount + self.take
    }
}

/// Splits `unpaid` whole units of a payment that already paid `withdrawn` to its payee and
/// `take` to the community pool. The take is computed on the cumulative earnings:
/// `floor((withdrawn + take + unpaid) x take_rate) - take`, saturating at zero and at most
/// `unpaid` (both bounds only matter for payments whose earlier payouts used other rates: those
/// stored by earlier versions of the contract); the rest goes to the payee. For a payment always
/// paid out this way, `take == floor((withdrawn + take) x take_rate)` after every payout,
/// however the earnings were split into payouts.
pub fn split_take(
    withdrawn: Uint256,
    take: Uint256,
    unpaid: Uint256,
    take_rate: Decimal,
) -> Result<Payout, ContractError> {
    if take_rate > Decimal::one() {
        return Err(ContractError::inconsistent("take rate above 1"));
    }
    let total = withdrawn
        .checked_add(take)
        .and_then(|t| t.checked_add(unpaid))
        .map_err(|_| ContractError::overflow("paid out"))?;
    let due = total.checked_mul_floor(take_rate).map_err(|_| ContractError::overflow("take"))?;
    let new_take = due.saturating_sub(take).min(unpaid);
    let amount = unpaid.checked_sub(new_take).map_err(|_| ContractError::inconsistent("take exceeds earnings"))?;
    Ok(Payout { amount, take: new_take })
}

/// Pays out a payment's unpaid whole units (as of its own `accrued`; sync it first) and records
/// them in `withdrawn` and `take`, at the payment's own take rate (`current_rate`, the params'
/// rate now, only for payments stored without one). Never pays twice: a second call pays zero.
pub fn pay_out(payment: &mut Payment, current_rate: Decimal) -> Result<Payout, ContractError> {
    let unpaid = payment
        .accrued
        .to_uint_floor()
        .checked_sub(payment.withdrawn)
        .and_then(|u| u.checked_sub(payment.take))
        .map_err(|_| ContractError::inconsistent(format!("payment {} paid more than it accrued", payment.id)))?;
    let payout = split_take(payment.withdrawn, payment.take, unpaid, payment.take_rate.unwrap_or(current_rate))?;
    payment.withdrawn =
        payment.withdrawn.checked_add(payout.amount).map_err(|_| ContractError::overflow("withdrawn"))?;
    payment.take = payment.take.checked_add(payout.take).map_err(|_| ContractError::overflow("take"))?;
    Ok(payout)
}

/// The take rate of a denom: its `take_rates` entry, else `default_take_rate`.
pub fn take_rate(params: &EscrowParams, denom: &str) -> Decimal {
    params.take_rates.iter().find(|t| t.denom == denom).map(|t| t.rate).unwrap_or(params.default_take_rate)
}

/// The smallest deposit a third party may make in a denom: its `deposit_minimums` entry, else
/// `default_deposit_minimum`.
pub fn deposit_minimum(params: &EscrowParams, denom: &str) -> Uint256 {
    params
        .deposit_minimums
        .iter()
        .find(|m| m.denom == denom)
        .map(|m| m.amount)
        .unwrap_or(params.default_deposit_minimum)
}

/// Units of the account already spent (charged, counting a fraction of a unit as spent, or
/// refunded): `deposited - floor(balance)`.
///
/// Not monotonic: when a payment stops, the fraction of a unit it accrued returns to the
/// account, so `spent` can go down by one unit per open payment. See [`spent_for_good`].
pub fn spent(account: &Account) -> Result<Uint256, ContractError> {
    account
        .deposited
        .checked_sub(balance(account)?.to_uint_floor())
        .map_err(|_| ContractError::inconsistent("balance exceeds deposits"))
}

/// Units of the account that can never return to its depositors, whatever happens later:
/// `refunded + floor(charged) - open_payments` (saturating), a lower bound of [`spent`] now and
/// at every later point.
///
/// Why: `charged` only decreases when a payment stops and returns the fraction of a unit it
/// accrued. A stopped payment's accrual is final and whole, and an open payment ends up with at
/// least `floor` of what it accrued so far, so every later `charged` is at least
/// `sum of floor(accrued)` over the account's payments, which is more than
/// `charged - open_payments`, hence at least `floor(charged) - open_payments`.
pub fn spent_for_good(account: &Account) -> Result<Uint256, ContractError> {
    let charged = account.charged.to_uint_floor().saturating_sub(Uint256::from(account.open_payments));
    account.refunded.checked_add(charged).map_err(|_| ContractError::overflow("spent"))
}

/// Where the first kept depositor entry starts in the cumulative deposits of the account:
/// `deposited - sum(kept amounts)`, i.e. the total of the entries already pruned (all of it
/// spent).
pub fn entries_offset(account: &Account, depositors: &[Depositor]) -> Result<Uint256, ContractError> {
    let kept = depositors.iter().try_fold(Uint256::zero(), |t, d| {
        t.checked_add(d.amount).map_err(|_| ContractError::overflow("cumulative deposits"))
    })?;
    account
        .deposited
        .checked_sub(kept)
        .map_err(|_| ContractError::inconsistent(format!("depositor entries of {} exceed its deposits", account.id)))
}

/// What each depositor gets back if the account closes now. Funds are spent in entry order
/// (first in, first out), so the first `spent` units of the cumulative deposits come from the
/// earliest entries: `remaining_i = clamp(end_i - max(spent, start_i), 0, amount_i)` with
/// `[start_i, end_i)` the entry's range of the cumulative deposits, which start at `offset`
/// (what the pruned entries held, see [`entries_offset`]).
pub fn fifo_remaining(
    depositors: &[Depositor],
    offset: Uint256,
    spent: Uint256,
) -> Result<Vec<Uint256>, ContractError> {
    let mut start = offset;
    let mut out = Vec::with_capacity(depositors.len());
    for d in depositors {
        let end = start.checked_add(d.amount).map_err(|_| ContractError::overflow("cumulative deposits"))?;
        out.push(end.saturating_sub(spent.max(start)));
        start = end;
    }
    Ok(out)
}

/// Recomputes each depositor's `remaining` from the account as it stands.
pub fn with_remaining(account: &Account, mut depositors: Vec<Depositor>) -> Result<Vec<Depositor>, ContractError> {
    let offset = entries_offset(account, &depositors)?;
    let remaining = fifo_remaining(&depositors, offset, spent(account)?)?;
    for (d, r) in depositors.iter_mut().zip(remaining) {
        d.remaining = r;
    }
    Ok(depositors)
}

/// Drops the entries that are spent for good — the prefix of entries whose range ends at or
/// below [`spent_for_good`] — and recomputes `remaining` for the rest. The ranges of the kept
/// entries do not move (the offset grows by what was dropped), so no refund changes, now or
/// later. Entries whose `remaining` is zero only because of a fraction an open payment may
/// still return stay until that payment stops.
pub fn prune_spent(account: &Account, depositors: Vec<Depositor>) -> Result<Vec<Depositor>, ContractError> {
    let bound = spent_for_good(account)?;
    let mut end = entries_offset(account, &depositors)?;
    let mut drop = 0;
    for d in &depositors {
        end = end.checked_add(d.amount).map_err(|_| ContractError::overflow("cumulative deposits"))?;
        if end > bound {
            break;
        }
        drop += 1;
    }
    with_remaining(account, depositors.into_iter().skip(drop).collect())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use cosmwasm_std::{Addr, DecCoin};
    use leasehold_types::escrow::{AccountId, AccountScope, PaymentId, TakeRate};

    use super::*;

    const DENOM: &str = "uact";

    fn dec(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn account(deposited: u128, settled_at: u64) -> Account {
        Account {
            id: AccountId { scope: AccountScope::Deployment, xid: "owner/1".into() },
            owner: Addr::unchecked("owner"),
            state: AccountState::Open,
            denom: DENOM.into(),
            deposited: Uint256::from(deposited),
            refunded: Uint256::zero(),
            charged: Decimal256::zero(),
            rate: Decimal256::zero(),
            settled_at,
            open_payments: 0,
        }
    }

    /// Adds an open payment the way the contract does (account settled to `height` first).
    fn open(account: &mut Account, xid: &str, rate: &str, height: u64) -> Payment {
        assert_eq!(settle(account, height).unwrap(), None);
        let rate = dec(rate);
        account.rate += rate;
        account.open_payments += 1;
        Payment {
            id: PaymentId { account: account.id.clone(), xid: xid.into() },
            payee: Addr::unchecked(format!("payee-{xid}")),
            state: PaymentState::Open,
            rate: DecCoin::new(rate, DENOM),
            accrued: Decimal256::zero(),
            settled_at: height,
            withdrawn: Uint256::zero(),
            take: Uint256::zero(),
            take_rate: None,
        }
    }

    fn depositor(amount: u128) -> Depositor {
        Depositor {
            address: Addr::unchecked("d"),
            height: 1,
            amount: Uint256::from(amount),
            remaining: Uint256::zero(),
        }
    }

    #[test]
    fn accrual_is_exact_and_overflow_is_an_error() {
        assert_eq!(accrual(dec("0.37"), 3).unwrap(), dec("1.11"));
        assert_eq!(accrual(dec("0.000000000000000001"), 7).unwrap(), dec("0.000000000000000007"));
        assert_eq!(accrual(dec("123.456789012345678901"), 0).unwrap(), Decimal256::zero());
        assert!(matches!(accrual(Decimal256::MAX, 2), Err(ContractError::Overflow { .. })));
        assert!(matches!(whole(Uint256::MAX), Err(ContractError::Overflow { .. })));
        let biggest = Decimal256::MAX.to_uint_floor();
        assert_eq!(whole(biggest).unwrap().to_uint_floor(), biggest);
        assert!(matches!(whole(biggest + Uint256::one()), Err(ContractError::Overflow { .. })));
    }

    #[test]
    fn solvent_settlement_charges_rate_times_blocks() {
        let mut a = account(100, 10);
        let _p = open(&mut a, "1", "2.5", 10);
        assert_eq!(settle(&mut a, 14).unwrap(), None);
        assert_eq!(a.charged, dec("10"));
        assert_eq!(a.settled_at, 14);
        // the past and the present are no-ops
        assert_eq!(settle(&mut a, 14).unwrap(), None);
        assert_eq!(settle(&mut a, 3).unwrap(), None);
        assert_eq!((a.charged, a.settled_at), (dec("10"), 14));
        // exactly the whole balance is still solvent: 90 / 2.5 = 36 blocks
        assert_eq!(settle(&mut a, 50).unwrap(), None);
        assert_eq!(balance(&a).unwrap(), Decimal256::zero());
        assert_eq!(a.state, AccountState::Open);
    }

    #[test]
    fn zero_rate_only_moves_settled_at_and_stopped_accounts_do_not_move() {
        let mut a = account(5, 1);
        assert_eq!(settle(&mut a, 1_000).unwrap(), None);
        assert_eq!((a.settled_at, a.charged), (1_000, Decimal256::zero()));
        a.state = AccountState::Overdrawn;
        assert_eq!(settle(&mut a, 2_000).unwrap(), None);
        assert_eq!(a.settled_at, 1_000);
    }

    #[test]
    fn exact_multiple_is_solvent_and_one_more_block_overdraws_with_zero_remainder() {
        let mut a = account(30, 0);
        let mut p = open(&mut a, "1", "3", 0);
        let mut view = a.clone();
        assert_eq!(settle(&mut view, 10).unwrap(), None);
        let od = settle(&mut a, 11).unwrap().unwrap();
        assert_eq!(od, Overdraft { blocks: 10, funded_until: 10, remainder: Decimal256::zero(), shortfall: dec("3") });
        apply_overdraft(&mut a, std::slice::from_mut(&mut p), 11, &od).unwrap();
        assert_eq!(p.accrued, dec("30"));
        assert_eq!(p.state, PaymentState::Overdrawn);
        assert_eq!(p.settled_at, 10);
        assert_eq!(a.state, AccountState::Overdrawn);
        assert_eq!((a.rate, a.open_payments, a.settled_at), (Decimal256::zero(), 0, 11));
        assert_eq!(balance(&a).unwrap(), Decimal256::zero());
    }

    #[test]
    fn overdraft_splits_the_remainder_pro_rata_by_rate_across_three_payments() {
        // rates 1, 2 and 0.5 (total 3.5); deposit 100 at height 0.
        let mut a = account(100, 0);
        let p1 = open(&mut a, "a", "1", 0);
        // b opens later, after a settled 4 blocks (4 charged), so payments have different
        // settled_at heights.
        let p2 = open(&mut a, "b", "2", 4);
        let p3 = open(&mut a, "c", "0.5", 4);
        assert_eq!(a.charged, dec("4"));
        // balance 96 at rate 3.5 funds 27 blocks (94.5), remainder 1.5; settle at 40.
        let od = settle(&mut a, 40).unwrap().unwrap();
        assert_eq!(od.blocks, 27);
        assert_eq!(od.funded_until, 31);
        assert_eq!(od.remainder, dec("1.5"));
        assert_eq!(od.shortfall, dec("30")); // 3.5 x 36 - 96
        let mut ps = vec![p1, p2, p3];
        apply_overdraft(&mut a, &mut ps, 40, &od).unwrap();
        // shares: 1.5 x 1/3.5 = 0.428571428571428571 (truncated), 1.5 x 2/3.5 = 0.857142857142857142,
        // 1.5 x 0.5/3.5 = 0.214285714285714285
        // accrued before flooring: a 31 + 0.4285.. ; b 54 + 0.857.. ; c 13.5 + 0.2142..
        assert_eq!(ps[0].accrued, dec("31"));
        assert_eq!(ps[1].accrued, dec("54"));
        assert_eq!(ps[2].accrued, dec("13"));
        assert!(ps.iter().all(|p| p.state == PaymentState::Overdrawn && p.settled_at == 31));
        // payer keeps 100 - 98 = 2 exactly: all fractions and the truncation leftover
        assert_eq!(a.charged, dec("98"));
        assert_eq!(balance(&a).unwrap(), dec("2"));
        assert_eq!(a.state, AccountState::Overdrawn);
        assert_eq!(a.settled_at, 40);
    }

    #[test]
    fn pro_rata_shares_before_flooring_are_truncated_and_never_exceed_the_remainder() {
        // Check the exact shares with payments whose accruals keep their fractions visible:
        // stop the process before flooring by using rates that make the floors informative.
        let mut a = account(10, 0);
        let p1 = open(&mut a, "a", "0.37", 0);
        let p2 = open(&mut a, "b", "1000000", 0);
        let od = settle(&mut a, 1).unwrap().unwrap();
        assert_eq!(od.blocks, 0);
        assert_eq!(od.remainder, dec("10"));
        let mut ps = vec![p1, p2];
        apply_overdraft(&mut a, &mut ps, 1, &od).unwrap();
        // a: 10 x 0.37 / 1000000.37 ~ 0.0000036999 -> floor 0; b: 9.99999630... -> floor 9
        assert_eq!(ps[0].accrued, Decimal256::zero());
        assert_eq!(ps[1].accrued, dec("9"));
        assert_eq!(balance(&a).unwrap(), dec("1"));
        // the shares themselves (before flooring) never exceed the remainder
        let total = dec("1000000.37");
        let s1 = Decimal256::new(dec("10").atomics().multiply_ratio(dec("0.37").atomics(), total.atomics()));
        let s2 = Decimal256::new(dec("10").atomics().multiply_ratio(dec("1000000").atomics(), total.atomics()));
        assert!(s1 + s2 <= dec("10"));
        assert!(dec("10") - (s1 + s2) < dec("0.000000000000000002"));
    }

    #[test]
    fn rates_with_18_decimals_accrue_exactly() {
        let mut a = account(1, 0);
        let mut p = open(&mut a, "a", "0.000000000000000001", 0);
        assert_eq!(settle(&mut a, 1_000_000).unwrap(), None);
        assert_eq!(a.charged, dec("0.000000000001"));
        sync_payment(&a, &mut p).unwrap();
        assert_eq!(p.accrued, dec("0.000000000001"));
        let mut b = account(1, 0);
        let _q = open(&mut b, "b", "0.333333333333333333", 0);
        let od = settle(&mut b, 10).unwrap().unwrap();
        // 1 / 0.333333333333333333 = 3.000000000000000003 -> 3 blocks, remainder 1e-18
        assert_eq!(od.blocks, 3);
        assert_eq!(od.remainder, dec("0.000000000000000001"));
    }

    #[test]
    fn huge_values_do_not_wrap() {
        let max_units = Decimal256::MAX.to_uint_floor();
        let mut a = account(0, 0);
        a.deposited = max_units;
        let p = open(&mut a, "a", "1000000000000000000000000000000000000000000000000000000", 0); // 1e54
        // the rate x blocks of the settlement (1e54 x 1e19) does not fit a Decimal256: still an
        // overdraft, never a panic or a wrap
        let od = settle(&mut a, u64::MAX).unwrap().unwrap();
        assert_eq!(od.shortfall, Decimal256::MAX);
        assert!(od.blocks > 0);
        let mut ps = vec![p];
        apply_overdraft(&mut a, &mut ps, u64::MAX, &od).unwrap();
        assert!(ps[0].accrued <= whole(max_units).unwrap());
        assert_eq!(whole(a.deposited).unwrap(), balance(&a).unwrap() + ps[0].accrued, "conservation with huge numbers");
        // overflowing sums are errors
        let mut big = account(0, 0);
        big.charged = Decimal256::MAX;
        big.rate = dec("1");
        big.deposited = max_units;
        assert!(balance(&big).is_err());
    }

    #[test]
    fn stop_payment_returns_the_fraction_and_pay_out_never_pays_twice() {
        let mut a = account(10, 0);
        let mut p = open(&mut a, "a", "0.37", 0);
        assert_eq!(settle(&mut a, 10).unwrap(), None); // 3.7 charged
        sync_payment(&a, &mut p).unwrap();
        assert_eq!(p.accrued, dec("3.7"));
        let first = pay_out(&mut p, Decimal::percent(20)).unwrap();
        assert_eq!(first, Payout { amount: Uint256::from(3u8), take: Uint256::zero() }); // floor(3 x 0.2) = 0
        assert_eq!(pay_out(&mut p, Decimal::percent(20)).unwrap(), Payout::default());
        stop_payment(&mut a, &mut p, PaymentState::Closed).unwrap();
        assert_eq!(p.accrued, dec("3"));
        assert_eq!(a.charged, dec("3"));
        assert_eq!((a.rate, a.open_payments), (Decimal256::zero(), 0));
        assert!(stop_payment(&mut a, &mut p, PaymentState::Closed).is_err());
        assert_eq!(balance(&a).unwrap(), dec("7"));
    }

    #[test]
    fn take_is_floored_and_looked_up_per_denom() {
        let z = Uint256::zero();
        let split = |unpaid: u128, rate: Decimal| split_take(z, z, Uint256::from(unpaid), rate).unwrap();
        assert_eq!(split(99, Decimal::percent(2)).take, Uint256::from(1u8));
        assert_eq!(split(49, Decimal::percent(2)).take, Uint256::zero());
        assert_eq!(split(7, Decimal::one()), Payout { amount: Uint256::zero(), take: Uint256::from(7u8) });
        assert!(split_take(z, z, Uint256::one(), Decimal::percent(101)).is_err());
        let huge = split_take(z, z, Uint256::MAX, Decimal::percent(50)).unwrap();
        assert_eq!(huge.total(), Uint256::MAX);
        assert!(matches!(
            split_take(Uint256::MAX, Uint256::one(), z, Decimal::percent(50)),
            Err(ContractError::Overflow { .. })
        ));
        let params = EscrowParams {
            take_rates: vec![TakeRate { denom: "uakt".into(), rate: Decimal::percent(2) }],
            default_take_rate: Decimal::percent(20),
            community_pool: "pool".into(),
            deposit_minimums: vec![],
            default_deposit_minimum: Uint256::one(),
        };
        assert_eq!(take_rate(&params, "uakt"), Decimal::percent(2));
        assert_eq!(take_rate(&params, "uact"), Decimal::percent(20));
    }

    #[test]
    fn take_is_computed_on_cumulative_earnings() {
        let u = |n: u128| Uint256::from(n);
        let r = Decimal::percent(2);
        // 49 paid without take; 1 more makes 50, floor(50 x 2 %) = 1 is due now
        assert_eq!(split_take(u(49), u(0), u(1), r).unwrap(), Payout { amount: u(0), take: u(1) });
        // 98 + 1 take paid; 1 more makes 100, floor(2) - 1 = 1
        assert_eq!(split_take(u(98), u(1), u(1), r).unwrap(), Payout { amount: u(0), take: u(1) });
        assert_eq!(split_take(u(98), u(2), u(1), r).unwrap(), Payout { amount: u(1), take: u(0) });
        // legacy payments (paid at other rates): the take saturates at 0 and at the unpaid units
        assert_eq!(split_take(u(50), u(50), u(10), r).unwrap(), Payout { amount: u(10), take: u(0) });
        assert_eq!(split_take(u(100), u(0), u(1), Decimal::percent(50)).unwrap(), Payout { amount: u(0), take: u(1) });
    }

    #[test]
    fn a_payment_keeps_its_own_take_rate_and_legacy_payments_use_the_current_one() {
        let mut a = account(1_000, 0);
        let mut p = open(&mut a, "a", "10", 0);
        p.take_rate = Some(Decimal::percent(10));
        assert_eq!(settle(&mut a, 10).unwrap(), None);
        sync_payment(&a, &mut p).unwrap();
        // the params now say 50 %: the payment's 10 % applies
        assert_eq!(
            pay_out(&mut p, Decimal::percent(50)).unwrap(),
            Payout { amount: Uint256::from(90u8), take: Uint256::from(10u8) }
        );
        let mut legacy = open(&mut a, "b", "10", 10);
        assert_eq!(legacy.take_rate, None);
        assert_eq!(settle(&mut a, 20).unwrap(), None);
        sync_payment(&a, &mut legacy).unwrap();
        assert_eq!(
            pay_out(&mut legacy, Decimal::percent(50)).unwrap(),
            Payout { amount: Uint256::from(50u8), take: Uint256::from(50u8) }
        );
    }

    /// Regression: the take was `floor(unpaid x rate)` per payout, so a payee withdrawing one
    /// unit at a time never paid any take.
    #[test]
    fn regression_one_unit_withdrawals_paid_no_take() {
        let mut a = account(1_000, 0);
        let mut p = open(&mut a, "a", "1", 0);
        let mut take = Uint256::zero();
        for h in 1..=100 {
            assert_eq!(settle(&mut a, h).unwrap(), None);
            sync_payment(&a, &mut p).unwrap();
            let payout = pay_out(&mut p, Decimal::percent(2)).unwrap();
            assert_eq!(payout.total(), Uint256::one());
            take += payout.take;
            assert_eq!(p.take, (p.withdrawn + p.take).mul_floor(Decimal::percent(2)), "after withdrawal {h}");
        }
        assert_eq!(take, Uint256::from(2u8), "floor(100 x 0.02)");
        assert_eq!((p.withdrawn, p.take), (Uint256::from(98u8), Uint256::from(2u8)));
    }

    #[test]
    fn fifo_spends_the_earliest_deposits_first() {
        let ds = [depositor(10), depositor(20), depositor(30)];
        let r = |spent: u128| {
            fifo_remaining(&ds, Uint256::zero(), Uint256::from(spent))
                .unwrap()
                .into_iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(r(0), ["10", "20", "30"]);
        assert_eq!(r(10), ["0", "20", "30"]);
        assert_eq!(r(25), ["0", "5", "30"]);
        assert_eq!(r(59), ["0", "0", "1"]);
        assert_eq!(r(60), ["0", "0", "0"]);
        assert_eq!(r(1_000), ["0", "0", "0"]);
    }

    #[test]
    fn fifo_ranges_start_at_the_offset_of_pruned_entries() {
        // 10 pruned before these: the entries cover [10, 30) and [30, 60)
        let ds = [depositor(20), depositor(30)];
        let r = |spent: u128| {
            fifo_remaining(&ds, Uint256::from(10u8), Uint256::from(spent))
                .unwrap()
                .into_iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(r(0), ["20", "30"]);
        assert_eq!(r(10), ["20", "30"]);
        assert_eq!(r(25), ["5", "30"]);
        assert_eq!(r(59), ["0", "1"]);
        assert_eq!(r(60), ["0", "0"]);
    }

    #[test]
    fn entries_offset_is_what_the_pruned_entries_held() {
        let a = account(60, 0);
        assert_eq!(entries_offset(&a, &[depositor(10), depositor(20), depositor(30)]).unwrap(), Uint256::zero());
        assert_eq!(entries_offset(&a, &[depositor(20), depositor(30)]).unwrap(), Uint256::from(10u8));
        assert_eq!(entries_offset(&a, &[]).unwrap(), Uint256::from(60u8));
        assert!(matches!(entries_offset(&a, &[depositor(61)]), Err(ContractError::Inconsistent { .. })));
    }

    #[test]
    fn spent_counts_fractions_as_spent() {
        let mut a = account(10, 0);
        a.charged = dec("2.5");
        assert_eq!(spent(&a).unwrap(), Uint256::from(3u8));
        let ds = with_remaining(&a, vec![depositor(4), depositor(6)]).unwrap();
        assert_eq!((ds[0].remaining, ds[1].remaining), (Uint256::one(), Uint256::from(6u8)));
    }

    #[test]
    fn spent_for_good_discounts_the_fraction_each_open_payment_may_return() {
        let mut a = account(100, 0);
        a.charged = dec("7.9");
        assert_eq!(spent(&a).unwrap(), Uint256::from(8u8));
        assert_eq!(spent_for_good(&a).unwrap(), Uint256::from(7u8));
        a.open_payments = 3;
        assert_eq!(spent_for_good(&a).unwrap(), Uint256::from(4u8));
        a.open_payments = 30;
        assert_eq!(spent_for_good(&a).unwrap(), Uint256::zero());
        a.refunded = Uint256::from(5u8);
        assert_eq!(spent_for_good(&a).unwrap(), Uint256::from(5u8));
    }

    #[test]
    fn pruning_drops_the_spent_prefix_and_moves_no_refund() {
        // deposits 10, 20, 30; 35 charged exactly, no open payment: the first two are spent
        let mut a = account(60, 0);
        a.charged = dec("35");
        let ds = vec![depositor(10), depositor(20), depositor(30)];
        let before = with_remaining(&a, ds.clone()).unwrap();
        let kept = prune_spent(&a, ds).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0], before[2]);
        assert_eq!(kept[0].remaining, Uint256::from(25u8));
        assert_eq!(entries_offset(&a, &kept).unwrap(), Uint256::from(30u8));
        // an entry ending exactly at the bound is spent; one unit more keeps it
        a.charged = dec("29");
        let kept = prune_spent(&a, vec![depositor(10), depositor(20), depositor(30)]).unwrap();
        assert_eq!(kept.iter().map(|d| d.amount).collect::<Vec<_>>(), [Uint256::from(20u8), Uint256::from(30u8)]);
        assert_eq!((kept[0].remaining, kept[1].remaining), (Uint256::one(), Uint256::from(30u8)));
        // pruning what is already pruned changes nothing
        assert_eq!(prune_spent(&a, kept.clone()).unwrap(), kept);
    }

    /// Regression: pruning every entry whose `remaining` is zero loses money, because
    /// `remaining` counts the fraction an open payment accrued as spent and that fraction
    /// returns to the account when the payment stops. Entries spent only "up to a fraction"
    /// must stay until no open payment can return it.
    #[test]
    fn regression_pruning_entries_with_zero_remaining_strands_a_returned_fraction() {
        let mut a = account(20, 0);
        let mut p = open(&mut a, "a", "0.5", 0);
        let ds = vec![depositor(11), depositor(9)];
        // 21 blocks at 0.5: 10.5 charged, so 11 units count as spent and the first entry
        // shows remaining 0
        assert_eq!(settle(&mut a, 21).unwrap(), None);
        let shown = with_remaining(&a, ds.clone()).unwrap();
        assert_eq!((shown[0].remaining, shown[1].remaining), (Uint256::zero(), Uint256::from(9u8)));
        // the naive rule would drop the first entry; prune_spent keeps it (bound 10 - 1 = 9)
        assert_eq!(spent_for_good(&a).unwrap(), Uint256::from(9u8));
        let kept = prune_spent(&a, ds.clone()).unwrap();
        assert_eq!(kept.len(), 2);
        let naive: Vec<Depositor> = ds.into_iter().skip(1).collect();
        // the payment stops: its 0.5 returns, 10 units are refundable, 1 of them the first
        // entry's
        stop_payment(&mut a, &mut p, PaymentState::Closed).unwrap();
        assert_eq!(balance(&a).unwrap(), dec("10"));
        let refund = |ds: &[Depositor]| {
            let r = fifo_remaining(ds, entries_offset(&a, ds).unwrap(), spent(&a).unwrap()).unwrap();
            r.into_iter().fold(Uint256::zero(), |t, x| t + x)
        };
        assert_eq!(refund(&kept), Uint256::from(10u8), "every unit is refunded");
        assert_eq!(refund(&naive), Uint256::from(9u8), "the naive list leaves one unit behind");
        let kept = prune_spent(&a, kept).unwrap();
        assert_eq!((kept[0].remaining, kept[1].remaining), (Uint256::one(), Uint256::from(9u8)));
    }

    #[test]
    fn overdraft_requires_exactly_the_open_payments() {
        let mut a = account(10, 0);
        let p1 = open(&mut a, "a", "1", 0);
        let _p2 = open(&mut a, "b", "1", 0);
        let od = settle(&mut a, 20).unwrap().unwrap();
        let mut only_one = vec![p1];
        assert!(matches!(
            apply_overdraft(&mut a.clone(), &mut only_one, 20, &od),
            Err(ContractError::Inconsistent { .. })
        ));
    }
}
