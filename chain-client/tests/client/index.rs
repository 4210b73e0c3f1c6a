//! The indexer against a dev node started in process (a block every 200 ms): a scripted
//! market history of real signed txs — providers register, update and delete, an auditor
//! signs and withdraws attributes, deployments from the example SDLs, bids (won, lost,
//! withdrawn, one refused by the chain), a tenant-accepted lease and an auto-matched one,
//! withdrawals, top-ups by a third party, a relisting lease close, an escrow overdraft that
//! ends a lease for insufficient funds, a deployment close with refunds, a bank send — is
//! indexed, and every table is checked against the chain's own contract queries exactly.
//!
//! Then crash safety: the indexer is stopped by injected faults mid-block (after the raw rows,
//! before the commit) and by aborting its task between blocks, and restarted; `--from-height`
//! rebuilds; each ends with exactly the rows of one clean run (no duplicates, no gaps).
//! PostgreSQL (started from Debian's packages for the test, or SKIPped with a message) gives
//! the same rows as SQLite. Finally the `leasehold index` commands read the database.

#[path = "common/postgres.rs"]
mod pg_server;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cosmwasm_std::{Coin, DecCoin, Decimal256, HexBinary, Uint256};
use leasehold_client::client::tx::{Signer, TxOptions, TxResult};
use leasehold_client::client::{ChainClient, ClientConfig, ClientError, Gas};
use leasehold_client::contracts::{Marketplace, execute_msg};
use leasehold_client::indexer::error::{IndexError, StoreError};
use leasehold_client::indexer::follow::{self, FollowOptions, StoreOpener};
use leasehold_client::indexer::ingest::{FaultHook, Stage};
use leasehold_client::indexer::schema::{DERIVED_TABLES, RAW_TABLES};
use leasehold_client::indexer::store::{self, Row, Sql, Store};
use leasehold_client::indexer::{Contracts, queries};
use leasehold_client::sdl::parse_sdl;
use leasehold_keys::SigningKey;
use leasehold_types::attributes::Attribute;
use leasehold_types::escrow::{self, AccountId, AccountResponse, AccountScope, PaymentsResponse};
use leasehold_types::ids::{BidId, DeploymentId, OrderId};
use leasehold_types::market::{
    self, Bid, BidsResponse, Deployment, DeploymentResponse, DeploymentsResponse, Group, Lease, LeasesResponse, Order,
    OrdersResponse,
};
use leasehold_types::provider::{self as registry, AuditRecord, AuditedAttributesResponse, Provider, ProviderInfo};
use leasehold_types::resources::GroupSpec;
use serde_json::Value as Json;

use crate::common::*;

const GAS: u64 = 3_000_000;
const USDC: &str = "uusdc";
const LEASE: &str = "ulease";

fn coin(amount: u128, denom: &str) -> Coin {
    Coin::new(amount, denom)
}

fn price(amount: &str, denom: &str) -> DecCoin {
    DecCoin { amount: Decimal256::from_str(amount).expect("decimal"), denom: denom.into() }
}

fn signer(name: &str) -> Signer {
    Signer::new(SigningKey::from_mnemonic(dev_mnemonic(name), "", 0).expect("dev key"), PREFIX).expect("signer")
}

fn attrs(pairs: &[(&str, &str)]) -> Vec<Attribute> {
    pairs.iter().map(|(k, v)| Attribute::new(*k, *v)).collect()
}

fn sdl(file: &str) -> (Vec<GroupSpec>, HexBinary) {
    let text = std::fs::read_to_string(example(file)).expect("example SDL");
    let sdl = parse_sdl(&text).expect("valid SDL");
    (sdl.group_specs().expect("group specs"), HexBinary::from(sdl.manifest_hash().to_vec()))
}

/// The dev chain's market with signed txs from the dev accounts.
struct Script {
    client: ChainClient,
    mp: Marketplace,
    results: Vec<TxResult>,
    failed: Vec<String>,
}

impl Script {
    async fn send(
        &mut self,
        who: &mut Signer,
        contract: &str,
        msg: &impl serde::Serialize,
        funds: &[Coin],
    ) -> TxResult {
        let any = execute_msg(who.address(), contract, msg, funds).expect("message");
        let opts = TxOptions { gas: Some(Gas::Fixed(GAS)), ..TxOptions::default() };
        let r = self.client.send_tx(who, vec![any], &opts, &mut |_| {}).await.expect("tx included and successful");
        self.results.push(r.clone());
        r
    }

    async fn market(&mut self, who: &mut Signer, msg: market::ExecuteMsg, funds: &[Coin]) -> TxResult {
        let addr = self.mp.market.address.clone();
        self.send(who, &addr, &msg, funds).await
    }

    async fn registry(&mut self, who: &mut Signer, msg: registry::ExecuteMsg) -> TxResult {
        let addr = self.mp.registry.address.clone();
        self.send(who, &addr, &msg, &[]).await
    }

