//! State transitions shared by several messages: opening and closing orders, creating and
//! closing leases, losing and closing bids. Each transition saves the records it changes, queues
//! the escrow messages it implies and the events it emits into [`Effects`].

use cosmwasm_std::{Addr, CosmosMsg, Event, Order as IterOrder, Response, StdResult, Storage};
use leasehold_types::escrow::{AccountId, MAX_CLOSE_BATCH};
use leasehold_types::ids::BidId;
use leasehold_types::market::{
    Bid, BidState, Group, GroupState, Lease, LeaseCloseReason, LeaseState, MarketParams, Order, OrderState,
};

use crate::error::ContractError;
use crate::escrow_msgs;
use crate::events;
use crate::state::{ESCROW, GROUPS, add_active_lease, bid_state_code, bids, leases, orders};
use leasehold_types::dec_coin_string;

/// Messages and events produced by a transition, turned into the `Response` at the end.
#[derive(Default)]
pub struct Effects {
    pub msgs: Vec<CosmosMsg>,
    pub events: Vec<Event>,
    /// Bid collateral accounts to close (refund), sent to the escrow in batches at the end.
    pub refunds: Vec<AccountId>,
    /// When set (the market's own address), closing an open order hands its open bids to a
    /// `RefundBids` call of the market to itself instead of ending them here: each call then has
    /// its own response, so a deployment of many full orders still closes within the VM's
    /// response-size limit.
    pub defer_bid_refunds: Option<Addr>,
}

impl Effects {
    /// Effects whose order closes defer their bid refunds to `market` (see `defer_bid_refunds`).
    pub fn deferring_bid_refunds(market: Addr) -> Self {
        Self { defer_bid_refunds: Some(market), ..Self::default() }
    }

    pub fn event(&mut self, e: Event) {
        self.events.push(e);
    }

    pub fn msg(&mut self, m: CosmosMsg) {
        self.msgs.push(m);
    }

    /// Queues the refund of a bid's collateral account.
    pub fn refund(&mut self, bid: &BidId) {
        self.refunds.push(AccountId::bid(bid));
    }

    /// The response: the queued messages, then the refunds in as few escrow calls as the batch
    /// limit allows (the accounts are independent of everything else queued), then the events.
    pub fn into_response(self, store: &dyn Storage, action: &str) -> Result<Response, ContractError> {
        let mut msgs = self.msgs;
        let mut refunds = self.refunds;
        if !refunds.is_empty() {
            let escrow = ESCROW.load(store)?;
            while !refunds.is_empty() {
                let rest = refunds.split_off(refunds.len().min(MAX_CLOSE_BATCH));
                msgs.push(escrow_msgs::close_accounts(&escrow, refunds)?);
                refunds = rest;
            }
        }
        Ok(Response::new().add_attribute("action", action).add_messages(msgs).add_events(self.events))
    }
}

/// Why an order closed (the `reason` attribute of `order-closed`).
#[derive(Clone, Copy)]
pub enum OrderCloseReason {
    LeaseClosed,
    GroupPaused,
    GroupClosed,
    DeploymentClosed,
    Expired,
    InsufficientFunds,
}

impl OrderCloseReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::LeaseClosed => "lease_closed",
            Self::GroupPaused => "group_paused",
            Self::GroupClosed => "group_closed",
            Self::DeploymentClosed => "deployment_closed",
            Self::Expired => "expired",
            Self::InsufficientFunds => "insufficient_funds",
        }
    }
}

/// Opens the group's next order (`oseq = last_oseq + 1`) at `height`.
pub fn open_order(
    store: &mut dyn Storage,
    group: &mut Group,
    params: &MarketParams,
    height: u64,
    fx: &mut Effects,
) -> Result<Order, ContractError> {
    let oseq = group.last_oseq.checked_add(1).ok_or(ContractError::Overflow)?;
    group.last_oseq = oseq;
    let order = Order {
        id: group.id.order(oseq),
        state: OrderState::Open,
        price: group.spec.price()?,
        open_bids: 0,
        created_at: height,
        matchable_at: height.saturating_add(params.bidding_window),
        expires_at: height.saturating_add(params.order_expiry),
        closed_at: None,
    };
    orders().save(store, order.id.storage_key(), &order)?;
    fx.event(
        events::order("order-created", &order.id)
            .add_attribute("price", dec_coin_string(&order.price))
            .add_attribute("matchable_at", order.matchable_at.to_string())
            .add_attribute("expires_at", order.expires_at.to_string()),
    );
    Ok(order)
}

