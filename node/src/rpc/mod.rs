//! CometBFT 0.38's JSON-RPC for `leaseholdd start --dev`, so stock CometBFT clients (CosmJS's
//! `connectComet`, tendermint-rs's `HttpClient`/`WebSocketClient`) work against the dev node:
//!
//! - `POST /`: JSON-RPC 2.0, one request or a batch ([`jsonrpc`]);
//! - `GET /<method>?name=value`: the URI form ([`uri`]);
//! - `GET /websocket`: JSON-RPC over a websocket, with `subscribe` ([`ws`], [`subscribe`],
//!   fed by the [`hub`] from the producer's commit announcements);
//! - `GET /`: the list of methods.
//!
//! The methods ([`methods`]) answer from the node's committed state and block store, in
//! CometBFT's JSON ([`convert`]). Bodies over [`Limits::max_body_bytes`] are refused, and
//! concurrent requests and websocket connections are capped, so memory stays bounded.

pub mod convert;
pub mod error;
pub mod hub;
pub mod jsonrpc;
pub mod methods;
pub mod params;
pub mod subscribe;
pub mod uri;
pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router as HttpRouter;
use axum::body::Body as HttpBody;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use leasehold_grpc_router::Router as QueryRouter;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, broadcast, oneshot};

use self::convert::CommitSigner;
use self::error::RpcError;
use self::hub::EventHub;
use self::jsonrpc::{Body, Incoming};
use crate::app::ChainView;
use crate::dev::DevValidator;
use crate::dev::producer::BlockCommitted;
use crate::error::NodeError;
use crate::query::TxBroadcaster;
use crate::query::limits::QueryLimits;

/// The server's limits (CometBFT's defaults where it has one).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body, and largest websocket message (`max_body_bytes`).
    pub max_body_bytes: usize,
    /// Subscriptions one websocket client may hold (`max_subscriptions_per_client`).
    pub max_subscriptions_per_client: usize,
    /// Websocket clients that may hold subscriptions at once (`max_subscription_clients`).
    pub max_subscription_clients: usize,
    /// Messages queued for one websocket client before it counts as too slow and is dropped.
    pub ws_queue: usize,
    /// A websocket client that sends nothing (not even a pong) for this long is dropped.
    pub ws_read_wait: Duration,
    /// Open websocket connections.
    pub max_ws_connections: usize,
    /// HTTP requests answered at once; more get 503.
    pub max_concurrent_requests: usize,
    /// How long `broadcast_tx_commit` waits for the block (`timeout_broadcast_tx_commit`).
    pub commit_timeout: Duration,
    /// How long a client may take to send its request body (CometBFT's `read_timeout`). The body
    /// is read before a request permit is taken, so slow senders cannot hold the permits.
    pub read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1_000_000,
            max_subscriptions_per_client: 5,
            max_subscription_clients: 100,
            ws_queue: 200,
            ws_read_wait: Duration::from_secs(30),
            max_ws_connections: 256,
            max_concurrent_requests: 256,
            commit_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
        }
    }
}

/// Node facts `status` reports.
#[derive(Clone, Debug)]
pub struct NodeFacts {
    pub moniker: String,
    pub id: tendermint::node::Id,
    /// Where this server listens.
    pub rpc_address: String,
}

