//! Writing blocks: one database transaction per block holds its raw rows (block, txs,
//! messages, events, attributes, transfers), the rows derived from it ([`Projector`]) and the
//! new last indexed height — so a crash anywhere leaves the database at the previous block,
//! and writing a block twice is refused by the height check before anything is written. The
//! natural keys (height, tx index, message/event index) are primary keys besides.
//!
//! Also here: [`reindex_from`], which drops everything from a height on and rebuilds the
//! derived tables by replaying the stored log below it, and [`load_block`], which reads a
//! stored block back.

use std::sync::Arc;

use crate::indexer::decode::{Contracts, parse_coins};
use crate::indexer::error::{IndexError, StoreError};
use crate::indexer::model::{BlockData, EventData, MsgData, TxData};
use crate::indexer::project::Projector;
use crate::indexer::schema::{self, DERIVED_TABLES, RAW_TABLES};
use crate::indexer::store::{Backend, Sql, Store, Value};

/// Where in a block write a fault may be injected (tests of crash safety).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The raw rows are written, the derived ones not yet.
    RawWritten,
    /// Everything is written; the commit is next.
    BeforeCommit,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::RawWritten => "raw rows written",
            Stage::BeforeCommit => "before commit",
        }
    }
}

/// Called at each [`Stage`] of each block write; an error aborts the write (its transaction
/// is rolled back), as a crash at that point would.
pub type FaultHook = Arc<dyn Fn(u64, Stage) -> Result<(), StoreError> + Send + Sync>;

/// What a block write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Written, with this many rows inserted or changed.
    Indexed { rows: u64 },
    /// The block was already indexed: nothing written.
    AlreadyIndexed,
}

/// An arbitrary constant naming the indexer's PostgreSQL advisory lock.
const PG_LOCK: i64 = 0x1ea5_e401;

/// Takes the database's write lock for this transaction (SQLite: `BEGIN IMMEDIATE` already
/// did; PostgreSQL: an advisory lock), so concurrent writers serialise.
fn lock(backend: Backend, sql: &mut dyn Sql) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sql.execute("SELECT pg_advisory_xact_lock($1)", &[Value::Int(PG_LOCK)])?;
    }
    Ok(())
}

/// Records which chain and marketplace the database indexes, or checks they match.
pub fn check_identity(store: &mut dyn Store, chain_id: &str, contracts: &Contracts) -> Result<(), StoreError> {
    let backend = store.backend();
    let mut tx = store.transaction()?;
    lock(backend, tx.as_mut())?;
    for (key, value) in [
        ("chain_id", chain_id),
        ("market", contracts.market.as_str()),
        ("escrow", contracts.escrow.as_str()),
        ("registry", contracts.registry.as_str()),
    ] {
        match schema::meta(tx.as_mut(), key)? {
            Some(stored) if stored != value => {
                return Err(StoreError::Mismatch {
                    what: match key {
                        "chain_id" => "chain",
                        "market" => "market contract",
                        "escrow" => "escrow contract",
                        _ => "provider registry",
                    },
                    stored,
                    given: value.to_string(),
                });
            }
            Some(_) => {}
            None => schema::set_meta(tx.as_mut(), key, value)?,
        }
    }
    tx.commit()
}

fn write_raw(sql: &mut dyn Sql, b: &BlockData) -> Result<u64, StoreError> {
    let h = Value::u64(b.height)?;
    let mut rows = sql.execute(
        "INSERT INTO blocks (height, hash, time, proposer, tx_count) VALUES ($1, $2, $3, $4, $5)",
        &[
            h.clone(),
            b.hash.as_str().into(),
            b.time.as_str().into(),
            b.proposer.as_str().into(),
            Value::u64(b.txs.len() as u64)?,
        ],
    )?;
    for t in &b.txs {
        rows += write_tx(sql, &h, t)?;
    }
    Ok(rows)
}

