//! The ABCI 2.0 application (CometBFT v0.38) — `leaseholdd start` without `--dev`.
//!
//! [`AbciApp`] takes CometBFT's requests (tendermint-rs's `v0_38::abci` types). Consensus and
//! mempool requests go, in arrival order, to one thread that owns the [`App`] (so they run
//! strictly sequentially and contract code never runs on an async task); `Query` is answered
//! from committed state through the gRPC router, concurrently. Nothing is persisted before
//! `Commit`; `Info` reports the last committed height and app hash, so CometBFT's handshake
//! replays exactly the blocks the app has not committed.
//!
//! Requests out of order (FinalizeBlock at the wrong height, Commit with nothing finalized, a
//! second InitChain) are refused before they touch the state; the socket server
//! ([`server`]) answers them with an ABCI exception and closes that connection. A failure while
//! executing or persisting a block halts the application thread: CometBFT must not go on with
//! an app whose state is uncertain, and every later request gets the reason.

pub mod server;

use std::sync::mpsc;

use bytes::Bytes;
use leasehold_grpc_router::Router;
use tendermint::abci::types::ExecTxResult;
use tendermint::v0_38::abci::{Request, Response, request, response};
use tendermint_proto::types::{BlockId, Header, PartSetHeader};
use tokio::sync::oneshot;

use crate::app::{App, ChainView};
use crate::error::NodeError;
use crate::genesis::{AppState, Genesis};
use crate::tx::decode_tx;

pub use server::{AbciServer, serve};

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbciError {
    /// The request does not fit the application's state (out of order); nothing changed.
    #[error("refused: {0}")]
    OutOfOrder(String),
    /// The application thread stopped after a fatal error (or at shutdown).
    #[error("the application has halted: {0}")]
    Halted(String),
}

struct Job {
    request: Request,
    reply: oneshot::Sender<Result<Response, AbciError>>,
}

/// The application as CometBFT's four connections see it (cheap to clone).
#[derive(Clone)]
pub struct AbciApp {
    jobs: mpsc::Sender<Job>,
    router: Router,
    view: ChainView,
}

impl AbciApp {
    /// Starts the application thread. The thread ends when every `AbciApp` clone is dropped,
    /// or at the first fatal error (returned by the join handle).
    pub fn start(
        app: App,
        router: Router,
    ) -> Result<(AbciApp, std::thread::JoinHandle<Result<(), NodeError>>), NodeError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let view = app.view();
        let handle = std::thread::Builder::new().name("abci-app".into()).spawn(move || run(app, rx))?;
        Ok((AbciApp { jobs, router, view }, handle))
    }

    /// Answers one request.
    pub async fn call(&self, request: Request) -> Result<Response, AbciError> {
        Ok(match request {
            Request::Query(q) => Response::Query(query(&self.router, &self.view, q).await),
            Request::Echo(e) => Response::Echo(response::Echo { message: e.message }),
            Request::Flush => Response::Flush,
            // State sync is not offered: no snapshots, and every offer is declined.
            Request::ListSnapshots => Response::ListSnapshots(Default::default()),
            Request::OfferSnapshot(_) => Response::OfferSnapshot(Default::default()),
            Request::LoadSnapshotChunk(_) => Response::LoadSnapshotChunk(Default::default()),
            Request::ApplySnapshotChunk(_) => Response::ApplySnapshotChunk(Default::default()),
            other => {
                let (reply, rx) = oneshot::channel();
                let stopped = || AbciError::Halted("the application thread has stopped".into());
                self.jobs.send(Job { request: other, reply }).map_err(|_| stopped())?;
                rx.await.map_err(|_| stopped())??
            }
        })
    }
}

async fn query(router: &Router, view: &ChainView, q: request::Query) -> response::Query {
    let a = crate::query::abci::query(router, view, &q.path, q.data.to_vec(), q.height.value()).await;
    response::Query {
        code: a.code.into(),
        log: a.log,
        codespace: a.codespace,
        value: a.value.into(),
        height: tendermint::block::Height::try_from(a.height).unwrap_or_default(),
        ..Default::default()
    }
}

