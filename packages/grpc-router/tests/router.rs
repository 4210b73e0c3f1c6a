//! The router over a real socket with real tonic clients, and the same table called directly.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use http::uri::PathAndQuery;
use leasehold_grpc_router::{RawCodec, Router, ServeError};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{
    Code, Request, Status,
    client::Grpc,
    codec::ProstCodec,
    transport::{Channel, Endpoint},
};

const SAY: &str = "/test.Echo/Say";
const BALANCE: &str = "/test.Bank/Balance";
const DENOM: &str = "uleasehold";
/// Bounds every wait, so a regression fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(10);

#[derive(Clone, PartialEq, prost::Message)]
struct BalanceRequest {
    #[prost(string, tag = "1")]
    address: String,
    #[prost(string, tag = "2")]
    denom: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct BalanceResponse {
    #[prost(uint64, tag = "1")]
    amount: u64,
}

/// Two services: a raw echo and a typed balance query that knows a single denom.
fn router() -> Router {
    let mut router = Router::new();
    router.route(SAY, |request: Vec<u8>| async move { Ok([b"said: ".as_slice(), &request].concat()) }).route_proto(
        BALANCE,
        |request: BalanceRequest| async move {
            if request.denom != DENOM {
                return Err(Status::not_found(format!("no balance in {:?}", request.denom)));
            }
            let amount = u64::try_from(request.address.len()).map_err(|_| Status::internal("address too long"))?;
            Ok(BalanceResponse { amount })
        },
    );
    router
}

/// A served router; dropping it (a failed test) also stops the server.
struct Running {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServeError>>,
}

async fn start(router: Router) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (shutdown, stop) = oneshot::channel::<()>();
    // Resolves on `send` and on the sender's drop alike.
    let task = tokio::spawn(router.serve(listener, async move {
        let _ = stop.await;
    }));
    Running { addr, shutdown, task }
}

impl Running {
    async fn client(&self) -> Grpc<Channel> {
        let channel = Endpoint::from_shared(format!("http://{}", self.addr))
            .expect("endpoint")
            .connect_timeout(PATIENCE)
            .connect()
            .await
            .expect("connect");
        Grpc::new(channel)
    }

    /// Signals shutdown and returns what `serve` returned.
    async fn stop(self) -> Result<(), ServeError> {
        self.shutdown.send(()).expect("server still running");
        tokio::time::timeout(PATIENCE, self.task).await.expect("serve returns after shutdown").expect("serve task")
    }
}

async fn call_raw(client: &mut Grpc<Channel>, path: &'static str, body: Vec<u8>) -> Result<Vec<u8>, Status> {
    client.ready().await.map_err(|err| Status::unavailable(err.to_string()))?;
    let response = client.unary(Request::new(body), PathAndQuery::from_static(path), RawCodec).await?;
    Ok(response.into_inner())
}

async fn call_balance(client: &mut Grpc<Channel>, request: BalanceRequest) -> Result<BalanceResponse, Status> {
    client.ready().await.map_err(|err| Status::unavailable(err.to_string()))?;
    let codec = ProstCodec::<BalanceRequest, BalanceResponse>::default();
    let response = client.unary(Request::new(request), PathAndQuery::from_static(BALANCE), codec).await?;
    Ok(response.into_inner())
}

fn balance_request(address: &str, denom: &str) -> BalanceRequest {
    BalanceRequest { address: address.to_owned(), denom: denom.to_owned() }
}

#[tokio::test]
async fn raw_and_typed_routes_answer_over_grpc() {
    let server = start(router()).await;
    let mut client = server.client().await;

    assert_eq!(call_raw(&mut client, SAY, b"hello".to_vec()).await.unwrap(), b"said: hello");
    assert_eq!(call_raw(&mut client, SAY, Vec::new()).await.unwrap(), b"said: ", "empty message");
    // A generated-style client (ProstCodec) against the raw-bytes server.
    let balance = call_balance(&mut client, balance_request("leasehold1abc", DENOM)).await.unwrap();
    assert_eq!(balance, BalanceResponse { amount: 13 });

    server.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_methods_are_unimplemented() {
    let server = start(router()).await;
    let mut client = server.client().await;

    for path in ["/test.Echo/Shout", "/other.Service/Say", "/test.Echo/Say/extra"] {
        let status = call_raw(&mut client, path, b"x".to_vec()).await.unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented, "{path}: {status:?}");
        assert_eq!(status.message(), format!("unknown method {path}"));
    }
    // The connection is still good after the unknown calls.
    assert_eq!(call_raw(&mut client, SAY, b"ok".to_vec()).await.unwrap(), b"said: ok");

    server.stop().await.unwrap();
}

