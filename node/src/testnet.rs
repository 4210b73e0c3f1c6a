//! `leaseholdd testnet`: the files an operator needs to run an N-validator Leasehold network on
//! CometBFT v0.38 (procedure in docs/validators.md).
//!
//! ```text
//! <out>/genesis.json                                  CometBFT genesis: validators + Leasehold app_state
//! <out>/peers.txt                                     persistent_peers for every node (id@host:port)
//! <out>/validator-<i>/leasehold/config/config.toml    leaseholdd (ABCI mode): abci, gRPC, CometBFT RPC addresses
//! <out>/validator-<i>/cometbft/config/genesis.json    copy of the genesis
//! <out>/validator-<i>/cometbft/config/priv_validator_key.json   consensus key (0600)
//! <out>/validator-<i>/cometbft/config/node_key.json   p2p key (0600)
//! <out>/validator-<i>/cometbft/data/priv_validator_state.json  double-sign guard, height 0
//! ```
//!
//! With one host for all validators (the default, 127.0.0.1) validator `i` uses ports shifted by
//! `100 * i`: p2p 26656, CometBFT RPC 26657, ABCI 26658, and gRPC 9090 + i. With `--hosts`,
//! every validator gets the standard ports on its own host.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;
use tendermint::crypto::ed25519::SigningKey;

use crate::config::{AbciConfig, GrpcConfig, NodeConfig, RpcConfig, write_private, write_validator_key};
use crate::dev::DevValidator;
use crate::error::NodeError;
use crate::genesis::Genesis;

/// The most validators `testnet` writes (CometBFT handles more; this bounds the output).
pub const MAX_VALIDATORS: usize = 100;

/// One validator's addresses and identities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorFiles {
    pub name: String,
    pub dir: PathBuf,
    /// CometBFT node id (hex of the first 20 bytes of sha256 of the p2p public key).
    pub node_id: String,
    /// Consensus address (hex, upper case).
    pub address: String,
    pub host: String,
    pub p2p_port: u16,
    pub rpc_port: u16,
    pub abci_port: u16,
    pub grpc_port: u16,
}

impl ValidatorFiles {
    pub fn cometbft_home(&self) -> PathBuf {
        self.dir.join("cometbft")
    }
    pub fn leasehold_home(&self) -> PathBuf {
        self.dir.join("leasehold")
    }
    pub fn peer(&self) -> String {
        format!("{}@{}:{}", self.node_id, self.host, self.p2p_port)
    }
}

