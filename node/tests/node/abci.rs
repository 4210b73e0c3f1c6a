//! The ABCI server driven over its socket the way CometBFT 0.38 drives it (tendermint-abci's
//! client): handshake Info, InitChain with the genesis app_state, blocks, CheckTx, Query, and a
//! restart that reports the last committed height and app hash.

use leasehold_node::abci;
use leasehold_node::app::App;
use leasehold_node::devnet::{DEV_CHAIN_ID, dev_genesis};
use leasehold_node::query::{NodeInfo, Services, router};
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

/// Serves the app in `dir` on a free port; returns the address.
fn serve(dir: &std::path::Path) -> std::net::SocketAddr {
    let app = App::open_dir(dir).unwrap();
    let services = Services {
        view: app.view(),
        broadcaster: std::sync::Arc::new(NoBroadcast),
        node: NodeInfo { moniker: "t".into(), node_id: "00".into(), grpc_address: String::new() },
    };
    let (svc, _thread) = abci::service(app, router(services));
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let (consensus, mempool, snapshot, info) = tower_abci::v038::split::service(svc, 1);
            let server = tower_abci::v038::Server::builder()
                .consensus(consensus)
                .mempool(mempool)
                .snapshot(snapshot)
                .info(info)
                .finish()
                .unwrap();
            let _ = server.listen_tcp(addr).await;
        });
    });
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    addr
}

/// The consensus params CometBFT sends at InitChain (its defaults).
fn consensus_params() -> tendermint_proto::v0_38::types::ConsensusParams {
    use tendermint_proto::v0_38::types::*;
    ConsensusParams {
        block: Some(BlockParams { max_bytes: 22_020_096, max_gas: -1 }),
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
