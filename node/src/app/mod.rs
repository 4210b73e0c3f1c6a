//! The application: one deterministic state machine driven block by block — by the embedded
//! block producer (`start --dev`) or, later, by CometBFT over ABCI.
//!
//! Life cycle per block: [`App::finalize_block`] executes the transactions on the working state
//! (in memory over a snapshot of the database) and returns results and the new app hash
//! without persisting anything; [`App::commit`] writes the block's state changes, the block and
//! its indexes, height and app hash in one database transaction, then moves the working state,
//! the CheckTx state and the query view to the new snapshot. [`App::init_chain`] applies the
//! genesis file; its writes are persisted with the first block, as the Cosmos SDK does.

pub mod exec;
pub mod genesis;
pub mod handlers;
pub mod params;
pub mod tx_index;
pub mod view;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use cosmwasm_std::BlockInfo;
use leasehold_wasm_host::{HostOptions, Overlay, Store, WasmHost};
use tendermint_proto::abci::ExecTxResult;
use tendermint_proto::types::{BlockId, Header};

use crate::app::exec::{ExecEnv, TxOutcome, run_decoded, run_tx};
use crate::app::handlers::HandlerEnv;
use crate::app::params::{ChainParams, load_params};
use crate::app::tx_index::TxIndexPolicy;
use crate::auth::ante::{AnteParams, ExecMode, GasPrice};
use crate::bank::NodeBank;
use crate::blockstore::{StoredBlock, block_time};
use crate::error::NodeError;
use crate::genesis::Genesis;
use crate::store::commitment::next_app_hash;
use crate::store::{CommitBatch, Db};
use crate::tx::decode_tx;

pub use view::{ChainStatus, ChainView};

/// Account address prefix.
pub const BECH32_PREFIX: &str = "lease";
/// The database file inside the data directory.
pub const DB_FILE: &str = "leasehold.redb";

/// How to open an [`App`].
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// `<home>/data`: the database and the wasm module cache.
    pub data_dir: PathBuf,
    /// The node's minimum gas price for CheckTx (`None`: free).
    pub min_gas_price: Option<GasPrice>,
    /// Which tx events this node indexes (config `[tx_index]`).
    pub tx_index: TxIndexPolicy,
}

/// What a finalized block produced.
#[derive(Clone, Debug)]
pub struct BlockOutcome {
    pub results: Vec<TxOutcome>,
    pub app_hash: [u8; 32],
}

struct Pending {
    height: u64,
    app_hash: [u8; 32],
    /// Height and app hash before the block: what discarding it returns to.
    before: (u64, [u8; 32]),
    block: StoredBlock,
    tx_index: Vec<([u8; 32], Vec<String>)>,
}

/// The application state machine (see the module docs).
pub struct App {
    db: Arc<Db>,
    host: WasmHost,
    check: WasmHost,
    params: Option<ChainParams>,
    min_gas_price: Option<GasPrice>,
    tx_index: TxIndexPolicy,
    status: Arc<RwLock<ChainStatus>>,
    pending: Option<Pending>,
    /// App hash after the last executed block (or genesis) — committed or not.
    app_hash: [u8; 32],
    height: u64,
    /// The genesis writes until the first block commits (they are persisted with it), so a
    /// discarded first block can be executed again on top of them.
    genesis_writes: Option<Overlay>,
}

impl App {
    /// Opens the database in `options.data_dir` (created if absent) and resumes from the last
    /// committed block.
    pub fn open(options: AppOptions) -> Result<App, NodeError> {
        std::fs::create_dir_all(&options.data_dir)?;
        let db = Arc::new(Db::open(&options.data_dir.join(DB_FILE))?);
        let mut host_options = HostOptions::new(options.data_dir.join("wasm"));
        host_options.prefix = BECH32_PREFIX.into();
        host_options.store = Store::on(db.snapshot()?);
        let api = leasehold_wasm_host::Bech32Api::new(BECH32_PREFIX).map_err(|e| NodeError::Host(e.to_string()))?;
        host_options.bank = Some(Box::new(NodeBank::new(api)));
        let mut host = WasmHost::new(host_options).map_err(|e| NodeError::Host(e.to_string()))?;
        let (height, app_hash) = db.last_committed()?.unwrap_or((0, [0; 32]));
        let params = load_params(host.store()).map_err(NodeError::Db)?;
        let mut last_block = None;
        if height > 0 {
            host.sync_pinned_codes().map_err(|e| NodeError::Host(e.to_string()))?;
            last_block = db.block(height)?;
            // CheckTx and queries run in the context of the last committed block.
            let time = block_time(last_block.as_ref().and_then(|b| b.header.as_ref()));
            let chain_id = params.as_ref().map(|p| p.chain_id.clone()).unwrap_or_default();
            host.set_block(BlockInfo { height, time, chain_id });
        }
        let check = host.with_store(Store::on(db.snapshot()?));
        let status = ChainStatus::new(params.clone(), height, app_hash, last_block.as_ref());
        let mut app = App {
            db,
            host,
            check,
            params,
            min_gas_price: options.min_gas_price,
            tx_index: options.tx_index,
            status: Arc::new(RwLock::new(status)),
            pending: None,
            app_hash,
            height,
            genesis_writes: None,
        };
        app.set_check_block();
        Ok(app)
    }

