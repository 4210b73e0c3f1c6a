//! Bids, leases, auto-matching and order expiry.

use cosmwasm_std::{Coin, DecCoin, DepsMut, Env, MessageInfo, Response, Storage};
use leasehold_types::escrow::AccountId;
use leasehold_types::ids::{BidId, LeaseId, OrderId};
use leasehold_types::market::{Bid, BidState, GroupState, LeaseCloseReason, LeaseState, Order, OrderState};

use super::{load_active_deployment, load_bid, load_group, load_lease, load_order, state_name};
use crate::error::ContractError;
use crate::escrow_msgs;
use crate::events;
use crate::exclusion;
use crate::lifecycle::{
    Effects, LeaseEnd, OrderCloseReason, close_order, create_lease as make_lease, end_open_bid, end_order_bids,
    halt_open_group, open_order, order_bids, withdraw_open_bid,
};
use crate::matching::{check_provider_qualifies, registered_provider};
use crate::state::{ESCROW, GROUPS, PARAMS, REGISTRY, bids, orders};
use leasehold_types::dec_coin_string;
use leasehold_types::funds::{nonpayable, one_coin};

fn ensure_not_expired(order: &Order, height: u64) -> Result<(), ContractError> {
    if height >= order.expires_at {
        return Err(ContractError::OrderExpired { id: order.id.to_string(), expired_at: order.expires_at });
    }
    Ok(())
}

fn ensure_open(order: &Order) -> Result<(), ContractError> {
    if order.state != OrderState::Open {
        return Err(ContractError::OrderNotOpen { id: order.id.to_string(), state: state_name(&order.state) });
    }
    Ok(())
}

pub fn create_bid(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    order_id: OrderId,
    price: DecCoin,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    // Collateral first (Akash's validation order): denom accepted and at least the minimum.
    let collateral = one_coin(&info, "create_bid")?;
    let denom_params = params
        .denom(&collateral.denom)
        .ok_or_else(|| ContractError::DenomNotAllowed { denom: collateral.denom.clone() })?;
    if collateral.amount < denom_params.bid_min_deposit {
        let minimum = Coin { denom: collateral.denom.clone(), amount: denom_params.bid_min_deposit };
        return Err(ContractError::CollateralTooLow { collateral, minimum });
    }

    let mut order = load_order(deps.storage, &order_id)?;
    ensure_open(&order)?;
    let height = env.block.height;
    ensure_not_expired(&order, height)?;
    if info.sender.as_str() == order_id.owner {
        return Err(ContractError::SelfBid);
    }
    let bid_id = order_id.bid(info.sender.as_str());
    if bids().has(deps.storage, bid_id.storage_key()) {
        return Err(ContractError::BidExists { id: bid_id.to_string() });
    }
    if exclusion::is_excluded(deps.storage, &order_id.deployment(), info.sender.as_str()) {
        return Err(ContractError::ProviderExcluded {
            provider: info.sender.to_string(),
            deployment: order_id.deployment().to_string(),
        });
    }
    if price.amount.is_zero() {
        return Err(ContractError::ZeroPrice { price: dec_coin_string(&price) });
    }
    if price.denom != order.price.denom {
        return Err(ContractError::PriceDenomMismatch { expected: order.price.denom.clone(), found: price.denom });
    }
    if price.amount > order.price.amount {
        return Err(ContractError::PriceAboveCeiling {
            price: dec_coin_string(&price),
            ceiling: dec_coin_string(&order.price),
        });
    }

    let registry = REGISTRY.load(deps.storage)?;
    let provider = registered_provider(deps.as_ref(), &registry, info.sender.as_str())?;
    let group = load_group(deps.storage, &order_id.group())?;
    check_provider_qualifies(deps.as_ref(), &registry, &provider, &group.spec, &group.id.to_string())?;

    let escrow = ESCROW.load(deps.storage)?;
    let mut fx = Effects::default();
    if order.open_bids >= params.max_bids_per_order {
        // A full order takes a strictly cheaper bid in place of its most expensive one, so
        // throwaway bids at the ceiling cannot keep an honest, cheaper bid out.
        let victim = most_expensive_open_bid(deps.storage, &order)?
            .filter(|v| price.amount < v.price.amount)
            .ok_or_else(|| ContractError::TooManyBids {
                id: order_id.to_string(),
                open: order.open_bids,
                max: params.max_bids_per_order,
                highest: most_expensive_price(deps.storage, &order),
            })?;
        order.open_bids = order.open_bids.saturating_sub(1);
        end_open_bid(deps.storage, victim, BidState::Lost, "evicted", height, &mut fx)?;
    }

    let bid = Bid {
        id: bid_id.clone(),
        state: BidState::Open,
        price: price.clone(),
        collateral: collateral.clone(),
        created_at: height,
        closed_at: None,
    };
    bids().save(deps.storage, bid_id.storage_key(), &bid)?;
    order.open_bids += 1;
    orders().save(deps.storage, order_id.storage_key(), &order)?;

    fx.msg(escrow_msgs::open_account(&escrow, AccountId::bid(&bid_id), &info.sender, collateral.clone())?);
    fx.event(
        events::bid("bid-created", &bid_id)
            .add_attribute("price", dec_coin_string(&price))
            .add_attribute("collateral", collateral.to_string()),
    );
    fx.into_response(deps.storage, "create_bid")
}

