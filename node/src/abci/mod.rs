//! The ABCI 2.0 server (CometBFT v0.38) — `leaseholdd start` without `--dev`.
//!
//! tower-abci accepts CometBFT's four connections; every request goes through one service
//! ([`AbciService`]). Consensus and mempool requests are handed, in arrival order, to one thread
//! that owns the [`App`] (so they run strictly sequentially and contract code never runs on an
//! async task); `Query` is answered from committed state by the gRPC router, concurrently.
//! Nothing is persisted before `Commit`; `Info` reports the last committed height and app hash,
//! so CometBFT's handshake replays exactly the blocks the app has not committed.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};

use bytes::Bytes;
use leasehold_grpc_router::Router;
use tendermint::abci::types::ExecTxResult;
use tendermint::v0_38::abci::{Request, Response, request, response};
use tendermint_proto::types::{BlockId, Header, PartSetHeader};
use tokio::sync::oneshot;

use crate::app::App;
use crate::error::NodeError;
use crate::genesis::{AppState, Genesis};
use crate::tx::decode_tx;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Job {
    request: Request,
    reply: oneshot::Sender<Response>,
}

/// The service tower-abci calls for every connection.
#[derive(Clone)]
pub struct AbciService {
    jobs: mpsc::Sender<Job>,
    router: Router,
}

impl tower::Service<Request> for AbciService {
    type Response = Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match req {
            Request::Query(q) => {
                let router = self.router.clone();
                Box::pin(async move { Ok(Response::Query(query(&router, q).await)) })
            }
            Request::Echo(e) => Box::pin(async move { Ok(Response::Echo(response::Echo { message: e.message })) }),
            Request::Flush => Box::pin(async { Ok(Response::Flush) }),
            Request::ListSnapshots => Box::pin(async { Ok(Response::ListSnapshots(Default::default())) }),
            Request::OfferSnapshot(_) => Box::pin(async { Ok(Response::OfferSnapshot(Default::default())) }),
            Request::LoadSnapshotChunk(_) => Box::pin(async { Ok(Response::LoadSnapshotChunk(Default::default())) }),
            Request::ApplySnapshotChunk(_) => Box::pin(async { Ok(Response::ApplySnapshotChunk(Default::default())) }),
            other => {
                let (reply, rx) = oneshot::channel();
                let sent = self.jobs.send(Job { request: other, reply });
                Box::pin(async move {
                    sent.map_err(|_| "the application thread has stopped")?;
                    Ok(rx.await.map_err(|_| "the application thread has stopped")?)
                })
            }
        }
    }
}

async fn query(router: &Router, q: request::Query) -> response::Query {
    let height = tendermint::block::Height::default();
    match router.call(&q.path, q.data.to_vec()).await {
        Ok(value) => response::Query { value: value.into(), height, ..Default::default() },
        Err(status) => response::Query {
            code: 1u32.into(),
            log: format!("rpc error: code = {:?} desc = {}", status.code(), status.message()),
            codespace: "sdk".into(),
            height,
            ..Default::default()
        },
    }
}

/// Starts the application thread and returns the service to serve.
pub fn service(app: App, router: Router) -> (AbciService, std::thread::JoinHandle<Result<(), NodeError>>) {
    let (jobs, rx) = mpsc::channel::<Job>();
    let handle = std::thread::Builder::new()
        .name("abci-app".into())
        .spawn(move || run(app, rx))
        .unwrap_or_else(|e| panic!("cannot start the application thread: {e}"));
    (AbciService { jobs, router }, handle)
}

fn run(mut app: App, rx: mpsc::Receiver<Job>) -> Result<(), NodeError> {
    while let Ok(job) = rx.recv() {
        let response = handle(&mut app, job.request)?;
        let _ = job.reply.send(response);
    }
    Ok(())
}

fn app_hash(h: [u8; 32]) -> tendermint::AppHash {
    tendermint::AppHash::try_from(h.to_vec()).unwrap_or_default()
}

