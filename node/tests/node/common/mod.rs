//! The in-process test node: an [`App`] in a temporary directory with the dev genesis applied,
//! driven block by block through the dev [`Producer`], and transactions built and signed with
//! cosmrs (SIGN_MODE_DIRECT, keys derived by cosmrs's own BIP-32 from the dev mnemonics).
#![allow(dead_code)]

pub mod market;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Coin};
use leasehold_node::app::exec::TxOutcome;
use leasehold_node::app::{App, AppOptions};
use leasehold_node::auth::{Account, GasPrice};
use leasehold_node::dev::{DevValidator, ProducedBlock, Producer};
use leasehold_node::devnet::{DEV_ACCOUNTS, DEV_CHAIN_ID, dev_genesis};
use leasehold_node::genesis::Genesis;
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tempfile::TempDir;
use tendermint::Time;
use tendermint_proto::abci::Event;

pub const PREFIX: &str = "lease";
pub const DENOM: &str = "ulease";
pub const USDC: &str = "uusdc";
pub const GENESIS_TIME: &str = "2025-01-01T00:00:00Z";
/// Every dev account's genesis balance in each denom.
pub const START: u128 = leasehold_node::devnet::DEV_BALANCE;
/// A gas limit that covers any single bank or contract call of these tests.
pub const GAS: u64 = 2_000_000;
/// A gas limit for code uploads (3 gas per byte to compile plus 10 per tx byte).
pub const UPLOAD_GAS: u64 = 20_000_000;

/// Where `make wasm` puts the contracts.
pub fn artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts")
}

pub fn artifact(name: &str) -> Vec<u8> {
    let path = artifacts().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run `make wasm`)", path.display()))
}

/// A dev account with a cosmrs signing key derived from its mnemonic (m/44'/118'/0'/0/0).
pub struct Dev {
    pub name: &'static str,
    pub address: String,
    pub account_id: AccountId,
    pub key: SigningKey,
}

/// The dev account `name` (`admin`, `tenant`, `provider-gpu`, `provider-cpu`, `auditor`).
pub fn dev(name: &str) -> Dev {
    let account = DEV_ACCOUNTS.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no dev account {name}"));
    let key = key_from_mnemonic(account.mnemonic);
    let account_id = key.public_key().account_id(PREFIX).expect("account id");
    // cosmrs's derivation and address agree with the node's own (leasehold-keys).
    assert_eq!(account_id.to_string(), account.address(), "{name}: cosmrs and leasehold-keys disagree");
    Dev { name: account.name, address: account_id.to_string(), account_id, key }
}

/// A cosmrs key from a BIP-39 phrase (the seed from leasehold-keys, the BIP-32 path by cosmrs).
pub fn key_from_mnemonic(phrase: &str) -> SigningKey {
    let seed = leasehold_keys::Mnemonic::parse(phrase).expect("mnemonic").to_seed("");
    SigningKey::derive_from_path(seed.as_slice(), &"m/44'/118'/0'/0/0".parse().expect("path")).expect("derive")
}

/// A fresh key that is not in genesis, with its address.
pub fn fresh(seed: u8) -> (SigningKey, AccountId) {
    let key = SigningKey::from_slice(&[seed; 32]).expect("key");
    let id = key.public_key().account_id(PREFIX).expect("account id");
    (key, id)
}

pub fn acc(address: &str) -> AccountId {
    address.parse().unwrap_or_else(|e| panic!("{address}: {e}"))
}

pub fn coin(amount: u128, denom: &str) -> Coin {
    Coin { denom: denom.parse().expect("denom"), amount }
}

/// A cosmrs message as an `Any`.
pub fn any<M: Msg>(msg: M) -> Any {
    msg.to_any().expect("to_any")
}

pub fn send(from: &AccountId, to: &AccountId, amount: Vec<Coin>) -> Any {
    any(cosmrs::bank::MsgSend { from_address: from.clone(), to_address: to.clone(), amount })
}

pub fn execute<T: Serialize>(sender: &AccountId, contract: &str, msg: &T, funds: Vec<Coin>) -> Any {
    any(cosmrs::cosmwasm::MsgExecuteContract {
        sender: sender.clone(),
        contract: acc(contract),
        msg: serde_json::to_vec(msg).expect("json"),
        funds,
    })
}

