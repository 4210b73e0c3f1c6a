//! The block loop of `start --dev`. One thread owns the [`App`]: it takes broadcast txs
//! (CheckTx, then the mempool), and every interval builds a block from the mempool, finalizes
//! and commits it, and rechecks what is left in the mempool. Contract code therefore never runs
//! on an async task, and consensus calls are strictly sequential. Every commit is announced on a
//! broadcast channel ([`Producer::subscribe`]) for the JSON-RPC's event subscriptions and
//! `broadcast_tx_commit`.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, channel, sync_channel};
use std::time::{Duration, Instant};

use tendermint::Time;
use tendermint_proto::abci::ExecTxResult;
use tendermint_proto::types::BlockId;
use tokio::sync::broadcast;

use crate::app::exec::TxOutcome;
use crate::app::{App, BlockOutcome};
use crate::dev::header::{DevValidator, HeaderInput, build_header};
use crate::dev::mempool::Mempool;
use crate::error::NodeError;
use crate::tx::tx_hash;

/// A tx submitted to the node.
pub struct Broadcast {
    pub tx: Vec<u8>,
    /// Receives the CheckTx outcome (`None`: fire and forget, `BROADCAST_MODE_ASYNC`).
    pub reply: Option<SyncSender<TxOutcome>>,
}

/// Sends txs to the producer thread (cheap to clone, usable from async code).
#[derive(Clone)]
pub struct ProducerHandle {
    tx: Sender<Broadcast>,
}

impl ProducerHandle {
    /// CheckTx's outcome for `tx` (it is in the mempool when the code is 0).
    pub fn broadcast_sync(&self, tx: Vec<u8>) -> Result<TxOutcome, NodeError> {
        let (reply, rx) = sync_channel(1);
        self.tx.send(Broadcast { tx, reply: Some(reply) }).map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())
    }

    /// Queues `tx` for CheckTx without waiting.
    pub fn broadcast_async(&self, tx: Vec<u8>) -> Result<(), NodeError> {
        self.tx.send(Broadcast { tx, reply: None }).map_err(|_| stopped())
    }
}

fn stopped() -> NodeError {
    NodeError::Consensus("the block producer has stopped".into())
}

/// A committed block, as the producer reports it.
#[derive(Clone, Debug)]
pub struct ProducedBlock {
    pub height: u64,
    pub app_hash: [u8; 32],
    pub outcome: BlockOutcome,
}

/// The announcement of a committed block (its content is in the block store by then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockCommitted {
    pub height: u64,
    pub app_hash: [u8; 32],
    /// Number of txs in the block.
    pub txs: usize,
}

/// How many announcements a slow listener may fall behind before it misses some (it then sees
/// `RecvError::Lagged` and can read the missed heights from the block store).
const COMMIT_NOTICES: usize = 64;

/// The single-validator block producer.
pub struct Producer {
    app: App,
    mempool: Mempool,
    validator: DevValidator,
    last_results: Vec<ExecTxResult>,
    last_block_id: Option<BlockId>,
    last_time: Option<Time>,
    committed: broadcast::Sender<BlockCommitted>,
}

impl Producer {
    /// Takes over an initialised app (genesis applied or blocks committed).
    pub fn new(app: App, validator: DevValidator, mempool_size: usize) -> Result<Self, NodeError> {
        let status = app.view().status();
        let last_time = status.last_header.as_ref().and_then(|h| h.time).and_then(|t| Time::try_from(t).ok());
        let last_results = match status.height {
            0 => vec![],
            h => app.view().block(h)?.map(|b| b.results).unwrap_or_default(),
        };
        Ok(Producer {
            app,
            mempool: Mempool::new(mempool_size),
            validator,
            last_results,
            last_block_id: status.last_block_id,
            last_time,
            committed: broadcast::channel(COMMIT_NOTICES).0,
        })
    }

