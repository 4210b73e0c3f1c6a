//! The provider bid engine against a dev node: real signed registrations, bids, lease closes and
//! withdrawals; every decision checked against the chain's own queries.
//!
//! The tests drive [`BidEngine::tick`] themselves (one round per new block) so each step's
//! decisions and events can be asserted exactly; `run` is the same loop with a sleep.

use std::path::Path;
use std::time::{Duration, Instant};

use cosmwasm_std::{Coin, DecCoin, Decimal256, HexBinary, Uint256};
use leasehold_client::bidengine::{BidEngine, Decision, EngineConfig, EngineEvent, SkipReason, TickReport};
use leasehold_client::client::tx::{Signer, TxOptions, TxResult};
use leasehold_client::client::{ChainClient, ClientConfig};
use leasehold_client::contracts::Marketplace;
use leasehold_keys::SigningKey;
use leasehold_types::attributes::{Attribute, SignedBy};
use leasehold_types::escrow::{self, Payment, PaymentId};
use leasehold_types::ids::{BidId, OrderId};
use leasehold_types::market::{self, Bid, BidState, BidsResponse, Lease, LeaseCloseReason, LeaseState};
use leasehold_types::provider as registry;
use leasehold_types::resources::{
    GIB, GpuModel, GpuRequest, GroupSpec, PlacementRequirements, ResourceUnit, StorageVolume,
};

use crate::common::*;

const USDC: &str = "uusdc";

fn signer(name: &str) -> Signer {
    Signer::new(SigningKey::from_mnemonic(dev_mnemonic(name), "", 0).expect("dev key"), PREFIX).expect("signer")
}

async fn client(chain: &TestChain) -> ChainClient {
    ChainClient::connect(ClientConfig { endpoint: chain.url.clone(), ..ClientConfig::default() }).await.expect("client")
}

/// A GPU provider config: `gpus` H100s on one node, scale prices, the given extra YAML.
fn gpu_config(key: &str, gpus: u32, gpu_price: &str, extra: &str, state: &Path) -> EngineConfig {
    let gpu_block = if gpus > 0 {
        format!(
            "    gpus:\n      - vendor: nvidia\n        model: h100\n        ram: 80Gi\n        interface: sxm\n        count: {gpus}\n"
        )
    } else {
        String::new()
    };
    let text = format!(
        "key: {key}\nhost_uri: https://{key}.example\nattributes:\n  region: us-west\n  tier: datacenter\n\
         inventory:\n  - name: node-1\n    cpu: 32\n    memory: 256Gi\n    storage:\n      - class: default\n        size: 1Ti\n{gpu_block}\
         pricing:\n  denom: uusdc\n  strategy: scale\n  scale:\n    cpu: 8\n    memory: 1\n    storage:\n      default: 0.05\n    endpoint: 5\n    gpu:\n      h100: {gpu_price}\n\
         poll_interval_ms: 100\nstate_dir: {}\n{extra}",
        state.display()
    );
    EngineConfig::parse(&text, Path::new(".")).expect("test config")
}

fn usdc(amount: &str) -> DecCoin {
    DecCoin::new(amount.parse::<Decimal256>().expect("decimal"), USDC)
}

/// One unit: `cpu` cores, `mem` GiB, 10 GiB storage, `gpus` of `model` ("" for none).
fn unit(cpu: u64, mem: u64, gpus: u32, model: &str, count: u32, price: DecCoin) -> ResourceUnit {
    ResourceUnit {
        id: 1,
        cpu_millis: cpu * 1000,
        memory_bytes: mem * GIB,
        storage: vec![StorageVolume { name: "root".into(), size_bytes: 10 * GIB, class: None, persistent: false }],
        gpu: GpuRequest {
            units: gpus,
            models: if gpus > 0 {
                vec![GpuModel { vendor: "nvidia".into(), model: model.into(), ram: None, interface: None }]
            } else {
                vec![]
            },
        },
        endpoints: vec![],
        count,
        price,
    }
}

