//! The node's database: one redb file holding the state, the committed height and app hash,
//! the blocks with their results, and the transaction indexes.
//!
//! Tables:
//! - `state`: every module's key-value state (namespaced keys, see `docs/state.md`);
//! - `meta`: `height` (u64 BE) and `app_hash` (32 bytes) of the last committed block;
//! - `blocks`: height → [`StoredBlock`] (header, txs, results, events, app hash);
//! - `tx_by_hash`: sha256(tx bytes) → height (u64 BE) ‖ index (u32 BE);
//! - `tx_events`: `type.key=value` ‖ 0x00 ‖ height ‖ index → empty (the event index behind
//!   `GetTxsEvent`; `tx.height` and `tx.hash` are indexed like CometBFT's kv indexer does).
//!
//! A block is committed with one write transaction ([`Db::commit`]): the state writes, the
//! block and its indexes, and the new height and app hash become durable together or not at
//! all. Readers work on MVCC snapshots ([`Db::snapshot`]) and never see a half-written block.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use cosmwasm_std::{Order, Record};
use leasehold_wasm_host::{Overlay, Snapshot};
use prost::Message;
use redb::{Database, ReadOnlyTable, ReadableDatabase, TableDefinition};

use crate::blockstore::StoredBlock;
use crate::error::NodeError;

const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const TX_BY_HASH: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tx_by_hash");
const TX_EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tx_events");
/// Block id hash -> height (so `block_by_hash` is one lookup, not a scan).
const BLOCK_BY_HASH: TableDefinition<&[u8], u64> = TableDefinition::new("block_by_hash");

/// Where a transaction is: block height and index in the block.
pub type TxLocation = (u64, u32);

/// Everything one block commits.
#[derive(Debug)]
pub struct CommitBatch {
    pub height: u64,
    pub app_hash: [u8; 32],
    /// State writes of the block (genesis writes included in the first block).
    pub writes: Overlay,
    pub block: StoredBlock,
    /// For each tx of the block, its hash and its indexed `type.key=value` strings.
    pub tx_index: Vec<([u8; 32], Vec<String>)>,
}

/// The database of one node.
#[derive(Debug)]
pub struct Db {
    db: Database,
}

fn location_bytes(height: u64, index: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&height.to_be_bytes());
    b[8..].copy_from_slice(&index.to_be_bytes());
    b
}

fn parse_location(b: &[u8]) -> Option<TxLocation> {
    let height = u64::from_be_bytes(b.get(..8)?.try_into().ok()?);
    let index = u32::from_be_bytes(b.get(8..12)?.try_into().ok()?);
    Some((height, index))
}

/// The `tx_events` key prefix of an indexed `type.key=value` string: its length (u32 BE), then
/// its bytes; the tx's location (12 bytes) follows. Length-prefixed, so no attribute value — not
/// even one with NUL bytes and a fake location — can make its entry match another condition.
pub fn event_key_prefix(indexed: &str) -> Vec<u8> {
    let len = u32::try_from(indexed.len()).unwrap_or(u32::MAX);
    let mut k = Vec::with_capacity(4 + indexed.len() + LOCATION_LEN);
    k.extend_from_slice(&len.to_be_bytes());
    k.extend_from_slice(indexed.as_bytes());
    k
}

/// Bytes of a tx location in keys: height (u64 BE) and index (u32 BE).
const LOCATION_LEN: usize = 12;

impl Db {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Db, NodeError> {
        let db = Database::create(path).map_err(|e| NodeError::Db(format!("{}: {e}", path.display())))?;
        let tx = db.begin_write().map_err(NodeError::db)?;
        {
            tx.open_table(STATE).map_err(NodeError::db)?;
            tx.open_table(META).map_err(NodeError::db)?;
            tx.open_table(BLOCKS).map_err(NodeError::db)?;
            tx.open_table(TX_BY_HASH).map_err(NodeError::db)?;
            tx.open_table(TX_EVENTS).map_err(NodeError::db)?;
            tx.open_table(BLOCK_BY_HASH).map_err(NodeError::db)?;
        }
        tx.commit().map_err(NodeError::db)?;
        Ok(Db { db })
    }

    /// A consistent read-only view of the committed state.
    pub fn snapshot(&self) -> Result<Arc<DbSnapshot>, NodeError> {
        let tx = self.db.begin_read().map_err(NodeError::db)?;
        let state = tx.open_table(STATE).map_err(NodeError::db)?;
        Ok(Arc::new(DbSnapshot { state }))
    }

