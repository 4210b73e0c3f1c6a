//! The event hub: follows the producer's commit announcements, reads each new block once from
//! the block store and turns it into CometBFT events — one `NewBlock` and one `Tx` per
//! transaction, each with its attribute map (`tm.event`, `tx.hash`, `tx.height`, `type.key`) and
//! its JSON `data` — and broadcasts them to every websocket connection and every waiting
//! `broadcast_tx_commit`. Missed announcements (a lagging receiver) are caught up from the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use tendermint::block;
use tokio::sync::broadcast;

use super::convert::{self, CommitSigner, TxResultJson};
use super::error::RpcError;
use crate::app::ChainView;
use crate::blockstore::StoredBlock;
use crate::dev::producer::BlockCommitted;
use crate::tx::tx_hash;

/// How many blocks of events a receiver may fall behind before it is told it lagged.
const HUB_CAPACITY: usize = 64;

/// What kind of event a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    NewBlock,
    Tx,
}

/// One event, ready to send: its attributes (for query matching) and the serialized
/// `data` and `events` members of CometBFT's `ResultEvent`.
#[derive(Debug)]
pub struct EventFrame {
    pub kind: EventKind,
    pub attrs: BTreeMap<String, Vec<String>>,
    pub data_json: String,
    pub events_json: String,
    /// For `Tx` events: the tx hash and its result.
    pub tx: Option<([u8; 32], Arc<TxResultJson>)>,
}

/// All events of one committed block.
#[derive(Debug)]
pub struct BlockEvents {
    pub height: u64,
    pub frames: Vec<EventFrame>,
}

/// A handle on the running hub.
#[derive(Clone)]
pub struct EventHub {
    tx: broadcast::Sender<Arc<BlockEvents>>,
}

#[derive(Serialize)]
#[serde(tag = "type", content = "value")]
enum EventData<'a> {
    #[serde(rename = "tendermint/event/NewBlock")]
    NewBlock { block: &'a serde_json::Value, block_id: &'a block::Id, result_finalize_block: &'a FinalizeJson },
    #[serde(rename = "tendermint/event/Tx")]
    Tx {
        #[serde(rename = "TxResult")]
        tx_result: TxEventJson<'a>,
    },
}

/// CometBFT's `abci.TxResult` (`index` is left out when 0, as gogoproto's JSON does).
#[derive(Serialize)]
struct TxEventJson<'a> {
    height: String,
    #[serde(skip_serializing_if = "is_zero")]
    index: u32,
    tx: String,
    result: &'a TxResultJson,
}

/// `ResponseFinalizeBlock` as the NewBlock event carries it (empty lists left out, as
/// gogoproto's JSON does; `app_hash` base64).
#[derive(Serialize)]
struct FinalizeJson {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<tendermint::abci::Event>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tx_results: Vec<TxResultJson>,
    validator_updates: Vec<()>,
    app_hash: String,
}

fn is_zero(i: &u32) -> bool {
    *i == 0
}

fn add_events(attrs: &mut BTreeMap<String, Vec<String>>, events: &[tendermint::abci::Event]) {
    for e in events.iter().filter(|e| !e.kind.is_empty()) {
        for a in &e.attributes {
            let (Ok(key), Ok(value)) = (a.key_str(), a.value_str()) else { continue };
            attrs.entry(format!("{}.{key}", e.kind)).or_default().push(value.to_string());
        }
    }
}

fn json<T: Serialize>(v: &T) -> Result<String, RpcError> {
    serde_json::to_string(v).map_err(RpcError::internal)
}

/// The events of `b`.
pub fn block_events(b: &StoredBlock, signer: &CommitSigner) -> Result<BlockEvents, RpcError> {
    let height = b.height();
    let block = convert::block_json(b, signer)?;
    let block_id = convert::block_id(b)?;
    let results: Vec<TxResultJson> = b.results.iter().map(convert::exec_result).collect::<Result<_, _>>()?;
    let block_events = convert::events(&b.events)?;
    let finalize = FinalizeJson {
        events: block_events.clone(),
        tx_results: results.clone(),
        validator_updates: vec![],
        app_hash: B64.encode(&b.app_hash),
    };
    let mut attrs = BTreeMap::from([("tm.event".to_string(), vec!["NewBlock".to_string()])]);
    add_events(&mut attrs, &block_events);
    let mut frames = vec![EventFrame {
        kind: EventKind::NewBlock,
        data_json: json(&EventData::NewBlock { block: &block, block_id: &block_id, result_finalize_block: &finalize })?,
        events_json: json(&attrs)?,
        attrs,
        tx: None,
    }];
    for (i, (raw, result)) in b.txs.iter().zip(results).enumerate() {
        let hash = tx_hash(raw);
        let mut attrs = BTreeMap::from([
            ("tm.event".to_string(), vec!["Tx".to_string()]),
            ("tx.hash".to_string(), vec![hex::encode_upper(hash)]),
            ("tx.height".to_string(), vec![height.to_string()]),
        ]);
        add_events(&mut attrs, &result.events);
        let data = EventData::Tx {
            tx_result: TxEventJson {
                height: height.to_string(),
                index: u32::try_from(i).unwrap_or(u32::MAX),
                tx: B64.encode(raw),
                result: &result,
            },
        };
        frames.push(EventFrame {
            kind: EventKind::Tx,
            data_json: json(&data)?,
            events_json: json(&attrs)?,
            attrs,
            tx: Some((hash, Arc::new(result.clone()))),
        });
    }
    Ok(BlockEvents { height, frames })
}

impl EventHub {
    /// Starts the hub task; it ends when the producer's channel closes (the producer stopped).
    pub fn start(view: ChainView, signer: CommitSigner, mut commits: broadcast::Receiver<BlockCommitted>) -> Self {
        let (tx, _) = broadcast::channel(HUB_CAPACITY);
        let hub = EventHub { tx: tx.clone() };
        tokio::spawn(async move {
            let mut done = view.status().height;
            loop {
                let target = match commits.recv().await {
                    Ok(c) => c.height,
                    Err(broadcast::error::RecvError::Lagged(_)) => view.status().height,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                while done < target {
                    done += 1;
                    if tx.receiver_count() == 0 {
                        continue;
                    }
                    let (view, signer, height) = (view.clone(), signer.clone(), done);
                    let built = tokio::task::spawn_blocking(move || {
                        let b = view
                            .block(height)
                            .map_err(RpcError::internal)?
                            .ok_or_else(|| RpcError::internal(format!("block {height} is not stored")))?;
                        block_events(&b, &signer)
                    })
                    .await;
                    match built {
                        Ok(Ok(events)) => {
                            let _ = tx.send(Arc::new(events));
                        }
                        Ok(Err(e)) => tracing::warn!(height, "rpc events: {e}"),
                        Err(e) => tracing::warn!(height, "rpc events task: {e}"),
                    }
                }
            }
        });
        hub
    }

    /// The events of every block from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BlockEvents>> {
        self.tx.subscribe()
    }
}
