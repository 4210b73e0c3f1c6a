//! Errors of the gRPC server itself (handlers answer with a `tonic::Status` instead).

/// Why [`Router::serve`](crate::Router::serve) stopped before its shutdown signal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The HTTP/2 server failed (tonic's transport layer).
    #[error("gRPC server failed")]
    Transport(#[from] tonic::transport::Error),
}