    /// Height and app hash of the last committed block (`None` before the first commit).
    pub fn last_committed(&self) -> Result<Option<(u64, [u8; 32])>, NodeError> {
        let tx = self.db.begin_read().map_err(NodeError::db)?;
        let meta = tx.open_table(META).map_err(NodeError::db)?;
        let height = meta.get("height").map_err(NodeError::db)?;
        let hash = meta.get("app_hash").map_err(NodeError::db)?;
        match (height, hash) {
            (Some(h), Some(a)) => {
                let height =
                    u64::from_be_bytes(h.value().try_into().map_err(|_| NodeError::Db("corrupt height".into()))?);
                let hash: [u8; 32] = a.value().try_into().map_err(|_| NodeError::Db("corrupt app hash".into()))?;
                Ok(Some((height, hash)))
            }
            _ => Ok(None),
        }
    }

    /// Makes one block durable: state writes, block, indexes, height and app hash in one
    /// atomic, fsynced write transaction.
    pub fn commit(&self, batch: &CommitBatch) -> Result<(), NodeError> {
        let tx = self.db.begin_write().map_err(NodeError::db)?;
        {
            let mut state = tx.open_table(STATE).map_err(NodeError::db)?;
            for (k, v) in &batch.writes {
                match v {
                    Some(v) => {
                        state.insert(k.as_slice(), v.as_slice()).map_err(NodeError::db)?;
                    }
                    None => {
                        state.remove(k.as_slice()).map_err(NodeError::db)?;
                    }
                }
            }
            let mut blocks = tx.open_table(BLOCKS).map_err(NodeError::db)?;
            blocks.insert(batch.height, batch.block.encode_to_vec().as_slice()).map_err(NodeError::db)?;
            if let Some(id) = batch.block.block_id.as_ref().filter(|id| !id.hash.is_empty()) {
                let mut by_block_hash = tx.open_table(BLOCK_BY_HASH).map_err(NodeError::db)?;
                by_block_hash.insert(id.hash.as_slice(), batch.height).map_err(NodeError::db)?;
            }
            let mut by_hash = tx.open_table(TX_BY_HASH).map_err(NodeError::db)?;
            let mut events = tx.open_table(TX_EVENTS).map_err(NodeError::db)?;
            for (index, (hash, indexed)) in batch.tx_index.iter().enumerate() {
                let index = u32::try_from(index).map_err(|_| NodeError::Db("too many txs in a block".into()))?;
                let loc = location_bytes(batch.height, index);
                by_hash.insert(hash.as_slice(), loc.as_slice()).map_err(NodeError::db)?;
                for s in indexed {
                    let mut key = event_key_prefix(s);
                    key.extend_from_slice(&loc);
                    events.insert(key.as_slice(), [].as_slice()).map_err(NodeError::db)?;
                }
            }
            let mut meta = tx.open_table(META).map_err(NodeError::db)?;
            meta.insert("height", batch.height.to_be_bytes().as_slice()).map_err(NodeError::db)?;
            meta.insert("app_hash", batch.app_hash.as_slice()).map_err(NodeError::db)?;
        }
        tx.commit().map_err(NodeError::db)
    }

