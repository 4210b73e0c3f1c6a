//! Query load against block production: many gRPC clients on loopback sending the most
//! expensive free requests — simulations of an 800 KiB-class `MsgStoreCode` (static validation
//! of the whole module), smart contract queries, tx-index searches — while the dev producer makes
//! blocks. What is measured is the interval between committed blocks, observed from a thread
//! polling the committed height every millisecond.
//!
//! `the_producer_keeps_its_pace_under_a_query_flood` (in `make test`) is the short version: it
//! checks that blocks keep coming and queries are answered (no timing is asserted, numbers are
//! printed). `make load-test` runs `query_flood_report` (ignored by default): 60 blocks without
//! load, with a flood of 64 clients under the default `[query]` limits, and with the same flood
//! under limits high enough to be none (the node before the limits), printing p50/p99 of each.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, Fee, GetTxsEventRequest, ModeInfo, SignerInfo, SimulateRequest, TxBody, TxRaw, mode_info,
    service_client::ServiceClient as TxClient,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgStoreCode, QuerySmartContractStateRequest, query_client::QueryClient as WasmClient,
};
use leasehold_node::app::ChainView;
use leasehold_node::devnet::DEV_ACCOUNTS;
use leasehold_node::node::DevNode;
use leasehold_node::query::limits::QueryLimitsConfig;
use prost::Message;
use tonic::Code;

use crate::common::{artifact, start_dev_node_with};

const INTERVAL_MS: u64 = 200;

/// A dev node with `query` limits and a block every [`INTERVAL_MS`].
async fn start(dir: &Path, query: QueryLimitsConfig) -> DevNode {
    start_dev_node_with(dir, |config| {
        config.dev.block_interval_ms = INTERVAL_MS;
        config.query = query;
    })
    .await
}

/// An unsigned-in-effect simulation request: the admin uploads the market's code again.
fn store_code_simulation(view: &ChainView) -> Vec<u8> {
    let admin = DEV_ACCOUNTS.iter().find(|a| a.name == "admin").expect("admin");
    let sequence = view.account(&admin.address()).expect("query").map_or(0, |a| a.sequence);
    let msg =
        MsgStoreCode { sender: admin.address(), wasm_byte_code: artifact("market"), instantiate_permission: None };
    let body = TxBody {
        messages: vec![Any { type_url: "/cosmwasm.wasm.v1.MsgStoreCode".into(), value: msg.encode_to_vec() }],
        ..Default::default()
    };
    let auth = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: PubKey { key: admin.signing_key().public_key().to_bytes().to_vec() }.encode_to_vec(),
            }),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single { mode: SignMode::Direct as i32 })),
            }),
            sequence,
        }],
        fee: Some(Fee { amount: vec![], gas_limit: 0, payer: String::new(), granter: String::new() }),
        ..Default::default()
    };
    TxRaw { body_bytes: body.encode_to_vec(), auth_info_bytes: auth.encode_to_vec(), signatures: vec![vec![]] }
        .encode_to_vec()
}

#[derive(Debug, Default)]
struct FloodStats {
    answered: AtomicU64,
    busy: AtomicU64,
    failed: AtomicU64,
}

