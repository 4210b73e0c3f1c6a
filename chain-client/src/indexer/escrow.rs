//! Escrow accounts and payments as the indexer keeps them, with the escrow contract's exact
//! settlement arithmetic (`contracts/escrow/src/settlement.rs`) replayed from its events:
//! an account's `charged` grows by `rate × blocks` each time the contract settles it, a
//! closed payment's fractional accrual returns to its account, an overdraft leaves exactly the
//! balance its event reports. [`AccountRow::at`] shows an account as of a later height, as the
//! contract's `Account` query does.

use std::str::FromStr;

use cosmwasm_std::{Decimal256, Uint256, Uint512};

use crate::indexer::error::StoreError;
use crate::indexer::store::{Row, Sql, Value};

/// A whole number of units as a decimal (saturating; no supply comes near the limit).
pub fn whole(v: Uint256) -> Decimal256 {
    Decimal256::from_atomics(v, 0).unwrap_or(Decimal256::MAX)
}

/// `rate × blocks`, exactly (saturating at the largest decimal).
pub fn accrual(rate: Decimal256, blocks: u64) -> Decimal256 {
    rate.atomics().checked_mul(Uint256::from(blocks)).map(Decimal256::new).unwrap_or(Decimal256::MAX)
}

fn inconsistent(what: &str, account: &str) -> StoreError {
    StoreError::Inconsistent(format!("escrow account {account}: {what}"))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    pub account: String,
    pub scope: String,
    pub xid: String,
    pub owner: String,
    pub denom: String,
    /// `open`, `overdrawn` or `closed`.
    pub state: String,
    pub deposited: Uint256,
    pub refunded: Uint256,
    pub charged: Decimal256,
    pub rate: Decimal256,
    pub settled_at: u64,
    pub open_payments: u32,
    pub created_at: u64,
    pub closed_at: Option<u64>,
}

/// An account as of some height: its balance, and whether settling then would overdraw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountView {
    pub account: AccountRow,
    pub balance: Decimal256,
    pub overdrawn_now: bool,
    /// Last fully funded height while it pays something.
    pub funded_until: Option<u64>,
}

impl AccountRow {
    pub const COLUMNS: &'static str = "account, scope, xid, owner, denom, state, deposited, refunded, charged, rate, settled_at, open_payments, created_at, closed_at";

    pub fn from_row(r: &Row) -> Result<AccountRow, StoreError> {
        Ok(AccountRow {
            account: r.text(0)?,
            scope: r.text(1)?,
            xid: r.text(2)?,
            owner: r.text(3)?,
            denom: r.text(4)?,
            state: r.text(5)?,
            deposited: r.parse(6)?,
            refunded: r.parse(7)?,
            charged: r.parse(8)?,
            rate: r.parse(9)?,
            settled_at: r.u64(10)?,
            open_payments: r.u32(11)?,
            created_at: r.u64(12)?,
            closed_at: r.opt_u64(13)?,
        })
    }

    pub fn load(sql: &mut dyn Sql, account: &str) -> Result<Option<AccountRow>, StoreError> {
        let q = format!("SELECT {} FROM escrow_accounts WHERE account = $1", Self::COLUMNS);
        sql.query_opt(&q, &[account.into()])?.map(|r| Self::from_row(&r)).transpose()
    }

    pub fn save(&self, sql: &mut dyn Sql) -> Result<(), StoreError> {
        sql.execute(
            "INSERT INTO escrow_accounts (account, scope, xid, owner, denom, state, deposited, refunded, charged, rate, settled_at, open_payments, created_at, closed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (account) DO UPDATE SET state = excluded.state, deposited = excluded.deposited, refunded = excluded.refunded, \
             charged = excluded.charged, rate = excluded.rate, settled_at = excluded.settled_at, open_payments = excluded.open_payments, closed_at = excluded.closed_at",
            &[
                self.account.as_str().into(),
                self.scope.as_str().into(),
                self.xid.as_str().into(),
                self.owner.as_str().into(),
                self.denom.as_str().into(),
                self.state.as_str().into(),
                self.deposited.to_string().into(),
                self.refunded.to_string().into(),
                self.charged.to_string().into(),
                self.rate.to_string().into(),
                Value::u64(self.settled_at)?,
                self.open_payments.into(),
                Value::u64(self.created_at)?,
                Value::opt_u64(self.closed_at)?,
            ],
        )?;
        Ok(())
    }