    /// Opens the app in `data_dir` with no minimum gas price (tests and tools).
    pub fn open_dir(data_dir: &Path) -> Result<App, NodeError> {
        App::open(AppOptions {
            data_dir: data_dir.to_path_buf(),
            min_gas_price: None,
            tx_index: TxIndexPolicy::default(),
        })
    }

    /// Last committed height and app hash (ABCI `Info`).
    pub fn last_committed(&self) -> Result<(u64, [u8; 32]), NodeError> {
        Ok(self.db.last_committed()?.unwrap_or((0, [0; 32])))
    }

    /// Height and app hash after the last executed block (committed or not) or genesis.
    pub fn state(&self) -> (u64, [u8; 32]) {
        (self.height, self.app_hash)
    }

    /// Whether a finalized block awaits [`App::commit`].
    pub fn has_pending_block(&self) -> bool {
        self.pending.is_some()
    }

    pub fn params(&self) -> Option<&ChainParams> {
        self.params.as_ref()
    }

    /// A read-only view for queries, simulations and the gRPC services; it follows commits.
    pub fn view(&self) -> ChainView {
        ChainView::new(Arc::clone(&self.db), self.host.with_store(Store::new()), Arc::clone(&self.status))
    }

    fn set_check_block(&mut self) {
        let chain_id = self.params.as_ref().map(|p| p.chain_id.clone()).unwrap_or_default();
        let time = self.host.block().time;
        self.check.set_block(BlockInfo { height: self.height + 1, time, chain_id });
    }

    /// InitChain: applies `genesis` to the empty state. Nothing is persisted until the first
    /// block commits. Returns the genesis app hash and the instantiated contract addresses.
    pub fn init_chain(&mut self, genesis: &Genesis) -> Result<([u8; 32], Vec<String>), NodeError> {
        if self.params.is_some() || self.height > 0 {
            return Err(NodeError::Genesis("the chain is already initialised".into()));
        }
        let (params, contracts) = genesis::apply_genesis(&mut self.host, genesis)?;
        let writes = self.host.store().pending_writes();
        self.app_hash = next_app_hash(&[0; 32], 0, &writes);
        self.height = genesis.initial_height().map_err(NodeError::Genesis)?.saturating_sub(1);
        // CheckTx sees the genesis state until the first block commits.
        let check_store = Store::on(self.db.snapshot()?);
        replay(&check_store, &writes);
        self.check.set_store(check_store);
        self.genesis_writes = Some(writes);
        self.params = Some(params.clone());
        self.set_check_block();
        if let Ok(mut s) = self.status.write() {
            s.params = Some(params);
        }
        Ok((self.app_hash, contracts))
    }

    fn env<'a>(&'a self, params: &'a ChainParams, mode: ExecMode, height: u64, tx_index: u32) -> ExecEnv<'a> {
        ExecEnv {
            ante: AnteParams {
                chain_id: &params.chain_id,
                height,
                limits: &params.limits,
                mode,
                min_gas_price: self.min_gas_price.as_ref(),
                api: self.host.api(),
            },
            handlers: HandlerEnv { api: self.host.api(), upload_allowlist: &params.upload_allowlist },
            tx_index,
        }
    }

    /// CheckTx: decodes the tx and runs the ante checks on the CheckTx state, which keeps the
    /// sequence increments of accepted txs until the next commit.
    pub fn check_tx(&mut self, raw: &[u8]) -> TxOutcome {
        self.check_in_mode(raw, ExecMode::Check)
    }

    /// CheckTx of a tx already in the mempool, after a commit (CometBFT's `CheckTxType_Recheck`):
    /// as [`App::check_tx`] without verifying the signatures again.
    pub fn recheck_tx(&mut self, raw: &[u8]) -> TxOutcome {
        self.check_in_mode(raw, ExecMode::Recheck)
    }

    fn check_in_mode(&mut self, raw: &[u8], mode: ExecMode) -> TxOutcome {
        let Some(params) = self.params.clone() else {
            return not_initialised();
        };
        let height = self.height + 1;
        let mut check = std::mem::replace(&mut self.check, self.host.with_store(Store::new()));
        let env = self.env(&params, mode, height, 0);
        let outcome = run_tx(&mut check, raw, &env).unwrap_or_else(|fault| {
            // Not the tx's fault: refused here, and the block that would carry it halts the node.
            tracing::error!("CheckTx: {fault}");
            TxOutcome::node_fault(&fault)
        });
        self.check = check;
        outcome
    }

