//! Create-bid throughput of one node, in one run:
//!
//! - **(a) raw limit**: a tight single-threaded loop of one secp256k1 signature check
//!   ([`verify_signature`] on the real `SignDoc` of a create-bid tx) plus one execute of the
//!   market's `create_bid` on the pinned contract, on a bare [`WasmHost`] (in-memory state)
//!   with the dev genesis' three contracts stored, pinned and instantiated; also verify-only
//!   and execute-only.
//! - **(b) end to end**: signed create-bid txs through the node's pipeline on an [`App`] over
//!   redb with `LEASEHOLD_BENCH_LEASES` active leases seeded through the same pipeline:
//!   [`Producer::submit`] (CheckTx + mempool) for a block's worth, then
//!   [`Producer::produce_block`] (FinalizeBlock + Commit).
//!
//! Every measured create-bid is a distinct (order, provider) pair on an open order, and every
//! tx and execute is checked to succeed, so the numbers are real work. Signing, seeding and
//! set-up are not timed. Nothing asserts on timings.
//!
//! `cargo bench -p leasehold-node --bench throughput`; smaller runs with
//! `LEASEHOLD_BENCH_LEASES` (default 10000), `LEASEHOLD_BENCH_ITERS` (raw iterations, default
//! 10000), `LEASEHOLD_BENCH_BLOCKS` (default 10) and `LEASEHOLD_BENCH_BLOCK_TXS` (default 200).
#![forbid(unsafe_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw, mode_info};
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract;
use cosmwasm_std::{BlockInfo, Coin, DecCoin, HexBinary, Timestamp};
use leasehold_keys::SigningKey;
use leasehold_keys::verify as verify_signature;
use leasehold_node::app::exec::TxOutcome;
use leasehold_node::app::{App, BECH32_PREFIX};
use leasehold_node::dev::{DevValidator, ProducedBlock, Producer};
use leasehold_node::devnet::{DENOM, DEV_ACCOUNTS, DEV_CHAIN_ID, dev_genesis, dev_market_params};
use leasehold_node::genesis::Genesis;
use leasehold_node::tx::TxLimits;
use leasehold_node::tx::decode::SECP256K1_PUBKEY;
use leasehold_node::tx::msgs::{MSG_EXECUTE, MSG_SEND};
use leasehold_types::Attribute;
use leasehold_types::ids::OrderId;
use leasehold_types::market::{ConfigResponse, ExecuteMsg, LeaseState, LeasesResponse, QueryMsg};
use leasehold_types::provider::{ExecuteMsg as RegistryMsg, ProviderInfo};
use leasehold_types::resources::GroupSpec;
use leasehold_wasm_host::{HostOptions, WasmHost};
use prost::Message;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tendermint::Time;

const GENESIS_TIME: &str = "2025-01-01T00:00:00Z";
/// Groups (hence orders) per deployment: the most a deployment may have.
const GROUPS_PER_DEPLOYMENT: usize = 20;
/// Tenants holding the seeded leases (besides the dev `tenant`, which owns the bench's orders).
const SEED_TENANTS: usize = 10;
/// Leases seeded per block; progress is printed after each.
const SEED_ROUND: usize = 1000;
/// `CreateDeployment` messages (of 20 groups each) per tx: the most a tx may carry
/// (`TxLimits::max_msgs`); at about 0.95M gas each they fit the 100M gas limit.
const DEPLOYMENTS_PER_TX: usize = 64;
/// Gas limit of the seeding txs: the chain's largest (`TxLimits::max_gas_wanted`).
const SEED_GAS: u64 = 100_000_000;
/// Gas limit of one create-bid tx (a create-bid uses well under half of it).
const BID_GAS: u64 = 2_000_000;
/// The dev market's minimum deployment deposit and bid collateral.
const DEPOSIT: u128 = 5_000_000;
const COLLATERAL: u128 = 500_000;
/// What each bench account is funded with, per denom.
const FUNDING: u128 = 10_000_000_000;
/// Raw-loop executes before the measured ones.
const WARM_UP: usize = 100;

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

