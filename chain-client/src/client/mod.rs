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

/// The error and its causes on one line (transport errors hide the useful part in `source`).
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