fn group(u: ResourceUnit) -> GroupSpec {
    GroupSpec { name: "g".into(), requirements: PlacementRequirements::default(), resources: vec![u] }
}

struct Market {
    chain: TestChain,
    client: ChainClient,
    mp: Marketplace,
    tenant: Signer,
}

impl Market {
    async fn start() -> Market {
        let chain = TestChain::start().await;
        let client = client(&chain).await;
        let mp = Marketplace::discover(&client, &chain.contracts.market).await.expect("marketplace");
        Market { chain, client, mp, tenant: signer("tenant") }
    }

    async fn engine(&self, key: &str, config: EngineConfig) -> BidEngine {
        BidEngine::start(self.client.clone(), self.mp.clone(), signer(key), config).await.expect("engine starts")
    }

    /// Creates deployment `dseq` with one group; its order is `tenant/dseq/1/1`.
    async fn deploy(&mut self, dseq: u64, spec: GroupSpec, auto_match: bool) -> OrderId {
        let denom = spec.denom().to_string();
        let msg = market::ExecuteMsg::CreateDeployment {
            dseq,
            hash: HexBinary::from(vec![7u8; 32]),
            groups: vec![spec],
            auto_match,
        };
        let deposit = Coin { denom, amount: Uint256::from(50_000_000u128) };
        self.exec_market(&msg, &[deposit]).await;
        OrderId { owner: self.tenant.address().to_string(), dseq, gseq: 1, oseq: 1 }
    }

    async fn exec_market(&mut self, msg: &market::ExecuteMsg, funds: &[Coin]) -> TxResult {
        let market = self.mp.market.clone();
        market
            .execute(&self.client, &mut self.tenant, msg, funds, &TxOptions::default(), &mut |_| {})
            .await
            .expect("tenant tx")
    }

    async fn bids_on(&self, order: &OrderId) -> Vec<Bid> {
        let r: BidsResponse = self
            .mp
            .market
            .query(
                &self.client,
                &market::QueryMsg::Bids {
                    order: Some(order.clone()),
                    provider: None,
                    state: None,
                    start_after: None,
                    limit: None,
                },
            )
            .await
            .expect("bids");
        r.bids
    }

    async fn lease(&self, id: &BidId) -> Lease {
        self.mp.market.query(&self.client, &market::QueryMsg::Lease { id: id.clone() }).await.expect("lease")
    }

    async fn payment(&self, id: &BidId) -> Payment {
        self.mp
            .escrow
            .query(&self.client, &escrow::QueryMsg::Payment { id: PaymentId::for_lease(id) })
            .await
            .expect("payment")
    }

    async fn usdc_balance(&self, address: &str) -> u128 {
        self.client.balance(address, USDC).await.expect("balance").to_string().parse().expect("u128")
    }

    async fn next_block(&self) {
        let h = self.chain.height().await;
        self.chain.wait_for_height(h + 1).await;
    }
}

/// Ticks (one round per block) until `done` says so, collecting every report; at most 60 s.
async fn tick_until(
    m: &Market,
    engine: &mut BidEngine,
    mut done: impl FnMut(&[TickReport]) -> bool,
) -> Vec<TickReport> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reports = Vec::new();
    loop {
        reports.push(engine.tick().await.expect("tick"));
        if done(&reports) {
            return reports;
        }
        assert!(Instant::now() < deadline, "condition not reached; reports: {reports:#?}");
        m.next_block().await;
    }
}

fn decisions(reports: &[TickReport]) -> Vec<Decision> {
    reports.iter().flat_map(|r| r.decisions.iter().cloned()).collect()
}

fn events(reports: &[TickReport]) -> Vec<EngineEvent> {
    reports.iter().flat_map(|r| r.events.iter().cloned()).collect()
}