struct Config {
    leases: usize,
    iters: usize,
    blocks: usize,
    block_txs: usize,
    /// Distinct bidders: one per bid slot of an order (the market's `max_bids_per_order`).
    providers: usize,
}

// ---------------------------------------------------------------------------------------------
// Accounts and transactions (cosmos-sdk-proto types, SIGN_MODE_DIRECT with leasehold-keys)

struct Account {
    key: SigningKey,
    pk: [u8; 33],
    address: String,
    number: u64,
    sequence: u64,
}

impl Account {
    fn new(key: SigningKey) -> Account {
        let pk = key.public_key().to_bytes();
        let address = key.address(BECH32_PREFIX).expect("address");
        Account { key, pk, address, number: 0, sequence: 0 }
    }

    /// A key derived from a label (sha256 as the secret scalar): not in genesis.
    fn derived(label: &str) -> Account {
        let secret: [u8; 32] = Sha256::digest(label.as_bytes()).into();
        Account::new(SigningKey::from_bytes(&secret).expect("secret key"))
    }
}

fn proto_coins(coins: &[Coin]) -> Vec<ProtoCoin> {
    coins.iter().map(|c| ProtoCoin { denom: c.denom.clone(), amount: c.amount.to_string() }).collect()
}

fn execute_any(sender: &str, contract: &str, msg: &impl Serialize, funds: &[Coin]) -> Any {
    let m = MsgExecuteContract {
        sender: sender.into(),
        contract: contract.into(),
        msg: serde_json::to_vec(msg).expect("json"),
        funds: proto_coins(funds),
    };
    Any { type_url: MSG_EXECUTE.into(), value: m.encode_to_vec() }
}

fn send_any(from: &str, to: &str, coins: &[Coin]) -> Any {
    let m = MsgSend { from_address: from.into(), to_address: to.into(), amount: proto_coins(coins) };
    Any { type_url: MSG_SEND.into(), value: m.encode_to_vec() }
}

/// The SignDoc of `msgs` by `signer` at its current sequence (public key included, no fee).
fn sign_doc(signer: &Account, msgs: Vec<Any>, gas: u64) -> SignDoc {
    let body = TxBody { messages: msgs, ..Default::default() };
    let public_key =
        Any { type_url: SECP256K1_PUBKEY.into(), value: PubKey { key: signer.pk.to_vec() }.encode_to_vec() };
    let auth = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(public_key),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single { mode: SignMode::Direct as i32 })),
            }),
            sequence: signer.sequence,
        }],
        fee: Some(Fee { gas_limit: gas, ..Default::default() }),
        ..Default::default()
    };
    SignDoc {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth.encode_to_vec(),
        chain_id: DEV_CHAIN_ID.into(),
        account_number: signer.number,
    }
}

/// Signed `TxRaw` bytes; the signer's sequence moves on.
fn sign_tx(signer: &mut Account, msgs: Vec<Any>, gas: u64) -> Vec<u8> {
    let doc = sign_doc(signer, msgs, gas);
    let signature = signer.key.sign_direct(&doc.encode_to_vec());
    signer.sequence += 1;
    TxRaw { body_bytes: doc.body_bytes, auth_info_bytes: doc.auth_info_bytes, signatures: vec![signature.to_vec()] }
        .encode_to_vec()
}

// ---------------------------------------------------------------------------------------------
// Marketplace messages (the shapes of tests/marketplace's fixtures)

fn price(amount: u128) -> DecCoin {
    leasehold_marketplace_tests::price(amount, DENOM)
}

/// One replica of 1 CPU / 1 GiB at 1 ulease per block: any registered provider qualifies.
fn cpu_group(name: &str) -> GroupSpec {
    leasehold_marketplace_tests::fixtures::cpu_group_in(name, 1, 1, DENOM)
}

