//! The kill -9 crash test of the dev node and the indexer.
//!
//! The real `leaseholdd` binary runs as a child process (`start --dev`, a temporary home, gRPC
//! and JSON-RPC on loopback ports picked once, a block every [`BLOCK_INTERVAL_MS`] ms) while
//! five lanes of signed txs flow from the dev accounts — bank sends (admin), provider
//! registrations and updates, bids (both providers), deployments created and closed and leases
//! accepted (tenant), audits signed and withdrawn (auditor). The node is killed with SIGKILL
//! `LEASEHOLD_CRASH_KILLS` times (default [`DEFAULT_KILLS`]; `make crash-test` runs 100) and
//! restarted each time. A kill lands a random time after the node was spawned: one in ten
//! during start-up (before it answers; redb recovery, genesis, wasm module loading), the
//! others 50..1500 ms after it answered — so, at this block interval, while a block executes,
//! while it commits, or between blocks, in proportion to the time the producer spends in each
//! (the test prints that share, measured from the node's `took_ms` log lines).
//! The `leasehold index run` indexer (SQLite) runs as a child too, is killed with SIGKILL at
//! its own random moments, and is restarted (it also exits by itself while the node is down).
//!
//! Checks:
//! - **Reported txs survive.** A lane records a tx once the node reported it in a block (gRPC
//!   `GetTx`); after every restart the txs recorded since the previous restart, and at the
//!   end all of them, are looked up again: same height, code, gas, events and data. The newest
//!   block seen before each kill must have the same block id after the restart.
//! - **App hash = an uncrashed reference run.** After the last kill the node's database is
//!   opened in process and its blocks are replayed by a fresh [`App`] from the same genesis
//!   file, block by block with the stored headers (so the same block times) and txs, never
//!   crashed: each block's app hash, results and events must equal the stored ones, every
//!   header must carry the previous block's app hash and id (the chain continued from what it
//!   had committed after every restart), and at the end the two state tables must be equal
//!   key for key. Replaying the recorded blocks makes the block *contents* identical by
//!   construction, which is what the reference must share; what the crashes could change —
//!   lost, doubled or half-applied writes — shows up as a different hash, result or state.
//! - **Indexer = a clean run.** The crashed indexer is run once more up to the final height;
//!   a second indexer indexes the same chain into a fresh database, never killed; every table
//!   of the two SQLite files must hold exactly the same rows.
//!
//! The kill moments come from a seeded RNG; the seed is printed and `LEASEHOLD_CRASH_SEED`
//! replays the same schedule (process timing still varies from run to run). The test needs
//! `leaseholdd` next to the `leasehold` binary: `cargo test --workspace` (and `make test`)
//! builds it; alone, `cargo build -p leasehold-node --bin leaseholdd` first.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmwasm_std::{Coin, DecCoin, Decimal256, HexBinary, Order};
use leasehold_client::client::tx::{TxResult, sign_tx};
use leasehold_client::client::{ChainClient, ClientConfig, ClientError};
use leasehold_client::contracts::execute_msg;
use leasehold_client::sdl::parse_sdl;
use leasehold_keys::SigningKey;
use leasehold_node::app::App;
use leasehold_node::genesis::Genesis;
use leasehold_node::store::Db;
use leasehold_types::attributes::Attribute;
use leasehold_types::ids::DeploymentId;
use leasehold_types::market;
use leasehold_types::provider::{self as registry, ProviderInfo};
use leasehold_wasm_host::Snapshot as _;
use prost::Message;
use sha2::{Digest, Sha256};
use tokio::process::{Child, Command};

use crate::common::{BIN, artifacts, dev_address, dev_mnemonic, example};

