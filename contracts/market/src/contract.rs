//! Entry points and dispatch.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Binary, Deps, DepsMut, Env, Event, MessageInfo, Reply, Response, StdError, SubMsg, SubMsgResult, WasmMsg,
    to_json_binary,
};
use leasehold_types::market::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use leasehold_types::{escrow, provider};

use crate::error::ContractError;
use crate::state::{ADMIN, ESCROW, PARAMS, REGISTRY};
use crate::{execute, query};
use leasehold_types::funds::nonpayable;

pub const CONTRACT_NAME: &str = "crates.io:leasehold-market";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Reply ids of the two sub-contract instantiations.
pub const REPLY_ESCROW: u64 = 1;
pub const REPLY_REGISTRY: u64 = 2;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(deps: DepsMut, env: Env, info: MessageInfo, msg: InstantiateMsg) -> Result<Response, ContractError> {
    nonpayable(&info, "instantiate")?;
    msg.params.validate()?;
    let admin = msg.admin.as_deref().map(|a| deps.api.addr_validate(a)).transpose()?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    ADMIN.save(deps.storage, &admin)?;
    PARAMS.save(deps.storage, &msg.params)?;

    // The sub-contracts are migratable by the same governance admin (or by nobody).
    let wasm_admin = admin.as_ref().map(|a| a.to_string());
    let escrow_init = escrow::InstantiateMsg { admin: msg.admin.clone(), params: msg.escrow_params, market: None };
    let registry_init = provider::InstantiateMsg { market: None };
    let escrow_msg = WasmMsg::Instantiate {
        admin: wasm_admin.clone(),
        code_id: msg.escrow_code_id,
        msg: to_json_binary(&escrow_init)?,
        funds: vec![],
        label: "leasehold-escrow".into(),
    };
    let registry_msg = WasmMsg::Instantiate {
        admin: wasm_admin,
        code_id: msg.provider_code_id,
        msg: to_json_binary(&registry_init)?,
        funds: vec![],
        label: "leasehold-provider".into(),
    };
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("market", env.contract.address)
        .add_submessage(SubMsg::reply_on_success(escrow_msg, REPLY_ESCROW))
        .add_submessage(SubMsg::reply_on_success(registry_msg, REPLY_REGISTRY)))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> Result<Response, ContractError> {
    use execute::deployment::GroupEnd;
    use execute::{bidding, deployment, hooks, params};
    match msg {
        ExecuteMsg::CreateDeployment { dseq, hash, groups, auto_match } => {
            deployment::create(deps, env, info, dseq, hash, groups, auto_match)
        }
        ExecuteMsg::UpdateDeployment { dseq, hash, auto_match } => {
            deployment::update(deps, info, dseq, hash, auto_match)
        }
        ExecuteMsg::ExcludeProvider { dseq, provider } => deployment::exclude_provider(deps, env, info, dseq, provider),
        ExecuteMsg::ReadmitProvider { dseq, provider } => deployment::readmit_provider(deps, info, dseq, provider),
        ExecuteMsg::CloseDeployment { dseq } => deployment::close(deps, env, info, dseq),
        ExecuteMsg::PauseGroup { dseq, gseq } => deployment::end_group(deps, env, info, dseq, gseq, GroupEnd::Pause),
        ExecuteMsg::StartGroup { dseq, gseq } => deployment::start_group(deps, env, info, dseq, gseq),
        ExecuteMsg::CloseGroup { dseq, gseq } => deployment::end_group(deps, env, info, dseq, gseq, GroupEnd::Close),
        ExecuteMsg::CreateBid { order, price } => bidding::create_bid(deps, env, info, order, price),
        ExecuteMsg::CloseBid { bid } => bidding::close_bid(deps, env, info, bid),
        ExecuteMsg::RejectBid { bid } => bidding::reject_bid(deps, env, info, bid),
        ExecuteMsg::CreateLease { bid } => bidding::create_lease(deps, env, info, bid),
        ExecuteMsg::CloseLease { lease, reason } => bidding::close_lease(deps, env, info, lease, reason),
        ExecuteMsg::MatchOrder { order } => bidding::match_order(deps, env, info, order),
        ExecuteMsg::CloseExpiredOrder { order } => bidding::close_expired_order(deps, env, info, order),
        ExecuteMsg::EscrowHook(hook) => hooks::escrow_hook(deps, env, info, hook),
        ExecuteMsg::RefundBids { order } => bidding::refund_bids(deps, env, info, order),
        ExecuteMsg::UpdateParams { params: p } => params::update(deps, info, p),
        ExecuteMsg::ProposeAdmin { admin } => params::propose_admin(deps, info, admin),
        ExecuteMsg::AcceptAdmin {} => params::accept_admin(deps, info),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, reply: Reply) -> Result<Response, ContractError> {
    let SubMsgResult::Ok(response) = &reply.result else {
        // Only `reply_on_success` submessages are sent; an error never reaches here.
        return Err(StdError::msg("sub-contract instantiation failed").into());
    };
    let address = response
        .events
        .iter()
        .filter(|e| e.ty == "instantiate")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == "_contract_address")
        .map(|a| a.value.clone())
        .or_else(|| response.msg_responses.first().and_then(|r| instantiate_response_address(&r.value)))
        .ok_or(ContractError::MissingContractAddress)?;
    let address = deps.api.addr_validate(&address)?;
    let role = match reply.id {
        REPLY_ESCROW => {
            ESCROW.save(deps.storage, &address)?;
            "escrow"
        }
        REPLY_REGISTRY => {
            REGISTRY.save(deps.storage, &address)?;
            "provider_registry"
        }
        id => return Err(ContractError::UnknownReply { id }),
    };
    Ok(Response::new()
        .add_attribute("action", "reply")
        .add_event(Event::new("market-contract-linked").add_attribute("role", role).add_attribute("address", address)))
}

/// Reads field 1 (`address`, a string) of a protobuf `MsgInstantiateContractResponse`.
fn instantiate_response_address(bytes: &[u8]) -> Option<String> {
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x0a {
        return None;
    }
    let mut len = 0usize;
    let mut shift = 0u32;
    let mut i = 0usize;
    loop {
        let b = *rest.get(i)?;
        len |= usize::from(b & 0x7f).checked_shl(shift)?;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
    }
    let s = rest.get(i..i.checked_add(len)?)?;
    String::from_utf8(s.to_vec()).ok()
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    query::dispatch(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    // Refuses another contract's state and downgrades.
    let from = cw2::ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_instantiate_response_address() {
        let addr = "lease1contract";
        let mut bytes = vec![0x0a, addr.len() as u8];
        bytes.extend_from_slice(addr.as_bytes());
        bytes.extend_from_slice(&[0x12, 0x00]);
        assert_eq!(instantiate_response_address(&bytes).as_deref(), Some(addr));
        assert_eq!(instantiate_response_address(&[0x0a, 0x05, b'a']), None);
        assert_eq!(instantiate_response_address(&[]), None);
    }
}
