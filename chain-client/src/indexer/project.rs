//! Projection: the market's current-state tables (providers, deployments, groups, orders,
//! bids, leases, escrow accounts and payments) and their histories (lease states, escrow
//! ledger), derived from one block's marketplace events in order. It reads only the block's
//! raw rows, so a re-index replays the stored log without asking the node.
//!
//! What events do not carry comes from the message that caused them, found by the event's
//! `msg_index`: a provider's attributes and contact details, an auditor's signed values, a
//! deployment's group specs. When a contract (not a signed message) made the call, those
//! columns stay `NULL`.

use std::collections::BTreeMap;

use cosmwasm_std::{Decimal256, Uint256};
use leasehold_types::ids::{BidId, GroupId, OrderId};
use leasehold_types::market;
use leasehold_types::provider;
use leasehold_types::resources::GroupSpec;

use crate::indexer::decode::{Contracts, EventKey, MarketEvent, market_event};
use crate::indexer::error::{IndexError, StoreError};
use crate::indexer::escrow::{AccountRow, PaymentRow, whole};
use crate::indexer::model::{BlockData, EventData, MsgData, TxData};
use crate::indexer::store::{Sql, Value};

/// How a group is classified in market statistics: `gpu:<vendor>/<model>[,…]` when it asks
/// for GPUs, else `cpu`; and its GPU units in all (units × replicas).
pub fn resource_kind(spec: &GroupSpec) -> (String, u64) {
    let mut models: Vec<String> = Vec::new();
    let mut units = 0u64;
    for r in &spec.resources {
        if r.gpu.units == 0 {
            continue;
        }
        units = units.saturating_add(u64::from(r.gpu.units).saturating_mul(u64::from(r.count)));
        for m in &r.gpu.models {
            let name = format!("{}/{}", m.vendor.to_ascii_lowercase(), m.model.to_ascii_lowercase());
            if !models.contains(&name) {
                models.push(name);
            }
        }
    }
    if units == 0 {
        ("cpu".into(), 0)
    } else {
        models.sort();
        (format!("gpu:{}", models.join(",")), units)
    }
}

fn id_params(id: &BidId) -> Result<Vec<Value>, StoreError> {
    Ok(vec![
        id.owner.as_str().into(),
        Value::u64(id.dseq)?,
        id.gseq.into(),
        id.oseq.into(),
        id.provider.as_str().into(),
    ])
}

fn order_params(id: &OrderId) -> Result<Vec<Value>, StoreError> {
    Ok(vec![id.owner.as_str().into(), Value::u64(id.dseq)?, id.gseq.into(), id.oseq.into()])
}

fn group_params(id: &GroupId) -> Result<Vec<Value>, StoreError> {
    Ok(vec![id.owner.as_str().into(), Value::u64(id.dseq)?, id.gseq.into()])
}

fn with(mut first: Vec<Value>, rest: Vec<Value>) -> Vec<Value> {
    first.extend(rest);
    first
}

/// Derives one block's rows. Returns the number of rows written or changed.
pub struct Projector<'a> {
    sql: &'a mut dyn Sql,
    contracts: &'a Contracts,
    rows: u64,
    /// `matched_by` of the order matched earlier in the tx, for its `lease-created`.
    matched_by: BTreeMap<OrderId, String>,
}

impl<'a> Projector<'a> {
    pub fn new(sql: &'a mut dyn Sql, contracts: &'a Contracts) -> Self {
        Projector { sql, contracts, rows: 0, matched_by: BTreeMap::new() }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let n = self.sql.execute(sql, params)?;
        self.rows += n;
        Ok(n)
    }

    /// An update that should have found its row; a miss (history indexed from mid-chain) is
    /// logged, not fatal.
    fn update(&mut self, what: &str, sql: &str, params: &[Value]) -> Result<(), StoreError> {
        if self.exec(sql, params)? == 0 {
            tracing::warn!("{what}: no such row in the index (indexed from mid-chain?)");
        }
        Ok(())
    }

    pub fn block(&mut self, block: &BlockData) -> Result<(), IndexError> {
        for tx in block.txs.iter().filter(|t| t.code == 0) {
            self.matched_by.clear();
            for ev in &tx.events {
                let key = EventKey { height: block.height, tx_index: tx.index, event_index: ev.index };
                if let Some(e) = market_event(ev, key, self.contracts)? {
                    self.apply(key, tx, ev, e)?;
                }
            }
        }
        Ok(())
    }