/// Kills in a default run (`make test`); `LEASEHOLD_CRASH_KILLS` overrides.
const DEFAULT_KILLS: usize = 8;
const BLOCK_INTERVAL_MS: u64 = 100;
/// Txs each lane has in flight at once (consecutive sequences), so blocks are full enough that
/// many kills land while one executes or commits.
const BATCH: u64 = 4;
const GAS: u64 = 3_000_000;
const LEASE: &str = "ulease";
/// Market contract (code 1, instance 1) of every dev chain.
const MARKET: &str = "lease14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9sks8zq3";
const ESCROW: &str = "lease1nc5tatafv6eyq7llkr2gv50ff9e22mnf70qgjlv737ktmt4eswrq69zqzh";
const REGISTRY: &str = "lease17p9rzwnnfxcjp32un9ug7yhhzgtkhvl9jfksztgw5uh69wac2pgsz7u9tn";

/// splitmix64: small, seedable, good enough for kill schedules.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` milliseconds.
    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.next() % (hi - lo).max(1))
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.trim().parse().unwrap_or_else(|e| panic!("{name}={v:?}: {e}")))
}

/// `leaseholdd`, built into the same target directory as `leasehold`.
fn leaseholdd() -> PathBuf {
    let path = Path::new(BIN).with_file_name(format!("leaseholdd{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: the crash test runs the node binary. Build it with \
         `cargo build -p leasehold-node --bin leaseholdd` (with the same CARGO_TARGET_DIR), or run \
         `cargo test --workspace` / `make test`, which build it",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn tx_hash(tx: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(tx))
}

/// The last `n` lines of a log file.
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A client that fails fast (no retries): a dead node is an error right away.
async fn connect(endpoint: &str, chain_id: &str) -> Result<ChainClient, ClientError> {
    ChainClient::connect(ClientConfig {
        endpoint: endpoint.into(),
        chain_id: Some(chain_id.into()),
        retries: 0,
        timeout: Duration::from_secs(3),
        ..ClientConfig::default()
    })
    .await
}

/// What the lanes share: the txs the node reported committed and the market facts the next
/// messages depend on.
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    reported: Mutex<Vec<TxResult>>,
    /// Deployments created and not closed (by dseq), with the providers that bid on them.
    open: Mutex<BTreeMap<u64, BTreeSet<String>>>,
    leased: Mutex<BTreeSet<u64>>,
}

fn attrs(pairs: &[(&str, &str)]) -> Vec<Attribute> {
    pairs.iter().map(|(k, v)| Attribute::new(*k, *v)).collect()
}

fn lease(amount: u128) -> Coin {
    Coin::new(amount, LEASE)
}

/// The next message of lane `name` at `step` (they depend on what earlier txs did).
/// `j` is the message's place in its batch: messages of one batch pick different targets.
fn next_msg(name: &str, step: u64, j: u64, shared: &Shared) -> Any {
    let me = dev_address(name);
    let exec = |contract: &str, msg: &dyn erased::Json, funds: &[Coin]| {
        execute_msg(&me, contract, &msg.json(), funds).expect("message")
    };
    match name {
        "admin" => {
            let denom = if step.is_multiple_of(2) { LEASE } else { "uusdc" };
            let m = MsgSend {
                from_address: me.clone(),
                to_address: dev_address("tenant"),
                amount: vec![ProtoCoin { denom: denom.into(), amount: (step + 1).to_string() }],
            };
            Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: m.encode_to_vec() }
        }
        "provider-cpu" | "provider-gpu" => {
            let cpu = name == "provider-cpu";
            let host = format!("https://{name}-{step}.example.com");
            let attributes = if cpu {
                attrs(&[("region", "eu-west"), ("tier", "community")])
            } else {
                attrs(&[("region", "eu-west"), ("tier", "datacenter")])
            };
            let info = ProviderInfo { email: format!("ops@{name}.example.com"), website: String::new() };
            if step == 0 {
                return exec(REGISTRY, &registry::ExecuteMsg::Register { host_uri: host, attributes, info }, &[]);
            }
            let target = shared
                .open
                .lock()
                .expect("lock")
                .iter()
                .filter(|(_, b)| !b.contains(&me))
                .nth(j as usize)
                .map(|(d, _)| *d);
            match target {
                Some(dseq) if !step.is_multiple_of(3) => {
                    let order = DeploymentId::new(dev_address("tenant"), dseq).group(1).order(1);
                    let price = DecCoin {
                        amount: Decimal256::from_str(if cpu { "250.5" } else { "200" }).expect("decimal"),
                        denom: LEASE.into(),
                    };
                    exec(MARKET, &market::ExecuteMsg::CreateBid { order, price }, &[lease(500_000)])
                }
                _ => exec(REGISTRY, &registry::ExecuteMsg::Update { host_uri: host, attributes, info }, &[]),
            }
        }
        "tenant" => {
            let open = shared.open.lock().expect("lock").clone();
            let leased = shared.leased.lock().expect("lock").clone();
            let cpu = dev_address("provider-cpu");
            let leasable =
                open.iter().filter(|(d, b)| b.contains(&cpu) && !leased.contains(d)).nth(j as usize).map(|(d, _)| *d);
            match (step % 4, leasable) {
                (1, Some(dseq)) => {
                    let bid = DeploymentId::new(me.clone(), dseq).group(1).order(1).bid(cpu);
                    exec(MARKET, &market::ExecuteMsg::CreateLease { bid }, &[])
                }
                (3, _) if open.len() > 6 => {
                    let dseq = *open.keys().nth(j as usize).expect("an open deployment");
                    exec(MARKET, &market::ExecuteMsg::CloseDeployment { dseq }, &[])
                }
                (2, _) if !leased.is_empty() => {
                    // A top-up of the newest leased deployment's escrow (still open or not).
                    let dseq = *leased.iter().next_back().expect("a lease");
                    let id = leasehold_types::escrow::AccountId::deployment(&DeploymentId::new(me.clone(), dseq));
                    exec(ESCROW, &leasehold_types::escrow::ExecuteMsg::Deposit { id }, &[lease(100_000)])
                }
                _ => {
                    let dseq = step + 1;
                    let text = std::fs::read_to_string(example("web-service.yaml")).expect("example SDL");
                    let sdl = parse_sdl(&text).expect("valid SDL");
                    let msg = market::ExecuteMsg::CreateDeployment {
                        dseq,
                        hash: HexBinary::from(sdl.manifest_hash().to_vec()),
                        groups: sdl.group_specs().expect("group specs"),
                        auto_match: false,
                    };
                    exec(MARKET, &msg, &[lease(5_000_000)])
                }
            }
        }
        "auditor" => {
            let owner = dev_address(if step % 4 < 2 { "provider-cpu" } else { "provider-gpu" });
            let msg = if step.is_multiple_of(2) {
                registry::ExecuteMsg::SignAttributes { owner, attributes: attrs(&[("region", "eu-west")]) }
            } else {
                registry::ExecuteMsg::DeleteAttributes { owner, keys: None }
            };
            exec(REGISTRY, &msg, &[])
        }
        other => panic!("no lane {other}"),
    }
}

