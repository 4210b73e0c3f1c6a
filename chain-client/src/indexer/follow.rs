//! Following the chain: blocks are fetched over gRPC (`GetBlockWithTxs`, then `GetTxsEvent`
//! with `tx.height=H` for the results and events), several heights ahead of the one being
//! written, and handed in order to a store worker thread that writes each in one database
//! transaction. When caught up it polls the latest height every `poll` (about a block
//! interval). Progress is reported as blocks are written.
//!
//! The database is owned by its worker thread from open to close (the PostgreSQL client
//! runs its own runtime and must never be dropped inside an async task). Dropping or
//! aborting [`run`] lets the worker finish the block it is writing — committed whole or not
//! at all — and close the database.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::client::ChainClient;
use crate::indexer::decode::{Contracts, block_from_grpc};
use crate::indexer::error::{IndexError, StoreError};
use crate::indexer::ingest::{self, Applied, FaultHook};
use crate::indexer::model::BlockData;
use crate::indexer::schema;
use crate::indexer::store::Store;

/// Opens the database on the worker thread.
pub type StoreOpener = Box<dyn FnOnce() -> Result<Box<dyn Store>, StoreError> + Send>;

/// How to follow.
#[derive(Clone)]
pub struct FollowOptions {
    /// Re-index from this height: drop rows at and above it and rebuild the derived tables
    /// from the stored log below it (1: from scratch). On an empty database: start there.
    pub from_height: Option<u64>,
    /// Stop once this height is indexed (`None`: follow forever).
    pub until: Option<u64>,
    /// Wait between polls of the latest height when caught up.
    pub poll: Duration,
    /// Blocks fetched ahead of the one being written.
    pub prefetch: usize,
    /// Injected faults (tests).
    pub hook: Option<FaultHook>,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions { from_height: None, until: None, poll: Duration::from_millis(500), prefetch: 8, hook: None }
    }
}

/// A progress report.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    /// Last indexed height.
    pub height: u64,
    /// The chain's latest height when last asked.
    pub latest: u64,
    /// Blocks written per second since the previous report.
    pub blocks_per_sec: f64,
    /// Rows written so far in this run.
    pub rows: u64,
}

/// What a run did.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// First and last height written in this run (`None`: nothing new).
    pub first: Option<u64>,
    pub last: u64,
    pub blocks: u64,
    pub rows: u64,
    pub secs: f64,
}

enum Cmd {
    Prepare {
        chain_id: String,
        contracts: Contracts,
        from: Option<u64>,
        reply: oneshot::Sender<Result<u64, IndexError>>,
    },
    Apply {
        block: Box<BlockData>,
        reply: oneshot::Sender<Result<Applied, IndexError>>,
    },
}

/// The store worker: opens the database and serves commands until the sender is dropped.
fn worker(open: StoreOpener, contracts: Contracts, hook: Option<FaultHook>, mut rx: mpsc::Receiver<Cmd>) {
    let mut store = match open() {
        Ok(s) => s,
        Err(e) => {
            // Answer the first command with the error.
            let e = IndexError::from(e);
            match rx.blocking_recv() {
                Some(Cmd::Prepare { reply, .. }) => drop(reply.send(Err(e))),
                Some(Cmd::Apply { reply, .. }) => drop(reply.send(Err(e))),
                None => {}
            }
            return;
        }
    };
    while let Some(cmd) = rx.blocking_recv() {
        match cmd {
            Cmd::Prepare { chain_id, contracts, from, reply } => {
                let r = prepare(store.as_mut(), &chain_id, &contracts, from);
                let _ = reply.send(r);
            }
            Cmd::Apply { block, reply } => {
                let r = ingest::write_block(store.as_mut(), &block, &contracts, hook.as_ref());
                let _ = reply.send(r);
            }
        }
    }
}

fn prepare(store: &mut dyn Store, chain_id: &str, contracts: &Contracts, from: Option<u64>) -> Result<u64, IndexError> {
    ingest::check_identity(store, chain_id, contracts)?;
    let last = schema::last_height(store)?;
    match from {
        None => Ok(last),
        Some(0) => Err(IndexError::Usage { what: "--from-height", reason: "heights start at 1".into() }),
        Some(f) if last == 0 => Ok(f - 1),
        Some(f) if f > last + 1 => Err(IndexError::Usage {
            what: "--from-height",
            reason: format!("{f} is past the next block to index ({}); re-index from a lower height", last + 1),
        }),
        Some(f) => {
            tracing::info!(
                from = f,
                "re-indexing: dropping rows from height {f} and replaying the stored log below it"
            );
            ingest::reindex_from(store, f, contracts)
        }
    }
}

