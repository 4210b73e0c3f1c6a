//! The demo's journey (`leasehold_client::demo::run`, what `leasehold demo` prints) against a
//! dev node started in process (a block every 200 ms) with the market `make run` brings up: the
//! two example provider engines (`examples/providers/h100.yaml` and `cpu.yaml`, each with its
//! state in a temp dir) running, and the dev auditor's `tier=datacenter` signature on the H100
//! provider. The outcome is checked on chain exactly: the H100 provider's bid (3116 uusdc per
//! block, under the SDL's 3500 ceiling) became the lease, the CPU provider never bid, the tenant
//! paid deposits minus the refund, which is the price times the blocks leased, the provider got
//! what the escrow paid out, and the escrow is closed and holds nothing of it.
//!
//! `cargo test -p leasehold-client --test client demo -- --nocapture` prints the demo's blocks
//! and seconds.

use std::time::{Duration, Instant};

use cosmwasm_std::{Coin, Decimal256, Uint128, Uint256};
use leasehold_client::bidengine::{BidEngine, EngineConfig};
use leasehold_client::client::tx::{Signer, TxOptions};
use leasehold_client::client::{ChainClient, ClientConfig};
use leasehold_client::contracts::Marketplace;
use leasehold_client::demo::{self, DemoEvent, DemoOptions, Wait};
use leasehold_keys::SigningKey;
use leasehold_types::attributes::Attribute;
use leasehold_types::escrow::{self, AccountId, AccountResponse, AccountState, Payment, PaymentId, PaymentState};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{self, BidState, BidsResponse, Lease, LeaseCloseReason, LeaseState};
use leasehold_types::provider;
use tokio::sync::oneshot;

use crate::common::*;

const USDC: &str = "uusdc";
/// The H100 engine's price for gpu-inference.yaml: 16 CPUs × 8 + 128 GiB × 1 + 100 GiB default
/// storage × 0.05 + 500 GiB beta3 × 0.1 + 1 endpoint × 5 + 1 H100 × 2800.
const H100_PRICE: u128 = 3116;
const DEPOSIT: u128 = 5_000_000;
const TOP_UP: u128 = 1_000_000;
const STREAM_BLOCKS: u64 = 5;

fn signer(name: &str) -> Signer {
    Signer::new(SigningKey::from_mnemonic(dev_mnemonic(name), "", 0).expect("dev key"), PREFIX).expect("signer")
}

fn engine_config(file: &str, state: &tempfile::TempDir) -> EngineConfig {
    let path = std::path::Path::new(&example("providers")).join(file);
    let mut config = EngineConfig::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    config.state_dir = state.path().to_path_buf();
    config
}

async fn start_engine(client: &ChainClient, mp: &Marketplace, key: &str, config: EngineConfig) -> BidEngine {
    BidEngine::start(client.clone(), mp.clone(), signer(key), config).await.expect("engine starts")
}

/// A whole number from the chain as `u128` (the dev chain's amounts fit).
fn u(amount: Uint256) -> u128 {
    Uint128::try_from(amount).expect("fits u128").u128()
}

async fn usdc(client: &ChainClient, address: &str) -> u128 {
    u(client.balance(address, USDC).await.expect("balance"))
}

