//! Which events of a tx the node indexes for `tx_search` / `GetTxsEvent`.
//!
//! Events are chosen by whoever sends the tx (a contract emits any event type and attribute it
//! likes, a few gas each), and every index entry is disk the node keeps forever. So the node
//! indexes only the `type.key` pairs its policy names (by default those wallets, explorers and
//! the Leasehold market's clients search by), at most [`MAX_ENTRIES_PER_TX`] entries per tx, each
//! at most [`MAX_ENTRY_BYTES`]. `tx.height` and `tx.hash` are always indexed. The policy is
//! local (config `[tx_index]`), not consensus: it changes what this node can search, not state.

use serde::{Deserialize, Serialize};

use crate::app::exec::TxOutcome;

/// Most index entries one tx adds (besides `tx.height` and `tx.hash`).
pub const MAX_ENTRIES_PER_TX: usize = 256;
/// Longest `type.key=value` indexed; a longer one is not indexed.
pub const MAX_ENTRY_BYTES: usize = 512;

/// The events indexed by default: `type.key`, where `type` may end in `*` (any type with that
/// prefix) and `key` may be `*` (every attribute).
pub const DEFAULT_INDEXED_EVENTS: &[&str] = &[
    "message.action",
    "message.sender",
    "message.module",
    "tx.acc_seq",
    "tx.fee_payer",
    "transfer.sender",
    "transfer.recipient",
    "coin_spent.spender",
    "coin_received.receiver",
    "store_code.code_id",
    "store_code.code_checksum",
    "instantiate._contract_address",
    "instantiate.code_id",
    "execute._contract_address",
    "migrate._contract_address",
    "wasm._contract_address",
    "wasm.action",
    // The market's, escrow's and registry's own events (`wasm-deployment-created`, …): ids,
    // owners and providers (docs/events.md).
    "wasm-*.*",
];

/// One `type.key` pattern of the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    /// The event type, or its prefix when `prefix` is set.
    ty: String,
    prefix: bool,
    /// The attribute key; `None` for every key.
    key: Option<String>,
}

impl Pattern {
    fn parse(text: &str) -> Result<Pattern, String> {
        let (ty, key) = text
            .rsplit_once('.')
            .ok_or_else(|| format!("tx_index event {text:?}: expected type.key (e.g. message.sender, wasm-*.*)"))?;
        let (ty, prefix) = match ty.strip_suffix('*') {
            Some(p) => (p, true),
            None => (ty, false),
        };
        if (ty.is_empty() && !prefix) || key.is_empty() || ty.contains('*') || (key.contains('*') && key != "*") {
            return Err(format!("tx_index event {text:?}: expected type.key, type*.key or type.* (e.g. wasm-*.*)"));
        }
        let key = (key != "*").then(|| key.to_string());
        Ok(Pattern { ty: ty.to_string(), prefix, key })
    }

    fn matches(&self, ty: &str, key: &str) -> bool {
        let ty_ok = if self.prefix { ty.starts_with(&self.ty) } else { ty == self.ty };
        ty_ok && self.key.as_deref().is_none_or(|k| k == key)
    }
}

/// What a node indexes (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxIndexPolicy {
    patterns: Vec<Pattern>,
    max_entries: usize,
}

impl Default for TxIndexPolicy {
    fn default() -> Self {
        TxIndexPolicy::new(DEFAULT_INDEXED_EVENTS, MAX_ENTRIES_PER_TX).expect("the default patterns parse")
    }
}

impl TxIndexPolicy {
    /// A policy indexing `events` (patterns as in [`DEFAULT_INDEXED_EVENTS`]), at most
    /// `max_entries` per tx (≤ [`MAX_ENTRIES_PER_TX`]).
    pub fn new<S: AsRef<str>>(events: &[S], max_entries: usize) -> Result<Self, String> {
        if max_entries > MAX_ENTRIES_PER_TX {
            return Err(format!("tx_index max_entries_per_tx {max_entries} is over the limit of {MAX_ENTRIES_PER_TX}"));
        }
        let patterns = events.iter().map(|e| Pattern::parse(e.as_ref().trim())).collect::<Result<_, _>>()?;
        Ok(TxIndexPolicy { patterns, max_entries })
    }

