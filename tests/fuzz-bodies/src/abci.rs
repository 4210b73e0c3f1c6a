//! Target `abci`: arbitrary bytes as the stream of one ABCI connection — length-delimited
//! `tendermint.abci.Request` frames read by the socket server's own [`read_message`], converted
//! to tendermint-rs requests and answered by a real [`AbciApp`] (dev genesis, committed at
//! height 1), at most [`MAX_FRAMES`] per input. As the server does, the first frame that does
//! not decode or is refused ends the input.
//!
//! Checked: nothing panics; the application never halts; `InitChain` and `Commit` are refused
//! (the chain is initialised and no block is pending); the committed height and app hash never
//! change. A `FinalizeBlock` for the next height would execute a block, so it is not passed on
//! (at any other height it must be refused, and is).

use std::sync::{Arc, OnceLock};

use leasehold_node::abci::server::read_message;
use leasehold_node::abci::{AbciApp, AbciError};
use leasehold_node::app::ChainView;
use leasehold_node::app::exec::TxOutcome;
use leasehold_node::error::NodeError;
use leasehold_node::query::{TxBroadcaster, router};
use prost::Message;
use tempfile::TempDir;
use tendermint::v0_38::abci::Request;
use tendermint_proto::v0_38::abci as pb;

use crate::common::{dev_app, runtime, services};

/// Frames answered per input at most.
pub const MAX_FRAMES: usize = 32;

/// Broadcasts through an ABCI query are refused (CometBFT's mempool is the way in).
pub(crate) struct NoBroadcast;

impl TxBroadcaster for NoBroadcast {
    fn broadcast_sync(&self, _tx: Vec<u8>) -> Result<TxOutcome, NodeError> {
        Err(NodeError::Consensus("broadcast is not available here".into()))
    }

    fn broadcast_async(&self, _tx: Vec<u8>) -> Result<(), NodeError> {
        Err(NodeError::Consensus("broadcast is not available here".into()))
    }
}

struct Fixture {
    abci: AbciApp,
    view: ChainView,
    rt: tokio::runtime::Runtime,
    committed: (u64, [u8; 32]),
    _dir: TempDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (app, dir, _) = dev_app();
        let view = app.view();
        let (abci, _thread) = AbciApp::start(app, router(services(&view, Arc::new(NoBroadcast))))
            .unwrap_or_else(|e| panic!("abci app: {e}"));
        let status = view.status();
        Fixture { abci, view, rt: runtime(), committed: (status.height, status.app_hash), _dir: dir }
    })
}

/// Answers the frames in `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    let f = fixture();
    f.rt.block_on(async {
        let mut reader = data;
        for _ in 0..MAX_FRAMES {
            let raw = match read_message(&mut reader).await {
                Ok(Some(raw)) => raw,
                Ok(None) | Err(_) => return,
            };
            let Ok(request) = Request::try_from(raw) else { return };
            if let Request::FinalizeBlock(r) = &request
                && r.height.value() == f.committed.0 + 1
            {
                continue;
            }
            let must_refuse = matches!(request, Request::InitChain(_) | Request::Commit);
            let result = f.abci.call(request).await;
            if let Err(AbciError::Halted(reason)) = &result {
                panic!("the application halted: {reason}");
            }
            assert!(!must_refuse || matches!(result, Err(AbciError::OutOfOrder(_))), "not refused: {result:?}");
            let status = f.view.status();
            assert_eq!((status.height, status.app_hash), f.committed, "an ABCI request changed the committed state");
            if result.is_err() {
                return;
            }
        }
    });
}

fn frame(value: pb::request::Value) -> Vec<u8> {
    pb::Request { value: Some(value) }.encode_length_delimited_to_vec()
}

/// Seeds: one frame of each request kind CometBFT sends, and a connection's worth of them.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest;
    use pb::request::Value as V;
    use tendermint_proto::google::protobuf::Timestamp;

    let tx = crate::tx::seeds().into_iter().next().map(|(_, t)| t).unwrap_or_default();
    let time = Some(Timestamp { seconds: 1_735_689_700, nanos: 0 });
    let balance = QueryBalanceRequest { address: crate::common::dev("tenant").address(), denom: "ulease".into() };
    let info = frame(V::Info(pb::RequestInfo {
        version: "0.38.17".into(),
        block_version: 11,
        p2p_version: 8,
        abci_version: "2.0.0".into(),
    }));
    let query = frame(V::Query(pb::RequestQuery {
        data: balance.encode_to_vec().into(),
        path: "/cosmos.bank.v1beta1.Query/Balance".into(),
        height: 0,
        prove: false,
    }));
    let check = frame(V::CheckTx(pb::RequestCheckTx { tx: tx.clone().into(), r#type: 0 }));
    let recheck = frame(V::CheckTx(pb::RequestCheckTx { tx: tx.clone().into(), r#type: 1 }));
    let prepare = frame(V::PrepareProposal(pb::RequestPrepareProposal {
        max_tx_bytes: 1_048_576,
        txs: vec![tx.clone().into(), vec![1, 2, 3].into()],
        height: 2,
        time,
        next_validators_hash: vec![0; 32].into(),
        proposer_address: vec![0; 20].into(),
        ..Default::default()
    }));
    let process = frame(V::ProcessProposal(pb::RequestProcessProposal {
        txs: vec![tx.clone().into()],
        hash: vec![1; 32].into(),
        height: 2,
        time,
        next_validators_hash: vec![0; 32].into(),
        proposer_address: vec![0; 20].into(),
        ..Default::default()
    }));
    let finalize_later = frame(V::FinalizeBlock(pb::RequestFinalizeBlock {
        txs: vec![tx.into()],
        decided_last_commit: Some(pb::CommitInfo { round: 0, votes: vec![] }),
        hash: vec![2; 32].into(),
        height: 5,
        time,
        next_validators_hash: vec![0; 32].into(),
        proposer_address: vec![0; 20].into(),
        ..Default::default()
    }));
    let init = frame(V::InitChain(pb::RequestInitChain {
        time,
        chain_id: "leasehold-dev-1".into(),
        app_state_bytes: b"{}".to_vec().into(),
        initial_height: 1,
        ..Default::default()
    }));
    let echo = frame(V::Echo(pb::RequestEcho { message: "hello".into() }));
    let flush = frame(V::Flush(pb::RequestFlush {}));
    let commit = frame(V::Commit(pb::RequestCommit {}));
    let mut stream = Vec::new();
    for f in [&echo, &flush, &info, &query, &check, &prepare, &process] {
        stream.extend_from_slice(f);
    }
    vec![
        ("info".into(), info),
        ("query-balance".into(), query),
        ("check-tx".into(), check),
        ("recheck-tx".into(), recheck),
        ("prepare-proposal".into(), prepare),
        ("process-proposal".into(), process),
        ("finalize-block-height-5".into(), finalize_later),
        ("init-chain-again".into(), init),
        ("commit-without-block".into(), commit),
        ("connection".into(), stream),
    ]
}