    async fn escrow(&mut self, who: &mut Signer, msg: escrow::ExecuteMsg, funds: &[Coin]) -> TxResult {
        let addr = self.mp.escrow.address.clone();
        self.send(who, &addr, &msg, funds).await
    }

    /// A market message the chain refuses in DeliverTx (the fee is still paid).
    async fn market_refused(&mut self, who: &mut Signer, msg: market::ExecuteMsg, funds: &[Coin]) {
        let any = self.mp.market.msg(who.address(), &msg, funds).expect("message");
        let opts = TxOptions { gas: Some(Gas::Fixed(GAS)), ..TxOptions::default() };
        match self.client.send_tx(who, vec![any], &opts, &mut |_| {}).await {
            Err(ClientError::TxRejected { hash, code, .. }) => {
                assert_ne!(code, 0);
                self.failed.push(hash);
            }
            other => panic!("expected a refused tx, got {other:?}"),
        }
    }
}

fn register(host: &str, attributes: Vec<Attribute>) -> registry::ExecuteMsg {
    registry::ExecuteMsg::Register {
        host_uri: host.into(),
        attributes,
        info: ProviderInfo { email: "ops@example.com".into(), website: String::new() },
    }
}

fn create(dseq: u64, file: &str, auto_match: bool) -> market::ExecuteMsg {
    let (groups, hash) = sdl(file);
    market::ExecuteMsg::CreateDeployment { dseq, hash, groups, auto_match }
}

