//! `cosmos.auth.v1beta1.Query/Account`.

use crate::query::limits::QueryClass;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{QueryAccountRequest, QueryAccountResponse};
use leasehold_grpc_router::Router;
use tonic::Status;

use crate::error::TxError;
use crate::query::{Services, blocking};

pub fn register(r: &mut Router, s: &Services) {
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.auth.v1beta1.Query/Account", move |req: QueryAccountRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            if req.address.is_empty() {
                return Err(Status::invalid_argument("Address cannot be empty"));
            }
            match view.account(&req.address) {
                Ok(Some(account)) => Ok(QueryAccountResponse { account: Some(account.to_any()) }),
                Ok(None) => Err(Status::not_found(format!("account {} not found", req.address))),
                Err(TxError::InvalidAddress(e)) => Err(Status::invalid_argument(format!("invalid address: {e}"))),
                Err(e) => Err(Status::internal(e.to_string())),
            }
        })
    });
}