/// How a test wants a transaction signed; [`TxParams::new`] gives the normal values.
#[derive(Clone, Debug)]
pub struct TxParams {
    /// Fee in `ulease` (none when 0).
    pub fee: u128,
    pub gas: u64,
    /// `None`: the account's committed sequence.
    pub sequence: Option<u64>,
    /// `None`: the account's number.
    pub account_number: Option<u64>,
    pub chain_id: String,
    pub memo: String,
    /// Whether the signer info carries the public key.
    pub with_public_key: bool,
}

impl TxParams {
    pub fn new(fee: u128, gas: u64) -> Self {
        TxParams {
            fee,
            gas,
            sequence: None,
            account_number: None,
            chain_id: DEV_CHAIN_ID.into(),
            memo: String::new(),
            with_public_key: true,
        }
    }

    pub fn sequence(mut self, sequence: u64) -> Self {
        self.sequence = Some(sequence);
        self
    }
}

/// SIGN_MODE_DIRECT over exactly these bytes (for hand-crafted bodies and auth infos).
pub fn sign_bytes(
    key: &SigningKey,
    body_bytes: Vec<u8>,
    auth_info_bytes: Vec<u8>,
    chain_id: &str,
    account_number: u64,
) -> TxRaw {
    let doc = SignDoc { body_bytes, auth_info_bytes, chain_id: chain_id.into(), account_number };
    doc.sign(key).expect("sign").into()
}

/// The events of one type.
pub fn events<'a>(outcome: &'a TxOutcome, ty: &str) -> Vec<&'a Event> {
    outcome.events.iter().filter(|e| e.r#type == ty).collect()
}

/// The value of `key` in `event` (the first one).
pub fn attr<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event.attributes.iter().find(|a| a.key == key).map(|a| a.value.as_str())
}

/// The first event of type `ty` whose attributes include every `(key, value)` of `with`.
pub fn find_event<'a>(outcome: &'a TxOutcome, ty: &str, with: &[(&str, &str)]) -> Option<&'a Event> {
    outcome
        .events
        .iter()
        .find(|e| e.r#type == ty && with.iter().all(|(k, v)| e.attributes.iter().any(|a| a.key == *k && a.value == *v)))
}

/// Asserts a successful outcome, showing its log otherwise.
#[track_caller]
pub fn assert_ok(outcome: &TxOutcome) {
    assert_eq!(outcome.code, 0, "tx failed: codespace {} code {}: {}", outcome.codespace, outcome.code, outcome.log);
}

/// Asserts `(codespace, code)`.
#[track_caller]
pub fn assert_code(outcome: &TxOutcome, codespace: &str, code: u32) {
    assert_eq!(
        (outcome.codespace.as_str(), outcome.code),
        (codespace, code),
        "unexpected result, log: {}",
        outcome.log
    );
}

/// A node on the dev genesis, in its own temporary directory.
pub struct TestNode {
    pub producer: Producer,
    pub genesis_time: Time,
    pub market: String,
    pub escrow: String,
    pub registry: String,
    dir: TempDir,
}

impl TestNode {
    /// A fresh node with no minimum gas price, at height 1 (an empty first block commits genesis).
    pub fn new() -> TestNode {
        TestNode::with_min_gas_price(None)
    }

    /// A fresh node whose CheckTx enforces `min_gas_price` (e.g. `0.025ulease`).
    pub fn with_min_gas_price(min_gas_price: Option<GasPrice>) -> TestNode {
        let dir = tempfile::tempdir().expect("temp dir");
        let genesis = genesis();
        let mut app =
            App::open(AppOptions { data_dir: dir.path().join("data"), min_gas_price, tx_index: Default::default() })
                .expect("open app");
        let (_, contracts) = app.init_chain(&genesis).expect("init chain");
        let market = contracts[0].clone();
        TestNode::start(app, dir, genesis.time().expect("genesis time"), market)
    }