/// Plays the market history; returns the script with every tx result and the last height.
async fn play(chain: &TestChain) -> (Script, u64) {
    let client = ChainClient::connect(ClientConfig { endpoint: chain.url.clone(), ..ClientConfig::default() })
        .await
        .expect("client");
    let mp = Marketplace::discover(&client, &chain.contracts.market).await.expect("marketplace");
    let mut s = Script { client, mp, results: Vec::new(), failed: Vec::new() };
    let (mut tenant, mut gpu, mut cpu, mut auditor, mut admin) =
        (signer("tenant"), signer("provider-gpu"), signer("provider-cpu"), signer("auditor"), signer("admin"));
    let (tenant_a, gpu_a, cpu_a, auditor_a) =
        (dev_address("tenant"), dev_address("provider-gpu"), dev_address("provider-cpu"), dev_address("auditor"));

    // Providers: register (three), update one, delete one; audits signed and withdrawn.
    let gpu_attrs = attrs(&[
        ("region", "eu-west"),
        ("tier", "datacenter"),
        ("capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi/interface/sxm", "true"),
        ("capabilities/storage/1/class", "beta3"),
        ("capabilities/storage/1/persistent", "true"),
    ]);
    s.registry(&mut gpu, register("https://gpu.example.com:8443", gpu_attrs)).await;
    s.registry(&mut cpu, register("https://cpu.example.com", attrs(&[("region", "eu-west"), ("tier", "community")])))
        .await;
    s.registry(&mut admin, register("https://admin.example.com", attrs(&[("region", "us-east")]))).await;
    s.registry(
        &mut auditor,
        registry::ExecuteMsg::SignAttributes {
            owner: gpu_a.clone(),
            attributes: attrs(&[("tier", "datacenter"), ("region", "eu-west")]),
        },
    )
    .await;
    s.registry(
        &mut auditor,
        registry::ExecuteMsg::SignAttributes {
            owner: cpu_a.clone(),
            attributes: attrs(&[("region", "eu-west"), ("tier", "community")]),
        },
    )
    .await;
    s.registry(
        &mut auditor,
        registry::ExecuteMsg::DeleteAttributes { owner: cpu_a.clone(), keys: Some(vec!["tier".into()]) },
    )
    .await;
    s.registry(
        &mut cpu,
        registry::ExecuteMsg::Update {
            host_uri: "https://cpu2.example.com:443".into(),
            attributes: attrs(&[("region", "eu-west"), ("tier", "community"), ("cpu", "epyc")]),
            info: ProviderInfo { email: String::new(), website: "https://cpu.example.com".into() },
        },
    )
    .await;
    s.registry(&mut admin, registry::ExecuteMsg::Delete {}).await;

    // Deployments: a GPU one, an auto-matched CPU one, a two-group one.
    s.market(&mut tenant, create(101, "gpu-inference.yaml", false), &[coin(5_000_000, USDC)]).await;
    let d2 = s.market(&mut tenant, create(102, "web-service.yaml", true), &[coin(5_000_000, LEASE)]).await;
    s.market(&mut tenant, create(103, "multi-group.yaml", false), &[coin(5_000_000, USDC)]).await;
    let order = |dseq, gseq, oseq| DeploymentId::new(tenant_a.clone(), dseq).group(gseq).order(oseq);
    let bid = |o: OrderId, p: &str| o.bid(p);

    // Bids: the GPU order, two on the CPU order (the cheaper wins by auto-match), one withdrawn,
    // one above the ceiling (refused).
    s.market(
        &mut gpu,
        market::ExecuteMsg::CreateBid { order: order(101, 1, 1), price: price("3000", USDC) },
        &[coin(500_000, USDC)],
    )
    .await;
    s.market(
        &mut gpu,
        market::ExecuteMsg::CreateBid { order: order(102, 1, 1), price: price("200", LEASE) },
        &[coin(500_000, LEASE)],
    )
    .await;
    s.market(
        &mut cpu,
        market::ExecuteMsg::CreateBid { order: order(102, 1, 1), price: price("250.5", LEASE) },
        &[coin(500_000, LEASE)],
    )
    .await;
    s.market(
        &mut cpu,
        market::ExecuteMsg::CreateBid { order: order(103, 1, 1), price: price("400", USDC) },
        &[coin(500_000, USDC)],
    )
    .await;
    s.market(&mut cpu, market::ExecuteMsg::CloseBid { bid: bid(order(103, 1, 1), &cpu_a) }, &[]).await;
    s.market_refused(
        &mut gpu,
        market::ExecuteMsg::CreateBid { order: order(103, 1, 1), price: price("999999", USDC) },
        &[coin(500_000, USDC)],
    )
    .await;

    // Leases: the tenant accepts the GPU bid; anyone matches the CPU order after the window.
    s.market(&mut tenant, market::ExecuteMsg::CreateLease { bid: bid(order(101, 1, 1), &gpu_a) }, &[]).await;
    let matchable: u64 = d2
        .events_of("wasm-order-created")
        .find_map(|e| e.attributes.iter().find(|(k, _)| k == "matchable_at").map(|(_, v)| v.parse().expect("height")))
        .expect("order-created");
    chain.wait_for_height(matchable).await;
    s.market(&mut auditor, market::ExecuteMsg::MatchOrder { order: order(102, 1, 1) }, &[]).await;

    // Payments: the GPU provider withdraws; the auditor tops the tenant's escrow up.
    let lease1 = bid(order(101, 1, 1), &gpu_a);
    let h = s.client.latest_block().await.expect("height").0;
    chain.wait_for_height(h + 3).await;
    s.escrow(&mut gpu, escrow::ExecuteMsg::Withdraw { id: escrow::PaymentId::for_lease(&lease1) }, &[]).await;
    let d1_account = AccountId::deployment(&DeploymentId::new(tenant_a.clone(), 101));
    s.escrow(&mut auditor, escrow::ExecuteMsg::Deposit { id: d1_account.clone() }, &[coin(1_000_000, USDC)]).await;
    s.escrow(&mut gpu, escrow::ExecuteMsg::Withdraw { id: escrow::PaymentId::for_lease(&lease1) }, &[]).await;
    // The tenant closes the GPU lease: the order is relisted (oseq 2).
    s.market(&mut tenant, market::ExecuteMsg::CloseLease { lease: lease1, reason: None }, &[]).await;

    // An overdraft: 5 ulease-millions of deposit at 2,000,000 per block run out in 2 blocks;
    // a settlement by anyone finds it, the lease ends for insufficient funds; a deposit reopens.
    let (mut groups, hash) = sdl("web-service.yaml");
    for r in &mut groups[0].resources {
        r.price = price("1000000", LEASE);
    }
    s.market(
        &mut tenant,
        market::ExecuteMsg::CreateDeployment { dseq: 104, hash, groups, auto_match: false },
        &[coin(5_000_000, LEASE)],
    )
    .await;
    s.market(
        &mut cpu,
        market::ExecuteMsg::CreateBid { order: order(104, 1, 1), price: price("2000000", LEASE) },
        &[coin(500_000, LEASE)],
    )
    .await;
    let leased =
        s.market(&mut tenant, market::ExecuteMsg::CreateLease { bid: bid(order(104, 1, 1), &cpu_a) }, &[]).await;
    chain.wait_for_height(leased.height + 4).await;
    let d4_account = AccountId::deployment(&DeploymentId::new(tenant_a.clone(), 104));
    let settled = s.escrow(&mut auditor, escrow::ExecuteMsg::Settle { id: d4_account.clone() }, &[]).await;
    assert!(settled.events_of("wasm-escrow-overdrawn").next().is_some(), "the settlement found the overdraft");
    assert!(settled.events_of("wasm-lease-closed").next().is_some(), "the lease ended for insufficient funds");
    s.escrow(&mut tenant, escrow::ExecuteMsg::Deposit { id: d4_account }, &[coin(700_000, LEASE)]).await;

    // A lease left running (its escrow accrues while the test compares).
    s.market(&mut tenant, create(105, "web-service.yaml", false), &[coin(5_000_000, LEASE)]).await;
    s.market(
        &mut cpu,
        market::ExecuteMsg::CreateBid { order: order(105, 1, 1), price: price("120", LEASE) },
        &[coin(500_000, LEASE)],
    )
    .await;
    s.market(&mut tenant, market::ExecuteMsg::CreateLease { bid: bid(order(105, 1, 1), &cpu_a) }, &[]).await;

    // A bank send, and the auto-matched deployment closed (lease paid, deposit refunded).
    let send = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: tenant_a.clone(),
        to_address: auditor_a.clone(),
        amount: vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin { denom: LEASE.into(), amount: "1234".into() }],
    };
    let any = cosmos_sdk_proto::Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: prost::Message::encode_to_vec(&send),
    };
    let opts = TxOptions { gas: Some(Gas::Fixed(200_000)), ..TxOptions::default() };
    let r = s.client.send_tx(&mut tenant, vec![any], &opts, &mut |_| {}).await.expect("bank send");
    s.results.push(r);
    s.market(&mut tenant, market::ExecuteMsg::CloseDeployment { dseq: 102 }, &[]).await;

    let last = s.results.iter().map(|r| r.height).max().expect("txs");
    (s, last)
}