/// Type erasure for the different contract message types `next_msg` builds.
mod erased {
    pub trait Json {
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("json")
        }
    }
}

/// What a committed tx did to the lanes' shared facts.
fn learn(name: &str, msg: &Any, r: &TxResult, shared: &Shared) {
    if r.code != 0 || msg.type_url != "/cosmwasm.wasm.v1.MsgExecuteContract" {
        return;
    }
    let m = cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract::decode(msg.value.as_slice()).expect("msg");
    if m.contract != MARKET {
        return;
    }
    let Ok(exec) = serde_json::from_slice::<market::ExecuteMsg>(&m.msg) else { return };
    match exec {
        market::ExecuteMsg::CreateDeployment { dseq, .. } => {
            shared.open.lock().expect("lock").insert(dseq, BTreeSet::new());
        }
        market::ExecuteMsg::CreateBid { order, .. } => {
            if let Some(b) = shared.open.lock().expect("lock").get_mut(&order.dseq) {
                b.insert(dev_address(name));
            }
        }
        market::ExecuteMsg::CreateLease { bid } => {
            shared.leased.lock().expect("lock").insert(bid.dseq);
        }
        market::ExecuteMsg::CloseDeployment { dseq } => {
            shared.open.lock().expect("lock").remove(&dseq);
        }
        _ => {}
    }
}