    /// Takes over `app` (initialised) whose data lives in `dir`.
    pub fn start(app: App, dir: TempDir, genesis_time: Time, market: String) -> TestNode {
        let producer = Producer::new(app, validator(), 1000).expect("producer");
        let mut node = TestNode { producer, genesis_time, market, escrow: String::new(), registry: String::new(), dir };
        if node.height() == 0 {
            // Genesis is persisted (and queryable) with the first block, as in the Cosmos SDK.
            node.block();
        }
        let config: leasehold_types::market::ConfigResponse =
            node.query_smart(&node.market.clone(), &leasehold_types::market::QueryMsg::Config {});
        node.escrow = config.escrow.to_string();
        node.registry = config.provider_registry.to_string();
        node
    }

    /// Stops the node (drops the app, closing the database) and hands back its directory.
    pub fn stop(self) -> (TempDir, String) {
        let TestNode { producer, dir, market, .. } = self;
        drop(producer);
        (dir, market)
    }

    /// Reopens a stopped node's directory.
    pub fn reopen(dir: TempDir, market: String) -> TestNode {
        let app = App::open_dir(&dir.path().join("data")).expect("reopen app");
        TestNode::start(app, dir, genesis().time().expect("genesis time"), market)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn app(&self) -> &App {
        self.producer.app()
    }

    /// Last committed height.
    pub fn height(&self) -> u64 {
        self.app().view().status().height
    }

    pub fn account(&self, address: &str) -> Option<Account> {
        self.app().view().account(address).expect("account query")
    }

    /// Builds and signs a tx of `msgs` by `signer` with `params`.
    pub fn sign_with(&self, key: &SigningKey, msgs: Vec<Any>, params: &TxParams) -> TxRaw {
        let address = key.public_key().account_id(PREFIX).expect("account id").to_string();
        let account = self.account(&address);
        let sequence = params.sequence.unwrap_or_else(|| account.as_ref().map_or(0, |a| a.sequence));
        let account_number = params
            .account_number
            .unwrap_or_else(|| account.as_ref().map(|a| a.account_number).expect("the signer has no account"));
        let body = Body::new(msgs, params.memo.clone(), 0u32);
        let fee = if params.fee == 0 {
            Fee { amount: vec![], gas_limit: params.gas, payer: None, granter: None }
        } else {
            Fee::from_amount_and_gas(coin(params.fee, DENOM), params.gas)
        };
        let public_key = params.with_public_key.then(|| key.public_key());
        let auth_info = SignerInfo::single_direct(public_key, sequence).auth_info(fee);
        let doc = SignDoc::new(&body, &auth_info, &params.chain_id.parse().expect("chain id"), account_number)
            .expect("sign doc");
        doc.sign(key).expect("sign").into()
    }

    /// Signed tx bytes: `msgs` by `signer`, fee in `ulease`, gas limit, sequence (`None`: the
    /// committed one).
    pub fn sign(&self, signer: &Dev, msgs: Vec<Any>, fee: u128, gas: u64, sequence: Option<u64>) -> Vec<u8> {
        let mut params = TxParams::new(fee, gas);
        params.sequence = sequence;
        self.sign_with(&signer.key, msgs, &params).encode_to_vec()
    }

    /// CheckTx; the tx enters the mempool when accepted.
    pub fn submit(&mut self, tx: Vec<u8>) -> TxOutcome {
        self.producer.submit(tx)
    }

    /// The time of block `height`: genesis time plus `height` seconds.
    pub fn time_of(&self, height: u64) -> Time {
        (self.genesis_time + Duration::from_secs(height)).expect("block time")
    }

    /// Produces and commits the next block from the mempool.
    pub fn block(&mut self) -> ProducedBlock {
        let time = self.time_of(self.height() + 1);
        self.producer.produce_block(time).expect("produce block")
    }

    /// Produces `n` empty (or mempool) blocks.
    pub fn blocks(&mut self, n: u64) {
        for _ in 0..n {
            self.block();
        }
    }

    /// Submits `txs` (each must pass CheckTx), produces one block, and returns each tx's
    /// DeliverTx result in the given order.
    pub fn deliver_all(&mut self, txs: Vec<Vec<u8>>) -> Vec<TxOutcome> {
        for tx in &txs {
            let check = self.submit(tx.clone());
            assert_eq!(check.code, 0, "CheckTx rejected the tx: {} {}: {}", check.codespace, check.code, check.log);
        }
        let produced = self.block();
        let block = self.app().view().block(produced.height).expect("block").expect("stored block");
        txs.iter()
            .map(|tx| {
                let i = block.txs.iter().position(|t| t == tx).expect("tx in the block");
                produced.outcome.results[i].clone()
            })
            .collect()
    }

    /// Submits `tx` (it must pass CheckTx), produces a block, returns its DeliverTx result.
    pub fn deliver(&mut self, tx: Vec<u8>) -> TxOutcome {
        self.deliver_all(vec![tx]).remove(0)
    }

    /// Signs with the committed sequence and delivers; asserts success.
    #[track_caller]
    pub fn exec(&mut self, signer: &Dev, msgs: Vec<Any>, fee: u128, gas: u64) -> TxOutcome {
        let tx = self.sign(signer, msgs, fee, gas, None);
        let outcome = self.deliver(tx);
        assert_ok(&outcome);
        outcome
    }

    /// Committed balance in micro-units.
    pub fn balance(&self, address: &str, denom: &str) -> u128 {
        let amount = self.app().view().balance(address, denom).expect("balance");
        cosmwasm_std::Uint128::try_from(amount).expect("balance fits u128").u128()
    }

    pub fn try_query_smart<T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl Serialize,
    ) -> Result<T, leasehold_wasm_host::HostError> {
        let host = self.app().view().host().expect("view host");
        let bytes = host.query_smart(contract, &serde_json::to_vec(msg).expect("json"))?;
        Ok(serde_json::from_slice(&bytes).expect("query response json"))
    }