// ---------------------------------------------------------------------------------------------
// The chain's view and the index's view
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Snapshot {
    deployments: Vec<Deployment>,
    groups: Vec<Group>,
    orders: Vec<Order>,
    bids: Vec<Bid>,
    leases: Vec<Lease>,
    providers: Vec<Provider>,
    audits: Vec<AuditRecord>,
}

async fn chain_snapshot(s: &Script, provider_addrs: &[String]) -> Snapshot {
    let (c, m) = (&s.client, &s.mp);
    let mut snap = Snapshot::default();
    let mut after: Option<DeploymentId> = None;
    loop {
        let page: DeploymentsResponse = m
            .market
            .query(
                c,
                &market::QueryMsg::Deployments { owner: None, state: None, start_after: after.clone(), limit: Some(7) },
            )
            .await
            .expect("deployments");
        let Some(last) = page.deployments.last() else { break };
        after = Some(last.id.clone());
        snap.deployments.extend(page.deployments);
    }
    for d in &snap.deployments {
        let r: DeploymentResponse =
            m.market.query(c, &market::QueryMsg::Deployment { id: d.id.clone() }).await.expect("deployment");
        snap.groups.extend(r.groups);
    }
    let mut after: Option<OrderId> = None;
    loop {
        let page: OrdersResponse = m
            .market
            .query(
                c,
                &market::QueryMsg::Orders { owner: None, state: None, start_after: after.clone(), limit: Some(3) },
            )
            .await
            .expect("orders");
        let Some(last) = page.orders.last() else { break };
        after = Some(last.order.id.clone());
        snap.orders.extend(page.orders.into_iter().map(|o| o.order));
    }
    let mut after: Option<BidId> = None;
    loop {
        let q = market::QueryMsg::Bids {
            order: None,
            provider: None,
            state: None,
            start_after: after.clone(),
            limit: Some(3),
        };
        let page: BidsResponse = m.market.query(c, &q).await.expect("bids");
        let Some(last) = page.bids.last() else { break };
        after = Some(last.id.clone());
        snap.bids.extend(page.bids);
    }
    let mut after: Option<BidId> = None;
    loop {
        let q = market::QueryMsg::Leases {
            owner: None,
            provider: None,
            state: None,
            start_after: after.clone(),
            limit: Some(2),
        };
        let page: LeasesResponse = m.market.query(c, &q).await.expect("leases");
        let Some(last) = page.leases.last() else { break };
        after = Some(last.id.clone());
        snap.leases.extend(page.leases);
    }
    let providers: registry::ProvidersResponse = m
        .registry
        .query(c, &registry::QueryMsg::Providers { attribute: None, start_after: None, limit: Some(100) })
        .await
        .expect("providers");
    snap.providers = providers.providers;
    for owner in provider_addrs {
        let r: AuditedAttributesResponse = m
            .registry
            .query(
                c,
                &registry::QueryMsg::AuditedAttributes { owner: owner.clone(), start_after: None, limit: Some(100) },
            )
            .await
            .expect("audits");
        snap.audits.extend(r.records);
    }
    snap.deployments.sort_by(|a, b| a.id.cmp(&b.id));
    snap.groups.sort_by(|a, b| a.id.cmp(&b.id));
    snap.orders.sort_by(|a, b| a.id.cmp(&b.id));
    snap.bids.sort_by(|a, b| a.id.cmp(&b.id));
    snap.leases.sort_by(|a, b| a.id.cmp(&b.id));
    snap.providers.sort_by(|a, b| a.owner.cmp(&b.owner));
    snap.audits.sort_by(|a, b| (&a.owner, &a.auditor).cmp(&(&b.owner, &b.auditor)));
    snap
}

