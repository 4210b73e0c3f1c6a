//! The ABCI server driven over its socket the way CometBFT 0.38 drives it (tendermint-abci's
//! client): handshake Info, InitChain with the genesis app_state, blocks, CheckTx, Query, and a
//! restart that reports the last committed height and app hash.

use crate::common::*;
use crate::determinism::session;
use leasehold_node::abci;
use leasehold_node::app::App;
use leasehold_node::devnet::{DEV_CHAIN_ID, dev_genesis};
use leasehold_node::query::limits::QueryLimits;
use leasehold_node::query::{NodeInfo, Services, router};
use prost::Message;
use tendermint_abci::ClientBuilder;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    RequestCheckTx, RequestFinalizeBlock, RequestInfo, RequestInitChain, RequestQuery,
};

struct NoBroadcast;
impl leasehold_node::query::TxBroadcaster for NoBroadcast {
    fn broadcast_sync(
        &self,
        _: Vec<u8>,
    ) -> Result<leasehold_node::app::exec::TxOutcome, leasehold_node::error::NodeError> {
        Err(leasehold_node::error::NodeError::Consensus("not in this test".into()))
    }
    fn broadcast_async(&self, _: Vec<u8>) -> Result<(), leasehold_node::error::NodeError> {
        Err(leasehold_node::error::NodeError::Consensus("not in this test".into()))
    }
}

