//! The demo's steps, in order. Every transaction is reported as a [`DemoEvent`] with what the
//! chain's events say it did; every number in the final report is read back from the chain.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use cosmos_sdk_proto::Any;
use cosmwasm_std::{Coin, Decimal256, HexBinary, Uint256};
use leasehold_types::escrow::{self, AccountId, AccountResponse, PaymentId, PaymentsResponse, RunwayResponse};
use leasehold_types::ids::{BidId, DeploymentId, OrderId};
use leasehold_types::market::{
    self, Bid, BidState, BidsResponse, Lease, LeaseState, LeasesResponse, MarketParams, OrderResponse, OrderState,
};
use leasehold_types::resources::GroupSpec;

use crate::client::ChainClient;
use crate::client::tx::{Signer, TxResult};
use crate::contracts::Marketplace;
use crate::demo::error::DemoError;
use crate::demo::events::{DemoEvent, EscrowSnapshot, OrderInfo, PaymentSnapshot, Payout, Refund, TxInfo, Wait};
use crate::demo::report::{DemoReport, LeaseOutcome};
use crate::demo::wait::Blocks;
use crate::demo::{DEFAULT_DEPOSIT_BLOCKS, DemoOptions};
use crate::sdl::parse_sdl;

/// Page size of list queries (the contracts' maximum).
const PAGE: u32 = 100;

pub(crate) async fn run(
    client: &ChainClient,
    mp: &Marketplace,
    tenant: &mut Signer,
    opts: &DemoOptions,
    emit: &mut impl FnMut(DemoEvent),
) -> Result<DemoReport, DemoError> {
    opts.validate()?;
    let started = Instant::now();
    let plan = Plan::prepare(client, mp, opts).await?;
    let mut j = Journey {
        client,
        mp,
        tenant,
        opts,
        blocks: Blocks::new(client, opts.poll_interval, opts.stall_timeout).await?,
        txs: Vec::new(),
        started,
    };
    let start_height = j.blocks.height();
    let tenant_addr = j.tenant.address().to_string();
    let fee_denom = client.config().gas_price.denom.clone();
    let tenant_before = client.balance(&tenant_addr, &plan.denom).await?;
    let mut balances = vec![Coin { denom: plan.denom.clone(), amount: tenant_before }];
    if fee_denom != plan.denom {
        balances.push(Coin { denom: fee_denom.clone(), amount: client.balance(&tenant_addr, &fee_denom).await? });
    }
    emit(DemoEvent::Started {
        tenant: tenant_addr.clone(),
        chain_id: client.chain_id().to_string(),
        market: mp.market.address.clone(),
        height: start_height,
        sdl: opts.sdl.display().to_string(),
        balances,
        deposit: plan.deposit.clone(),
        top_up: plan.top_up.clone(),
    });

    emit(step(1, format!("deploy {} (auto-match, escrow deposit {})", opts.sdl.display(), plan.deposit)));
    let deployed = j.deploy(&plan, emit).await?;
    match j.after_deploy(&plan, &deployed, emit).await {
        Ok(leases) => j.report(&plan, &deployed, leases, start_height, tenant_before).await,
        Err(e) => {
            let cleanup = j.close_quietly(deployed.dseq).await;
            emit(DemoEvent::Aborted { dseq: deployed.dseq, cleanup: cleanup.map_err(|e| e.to_string()) });
            Err(e)
        }
    }
}

/// Steps after the start: deploy, bids, match, payments, top-up, close.
const STEPS: u32 = 6;

fn step(number: u32, title: String) -> DemoEvent {
    DemoEvent::Step { number, total: STEPS, title }
}

/// What the SDL and the market's params decide before anything is sent.
struct Plan {
    groups: Vec<GroupSpec>,
    hash: HexBinary,
    denom: String,
    deposit: Coin,
    top_up: Coin,
}