fn write_tx(sql: &mut dyn Sql, h: &Value, t: &TxData) -> Result<u64, StoreError> {
    let ti = Value::from(t.index);
    let mut rows = sql.execute(
        "INSERT INTO txs (height, tx_index, hash, code, codespace, log, gas_wanted, gas_used, fee, memo, signer, msg_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            h.clone(),
            ti.clone(),
            t.hash.as_str().into(),
            t.code.into(),
            t.codespace.as_str().into(),
            t.log.as_str().into(),
            t.gas_wanted.into(),
            t.gas_used.into(),
            t.fee.as_str().into(),
            t.memo.as_str().into(),
            Value::opt_text(t.signer.clone()),
            Value::u64(t.msgs.len() as u64)?,
        ],
    )?;
    for m in &t.msgs {
        rows += sql.execute(
            "INSERT INTO msgs (height, tx_index, msg_index, type_url, sender, contract, action, body, funds) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                h.clone(),
                ti.clone(),
                m.index.into(),
                m.type_url.as_str().into(),
                Value::opt_text(m.sender.clone()),
                Value::opt_text(m.contract.clone()),
                Value::opt_text(m.action.clone()),
                Value::opt_text(m.body.clone()),
                m.funds.as_str().into(),
            ],
        )?;
    }
    for e in &t.events {
        rows += sql.execute(
            "INSERT INTO events (height, tx_index, event_index, kind, msg_index, contract) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                h.clone(),
                ti.clone(),
                e.index.into(),
                e.kind.as_str().into(),
                e.msg_index.map_or(Value::Null, Value::from),
                Value::opt_text(e.contract.clone()),
            ],
        )?;
        for (i, (k, v)) in e.attributes.iter().enumerate() {
            rows += sql.execute(
                "INSERT INTO event_attributes (height, tx_index, event_index, attr_index, key, value) VALUES ($1, $2, $3, $4, $5, $6)",
                &[h.clone(), ti.clone(), e.index.into(), Value::u64(i as u64)?, k.as_str().into(), v.as_str().into()],
            )?;
        }
        if e.kind == "transfer"
            && let (Some(from), Some(to), Some(coins)) =
                (e.attr("sender"), e.attr("recipient"), e.attr("amount").and_then(parse_coins))
        {
            for (i, c) in coins.iter().enumerate() {
                rows += sql.execute(
                    "INSERT INTO transfers (height, tx_index, event_index, coin_index, sender, recipient, amount, denom) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        h.clone(),
                        ti.clone(),
                        e.index.into(),
                        Value::u64(i as u64)?,
                        from.into(),
                        to.into(),
                        c.amount.to_string().into(),
                        c.denom.as_str().into(),
                    ],
                )?;
            }
        }
    }
    Ok(rows)
}

/// Writes one block (raw rows, derived rows, last height) in one transaction. The block must
/// follow the last indexed one (or be the first); an already indexed block is skipped.
pub fn write_block(
    store: &mut dyn Store,
    block: &BlockData,
    contracts: &Contracts,
    hook: Option<&FaultHook>,
) -> Result<Applied, IndexError> {
    let backend = store.backend();
    let mut tx = store.transaction()?;
    lock(backend, tx.as_mut())?;
    let last = schema::last_height(tx.as_mut())?;
    if block.height <= last {
        return Ok(Applied::AlreadyIndexed);
    }
    if last != 0 && block.height != last + 1 {
        return Err(StoreError::Gap { height: block.height, last }.into());
    }
    let mut rows = write_raw(tx.as_mut(), block)?;
    if let Some(hook) = hook {
        hook(block.height, Stage::RawWritten)?;
    }
    let mut projector = Projector::new(tx.as_mut(), contracts);
    projector.block(block)?;
    rows += projector.rows();
    schema::set_meta(tx.as_mut(), "last_height", &block.height.to_string())?;
    if let Some(hook) = hook {
        hook(block.height, Stage::BeforeCommit)?;
    }
    tx.commit()?;
    Ok(Applied::Indexed { rows })
}