impl FloodStats {
    fn count(&self, result: Result<(), tonic::Status>) {
        match result {
            Ok(()) => self.answered.fetch_add(1, Ordering::Relaxed),
            Err(s) if matches!(s.code(), Code::ResourceExhausted | Code::DeadlineExceeded) => {
                self.busy.fetch_add(1, Ordering::Relaxed)
            }
            Err(s) => {
                eprintln!("flood query failed: {s:?}");
                self.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// One client: its own connection, the three expensive requests in turn until `stop`.
async fn client(addr: SocketAddr, market: String, sim: Vec<u8>, stats: Arc<FloodStats>, stop: Arc<AtomicBool>) {
    let url = format!("http://{addr}");
    let channel = tonic::transport::Endpoint::from_shared(url).expect("url").connect().await.expect("connect");
    let (mut txs, mut wasm) = (TxClient::new(channel.clone()), WasmClient::new(channel));
    let mut turn = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let result = match turn % 3 {
            0 => txs.simulate(SimulateRequest { tx_bytes: sim.clone(), ..Default::default() }).await.map(|_| ()),
            1 => wasm
                .smart_contract_state(QuerySmartContractStateRequest {
                    address: market.clone(),
                    query_data: br#"{"deployments":{"limit":100}}"#.to_vec(),
                })
                .await
                .map(|_| ()),
            _ => txs
                .get_txs_event(GetTxsEventRequest {
                    query: "message.module='bank'".into(),
                    limit: 100,
                    ..Default::default()
                })
                .await
                .map(|_| ()),
        };
        stats.count(result);
        turn += 1;
    }
}

/// Waits until `blocks` more blocks committed (or the deadline) while `clients` flood the node;
/// returns the intervals between them and the flood's counts.
async fn measure(node: &DevNode, market: &str, blocks: usize, clients: usize) -> (Vec<Duration>, Arc<FloodStats>) {
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(FloodStats::default());
    let sim = store_code_simulation(&node.view);
    let flood: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(client(node.grpc_addr, market.to_string(), sim.clone(), stats.clone(), stop.clone())))
        .collect();
    let view = node.view.clone();
    let watcher = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seen = Vec::new();
        let mut height = view.status().height;
        while seen.len() <= blocks && Instant::now() < deadline {
            let now = view.status().height;
            if now != height {
                height = now;
                seen.push(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        seen
    });
    let seen = watcher.await.expect("watcher");
    stop.store(true, Ordering::Relaxed);
    for c in flood {
        c.await.expect("client");
    }
    assert!(seen.len() > blocks, "the producer stalled: {} of {blocks} blocks in 120 s", seen.len().saturating_sub(1));
    (seen.windows(2).map(|w| w[1] - w[0]).collect(), stats)
}

fn percentile(intervals: &[Duration], p: f64) -> Duration {
    let mut sorted = intervals.to_vec();
    sorted.sort();
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(label: &str, intervals: &[Duration], stats: &FloodStats) -> String {
    format!(
        "{label}: block interval p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms over {} blocks; queries answered {}, busy {}, failed {}",
        percentile(intervals, 0.5).as_secs_f64() * 1e3,
        percentile(intervals, 0.99).as_secs_f64() * 1e3,
        intervals.iter().max().copied().unwrap_or_default().as_secs_f64() * 1e3,
        intervals.len(),
        stats.answered.load(Ordering::Relaxed),
        stats.busy.load(Ordering::Relaxed),
        stats.failed.load(Ordering::Relaxed),
    )
}

/// The dev genesis instantiates the market first: code 1, instance 1.
fn market_of(node: &DevNode) -> String {
    let api = node.view.host().expect("host").api().clone();
    api.humanize(&leasehold_wasm_host::address::classic(1, 1)).expect("market address").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_producer_keeps_its_pace_under_a_query_flood() {
    let dir = tempfile::tempdir().expect("dir");
    let node = start(dir.path(), QueryLimitsConfig::default()).await;
    let market = market_of(&node);
    let (intervals, stats) = measure(&node, &market, 8, 16).await;
    println!("{}", report(&format!("flood of 16 clients, {INTERVAL_MS} ms blocks"), &intervals, &stats));
    assert!(stats.answered.load(Ordering::Relaxed) > 0, "queries are answered during the flood");
    assert_eq!(stats.failed.load(Ordering::Relaxed), 0, "no query fails other than as busy");
    node.shutdown().await.expect("shutdown");
}

/// `make load-test`: the numbers for the closing note and docs/security.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: make load-test"]
async fn query_flood_report() {
    let blocks = 60;
    let clients = 64;
    let dir = tempfile::tempdir().expect("dir");
    let node = start(dir.path(), QueryLimitsConfig::default()).await;
    let market = market_of(&node);
    let (quiet, none) = measure(&node, &market, blocks, 0).await;
    let (limited, limited_stats) = measure(&node, &market, blocks, clients).await;
    node.shutdown().await.expect("shutdown");
    let dir = tempfile::tempdir().expect("dir");
    let unlimited_config = QueryLimitsConfig {
        max_concurrent_execute: 512,
        max_concurrent_search: 512,
        max_concurrent_read: 512,
        ..QueryLimitsConfig::default()
    };
    let node = start(dir.path(), unlimited_config).await;
    let (unlimited, unlimited_stats) = measure(&node, &market, blocks, clients).await;
    node.shutdown().await.expect("shutdown");
    println!("query flood, {INTERVAL_MS} ms blocks, {clients} gRPC clients on loopback:");
    println!("  {}", report("no load", &quiet, &none));
    println!("  {}", report("flood, default [query] limits", &limited, &limited_stats));
    println!("  {}", report("flood, no limits (512 of each)", &unlimited, &unlimited_stats));
}