/// Halts an open group without closing it: `state` is `Paused` or `InsufficientFunds`, and a
/// `group-paused` event says why (plus `extra` attributes). A group in any other state is left
/// alone.
pub fn halt_open_group(
    store: &mut dyn Storage,
    group: &mut Group,
    state: GroupState,
    reason: &str,
    extra: &[(&str, String)],
    fx: &mut Effects,
) -> Result<(), ContractError> {
    if group.state != GroupState::Open {
        return Ok(());
    }
    group.state = state;
    GROUPS.save(store, &group.id.storage_key(), group)?;
    let event = events::group("group-paused", &group.id)
        .add_attribute("reason", reason)
        .add_attribute("state", crate::execute::state_name(&state))
        .add_attributes(extra.iter().map(|(k, v)| (*k, v.clone())));
    fx.event(event);
    Ok(())
}

/// The bids of an order in one state, via the order/state index (bounded by the bid cap for
/// open bids; at most one active bid).
pub fn order_bids(store: &dyn Storage, order: &Order, state: BidState) -> StdResult<Vec<Bid>> {
    bids()
        .idx
        .order_state
        .prefix((order.id.storage_key(), bid_state_code(state)))
        .range(store, None, None, IterOrder::Ascending)
        .map(|r| r.map(|(_, b)| b))
        .collect()
}

/// Ends an open bid as `state` (`Lost` or `Closed`) and refunds its collateral.
pub fn end_open_bid(
    store: &mut dyn Storage,
    mut bid: Bid,
    state: BidState,
    reason: &str,
    height: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    bid.state = state;
    bid.closed_at = Some(height);
    bids().save(store, bid.id.storage_key(), &bid)?;
    fx.refund(&bid.id);
    let ty = if state == BidState::Lost { "bid-lost" } else { "bid-closed" };
    fx.event(events::bid(ty, &bid.id).add_attribute("reason", reason));
    Ok(())
}

/// Ends an open bid of a still-open order (the provider's close, the tenant's rejection, an
/// exclusion): the order's open-bid count drops, the bid ends as `state` and is refunded.
pub fn withdraw_open_bid(
    store: &mut dyn Storage,
    bid: Bid,
    state: BidState,
    reason: &str,
    height: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    let key = bid.id.order().storage_key();
    let mut order = orders().load(store, key.clone())?;
    order.open_bids = order.open_bids.saturating_sub(1);
    orders().save(store, key, &order)?;
    end_open_bid(store, bid, state, reason, height, fx)
}

/// How an active lease ends.
#[derive(Clone, Copy)]
pub struct LeaseEnd {
    pub state: LeaseState,
    pub reason: LeaseCloseReason,
    /// Ask escrow to stop the payment (false when escrow already stopped it).
    pub stop_payment: bool,
}

impl LeaseEnd {
    /// Closed by a party (tenant, provider, group or deployment close): payment stopped now.
    pub fn closed(reason: LeaseCloseReason) -> Self {
        Self { state: LeaseState::Closed, reason, stop_payment: true }
    }

    /// Escrow ran out and already stopped the payment.
    pub fn insufficient_funds() -> Self {
        Self { state: LeaseState::InsufficientFunds, reason: LeaseCloseReason::InsufficientFunds, stop_payment: false }
    }
}