impl Plan {
    async fn prepare(client: &ChainClient, mp: &Marketplace, opts: &DemoOptions) -> Result<Plan, DemoError> {
        let text = std::fs::read_to_string(&opts.sdl)
            .map_err(|e| DemoError::Read { path: opts.sdl.clone(), reason: e.to_string() })?;
        let sdl = parse_sdl(&text).map_err(|source| DemoError::Sdl { path: opts.sdl.clone(), source })?;
        let groups = sdl.group_specs().map_err(|source| DemoError::Sdl { path: opts.sdl.clone(), source })?;
        let unit = groups.iter().flat_map(|g| g.resources.iter()).next().ok_or_else(|| DemoError::Option {
            option: "sdl",
            reason: format!("{}: deploys no resources", opts.sdl.display()),
        })?;
        let denom = unit.price.denom.clone();
        // The ceiling of all orders together, per block.
        let ceiling = groups
            .iter()
            .flat_map(|g| g.resources.iter())
            .map(|r| r.price.amount.saturating_mul(Decimal256::from_ratio(r.count, 1u32)))
            .fold(Decimal256::zero(), Decimal256::saturating_add);

        let params: MarketParams = mp.market.query(client, &market::QueryMsg::Params {}).await?;
        let denom_params = params.denom(&denom).ok_or_else(|| DemoError::UnknownDenom {
            denom: denom.clone(),
            accepted: params.denoms.iter().map(|d| d.denom.as_str()).collect::<Vec<_>>().join(", "),
        })?;
        let deposit = match &opts.deposit {
            Some(c) => c.clone(),
            None => {
                let for_blocks =
                    ceiling.saturating_mul(Decimal256::from_ratio(DEFAULT_DEPOSIT_BLOCKS, 1u64)).to_uint_ceil();
                Coin { denom: denom.clone(), amount: for_blocks.max(denom_params.min_deposit) }
            }
        };
        if deposit.denom != denom {
            return Err(DemoError::Denom { option: "deposit", given: deposit.to_string(), expected: denom });
        }
        if deposit.amount < denom_params.min_deposit {
            return Err(DemoError::DepositTooSmall {
                given: deposit.to_string(),
                minimum: Coin { denom, amount: denom_params.min_deposit }.to_string(),
            });
        }
        let top_up = match &opts.top_up {
            Some(c) => c.clone(),
            None => Coin { denom: denom.clone(), amount: (deposit.amount / Uint256::from(5u8)).max(Uint256::one()) },
        };
        if top_up.denom != denom {
            return Err(DemoError::Denom { option: "top_up", given: top_up.to_string(), expected: denom });
        }
        Ok(Plan { groups, hash: HexBinary::from(sdl.manifest_hash().to_vec()), denom, deposit, top_up })
    }
}

/// The deployment as created.
struct Deployed {
    dseq: u64,
    account: AccountId,
    orders: Vec<OrderInfo>,
}

struct Journey<'a, 'c> {
    client: &'c ChainClient,
    mp: &'a Marketplace,
    tenant: &'a mut Signer,
    opts: &'a DemoOptions,
    blocks: Blocks<'c>,
    txs: Vec<TxInfo>,
    started: Instant,
}

fn number<T: std::str::FromStr>(r: &TxResult, e: &crate::client::tx::TxEvent, key: &str) -> Result<T, DemoError> {
    let v = e
        .attribute(key)
        .ok_or_else(|| DemoError::Unexpected(format!("tx {}: event {} has no attribute {key}", r.hash, e.kind)))?;
    v.parse().map_err(|_| DemoError::Unexpected(format!("tx {}: {} {key}={v:?} is not a number", r.hash, e.kind)))
}

fn uint(r: &TxResult, e: &crate::client::tx::TxEvent, key: &str) -> Result<Uint256, DemoError> {
    number::<Uint256>(r, e, key)
}