/// Writes the network's files into `out` (which must not exist or be empty). `genesis` holds
/// the chain id, time and app_state; `hosts` has one entry (everyone on it, ports shifted) or
/// one per validator.
pub fn write_testnet(
    out: &Path,
    validators: usize,
    hosts: &[String],
    genesis: &Genesis,
) -> Result<Vec<ValidatorFiles>, NodeError> {
    if validators == 0 || validators > MAX_VALIDATORS {
        return Err(NodeError::Config(format!("--validators must be between 1 and {MAX_VALIDATORS}")));
    }
    if hosts.len() != 1 && hosts.len() != validators {
        return Err(NodeError::Config(format!(
            "--hosts names {} hosts for {validators} validators: give one host, or one per validator",
            hosts.len()
        )));
    }
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(NodeError::Config(format!("{} is not empty", out.display())));
    }
    let shared_host = hosts.len() == 1;
    let mut files = Vec::with_capacity(validators);
    let mut set = Vec::with_capacity(validators);
    for i in 0..validators {
        let shift = if shared_host { u16::try_from(i * 100).unwrap_or(0) } else { 0 };
        let v = ValidatorFiles {
            name: format!("validator-{i}"),
            dir: out.join(format!("validator-{i}")),
            node_id: String::new(),
            address: String::new(),
            host: hosts[if shared_host { 0 } else { i }].clone(),
            p2p_port: 26656 + shift,
            rpc_port: 26657 + shift,
            abci_port: 26658 + shift,
            grpc_port: 9090 + if shared_host { u16::try_from(i).unwrap_or(0) } else { 0 },
        };
        let comet = v.cometbft_home();
        std::fs::create_dir_all(comet.join("config"))?;
        std::fs::create_dir_all(comet.join("data"))?;
        let seed = write_validator_key(&comet.join("config/priv_validator_key.json"))?;
        let validator = DevValidator::from_seed(&seed)?;
        let node_id = write_node_key(&comet.join("config/node_key.json"))?;
        std::fs::write(comet.join("data/priv_validator_state.json"), PRIV_VALIDATOR_STATE)?;
        set.push(json!({
            "address": hex::encode_upper(validator.address.as_bytes()),
            "pub_key": {"type": "tendermint/PubKeyEd25519", "value": B64.encode(validator.public_key.to_bytes())},
            "power": validator.power.to_string(),
            "name": v.name,
        }));
        files.push(ValidatorFiles { node_id, address: hex::encode_upper(validator.address.as_bytes()), ..v });
    }

    let genesis_json = cometbft_genesis(genesis, set)?;
    std::fs::write(out.join("genesis.json"), &genesis_json)?;
    let peers: Vec<String> = files.iter().map(ValidatorFiles::peer).collect();
    std::fs::write(out.join("peers.txt"), format!("{}\n", peers.join(",")))?;
    for v in &files {
        std::fs::write(v.cometbft_home().join("config/genesis.json"), &genesis_json)?;
        let home = v.leasehold_home();
        std::fs::create_dir_all(home.join("config"))?;
        std::fs::create_dir_all(home.join("data"))?;
        let local = if shared_host { "127.0.0.1" } else { "0.0.0.0" };
        let config = NodeConfig {
            moniker: v.name.clone(),
            grpc: GrpcConfig { address: format!("{local}:{}", v.grpc_port) },
            // Only used by `start --dev`; kept off the CometBFT ports.
            rpc: RpcConfig { address: "127.0.0.1:0".into() },
            abci: AbciConfig {
                address: format!("127.0.0.1:{}", v.abci_port),
                comet_rpc: format!("http://127.0.0.1:{}", v.rpc_port),
            },
            ..NodeConfig::default()
        };
        config.save(&home.join("config/config.toml"))?;
    }
    Ok(files)
}

/// `data/priv_validator_state.json` of a validator that has signed nothing.
const PRIV_VALIDATOR_STATE: &str = "{\n  \"height\": \"0\",\n  \"round\": 0,\n  \"step\": 0\n}\n";

/// CometBFT's genesis document: `genesis`'s chain id, time, initial height and app_state, the
/// validator set, and CometBFT's default consensus params.
fn cometbft_genesis(genesis: &Genesis, validators: Vec<serde_json::Value>) -> Result<Vec<u8>, NodeError> {
    let doc = json!({
        "genesis_time": genesis.genesis_time,
        "chain_id": genesis.chain_id,
        "initial_height": genesis.initial_height,
        "consensus_params": crate::genesis::consensus_params_json(&genesis.block_params().map_err(NodeError::Genesis)?),
        "validators": validators,
        "app_hash": "",
        "app_state": genesis.app_state,
    });
    serde_json::to_vec_pretty(&doc).map_err(|e| NodeError::Genesis(e.to_string()))
}

/// Writes a new CometBFT `node_key.json` (ed25519, mode 0600) and returns the node id.
fn write_node_key(path: &Path) -> Result<String, NodeError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| NodeError::Config(format!("randomness: {e}")))?;
    let key = SigningKey::try_from(seed.as_slice()).map_err(|e| NodeError::Config(format!("node key: {e}")))?;
    let public = key.verification_key();
    let json = json!({"priv_key": {"type": "tendermint/PrivKeyEd25519", "value": B64.encode([&seed[..], public.as_bytes()].concat())}});
    write_private(path, json.to_string().as_bytes())?;
    Ok(tendermint::node::Id::from(public).to_string())
}