fn decision_for(ds: &[Decision], order: &OrderId) -> Decision {
    let key = order.to_string();
    ds.iter().rev().find(|d| d.order() == key).cloned().unwrap_or_else(|| panic!("no decision for {key} in {ds:#?}"))
}

fn skip_code(d: &Decision) -> &'static str {
    match d {
        Decision::Skip { reason, .. } => reason.code(),
        other => panic!("expected a skip, got {other:?}"),
    }
}

/// Orders the engine can fit get a bid at the strategy's exact price; every other order gets
/// none, each with its reason; an auditor's signature turns a refusal into a bid; an external
/// pricing script sets the price of a second engine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bids_on_what_fits_at_the_strategy_price_and_logs_why_not() {
    let mut m = Market::start().await;
    let state = tempfile::tempdir().unwrap();
    let mut gpu = m.engine("provider-gpu", gpu_config("provider-gpu", 4, "2800", "", &state.path().join("gpu"))).await;
    // Registered with the declared attributes and the inventory's capabilities.
    let p: registry::Provider =
        m.mp.registry
            .query(&m.client, &registry::QueryMsg::Provider { owner: gpu.provider().to_string() })
            .await
            .unwrap();
    assert!(p.attributes.contains(&Attribute::new("tier", "datacenter")));
    assert!(
        p.attributes
            .contains(&Attribute::new("capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi/interface/sxm", "true"))
    );

    let fits = m.deploy(1, group(unit(4, 16, 1, "h100", 1, usdc("4000"))), false).await;
    let a100 = m.deploy(2, group(unit(4, 16, 1, "a100", 1, usdc("4000"))), false).await;
    let mut eu = group(unit(4, 16, 1, "h100", 1, usdc("4000")));
    eu.requirements.attributes = vec![Attribute::new("region", "eu-west")];
    let eu = m.deploy(3, eu, false).await;
    let mut audited = group(unit(4, 16, 1, "h100", 1, usdc("4000")));
    audited.requirements.signed_by = SignedBy { all_of: vec![], any_of: vec![dev_address("auditor")] };
    audited.requirements.attributes = vec![Attribute::new("tier", "datacenter")];
    let audited = m.deploy(4, audited, false).await;
    let cheap = m.deploy(5, group(unit(4, 16, 1, "h100", 1, usdc("1000"))), false).await;
    let huge = m.deploy(6, group(unit(4, 16, 8, "h100", 1, usdc("40000"))), false).await;
    let lease_denom = m.deploy(7, group(unit(1, 1, 0, "", 1, DecCoin::new(Decimal256::one(), "ulease"))), false).await;
    // 1 of 4 GPUs will be reserved by the bid on `fits`: 4 more do not fit now.
    let busy = m.deploy(8, group(unit(4, 16, 4, "h100", 1, usdc("20000"))), false).await;

    let reports = tick_until(&m, &mut gpu, |r| decisions(r).len() >= 8).await;
    let ds = decisions(&reports);
    // 4 cores × 8 + 16 GiB × 1 + 10 GiB × 0.05 + 1 H100 × 2800, exactly.
    match decision_for(&ds, &fits) {
        Decision::Bid { price, collateral, .. } => {
            assert_eq!(price, usdc("2848.5"));
            assert_eq!(collateral, "500000uusdc");
        }
        other => panic!("expected a bid on {fits}, got {other:?}"),
    }
    assert_eq!(skip_code(&decision_for(&ds, &a100)), "capabilities");
    assert_eq!(skip_code(&decision_for(&ds, &eu)), "attributes");
    assert!(decision_for(&ds, &eu).to_string().contains("region=eu-west"), "{}", decision_for(&ds, &eu));
    assert_eq!(skip_code(&decision_for(&ds, &audited)), "auditors");
    match decision_for(&ds, &cheap) {
        Decision::Skip { reason: SkipReason::AboveCeiling { price, ceiling }, .. } => {
            assert_eq!(price, "2848.5".parse::<Decimal256>().unwrap());
            assert_eq!(ceiling, Decimal256::from_atomics(1000u128, 0).unwrap());
        }
        other => panic!("expected above-ceiling, got {other:?}"),
    }
    assert_eq!(skip_code(&decision_for(&ds, &huge)), "too_large");
    assert_eq!(skip_code(&decision_for(&ds, &lease_denom)), "denom");
    assert_eq!(skip_code(&decision_for(&ds, &busy)), "no_capacity");
    assert!(decision_for(&ds, &busy).to_string().contains("3 GPUs"), "{}", decision_for(&ds, &busy));

    // The chain agrees: one bid, on `fits`, at that price, with the collateral; none elsewhere.
    let on_fits = m.bids_on(&fits).await;
    assert_eq!(on_fits.len(), 1);
    assert_eq!(on_fits[0].price, usdc("2848.5"));
    assert_eq!(on_fits[0].collateral, Coin { denom: USDC.into(), amount: Uint256::from(500_000u128) });
    for o in [&a100, &eu, &audited, &cheap, &huge, &lease_denom, &busy] {
        assert!(m.bids_on(o).await.is_empty(), "no bid expected on {o}");
    }

    // The auditor signs: the audited order now gets a bid; the decided ones are not repeated.
    let mut auditor = signer("auditor");
    let registry_contract = m.mp.registry.clone();
    registry_contract
        .execute(
            &m.client,
            &mut auditor,
            &registry::ExecuteMsg::SignAttributes {
                owner: gpu.provider().to_string(),
                attributes: vec![Attribute::new("tier", "datacenter")],
            },
            &[],
            &TxOptions::default(),
            &mut |_| {},
        )
        .await
        .unwrap();
    let reports = tick_until(&m, &mut gpu, |r| !decisions(r).is_empty()).await;
    let ds = decisions(&reports);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert!(matches!(&ds[0], Decision::Bid { order, .. } if *order == audited.to_string()), "{ds:#?}");
    assert_eq!(m.bids_on(&audited).await.len(), 1);

    // A second engine priced by an external script: 1000 per GPU plus 0.25, from the order JSON.
    let script = "import json, sys\no = json.load(sys.stdin)\nassert o['order']['id']['owner']\n\
                  print(sum(r['gpus'] for r in o['placement']['replicas']) * 1000 + 0.25)\n";
    std::fs::write(state.path().join("price.py"), script).unwrap();
    let mut config = gpu_config("provider-cpu", 2, "1", "", &state.path().join("script"));
    config.pricing.strategy = leasehold_client::bidengine::config::StrategyConfig::Script(
        leasehold_client::bidengine::config::ScriptConfig {
            command: vec!["python3".into(), "price.py".into()],
            working_dir: state.path().to_path_buf(),
            timeout: Duration::from_secs(10),
        },
    );
    let mut scripted = m.engine("provider-cpu", config).await;
    let reports = tick_until(&m, &mut scripted, |r| !decisions(r).is_empty()).await;
    match decision_for(&decisions(&reports), &fits) {
        Decision::Bid { price, .. } => assert_eq!(price, usdc("1000.25")),
        other => panic!("expected the script's price, got {other:?}"),
    }
    assert_eq!(m.bids_on(&fits).await.len(), 2);
    m.chain.stop().await;
}