impl Journey<'_, '_> {
    /// Signs and sends `msgs` as the tenant; records the tx.
    async fn send(&mut self, msgs: Vec<Any>) -> Result<(TxResult, TxInfo), DemoError> {
        let r = self.client.send_tx(self.tenant, msgs, &self.opts.tx, &mut |_| {}).await?;
        let info = TxInfo::new(&r, self.client.config(), &self.opts.tx);
        self.blocks.observe(r.height);
        self.txs.push(info.clone());
        Ok((r, info))
    }

    fn deployment_id(&self, dseq: u64) -> DeploymentId {
        DeploymentId { owner: self.tenant.address().to_string(), dseq }
    }

    async fn deploy(&mut self, plan: &Plan, emit: &mut impl FnMut(DemoEvent)) -> Result<Deployed, DemoError> {
        let dseq = match self.opts.dseq {
            Some(d) => d,
            None => self.blocks.height().max(1),
        };
        let msg = market::ExecuteMsg::CreateDeployment {
            dseq,
            hash: plan.hash.clone(),
            groups: plan.groups.clone(),
            auto_match: true,
        };
        let any = self.mp.market.msg(self.tenant.address(), &msg, std::slice::from_ref(&plan.deposit))?;
        let (r, tx) = self.send(vec![any]).await?;
        let mut orders = Vec::new();
        for e in r.contract_events("wasm-order-created", &self.mp.market.address) {
            let id = OrderId {
                owner: self.tenant.address().to_string(),
                dseq,
                gseq: number(&r, e, "gseq")?,
                oseq: number(&r, e, "oseq")?,
            };
            let o: OrderResponse = self.mp.market.query(self.client, &market::QueryMsg::Order { id }).await?;
            orders.push(OrderInfo {
                id: o.order.id,
                ceiling: o.order.price,
                matchable_at: o.order.matchable_at,
                expires_at: o.order.expires_at,
            });
        }
        let account = AccountId::deployment(&self.deployment_id(dseq));
        if orders.is_empty() {
            let cleanup = self.close_quietly(dseq).await;
            emit(DemoEvent::Aborted { dseq, cleanup: cleanup.map_err(|e| e.to_string()) });
            let id = self.deployment_id(dseq);
            return Err(DemoError::Unexpected(format!("deployment {id} (tx {}) opened no order", r.hash)));
        }
        emit(DemoEvent::Deployed {
            tx,
            dseq,
            deposit: plan.deposit.clone(),
            orders: orders.clone(),
            escrow_account: account.to_string(),
        });
        Ok(Deployed { dseq, account, orders })
    }

    /// Everything between the deploy and the report; on error the caller closes the deployment.
    async fn after_deploy(
        &mut self,
        plan: &Plan,
        d: &Deployed,
        emit: &mut impl FnMut(DemoEvent),
    ) -> Result<Vec<Lease>, DemoError> {
        let timeout = self.opts.bid_timeout.as_secs_f64();
        emit(step(2, format!("wait for the providers' bids (up to {timeout:.0} s) and the bidding window")));
        self.wait_for_bids(d, emit).await?;
        let orders = if d.orders.len() == 1 { "the order".to_string() } else { format!("{} orders", d.orders.len()) };
        emit(step(3, format!("match {orders}: the cheapest qualifying bid becomes the lease")));
        let mut leases = Vec::new();
        for order in &d.orders {
            leases.push(self.match_order(&order.id, emit).await?);
        }
        emit(step(4, format!("watch the escrow pay for {} blocks", self.opts.stream_blocks)));
        self.stream(d, emit).await?;
        emit(step(5, format!("top up the escrow with {}", plan.top_up)));
        self.top_up(plan, d, emit).await?;
        emit(step(6, format!("close deployment {}", self.deployment_id(d.dseq))));
        self.close(d, &leases, emit).await
    }