fn run(mut app: App, rx: mpsc::Receiver<Job>) -> Result<(), NodeError> {
    let mut halted: Option<String> = None;
    while let Ok(job) = rx.recv() {
        let result = match &halted {
            Some(reason) => Err(AbciError::Halted(reason.clone())),
            None => match out_of_order(&app, &job.request) {
                Some(reason) => {
                    tracing::warn!("ABCI request refused: {reason}");
                    Err(AbciError::OutOfOrder(reason))
                }
                None => handle(&mut app, job.request).map_err(|e| {
                    tracing::error!("the application halts: {e}");
                    halted = Some(e.to_string());
                    AbciError::Halted(e.to_string())
                }),
            },
        };
        let _ = job.reply.send(result);
    }
    match halted {
        Some(reason) => Err(NodeError::Consensus(reason)),
        None => Ok(()),
    }
}

/// Why `req` cannot run now, checked before anything changes.
fn out_of_order(app: &App, req: &Request) -> Option<String> {
    let (height, _) = app.state();
    match req {
        Request::InitChain(_) if app.params().is_some() => {
            Some(format!("InitChain on a chain that is already initialised (height {height})"))
        }
        Request::FinalizeBlock(_) | Request::PrepareProposal(_) | Request::ProcessProposal(_)
            if app.params().is_none() =>
        {
            Some("a block before InitChain".into())
        }
        // Again at the pending height: the block is discarded and executed anew.
        Request::FinalizeBlock(r) if app.has_pending_block() && r.height.value() != height => {
            Some(format!("FinalizeBlock for height {} while block {height} awaits Commit", r.height.value()))
        }
        Request::FinalizeBlock(_) if app.has_pending_block() => None,
        Request::FinalizeBlock(r) if r.height.value() != height + 1 => {
            Some(format!("FinalizeBlock for height {}, expected {}", r.height.value(), height + 1))
        }
        Request::Commit if !app.has_pending_block() => Some("Commit without a finalized block".into()),
        _ => None,
    }
}

fn app_hash(h: [u8; 32]) -> tendermint::AppHash {
    tendermint::AppHash::try_from(h.to_vec()).unwrap_or_default()
}

/// One consensus or mempool request that fits the state. An error here is fatal.
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
            // CometBFT's consensus params (from its genesis file) set the block limits.
            let size = &r.consensus_params.block;
            let consensus_params = serde_json::json!({
                "block": {"max_bytes": size.max_bytes.to_string(), "max_gas": size.max_gas.to_string()}
            });
            let genesis = Genesis {
                genesis_time: r.time.to_rfc3339(),
                chain_id: r.chain_id.clone(),
                initial_height: r.initial_height.value().to_string(),
                app_hash: String::new(),
                consensus_params: Some(consensus_params),
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
            // Txs in mempool order while their bytes fit `max_tx_bytes` and their gas limits the
            // block's `max_gas`; txs that do not decode are left out.
            let (limits, block) = app.params().map(|p| (p.limits.clone(), p.block)).unwrap_or_default();
            let max = usize::try_from(r.max_tx_bytes).unwrap_or(0);
            let (mut size, mut gas) = (0usize, 0u64);
            let mut txs = Vec::new();
            for t in r.txs {
                let Ok(tx) = decode_tx(&t, &limits) else { continue };
                if size.saturating_add(t.len()) > max || gas.saturating_add(tx.gas_limit) > block.max_gas {
                    break;
                }
                size += t.len();
                gas += tx.gas_limit;
                txs.push(t);
            }
            Response::PrepareProposal(response::PrepareProposal { txs })
        }
        Request::ProcessProposal(r) => {
            // Every tx decodes and their gas limits fit the block's `max_gas`.
            let (limits, block) = app.params().map(|p| (p.limits.clone(), p.block)).unwrap_or_default();
            let gas = r
                .txs
                .iter()
                .try_fold(0u64, |sum, t| decode_tx(t, &limits).ok().and_then(|tx| sum.checked_add(tx.gas_limit)));
            Response::ProcessProposal(if gas.is_some_and(|g| g <= block.max_gas) {
                response::ProcessProposal::Accept
            } else {
                response::ProcessProposal::Reject
            })
        }
        Request::FinalizeBlock(r) => {
            let (_, previous) = app.state();
            let chain_id = app.params().map(|p| p.chain_id.clone()).unwrap_or_default();
            // FinalizeBlock carries only part of the header; the node keeps what it has.
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
            // A recheck (after a commit, of a tx CometBFT already admitted) skips the signatures.
            let o = match r.kind {
                tendermint::abci::request::CheckTxKind::Recheck => app.recheck_tx(&r.tx),
                _ => app.check_tx(&r.tx),
            };
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