    /// `deposited - refunded - charged`.
    pub fn balance(&self) -> Decimal256 {
        whole(self.deposited.saturating_sub(self.refunded)).saturating_sub(self.charged)
    }

    /// The contract's `settle` when the balance covers it (the indexer learns of overdrafts
    /// from their own events): `charged += rate × (height - settled_at)`.
    pub fn settle(&mut self, height: u64) {
        if self.state != "open" || height <= self.settled_at {
            return;
        }
        self.charged = self.charged.saturating_add(accrual(self.rate, height - self.settled_at));
        self.settled_at = height;
    }

    /// The account as the contract's `Account` query shows it at `height`: settled there, or,
    /// when the balance would not cover it, flagged `overdrawn_now` (left at its last
    /// settlement).
    pub fn at(&self, height: u64) -> AccountView {
        let balance = self.balance();
        let funded_until = (self.state == "open" && !self.rate.is_zero()).then(|| {
            let blocks = balance.atomics() / self.rate.atomics();
            self.settled_at.saturating_add(cosmwasm_std::Uint64::try_from(blocks).map_or(u64::MAX, |b| b.u64()))
        });
        if self.state == "open" && height > self.settled_at && !self.rate.is_zero() {
            let need = self.rate.atomics().full_mul(Uint256::from(height - self.settled_at));
            if need > Uint512::from(balance.atomics()) {
                return AccountView { account: self.clone(), balance, overdrawn_now: true, funded_until };
            }
        }
        let mut a = self.clone();
        a.settle(height);
        let balance = a.balance();
        AccountView { account: a, balance, overdrawn_now: false, funded_until }
    }

    /// Checks a balance an event reports against ours; on a difference, trusts the chain.
    pub fn reconcile_balance(&mut self, reported: Decimal256, what: &str) {
        let ours = self.balance();
        if ours != reported {
            tracing::warn!(account = %self.account, %ours, %reported, "{what}: the indexed balance differs from the chain's; using the chain's");
            self.charged = whole(self.deposited.saturating_sub(self.refunded)).saturating_sub(reported);
        }
    }

    pub fn sub_rate(&mut self, rate: Decimal256) -> Result<(), StoreError> {
        self.rate = self.rate.checked_sub(rate).map_err(|_| inconsistent("rate below zero", &self.account))?;
        self.open_payments =
            self.open_payments.checked_sub(1).ok_or_else(|| inconsistent("open payments below zero", &self.account))?;
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    pub account: String,
    pub payment: String,
    pub payee: String,
    /// `open`, `overdrawn` or `closed`.
    pub state: String,
    pub rate: Decimal256,
    pub denom: String,
    pub accrued: Decimal256,
    pub settled_at: u64,
    pub withdrawn: Uint256,
    pub take: Uint256,
    /// The payment's own take rate (`None` for payments of older escrow versions).
    pub take_rate: Option<cosmwasm_std::Decimal>,
    pub created_at: u64,
    pub closed_at: Option<u64>,
}

impl PaymentRow {
    pub const COLUMNS: &'static str = "account, payment, payee, state, rate, denom, accrued, settled_at, withdrawn, take, created_at, closed_at, take_rate";

