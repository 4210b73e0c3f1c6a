//! One websocket client at `/websocket`: JSON-RPC requests in (one object per message, answered
//! in order), responses and subscription events out, with CometBFT's limits — at most
//! [`super::Limits::max_subscriptions_per_client`] subscriptions, a bounded outgoing queue (a
//! client that lets it fill up is dropped: CometBFT's "slow client"), pings every 27 s and a
//! read deadline. Three tasks share the connection: the request loop, the event forwarder and
//! the writer; a watch channel stops all three together.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, watch};

use super::error::RpcError;
use super::hub::BlockEvents;
use super::jsonrpc::{self, Incoming};
use super::subscribe::Subscription;
use super::{RpcContext, methods};

/// Time between pings (CometBFT: 9/10 of the read wait).
const PING_PERIOD: Duration = Duration::from_secs(27);
/// Longest a single write may take (CometBFT's `writeWait`).
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// The subscriptions of one connection: the JSON-RPC id of each subscribe call, and its query.
type Subs = Arc<Mutex<Vec<(Value, Subscription)>>>;

/// Counts this connection among the subscribing clients while it has a subscription.
struct ClientSlot {
    ctx: Arc<RpcContext>,
    held: bool,
}

impl ClientSlot {
    fn take(&mut self) -> Result<(), RpcError> {
        if self.held {
            return Ok(());
        }
        let max = self.ctx.limits.max_subscription_clients;
        let counted = self
            .ctx
            .subscribing_clients
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1))
            .is_ok();
        if !counted {
            return Err(RpcError::internal(format!("max_subscription_clients {max} reached")));
        }
        self.held = true;
        Ok(())
    }

    fn release(&mut self) {
        if std::mem::take(&mut self.held) {
            self.ctx.subscribing_clients.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.release();
    }
}

/// Asks the connection's tasks to stop; the first reason given is the one the client is told
/// (empty: a normal close).
fn stop(close: &watch::Sender<Option<String>>, reason: &str) {
    close.send_if_modified(|r| {
        if r.is_some() {
            return false;
        }
        *r = Some(reason.to_string());
        true
    });
}

fn text(s: String) -> Message {
    Message::Text(Utf8Bytes::from(s))
}

