//! Queries. Every list is paginated (`start_after` + `limit`, hard maximum
//! `leasehold_types::pagination::MAX_LIMIT`) and served from a key range or an index.

use cosmwasm_std::{Binary, Deps, Env, Order as IterOrder, StdResult, Storage, to_json_binary};
use cw_storage_plus::Bound;
use leasehold_types::ids::{BidId, DeploymentId, OrderId};
use leasehold_types::market::{
    BidState, BidsResponse, ConfigResponse, DeploymentResponse, DeploymentState, DeploymentsResponse,
    ExcludedProvidersResponse, LeaseState, LeasesResponse, OrderResponse, OrderState, OrdersResponse,
    ProviderLeaseCountResponse, QueryMsg,
};
use leasehold_types::pagination::page_size;

use crate::error::ContractError;
use crate::execute::{load_bid, load_deployment, load_group, load_lease, load_order};
use crate::state::{
    ADMIN, ESCROW, EXCLUDED, GROUPS, PARAMS, PENDING_ADMIN, PROVIDER_ACTIVE_LEASES, REGISTRY, bid_state_code, bids,
    deployment_state_code, deployments, lease_state_code, leases, order_state_code, orders,
};

pub fn dispatch(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let store = deps.storage;
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&ConfigResponse {
            admin: ADMIN.load(store)?,
            pending_admin: PENDING_ADMIN.may_load(store)?,
            escrow: ESCROW.load(store)?,
            provider_registry: REGISTRY.load(store)?,
        })?,
        QueryMsg::Params {} => to_json_binary(&PARAMS.load(store)?)?,
        QueryMsg::Deployment { id } => {
            let deployment = load_deployment(store, &id)?;
            let groups = (1..=deployment.groups).map(|g| load_group(store, &id.group(g))).collect::<Result<_, _>>()?;
            to_json_binary(&DeploymentResponse { deployment, groups })?
        }
        QueryMsg::Deployments { owner, state, start_after, limit } => to_json_binary(&DeploymentsResponse {
            deployments: list_deployments(deps, owner, state, start_after, limit)?,
        })?,
        QueryMsg::Group { id } => to_json_binary(&load_group(store, &id)?)?,
        QueryMsg::Order { id } => to_json_binary(&order_response(store, &id)?)?,
        QueryMsg::Orders { owner, state, start_after, limit } => {
            to_json_binary(&OrdersResponse { orders: list_orders(deps, owner, state, start_after, limit)? })?
        }
        QueryMsg::Bid { id } => to_json_binary(&load_bid(store, &id)?)?,
        QueryMsg::Bids { order, provider, state, start_after, limit } => {
            to_json_binary(&BidsResponse { bids: list_bids(deps, order, provider, state, start_after, limit)? })?
        }
        QueryMsg::Lease { id } => to_json_binary(&load_lease(store, &id)?)?,
        QueryMsg::Leases { owner, provider, state, start_after, limit } => {
            to_json_binary(&LeasesResponse { leases: list_leases(deps, owner, provider, state, start_after, limit)? })?
        }
        QueryMsg::ProviderLeaseCount { provider } => to_json_binary(&ProviderLeaseCountResponse {
            active: PROVIDER_ACTIVE_LEASES.may_load(store, &provider)?.unwrap_or(0),
        })?,
        QueryMsg::ExcludedProviders { deployment, start_after, limit } => {
            load_deployment(store, &deployment)?;
            let key = deployment.storage_key();
            let providers = EXCLUDED
                .prefix(&key)
                .keys(store, start_after.as_deref().map(Bound::exclusive), None, IterOrder::Ascending)
                .take(page_size(limit))
                .collect::<StdResult<Vec<String>>>()?;
            to_json_binary(&ExcludedProvidersResponse { providers })?
        }
    })
}

fn order_response(store: &dyn Storage, id: &OrderId) -> Result<OrderResponse, ContractError> {
    let order = load_order(store, id)?;
    let spec = load_group(store, &id.group())?.spec;
    Ok(OrderResponse { order, spec })
}