    /// Until every order has an open bid and the bidding windows have closed.
    async fn wait_for_bids(&mut self, d: &Deployed, emit: &mut impl FnMut(DemoEvent)) -> Result<(), DemoError> {
        let since = Instant::now();
        let window = d.orders.iter().map(|o| o.matchable_at).max().unwrap_or(0);
        let mut seen: BTreeSet<BidId> = BTreeSet::new();
        loop {
            let height = self.blocks.height();
            let mut missing = Vec::new();
            for o in &d.orders {
                let mut bids = self.bids(&o.id).await?;
                bids.sort_by_key(|b| (b.created_at, b.price.amount));
                for b in &bids {
                    if seen.insert(b.id.clone()) {
                        emit(DemoEvent::BidReceived { bid: b.clone() });
                    }
                }
                if !bids.iter().any(|b| b.state == BidState::Open) {
                    missing.push(o.id.clone());
                }
            }
            // A transaction needs a block at or after the window, so the latest committed height
            // must have reached it for the match to be simulated and included.
            if missing.is_empty() && height >= window {
                return Ok(());
            }
            if let Some(order) = missing.first()
                && since.elapsed() >= self.opts.bid_timeout
            {
                return Err(DemoError::NoBids {
                    order: order.to_string(),
                    waited_secs: since.elapsed().as_secs(),
                    height,
                });
            }
            let what = if missing.is_empty() {
                Wait::BiddingWindow { matchable_at: window }
            } else {
                Wait::Bids { orders: missing }
            };
            emit(DemoEvent::Waiting { what, height, waited: since.elapsed() });
            self.blocks.next().await?;
        }
    }

    async fn bids(&self, order: &OrderId) -> Result<Vec<Bid>, DemoError> {
        let r: BidsResponse = self
            .mp
            .market
            .query(
                self.client,
                &market::QueryMsg::Bids {
                    order: Some(order.clone()),
                    provider: None,
                    state: None,
                    start_after: None,
                    limit: Some(PAGE),
                },
            )
            .await?;
        Ok(r.bids)
    }

    /// `match_order`; the cheapest qualifying bid becomes the lease.
    async fn match_order(&mut self, order: &OrderId, emit: &mut impl FnMut(DemoEvent)) -> Result<Lease, DemoError> {
        let current: OrderResponse =
            self.mp.market.query(self.client, &market::QueryMsg::Order { id: order.clone() }).await?;
        if current.order.state == OrderState::Active {
            // Anyone may match an auto-match order: someone did.
            let lease = self.active_lease_of(order).await?;
            emit(DemoEvent::Matched { tx: None, lease: lease.clone(), lost: vec![] });
            return Ok(lease);
        }
        let any =
            self.mp.market.msg(self.tenant.address(), &market::ExecuteMsg::MatchOrder { order: order.clone() }, &[])?;
        let (r, tx) = self.send(vec![any]).await?;
        let market_addr = self.mp.market.address.clone();
        let created = r
            .contract_events("wasm-lease-created", &market_addr)
            .next()
            .ok_or_else(|| DemoError::Unexpected(format!("match_order of {order} (tx {}) created no lease", r.hash)))?;
        let provider = created
            .attribute("provider")
            .ok_or_else(|| DemoError::Unexpected(format!("tx {}: lease-created names no provider", r.hash)))?;
        let id = order.bid(provider);
        let lease: Lease = self.mp.market.query(self.client, &market::QueryMsg::Lease { id }).await?;
        let lost = r
            .contract_events("wasm-bid-lost", &market_addr)
            .filter_map(|e| e.attribute("provider"))
            .map(|p| order.bid(p))
            .collect();
        emit(DemoEvent::Matched { tx: Some(tx), lease: lease.clone(), lost });
        Ok(lease)
    }

    async fn active_lease_of(&self, order: &OrderId) -> Result<Lease, DemoError> {
        let r: LeasesResponse = self
            .mp
            .market
            .query(
                self.client,
                &market::QueryMsg::Leases {
                    owner: Some(order.owner.clone()),
                    provider: None,
                    state: Some(LeaseState::Active),
                    start_after: None,
                    limit: Some(PAGE),
                },
            )
            .await?;
        r.leases
            .into_iter()
            .find(|l| l.id.order() == *order)
            .ok_or_else(|| DemoError::Unexpected(format!("order {order} is active but has no active lease")))
    }

