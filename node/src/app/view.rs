//! [`ChainView`]: read access to the committed chain for queries, simulations and the gRPC
//! services, usable from any thread while blocks execute. Every read works on a database
//! snapshot of the last commit, never on the block being executed.

use std::sync::{Arc, RwLock};

use cosmwasm_std::{BlockInfo, Coin, Timestamp, Uint256};
use leasehold_wasm_host::store::Prefixed;
use leasehold_wasm_host::{BANK_STORE, GasMeter, KvBank, Store, WasmHost};
use tendermint_proto::types::{BlockId, Header};

use crate::app::exec::{ExecEnv, TxOutcome, run_decoded};
use crate::app::handlers::HandlerEnv;
use crate::app::params::ChainParams;
use crate::auth::AUTH_STORE;
use crate::auth::accounts::{Account, AccountKeeper};
use crate::auth::ante::{AnteParams, ExecMode};
use crate::blockstore::StoredBlock;
use crate::error::{NodeError, TxError};
use crate::store::Db;
use crate::store::db::TxLocation;
use crate::store::{EventPage, EventSearch};
use crate::tx::DecodedTx;

/// What the node knows about the last committed block.
#[derive(Clone, Debug, Default)]
pub struct ChainStatus {
    pub params: Option<ChainParams>,
    pub height: u64,
    pub app_hash: [u8; 32],
    pub last_header: Option<Header>,
    pub last_block_id: Option<BlockId>,
}

impl ChainStatus {
    pub(crate) fn new(
        params: Option<ChainParams>,
        height: u64,
        app_hash: [u8; 32],
        last: Option<&StoredBlock>,
    ) -> Self {
        ChainStatus {
            params,
            height,
            app_hash,
            last_header: last.and_then(|b| b.header.clone()),
            last_block_id: last.and_then(|b| b.block_id.clone()),
        }
    }

    pub(crate) fn on_commit(&mut self, block: &StoredBlock, height: u64, app_hash: [u8; 32]) {
        self.height = height;
        self.app_hash = app_hash;
        self.last_header = block.header.clone();
        self.last_block_id = block.block_id.clone();
    }

    pub fn chain_id(&self) -> &str {
        self.params.as_ref().map_or("", |p| p.chain_id.as_str())
    }

    /// Time of the last committed block.
    pub fn time(&self) -> Timestamp {
        crate::blockstore::block_time(self.last_header.as_ref())
    }
}

/// Read access to the committed chain (cheap to clone).
#[derive(Clone)]
pub struct ChainView {
    db: Arc<Db>,
    host: Arc<WasmHost>,
    status: Arc<RwLock<ChainStatus>>,
}

impl ChainView {
    pub(crate) fn new(db: Arc<Db>, host: WasmHost, status: Arc<RwLock<ChainStatus>>) -> Self {
        ChainView { db, host: Arc::new(host), status }
    }

    pub fn status(&self) -> ChainStatus {
        self.status.read().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A wasm host over the committed state, in the last committed block.
    pub fn host(&self) -> Result<WasmHost, NodeError> {
        let status = self.status();
        let mut host = self.host.with_store(Store::on(self.db.snapshot()?));
        host.set_block(BlockInfo { height: status.height, time: status.time(), chain_id: status.chain_id().into() });
        Ok(host)
    }

    pub fn account(&self, address: &str) -> Result<Option<Account>, TxError> {
        let host = self.host().map_err(|e| TxError::InvalidRequest(e.to_string()))?;
        let scope = host.scope(GasMeter::new(u64::MAX));
        AccountKeeper { api: host.api() }.get(&mut scope.module_kv(AUTH_STORE), address)
    }

    pub fn balance(&self, address: &str, denom: &str) -> Result<Uint256, TxError> {
        let host = self.host().map_err(|e| TxError::InvalidRequest(e.to_string()))?;
        Ok(host.balance(address, denom)?)
    }

    pub fn all_balances(&self, address: &str) -> Result<Vec<Coin>, TxError> {
        let host = self.host().map_err(|e| TxError::InvalidRequest(e.to_string()))?;
        let bank = KvBank::new(host.api().clone());
        bank.all_balances(&Prefixed::new(host.store().clone(), BANK_STORE), address)
            .map_err(|e| TxError::InvalidAddress(e.to_string()))
    }

    /// Runs `tx` against the committed state without keeping anything: signatures are not
    /// checked (but their gas is charged), the gas meter is bounded by the chain's largest
    /// gas limit.
    pub fn simulate(&self, tx: &DecodedTx) -> Result<TxOutcome, NodeError> {
        self.simulate_capped(tx, u64::MAX)
    }

    /// [`ChainView::simulate`] with its gas meter bounded by `gas_cap` too (the node's
    /// `[query] simulate_gas_cap`): a free simulation never runs longer than that.
    pub fn simulate_capped(&self, tx: &DecodedTx, gas_cap: u64) -> Result<TxOutcome, NodeError> {
        let status = self.status();
        let mut params =
            status.params.clone().ok_or_else(|| NodeError::Consensus("the chain has no genesis yet".into()))?;
        params.limits.max_gas_wanted = params.limits.max_gas_wanted.min(gas_cap);
        let mut host = self.host()?;
        // Nothing of a simulation may outlive it: no code file, no compiled module.
        host.set_dry_run(true);
        host.set_block(BlockInfo { height: status.height + 1, time: status.time(), chain_id: params.chain_id.clone() });
        let api = host.api().clone();
        let env = ExecEnv {
            ante: AnteParams {
                chain_id: &params.chain_id,
                height: status.height + 1,
                limits: &params.limits,
                mode: ExecMode::Simulate,
                min_gas_price: None,
                api: &api,
            },
            handlers: HandlerEnv { api: &api, upload_allowlist: &params.upload_allowlist },
            tx_index: 0,
        };
        run_decoded(&mut host, tx, &env)
    }

    pub fn block(&self, height: u64) -> Result<Option<StoredBlock>, NodeError> {
        self.db.block(height)
    }

    /// The block holding the tx with this hash, and the tx's index in it.
    pub fn tx(&self, hash: &[u8]) -> Result<Option<(StoredBlock, usize)>, NodeError> {
        let Some((height, index)) = self.db.tx_location(hash)? else { return Ok(None) };
        Ok(self.db.block(height)?.map(|b| (b, index as usize)))
    }

    /// Transactions matching every `type.key=value` condition, in block order (unbounded:
    /// tests and tools; services use [`ChainView::search_txs`]).
    pub fn txs_with_events(&self, conditions: &[String]) -> Result<Vec<TxLocation>, NodeError> {
        Ok(self.db.search_events(&EventSearch::everything(conditions, 0, u64::MAX))?.locations)
    }

    /// One page of the txs matching a search (see [`Db::search_events`]).
    pub fn search_txs(&self, search: &EventSearch<'_>) -> Result<EventPage, NodeError> {
        self.db.search_events(search)
    }
}