    fn indexes(&self, ty: &str, key: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(ty, key))
    }

    /// The index entries (`type.key=value`, sorted, distinct) of a tx: `tx.height`, `tx.hash`,
    /// then the attributes the policy names (and the tx marked indexed), in event order, up to
    /// the per-tx bound.
    pub fn entries(&self, height: u64, hash: &[u8; 32], outcome: &TxOutcome) -> Vec<String> {
        let mut out: std::collections::BTreeSet<String> =
            [format!("tx.height={height}"), format!("tx.hash={}", hex::encode_upper(hash))].into();
        let mut added = 0;
        'events: for e in &outcome.events {
            for a in &e.attributes {
                if !a.index || !self.indexes(&e.r#type, &a.key) {
                    continue;
                }
                let entry = format!("{}.{}={}", e.r#type, a.key, a.value);
                if entry.len() > MAX_ENTRY_BYTES {
                    continue;
                }
                if added == self.max_entries {
                    break 'events;
                }
                if out.insert(entry) {
                    added += 1;
                }
            }
        }
        out.into_iter().collect()
    }
}

/// `[tx_index]` of `config.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxIndexConfig {
    /// The `type.key` patterns indexed (see [`DEFAULT_INDEXED_EVENTS`]).
    pub events: Vec<String>,
    /// Most entries one tx adds to the index.
    pub max_entries_per_tx: usize,
}

impl Default for TxIndexConfig {
    fn default() -> Self {
        TxIndexConfig {
            events: DEFAULT_INDEXED_EVENTS.iter().map(|s| s.to_string()).collect(),
            max_entries_per_tx: MAX_ENTRIES_PER_TX,
        }
    }
}

impl TxIndexConfig {
    pub fn policy(&self) -> Result<TxIndexPolicy, String> {
        TxIndexPolicy::new(&self.events, self.max_entries_per_tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tendermint_proto::abci::{Event, EventAttribute};

    fn outcome(events: Vec<(&str, Vec<(&str, String)>)>) -> TxOutcome {
        TxOutcome {
            events: events
                .into_iter()
                .map(|(ty, attrs)| Event {
                    r#type: ty.into(),
                    attributes: attrs
                        .into_iter()
                        .map(|(k, v)| EventAttribute { key: k.into(), value: v, index: true })
                        .collect(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn only_configured_keys_are_indexed() {
        let policy = TxIndexPolicy::default();
        let tx = outcome(vec![
            ("message", vec![("sender", "lease1a".into()), ("msg_index", "0".into())]),
            ("wasm-lease-created", vec![("owner", "lease1t".into())]),
            ("attacker", vec![("junk", "x".into())]),
        ]);
        let entries = policy.entries(7, &[0xab; 32], &tx);
        assert_eq!(
            entries,
            vec![
                "message.sender=lease1a".to_string(),
                format!("tx.hash={}", "AB".repeat(32)),
                "tx.height=7".to_string(),
                "wasm-lease-created.owner=lease1t".to_string(),
            ]
        );
    }

    /// A tx emitting thousands of indexed attributes (a few gas each) adds at most the bound,
    /// and an oversized value is not indexed at all.
    #[test]
    fn the_index_is_bounded_per_tx() {
        let policy = TxIndexPolicy::default();
        let many: Vec<(&str, String)> = (0..5_000).map(|i| ("k", format!("v{i}"))).collect();
        let huge = vec![("owner", "x".repeat(MAX_ENTRY_BYTES))];
        let tx = outcome(vec![("wasm-spam", many), ("wasm-big", huge)]);
        let entries = policy.entries(1, &[0; 32], &tx);
        assert_eq!(entries.len(), 2 + MAX_ENTRIES_PER_TX);
        assert!(entries.iter().all(|e| !e.starts_with("wasm-big")));
        let small = TxIndexPolicy::new(&["wasm-*.*"], 3).expect("policy");
        assert_eq!(small.entries(1, &[0; 32], &tx).len(), 2 + 3);
    }

    #[test]
    fn patterns_parse_or_say_what_is_expected() {
        assert!(TxIndexPolicy::new(&["message.sender", "wasm-*.*", "transfer.*", "*.owner", "a.b.c"], 10).is_ok());
        for bad in ["sender", "message.", ".x", "wa*sm.x", "message.se*"] {
            let err = TxIndexPolicy::new(&[bad], 10).unwrap_err();
            assert!(err.contains("expected type.key"), "{bad}: {err}");
        }
        assert!(TxIndexPolicy::new(&["message.sender"], MAX_ENTRIES_PER_TX + 1).is_err());
    }
}
