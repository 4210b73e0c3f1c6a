//! `cosmos.bank.v1beta1.Query/{Balance, AllBalances}`.

use crate::query::limits::QueryClass;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use leasehold_grpc_router::Router;
use tonic::Status;

use crate::query::{Services, blocking};
use crate::tx::msgs::coins_to_proto;

pub fn register(r: &mut Router, s: &Services) {
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.bank.v1beta1.Query/Balance", move |req: QueryBalanceRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            if req.address.is_empty() {
                return Err(Status::invalid_argument("invalid address: empty address string is not allowed"));
            }
            if leasehold_wasm_host::bank::validate_denom(&req.denom).is_err() {
                return Err(Status::invalid_argument(format!("invalid denom: {}", req.denom)));
            }
            let amount = view
                .balance(&req.address, &req.denom)
                .map_err(|e| Status::invalid_argument(format!("invalid address: {e}")))?;
            Ok(QueryBalanceResponse { balance: Some(Coin { denom: req.denom, amount: amount.to_string() }) })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.bank.v1beta1.Query/AllBalances", move |req: QueryAllBalancesRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            if req.address.is_empty() {
                return Err(Status::invalid_argument("invalid address: empty address string is not allowed"));
            }
            let coins = view
                .all_balances(&req.address)
                .map_err(|e| Status::invalid_argument(format!("invalid address: {e}")))?;
            let total = coins.len() as u64;
            Ok(QueryAllBalancesResponse {
                balances: coins_to_proto(&coins),
                pagination: Some(PageResponse { next_key: vec![], total }),
            })
        })
    });
}
