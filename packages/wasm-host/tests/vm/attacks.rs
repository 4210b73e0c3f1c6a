//! The worst attacks of `tests/marketplace/tests/attacks.rs` again, on the compiled contracts in
//! the wasm host (real gas, real VM): squatting an auto-matched order, filling an order's bid
//! slots, locking a tenant out of its own escrow — and the gas of the worst-case
//! `CloseDeployment`, which must fit the per-tx gas limit with a 2x margin.

use crate::common::{Chain, DENOM, To, VmChain, addr, event_attr};
use cosmwasm_std::coin;
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group, cpu_provider_attrs};
use leasehold_marketplace_tests::{default_params, manifest_hash, price};
use leasehold_types::escrow::{self, AccountId};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{ExecuteMsg, MAX_BIDS_PER_ORDER_LIMIT};
use leasehold_types::provider::{self as registry, ProviderInfo};
use leasehold_types::resources::GROUPS_MAX;
use leasehold_wasm_host::DEFAULT_GAS_LIMIT;
use serde_json::{Value, json};

const START: u128 = 10_000_000_000;

fn v(msg: impl serde::Serialize) -> Value {
    serde_json::to_value(msg).expect("json")
}

fn register(chain: &mut VmChain, name: &str) -> String {
    let who = addr(name);
    chain.mint(&who, vec![coin(START, DENOM)]);
    let msg = registry::ExecuteMsg::Register {
        host_uri: format!("https://{name}.example.com"),
        attributes: cpu_provider_attrs("us"),
        info: ProviderInfo::default(),
    };
    chain.exec(&who, To::Registry, &v(msg), &[]).expect("register");
    who
}

fn funded(chain: &mut VmChain, name: &str) -> String {
    let who = addr(name);
    chain.mint(&who, vec![coin(START, DENOM)]);
    who
}

/// The worst case of `CloseDeployment`: `GROUPS_MAX` groups, each order holding the most open
/// bids the params allow, all refunded in the close. Measured before the batch refund (one
/// escrow call per bid) and after; must fit `DEFAULT_GAS_LIMIT` (the node's per-tx maximum)
/// with a 2x margin.
#[test]
fn worst_case_close_deployment_fits_the_tx_gas_limit_twice() {
    let mut params = default_params();
    params.max_bids_per_order = MAX_BIDS_PER_ORDER_LIMIT;
    let mut chain = VmChain::with_params(&addr("admin"), &addr("pool"), params);
    chain.host.set_gas_limit(u64::MAX / 4);
    let tenant = funded(&mut chain, "tenant");
    let groups: Vec<_> = (0..GROUPS_MAX).map(|i| cpu_group(&format!("g{i}"), 100, 1)).collect();
    let create = ExecuteMsg::CreateDeployment { dseq: 1, hash: manifest_hash(1), groups, auto_match: false };
    chain.exec(&tenant, To::Market, &v(create), &[coin(10_000_000, DENOM)]).expect("deploy");
    let d = DeploymentId::new(tenant.as_str(), 1);
    let providers: Vec<String> =
        (0..MAX_BIDS_PER_ORDER_LIMIT).map(|i| register(&mut chain, &format!("bidder{i}"))).collect();
    let mut bid_gas = 0u64;
    for g in 1..=GROUPS_MAX as u32 {
        for p in &providers {
            let bid = ExecuteMsg::CreateBid { order: d.group(g).order(1), price: price(100, DENOM) };
            chain.exec(p, To::Market, &v(bid), &[collateral()]).expect("bid");
            bid_gas = bid_gas.max(chain.last_gas);
        }
    }
    let events = chain.exec(&tenant, To::Market, &v(ExecuteMsg::CloseDeployment { dseq: 1 }), &[]).expect("close");
    let close_gas = chain.last_gas;
    let refunds = events.iter().filter(|e| e.ty == "wasm-bid-closed").count();
    assert_eq!(refunds, GROUPS_MAX * MAX_BIDS_PER_ORDER_LIMIT as usize);
    for p in &providers {
        assert_eq!(chain.balance(p, DENOM), START, "every bid collateral refunded");
    }
    println!(
        "worst-case close_deployment: {} groups x {} bids = {refunds} refunds, gas {close_gas} \
         (limit {DEFAULT_GAS_LIMIT}); one bid at most {bid_gas}",
        GROUPS_MAX, MAX_BIDS_PER_ORDER_LIMIT
    );
    assert!(
        close_gas.saturating_mul(2) <= DEFAULT_GAS_LIMIT,
        "worst-case close uses {close_gas} gas: more than half the per-tx limit {DEFAULT_GAS_LIMIT}"
    );
}

