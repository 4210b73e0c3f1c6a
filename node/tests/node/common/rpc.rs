//! Clients for the CometBFT JSON-RPC tests: a raw HTTP/1.1 client (so malformed and oversized
//! requests can be sent as they are), a websocket client (tokio-tungstenite), a dev node started
//! with `start_dev` on free ports, and an RPC server over a [`TestNode`] with chosen limits
//! (blocks made on demand). Included by `rpc.rs` (`#[path]`), so `common/mod.rs` stays as it is.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use leasehold_node::app::exec::TxOutcome;
use leasehold_node::error::NodeError;
use leasehold_node::query::limits::QueryLimits;
use leasehold_node::query::{NodeInfo, Services, TxBroadcaster, router};
use leasehold_node::rpc::{Limits, RpcServer, RpcSetup};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{TestNode, genesis, validator};

pub use crate::common::start_dev_node as start_node;

/// An HTTP answer: status, content type, body.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl HttpAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole answer.
pub async fn http(addr: SocketAddr, method: &str, target: &str, body: &[u8]) -> HttpAnswer {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write head");
    // The server may answer (and close) before reading a refused body.
    let _ = s.write_all(body).await;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), s.read(&mut buf)).await.expect("answer in time") {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let mut body = raw[split + 4..].to_vec();
    if header("transfer-encoding").eq_ignore_ascii_case("chunked") {
        body = dechunk(&body);
    }
    HttpAnswer { status, content_type: header("content-type"), body: String::from_utf8(body).expect("utf-8 body") }
}

/// POSTs a JSON-RPC body to `/`.
pub async fn post(addr: SocketAddr, body: &str) -> HttpAnswer {
    http(addr, "POST", "/", body.as_bytes()).await
}

/// One JSON-RPC call over HTTP POST; the whole response text.
pub async fn call_text(addr: SocketAddr, method: &str, params: Value) -> String {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let a = post(addr, &body).await;
    assert_eq!(a.status, 200, "{method}: {}", a.body);
    assert_eq!(a.content_type, "application/json");
    a.body
}

/// One JSON-RPC call's `result` (panics on an error response).
pub async fn call(addr: SocketAddr, method: &str, params: Value) -> Value {
    let v: Value = serde_json::from_str(&call_text(addr, method, params).await).unwrap();
    assert!(v.get("error").is_none(), "{method}: {v}");
    v["result"].clone()
}

/// One JSON-RPC call's `error` (panics on success).
pub async fn call_err(addr: SocketAddr, method: &str, params: Value) -> Value {
    let v: Value = serde_json::from_str(&call_text(addr, method, params).await).unwrap();
    assert!(v.get("result").is_none(), "{method} should fail: {v}");
    v["error"].clone()
}

pub type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A websocket connection to `/websocket`.
pub async fn ws_connect(addr: SocketAddr) -> Ws {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/websocket"), stream).await.expect("upgrade");
    ws
}

pub async fn ws_send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.expect("ws send");
}

/// The next text message (pings are skipped), or `None` when the server closed.
pub async fn ws_next(ws: &mut Ws, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.expect("a websocket message in time");
        match msg {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(t.as_str()).expect("JSON message")),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Reads until the server closes the connection; the close frame's reason.
pub async fn ws_close_reason(ws: &mut Ws, within: Duration) -> String {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await.expect("the server closes in time") {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.reason.to_string()).unwrap_or_default(),
            None | Some(Err(_)) => return String::new(),
            Some(Ok(_)) => continue,
        }
    }
}

/// Sends a request and returns the answer with its id (events of earlier subscriptions
/// that arrive in between are skipped).
pub async fn ws_call(ws: &mut Ws, id: u64, method: &str, params: Value) -> Value {
    ws_send(ws, &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()).await;
    loop {
        let v = ws_next(ws, Duration::from_secs(15)).await.expect("an answer before the close");
        if v["id"] == json!(id) && (v.get("error").is_some() || v["result"].get("data").is_none()) {
            return v;
        }
    }
}

/// A broadcaster for servers that take no txs.
struct NoTxs;

impl TxBroadcaster for NoTxs {
    fn broadcast_sync(&self, _: Vec<u8>) -> Result<TxOutcome, NodeError> {
        Err(NodeError::Consensus("this test server takes no txs".into()))
    }
    fn broadcast_async(&self, _: Vec<u8>) -> Result<(), NodeError> {
        Err(NodeError::Consensus("this test server takes no txs".into()))
    }
}

/// An RPC server over a [`TestNode`] (blocks made by the test with `node.block()`).
pub async fn serve_test_node(node: &TestNode, limits: Limits) -> RpcServer {
    let view = node.app().view();
    let services = Services {
        view: view.clone(),
        broadcaster: Arc::new(NoTxs),
        node: NodeInfo { moniker: "test".into(), node_id: "00".into(), grpc_address: String::new() },
        limits: QueryLimits::new(&Default::default()),
    };
    let query_limits = services.limits.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    RpcServer::start(
        listener,
        RpcSetup {
            view,
            router: router(services),
            broadcaster: Arc::new(NoTxs),
            validator: validator(),
            validator_seed: [7; 32],
            moniker: "test".into(),
            genesis_json: serde_json::to_vec(&genesis()).unwrap(),
            commits: node.producer.subscribe(),
            limits,
            query_limits,
        },
    )
    .expect("rpc server")
}
