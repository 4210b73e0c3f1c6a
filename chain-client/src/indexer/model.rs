//! One block as the indexer stores it: the block, its transactions, their messages and their
//! events with attributes — the raw log, keyed by (height, tx index, message or event index).
//! [`crate::indexer::decode`] builds it from the node's answers, the store writes and reloads
//! it, and [`crate::indexer::project`] derives the market's tables from it.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockData {
    pub height: u64,
    /// Block id hash, upper-case hex.
    pub hash: String,
    /// RFC 3339 header time.
    pub time: String,
    /// Proposer address, upper-case hex.
    pub proposer: String,
    pub txs: Vec<TxData>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxData {
    pub index: u32,
    /// Upper-case hex SHA-256 of the tx bytes.
    pub hash: String,
    /// 0 = success.
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub gas_wanted: i64,
    pub gas_used: i64,
    /// The fee, as coins (`5000ulease`).
    pub fee: String,
    pub memo: String,
    /// The first message's signer.
    pub signer: Option<String>,
    pub msgs: Vec<MsgData>,
    pub events: Vec<EventData>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MsgData {
    pub index: u32,
    pub type_url: String,
    pub sender: Option<String>,
    /// The contract executed, migrated or administered.
    pub contract: Option<String>,
    /// A wasm message's top-level JSON key (`create_bid`), or the message's kind.
    pub action: Option<String>,
    /// The message as JSON: a contract message verbatim, bank sends as `{to_address, amount}`.
    pub body: Option<String>,
    /// Funds sent with it, as coins.
    pub funds: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventData {
    pub index: u32,
    pub kind: String,
    /// The message that emitted it (`msg_index`); `None` for fee and signature events.
    pub msg_index: Option<u32>,
    /// `_contract_address`, for contract events.
    pub contract: Option<String>,
    /// Every attribute in order, `_contract_address` and `msg_index` included.
    pub attributes: Vec<(String, String)>,
}

impl EventData {
    /// Builds an event, taking `contract` and `msg_index` from its attributes.
    pub fn new(index: u32, kind: String, attributes: Vec<(String, String)>) -> EventData {
        let contract = attributes.iter().find(|(k, _)| k == "_contract_address").map(|(_, v)| v.clone());
        let msg_index = attributes.iter().find(|(k, _)| k == "msg_index").and_then(|(_, v)| v.parse().ok());
        EventData { index, kind, msg_index, contract, attributes }
    }

    /// The first value of `key`.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

impl BlockData {
    /// Rows this block adds to the raw tables (blocks, txs, msgs, events, attributes).
    pub fn raw_rows(&self) -> usize {
        1 + self
            .txs
            .iter()
            .map(|t| 1 + t.msgs.len() + t.events.iter().map(|e| 1 + e.attributes.len()).sum::<usize>())
            .sum::<usize>()
    }
}
