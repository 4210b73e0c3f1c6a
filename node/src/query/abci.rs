//! ABCI `Query` — what CometBFT's `abci_query` and the ABCI socket answer: a gRPC method path
//! (`/cosmos.bank.v1beta1.Query/Balance`, ...) with protobuf request bytes, served by the same
//! [`Router`] as gRPC, from the last committed state, in the Cosmos SDK's result shape: the
//! height the answer is from (CosmJS refuses a zero height), and gRPC failures turned into SDK
//! codes with the SDK's `rpc error: code = ... desc = ...` log (CosmJS reads "NotFound" there to
//! tell a missing account from a failure).

use leasehold_grpc_router::Router;
use tonic::{Code, Status};

use crate::app::ChainView;

/// An ABCI query's answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryAnswer {
    /// 0 on success, else an SDK error code in `codespace`.
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub value: Vec<u8>,
    /// The committed height the answer reflects.
    pub height: u64,
}

/// Answers `path` with `data` at `height` (0: the latest). Only the latest committed state is
/// kept, so any other height is refused.
pub async fn query(router: &Router, view: &ChainView, path: &str, data: Vec<u8>, height: u64) -> QueryAnswer {
    let latest = view.status().height;
    let refuse =
        |code: u32, log: String| QueryAnswer { code, codespace: "sdk".into(), log, value: vec![], height: latest };
    if height > latest {
        return refuse(
            18,
            "cannot query with height in the future; please provide a valid height: invalid request".into(),
        );
    }
    if height != 0 && height != latest {
        return refuse(
            18,
            format!("this node keeps only the latest state (height {latest}), not height {height}: invalid request"),
        );
    }
    if !router.paths().any(|p| p == path) {
        return refuse(6, format!("unknown query path: {path}: unknown request"));
    }
    match router.call(path, data).await {
        Ok(value) => QueryAnswer { value, height: latest, ..Default::default() },
        Err(status) => {
            let (code, reason) = sdk_error(&status);
            refuse(code, format!("rpc error: code = {:?} desc = {}: {reason}", status.code(), status.message()))
        }
    }
}

/// The SDK error a gRPC status becomes in an ABCI query (baseapp's `gRPCErrorToSDKError`).
fn sdk_error(status: &Status) -> (u32, &'static str) {
    match status.code() {
        Code::NotFound => (22, "key not found"),
        Code::InvalidArgument | Code::FailedPrecondition => (18, "invalid request"),
        Code::Unauthenticated => (4, "unauthorized"),
        _ => (6, "unknown request"),
    }
}