/// Everything the handlers share.
pub struct RpcContext {
    pub view: ChainView,
    pub router: QueryRouter,
    pub broadcaster: Arc<dyn TxBroadcaster>,
    pub signer: CommitSigner,
    pub node: NodeFacts,
    /// The `genesis` answer, serialized once.
    pub genesis_json: Arc<str>,
    pub hub: EventHub,
    pub limits: Limits,
    pub query_limits: Arc<QueryLimits>,
    requests: Semaphore,
    ws_connections: AtomicUsize,
    subscribing_clients: AtomicUsize,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

/// What the server is built from.
pub struct RpcSetup {
    pub view: ChainView,
    /// The gRPC query router (`query::router`), for `abci_query`.
    pub router: QueryRouter,
    pub broadcaster: Arc<dyn TxBroadcaster>,
    pub validator: DevValidator,
    /// The validator's ed25519 seed (signs the commits shown in blocks).
    pub validator_seed: [u8; 32],
    pub moniker: String,
    /// The raw `genesis.json`.
    pub genesis_json: Vec<u8>,
    /// The producer's commit announcements.
    pub commits: broadcast::Receiver<BlockCommitted>,
    pub limits: Limits,
    /// The query limits shared with gRPC (`query::limits`).
    pub query_limits: Arc<QueryLimits>,
}

/// A running RPC server.
pub struct RpcServer {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    stop_ws: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RpcServer {
    /// Serves on `listener` until [`RpcServer::shutdown`]. Must be called inside a tokio runtime.
    pub fn start(listener: TcpListener, setup: RpcSetup) -> Result<RpcServer, NodeError> {
        let addr = listener.local_addr()?;
        let genesis_json = methods::genesis_result(&setup.genesis_json, &setup.validator)
            .map_err(|e| NodeError::Genesis(format!("genesis.json for the RPC: {e}")))?;
        let signer = CommitSigner {
            validator: setup.validator.clone(),
            key: ed25519_consensus::SigningKey::from(setup.validator_seed),
        };
        let moniker = match setup.moniker.trim() {
            "" => "leasehold".to_string(),
            m => m.to_string(),
        };
        let (stop_ws, shutdown) = tokio::sync::watch::channel(false);
        let ctx = Arc::new(RpcContext {
            hub: EventHub::start(setup.view.clone(), signer.clone(), setup.commits),
            view: setup.view,
            router: setup.router,
            broadcaster: setup.broadcaster,
            node: NodeFacts {
                moniker,
                id: tendermint::node::Id::new(*setup.validator.address.as_bytes().first_chunk().unwrap_or(&[0; 20])),
                rpc_address: addr.to_string(),
            },
            signer,
            genesis_json: genesis_json.into(),
            requests: Semaphore::new(setup.limits.max_concurrent_requests),
            limits: setup.limits,
            query_limits: setup.query_limits,
            ws_connections: AtomicUsize::new(0),
            subscribing_clients: AtomicUsize::new(0),
            shutdown,
        });
        let app = HttpRouter::new()
            .route("/", get(list_methods).post(post_jsonrpc))
            .route("/websocket", get(websocket))
            .route("/{method}", any(get_uri))
            .fallback(not_found)
            .with_state(ctx);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%addr, "CometBFT JSON-RPC listening");
        Ok(RpcServer { addr, stop, stop_ws, task })
    }