fn create_deployment(dseq: u64) -> ExecuteMsg {
    let mut hash = [7u8; 32];
    hash[..8].copy_from_slice(&dseq.to_be_bytes());
    ExecuteMsg::CreateDeployment {
        dseq,
        hash: HexBinary::from(hash.to_vec()),
        groups: (1..=GROUPS_PER_DEPLOYMENT).map(|g| cpu_group(&format!("g{g}"))).collect(),
        auto_match: false,
    }
}

/// Order `index` of `owner`'s deployments numbered from `first_dseq`, 20 orders per deployment.
fn order(owner: &str, first_dseq: u64, index: usize) -> OrderId {
    let dseq = first_dseq + (index / GROUPS_PER_DEPLOYMENT) as u64;
    let gseq = (index % GROUPS_PER_DEPLOYMENT) as u32 + 1;
    OrderId { owner: owner.into(), dseq, gseq, oseq: 1 }
}

fn create_bid(order: OrderId) -> ExecuteMsg {
    ExecuteMsg::CreateBid { order, price: price(1) }
}

fn register(i: usize) -> RegistryMsg {
    RegistryMsg::Register {
        host_uri: format!("https://provider-{i}.bench.example.com"),
        attributes: vec![Attribute::new("region", "eu-west"), Attribute::new("tier", "community")],
        info: ProviderInfo::default(),
    }
}

fn ulease(amount: u128) -> Coin {
    Coin::new(amount, DENOM)
}

// ---------------------------------------------------------------------------------------------
// Reporting helpers

fn us_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n.max(1) as f64
}

fn per_sec(d: Duration, n: usize) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-12)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.to_string()))
        .and_then(|l| l.split_once(':').map(|(_, m)| m.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into())
}

#[track_caller]
fn assert_ok(outcome: &TxOutcome, what: &str, stage: &str) {
    assert_eq!(
        outcome.code, 0,
        "{what}: {stage} failed: codespace {} code {}: {}",
        outcome.codespace, outcome.code, outcome.log
    );
}

// ---------------------------------------------------------------------------------------------
// (a) The raw limit on a bare wasm host

struct RawResult {
    verify: Duration,
    execute: Duration,
    combined: Duration,
    gas_per_bid: u64,
    orders: usize,
    setup: Duration,
}

