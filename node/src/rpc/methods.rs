//! The RPC methods: their parameters, and their answers from the node — committed state and the
//! block store through [`ChainView`], ABCI queries through the shared gRPC router
//! ([`crate::query::abci::query`]), broadcasts through the producer's [`TxBroadcaster`] — each
//! serialized with the tendermint-rpc / tendermint-rs type of CometBFT's answer (or one of
//! [`super::convert`]'s where tendermint-rs writes a different shape). Blocking work (database
//! reads, contract queries, CheckTx) runs on the blocking thread pool.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tendermint::abci::response::Info;
use tendermint::block::Height;
use tendermint::node;
use tendermint_rpc::endpoint::status::SyncInfo;
use tendermint_rpc::endpoint::{abci_info, abci_query, broadcast};

use super::convert::{self, BlockResponseJson, BlockchainJson, ValidatorInfoJson, ValidatorJson, ValidatorsJson};
use super::error::RpcError;
use super::params::{self, Args, Kind, Param, param};
use super::{RpcContext, uri};
use crate::app::ChainView;
use crate::query::events;
use crate::query::limits::QueryClass;
use crate::query::tendermint::COMETBFT_VERSION;
use crate::store::{EventPage, EventSearch};
use crate::tx::tx_hash;

/// One method's declaration.
pub struct Method {
    pub name: &'static str,
    pub params: &'static [Param],
    /// Only over the websocket (subscriptions).
    pub ws_only: bool,
}

const fn m(name: &'static str, params: &'static [Param]) -> Method {
    Method { name, params, ws_only: false }
}

const HEIGHT: &[Param] = &[param("height", Kind::Int)];
const TX: &[Param] = &[param("tx", Kind::Bytes)];

/// Every method served, with CometBFT's parameter names (`rpc/core/routes.go`).
pub const METHODS: &[Method] = &[
    m("health", &[]),
    m("status", &[]),
    m("abci_info", &[]),
    m(
        "abci_query",
        &[
            param("path", Kind::Str),
            param("data", Kind::HexBytes),
            param("height", Kind::Int),
            param("prove", Kind::Bool),
        ],
    ),
    m("broadcast_tx_sync", TX),
    m("broadcast_tx_async", TX),
    m("broadcast_tx_commit", TX),
    m("tx", &[param("hash", Kind::Bytes), param("prove", Kind::Bool)]),
    m(
        "tx_search",
        &[
            param("query", Kind::Str),
            param("prove", Kind::Bool),
            param("page", Kind::Int),
            param("per_page", Kind::Int),
            param("order_by", Kind::Str),
        ],
    ),
    m("block", HEIGHT),
    m("block_by_hash", &[param("hash", Kind::Bytes)]),
    m("block_results", HEIGHT),
    m("blockchain", &[param("minHeight", Kind::Int), param("maxHeight", Kind::Int)]),
    m("validators", &[param("height", Kind::Int), param("page", Kind::Int), param("per_page", Kind::Int)]),
    m("genesis", &[]),
    Method { name: "subscribe", params: &[param("query", Kind::Str)], ws_only: true },
    Method { name: "unsubscribe", params: &[param("query", Kind::Str)], ws_only: true },
    Method { name: "unsubscribe_all", params: &[], ws_only: true },
];

/// Default and largest page of `tx_search` and `validators` (CometBFT's).
const DEFAULT_PER_PAGE: i64 = 30;
const MAX_PER_PAGE: i64 = 100;
/// Most blocks `blockchain` returns.
const BLOCKCHAIN_LIMIT: u64 = 20;

pub fn find(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name == name)
}

/// Runs a JSON-RPC call (`params` as sent). `websocket`: the call came over the websocket.
pub async fn call_json(
    ctx: &RpcContext,
    method: &str,
    params_json: Option<&Value>,
    websocket: bool,
) -> Result<String, RpcError> {
    let m = find(method).filter(|m| websocket || !m.ws_only).ok_or_else(RpcError::method_not_found)?;
    let args = params::from_json(m.params, params_json)?;
    call(ctx, m, &args).await
}