    /// A smart query on the committed state.
    #[track_caller]
    pub fn query_smart<T: DeserializeOwned>(&self, contract: &str, msg: &impl Serialize) -> T {
        self.try_query_smart(contract, msg).unwrap_or_else(|e| panic!("query {contract}: {e}"))
    }
}

impl Default for TestNode {
    fn default() -> Self {
        TestNode::new()
    }
}

/// A dev node (`start_dev`: producer, gRPC, JSON-RPC) in a temp home, gRPC and RPC on free
/// ports, a block every 100 ms.
pub async fn start_dev_node(dir: &Path) -> leasehold_node::node::DevNode {
    start_dev_node_with(dir, |_| {}).await
}

/// [`start_dev_node`] with `adjust` applied to its config last.
pub async fn start_dev_node_with(
    dir: &Path,
    adjust: impl FnOnce(&mut leasehold_node::config::NodeConfig),
) -> leasehold_node::node::DevNode {
    use leasehold_node::config::{Home, NodeConfig, write_validator_key};
    let home = Home(dir.to_path_buf());
    std::fs::create_dir_all(home.config_dir()).expect("config dir");
    let genesis = dev_genesis(&artifacts(), DEV_CHAIN_ID, "2026-01-01T00:00:00Z").expect("dev genesis (run make wasm)");
    std::fs::write(home.genesis_file(), serde_json::to_vec(&genesis).expect("genesis json")).expect("genesis");
    write_validator_key(&home.validator_key_file()).expect("validator key");
    let mut config = NodeConfig::default();
    config.grpc.address = "127.0.0.1:0".into();
    config.rpc.address = "127.0.0.1:0".into();
    config.dev.block_interval_ms = 100;
    adjust(&mut config);
    leasehold_node::node::start_dev(&home, &config).await.expect("dev node starts")
}

/// The dev genesis (contracts from `artifacts/`).
pub fn genesis() -> Genesis {
    dev_genesis(&artifacts(), DEV_CHAIN_ID, GENESIS_TIME).expect("dev genesis")
}

pub fn validator() -> DevValidator {
    DevValidator::from_seed(&[7; 32]).expect("validator")
}

/// The `fee_collector` module account address, computed independently of the node.
pub fn fee_collector() -> String {
    leasehold_keys::module_address(PREFIX, "fee_collector").expect("module address")
}

/// The `community_pool` module account (the escrow's take goes there).
pub fn community_pool() -> String {
    leasehold_keys::module_address(PREFIX, "community_pool").expect("module address")
}