fn raw_limit(cfg: &Config, genesis: &Genesis, providers: &[Account]) -> RawResult {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = HostOptions::new(dir.path().join("wasm"));
    options.prefix = BECH32_PREFIX.into();
    let mut host = WasmHost::new(options).expect("wasm host");
    host.set_block(BlockInfo {
        height: 10,
        time: Timestamp::from_seconds(1_735_689_600),
        chain_id: DEV_CHAIN_ID.into(),
    });
    // The dev genesis' codes (market 1, escrow 2, provider 3), pinned, and its market.
    for code in &genesis.app_state.wasm.codes {
        let id = host.store_code(&code.creator, code.wasm_byte_code.as_slice()).expect("store code");
        host.pin(id).expect("pin");
    }
    let c = &genesis.app_state.wasm.contracts[0];
    let msg = c.msg.as_bytes().to_vec();
    let (market, _) =
        host.instantiate(&c.sender, c.code_id, &msg, &[], &c.label, c.admin.as_deref()).expect("instantiate market");
    let config: ConfigResponse =
        serde_json::from_slice(&host.query_smart(&market, br#"{"config":{}}"#).expect("config")).expect("json");
    let registry = config.provider_registry.to_string();

    for (i, p) in providers.iter().enumerate() {
        host.mint(&p.address, &[ulease(FUNDING)]).expect("mint");
        host.execute(&p.address, &registry, &serde_json::to_vec(&register(i)).expect("json"), &[]).expect("register");
    }
    let tenant = DEV_ACCOUNTS[1].address();
    host.mint(&tenant, &[ulease(FUNDING)]).expect("mint");
    // Bid slots: warm-up, execute-only, verify + execute; `providers` bids per order.
    let slots = WARM_UP + 2 * cfg.iters;
    let orders = slots.div_ceil(cfg.providers);
    for d in 0..orders.div_ceil(GROUPS_PER_DEPLOYMENT) {
        let msg = serde_json::to_vec(&create_deployment(d as u64 + 1)).expect("json");
        host.execute(&tenant, &market, &msg, &[ulease(DEPOSIT)]).expect("create deployment");
    }
    let slot = |s: usize| -> (usize, Vec<u8>) {
        let p = s % cfg.providers;
        let msg = create_bid(order(&tenant, 1, s / cfg.providers));
        (p, serde_json::to_vec(&msg).expect("json"))
    };
    let collateral = [ulease(COLLATERAL)];
    let exec_only: Vec<(usize, Vec<u8>)> = (WARM_UP..WARM_UP + cfg.iters).map(slot).collect();
    let combined: Vec<(usize, Vec<u8>)> = (WARM_UP + cfg.iters..slots).map(slot).collect();
    // The SignDoc each combined iteration's tx was signed over, and its signature.
    let signed: Vec<(Vec<u8>, [u8; 64])> = combined
        .iter()
        .enumerate()
        .map(|(i, (p, _))| {
            let s = WARM_UP + cfg.iters + i;
            let mut signer = Account::new(providers[*p].key.clone());
            signer.number = 10 + *p as u64;
            signer.sequence = (s / cfg.providers) as u64;
            let msg =
                execute_any(&signer.address, &market, &create_bid(order(&tenant, 1, s / cfg.providers)), &collateral);
            let doc = sign_doc(&signer, vec![msg], BID_GAS).encode_to_vec();
            let sig = providers[*p].key.sign_direct(&doc);
            (doc, sig)
        })
        .collect();
    for s in 0..WARM_UP {
        let (p, msg) = slot(s);
        host.execute(&providers[p].address, &market, &msg, &collateral).expect("warm-up create bid");
    }
    let setup = started.elapsed();
    println!("(a) set-up: {orders} open orders, {} providers, {WARM_UP} warm-up bids in {setup:.2?}", cfg.providers);

    let t = Instant::now();
    for (i, (doc, sig)) in signed.iter().enumerate() {
        let pk = &providers[combined[i].0].pk;
        verify_signature(pk, std::hint::black_box(doc), sig).expect("signature verifies");
    }
    let verify = t.elapsed();

    let mut gas = 0u64;
    let t = Instant::now();
    for (p, msg) in &exec_only {
        let out = host.execute(&providers[*p].address, &market, msg, &collateral).expect("create bid");
        gas = gas.max(out.gas_used);
    }
    let execute = t.elapsed();

    let t = Instant::now();
    for (i, (p, msg)) in combined.iter().enumerate() {
        let (doc, sig) = &signed[i];
        verify_signature(&providers[*p].pk, doc, sig).expect("signature verifies");
        let out = host.execute(&providers[*p].address, &market, msg, &collateral).expect("create bid");
        std::hint::black_box(out);
    }
    let combined_time = t.elapsed();
    RawResult { verify, execute, combined: combined_time, gas_per_bid: gas, orders, setup }
}

// ---------------------------------------------------------------------------------------------
// (b) End to end through the node

struct Node {
    producer: Producer,
    genesis_time: Time,
    market: String,
    registry: String,
    _dir: TempDir,
}

impl Node {
    fn new(genesis: &Genesis) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut app = App::open_dir(&dir.path().join("data")).expect("open app");
        let (_, contracts) = app.init_chain(genesis).expect("init chain");
        let validator = DevValidator::from_seed(&[7; 32]).expect("validator");
        let producer = Producer::new(app, validator, 100_000).expect("producer");
        let genesis_time = genesis.time().expect("genesis time");
        let mut node =
            Node { producer, genesis_time, market: contracts[0].clone(), registry: String::new(), _dir: dir };
        node.produce(); // commits genesis
        let config: ConfigResponse = node.query(&node.market.clone(), &QueryMsg::Config {});
        node.registry = config.provider_registry.to_string();
        node
    }

    fn height(&self) -> u64 {
        self.producer.app().state().0
    }

    /// The next block from the mempool, one second after the previous one.
    fn produce(&mut self) -> ProducedBlock {
        let time = (self.genesis_time + Duration::from_secs(self.height() + 1)).expect("block time");
        self.producer.produce_block(time).expect("produce block")
    }

    #[track_caller]
    fn submit(&mut self, tx: Vec<u8>, what: &str) {
        let outcome = self.producer.submit(tx);
        assert_ok(&outcome, what, "CheckTx");
    }

    /// Submits every tx, makes one block of them and checks that each succeeded.
    #[track_caller]
    fn deliver(&mut self, txs: Vec<(Vec<u8>, &str)>) -> Vec<TxOutcome> {
        let n = txs.len();
        let what: Vec<String> = txs.iter().map(|(_, w)| w.to_string()).collect();
        for (tx, w) in txs {
            self.submit(tx, w);
        }
        let block = self.produce();
        assert_eq!(block.outcome.results.len(), n, "every submitted tx is in the block");
        for (r, w) in block.outcome.results.iter().zip(&what) {
            assert_ok(r, w, "FinalizeBlock");
        }
        block.outcome.results
    }

    fn query<T: serde::de::DeserializeOwned>(&self, contract: &str, msg: &impl Serialize) -> T {
        let host = self.producer.app().view().host().expect("view host");
        let bytes = host.query_smart(contract, &serde_json::to_vec(msg).expect("json")).expect("query");
        serde_json::from_slice(&bytes).expect("query json")
    }

    /// Loads the account number and sequence of an existing account.
    fn load(&self, account: &mut Account) {
        let a = self.producer.app().view().account(&account.address).expect("account").expect("account exists");
        account.number = a.account_number;
        account.sequence = a.sequence;
    }

    fn active_leases(&self) -> usize {
        let (mut count, mut start_after) = (0, None);
        loop {
            let msg = QueryMsg::Leases {
                owner: None,
                provider: None,
                state: Some(LeaseState::Active),
                start_after,
                limit: Some(100),
            };
            let page: LeasesResponse = self.query(&self.market, &msg);
            count += page.leases.len();
            match page.leases.last() {
                Some(last) if page.leases.len() == 100 => start_after = Some(last.id.clone()),
                _ => return count,
            }
        }
    }
}

/// Largest gas used per message, by kind, while seeding.
#[derive(Default)]
struct SeedGas {
    deployment: u64,
    bid: u64,
    lease: u64,
}

fn per_msg_gas(results: &[TxOutcome], msgs: &[usize]) -> u64 {
    results.iter().zip(msgs).map(|(r, n)| r.gas_used / *n as u64).max().unwrap_or(0)
}

/// Funds and registers the providers and seed tenants, then seeds `cfg.leases` active leases:
/// per block, tenants create deployments of 20 groups, providers bid (one bid per order, each
/// tx up to 64 bids) and tenants accept every bid — each kind in multi-message txs.
fn seed(node: &mut Node, cfg: &Config, admin: &mut Account, providers: &mut [Account], tenants: &mut [Account]) {
    let started = Instant::now();
    let max_msgs = TxLimits::default().max_msgs as usize;
    let funding = [ulease(FUNDING), Coin::new(FUNDING, "uusdc")];
    let sends: Vec<Any> =
        providers.iter().chain(tenants.iter()).map(|a| send_any(&admin.address, &a.address, &funding)).collect();
    let txs: Vec<(Vec<u8>, &str)> =
        sends.chunks(max_msgs).map(|c| (sign_tx(admin, c.to_vec(), SEED_GAS), "fund accounts")).collect();
    node.deliver(txs);
    for a in providers.iter_mut().chain(tenants.iter_mut()) {
        node.load(a);
    }
    let registry = node.registry.clone();
    let txs = providers
        .iter_mut()
        .enumerate()
        .map(|(i, p)| {
            let msg = execute_any(&p.address, &registry, &register(i), &[]);
            (sign_tx(p, vec![msg], SEED_GAS), "register provider")
        })
        .collect();
    node.deliver(txs);
    println!(
        "seeding: {} providers and {} tenants funded and registered in {:.2?}",
        providers.len(),
        tenants.len(),
        started.elapsed()
    );

    let market = node.market.clone();
    let mut gas = SeedGas::default();
    let mut next_dseq = vec![1u64; tenants.len()];
    let (mut made, mut round) = (0usize, 0usize);
    while made < cfg.leases {
        let n = SEED_ROUND.min(cfg.leases - made);
        let t = round % tenants.len();
        round += 1;
        let first_dseq = next_dseq[t];
        let deployments = n.div_ceil(GROUPS_PER_DEPLOYMENT);
        next_dseq[t] += deployments as u64;
        let tenant = &mut tenants[t];
        let owner = tenant.address.clone();
        let mut txs: Vec<(Vec<u8>, &str)> = Vec::new();
        let mut kinds: Vec<(u8, usize)> = Vec::new();

        let deploy: Vec<Any> = (0..deployments as u64)
            .map(|d| execute_any(&owner, &market, &create_deployment(first_dseq + d), &[ulease(DEPOSIT)]))
            .collect();
        for c in deploy.chunks(DEPLOYMENTS_PER_TX) {
            txs.push((sign_tx(tenant, c.to_vec(), SEED_GAS), "seed: create deployments"));
            kinds.push((0, c.len()));
        }
        // Order j goes to provider j % providers (one bid per order).
        let mut bids: Vec<Vec<Any>> = vec![Vec::new(); providers.len()];
        for j in 0..n {
            let p = j % providers.len();
            let msg = create_bid(order(&owner, first_dseq, j));
            bids[p].push(execute_any(&providers[p].address, &market, &msg, &[ulease(COLLATERAL)]));
        }
        for (p, msgs) in bids.iter().enumerate() {
            for c in msgs.chunks(max_msgs) {
                txs.push((sign_tx(&mut providers[p], c.to_vec(), SEED_GAS), "seed: create bids"));
                kinds.push((1, c.len()));
            }
        }
        let leases: Vec<Any> = (0..n)
            .map(|j| {
                let bid = order(&owner, first_dseq, j).bid(providers[j % providers.len()].address.as_str());
                execute_any(&owner, &market, &ExecuteMsg::CreateLease { bid }, &[])
            })
            .collect();
        for c in leases.chunks(max_msgs) {
            txs.push((sign_tx(tenant, c.to_vec(), SEED_GAS), "seed: create leases"));
            kinds.push((2, c.len()));
        }
        let results = node.deliver(txs);
        for kind in 0..3u8 {
            let (rs, ms): (Vec<TxOutcome>, Vec<usize>) =
                results.iter().zip(&kinds).filter(|(_, (k, _))| *k == kind).map(|(r, (_, m))| (r.clone(), *m)).unzip();
            let g = per_msg_gas(&rs, &ms);
            let slot = match kind {
                0 => &mut gas.deployment,
                1 => &mut gas.bid,
                _ => &mut gas.lease,
            };
            *slot = (*slot).max(g);
        }
        made += n;
        println!("seeding: {made}/{} active leases (height {}, {:.1?})", cfg.leases, node.height(), started.elapsed());
    }
    println!(
        "seeding: gas per message (largest): create_deployment of 20 groups {}, create_bid {}, create_lease {}",
        gas.deployment, gas.bid, gas.lease
    );
}

struct E2eResult {
    seed: Duration,
    active_leases: usize,
    check: Duration,
    produce: Duration,
    block_ms: Vec<f64>,
    produce_ms: Vec<f64>,
    gas_per_bid: u64,
    height: u64,
}

fn end_to_end(cfg: &Config, genesis: &Genesis, providers: &mut [Account]) -> E2eResult {
    let started = Instant::now();
    let mut node = Node::new(genesis);
    let mut admin = Account::new(DEV_ACCOUNTS[0].signing_key());
    node.load(&mut admin);
    let mut tenants: Vec<Account> = (0..SEED_TENANTS).map(|i| Account::derived(&format!("bench-tenant-{i}"))).collect();
    seed(&mut node, cfg, &mut admin, providers, &mut tenants);
    let seed_time = started.elapsed();
    let active_leases = node.active_leases();
    assert_eq!(active_leases, cfg.leases, "seeded leases are active");
    println!("seeding: {active_leases} active leases verified by query; seeding took {seed_time:.1?}");

    // The orders to bid on: `providers` bids per order, in deployments of the dev tenant.
    let mut tenant = Account::new(DEV_ACCOUNTS[1].signing_key());
    node.load(&mut tenant);
    let market = node.market.clone();
    let bids = cfg.blocks * cfg.block_txs;
    let orders = bids.div_ceil(cfg.providers);
    let deploy: Vec<Any> = (0..orders.div_ceil(GROUPS_PER_DEPLOYMENT) as u64)
        .map(|d| execute_any(&tenant.address, &market, &create_deployment(d + 1), &[ulease(DEPOSIT)]))
        .collect();
    let txs = deploy.chunks(DEPLOYMENTS_PER_TX).map(|c| (sign_tx(&mut tenant, c.to_vec(), SEED_GAS), "bench orders"));
    node.deliver(txs.collect());
    // Every create-bid tx, signed in advance (signing is the client's work, not the node's).
    let collateral = [ulease(COLLATERAL)];
    let signed: Vec<Vec<u8>> = (0..bids)
        .map(|k| {
            let p = &mut providers[k % cfg.providers];
            let msg = execute_any(
                &p.address,
                &market,
                &create_bid(order(&tenant.address, 1, k / cfg.providers)),
                &collateral,
            );
            sign_tx(p, vec![msg], BID_GAS)
        })
        .collect();
    println!(
        "(b) set-up: {orders} open orders at height {}, {bids} create-bid txs signed; measuring {} blocks of {} txs",
        node.height(),
        cfg.blocks,
        cfg.block_txs
    );

    let (mut check, mut produce) = (Duration::ZERO, Duration::ZERO);
    let (mut block_ms, mut produce_ms) = (Vec::new(), Vec::new());
    let mut gas = 0u64;
    let mut txs = signed.into_iter();
    for _ in 0..cfg.blocks {
        let block: Vec<Vec<u8>> = txs.by_ref().take(cfg.block_txs).collect();
        let t0 = Instant::now();
        for tx in block {
            node.submit(tx, "create bid");
        }
        let t1 = Instant::now();
        let produced = node.produce();
        let t2 = Instant::now();
        assert_eq!(produced.outcome.results.len(), cfg.block_txs, "the whole batch is in the block");
        for r in &produced.outcome.results {
            assert_ok(r, "create bid", "FinalizeBlock");
            gas = gas.max(r.gas_used);
        }
        check += t1 - t0;
        produce += t2 - t1;
        block_ms.push((t2 - t0).as_secs_f64() * 1e3);
        produce_ms.push((t2 - t1).as_secs_f64() * 1e3);
    }
    E2eResult {
        seed: seed_time,
        active_leases,
        check,
        produce,
        block_ms,
        produce_ms,
        gas_per_bid: gas,
        height: node.height(),
    }
}

fn min_median_max(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => (0.0, 0.0, 0.0),
        n => (s[0], s[n / 2], s[n - 1]),
    }
}

