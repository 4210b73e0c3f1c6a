//! The ABCI socket server: CometBFT's wire protocol over TCP — every message a protobuf
//! (`tendermint.abci.Request` / `Response`, v0.38) preceded by its length as an unsigned varint.
//!
//! CometBFT opens four connections (consensus, mempool, info/query, snapshot) and sends each
//! one's requests in order; this server answers each connection's requests in order too and
//! sends each response at once (CometBFT's client sends `Flush` after each request anyway; a
//! client that does not, like tendermint-abci's, works as well).
//! A request that cannot be decoded, is larger than [`MAX_MESSAGE_BYTES`], or that the
//! application refuses (out of order) is answered with an ABCI `Exception` and the connection
//! is closed — the reaction CometBFT expects — without touching the application's state or
//! other connections. (tower-abci's server, which this protocol code replaces, unwraps such
//! errors and panics the connection task.)

use std::net::SocketAddr;

use prost::Message;
use tendermint::v0_38::abci::Request;
use tendermint_proto::v0_38::abci as pb;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::AbciApp;

/// The largest request accepted (a FinalizeBlock carries a whole block: CometBFT's hard cap
/// on block size is 100 MiB).
pub const MAX_MESSAGE_BYTES: u64 = 104_857_600 + 1_048_576;

/// A running ABCI server.
pub struct AbciServer {
    pub local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AbciServer {
    /// Stops accepting, closes every connection and waits for the server task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Serves `app` on `listener` until [`AbciServer::shutdown`].
pub fn serve(listener: TcpListener, app: AbciApp) -> std::io::Result<AbciServer> {
    let local_addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, app, stopped));
    tracing::info!(%local_addr, "ABCI server listening");
    Ok(AbciServer { local_addr, stop, task })
}

async fn accept_loop(listener: TcpListener, app: AbciApp, mut stopped: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "ABCI connection opened");
                    let (app, stopped) = (app.clone(), stopped.clone());
                    connections.spawn(connection(stream, peer, app, stopped));
                }
                Err(e) => tracing::warn!("ABCI accept failed: {e}"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn connection(stream: TcpStream, peer: SocketAddr, app: AbciApp, mut stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut writer = BufWriter::new(write);
    let outcome = tokio::select! {
        _ = stopped.changed() => Ok(()),
        r = answer_requests(&mut reader, &mut writer, &app) => r,
    };
    match outcome {
        Ok(()) => tracing::debug!(%peer, "ABCI connection closed"),
        Err(reason) => {
            tracing::warn!(%peer, "ABCI connection closed: {reason}");
            let exception =
                pb::Response { value: Some(pb::response::Value::Exception(pb::ResponseException { error: reason })) };
            let _ = write_message(&mut writer, &exception).await;
            let _ = writer.flush().await;
        }
    }
    let _ = writer.shutdown().await;
}

/// Answers requests until the peer closes the connection (`Ok`) or one cannot be answered
/// (`Err` with the reason for the exception).
async fn answer_requests<R, W>(reader: &mut R, writer: &mut W, app: &AbciApp) -> Result<(), String>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let Some(raw) = read_message(reader).await? else { return Ok(()) };
        let request = Request::try_from(raw).map_err(|e| format!("malformed request: {e}"))?;
        let response = app.call(request).await.map_err(|e| e.to_string())?;
        write_message(writer, &pb::Response::from(response)).await.map_err(|e| format!("write: {e}"))?;
        writer.flush().await.map_err(|e| format!("write: {e}"))?;
    }
}

/// Reads one length-delimited request; `None` at a clean end of stream. (Public for the fuzz
/// targets, which feed it arbitrary bytes.)
pub async fn read_message<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Option<pb::Request>, String> {
    let mut len: u64 = 0;
    for i in 0..10 {
        let byte = match reader.read_u8().await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && i == 0 => return Ok(None),
            Err(e) => return Err(format!("read: {e}")),
        };
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            if len > MAX_MESSAGE_BYTES {
                return Err(format!("request of {len} bytes exceeds the limit of {MAX_MESSAGE_BYTES}"));
            }
            // Grows with what arrives, not with what the prefix claims.
            let mut body = Vec::new();
            let read = (&mut *reader).take(len).read_to_end(&mut body).await.map_err(|e| format!("read: {e}"))?;
            if (read as u64) < len {
                return Err(format!("connection closed inside a {len}-byte request"));
            }
            return pb::Request::decode(body.as_slice()).map(Some).map_err(|e| format!("malformed request: {e}"));
        }
    }
    Err("malformed request: length prefix longer than 10 bytes".into())
}

async fn write_message<W: AsyncWrite + Unpin>(writer: &mut W, message: &pb::Response) -> std::io::Result<()> {
    let body = message.encode_to_vec();
    let mut prefix = Vec::with_capacity(10);
    prost::encoding::encode_varint(body.len() as u64, &mut prefix);
    writer.write_all(&prefix).await?;
    writer.write_all(&body).await
}
