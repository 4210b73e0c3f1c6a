//! The engine's loop: at every new block it follows its bids and leases, withdraws what is due,
//! and decides about every open order it has not decided about yet.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use cosmwasm_std::{Coin, DecCoin, Decimal256, Uint256};
use leasehold_types::escrow::{self, AccountId, PaymentId, RunwayResponse};
use leasehold_types::market::{
    self, Bid, BidState, BidsResponse, Lease, LeaseCloseReason, LeaseState, LeasesResponse, MarketParams,
    OrderResponse, OrderState, OrdersResponse,
};
use leasehold_types::provider::{self as registry, AuditRecord, Provider};
use leasehold_types::resources::GroupSpec;
use leasehold_types::{Attribute, BidId, OrderId, attributes::attributes_match};
use serde::Serialize;

use super::config::EngineConfig;
use super::decision::{Decision, SkipReason};
use super::error::EngineError;
use super::inventory::{Capacity, Placement};
use super::pricing;
use super::state::{EngineState, PendingBid, StateFile};
use crate::client::tx::{Signer, TxOptions, TxResult};
use crate::client::{ChainClient, ClientError};
use crate::contracts::Marketplace;

/// Page size of list queries.
const PAGE: u32 = 100;
/// Blocks a bid tx may stay unseen before its order is looked at again.
const PENDING_BLOCKS: u64 = 20;
/// Blocks before a refused bid's order is looked at again.
const RETRY_FAILED_BLOCKS: u64 = 10;
/// A bid must have this many blocks before the order expires.
const EXPIRY_MARGIN: u64 = 2;

/// Something the engine did or saw besides deciding about orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EngineEvent {
    Registered {
        provider: String,
        attributes: usize,
    },
    Updated {
        provider: String,
        attributes: usize,
    },
    /// An open bid past `bid_timeout_blocks` was closed; its collateral came back.
    BidTimedOut {
        bid: String,
        age: u64,
    },
    /// The tenant leased another bid (or the order closed): capacity released.
    BidLost {
        bid: String,
        state: String,
    },
    LeaseWon {
        lease: String,
        price: DecCoin,
    },
    /// A lease ended (tenant closed it, escrow ran out, ...): capacity released.
    LeaseEnded {
        lease: String,
        state: String,
        reason: Option<String>,
    },
    /// The engine closed a lease it can no longer serve.
    LeaseClosed {
        lease: String,
        reason: String,
        code: u32,
    },
    /// Earnings withdrawn (after the network's take), per lease.
    Withdrew {
        height: u64,
        amounts: Vec<(String, Uint256)>,
        denom: String,
        why: String,
    },
}

impl std::fmt::Display for EngineEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineEvent::Registered { provider, attributes } => {
                write!(f, "registered provider {provider} with {attributes} attributes")
            }
            EngineEvent::Updated { provider, attributes } => {
                write!(f, "updated provider {provider} ({attributes} attributes)")
            }
            EngineEvent::BidTimedOut { bid, age } => {
                write!(f, "bid {bid}: not accepted after {age} blocks: closed, collateral refunded, capacity released")
            }
            EngineEvent::BidLost { bid, state } => write!(f, "bid {bid}: {state}: capacity released"),
            EngineEvent::LeaseWon { lease, price } => {
                write!(f, "lease {lease}: won at {}{} per block", price.amount, price.denom)
            }
            EngineEvent::LeaseEnded { lease, state, reason } => {
                write!(
                    f,
                    "lease {lease}: ended ({state}{}): capacity released",
                    reason.as_ref().map(|r| format!(", {r}")).unwrap_or_default()
                )
            }
            EngineEvent::LeaseClosed { lease, reason, code } => {
                write!(f, "lease {lease}: closed by this provider: {reason} (code {code})")
            }
            EngineEvent::Withdrew { height, amounts, denom, why } => {
                let total: Uint256 = amounts.iter().map(|(_, a)| *a).fold(Uint256::zero(), |a, b| a + b);
                write!(f, "withdrew {total}{denom} from {} lease(s) at height {height} ({why})", amounts.len())
            }
        }
    }
}

/// What one [`BidEngine::tick`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub height: u64,
    /// New decisions (an order decided the same way as before is not repeated).
    pub decisions: Vec<Decision>,
    pub events: Vec<EngineEvent>,
}