/// A lost bid and a timed-out bid release exactly what they reserved; the winner's periodic
/// withdrawal moves exactly what the lease accrued (minus the network's take) to its account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_and_timed_out_bids_release_capacity_and_withdrawals_are_exact() {
    let mut m = Market::start().await;
    let state = tempfile::tempdir().unwrap();
    let mut dear = m
        .engine(
            "provider-gpu",
            gpu_config("provider-gpu", 2, "2800", "bidding:\n  bid_timeout_blocks: 8\n", &state.path().join("a")),
        )
        .await;
    let mut cheap = m
        .engine(
            "provider-cpu",
            gpu_config("provider-cpu", 2, "2000", "withdraw_every_blocks: 5\n", &state.path().join("b")),
        )
        .await;
    let big = m.deploy(1, group(unit(2, 8, 2, "h100", 1, usdc("10000"))), false).await;
    tick_until(&m, &mut dear, |r| !decisions(r).is_empty()).await;
    tick_until(&m, &mut cheap, |r| !decisions(r).is_empty()).await;
    let bids = m.bids_on(&big).await;
    assert_eq!(bids.len(), 2);
    // `dear` holds both its GPUs: a 1-GPU order does not fit now.
    let small = m.deploy(2, group(unit(1, 4, 1, "h100", 1, usdc("10000"))), false).await;
    let ds = decisions(&tick_until(&m, &mut dear, |r| !decisions(r).is_empty()).await);
    assert_eq!(skip_code(&decision_for(&ds, &small)), "no_capacity");

    // The tenant leases the cheaper bid: `dear` lost; its GPUs are free; `small` gets its bid.
    let winner = big.bid(cheap.provider());
    m.exec_market(&market::ExecuteMsg::CreateLease { bid: winner.clone() }, &[]).await;
    let reports = tick_until(&m, &mut dear, |r| !decisions(r).is_empty()).await;
    let lost = big.bid(dear.provider()).to_string();
    assert!(
        events(&reports).iter().any(|e| matches!(e, EngineEvent::BidLost { bid, .. } if *bid == lost)),
        "{reports:#?}"
    );
    assert!(matches!(decision_for(&decisions(&reports), &small), Decision::Bid { .. }));
    let small_bid = small.bid(dear.provider());

    // Nobody accepts `small`: after 8 blocks `dear` closes it, its collateral comes back.
    let before = m.usdc_balance(dear.provider()).await;
    let reports = tick_until(&m, &mut dear, |r| {
        events(r).iter().any(|e| matches!(e, EngineEvent::BidTimedOut { bid, .. } if *bid == small_bid.to_string()))
    })
    .await;
    let timed_out = events(&reports)
        .into_iter()
        .find_map(|e| match e {
            EngineEvent::BidTimedOut { age, .. } => Some(age),
            _ => None,
        })
        .unwrap();
    assert!(timed_out >= 8, "closed after {timed_out} blocks");
    let bid: Bid = m.mp.market.query(&m.client, &market::QueryMsg::Bid { id: small_bid.clone() }).await.unwrap();
    assert_eq!(bid.state, BidState::Closed);
    assert_eq!(m.usdc_balance(dear.provider()).await, before + 500_000, "collateral refunded (fees are in ulease)");
    assert!(dear.open_bids().is_empty());
    assert!(dear.capacity_summary().contains("2 GPUs"), "{}", dear.capacity_summary());

    // The winner: lease recorded, then a periodic withdrawal every 5 blocks.
    let before = m.usdc_balance(cheap.provider()).await;
    let reports =
        tick_until(&m, &mut cheap, |r| events(r).iter().any(|e| matches!(e, EngineEvent::Withdrew { .. }))).await;
    assert!(
        events(&reports)
            .iter()
            .any(|e| matches!(e, EngineEvent::LeaseWon { lease, .. } if *lease == winner.to_string())),
        "{reports:#?}"
    );
    let (height, amount) = events(&reports)
        .into_iter()
        .find_map(|e| match e {
            EngineEvent::Withdrew { height, amounts, .. } => Some((height, amounts[0].1)),
            _ => None,
        })
        .unwrap();
    let lease = m.lease(&winner).await;
    assert_eq!(lease.state, LeaseState::Active);
    assert!(height >= lease.created_at + 5);
    let payment = m.payment(&winner).await;
    // 2 GPUs × 2000 + 2 cores × 8 + 8 GiB + 10 GiB × 0.05 = 4024.5 per block since the lease began.
    assert_eq!(lease.price, usdc("4024.5"));
    let accrued =
        Decimal256::from_atomics(height - lease.created_at, 0).unwrap() * "4024.5".parse::<Decimal256>().unwrap();
    assert_eq!(payment.withdrawn, amount, "the engine reports what the escrow paid");
    assert_eq!(payment.withdrawn + payment.take, accrued.to_uint_floor(), "withdrawn + take = accrued");
    assert_eq!(m.usdc_balance(cheap.provider()).await, before + amount.to_string().parse::<u128>().unwrap());
    m.chain.stop().await;
}