/// Runs a GET call (`/method?query`).
pub async fn call_uri(ctx: &RpcContext, method: &str, query: Option<&str>) -> Result<String, RpcError> {
    let m = find(method).filter(|m| !m.ws_only).ok_or_else(RpcError::method_not_found)?;
    let args = uri::from_query(m.params, query)?;
    call(ctx, m, &args).await
}

fn json<T: Serialize>(v: &T) -> Result<String, RpcError> {
    serde_json::to_string(v).map_err(|e| RpcError::internal(format!("error marshaling response: {e}")))
}

/// Runs `f` on the blocking pool under a permit of `class` (the node's query limits, shared
/// with gRPC); a refusal ("node busy", a timeout) is an internal error saying so.
async fn blocking<T: Send + 'static>(
    ctx: &RpcContext,
    class: QueryClass,
    f: impl FnOnce() -> Result<T, RpcError> + Send + 'static,
) -> Result<T, RpcError> {
    ctx.query_limits.run(class, f).await.map_err(|r| RpcError::internal(r.to_string()))?
}

fn required<'a, T>(v: Option<T>, name: &str) -> Result<T, RpcError>
where
    T: 'a,
{
    v.ok_or_else(|| RpcError::invalid_params(format!("missing parameter {name:?}")))
}

fn height(h: u64) -> Result<Height, RpcError> {
    Height::try_from(h).map_err(RpcError::internal)
}

/// CometBFT's `getHeight`: the given height, checked against the chain (`None`: `latest`).
fn resolve_height(requested: Option<i64>, latest: u64) -> Result<u64, RpcError> {
    let Some(h) = requested else { return Ok(latest) };
    if h <= 0 {
        return Err(RpcError::internal(format!("height must be greater than 0, but got {h}")));
    }
    let h = h.unsigned_abs();
    if h > latest {
        return Err(RpcError::internal(format!(
            "height {h} must be less than or equal to the current blockchain height {latest}"
        )));
    }
    Ok(h)
}

/// CometBFT's `validatePerPage`.
fn per_page(requested: Option<i64>) -> u64 {
    match requested {
        Some(p) if p >= 1 => p.min(MAX_PER_PAGE).unsigned_abs(),
        _ => DEFAULT_PER_PAGE.unsigned_abs(),
    }
}

/// CometBFT's `validatePage`: a page within the results (1 when not given).
fn page(requested: Option<i64>, per_page: u64, total: u64) -> Result<u64, RpcError> {
    let Some(p) = requested else { return Ok(1) };
    let pages = total.div_ceil(per_page).max(1);
    if p <= 0 || p.unsigned_abs() > pages {
        return Err(RpcError::internal(format!("page should be within [1, {pages}] range, given {p}")));
    }
    Ok(p.unsigned_abs())
}

fn load_block(view: &ChainView, h: u64) -> Result<crate::blockstore::StoredBlock, RpcError> {
    view.block(h).map_err(RpcError::internal)?.ok_or_else(|| RpcError::internal(format!("block {h} is not stored")))
}

async fn call(ctx: &RpcContext, m: &Method, args: &Args) -> Result<String, RpcError> {
    match m.name {
        "health" => Ok("{}".into()),
        "status" => status(ctx).await,
        "abci_info" => abci_info(ctx),
        "abci_query" => abci_query(ctx, args).await,
        "broadcast_tx_sync" => broadcast_sync(ctx, required(args.bytes("tx"), "tx")?.to_vec()).await,
        "broadcast_tx_async" => broadcast_async(ctx, required(args.bytes("tx"), "tx")?.to_vec()).await,
        "broadcast_tx_commit" => broadcast_commit(ctx, required(args.bytes("tx"), "tx")?.to_vec()).await,
        "tx" => tx(ctx, required(args.bytes("hash"), "hash")?.to_vec()).await,
        "tx_search" => tx_search(ctx, args).await,
        "block" => block(ctx, args.int("height")).await,
        "block_by_hash" => block_by_hash(ctx, required(args.bytes("hash"), "hash")?.to_vec()).await,
        "block_results" => block_results(ctx, args.int("height")).await,
        "blockchain" => blockchain(ctx, args.int("minHeight"), args.int("maxHeight")).await,
        "validators" => validators(ctx, args),
        "genesis" => Ok(ctx.genesis_json.to_string()),
        // Subscriptions are answered by the websocket connection itself.
        _ => Err(RpcError::method_not_found()),
    }
}

