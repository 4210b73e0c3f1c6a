//! Execute handlers, one module per area, plus the loading and payment helpers they share.

pub mod bidding;
pub mod deployment;
pub mod hooks;
pub mod params;

use cosmwasm_std::Storage;
use leasehold_types::ids::{BidId, DeploymentId, GroupId, OrderId};
use leasehold_types::market::{Bid, Deployment, DeploymentState, Group, Lease, Order};

use crate::error::ContractError;
use crate::state::{GROUPS, bids, deployments, leases, orders};

pub fn load_deployment(store: &dyn Storage, id: &DeploymentId) -> Result<Deployment, ContractError> {
    deployments()
        .may_load(store, id.storage_key())?
        .ok_or_else(|| ContractError::DeploymentNotFound { id: id.to_string() })
}

pub fn load_active_deployment(store: &dyn Storage, id: &DeploymentId) -> Result<Deployment, ContractError> {
    let d = load_deployment(store, id)?;
    if d.state != DeploymentState::Active {
        return Err(ContractError::DeploymentClosed { id: id.to_string() });
    }
    Ok(d)
}

pub fn load_group(store: &dyn Storage, id: &GroupId) -> Result<Group, ContractError> {
    GROUPS.may_load(store, &id.storage_key())?.ok_or_else(|| ContractError::GroupNotFound { id: id.to_string() })
}

pub fn load_order(store: &dyn Storage, id: &OrderId) -> Result<Order, ContractError> {
    orders().may_load(store, id.storage_key())?.ok_or_else(|| ContractError::OrderNotFound { id: id.to_string() })
}

pub fn load_bid(store: &dyn Storage, id: &BidId) -> Result<Bid, ContractError> {
    bids().may_load(store, id.storage_key())?.ok_or_else(|| ContractError::BidNotFound { id: id.to_string() })
}

pub fn load_lease(store: &dyn Storage, id: &BidId) -> Result<Lease, ContractError> {
    leases().may_load(store, id.storage_key())?.ok_or_else(|| ContractError::LeaseNotFound { id: id.to_string() })
}

/// Lower-case snake name of a state, for error messages and events.
pub fn state_name<T: serde::Serialize>(state: &T) -> String {
    cosmwasm_std::to_json_string(state).map(|s| s.trim_matches('"').to_string()).unwrap_or_default()
}