fn main() {
    let run_started = Instant::now();
    let cfg = Config {
        leases: env_usize("LEASEHOLD_BENCH_LEASES", 10_000),
        iters: env_usize("LEASEHOLD_BENCH_ITERS", 10_000).max(1),
        blocks: env_usize("LEASEHOLD_BENCH_BLOCKS", 10).max(1),
        block_txs: env_usize("LEASEHOLD_BENCH_BLOCK_TXS", 200).max(1),
        providers: dev_market_params().max_bids_per_order as usize,
    };
    // The bench's orders are created in one block and must stay open for every measured block.
    let expiry = dev_market_params().order_expiry as usize;
    assert!(cfg.blocks < expiry, "LEASEHOLD_BENCH_BLOCKS must stay below the order expiry ({expiry} blocks)");
    assert!(DEPLOYMENTS_PER_TX as u64 <= TxLimits::default().max_msgs, "a tx carries at most max_msgs messages");
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("Leasehold create-bid throughput bench");
    println!("machine: {cores} cores ({})", cpu_model());
    println!(
        "parameters: raw iterations {} (+{WARM_UP} warm-up), end-to-end {} blocks x {} txs, {} seeded active leases, {} providers",
        cfg.iters, cfg.blocks, cfg.block_txs, cfg.leases, cfg.providers
    );
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
    let genesis = dev_genesis(&artifacts, DEV_CHAIN_ID, GENESIS_TIME).expect("dev genesis (run `make wasm`)");
    let mut providers: Vec<Account> =
        (0..cfg.providers).map(|i| Account::derived(&format!("bench-provider-{i}"))).collect();

    let raw = raw_limit(&cfg, &genesis, &providers);
    let e2e = end_to_end(&cfg, &genesis, &mut providers);

    let n = cfg.iters;
    let bids = cfg.blocks * cfg.block_txs;
    let total = e2e.check + e2e.produce;
    let raw_rate = per_sec(raw.combined, n);
    let e2e_rate = per_sec(total, bids);
    let (bmin, bmed, bmax) = min_median_max(&e2e.block_ms);
    let (pmin, pmed, pmax) = min_median_max(&e2e.produce_ms);

    println!();
    println!("==================================================================================");
    println!("Leasehold create-bid throughput — {cores} cores ({}), one thread", cpu_model());
    println!(
        "parameters: raw {n} iterations (+{WARM_UP} warm-up) on {} open orders; end-to-end {} blocks x {} txs \
         = {bids} txs; {} seeded active leases; {} providers",
        raw.orders, cfg.blocks, cfg.block_txs, e2e.active_leases, cfg.providers
    );
    println!("----------------------------------------------------------------------------------");
    println!("(a) raw limit (bare WasmHost, in-memory state, pinned contracts)");
    println!("  {:<34} {:>12} {:>12} {:>12}", "operation", "total", "µs / op", "ops / s");
    for (name, d) in [
        ("secp256k1 verify only", raw.verify),
        ("create_bid execute only", raw.execute),
        ("verify + execute (raw limit)", raw.combined),
    ] {
        println!("  {:<34} {:>12.2?} {:>12.1} {:>12.0}", name, d, us_per(d, n), per_sec(d, n));
    }
    println!("  create_bid gas used: {} SDK gas", raw.gas_per_bid);
    println!("(b) end to end (App on redb: CheckTx -> mempool -> FinalizeBlock -> Commit)");
    println!("  {:<34} {:>12} {:>12} {:>12}", "stage", "total", "µs / tx", "ms / block");
    for (name, d) in
        [("CheckTx (Producer::submit)", e2e.check), ("FinalizeBlock + Commit", e2e.produce), ("total", total)]
    {
        println!(
            "  {:<34} {:>12.2?} {:>12.1} {:>12.1}",
            name,
            d,
            us_per(d, bids),
            d.as_secs_f64() * 1e3 / cfg.blocks as f64
        );
    }
    println!("  block of {} txs, check + produce: min {bmin:.1} / median {bmed:.1} / max {bmax:.1} ms", cfg.block_txs);
    println!("  block of {} txs, produce only:    min {pmin:.1} / median {pmed:.1} / max {pmax:.1} ms", cfg.block_txs);
    println!("  create_bid tx gas used: {} SDK gas; final height {}", e2e.gas_per_bid, e2e.height);
    println!("----------------------------------------------------------------------------------");
    println!("  raw limit (a):                {raw_rate:>10.0} bids/s");
    println!("  end to end (b):               {e2e_rate:>10.0} txs/s");
    println!("  ratio (b)/(a):                {:>10.3}", e2e_rate / raw_rate);
    println!(
        "  not measured: raw set-up {:.1?}, seeding {:.1?}; whole run {:.1?}",
        raw.setup,
        e2e.seed,
        run_started.elapsed()
    );
    println!("==================================================================================");
}