#[derive(Serialize)]
struct StatusJson {
    node_info: node::Info,
    sync_info: SyncInfo,
    validator_info: ValidatorInfoJson,
}

async fn status(ctx: &RpcContext) -> Result<String, RpcError> {
    let view = ctx.view.clone();
    let (latest, earliest) = blocking(ctx, QueryClass::Read, move || {
        let h = view.status().height;
        if h == 0 {
            return Ok((None, None));
        }
        Ok((Some(load_block(&view, h)?), Some(load_block(&view, 1)?)))
    })
    .await?;
    let facts = |b: Option<&crate::blockstore::StoredBlock>| -> Result<_, RpcError> {
        Ok(match b {
            None => {
                (tendermint::Hash::None, convert::app_hash(&[])?, Height::from(0_u32), tendermint::Time::unix_epoch())
            }
            Some(b) => {
                let header = convert::header(b)?;
                (convert::block_id(b)?.hash, header.app_hash, header.height, header.time)
            }
        })
    };
    let (latest_block_hash, latest_app_hash, latest_block_height, latest_block_time) = facts(latest.as_ref())?;
    let (earliest_block_hash, earliest_app_hash, earliest_block_height, earliest_block_time) =
        facts(earliest.as_ref())?;
    let chain_id = ctx.view.status().chain_id().to_string();
    let info = node::Info {
        protocol_version: node::info::ProtocolVersionInfo { p2p: 8, block: 11, app: 0 },
        id: ctx.node.id,
        listen_addr: node::info::ListenAddress::new(format!("tcp://{}", ctx.node.rpc_address)),
        network: chain_id.parse().map_err(RpcError::internal)?,
        version: serde_json::from_value(Value::from(COMETBFT_VERSION)).map_err(RpcError::internal)?,
        channels: serde_json::from_value(Value::from("")).map_err(RpcError::internal)?,
        moniker: ctx.node.moniker.parse().map_err(RpcError::internal)?,
        other: node::info::OtherInfo {
            tx_index: node::info::TxIndexStatus::On,
            rpc_address: format!("tcp://{}", ctx.node.rpc_address),
        },
    };
    json(&StatusJson {
        node_info: info,
        sync_info: SyncInfo {
            earliest_block_hash,
            earliest_app_hash,
            earliest_block_height,
            earliest_block_time,
            latest_block_hash,
            latest_app_hash,
            latest_block_height,
            latest_block_time,
            catching_up: false,
        },
        validator_info: ValidatorInfoJson::of(&ctx.signer.validator),
    })
}

fn abci_info(ctx: &RpcContext) -> Result<String, RpcError> {
    let st = ctx.view.status();
    json(&abci_info::Response {
        response: Info {
            data: "leasehold".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: 0,
            last_block_height: height(st.height)?,
            last_block_app_hash: convert::app_hash(if st.height == 0 { &[] } else { &st.app_hash })?,
        },
    })
}

async fn abci_query(ctx: &RpcContext, args: &Args) -> Result<String, RpcError> {
    let path = args.str("path").unwrap_or_default().to_string();
    let data = args.bytes("data").unwrap_or_default().to_vec();
    let requested = args.int("height").unwrap_or(0);
    let answer = match u64::try_from(requested) {
        Ok(h) => crate::query::abci::query(&ctx.router, &ctx.view, &path, data, h).await,
        Err(_) => crate::query::abci::QueryAnswer {
            code: 18,
            codespace: "sdk".into(),
            log: "cannot query with height < 0; please provide a valid height: invalid request".into(),
            height: ctx.view.status().height,
            ..Default::default()
        },
    };
    json(&abci_query::Response {
        response: abci_query::AbciQuery {
            code: answer.code.into(),
            log: answer.log,
            info: String::new(),
            index: 0,
            key: vec![],
            value: answer.value,
            proof: None,
            height: height(answer.height)?,
            codespace: answer.codespace,
        },
    })
}

fn hash_of(tx: &[u8]) -> Result<tendermint::Hash, RpcError> {
    convert::hash(&tx_hash(tx))
}

