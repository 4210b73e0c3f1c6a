//! Indexer throughput, in one run, against the raw speed of SQLite on this machine:
//!
//! 1. a dev node (in process, a block every 100 ms) is seeded over gRPC with
//!    `LEASEHOLD_INDEXER_BENCH_DEPLOYMENTS` deployments (default 5,000) and one bid on each —
//!    twice that many signed market txs (10,000 by default), each with its escrow account,
//!    order, transfers and events;
//! 2. **indexer, end to end**: `follow::run` re-indexes the whole chain from height 1 over
//!    gRPC into a fresh SQLite file — rows written per second (blocks, txs, messages, events,
//!    attributes, transfers and the derived market rows);
//! 3. **indexer, store side**: the same blocks, fetched beforehand, written with
//!    `ingest::write_block` (decode done, no network) — rows per second;
//! 4. **raw SQLite**: as many rows of the same shape (height, tx, event, index, key, value —
//!    the attribute rows that dominate the index) inserted with one cached prepared statement,
//!    committed in as many transactions as there are blocks, same pragmas (WAL,
//!    synchronous=NORMAL) — rows per second: the limit the indexer is measured against.
//!
//! 5. **lag while following**: during the seeding, an indexer follows the chain live into its
//!    own SQLite file; every 20 ms the chain's latest height is compared with the last height
//!    in that database — lag in blocks (max, p50, p99, share of samples at most one block
//!    behind) at the load the seeding puts on the node.
//!
//! Seeding is not timed. Nothing asserts on timings.
//! `cargo bench -p leasehold-client --bench indexer`; a quick run:
//! `LEASEHOLD_INDEXER_BENCH_DEPLOYMENTS=500 cargo bench -p leasehold-client --bench indexer`.
//! `LEASEHOLD_INDEXER_BENCH_PG=postgres://…` also measures step 3 on PostgreSQL.
#![forbid(unsafe_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use cosmwasm_std::{Coin, DecCoin, Decimal256, HexBinary};
use leasehold_client::client::tx::{Signer, TxOptions, sign_tx};
use leasehold_client::client::{ChainClient, ClientConfig, ClientError, Gas};
use leasehold_client::contracts::{Marketplace, execute_msg};
use leasehold_client::indexer::follow::{self, FollowOptions, StoreOpener, fetch_block};
use leasehold_client::indexer::ingest::{self, Applied};
use leasehold_client::indexer::model::BlockData;
use leasehold_client::indexer::{Contracts, store};
use leasehold_client::sdl::parse_sdl;
use leasehold_keys::SigningKey;
use leasehold_node::config::{Home, NodeConfig, write_validator_key};
use leasehold_node::devnet::{DEV_CHAIN_ID, dev_account, dev_genesis};
use leasehold_node::node::{marketplace, start_dev};
use leasehold_types::attributes::Attribute;
use leasehold_types::market::ExecuteMsg;
use leasehold_types::provider::{ExecuteMsg as RegistryMsg, ProviderInfo};

const GAS: u64 = 2_000_000;

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

fn key(name: &str) -> SigningKey {
    SigningKey::from_mnemonic(dev_account(name).expect("dev account").mnemonic, "", 0).expect("dev key")
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(run());
}

/// Signs `msgs` (one per tx) from `signer` with consecutive sequences and broadcasts them,
/// retrying while the mempool is full; returns the last tx hash.
async fn flood(client: &ChainClient, key: &SigningKey, address: &str, msgs: Vec<cosmos_sdk_proto::Any>) -> String {
    let acc = client.account(address).await.expect("account").expect("funded account");
    let fees = [Coin::new(u128::from(GAS) * 25 / 1000, "ulease")];
    let mut last = String::new();
    for (i, m) in msgs.into_iter().enumerate() {
        let tx = sign_tx(key, client.chain_id(), acc.account_number, acc.sequence + i as u64, &[m], "", GAS, &fees);
        loop {
            match client.broadcast(tx.clone()).await {
                Ok(h) => {
                    last = h;
                    break;
                }
                Err(ClientError::TxRejected { log, .. }) if log.contains("mempool") => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("broadcast {i}: {e}"),
            }
        }
    }
    last
}