pub fn close_bid(deps: DepsMut, env: Env, info: MessageInfo, bid_id: BidId) -> Result<Response, ContractError> {
    nonpayable(&info, "close_bid")?;
    if info.sender.as_str() != bid_id.provider {
        return Err(ContractError::Unauthorized { action: "close this bid", sender: info.sender.to_string() });
    }
    let bid = load_bid(deps.storage, &bid_id)?;
    if bid.state != BidState::Open {
        return Err(ContractError::BidNotOpen { id: bid_id.to_string(), state: state_name(&bid.state) });
    }
    let mut fx = Effects::default();
    withdraw_open_bid(deps.storage, bid, BidState::Closed, "provider", env.block.height, &mut fx)?;
    fx.into_response(deps.storage, "close_bid")
}

/// The open bid a cheaper newcomer evicts from a full order: the highest price; among equal
/// prices the latest bid, then the highest provider address (the reverse of `match_order`'s
/// preference).
fn most_expensive_open_bid(store: &dyn Storage, order: &Order) -> Result<Option<Bid>, ContractError> {
    Ok(order_bids(store, order, BidState::Open)?.into_iter().max_by(|a, b| {
        (a.price.amount, a.created_at, &a.id.provider).cmp(&(b.price.amount, b.created_at, &b.id.provider))
    }))
}

fn most_expensive_price(store: &dyn Storage, order: &Order) -> String {
    most_expensive_open_bid(store, order)
        .ok()
        .flatten()
        .map(|b| dec_coin_string(&b.price))
        .unwrap_or_else(|| dec_coin_string(&order.price))
}

pub fn reject_bid(deps: DepsMut, env: Env, info: MessageInfo, bid_id: BidId) -> Result<Response, ContractError> {
    nonpayable(&info, "reject_bid")?;
    if info.sender.as_str() != bid_id.owner {
        return Err(ContractError::Unauthorized {
            action: "reject a bid on this order",
            sender: info.sender.to_string(),
        });
    }
    let bid = load_bid(deps.storage, &bid_id)?;
    if bid.state != BidState::Open {
        return Err(ContractError::BidNotOpen { id: bid_id.to_string(), state: state_name(&bid.state) });
    }
    let mut fx = Effects::default();
    withdraw_open_bid(deps.storage, bid, BidState::Lost, "rejected", env.block.height, &mut fx)?;
    fx.into_response(deps.storage, "reject_bid")
}

