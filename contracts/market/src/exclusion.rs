//! Providers a tenant keeps out of its deployment: excluded explicitly (`ExcludeProvider`) or
//! automatically when the tenant closes that provider's lease, so a provider that won and did not
//! serve cannot win the relisted order again. An excluded provider cannot bid on any order of the
//! deployment; its open bids there are closed when it is excluded. At most
//! [`MAX_EXCLUDED_PROVIDERS`] per deployment.

use cosmwasm_std::{Empty, Storage};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{BidState, Deployment, MAX_EXCLUDED_PROVIDERS, OrderState};

use crate::error::ContractError;
use crate::events;
use crate::execute::{load_group, load_order};
use crate::lifecycle::{Effects, withdraw_open_bid};
use crate::state::{EXCLUDED, bids, deployments};

pub fn is_excluded(store: &dyn Storage, deployment: &DeploymentId, provider: &str) -> bool {
    EXCLUDED.has(store, (&deployment.storage_key(), provider))
}

/// Whether [`exclude`] would refuse for lack of room.
pub fn is_full(deployment: &Deployment) -> bool {
    deployment.excluded >= MAX_EXCLUDED_PROVIDERS
}

/// Excludes `provider` from `deployment` (saved), closing its open bids on the deployment's open
/// orders (refunded). `reason` is `tenant` or `lease_closed`.
pub fn exclude(
    store: &mut dyn Storage,
    deployment: &mut Deployment,
    provider: &str,
    reason: &str,
    height: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    let id = deployment.id.clone();
    if is_excluded(store, &id, provider) {
        return Err(ContractError::ProviderAlreadyExcluded { provider: provider.into(), deployment: id.to_string() });
    }
    if is_full(deployment) {
        return Err(ContractError::TooManyExcluded { deployment: id.to_string(), max: MAX_EXCLUDED_PROVIDERS });
    }
    EXCLUDED.save(store, (&id.storage_key(), provider), &Empty {})?;
    deployment.excluded += 1;
    deployments().save(store, id.storage_key(), deployment)?;
    // One current order per group, one bid per provider per order: at most `groups` bids.
    for gseq in 1..=deployment.groups {
        let group = load_group(store, &id.group(gseq))?;
        if group.last_oseq == 0 {
            continue;
        }
        let order = load_order(store, &group.id.order(group.last_oseq))?;
        if order.state != OrderState::Open {
            continue;
        }
        let bid_id = order.id.bid(provider);
        let Some(bid) = bids().may_load(store, bid_id.storage_key())? else { continue };
        if bid.state != BidState::Open {
            continue;
        }
        withdraw_open_bid(store, bid, BidState::Lost, "excluded", height, fx)?;
    }
    fx.event(events::exclusion("provider-excluded", &id, provider, reason));
    Ok(())
}

/// Lifts an exclusion (saved).
pub fn readmit(store: &mut dyn Storage, deployment: &mut Deployment, provider: &str) -> Result<(), ContractError> {
    let id = deployment.id.clone();
    if !is_excluded(store, &id, provider) {
        return Err(ContractError::ProviderNotExcluded { provider: provider.into(), deployment: id.to_string() });
    }
    EXCLUDED.remove(store, (&id.storage_key(), provider));
    deployment.excluded = deployment.excluded.saturating_sub(1);
    deployments().save(store, id.storage_key(), deployment)?;
    Ok(())
}
