//! What the targets share: the repository's paths, a dev-genesis [`App`] in a temporary
//! directory with genesis committed (block 1), blocks built by hand, and a signed transaction.

use std::path::{Path, PathBuf};

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract;
use cosmwasm_std::Coin;
use leasehold_node::app::App;
use leasehold_node::devnet::{DEV_ACCOUNTS, DEV_CHAIN_ID, DevAccount, dev_genesis};
use leasehold_node::genesis::Genesis;
use prost::Message;
use tempfile::TempDir;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::types::{BlockId, Header, PartSetHeader};

/// Genesis time of every fixture chain; block `h` is `h` seconds later.
pub const GENESIS_TIME: &str = "2025-01-01T00:00:00Z";
const GENESIS_UNIX: i64 = 1_735_689_600;

/// The repository root (this crate is `tests/fuzz-bodies`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `artifacts/`, where `make wasm` puts the compiled contracts.
pub fn artifacts() -> PathBuf {
    repo_root().join("artifacts")
}

/// The compiled contract `name` (`market`, `escrow`, `provider`).
pub fn artifact(name: &str) -> Vec<u8> {
    let path = artifacts().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (build the contracts with `make wasm`)", path.display()))
}

/// The dev genesis with the contracts from `artifacts/`.
pub fn genesis() -> Genesis {
    dev_genesis(&artifacts(), DEV_CHAIN_ID, GENESIS_TIME).unwrap_or_else(|e| panic!("dev genesis: {e}"))
}

/// The dev account `name`.
pub fn dev(name: &str) -> DevAccount {
    *DEV_ACCOUNTS.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no dev account {name}"))
}

/// A dev-genesis app in its own temporary directory, genesis committed with an empty block 1.
/// Returns the app, its directory (deleted on drop) and the market contract's address.
pub fn dev_app() -> (App, TempDir, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let mut app = App::open_dir(&dir.path().join("data")).unwrap_or_else(|e| panic!("open app: {e}"));
    let (_, contracts) = app.init_chain(&genesis()).unwrap_or_else(|e| panic!("init chain: {e}"));
    app.finalize_block(header(1), block_id(), vec![]).unwrap_or_else(|e| panic!("block 1: {e}"));
    app.commit().unwrap_or_else(|e| panic!("commit 1: {e}"));
    (app, dir, contracts[0].clone())
}

/// The header of fixture block `height` (time: genesis + `height` seconds).
pub fn header(height: u64) -> Header {
    let h = i64::try_from(height).unwrap_or(i64::MAX);
    Header {
        chain_id: DEV_CHAIN_ID.into(),
        height: h,
        time: Some(Timestamp { seconds: GENESIS_UNIX.saturating_add(h), nanos: 0 }),
        ..Default::default()
    }
}

pub fn block_id() -> BlockId {
    BlockId { hash: vec![0xab; 32], part_set_header: Some(PartSetHeader::default()) }
}

/// A signed `TxRaw` by dev account `signer` (account number and sequence as given).
pub fn signed_tx(signer: &str, account_number: u64, sequence: u64, msgs: &[Any], fee: u128, gas: u64) -> Vec<u8> {
    let key = dev(signer).signing_key();
    let fees = if fee == 0 { vec![] } else { vec![Coin::new(fee, "ulease")] };
    leasehold_client::client::tx::sign_tx(&key, DEV_CHAIN_ID, account_number, sequence, msgs, "", gas, &fees)
}

/// A bank send of `amount` ulease.
pub fn msg_send(from: &str, to: &str, amount: u128) -> Any {
    let msg = MsgSend {
        from_address: from.into(),
        to_address: to.into(),
        amount: vec![ProtoCoin { denom: "ulease".into(), amount: amount.to_string() }],
    };
    Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: msg.encode_to_vec() }
}

/// A contract execution with JSON `msg`.
pub fn msg_execute(sender: &str, contract: &str, msg: &serde_json::Value) -> Any {
    let msg = MsgExecuteContract {
        sender: sender.into(),
        contract: contract.into(),
        msg: msg.to_string().into_bytes(),
        funds: vec![],
    };
    Any { type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(), value: msg.encode_to_vec() }
}

/// A single-threaded tokio runtime (the query handlers run on its blocking pool).
/// The query services over `view` as a node builds them (default query limits).
pub fn services(
    view: &leasehold_node::app::ChainView,
    broadcaster: std::sync::Arc<dyn leasehold_node::query::TxBroadcaster>,
) -> leasehold_node::query::Services {
    leasehold_node::query::Services {
        view: view.clone(),
        broadcaster,
        node: leasehold_node::query::NodeInfo {
            moniker: "fuzz".into(),
            node_id: "00".repeat(20),
            grpc_address: "127.0.0.1:9090".into(),
        },
        limits: leasehold_node::query::limits::QueryLimits::new(&Default::default()),
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"))
}

/// The provider registry of the market at `market` (from the market's config).
pub fn registry_of(view: &leasehold_node::app::ChainView, market: &str) -> String {
    let host = view.host().unwrap_or_else(|e| panic!("view host: {e}"));
    let config = host.query_smart(market, br#"{"config":{}}"#).unwrap_or_else(|e| panic!("market config: {e}"));
    let config: serde_json::Value = serde_json::from_slice(&config).unwrap_or_else(|e| panic!("config json: {e}"));
    config["provider_registry"].as_str().unwrap_or_else(|| panic!("no provider_registry in {config}")).to_string()
}
