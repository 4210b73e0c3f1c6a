//! Tenant messages on deployments and groups.

use cosmwasm_std::{DepsMut, Env, HexBinary, MessageInfo, Response, Storage};
use leasehold_types::escrow::{AccountId, AccountResponse, AccountState, QueryMsg as EscrowQuery};
use leasehold_types::ids::{DeploymentId, GroupId};
use leasehold_types::market::{Deployment, DeploymentState, Group, GroupState, HASH_LEN, LeaseCloseReason};
use leasehold_types::resources::{GroupSpec, validate_groups};

use super::{load_active_deployment, load_group, load_order, state_name};
use crate::error::ContractError;
use crate::escrow_msgs;
use crate::events;
use crate::exclusion;
use crate::lifecycle::{Effects, LeaseEnd, OrderCloseReason, close_order, open_order};
use crate::state::{ESCROW, GROUPS, PARAMS, deployments};
use leasehold_types::funds::{nonpayable, one_coin};

fn check_hash(hash: &HexBinary) -> Result<(), ContractError> {
    if hash.len() != HASH_LEN {
        return Err(ContractError::InvalidHash { expected: HASH_LEN, len: hash.len() });
    }
    Ok(())
}

pub fn create(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    dseq: u64,
    hash: HexBinary,
    groups: Vec<GroupSpec>,
    auto_match: bool,
) -> Result<Response, ContractError> {
    if dseq == 0 {
        return Err(ContractError::ZeroDseq);
    }
    check_hash(&hash)?;
    validate_groups(&groups)?;
    for (i, g) in groups.iter().enumerate() {
        for auditor in g.requirements.signed_by.auditors() {
            deps.api.addr_validate(auditor).map_err(|_| ContractError::InvalidAddress {
                field: format!("groups[{i}].requirements.signed_by"),
                address: auditor.to_string(),
            })?;
        }
    }
    let params = PARAMS.load(deps.storage)?;
    let denom = groups[0].denom().to_string();
    let denom_params = params.denom(&denom).ok_or_else(|| ContractError::DenomNotAllowed { denom: denom.clone() })?;
    let deposit = one_coin(&info, "create_deployment")?;
    if deposit.denom != denom {
        return Err(ContractError::DepositDenomMismatch { expected: denom, found: deposit.denom });
    }
    if deposit.amount < denom_params.min_deposit {
        let minimum = cosmwasm_std::Coin { denom: denom.clone(), amount: denom_params.min_deposit };
        return Err(ContractError::DepositTooLow { deposit, minimum });
    }

    let id = DeploymentId::new(info.sender.as_str(), dseq);
    let key = id.storage_key();
    if deployments().has(deps.storage, key.clone()) {
        return Err(ContractError::DeploymentExists { id: id.to_string() });
    }
    let height = env.block.height;
    let deployment = Deployment {
        id: id.clone(),
        state: DeploymentState::Active,
        hash: hash.clone(),
        denom: denom.clone(),
        auto_match,
        groups: groups.len() as u32,
        excluded: 0,
        created_at: height,
        closed_at: None,
    };
    deployments().save(deps.storage, key, &deployment)?;

    let mut fx = Effects::default();
    fx.event(
        events::deployment("deployment-created", &id)
            .add_attribute("hash", hash.to_hex())
            .add_attribute("denom", &denom)
            .add_attribute("groups", groups.len().to_string())
            .add_attribute("auto_match", auto_match.to_string())
            .add_attribute("deposit", deposit.to_string()),
    );
    for (i, spec) in groups.into_iter().enumerate() {
        let gseq = u32::try_from(i + 1).map_err(|_| ContractError::Overflow)?;
        let mut group = Group { id: id.group(gseq), state: GroupState::Open, spec, last_oseq: 0, created_at: height };
        open_order(deps.storage, &mut group, &params, height, &mut fx)?;
        GROUPS.save(deps.storage, &group.id.storage_key(), &group)?;
    }
    let escrow = ESCROW.load(deps.storage)?;
    fx.msg(escrow_msgs::open_account(&escrow, AccountId::deployment(&id), &info.sender, deposit)?);
    fx.into_response(deps.storage, "create_deployment")
}

