//! `cosmos.tx.v1beta1.Service`: BroadcastTx (SYNC/ASYNC), Simulate, GetTx, GetTxsEvent,
//! GetBlockWithTxs, answered from the node's block store as the SDK answers them from
//! CometBFT.

use crate::query::limits::QueryClass;
use crate::store::{EventPage, EventSearch};
use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult, TxResponse};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, BroadcastMode, BroadcastTxRequest, BroadcastTxResponse, GetBlockWithTxsRequest, GetBlockWithTxsResponse,
    GetTxRequest, GetTxResponse, GetTxsEventRequest, GetTxsEventResponse, OrderBy, SimulateRequest, SimulateResponse,
    Tx, TxBody, TxRaw,
};
use leasehold_grpc_router::Router;
use prost::Message;
use tonic::Status;

use crate::app::ChainView;
use crate::blockstore::StoredBlock;
use crate::query::tendermint::tm_block;
use crate::query::{Services, blocking, events, internal};
use crate::tx::{TxLimits, decode_tx, tx_hash};

/// Most txs one `GetTxsEvent` page returns.
const MAX_PAGE: u64 = 100;

/// A stored tx as `Tx` (body and auth info decoded; undecodable txs come back empty).
pub fn decode_stored_tx(raw: &[u8]) -> Tx {
    let Ok(r) = TxRaw::decode(raw) else { return Tx::default() };
    Tx {
        body: TxBody::decode(r.body_bytes.as_slice()).ok(),
        auth_info: AuthInfo::decode(r.auth_info_bytes.as_slice()).ok(),
        signatures: r.signatures,
    }
}

