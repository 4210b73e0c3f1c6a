//! A small contract that drives the market on behalf of its users — proof that other programs
//! can create deployments and accept bids. It funds deployments from its own balance, accepts
//! the cheapest open bid of an order, and closes its deployments.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::HexBinary;
use cosmwasm_std::{
    Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError, StdResult, WasmMsg, to_json_binary,
};
use cw_multi_test::{Contract, ContractWrapper};
use cw_storage_plus::Item;
use leasehold_types::ids::OrderId;
use leasehold_types::market::{BidState, BidsResponse, ExecuteMsg as MarketMsg, QueryMsg as MarketQuery};
use leasehold_types::resources::GroupSpec;

const MARKET: Item<Addr> = Item::new("market");

#[cw_serde]
pub struct InstantiateMsg {
    pub market: String,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Creates a deployment owned by this contract, forwarding the attached deposit.
    Deploy { dseq: u64, hash: HexBinary, groups: Vec<GroupSpec> },
    /// Accepts the cheapest open bid of one of this contract's orders.
    AcceptCheapest { order: OrderId },
    /// Closes one of this contract's deployments.
    Close { dseq: u64 },
}

fn instantiate(deps: DepsMut, _env: Env, _info: MessageInfo, msg: InstantiateMsg) -> StdResult<Response> {
    MARKET.save(deps.storage, &deps.api.addr_validate(&msg.market)?)?;
    Ok(Response::new())
}

fn execute(deps: DepsMut, _env: Env, info: MessageInfo, msg: ExecuteMsg) -> StdResult<Response> {
    let market = MARKET.load(deps.storage)?;
    let call = |msg: &MarketMsg, funds| -> StdResult<WasmMsg> {
        Ok(WasmMsg::Execute { contract_addr: market.to_string(), msg: to_json_binary(msg)?, funds })
    };
    let wasm = match msg {
        ExecuteMsg::Deploy { dseq, hash, groups } => {
            call(&MarketMsg::CreateDeployment { dseq, hash, groups, auto_match: false }, info.funds)?
        }
        ExecuteMsg::AcceptCheapest { order } => {
            let bids: BidsResponse = deps.querier.query_wasm_smart(
                &market,
                &MarketQuery::Bids {
                    order: Some(order),
                    provider: None,
                    state: Some(BidState::Open),
                    start_after: None,
                    limit: None,
                },
            )?;
            let best = bids
                .bids
                .into_iter()
                .min_by(|a, b| a.price.amount.cmp(&b.price.amount))
                .ok_or_else(|| StdError::msg("no open bid"))?;
            call(&MarketMsg::CreateLease { bid: best.id }, vec![])?
        }
        ExecuteMsg::Close { dseq } => call(&MarketMsg::CloseDeployment { dseq }, vec![])?,
    };
    Ok(Response::new().add_message(wasm))
}

fn query(_deps: Deps, _env: Env, _msg: Empty) -> StdResult<Binary> {
    to_json_binary(&Empty {})
}

pub fn dapp_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(execute, instantiate, query))
}