    pub fn from_row(r: &Row) -> Result<PaymentRow, StoreError> {
        Ok(PaymentRow {
            account: r.text(0)?,
            payment: r.text(1)?,
            payee: r.text(2)?,
            state: r.text(3)?,
            rate: r.parse(4)?,
            denom: r.text(5)?,
            accrued: r.parse(6)?,
            settled_at: r.u64(7)?,
            withdrawn: r.parse(8)?,
            take: r.parse(9)?,
            created_at: r.u64(10)?,
            closed_at: r.opt_u64(11)?,
            take_rate: r
                .opt_text(12)?
                .map(|t| t.parse().map_err(|e| StoreError::Column { column: 12, reason: format!("{e}") }))
                .transpose()?,
        })
    }

    pub fn load(sql: &mut dyn Sql, account: &str, payment: &str) -> Result<Option<PaymentRow>, StoreError> {
        let q = format!("SELECT {} FROM escrow_payments WHERE account = $1 AND payment = $2", Self::COLUMNS);
        sql.query_opt(&q, &[account.into(), payment.into()])?.map(|r| Self::from_row(&r)).transpose()
    }

    pub fn save(&self, sql: &mut dyn Sql) -> Result<(), StoreError> {
        sql.execute(
            "INSERT INTO escrow_payments (account, payment, payee, state, rate, denom, accrued, settled_at, withdrawn, take, created_at, closed_at, take_rate) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (account, payment) DO UPDATE SET state = excluded.state, accrued = excluded.accrued, settled_at = excluded.settled_at, \
             withdrawn = excluded.withdrawn, take = excluded.take, closed_at = excluded.closed_at",
            &[
                self.account.as_str().into(),
                self.payment.as_str().into(),
                self.payee.as_str().into(),
                self.state.as_str().into(),
                self.rate.to_string().into(),
                self.denom.as_str().into(),
                self.accrued.to_string().into(),
                Value::u64(self.settled_at)?,
                self.withdrawn.to_string().into(),
                self.take.to_string().into(),
                Value::u64(self.created_at)?,
                Value::opt_u64(self.closed_at)?,
                Value::opt_text(self.take_rate.map(|r| r.to_string())),
            ],
        )?;
        Ok(())
    }

    /// Brings an open payment's accrual up to its account's `settled_at` (`sync_payment`).
    pub fn sync(&mut self, account: &AccountRow) {
        if self.state == "open" && account.settled_at > self.settled_at {
            self.accrued = self.accrued.saturating_add(accrual(self.rate, account.settled_at - self.settled_at));
            self.settled_at = account.settled_at;
        }
    }

    /// Whole units paid out so far (payee plus take).
    pub fn paid(&self) -> Uint256 {
        self.withdrawn.saturating_add(self.take)
    }
}

/// Parses a stored decimal (for queries over text columns).
pub fn decimal(s: &str) -> Option<Decimal256> {
    Decimal256::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(deposited: u128, rate: &str, settled_at: u64) -> AccountRow {
        AccountRow {
            account: "deployment/t/1".into(),
            scope: "deployment".into(),
            xid: "t/1".into(),
            owner: "t".into(),
            denom: "uusdc".into(),
            state: "open".into(),
            deposited: Uint256::from(deposited),
            refunded: Uint256::zero(),
            charged: Decimal256::zero(),
            rate: Decimal256::from_str(rate).unwrap(),
            settled_at,
            open_payments: 1,
            created_at: settled_at,
            closed_at: None,
        }
    }

    #[test]
    fn settling_charges_rate_times_blocks_exactly() {
        let mut a = account(1000, "3.333333333333333333", 10);
        a.settle(13);
        assert_eq!(a.charged, Decimal256::from_str("9.999999999999999999").unwrap());
        assert_eq!(a.settled_at, 13);
        a.settle(12);
        assert_eq!(a.settled_at, 13, "settling backwards does nothing");
    }

    #[test]
    fn views_at_a_later_height_flag_overdrafts_and_funded_until() {
        let a = account(100, "30", 10);
        let v = a.at(13);
        assert!(!v.overdrawn_now);
        assert_eq!(v.balance, Decimal256::from_str("10").unwrap());
        assert_eq!(v.funded_until, Some(13));
        assert!(a.at(14).overdrawn_now);
        assert_eq!(a.at(10).account, a);
    }
}
