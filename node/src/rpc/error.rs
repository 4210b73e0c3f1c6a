//! JSON-RPC 2.0 errors as CometBFT's server writes them (`rpc/jsonrpc/types`): a code, its fixed
//! message, and a `data` text with the cause.
//!
//! Which code a failure gets:
//! - `-32700` the body is not JSON;
//! - `-32600` not a request object (or a batch that is empty, or a body over the size limit);
//! - `-32601` no such method (or a websocket-only method over HTTP);
//! - `-32602` a parameter that cannot be read: wrong JSON type, bad base64/hex, a query that
//!   does not parse, an unknown `order_by`;
//! - `-32603` a well-formed call the node cannot answer: a height beyond the chain, an unknown
//!   tx, a page past the results, subscription limits, a stopped producer (CometBFT reports all
//!   of these as "Internal error" too).

use serde::Serialize;

/// One JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("RPC error {code} - {message}: {data}")]
pub struct RpcError {
    pub code: i32,
    pub message: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub data: String,
}

impl RpcError {
    pub const PARSE: i32 = -32700;
    pub const INVALID_REQUEST: i32 = -32600;
    pub const METHOD_NOT_FOUND: i32 = -32601;
    pub const INVALID_PARAMS: i32 = -32602;
    pub const INTERNAL: i32 = -32603;
    pub const SERVER: i32 = -32000;

    pub fn parse(data: impl std::fmt::Display) -> Self {
        RpcError { code: Self::PARSE, message: "Parse error. Invalid JSON", data: data.to_string() }
    }

    pub fn invalid_request(data: impl std::fmt::Display) -> Self {
        RpcError { code: Self::INVALID_REQUEST, message: "Invalid Request", data: data.to_string() }
    }

    pub fn method_not_found() -> Self {
        RpcError { code: Self::METHOD_NOT_FOUND, message: "Method not found", data: String::new() }
    }

    pub fn invalid_params(data: impl std::fmt::Display) -> Self {
        RpcError { code: Self::INVALID_PARAMS, message: "Invalid params", data: data.to_string() }
    }

    pub fn internal(data: impl std::fmt::Display) -> Self {
        RpcError { code: Self::INTERNAL, message: "Internal error", data: data.to_string() }
    }

    /// A subscription ended by the server (sent with the subscription's id).
    pub fn server(data: impl std::fmt::Display) -> Self {
        RpcError { code: Self::SERVER, message: "Server error", data: data.to_string() }
    }
}