/// The smallest key greater than every key starting with `prefix`, or `None` when no such key
/// exists (all bytes 0xff).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// `(min, max)` bounds covering `prefix`, starting after `start_after` when given.
type KeyBound<'a> = Option<Bound<'a, Vec<u8>>>;

fn prefix_bounds<'a>(prefix: Vec<u8>, start_after: Option<Vec<u8>>) -> (KeyBound<'a>, KeyBound<'a>) {
    let max = prefix_end(&prefix).map(Bound::exclusive);
    let min = match start_after {
        Some(s) if s >= prefix => Bound::exclusive(s),
        _ => Bound::inclusive(prefix),
    };
    (Some(min), max)
}

fn after<'a>(start_after: Option<Vec<u8>>) -> Option<Bound<'a, Vec<u8>>> {
    start_after.map(Bound::exclusive)
}

fn owner_prefix(owner: &str) -> Vec<u8> {
    // The owner part of every id key: the deployment key without its dseq.
    let mut k = DeploymentId::new(owner, 0).storage_key();
    k.truncate(k.len() - 8);
    k
}

fn list_deployments(
    deps: Deps,
    owner: Option<String>,
    state: Option<DeploymentState>,
    start_after: Option<DeploymentId>,
    limit: Option<u32>,
) -> Result<Vec<leasehold_types::market::Deployment>, ContractError> {
    let limit = page_size(limit);
    let start = start_after.map(|s| s.storage_key());
    let map = deployments();
    Ok(match (owner, state) {
        (Some(owner), None) => {
            let (min, max) = prefix_bounds(owner_prefix(&owner), start);
            collect(map.range(deps.storage, min, max, IterOrder::Ascending), limit)?
        }
        (Some(owner), Some(s)) => collect(
            map.idx.owner_state.prefix((owner, deployment_state_code(s))).range(
                deps.storage,
                after(start),
                None,
                IterOrder::Ascending,
            ),
            limit,
        )?,
        (None, Some(s)) => collect(
            map.idx.state.prefix(deployment_state_code(s)).range(
                deps.storage,
                after(start),
                None,
                IterOrder::Ascending,
            ),
            limit,
        )?,
        (None, None) => collect(map.range(deps.storage, after(start), None, IterOrder::Ascending), limit)?,
    })
}

fn collect<T>(iter: Box<dyn Iterator<Item = StdResult<(Vec<u8>, T)>> + '_>, limit: usize) -> StdResult<Vec<T>> {
    iter.take(limit).map(|r| r.map(|(_, v)| v)).collect()
}

fn list_orders(
    deps: Deps,
    owner: Option<String>,
    state: Option<OrderState>,
    start_after: Option<OrderId>,
    limit: Option<u32>,
) -> Result<Vec<OrderResponse>, ContractError> {
    let limit = page_size(limit);
    let start = start_after.map(|s| s.storage_key());
    let map = orders();
    let found = match (owner, state) {
        (Some(owner), None) => {
            let (min, max) = prefix_bounds(owner_prefix(&owner), start);
            collect(map.range(deps.storage, min, max, IterOrder::Ascending), limit)?
        }
        (Some(owner), Some(s)) => collect(
            map.idx.owner_state.prefix((owner, order_state_code(s))).range(
                deps.storage,
                after(start),
                None,
                IterOrder::Ascending,
            ),
            limit,
        )?,
        (None, Some(s)) => collect(
            map.idx.state.prefix(order_state_code(s)).range(deps.storage, after(start), None, IterOrder::Ascending),
            limit,
        )?,
        (None, None) => collect(map.range(deps.storage, after(start), None, IterOrder::Ascending), limit)?,
    };
    found
        .into_iter()
        .map(|order| {
            let spec = GROUPS.load(deps.storage, &order.id.group().storage_key())?.spec;
            Ok(OrderResponse { order, spec })
        })
        .collect()
}