/// Reads the stored block at `height` back (`None` when not indexed).
pub fn load_block(sql: &mut dyn Sql, height: u64) -> Result<Option<BlockData>, StoreError> {
    let h = [Value::u64(height)?];
    let Some(b) = sql.query_opt("SELECT hash, time, proposer FROM blocks WHERE height = $1", &h)? else {
        return Ok(None);
    };
    let mut block = BlockData { height, hash: b.text(0)?, time: b.text(1)?, proposer: b.text(2)?, txs: Vec::new() };
    for r in sql.query(
        "SELECT tx_index, hash, code, codespace, log, gas_wanted, gas_used, fee, memo, signer FROM txs WHERE height = $1 ORDER BY tx_index",
        &h,
    )? {
        block.txs.push(TxData {
            index: r.u32(0)?,
            hash: r.text(1)?,
            code: r.u32(2)?,
            codespace: r.text(3)?,
            log: r.text(4)?,
            gas_wanted: r.int(5)?,
            gas_used: r.int(6)?,
            fee: r.text(7)?,
            memo: r.text(8)?,
            signer: r.opt_text(9)?,
            msgs: Vec::new(),
            events: Vec::new(),
        });
    }
    let tx_pos = |txs: &[TxData], i: u32| -> Result<usize, StoreError> {
        txs.binary_search_by_key(&i, |t| t.index)
            .map_err(|_| StoreError::Inconsistent(format!("height {height}: rows of a missing tx {i}")))
    };
    for r in sql.query(
        "SELECT tx_index, msg_index, type_url, sender, contract, action, body, funds FROM msgs WHERE height = $1 ORDER BY tx_index, msg_index",
        &h,
    )? {
        let t = tx_pos(&block.txs, r.u32(0)?)?;
        block.txs[t].msgs.push(MsgData {
            index: r.u32(1)?,
            type_url: r.text(2)?,
            sender: r.opt_text(3)?,
            contract: r.opt_text(4)?,
            action: r.opt_text(5)?,
            body: r.opt_text(6)?,
            funds: r.text(7)?,
        });
    }
    for r in sql.query(
        "SELECT tx_index, event_index, kind, msg_index, contract FROM events WHERE height = $1 ORDER BY tx_index, event_index",
        &h,
    )? {
        let t = tx_pos(&block.txs, r.u32(0)?)?;
        block.txs[t].events.push(EventData {
            index: r.u32(1)?,
            kind: r.text(2)?,
            msg_index: r.opt_u64(3)?.and_then(|v| u32::try_from(v).ok()),
            contract: r.opt_text(4)?,
            attributes: Vec::new(),
        });
    }
    for r in sql.query(
        "SELECT tx_index, event_index, key, value FROM event_attributes WHERE height = $1 ORDER BY tx_index, event_index, attr_index",
        &h,
    )? {
        let t = tx_pos(&block.txs, r.u32(0)?)?;
        let e = r.u32(1)?;
        let events = &mut block.txs[t].events;
        let pos = events
            .binary_search_by_key(&e, |ev| ev.index)
            .map_err(|_| StoreError::Inconsistent(format!("height {height}: attributes of a missing event {e}")))?;
        events[pos].attributes.push((r.text(2)?, r.text(3)?));
    }
    Ok(Some(block))
}