/// Serves the app in `dir` on a free port (on its own runtime thread, for the blocking
/// tendermint-abci client); returns the address.
fn serve(dir: &std::path::Path) -> std::net::SocketAddr {
    let app = App::open_dir(dir).unwrap();
    let services = Services {
        view: app.view(),
        broadcaster: std::sync::Arc::new(NoBroadcast),
        node: NodeInfo { moniker: "t".into(), node_id: "00".into(), grpc_address: String::new() },
        limits: QueryLimits::new(&Default::default()),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let (abci_app, _thread) = abci::AbciApp::start(app, router(services)).unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let server = abci::serve(listener, abci_app).unwrap();
            tx.send(server.local_addr).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

/// The consensus params CometBFT sends at InitChain: those of the genesis file `leaseholdd`
/// writes (CometBFT's defaults but for the block gas limit).
fn consensus_params() -> tendermint_proto::v0_38::types::ConsensusParams {
    leasehold_node::query::consensus::consensus_params(&leasehold_node::app::params::BlockParams::default())
}

/// CometBFT's InitChain for `genesis` (its app_state as JSON bytes).
fn init_chain(genesis: &leasehold_node::genesis::Genesis) -> RequestInitChain {
    RequestInitChain {
        time: Some(Timestamp { seconds: 1_800_000_000, nanos: 0 }),
        chain_id: DEV_CHAIN_ID.into(),
        app_state_bytes: serde_json::to_vec(&genesis.app_state).unwrap().into(),
        initial_height: 1,
        consensus_params: Some(consensus_params()),
        ..Default::default()
    }
}

fn block(height: i64) -> RequestFinalizeBlock {
    RequestFinalizeBlock {
        height,
        time: Some(Timestamp { seconds: 1_800_000_000 + height, nanos: 0 }),
        hash: vec![height as u8; 32].into(),
        next_validators_hash: vec![0; 32].into(),
        proposer_address: vec![1; 20].into(),
        decided_last_commit: Some(tendermint_proto::v0_38::abci::CommitInfo { round: 0, votes: vec![] }),
        ..Default::default()
    }
}

#[test]
fn handshake_blocks_check_tx_query_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
    let genesis = dev_genesis(&artifacts, DEV_CHAIN_ID, "2026-01-01T00:00:00Z").unwrap();
    let addr = serve(dir.path());
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    let info = c.info(RequestInfo::default()).unwrap();
    assert_eq!((info.last_block_height, info.last_block_app_hash.len()), (0, 0));
    let init = c.init_chain(init_chain(&genesis)).unwrap();
    assert_eq!(init.app_hash.len(), 32);
    let mut hashes = Vec::new();
    for h in 1..=3 {
        let r = c.finalize_block(block(h)).unwrap();
        assert_eq!(r.app_hash.len(), 32);
        hashes.push(r.app_hash.to_vec());
        c.commit().unwrap();
    }
    // Undecodable bytes are refused by CheckTx with the SDK's code 2.
    let bad = c.check_tx(RequestCheckTx { tx: vec![1, 2, 3].into(), r#type: 0 }).unwrap();
    assert_eq!((bad.code, bad.codespace.as_str()), (2, "sdk"));
    // Query goes through the same router as gRPC.
    let q = c
        .query(RequestQuery { path: "/cosmos.base.tendermint.v1beta1.Service/GetSyncing".into(), ..Default::default() })
        .unwrap();
    assert_eq!(q.code, 0, "{}", q.log);
    let info = c.info(RequestInfo::default()).unwrap();
    assert_eq!(info.last_block_height, 3);
    assert_eq!(info.last_block_app_hash.to_vec(), hashes[2]);
    drop(c);

    // A second node fed the same blocks computes the same app hashes.
    let dir2 = tempfile::tempdir().unwrap();
    let mut c2 = ClientBuilder::default().connect(serve(dir2.path())).unwrap();
    c2.init_chain(init_chain(&genesis)).unwrap();
    for h in 1..=3 {
        let r = c2.finalize_block(block(h)).unwrap();
        assert_eq!(r.app_hash.to_vec(), hashes[(h - 1) as usize], "height {h}");
        c2.commit().unwrap();
    }
}

/// CometBFT's FinalizeBlock for a block the dev producer made: same height, time and txs.
fn replay_of(node: &TestNode, height: u64, txs: &[Vec<u8>]) -> RequestFinalizeBlock {
    let time = node.time_of(height);
    RequestFinalizeBlock {
        txs: txs.iter().map(|t| t.clone().into()).collect(),
        time: Some(time.into()),
        ..block(height as i64)
    }
}

/// The dev genesis as CometBFT's InitChain carries it (time and chain id of `genesis()`).
fn init_dev_chain() -> RequestInitChain {
    let genesis = genesis();
    RequestInitChain { time: Some(genesis.time().unwrap().into()), ..init_chain(&genesis) }
}

#[test]
fn the_dev_producer_and_the_abci_path_give_identical_app_hashes() {
    let mut node = TestNode::new();
    let genesis_block = node.app().view().block(1).unwrap().unwrap();
    let heights = session(&mut node, false);
    assert!(heights.iter().any(|h| !h.txs.is_empty()));

    let dir = tempfile::tempdir().unwrap();
    let mut c = ClientBuilder::default().connect(serve(dir.path())).unwrap();
    c.init_chain(init_dev_chain()).unwrap();
    let first = c.finalize_block(replay_of(&node, 1, &[])).unwrap();
    assert_eq!(first.app_hash.to_vec(), genesis_block.app_hash, "height 1 (genesis block)");
    c.commit().unwrap();
    for h in &heights {
        let r = c.finalize_block(replay_of(&node, h.height, &h.txs)).unwrap();
        assert_eq!(r.app_hash.to_vec(), h.app_hash.to_vec(), "app hash at height {}", h.height);
        let codes: Vec<u32> = r.tx_results.iter().map(|t| t.code).collect();
        assert_eq!(codes, h.codes, "tx codes at height {}", h.height);
        c.commit().unwrap();
    }
    let info = c.info(RequestInfo::default()).unwrap();
    let last = heights.last().unwrap();
    assert_eq!(
        (info.last_block_height as u64, info.last_block_app_hash.to_vec()),
        (last.height, last.app_hash.to_vec())
    );
}

/// `leaseholdd start` (ABCI mode) as a child process, killed on drop.
struct AbciProcess {
    child: std::process::Child,
    abci: std::net::SocketAddr,
}

impl AbciProcess {
    fn start(home: &std::path::Path) -> AbciProcess {
        let config = leasehold_node::config::NodeConfig::load(&home.join("config/config.toml")).unwrap();
        let abci: std::net::SocketAddr = config.abci.address.parse().unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_leaseholdd"))
            .args(["start", "--home"])
            .arg(home)
            .args(["--log-level", "warn"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn leaseholdd");
        let mut process = AbciProcess { child, abci };
        for _ in 0..500 {
            if std::net::TcpStream::connect(abci).is_ok() {
                return process;
            }
            if let Some(status) = process.child.try_wait().unwrap() {
                panic!("leaseholdd exited early: {status}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        process.kill();
        panic!("leaseholdd did not open {abci}");
    }

    /// SIGKILL: no shutdown path runs, as in a crash.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AbciProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A home for `leaseholdd start` in ABCI mode: just config.toml, on free ports.
fn abci_home(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let mut config = leasehold_node::config::NodeConfig::default();
    config.grpc.address = format!("127.0.0.1:{}", free_port());
    config.abci.address = format!("127.0.0.1:{}", free_port());
    config.abci.comet_rpc = format!("http://127.0.0.1:{}", free_port());
    config.minimum_gas_prices = String::new();
    config.save(&dir.join("config/config.toml")).unwrap();
}

#[test]
fn killed_between_finalize_and_commit_the_app_replays_to_the_same_app_hash() {
    let mut node = TestNode::new();
    let heights = session(&mut node, false);
    let (last, before) = heights.split_last().unwrap();
    assert!(!last.txs.is_empty() || before.iter().any(|h| !h.txs.is_empty()));

    let home = tempfile::tempdir().unwrap();
    abci_home(home.path());
    let mut app = AbciProcess::start(home.path());
    let mut c = ClientBuilder::default().connect(app.abci).unwrap();
    assert_eq!(c.info(RequestInfo::default()).unwrap().last_block_height, 0);
    c.init_chain(init_dev_chain()).unwrap();
    c.finalize_block(replay_of(&node, 1, &[])).unwrap();
    c.commit().unwrap();
    for h in before {
        c.finalize_block(replay_of(&node, h.height, &h.txs)).unwrap();
        c.commit().unwrap();
    }
    // The last block is finalized, then the process dies before Commit.
    let finalized = c.finalize_block(replay_of(&node, last.height, &last.txs)).unwrap();
    assert_eq!(finalized.app_hash.to_vec(), last.app_hash.to_vec());
    drop(c);
    app.kill();

    // Restarted, it reports the last committed block, and CometBFT's replay of the lost block
    // gives the same app hash and results.
    let app = AbciProcess::start(home.path());
    let mut c = ClientBuilder::default().connect(app.abci).unwrap();
    let info = c.info(RequestInfo::default()).unwrap();
    let previous = before.last().unwrap();
    assert_eq!(info.last_block_height as u64, previous.height);
    assert_eq!(info.last_block_app_hash.to_vec(), previous.app_hash.to_vec());
    let replayed = c.finalize_block(replay_of(&node, last.height, &last.txs)).unwrap();
    assert_eq!(replayed.app_hash, finalized.app_hash);
    assert_eq!(replayed.tx_results, finalized.tx_results);
    c.commit().unwrap();
    let info = c.info(RequestInfo::default()).unwrap();
    assert_eq!(info.last_block_height as u64, last.height);

    // Queries answer from the committed state, at its height.
    let tenant = dev("tenant");
    let q = c
        .query(RequestQuery {
            path: "/cosmos.bank.v1beta1.Query/Balance".into(),
            data: cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest {
                address: tenant.address.clone(),
                denom: DENOM.into(),
            }
            .encode_to_vec()
            .into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((q.code, q.height as u64), (0, last.height), "{}", q.log);
    let balance = cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(q.value.as_ref()).unwrap();
    assert_eq!(balance.balance.unwrap().amount, node.balance(&tenant.address, DENOM).to_string());
}

#[test]
fn queries_report_their_height_and_sdk_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = ClientBuilder::default().connect(serve(dir.path())).unwrap();
    c.init_chain(init_dev_chain()).unwrap();
    c.finalize_block(block(1)).unwrap();
    c.commit().unwrap();
    let account = |address: &str, height: i64| RequestQuery {
        path: "/cosmos.auth.v1beta1.Query/Account".into(),
        data: cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest { address: address.into() }
            .encode_to_vec()
            .into(),
        height,
        prove: false,
    };
    let known = c.query(account(&dev("admin").address, 0)).unwrap();
    assert_eq!((known.code, known.height), (0, 1), "{}", known.log);
    // CosmJS tells a missing account from a failure by this log.
    let (_, stranger) = fresh(9);
    let missing = c.query(account(stranger.as_ref(), 0)).unwrap();
    assert_eq!((missing.code, missing.codespace.as_str(), missing.height), (22, "sdk", 1));
    assert!(missing.log.starts_with("rpc error: code = NotFound desc = "), "{}", missing.log);
    let future = c.query(account(&dev("admin").address, 5)).unwrap();
    assert_eq!((future.code, future.codespace.as_str()), (18, "sdk"), "{}", future.log);
    let unknown = c.query(RequestQuery { path: "/no.such.Query/Method".into(), ..Default::default() }).unwrap();
    assert_eq!(unknown.code, 6, "{}", unknown.log);
}

#[test]
fn out_of_order_requests_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path());
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    // A block before InitChain, then Commit with nothing finalized: each closes its connection.
    assert!(c.finalize_block(block(1)).is_err());
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    assert!(c.commit().is_err());
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    let init = c.init_chain(init_dev_chain()).unwrap();
    assert!(ClientBuilder::default().connect(addr).unwrap().init_chain(init_dev_chain()).is_err());
    assert!(ClientBuilder::default().connect(addr).unwrap().finalize_block(block(2)).is_err());
    let mut c2 = ClientBuilder::default().connect(addr).unwrap();
    let first = c2.finalize_block(block(1)).unwrap();
    assert!(ClientBuilder::default().connect(addr).unwrap().finalize_block(block(2)).is_err(), "block 1 awaits Commit");
    c2.commit().unwrap();
    // The refused requests changed nothing: a fresh app fed only the valid ones agrees.
    let fresh_dir = tempfile::tempdir().unwrap();
    let mut f = ClientBuilder::default().connect(serve(fresh_dir.path())).unwrap();
    assert_eq!(f.init_chain(init_dev_chain()).unwrap().app_hash, init.app_hash);
    assert_eq!(f.finalize_block(block(1)).unwrap().app_hash, first.app_hash);
    // `c` only made the accepted InitChain, so it is still open.
    assert_eq!(c.info(RequestInfo::default()).unwrap().last_block_height, 1);
}

/// Writes raw bytes to the ABCI socket and reads what comes back until the server closes.
fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<tendermint_proto::v0_38::abci::Response> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let mut buf = out.as_slice();
    let mut responses = Vec::new();
    while !buf.is_empty() {
        responses.push(tendermint_proto::v0_38::abci::Response::decode_length_delimited(&mut buf).unwrap());
    }
    responses
}

fn exception(r: &tendermint_proto::v0_38::abci::Response) -> Option<&str> {
    match &r.value {
        Some(tendermint_proto::v0_38::abci::response::Value::Exception(e)) => Some(e.error.as_str()),
        _ => None,
    }
}

#[test]
fn malformed_bytes_get_an_exception_and_a_closed_connection() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path());
    // Not a protobuf Request.
    let garbage = raw_exchange(addr, &[5, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(garbage.len(), 1);
    assert!(exception(&garbage[0]).unwrap().contains("malformed request"), "{garbage:?}");
    // A length far over the limit: refused before reading (no 1 TB buffer).
    let mut huge = Vec::new();
    prost::encoding::encode_varint(1 << 40, &mut huge);
    let oversized = raw_exchange(addr, &huge);
    assert!(exception(&oversized[0]).unwrap().contains("exceeds the limit"), "{oversized:?}");
    // A length prefix that never ends.
    let endless = raw_exchange(addr, &[0xff; 12]);
    assert!(exception(&endless[0]).unwrap().contains("length prefix"), "{endless:?}");
    // An echo followed by garbage: the echo is answered, then the exception.
    let echo = tendermint_proto::v0_38::abci::Request {
        value: Some(tendermint_proto::v0_38::abci::request::Value::Echo(tendermint_proto::v0_38::abci::RequestEcho {
            message: "hi".into(),
        })),
    };
    let mut bytes = echo.encode_length_delimited_to_vec();
    bytes.extend_from_slice(&[3, 0xff, 0xff, 0xff]);
    let mixed = raw_exchange(addr, &bytes);
    assert_eq!(mixed.len(), 2, "{mixed:?}");
    assert!(exception(&mixed[1]).is_some());
    // The server is still fine.
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    assert_eq!(c.info(RequestInfo::default()).unwrap().last_block_height, 0);
}

#[test]
fn testnet_writes_what_cometbft_and_leaseholdd_read() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("net");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_leaseholdd"))
        .args(["testnet", "--validators", "3", "--chain-id", "leasehold-test-7", "--output"])
        .arg(&dir)
        .arg("--artifacts")
        .arg(artifacts())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(dir.join("genesis.json")).unwrap();
    // tendermint-rs reads CometBFT genesis files with CometBFT's own rules.
    let doc: tendermint::Genesis<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(doc.chain_id.as_str(), "leasehold-test-7");
    assert_eq!(doc.validators.len(), 3);
    let peers = std::fs::read_to_string(dir.join("peers.txt")).unwrap();
    let mut ports = std::collections::BTreeSet::new();
    for (i, v) in doc.validators.iter().enumerate() {
        let comet = dir.join(format!("validator-{i}/cometbft"));
        let key: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(comet.join("config/priv_validator_key.json")).unwrap())
                .unwrap();
        assert_eq!(key["address"].as_str().unwrap(), v.address.to_string());
        let node_key: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(comet.join("config/node_key.json")).unwrap()).unwrap();
        use base64::Engine;
        let raw =
            base64::engine::general_purpose::STANDARD.decode(node_key["priv_key"]["value"].as_str().unwrap()).unwrap();
        let public = tendermint::crypto::ed25519::VerificationKey::try_from(&raw[32..]).unwrap();
        let id = tendermint::node::Id::from(public).to_string();
        assert!(peers.contains(&format!("{id}@127.0.0.1:{}", 26656 + 100 * i)), "{peers}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(comet.join("config/node_key.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_to_string(comet.join("config/genesis.json")).unwrap(), text);
        let config =
            leasehold_node::config::NodeConfig::load(&dir.join(format!("validator-{i}/leasehold/config/config.toml")))
                .unwrap();
        assert!(ports.insert(config.abci.address.clone()) && ports.insert(config.grpc.address.clone()));
        assert_eq!(config.abci.comet_rpc, format!("http://127.0.0.1:{}", 26657 + 100 * i));
    }
    // The app accepts the genesis app_state as CometBFT sends it.
    let app_dir = tempfile::tempdir().unwrap();
    let mut c = ClientBuilder::default().connect(serve(app_dir.path())).unwrap();
    let request = RequestInitChain {
        chain_id: "leasehold-test-7".into(),
        app_state_bytes: serde_json::to_vec(&doc.app_state).unwrap().into(),
        ..init_chain(&genesis())
    };
    assert_eq!(c.init_chain(request).unwrap().app_hash.len(), 32);
    // A non-empty output directory is refused.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_leaseholdd"))
        .args(["testnet", "--validators", "1", "--output"])
        .arg(&dir)
        .arg("--artifacts")
        .arg(artifacts())
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

/// CometBFT restarted between FinalizeBlock and Commit while `leaseholdd` kept running: after the
/// new handshake (Info still reports the last commit) it sends FinalizeBlock for the same height
/// again. The pending block is discarded and executed anew — same results, same app hash — and
/// Commit follows (regression: the app refused every FinalizeBlock while a block was pending, so
/// the node wedged). Also at height 1, where the genesis writes are not persisted yet.
#[test]
fn finalize_block_again_at_the_pending_height_re_executes_it() {
    let mut node = TestNode::new();
    let heights = session(&mut node, false);
    let with_txs = heights.iter().find(|h| !h.txs.is_empty()).expect("a block with txs");

    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path());
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    c.init_chain(init_dev_chain()).unwrap();
    let first = c.finalize_block(replay_of(&node, 1, &[])).unwrap();
    // CometBFT restarts: a new connection, the handshake, block 1 again.
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    assert_eq!(c.info(RequestInfo::default()).unwrap().last_block_height, 0);
    let again = c.finalize_block(replay_of(&node, 1, &[])).unwrap();
    assert_eq!(again.app_hash, first.app_hash, "height 1 on top of the unpersisted genesis");
    c.commit().unwrap();
    for h in heights.iter().take_while(|h| h.height < with_txs.height) {
        c.finalize_block(replay_of(&node, h.height, &h.txs)).unwrap();
        c.commit().unwrap();
    }
    let once = c.finalize_block(replay_of(&node, with_txs.height, &with_txs.txs)).unwrap();
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    assert_eq!(c.info(RequestInfo::default()).unwrap().last_block_height as u64, with_txs.height - 1);
    let twice = c.finalize_block(replay_of(&node, with_txs.height, &with_txs.txs)).unwrap();
    assert_eq!(twice.app_hash, once.app_hash);
    assert_eq!(twice.app_hash.to_vec(), with_txs.app_hash.to_vec(), "as the dev producer computed it");
    let codes: Vec<u32> = twice.tx_results.iter().map(|t| t.code).collect();
    assert_eq!(codes, with_txs.codes, "every tx ran again as the first time (no sequence seen twice)");
    // Another height while a block is pending is still refused.
    assert!(ClientBuilder::default().connect(addr).unwrap().finalize_block(block(with_txs.height as i64 + 1)).is_err());
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    c.commit().unwrap();
    let info = c.info(RequestInfo::default()).unwrap();
    assert_eq!(
        (info.last_block_height as u64, info.last_block_app_hash.to_vec()),
        (with_txs.height, with_txs.app_hash.to_vec())
    );
}

/// CheckTx between FinalizeBlock and Commit sees the last committed state, never the pending
/// block half-applied: a tx of the pending block checks as valid (its sequence is still the
/// committed one) until Commit, then is refused for its sequence.
#[test]
fn check_tx_between_finalize_and_commit_sees_the_last_commit() {
    let mut node = TestNode::new();
    let heights = session(&mut node, false);
    let with_txs = heights.iter().find(|h| !h.txs.is_empty()).expect("a block with txs");
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path());
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    c.init_chain(init_dev_chain()).unwrap();
    c.finalize_block(replay_of(&node, 1, &[])).unwrap();
    c.commit().unwrap();
    for h in heights.iter().filter(|h| h.height > 1).take_while(|h| h.height < with_txs.height) {
        c.finalize_block(replay_of(&node, h.height, &h.txs)).unwrap();
        c.commit().unwrap();
    }
    let tx = with_txs.txs[0].clone();
    let pending = c.finalize_block(replay_of(&node, with_txs.height, &with_txs.txs)).unwrap();
    assert_eq!(pending.tx_results[0].code, 0);
    let check = c.check_tx(RequestCheckTx { tx: tx.clone().into(), r#type: 0 }).unwrap();
    assert_eq!(check.code, 0, "before Commit the block is not visible to CheckTx: {}", check.log);
    c.commit().unwrap();
    let check = c.check_tx(RequestCheckTx { tx: tx.into(), r#type: 0 }).unwrap();
    assert_eq!((check.codespace.as_str(), check.code), ("sdk", 32), "after Commit: {}", check.log);
}

/// One request frame to the ABCI socket and its response (after a flush), on a fresh connection.
fn one_request(
    addr: std::net::SocketAddr,
    value: tendermint_proto::v0_38::abci::request::Value,
) -> tendermint_proto::v0_38::abci::Response {
    use tendermint_proto::v0_38::abci::{Request, RequestFlush, request};
    let mut bytes = Request { value: Some(value) }.encode_length_delimited_to_vec();
    bytes.extend(Request { value: Some(request::Value::Flush(RequestFlush {})) }.encode_length_delimited_to_vec());
    let mut out = raw_exchange(addr, &bytes);
    out.remove(0)
}

/// The block gas limit (CometBFT's `consensus_params.block.max_gas`, here 100M, from InitChain)
/// holds everywhere a block is made or checked: PrepareProposal takes txs while their gas limits
/// fit, ProcessProposal rejects a block over it, FinalizeBlock refuses (code 11) a tx the block
/// has no gas left for, and `cosmos.consensus.v1.Query/Params` reports it.
#[test]
fn the_block_gas_limit_holds_in_prepare_process_finalize_and_queries() {
    use tendermint_proto::v0_38::abci::{RequestPrepareProposal, RequestProcessProposal, request};
    let node = TestNode::new();
    let to = dev("admin");
    let txs: Vec<Vec<u8>> = ["tenant", "provider-gpu", "auditor"]
        .iter()
        .map(|name| {
            let from = dev(name);
            node.sign(
                &from,
                vec![send(&from.account_id, &to.account_id, vec![coin(1, DENOM)])],
                1_000,
                40_000_000,
                None,
            )
        })
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path());
    let mut c = ClientBuilder::default().connect(addr).unwrap();
    let mut init = init_dev_chain();
    init.consensus_params.as_mut().unwrap().block.as_mut().unwrap().max_gas = 100_000_000;
    c.init_chain(init).unwrap();
    c.finalize_block(replay_of(&node, 1, &[])).unwrap();
    c.commit().unwrap();

    let prepare = request::Value::PrepareProposal(RequestPrepareProposal {
        max_tx_bytes: 1_000_000,
        txs: txs.iter().map(|t| t.clone().into()).collect(),
        height: 2,
        time: Some(node.time_of(2).into()),
        proposer_address: vec![1; 20].into(),
        next_validators_hash: vec![0; 32].into(),
        ..Default::default()
    });
    match one_request(addr, prepare).value {
        Some(tendermint_proto::v0_38::abci::response::Value::PrepareProposal(p)) => {
            assert_eq!(p.txs.len(), 2, "two 40M txs fit 100M, the third does not")
        }
        other => panic!("{other:?}"),
    }
    let process = |n: usize| {
        let req = request::Value::ProcessProposal(RequestProcessProposal {
            txs: txs[..n].iter().map(|t| t.clone().into()).collect(),
            height: 2,
            time: Some(node.time_of(2).into()),
            hash: vec![2; 32].into(),
            proposer_address: vec![1; 20].into(),
            next_validators_hash: vec![0; 32].into(),
            ..Default::default()
        });
        match one_request(addr, req).value {
            Some(tendermint_proto::v0_38::abci::response::Value::ProcessProposal(p)) => p.status,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(process(2), tendermint_proto::v0_38::abci::response_process_proposal::ProposalStatus::Accept as i32);
    assert_eq!(process(3), tendermint_proto::v0_38::abci::response_process_proposal::ProposalStatus::Reject as i32);

    let mut c = ClientBuilder::default().connect(addr).unwrap();
    let r = c.finalize_block(replay_of(&node, 2, &txs)).unwrap();
    let codes: Vec<(u32, &str)> = r.tx_results.iter().map(|t| (t.code, t.codespace.as_str())).collect();
    assert_eq!(codes, vec![(0, ""), (0, ""), (11, "sdk")]);
    assert!(r.tx_results[2].log.contains("no block gas left"), "{}", r.tx_results[2].log);
    c.commit().unwrap();

    let q = c.query(RequestQuery { path: "/cosmos.consensus.v1.Query/Params".into(), ..Default::default() }).unwrap();
    assert_eq!(q.code, 0, "{}", q.log);
    let params = leasehold_node::query::consensus::QueryConsensusParamsResponse::decode(q.value.as_ref()).unwrap();
    assert_eq!(params.params.unwrap().block.unwrap().max_gas, 100_000_000);
    let legacy = c
        .query(RequestQuery {
            path: "/cosmos.params.v1beta1.Query/Params".into(),
            data: cosmos_sdk_proto::cosmos::params::v1beta1::QueryParamsRequest {
                subspace: "baseapp".into(),
                key: "BlockParams".into(),
            }
            .encode_to_vec()
            .into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(legacy.code, 0, "{}", legacy.log);
    let p = cosmos_sdk_proto::cosmos::params::v1beta1::QueryParamsResponse::decode(legacy.value.as_ref()).unwrap();
    assert_eq!(p.param.unwrap().value, r#"{"max_bytes":"22020096","max_gas":"100000000"}"#);
}