fn whole(amount: u128) -> Decimal256 {
    Decimal256::from_atomics(amount, 0).expect("decimal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_leases_the_h100_and_settles_every_micro_unit() {
    let chain = TestChain::start().await;
    let client = ChainClient::connect(ClientConfig { endpoint: chain.url.clone(), ..ClientConfig::default() })
        .await
        .expect("client connects");
    let mp = Marketplace::discover(&client, &chain.contracts.market).await.expect("marketplace");
    let (tenant, gpu, cpu) = (dev_address("tenant"), dev_address("provider-gpu"), dev_address("provider-cpu"));
    let (escrow_addr, pool) = (chain.contracts.escrow.clone(), community_pool());

    // The market of `make run`: both engines registered, the H100 provider audited.
    let (h100_state, cpu_state) = (tempfile::tempdir().expect("temp dir"), tempfile::tempdir().expect("temp dir"));
    let h100 = start_engine(&client, &mp, "provider-gpu", engine_config("h100.yaml", &h100_state)).await;
    let cpu_engine = start_engine(&client, &mp, "provider-cpu", engine_config("cpu.yaml", &cpu_state)).await;
    let sign = provider::ExecuteMsg::SignAttributes {
        owner: gpu.clone(),
        attributes: vec![Attribute::new("tier", "datacenter")],
    };
    mp.registry
        .execute(&client, &mut signer("auditor"), &sign, &[], &TxOptions::default(), &mut |_| {})
        .await
        .expect("the auditor signs the H100 provider's tier");

    let before = [
        usdc(&client, &tenant).await,
        usdc(&client, &gpu).await,
        usdc(&client, &cpu).await,
        usdc(&client, &escrow_addr).await,
        usdc(&client, &pool).await,
    ];

    let opts = DemoOptions {
        sdl: example("gpu-inference.yaml").into(),
        deposit: Some(Coin::new(DEPOSIT, USDC)),
        top_up: Some(Coin::new(TOP_UP, USDC)),
        bid_timeout: Duration::from_secs(60),
        stream_blocks: STREAM_BLOCKS,
        poll_interval: Duration::from_millis(50),
        ..DemoOptions::default()
    };
    let mut events = Vec::new();
    let started = Instant::now();
    // The engines run beside the demo in this task until it is done.
    let (stop_h100, h100_stopped) = oneshot::channel::<()>();
    let (stop_cpu, cpu_stopped) = oneshot::channel::<()>();
    let engines = async {
        tokio::join!(
            h100.run(async move {
                let _ = h100_stopped.await;
            }),
            cpu_engine.run(async move {
                let _ = cpu_stopped.await;
            })
        )
    };
    let tenant_demo = async {
        let result = demo::run(&client, &mp, &mut signer("tenant"), &opts, &mut |e| events.push(e)).await;
        let _ = (stop_h100.send(()), stop_cpu.send(()));
        result
    };
    let ((h100_result, cpu_result), result) = tokio::join!(engines, tenant_demo);
    let secs = started.elapsed().as_secs_f64();
    h100_result.expect("the H100 engine stops cleanly");
    cpu_result.expect("the CPU engine stops cleanly");
    let report = result.unwrap_or_else(|e| panic!("the demo fails: {e}\nevents: {events:#?}"));

    // The lease went to the H100 provider at its bid price.
    assert_eq!(report.leases.len(), 1, "{report:#?}");
    let outcome = &report.leases[0];
    assert_eq!(outcome.id.provider, gpu);
    assert_eq!(outcome.id.owner, tenant);
    assert_eq!((outcome.id.dseq, outcome.id.gseq, outcome.id.oseq), (report.dseq, 1, 1));
    assert_eq!(outcome.price.amount, whole(H100_PRICE));
    assert_eq!(outcome.price.denom, USDC);
    let lease: Lease =
        mp.market.query(&client, &market::QueryMsg::Lease { id: outcome.id.clone() }).await.expect("lease");
    assert_eq!(lease.state, LeaseState::Closed);
    assert_eq!(lease.reason, Some(LeaseCloseReason::Owner));
    assert_eq!(lease.closed_at, Some(report.end_height), "the lease ends with the close, the demo's last tx");
    assert_eq!((lease.created_at, outcome.blocks), (outcome.created_at, report.end_height - outcome.created_at));
    assert!(outcome.blocks > STREAM_BLOCKS, "paid {} blocks, streamed {STREAM_BLOCKS}", outcome.blocks);

    // One bid arrived, the H100 provider's; the CPU-only provider bid on nothing.
    let bids: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            DemoEvent::BidReceived { bid } => Some(bid.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(bids.len(), 1, "{bids:#?}");
    assert_eq!((bids[0].id.provider.as_str(), bids[0].price.amount), (gpu.as_str(), whole(H100_PRICE)));
    let bid_now: market::Bid =
        mp.market.query(&client, &market::QueryMsg::Bid { id: bids[0].id.clone() }).await.expect("bid");
    assert_eq!(bid_now.state, BidState::Closed, "the winning bid closes with its lease");
    let cpu_bids: BidsResponse = mp
        .market
        .query(
            &client,
            &market::QueryMsg::Bids {
                order: None,
                provider: Some(cpu.clone()),
                state: None,
                start_after: None,
                limit: Some(100),
            },
        )
        .await
        .expect("bids");
    assert!(cpu_bids.bids.is_empty(), "the CPU provider bid: {:?}", cpu_bids.bids);
    match events.iter().find(|e| matches!(e, DemoEvent::Matched { .. })) {
        Some(DemoEvent::Matched { tx, lease, lost }) => {
            assert!(tx.is_some(), "the demo's match_order made the lease");
            assert_eq!(lease.id, outcome.id);
            assert!(lost.is_empty());
        }
        _ => panic!("no Matched event: {events:#?}"),
    }

    // The escrow paid the lease block by block while the demo watched.
    let snapshots: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            DemoEvent::Streaming(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(snapshots.len() as u64, STREAM_BLOCKS);
    for s in &snapshots {
        let blocks = s.height - outcome.created_at;
        assert_eq!(s.charged, whole(H100_PRICE * u128::from(blocks)), "accrued at block {}", s.height);
        assert_eq!(s.balance, whole(DEPOSIT - H100_PRICE * u128::from(blocks)));
        assert_eq!(s.rate, whole(H100_PRICE));
        assert_eq!(
            s.runway_blocks,
            Some(u64::try_from((DEPOSIT - H100_PRICE * u128::from(blocks)) / H100_PRICE).unwrap())
        );
    }
    assert!(snapshots.windows(2).all(|w| w[1].height > w[0].height), "one snapshot per block");
    assert!(events.iter().any(|e| matches!(e, DemoEvent::Waiting { what: Wait::BiddingWindow { .. }, .. })));
    assert!(!events.iter().any(|e| matches!(e, DemoEvent::Aborted { .. })));

    // Money: the tenant paid exactly what the escrow kept, which is the price times the blocks.
    let cost = H100_PRICE * u128::from(outcome.blocks);
    let account_id = AccountId::deployment(&DeploymentId { owner: tenant.clone(), dseq: report.dseq });
    let account: AccountResponse =
        mp.escrow.query(&client, &escrow::QueryMsg::Account { id: account_id }).await.expect("account");
    assert_eq!(account.account.state, AccountState::Closed);
    assert_eq!(account.account.deposited, Uint256::from(DEPOSIT + TOP_UP));
    assert_eq!(account.account.refunded, Uint256::from(DEPOSIT + TOP_UP - cost));
    assert_eq!((report.deposited, report.refunded), (account.account.deposited, account.account.refunded));
    let after = [
        usdc(&client, &tenant).await,
        usdc(&client, &gpu).await,
        usdc(&client, &cpu).await,
        usdc(&client, &escrow_addr).await,
        usdc(&client, &pool).await,
    ];
    let escrow_kept = u(account.account.deposited - account.account.refunded);
    assert_eq!(before[0] - after[0], escrow_kept, "tenant: deposits − refund");
    assert_eq!(escrow_kept, cost, "the price times the blocks leased");
    assert_eq!((report.tenant_before, report.tenant_after), (Uint256::from(before[0]), Uint256::from(after[0])));

    // The provider got what the escrow paid it (its collateral came back); the pool the take.
    let payment: Payment = mp
        .escrow
        .query(&client, &escrow::QueryMsg::Payment { id: PaymentId::for_lease(&outcome.id) })
        .await
        .expect("payment");
    assert_eq!(payment.state, PaymentState::Closed);
    assert_eq!(payment.withdrawn + payment.take, Uint256::from(cost));
    assert_eq!(after[1] - before[1], u(payment.withdrawn), "provider-gpu earned the payouts");
    assert_eq!(after[4] - before[4], u(payment.take), "community pool got the take");
    assert_eq!((outcome.paid_to_provider, outcome.take), (payment.withdrawn, payment.take));
    let closed_payouts: Uint256 = events
        .iter()
        .filter_map(|e| match e {
            DemoEvent::Closed { payouts, .. } => Some(payouts.iter().map(|p| p.amount).sum::<Uint256>()),
            _ => None,
        })
        .sum();
    assert!(closed_payouts <= payment.withdrawn && !closed_payouts.is_zero());
    assert_eq!(after[2], before[2], "provider-cpu's uusdc did not move");
    assert_eq!(after[3], before[3], "the escrow holds nothing of the demo any more");

    println!(
        "\n{} at {BLOCK_INTERVAL_MS} ms blocks ({secs:.1} s with the engines' shutdown): lease {} at \
         {H100_PRICE}uusdc/block for {} blocks, provider paid {}uusdc + {}uusdc take, {}uusdc refunded",
        report.summary(),
        outcome.id,
        outcome.blocks,
        payment.withdrawn,
        payment.take,
        report.refunded
    );
    chain.stop().await;
}