/// CheckTx through the producer.
async fn check(ctx: &RpcContext, tx: Vec<u8>) -> Result<crate::app::exec::TxOutcome, RpcError> {
    let b = ctx.broadcaster.clone();
    blocking(ctx, QueryClass::Broadcast, move || b.broadcast_sync(tx).map_err(RpcError::internal)).await
}

async fn broadcast_sync(ctx: &RpcContext, tx: Vec<u8>) -> Result<String, RpcError> {
    let hash = hash_of(&tx)?;
    let out = check(ctx, tx).await?;
    json(&broadcast::tx_sync::Response {
        codespace: out.codespace,
        code: out.code.into(),
        data: out.data.into(),
        log: out.log,
        hash,
    })
}

async fn broadcast_async(ctx: &RpcContext, tx: Vec<u8>) -> Result<String, RpcError> {
    let hash = hash_of(&tx)?;
    let b = ctx.broadcaster.clone();
    blocking(ctx, QueryClass::Broadcast, move || b.broadcast_async(tx).map_err(RpcError::internal)).await?;
    json(&broadcast::tx_async::Response {
        codespace: String::new(),
        code: 0.into(),
        data: Default::default(),
        log: String::new(),
        hash,
    })
}

async fn broadcast_commit(ctx: &RpcContext, tx: Vec<u8>) -> Result<String, RpcError> {
    let raw_hash = tx_hash(&tx);
    let hash = convert::hash(&raw_hash)?;
    // Listen before broadcasting so the including block cannot be missed.
    let mut blocks = ctx.hub.subscribe();
    let out = check(ctx, tx).await?;
    let check_tx = convert::TxResultJson {
        code: out.code,
        data: out.data.clone(),
        log: out.log.clone(),
        info: String::new(),
        gas_wanted: out.gas_wanted.to_string(),
        gas_used: out.gas_used.to_string(),
        events: convert::events(&out.events)?,
        codespace: out.codespace.clone(),
    };
    if !out.is_ok() {
        return json(&convert::TxCommitJson {
            check_tx,
            tx_result: Default::default(),
            hash,
            height: Height::from(0_u32),
        });
    }
    let wait = async {
        loop {
            match blocks.recv().await {
                Ok(block) => {
                    for f in &block.frames {
                        if let Some((h, result)) = &f.tx
                            && *h == raw_hash
                        {
                            return Ok(((**result).clone(), block.height));
                        }
                    }
                }
                // Missed blocks: look the tx up in the store.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let view = ctx.view.clone();
                    let found =
                        blocking(ctx, QueryClass::Read, move || view.tx(&raw_hash).map_err(RpcError::internal)).await?;
                    if let Some((b, i)) = found {
                        let r = convert::tx_response(&b, i)?;
                        return Ok((r.tx_result, b.height()));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return Err(RpcError::internal("txSub was canceled (reason: CometBFT exited)"));
                }
            }
        }
    };
    let timeout: Duration = ctx.limits.commit_timeout;
    let (tx_result, h) = tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| RpcError::internal("timed out waiting for tx to be included in a block"))??;
    json(&convert::TxCommitJson { check_tx, tx_result, hash, height: height(h)? })
}

async fn tx(ctx: &RpcContext, hash: Vec<u8>) -> Result<String, RpcError> {
    let view = ctx.view.clone();
    let response = blocking(ctx, QueryClass::Read, move || {
        let (b, i) = view
            .tx(&hash)
            .map_err(RpcError::internal)?
            .ok_or_else(|| RpcError::internal(format!("tx ({}) not found", hex::encode_upper(&hash))))?;
        convert::tx_response(&b, i)
    })
    .await?;
    json(&response)
}