#[tokio::test]
async fn handler_status_reaches_the_client_with_its_message() {
    let server = start(router()).await;
    let mut client = server.client().await;

    let status = call_balance(&mut client, balance_request("leasehold1abc", "uatom")).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(status.message(), "no balance in \"uatom\"");
    // An empty message decodes as the default request: here, no denom.
    let status = call_balance(&mut client, BalanceRequest::default()).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::NotFound, "no balance in \"\""));

    server.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_proto_request_is_invalid_argument() {
    let server = start(router()).await;
    let mut client = server.client().await;

    // Field 1, length-delimited, with a truncated length varint.
    let status = call_raw(&mut client, BALANCE, vec![0x0a, 0xff]).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().starts_with("invalid request for /test.Bank/Balance: "), "{}", status.message());
    // Field 1 says 5 bytes follow, 1 does.
    let status = call_raw(&mut client, BALANCE, vec![0x0a, 0x05, b'a']).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    server.stop().await.unwrap();
}

#[tokio::test]
async fn oversized_request_is_out_of_range_before_the_handler() {
    const SIZE: &str = "/test.Sink/Size";
    let calls = Arc::new(AtomicUsize::new(0));
    let mut router = Router::new();
    let counter = Arc::clone(&calls);
    router.route(SIZE, move |request: Vec<u8>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move { Ok(request.len().to_string().into_bytes()) }
    });
    let server = start(router).await;
    let mut client = server.client().await;

    let limit = 4 * 1024 * 1024;
    assert_eq!(call_raw(&mut client, SIZE, vec![7; limit]).await.unwrap(), limit.to_string().as_bytes());
    let status = call_raw(&mut client, SIZE, vec![7; limit + 1]).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler ran for the oversized request");

    server.stop().await.unwrap();
}

#[tokio::test]
async fn concurrent_calls_on_one_connection() {
    let server = start(router()).await;
    let client = server.client().await;

    let calls: Vec<_> = (0..32u8)
        .map(|i| {
            let mut client = client.clone();
            tokio::spawn(async move { (i, call_raw(&mut client, SAY, vec![i]).await) })
        })
        .collect();
    for call in calls {
        let (i, response) = call.await.unwrap();
        assert_eq!(response.unwrap(), [b"said: ".as_slice(), &[i]].concat());
    }

    server.stop().await.unwrap();
}

#[tokio::test]
async fn call_dispatches_without_a_socket() {
    let router = router();

    assert_eq!(router.paths().collect::<Vec<_>>(), [BALANCE, SAY]);
    assert_eq!(router.call(SAY, b"abci".to_vec()).await.unwrap(), b"said: abci");

    let request = prost::Message::encode_to_vec(&balance_request("leasehold1", DENOM));
    let response = router.call(BALANCE, request).await.unwrap();
    assert_eq!(
        <BalanceResponse as prost::Message>::decode(response.as_slice()).unwrap(),
        BalanceResponse { amount: 10 }
    );

    let status = router.call(BALANCE, vec![0x0a, 0xff]).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = router.call("/test.Echo/Shout", Vec::new()).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::Unimplemented, "unknown method /test.Echo/Shout"));
}

#[tokio::test]
async fn shutdown_makes_serve_return_and_closes_the_port() {
    let server = start(router()).await;
    let addr = server.addr;
    let mut client = server.client().await;
    assert_eq!(call_raw(&mut client, SAY, b"before".to_vec()).await.unwrap(), b"said: before");

    // The client's connection is still open: graceful shutdown must not wait for it to go away.
    server.stop().await.unwrap();

    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "listener still accepting after shutdown");
    assert!(call_raw(&mut client, SAY, b"after".to_vec()).await.is_err(), "call served after shutdown");
}