/// Serves one upgraded connection until either side closes it.
pub async fn serve(socket: WebSocket, ctx: Arc<RpcContext>) {
    let (sink, mut stream) = socket.split();
    let (out_tx, out_rx) = mpsc::channel::<Message>(ctx.limits.ws_queue);
    let (close_tx, close_rx) = watch::channel::<Option<String>>(None);
    let subs: Subs = Arc::default();

    let writer = tokio::spawn(write_loop(sink, out_rx, close_tx.clone(), close_rx.clone()));
    let events = tokio::spawn(forward_events(
        ctx.hub.subscribe(),
        Arc::clone(&subs),
        out_tx.clone(),
        close_tx.clone(),
        close_rx.clone(),
    ));

    let mut slot = ClientSlot { ctx: Arc::clone(&ctx), held: false };
    let mut closing = close_rx.clone();
    let mut node_stopping = ctx.shutdown.clone();
    let read_wait = ctx.limits.ws_read_wait;
    loop {
        let msg = tokio::select! {
            _ = closing.changed() => break,
            _ = node_stopping.changed() => {
                stop(&close_tx, "the node is shutting down");
                break;
            }
            m = tokio::time::timeout(read_wait, stream.next()) => m,
        };
        let request = match msg {
            Err(_) => {
                stop(&close_tx, "no message or pong within the read deadline");
                break;
            }
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break,
            Ok(Some(Ok(Message::Text(t)))) => t.as_str().as_bytes().to_vec(),
            Ok(Some(Ok(Message::Binary(b)))) => b.to_vec(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
        };
        let Some(reply) = handle(&ctx, &request, &subs, &mut slot).await else { continue };
        if out_tx.send(text(reply)).await.is_err() {
            break;
        }
    }
    stop(&close_tx, "");
    drop(out_tx);
    let _ = events.await;
    let _ = writer.await;
    slot.release();
}

/// Answers one websocket message (`None`: a notification, nothing to send).
async fn handle(ctx: &Arc<RpcContext>, body: &[u8], subs: &Subs, slot: &mut ClientSlot) -> Option<String> {
    let req = match jsonrpc::parse_one(body) {
        Incoming::Request(r) => r,
        Incoming::Notification => return None,
        Incoming::Invalid(id, e) => return Some(jsonrpc::error_response(&id, &e)),
    };
    let result = match req.method.as_str() {
        "subscribe" => subscribe(ctx, &req.id, req.params.as_ref(), subs, slot),
        "unsubscribe" => unsubscribe(req.params.as_ref(), subs, slot),
        "unsubscribe_all" => {
            let mut list = subs.lock().unwrap_or_else(|p| p.into_inner());
            if list.is_empty() {
                Err(RpcError::internal("subscription not found"))
            } else {
                list.clear();
                slot.release();
                Ok("{}".to_string())
            }
        }
        method => methods::call_json(ctx, method, req.params.as_ref(), true).await,
    };
    Some(match result {
        Ok(json) => jsonrpc::success_response(&req.id, &json),
        Err(e) => jsonrpc::error_response(&req.id, &e),
    })
}

fn query_param(params: Option<&Value>) -> Result<Subscription, RpcError> {
    let args = super::params::from_json(&[super::params::param("query", super::params::Kind::Str)], params)?;
    let query = args.str("query").ok_or_else(|| RpcError::invalid_params("missing parameter \"query\""))?;
    Subscription::parse(query)
}

fn subscribe(
    ctx: &Arc<RpcContext>,
    id: &Value,
    params: Option<&Value>,
    subs: &Subs,
    slot: &mut ClientSlot,
) -> Result<String, RpcError> {
    let sub = query_param(params)?;
    let mut list = subs.lock().unwrap_or_else(|p| p.into_inner());
    let max = ctx.limits.max_subscriptions_per_client;
    if list.len() >= max {
        return Err(RpcError::internal(format!("max_subscriptions_per_client {max} reached")));
    }
    if list.iter().any(|(_, s)| s.same_as(&sub)) {
        return Err(RpcError::internal("already subscribed"));
    }
    slot.take()?;
    tracing::debug!(query = %sub.text, "rpc subscribe");
    list.push((id.clone(), sub));
    Ok("{}".to_string())
}

fn unsubscribe(params: Option<&Value>, subs: &Subs, slot: &mut ClientSlot) -> Result<String, RpcError> {
    let sub = query_param(params)?;
    let mut list = subs.lock().unwrap_or_else(|p| p.into_inner());
    let before = list.len();
    list.retain(|(_, s)| !s.same_as(&sub));
    if list.len() == before {
        return Err(RpcError::internal("subscription not found"));
    }
    if list.is_empty() {
        slot.release();
    }
    Ok("{}".to_string())
}

/// Sends every matching event to the client; drops the client when its queue is full.
async fn forward_events(
    mut rx: broadcast::Receiver<Arc<BlockEvents>>,
    subs: Subs,
    out: mpsc::Sender<Message>,
    close: watch::Sender<Option<String>>,
    mut closing: watch::Receiver<Option<String>>,
) {
    loop {
        let block = tokio::select! {
            _ = closing.changed() => return,
            b = rx.recv() => b,
        };
        let block = match block {
            Ok(b) => b,
            Err(broadcast::error::RecvError::Lagged(_)) => {
                stop(&close, "slow client: too many undelivered events");
                return;
            }
            Err(broadcast::error::RecvError::Closed) => {
                // The node is stopping: tell each subscription, as CometBFT does.
                let list = subs.lock().unwrap_or_else(|p| p.into_inner()).clone();
                for (id, _) in list {
                    let e = RpcError::server("subscription was canceled (reason: CometBFT exited)");
                    let _ = out.try_send(text(jsonrpc::error_response(&id, &e)));
                }
                return;
            }
        };
        let frames: Vec<String> = {
            let list = subs.lock().unwrap_or_else(|p| p.into_inner());
            let mut frames = Vec::new();
            for frame in &block.frames {
                for (id, sub) in list.iter().filter(|(_, s)| s.matches(&frame.attrs)) {
                    frames.push(jsonrpc::event_response(id, &sub.text, &frame.data_json, &frame.events_json));
                }
            }
            frames
        };
        // All of a block's events fit in the queue, or the client is too slow.
        if out.capacity() < frames.len() {
            stop(&close, "slow client: the outgoing queue is full");
            return;
        }
        for f in frames {
            if out.try_send(text(f)).is_err() {
                stop(&close, "slow client: the outgoing queue is full");
                return;
            }
        }
    }
}

/// Writes queued messages and pings; when the connection is stopping (or nothing more can be
/// queued) sends a close frame with the reason.
async fn write_loop(
    mut sink: futures::stream::SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Message>,
    close: watch::Sender<Option<String>>,
    mut closing: watch::Receiver<Option<String>>,
) {
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_PERIOD, PING_PERIOD);
    loop {
        let msg = tokio::select! {
            biased;
            _ = closing.changed() => break,
            m = rx.recv() => match m {
                Some(m) => m,
                None => break,
            },
            _ = ping.tick() => Message::Ping(Default::default()),
        };
        match tokio::time::timeout(WRITE_WAIT, sink.send(msg)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                stop(&close, "");
                return;
            }
            Err(_) => {
                stop(&close, "slow client: a write timed out");
                return;
            }
        }
    }
    let reason = closing.borrow().clone().unwrap_or_default();
    if !reason.is_empty() {
        tracing::info!(%reason, "rpc websocket client dropped");
    }
    let frame = CloseFrame {
        code: if reason.is_empty() { 1000 } else { 1008 },
        reason: Utf8Bytes::from(reason.chars().take(120).collect::<String>()),
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(Some(frame)))).await;
}