    /// The stored block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<StoredBlock>, NodeError> {
        let tx = self.db.begin_read().map_err(NodeError::db)?;
        let blocks = tx.open_table(BLOCKS).map_err(NodeError::db)?;
        match blocks.get(height).map_err(NodeError::db)? {
            None => Ok(None),
            Some(b) => {
                StoredBlock::decode(b.value()).map(Some).map_err(|e| NodeError::Db(format!("block {height}: {e}")))
            }
        }
    }

    /// The height of the block with this block id hash.
    pub fn block_height_by_hash(&self, hash: &[u8]) -> Result<Option<u64>, NodeError> {
        let tx = self.db.begin_read().map_err(NodeError::db)?;
        let t = tx.open_table(BLOCK_BY_HASH).map_err(NodeError::db)?;
        Ok(t.get(hash).map_err(NodeError::db)?.map(|v| v.value()))
    }

    /// Where the tx with this hash was included.
    pub fn tx_location(&self, hash: &[u8]) -> Result<Option<TxLocation>, NodeError> {
        let tx = self.db.begin_read().map_err(NodeError::db)?;
        let t = tx.open_table(TX_BY_HASH).map_err(NodeError::db)?;
        Ok(t.get(hash).map_err(NodeError::db)?.and_then(|v| parse_location(v.value())))
    }

    /// Every tx indexed under `type.key=value`, in block order (unbounded: tests and tools).
    pub fn txs_with_event(&self, indexed: &str) -> Result<Vec<TxLocation>, NodeError> {
        let conditions = [indexed.to_string()];
        Ok(self.search_events(&EventSearch::everything(&conditions, 0, u64::MAX))?.locations)
    }

    /// One page of the txs matching every condition of `search`. The first condition's index
    /// entries in the height range are read in order (keys only, never loaded whole); each
    /// candidate is checked against the other conditions by a point lookup; only the page is
    /// kept, and the whole scan stops after `max_scanned` entries.
    pub fn search_events(&self, search: &EventSearch<'_>) -> Result<EventPage, NodeError> {
        let mut page = EventPage { total: 0, locations: Vec::new(), truncated: false };
        let Some((driver, others)) = search.conditions.split_first() else { return Ok(page) };
        if search.min_height > search.max_height {
            return Ok(page);
        }
        let tx = self.db.begin_read().map_err(NodeError::db)?;
        let t = tx.open_table(TX_EVENTS).map_err(NodeError::db)?;
        let prefix = event_key_prefix(driver);
        let others: Vec<Vec<u8>> = others.iter().map(|c| event_key_prefix(c)).collect();
        let mut start = prefix.clone();
        start.extend_from_slice(&location_bytes(search.min_height, 0));
        let mut end = prefix.clone();
        end.extend_from_slice(&location_bytes(search.max_height, u32::MAX));
        let range = t.range::<&[u8]>(start.as_slice()..=end.as_slice()).map_err(NodeError::db)?;
        let entries: Box<dyn Iterator<Item = _>> =
            if search.descending { Box::new(range.rev()) } else { Box::new(range) };
        let mut scanned = 0u64;
        let mut probe = Vec::new();
        for entry in entries {
            scanned += 1;
            if scanned > search.max_scanned {
                page.truncated = true;
                break;
            }
            let (k, _) = entry.map_err(NodeError::db)?;
            let key = k.value();
            let Some(loc_bytes) = key.get(prefix.len()..).filter(|b| b.len() == LOCATION_LEN) else { continue };
            let Some(loc) = parse_location(loc_bytes) else { continue };
            let mut all = true;
            for other in &others {
                probe.clear();
                probe.extend_from_slice(other);
                probe.extend_from_slice(loc_bytes);
                if t.get(probe.as_slice()).map_err(NodeError::db)?.is_none() {
                    all = false;
                    break;
                }
            }
            if !all {
                continue;
            }
            if page.total >= search.skip && (page.locations.len() as u64) < search.take {
                page.locations.push(loc);
            }
            page.total += 1;
        }
        Ok(page)
    }
}

/// A search of the tx index: every condition (`type.key=value`) must hold, in blocks
/// `min_height..=max_height`, one page of the matches in block order (or reversed).
#[derive(Clone, Debug)]
pub struct EventSearch<'a> {
    pub conditions: &'a [String],
    pub min_height: u64,
    pub max_height: u64,
    pub descending: bool,
    /// Matches skipped before the page.
    pub skip: u64,
    /// Page size.
    pub take: u64,
    /// Most index entries read (bounds the CPU of one search; the page bounds its memory).
    pub max_scanned: u64,
}

impl<'a> EventSearch<'a> {
    /// Every match in `min..=max`, ascending, with no scan limit (tests and tools).
    pub fn everything(conditions: &'a [String], min_height: u64, max_height: u64) -> Self {
        EventSearch {
            conditions,
            min_height,
            max_height,
            descending: false,
            skip: 0,
            take: u64::MAX,
            max_scanned: u64::MAX,
        }
    }
}

/// One page of an [`EventSearch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    /// All matches (counted, not kept: only the page is).
    pub total: u64,
    pub locations: Vec<TxLocation>,
    /// The search stopped at `max_scanned` entries: `total` is a lower bound.
    pub truncated: bool,
}

impl EventPage {
    /// The error of a search that stopped at its scan limit (`truncated`).
    pub fn too_broad(max_scanned: u64) -> String {
        format!(
            "the query matches more than {max_scanned} index entries; narrow it with more conditions or a \
             tx.height range (e.g. tx.height>=1000 AND tx.height<=2000)"
        )
    }
}

/// A committed-state snapshot (a redb read transaction)/// A committed-state snapshot (a redb read transaction) under a [`leasehold_wasm_host::Store`].
pub struct DbSnapshot {
    state: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl std::fmt::Debug for DbSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSnapshot")
    }
}

/// A read of committed state failed: the node cannot execute deterministically without its
/// state, so it stops (as the Cosmos SDK's stores panic on a database error).
fn fatal(e: impl std::fmt::Display) -> ! {
    tracing::error!("database read failed: {e}");
    panic!("database read failed: {e}")
}

