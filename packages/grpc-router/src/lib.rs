//! Unary gRPC methods selected by their full method path, served with a raw-bytes codec.
//!
//! A Cosmos node answers the same queries on two transports: gRPC (`:9090`) and ABCI `Query`,
//! where the query path is the gRPC method path (`/cosmos.bank.v1beta1.Query/Balance`) and the
//! data is the protobuf-encoded request. Generated tonic server stubs only cover the first, and
//! do not exist at all for some services (cosmos-sdk-proto 0.27 has no `cosmwasm.wasm.v1` server
//! stubs). A [`Router`] maps method paths to handlers from request bytes to response bytes, so
//! one table serves both:
//!
//! - [`Router::call`] dispatches a path directly (the ABCI `Query` path);
//! - [`Router::serve`] serves every route as a unary gRPC method over HTTP/2.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use leasehold_grpc_router::Router;
//!
//! let mut router = Router::new();
//! router.route("/test.Echo/Say", |request: Vec<u8>| async move { Ok(request) });
//!
//! // ABCI Query: no socket involved.
//! let echoed = router.call("/test.Echo/Say", b"hi".to_vec()).await?;
//! assert_eq!(echoed, b"hi");
//!
//! // gRPC: serve until the shutdown future resolves.
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9090").await?;
//! router.serve(listener, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Only unary methods are supported; streaming methods are out of scope.
#![forbid(unsafe_code)]

mod codec;
mod error;
mod grpc;
mod router;

use std::{future::Future, pin::Pin, sync::Arc};

pub use codec::RawCodec;
pub use error::ServeError;
pub use router::Router;

/// The future a [`Handler`] returns: the encoded response, or the gRPC status to answer with.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Vec<u8>, tonic::Status>> + Send>>;

/// A unary method: encoded request in, encoded response (or status) out.
pub type Handler = Arc<dyn Fn(Vec<u8>) -> HandlerFuture + Send + Sync>;
