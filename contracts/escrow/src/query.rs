//! Queries. Accounts and payments are shown settled as of the current block, using the same
//! settlement code as the handlers on a copy (nothing is written).

use cosmwasm_std::{Deps, Env, Order, Storage};
use cw_storage_plus::Bound;
use leasehold_types::escrow::{
    Account, AccountId, AccountResponse, Config, ConfigResponse, Payment, PaymentId, PaymentsResponse, RunwayResponse,
};
use leasehold_types::pagination::page_size;

use crate::error::ContractError;
use crate::execute::{OverdraftOutcome, load_account, load_payment, settle_in_memory};
use crate::settlement;
use crate::state::{CONFIG, DEPOSITORS, PAYEE_PAYMENTS, PAYMENTS, PENDING_ADMIN};

/// An account as settling it at `height` would leave it.
pub struct View {
    /// The account as stored.
    pub stored: Account,
    /// The account after settling.
    pub account: Account,
    /// The overdraft settling would find, with the payments it would stop.
    pub overdraft: Option<OverdraftOutcome>,
}

impl View {
    pub fn load(storage: &dyn Storage, cfg: &Config, id: &AccountId, height: u64) -> Result<Self, ContractError> {
        let stored = load_account(storage, id)?;
        let mut account = stored.clone();
        let overdraft = settle_in_memory(storage, &cfg.params, &mut account, height)?;
        Ok(Self { stored, account, overdraft })
    }

    /// A stored payment of this account as of the view.
    pub fn payment(&self, stored: Payment) -> Result<Payment, ContractError> {
        if let Some(o) = &self.overdraft
            && let Some((p, _)) = o.payments.iter().find(|(p, _)| p.id.xid == stored.id.xid)
        {
            return Ok(p.clone());
        }
        let mut p = stored;
        settlement::sync_payment(&self.account, &mut p)?;
        Ok(p)
    }
}

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let Config { market, admin, params } = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse { market, admin, params, pending_admin: PENDING_ADMIN.may_load(deps.storage)? })
}

pub fn account(deps: Deps, env: Env, id: AccountId) -> Result<AccountResponse, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let view = View::load(deps.storage, &cfg, &id, env.block.height)?;
    let depositors = DEPOSITORS.may_load(deps.storage, &id.key())?.unwrap_or_default();
    let depositors = settlement::prune_spent(&view.account, depositors)?;
    Ok(AccountResponse {
        balance: settlement::balance(&view.account)?,
        overdrawn_now: view.overdraft.is_some(),
        account: view.account,
        depositors,
    })
}

pub fn payment(deps: Deps, env: Env, id: PaymentId) -> Result<Payment, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let stored = load_payment(deps.storage, &id)?;
    View::load(deps.storage, &cfg, &id.account, env.block.height)?.payment(stored)
}

pub fn payments(
    deps: Deps,
    env: Env,
    account: AccountId,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<PaymentsResponse, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let view = View::load(deps.storage, &cfg, &account, env.block.height)?;
    let key = account.key();
    let payments = PAYMENTS
        .prefix(&key)
        .range(deps.storage, start_after.as_deref().map(Bound::exclusive), None, Order::Ascending)
        .take(page_size(limit))
        .map(|item| view.payment(item?.1))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PaymentsResponse { payments })
}

pub fn payments_by_payee(
    deps: Deps,
    env: Env,
    payee: String,
    start_after: Option<PaymentId>,
    limit: Option<u32>,
) -> Result<PaymentsResponse, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let payee = deps.api.addr_validate(&payee)?;
    let start = start_after.map(|id| (id.account.key(), id.xid));
    let keys = PAYEE_PAYMENTS
        .sub_prefix(&payee)
        .keys(
            deps.storage,
            start.as_ref().map(|(a, x)| Bound::exclusive((a.as_str(), x.as_str()))),
            None,
            Order::Ascending,
        )
        .take(page_size(limit))
        .collect::<Result<Vec<(String, String)>, _>>()?;
    // One settled view per account on the page.
    let mut views: Vec<(String, View)> = Vec::new();
    let mut payments = Vec::with_capacity(keys.len());
    for (account_key, xid) in keys {
        let stored = PAYMENTS
            .may_load(deps.storage, (&account_key, &xid))?
            .ok_or_else(|| ContractError::inconsistent("payee index names a missing payment"))?;
        let pos = match views.iter().position(|(k, _)| *k == account_key) {
            Some(pos) => pos,
            None => {
                views.push((account_key, View::load(deps.storage, &cfg, &stored.id.account, env.block.height)?));
                views.len() - 1
            }
        };
        payments.push(views[pos].1.payment(stored)?);
    }
    Ok(PaymentsResponse { payments })
}

pub fn runway(
    deps: Deps,
    env: Env,
    id: AccountId,
    block_time_ms: Option<u64>,
) -> Result<RunwayResponse, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let now = env.block.height;
    let view = View::load(deps.storage, &cfg, &id, now)?;
    let balance = settlement::balance(&view.account)?;
    let seconds = |blocks: u64| {
        block_time_ms.map(|ms| u64::try_from(u128::from(blocks) * u128::from(ms) / 1000).unwrap_or(u64::MAX))
    };
    if let Some(o) = &view.overdraft {
        // Settling now overdraws: nothing from now on is funded. `rate` is what the account
        // was paying, `balance` what the overdraft leaves to the depositors.
        return Ok(RunwayResponse {
            rate: view.stored.rate,
            balance,
            blocks: Some(0),
            funded_until: Some(o.overdraft.funded_until),
            seconds: seconds(0),
        });
    }
    let rate = view.account.rate;
    if rate.is_zero() {
        return Ok(RunwayResponse { rate, balance, blocks: None, funded_until: None, seconds: None });
    }
    // The view is settled to `now`; saturate absurdly long runways at the end of u64 heights.
    let max_blocks = u64::MAX - view.account.settled_at;
    let blocks = settlement::to_u64(balance.atomics() / rate.atomics()).unwrap_or(u64::MAX).min(max_blocks);
    Ok(RunwayResponse {
        rate,
        balance,
        blocks: Some(blocks),
        funded_until: Some(view.account.settled_at + blocks),
        seconds: seconds(blocks),
    })
}