/// Everything the index holds: the records as the contracts' types, escrow rows, and every
/// table's rows (sorted) for exact comparisons between databases.
#[derive(Debug)]
struct IndexView {
    snap: Snapshot,
    accounts: Vec<leasehold_client::indexer::escrow::AccountRow>,
    payments: Vec<leasehold_client::indexer::escrow::PaymentRow>,
    tables: BTreeMap<String, Vec<Row>>,
    last_height: u64,
}

fn read_index(sql: &mut dyn Sql) -> IndexView {
    let mut snap = Snapshot {
        deployments: queries::deployments(sql).expect("deployments"),
        groups: queries::groups(sql).expect("groups"),
        orders: queries::orders(sql).expect("orders"),
        bids: queries::bids(sql).expect("bids"),
        leases: queries::leases(sql).expect("leases"),
        providers: queries::providers(sql).expect("providers"),
        audits: queries::audits(sql).expect("audits"),
    };
    snap.deployments.sort_by(|a, b| a.id.cmp(&b.id));
    snap.groups.sort_by(|a, b| a.id.cmp(&b.id));
    snap.orders.sort_by(|a, b| a.id.cmp(&b.id));
    snap.bids.sort_by(|a, b| a.id.cmp(&b.id));
    snap.leases.sort_by(|a, b| a.id.cmp(&b.id));
    snap.providers.sort_by(|a, b| a.owner.cmp(&b.owner));
    let mut tables = BTreeMap::new();
    for t in RAW_TABLES.iter().chain(DERIVED_TABLES.iter()) {
        let mut rows = sql.query(&format!("SELECT * FROM {t}"), &[]).expect("table rows");
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        tables.insert(t.to_string(), rows);
    }
    IndexView {
        snap,
        accounts: queries::escrow_accounts(sql).expect("accounts"),
        payments: queries::escrow_payments(sql).expect("payments"),
        tables,
        last_height: leasehold_client::indexer::schema::last_height(sql).expect("last height"),
    }
}

/// Reads the index at `location` on a blocking thread (PostgreSQL's client must not run in
/// the async runtime).
async fn index_view(location: &str) -> IndexView {
    let location = location.to_string();
    tokio::task::spawn_blocking(move || {
        let mut s = store::open(&location).expect("open index");
        read_index(s.as_mut())
    })
    .await
    .expect("read task")
}

fn opener(location: &str) -> StoreOpener {
    let location = location.to_string();
    Box::new(move || store::open(&location))
}

async fn index(
    s: &Script,
    location: &str,
    contracts: &Contracts,
    opts: FollowOptions,
) -> Result<follow::Summary, IndexError> {
    follow::run(&s.client, contracts.clone(), opener(location), opts, |_| {}).await
}

fn until(h: u64) -> FollowOptions {
    FollowOptions { until: Some(h), poll: Duration::from_millis(50), ..FollowOptions::default() }
}

/// Every table of the index equals the chain's own answers.
async fn assert_matches_chain(s: &Script, view: &IndexView, provider_addrs: &[String]) {
    let chain = chain_snapshot(s, provider_addrs).await;
    assert_eq!(view.snap.deployments, chain.deployments, "deployments");
    assert_eq!(view.snap.groups, chain.groups, "groups");
    assert_eq!(view.snap.orders, chain.orders, "orders");
    assert_eq!(view.snap.bids, chain.bids, "bids");
    assert_eq!(view.snap.leases, chain.leases, "leases");
    assert_eq!(view.snap.providers, chain.providers, "providers");
    assert_eq!(view.snap.audits, chain.audits, "audit records");
    assert_eq!(chain.deployments.len(), 5);
    assert!(chain.leases.iter().any(|l| l.state == market::LeaseState::InsufficientFunds));

    // Every account the market opened is indexed, and each equals the escrow's `Account`
    // query settled to the height the query ran at.
    let mut expected: Vec<String> = chain
        .deployments
        .iter()
        .map(|d| AccountId::deployment(&d.id).to_string())
        .chain(chain.bids.iter().map(|b| AccountId::bid(&b.id).to_string()))
        .collect();
    expected.sort();
    let mut indexed: Vec<String> = view.accounts.iter().map(|a| a.account.clone()).collect();
    indexed.sort();
    assert_eq!(indexed, expected, "escrow accounts");
    for row in &view.accounts {
        let id = AccountId {
            scope: if row.scope == "bid" { AccountScope::Bid } else { AccountScope::Deployment },
            xid: row.xid.clone(),
        };
        let resp: AccountResponse =
            s.mp.escrow.query(&s.client, &escrow::QueryMsg::Account { id: id.clone() }).await.expect("account");
        let at = row.at(resp.account.settled_at.max(row.settled_at));
        assert_eq!(queries::escrow_account(&at.account).expect("account"), resp.account, "escrow account {id}");
        assert_eq!(at.balance, resp.balance, "balance of {id}");
        assert_eq!(at.overdrawn_now, resp.overdrawn_now, "{id}");
        let payments: PaymentsResponse = s
            .mp
            .escrow
            .query(&s.client, &escrow::QueryMsg::Payments { account: id.clone(), start_after: None, limit: Some(100) })
            .await
            .expect("payments");
        let mine: Vec<_> = view.payments.iter().filter(|p| p.account == row.account).collect();
        assert_eq!(mine.len(), payments.payments.len(), "payments of {id}");
        for (p, c) in mine.iter().zip(&payments.payments) {
            let mut p = (*p).clone();
            let acc = row.at(c.settled_at.max(row.settled_at)).account;
            p.sync(&acc);
            assert_eq!(queries::escrow_payment(&p).expect("payment"), *c, "payment {}", c.id);
        }
    }
    assert!(view.payments.iter().any(|p| p.state == "overdrawn"));
    assert!(view.accounts.iter().any(|a| a.rate > Decimal256::zero()), "an account still pays");
}