    /// The escrow account as of now. Its three queries are answered at the latest height each;
    /// when a block lands between them they are asked again, so one snapshot is one block.
    async fn snapshot(&self, account: &AccountId) -> Result<EscrowSnapshot, DemoError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let snap = self.snapshot_once(account).await?;
            if snap.1 || attempt >= 5 {
                return Ok(snap.0);
            }
        }
    }

    /// A snapshot, and whether all of it is of the same height.
    async fn snapshot_once(&self, account: &AccountId) -> Result<(EscrowSnapshot, bool), DemoError> {
        let a: AccountResponse =
            self.mp.escrow.query(self.client, &escrow::QueryMsg::Account { id: account.clone() }).await?;
        let block_time_ms =
            self.blocks.block_time().and_then(|t| u64::try_from(t.as_millis()).ok()).filter(|ms| *ms > 0);
        let runway: RunwayResponse =
            self.mp.escrow.query(self.client, &escrow::QueryMsg::Runway { id: account.clone(), block_time_ms }).await?;
        let p: PaymentsResponse = self
            .mp
            .escrow
            .query(
                self.client,
                &escrow::QueryMsg::Payments { account: account.clone(), start_after: None, limit: Some(PAGE) },
            )
            .await?;
        let height = a.account.settled_at;
        let runway_height = match (runway.funded_until, runway.blocks) {
            (Some(until), Some(blocks)) => until.checked_sub(blocks),
            _ => Some(height),
        };
        let same_height = runway_height == Some(height)
            && p.payments.iter().all(|p| p.state != escrow::PaymentState::Open || p.settled_at == height);
        let snapshot = EscrowSnapshot {
            height,
            denom: a.account.denom.clone(),
            deposited: a.account.deposited,
            balance: a.balance,
            charged: a.account.charged,
            rate: a.account.rate,
            runway_blocks: runway.blocks,
            runway_secs: runway.seconds,
            payments: p
                .payments
                .into_iter()
                .map(|p| PaymentSnapshot {
                    provider: p.payee.to_string(),
                    rate: p.rate.amount,
                    accrued: p.accrued,
                    withdrawn: p.withdrawn,
                })
                .collect(),
        };
        Ok((snapshot, same_height))
    }

    /// One escrow snapshot per block for `stream_blocks` blocks.
    async fn stream(&mut self, d: &Deployed, emit: &mut impl FnMut(DemoEvent)) -> Result<(), DemoError> {
        let until = self.blocks.height().saturating_add(self.opts.stream_blocks);
        let since = Instant::now();
        while self.blocks.height() < until {
            emit(DemoEvent::Waiting {
                what: Wait::Payments { until },
                height: self.blocks.height(),
                waited: since.elapsed(),
            });
            self.blocks.next().await?;
            let snap = self.snapshot(&d.account).await?;
            emit(DemoEvent::Streaming(snap));
        }
        Ok(())
    }

    async fn top_up(&mut self, plan: &Plan, d: &Deployed, emit: &mut impl FnMut(DemoEvent)) -> Result<(), DemoError> {
        let msg = escrow::ExecuteMsg::Deposit { id: d.account.clone() };
        let any = self.mp.escrow.msg(self.tenant.address(), &msg, std::slice::from_ref(&plan.top_up))?;
        let (r, tx) = self.send(vec![any]).await?;
        if r.contract_events("wasm-escrow-deposited", &self.mp.escrow.address).next().is_none() {
            return Err(DemoError::Unexpected(format!("deposit tx {} emitted no escrow-deposited event", r.hash)));
        }
        let escrow = self.snapshot(&d.account).await?;
        emit(DemoEvent::ToppedUp { tx, amount: plan.top_up.clone(), escrow });
        Ok(())
    }

    async fn close(
        &mut self,
        d: &Deployed,
        leases: &[Lease],
        emit: &mut impl FnMut(DemoEvent),
    ) -> Result<Vec<Lease>, DemoError> {
        let any =
            self.mp.market.msg(self.tenant.address(), &market::ExecuteMsg::CloseDeployment { dseq: d.dseq }, &[])?;
        let (r, tx) = self.send(vec![any]).await?;
        let escrow_addr = self.mp.escrow.address.clone();
        let mut payouts = Vec::new();
        for e in r.contract_events("wasm-escrow-payment-closed", &escrow_addr) {
            payouts.push(Payout {
                provider: e.attribute("payee").unwrap_or_default().to_string(),
                accrued: uint(&r, e, "accrued")?,
                amount: uint(&r, e, "amount")?,
                take: uint(&r, e, "take")?,
                denom: e.attribute("denom").unwrap_or_default().to_string(),
            });
        }
        let mut refunds = Vec::new();
        for e in r.contract_events("wasm-escrow-refunded", &escrow_addr) {
            refunds.push(Refund {
                account: e.attribute("account").unwrap_or_default().to_string(),
                to: e.attribute("depositor").unwrap_or_default().to_string(),
                amount: uint(&r, e, "amount")?,
                denom: e.attribute("denom").unwrap_or_default().to_string(),
            });
        }
        let mut closed = Vec::new();
        for l in leases {
            let lease: Lease = self.mp.market.query(self.client, &market::QueryMsg::Lease { id: l.id.clone() }).await?;
            closed.push(lease);
        }
        emit(DemoEvent::Closed { tx, leases: closed.clone(), payouts, refunds });
        Ok(closed)
    }

    /// Closes the deployment after a failure, so the deposit is refunded.
    async fn close_quietly(&mut self, dseq: u64) -> Result<TxInfo, DemoError> {
        let any = self.mp.market.msg(self.tenant.address(), &market::ExecuteMsg::CloseDeployment { dseq }, &[])?;
        Ok(self.send(vec![any]).await?.1)
    }

    /// Reads the outcome back from the chain.
    async fn report(
        &mut self,
        plan: &Plan,
        d: &Deployed,
        leases: Vec<Lease>,
        start_height: u64,
        tenant_before: Uint256,
    ) -> Result<DemoReport, DemoError> {
        let a: AccountResponse =
            self.mp.escrow.query(self.client, &escrow::QueryMsg::Account { id: d.account.clone() }).await?;
        let mut outcomes = Vec::new();
        for l in leases {
            let p: escrow::Payment = self
                .mp
                .escrow
                .query(self.client, &escrow::QueryMsg::Payment { id: PaymentId::for_lease(&l.id) })
                .await?;
            let closed_at = l.closed_at.ok_or_else(|| {
                DemoError::Unexpected(format!("lease {} is still {:?} after the deployment closed", l.id, l.state))
            })?;
            outcomes.push(LeaseOutcome {
                blocks: closed_at.saturating_sub(l.created_at),
                id: l.id,
                price: l.price,
                created_at: l.created_at,
                closed_at,
                paid_to_provider: p.withdrawn,
                take: p.take,
            });
        }
        let tenant = self.tenant.address().to_string();
        let tenant_after = self.client.balance(&tenant, &plan.denom).await?;
        let mut fees: BTreeMap<String, Uint256> = BTreeMap::new();
        for c in self.txs.iter().flat_map(|t| t.fee.iter()) {
            let f = fees.entry(c.denom.clone()).or_default();
            *f = f.saturating_add(c.amount);
        }
        Ok(DemoReport {
            tenant,
            dseq: d.dseq,
            denom: plan.denom.clone(),
            start_height,
            end_height: self.txs.last().map_or(start_height, |t| t.height),
            elapsed_secs: self.started.elapsed().as_secs_f64(),
            leases: outcomes,
            deposited: a.account.deposited,
            refunded: a.account.refunded,
            tenant_before,
            tenant_after,
            fees: fees.into_iter().map(|(denom, amount)| Coin { denom, amount }).collect(),
            txs: self.txs.clone(),
        })
    }
}