/// One lane: signs its next [`BATCH`] messages with consecutive sequences, broadcasts them and
/// waits until the node reports each in a block, across any number of node kills (re-signing
/// from the committed sequence what was lost with a killed node's mempool: the same message
/// at the same sequence is the same bytes, so a tx is never doubled).
async fn lane(name: &'static str, endpoint: String, chain_id: String, shared: Arc<Shared>) -> u64 {
    let key = SigningKey::from_mnemonic(dev_mnemonic(name), "", 0).expect("dev key");
    let me = dev_address(name);
    let fee = [lease(u128::from(GAS) * 25 / 1000)];
    let mut client: Option<ChainClient> = None;
    let mut step = 0u64;
    'batches: while !shared.stop.load(Ordering::SeqCst) {
        let msgs: Vec<Any> = (0..BATCH).map(|j| next_msg(name, step + j, j, &shared)).collect();
        // Per message: the hashes it was sent under, and its result once reported.
        let mut tried: Vec<Vec<String>> = vec![Vec::new(); msgs.len()];
        let mut done: Vec<Option<TxResult>> = vec![None; msgs.len()];
        let mut attempts = 0u32;
        loop {
            if shared.stop.load(Ordering::SeqCst) {
                break 'batches;
            }
            attempts += 1;
            assert!(attempts < 2_000, "lane {name}: steps {step}.. never got into a block");
            let c = match &client {
                Some(c) => c.clone(),
                None => match connect(&endpoint, &chain_id).await {
                    Ok(c) => {
                        client = Some(c.clone());
                        c
                    }
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            // What made it into a block (before a kill, or since the last look).
            'look: for (j, hashes) in tried.iter().enumerate() {
                if done[j].is_some() {
                    continue;
                }
                for h in hashes {
                    match c.tx(h).await {
                        Ok(Some(r)) => {
                            learn(name, &msgs[j], &r, &shared);
                            shared.reported.lock().expect("lock").push(r.clone());
                            done[j] = Some(r);
                            break;
                        }
                        Ok(None) => {}
                        Err(_) => {
                            client = None;
                            break 'look;
                        }
                    }
                }
            }
            if client.is_none() {
                continue;
            }
            if done.iter().all(Option::is_some) {
                step += BATCH;
                continue 'batches;
            }
            let sequence = match c.account(&me).await {
                Ok(Some(a)) => a,
                _ => {
                    client = None;
                    continue;
                }
            };
            let mut sent = Vec::new();
            let unsent = msgs.iter().enumerate().filter(|(j, _)| done[*j].is_none());
            for ((j, msg), seq) in unsent.zip(sequence.sequence..) {
                let tx =
                    sign_tx(&key, &chain_id, sequence.account_number, seq, std::slice::from_ref(msg), "", GAS, &fee);
                let hash = tx_hash(&tx);
                if !tried[j].contains(&hash) {
                    tried[j].push(hash.clone());
                }
                match c.broadcast(tx).await {
                    Ok(_) => sent.push(hash),
                    // Refused by CheckTx (a sequence taken by a tx still pooled, a duplicate):
                    // look again shortly.
                    Err(ClientError::TxRejected { .. }) => {
                        tokio::time::sleep(Duration::from_millis(60)).await;
                        break;
                    }
                    Err(_) => {
                        client = None;
                        break;
                    }
                }
            }
            // Wait for the last one sent (the others precede it), at most a while.
            let Some(last) = sent.last() else { continue };
            let since = Instant::now();
            while !shared.stop.load(Ordering::SeqCst) && since.elapsed() < Duration::from_secs(10) {
                match c.tx(last).await {
                    Ok(Some(_)) => break,
                    Ok(None) => tokio::time::sleep(Duration::from_millis(30)).await,
                    Err(_) => {
                        client = None;
                        break;
                    }
                }
            }
        }
    }
    step
}