/// A restarted engine rebuilds its reservations from the chain and does not bid again; one
/// whose inventory shrank closes the lease it can no longer serve with a provider reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_reservations_without_double_bids_and_closes_unservable_leases() {
    let mut m = Market::start().await;
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("gpu");
    let config = gpu_config("provider-gpu", 2, "2800", "", &dir);
    let mut engine = m.engine("provider-gpu", config.clone()).await;
    let first = m.deploy(1, group(unit(2, 8, 2, "h100", 1, usdc("10000"))), false).await;
    tick_until(&m, &mut engine, |r| !decisions(r).is_empty()).await;
    assert_eq!(m.bids_on(&first).await.len(), 1);
    drop(engine);

    // Restart: the open bid is found on chain and holds both GPUs again.
    let mut engine = m.engine("provider-gpu", config.clone()).await;
    assert_eq!(engine.open_bids(), vec![first.to_string()]);
    let second = m.deploy(2, group(unit(1, 4, 1, "h100", 1, usdc("10000"))), false).await;
    let ds = decisions(&tick_until(&m, &mut engine, |r| !decisions(r).is_empty()).await);
    assert_eq!(ds.len(), 1, "no second decision about {first}: {ds:#?}");
    assert_eq!(skip_code(&decision_for(&ds, &second)), "no_capacity");
    assert_eq!(m.bids_on(&first).await.len(), 1);

    // A bid tx recorded as in flight (a crash after broadcasting) keeps its order from a second
    // bid after restart.
    drop(engine);
    let third = m.deploy(3, group(unit(1, 4, 0, "", 1, usdc("10000"))), false).await;
    let state_file = dir.join("state.json");
    let mut saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    let height = m.chain.height().await;
    saved["pending_bids"][third.to_string()] = serde_json::json!({ "height": height });
    std::fs::write(&state_file, serde_json::to_vec(&saved).unwrap()).unwrap();
    let mut engine = m.engine("provider-gpu", config.clone()).await;
    for _ in 0..3 {
        let r = engine.tick().await.unwrap();
        assert!(r.decisions.iter().all(|d| d.order() != third.to_string()), "{r:#?}");
        m.next_block().await;
    }
    assert!(m.bids_on(&third).await.is_empty());

    // The tenant leases the first bid; the provider loses its GPUs (inventory without them):
    // on start the engine closes the lease as decommissioned.
    let lease_id = first.bid(engine.provider());
    m.exec_market(&market::ExecuteMsg::CreateLease { bid: lease_id.clone() }, &[]).await;
    tick_until(&m, &mut engine, |r| events(r).iter().any(|e| matches!(e, EngineEvent::LeaseWon { .. }))).await;
    drop(engine);
    let smaller = gpu_config("provider-gpu", 0, "2800", "", &dir);
    let mut engine = m.engine("provider-gpu", smaller).await;
    let reports = tick_until(&m, &mut engine, |_| true).await;
    assert!(
        events(&reports).iter().any(
            |e| matches!(e, EngineEvent::LeaseClosed { lease, code: 10001, .. } if *lease == lease_id.to_string())
        ),
        "{reports:#?}"
    );
    let lease = m.lease(&lease_id).await;
    assert_eq!(lease.state, LeaseState::Closed);
    assert_eq!(lease.reason, Some(LeaseCloseReason::Decommission));
    assert!(engine.active_leases().is_empty());
    m.chain.stop().await;
}

