//! The node's home directory and `config/config.toml`.
//!
//! ```text
//! <home>/config/config.toml              node settings (this module)
//! <home>/config/genesis.json             the chain's genesis (crate::genesis)
//! <home>/config/priv_validator_key.json  the validator's ed25519 key (CometBFT's format)
//! <home>/data/leasehold.redb             state, blocks, tx index (crate::store)
//! <home>/data/wasm/                      compiled contract modules and code blobs
//! ```

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::app::tx_index::{TxIndexConfig, TxIndexPolicy};
use crate::auth::ante::GasPrice;
use crate::dev::DevValidator;
use crate::error::NodeError;
use crate::query::limits::QueryLimitsConfig;

/// The node's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// A human name for this node.
    pub moniker: String,
    /// `error`, `warn`, `info`, `debug`, `trace`, or a tracing filter (`leasehold_node=debug`).
    pub log_level: String,
    /// The lowest gas price CheckTx accepts, e.g. `0.025ulease` (empty: free).
    pub minimum_gas_prices: String,
    pub grpc: GrpcConfig,
    pub dev: DevConfig,
    /// CometBFT-compatible JSON-RPC of `start --dev` (homes written before it existed get the default).
    #[serde(default)]
    pub rpc: RpcConfig,
    /// `start` without `--dev`: the ABCI socket CometBFT connects to, and CometBFT's RPC.
    #[serde(default)]
    pub abci: AbciConfig,
    /// Which tx events this node indexes for `tx_search` / `GetTxsEvent` (local, not consensus).
    #[serde(default)]
    pub tx_index: TxIndexConfig,
    /// How much query work (simulations, contract queries, searches) runs at once.
    #[serde(default)]
    pub query: QueryLimitsConfig,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpcConfig {
    /// Where the dev node serves CometBFT's JSON-RPC (HTTP and `/websocket`).
    pub address: String,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig { address: "127.0.0.1:26657".into() }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbciConfig {
    /// Where the ABCI server listens (CometBFT's `proxy_app`, e.g. `tcp://127.0.0.1:26658`).
    pub address: String,
    /// CometBFT's RPC, to which gRPC `BroadcastTx` forwards transactions.
    pub comet_rpc: String,
}

impl Default for AbciConfig {
    fn default() -> Self {
        AbciConfig { address: "127.0.0.1:26658".into(), comet_rpc: "http://127.0.0.1:26657".into() }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcConfig {
    /// Where the gRPC server listens.
    pub address: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevConfig {
    /// Time between blocks of the embedded producer.
    pub block_interval_ms: u64,
    /// Most txs waiting in the mempool.
    pub mempool_size: usize,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            moniker: "leasehold-dev".into(),
            log_level: "info".into(),
            minimum_gas_prices: "0.025ulease".into(),
            grpc: GrpcConfig { address: "127.0.0.1:9090".into() },
            dev: DevConfig { block_interval_ms: 1000, mempool_size: 5000 },
            rpc: RpcConfig::default(),
            abci: AbciConfig::default(),
            tx_index: TxIndexConfig::default(),
            query: QueryLimitsConfig::default(),
        }
    }
}

impl NodeConfig {
    pub fn load(path: &Path) -> Result<NodeConfig, NodeError> {
        let text = std::fs::read_to_string(path).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
    }

    /// `minimum_gas_prices` parsed (`None`: free).
    pub fn min_gas_price(&self) -> Result<Option<GasPrice>, NodeError> {
        match self.minimum_gas_prices.trim() {
            "" => Ok(None),
            p => p.parse().map(Some).map_err(|e| NodeError::Config(format!("minimum_gas_prices: {e}"))),
        }
    }

    /// `[tx_index]` checked.
    pub fn tx_index_policy(&self) -> Result<TxIndexPolicy, NodeError> {
        self.tx_index.policy().map_err(NodeError::Config)
    }

    pub fn save(&self, path: &Path) -> Result<(), NodeError> {
        let text = toml::to_string_pretty(self).map_err(|e| NodeError::Config(e.to_string()))?;
        std::fs::write(path, format!("# leaseholdd node settings (see docs/node.md)\n{text}"))?;
        Ok(())
    }
}

/// The paths inside a node home.
#[derive(Clone, Debug)]
pub struct Home(pub PathBuf);

impl Home {
    pub fn config_dir(&self) -> PathBuf {
        self.0.join("config")
    }
    pub fn config_file(&self) -> PathBuf {
        self.config_dir().join("config.toml")
    }
    pub fn genesis_file(&self) -> PathBuf {
        self.config_dir().join("genesis.json")
    }
    pub fn validator_key_file(&self) -> PathBuf {
        self.config_dir().join("priv_validator_key.json")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.0.join("data")
    }
    /// Whether `init` has run here.
    pub fn is_initialised(&self) -> bool {
        self.config_file().exists() && self.genesis_file().exists() && self.validator_key_file().exists()
    }
}

#[derive(Serialize, Deserialize)]
struct KeyValue {
    #[serde(rename = "type")]
    ty: String,
    value: String,
}

/// CometBFT's `priv_validator_key.json`.
#[derive(Serialize, Deserialize)]
struct PrivValidatorKey {
    address: String,
    pub_key: KeyValue,
    priv_key: KeyValue,
}

/// Writes a new random validator key (mode 0600) and returns its seed.
pub fn write_validator_key(path: &Path) -> Result<[u8; 32], NodeError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| NodeError::Config(format!("randomness: {e}")))?;
    let v = DevValidator::from_seed(&seed)?;
    let pk = v.public_key.to_bytes();
    let key = PrivValidatorKey {
        address: hex::encode_upper(v.address.as_bytes()),
        pub_key: KeyValue { ty: "tendermint/PubKeyEd25519".into(), value: B64.encode(&pk) },
        priv_key: KeyValue { ty: "tendermint/PrivKeyEd25519".into(), value: B64.encode([&seed[..], &pk[..]].concat()) },
    };
    let text = serde_json::to_string_pretty(&key).map_err(|e| NodeError::Config(e.to_string()))?;
    write_private(path, text.as_bytes())?;
    Ok(seed)
}

/// Reads the validator key's seed.
pub fn read_validator_key(path: &Path) -> Result<[u8; 32], NodeError> {
    let bad = |what: &str| NodeError::Config(format!("{}: {what}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(&e.to_string()))?;
    let key: PrivValidatorKey = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    if key.priv_key.ty != "tendermint/PrivKeyEd25519" {
        return Err(bad("only ed25519 validator keys are supported"));
    }
    let bytes = B64.decode(key.priv_key.value).map_err(|e| bad(&e.to_string()))?;
    bytes.get(..32).and_then(|s| s.try_into().ok()).ok_or_else(|| bad("the private key is not 64 bytes"))
}

pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    Ok(())
}