impl Snapshot for DbSnapshot {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.state.get(key) {
            Ok(v) => v.map(|v| v.value().to_vec()),
            Err(e) => fatal(e),
        }
    }

    fn first(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>, order: Order) -> Option<Record> {
        let mut range = match self.state.range::<&[u8]>((lower, upper)) {
            Ok(r) => r,
            Err(e) => fatal(e),
        };
        let entry = match order {
            Order::Ascending => range.next(),
            Order::Descending => range.next_back(),
        };
        match entry {
            None => None,
            Some(Ok((k, v))) => Some((k.value().to_vec(), v.value().to_vec())),
            Some(Err(e)) => fatal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_with_index(height: u64, tx_index: Vec<([u8; 32], Vec<String>)>) -> CommitBatch {
        CommitBatch {
            height,
            app_hash: [height as u8; 32],
            writes: Overlay::new(),
            block: StoredBlock::default(),
            tx_index,
        }
    }

    /// Regression: index keys were `string ‖ NUL ‖ location`, so an attribute value carrying a
    /// NUL byte and 12 bytes of its choosing made a prefix scan for a shorter condition return a
    /// forged location (any height, any tx). Keys are length-prefixed now.
    #[test]
    fn attribute_values_cannot_forge_index_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("db.redb")).expect("open");
        let mut forged = "wasm-lease-created.provider=lease1victim".to_string();
        forged.push('\0');
        forged.push_str(&String::from_utf8_lossy(&location_bytes(7, 3)));
        let honest = "wasm-lease-created.provider=lease1victim".to_string();
        db.commit(&block_with_index(1, vec![([1; 32], vec![forged.clone()]), ([2; 32], vec![honest.clone()])]))
            .expect("commit");
        assert_eq!(db.txs_with_event(&honest).expect("query"), vec![(1, 1)], "only the honest tx");
        assert_eq!(db.txs_with_event(&forged).expect("query"), vec![(1, 0)]);
        assert_eq!(db.txs_with_event("wasm-lease-created.provider=lease1").expect("query"), vec![]);
    }

    /// A height range reads only its own index entries and returns exactly the txs in it.
    #[test]
    fn event_scans_are_bounded_by_the_height_range() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("db.redb")).expect("open");
        let cond = "message.module=wasm".to_string();
        for h in 1..=10u64 {
            db.commit(&block_with_index(
                h,
                vec![([h as u8; 32], vec![cond.clone()]), ([100 + h as u8; 32], vec![cond.clone()])],
            ))
            .expect("commit");
        }
        assert_eq!(db.txs_with_event(&cond).expect("all").len(), 20);
        let conditions = [cond.clone()];
        let between = |min, max| db.search_events(&EventSearch::everything(&conditions, min, max)).expect("search");
        assert_eq!(between(4, 5).locations, vec![(4, 0), (4, 1), (5, 0), (5, 1)]);
        assert_eq!(between(10, u64::MAX).locations, vec![(10, 0), (10, 1)]);
        assert_eq!(between(6, 5).locations, vec![]);
    }

    /// A search keeps only its page (counting the rest), checks further conditions by point
    /// lookups, reads in either order, and stops at its scan limit saying so.
    #[test]
    fn event_searches_keep_only_the_page_and_stop_at_the_scan_limit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("db.redb")).expect("open");
        let (all, some) = ("message.module=bank".to_string(), "transfer.recipient=lease1r".to_string());
        for h in 1..=10u64 {
            // Tx 0 of each block has both; tx 1 only the first (odd heights get the second too).
            let second = if h % 2 == 1 { vec![all.clone(), some.clone()] } else { vec![all.clone()] };
            db.commit(&block_with_index(
                h,
                vec![([h as u8; 32], vec![all.clone(), some.clone()]), ([100 + h as u8; 32], second)],
            ))
            .expect("commit");
        }
        let both = [all.clone(), some.clone()];
        let search = |skip, take, descending, max_scanned| {
            db.search_events(&EventSearch {
                conditions: &both,
                min_height: 0,
                max_height: u64::MAX,
                descending,
                skip,
                take,
                max_scanned,
            })
            .expect("search")
        };
        let first = search(0, 3, false, u64::MAX);
        assert_eq!((first.total, first.truncated), (15, false));
        assert_eq!(first.locations, vec![(1, 0), (1, 1), (2, 0)]);
        assert_eq!(search(12, 5, false, u64::MAX).locations, vec![(9, 0), (9, 1), (10, 0)]);
        assert_eq!(search(0, 2, true, u64::MAX).locations, vec![(10, 0), (9, 1)]);
        let capped = search(0, 100, false, 4);
        assert!(capped.truncated);
        assert_eq!(capped.locations, vec![(1, 0), (1, 1), (2, 0)], "4 entries read, 3 matched");
        let none: [String; 0] = [];
        assert_eq!(db.search_events(&EventSearch::everything(&none, 0, u64::MAX)).expect("search").total, 0);
    }
}