/// Drops every row at `from` and above, empties the derived tables and rebuilds them by
/// replaying the stored blocks below `from`; the next block to index is then `from`. With
/// `from <= 1` the database is emptied. One transaction.
pub fn reindex_from(store: &mut dyn Store, from: u64, contracts: &Contracts) -> Result<u64, IndexError> {
    let backend = store.backend();
    let mut tx = store.transaction()?;
    lock(backend, tx.as_mut())?;
    let from_v = Value::u64(from)?;
    for t in RAW_TABLES {
        tx.execute(&format!("DELETE FROM {t} WHERE height >= $1"), std::slice::from_ref(&from_v))?;
    }
    for t in DERIVED_TABLES {
        tx.execute(&format!("DELETE FROM {t}"), &[])?;
    }
    let heights: Vec<u64> = tx
        .query("SELECT height FROM blocks ORDER BY height", &[])?
        .iter()
        .map(|r| r.u64(0))
        .collect::<Result<_, _>>()?;
    for h in &heights {
        if let Some(block) = load_block(tx.as_mut(), *h)? {
            Projector::new(tx.as_mut(), contracts).block(&block)?;
        }
    }
    let last = heights.last().copied().unwrap_or(0);
    schema::set_meta(tx.as_mut(), "last_height", &last.to_string())?;
    tx.commit()?;
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indexer::store::sqlite::SqliteStore;
    use crate::indexer::store::{Row, Sql};
    use proptest::prelude::*;

    fn contracts() -> Contracts {
        Contracts { market: "mkt".into(), escrow: "esc".into(), registry: "reg".into() }
    }

    fn ev(index: u32, kind: &str, contract: Option<&str>, attrs: &[(&str, String)]) -> EventData {
        let mut a: Vec<(String, String)> = Vec::new();
        if let Some(c) = contract {
            a.push(("_contract_address".into(), c.into()));
        }
        a.extend(attrs.iter().map(|(k, v)| (k.to_string(), v.clone())));
        a.push(("msg_index".into(), "0".into()));
        EventData::new(index, kind.into(), a)
    }

    /// A block whose txs create a deployment each (with its order, bids and escrow accounts),
    /// plus a transfer and an event of a foreign contract; ids are unique per (height, tx).
    fn block(height: u64, txs: &[(u8, u32, bool)]) -> BlockData {
        let txs = txs
            .iter()
            .enumerate()
            .map(|(i, (bids, amount, failed))| {
                let dseq = (height * 100 + i as u64).to_string();
                let ids = |p: &str| -> Vec<(&str, String)> {
                    vec![
                        ("owner", "tenant".into()),
                        ("dseq", dseq.clone()),
                        ("gseq", "1".into()),
                        ("oseq", "1".into()),
                        ("provider", p.into()),
                    ]
                };
                let mut events = vec![ev(
                    0,
                    "transfer",
                    None,
                    &[("sender", "a".into()), ("recipient", "b".into()), ("amount", format!("{amount}ulease"))],
                )];
                if !failed {
                    let mut d = ids("").into_iter().take(2).collect::<Vec<_>>();
                    d.extend([
                        ("hash", "00".into()),
                        ("denom", "ulease".into()),
                        ("groups", "1".into()),
                        ("auto_match", "false".into()),
                        ("deposit", format!("{amount}ulease")),
                    ]);
                    events.push(ev(1, "wasm-deployment-created", Some("mkt"), &d));
                    let mut o = ids("").into_iter().take(4).collect::<Vec<_>>();
                    o.extend([("price", "10ulease".into()), ("matchable_at", "5".into()), ("expires_at", "9".into())]);
                    events.push(ev(2, "wasm-order-created", Some("mkt"), &o));
                    events.push(ev(
                        3,
                        "wasm-escrow-account-opened",
                        Some("esc"),
                        &[
                            ("account", format!("deployment/tenant/{dseq}")),
                            ("scope", "deployment".into()),
                            ("owner", "tenant".into()),
                            ("amount", amount.to_string()),
                            ("denom", "ulease".into()),
                        ],
                    ));
                    for b in 0..*bids {
                        let mut a = ids(&format!("p{b}"));
                        a.extend([("price", format!("{}.5ulease", b + 1)), ("collateral", "5ulease".into())]);
                        events.push(ev(4 + u32::from(b), "wasm-bid-created", Some("mkt"), &a));
                    }
                    // Look-alike from another contract: must change nothing.
                    events.push(ev(20, "wasm-deployment-closed", Some("evil"), &ids("")[..2]));
                }
                TxData {
                    index: i as u32,
                    hash: format!("{height:08X}{i:04X}"),
                    code: u32::from(*failed) * 5,
                    codespace: String::new(),
                    log: String::new(),
                    gas_wanted: 100,
                    gas_used: 90,
                    fee: "5ulease".into(),
                    memo: String::new(),
                    signer: Some("tenant".into()),
                    msgs: vec![],
                    events,
                }
            })
            .collect();
        BlockData {
            height,
            hash: format!("{height:064X}"),
            time: "2026-01-01T00:00:00Z".into(),
            proposer: "AB".into(),
            txs,
        }
    }

    fn dump(s: &mut dyn Sql) -> Vec<Vec<Row>> {
        RAW_TABLES
            .iter()
            .chain(DERIVED_TABLES.iter())
            .chain(["indexer_meta"].iter())
            .map(|t| {
                let mut rows = s.query(&format!("SELECT * FROM {t}"), &[]).unwrap();
                rows.sort_by(|a, b| a.0.cmp(&b.0));
                rows
            })
            .collect()
    }

    fn store() -> SqliteStore {
        let mut s = SqliteStore::in_memory().unwrap();
        schema::migrate(&mut s).unwrap();
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Re-applying a block, or applying it after a failed attempt (a fault after its raw
        /// rows or just before its commit), leaves exactly the rows of applying it once.
        #[test]
        fn blocks_apply_exactly_once_whatever_the_retries(
            blocks in proptest::collection::vec(proptest::collection::vec((0u8..3, 1u32..1_000_000, any::<bool>()), 0..4), 1..6),
            attempts in proptest::collection::vec((0u8..3, 0u8..3), 6),
        ) {
            let chain: Vec<BlockData> = blocks.iter().enumerate().map(|(i, t)| block(i as u64 + 1, t)).collect();
            let mut reference = store();
            for b in &chain {
                prop_assert_ne!(write_block(&mut reference, b, &contracts(), None).unwrap(), Applied::AlreadyIndexed);
            }
            let mut s = store();
            for (b, (faults, repeats)) in chain.iter().zip(attempts.iter().cycle()) {
                for f in 0..*faults {
                    let stage = if f % 2 == 0 { Stage::RawWritten } else { Stage::BeforeCommit };
                    let hook: FaultHook = Arc::new(move |h, st| {
                        if st == stage { Err(StoreError::Injected { height: h, stage: st.name() }) } else { Ok(()) }
                    });
                    prop_assert!(write_block(&mut s, b, &contracts(), Some(&hook)).is_err());
                }
                prop_assert_ne!(write_block(&mut s, b, &contracts(), None).unwrap(), Applied::AlreadyIndexed);
                for _ in 0..*repeats {
                    prop_assert_eq!(write_block(&mut s, b, &contracts(), None).unwrap(), Applied::AlreadyIndexed);
                }
                // An earlier block again changes nothing either.
                prop_assert_eq!(write_block(&mut s, &chain[0], &contracts(), None).unwrap(), Applied::AlreadyIndexed);
            }
            prop_assert_eq!(dump(&mut s), dump(&mut reference));
            // Replaying the stored log rebuilds the derived tables exactly.
            reindex_from(&mut s, chain.len() as u64 + 1, &contracts()).unwrap();
            prop_assert_eq!(dump(&mut s), dump(&mut reference));
        }
    }

    #[test]
    fn a_block_that_skips_a_height_is_refused() {
        let mut s = store();
        write_block(&mut s, &block(1, &[(1, 5, false)]), &contracts(), None).unwrap();
        let err = write_block(&mut s, &block(3, &[]), &contracts(), None).unwrap_err();
        assert!(err.to_string().contains("does not follow the last indexed block 1"), "{err}");
    }

    #[test]
    fn stored_blocks_read_back_identical() {
        let mut s = store();
        let b = block(1, &[(2, 7, false), (0, 3, true)]);
        write_block(&mut s, &b, &contracts(), None).unwrap();
        assert_eq!(load_block(&mut s, 1).unwrap(), Some(b));
        assert_eq!(load_block(&mut s, 2).unwrap(), None);
        let bids = s.query("SELECT COUNT(*) FROM bids", &[]).unwrap()[0].u64(0).unwrap();
        assert_eq!(bids, 2);
        let open = s.query("SELECT open_bids FROM orders", &[]).unwrap()[0].u64(0).unwrap();
        assert_eq!(open, 2);
        let active =
            s.query("SELECT COUNT(*) FROM deployments WHERE state = 'active'", &[]).unwrap()[0].u64(0).unwrap();
        assert_eq!(active, 1, "the look-alike event of another contract changed nothing");
    }
}
