//! [`CometBroadcaster`]: gRPC `BroadcastTx` under CometBFT — the tx goes to the CometBFT node's
//! JSON-RPC (`broadcast_tx_sync` / `broadcast_tx_async`), as the Cosmos SDK's gRPC gateway does,
//! and CometBFT runs CheckTx through its mempool connection to this app. CometBFT's mempool
//! errors become the SDK codes its clients know (the SDK's `CheckCometError`): tx already in the
//! mempool cache → sdk/19, mempool full → sdk/20, tx too large → sdk/21.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;

use crate::app::exec::TxOutcome;
use crate::error::NodeError;
use crate::query::TxBroadcaster;

/// Forwards transactions to CometBFT's RPC.
pub struct CometBroadcaster {
    url: String,
    agent: ureq::Agent,
}

#[derive(Deserialize)]
struct RpcReply {
    result: Option<BroadcastResult>,
    error: Option<RpcError>,
}

#[derive(Deserialize)]
struct BroadcastResult {
    #[serde(default)]
    code: u32,
    #[serde(default)]
    data: String,
    #[serde(default)]
    log: String,
    #[serde(default)]
    codespace: String,
}

#[derive(Deserialize)]
struct RpcError {
    code: i64,
    message: String,
    #[serde(default)]
    data: String,
}

impl CometBroadcaster {
    /// `rpc` is CometBFT's RPC address: `http://127.0.0.1:26657` (or `tcp://`, as in CometBFT's
    /// config, or a bare `host:port`).
    pub fn new(rpc: &str, timeout: Duration) -> Result<CometBroadcaster, NodeError> {
        let rest = rpc.strip_prefix("tcp://").or_else(|| rpc.strip_prefix("http://")).unwrap_or(rpc);
        if rest.is_empty() || rest.contains("://") {
            return Err(NodeError::Config(format!("abci.comet_rpc {rpc:?}: expected http://host:port")));
        }
        let config = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).build();
        Ok(CometBroadcaster { url: format!("http://{}", rest.trim_end_matches('/')), agent: config.into() })
    }

    fn call(&self, method: &str, tx: &[u8]) -> Result<Result<BroadcastResult, RpcError>, NodeError> {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {"tx": B64.encode(tx)}});
        let unreachable = |e: &dyn std::fmt::Display| NodeError::Consensus(format!("CometBFT RPC {}: {e}", self.url));
        let mut response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .send(body.to_string())
            .map_err(|e| unreachable(&e))?;
        let text = response.body_mut().read_to_string().map_err(|e| unreachable(&e))?;
        let reply: RpcReply =
            serde_json::from_str(&text).map_err(|e| unreachable(&format!("unexpected reply ({e}): {text:.200}")))?;
        match (reply.result, reply.error) {
            (_, Some(e)) => Ok(Err(e)),
            (Some(r), None) => Ok(Ok(r)),
            (None, None) => Err(unreachable(&"a reply without result or error")),
        }
    }
}

/// The SDK code for a CometBFT mempool error, if it has one.
fn mempool_error(e: &RpcError) -> Option<TxOutcome> {
    let text = format!("{} {}", e.message, e.data).to_ascii_lowercase();
    let (code, what) = if text.contains("tx already exists in cache") {
        (19, "tx already in mempool")
    } else if text.contains("mempool is full") {
        (20, "mempool is full")
    } else if text.contains("tx too large") {
        (21, "tx too large")
    } else {
        return None;
    };
    Some(TxOutcome { code, codespace: "sdk".into(), log: format!("{}: {what}", e.data), ..Default::default() })
}

fn rpc_failure(e: RpcError) -> NodeError {
    NodeError::Consensus(format!("CometBFT refused the tx ({}): {} {}", e.code, e.message, e.data))
}

impl TxBroadcaster for CometBroadcaster {
    fn broadcast_sync(&self, tx: Vec<u8>) -> Result<TxOutcome, NodeError> {
        match self.call("broadcast_tx_sync", &tx)? {
            Ok(r) => Ok(TxOutcome {
                code: r.code,
                codespace: r.codespace,
                log: r.log,
                data: B64.decode(r.data).unwrap_or_default(),
                ..Default::default()
            }),
            Err(e) => mempool_error(&e).ok_or_else(|| rpc_failure(e)),
        }
    }

    fn broadcast_async(&self, tx: Vec<u8>) -> Result<(), NodeError> {
        match self.call("broadcast_tx_async", &tx)? {
            Ok(_) => Ok(()),
            Err(e) => Err(rpc_failure(e)),
        }
    }
}