    /// Stops accepting, closes the websockets, and waits for requests in progress.
    pub async fn shutdown(self) -> Result<(), NodeError> {
        let _ = self.stop_ws.send(true);
        let _ = self.stop.send(());
        self.task.await.map_err(|e| NodeError::Config(format!("RPC server task: {e}")))?.map_err(NodeError::Io)
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error_response(status: StatusCode, id: &Value, e: &RpcError) -> Response {
    json_response(status, jsonrpc::error_response(id, e))
}

fn busy() -> Response {
    let e = RpcError::internal("too many concurrent requests; retry later");
    error_response(StatusCode::SERVICE_UNAVAILABLE, &Value::Null, &e)
}

async fn list_methods() -> Response {
    let mut html = String::from("<html><body><br>Available endpoints:<br>");
    for m in methods::METHODS.iter().filter(|m| !m.ws_only) {
        let args: Vec<String> = m.params.iter().map(|p| format!("{}=_", p.name)).collect();
        html.push_str(&format!("<a href=\"/{0}\">/{0}?{1}</a></br>", m.name, args.join("&")));
    }
    html.push_str("<br>Websocket: /websocket (subscribe, unsubscribe, unsubscribe_all)</body></html>");
    ([(header::CONTENT_TYPE, "text/html")], html).into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "404 page not found\n").into_response()
}

async fn post_jsonrpc(State(ctx): State<Arc<RpcContext>>, body: HttpBody) -> Response {
    // The body first, within `read_timeout` and without a permit: a client that trickles its
    // body (or never sends it) holds a connection, not one of the request permits.
    let read = tokio::time::timeout(ctx.limits.read_timeout, axum::body::to_bytes(body, ctx.limits.max_body_bytes));
    let Ok(read) = read.await else {
        let data = format!("error reading request body: not received within {:?}", ctx.limits.read_timeout);
        return error_response(StatusCode::REQUEST_TIMEOUT, &Value::Null, &RpcError::invalid_request(data));
    };
    let Ok(_permit) = ctx.requests.try_acquire() else { return busy() };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            // axum reports `http_body_util::LengthLimitError` ("length limit exceeded").
            let too_large = e.to_string().contains("length limit");
            let (status, data) = if too_large {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "error reading request body: request body too large (max_body_bytes is {})",
                        ctx.limits.max_body_bytes
                    ),
                )
            } else {
                (StatusCode::BAD_REQUEST, format!("error reading request body: {e}"))
            };
            return error_response(status, &Value::Null, &RpcError::invalid_request(data));
        }
    };
    let answer = |incoming: Incoming| {
        let ctx = Arc::clone(&ctx);
        async move {
            match incoming {
                Incoming::Notification => None,
                Incoming::Invalid(id, e) => Some(jsonrpc::error_response(&id, &e)),
                Incoming::Request(r) => {
                    Some(match methods::call_json(&ctx, &r.method, r.params.as_ref(), false).await {
                        Ok(result) => jsonrpc::success_response(&r.id, &result),
                        Err(e) => jsonrpc::error_response(&r.id, &e),
                    })
                }
            }
        }
    };
    match jsonrpc::parse_body(&bytes) {
        Body::Error(e) => {
            let status = if e.code == RpcError::PARSE { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
            error_response(status, &Value::Null, &e)
        }
        Body::Single(incoming) => match answer(incoming).await {
            Some(r) => json_response(StatusCode::OK, r),
            None => StatusCode::OK.into_response(),
        },
        Body::Batch(items) => {
            // In order, one at a time: a batch costs one request slot.
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(r) = answer(item).await {
                    out.push(r);
                }
            }
            if out.is_empty() {
                StatusCode::OK.into_response()
            } else {
                json_response(StatusCode::OK, format!("[{}]", out.join(",")))
            }
        }
    }
}

async fn get_uri(
    State(ctx): State<Arc<RpcContext>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let id = Value::from(-1);
    match methods::find(&method) {
        None => return not_found().await,
        Some(m) if m.ws_only => return error_response(StatusCode::NOT_FOUND, &id, &RpcError::method_not_found()),
        Some(_) => {}
    }
    let Ok(_permit) = ctx.requests.try_acquire() else { return busy() };
    match methods::call_uri(&ctx, &method, query.as_deref()).await {
        Ok(result) => json_response(StatusCode::OK, jsonrpc::success_response(&id, &result)),
        Err(e) => error_response(StatusCode::INTERNAL_SERVER_ERROR, &id, &e),
    }
}

/// Counts an open websocket connection.
struct WsSlot(Arc<RpcContext>);

impl Drop for WsSlot {
    fn drop(&mut self) {
        self.0.ws_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn websocket(State(ctx): State<Arc<RpcContext>>, upgrade: WebSocketUpgrade) -> Response {
    let max = ctx.limits.max_ws_connections;
    if ctx.ws_connections.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1)).is_err() {
        return busy();
    }
    let slot = WsSlot(Arc::clone(&ctx));
    let limit = ctx.limits.max_body_bytes;
    upgrade.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| async move {
        let ctx = Arc::clone(&slot.0);
        ws::serve(socket, ctx).await;
        drop(slot);
    })
}
