//! Every market error path not already pinned by the flow and state-machine tests: each bad
//! message gets its specific error and changes nothing (balances and queries unchanged).

use cosmwasm_std::{Addr, Coin, HexBinary, coin};
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group, cpu_provider_attrs};
use leasehold_marketplace_tests::{DENOM, Suite, USD, default_params, manifest_hash, price};
use leasehold_types::escrow::{AccountId, AccountScope, EscrowHookMsg};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{ExecuteMsg, LeaseCloseReason, MarketParams, QueryMsg};

struct World {
    s: Suite,
    tenant: Addr,
    p: Addr,
}

fn world() -> World {
    let mut s = Suite::new();
    let tenant = s.account("tenant", 100_000_000);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 10, 1)], coin(2_000_000, DENOM), false).unwrap();
    World { s, tenant, p }
}

fn snapshot(w: &World) -> String {
    let d = w.s.try_query_market::<leasehold_types::market::DeploymentsResponse>(&QueryMsg::Deployments {
        owner: None,
        state: None,
        start_after: None,
        limit: None,
    });
    let bids = w.s.try_query_market::<leasehold_types::market::BidsResponse>(&QueryMsg::Bids {
        order: None,
        provider: None,
        state: None,
        start_after: None,
        limit: None,
    });
    let balances: Vec<u128> =
        [&w.tenant, &w.p, &w.s.escrow, &w.s.market].iter().map(|a| w.s.balance(a, DENOM)).collect();
    format!("{d:?}{bids:?}{balances:?}")
}

/// Sends `msg` from `sender` with `funds`, expecting an error containing `needle` and no change.
fn expect_err(w: &mut World, sender: &Addr, msg: ExecuteMsg, funds: &[Coin], needle: &str) {
    let before = snapshot(w);
    let err = w.s.exec_market(sender, &msg, funds).expect_err(needle).to_string();
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert_eq!(before, snapshot(w), "state changed by a failed message ({needle})");
}

fn deploy(dseq: u64, hash: HexBinary, groups: Vec<leasehold_types::resources::GroupSpec>) -> ExecuteMsg {
    ExecuteMsg::CreateDeployment { dseq, hash, groups, auto_match: false }
}

#[test]
fn create_deployment_rejects_bad_input() {
    let mut w = world();
    let t = w.tenant.clone();
    let ok_funds = [coin(1_000_000, DENOM)];
    let g = || vec![cpu_group("web", 10, 1)];
    expect_err(&mut w, &t, deploy(0, manifest_hash(1), g()), &ok_funds, "dseq must not be zero");
    expect_err(&mut w, &t, deploy(2, HexBinary::from(vec![1; 31]), g()), &ok_funds, "must be 32 bytes, got 31");
    expect_err(&mut w, &t, deploy(1, manifest_hash(1), g()), &ok_funds, "already exists");
    expect_err(&mut w, &t, deploy(2, manifest_hash(2), vec![]), &ok_funds, "groups: must not be empty");
    let mut bad = cpu_group("web", 10, 1);
    bad.resources[0].memory_bytes = 1;
    expect_err(&mut w, &t, deploy(2, manifest_hash(2), vec![bad]), &ok_funds, "groups[0].resources[0].memory_bytes");
    let mut uatom = cpu_group("web", 10, 1);
    uatom.resources[0].price.denom = "uatom".into();
    expect_err(&mut w, &t, deploy(2, manifest_hash(2), vec![uatom]), &ok_funds, "denom uatom is not accepted");
    expect_err(&mut w, &t, deploy(2, manifest_hash(2), g()), &[], "exactly one coin");
    expect_err(
        &mut w,
        &t,
        deploy(2, manifest_hash(2), g()),
        &[coin(1_000_000, DENOM), coin(1_000_000, USD)],
        "exactly one coin",
    );
    expect_err(
        &mut w,
        &t,
        deploy(2, manifest_hash(2), g()),
        &[coin(1_000_000, USD)],
        "differs from the deployment's price denom",
    );
    expect_err(&mut w, &t, deploy(2, manifest_hash(2), g()), &[coin(999_999, DENOM)], "below the minimum");
    let mut signed = cpu_group("web", 10, 1);
    signed.requirements.signed_by.all_of = vec!["not-an-address".into()];
    expect_err(
        &mut w,
        &t,
        deploy(2, manifest_hash(2), vec![signed]),
        &ok_funds,
        "groups[0].requirements.signed_by: \"not-an-address\" is not a valid address",
    );
}

