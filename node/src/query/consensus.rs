//! The chain's block limits, where clients look for them before they send: the Cosmos SDK's
//! `cosmos.consensus.v1.Query/Params` (stock cosmpy asks it for `block.max_gas` before every
//! send) and the legacy `cosmos.params.v1beta1.Query/Params` for the `baseapp` subspace's
//! `BlockParams` (cosmpy's fallback). Both answer the limits the node enforces.

use crate::query::limits::QueryClass;
use cosmos_sdk_proto::cosmos::params::v1beta1::{ParamChange, QueryParamsRequest, QueryParamsResponse};
use leasehold_grpc_router::Router;
use tendermint_proto::v0_38::types::{
    AbciParams, BlockParams, ConsensusParams, EvidenceParams, ValidatorParams, VersionParams,
};
use tonic::Status;

use crate::app::params::BlockParams as ChainBlockParams;
use crate::query::{Services, blocking};

/// `cosmos.consensus.v1.QueryParamsRequest` (cosmos-sdk-proto 0.27 does not export the module).
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryConsensusParamsRequest {}

/// `cosmos.consensus.v1.QueryParamsResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryConsensusParamsResponse {
    #[prost(message, optional, tag = "1")]
    pub params: Option<ConsensusParams>,
}

/// The consensus params with the chain's block limits and CometBFT's defaults for the rest.
pub fn consensus_params(block: &ChainBlockParams) -> ConsensusParams {
    ConsensusParams {
        block: Some(BlockParams { max_bytes: block.max_bytes_i64(), max_gas: block.max_gas_i64() }),
        evidence: Some(EvidenceParams {
            max_age_num_blocks: 100_000,
            max_age_duration: Some(tendermint_proto::google::protobuf::Duration { seconds: 172_800, nanos: 0 }),
            max_bytes: 1_048_576,
        }),
        validator: Some(ValidatorParams { pub_key_types: vec!["ed25519".into()] }),
        version: Some(VersionParams { app: 0 }),
        abci: Some(AbciParams { vote_extensions_enable_height: 0 }),
    }
}

pub fn register(r: &mut Router, s: &Services) {
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.consensus.v1.Query/Params", move |_: QueryConsensusParamsRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            let params = view.status().params.ok_or_else(|| Status::unavailable("the chain has no genesis yet"))?;
            Ok(QueryConsensusParamsResponse { params: Some(consensus_params(&params.block)) })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.params.v1beta1.Query/Params", move |req: QueryParamsRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            let params = view.status().params.ok_or_else(|| Status::unavailable("the chain has no genesis yet"))?;
            if (req.subspace.as_str(), req.key.as_str()) != ("baseapp", "BlockParams") {
                return Err(Status::not_found(format!(
                    "parameter {}/{} not found: this chain serves baseapp/BlockParams only",
                    req.subspace, req.key
                )));
            }
            // The SDK's amino JSON of BlockParams: int64 fields as strings.
            let value = serde_json::json!({
                "max_bytes": params.block.max_bytes_i64().to_string(),
                "max_gas": params.block.max_gas_i64().to_string(),
            })
            .to_string();
            Ok(QueryParamsResponse { param: Some(ParamChange { subspace: req.subspace, key: req.key, value }) })
        })
    });
}