/// The raw log holds every scripted tx with its outcome and every event it emitted, and the
/// histories add up.
fn assert_raw_log(s: &Script, view: &IndexView) {
    let txs = &view.tables["txs"];
    let by_hash: BTreeMap<String, &Row> = txs.iter().map(|r| (r.text(2).expect("hash"), r)).collect();
    for r in &s.results {
        let row = by_hash.get(&r.hash).unwrap_or_else(|| panic!("tx {} not indexed", r.hash));
        assert_eq!(row.u64(0).expect("height"), r.height);
        assert_eq!(row.int(3).expect("code"), 0);
        assert_eq!(row.u64(7).expect("gas_used"), r.gas_used);
        let tx_index = row.u64(1).expect("index");
        let events = view.tables["events"]
            .iter()
            .filter(|e| e.u64(0).ok() == Some(r.height) && e.u64(1).ok() == Some(tx_index))
            .count();
        assert_eq!(events, r.events.len(), "events of {}", r.hash);
    }
    for h in &s.failed {
        let row = by_hash.get(h).unwrap_or_else(|| panic!("failed tx {h} not indexed"));
        assert_ne!(row.int(3).expect("code"), 0, "the refused tx keeps its code");
    }
    // Blocks 1..=last, each once.
    let heights: Vec<u64> = view.tables["blocks"].iter().map(|r| r.u64(0).expect("height")).collect();
    assert_eq!(heights, (1..=view.last_height).collect::<Vec<_>>(), "no gaps, no duplicates");
    assert!(
        view.tables["transfers"]
            .iter()
            .any(|r| r.text(7).ok().as_deref() == Some(LEASE) && r.text(6).ok().as_deref() == Some("1234"))
    );
    // Each lease's history starts active and ends in its state.
    for l in &view.snap.leases {
        let hist: Vec<&Row> = view.tables["lease_history"]
            .iter()
            .filter(|r| {
                r.text(3).ok() == Some(l.id.owner.clone())
                    && r.u64(4).ok() == Some(l.id.dseq)
                    && r.u32(5).ok() == Some(l.id.gseq)
                    && r.u32(6).ok() == Some(l.id.oseq)
                    && r.text(7).ok() == Some(l.id.provider.clone())
            })
            .collect();
        let states: Vec<String> = hist.iter().map(|r| r.text(8).expect("state")).collect();
        let want = serde_json::to_value(l.state).expect("state").as_str().expect("string").to_string();
        assert_eq!(states.first().map(String::as_str), Some("active"), "{}", l.id);
        assert_eq!(states.last(), Some(&want), "{}", l.id);
    }
    // Each payment's payouts in the ledger add up to what it paid.
    for p in &view.payments {
        let paid: Uint256 = view.tables["escrow_ledger"]
            .iter()
            .filter(|r| {
                r.text(3).ok() == Some(p.account.clone()) && r.opt_text(4).ok().flatten() == Some(p.payment.clone())
            })
            .map(|r| r.parse::<Uint256>(7).expect("amount") + r.parse::<Uint256>(8).expect("take"))
            .sum();
        assert_eq!(paid, p.paid(), "ledger of payment {}/{}", p.account, p.payment);
    }
}

fn fail_at(height: u64, stage: Stage, fired: Arc<AtomicU64>) -> FaultHook {
    Arc::new(move |h, s| {
        if h == height && s == stage && fired.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(StoreError::Injected { height: h, stage: s.name() });
        }
        Ok(())
    })
}

