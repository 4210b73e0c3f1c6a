//! Gas does not grow with the market: creating a deployment, bidding, creating a lease,
//! settling, withdrawing and closing a deployment cost the same SDK gas (within 10 %) with
//! 10,000 active leases as with 10, on the compiled contracts in the wasm host.
//!
//! Seeding: tenants each deploy 20 groups (the most a deployment may have), providers take
//! turns bidding, and every bid becomes a lease: 2.05 VM transactions per lease.

use std::time::Instant;

use crate::common::{Chain, DENOM, To, VmChain, addr};
use cosmwasm_std::coin;
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group};
use leasehold_marketplace_tests::{manifest_hash, price};
use leasehold_types::escrow::{self, AccountId, PaymentId};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{ExecuteMsg, LeaseState, LeasesResponse, QueryMsg};
use leasehold_types::provider::{self as registry, ProviderInfo};
use serde_json::{Value, json};

const GROUPS_PER_DEPLOYMENT: usize = 20;
const PROVIDERS: usize = 50;

fn exec(chain: &mut VmChain, sender: &str, to: To, msg: impl serde::Serialize, funds: Vec<cosmwasm_std::Coin>) -> u64 {
    let msg: Value = serde_json::to_value(msg).expect("json");
    match chain.exec(sender, to, &msg, &funds) {
        Ok(_) => chain.last_gas,
        Err(e) => panic!("{msg}: {e}"),
    }
}

fn register(chain: &mut VmChain, name: &str) -> String {
    let a = addr(name);
    chain.mint(&a, vec![coin(1_000_000_000_000, DENOM)]);
    let msg = registry::ExecuteMsg::Register {
        host_uri: format!("https://{name}.example.com"),
        attributes: vec![leasehold_types::Attribute::new("region", "us")],
        info: ProviderInfo::default(),
    };
    exec(chain, &a, To::Registry, msg, vec![]);
    a
}

/// Creates `leases` active leases: deployments of up to 20 groups, one bid per order, every
/// bid accepted. Returns the number of VM transactions.
fn seed(chain: &mut VmChain, leases: usize) -> usize {
    let providers: Vec<String> = (0..PROVIDERS).map(|i| register(chain, &format!("seed-provider-{i}"))).collect();
    let mut txs = PROVIDERS;
    let mut made = 0;
    let mut tenant_no = 0;
    while made < leases {
        let groups = GROUPS_PER_DEPLOYMENT.min(leases - made);
        let tenant = addr(&format!("seed-tenant-{tenant_no}"));
        tenant_no += 1;
        chain.mint(&tenant, vec![coin(1_000_000_000, DENOM)]);
        let specs = (0..groups).map(|g| cpu_group(&format!("g{g}"), 1, 1)).collect();
        let msg = ExecuteMsg::CreateDeployment { dseq: 1, hash: manifest_hash(1), groups: specs, auto_match: false };
        exec(chain, &tenant, To::Market, msg, vec![coin(100_000_000, DENOM)]);
        txs += 1;
        let d = DeploymentId::new(tenant.as_str(), 1);
        for g in 1..=groups as u32 {
            let provider = &providers[made % PROVIDERS];
            let order = d.group(g).order(1);
            exec(
                chain,
                provider,
                To::Market,
                ExecuteMsg::CreateBid { order: order.clone(), price: price(1, DENOM) },
                vec![collateral()],
            );
            exec(chain, &tenant, To::Market, ExecuteMsg::CreateLease { bid: order.bid(provider.as_str()) }, vec![]);
            txs += 2;
            made += 1;
        }
    }
    txs
}

fn active_leases(chain: &VmChain) -> usize {
    let mut count = 0;
    let mut start_after = None;
    loop {
        let msg = json!(QueryMsg::Leases {
            owner: None,
            provider: None,
            state: Some(LeaseState::Active),
            start_after,
            limit: Some(100)
        });
        let page: LeasesResponse =
            serde_json::from_value(chain.query(To::Market, &msg).expect("leases")).expect("json");
        count += page.leases.len();
        match page.leases.last() {
            Some(last) if page.leases.len() == 100 => start_after = Some(last.id.clone()),
            _ => return count,
        }
    }
}

/// The measured operations, by a probe tenant and provider that exist in every run.
fn probe(chain: &mut VmChain) -> Vec<(&'static str, u64)> {
    let tenant = addr("probe-tenant");
    chain.mint(&tenant, vec![coin(1_000_000_000, DENOM)]);
    let provider = register(chain, "probe-provider");
    let d = DeploymentId::new(tenant.as_str(), 1);
    let order = d.group(1).order(1);
    let lease = order.bid(provider.as_str());
    let mut gas = Vec::new();
    let msg = ExecuteMsg::CreateDeployment {
        dseq: 1,
        hash: manifest_hash(1),
        groups: vec![cpu_group("probe", 10, 1)],
        auto_match: false,
    };
    gas.push(("create deployment", exec(chain, &tenant, To::Market, msg, vec![coin(10_000_000, DENOM)])));
    let msg = ExecuteMsg::CreateBid { order: order.clone(), price: price(10, DENOM) };
    gas.push(("create bid", exec(chain, &provider, To::Market, msg, vec![collateral()])));
    gas.push((
        "create lease",
        exec(chain, &tenant, To::Market, ExecuteMsg::CreateLease { bid: lease.clone() }, vec![]),
    ));
    chain.advance(100);
    let msg = escrow::ExecuteMsg::Settle { id: AccountId::deployment(&d) };
    gas.push(("settle", exec(chain, &tenant, To::Escrow, msg, vec![])));
    chain.advance(100);
    let msg = escrow::ExecuteMsg::Withdraw { id: PaymentId::for_lease(&lease) };
    gas.push(("withdraw", exec(chain, &provider, To::Escrow, msg, vec![])));
    gas.push(("close deployment", exec(chain, &tenant, To::Market, ExecuteMsg::CloseDeployment { dseq: 1 }, vec![])));
    gas
}

fn measure(leases: usize) -> Vec<(&'static str, u64)> {
    let mut chain = VmChain::new(&addr("admin"), &addr("pool"));
    let started = Instant::now();
    let txs = seed(&mut chain, leases);
    let seeded = started.elapsed();
    assert_eq!(active_leases(&chain), leases, "seeded leases are active");
    let gas = probe(&mut chain);
    eprintln!("{leases} active leases: {txs} VM transactions in {seeded:.1?}; probe gas: {gas:?}");
    gas
}

#[test]
fn lease_lifecycle_gas_does_not_grow_with_active_leases() {
    let leases: usize = std::env::var("GAS_SCALE_LEASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let small = measure(10);
    let large = measure(leases);
    for ((op, a), (_, b)) in small.iter().zip(&large) {
        let (lo, hi) = (*a.min(b) as f64, *a.max(b) as f64);
        assert!(hi <= lo * 1.10, "{op}: {a} gas with 10 active leases, {b} with {leases}");
    }
}