/// A bid or lease of this engine and the capacity it holds (a lease's id is its bid's).
#[derive(Debug, Clone)]
struct Held {
    id: BidId,
    created_at: u64,
    placement: Placement,
}

/// A provider's bid engine.
pub struct BidEngine {
    client: ChainClient,
    market: Marketplace,
    signer: Signer,
    config: EngineConfig,
    provider: String,
    attributes: Vec<Attribute>,
    params: MarketParams,
    collateral: Coin,
    capacity: Capacity,
    /// Open bids by order id.
    bids: BTreeMap<String, Held>,
    /// Active leases by lease id.
    leases: BTreeMap<String, Held>,
    /// The last decision about each order not bid on.
    skipped: BTreeMap<String, SkipReason>,
    /// Orders whose bid the chain refused, with the height.
    failed: BTreeMap<String, u64>,
    state: EngineState,
    state_file: StateFile,
    opts: TxOptions,
    /// The latest height seen.
    height: u64,
    /// The height of the last complete round.
    ticked_at: Option<u64>,
    startup_events: Vec<EngineEvent>,
}

impl BidEngine {
    /// Registers (or updates) the provider, checks the market accepts the pricing denom and
    /// collateral, and rebuilds reservations from the provider's open bids and active leases.
    /// Leases the inventory can no longer hold are closed with reason `decommission`.
    pub async fn start(
        client: ChainClient,
        market: Marketplace,
        signer: Signer,
        config: EngineConfig,
    ) -> Result<BidEngine, EngineError> {
        let provider = signer.address().to_string();
        let params: MarketParams = market.market.query(&client, &market::QueryMsg::Params {}).await?;
        let denom = &config.pricing.denom;
        let denom_params = params.denom(denom).ok_or_else(|| {
            let accepted: Vec<&str> = params.denoms.iter().map(|d| d.denom.as_str()).collect();
            EngineError::Market(format!(
                "the market does not accept {denom} (pricing.denom); it accepts {}",
                accepted.join(", ")
            ))
        })?;
        let amount = config.bidding.collateral.unwrap_or(denom_params.bid_min_deposit);
        if amount < denom_params.bid_min_deposit {
            return Err(EngineError::Market(format!(
                "bidding.collateral {amount}{denom} is below the market's minimum of {}{denom}",
                denom_params.bid_min_deposit
            )));
        }
        let state_file = StateFile::new(&config.state_dir);
        let state = state_file.load(client.chain_id(), &market.market.address, &provider)?;
        let mut engine = BidEngine {
            attributes: config.registered_attributes(),
            capacity: Capacity::new(&config.inventory),
            collateral: Coin { denom: denom.clone(), amount },
            client,
            market,
            signer,
            provider,
            params,
            bids: BTreeMap::new(),
            leases: BTreeMap::new(),
            skipped: BTreeMap::new(),
            failed: BTreeMap::new(),
            state,
            state_file,
            opts: TxOptions::default(),
            height: 0,
            ticked_at: None,
            startup_events: Vec::new(),
            config,
        };
        engine.height = engine.client.latest_block().await?.0;
        engine.register().await?;
        engine.reconcile().await?;
        engine.state_file.save(&engine.state)?;
        for e in &engine.startup_events {
            tracing::info!("{e}");
        }
        tracing::info!(
            "provider {}: {} open bid(s), {} active lease(s); {}",
            engine.provider,
            engine.bids.len(),
            engine.leases.len(),
            engine.capacity.summary()
        );
        Ok(engine)
    }

    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// Orders with an open bid of this engine.
    pub fn open_bids(&self) -> Vec<String> {
        self.bids.keys().cloned().collect()
    }

    /// Leases this engine serves.
    pub fn active_leases(&self) -> Vec<String> {
        self.leases.keys().cloned().collect()
    }

    /// Free capacity, for logs.
    pub fn capacity_summary(&self) -> String {
        self.capacity.summary()
    }

