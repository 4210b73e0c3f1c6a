//! The JSON-RPC 2.0 envelope: reading a body as one request or a batch (an array), telling
//! requests from notifications (no `id`: no answer, as CometBFT does), and writing responses
//! (`{"jsonrpc":"2.0","id":..,"result":..}` / `"error":..`) around results that are already
//! serialized JSON text.

use serde_json::Value;

use super::error::RpcError;

/// A request to answer.
#[derive(Clone, Debug)]
pub struct Request {
    /// A string or a number.
    pub id: Value,
    pub method: String,
    pub params: Option<Value>,
}

/// One element of a body.
#[derive(Clone, Debug)]
pub enum Incoming {
    Request(Request),
    /// No `id`: run nothing, answer nothing.
    Notification,
    /// Not a valid request: answer this error with this id (`null` when unknown).
    Invalid(Value, RpcError),
}

/// A whole HTTP body.
#[derive(Clone, Debug)]
pub enum Body {
    Single(Incoming),
    Batch(Vec<Incoming>),
    /// Not JSON, or an empty batch: answer this error alone.
    Error(RpcError),
}

fn element(v: Value) -> Incoming {
    let Value::Object(mut obj) = v else {
        return Incoming::Invalid(Value::Null, RpcError::invalid_request("a request must be a JSON object"));
    };
    let id = match obj.remove("id") {
        None | Some(Value::Null) => return Incoming::Notification,
        Some(id @ (Value::String(_) | Value::Number(_))) => id,
        Some(other) => {
            return Incoming::Invalid(
                Value::Null,
                RpcError::invalid_request(format!("json-rpc ID ({other}) is of unknown type")),
            );
        }
    };
    if let Some(v) = obj.get("jsonrpc").filter(|v| v.as_str() != Some("2.0")) {
        return Incoming::Invalid(id, RpcError::invalid_request(format!("jsonrpc must be \"2.0\", got {v}")));
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        _ => return Incoming::Invalid(id, RpcError::invalid_request("method must be a string")),
    };
    Incoming::Request(Request { id, method, params: obj.remove("params") })
}

/// Reads an HTTP body (a request object or a batch array).
pub fn parse_body(bytes: &[u8]) -> Body {
    match serde_json::from_slice::<Value>(bytes) {
        Err(e) => Body::Error(RpcError::parse(format!("error unmarshaling request: {e}"))),
        Ok(Value::Array(items)) if items.is_empty() => Body::Error(RpcError::invalid_request("empty batch")),
        Ok(Value::Array(items)) => Body::Batch(items.into_iter().map(element).collect()),
        Ok(v) => Body::Single(element(v)),
    }
}

/// Reads one websocket message (a single request object).
pub fn parse_one(bytes: &[u8]) -> Incoming {
    match serde_json::from_slice::<Value>(bytes) {
        Err(e) => Incoming::Invalid(Value::Null, RpcError::parse(format!("error unmarshaling request: {e}"))),
        Ok(Value::Array(_)) => Incoming::Invalid(
            Value::Null,
            RpcError::invalid_request("batches are not supported over the websocket; send one request per message"),
        ),
        Ok(v) => element(v),
    }
}

fn id_json(id: &Value) -> String {
    serde_json::to_string(id).unwrap_or_else(|_| "null".into())
}

/// A success response around `result` (JSON text).
pub fn success_response(id: &Value, result: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#, id_json(id))
}

/// An error response.
pub fn error_response(id: &Value, e: &RpcError) -> String {
    let error = serde_json::to_string(e).unwrap_or_else(|_| r#"{"code":-32603,"message":"Internal error"}"#.into());
    format!(r#"{{"jsonrpc":"2.0","id":{},"error":{error}}}"#, id_json(id))
}

/// A subscription event (CometBFT's `ResultEvent`) sent with the subscribe call's id.
pub fn event_response(id: &Value, query: &str, data_json: &str, events_json: &str) -> String {
    let query = serde_json::to_string(query).unwrap_or_else(|_| "\"\"".into());
    success_response(id, &format!(r#"{{"query":{query},"data":{data_json},"events":{events_json}}}"#))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any bytes are a request, a batch, a notification or an error, never a panic.
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200), text in "\\PC{0,120}") {
            let _ = parse_body(&body);
            let _ = parse_one(&body);
            let _ = parse_body(text.as_bytes());
            let _ = parse_body(format!(r#"{{"id":1,"method":{text:?},"params":[{text:?}]}}"#).as_bytes());
        }
    }

    #[test]
    fn reads_requests_notifications_and_batches() {
        let Body::Single(Incoming::Request(r)) = parse_body(br#"{"jsonrpc":"2.0","id":"a","method":"status"}"#) else {
            panic!("a request")
        };
        assert_eq!((r.id, r.method.as_str(), r.params), (Value::from("a"), "status", None));
        assert!(matches!(parse_body(br#"{"jsonrpc":"2.0","method":"status"}"#), Body::Single(Incoming::Notification)));
        let Body::Batch(items) = parse_body(br#"[{"id":1,"method":"a"},5,{"id":true,"method":"b"},{"id":2}]"#) else {
            panic!("a batch")
        };
        assert!(matches!(items[0], Incoming::Request(_)));
        for (i, item) in items.iter().enumerate().skip(1) {
            let Incoming::Invalid(_, e) = item else { panic!("{i} is invalid") };
            assert_eq!(e.code, RpcError::INVALID_REQUEST);
        }
        let Body::Error(e) = parse_body(b"{not json") else { panic!("a parse error") };
        assert_eq!(e.code, RpcError::PARSE);
        let Body::Error(e) = parse_body(b"[]") else { panic!("empty batch") };
        assert_eq!(e.code, RpcError::INVALID_REQUEST);
    }

    #[test]
    fn writes_responses() {
        assert_eq!(success_response(&Value::from(7), "{}"), r#"{"jsonrpc":"2.0","id":7,"result":{}}"#);
        let e = error_response(&Value::Null, &RpcError::method_not_found());
        assert_eq!(e, r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"Method not found"}}"#);
    }
}