/// The last indexed height, read on a blocking thread.
async fn last_height(location: &str) -> u64 {
    index_view(location).await.last_height
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexer_matches_the_chain_survives_crashes_and_agrees_across_backends() {
    let chain = TestChain::start().await;
    let (s, last) = play(&chain).await;
    let contracts = Contracts::from(&s.mp);
    let providers = [dev_address("provider-gpu"), dev_address("provider-cpu"), dev_address("admin")];
    let dir = tempfile::tempdir().expect("temp dir");
    let db = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

    // 1. One clean run: every table matches the chain.
    let clean = db("clean.db");
    let summary = index(&s, &clean, &contracts, until(last)).await.expect("index");
    assert_eq!((summary.first, summary.last, summary.blocks), (Some(1), last, last));
    let reference = index_view(&clean).await;
    assert_eq!(reference.last_height, last);
    assert_matches_chain(&s, &reference, &providers).await;
    assert_raw_log(&s, &reference);
    // Running again adds nothing.
    let again = index(&s, &clean, &contracts, until(last)).await.expect("index again");
    assert_eq!(again.blocks, 0);
    assert_eq!(index_view(&clean).await.tables, reference.tables);

    // 2. Crashes: a fault after the raw rows of a block with txs, one just before a commit,
    //    and the task aborted between blocks; each restart resumes exactly.
    let tx_heights: Vec<u64> = s.results.iter().map(|r| r.height).collect();
    let (h1, h2) = (tx_heights[3], tx_heights[tx_heights.len() / 2]);
    let crashed = db("crashed.db");
    let fired = Arc::new(AtomicU64::new(0));
    let opts = FollowOptions { hook: Some(fail_at(h1, Stage::RawWritten, fired.clone())), ..until(last) };
    let err = index(&s, &crashed, &contracts, opts).await.expect_err("injected fault");
    assert!(matches!(err, IndexError::Store(StoreError::Injected { height, .. }) if height == h1), "{err}");
    let view = index_view(&crashed).await;
    assert_eq!(view.last_height, h1 - 1, "the failed block left nothing");
    assert!(view.tables["blocks"].iter().all(|r| r.u64(0).expect("height") < h1));
    assert!(view.tables["txs"].iter().all(|r| r.u64(0).expect("height") < h1));
    let fired = Arc::new(AtomicU64::new(0));
    let opts = FollowOptions { hook: Some(fail_at(h2, Stage::BeforeCommit, fired)), ..until(last) };
    index(&s, &crashed, &contracts, opts).await.expect_err("injected fault");
    assert_eq!(last_height(&crashed).await, h2 - 1);
    // Abort the task while it writes: the block after `target` is held in the store worker
    // until the task is aborted, then finishes (committed whole), and the worker stops.
    let target = h2 + (last - h2) / 3;
    let seen = Arc::new(AtomicU64::new(0));
    let released = Arc::new(AtomicU64::new(0));
    let hold: FaultHook = {
        let (seen, released) = (seen.clone(), released.clone());
        Arc::new(move |h, stage| {
            seen.store(h, Ordering::SeqCst);
            if h > target && stage == Stage::BeforeCommit {
                let deadline = std::time::Instant::now() + Duration::from_secs(30);
                while released.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Ok(())
        })
    };
    let task = {
        let (client, contracts, loc) = (s.client.clone(), contracts.clone(), crashed.clone());
        let opts = FollowOptions { hook: Some(hold), ..until(last) };
        tokio::spawn(async move { follow::run(&client, contracts, opener(&loc), opts, |_| {}).await })
    };
    while seen.load(Ordering::SeqCst) <= target {
        assert!(!task.is_finished(), "the run ended before it could be aborted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    let _ = task.await;
    released.store(1, Ordering::SeqCst);
    let stopped_at = last_height(&crashed).await;
    assert!(stopped_at >= h2 && stopped_at < last, "aborted mid-run at {stopped_at}");
    index(&s, &crashed, &contracts, until(last)).await.expect("resume");
    assert_eq!(index_view(&crashed).await.tables, reference.tables, "after crashes: exactly the clean run's rows");

    // 3. Re-index from a height, and from scratch: the same rows again.
    index(&s, &crashed, &contracts, FollowOptions { from_height: Some(h1), ..until(last) }).await.expect("re-index");
    assert_eq!(index_view(&crashed).await.tables, reference.tables, "re-indexed from {h1}");
    index(&s, &crashed, &contracts, FollowOptions { from_height: Some(1), ..until(last) }).await.expect("re-index all");
    assert_eq!(index_view(&crashed).await.tables, reference.tables, "re-indexed from scratch");
    // Another chain's marketplace is refused.
    let other = Contracts { market: "lease1other".into(), ..contracts.clone() };
    let err = index(&s, &crashed, &other, until(last)).await.expect_err("wrong market");
    assert!(err.to_string().contains("market contract"), "{err}");

    // 4. PostgreSQL: the same rows as SQLite, and the same crash recovery.
    match tokio::task::spawn_blocking(pg_server::TestPostgres::start).await.expect("start task") {
        Err(reason) => eprintln!("SKIP: PostgreSQL part of the indexer test: {reason}"),
        Ok(pg) => {
            eprintln!("PostgreSQL test server at {}", pg.url);
            let fired = Arc::new(AtomicU64::new(0));
            let opts = FollowOptions { hook: Some(fail_at(h2, Stage::RawWritten, fired)), ..until(last) };
            index(&s, &pg.url, &contracts, opts).await.expect_err("injected fault");
            assert_eq!(last_height(&pg.url).await, h2 - 1);
            index(&s, &pg.url, &contracts, until(last)).await.expect("index into PostgreSQL");
            let view = index_view(&pg.url).await;
            assert_eq!(view.tables, reference.tables, "PostgreSQL holds exactly SQLite's rows");
            assert_matches_chain(&s, &view, &providers).await;
            let pg_leases = queries_on(&pg.url, |s| queries::lease_infos(s, &Default::default())).await;
            let sqlite_leases = queries_on(&clean, |s| queries::lease_infos(s, &Default::default())).await;
            assert_eq!(pg_leases, sqlite_leases);
            tokio::task::spawn_blocking(move || drop(pg)).await.expect("stop PostgreSQL");
        }
    }

    // 5. The CLI: `index run` into a new file, then the queries.
    let cli = Cli::new(&chain.url);
    let cli_db = db("cli.db");
    let run =
        cli.ok(&["index", "run", "--db", &cli_db, "--until", &last.to_string(), "--market", &contracts.market]).await;
    assert!(run.stderr.contains(&format!("indexed height {last}/")), "progress: {}", run.stderr);
    let (status, _) = cli.json(&["index", "query", "status", "--db", &cli_db]).await;
    assert_eq!(status["last_height"], last);
    let (leases, _) =
        cli.json(&["index", "query", "leases", "--db", &cli_db, "--provider", &dev_address("provider-cpu")]).await;
    check_lease_infos(&s, &leases).await;
    let (stats, _) = cli.json(&["index", "query", "provider-stats", "--db", &cli_db]).await;
    let gpu = stats
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["provider"] == dev_address("provider-gpu"))
        .expect("gpu provider");
    assert_eq!((gpu["leases_won"].as_u64(), gpu["bids_lost"].as_u64()), (Some(2), Some(0)));
    let cpu = stats
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["provider"] == dev_address("provider-cpu"))
        .expect("cpu provider");
    assert_eq!((cpu["leases_won"].as_u64(), cpu["bids_lost"].as_u64()), (Some(2), Some(1)));
    let h100 = gpu["lease_prices"]
        .as_array()
        .expect("prices")
        .iter()
        .find(|k| k["resource_kind"] == "gpu:nvidia/h100")
        .expect("h100 price");
    assert_eq!(h100["median_price"], "3000");
    let (market, _) = cli.json(&["index", "query", "market-stats", "--db", &cli_db]).await;
    assert_eq!(
        market["open_orders"].as_u64(),
        Some(reference.snap.orders.iter().filter(|o| o.state == market::OrderState::Open).count() as u64)
    );
    let table = cli.ok(&["index", "query", "leases", "--db", &cli_db, "-o", "table"]).await;
    assert!(table.stdout.starts_with("LEASE"), "{}", table.stdout);
    cli.run(&["index", "query", "leases", "--db", &cli_db, "--state", "bogus"]).await.assert_error(2, "--state");
    cli.run(&["index", "query", "status", "--db", "postgres://nobody@127.0.0.1:1/x"])
        .await
        .assert_error(1, "PostgreSQL");
    chain.stop().await;
}

/// Runs a query on a blocking thread.
async fn queries_on<T: Send + 'static>(
    location: &str,
    f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError> + Send + 'static,
) -> T {
    let location = location.to_string();
    tokio::task::spawn_blocking(move || {
        let mut s: Box<dyn Store> = store::open(&location).expect("open");
        f(s.as_mut()).expect("query")
    })
    .await
    .expect("query task")
}

/// `index query leases` agrees with the escrow's payments: what each lease paid.
async fn check_lease_infos(s: &Script, leases: &Json) {
    let leases = leases.as_array().expect("leases");
    assert_eq!(leases.len(), 2, "the CPU provider's leases");
    for l in leases {
        let id = BidId {
            owner: l["tenant"].as_str().expect("tenant").into(),
            dseq: l["dseq"].as_u64().expect("dseq"),
            gseq: l["gseq"].as_u64().expect("gseq") as u32,
            oseq: l["oseq"].as_u64().expect("oseq") as u32,
            provider: l["provider"].as_str().expect("provider").into(),
        };
        let p: escrow::Payment =
            s.mp.escrow
                .query(&s.client, &escrow::QueryMsg::Payment { id: escrow::PaymentId::for_lease(&id) })
                .await
                .expect("payment");
        assert_eq!(l["paid"].as_str(), Some((p.withdrawn + p.take).to_string().as_str()), "{id}");
        match l["state"].as_str() {
            Some("active") => assert!(l["runway_blocks"].as_u64().is_some_and(|b| b > 1000), "{l}"),
            Some("insufficient_funds") => assert!(l["runway_blocks"].is_null()),
            other => panic!("unexpected state {other:?}"),
        }
    }
}