async fn tx_search(ctx: &RpcContext, args: &Args) -> Result<String, RpcError> {
    let query = required(args.str("query"), "query")?;
    if query.len() > super::subscribe::MAX_QUERY_LEN {
        return Err(RpcError::invalid_params("maximum query length exceeded"));
    }
    let q = events::parse(query).map_err(|e| RpcError::invalid_params(format!("failed to parse query: {e}")))?;
    let desc = match args.str("order_by").unwrap_or("") {
        "" | "asc" => false,
        "desc" => true,
        _ => return Err(RpcError::invalid_params("expected order_by to be either `asc` or `desc` or empty")),
    };
    let per_page = per_page(args.int("per_page"));
    let requested_page = args.int("page");
    let view = ctx.view.clone();
    let max_scanned = ctx.query_limits.max_search_scan;
    let response = blocking(ctx, QueryClass::Search, move || {
        // The page is chosen before the scan (only it is kept) and checked against the total after.
        let wanted = requested_page.filter(|p| *p > 0).map_or(1, i64::unsigned_abs);
        let found = view
            .search_txs(&EventSearch {
                conditions: &q.equal,
                min_height: q.min_height.unwrap_or(0),
                max_height: q.max_height.unwrap_or(u64::MAX),
                descending: desc,
                skip: (wanted - 1).saturating_mul(per_page),
                take: per_page,
                max_scanned,
            })
            .map_err(RpcError::internal)?;
        if found.truncated {
            return Err(RpcError::internal(EventPage::too_broad(max_scanned)));
        }
        let total = found.total;
        page(requested_page, per_page, total)?;
        let mut txs = Vec::new();
        let mut cached: Option<crate::blockstore::StoredBlock> = None;
        for (h, i) in found.locations {
            if cached.as_ref().is_none_or(|b| b.height() != h) {
                cached = Some(load_block(&view, h)?);
            }
            if let Some(b) = &cached {
                txs.push(convert::tx_response(b, i as usize)?);
            }
        }
        Ok(convert::TxSearchJson { txs, total_count: total.to_string() })
    })
    .await?;
    json(&response)
}

async fn block(ctx: &RpcContext, requested: Option<i64>) -> Result<String, RpcError> {
    let h = resolve_height(requested, ctx.view.status().height)?;
    let (view, signer) = (ctx.view.clone(), ctx.signer.clone());
    let response = blocking(ctx, QueryClass::Read, move || {
        let b = load_block(&view, h)?;
        Ok(BlockResponseJson { block_id: convert::block_id(&b)?, block: Some(convert::block_json(&b, &signer)?) })
    })
    .await?;
    json(&response)
}

async fn block_by_hash(ctx: &RpcContext, hash: Vec<u8>) -> Result<String, RpcError> {
    let (view, signer) = (ctx.view.clone(), ctx.signer.clone());
    let response = blocking(ctx, QueryClass::Read, move || {
        // One index lookup (it used to scan up to 100,000 stored blocks per call).
        let Some(h) = view.db().block_height_by_hash(&hash).map_err(RpcError::internal)? else {
            return Ok(BlockResponseJson { block_id: Default::default(), block: None });
        };
        let b = load_block(&view, h)?;
        Ok(BlockResponseJson { block_id: convert::block_id(&b)?, block: Some(convert::block_json(&b, &signer)?) })
    })
    .await?;
    json(&response)
}

async fn block_results(ctx: &RpcContext, requested: Option<i64>) -> Result<String, RpcError> {
    let h = resolve_height(requested, ctx.view.status().height)?;
    let view = ctx.view.clone();
    let response = blocking(ctx, QueryClass::Read, move || convert::block_results(&load_block(&view, h)?)).await?;
    json(&response)
}

/// CometBFT's `filterMinMax` (base 1, at most 20 blocks, newest first).
fn blockchain_range(min: Option<i64>, max: Option<i64>, latest: u64) -> Result<(u64, u64), RpcError> {
    let (min, max) = (min.unwrap_or(0), max.unwrap_or(0));
    if min < 0 || max < 0 {
        return Err(RpcError::internal("heights must be non-negative"));
    }
    let min = if min == 0 { 1 } else { min.unsigned_abs() };
    let max = if max == 0 { latest } else { max.unsigned_abs().min(latest) };
    let min = min.max(max.saturating_sub(BLOCKCHAIN_LIMIT - 1)).max(1);
    if min > max {
        return Err(RpcError::internal(format!("min height {min} can't be greater than max height {max}")));
    }
    Ok((min, max))
}

