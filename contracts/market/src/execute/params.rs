//! Governance: parameter changes and the two-step admin transfer.

use cosmwasm_std::{DepsMut, Event, MessageInfo, Response, to_json_string};
use leasehold_types::market::MarketParams;

use crate::error::ContractError;
use crate::state::{ADMIN, PARAMS, PENDING_ADMIN};
use leasehold_types::funds::nonpayable;

pub fn update(deps: DepsMut, info: MessageInfo, params: MarketParams) -> Result<Response, ContractError> {
    nonpayable(&info, "update_params")?;
    let admin = ADMIN.load(deps.storage)?;
    if admin.as_ref() != Some(&info.sender) {
        return Err(ContractError::Unauthorized { action: "update params", sender: info.sender.to_string() });
    }
    params.validate()?;
    PARAMS.save(deps.storage, &params)?;
    Ok(Response::new()
        .add_attribute("action", "update_params")
        .add_event(Event::new("market-params-updated").add_attribute("params", to_json_string(&params)?)))
}

/// The admin proposes its successor; nothing changes until the successor accepts, so a mistyped
/// address cannot orphan the market.
pub fn propose_admin(deps: DepsMut, info: MessageInfo, proposed: String) -> Result<Response, ContractError> {
    nonpayable(&info, "propose_admin")?;
    let admin = ADMIN.load(deps.storage)?;
    if admin.as_ref() != Some(&info.sender) {
        return Err(ContractError::Unauthorized { action: "propose an admin", sender: info.sender.to_string() });
    }
    let proposed = deps
        .api
        .addr_validate(&proposed)
        .map_err(|_| ContractError::InvalidAddress { field: "admin".into(), address: proposed })?;
    PENDING_ADMIN.save(deps.storage, &proposed)?;
    Ok(Response::new().add_attribute("action", "propose_admin").add_event(
        Event::new("market-admin-proposed")
            .add_attribute("admin", info.sender.as_str())
            .add_attribute("proposed", proposed.as_str()),
    ))
}

/// The proposed admin takes over.
pub fn accept_admin(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    nonpayable(&info, "accept_admin")?;
    let pending = PENDING_ADMIN.may_load(deps.storage)?.ok_or(ContractError::NoPendingAdmin)?;
    if pending != info.sender {
        return Err(ContractError::Unauthorized { action: "accept the admin role", sender: info.sender.to_string() });
    }
    let previous = ADMIN.load(deps.storage)?;
    ADMIN.save(deps.storage, &Some(pending.clone()))?;
    PENDING_ADMIN.remove(deps.storage);
    Ok(Response::new().add_attribute("action", "accept_admin").add_event(
        Event::new("market-admin-accepted")
            .add_attribute("previous", previous.map(|a| a.to_string()).unwrap_or_default())
            .add_attribute("admin", pending.as_str()),
    ))
}