/// Closes an active lease and its bid as `end` says; the bid collateral is refunded.
pub fn end_lease(
    store: &mut dyn Storage,
    escrow: &Addr,
    id: &BidId,
    end: LeaseEnd,
    height: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    let (reason, stop_payment) = (end.reason, end.stop_payment);
    let key = id.storage_key();
    let mut lease = leases().load(store, key.clone())?;
    lease.state = end.state;
    lease.reason = Some(reason);
    lease.closed_at = Some(height);
    leases().save(store, key.clone(), &lease)?;

    let mut bid = bids().load(store, key.clone())?;
    bid.state = BidState::Closed;
    bid.closed_at = Some(height);
    bids().save(store, key, &bid)?;

    add_active_lease(store, &id.provider, -1)?;
    if stop_payment {
        fx.msg(escrow_msgs::close_payment(escrow, id)?);
    }
    fx.refund(id);
    fx.event(events::lease_closed(id, reason).add_attribute("closed_at", height.to_string()));
    fx.event(events::bid("bid-closed", id).add_attribute("reason", "lease_closed"));
    Ok(())
}

/// Closes an order whatever its state: open bids are closed and refunded; an active lease ends
/// as `lease_end` says.
pub fn close_order(
    store: &mut dyn Storage,
    escrow: &Addr,
    mut order: Order,
    why: OrderCloseReason,
    lease_end: LeaseEnd,
    height: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    match order.state {
        OrderState::Closed => return Ok(()),
        OrderState::Open => {
            match fx.defer_bid_refunds.clone() {
                Some(market) if order.open_bids > 0 => fx.msg(escrow_msgs::refund_bids(&market, &order.id)?),
                _ => end_order_bids(store, &order, height, fx)?,
            }
            order.open_bids = 0;
        }
        OrderState::Active => {
            for bid in order_bids(store, &order, BidState::Active)? {
                end_lease(store, escrow, &bid.id, lease_end, height, fx)?;
            }
        }
    }
    order.state = OrderState::Closed;
    order.closed_at = Some(height);
    orders().save(store, order.id.storage_key(), &order)?;
    fx.event(events::order("order-closed", &order.id).add_attribute("reason", why.as_str()));
    Ok(())
}

/// Closes and refunds every open bid of `order` (at most `max_bids_per_order`).
pub fn end_order_bids(
    store: &mut dyn Storage,
    order: &Order,
    height: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    for bid in order_bids(store, order, BidState::Open)? {
        end_open_bid(store, bid, BidState::Closed, "order_closed", height, fx)?;
    }
    Ok(())
}

/// Turns `winner` into the lease of `order`: order and bid become active, every other open bid
/// is lost and refunded, and escrow starts paying the provider.
pub fn create_lease(
    store: &mut dyn Storage,
    escrow: &Addr,
    mut order: Order,
    mut winner: Bid,
    matched_by: &str,
    height: u64,
    fx: &mut Effects,
) -> Result<Lease, ContractError> {
    for bid in order_bids(store, &order, BidState::Open)? {
        if bid.id != winner.id {
            end_open_bid(store, bid, BidState::Lost, "outbid", height, fx)?;
        }
    }
    winner.state = BidState::Active;
    bids().save(store, winner.id.storage_key(), &winner)?;
    order.state = OrderState::Active;
    order.open_bids = 0;
    orders().save(store, order.id.storage_key(), &order)?;

    let lease = Lease {
        id: winner.id.clone(),
        state: LeaseState::Active,
        price: winner.price.clone(),
        created_at: height,
        closed_at: None,
        reason: None,
    };
    leases().save(store, lease.id.storage_key(), &lease)?;
    add_active_lease(store, &lease.id.provider, 1)?;
    fx.msg(escrow_msgs::create_payment(escrow, &lease.id, lease.price.clone())?);

    let price = dec_coin_string(&lease.price);
    fx.event(
        events::order("order-matched", &order.id)
            .add_attribute("provider", &winner.id.provider)
            .add_attribute("price", &price)
            .add_attribute("matched_by", matched_by),
    );
    fx.event(events::bid("bid-matched", &winner.id).add_attribute("price", &price));
    fx.event(events::bid("lease-created", &lease.id).add_attribute("price", &price));
    Ok(lease)
}
