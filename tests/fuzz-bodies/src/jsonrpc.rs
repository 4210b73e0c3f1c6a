//! Target `jsonrpc`: arbitrary bytes through the CometBFT JSON-RPC server's parsers, no network:
//! the body as a POST body (one request or a batch) and as a websocket message, each request's
//! `params` read against its method's parameters ([`params::from_json`]), an event query
//! (`tx_search`, `subscribe`) parsed as the node parses it; and the same bytes as a GET call,
//! `<method>?<query string>`, read with CometBFT's URI rules ([`uri::from_query`]).
//!
//! Checked: nothing panics; unknown methods are not found; every error a parser returns becomes
//! a response that is valid JSON-RPC 2.0 JSON; parsing is deterministic.

use leasehold_node::query::events;
use leasehold_node::rpc::error::RpcError;
use leasehold_node::rpc::jsonrpc::{self, Body, Incoming};
use leasehold_node::rpc::methods::{self, METHODS};
use leasehold_node::rpc::{params, uri};
use serde_json::Value;

fn response_is_json(id: &Value, e: &RpcError) {
    let text = jsonrpc::error_response(id, e);
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("error response is not JSON ({err}): {text}"));
    assert_eq!(v["jsonrpc"], "2.0", "{text}");
    assert!(v["error"]["code"].is_i64(), "{text}");
}

fn request(r: &jsonrpc::Request) {
    let ok = jsonrpc::success_response(&r.id, "null");
    serde_json::from_str::<Value>(&ok).unwrap_or_else(|e| panic!("success response is not JSON ({e}): {ok}"));
    let Some(method) = methods::find(&r.method) else {
        assert!(METHODS.iter().all(|m| m.name != r.method), "{} is served but not found", r.method);
        return;
    };
    match params::from_json(method.params, r.params.as_ref()) {
        Ok(args) => {
            if let Some(q) = args.str("query") {
                let _ = events::parse(q);
            }
        }
        Err(e) => response_is_json(&r.id, &e),
    }
}

fn incoming(i: &Incoming) {
    match i {
        Incoming::Request(r) => request(r),
        Incoming::Notification => {}
        Incoming::Invalid(id, e) => response_is_json(id, e),
    }
}

/// Parses `data` as a JSON-RPC body, a websocket message and a URI call; panics when a
/// property fails.
pub fn run(data: &[u8]) {
    match jsonrpc::parse_body(data) {
        Body::Single(i) => incoming(&i),
        Body::Batch(items) => items.iter().for_each(incoming),
        Body::Error(e) => response_is_json(&Value::Null, &e),
    }
    incoming(&jsonrpc::parse_one(data));

    // GET /<method>?<query>
    let text = String::from_utf8_lossy(data);
    let (name, query) = match text.split_once('?') {
        Some((n, q)) => (n, Some(q)),
        None => (text.as_ref(), None),
    };
    if let Some(method) = methods::find(name.trim_start_matches('/')) {
        let first = uri::from_query(method.params, query);
        let again = uri::from_query(method.params, query);
        assert_eq!(format!("{first:?}"), format!("{again:?}"), "URI parsing is not deterministic");
        match first {
            Ok(args) => {
                if let Some(q) = args.str("query") {
                    let _ = events::parse(q);
                }
            }
            Err(e) => response_is_json(&Value::Null, &e),
        }
    }
}

/// Seeds: real requests of CometBFT's clients (CosmJS, cosmpy, curl), POST and GET.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let s = |name: &str, body: &str| (name.to_string(), body.as_bytes().to_vec());
    vec![
        s("status", r#"{"jsonrpc":"2.0","id":1,"method":"status","params":{}}"#),
        s(
            "abci-query",
            r#"{"jsonrpc":"2.0","id":"q","method":"abci_query","params":{"path":"/cosmos.bank.v1beta1.Query/Balance","data":"0A2C6C65617365317875","height":"0","prove":false}}"#,
        ),
        s(
            "broadcast-tx-sync",
            r#"{"jsonrpc":"2.0","id":7,"method":"broadcast_tx_sync","params":{"tx":"CpABCo0BChwvY29zbW9zLmJhbmsudjFiZXRhMS5Nc2dTZW5k"}}"#,
        ),
        s(
            "tx-search",
            r#"{"jsonrpc":"2.0","id":2,"method":"tx_search","params":["tx.height>=1 AND message.sender='lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7'",false,"1","30","asc"]}"#,
        ),
        s("block", r#"{"jsonrpc":"2.0","id":3,"method":"block","params":{"height":"1"}}"#),
        s("blockchain-positional", r#"{"jsonrpc":"2.0","id":4,"method":"blockchain","params":["1","20"]}"#),
        s(
            "batch",
            r#"[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","method":"status"},{"jsonrpc":"2.0","id":2,"method":"validators","params":{"height":"1","page":"1","per_page":"30"}}]"#,
        ),
        s(
            "subscribe",
            r#"{"jsonrpc":"2.0","id":0,"method":"subscribe","params":{"query":"tm.event='Tx' AND tx.height>3"}}"#,
        ),
        s("uri-abci-query", r#"abci_query?path="/cosmos.auth.v1beta1.Query/Account"&data=0x0a2c&height=0&prove=false"#),
        s("uri-tx", "tx?hash=0xD5F1E2A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F&prove=true"),
        s("uri-tx-search", r#"tx_search?query="tx.height=5"&page=1&per_page=10&order_by="desc""#),
        s("uri-block-by-hash", "block_by_hash?hash=0x0102030405060708091011121314151617181920212223242526272829303132"),
    ]
}