async fn wait_included(client: &ChainClient, hash: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        if let Some(r) = client.tx(hash).await.expect("GetTx") {
            return r.height;
        }
        assert!(Instant::now() < deadline, "tx {hash} not included");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn per_sec(n: u64, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}

async fn run() {
    let deployments = env_usize("LEASEHOLD_INDEXER_BENCH_DEPLOYMENTS", 5000);
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
    let home_dir = tempfile::tempdir().expect("temp dir");
    let home = Home(home_dir.path().to_path_buf());
    std::fs::create_dir_all(home.config_dir()).expect("config dir");
    let genesis = dev_genesis(&artifacts, DEV_CHAIN_ID, "2026-01-01T00:00:00Z").expect("dev genesis (run `make wasm`)");
    std::fs::write(home.genesis_file(), serde_json::to_vec(&genesis).expect("genesis")).expect("write genesis");
    write_validator_key(&home.validator_key_file()).expect("validator key");
    let mut config = NodeConfig::default();
    config.grpc.address = "127.0.0.1:0".into();
    config.rpc.address = "127.0.0.1:0".into();
    config.dev.block_interval_ms = 100;
    config.dev.mempool_size = 50_000;
    let node = start_dev(&home, &config).await.expect("dev node");
    let market = marketplace(&node.view).expect("marketplace").expect("deployed").market;
    let url = format!("http://{}", node.grpc_addr);
    let client = ChainClient::connect(ClientConfig {
        endpoint: url,
        gas: Gas::Fixed(GAS),
        timeout: Duration::from_secs(60),
        ..ClientConfig::default()
    })
    .await
    .expect("client");
    let mp = Marketplace::discover(&client, &market).await.expect("marketplace");
    let contracts = Contracts::from(&mp);

    // 5. A live follower and a lag sampler, running while the chain is seeded.
    let live_dir = tempfile::tempdir().expect("temp dir");
    let live_db = live_dir.path().join("live.db");
    let live = {
        let client = client.clone();
        let contracts = contracts.clone();
        let loc = live_db.to_string_lossy().into_owned();
        tokio::spawn(async move {
            let open: StoreOpener = Box::new(move || store::open(&loc));
            let opts = FollowOptions { poll: Duration::from_millis(20), prefetch: 16, ..Default::default() };
            follow::run(&client, contracts, open, opts, |_| {}).await
        })
    };
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let client = client.clone();
        let sampling = sampling.clone();
        let db = live_db.clone();
        tokio::spawn(async move {
            let mut lags: Vec<u64> = Vec::new();
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                let latest = client.latest_block().await.map(|b| b.0).unwrap_or(0);
                if let Some(indexed) = indexed_height(&db) {
                    lags.push(latest.saturating_sub(indexed));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            lags
        })
    };

    // Seed: a provider, N deployments, a bid on each.
    let started = Instant::now();
    let (tenant, provider) = (key("tenant"), key("provider-cpu"));
    let (tenant_a, provider_a) =
        (tenant.address("lease").expect("address"), provider.address("lease").expect("address"));
    let mut p = Signer::new(key("provider-cpu"), "lease").expect("signer");
    let register = RegistryMsg::Register {
        host_uri: "https://cpu.example.com".into(),
        attributes: vec![Attribute::new("region", "eu-west"), Attribute::new("tier", "community")],
        info: ProviderInfo::default(),
    };
    let any = mp.registry.msg(p.address(), &register, &[]).expect("msg");
    client.send_tx(&mut p, vec![any], &TxOptions::default(), &mut |_| {}).await.expect("register");
    let sdl_text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/web-service.yaml"))
        .expect("sdl");
    let sdl = parse_sdl(&sdl_text).expect("sdl");
    let (groups, hash) = (sdl.group_specs().expect("groups"), HexBinary::from(sdl.manifest_hash().to_vec()));
    let create: Vec<_> = (1..=deployments as u64)
        .map(|dseq| {
            let msg =
                ExecuteMsg::CreateDeployment { dseq, hash: hash.clone(), groups: groups.clone(), auto_match: false };
            execute_msg(&tenant_a, &market, &msg, &[Coin::new(5_000_000u128, "ulease")]).expect("msg")
        })
        .collect();
    let last = flood(&client, &tenant, &tenant_a, create).await;
    wait_included(&client, &last).await;
    let bids: Vec<_> = (1..=deployments as u64)
        .map(|dseq| {
            let order = leasehold_types::ids::DeploymentId::new(tenant_a.clone(), dseq).group(1).order(1);
            let price = DecCoin { amount: Decimal256::from_ratio(100u64 + dseq % 100, 1u64), denom: "ulease".into() };
            let msg = ExecuteMsg::CreateBid { order, price };
            execute_msg(&provider_a, &market, &msg, &[Coin::new(500_000u128, "ulease")]).expect("msg")
        })
        .collect();
    let last = flood(&client, &provider, &provider_a, bids).await;
    let height = wait_included(&client, &last).await;
    let market_txs = 2 * deployments + 1;
    println!(
        "seeded {market_txs} market txs ({deployments} deployments, {deployments} bids, 1 registration) in {height} blocks, {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // The live follower catches up with the last seeded block, then the lag samples end.
    let deadline = Instant::now() + Duration::from_secs(600);
    while indexed_height(&live_db).is_none_or(|h| h < height) {
        assert!(Instant::now() < deadline, "the live indexer did not reach height {height}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut lags = sampler.await.expect("sampler");
    live.abort();
    lags.sort_unstable();
    let pct = |p: f64| lags.get(((lags.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0);
    let within_one = lags.iter().filter(|l| **l <= 1).count();
    let lag_line = format!(
        "live follow during seeding ({} blocks, {:.0} txs per block on average, a block every 100 ms): lag in blocks \
         max {}, p50 {}, p99 {}; {:.1} % of {} samples at most 1 block behind",
        height,
        market_txs as f64 / height.max(1) as f64,
        lags.last().copied().unwrap_or(0),
        pct(0.5),
        pct(0.99),
        100.0 * within_one as f64 / lags.len().max(1) as f64,
        lags.len()
    );
    println!("{lag_line}");

    // 2. End to end over gRPC.
    let dir = tempfile::tempdir().expect("temp dir");
    let e2e_db = dir.path().join("e2e.db").to_string_lossy().into_owned();
    let loc = e2e_db.clone();
    let open: StoreOpener = Box::new(move || store::open(&loc));
    let opts =
        FollowOptions { until: Some(height), prefetch: 16, poll: Duration::from_millis(50), ..Default::default() };
    let summary = follow::run(&client, contracts.clone(), open, opts, |_| {}).await.expect("index");
    let e2e_rows_s = per_sec(summary.rows, summary.secs);

    // 3. Store side only: the same blocks from memory.
    let mut blocks: Vec<BlockData> = Vec::with_capacity(height as usize);
    for h in 1..=height {
        blocks.push(fetch_block(&client, h).await.expect("fetch").expect("block"));
    }
    let txs: usize = blocks.iter().map(|b| b.txs.len()).sum();
    let (store_rows, store_secs, blocks) = tokio::task::spawn_blocking({
        let path = dir.path().join("store.db").to_string_lossy().into_owned();
        let contracts = contracts.clone();
        move || {
            let mut s = store::open(&path).expect("open");
            let t = Instant::now();
            let mut rows = 0;
            for b in &blocks {
                match ingest::write_block(s.as_mut(), b, &contracts, None).expect("write") {
                    Applied::Indexed { rows: r } => rows += r,
                    Applied::AlreadyIndexed => panic!("fresh database"),
                }
            }
            (rows, t.elapsed().as_secs_f64(), blocks)
        }
    })
    .await
    .expect("store task");

    // 4. Raw SQLite: attribute-shaped rows, as many, in as many transactions.
    let attrs: Vec<(String, String)> = blocks
        .iter()
        .flat_map(|b| b.txs.iter().flat_map(|t| t.events.iter().flat_map(|e| e.attributes.clone())))
        .collect();
    let raw_path = dir.path().join("raw.db");
    let (raw_rows, raw_secs) = tokio::task::spawn_blocking({
        let n_tx = blocks.len().max(1);
        move || raw_sqlite(&raw_path, store_rows, n_tx, &attrs)
    })
    .await
    .expect("raw task");

    let pg = match std::env::var("LEASEHOLD_INDEXER_BENCH_PG") {
        Ok(url) => Some(
            tokio::task::spawn_blocking({
                let contracts = contracts.clone();
                let blocks = blocks.clone();
                move || {
                    let mut s = store::open(&url).expect("open PostgreSQL");
                    ingest::reindex_from(s.as_mut(), 1, &contracts).expect("empty it");
                    let t = Instant::now();
                    let mut rows = 0;
                    for b in &blocks {
                        if let Applied::Indexed { rows: r } =
                            ingest::write_block(s.as_mut(), b, &contracts, None).expect("write")
                        {
                            rows += r;
                        }
                    }
                    (rows, t.elapsed().as_secs_f64())
                }
            })
            .await
            .expect("pg task"),
        ),
        Err(_) => None,
    };

    println!("\nindexer benchmark: {market_txs} market txs, {txs} txs in {height} blocks");
    println!("| {:<44} | {:>10} | {:>8} | {:>12} | {:>9} |", "measure", "rows", "seconds", "rows/s", "blocks/s");
    println!("|{}|{}|{}|{}|{}|", "-".repeat(46), "-".repeat(12), "-".repeat(10), "-".repeat(14), "-".repeat(11));
    let line = |name: &str, rows: u64, secs: f64, blocks: Option<u64>| {
        let bps = blocks.map_or("".to_string(), |b| format!("{:.0}", per_sec(b, secs)));
        println!("| {name:<44} | {rows:>10} | {secs:>8.2} | {:>12.0} | {bps:>9} |", per_sec(rows, secs));
    };
    line("indexer end to end (gRPC → SQLite)", summary.rows, summary.secs, Some(summary.blocks));
    line("indexer store side (decoded blocks → SQLite)", store_rows, store_secs, Some(height));
    if let Some((rows, secs)) = pg {
        line("indexer store side (decoded blocks → PostgreSQL)", rows, secs, Some(height));
    }
    line("raw SQLite inserts (same rows, same commits)", raw_rows, raw_secs, None);
    println!(
        "\nindexer end to end = {:.1} % of raw SQLite; store side = {:.1} %",
        100.0 * e2e_rows_s / per_sec(raw_rows, raw_secs),
        100.0 * per_sec(store_rows, store_secs) / per_sec(raw_rows, raw_secs)
    );
    println!("{lag_line}");
    node.shutdown().await.expect("node stops");
}

/// The last height in an indexer's SQLite database (`None` before its first block).
fn indexed_height(db: &Path) -> Option<u64> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.query_row("SELECT MAX(height) FROM blocks", [], |r| r.get::<_, Option<i64>>(0)).ok()?.map(|h| h as u64)
}

/// `rows` attribute-shaped rows into a fresh file in `commits` transactions.
fn raw_sqlite(path: &Path, rows: u64, commits: usize, attrs: &[(String, String)]) -> (u64, f64) {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous=NORMAL; CREATE TABLE raw_rows (height BIGINT NOT NULL, tx_index BIGINT NOT NULL, \
         event_index BIGINT NOT NULL, attr_index BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, \
         PRIMARY KEY (height, tx_index, event_index, attr_index));",
    )
    .expect("schema");
    let per_commit = (rows as usize).div_ceil(commits.max(1)).max(1);
    let started = Instant::now();
    let mut written = 0u64;
    let mut i = 0usize;
    while written < rows {
        let tx = conn.transaction().expect("begin");
        {
            let mut st = tx
                .prepare_cached("INSERT INTO raw_rows (height, tx_index, event_index, attr_index, key, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .expect("prepare");
            for _ in 0..per_commit {
                if written >= rows {
                    break;
                }
                let (k, v) = attrs.get(i % attrs.len().max(1)).cloned().unwrap_or_default();
                let n = i as i64;
                st.execute(rusqlite::params![n / 1000, (n / 100) % 10, (n / 10) % 10, n % 10, k, v]).expect("insert");
                written += 1;
                i += 1;
            }
        }
        tx.commit().expect("commit");
    }
    (written, started.elapsed().as_secs_f64())
}