pub fn create_lease(deps: DepsMut, env: Env, info: MessageInfo, bid_id: BidId) -> Result<Response, ContractError> {
    nonpayable(&info, "create_lease")?;
    if info.sender.as_str() != bid_id.owner {
        return Err(ContractError::Unauthorized {
            action: "accept a bid on this order",
            sender: info.sender.to_string(),
        });
    }
    load_active_deployment(deps.storage, &bid_id.deployment())?;
    let bid = load_bid(deps.storage, &bid_id)?;
    if bid.state != BidState::Open {
        return Err(ContractError::BidNotOpen { id: bid_id.to_string(), state: state_name(&bid.state) });
    }
    let order = load_order(deps.storage, &bid_id.order())?;
    ensure_open(&order)?;
    ensure_not_expired(&order, env.block.height)?;
    // The provider must still qualify: attributes and audits may have changed since it bid.
    let registry = REGISTRY.load(deps.storage)?;
    let provider = registered_provider(deps.as_ref(), &registry, &bid_id.provider)?;
    let group = load_group(deps.storage, &bid_id.group())?;
    check_provider_qualifies(deps.as_ref(), &registry, &provider, &group.spec, &group.id.to_string())?;
    let escrow = ESCROW.load(deps.storage)?;
    let mut fx = Effects::default();
    make_lease(deps.storage, &escrow, order, bid, "tenant", env.block.height, &mut fx)?;
    fx.into_response(deps.storage, "create_lease")
}

pub fn close_lease(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    lease_id: LeaseId,
    reason: Option<LeaseCloseReason>,
) -> Result<Response, ContractError> {
    nonpayable(&info, "close_lease")?;
    let sender = info.sender.as_str();
    let by_tenant = sender == lease_id.owner;
    let by_provider = sender == lease_id.provider;
    let reason = match (by_tenant, by_provider, reason) {
        (true, _, None | Some(LeaseCloseReason::Owner)) => LeaseCloseReason::Owner,
        (true, _, Some(r)) => {
            return Err(ContractError::InvalidCloseReason { reason: events::reason_name(r).into(), party: "tenant" });
        }
        (false, true, Some(r)) if r.is_provider_reason() => r,
        (false, true, r) => {
            let reason = r.map(events::reason_name).unwrap_or("none").to_string();
            return Err(ContractError::InvalidCloseReason { reason, party: "provider" });
        }
        (false, false, _) => {
            return Err(ContractError::Unauthorized { action: "close this lease", sender: sender.to_string() });
        }
    };
    let lease = load_lease(deps.storage, &lease_id)?;
    if lease.state != LeaseState::Active {
        return Err(ContractError::LeaseNotActive { id: lease_id.to_string(), state: state_name(&lease.state) });
    }
    let height = env.block.height;
    let escrow = ESCROW.load(deps.storage)?;
    let order = load_order(deps.storage, &lease_id.order())?;
    let mut fx = Effects::default();
    close_order(
        deps.storage,
        &escrow,
        order,
        OrderCloseReason::LeaseClosed,
        LeaseEnd::closed(reason),
        height,
        &mut fx,
    )?;

    let mut group = load_group(deps.storage, &lease_id.group())?;
    if by_tenant {
        // The provider the tenant walked away from does not win the relisted order again
        // (an exclusion the tenant may lift); skipped when the deployment's list is full.
        let mut deployment = load_active_deployment(deps.storage, &lease_id.deployment())?;
        if !exclusion::is_excluded(deps.storage, &deployment.id, &lease_id.provider) && !exclusion::is_full(&deployment)
        {
            exclusion::exclude(deps.storage, &mut deployment, &lease_id.provider, "lease_closed", height, &mut fx)?;
        }
        // Relist while the group is open (Akash parity).
        if group.state == GroupState::Open {
            let params = PARAMS.load(deps.storage)?;
            open_order(deps.storage, &mut group, &params, height, &mut fx)?;
            GROUPS.save(deps.storage, &group.id.storage_key(), &group)?;
        }
    } else {
        // A provider walking away pauses the group; the tenant restarts it when ready.
        halt_open_group(deps.storage, &mut group, GroupState::Paused, "provider_closed_lease", &[], &mut fx)?;
    }
    fx.into_response(deps.storage, "close_lease")
}