/// Squatting, on the compiled contracts: the squatter wins once, is excluded when the tenant
/// closes its lease, and cannot bid on the relisted order.
#[test]
fn squatter_is_excluded_after_the_tenant_closes_its_lease() {
    let mut chain = VmChain::new(&addr("admin"), &addr("pool"));
    let tenant = funded(&mut chain, "tenant");
    let honest = register(&mut chain, "honest");
    let squatter = register(&mut chain, "squatter");
    let create = ExecuteMsg::CreateDeployment {
        dseq: 1,
        hash: manifest_hash(1),
        groups: vec![cpu_group("web", 100, 1)],
        auto_match: true,
    };
    chain.exec(&tenant, To::Market, &v(create), &[coin(10_000_000, DENOM)]).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    let bid =
        |o: &leasehold_types::OrderId, p: u128| v(ExecuteMsg::CreateBid { order: o.clone(), price: price(p, DENOM) });
    chain.exec(&honest, To::Market, &bid(&order, 80), &[collateral()]).unwrap();
    chain.exec(&squatter, To::Market, &bid(&order, 1), &[collateral()]).unwrap();
    chain.advance(10);
    chain.exec(&squatter, To::Market, &v(ExecuteMsg::MatchOrder { order: order.clone() }), &[]).unwrap();
    let lease = order.bid(&squatter);
    let close = ExecuteMsg::CloseLease { lease, reason: None };
    let events = chain.exec(&tenant, To::Market, &v(close), &[]).unwrap();
    assert_eq!(event_attr(&events, "wasm-provider-excluded", "provider").as_deref(), Some(squatter.as_str()));
    let relisted = order.group().order(2);
    let err = chain.exec(&squatter, To::Market, &bid(&relisted, 1), &[collateral()]).unwrap_err();
    assert!(err.contains("is excluded from deployment"), "{err}");
    chain.exec(&honest, To::Market, &bid(&relisted, 80), &[collateral()]).unwrap();
    chain.advance(10);
    chain.exec(&squatter, To::Market, &v(ExecuteMsg::MatchOrder { order: relisted.clone() }), &[]).unwrap();
    let lease: Value = chain.query(To::Market, &json!({ "lease": { "id": relisted.bid(&honest) } })).unwrap();
    assert_eq!(lease["state"], "active");
}

/// Slot filling, on the compiled contracts: a full order of ceiling bids takes a cheaper honest
/// bid and evicts (and refunds) the most expensive filler.
#[test]
fn cheaper_bid_enters_a_full_order() {
    let mut chain = VmChain::new(&addr("admin"), &addr("pool")); // 5 open bids per order
    let tenant = funded(&mut chain, "tenant");
    let create = ExecuteMsg::CreateDeployment {
        dseq: 1,
        hash: manifest_hash(1),
        groups: vec![cpu_group("web", 100, 1)],
        auto_match: false,
    };
    chain.exec(&tenant, To::Market, &v(create), &[coin(10_000_000, DENOM)]).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    let bid = |p: u128| v(ExecuteMsg::CreateBid { order: order.clone(), price: price(p, DENOM) });
    let fillers: Vec<String> = (0..5).map(|i| register(&mut chain, &format!("filler{i}"))).collect();
    for f in &fillers {
        chain.exec(f, To::Market, &bid(100), &[collateral()]).unwrap();
    }
    let honest = register(&mut chain, "honest");
    let err = chain.exec(&honest, To::Market, &bid(100), &[collateral()]).unwrap_err();
    assert!(err.contains("must be below its most expensive bid"), "{err}");
    let events = chain.exec(&honest, To::Market, &bid(90), &[collateral()]).unwrap();
    assert_eq!(event_attr(&events, "wasm-bid-lost", "reason").as_deref(), Some("evicted"));
    assert_eq!(event_attr(&events, "wasm-bid-lost", "provider").as_deref(), Some(fillers[4].as_str()));
    assert_eq!(chain.balance(&fillers[4], DENOM), START, "evicted filler refunded");
    let account: Value =
        chain.query(To::Escrow, &v(escrow::QueryMsg::Account { id: AccountId::bid(&order.bid(&honest)) })).unwrap();
    assert_eq!(account["account"]["state"], "open", "the honest bid's collateral is held");
}

/// Depositor lock-out, on the compiled contracts: outsiders' 1-unit deposits are refused (below
/// the third-party minimum), the third-party entries are capped, and the owner's deposit always
/// goes through.
#[test]
fn outsiders_cannot_lock_the_owner_out_of_its_escrow() {
    let mut chain = VmChain::new(&addr("admin"), &addr("pool")); // third-party minimum 1,000 ulease
    let tenant = funded(&mut chain, "tenant");
    let create = ExecuteMsg::CreateDeployment {
        dseq: 1,
        hash: manifest_hash(1),
        groups: vec![cpu_group("web", 100, 1)],
        auto_match: false,
    };
    chain.exec(&tenant, To::Market, &v(create), &[coin(1_000_000, DENOM)]).unwrap();
    let id = AccountId::deployment(&DeploymentId::new(tenant.as_str(), 1));
    let deposit = v(escrow::ExecuteMsg::Deposit { id: id.clone() });
    let (a, b) = (funded(&mut chain, "outsider-a"), funded(&mut chain, "outsider-b"));
    let err = chain.exec(&a, To::Escrow, &deposit, &[coin(1, DENOM)]).unwrap_err();
    assert!(err.contains("below"), "{err}");
    for i in 0..40 {
        let who = if i % 2 == 0 { &a } else { &b };
        chain.exec(who, To::Escrow, &deposit, &[coin(1_000, DENOM)]).unwrap();
    }
    for i in 0..14 {
        let who = funded(&mut chain, &format!("crowd{i}"));
        chain.exec(&who, To::Escrow, &deposit, &[coin(1_000, DENOM)]).unwrap();
    }
    let late = funded(&mut chain, "late");
    let err = chain.exec(&late, To::Escrow, &deposit, &[coin(1_000, DENOM)]).unwrap_err();
    assert!(err.contains("third-party depositor"), "{err}");
    let events = chain.exec(&tenant, To::Escrow, &deposit, &[coin(1, DENOM)]).expect("the owner's deposit");
    assert_eq!(event_attr(&events, "wasm-escrow-deposited", "third_party").as_deref(), Some("false"));
    let account: Value = chain.query(To::Escrow, &v(escrow::QueryMsg::Account { id })).unwrap();
    assert_eq!(account["depositors"].as_array().map(Vec::len), Some(17), "owner + 16 third parties");
}