    /// Runs [`BidEngine::tick`] every `poll_interval` until `shutdown` completes. A chain that
    /// cannot be reached is retried (and logged), not fatal.
    pub async fn run(mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), EngineError> {
        tokio::pin!(shutdown);
        let mut last_error: Option<String> = None;
        loop {
            match self.tick().await {
                Ok(report) => {
                    if last_error.take().is_some() {
                        tracing::info!("chain reachable again at height {}", report.height);
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    if last_error.as_deref() != Some(msg.as_str()) {
                        tracing::warn!("{msg}; retrying every {} ms", self.config.poll_interval.as_millis());
                    }
                    last_error = Some(msg);
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
        self.state_file.save(&self.state)?;
        tracing::info!("stopped; {} open bid(s), {} active lease(s) kept on chain", self.bids.len(), self.leases.len());
        Ok(())
    }

    /// One round: follow bids and leases, withdraw what is due, decide about open orders.
    /// Does nothing but report the height when no new block came since the last round.
    pub async fn tick(&mut self) -> Result<TickReport, EngineError> {
        let (height, _) = self.client.latest_block().await?;
        // Startup events (already logged by `start`) come first in the first report.
        let startup = std::mem::take(&mut self.startup_events);
        let logged = startup.len();
        let mut report = TickReport { height, events: startup, ..TickReport::default() };
        if self.ticked_at == Some(height) {
            return Ok(report);
        }
        self.height = height;
        self.follow_bids(&mut report).await?;
        self.follow_leases(&mut report).await?;
        self.withdraw_due(&mut report).await?;
        self.decide_orders(&mut report).await?;
        self.state_file.save(&self.state)?;
        self.ticked_at = Some(height);
        for e in &report.events[logged..] {
            tracing::info!("{e}");
        }
        Ok(report)
    }

    async fn register(&mut self) -> Result<(), EngineError> {
        let existing: Option<Provider> = match self
            .market
            .registry
            .query(&self.client, &registry::QueryMsg::Provider { owner: self.provider.clone() })
            .await
        {
            Ok(p) => Some(p),
            Err(ClientError::Query { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let msg = match &existing {
            None => registry::ExecuteMsg::Register {
                host_uri: self.config.host_uri.clone(),
                attributes: self.attributes.clone(),
                info: self.config.info.clone(),
            },
            Some(p)
                if p.host_uri == self.config.host_uri
                    && p.attributes == self.attributes
                    && p.info == self.config.info =>
            {
                tracing::info!("provider {} already registered as configured", self.provider);
                return Ok(());
            }
            Some(_) => registry::ExecuteMsg::Update {
                host_uri: self.config.host_uri.clone(),
                attributes: self.attributes.clone(),
                info: self.config.info.clone(),
            },
        };
        let registry_contract = self.market.registry.clone();
        registry_contract
            .execute(&self.client, &mut self.signer, &msg, &[], &self.opts, &mut |_| {})
            .await
            .map_err(|e| EngineError::Market(format!("registering provider {}: {e}", self.provider)))?;
        let (provider, attributes) = (self.provider.clone(), self.attributes.len());
        let event = if existing.is_none() {
            EngineEvent::Registered { provider, attributes }
        } else {
            EngineEvent::Updated { provider, attributes }
        };
        self.startup_events.push(event);
        Ok(())
    }

    /// Reservations from the chain: open bids, then active leases (a lease that no longer fits
    /// is closed for decommission; an open bid that no longer fits is withdrawn).
    async fn reconcile(&mut self) -> Result<(), EngineError> {
        for lease in self.my_leases().await? {
            let key = lease.id.to_string();
            let order = self.order(&lease.id.order()).await?;
            match self.capacity.place(&order.spec) {
                Ok(p) if self.capacity.reserve(&p) => {
                    self.leases.insert(key, Held { id: lease.id, created_at: lease.created_at, placement: p });
                }
                _ => {
                    let reason = LeaseCloseReason::Decommission;
                    self.close_lease(&lease.id, reason).await?;
                    self.startup_events.push(EngineEvent::LeaseClosed {
                        lease: key,
                        reason: "the inventory can no longer hold it (decommission)".into(),
                        code: reason.code(),
                    });
                }
            }
        }
        for bid in self.my_open_bids().await? {
            let order_key = bid.id.order().to_string();
            self.state.pending_bids.remove(&order_key);
            let order = self.order(&bid.id.order()).await?;
            match self.capacity.place(&order.spec) {
                Ok(p) if self.capacity.reserve(&p) => {
                    self.bids.insert(order_key, Held { id: bid.id, created_at: bid.created_at, placement: p });
                }
                _ => {
                    self.close_bid(&bid.id).await?;
                    self.startup_events.push(EngineEvent::BidLost {
                        bid: bid.id.to_string(),
                        state: "withdrawn: the inventory can no longer hold it".into(),
                    });
                }
            }
        }
        // Pending bids from before a restart stay pending until their bid shows up or
        // PENDING_BLOCKS pass; one from an older chain with the same id (higher height) goes.
        let height = self.height;
        self.state.pending_bids.retain(|_, p| p.height <= height);
        Ok(())
    }

    async fn follow_bids(&mut self, report: &mut TickReport) -> Result<(), EngineError> {
        let open: BTreeMap<String, Bid> =
            self.my_open_bids().await?.into_iter().map(|b| (b.id.order().to_string(), b)).collect();
        // Bids that left the open state.
        let gone: Vec<String> = self.bids.keys().filter(|k| !open.contains_key(*k)).cloned().collect();
        for key in gone {
            let Some(tracked) = self.bids.remove(&key) else { continue };
            let bid: Bid =
                self.market.market.query(&self.client, &market::QueryMsg::Bid { id: tracked.id.clone() }).await?;
            if bid.state == BidState::Active {
                let lease_key = bid.id.to_string();
                let lease: Lease =
                    self.market.market.query(&self.client, &market::QueryMsg::Lease { id: bid.id.clone() }).await?;
                report.events.push(EngineEvent::LeaseWon { lease: lease_key.clone(), price: lease.price.clone() });
                self.state.last_withdrawal.entry(lease_key.clone()).or_insert(lease.created_at);
                self.leases
                    .insert(lease_key, Held { id: bid.id, created_at: lease.created_at, placement: tracked.placement });
            } else {
                self.capacity.release(&tracked.placement);
                report.events.push(EngineEvent::BidLost {
                    bid: bid.id.to_string(),
                    state: format!("{:?}", bid.state).to_lowercase(),
                });
            }
        }
        // Bids that appeared (a tx sent before a restart landed late).
        for (key, bid) in &open {
            if self.bids.contains_key(key) {
                continue;
            }
            self.state.pending_bids.remove(key);
            let order = self.order(&bid.id.order()).await?;
            if let Ok(p) = self.capacity.place(&order.spec)
                && self.capacity.reserve(&p)
            {
                self.bids.insert(key.clone(), Held { id: bid.id.clone(), created_at: bid.created_at, placement: p });
            }
        }
        // Timeouts.
        let timeout = self.config.bidding.bid_timeout_blocks;
        let expired: Vec<String> = self
            .bids
            .iter()
            .filter(|(_, b)| self.height >= b.created_at.saturating_add(timeout))
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            let Some(tracked) = self.bids.get(&key).cloned() else { continue };
            match self.close_bid(&tracked.id).await {
                Ok(r) => {
                    self.bids.remove(&key);
                    self.capacity.release(&tracked.placement);
                    // Not bid on again: the tenant had its chance at this price.
                    self.skipped.insert(key.clone(), SkipReason::BidTimedOut { closed_at: r.height });
                    report.events.push(EngineEvent::BidTimedOut {
                        bid: tracked.id.to_string(),
                        age: self.height - tracked.created_at,
                    });
                }
                // Accepted or lost meanwhile: the next round sees it.
                Err(EngineError::Chain(ClientError::TxRejected { log, .. })) => {
                    tracing::info!("bid {}: could not close: {log}", tracked.id);
                }
                Err(e) => return Err(e),
            }
        }
        // Pending bid txs that are long overdue.
        let height = self.height;
        self.state.pending_bids.retain(|_, p| height <= p.height.saturating_add(PENDING_BLOCKS));
        Ok(())
    }

    async fn follow_leases(&mut self, report: &mut TickReport) -> Result<(), EngineError> {
        let active: BTreeMap<String, Lease> =
            self.my_leases().await?.into_iter().map(|l| (l.id.to_string(), l)).collect();
        let ended: Vec<String> = self.leases.keys().filter(|k| !active.contains_key(*k)).cloned().collect();
        for key in ended {
            let Some(tracked) = self.leases.remove(&key) else { continue };
            let lease: Lease =
                self.market.market.query(&self.client, &market::QueryMsg::Lease { id: tracked.id.clone() }).await?;
            self.capacity.release(&tracked.placement);
            self.state.last_withdrawal.remove(&key);
            report.events.push(EngineEvent::LeaseEnded {
                lease: key,
                state: format!("{:?}", lease.state).to_lowercase(),
                reason: lease.reason.map(|r| format!("reason {r:?} code {}", r.code()).to_lowercase()),
            });
        }
        for (key, lease) in active {
            if self.leases.contains_key(&key) {
                continue;
            }
            // Won while the engine did not see the bid (accepted in the block it was placed).
            let order = self.order(&lease.id.order()).await?;
            let placement = match self.capacity.place(&order.spec) {
                Ok(p) if self.capacity.reserve(&p) => p,
                _ => {
                    let reason = LeaseCloseReason::Decommission;
                    self.close_lease(&lease.id, reason).await?;
                    report.events.push(EngineEvent::LeaseClosed {
                        lease: key,
                        reason: "no capacity left to serve it".into(),
                        code: reason.code(),
                    });
                    continue;
                }
            };
            report.events.push(EngineEvent::LeaseWon { lease: key.clone(), price: lease.price.clone() });
            self.state.last_withdrawal.entry(key.clone()).or_insert(lease.created_at);
            self.leases.insert(key, Held { id: lease.id, created_at: lease.created_at, placement });
        }
        Ok(())
    }

    /// Withdraws every lease whose last withdrawal is `withdraw_every_blocks` old, and every
    /// lease whose escrow runs dry within a block, in one transaction.
    async fn withdraw_due(&mut self, report: &mut TickReport) -> Result<(), EngineError> {
        let every = self.config.withdraw_every_blocks;
        let mut due: Vec<(BidId, &'static str)> = Vec::new();
        let mut runways: BTreeMap<String, RunwayResponse> = BTreeMap::new();
        for (key, lease) in &self.leases {
            let last = self.state.last_withdrawal.get(key).copied().unwrap_or(lease.created_at);
            if self.height >= last.saturating_add(every) {
                due.push((lease.id.clone(), "periodic"));
                continue;
            }
            let account = AccountId::deployment(&lease.id.deployment());
            let account_key = account.key();
            if !runways.contains_key(&account_key) {
                let r: RunwayResponse = self
                    .market
                    .escrow
                    .query(&self.client, &escrow::QueryMsg::Runway { id: account, block_time_ms: None })
                    .await?;
                runways.insert(account_key.clone(), r);
            }
            let dry = runways.get(&account_key).is_some_and(|r| r.blocks.is_some_and(|b| b <= 1));
            if dry && last < self.height {
                due.push((lease.id.clone(), "escrow runs dry"));
            }
        }
        if due.is_empty() {
            return Ok(());
        }
        let why = if due.iter().all(|(_, w)| *w == "periodic") { "periodic" } else { "periodic / escrow runs dry" };
        let msgs = due
            .iter()
            .map(|(id, _)| {
                self.market.escrow.msg(
                    &self.provider,
                    &escrow::ExecuteMsg::Withdraw { id: PaymentId::for_lease(id) },
                    &[],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let result = match self.client.send_tx(&mut self.signer, msgs, &self.opts, &mut |_| {}).await {
            Ok(r) => r,
            Err(ClientError::TxRejected { log, .. }) => {
                tracing::warn!("withdrawal refused: {log}; retrying next block");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let amounts = withdrawn_amounts(&result, &self.market.escrow.address, &self.provider);
        for (id, _) in &due {
            self.state.last_withdrawal.insert(id.to_string(), result.height);
        }
        report.events.push(EngineEvent::Withdrew {
            height: result.height,
            amounts,
            denom: self.config.pricing.denom.clone(),
            why: why.into(),
        });
        Ok(())
    }

    async fn decide_orders(&mut self, report: &mut TickReport) -> Result<(), EngineError> {
        let orders = self.open_orders().await?;
        let open_keys: BTreeSet<String> = orders.iter().map(|o| o.order.id.to_string()).collect();
        self.skipped.retain(|k, _| open_keys.contains(k));
        self.failed.retain(|k, _| open_keys.contains(k));
        let mut audits: BTreeMap<String, Option<Vec<Attribute>>> = BTreeMap::new();
        for order in orders {
            let key = order.order.id.to_string();
            if self.bids.contains_key(&key) || self.state.pending_bids.contains_key(&key) {
                continue;
            }
            if let Some(h) = self.failed.get(&key)
                && self.height < h.saturating_add(RETRY_FAILED_BLOCKS)
            {
                continue;
            }
            if self.skipped.get(&key).is_some_and(|r| !r.may_change()) {
                continue;
            }
            match self.evaluate(&order, &mut audits).await? {
                Err(reason) => {
                    // Logged when the kind of reason changes, not at every new free-capacity figure.
                    if self.skipped.get(&key).map(SkipReason::code) != Some(reason.code()) {
                        let d = Decision::Skip { order: key.clone(), reason: reason.clone() };
                        tracing::info!("{d}");
                        report.decisions.push(d);
                    }
                    self.skipped.insert(key, reason);
                }
                Ok((price, placement)) => {
                    self.skipped.remove(&key);
                    let d = self.bid(&order, price, placement).await?;
                    tracing::info!("{d}");
                    report.decisions.push(d);
                }
            }
        }
        Ok(())
    }

    /// Every check the market makes at `create_bid`, then capacity and price.
    async fn evaluate(
        &self,
        order: &OrderResponse,
        audits: &mut BTreeMap<String, Option<Vec<Attribute>>>,
    ) -> Result<Result<(Decimal256, Placement), SkipReason>, EngineError> {
        let o = &order.order;
        let spec = &order.spec;
        if o.id.owner == self.provider {
            return Ok(Err(SkipReason::OwnOrder));
        }
        if o.price.denom != self.config.pricing.denom {
            return Ok(Err(SkipReason::Denom {
                order: o.price.denom.clone(),
                accepted: self.config.pricing.denom.clone(),
            }));
        }
        if self.height.saturating_add(EXPIRY_MARGIN) >= o.expires_at {
            return Ok(Err(SkipReason::Expiring { expires_at: o.expires_at }));
        }
        if o.state != OrderState::Open {
            return Ok(Err(SkipReason::OrderFull { max: self.params.max_bids_per_order, highest: None }));
        }
        let required = &spec.requirements.attributes;
        let missing: Vec<String> = required
            .iter()
            .filter(|r| !attributes_match(std::slice::from_ref(*r), &self.attributes))
            .map(|r| format!("{}={}", r.key, r.value))
            .collect();
        if !missing.is_empty() {
            return Ok(Err(SkipReason::Attributes { missing }));
        }
        if !spec.capabilities_satisfied_by(&self.attributes) {
            return Ok(Err(SkipReason::Capabilities { missing: missing_capabilities(spec, &self.attributes) }));
        }
        let signed_by = &spec.requirements.signed_by;
        if !signed_by.is_empty() {
            for auditor in signed_by.auditors() {
                if !audits.contains_key(auditor) {
                    let record: AuditRecord = self
                        .market
                        .registry
                        .query(
                            &self.client,
                            &registry::QueryMsg::AuditorAttributes {
                                owner: self.provider.clone(),
                                auditor: auditor.into(),
                            },
                        )
                        .await?;
                    audits.insert(auditor.to_string(), (!record.attributes.is_empty()).then_some(record.attributes));
                }
            }
            let lookup = |a: &str| audits.get(a).and_then(|r| r.as_deref());
            if !signed_by.is_satisfied(required, lookup) {
                return Ok(Err(SkipReason::Auditors {
                    auditors: signed_by.auditors().into_iter().map(str::to_string).collect(),
                }));
            }
        }
        if let Err(e) = self.capacity.place_empty(spec) {
            return Ok(Err(SkipReason::TooLarge { detail: e.to_string() }));
        }
        let placement = match self.capacity.place(spec) {
            Ok(p) => p,
            Err(e) => return Ok(Err(SkipReason::NoCapacity { detail: format!("{e}; {}", self.capacity.summary()) })),
        };
        let price = match pricing::price(&self.config.pricing.strategy, order, &placement).await {
            Ok(p) => p,
            Err(detail) => return Ok(Err(SkipReason::NoPrice { detail })),
        };
        if price.is_zero() {
            return Ok(Err(SkipReason::NoPrice { detail: "the strategy priced it at 0".into() }));
        }
        if price > o.price.amount {
            return Ok(Err(SkipReason::AboveCeiling { price, ceiling: o.price.amount }));
        }
        if o.open_bids >= self.params.max_bids_per_order {
            // A full order takes a bid strictly cheaper than its most expensive one (evicted).
            let highest = self.most_expensive_open_bid(&o.id).await?;
            if highest.is_none_or(|h| price >= h) {
                return Ok(Err(SkipReason::OrderFull { max: self.params.max_bids_per_order, highest }));
            }
        }
        Ok(Ok((price, placement)))
    }

    /// Reserves, records the tx as pending, bids; on refusal gives the capacity back.
    async fn bid(
        &mut self,
        order: &OrderResponse,
        price: Decimal256,
        placement: Placement,
    ) -> Result<Decision, EngineError> {
        let key = order.order.id.to_string();
        if !self.capacity.reserve(&placement) {
            return Ok(Decision::Failed { order: key, error: "capacity changed while deciding".into() });
        }
        let price = DecCoin::new(price, self.config.pricing.denom.clone());
        let msg = market::ExecuteMsg::CreateBid { order: order.order.id.clone(), price: price.clone() };
        let any = self.market.market.msg(&self.provider, &msg, std::slice::from_ref(&self.collateral))?;
        // Recorded before broadcasting: a crash between broadcast and inclusion must not lead
        // to a second bid after restart.
        self.state.pending_bids.insert(key.clone(), PendingBid { height: self.height });
        self.state_file.save(&self.state)?;
        let mut progress = |p: crate::client::tx::TxProgress<'_>| {
            if let crate::client::tx::TxProgress::Broadcast { hash } = p {
                tracing::debug!("bid tx {hash} broadcast");
            }
        };
        let result = self.client.send_tx(&mut self.signer, vec![any], &self.opts, &mut progress).await;
        match result {
            Ok(r) => {
                self.state.pending_bids.remove(&key);
                let id = order.order.id.bid(self.provider.clone());
                self.bids.insert(key.clone(), Held { id, created_at: r.height, placement });
                Ok(Decision::Bid {
                    order: key,
                    price,
                    collateral: format!("{}{}", self.collateral.amount, self.collateral.denom),
                    height: r.height,
                })
            }
            Err(e @ (ClientError::TxRejected { .. } | ClientError::Simulation { .. })) => {
                self.state.pending_bids.remove(&key);
                self.capacity.release(&placement);
                self.failed.insert(key.clone(), self.height);
                Ok(Decision::Failed { order: key, error: e.to_string() })
            }
            Err(e) => {
                // Unknown outcome (timeout, network): keep the order pending; the chain's bid
                // list settles it on a later round.
                self.capacity.release(&placement);
                Err(e.into())
            }
        }
    }

    async fn close_bid(&mut self, id: &BidId) -> Result<TxResult, EngineError> {
        let msg = market::ExecuteMsg::CloseBid { bid: id.clone() };
        let market_contract = self.market.market.clone();
        Ok(market_contract.execute(&self.client, &mut self.signer, &msg, &[], &self.opts, &mut |_| {}).await?)
    }

    async fn close_lease(&mut self, id: &BidId, reason: LeaseCloseReason) -> Result<TxResult, EngineError> {
        let msg = market::ExecuteMsg::CloseLease { lease: id.clone(), reason: Some(reason) };
        let market_contract = self.market.market.clone();
        let r = market_contract.execute(&self.client, &mut self.signer, &msg, &[], &self.opts, &mut |_| {}).await?;
        self.state.last_withdrawal.remove(&id.to_string());
        Ok(r)
    }

    async fn order(&self, id: &OrderId) -> Result<OrderResponse, EngineError> {
        Ok(self.market.market.query(&self.client, &market::QueryMsg::Order { id: id.clone() }).await?)
    }

    /// The price of the order's most expensive open bid (`None` when it has none).
    async fn most_expensive_open_bid(&self, order: &OrderId) -> Result<Option<Decimal256>, EngineError> {
        let bids = all_pages(
            |b: &Bid| b.id.clone(),
            |start_after| {
                let q = market::QueryMsg::Bids {
                    order: Some(order.clone()),
                    provider: None,
                    state: Some(BidState::Open),
                    start_after,
                    limit: Some(PAGE),
                };
                async move { Ok(self.market.market.query::<BidsResponse>(&self.client, &q).await?.bids) }
            },
        )
        .await?;
        Ok(bids.into_iter().map(|b| b.price.amount).max())
    }

    async fn my_open_bids(&self) -> Result<Vec<Bid>, EngineError> {
        let provider = Some(self.provider.clone());
        all_pages(
            |b: &Bid| b.id.clone(),
            |start_after| {
                let q = market::QueryMsg::Bids {
                    order: None,
                    provider: provider.clone(),
                    state: Some(BidState::Open),
                    start_after,
                    limit: Some(PAGE),
                };
                async move { Ok(self.market.market.query::<BidsResponse>(&self.client, &q).await?.bids) }
            },
        )
        .await
    }

    async fn my_leases(&self) -> Result<Vec<Lease>, EngineError> {
        let provider = Some(self.provider.clone());
        all_pages(
            |l: &Lease| l.id.clone(),
            |start_after| {
                let q = market::QueryMsg::Leases {
                    owner: None,
                    provider: provider.clone(),
                    state: Some(LeaseState::Active),
                    start_after,
                    limit: Some(PAGE),
                };
                async move { Ok(self.market.market.query::<LeasesResponse>(&self.client, &q).await?.leases) }
            },
        )
        .await
    }

    async fn open_orders(&self) -> Result<Vec<OrderResponse>, EngineError> {
        all_pages(
            |o: &OrderResponse| o.order.id.clone(),
            |start_after| {
                let q = market::QueryMsg::Orders {
                    owner: None,
                    state: Some(OrderState::Open),
                    start_after,
                    limit: Some(PAGE),
                };
                async move { Ok(self.market.market.query::<OrdersResponse>(&self.client, &q).await?.orders) }
            },
        )
        .await
    }
}

/// Every item of a paginated list query: `fetch(start_after)` returns one page of at most
/// [`PAGE`] items; a shorter page is the last.
async fn all_pages<T, K, Fut>(
    key: impl Fn(&T) -> K,
    mut fetch: impl FnMut(Option<K>) -> Fut,
) -> Result<Vec<T>, EngineError>
where
    Fut: Future<Output = Result<Vec<T>, EngineError>>,
{
    let mut out: Vec<T> = Vec::new();
    loop {
        let page = fetch(out.last().map(&key)).await?;
        let n = page.len();
        out.extend(page);
        if n < PAGE as usize {
            return Ok(out);
        }
    }
}

/// What of the group's GPU models and storage classes the provider's capabilities lack, for
/// the log: `GPU nvidia/a100 (80Gi) or nvidia/h100 for unit 1`, `persistent storage class beta2`.
fn missing_capabilities(spec: &GroupSpec, attributes: &[Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for u in &spec.resources {
        if !u.gpu.is_satisfied_by(attributes) {
            let models: Vec<String> = u
                .gpu
                .models
                .iter()
                .map(|m| {
                    let extra: Vec<&str> = [m.ram.as_deref(), m.interface.as_deref()].into_iter().flatten().collect();
                    let extra = if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) };
                    format!("{}/{}{extra}", m.vendor, m.model)
                })
                .collect();
            out.push(format!("GPU {} for unit {}", models.join(" or "), u.id));
        }
        for v in u.storage.iter().filter(|v| !v.is_satisfied_by(attributes)) {
            let class = v.class.as_deref().unwrap_or("default");
            let line = format!("{}storage class {class}", if v.persistent { "persistent " } else { "" });
            if !out.contains(&line) {
                out.push(line);
            }
        }
    }
    out
}

/// `(lease id, amount)` from the escrow's `escrow-withdrawn` events paid to `payee`.
fn withdrawn_amounts(result: &TxResult, escrow: &str, payee: &str) -> Vec<(String, Uint256)> {
    result
        .contract_events("wasm-escrow-withdrawn", escrow)
        .filter(|e| e.attribute("payee") == Some(payee))
        .filter_map(|e| {
            let account = e.attribute("account")?.strip_prefix("deployment/")?;
            let lease = format!("{account}/{}", e.attribute("payment")?);
            Some((lease, e.attribute("amount")?.parse::<Uint256>().ok()?))
        })
        .collect()
}

/// `BidEngine::run` can be spawned on a multi-threaded runtime (a regression: a progress
/// callback without `Send` made its future `!Send`).
#[cfg(test)]
#[allow(dead_code)]
fn run_future_is_send(engine: BidEngine) {
    fn assert_send<T: Send>(_: &T) {}
    let fut = engine.run(async {});
    assert_send(&fut);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages follow `start_after` until a short page: 250 items in pages of 100, 100, 50; an
    /// exact multiple ends with an empty page.
    #[tokio::test]
    async fn all_pages_reads_every_page() {
        for total in [0u32, 1, 99, 100, 250, 300] {
            let items: Vec<u32> = (1..=total).collect();
            let mut calls = 0;
            let got = all_pages(
                |i: &u32| *i,
                |after: Option<u32>| {
                    calls += 1;
                    let page: Vec<u32> =
                        items.iter().copied().filter(|i| after.is_none_or(|a| *i > a)).take(PAGE as usize).collect();
                    async move { Ok(page) }
                },
            )
            .await
            .unwrap();
            assert_eq!(got, items);
            assert_eq!(calls, total / PAGE + 1, "{total} items");
        }
    }
}
