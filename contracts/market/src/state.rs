//! Every storage constant of the market contract, with short unique namespaces.
//!
//! Primary keys are the ids' order-preserving `storage_key()` bytes, so the groups of a
//! deployment, the orders of a group and the bids of an order are contiguous key ranges.
//! Secondary indexes carry the entity's state so list queries by state never scan.

use cosmwasm_std::{Addr, Storage};
use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};
use leasehold_types::market::{
    Bid, BidState, Deployment, DeploymentState, Group, Lease, LeaseState, MarketParams, Order, OrderState,
};

/// Governance address allowed to change params; `None` freezes them.
pub const ADMIN: Item<Option<Addr>> = Item::new("admin");
/// The address the admin proposed as its successor (two-step transfer).
pub const PENDING_ADMIN: Item<Addr> = Item::new("padmin");
/// Providers a tenant excluded from a deployment: (deployment storage key, provider).
pub const EXCLUDED: Map<(&[u8], &str), cosmwasm_std::Empty> = Map::new("x");
pub const PARAMS: Item<MarketParams> = Item::new("params");
/// The escrow contract instantiated by the market (set in `reply`).
pub const ESCROW: Item<Addr> = Item::new("escrow");
/// The provider registry instantiated by the market (set in `reply`).
pub const REGISTRY: Item<Addr> = Item::new("registry");

/// Active leases per provider (asked by the registry before a provider is deleted).
pub const PROVIDER_ACTIVE_LEASES: Map<&str, u32> = Map::new("pal");

pub const GROUPS: Map<&[u8], Group> = Map::new("g");

pub struct DeploymentIndexes<'a> {
    pub state: MultiIndex<'a, u8, Deployment, Vec<u8>>,
    /// Deployments of one owner in one state (filtered lists never scan).
    pub owner_state: MultiIndex<'a, (String, u8), Deployment, Vec<u8>>,
}

impl IndexList<Deployment> for DeploymentIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Deployment>> + '_> {
        let v: Vec<&dyn Index<Deployment>> = vec![&self.state, &self.owner_state];
        Box::new(v.into_iter())
    }
}

pub fn deployments<'a>() -> IndexedMap<Vec<u8>, Deployment, DeploymentIndexes<'a>> {
    IndexedMap::new(
        "d",
        DeploymentIndexes {
            state: MultiIndex::new(|_, d: &Deployment| deployment_state_code(d.state), "d", "d_s"),
            owner_state: MultiIndex::new(
                |_, d: &Deployment| (d.id.owner.clone(), deployment_state_code(d.state)),
                "d",
                "d_os",
            ),
        },
    )
}

pub struct OrderIndexes<'a> {
    pub state: MultiIndex<'a, u8, Order, Vec<u8>>,
    /// Orders of one owner in one state.
    pub owner_state: MultiIndex<'a, (String, u8), Order, Vec<u8>>,
}

impl IndexList<Order> for OrderIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Order>> + '_> {
        let v: Vec<&dyn Index<Order>> = vec![&self.state, &self.owner_state];
        Box::new(v.into_iter())
    }
}

pub fn orders<'a>() -> IndexedMap<Vec<u8>, Order, OrderIndexes<'a>> {
    IndexedMap::new(
        "o",
        OrderIndexes {
            state: MultiIndex::new(|_, o: &Order| order_state_code(o.state), "o", "o_s"),
            owner_state: MultiIndex::new(|_, o: &Order| (o.id.owner.clone(), order_state_code(o.state)), "o", "o_os"),
        },
    )
}

pub struct BidIndexes<'a> {
    pub state: MultiIndex<'a, u8, Bid, Vec<u8>>,
    pub provider: MultiIndex<'a, String, Bid, Vec<u8>>,
    pub provider_state: MultiIndex<'a, (String, u8), Bid, Vec<u8>>,
    /// Open bids of one order: what `create_lease`, `match_order` and order closes iterate
    /// (at most `max_bids_per_order` entries).
    pub order_state: MultiIndex<'a, (Vec<u8>, u8), Bid, Vec<u8>>,
}

impl IndexList<Bid> for BidIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Bid>> + '_> {
        let v: Vec<&dyn Index<Bid>> = vec![&self.state, &self.provider, &self.provider_state, &self.order_state];
        Box::new(v.into_iter())
    }
}