pub fn match_order(deps: DepsMut, env: Env, info: MessageInfo, order_id: OrderId) -> Result<Response, ContractError> {
    nonpayable(&info, "match_order")?;
    let deployment = load_active_deployment(deps.storage, &order_id.deployment())?;
    if !deployment.auto_match {
        return Err(ContractError::AutoMatchDisabled { id: deployment.id.to_string() });
    }
    let order = load_order(deps.storage, &order_id)?;
    ensure_open(&order)?;
    let height = env.block.height;
    if height < order.matchable_at {
        return Err(ContractError::BiddingWindowOpen { id: order_id.to_string(), until: order.matchable_at });
    }
    ensure_not_expired(&order, height)?;
    // Cheapest first; ties go to the earliest bid, then the lowest provider address.
    let mut candidates = order_bids(deps.storage, &order, BidState::Open)?;
    candidates.sort_by(|a, b| {
        (a.price.amount, a.created_at, &a.id.provider).cmp(&(b.price.amount, b.created_at, &b.id.provider))
    });
    let registry = REGISTRY.load(deps.storage)?;
    let group = load_group(deps.storage, &order_id.group())?;
    let winner = candidates.into_iter().find(|bid| {
        registered_provider(deps.as_ref(), &registry, &bid.id.provider)
            .and_then(|p| check_provider_qualifies(deps.as_ref(), &registry, &p, &group.spec, &group.id.to_string()))
            .is_ok()
    });
    let winner = winner.ok_or_else(|| ContractError::NoQualifyingBid { id: order_id.to_string() })?;
    let escrow = ESCROW.load(deps.storage)?;
    let mut fx = Effects::default();
    make_lease(deps.storage, &escrow, order, winner, "auto_match", height, &mut fx)?;
    Ok(fx.into_response(deps.storage, "match_order")?.add_attribute("matched_by", info.sender))
}

pub fn close_expired_order(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    order_id: OrderId,
) -> Result<Response, ContractError> {
    nonpayable(&info, "close_expired_order")?;
    let order = load_order(deps.storage, &order_id)?;
    ensure_open(&order)?;
    let height = env.block.height;
    if height < order.expires_at {
        return Err(ContractError::OrderNotExpired { id: order_id.to_string(), expires_at: order.expires_at });
    }
    let escrow = ESCROW.load(deps.storage)?;
    let mut fx = Effects::default();
    // An open order has no lease; `lease_end` is unused.
    close_order(
        deps.storage,
        &escrow,
        order,
        OrderCloseReason::Expired,
        LeaseEnd::closed(LeaseCloseReason::Owner),
        height,
        &mut fx,
    )?;
    let mut group = load_group(deps.storage, &order_id.group())?;
    halt_open_group(deps.storage, &mut group, GroupState::Paused, "order_expired", &[], &mut fx)?;
    Ok(fx.into_response(deps.storage, "close_expired_order")?.add_attribute("closed_by", info.sender))
}

/// The market's own follow-up to `CloseDeployment`: refunds the open bids of a closed order.
pub fn refund_bids(deps: DepsMut, env: Env, info: MessageInfo, order_id: OrderId) -> Result<Response, ContractError> {
    nonpayable(&info, "refund_bids")?;
    if info.sender != env.contract.address {
        return Err(ContractError::Unauthorized { action: "refund bids", sender: info.sender.to_string() });
    }
    let order = load_order(deps.storage, &order_id)?;
    if order.state != OrderState::Closed {
        return Err(ContractError::OrderNotClosed { id: order_id.to_string(), state: state_name(&order.state) });
    }
    let mut fx = Effects::default();
    end_order_bids(deps.storage, &order, env.block.height, &mut fx)?;
    fx.into_response(deps.storage, "refund_bids")
}

/// Ends a lease because escrow ran out (called from the escrow hook).
pub fn end_for_insufficient_funds(
    deps: DepsMut,
    lease_id: &LeaseId,
    funded_until: u64,
    height: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    let Ok(lease) = load_lease(deps.storage, lease_id) else {
        return Ok(());
    };
    if lease.state != LeaseState::Active {
        // Already closed in this transaction (e.g. the tenant's close settled the account).
        return Ok(());
    }
    let escrow = ESCROW.load(deps.storage)?;
    let order = load_order(deps.storage, &lease_id.order())?;
    close_order(
        deps.storage,
        &escrow,
        order,
        OrderCloseReason::InsufficientFunds,
        LeaseEnd::insufficient_funds(),
        height,
        fx,
    )?;
    let mut group = load_group(deps.storage, &lease_id.group())?;
    let funded = [("funded_until", funded_until.to_string())];
    halt_open_group(deps.storage, &mut group, GroupState::InsufficientFunds, "insufficient_funds", &funded, fx)
}