pub fn update(
    deps: DepsMut,
    info: MessageInfo,
    dseq: u64,
    hash: Option<HexBinary>,
    auto_match: Option<bool>,
) -> Result<Response, ContractError> {
    nonpayable(&info, "update_deployment")?;
    if let Some(hash) = &hash {
        check_hash(hash)?;
    }
    let id = DeploymentId::new(info.sender.as_str(), dseq);
    let mut d = load_active_deployment(deps.storage, &id)?;
    let only_hash = hash.is_some() && auto_match.is_none();
    let new_hash = hash.filter(|h| *h != d.hash);
    let new_auto_match = auto_match.filter(|a| *a != d.auto_match);
    if new_hash.is_none() && new_auto_match.is_none() {
        return Err(if only_hash { ContractError::HashUnchanged } else { ContractError::NothingToUpdate });
    }
    if let Some(h) = new_hash {
        d.hash = h;
    }
    if let Some(a) = new_auto_match {
        d.auto_match = a;
    }
    deployments().save(deps.storage, id.storage_key(), &d)?;
    Ok(Response::new().add_attribute("action", "update_deployment").add_event(
        events::deployment("deployment-updated", &id)
            .add_attribute("hash", d.hash.to_hex())
            .add_attribute("auto_match", d.auto_match.to_string()),
    ))
}

/// The tenant excludes a provider from its deployment (see [`crate::exclusion`]).
pub fn exclude_provider(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    dseq: u64,
    provider: String,
) -> Result<Response, ContractError> {
    nonpayable(&info, "exclude_provider")?;
    let provider = valid_provider(&deps, provider)?;
    let id = DeploymentId::new(info.sender.as_str(), dseq);
    let mut d = load_active_deployment(deps.storage, &id)?;
    let mut fx = Effects::default();
    exclusion::exclude(deps.storage, &mut d, &provider, "tenant", env.block.height, &mut fx)?;
    fx.into_response(deps.storage, "exclude_provider")
}

/// The tenant lifts an exclusion.
pub fn readmit_provider(
    deps: DepsMut,
    info: MessageInfo,
    dseq: u64,
    provider: String,
) -> Result<Response, ContractError> {
    nonpayable(&info, "readmit_provider")?;
    let provider = valid_provider(&deps, provider)?;
    let id = DeploymentId::new(info.sender.as_str(), dseq);
    let mut d = load_active_deployment(deps.storage, &id)?;
    exclusion::readmit(deps.storage, &mut d, &provider)?;
    let mut fx = Effects::default();
    fx.event(events::exclusion("provider-readmitted", &id, &provider, "tenant"));
    fx.into_response(deps.storage, "readmit_provider")
}

fn valid_provider(deps: &DepsMut, provider: String) -> Result<String, ContractError> {
    deps.api
        .addr_validate(&provider)
        .map(|a| a.to_string())
        .map_err(|_| ContractError::InvalidAddress { field: "provider".into(), address: provider })
}

/// Closes the group's current order and sets the group to `state`.
fn end_group_order(
    store: &mut dyn Storage,
    group: &mut Group,
    state: GroupState,
    why: OrderCloseReason,
    height: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    let escrow = ESCROW.load(store)?;
    if group.last_oseq > 0 {
        let order = load_order(store, &group.id.order(group.last_oseq))?;
        close_order(store, &escrow, order, why, LeaseEnd::closed(LeaseCloseReason::Owner), height, fx)?;
    }
    group.state = state;
    GROUPS.save(store, &group.id.storage_key(), group)?;
    Ok(())
}

