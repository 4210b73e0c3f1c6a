//! The query and broadcast services, registered by method path on one
//! [`leasehold_grpc_router::Router`] so gRPC (:9090) and ABCI `Query` answer the same way:
//! `cosmos.auth.v1beta1.Query` ([`auth`]), `cosmos.bank.v1beta1.Query` ([`bank`]),
//! `cosmwasm.wasm.v1.Query` ([`wasm`]), `cosmos.tx.v1beta1.Service` ([`tx`]),
//! `cosmos.base.tendermint.v1beta1.Service` ([`tendermint`]) and the block limits
//! (`cosmos.consensus.v1.Query/Params`, `cosmos.params.v1beta1.Query/Params`: [`consensus`]). Every handler reads committed
//! state through a [`ChainView`] on a blocking thread. Errors use the gRPC codes the Cosmos SDK
//! returns (e.g. `NotFound` for an unknown account), so cosmrs/CosmJS clients behave as usual.

// tonic::Status is large, and every handler here returns it (as tonic services do).
#![allow(clippy::result_large_err)]

pub mod abci;
pub mod auth;
pub mod bank;
pub mod consensus;
pub mod events;
pub mod limits;
pub mod tendermint;
pub mod tx;
pub mod wasm;

use std::sync::Arc;

use leasehold_grpc_router::Router;
use tonic::Status;

use crate::app::ChainView;
use crate::app::exec::TxOutcome;
use crate::dev::ProducerHandle;
use crate::error::NodeError;
use crate::query::limits::{QueryClass, QueryLimits, Refused};

/// Where broadcast txs go: the embedded producer's mempool (dev mode) or, later, CometBFT.
pub trait TxBroadcaster: Send + Sync + 'static {
    /// Runs CheckTx and returns its outcome.
    fn broadcast_sync(&self, tx: Vec<u8>) -> Result<TxOutcome, NodeError>;
    /// Queues the tx without waiting for CheckTx.
    fn broadcast_async(&self, tx: Vec<u8>) -> Result<(), NodeError>;
}

impl TxBroadcaster for ProducerHandle {
    fn broadcast_sync(&self, tx: Vec<u8>) -> Result<TxOutcome, NodeError> {
        ProducerHandle::broadcast_sync(self, tx)
    }

    fn broadcast_async(&self, tx: Vec<u8>) -> Result<(), NodeError> {
        ProducerHandle::broadcast_async(self, tx)
    }
}

/// Node facts the services report (`GetNodeInfo`).
#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub moniker: String,
    /// Hex node id.
    pub node_id: String,
    pub grpc_address: String,
}

/// Everything the services share.
#[derive(Clone)]
pub struct Services {
    pub view: ChainView,
    pub broadcaster: Arc<dyn TxBroadcaster>,
    pub node: NodeInfo,
    /// Shared with the JSON-RPC server.
    pub limits: Arc<QueryLimits>,
}

/// Runs `f` on a blocking thread (contract code and database reads must not block the
/// async runtime) under a permit of `class` ([`limits`]).
pub(crate) async fn blocking<T: Send + 'static>(
    limits: Arc<QueryLimits>,
    class: QueryClass,
    f: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    limits.run(class, f).await.map_err(refused)?
}

/// The gRPC status of a refused query: `ResourceExhausted` when busy (retry later),
/// `DeadlineExceeded` after the run timeout.
pub(crate) fn refused(r: Refused) -> Status {
    match r {
        Refused::Busy { .. } | Refused::QueueTimeout { .. } => Status::resource_exhausted(r.to_string()),
        Refused::RunTimeout { .. } => Status::deadline_exceeded(r.to_string()),
        Refused::Failed(_) => Status::internal(r.to_string()),
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Status {
    Status::internal(e.to_string())
}

/// The router with every service registered.
pub fn router(services: Services) -> Router {
    let mut r = Router::new();
    auth::register(&mut r, &services);
    bank::register(&mut r, &services);
    wasm::register(&mut r, &services);
    tx::register(&mut r, &services);
    tendermint::register(&mut r, &services);
    consensus::register(&mut r, &services);
    r
}
