//! `cosmos.base.tendermint.v1beta1.Service`: GetLatestBlock, GetBlockByHeight, GetNodeInfo,
//! GetSyncing.

use crate::query::limits::QueryClass;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tm;
use leasehold_grpc_router::Router;
use leasehold_wasm_host::Bech32Api;
use tendermint_proto::p2p::{DefaultNodeInfo, DefaultNodeInfoOther, ProtocolVersion};
use tendermint_proto::types::{Block, Data, EvidenceList};
use tonic::Status;

use crate::app::BECH32_PREFIX;
use crate::blockstore::StoredBlock;
use crate::query::{NodeInfo, Services, blocking, internal};

/// The CometBFT version whose RPC and block formats the node reproduces.
pub const COMETBFT_VERSION: &str = "0.38.17";

/// A stored block as CometBFT's `Block`.
pub fn tm_block(b: &StoredBlock) -> Block {
    Block {
        header: b.header.clone(),
        data: Some(Data { txs: b.txs.clone() }),
        evidence: Some(EvidenceList { evidence: vec![] }),
        last_commit: None,
    }
}

/// The SDK's `sdk_block`: the header with the proposer as a bech32 `valcons` address.
fn sdk_block(b: &StoredBlock) -> tm::Block {
    let h = b.header.clone().unwrap_or_default();
    let valcons = Bech32Api::new(&format!("{BECH32_PREFIX}valcons"))
        .ok()
        .and_then(|api| api.humanize(&h.proposer_address).ok())
        .unwrap_or_default();
    tm::Block {
        header: Some(tm::Header {
            version: h.version,
            chain_id: h.chain_id,
            height: h.height,
            time: h.time,
            last_block_id: h.last_block_id,
            last_commit_hash: h.last_commit_hash,
            data_hash: h.data_hash,
            validators_hash: h.validators_hash,
            next_validators_hash: h.next_validators_hash,
            consensus_hash: h.consensus_hash,
            app_hash: h.app_hash,
            last_results_hash: h.last_results_hash,
            evidence_hash: h.evidence_hash,
            proposer_address: valcons,
        }),
        data: Some(Data { txs: b.txs.clone() }),
        evidence: Some(EvidenceList { evidence: vec![] }),
        last_commit: None,
    }
}

fn node_info(info: &NodeInfo, chain_id: &str) -> tm::GetNodeInfoResponse {
    tm::GetNodeInfoResponse {
        default_node_info: Some(DefaultNodeInfo {
            protocol_version: Some(ProtocolVersion { p2p: 8, block: 11, app: 0 }),
            default_node_id: info.node_id.clone(),
            listen_addr: String::new(),
            network: chain_id.to_string(),
            version: COMETBFT_VERSION.into(),
            channels: vec![],
            moniker: info.moniker.clone(),
            other: Some(DefaultNodeInfoOther { tx_index: "on".into(), rpc_address: String::new() }),
        }),
        application_version: Some(tm::VersionInfo {
            name: "leasehold".into(),
            app_name: "leaseholdd".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: String::new(),
            build_tags: "dev".into(),
            go_version: "rust".into(),
            build_deps: vec![],
            cosmos_sdk_version: "leasehold (Cosmos SDK v0.50 compatible API)".into(),
        }),
    }
}

fn by_height(view: &crate::app::ChainView, height: u64) -> Result<(StoredBlock, u64), Status> {
    let latest = view.status().height;
    if height == 0 || height > latest {
        return Err(Status::invalid_argument(format!(
            "requested block height {height} is bigger then the chain length {latest}"
        )));
    }
    let b =
        view.block(height).map_err(internal)?.ok_or_else(|| Status::not_found(format!("block {height} not found")))?;
    Ok((b, latest))
}

pub fn register(r: &mut Router, s: &Services) {
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock", move |_: tm::GetLatestBlockRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            let (b, _) = by_height(&view, view.status().height)?;
            #[allow(deprecated)]
            Ok(tm::GetLatestBlockResponse {
                block_id: b.block_id.clone(),
                block: Some(tm_block(&b)),
                sdk_block: Some(sdk_block(&b)),
            })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto(
        "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
        move |req: tm::GetBlockByHeightRequest| {
            let view = view.clone();
            let limits = limits.clone();
            blocking(limits, QueryClass::Read, move || {
                let height = u64::try_from(req.height).map_err(|_| Status::invalid_argument("negative height"))?;
                let (b, _) = by_height(&view, height)?;
                #[allow(deprecated)]
                Ok(tm::GetBlockByHeightResponse {
                    block_id: b.block_id.clone(),
                    block: Some(tm_block(&b)),
                    sdk_block: Some(sdk_block(&b)),
                })
            })
        },
    );
    let view = s.view.clone();
    let info = s.node.clone();
    r.route_proto("/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo", move |_: tm::GetNodeInfoRequest| {
        let (view, info) = (view.clone(), info.clone());
        async move { Ok(node_info(&info, view.status().chain_id())) }
    });
    r.route_proto("/cosmos.base.tendermint.v1beta1.Service/GetSyncing", move |_: tm::GetSyncingRequest| async move {
        Ok(tm::GetSyncingResponse { syncing: false })
    });
}