    /// FinalizeBlock: executes `txs` on the working state. Nothing is persisted until
    /// [`App::commit`]. `header` is the block's header (its `app_hash` is the hash after the
    /// previous block), `block_id` its id.
    ///
    /// FinalizeBlock again at the height of a block that awaits Commit (CometBFT restarted
    /// between the two while this process kept running, and replays the block after its
    /// handshake) discards that block and executes the new one instead, as the Cosmos SDK does.
    pub fn finalize_block(
        &mut self,
        header: Header,
        block_id: BlockId,
        txs: Vec<Vec<u8>>,
    ) -> Result<BlockOutcome, NodeError> {
        let params = self.params.clone().ok_or_else(|| NodeError::Consensus("InitChain has not run".into()))?;
        let height = u64::try_from(header.height).map_err(|_| NodeError::Consensus("negative height".into()))?;
        if let Some(pending) = &self.pending {
            if pending.height != height {
                return Err(NodeError::Consensus(format!(
                    "block {} awaits Commit; FinalizeBlock for {height} refused",
                    pending.height
                )));
            }
            self.discard_pending()?;
        }
        if height != self.height + 1 {
            return Err(NodeError::Consensus(format!("expected block {}, got {height}", self.height + 1)));
        }
        self.host.set_block(BlockInfo { height, time: block_time(Some(&header)), chain_id: params.chain_id.clone() });
        let store = self.host.store().clone();
        let branch = store.branch();
        let mut results = Vec::with_capacity(txs.len());
        let mut tx_index = Vec::with_capacity(txs.len());
        let mut host = std::mem::replace(&mut self.host, self.check.with_store(Store::new()));
        // The block's gas: the sum of its txs' gas limits, at most `block.max_gas`.
        let mut block_gas = 0u64;
        for (i, raw) in txs.iter().enumerate() {
            let index = u32::try_from(i).map_err(|_| NodeError::Consensus("too many txs".into()))?;
            let env = self.env(&params, ExecMode::Deliver, height, index);
            let outcome = match decode_tx(raw, &params.limits) {
                Ok(tx) if block_gas.saturating_add(tx.gas_limit) > params.block.max_gas => {
                    Ok(TxOutcome::out_of_block_gas(tx.gas_limit, block_gas, params.block.max_gas))
                }
                Ok(tx) => {
                    block_gas = block_gas.saturating_add(tx.gas_limit);
                    run_decoded(&mut host, &tx, &env)
                }
                Err(_) => run_tx(&mut host, raw, &env),
            };
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(fault) => {
                    // Leave the app as before the block: the node stops, and a restart executes
                    // the block again (after the operator repaired what the fault names).
                    drop(branch);
                    self.host = host;
                    return Err(fault);
                }
            };
            let hash = crate::tx::tx_hash(raw);
            tx_index.push((hash, self.tx_index.entries(height, &hash, &outcome)));
            results.push(outcome);
        }
        host.set_transaction(None);
        self.host = host;
        let writes = branch.commit_with_writes();
        let app_hash = next_app_hash(&self.app_hash, height, &writes);
        let block = StoredBlock {
            header: Some(header),
            block_id: Some(block_id),
            txs,
            results: results.iter().map(TxOutcome::to_exec_result).collect::<Vec<ExecTxResult>>(),
            events: vec![],
            app_hash: app_hash.to_vec(),
        };
        let before = (self.height, self.app_hash);
        self.pending = Some(Pending { height, app_hash, before, block, tx_index });
        self.app_hash = app_hash;
        self.height = height;
        Ok(BlockOutcome { results, app_hash })
    }

    /// Throws away the block that awaits Commit: the working state returns to the last commit (plus
    /// the genesis writes before the first block), height and app hash to what they were.
    fn discard_pending(&mut self) -> Result<(), NodeError> {
        let Some(pending) = self.pending.take() else { return Ok(()) };
        let store = Store::on(self.db.snapshot()?);
        if let Some(genesis) = &self.genesis_writes {
            replay(&store, genesis);
        }
        self.host.set_store(store);
        (self.height, self.app_hash) = pending.before;
        tracing::info!(height = pending.height, "discarded the uncommitted block to execute it again");
        Ok(())
    }

    /// Commit: persists the finalized block atomically and moves every view to the new state.
    pub fn commit(&mut self) -> Result<u64, NodeError> {
        let pending = self.pending.take().ok_or_else(|| NodeError::Consensus("no finalized block to commit".into()))?;
        let batch = CommitBatch {
            height: pending.height,
            app_hash: pending.app_hash,
            writes: self.host.store().pending_writes(),
            block: pending.block,
            tx_index: pending.tx_index,
        };
        self.db.commit(&batch)?;
        self.genesis_writes = None;
        let snapshot = self.db.snapshot()?;
        self.host.set_store(Store::on(snapshot.clone()));
        self.check = self.host.with_store(Store::on(snapshot));
        self.set_check_block();
        if let Ok(mut s) = self.status.write() {
            s.on_commit(&batch.block, batch.height, batch.app_hash);
        }
        Ok(batch.height)
    }
}

fn replay(store: &Store, writes: &Overlay) {
    for (k, v) in writes {
        match v {
            Some(v) => store.set(k, v),
            None => store.remove(k),
        }
    }
}

fn not_initialised() -> TxOutcome {
    TxOutcome { code: 1, codespace: "sdk".into(), log: "the chain has no genesis yet".into(), ..Default::default() }
}