    /// The message that emitted `ev`, when it is a direct call of `contract`.
    fn msg_of<'t>(&self, tx: &'t TxData, ev: &EventData, contract: &str) -> Option<&'t MsgData> {
        let m = tx.msgs.get(ev.msg_index? as usize)?;
        (m.contract.as_deref() == Some(contract)).then_some(m)
    }

    fn registry_msg(&self, tx: &TxData, ev: &EventData) -> Option<provider::ExecuteMsg> {
        let m = self.msg_of(tx, ev, &self.contracts.registry)?;
        serde_json::from_str(m.body.as_deref()?).ok()
    }

    fn group_specs(&self, tx: &TxData, ev: &EventData, dseq: u64) -> Option<Vec<GroupSpec>> {
        let m = self.msg_of(tx, ev, &self.contracts.market)?;
        match serde_json::from_str(m.body.as_deref()?).ok()? {
            market::ExecuteMsg::CreateDeployment { dseq: d, groups, .. } if d == dseq => Some(groups),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ledger(
        &mut self,
        key: EventKey,
        account: &str,
        payment: Option<&str>,
        kind: &str,
        address: &str,
        amount: Uint256,
        take: Uint256,
        denom: &str,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO escrow_ledger (height, tx_index, event_index, account, payment, kind, address, amount, take, denom) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                Value::u64(key.height)?,
                key.tx_index.into(),
                key.event_index.into(),
                account.into(),
                Value::opt_text(payment),
                kind.into(),
                address.into(),
                amount.to_string().into(),
                take.to_string().into(),
                denom.into(),
            ],
        )?;
        Ok(())
    }

    fn lease_history(
        &mut self,
        key: EventKey,
        id: &BidId,
        state: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let params = with(
            vec![Value::u64(key.height)?, key.tx_index.into(), key.event_index.into()],
            with(id_params(id)?, vec![state.into(), Value::opt_text(reason)]),
        );
        self.exec(
            "INSERT INTO lease_history (height, tx_index, event_index, owner, dseq, gseq, oseq, provider, state, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &params,
        )?;
        Ok(())
    }

    fn account(&mut self, account: &str) -> Result<Option<AccountRow>, StoreError> {
        let a = AccountRow::load(self.sql, account)?;
        if a.is_none() {
            tracing::warn!(account, "escrow account not in the index (indexed from mid-chain?)");
        }
        Ok(a)
    }

    fn save_account(&mut self, a: &AccountRow) -> Result<(), StoreError> {
        a.save(self.sql)?;
        self.rows += 1;
        Ok(())
    }

    fn save_payment(&mut self, p: &PaymentRow) -> Result<(), StoreError> {
        p.save(self.sql)?;
        self.rows += 1;
        Ok(())
    }

    fn apply(&mut self, key: EventKey, tx: &TxData, ev: &EventData, e: MarketEvent) -> Result<(), IndexError> {
        let h = key.height;
        let hv = Value::u64(h)?;
        use MarketEvent as E;
        match e {
            E::ProviderRegistered { owner, host_uri } | E::ProviderUpdated { owner, host_uri } => {
                let registered = ev.kind == "wasm-provider-registered";
                let (attributes, info) = match self.registry_msg(tx, ev) {
                    Some(
                        provider::ExecuteMsg::Register { attributes, info, .. }
                        | provider::ExecuteMsg::Update { attributes, info, .. },
                    ) => (serde_json::to_string(&attributes).ok(), Some(info)),
                    _ => (None, None),
                };
                let (email, website) = match info {
                    Some(i) => (Some(i.email), Some(i.website)),
                    None => (None, None),
                };
                let params = vec![
                    owner.as_str().into(),
                    host_uri.into(),
                    Value::opt_text(attributes),
                    Value::opt_text(email),
                    Value::opt_text(website),
                    hv,
                ];
                if registered {
                    self.exec(
                        "INSERT INTO providers (owner, host_uri, attributes, email, website, created_at, updated_at, deleted_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $6, NULL) ON CONFLICT (owner) DO UPDATE SET host_uri = excluded.host_uri, \
                         attributes = excluded.attributes, email = excluded.email, website = excluded.website, \
                         created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL",
                        &params,
                    )?;
                } else {
                    self.update(
                        "provider-updated",
                        "UPDATE providers SET host_uri = $2, attributes = $3, email = $4, website = $5, updated_at = $6 WHERE owner = $1",
                        &params,
                    )?;
                }
            }
            E::ProviderDeleted { owner } => {
                self.update(
                    "provider-deleted",
                    "UPDATE providers SET deleted_at = $2, updated_at = $2 WHERE owner = $1",
                    &[owner.into(), hv],
                )?;
            }
            E::AuditSigned { owner, auditor, keys } => {
                let values: Vec<(String, String)> = match self.registry_msg(tx, ev) {
                    Some(provider::ExecuteMsg::SignAttributes { attributes, .. }) => {
                        attributes.into_iter().map(|a| (a.key, a.value)).collect()
                    }
                    _ => Vec::new(),
                };
                for k in keys {
                    let value = values.iter().rev().find(|(vk, _)| *vk == k).map(|(_, v)| v.clone());
                    self.exec(
                        "INSERT INTO provider_audits (owner, auditor, key, value, signed_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (owner, auditor, key) DO UPDATE SET value = excluded.value, signed_at = excluded.signed_at",
                        &[owner.as_str().into(), auditor.as_str().into(), k.into(), Value::opt_text(value), hv.clone()],
                    )?;
                }
            }
            E::AuditDeleted { owner, auditor, keys, record_deleted } => {
                if record_deleted {
                    self.exec(
                        "DELETE FROM provider_audits WHERE owner = $1 AND auditor = $2",
                        &[owner.into(), auditor.into()],
                    )?;
                } else {
                    for k in keys {
                        self.exec(
                            "DELETE FROM provider_audits WHERE owner = $1 AND auditor = $2 AND key = $3",
                            &[owner.as_str().into(), auditor.as_str().into(), k.into()],
                        )?;
                    }
                }
            }
            E::DeploymentCreated { id, hash, denom, groups, auto_match, deposit } => {
                self.exec(
                    "INSERT INTO deployments (owner, dseq, state, hash, denom, auto_match, group_count, deposit, created_at, closed_at) \
                     VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, $8, NULL)",
                    &[
                        id.owner.as_str().into(),
                        Value::u64(id.dseq)?,
                        hash.into(),
                        denom.into(),
                        Value::bool(auto_match),
                        groups.into(),
                        deposit.to_string().into(),
                        hv.clone(),
                    ],
                )?;
                let specs = self.group_specs(tx, ev, id.dseq);
                for gseq in 1..=groups {
                    let spec = specs.as_ref().and_then(|s| s.get(gseq as usize - 1));
                    let (kind, units) = spec.map(resource_kind).unwrap_or_else(|| ("unknown".into(), 0));
                    self.exec(
                        "INSERT INTO deployment_groups (owner, dseq, gseq, name, state, spec, resource_kind, gpu_units, last_oseq, created_at) \
                         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, 0, $8)",
                        &[
                            id.owner.as_str().into(),
                            Value::u64(id.dseq)?,
                            gseq.into(),
                            Value::opt_text(spec.map(|s| s.name.clone())),
                            Value::opt_text(spec.and_then(|s| serde_json::to_string(s).ok())),
                            kind.into(),
                            Value::u64(units)?,
                            hv.clone(),
                        ],
                    )?;
                }
            }
            E::DeploymentUpdated { id, hash, auto_match } => self.update(
                "deployment-updated",
                "UPDATE deployments SET hash = $3, auto_match = $4 WHERE owner = $1 AND dseq = $2",
                &[id.owner.into(), Value::u64(id.dseq)?, hash.into(), Value::bool(auto_match)],
            )?,
            E::DeploymentClosed { id } => self.update(
                "deployment-closed",
                "UPDATE deployments SET state = 'closed', closed_at = $3 WHERE owner = $1 AND dseq = $2",
                &[id.owner.into(), Value::u64(id.dseq)?, hv],
            )?,
            E::ProviderExcluded { id, provider, reason } => {
                self.exec(
                    "INSERT INTO deployment_exclusions (owner, dseq, provider, reason, excluded_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (owner, dseq, provider) DO UPDATE \
                     SET reason = excluded.reason, excluded_at = excluded.excluded_at",
                    &[id.owner.into(), Value::u64(id.dseq)?, provider.into(), reason.into(), hv],
                )?;
            }
            E::ProviderReadmitted { id, provider } => self.update(
                "provider-readmitted",
                "DELETE FROM deployment_exclusions WHERE owner = $1 AND dseq = $2 AND provider = $3",
                &[id.owner.into(), Value::u64(id.dseq)?, provider.into()],
            )?,
            E::GroupPaused { id, state, .. } => self.update(
                "group-paused",
                "UPDATE deployment_groups SET state = $4 WHERE owner = $1 AND dseq = $2 AND gseq = $3",
                &with(group_params(&id)?, vec![state.into()]),
            )?,
            E::GroupStarted { id } => self.update(
                "group-started",
                "UPDATE deployment_groups SET state = 'open' WHERE owner = $1 AND dseq = $2 AND gseq = $3",
                &group_params(&id)?,
            )?,
            E::GroupClosed { id, .. } => self.update(
                "group-closed",
                "UPDATE deployment_groups SET state = 'closed' WHERE owner = $1 AND dseq = $2 AND gseq = $3",
                &group_params(&id)?,
            )?,
            E::OrderCreated { id, price, matchable_at, expires_at } => {
                self.exec(
                    "INSERT INTO orders (owner, dseq, gseq, oseq, state, price, denom, open_bids, created_at, matchable_at, expires_at, closed_at, close_reason) \
                     VALUES ($1, $2, $3, $4, 'open', $5, $6, 0, $7, $8, $9, NULL, NULL)",
                    &with(
                        order_params(&id)?,
                        vec![
                            price.amount.to_string().into(),
                            price.denom.into(),
                            hv,
                            Value::u64(matchable_at)?,
                            Value::u64(expires_at)?,
                        ],
                    ),
                )?;
                self.update(
                    "order-created",
                    "UPDATE deployment_groups SET last_oseq = $4 WHERE owner = $1 AND dseq = $2 AND gseq = $3",
                    &order_params(&id)?,
                )?;
            }
            E::OrderMatched { id, matched_by, .. } => {
                self.update(
                    "order-matched",
                    "UPDATE orders SET state = 'active', open_bids = 0 WHERE owner = $1 AND dseq = $2 AND gseq = $3 AND oseq = $4",
                    &order_params(&id)?,
                )?;
                self.matched_by.insert(id, matched_by);
            }
            E::OrderClosed { id, reason } => self.update(
                "order-closed",
                "UPDATE orders SET state = 'closed', open_bids = 0, closed_at = $5, close_reason = $6 \
                 WHERE owner = $1 AND dseq = $2 AND gseq = $3 AND oseq = $4",
                &with(order_params(&id)?, vec![hv, reason.into()]),
            )?,
            E::BidCreated { id, price, collateral } => {
                self.exec(
                    "INSERT INTO bids (owner, dseq, gseq, oseq, provider, state, price, denom, collateral, collateral_denom, created_at, closed_at, close_reason) \
                     VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, NULL, NULL)",
                    &with(
                        id_params(&id)?,
                        vec![
                            price.amount.to_string().into(),
                            price.denom.into(),
                            collateral.amount.to_string().into(),
                            collateral.denom.into(),
                            hv,
                        ],
                    ),
                )?;
                self.update(
                    "bid-created",
                    "UPDATE orders SET open_bids = open_bids + 1 WHERE owner = $1 AND dseq = $2 AND gseq = $3 AND oseq = $4",
                    &order_params(&id.order())?,
                )?;
            }
            E::BidMatched { id } => self.update(
                "bid-matched",
                "UPDATE bids SET state = 'active' WHERE owner = $1 AND dseq = $2 AND gseq = $3 AND oseq = $4 AND provider = $5",
                &id_params(&id)?,
            )?,
            E::BidLost { id } => self.update(
                "bid-lost",
                "UPDATE bids SET state = 'lost', closed_at = $6, close_reason = 'outbid' \
                 WHERE owner = $1 AND dseq = $2 AND gseq = $3 AND oseq = $4 AND provider = $5",
                &with(id_params(&id)?, vec![hv]),
            )?,
            E::BidClosed { id, reason } => {
                self.update(
                    "bid-closed",
                    "UPDATE bids SET state = 'closed', closed_at = $6, close_reason = $7 \
                     WHERE owner = $1 AND dseq = $2 AND gseq = $3 AND oseq = $4 AND provider = $5",
                    &with(id_params(&id)?, vec![hv, reason.as_str().into()]),
                )?;
                // A provider withdrawing its bid frees a place; other closes zero the count.
                if reason == "provider" {
                    self.update(
                        "bid-closed",
                        "UPDATE orders SET open_bids = open_bids - 1 \
                         WHERE owner = $1 AND dseq = $2 AND gseq = $3 AND oseq = $4 AND open_bids > 0",
                        &order_params(&id.order())?,
                    )?;
                }
            }
            E::LeaseCreated { id, price } => {
                let matched_by = self.matched_by.get(&id.order()).cloned().unwrap_or_else(|| "tenant".into());
                self.exec(
                    "INSERT INTO leases (owner, dseq, gseq, oseq, provider, state, price, denom, matched_by, created_at, closed_at, close_reason, reason_code) \
                     VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9, NULL, NULL, NULL)",
                    &with(
                        id_params(&id)?,
                        vec![price.amount.to_string().into(), price.denom.into(), matched_by.into(), hv],
                    ),
                )?;
                self.lease_history(key, &id, "active", None)?;
            }
            E::LeaseClosed { id, reason, reason_code, closed_at } => {
                let state = if reason == "insufficient_funds" { "insufficient_funds" } else { "closed" };
                self.update(
                    "lease-closed",
                    "UPDATE leases SET state = $6, closed_at = $7, close_reason = $8, reason_code = $9 \
                     WHERE owner = $1 AND dseq = $2 AND gseq = $3 AND oseq = $4 AND provider = $5",
                    &with(
                        id_params(&id)?,
                        vec![state.into(), Value::u64(closed_at)?, reason.as_str().into(), reason_code.into()],
                    ),
                )?;
                self.lease_history(key, &id, state, Some(&reason))?;
            }
            E::AccountOpened { account, scope, owner, amount, denom } => {
                let xid = account.split_once('/').map(|(_, x)| x.to_string()).unwrap_or_default();
                let row = AccountRow {
                    account: account.clone(),
                    scope,
                    xid,
                    owner: owner.clone(),
                    denom: denom.clone(),
                    state: "open".into(),
                    deposited: amount,
                    refunded: Uint256::zero(),
                    charged: Decimal256::zero(),
                    rate: Decimal256::zero(),
                    settled_at: h,
                    open_payments: 0,
                    created_at: h,
                    closed_at: None,
                };
                self.save_account(&row)?;
                self.ledger(key, &account, None, "deposit", &owner, amount, Uint256::zero(), &denom)?;
            }
            E::Deposited { account, depositor, amount, balance, reopened } => {
                let Some(mut a) = self.account(&account)? else { return Ok(()) };
                a.settle(h);
                if reopened {
                    a.state = "open".into();
                    a.settled_at = h;
                    a.rate = Decimal256::zero();
                    a.open_payments = 0;
                }
                a.deposited = a.deposited.saturating_add(amount);
                a.reconcile_balance(balance, "escrow-deposited");
                self.save_account(&a)?;
                let denom = a.denom.clone();
                self.ledger(key, &account, None, "deposit", &depositor, amount, Uint256::zero(), &denom)?;
            }
            E::PaymentCreated { account, payment, payee, rate, denom, account_rate, take_rate } => {
                let Some(mut a) = self.account(&account)? else { return Ok(()) };
                a.settle(h);
                a.rate = a.rate.saturating_add(rate);
                a.open_payments = a.open_payments.saturating_add(1);
                if a.rate != account_rate {
                    tracing::warn!(%account, ours = %a.rate, reported = %account_rate, "escrow-payment-created: account rate differs; using the chain's");
                    a.rate = account_rate;
                }
                let p = PaymentRow {
                    account: account.clone(),
                    payment,
                    payee,
                    state: "open".into(),
                    rate,
                    denom,
                    accrued: Decimal256::zero(),
                    settled_at: a.settled_at,
                    withdrawn: Uint256::zero(),
                    take: Uint256::zero(),
                    take_rate,
                    created_at: h,
                    closed_at: None,
                };
                self.save_account(&a)?;
                self.save_payment(&p)?;
            }
            E::PaymentClosed { account, payment, payee, overdrawn, accrued, amount, take } => {
                let Some(mut p) = PaymentRow::load(self.sql, &account, &payment)? else {
                    tracing::warn!(%account, %payment, "escrow payment not in the index");
                    return Ok(());
                };
                if overdrawn {
                    // Settled by the `escrow-overdrawn` that follows.
                    p.accrued = accrued;
                    p.state = "overdrawn".into();
                } else {
                    let Some(mut a) = self.account(&account)? else { return Ok(()) };
                    a.settle(h);
                    p.sync(&a);
                    let floor = p.accrued.floor();
                    a.charged = a.charged.saturating_sub(p.accrued.saturating_sub(floor));
                    p.accrued = floor;
                    if p.accrued != accrued {
                        tracing::warn!(%account, %payment, ours = %p.accrued, reported = %accrued, "escrow-payment-closed: accrual differs; using the chain's");
                        p.accrued = accrued;
                    }
                    p.state = "closed".into();
                    a.sub_rate(p.rate)?;
                    self.save_account(&a)?;
                }
                p.withdrawn = p.withdrawn.saturating_add(amount);
                p.take = p.take.saturating_add(take);
                p.closed_at = Some(h);
                self.save_payment(&p)?;
                let denom = p.denom.clone();
                self.ledger(key, &account, Some(&payment), "payout", &payee, amount, take, &denom)?;
            }
            E::Withdrawn { account, payment, payee, amount, take } => {
                let Some(mut a) = self.account(&account)? else { return Ok(()) };
                let Some(mut p) = PaymentRow::load(self.sql, &account, &payment)? else {
                    tracing::warn!(%account, %payment, "escrow payment not in the index");
                    return Ok(());
                };
                a.settle(h);
                p.sync(&a);
                p.withdrawn = p.withdrawn.saturating_add(amount);
                p.take = p.take.saturating_add(take);
                self.save_account(&a)?;
                self.save_payment(&p)?;
                let denom = p.denom.clone();
                self.ledger(key, &account, Some(&payment), "payout", &payee, amount, take, &denom)?;
            }
            E::Overdrawn { account, funded_until, payments, balance } => {
                let Some(mut a) = self.account(&account)? else { return Ok(()) };
                a.charged = whole(a.deposited.saturating_sub(a.refunded)).saturating_sub(balance);
                a.settled_at = h;
                a.state = "overdrawn".into();
                a.rate = Decimal256::zero();
                a.open_payments = 0;
                self.save_account(&a)?;
                for xid in payments {
                    if let Some(mut p) = PaymentRow::load(self.sql, &account, &xid)? {
                        p.settled_at = funded_until;
                        self.save_payment(&p)?;
                    }
                }
            }
            E::Settled { account, state, settled_at, balance, rate } => {
                let Some(mut a) = self.account(&account)? else { return Ok(()) };
                a.settle(h);
                if a.state != state || a.settled_at != settled_at || a.rate != rate {
                    tracing::warn!(%account, "escrow-settled: the indexed account differs from the chain's; using the chain's");
                    (a.state, a.settled_at, a.rate) = (state, settled_at, rate);
                }
                a.reconcile_balance(balance, "escrow-settled");
                self.save_account(&a)?;
            }
            E::Refunded { account, depositor, amount } => {
                let Some(mut a) = self.account(&account)? else { return Ok(()) };
                a.settle(h);
                a.refunded = a.refunded.saturating_add(amount);
                self.save_account(&a)?;
                let denom = a.denom.clone();
                self.ledger(key, &account, None, "refund", &depositor, amount, Uint256::zero(), &denom)?;
            }
            E::AccountClosed { account, .. } => {
                let Some(mut a) = self.account(&account)? else { return Ok(()) };
                a.settle(h);
                a.state = "closed".into();
                a.closed_at = Some(h);
                a.reconcile_balance(Decimal256::zero(), "escrow-closed");
                self.save_account(&a)?;
            }
        }
        Ok(())
    }
}
