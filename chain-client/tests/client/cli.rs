//! End to end through the real `leasehold` binary against a dev node started by each test (in
//! process, on 127.0.0.1:0, a block every 200 ms):
//!
//! - the tenant / provider / auditor journey — register, audit, deploy from
//!   `examples/gpu-inference.yaml`, bid, lease, blocks pass, deposit, withdraw, close — with every
//!   balance checked to the micro-unit after each step and cross-checked with `escrow show`, and a
//!   table of blocks and seconds per step;
//! - the validator journey — store, instantiate, query, migrate a contract; uploads refused to
//!   accounts off the allow-list;
//! - bad input — wrong passphrase, unknown key, malformed addresses and amounts, unreachable
//!   node, insufficient funds, invalid mnemonics — each with its exit code (2 usage, 3 chain
//!   rejection, 4 network), a one-line error, and nothing written to the keyring.
//!
//! `cargo test -p leasehold-client --test cli -- --nocapture` shows the timing tables.

use std::time::Instant;

use crate::common::*;
use cosmwasm_std::{Decimal256, Uint256};
use leasehold_types::escrow::{AccountResponse, AccountState, RunwayResponse};
use leasehold_types::market::{Bid, BidState, LeaseCloseReason, LeaseState, LeasesResponse};
use serde_json::Value;

const USDC: &str = "uusdc";
const LEASE: &str = "ulease";
/// The tenant's escrow deposit, then its top-up.
const DEPOSIT: u128 = 5_000_000;
const TOP_UP: u128 = 1_000_000;
/// The market's minimum bid collateral in uusdc (dev genesis), which `bid create` attaches.
const COLLATERAL: u128 = 500_000;
/// The provider's price per block, under the SDL's 3500 uusdc ceiling; odd, so the take is floored.
const PRICE: u128 = 3_333;
/// Blocks the lease runs before the top-up.
const RUN_BLOCKS: u64 = 10;