/// The node child: `leaseholdd start --dev` on fixed loopback ports, output appended to a log.
struct NodeRunner {
    bin: PathBuf,
    home: PathBuf,
    grpc: String,
    rpc: String,
    log: PathBuf,
}

impl NodeRunner {
    fn spawn(&self) -> Child {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("node log");
        Command::new(&self.bin)
            .args(["--log-level", "info", "start", "--dev", "--home"])
            .arg(&self.home)
            .args(["--grpc-address", &self.grpc, "--rpc-address", &self.rpc])
            .args(["--block-interval-ms", &BLOCK_INTERVAL_MS.to_string()])
            .env_remove("RUST_LOG")
            .env_remove("LEASEHOLD_HOME")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn leaseholdd")
    }

    /// Waits until the node answers; panics with its log if it exits or never answers.
    async fn ready(&self, child: &mut Child, chain_id: &str) -> ChainClient {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!("leaseholdd exited on its own ({status}); log:\n{}", tail(&self.log, 40));
            }
            if let Ok(c) = connect(&format!("http://{}", self.grpc), chain_id).await
                && c.latest_block().await.is_ok()
            {
                return c;
            }
            assert!(Instant::now() < deadline, "leaseholdd never answered; log:\n{}", tail(&self.log, 40));
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// The indexer child: `leasehold index run` into `db`, isolated from the user's config.
fn spawn_indexer(endpoint: &str, db: &Path, until: Option<u64>, dir: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("indexer log");
    let mut cmd = Command::new(BIN);
    cmd.args(["--node", endpoint, "index", "run", "--db"]).arg(db).args(["--poll-ms", "50"]);
    if let Some(u) = until {
        cmd.args(["--until", &u.to_string()]);
    }
    for var in ["LEASEHOLD_NODE", "LEASEHOLD_INDEX_DB", "LEASEHOLD_CLIENT_CONFIG", "RUST_LOG"] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", dir)
        .env("LEASEHOLD_CLIENT_CONFIG", dir.join("client.toml"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn leasehold index run")
}

/// Every table of a SQLite index as sorted, printed rows.
fn sqlite_tables(path: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open(path).expect("open index");
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("tables");
    let mut out = BTreeMap::new();
    for name in names {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\"")).expect("select");
        let cols = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut cells = Vec::with_capacity(cols);
                for i in 0..cols {
                    cells.push(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                        v => format!("{v:?}"),
                    });
                }
                Ok(cells.join(" | "))
            })
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        rows.sort();
        out.insert(name, rows);
    }
    out
}

/// Every key and value of a node database's state table.
fn state_of(db: &Db) -> Vec<(Vec<u8>, Vec<u8>)> {
    let snap = db.snapshot().expect("snapshot");
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    loop {
        let lower = out.last().map_or(Bound::Unbounded, |(k, _)| Bound::Excluded(k.as_slice()));
        match snap.first(lower, Bound::Unbounded, Order::Ascending) {
            Some(kv) => out.push(kv),
            None => return out,
        }
    }
}