async fn blockchain(ctx: &RpcContext, min: Option<i64>, max: Option<i64>) -> Result<String, RpcError> {
    let latest = ctx.view.status().height;
    let (min, max) = blockchain_range(min, max, latest)?;
    let (view, signer) = (ctx.view.clone(), ctx.signer.clone());
    let response = blocking(ctx, QueryClass::Search, move || {
        let block_metas =
            (min..=max).rev().map(|h| convert::meta_json(&load_block(&view, h)?, &signer)).collect::<Result<_, _>>()?;
        Ok(BlockchainJson { last_height: height(latest)?, block_metas })
    })
    .await?;
    json(&response)
}

fn validators(ctx: &RpcContext, args: &Args) -> Result<String, RpcError> {
    // As CometBFT: the set is known up to the next height.
    let h = resolve_height(args.int("height"), ctx.view.status().height.saturating_add(1))?;
    let per_page = per_page(args.int("per_page"));
    let page = page(args.int("page"), per_page, 1)?;
    let validators = if page == 1 { vec![ValidatorJson::of(&ctx.signer.validator)] } else { vec![] };
    json(&ValidatorsJson {
        block_height: height(h)?,
        count: validators.len().to_string(),
        validators,
        total: "1".into(),
    })
}

/// The `genesis` answer, built once at start: the node's genesis file with the CometBFT fields
/// it lacks (consensus params, the validator set) filled in with the dev chain's values.
pub fn genesis_result(genesis_json: &[u8], validator: &crate::dev::DevValidator) -> Result<String, RpcError> {
    let mut doc: serde_json::Map<String, Value> = serde_json::from_slice(genesis_json).map_err(RpcError::internal)?;
    doc.entry("initial_height").or_insert_with(|| Value::from("1"));
    doc.entry("consensus_params")
        .or_insert_with(|| crate::genesis::consensus_params_json(&crate::app::params::BlockParams::default()));
    if !doc.contains_key("validators") {
        let v = serde_json::to_value(ValidatorJson::of(validator)).map_err(RpcError::internal)?;
        let entry = serde_json::json!({
            "address": v["address"],
            "pub_key": v["pub_key"],
            "power": v["voting_power"],
            "name": "leasehold-dev",
        });
        doc.insert("validators".into(), Value::Array(vec![entry]));
    }
    doc.entry("app_hash").or_insert_with(|| Value::from(""));
    // CometBFT's field order: time, chain, height, params, validators, app hash, app state.
    let order =
        ["genesis_time", "chain_id", "initial_height", "consensus_params", "validators", "app_hash", "app_state"];
    let mut ordered = serde_json::Map::new();
    for k in order {
        if let Some(v) = doc.remove(k) {
            ordered.insert(k.to_string(), v);
        }
    }
    ordered.extend(doc);
    json(&serde_json::json!({ "genesis": ordered }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_pages_and_ranges_follow_cometbft() {
        assert_eq!(resolve_height(None, 9).unwrap(), 9);
        assert_eq!(resolve_height(Some(3), 9).unwrap(), 3);
        assert!(resolve_height(Some(0), 9).unwrap_err().data.contains("greater than 0"));
        assert!(resolve_height(Some(10), 9).unwrap_err().data.contains("current blockchain height 9"));
        assert_eq!((per_page(None), per_page(Some(0)), per_page(Some(500)), per_page(Some(7))), (30, 30, 100, 7));
        assert_eq!(page(None, 30, 0).unwrap(), 1);
        assert_eq!(page(Some(1), 30, 0).unwrap(), 1);
        assert_eq!(page(Some(2), 2, 3).unwrap(), 2);
        assert!(page(Some(3), 2, 3).unwrap_err().data.contains("[1, 2]"));
        assert!(page(Some(0), 2, 3).is_err());
        assert_eq!(blockchain_range(None, None, 50).unwrap(), (31, 50));
        assert_eq!(blockchain_range(Some(2), Some(5), 50).unwrap(), (2, 5));
        assert_eq!(blockchain_range(Some(1), Some(500), 3).unwrap(), (1, 3));
        assert!(blockchain_range(Some(-1), None, 3).is_err());
        assert!(blockchain_range(Some(9), Some(4), 50).is_err());
    }
}