#[test]
fn unknown_ids_and_closed_objects() {
    let mut w = world();
    let t = w.tenant.clone();
    let p = w.p.clone();
    let d = DeploymentId::new(t.as_str(), 1);
    expect_err(
        &mut w,
        &t,
        ExecuteMsg::UpdateDeployment { dseq: 9, hash: Some(manifest_hash(9)), auto_match: None },
        &[],
        "not found",
    );
    expect_err(
        &mut w,
        &t,
        ExecuteMsg::UpdateDeployment { dseq: 1, hash: Some(manifest_hash(1)), auto_match: None },
        &[],
        "hash is unchanged",
    );
    expect_err(&mut w, &t, ExecuteMsg::PauseGroup { dseq: 1, gseq: 9 }, &[], "group");
    let missing_order = d.group(1).order(7);
    expect_err(
        &mut w,
        &p,
        ExecuteMsg::CreateBid { order: missing_order.clone(), price: price(1, DENOM) },
        &[collateral()],
        "not found",
    );
    expect_err(&mut w, &p, ExecuteMsg::CloseBid { bid: missing_order.bid(p.as_str()) }, &[], "not found");
    expect_err(&mut w, &t, ExecuteMsg::CreateLease { bid: d.group(1).order(1).bid(p.as_str()) }, &[], "not found");
    expect_err(
        &mut w,
        &t,
        ExecuteMsg::CloseLease { lease: d.group(1).order(1).bid(p.as_str()), reason: None },
        &[],
        "not found",
    );
    expect_err(&mut w, &t, ExecuteMsg::CloseExpiredOrder { order: missing_order }, &[], "not found");
    w.s.exec_market(&t, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[]).unwrap();
    expect_err(&mut w, &t, ExecuteMsg::CloseDeployment { dseq: 1 }, &[], "is closed");
    expect_err(
        &mut w,
        &t,
        ExecuteMsg::UpdateDeployment { dseq: 1, hash: Some(manifest_hash(5)), auto_match: None },
        &[],
        "is closed",
    );
    expect_err(&mut w, &t, ExecuteMsg::StartGroup { dseq: 1, gseq: 1 }, &[], "is closed");
}

#[test]
fn non_payable_messages_refuse_funds() {
    let mut w = world();
    let t = w.tenant.clone();
    let d = DeploymentId::new(t.as_str(), 1);
    let o = d.group(1).order(1);
    let b = o.bid(w.p.as_str());
    let funds = [coin(5, DENOM)];
    let msgs = vec![
        ExecuteMsg::UpdateDeployment { dseq: 1, hash: Some(manifest_hash(8)), auto_match: None },
        ExecuteMsg::CloseDeployment { dseq: 1 },
        ExecuteMsg::PauseGroup { dseq: 1, gseq: 1 },
        ExecuteMsg::StartGroup { dseq: 1, gseq: 1 },
        ExecuteMsg::CloseGroup { dseq: 1, gseq: 1 },
        ExecuteMsg::CloseBid { bid: b.clone() },
        ExecuteMsg::CreateLease { bid: b.clone() },
        ExecuteMsg::CloseLease { lease: b, reason: None },
        ExecuteMsg::MatchOrder { order: o.clone() },
        ExecuteMsg::CloseExpiredOrder { order: o },
        ExecuteMsg::EscrowHook(EscrowHookMsg::AccountOverdrawn {
            account: AccountId { scope: AccountScope::Deployment, xid: d.to_string() },
            payments: vec![],
            funded_until: 0,
        }),
        ExecuteMsg::UpdateParams { params: default_params() },
    ];
    assert_eq!(msgs.len(), 12, "every non-payable market message");
    for msg in msgs {
        expect_err(&mut w, &t, msg, &funds, "accepts no funds");
    }
}

