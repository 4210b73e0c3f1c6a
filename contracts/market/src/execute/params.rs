//! Governance: parameter changes.

use cosmwasm_std::{DepsMut, Event, MessageInfo, Response, to_json_string};
use leasehold_types::market::MarketParams;

use crate::error::ContractError;
use crate::state::{ADMIN, PARAMS};
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