/// Replays the crashed node's blocks on a fresh app from the same genesis (never crashed) and
/// compares every block, app hash and the final state. Returns the number of blocks.
fn check_against_reference(home: &Path, reported: &[TxResult]) -> u64 {
    let crashed = Db::open(&home.join("data").join(leasehold_node::app::DB_FILE)).expect("open the crashed db");
    let (last, last_hash) = crashed.last_committed().expect("meta").expect("blocks committed");
    let genesis =
        Genesis::from_json(&std::fs::read(home.join("config/genesis.json")).expect("genesis")).expect("genesis parses");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut reference = App::open_dir(dir.path()).expect("reference app");
    reference.init_chain(&genesis).expect("init chain");
    let mut previous: Option<leasehold_node::blockstore::StoredBlock> = None;
    for h in 1..=last {
        let block = crashed.block(h).expect("read block").unwrap_or_else(|| panic!("block {h} is missing"));
        let header = block.header.clone().expect("header");
        assert_eq!(u64::try_from(header.height).expect("height"), h);
        if let Some(prev) = &previous {
            assert_eq!(header.app_hash, prev.app_hash, "block {h}'s header does not carry block {}'s app hash", h - 1);
            assert_eq!(
                header.last_block_id,
                prev.block_id,
                "block {h}'s header does not point at block {}'s id",
                h - 1
            );
        }
        let outcome = reference
            .finalize_block(header, block.block_id.clone().expect("block id"), block.txs.clone())
            .expect("reference executes the block");
        reference.commit().expect("reference commits");
        assert_eq!(
            hex::encode_upper(outcome.app_hash),
            hex::encode_upper(&block.app_hash),
            "app hash at height {h}: the crashed node diverges from the reference run"
        );
        let replayed = reference.view().block(h).expect("read").expect("reference block");
        assert_eq!(replayed, block, "block {h} (results, events) differs from the reference run");
        previous = Some(block);
    }
    assert_eq!(reference.last_committed().expect("committed"), (last, last_hash));
    drop(reference);
    let reference_db = Db::open(&dir.path().join(leasehold_node::app::DB_FILE)).expect("reopen the reference db");
    let (a, b) = (state_of(&crashed), state_of(&reference_db));
    assert_eq!(a.len(), b.len(), "state tables differ in size");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "state differs at key {}", hex::encode(&x.0));
    }
    for r in reported {
        let hash = hex::decode(&r.hash).expect("hex hash");
        let (height, index) =
            crashed.tx_location(&hash).expect("lookup").unwrap_or_else(|| panic!("tx {} lost", r.hash));
        assert_eq!(height, r.height, "tx {} moved", r.hash);
        let block = crashed.block(height).expect("read").expect("block");
        let res = &block.results[index as usize];
        assert_eq!((res.code, res.gas_used), (r.code, i64::try_from(r.gas_used).expect("gas")), "tx {}", r.hash);
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_the_node_and_the_indexer_at_random_moments() {
    let kills = env_u64("LEASEHOLD_CRASH_KILLS").map_or(DEFAULT_KILLS, |k| k as usize);
    let seed = env_u64("LEASEHOLD_CRASH_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos() as u64
    });
    println!("crash test: {kills} kills, seed {seed} (LEASEHOLD_CRASH_SEED={seed} replays the schedule)");
    let started = Instant::now();
    let mut rng = Rng(seed);
    let mut index_rng = Rng(seed ^ 0x5EED_1DE7);

    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("node");
    let init = std::process::Command::new(leaseholdd())
        .args(["init", "--home"])
        .arg(&home)
        .arg("--artifacts")
        .arg(artifacts())
        .env_remove("RUST_LOG")
        .output()
        .expect("leaseholdd init");
    assert!(init.status.success(), "leaseholdd init: {}", String::from_utf8_lossy(&init.stderr));
    let genesis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.join("config/genesis.json")).expect("genesis")).expect("json");
    let chain_id = genesis["chain_id"].as_str().expect("chain id").to_string();
    let node = NodeRunner {
        bin: leaseholdd(),
        home: home.clone(),
        grpc: format!("127.0.0.1:{}", free_port()),
        rpc: format!("127.0.0.1:{}", free_port()),
        log: dir.path().join("node.log"),
    };
    let endpoint = format!("http://{}", node.grpc);

    let shared = Arc::new(Shared::default());
    let lanes: Vec<_> = ["admin", "tenant", "provider-cpu", "provider-gpu", "auditor"]
        .into_iter()
        .map(|name| tokio::spawn(lane(name, endpoint.clone(), chain_id.clone(), Arc::clone(&shared))))
        .collect();

    // The indexer: killed at its own random moments, restarted; it exits by itself while the
    // node is down and is started again.
    let crashed_db = dir.path().join("index-crashed.sqlite");
    let index_log = dir.path().join("indexer.log");
    let index_stop = Arc::new(AtomicBool::new(false));
    let indexer = {
        let (endpoint, db, dir, log, stop) =
            (endpoint.clone(), crashed_db.clone(), dir.path().to_path_buf(), index_log.clone(), index_stop.clone());
        tokio::spawn(async move {
            let (mut kills, mut exits) = (0u64, 0u64);
            while !stop.load(Ordering::SeqCst) {
                let mut child = spawn_indexer(&endpoint, &db, None, &dir, &log);
                let wait = index_rng.millis(100, 2_500);
                if tokio::time::timeout(wait, child.wait()).await.is_ok() {
                    exits += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                } else {
                    child.kill().await.expect("kill -9 the indexer");
                    kills += 1;
                }
            }
            (kills, exits)
        })
    };

    let mut verified = 0usize;
    let mut last_seen: Option<(u64, Vec<u8>)> = None;
    let mut startup_kills = 0;
    let mut running = None;
    let mut alive = Duration::ZERO;
    for i in 0..=kills {
        let spawned = Instant::now();
        let mut child = node.spawn();
        if i < kills && i > 0 && rng.chance(10) {
            // During start-up: redb recovery, wasm modules, the first block.
            tokio::time::sleep(rng.millis(0, 400)).await;
            child.kill().await.expect("kill -9");
            alive += spawned.elapsed();
            startup_kills += 1;
            if (i + 1) % 10 == 0 {
                println!("  {} kills, {} txs reported, {:.0} s", i + 1, verified, started.elapsed().as_secs_f64());
            }
            continue;
        }
        let client = node.ready(&mut child, &chain_id).await;
        // The newest block seen before the last kill is still there, with the same id.
        if let Some((h, id)) = &last_seen {
            let b = client.block_with_txs(*h).await.expect("query").unwrap_or_else(|| panic!("block {h} lost"));
            assert_eq!(&b.block_id.expect("id").hash, id, "block {h} changed across a restart");
        }
        // Every tx reported committed before the kill is still there, unchanged.
        let reported: Vec<TxResult> = shared.reported.lock().expect("lock")[verified..].to_vec();
        for r in &reported {
            let now =
                client.tx(&r.hash).await.expect("GetTx").unwrap_or_else(|| {
                    panic!("tx {} reported at height {} is gone after restart {i}", r.hash, r.height)
                });
            assert_eq!(&now, r, "tx {} changed across a restart", r.hash);
        }
        verified += reported.len();
        if i == kills {
            running = Some((child, client));
            break;
        }
        tokio::time::sleep(rng.millis(50, 1_500)).await;
        if let Ok((h, _)) = client.latest_block().await
            && let Ok(Some(b)) = client.block_with_txs(h).await
        {
            last_seen = Some((h, b.block_id.expect("id").hash));
        }
        child.kill().await.expect("kill -9");
        alive += spawned.elapsed();
        if (i + 1) % 10 == 0 {
            println!("  {} kills, {} txs reported, {:.0} s", i + 1, verified, started.elapsed().as_secs_f64());
        }
    }
    // The node stays up now: stop the lanes, let a few more blocks commit.
    shared.stop.store(true, Ordering::SeqCst);
    let mut steps = BTreeMap::new();
    for (name, l) in ["admin", "tenant", "provider-cpu", "provider-gpu", "auditor"].into_iter().zip(lanes) {
        steps.insert(name, l.await.expect("lane"));
    }
    let (mut child, client) = running.expect("the node runs");
    let h0 = client.latest_block().await.expect("height").0;
    while client.latest_block().await.expect("height").0 < h0 + 3 {
        tokio::time::sleep(Duration::from_millis(BLOCK_INTERVAL_MS)).await;
    }
    let final_height = client.latest_block().await.expect("height").0;
    let reported = shared.reported.lock().expect("lock").clone();
    for r in &reported {
        let now = client.tx(&r.hash).await.expect("GetTx").unwrap_or_else(|| panic!("tx {} lost", r.hash));
        assert_eq!(&now, r, "tx {} changed", r.hash);
    }

    // The crashed indexer once more to the final height, then a clean one: the same rows.
    index_stop.store(true, Ordering::SeqCst);
    let (index_kills, index_exits) = indexer.await.expect("indexer task");
    let finish = |db: &Path, until: u64| {
        let mut c = spawn_indexer(&endpoint, db, Some(until), dir.path(), &index_log);
        async move { c.wait().await.expect("indexer runs") }
    };
    let status = finish(&crashed_db, final_height).await;
    assert!(status.success(), "the restarted indexer failed ({status}); log:\n{}", tail(&index_log, 30));
    // It may have indexed past the final height while it followed the chain: the clean run
    // goes to the same height.
    let indexed: i64 = rusqlite::Connection::open(&crashed_db)
        .expect("open index")
        .query_row("SELECT COALESCE(MAX(height), 0) FROM blocks", [], |r| r.get(0))
        .expect("last indexed height");
    let index_height = u64::try_from(indexed).expect("height").max(final_height);
    let clean_db = dir.path().join("index-clean.sqlite");
    let status = finish(&clean_db, index_height).await;
    assert!(status.success(), "the clean indexer failed ({status}); log:\n{}", tail(&index_log, 30));
    let (crashed_rows, clean_rows) = (sqlite_tables(&crashed_db), sqlite_tables(&clean_db));
    assert_eq!(crashed_rows.keys().collect::<Vec<_>>(), clean_rows.keys().collect::<Vec<_>>(), "tables");
    let mut total_rows = 0;
    for (table, rows) in &clean_rows {
        let got = &crashed_rows[table];
        if got != rows {
            let (a, b): (BTreeSet<&String>, BTreeSet<&String>) = (got.iter().collect(), rows.iter().collect());
            let missing: Vec<&&String> = b.difference(&a).take(3).collect();
            let extra: Vec<&&String> = a.difference(&b).take(3).collect();
            panic!(
                "indexer table {table}: {} rows after crashes, {} in a clean run; missing {missing:?}, extra {extra:?}",
                got.len(),
                rows.len()
            );
        }
        total_rows += rows.len();
    }

    // The last kill, then the uncrashed reference run over the node's blocks.
    child.kill().await.expect("kill -9");
    let busy_ms: u64 = std::fs::read_to_string(&node.log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split("took_ms=").nth(1))
        .filter_map(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    let home_for_check = home.clone();
    let reported_for_check = reported.clone();
    let blocks = tokio::task::spawn_blocking(move || check_against_reference(&home_for_check, &reported_for_check))
        .await
        .expect("reference run");
    let failed = reported.iter().filter(|r| r.code != 0).count();
    println!(
        "crash test passed: {kills}/{kills} kills of leaseholdd ({startup_kills} during start-up), {index_kills} \
         kills of the indexer ({index_exits} exits while the node was down); {} txs reported committed ({failed} \
         failed in their block) all found unchanged; {blocks} blocks equal to the reference run (app hash, results, \
         state); {total_rows} indexer rows equal to a clean run (height {index_height}); lanes' steps {steps:?}; \
         the producer spent {busy_ms} ms of the node's {:.0} s up in blocks with txs ({:.0}%: the share of \
         kills that landed in one); {:.1} s in all",
        reported.len(),
        alive.as_secs_f64(),
        busy_ms as f64 / 10.0 / alive.as_secs_f64().max(1e-9),
        started.elapsed().as_secs_f64()
    );
    assert!(reported.len() as u64 >= kills as u64, "too few txs got through to make the test meaningful");
}