#[test]
fn params_are_validated_and_changes_evented() {
    let mut w = world();
    let admin = w.s.admin.clone();
    type Mutation = fn(&mut MarketParams);
    let bad: Vec<(Mutation, &str)> = vec![
        (|p| p.denoms.clear(), "params.denoms"),
        (|p| p.max_bids_per_order = 0, "max_bids_per_order"),
        (|p| p.max_bids_per_order = 21, "max_bids_per_order"),
        (|p| p.order_expiry = p.bidding_window, "order_expiry"),
        (|p| p.denoms.push(p.denoms[0].clone()), "duplicate"),
    ];
    for (mutate, needle) in bad {
        let mut params = default_params();
        mutate(&mut params);
        expect_err(&mut w, &admin, ExecuteMsg::UpdateParams { params }, &[], needle);
    }
    let mut params = default_params();
    params.max_bids_per_order = 1;
    let res = w.s.exec_market(&admin, &ExecuteMsg::UpdateParams { params: params.clone() }, &[]).unwrap();
    assert!(leasehold_marketplace_tests::event(&res, "market-params-updated").is_some());
    let now: MarketParams = w.s.query_market(&QueryMsg::Params {});
    assert_eq!(now, params);
    // The new cap applies at once: one open bid per order.
    let t = w.tenant.clone();
    let o = DeploymentId::new(t.as_str(), 1).group(1).order(1);
    let p = w.p.clone();
    w.s.bid(&p, &o, price(5, DENOM), collateral()).unwrap();
    let q = w.s.provider("q", cpu_provider_attrs("us"));
    expect_err(
        &mut w,
        &q,
        ExecuteMsg::CreateBid { order: o, price: price(5, DENOM) },
        &[collateral()],
        "the limit is 1",
    );
}

#[test]
fn match_order_without_qualifying_bids() {
    let mut params = default_params();
    params.bidding_window = 0;
    let mut s = Suite::with_params(params);
    let t = s.account("tenant", 100_000_000);
    s.create_deployment(&t, 1, vec![cpu_group("web", 10, 1)], coin(1_000_000, DENOM), true).unwrap();
    let o = DeploymentId::new(t.as_str(), 1).group(1).order(1);
    let err = s.exec_market(&t, &ExecuteMsg::MatchOrder { order: o.clone() }, &[]).unwrap_err().to_string();
    assert!(err.contains("no qualifying open bid"), "{err}");
    // The only bidder deregisters: still no qualifying bid, and nothing is leased.
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.bid(&p, &o, price(10, DENOM), collateral()).unwrap();
    s.exec_registry(&p, &leasehold_types::provider::ExecuteMsg::Delete {}).unwrap();
    let err = s.exec_market(&t, &ExecuteMsg::MatchOrder { order: o.clone() }, &[]).unwrap_err().to_string();
    assert!(err.contains("no qualifying open bid"), "{err}");
    assert_eq!(s.order(&o).order.open_bids, 1);
}

#[test]
fn lease_close_reasons_follow_the_akash_ranges() {
    for (reason, code, provider_may) in [
        (LeaseCloseReason::Owner, 1, false),
        (LeaseCloseReason::Unstable, 10000, true),
        (LeaseCloseReason::Decommission, 10001, true),
        (LeaseCloseReason::Unspecified, 10002, true),
        (LeaseCloseReason::ManifestTimeout, 10003, true),
        (LeaseCloseReason::InsufficientFunds, 20000, false),
    ] {
        assert_eq!(reason.code(), code);
        assert_eq!(reason.is_provider_reason(), provider_may);
    }
}

#[test]
fn migrations_refuse_foreign_code_and_keep_state() {
    use cw_multi_test::Executor;
    let mut w = world();
    let admin = w.s.admin.clone();
    let market = w.s.market.clone();
    let msg = leasehold_types::market::MigrateMsg {};
    // Migrating the market onto the escrow's code is refused (different contract name).
    let escrow_code = w.s.escrow_code;
    let err = w.s.app.migrate_contract(admin.clone(), market.clone(), &msg, escrow_code).unwrap_err().to_string();
    assert!(err.to_lowercase().contains("contract"), "{err}");
    // Only the admin may migrate; the same version migrates and keeps every deployment.
    let market_code = w.s.market_code;
    let t = w.tenant.clone();
    assert!(w.s.app.migrate_contract(t.clone(), market.clone(), &msg, market_code).is_err());
    let before = snapshot(&w);
    let res = w.s.app.migrate_contract(admin, market, &msg, market_code).unwrap();
    assert!(res.events.iter().any(|e| e.attributes.iter().any(|a| a.key == "from_version")));
    assert_eq!(before, snapshot(&w));
}