fn rfc3339(block: &StoredBlock) -> String {
    block
        .header
        .as_ref()
        .and_then(|h| h.time)
        .and_then(|t| tendermint::Time::try_from(t).ok())
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// The SDK's `TxResponse` for tx `index` of `block`.
pub fn tx_response(block: &StoredBlock, index: usize) -> Option<TxResponse> {
    let raw = block.txs.get(index)?;
    let result = block.results.get(index)?;
    Some(TxResponse {
        height: block.header.as_ref().map_or(0, |h| h.height),
        txhash: hex::encode_upper(tx_hash(raw)),
        codespace: result.codespace.clone(),
        code: result.code,
        data: hex::encode_upper(&result.data),
        raw_log: result.log.clone(),
        logs: vec![],
        info: result.info.clone(),
        gas_wanted: result.gas_wanted,
        gas_used: result.gas_used,
        tx: Some(Any { type_url: "/cosmos.tx.v1beta1.Tx".into(), value: decode_stored_tx(raw).encode_to_vec() }),
        timestamp: rfc3339(block),
        events: result.events.clone(),
    })
}

fn parse_hash(hash: &str) -> Result<Vec<u8>, Status> {
    match hex::decode(hash) {
        Ok(h) if h.len() == 32 => Ok(h),
        _ => Err(Status::invalid_argument(format!("invalid tx hash {hash:?}: expected 64 hex characters"))),
    }
}

fn simulate(
    view: &ChainView,
    req: SimulateRequest,
    limits: &TxLimits,
    gas_cap: u64,
) -> Result<SimulateResponse, Status> {
    #[allow(deprecated)]
    let raw = if !req.tx_bytes.is_empty() {
        req.tx_bytes
    } else if let Some(tx) = req.tx {
        TxRaw {
            body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
            auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
            signatures: tx.signatures,
        }
        .encode_to_vec()
    } else {
        return Err(Status::invalid_argument("empty txBytes is not allowed"));
    };
    let tx = decode_tx(&raw, limits).map_err(|e| Status::invalid_argument(e.to_string()))?;
    let outcome = view.simulate_capped(&tx, gas_cap).map_err(internal)?;
    if !outcome.is_ok() {
        return Err(Status::unknown(format!(
            "{} With gas wanted: '{}' and gas used: '{}' ",
            outcome.log, outcome.gas_wanted, outcome.gas_used
        )));
    }
    #[allow(deprecated)]
    Ok(SimulateResponse {
        gas_info: Some(GasInfo { gas_wanted: outcome.gas_wanted, gas_used: outcome.gas_used }),
        result: Some(AbciResult {
            data: outcome.data.clone(),
            log: outcome.log.clone(),
            events: outcome.events.clone(),
            msg_responses: outcome.msg_responses.clone(),
        }),
    })
}

fn txs_event(view: &ChainView, req: GetTxsEventRequest, max_scanned: u64) -> Result<GetTxsEventResponse, Status> {
    #[allow(deprecated)]
    let query = if req.query.is_empty() { req.events.join(" AND ") } else { req.query.clone() };
    let q = events::parse(&query).map_err(Status::invalid_argument)?;
    let limit = match req.limit {
        0 => MAX_PAGE,
        l => l.min(MAX_PAGE),
    };
    let page = req.page.max(1);
    let skip = (page - 1).saturating_mul(limit);
    let found = view
        .search_txs(&EventSearch {
            conditions: &q.equal,
            min_height: q.min_height.unwrap_or(0),
            max_height: q.max_height.unwrap_or(u64::MAX),
            descending: req.order_by == OrderBy::Desc as i32,
            skip,
            take: limit,
            max_scanned,
        })
        .map_err(internal)?;
    if found.truncated {
        return Err(Status::invalid_argument(EventPage::too_broad(max_scanned)));
    }
    let total = found.total;
    if skip > 0 && skip >= total {
        return Err(Status::invalid_argument(format!(
            "page should be within [1, {}] range, given {page}",
            total.div_ceil(limit).max(1)
        )));
    }
    let mut txs = Vec::new();
    let mut responses = Vec::new();
    // Matches come in block order: read each block once, not once per tx.
    let mut block: Option<StoredBlock> = None;
    for (height, index) in found.locations {
        if block.as_ref().is_none_or(|b| b.height() != height) {
            let read = view.block(height).map_err(internal)?;
            block = Some(read.ok_or_else(|| Status::internal("indexed block missing"))?);
        }
        let Some(block) = block.as_ref() else { continue };
        if let Some(r) = tx_response(block, index as usize) {
            txs.push(decode_stored_tx(&block.txs[index as usize]));
            responses.push(r);
        }
    }
    #[allow(deprecated)]
    Ok(GetTxsEventResponse { txs, tx_responses: responses, pagination: None, total })
}

pub fn register(r: &mut Router, s: &Services) {
    let broadcaster = s.broadcaster.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.tx.v1beta1.Service/BroadcastTx", move |req: BroadcastTxRequest| {
        let broadcaster = broadcaster.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Broadcast, move || {
            if req.tx_bytes.is_empty() {
                return Err(Status::invalid_argument("invalid empty tx"));
            }
            let txhash = hex::encode_upper(tx_hash(&req.tx_bytes));
            let mode = BroadcastMode::try_from(req.mode).unwrap_or(BroadcastMode::Unspecified);
            let response = match mode {
                BroadcastMode::Sync => {
                    let out =
                        broadcaster.broadcast_sync(req.tx_bytes).map_err(|e| Status::unavailable(e.to_string()))?;
                    TxResponse {
                        txhash,
                        code: out.code,
                        codespace: out.codespace,
                        raw_log: out.log,
                        gas_wanted: i64::try_from(out.gas_wanted).unwrap_or(i64::MAX),
                        gas_used: i64::try_from(out.gas_used).unwrap_or(i64::MAX),
                        ..Default::default()
                    }
                }
                BroadcastMode::Async => {
                    broadcaster.broadcast_async(req.tx_bytes).map_err(|e| Status::unavailable(e.to_string()))?;
                    TxResponse { txhash, ..Default::default() }
                }
                #[allow(deprecated)]
                BroadcastMode::Block => {
                    return Err(Status::invalid_argument(
                        "BROADCAST_MODE_BLOCK is not supported (removed in Cosmos SDK 0.47); use SYNC and poll GetTx",
                    ));
                }
                BroadcastMode::Unspecified => return Err(Status::invalid_argument("invalid broadcast mode")),
            };
            Ok(BroadcastTxResponse { tx_response: Some(response) })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.tx.v1beta1.Service/Simulate", move |req: SimulateRequest| {
        let view = view.clone();
        let limits = limits.clone();
        let gas_cap = limits.simulate_gas_cap;
        blocking(limits, QueryClass::Execute, move || {
            let tx_limits = view.status().params.map(|p| p.limits).unwrap_or_default();
            simulate(&view, req, &tx_limits, gas_cap)
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.tx.v1beta1.Service/GetTx", move |req: GetTxRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            let hash = parse_hash(&req.hash)?;
            let (block, index) = view
                .tx(&hash)
                .map_err(internal)?
                .ok_or_else(|| Status::not_found(format!("tx not found: {}", req.hash)))?;
            let response = tx_response(&block, index).ok_or_else(|| Status::internal("indexed tx missing"))?;
            Ok(GetTxResponse { tx: Some(decode_stored_tx(&block.txs[index])), tx_response: Some(response) })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.tx.v1beta1.Service/GetTxsEvent", move |req: GetTxsEventRequest| {
        let view = view.clone();
        let limits = limits.clone();
        let max_scanned = limits.max_search_scan;
        blocking(limits, QueryClass::Search, move || txs_event(&view, req, max_scanned))
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmos.tx.v1beta1.Service/GetBlockWithTxs", move |req: GetBlockWithTxsRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            let latest = view.status().height;
            let height = u64::try_from(req.height).ok().filter(|h| *h >= 1 && *h <= latest).ok_or_else(|| {
                Status::invalid_argument(format!("requested height {} but the chain is at {latest}", req.height))
            })?;
            let block = view.block(height).map_err(internal)?.ok_or_else(|| Status::not_found("block not found"))?;
            let total = block.txs.len() as u64;
            Ok(GetBlockWithTxsResponse {
                txs: block.txs.iter().map(|t| decode_stored_tx(t)).collect(),
                block_id: block.block_id.clone(),
                block: Some(tm_block(&block)),
                pagination: Some(PageResponse { next_key: vec![], total }),
            })
        })
    });
}