/// Fetches one block with its results; `None` when the node does not have it yet.
pub async fn fetch_block(client: &ChainClient, height: u64) -> Result<Option<BlockData>, IndexError> {
    let Some(block) = client.block_with_txs(height).await? else { return Ok(None) };
    let results = if block.txs.is_empty() { Vec::new() } else { client.tx_results_at(height).await? };
    block_from_grpc(height, &block, &results).map(Some)
}

type FetchTask = JoinHandle<Result<Option<BlockData>, IndexError>>;

/// Fetch tasks in height order, aborted when dropped.
struct Prefetch(VecDeque<(u64, FetchTask)>);

impl Drop for Prefetch {
    fn drop(&mut self) {
        for (_, t) in &self.0 {
            t.abort();
        }
    }
}

/// Indexes the chain behind `client` into the database `open` opens, reporting progress.
pub async fn run(
    client: &ChainClient,
    contracts: Contracts,
    open: StoreOpener,
    opts: FollowOptions,
    mut on_progress: impl FnMut(&Progress),
) -> Result<Summary, IndexError> {
    let started = Instant::now();
    let (tx, rx) = mpsc::channel::<Cmd>(4);
    let worker_contracts = contracts.clone();
    let hook = opts.hook.clone();
    std::thread::Builder::new()
        .name("indexer-store".into())
        .spawn(move || worker(open, worker_contracts, hook, rx))
        .map_err(|e| StoreError::Inconsistent(format!("cannot start the store thread: {e}")))?;

    let (reply, answer) = oneshot::channel();
    tx.send(Cmd::Prepare { chain_id: client.chain_id().to_string(), contracts, from: opts.from_height, reply })
        .await
        .map_err(|_| StoreError::WorkerGone)?;
    let mut last = answer.await.map_err(|_| StoreError::WorkerGone)??;
    let mut summary = Summary { first: None, last, blocks: 0, rows: 0, secs: 0.0 };
    let mut next_fetch = last + 1;
    let mut latest = client.latest_block().await?.0;
    let mut inflight = Prefetch(VecDeque::new());
    let (mut report_at, mut report_blocks) = (Instant::now(), 0u64);
    let prefetch = opts.prefetch.max(1);

    loop {
        if opts.until.is_some_and(|u| last >= u) {
            break;
        }
        let limit = opts.until.map_or(latest, |u| u.min(latest));
        while inflight.0.len() < prefetch && next_fetch <= limit {
            let (c, h) = (client.clone(), next_fetch);
            inflight.0.push_back((h, tokio::spawn(async move { fetch_block(&c, h).await })));
            next_fetch += 1;
        }
        let Some((height, task)) = inflight.0.pop_front() else {
            // Caught up: report, wait about a block, ask again.
            if report_blocks > 0 {
                on_progress(&progress(last, latest, &mut report_at, &mut report_blocks, summary.rows));
            }
            tokio::time::sleep(opts.poll).await;
            latest = client.latest_block().await?.0;
            continue;
        };
        let block = match task.await {
            Ok(r) => r?,
            Err(e) => return Err(IndexError::Block { height, reason: format!("fetch task failed: {e}") }),
        };
        let Some(block) = block else {
            // The node reported this height but does not serve it yet: retry shortly.
            for (_, t) in inflight.0.drain(..) {
                t.abort();
            }
            next_fetch = height;
            tokio::time::sleep(opts.poll).await;
            continue;
        };
        let (reply, answer) = oneshot::channel();
        tx.send(Cmd::Apply { block: Box::new(block), reply }).await.map_err(|_| StoreError::WorkerGone)?;
        match answer.await.map_err(|_| StoreError::WorkerGone)?? {
            Applied::Indexed { rows } => {
                summary.rows += rows;
                summary.blocks += 1;
                summary.first.get_or_insert(height);
            }
            Applied::AlreadyIndexed => tracing::debug!(height, "already indexed (another writer got there first)"),
        }
        last = height;
        report_blocks += 1;
        if report_at.elapsed() >= Duration::from_secs(1) {
            on_progress(&progress(last, latest, &mut report_at, &mut report_blocks, summary.rows));
        }
    }
    if report_blocks > 0 {
        on_progress(&progress(last, latest, &mut report_at, &mut report_blocks, summary.rows));
    }
    summary.last = last;
    summary.secs = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn progress(height: u64, latest: u64, at: &mut Instant, blocks: &mut u64, rows: u64) -> Progress {
    let secs = at.elapsed().as_secs_f64().max(1e-9);
    let p = Progress { height, latest: latest.max(height), blocks_per_sec: *blocks as f64 / secs, rows };
    *at = Instant::now();
    *blocks = 0;
    p
}
