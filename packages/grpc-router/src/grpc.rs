//! Serving a [`Router`] as a gRPC server: every route becomes a unary method over HTTP/2.
//!
//! tonic's own routing (`Routes`, `Server::add_service`) keys services by the compile-time
//! constant `NamedService::NAME`, so it cannot mount services whose names are only known at run
//! time. Instead, one tower service receives every request, looks its URI path up in the router
//! and runs the handler through tonic's unary machinery (`tonic::server::Grpc`) with
//! [`RawCodec`]; `Server::serve_with_incoming_shutdown` accepts any such service directly.

use std::{
    convert::Infallible,
    future::{self, Future},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use tonic::{
    Status,
    body::Body,
    server::Grpc,
    transport::{Server, server::TcpIncoming},
};
use tower_service::Service;

use crate::{Handler, RawCodec, Router, ServeError, router::unknown_method};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Router {
    /// Serves every route as a unary gRPC method over HTTP/2 (plaintext, as a node's `:9090`)
    /// on `listener` until `shutdown` resolves, then waits for open connections to finish their
    /// calls and returns. A method with no route is answered with gRPC status `UNIMPLEMENTED`.
    ///
    /// tonic's default message limits apply: a request message over 4 MiB is answered with
    /// `OUT_OF_RANGE` before its handler runs; responses are not limited.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let service = MethodDispatch { router: Arc::new(self) };
        Server::builder().serve_with_incoming_shutdown(service, incoming, shutdown).await?;
        Ok(())
    }
}

/// The HTTP service: dispatches each request by its URI path (`/package.Service/Method`).
#[derive(Clone)]
struct MethodDispatch {
    router: Arc<Router>,
}

impl Service<http::Request<Body>> for MethodDispatch {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path();
        let Some(handler) = self.router.handler(path).cloned() else {
            return Box::pin(future::ready(Ok(unknown_method(path).into_http())));
        };
        Box::pin(async move { Ok(Grpc::new(RawCodec).unary(Unary(handler), request).await) })
    }
}

/// One handler as the unary service tonic's `Grpc::unary` drives.
struct Unary(Handler);

impl Service<tonic::Request<Vec<u8>>> for Unary {
    type Response = tonic::Response<Vec<u8>>;
    type Error = Status;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: tonic::Request<Vec<u8>>) -> Self::Future {
        let response = (self.0)(request.into_inner());
        Box::pin(async move { response.await.map(tonic::Response::new) })
    }
}