/// One consensus or mempool request. An error here is fatal: CometBFT must not go on with an
/// app that failed to execute or persist a block.
fn handle(app: &mut App, req: Request) -> Result<Response, NodeError> {
    Ok(match req {
        Request::Info(_) => {
            let (height, hash) = app.last_committed()?;
            Response::Info(response::Info {
                data: "leasehold".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                app_version: 1,
                last_block_height: tendermint::block::Height::try_from(height)
                    .map_err(|e| NodeError::Consensus(e.to_string()))?,
                last_block_app_hash: if height == 0 { Default::default() } else { app_hash(hash) },
            })
        }
        Request::InitChain(r) => {
            let app_state: AppState = serde_json::from_slice(&r.app_state_bytes)
                .map_err(|e| NodeError::Genesis(format!("app_state: {e}")))?;
            let genesis = Genesis {
                genesis_time: r.time.to_rfc3339(),
                chain_id: r.chain_id.clone(),
                initial_height: r.initial_height.value().to_string(),
                app_hash: String::new(),
                app_state,
            };
            let (hash, _) = app.init_chain(&genesis)?;
            Response::InitChain(response::InitChain {
                consensus_params: None,
                validators: vec![],
                app_hash: app_hash(hash),
            })
        }
        Request::PrepareProposal(r) => {
            let max = usize::try_from(r.max_tx_bytes).unwrap_or(0);
            let mut size = 0;
            let txs = r
                .txs
                .into_iter()
                .take_while(|t| {
                    size += t.len();
                    size <= max
                })
                .collect();
            Response::PrepareProposal(response::PrepareProposal { txs })
        }
        Request::ProcessProposal(r) => {
            let limits = app.params().map(|p| p.limits.clone()).unwrap_or_default();
            let all_decode = r.txs.iter().all(|t| decode_tx(t, &limits).is_ok());
            Response::ProcessProposal(if all_decode {
                response::ProcessProposal::Accept
            } else {
                response::ProcessProposal::Reject
            })
        }
        Request::FinalizeBlock(r) => {
            let (_, previous) = app.state();
            let chain_id = app.params().map(|p| p.chain_id.clone()).unwrap_or_default();
            let header = Header {
                chain_id,
                height: i64::try_from(r.height.value()).unwrap_or(i64::MAX),
                time: Some(r.time.into()),
                app_hash: previous.to_vec(),
                next_validators_hash: r.next_validators_hash.as_bytes().to_vec(),
                proposer_address: r.proposer_address.as_bytes().to_vec(),
                ..Default::default()
            };
            let block_id =
                BlockId { hash: r.hash.as_bytes().to_vec(), part_set_header: Some(PartSetHeader::default()) };
            let txs: Vec<Vec<u8>> = r.txs.iter().map(|t| t.to_vec()).collect();
            let outcome = app.finalize_block(header, block_id, txs)?;
            let tx_results = outcome
                .results
                .iter()
                .map(|o| ExecTxResult::try_from(o.to_exec_result()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| NodeError::Consensus(format!("tx result: {e}")))?;
            Response::FinalizeBlock(response::FinalizeBlock {
                events: vec![],
                tx_results,
                validator_updates: vec![],
                consensus_param_updates: None,
                app_hash: app_hash(outcome.app_hash),
            })
        }
        Request::Commit => {
            app.commit()?;
            Response::Commit(response::Commit { data: Bytes::new(), retain_height: Default::default() })
        }
        Request::CheckTx(r) => {
            let o = app.check_tx(&r.tx);
            Response::CheckTx(response::CheckTx {
                code: o.code.into(),
                data: Bytes::from(o.data),
                log: o.log,
                gas_wanted: i64::try_from(o.gas_wanted).unwrap_or(i64::MAX),
                gas_used: i64::try_from(o.gas_used).unwrap_or(i64::MAX),
                codespace: o.codespace,
                ..Default::default()
            })
        }
        Request::ExtendVote(_) => Response::ExtendVote(response::ExtendVote { vote_extension: Bytes::new() }),
        Request::VerifyVoteExtension(_) => Response::VerifyVoteExtension(response::VerifyVoteExtension::Accept),
        other => {
            return Err(NodeError::Consensus(format!("unexpected ABCI request {other:?}")));
        }
    })
}