/// A lease whose escrow is about to run dry is withdrawn at once (not at the next period); when
/// the escrow is overdrawn the lease ends for insufficient funds and its capacity comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdraws_when_the_escrow_runs_dry_then_releases_the_ended_lease() {
    let mut m = Market::start().await;
    let state = tempfile::tempdir().unwrap();
    // 300,000 per GPU per block against the 5,000,000 minimum deposit: about 16 blocks of funds.
    let config = gpu_config("provider-gpu", 1, "300000", "withdraw_every_blocks: 10000\n", &state.path().join("gpu"));
    let mut engine = m.engine("provider-gpu", config).await;
    let spec = group(unit(1, 1, 1, "h100", 1, usdc("400000")));
    let msg = market::ExecuteMsg::CreateDeployment {
        dseq: 1,
        hash: HexBinary::from(vec![7u8; 32]),
        groups: vec![spec],
        auto_match: false,
    };
    m.exec_market(&msg, &[Coin { denom: USDC.into(), amount: Uint256::from(5_000_000u128) }]).await;
    let order = OrderId { owner: m.tenant.address().to_string(), dseq: 1, gseq: 1, oseq: 1 };
    tick_until(&m, &mut engine, |r| !decisions(r).is_empty()).await;
    let lease_id = order.bid(engine.provider());
    m.exec_market(&market::ExecuteMsg::CreateLease { bid: lease_id.clone() }, &[]).await;

    let reports = tick_until(&m, &mut engine, |r| {
        events(r).iter().any(|e| matches!(e, EngineEvent::LeaseEnded { lease, .. } if *lease == lease_id.to_string()))
    })
    .await;
    let all = events(&reports);
    let dry = all
        .iter()
        .find_map(|e| match e {
            EngineEvent::Withdrew { why, height, .. } if why.contains("dry") => Some(*height),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no withdrawal for a dry escrow: {all:#?}"));
    let lease = m.lease(&lease_id).await;
    assert_eq!(lease.state, LeaseState::InsufficientFunds);
    assert!(dry < lease.created_at + 10_000, "withdrawn at {dry}, long before the period");
    // Everything the deposit could pay went to the provider (minus the take) or is still owed.
    let payment = m.payment(&lease_id).await;
    assert!(payment.withdrawn + payment.take <= Uint256::from(5_000_000u128));
    assert!(engine.active_leases().is_empty());
    assert!(engine.capacity_summary().contains("1 GPUs"), "{}", engine.capacity_summary());
    m.chain.stop().await;
}

/// `leasehold lease match` after the bidding window leases the engine's bid and prints the lease
/// and its price (the window itself is the market contract's, tested there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_match_from_the_cli_leases_the_engines_bid_after_the_window() {
    let mut m = Market::start().await;
    let state = tempfile::tempdir().unwrap();
    let mut engine = m.engine("provider-gpu", gpu_config("provider-gpu", 2, "2800", "", &state.path().join("g"))).await;
    let order = m.deploy(1, group(unit(4, 16, 1, "h100", 1, usdc("4000"))), true).await;
    tick_until(&m, &mut engine, |r| !decisions(r).is_empty()).await;
    let cli = Cli::new(&m.chain.url);
    cli.import_dev_key("tenant").await;
    let order_arg = order.to_string();
    let o: market::OrderResponse =
        m.mp.market.query(&m.client, &market::QueryMsg::Order { id: order.clone() }).await.unwrap();
    m.chain.wait_for_height(o.order.matchable_at).await;
    let (v, _) = cli.json(&["lease", "match", &order_arg, "--from", "tenant"]).await;
    let lease_id = order.bid(engine.provider());
    assert_eq!(v["lease"], serde_json::json!(lease_id.to_string()), "{v}");
    assert_eq!(v["price"], serde_json::json!("2848.5uusdc"), "{v}");
    let lease = m.lease(&lease_id).await;
    assert_eq!((lease.state, lease.price), (LeaseState::Active, usdc("2848.5")));
    m.chain.stop().await;
}