/// The escrow's take on uusdc: the dev genesis' default take rate, 5 %, floored.
fn take(amount: u128) -> u128 {
    amount * 5 / 100
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn dec(amount: u128) -> Decimal256 {
    Decimal256::from_atomics(amount, 0).expect("decimal")
}

/// A transaction through the CLI with `-o json`: its output, inclusion height and the fee paid.
async fn tx(cli: &Cli, args: &[&str]) -> (Value, u64, u128) {
    let (v, _) = cli.json(args).await;
    assert_eq!(v["code"], 0, "{args:?}: {v}");
    let height = u64_of(&v, "height");
    (v.clone(), height, fee(u64_of(&v, "gas_wanted")))
}

async fn escrow_show(cli: &Cli, dseq: &str) -> (AccountResponse, RunwayResponse) {
    let (v, _) = cli.json(&["escrow", "show", "--dseq", dseq, "--from", "tenant"]).await;
    let account: AccountResponse = serde_json::from_value(v["account"].clone()).expect("escrow account JSON");
    let runway: RunwayResponse = serde_json::from_value(v["runway"].clone()).expect("runway JSON");
    // Runway time at the chain's measured block time (200 ms here), not an assumed 1 s.
    let ms = v["block_time_ms"].as_u64().expect("measured block time");
    assert!((100..1000).contains(&ms), "block time {ms} ms on a 200 ms chain");
    if let (Some(blocks), Some(seconds)) = (runway.blocks, runway.seconds) {
        assert!(blocks == 0 || seconds < blocks, "{seconds} s for {blocks} blocks of {ms} ms");
    }
    (account, runway)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_provider_auditor_journey_through_the_cli() {
    let chain = TestChain::start().await;
    let cli = Cli::new(&chain.url);
    for name in ["tenant", "provider-gpu", "auditor"] {
        cli.import_dev_key(name).await;
    }
    let (tenant, provider, auditor) = (dev_address("tenant"), dev_address("provider-gpu"), dev_address("auditor"));
    let escrow = chain.contracts.escrow.clone();
    let (pool, fees) = (community_pool(), fee_collector());
    let mut ledger = Ledger::default();
    for (label, address) in [
        ("tenant", &tenant),
        ("provider-gpu", &provider),
        ("auditor", &auditor),
        ("escrow contract", &escrow),
        ("community pool", &pool),
        ("fee collector", &fees),
    ] {
        ledger.track(&cli, label, address).await;
    }
    let usdc_supply: u128 = ledger.accounts.iter().map(|(_, a)| ledger.get(a, USDC)).sum();
    let lease_supply: u128 = ledger.accounts.iter().map(|(_, a)| ledger.get(a, LEASE)).sum();
    let mut times = Timings::default();

    // 1. The provider registers with attributes that satisfy the GPU example: the placement's
    //    tier, an H100 80Gi SXM, and a persistent beta3 storage class.
    let (h0, started) = (chain.height().await, Instant::now());
    let (_, h, f) = tx(
        &cli,
        &[
            "provider",
            "register",
            "--host-uri",
            "https://gpu.example.com:8443",
            "--attr",
            "region=us-east",
            "--attr",
            "tier=datacenter",
            "--attr",
            "capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi/interface/sxm=true",
            "--attr",
            "capabilities/storage/1/class=beta3",
            "--attr",
            "capabilities/storage/1/persistent=true",
            "--email",
            "ops@gpu.example.com",
            "--from",
            "provider-gpu",
        ],
    )
    .await;
    times.record("provider register", h0, h, started);
    ledger.pay(&provider, &fees, LEASE, f);
    ledger.check(&cli, "provider register").await;
    let (p, _) = cli.json(&["provider", "get", &provider]).await;
    assert_eq!(str_of(&p, "host_uri"), "https://gpu.example.com:8443");
    assert_eq!(p["attributes"].as_array().map(Vec::len), Some(5));

    // 2. The auditor the SDL trusts (signedBy.anyOf) signs the placement attribute.
    let (h0, started) = (chain.height().await, Instant::now());
    let (_, h, f) = tx(&cli, &["audit", "sign", &provider, "--attr", "tier=datacenter", "--from", "auditor"]).await;
    times.record("audit sign", h0, h, started);
    ledger.pay(&auditor, &fees, LEASE, f);
    ledger.check(&cli, "audit sign").await;

    // 3. The tenant deploys the SDL with a deposit: it moves into the escrow.
    let (h0, started) = (chain.height().await, Instant::now());
    let deposit = format!("{DEPOSIT}{USDC}");
    let (v, h, f) =
        tx(&cli, &["deployment", "create", &example("gpu-inference.yaml"), "--deposit", &deposit, "--from", "tenant"])
            .await;
    times.record("deployment create", h0, h, started);
    let dseq = str_of(&v, "dseq").to_string();
    assert_eq!(str_of(&v, "owner"), tenant);
    let order = format!("{tenant}/{dseq}/1/1");
    assert_eq!(str_of(&v, "orders"), order, "one group, one order");
    ledger.pay(&tenant, &fees, LEASE, f);
    ledger.pay(&tenant, &escrow, USDC, DEPOSIT);
    ledger.check(&cli, "deployment create").await;

    // 4. The provider bids under the ceiling; the market's minimum collateral goes to escrow.
    let (h0, started) = (chain.height().await, Instant::now());
    let price = format!("{PRICE}{USDC}");
    let (_, h, f) = tx(&cli, &["bid", "create", &order, "--price", &price, "--from", "provider-gpu"]).await;
    times.record("bid create", h0, h, started);
    ledger.pay(&provider, &fees, LEASE, f);
    ledger.pay(&provider, &escrow, USDC, COLLATERAL);
    ledger.check(&cli, "bid create").await;

    // 5. The tenant sees the bid.
    let (h0, started) = (chain.height().await, Instant::now());
    let (v, _) = cli.json(&["bids", "list", "--dseq", &dseq, "--from", "tenant"]).await;
    times.record("bids list", h0, chain.height().await, started);
    let bids: Vec<Bid> = serde_json::from_value(v).expect("bids JSON");
    assert_eq!(bids.len(), 1, "{bids:?}");
    let bid = &bids[0];
    assert_eq!((bid.state, bid.id.provider.as_str()), (BidState::Open, provider.as_str()));
    assert_eq!((bid.price.amount, bid.price.denom.as_str()), (dec(PRICE), USDC));
    assert_eq!(bid.collateral.amount, Uint256::from(COLLATERAL));
    let bid_id = format!("{}/{}/{}/{}/{}", bid.id.owner, bid.id.dseq, bid.id.gseq, bid.id.oseq, bid.id.provider);
    assert_eq!(bid_id, format!("{order}/{provider}"));
    // The text table prints the id `lease create` takes.
    let text = cli.ok(&["bids", "list", "--dseq", &dseq, "--from", "tenant"]).await;
    assert!(text.stdout.contains(&bid_id), "{}", text.stdout);

    // 6. The tenant accepts it: the lease pays PRICE per block from its block on.
    let (h0, started) = (chain.height().await, Instant::now());
    let (_, leased_at, f) = tx(&cli, &["lease", "create", &bid_id, "--from", "tenant"]).await;
    times.record("lease create", h0, leased_at, started);
    ledger.pay(&tenant, &fees, LEASE, f);
    ledger.check(&cli, "lease create").await;

    // 7. Blocks pass.
    let started = Instant::now();
    let reached = chain.wait_for_height(leased_at + RUN_BLOCKS).await;
    times.record("blocks pass", leased_at, reached, started);

    // 8. The tenant tops the escrow up; `escrow show` agrees with the bank to the micro-unit.
    let (h0, started) = (chain.height().await, Instant::now());
    let top_up = format!("{TOP_UP}{USDC}");
    let (_, h, f) = tx(&cli, &["deployment", "deposit", "--dseq", &dseq, &top_up, "--from", "tenant"]).await;
    times.record("deployment deposit", h0, h, started);
    ledger.pay(&tenant, &fees, LEASE, f);
    ledger.pay(&tenant, &escrow, USDC, TOP_UP);
    ledger.check(&cli, "deployment deposit").await;
    let (account, runway) = escrow_show(&cli, &dseq).await;
    let a = &account.account;
    assert_eq!((a.state, a.denom.as_str(), a.open_payments), (AccountState::Open, USDC, 1));
    assert_eq!(a.deposited, Uint256::from(DEPOSIT + TOP_UP));
    assert!(a.settled_at >= h, "escrow show settles to the current block");
    let charged = PRICE * u128::from(a.settled_at - leased_at);
    assert_eq!(a.charged, dec(charged));
    assert_eq!(account.balance, dec(DEPOSIT + TOP_UP - charged));
    assert_eq!(a.rate, dec(PRICE));
    assert_eq!(account.depositors.len(), 1, "the same depositor's deposits merge");
    assert_eq!(account.depositors[0].amount, Uint256::from(DEPOSIT + TOP_UP));
    assert_eq!(runway.blocks, Some(((DEPOSIT + TOP_UP - charged) / PRICE) as u64));

    // 9. The provider withdraws what the lease accrued; 5 % goes to the community pool.
    let (h0, started) = (chain.height().await, Instant::now());
    let (v, withdrawn_at, f) = tx(&cli, &["lease", "withdraw", &bid_id, "--from", "provider-gpu"]).await;
    times.record("lease withdraw", h0, withdrawn_at, started);
    let accrued1 = PRICE * u128::from(withdrawn_at - leased_at);
    let (paid1, take1) = (accrued1 - take(accrued1), take(accrued1));
    assert!(accrued1 >= PRICE * u128::from(RUN_BLOCKS));
    assert_eq!(str_of(&v, "paid"), format!("{paid1}{USDC}"), "withdraw reports the payout, not the fee");
    assert_eq!(str_of(&v, "take"), format!("{take1}{USDC}"));
    ledger.pay(&provider, &fees, LEASE, f);
    ledger.pay(&escrow, &provider, USDC, paid1);
    ledger.pay(&escrow, &pool, USDC, take1);
    ledger.check(&cli, "lease withdraw").await;

    // 10. The tenant closes the deployment: the provider is paid up to this block, its
    //     collateral returns, the rest of the deposit is refunded.
    let (h0, started) = (chain.height().await, Instant::now());
    let (_, closed_at, f) = tx(&cli, &["deployment", "close", "--dseq", &dseq, "--from", "tenant"]).await;
    times.record("deployment close", h0, closed_at, started);
    let total = PRICE * u128::from(closed_at - leased_at);
    let accrued2 = total - accrued1;
    // The take is computed on cumulative earnings: floor(total x rate) - what was taken before.
    let take2 = take(total) - take1;
    let paid2 = accrued2 - take2;
    ledger.pay(&tenant, &fees, LEASE, f);
    ledger.pay(&escrow, &provider, USDC, paid2 + COLLATERAL);
    ledger.pay(&escrow, &pool, USDC, take2);
    ledger.pay(&escrow, &tenant, USDC, DEPOSIT + TOP_UP - total);
    ledger.check(&cli, "deployment close").await;
    assert_eq!(ledger.get(&escrow, USDC), 0, "the escrow holds nothing for this deployment any more");
    assert_eq!(ledger.get(&tenant, USDC), leasehold_node::devnet::DEV_BALANCE - total, "the tenant paid the lease");
    assert_eq!(ledger.get(&pool, USDC), take1 + take2);
    // Nothing was created or lost in either denom.
    assert_eq!(ledger.accounts.iter().map(|(_, a)| ledger.get(a, USDC)).sum::<u128>(), usdc_supply);
    assert_eq!(ledger.accounts.iter().map(|(_, a)| ledger.get(a, LEASE)).sum::<u128>(), lease_supply);

    let (account, runway) = escrow_show(&cli, &dseq).await;
    let a = &account.account;
    assert_eq!((a.state, a.open_payments), (AccountState::Closed, 0));
    assert_eq!(a.charged, dec(total));
    assert_eq!(a.refunded, Uint256::from(DEPOSIT + TOP_UP - total));
    assert_eq!(account.balance, Decimal256::zero());
    assert_eq!(runway.blocks, None);
    let (v, _) = cli.json(&["lease", "list", "--from", "tenant"]).await;
    let leases: LeasesResponse = serde_json::from_value(v).expect("leases JSON");
    assert_eq!(leases.leases.len(), 1);
    let l = &leases.leases[0];
    assert_eq!(
        (l.state, l.created_at, l.closed_at, l.reason),
        (LeaseState::Closed, leased_at, Some(closed_at), Some(LeaseCloseReason::Owner))
    );

    times.report("Tenant/provider/auditor journey through the leasehold CLI", "cli-journey-timings.md");
    chain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_journey_store_instantiate_query_migrate() {
    let chain = TestChain::start().await;
    let cli = Cli::new(&chain.url);
    cli.import_dev_key("admin").await;
    cli.import_dev_key("tenant").await;
    let (admin, tenant, fees) = (dev_address("admin"), dev_address("tenant"), fee_collector());
    let mut ledger = Ledger::default();
    ledger.track(&cli, "admin", &admin).await;
    ledger.track(&cli, "tenant", &tenant).await;
    ledger.track(&cli, "fee collector", &fees).await;
    let mut times = Timings::default();
    let wasm = artifacts().join("provider.wasm").to_string_lossy().into_owned();

    // Store: the admin is on the upload allow-list. Codes 1-3 are the genesis marketplace.
    let (h0, started) = (chain.height().await, Instant::now());
    let (v, h, f) = tx(&cli, &["wasm", "store", &wasm, "--from", "admin"]).await;
    times.record("wasm store", h0, h, started);
    let code_id = str_of(&v, "code_id").to_string();
    assert_eq!(code_id, "4");
    let bytes = std::fs::read(artifacts().join("provider.wasm")).expect("provider.wasm");
    assert_eq!(str_of(&v, "checksum"), hex_sha256(&bytes), "the checksum of the uncompressed code");
    ledger.pay(&admin, &fees, LEASE, f);
    ledger.check(&cli, "wasm store").await;

    // Instantiate a second provider registry pointing at the genesis market.
    let (h0, started) = (chain.height().await, Instant::now());
    let msg = format!(r#"{{"market":"{}"}}"#, chain.contracts.market);
    let (v, h, f) = tx(
        &cli,
        &["wasm", "instantiate", &code_id, &msg, "--label", "registry-2", "--admin", &admin, "--from", "admin"],
    )
    .await;
    times.record("wasm instantiate", h0, h, started);
    let contract = str_of(&v, "contract").to_string();
    assert!(contract.starts_with("lease1"), "{contract}");
    assert_eq!(contract.len(), chain.contracts.market.len(), "a 32-byte contract address like the market's");
    assert_ne!(contract, chain.contracts.provider);
    ledger.pay(&admin, &fees, LEASE, f);
    ledger.check(&cli, "wasm instantiate").await;

    // Query it (smart query, JSON in and out).
    let (h0, started) = (chain.height().await, Instant::now());
    let (v, _) = cli.json(&["wasm", "query", &contract, r#"{"config":{}}"#]).await;
    times.record("wasm query", h0, chain.height().await, started);
    assert_eq!(v, serde_json::json!({ "market": chain.contracts.market }));

    // Use it: the tenant registers in the new registry through `wasm execute`.
    let register =
        r#"{"register":{"host_uri":"https://p.example.com","attributes":[],"info":{"email":"","website":""}}}"#;
    let (_, _, f) = tx(&cli, &["wasm", "execute", &contract, register, "--from", "tenant"]).await;
    ledger.pay(&tenant, &fees, LEASE, f);
    let (v, _) = cli.json(&["wasm", "query", &contract, r#"{"providers":{}}"#]).await;
    assert_eq!(v["providers"].as_array().map(Vec::len), Some(1), "{v}");

    // Migrate (same code: the contract accepts the same version) — only the admin may.
    let r = cli.run(&["wasm", "migrate", &contract, &code_id, "{}", "--from", "tenant"]).await;
    r.assert_error(3, "unauthorized");
    let (h0, started) = (chain.height().await, Instant::now());
    let (v, h, f) = tx(&cli, &["wasm", "migrate", &contract, &code_id, "{}", "--from", "admin"]).await;
    times.record("wasm migrate", h0, h, started);
    ledger.pay(&admin, &fees, LEASE, f);
    ledger.check(&cli, "wasm migrate").await;
    let (t, _) = cli.json(&["query", "tx", str_of(&v, "txhash")]).await;
    let events = t["events"].as_array().expect("events");
    let attr = |kind: &str, key: &str| -> Option<String> {
        events.iter().filter(|e| e["type"] == kind).find_map(|e| {
            e["attributes"].as_array()?.iter().find(|a| a[0] == key).and_then(|a| a[1].as_str().map(str::to_string))
        })
    };
    assert_eq!(attr("migrate", "code_id").as_deref(), Some(code_id.as_str()));
    assert_eq!(attr("migrate", "_contract_address").as_deref(), Some(contract.as_str()));
    assert_eq!(attr("wasm", "action").as_deref(), Some("migrate"));
    // The state survived the migration.
    let (v, _) = cli.json(&["wasm", "query", &contract, r#"{"providers":{}}"#]).await;
    assert_eq!(v["providers"].as_array().map(Vec::len), Some(1));
    // A different contract's code is refused by the contract's own migrate (cw2 check).
    let r = cli.run(&["wasm", "migrate", &contract, "1", "{}", "--from", "admin"]).await;
    r.assert_error(3, "Cannot migrate from crates.io:leasehold-provider");

    // Uploads from accounts off the allow-list are refused by the chain: exit 3, no fee taken
    // (refused in simulation, nothing broadcast).
    let r = cli.run(&["wasm", "store", &wasm, "--from", "tenant"]).await;
    r.assert_error(3, "is not on the upload allow-list");
    ledger.check(&cli, "refused uploads and migrations").await;
    // Not a wasm file: a usage error before anything is sent.
    let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    cli.run(&["wasm", "store", &readme.to_string_lossy(), "--from", "admin"]).await.assert_error(2, "not a wasm file");
    cli.run(&["wasm", "instantiate", &code_id, "{not json", "--label", "x", "--admin", &admin, "--from", "admin"])
        .await
        .assert_error(2, "message is not JSON");

    times.report("Validator journey through the leasehold CLI", "cli-validator-timings.md");
    chain.stop().await;
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_its_exit_code_a_one_line_error_and_changes_nothing() {
    let chain = TestChain::start().await;
    let cli = Cli::new(&chain.url);
    cli.import_dev_key("tenant").await;
    let tenant = dev_address("tenant");
    let provider = dev_address("provider-gpu");
    let before = cli.balances(&tenant).await;

    // Unknown key.
    cli.run(&["bank", "send", &provider, "5ulease", "--from", "nobody"]).await.assert_error(2, "\"nobody\"");
    cli.run(&["deployment", "close", "--dseq", "1", "--from", "nobody"]).await.assert_error(2, "\"nobody\"");
    // No key at all.
    cli.run(&["bank", "send", &provider, "5ulease"]).await.assert_error(2, "--from");

    // Malformed addresses.
    for bad in ["lease1xyz", "cosmos1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7", &format!("{}x", &provider[..43]), ""] {
        cli.run(&["bank", "send", bad, "5ulease", "--from", "tenant"]).await.assert_error(2, "recipient");
        cli.run(&["query", "balances", bad]).await.assert_error(2, "address");
    }
    let upper = provider.to_uppercase();
    cli.run(&["bank", "send", &upper, "5ulease", "--from", "tenant"]).await.assert_error(2, "lower case");
    // Address filters and arguments of queries are checked too (they printed "no results" with
    // exit 0, or a raw contract error with exit 3).
    let bad_checksum = format!("{}x", &provider[..provider.len() - 1]);
    let other_prefix = tenant.replace("lease1", "cosmos1");
    let db = tempfile::tempdir().expect("dir");
    let db = db.path().join("index.db");
    let db = db.to_str().expect("path");
    for (args, what) in [
        (vec!["lease", "list", "--provider", &bad_checksum], "provider"),
        (vec!["lease", "list", "--owner", &other_prefix], "owner"),
        (vec!["bids", "list", "--owner", &other_prefix, "--dseq", "1"], "owner"),
        (vec!["bids", "list", "--provider", &bad_checksum], "provider"),
        (vec!["provider", "get", &bad_checksum], "owner"),
        (vec!["escrow", "show", "--dseq", "1", "--owner", &bad_checksum], "owner"),
        (vec!["index", "query", "leases", "--db", db, "--provider", "lease1bad"], "provider"),
        (vec!["index", "query", "provider-stats", "--db", db, "--provider", &bad_checksum], "provider"),
    ] {
        let r = cli.run(&args).await;
        r.assert_error(2, &format!("{what}: "));
        assert!(r.stderr.contains("is not a valid lease address"), "{args:?}: {}", r.stderr);
    }

    // Malformed amounts.
    for (bad, needle) in [
        ("5.5ulease", "is not a whole number"),
        ("ulease", "the amount is missing"),
        ("5", "expected an amount followed by a denom"),
        ("0ulease", "must be positive"),
        ("abc", "the amount is missing"),
    ] {
        cli.run(&["bank", "send", &provider, bad, "--from", "tenant"]).await.assert_error(2, needle);
    }
    cli.run(&["deployment", "create", &example("gpu-inference.yaml"), "--deposit", "lots", "--from", "tenant"])
        .await
        .assert_error(2, "--deposit");
    cli.run(&["bid", "create", &format!("{tenant}/1/1"), "--price", "1uusdc", "--from", "tenant"])
        .await
        .assert_error(2, "OWNER/DSEQ/GSEQ/OSEQ");
    // clap's own usage errors exit 2 as well (not one line: clap prints usage).
    let r = cli.run(&["bank", "send", &provider]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);

    // Insufficient funds: refused by the chain (exit 3), in simulation, so no fee is taken.
    let too_much = format!("{}uusdc", before["uusdc"] + 1);
    cli.run(&["bank", "send", &provider, &too_much, "--from", "tenant"]).await.assert_error(3, "insufficient funds");
    let too_much = format!("{}ulease", before["ulease"] + 1);
    cli.run(&["bank", "send", &provider, &too_much, "--from", "tenant"]).await.assert_error(3, "insufficient funds");
    // A market rejection is a chain error too.
    cli.run(&["deployment", "close", "--dseq", "424242", "--from", "tenant"])
        .await
        .assert_error(3, "simulation failed");
    assert_eq!(cli.balances(&tenant).await, before, "failed commands cost nothing");

    // --output json: only JSON on stdout on success, and nothing on stdout on failure.
    let (v, run) = cli.json(&["bank", "send", &provider, "7uusdc", "--from", "tenant"]).await;
    assert_eq!(v["code"], 0);
    assert!(run.stdout.trim_start().starts_with('{') && run.stdout.trim_end().ends_with('}'));
    let r = cli.run(&["bank", "send", &provider, "7.5uusdc", "--from", "tenant", "-o", "json"]).await;
    r.assert_error(2, "is not a whole number");
    for args in [
        vec!["keys", "list"],
        vec!["keys", "show", "tenant"],
        vec!["query", "account", &tenant],
        vec!["query", "balances", &tenant],
        vec!["deployment", "list", "--from", "tenant"],
        vec!["lease", "list", "--from", "tenant"],
        vec!["config", "show"],
    ] {
        cli.json(&args).await;
    }

    // Wrong passphrase with the encrypted `file` backend: a usage error, the keyring untouched.
    let mut enc = Cli::with_backend(&chain.url, "file");
    enc.set_env("LEASEHOLD_KEYRING_PASSPHRASE", "correct horse battery");
    let r = enc.run_stdin(&["keys", "import", "tenant"], dev_mnemonic("tenant")).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (v, _) = enc.json(&["keys", "add", "fresh"]).await;
    assert_eq!(str_of(&v, "mnemonic").split_whitespace().count(), 24);
    let files = enc.keyring_files();
    assert_eq!(files.keys().collect::<Vec<_>>(), ["fresh.key", "tenant.key"]);
    for bytes in files.values() {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(dev_mnemonic("tenant")) && !text.contains("rare undo"), "the key file is encrypted");
    }
    enc.set_env("LEASEHOLD_KEYRING_PASSPHRASE", "wrong horse battery");
    enc.run(&["bank", "send", &provider, "5ulease", "--from", "tenant"]).await.assert_error(2, "wrong passphrase");
    enc.run(&["keys", "export", "tenant"]).await.assert_error(2, "wrong passphrase");
    assert_eq!(enc.keyring_files(), files, "a wrong passphrase writes nothing");
    // Listing and showing need no passphrase.
    let (v, _) = enc.json(&["keys", "list"]).await;
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    // The right passphrase signs.
    enc.set_env("LEASEHOLD_KEYRING_PASSPHRASE", "correct horse battery");
    tx(&enc, &["bank", "send", &provider, "5ulease", "--from", "tenant"]).await;
    // A short passphrase is refused before anything is written.
    enc.set_env("LEASEHOLD_KEYRING_PASSPHRASE", "short");
    enc.run_stdin(&["keys", "import", "other"], dev_mnemonic("auditor")).await.assert_error(2, "at least 8 characters");
    assert_eq!(enc.keyring_files(), files);
    // A duplicate name is refused and leaves the existing key as it was.
    enc.set_env("LEASEHOLD_KEYRING_PASSPHRASE", "correct horse battery");
    let r = enc.run_stdin(&["keys", "import", "tenant"], dev_mnemonic("auditor")).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(enc.keyring_files(), files);

    chain.stop().await;
}

/// No node is needed to see these fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_node_is_a_network_error() {
    let cli = Cli::new("http://127.0.0.1:1");
    cli.import_dev_key("tenant").await;
    let provider = dev_address("provider-gpu");
    cli.run(&["query", "balances", &provider]).await.assert_error(4, "cannot connect to http://127.0.0.1:1");
    cli.run(&["bank", "send", &provider, "5ulease", "--from", "tenant"])
        .await
        .assert_error(4, "cannot connect to http://127.0.0.1:1");
    let r = cli.run(&["escrow", "show", "--dseq", "1", "--from", "tenant", "-o", "json"]).await;
    r.assert_error(4, "Connection refused");
    // The error names the cause once.
    assert_eq!(r.stderr.matches("tcp connect error").count(), 1, "{}", r.stderr);
}

/// `--node 127.0.0.1:9090` (no scheme) was reported as a network failure (exit 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_address_without_scheme_is_a_usage_error() {
    let cli = Cli::new("127.0.0.1:9090");
    cli.run(&["query", "balances", &dev_address("tenant")]).await.assert_error(2, "expected http://HOST:PORT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_mnemonic_import_leaves_no_file_behind() {
    for backend in ["test", "file"] {
        let mut cli = Cli::with_backend("http://127.0.0.1:1", backend);
        cli.set_env("LEASEHOLD_KEYRING_PASSPHRASE", "correct horse battery");
        let valid = dev_mnemonic("tenant");
        let mut swapped: Vec<&str> = valid.split_whitespace().collect();
        swapped.swap(0, 1);
        let swapped = swapped.join(" ");
        for (phrase, needle) in [
            ("foo bar", "mnemonic has 2 words"),
            ("", "mnemonic has 0 words"),
            (&swapped, "checksum"),
            ("rare undo idea swear indoor retire limit drum joy beyond develop fooo", "not in the BIP-39"),
        ] {
            cli.run_stdin(&["keys", "import", "bad"], phrase).await.assert_error(2, needle);
            assert!(cli.keyring_files().is_empty(), "{backend}: {phrase:?} left {:?}", cli.keyring_files().keys());
        }
        // A valid one then works, and the file is private.
        let r = cli.run_stdin(&["keys", "import", "good"], valid).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        let ext = if backend == "test" { "insecure-test-key" } else { "key" };
        assert_eq!(cli.keyring_files().keys().collect::<Vec<_>>(), [format!("good.{ext}").as_str()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(cli.keyring_dir().join(format!("good.{ext}"))).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

/// `config init --keyring-backend test` did not save the backend (nor `--output`), so later
/// commands looked for encrypted keys and did not find the imported ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_init_keeps_the_keyring_backend_and_output() {
    let cli = Cli::new("http://127.0.0.1:1");
    let keyring = cli.keyring_dir();
    let keyring = keyring.to_string_lossy();
    let r = exec(
        cli.bare(&[
            "config",
            "init",
            "--node",
            "http://127.0.0.1:7",
            "--keyring-backend",
            "test",
            "--keyring-dir",
            &keyring,
            "--from",
            "tenant",
            "--output",
            "json",
        ]),
        None,
    )
    .await;
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""), "json mode prints no note");
    let text = std::fs::read_to_string(cli.config_path()).expect("config written");
    let saved: toml::Value = toml::from_str(&text).expect("toml");
    assert_eq!(saved["keyring_backend"].as_str(), Some("test"), "{text}");
    assert_eq!(saved["output"].as_str(), Some("json"), "{text}");
    assert_eq!(saved["node"].as_str(), Some("http://127.0.0.1:7"));
    assert_eq!(saved["from"].as_str(), Some("tenant"));

    // Later commands take every default from the file.
    let r = exec(cli.bare(&["keys", "import", "tenant"]), Some(dev_mnemonic("tenant").into())).await;
    let v = parse_only_json(&r);
    assert_eq!(str_of(&v, "address"), dev_address("tenant"));
    assert!(cli.keyring_dir().join("tenant.insecure-test-key").exists(), "imported with the test backend");
    let r = exec(cli.bare(&["config", "show"]), None).await;
    let v = parse_only_json(&r);
    assert_eq!(str_of(&v, "keyring_backend"), "test");
    assert_eq!(str_of(&v, "gas"), "auto");
    assert_eq!(str_of(&v, "gas_prices"), "0.025ulease");
    // A flag still wins over the file.
    let r = exec(cli.bare(&["config", "show", "-o", "text", "--node", "http://127.0.0.1:8"]), None).await;
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("node = \"http://127.0.0.1:8\""), "{}", r.stdout);
    let r = exec(cli.bare(&["bank", "send", &dev_address("auditor"), "1ulease"]), None).await;
    r.assert_error(4, "cannot connect to http://127.0.0.1:7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_help_need_no_node() {
    let cli = Cli::new("http://127.0.0.1:1");
    for shell in ["bash", "zsh", "fish"] {
        let r = exec(cli.bare(&["completions", shell]), None).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("leasehold"), "{shell}");
        assert!(r.stdout.contains("deployment"), "{shell}: subcommands are completed");
    }
    let r = exec(cli.bare(&["deployment", "create", "--help"]), None).await;
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Example: leasehold deployment create examples/gpu-inference.yaml"), "{}", r.stdout);
}

/// `leasehold completions bash | head -1` panicked ("failed to write completion file: Broken
/// pipe"), and so did any output larger than what the reader took.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_into_a_closed_pipe_does_not_panic() {
    let cli = Cli::new("http://127.0.0.1:1");
    for args in [vec!["completions", "bash"], vec!["config", "show", "-o", "json"]] {
        let mut cmd = cli.bare(&args);
        let out = tokio::task::spawn_blocking(move || {
            cmd.stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = cmd.spawn().expect("spawn leasehold");
            drop(child.stdout.take()); // the reader is gone before anything is written
            child.wait_with_output().expect("leasehold runs")
        })
        .await
        .expect("blocking task");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// The tenant's controls against squatters and slot fillers, through the CLI against a dev node:
/// `bids reject`, `deployment exclude` / `excluded` / `readmit`, `deployment update --auto-match`;
/// bad input refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_controls_through_the_cli() {
    let chain = TestChain::start().await;
    let cli = Cli::new(&chain.url);
    for name in ["tenant", "provider-gpu", "provider-cpu"] {
        cli.import_dev_key(name).await;
    }
    let (tenant, gpu, cpu) = (dev_address("tenant"), dev_address("provider-gpu"), dev_address("provider-cpu"));
    for (name, host) in [("provider-gpu", "https://gpu.example.com"), ("provider-cpu", "https://cpu.example.com")] {
        tx(&cli, &["provider", "register", "--host-uri", host, "--attr", "region=eu-west", "--from", name]).await;
    }
    // `provider update` changes only what it is given (it used to wipe the attributes).
    tx(&cli, &["provider", "update", "--email", "ops@gpu.example.com", "--from", "provider-gpu"]).await;
    let (p, _) = cli.json(&["provider", "get", &gpu]).await;
    assert_eq!(p["attributes"], serde_json::json!([{"key": "region", "value": "eu-west"}]), "{p}");
    assert_eq!(
        (p["info"]["email"].as_str(), p["host_uri"].as_str()),
        (Some("ops@gpu.example.com"), Some("https://gpu.example.com"))
    );
    cli.run(&["provider", "update", "--email", "ops@gpu.example.com", "--from", "provider-gpu"])
        .await
        .assert_error(2, "nothing to update");
    let (v, _, _) = tx(
        &cli,
        &["deployment", "create", &example("web-service.yaml"), "--deposit", "5000000ulease", "--from", "tenant"],
    )
    .await;
    let dseq = str_of(&v, "dseq").to_string();
    let order = format!("{tenant}/{dseq}/1/1");
    for name in ["provider-gpu", "provider-cpu"] {
        tx(&cli, &["bid", "create", &order, "--price", "150ulease", "--from", name]).await;
    }
    let bid_state = |bids: &Value, provider: &str| -> String {
        let list: Vec<Bid> = serde_json::from_value(bids.clone()).expect("bids JSON");
        let b = list.iter().find(|b| b.id.provider == provider && b.id.gseq == 1).expect("the provider's bid");
        serde_json::to_value(b.state).expect("state").as_str().expect("state name").to_string()
    };

    // Reject one bid: lost, its collateral back with the provider.
    let before = cli.balances(&gpu).await;
    tx(&cli, &["bids", "reject", &format!("{order}/{gpu}"), "--from", "tenant"]).await;
    let (bids, _) = cli.json(&["bids", "list", "--dseq", &dseq, "--from", "tenant"]).await;
    assert_eq!(bid_state(&bids, &gpu), "lost");
    assert_eq!(cli.balances(&gpu).await["ulease"], before["ulease"] + 500_000, "collateral refunded");

    // Exclude the other provider: its bid is closed, it shows in the list, readmission lifts it.
    tx(&cli, &["deployment", "exclude", &cpu, "--dseq", &dseq, "--from", "tenant"]).await;
    let (bids, _) = cli.json(&["bids", "list", "--dseq", &dseq, "--from", "tenant"]).await;
    assert_eq!(bid_state(&bids, &cpu), "lost");
    let (excluded, _) = cli.json(&["deployment", "excluded", "--dseq", &dseq, "--from", "tenant"]).await;
    assert_eq!(excluded, serde_json::json!([cpu]));
    tx(&cli, &["deployment", "readmit", &cpu, "--dseq", &dseq, "--from", "tenant"]).await;
    let (excluded, _) = cli.json(&["deployment", "excluded", "--dseq", &dseq, "--from", "tenant"]).await;
    assert_eq!(excluded, serde_json::json!([]));
    // Excluded before it bids on a second deployment: its bid is refused until readmitted.
    let (v, _, _) = tx(
        &cli,
        &["deployment", "create", &example("web-service.yaml"), "--deposit", "5000000ulease", "--from", "tenant"],
    )
    .await;
    let dseq2 = str_of(&v, "dseq").to_string();
    let order2 = format!("{tenant}/{dseq2}/1/1");
    tx(&cli, &["deployment", "exclude", &cpu, "--dseq", &dseq2, "--from", "tenant"]).await;
    let refused = cli.run(&["bid", "create", &order2, "--price", "10ulease", "--from", "provider-cpu"]).await;
    refused.assert_error(3, "is excluded from deployment");
    tx(&cli, &["deployment", "readmit", &cpu, "--dseq", &dseq2, "--from", "tenant"]).await;
    tx(&cli, &["bid", "create", &order2, "--price", "10ulease", "--from", "provider-cpu"]).await;

    // Update with an SDL: a new image is a manifest change (accepted); more CPU is a group
    // change the market cannot apply — refused naming it (it used to say "updated").
    let sdl = std::fs::read_to_string(example("web-service.yaml")).expect("example");
    let dir = tempfile::tempdir().expect("dir");
    let new_image = dir.path().join("new-image.yaml");
    std::fs::write(&new_image, sdl.replace("shop-frontend:2.3.1", "shop-frontend:2.4.0")).expect("write");
    let more_cpu = dir.path().join("more-cpu.yaml");
    std::fs::write(&more_cpu, sdl.replace("units: 500m", "units: 1000m")).expect("write");
    let (before, _) = cli.json(&["deployment", "get", "--dseq", &dseq2, "--from", "tenant"]).await;
    let r = cli
        .run(&["deployment", "update", more_cpu.to_str().expect("path"), "--dseq", &dseq2, "--from", "tenant"])
        .await;
    r.assert_error(2, "this SDL changes its groups");
    assert!(r.stderr.contains("cpu_millis 500 -> 1000"), "{}", r.stderr);
    let (unchanged, _) = cli.json(&["deployment", "get", "--dseq", &dseq2, "--from", "tenant"]).await;
    assert_eq!(unchanged, before, "nothing changed");
    tx(&cli, &["deployment", "update", new_image.to_str().expect("path"), "--dseq", &dseq2, "--from", "tenant"]).await;
    let (updated, _) = cli.json(&["deployment", "get", "--dseq", &dseq2, "--from", "tenant"]).await;
    assert_ne!(updated["deployment"]["hash"], before["deployment"]["hash"], "the manifest hash changed");

    // Auto-match on, then off again.
    tx(&cli, &["deployment", "update", "--dseq", &dseq, "--auto-match", "on", "--from", "tenant"]).await;
    let (d, _) = cli.json(&["deployment", "get", "--dseq", &dseq, "--from", "tenant"]).await;
    assert_eq!(d["deployment"]["auto_match"], true);
    tx(&cli, &["deployment", "update", "--dseq", &dseq, "--auto-match", "off", "--from", "tenant"]).await;
    let (d, _) = cli.json(&["deployment", "get", "--dseq", &dseq, "--from", "tenant"]).await;
    assert_eq!(d["deployment"]["auto_match"], false);

    // Bad input: caught before anything is sent (exit 2).
    cli.run(&["deployment", "update", "--dseq", &dseq, "--from", "tenant"]).await.assert_error(2, "nothing to update");
    cli.run(&["deployment", "exclude", "lease1notanaddress", "--dseq", &dseq, "--from", "tenant"])
        .await
        .assert_error(2, "is not a valid lease address");
    cli.run(&["deployment", "exclude", &tenant.replace("lease1", "cosmos1"), "--dseq", &dseq, "--from", "tenant"])
        .await
        .assert_error(2, "provider:");
    cli.run(&["bids", "reject", "not-a-bid", "--from", "tenant"]).await.assert_error(2, "bid");
    chain.stop().await;
}

/// Without a terminal nothing is confirmed by default: `echo y | leasehold bank send …` (or a
/// script, or `-o json`) used to broadcast, `keys export` in a pipe printed the mnemonic and
/// `keys delete` deleted. Now each refuses (exit 2, one line naming `--yes`) and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_nothing_happens_unless_yes_is_given() {
    let chain = TestChain::start().await;
    let cli = Cli::new(&chain.url);
    cli.import_dev_key("tenant").await;
    let keyring = cli.keyring_dir();
    let keyring = keyring.to_string_lossy().into_owned();
    let no_yes = |args: &[&str]| {
        let mut all =
            vec!["--node", chain.url.as_str(), "--keyring-backend", "test", "--keyring-dir", keyring.as_str()];
        all.extend_from_slice(args);
        cli.bare(&all)
    };
    let tenant = dev_address("tenant");
    let before = cli.balances(&tenant).await;
    for output in ["text", "json"] {
        let send = no_yes(&["bank", "send", &dev_address("auditor"), "1ulease", "--from", "tenant", "-o", output]);
        let r = exec(send, Some("y\n".into())).await;
        r.assert_error(2, "add --yes (-y)");
        assert!(!r.stdout.contains("mnemonic"));
    }
    let r = exec(no_yes(&["keys", "export", "tenant"]), Some("y\n".into())).await;
    r.assert_error(2, "print the mnemonic: no terminal to ask on");
    assert!(!r.stdout.contains(dev_mnemonic("tenant").split(' ').next().unwrap_or("rare")), "{}", r.stdout);
    let r = exec(no_yes(&["keys", "delete", "tenant"]), Some("y\n".into())).await;
    r.assert_error(2, "delete the key: no terminal to ask on");
    assert!(cli.keyring_dir().join("tenant.insecure-test-key").exists(), "the key is still there");
    chain.wait_for_height(chain.height().await + 2).await;
    assert_eq!(cli.balances(&tenant).await, before, "nothing was sent");
    // With --yes the same send goes through.
    cli.ok(&["bank", "send", &dev_address("auditor"), "1ulease", "--from", "tenant"]).await;
    chain.stop().await;
}

/// `index query` uses the client config's `index_db` (what `make run` writes), and a database
/// that does not exist is an error (a mistyped `--db` used to create an empty one and answer
/// from it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_queries_find_the_configured_database_and_never_create_one() {
    let cli = Cli::new("http://127.0.0.1:1");
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("typo.sqlite");
    let missing = missing.to_str().expect("path");
    let r = cli.run(&["index", "query", "status", "--db", missing]).await;
    r.assert_error(2, "no index database at");
    assert!(!std::path::Path::new(missing).exists(), "nothing was created");
    // Configured: the same error names the configured file, and a real database is found.
    let configured = dir.path().join("index.sqlite");
    let configured = configured.to_str().expect("path");
    exec(cli.bare(&["config", "init", "--index-db", configured]), None).await;
    cli.run(&["index", "query", "status"]).await.assert_error(2, configured);
    let (show, _) = cli.json(&["config", "show"]).await;
    assert_eq!(show["index_db"].as_str(), Some(configured));
    leasehold_client::indexer::store::open(configured).expect("create the database as index run does");
    let r = cli.run(&["index", "query", "status"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// `provider run --state-dir` keeps the engine's state where it is told (make run: under the
/// market's home), not at the config's fixed path shared by every market.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_run_keeps_its_state_in_the_given_directory() {
    let chain = TestChain::start().await;
    let cli = Cli::new(&chain.url);
    cli.import_dev_key("provider-cpu").await;
    let dir = tempfile::tempdir().expect("dir");
    let state_dir = dir.path().join("market-a").join("providers").join("cpu");
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/providers/cpu.yaml");
    let mut engine = cli
        .command(&[
            "provider",
            "run",
            "--config",
            config.to_str().expect("path"),
            "--state-dir",
            state_dir.to_str().expect("path"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("engine starts");
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while !state_dir.join("state.json").exists() && Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = engine.kill();
    let _ = engine.wait();
    assert!(state_dir.join("state.json").exists(), "the engine wrote its state into --state-dir");
    chain.stop().await;
}
