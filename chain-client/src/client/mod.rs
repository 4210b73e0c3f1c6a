//! [`ChainClient`]: a gRPC connection to a Leasehold node (tonic 0.13) with timeouts and retries
//! of transient failures, the queries tools need ([`query`]), and transactions — built, signed
//! with SIGN_MODE_DIRECT, simulated for gas, broadcast and awaited ([`tx`]).

pub mod config;
pub mod error;
pub mod query;
pub mod tx;

use std::future::Future;
use std::time::Duration;

use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::GetNodeInfoRequest;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::service_client::ServiceClient as TmClient;
use tonic::transport::{Channel, Endpoint};

pub use config::{ClientConfig, Gas, GasPrice};
pub use error::{ClientError, ErrorKind};

/// A connection to one node.
#[derive(Clone, Debug)]
pub struct ChainClient {
    channel: Channel,
    config: ClientConfig,
    chain_id: String,
}

impl ChainClient {
    /// Connects to `config.endpoint` and learns the chain id (unless configured).
    pub async fn connect(config: ClientConfig) -> Result<ChainClient, ClientError> {
        check_endpoint(&config.endpoint)?;
        let endpoint = Endpoint::from_shared(config.endpoint.clone())
            .map_err(|e| ClientError::invalid("node endpoint", format!("{}: {e}", config.endpoint)))?
            .connect_timeout(config.timeout)
            .timeout(config.timeout);
        let mut attempt = 0;
        let channel = loop {
            match endpoint.connect().await {
                Ok(c) => break c,
                Err(e) if attempt < config.retries => {
                    attempt += 1;
                    tracing::debug!(attempt, "connect to {} failed: {e}; retrying", config.endpoint);
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => {
                    return Err(ClientError::Connect { endpoint: config.endpoint.clone(), reason: source_chain(&e) });
                }
            }
        };
        let mut client = ChainClient { channel, chain_id: String::new(), config };
        client.chain_id = match client.config.chain_id.clone() {
            Some(id) => id,
            None => {
                let info = client
                    .retry(
                        "GetNodeInfo",
                        |ch| async move { TmClient::new(ch).get_node_info(GetNodeInfoRequest {}).await },
                    )
                    .await?;
                info.default_node_info
                    .map(|n| n.network)
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| ClientError::decode("GetNodeInfo", "the node did not report its chain id"))?
            }
        };
        Ok(client)
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Calls `f` with a fresh channel clone, retrying transient failures with backoff.
    pub(crate) async fn retry<T, F, Fut>(&self, method: &'static str, f: F) -> Result<T, ClientError>
    where
        F: Fn(Channel) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let mut attempt = 0;
        loop {
            match f(self.channel.clone()).await {
                Ok(r) => return Ok(r.into_inner()),
                Err(status) => {
                    let err = ClientError::from_status(method, status);
                    if err.is_transient() && attempt < self.config.retries {
                        attempt += 1;
                        tracing::debug!(attempt, "{err}; retrying");
                        tokio::time::sleep(backoff(attempt)).await;
                        continue;
                    }
                    return Err(err);
                }
            }
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)))
}

/// An endpoint must be an absolute `http://` or `https://` URI: tonic accepts `127.0.0.1:9090`
/// too and then fails to connect, which would look like a network failure.
fn check_endpoint(endpoint: &str) -> Result<(), ClientError> {
    let rest = endpoint.strip_prefix("http://").or_else(|| endpoint.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(()),
        _ => Err(ClientError::invalid(
            "node endpoint",
            format!("{endpoint:?}: expected http://HOST:PORT, e.g. http://127.0.0.1:9090"),
        )),
    }
}

/// The error and its causes on one line (transport errors hide the useful part in `source`).
/// Many errors already print their source after their own message; such repeats are dropped,
/// so `transport error: tcp connect error: Connection refused` is not said twice.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut messages = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        messages.push(s.to_string());
        cur = s.source();
    }
    // From the innermost cause outwards: a message that already ends with what follows it
    // replaces it; one already contained in it adds nothing.
    let mut out = messages.pop().unwrap_or_default();
    while let Some(m) = messages.pop() {
        if m.ends_with(out.as_str()) {
            out = m;
        } else if !out.contains(m.as_str()) {
            out = format!("{m}: {out}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);

    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    fn chain(msgs: &[&'static str]) -> E {
        msgs.iter().rev().fold(None, |inner, m| Some(E(m, inner.map(Box::new)))).unwrap()
    }

    /// "cannot connect to http://127.0.0.1:1: transport error: tcp connect error: tcp connect
    /// error: Connection refused": causes that print their own source were repeated.
    #[test]
    fn connect_errors_do_not_repeat_their_causes() {
        let refused = "Connection refused (os error 111)";
        assert_eq!(
            source_chain(&chain(&[
                "transport error",
                "tcp connect error",
                "tcp connect error: Connection refused (os error 111)",
                refused
            ])),
            "transport error: tcp connect error: Connection refused (os error 111)"
        );
        assert_eq!(source_chain(&chain(&["a", "b", "c"])), "a: b: c");
        assert_eq!(source_chain(&chain(&["invalid URL", "invalid URL"])), "invalid URL");
        assert_eq!(source_chain(&chain(&["only"])), "only");
    }

    /// `--node 127.0.0.1:9090` (no scheme) failed as a network error (exit 4) instead of a usage
    /// error naming the expected form.
    #[test]
    fn endpoint_without_scheme_is_invalid_input() {
        for ok in ["http://127.0.0.1:9090", "https://node.example.com", "http://[::1]:9090"] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for bad in ["127.0.0.1:9090", "nonsense", "", "http://", "tcp://127.0.0.1:9090", "http:///x"] {
            let err = check_endpoint(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Usage, "{bad}");
            assert!(err.to_string().contains("expected http://HOST:PORT"), "{err}");
        }
    }
}
