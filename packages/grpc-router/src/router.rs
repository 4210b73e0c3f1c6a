//! The method table: full gRPC method paths mapped to byte-level handlers, and direct dispatch.

use std::{
    collections::{BTreeMap, btree_map::Entry},
    fmt,
    future::Future,
    sync::Arc,
};

use tonic::Status;

use crate::{Handler, HandlerFuture};

/// Unary methods by full gRPC method path (`/cosmos.bank.v1beta1.Query/Balance`).
///
/// Build it once at startup with [`route`](Self::route) / [`route_proto`](Self::route_proto),
/// then answer ABCI queries with [`call`](Self::call) and gRPC with [`serve`](Self::serve)
/// (cloning copies the table; the handlers themselves are shared).
#[derive(Clone, Default)]
pub struct Router {
    routes: BTreeMap<String, Handler>,
}

impl Router {
    /// An empty router: every method answers `UNIMPLEMENTED`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of the method `path` (`"/package.Service/Method"`); it receives the
    /// encoded request message and returns the encoded response message.
    ///
    /// # Panics
    ///
    /// If `path` is not of the form `/service/method`, or is already registered: both are
    /// programming errors in the table built at startup, not conditions of a request.
    pub fn route<F, Fut>(&mut self, path: &str, f: F) -> &mut Self
    where
        F: Fn(Vec<u8>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<u8>, Status>> + Send + 'static,
    {
        assert!(is_method_path(path), "gRPC method path must look like \"/package.Service/Method\", got {path:?}");
        let handler: Handler = Arc::new(move |request| -> HandlerFuture { Box::pin(f(request)) });
        match self.routes.entry(path.to_owned()) {
            Entry::Occupied(_) => panic!("gRPC method {path} is registered twice"),
            Entry::Vacant(slot) => {
                slot.insert(handler);
            }
        }
        self
    }

    /// Registers a method with typed messages: the request is decoded with prost and the
    /// response encoded. A request that does not decode as `Req` is answered with
    /// `INVALID_ARGUMENT` without calling `f`.
    ///
    /// # Panics
    ///
    /// As [`route`](Self::route).
    pub fn route_proto<Req, Resp, F, Fut>(&mut self, path: &str, f: F) -> &mut Self
    where
        Req: prost::Message + Default,
        Resp: prost::Message,
        F: Fn(Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, Status>> + Send + 'static,
    {
        let method = path.to_owned();
        self.route(path, move |request: Vec<u8>| {
            // Decode and call `f` now, so the returned future borrows nothing from the handler.
            let response = Req::decode(request.as_slice())
                .map(&f)
                .map_err(|err| Status::invalid_argument(format!("invalid request for {method}: {err}")));
            async move { Ok(response?.await?.encode_to_vec()) }
        })
    }

    /// The registered method paths, in lexicographic order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(String::as_str)
    }

    /// Calls the handler of `path` with the encoded `request` (the ABCI `Query` path, where the
    /// query path is the gRPC method path). An unknown path is `UNIMPLEMENTED`, as over gRPC.
    pub async fn call(&self, path: &str, request: Vec<u8>) -> Result<Vec<u8>, Status> {
        match self.handler(path) {
            Some(handler) => handler(request).await,
            None => Err(unknown_method(path)),
        }
    }

    /// The handler of `path`, if registered.
    pub(crate) fn handler(&self, path: &str) -> Option<&Handler> {
        self.routes.get(path)
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router").field("paths", &self.routes.keys().collect::<Vec<_>>()).finish()
    }
}

/// The status of a call to a method no handler is registered for.
pub(crate) fn unknown_method(path: &str) -> Status {
    Status::unimplemented(format!("unknown method {path}"))
}

/// `/service/method` with both parts non-empty and no further `/`.
fn is_method_path(path: &str) -> bool {
    let Some((service, method)) = path.strip_prefix('/').and_then(|rest| rest.split_once('/')) else {
        return false;
    };
    !service.is_empty() && !method.is_empty() && !method.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_paths_need_a_service_and_a_method() {
        assert!(is_method_path("/cosmos.bank.v1beta1.Query/Balance"));
        for bad in ["", "/", "//", "/svc", "/svc/", "//method", "svc/method", "/svc/method/extra"] {
            assert!(!is_method_path(bad), "{bad:?} accepted");
        }
    }

    #[test]
    #[should_panic(expected = "registered twice")]
    fn duplicate_registration_panics() {
        let mut router = Router::new();
        router.route("/a.B/C", |request| async move { Ok(request) });
        router.route("/a.B/C", |request| async move { Ok(request) });
    }

    #[test]
    #[should_panic(expected = "gRPC method path")]
    fn malformed_path_panics() {
        Router::new().route("a.B/C", |request| async move { Ok(request) });
    }
}