pub fn close(deps: DepsMut, env: Env, info: MessageInfo, dseq: u64) -> Result<Response, ContractError> {
    nonpayable(&info, "close_deployment")?;
    let id = DeploymentId::new(info.sender.as_str(), dseq);
    let mut d = load_active_deployment(deps.storage, &id)?;
    let height = env.block.height;
    // Each order's open bids are refunded by a call of the market to itself (one response per
    // order), so even 20 full orders close in one transaction.
    let mut fx = Effects::deferring_bid_refunds(env.contract.address.clone());
    for gseq in 1..=d.groups {
        let mut group = load_group(deps.storage, &id.group(gseq))?;
        if group.state == GroupState::Closed {
            continue;
        }
        end_group_order(
            deps.storage,
            &mut group,
            GroupState::Closed,
            OrderCloseReason::DeploymentClosed,
            height,
            &mut fx,
        )?;
        fx.event(
            events::group("group-closed", &group.id)
                .add_attribute("reason", "deployment_closed")
                .add_attribute("state", "closed"),
        );
    }
    d.state = DeploymentState::Closed;
    d.closed_at = Some(height);
    deployments().save(deps.storage, id.storage_key(), &d)?;
    let escrow = ESCROW.load(deps.storage)?;
    fx.msg(escrow_msgs::close_account(&escrow, AccountId::deployment(&id))?);
    fx.event(events::deployment("deployment-closed", &id));
    fx.into_response(deps.storage, "close_deployment")
}

/// Loads a group of the sender's active deployment.
fn owned_group(store: &dyn Storage, info: &MessageInfo, dseq: u64, gseq: u32) -> Result<Group, ContractError> {
    let id = GroupId { owner: info.sender.to_string(), dseq, gseq };
    load_active_deployment(store, &id.deployment())?;
    load_group(store, &id)
}

fn invalid_state(group: &Group, action: &'static str) -> ContractError {
    ContractError::InvalidGroupState { id: group.id.to_string(), state: state_name(&group.state), action }
}

/// The two ways a tenant ends a group's current order: pause (restartable) or close (final).
#[derive(Clone, Copy)]
pub enum GroupEnd {
    Pause,
    Close,
}

pub fn end_group(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    dseq: u64,
    gseq: u32,
    how: GroupEnd,
) -> Result<Response, ContractError> {
    let (action, state, why, event) = match how {
        GroupEnd::Pause => ("pause_group", GroupState::Paused, OrderCloseReason::GroupPaused, "group-paused"),
        GroupEnd::Close => ("close_group", GroupState::Closed, OrderCloseReason::GroupClosed, "group-closed"),
    };
    nonpayable(&info, action)?;
    let mut group = owned_group(deps.storage, &info, dseq, gseq)?;
    // Pause needs an open group; close needs anything but closed.
    let refused = match how {
        GroupEnd::Pause => group.state != GroupState::Open,
        GroupEnd::Close => group.state == GroupState::Closed,
    };
    if refused {
        return Err(invalid_state(&group, action));
    }
    let mut fx = Effects::default();
    end_group_order(deps.storage, &mut group, state, why, env.block.height, &mut fx)?;
    fx.event(
        events::group(event, &group.id).add_attribute("reason", "owner").add_attribute("state", state_name(&state)),
    );
    fx.into_response(deps.storage, action)
}

pub fn start_group(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    dseq: u64,
    gseq: u32,
) -> Result<Response, ContractError> {
    nonpayable(&info, "start_group")?;
    let mut group = owned_group(deps.storage, &info, dseq, gseq)?;
    if !matches!(group.state, GroupState::Paused | GroupState::InsufficientFunds) {
        return Err(invalid_state(&group, "start_group"));
    }
    // An overdrawn account cannot fund a lease: relisting would only draw bids that can never win.
    let escrow = ESCROW.load(deps.storage)?;
    let account_id = AccountId::deployment(&group.id.deployment());
    let account: AccountResponse =
        deps.querier.query_wasm_smart(&escrow, &EscrowQuery::Account { id: account_id.clone() })?;
    if account.account.state != AccountState::Open || account.overdrawn_now {
        return Err(ContractError::EscrowOverdrawn { id: group.id.deployment().to_string() });
    }
    let params = PARAMS.load(deps.storage)?;
    let mut fx = Effects::default();
    group.state = GroupState::Open;
    fx.event(events::group("group-started", &group.id));
    open_order(deps.storage, &mut group, &params, env.block.height, &mut fx)?;
    GROUPS.save(deps.storage, &group.id.storage_key(), &group)?;
    fx.into_response(deps.storage, "start_group")
}