pub fn bids<'a>() -> IndexedMap<Vec<u8>, Bid, BidIndexes<'a>> {
    IndexedMap::new(
        "b",
        BidIndexes {
            state: MultiIndex::new(|_, b: &Bid| bid_state_code(b.state), "b", "b_s"),
            provider: MultiIndex::new(|_, b: &Bid| b.id.provider.clone(), "b", "b_p"),
            provider_state: MultiIndex::new(|_, b: &Bid| (b.id.provider.clone(), bid_state_code(b.state)), "b", "b_ps"),
            order_state: MultiIndex::new(
                |_, b: &Bid| (b.id.order().storage_key(), bid_state_code(b.state)),
                "b",
                "b_os",
            ),
        },
    )
}

pub struct LeaseIndexes<'a> {
    pub state: MultiIndex<'a, u8, Lease, Vec<u8>>,
    pub provider: MultiIndex<'a, String, Lease, Vec<u8>>,
    pub provider_state: MultiIndex<'a, (String, u8), Lease, Vec<u8>>,
    /// Leases of one owner in one state.
    pub owner_state: MultiIndex<'a, (String, u8), Lease, Vec<u8>>,
    /// Leases between one owner and one provider.
    pub owner_provider: MultiIndex<'a, (String, String), Lease, Vec<u8>>,
    /// Leases between one owner and one provider in one state.
    pub owner_provider_state: MultiIndex<'a, (String, String, u8), Lease, Vec<u8>>,
}

impl IndexList<Lease> for LeaseIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Lease>> + '_> {
        let v: Vec<&dyn Index<Lease>> = vec![
            &self.state,
            &self.provider,
            &self.provider_state,
            &self.owner_state,
            &self.owner_provider,
            &self.owner_provider_state,
        ];
        Box::new(v.into_iter())
    }
}

pub fn leases<'a>() -> IndexedMap<Vec<u8>, Lease, LeaseIndexes<'a>> {
    IndexedMap::new(
        "l",
        LeaseIndexes {
            state: MultiIndex::new(|_, l: &Lease| lease_state_code(l.state), "l", "l_s"),
            provider: MultiIndex::new(|_, l: &Lease| l.id.provider.clone(), "l", "l_p"),
            provider_state: MultiIndex::new(
                |_, l: &Lease| (l.id.provider.clone(), lease_state_code(l.state)),
                "l",
                "l_ps",
            ),
            owner_state: MultiIndex::new(|_, l: &Lease| (l.id.owner.clone(), lease_state_code(l.state)), "l", "l_os"),
            owner_provider: MultiIndex::new(|_, l: &Lease| (l.id.owner.clone(), l.id.provider.clone()), "l", "l_op"),
            owner_provider_state: MultiIndex::new(
                |_, l: &Lease| (l.id.owner.clone(), l.id.provider.clone(), lease_state_code(l.state)),
                "l",
                "l_ops",
            ),
        },
    )
}

pub fn deployment_state_code(s: DeploymentState) -> u8 {
    match s {
        DeploymentState::Active => 1,
        DeploymentState::Closed => 2,
    }
}

pub fn order_state_code(s: OrderState) -> u8 {
    match s {
        OrderState::Open => 1,
        OrderState::Active => 2,
        OrderState::Closed => 3,
    }
}

pub fn bid_state_code(s: BidState) -> u8 {
    match s {
        BidState::Open => 1,
        BidState::Active => 2,
        BidState::Lost => 3,
        BidState::Closed => 4,
    }
}

pub fn lease_state_code(s: LeaseState) -> u8 {
    match s {
        LeaseState::Active => 1,
        LeaseState::InsufficientFunds => 2,
        LeaseState::Closed => 3,
    }
}

/// Adjusts a provider's active-lease counter.
pub fn add_active_lease(store: &mut dyn Storage, provider: &str, delta: i32) -> cosmwasm_std::StdResult<()> {
    let n = PROVIDER_ACTIVE_LEASES.may_load(store, provider)?.unwrap_or(0);
    let next = n.saturating_add_signed(delta);
    if next == 0 {
        PROVIDER_ACTIVE_LEASES.remove(store, provider);
    } else {
        PROVIDER_ACTIVE_LEASES.save(store, provider, &next)?;
    }
    Ok(())
}

/// Every storage namespace this contract uses, for the uniqueness test (quality.md CT-08).
pub const NAMESPACES: &[&str] = &[
    "admin", "padmin", "params", "escrow", "registry", "pal", "x", "g", "d", "d_s", "d_os", "o", "o_s", "o_os", "b",
    "b_s", "b_p", "b_ps", "b_os", "l", "l_s", "l_p", "l_ps", "l_os", "l_op", "l_ops",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_unique_and_not_prefixes_of_each_other() {
        for (i, a) in NAMESPACES.iter().enumerate() {
            for b in &NAMESPACES[i + 1..] {
                assert_ne!(a, b, "duplicate namespace {a}");
            }
        }
    }
}