    /// Announcements of every block committed from now on (no listener: nothing is kept).
    pub fn subscribe(&self) -> broadcast::Receiver<BlockCommitted> {
        self.committed.subscribe()
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    pub fn mempool_len(&self) -> usize {
        self.mempool.len()
    }

    /// CheckTx, then into the mempool if accepted.
    pub fn submit(&mut self, tx: Vec<u8>) -> TxOutcome {
        let hash = tx_hash(&tx);
        if let Err(e) = self.mempool.admit(&hash) {
            let (codespace, code) = e.abci_code();
            return TxOutcome { code, codespace: codespace.into(), log: e.to_string(), ..Default::default() };
        }
        let outcome = self.app.check_tx(&tx);
        if outcome.is_ok() {
            self.mempool.push(hash, tx, outcome.gas_wanted);
        } else {
            tracing::debug!(tx = %hex::encode_upper(hash), code = outcome.code, log = %outcome.log, "CheckTx rejected");
        }
        outcome
    }

    /// Builds, executes and commits one block from the mempool at `time`.
    pub fn produce_block(&mut self, time: Time) -> Result<ProducedBlock, NodeError> {
        let time = match self.last_time {
            Some(last) if time <= last => {
                (last + Duration::from_millis(1)).map_err(|e| NodeError::Consensus(e.to_string()))?
            }
            _ => time,
        };
        let (height, app_hash) = self.app.state();
        let params = self.app.params().cloned().ok_or_else(|| NodeError::Genesis("no genesis".into()))?;
        let chain_id = params.chain_id.clone();
        let block = params.block;
        let (hashes, txs) = self.mempool.take(usize::try_from(block.max_bytes).unwrap_or(usize::MAX), block.max_gas);
        let (header, block_id) = build_header(
            &self.validator,
            &HeaderInput {
                chain_id: &chain_id,
                block_params: &block,
                height: height + 1,
                time,
                last_block_id: self.last_block_id.clone(),
                txs: &txs,
                app_hash: &app_hash,
                last_results: &self.last_results,
            },
        )?;
        let outcome = self.app.finalize_block(header, block_id.clone(), txs)?;
        // A tx that failed in its block may be sent again (CometBFT's mempool update).
        for (hash, result) in hashes.iter().zip(&outcome.results) {
            if !result.is_ok() {
                self.mempool.forget(hash);
            }
        }
        let committed = self.app.commit()?;
        self.last_results = outcome.results.iter().map(TxOutcome::to_exec_result).collect();
        self.last_block_id = Some(block_id);
        self.last_time = Some(time);
        // CometBFT rechecks the mempool against the new state after every commit.
        let app = &mut self.app;
        self.mempool.retain(|tx| app.recheck_tx(tx).is_ok());
        // No listener is not an error.
        let _ = self.committed.send(BlockCommitted {
            height: committed,
            app_hash: outcome.app_hash,
            txs: outcome.results.len(),
        });
        Ok(ProducedBlock { height: committed, app_hash: outcome.app_hash, outcome })
    }

    /// Runs the block loop on the current thread until `stop` says so: txs from the returned
    /// handle are checked as they arrive, a block is made every `interval`.
    pub fn run(
        mut self,
        rx: Receiver<Broadcast>,
        interval: Duration,
        stop: impl Fn() -> bool,
    ) -> Result<(), NodeError> {
        let mut next = Instant::now() + interval;
        loop {
            if stop() {
                return Ok(());
            }
            let now = Instant::now();
            if now >= next {
                let started = Instant::now();
                let block = self.produce_block(Time::now())?;
                let txs = block.outcome.results.len();
                let took_ms = started.elapsed().as_millis() as u64;
                let app_hash = hex::encode_upper(block.app_hash);
                if txs > 0 {
                    tracing::info!(height = block.height, txs, %app_hash, took_ms, "committed block");
                } else {
                    tracing::debug!(height = block.height, txs, %app_hash, took_ms, "committed block");
                }
                next += interval;
                if next < Instant::now() {
                    next = Instant::now() + interval;
                }
                continue;
            }
            match rx.recv_timeout((next - now).min(Duration::from_millis(200))) {
                Ok(b) => {
                    let outcome = self.submit(b.tx);
                    if let Some(reply) = b.reply {
                        let _ = reply.send(outcome);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }
}

/// A channel to the producer loop: the handle for the services, the receiver for [`Producer::run`].
pub fn broadcast_channel() -> (ProducerHandle, Receiver<Broadcast>) {
    let (tx, rx) = channel();
    (ProducerHandle { tx }, rx)
}
