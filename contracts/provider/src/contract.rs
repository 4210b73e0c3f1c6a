//! Entry points and dispatch.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, to_json_binary};

use leasehold_types::funds::nonpayable;

use crate::error::ContractError;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::MARKET;
use crate::{execute, query};

/// cw2 contract name.
pub const CONTRACT_NAME: &str = "crates.io:leasehold-provider";
/// cw2 contract version.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info, "instantiate")?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let market = match msg.market {
        Some(market) => deps.api.addr_validate(&market)?,
        None => info.sender,
    };
    MARKET.save(deps.storage, &market)?;
    Ok(Response::new().add_attribute("action", "instantiate").add_attribute("market", market))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> Result<Response, ContractError> {
    // Nothing in this contract is payable: funds sent here would be locked for good.
    let action = match &msg {
        ExecuteMsg::Register { .. } => "register",
        ExecuteMsg::Update { .. } => "update",
        ExecuteMsg::Delete {} => "delete",
        ExecuteMsg::SignAttributes { .. } => "sign_attributes",
        ExecuteMsg::DeleteAttributes { .. } => "delete_attributes",
    };
    nonpayable(&info, action)?;
    match msg {
        ExecuteMsg::Register { host_uri, attributes, info: contact } => {
            execute::register(deps, env, info, host_uri, attributes, contact)
        }
        ExecuteMsg::Update { host_uri, attributes, info: contact } => {
            execute::update(deps, info, host_uri, attributes, contact)
        }
        ExecuteMsg::Delete {} => execute::delete(deps, info),
        ExecuteMsg::SignAttributes { owner, attributes } => execute::sign_attributes(deps, info, owner, attributes),
        ExecuteMsg::DeleteAttributes { owner, keys } => execute::delete_attributes(deps, info, owner, keys),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Provider { owner } => to_json_binary(&query::provider(deps, owner)?)?,
        QueryMsg::Providers { attribute, start_after, limit } => {
            to_json_binary(&query::providers(deps, attribute, start_after, limit)?)?
        }
        QueryMsg::AuditedAttributes { owner, start_after, limit } => {
            to_json_binary(&query::audited_attributes(deps, owner, start_after, limit)?)?
        }
        QueryMsg::AuditorAttributes { owner, auditor } => {
            to_json_binary(&query::auditor_attributes(deps, owner, auditor)?)?
        }
    })
}

/// Accepts the same or a newer version of this contract; refuses a downgrade and a different
/// contract (cw2 check). No state layout change so far.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = cw2::ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}