fn list_bids(
    deps: Deps,
    order: Option<OrderId>,
    provider: Option<String>,
    state: Option<BidState>,
    start_after: Option<BidId>,
    limit: Option<u32>,
) -> Result<Vec<leasehold_types::market::Bid>, ContractError> {
    let limit = page_size(limit);
    let start = start_after.map(|s| s.storage_key());
    let map = bids();
    let store = deps.storage;
    Ok(match (order, provider, state) {
        // One provider bids at most once per order: a point lookup.
        (Some(order), Some(p), state) => {
            let id = order.bid(&p);
            let past_start = start.is_none_or(|s| id.storage_key() > s);
            map.may_load(store, id.storage_key())?
                .filter(|b| past_start && state.is_none_or(|s| b.state == s))
                .into_iter()
                .collect()
        }
        (Some(order), None, Some(s)) => collect(
            map.idx.order_state.prefix((order.storage_key(), bid_state_code(s))).range(
                store,
                after(start),
                None,
                IterOrder::Ascending,
            ),
            limit,
        )?,
        (Some(order), None, None) => {
            let (min, max) = prefix_bounds(order.storage_key(), start);
            collect(map.range(store, min, max, IterOrder::Ascending), limit)?
        }
        (None, Some(p), Some(s)) => collect(
            map.idx.provider_state.prefix((p, bid_state_code(s))).range(
                store,
                after(start),
                None,
                IterOrder::Ascending,
            ),
            limit,
        )?,
        (None, Some(p), None) => {
            collect(map.idx.provider.prefix(p).range(store, after(start), None, IterOrder::Ascending), limit)?
        }
        (None, None, Some(s)) => collect(
            map.idx.state.prefix(bid_state_code(s)).range(store, after(start), None, IterOrder::Ascending),
            limit,
        )?,
        (None, None, None) => collect(map.range(store, after(start), None, IterOrder::Ascending), limit)?,
    })
}

fn list_leases(
    deps: Deps,
    owner: Option<String>,
    provider: Option<String>,
    state: Option<LeaseState>,
    start_after: Option<BidId>,
    limit: Option<u32>,
) -> Result<Vec<leasehold_types::market::Lease>, ContractError> {
    let limit = page_size(limit);
    let start = start_after.map(|s| s.storage_key());
    let map = leases();
    let store = deps.storage;
    Ok(match (owner, provider, state) {
        (Some(owner), None, None) => {
            let (min, max) = prefix_bounds(owner_prefix(&owner), start);
            collect(map.range(store, min, max, IterOrder::Ascending), limit)?
        }
        (Some(owner), None, Some(s)) => collect(
            map.idx.owner_state.prefix((owner, lease_state_code(s))).range(
                store,
                after(start),
                None,
                IterOrder::Ascending,
            ),
            limit,
        )?,
        (Some(owner), Some(p), Some(s)) => collect(
            map.idx.owner_provider_state.prefix((owner, p, lease_state_code(s))).range(
                store,
                after(start),
                None,
                IterOrder::Ascending,
            ),
            limit,
        )?,
        (Some(owner), Some(p), None) => collect(
            map.idx.owner_provider.prefix((owner, p)).range(store, after(start), None, IterOrder::Ascending),
            limit,
        )?,
        (None, Some(p), Some(s)) => collect(
            map.idx.provider_state.prefix((p, lease_state_code(s))).range(
                store,
                after(start),
                None,
                IterOrder::Ascending,
            ),
            limit,
        )?,
        (None, Some(p), None) => {
            collect(map.idx.provider.prefix(p).range(store, after(start), None, IterOrder::Ascending), limit)?
        }
        (None, None, Some(s)) => collect(
            map.idx.state.prefix(lease_state_code(s)).range(store, after(start), None, IterOrder::Ascending),
            limit,
        )?,
        (None, None, None) => collect(map.range(store, after(start), None, IterOrder::Ascending), limit)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(&[1, 2, 3]), Some(vec![1, 2, 4]));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
    }
}
