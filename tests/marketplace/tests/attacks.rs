//! The attack suite: every cheap way we found for an outsider, a provider or a tenant to hurt
//! honest users of the market, each performed through the real messages on cw-multi-test (the
//! worst three also through the compiled wasm in `packages/wasm-host/tests/vm/attacks.rs`).
//!
//! Each test's doc comment says who attacks, what it costs them, what the victim lost before the
//! fix (measured against the contracts at b4f8044), and which rule stops it now. The rules are
//! written down in `docs/market.md`.

use cosmwasm_std::{Addr, coin};
use cw_multi_test::Executor;
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group, cpu_provider_attrs};
use leasehold_marketplace_tests::{DENOM, Suite, attr, default_params, event, events, price};
use leasehold_types::Attribute;
use leasehold_types::escrow::{self, AccountId, AccountState};
use leasehold_types::ids::{DeploymentId, OrderId};
use leasehold_types::market::{
    self, BidState, BidsResponse, ExcludedProvidersResponse, ExecuteMsg, GroupState, LeaseState, LeasesResponse,
    OrderState, QueryMsg,
};
use leasehold_types::provider::{self as registry, AuditRecord};

const START: u128 = 1_000_000_000;

fn auto_match_world(s: &mut Suite) -> (Addr, OrderId) {
    let tenant = s.account("tenant", START);
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 100, 1)], coin(10_000_000, DENOM), true).unwrap();
    (tenant.clone(), DeploymentId::new(tenant.as_str(), 1).group(1).order(1))
}

fn match_order(s: &mut Suite, who: &Addr, order: &OrderId) -> cosmwasm_std::StdResult<cw_multi_test::AppResponse> {
    s.exec_market(who, &ExecuteMsg::MatchOrder { order: order.clone() }, &[])
}

/// **Escrow depositor lock-out** (was high).
///
/// Attackers: two outsiders. Before: they alternated 1-unit deposits into a tenant's deployment
/// escrow; 32 entries later every other depositor, the owner included, was refused ("already has
/// 32 depositor entries") for good — the tenant's leases ran dry and closed, and the account could
/// never be topped up again. Cost to them: 32 micro-units and 32 txs' gas.
/// Rules now: the owner's deposits are always accepted; repeat deposits merge into the
/// depositor's entry; third-party deposits have a minimum (escrow param; 1,000 units here) and at
/// most 16 third-party entries exist, none of which can block the owner; fully spent entries are
/// pruned. Refunds stay first-in-first-out and exact.
#[test]
fn outsiders_cannot_lock_the_owner_out_of_its_escrow() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 100, 1)], coin(1_000_000, DENOM), false).unwrap();
    let d = DeploymentId::new(tenant.as_str(), 1);
    let account = AccountId::deployment(&d);
    let lease = d.group(1).order(1).bid(p.as_str());
    s.bid(&p, &lease.order(), price(100, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &lease).unwrap();

    // The old attack: 1-unit deposits are now below the third-party minimum.
    let (a, b) = (s.account("outsider-a", START), s.account("outsider-b", START));
    let err = s.deposit(&a, &d, coin(1, DENOM)).unwrap_err();
    assert!(err.to_string().contains("below"), "{err}");
    // Paying the minimum, alternating: they merge into two entries; the cap on distinct third
    // parties is reached by 16 more outsiders, and the 17th is refused...
    for i in 0..35 {
        let who = if i % 2 == 0 { &a } else { &b };
        s.deposit(who, &d, coin(1_000, DENOM)).unwrap();
    }
    let crowd: Vec<Addr> = (0..14).map(|i| s.account(&format!("crowd{i}"), START)).collect();
    for c in &crowd {
        s.deposit(c, &d, coin(1_000, DENOM)).unwrap();
    }
    let late = s.account("late-outsider", START);
    let err = s.deposit(&late, &d, coin(1_000, DENOM)).unwrap_err();
    assert!(err.to_string().contains("third-party depositor"), "{err}");
    let depositors = s.escrow_account(&account).depositors;
    assert_eq!(depositors.len(), 17, "owner + 16 third parties");
    // ...but the owner's top-up always goes through, whatever the outsiders did.
    let owner_before = s.balance(&tenant, DENOM);
    let res = s.deposit(&tenant, &d, coin(1, DENOM)).unwrap();
    assert_eq!(attr(&event(&res, "escrow-deposited").unwrap(), "third_party"), Some("false"));
    s.deposit(&tenant, &d, coin(5_000_000, DENOM)).unwrap();
    assert_eq!(s.escrow_account(&account).depositors.len(), 17, "the owner's deposits merge into its entry");

    // Closing refunds everyone exactly what the FIFO rule leaves them, to the unit.
    s.advance(10);
    let outsiders: Vec<Addr> = [a.clone(), b.clone()].into_iter().chain(crowd.iter().cloned()).collect();
    let before: Vec<u128> = outsiders.iter().map(|o| s.balance(o, DENOM)).collect();
    s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[]).unwrap();
    let spent = 100 * 10;
    assert_eq!(s.balance(&tenant, DENOM), owner_before + 1_000_000 - spent, "the owner paid only the lease");
    for (o, was) in outsiders.iter().zip(before) {
        let deposited = if *o == a {
            18_000
        } else if *o == b {
            17_000
        } else {
            1_000
        };
        assert_eq!(s.balance(o, DENOM), was + deposited, "outsider {o} refunded in full");
    }
    assert_eq!(s.escrow_account(&account).account.state, AccountState::Closed);
}

/// **Squatting an auto-matched order** (was medium).
///
/// Attacker: a provider registered a minute ago. It bids one micro-unit per block (the ceiling is
/// 100) with the minimum collateral, calls `MatchOrder` once the bidding window closes, wins, and
/// never serves. Cost to it: two txs' gas; the collateral comes back when the lease ends.
/// Victim before: the tenant paid for a lease nobody served; closing it relisted the group and the
/// same squatter won the relisted order again, for ever (every relist, same 2 txs).
/// Rule now: a tenant's `CloseLease` excludes that provider from the deployment, so its bid on
/// the relisted order is refused and the honest provider wins; the tenant can also exclude a
/// provider up front or turn auto-match off with `UpdateDeployment`.
#[test]
fn squatter_cannot_win_a_relisted_order_again() {
    let mut s = Suite::new();
    let (tenant, order) = auto_match_world(&mut s);
    let honest = s.provider("honest", cpu_provider_attrs("us"));
    let squatter = s.provider("squatter", cpu_provider_attrs("us"));
    s.bid(&honest, &order, price(80, DENOM), collateral()).unwrap();
    s.bid(&squatter, &order, price(1, DENOM), collateral()).unwrap();
    s.advance(10);
    match_order(&mut s, &squatter, &order).unwrap();
    let lease = order.bid(squatter.as_str());
    assert_eq!(s.lease(&lease).state, LeaseState::Active, "the squatter won the first round");

    // The tenant notices nothing is served and closes the lease: the group is relisted...
    let res = s.close_lease(&tenant, &lease, None).unwrap();
    let excluded = event(&res, "provider-excluded").expect("provider-excluded");
    assert_eq!(attr(&excluded, "provider"), Some(squatter.as_str()));
    assert_eq!(attr(&excluded, "reason"), Some("lease_closed"));
    let relisted = order.group().order(2);
    assert_eq!(s.order(&relisted).order.state, OrderState::Open);
    // ...and the squatter cannot bid on it again.
    let err = s.bid(&squatter, &relisted, price(1, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("is excluded from deployment"), "{err}");
    s.bid(&honest, &relisted, price(80, DENOM), collateral()).unwrap();
    s.advance(10);
    match_order(&mut s, &squatter, &relisted).unwrap();
    assert_eq!(s.lease(&relisted.bid(honest.as_str())).state, LeaseState::Active, "the honest provider won");

    let list: ExcludedProvidersResponse =
        s.query_market(&QueryMsg::ExcludedProviders { deployment: order.deployment(), start_after: None, limit: None });
    assert_eq!(list.providers, vec![squatter.to_string()]);
    assert_eq!(s.deployment(&order.deployment()).deployment.excluded, 1);
}

/// The tenant's own controls against squatters: exclude a provider before it wins (its open bids
/// on the deployment are closed and refunded), switch auto-match off and on, readmit.
#[test]
fn tenant_excludes_up_front_and_switches_auto_match() {
    let mut s = Suite::new();
    let (tenant, order) = auto_match_world(&mut s);
    let squatter = s.provider("squatter", cpu_provider_attrs("us"));
    let honest = s.provider("honest", cpu_provider_attrs("us"));
    s.bid(&squatter, &order, price(1, DENOM), collateral()).unwrap();
    s.bid(&honest, &order, price(80, DENOM), collateral()).unwrap();
    let before = s.balance(&squatter, DENOM);

    let exclude = ExecuteMsg::ExcludeProvider { dseq: 1, provider: squatter.to_string() };
    let res = s.exec_market(&tenant, &exclude, &[]).unwrap();
    let lost = event(&res, "bid-lost").expect("its open bid is closed");
    assert_eq!(attr(&lost, "reason"), Some("excluded"));
    assert_eq!(s.bid_state(&order.bid(squatter.as_str())).state, BidState::Lost);
    assert_eq!(s.balance(&squatter, DENOM), before + 500_000, "collateral refunded");
    assert_eq!(s.order(&order).order.open_bids, 1);
    let err = s.exec_market(&tenant, &exclude, &[]).unwrap_err();
    assert!(err.to_string().contains("already excluded"), "{err}");
    let bad = ExecuteMsg::ExcludeProvider { dseq: 1, provider: "lease1notanaddress".into() };
    let err = s.exec_market(&tenant, &bad, &[]).unwrap_err();
    assert!(err.to_string().contains("not a valid address"), "{err}");

    // Auto-match off: nobody can match; on again: the honest bid wins.
    let off = ExecuteMsg::UpdateDeployment { dseq: 1, hash: None, auto_match: Some(false) };
    let res = s.exec_market(&tenant, &off, &[]).unwrap();
    assert_eq!(attr(&event(&res, "deployment-updated").unwrap(), "auto_match"), Some("false"));
    let err = s.exec_market(&tenant, &off, &[]).unwrap_err();
    assert!(err.to_string().contains("nothing to update"), "{err}");
    let none = ExecuteMsg::UpdateDeployment { dseq: 1, hash: None, auto_match: None };
    assert!(s.exec_market(&tenant, &none, &[]).unwrap_err().to_string().contains("nothing to update"));
    s.advance(10);
    let err = match_order(&mut s, &honest, &order).unwrap_err();
    assert!(err.to_string().contains("did not opt into auto-match"), "{err}");
    s.exec_market(&tenant, &ExecuteMsg::UpdateDeployment { dseq: 1, hash: None, auto_match: Some(true) }, &[]).unwrap();
    match_order(&mut s, &honest, &order).unwrap();
    assert_eq!(s.lease(&order.bid(honest.as_str())).state, LeaseState::Active);

    // Readmission lifts the exclusion; only the tenant may do either.
    let readmit = ExecuteMsg::ReadmitProvider { dseq: 1, provider: squatter.to_string() };
    let err = s.exec_market(&squatter, &readmit, &[]).unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
    let res = s.exec_market(&tenant, &readmit, &[]).unwrap();
    assert!(event(&res, "provider-readmitted").is_some());
    assert!(s.exec_market(&tenant, &readmit, &[]).unwrap_err().to_string().contains("is not excluded"));
    assert_eq!(s.deployment(&order.deployment()).deployment.excluded, 0);
}

/// A deployment's exclusion list is bounded: the 65th explicit exclusion is refused, and an
/// automatic one is skipped (the close still succeeds).
#[test]
fn exclusion_list_is_bounded() {
    let mut s = Suite::new();
    let (tenant, order) = auto_match_world(&mut s);
    for i in 0..market::MAX_EXCLUDED_PROVIDERS {
        let p = s.addr(&format!("x{i}"));
        s.exec_market(&tenant, &ExecuteMsg::ExcludeProvider { dseq: 1, provider: p.to_string() }, &[]).unwrap();
    }
    let one_more = ExecuteMsg::ExcludeProvider { dseq: 1, provider: s.addr("x-last").to_string() };
    let err = s.exec_market(&tenant, &one_more, &[]).unwrap_err();
    assert!(err.to_string().contains("already excludes 64 providers"), "{err}");
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.bid(&p, &order, price(50, DENOM), collateral()).unwrap();
    let lease = order.bid(p.as_str());
    s.create_lease(&tenant, &lease).unwrap();
    let res = s.close_lease(&tenant, &lease, None).unwrap();
    assert!(event(&res, "provider-excluded").is_none(), "list full: no automatic exclusion");
    assert_eq!(s.lease(&lease).state, LeaseState::Closed);
}

/// **Filling an order's bid slots** (was medium).
///
/// Attacker: `max_bids_per_order` throwaway providers bidding at the ceiling with the minimum
/// collateral (refunded later: the attack cost them only gas). Victim before: every honest
/// provider got `TooManyBids`, however cheap its bid; pausing and restarting the group opened a
/// new order the attackers refilled, and the tenant paid the gas to refund them all.
/// Rule now: a full order accepts a bid strictly cheaper than its most expensive open bid, which
/// it evicts (lost, refunded, `bid-lost` reason `evicted`); the tenant can `RejectBid`. The
/// cheapest honest bid always enters.
#[test]
fn cheaper_bid_evicts_the_most_expensive_from_a_full_order() {
    let mut s = Suite::new(); // max 5 open bids
    let tenant = s.account("tenant", START);
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 100, 1)], coin(10_000_000, DENOM), false).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    let fillers: Vec<Addr> = (0..5).map(|i| s.provider(&format!("filler{i}"), cpu_provider_attrs("us"))).collect();
    for (i, f) in fillers.iter().enumerate() {
        // All at the ceiling but one a little cheaper.
        let p = if i == 0 { 99 } else { 100 };
        s.bid(f, &order, price(p, DENOM), collateral()).unwrap();
    }
    let honest = s.provider("honest", cpu_provider_attrs("us"));
    let late = s.provider("late", cpu_provider_attrs("us"));
    // Not cheaper than the most expensive: refused, and the error says what would enter.
    let err = s.bid(&late, &order, price(100, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("must be below its most expensive bid, 100ulease"), "{err}");

    let victim_before = s.balance(&fillers[4], DENOM);
    let res = s.bid(&honest, &order, price(90, DENOM), collateral()).unwrap();
    let evicted = event(&res, "bid-lost").expect("one filler evicted");
    assert_eq!(attr(&evicted, "reason"), Some("evicted"));
    // Among equal prices the latest bid goes first.
    assert_eq!(attr(&evicted, "provider"), Some(fillers[4].as_str()));
    assert_eq!(s.balance(&fillers[4], DENOM), victim_before + 500_000, "evicted collateral refunded");
    assert_eq!(s.order(&order).order.open_bids, 5);
    let open: BidsResponse = s.query_market(&QueryMsg::Bids {
        order: Some(order.clone()),
        provider: None,
        state: Some(BidState::Open),
        start_after: None,
        limit: None,
    });
    assert_eq!(open.bids.len(), 5);
    assert!(open.bids.iter().any(|b| b.id.provider == honest.as_str()));

    // The tenant rejects a filler: refunded, slot freed, and it cannot bid on this order again.
    let rejected = order.bid(fillers[1].as_str());
    let err = s.exec_market(&fillers[2], &ExecuteMsg::RejectBid { bid: rejected.clone() }, &[]).unwrap_err();
    assert!(err.to_string().contains("may not reject"), "{err}");
    let res = s.exec_market(&tenant, &ExecuteMsg::RejectBid { bid: rejected.clone() }, &[]).unwrap();
    assert_eq!(attr(&event(&res, "bid-lost").unwrap(), "reason"), Some("rejected"));
    assert_eq!(s.bid_state(&rejected).state, BidState::Lost);
    assert_eq!(s.order(&order).order.open_bids, 4);
    let err = s.bid(&fillers[1], &order, price(1, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    let err = s.exec_market(&tenant, &ExecuteMsg::RejectBid { bid: rejected }, &[]).unwrap_err();
    assert!(err.to_string().contains("not open"), "{err}");
    s.bid(&late, &order, price(100, DENOM), collateral()).unwrap();
}

/// **Smaller holes** (were info): `CreateLease` ignored the order's expiry and did not re-check
/// the provider's qualification; `StartGroup` after `insufficient_funds` needed no funds; audits
/// survived a provider's `Delete` into a later re-registration.
#[test]
fn create_lease_respects_expiry_and_requalifies_the_provider() {
    let mut s = Suite::new(); // order_expiry 100
    let tenant = s.account("tenant", START);
    let auditor = s.account("auditor", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.sign(&auditor, &p, vec![Attribute::new("region", "us")]);
    let mut group = cpu_group("web", 100, 1);
    group.requirements.attributes = vec![Attribute::new("region", "us")];
    group.requirements.signed_by.all_of = vec![auditor.to_string()];
    let mut second = group.clone();
    second.name = "api".into();
    s.create_deployment(&tenant, 1, vec![group, second], coin(10_000_000, DENOM), false).unwrap();
    let d = DeploymentId::new(tenant.as_str(), 1);
    for g in 1..=2 {
        s.bid(&p, &d.group(g).order(1), price(50, DENOM), collateral()).unwrap();
    }

    // The auditor withdraws its signature: the older bid no longer qualifies.
    let unsign = registry::ExecuteMsg::DeleteAttributes { owner: p.to_string(), keys: None };
    s.exec_registry(&auditor, &unsign).unwrap();
    let err = s.create_lease(&tenant, &d.group(1).order(1).bid(p.as_str())).unwrap_err();
    assert!(err.to_string().contains("auditor signatures are missing"), "{err}");
    s.sign(&auditor, &p, vec![Attribute::new("region", "us")]);
    // The provider moves region: no longer qualifies either.
    let update = registry::ExecuteMsg::Update {
        host_uri: "https://p.example.com".into(),
        attributes: cpu_provider_attrs("eu"),
        info: Default::default(),
    };
    s.exec_registry(&p, &update).unwrap();
    let err = s.create_lease(&tenant, &d.group(1).order(1).bid(p.as_str())).unwrap_err();
    assert!(err.to_string().contains("placement requirements"), "{err}");
    s.exec_registry(
        &p,
        &registry::ExecuteMsg::Update {
            host_uri: "https://p.example.com".into(),
            attributes: cpu_provider_attrs("us"),
            info: Default::default(),
        },
    )
    .unwrap();
    s.create_lease(&tenant, &d.group(1).order(1).bid(p.as_str())).unwrap();

    // Past its expiry an order cannot be leased (anyone may close it instead).
    s.advance(100);
    let err = s.create_lease(&tenant, &d.group(2).order(1).bid(p.as_str())).unwrap_err();
    assert!(err.to_string().contains("expired at height"), "{err}");
    assert_eq!(s.order(&d.group(2).order(1)).order.state, OrderState::Open);
}

#[test]
fn start_group_after_insufficient_funds_needs_a_deposit_first() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 100_000, 1)], coin(1_000_000, DENOM), false).unwrap();
    let d = DeploymentId::new(tenant.as_str(), 1);
    let lease = d.group(1).order(1).bid(p.as_str());
    s.bid(&p, &lease.order(), price(100_000, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &lease).unwrap();
    s.advance(20);
    s.exec_escrow(&p, &escrow::ExecuteMsg::Settle { id: AccountId::deployment(&d) }, &[]).unwrap();
    assert_eq!(s.deployment(&d).groups[0].state, GroupState::InsufficientFunds);

    let start = ExecuteMsg::StartGroup { dseq: 1, gseq: 1 };
    let err = s.exec_market(&tenant, &start, &[]).unwrap_err();
    assert!(err.to_string().contains("overdrawn: deposit before starting a group"), "{err}");
    assert_eq!(s.deployment(&d).groups[0].state, GroupState::InsufficientFunds);
    s.deposit(&tenant, &d, coin(5_000_000, DENOM)).unwrap();
    assert_eq!(s.escrow_account(&AccountId::deployment(&d)).account.state, AccountState::Open);
    s.exec_market(&tenant, &start, &[]).unwrap();
    assert_eq!(s.deployment(&d).groups[0].state, GroupState::Open);
}

#[test]
fn audits_do_not_survive_a_provider_delete() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let auditor = s.account("auditor", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.sign(&auditor, &p, vec![Attribute::new("tier", "datacenter")]);
    s.exec_registry(&p, &registry::ExecuteMsg::Delete {}).unwrap();
    let register = registry::ExecuteMsg::Register {
        host_uri: "https://p.example.com".into(),
        attributes: cpu_provider_attrs("us"),
        info: Default::default(),
    };
    s.exec_registry(&p, &register).unwrap();
    let record: AuditRecord = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.registry,
            &registry::QueryMsg::AuditorAttributes { owner: p.to_string(), auditor: auditor.to_string() },
        )
        .unwrap();
    assert!(record.attributes.is_empty(), "the old audit does not carry over: {record:?}");
    let mut group = cpu_group("web", 100, 1);
    group.requirements.signed_by.all_of = vec![auditor.to_string()];
    s.create_deployment(&tenant, 1, vec![group], coin(10_000_000, DENOM), false).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    let err = s.bid(&p, &order, price(50, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("auditor signatures are missing"), "{err}");
    // A fresh signature for the new registration counts.
    s.sign(&auditor, &p, vec![Attribute::new("tier", "datacenter")]);
    s.bid(&p, &order, price(50, DENOM), collateral()).unwrap();
}

/// `Bids` filtered by order and provider is a point lookup (was: a page of the order's bids then
/// filtered, so the one match could be missed); owner+state and owner+provider lists come from
/// indexes, so a page is never cut short by non-matching entries.
#[test]
fn filtered_lists_return_full_pages() {
    let mut params = default_params();
    params.max_bids_per_order = 20;
    let mut s = Suite::with_params(params);
    let tenant = s.account("tenant", START);
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 100, 1)], coin(10_000_000, DENOM), false).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    let providers: Vec<Addr> = (0..15).map(|i| s.provider(&format!("p{i:02}"), cpu_provider_attrs("us"))).collect();
    for p in &providers {
        s.bid(p, &order, price(50, DENOM), collateral()).unwrap();
    }
    let mut sorted = providers.clone();
    sorted.sort();
    let last = sorted.last().unwrap();
    for state in [None, Some(BidState::Open)] {
        let found: BidsResponse = s.query_market(&QueryMsg::Bids {
            order: Some(order.clone()),
            provider: Some(last.to_string()),
            state,
            start_after: None,
            limit: Some(1),
        });
        assert_eq!(found.bids.len(), 1, "state {state:?}");
        assert_eq!(found.bids[0].id.provider, last.as_str());
    }

    // 12 closed leases then 3 active ones with one provider: the active page is full.
    let p = s.provider("lessor", cpu_provider_attrs("us"));
    for dseq in 2..=16u64 {
        s.create_deployment(&tenant, dseq, vec![cpu_group("web", 10, 1)], coin(1_000_000, DENOM), false).unwrap();
        let lease = DeploymentId::new(tenant.as_str(), dseq).group(1).order(1).bid(p.as_str());
        s.bid(&p, &lease.order(), price(10, DENOM), collateral()).unwrap();
        s.create_lease(&tenant, &lease).unwrap();
        if dseq <= 13 {
            s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq }, &[]).unwrap();
        }
    }
    for provider in [None, Some(p.to_string())] {
        let active: LeasesResponse = s.query_market(&QueryMsg::Leases {
            owner: Some(tenant.to_string()),
            provider: provider.clone(),
            state: Some(LeaseState::Active),
            start_after: None,
            limit: Some(3),
        });
        assert_eq!(active.leases.len(), 3, "provider filter {provider:?}");
        assert!(active.leases.iter().all(|l| l.state == LeaseState::Active));
    }
    let all: LeasesResponse = s.query_market(&QueryMsg::Leases {
        owner: Some(tenant.to_string()),
        provider: Some(p.to_string()),
        state: None,
        start_after: None,
        limit: Some(100),
    });
    assert_eq!(all.leases.len(), 15);
    let deployments: market::DeploymentsResponse = s.query_market(&QueryMsg::Deployments {
        owner: Some(tenant.to_string()),
        state: Some(market::DeploymentState::Active),
        start_after: None,
        limit: Some(4),
    });
    assert_eq!(deployments.deployments.len(), 4);
    assert_eq!(deployments.deployments[0].id.dseq, 1);
}

/// Two-step admin transfer (was: the admin could not be rotated at all, and a one-step transfer
/// to a mistyped address would orphan governance).
#[test]
fn admin_transfer_takes_two_steps() {
    let mut s = Suite::new();
    let next = s.account("next-admin", START);
    let stranger = s.account("stranger", START);
    let admin = s.admin.clone();
    let err = s.exec_market(&next, &ExecuteMsg::AcceptAdmin {}, &[]).unwrap_err();
    assert!(err.to_string().contains("no admin transfer is pending"), "{err}");
    let err = s.exec_market(&stranger, &ExecuteMsg::ProposeAdmin { admin: stranger.to_string() }, &[]).unwrap_err();
    assert!(err.to_string().contains("may not propose"), "{err}");
    let res = s.exec_market(&admin, &ExecuteMsg::ProposeAdmin { admin: next.to_string() }, &[]).unwrap();
    assert!(event(&res, "market-admin-proposed").is_some());
    let cfg: market::ConfigResponse = s.query_market(&QueryMsg::Config {});
    assert_eq!((cfg.admin.as_ref(), cfg.pending_admin.as_ref()), (Some(&admin), Some(&next)));
    let err = s.exec_market(&stranger, &ExecuteMsg::AcceptAdmin {}, &[]).unwrap_err();
    assert!(err.to_string().contains("may not accept"), "{err}");
    let res = s.exec_market(&next, &ExecuteMsg::AcceptAdmin {}, &[]).unwrap();
    let accepted = event(&res, "market-admin-accepted").unwrap();
    assert_eq!(attr(&accepted, "previous"), Some(admin.as_str()));
    let cfg: market::ConfigResponse = s.query_market(&QueryMsg::Config {});
    assert_eq!((cfg.admin, cfg.pending_admin), (Some(next.clone()), None));
    let params = default_params();
    let err = s.exec_market(&admin, &ExecuteMsg::UpdateParams { params: params.clone() }, &[]).unwrap_err();
    assert!(err.to_string().contains("unauthorized"), "{err}");
    s.exec_market(&next, &ExecuteMsg::UpdateParams { params }, &[]).unwrap();
}

/// Also checked: a close in the same block before `MatchOrder` wins (the match fails and changes
/// nothing); a bid placed in the same block before the match competes on price like any other.
#[test]
fn same_block_front_running_changes_nothing_unfair() {
    let mut s = Suite::new();
    let (tenant, order) = auto_match_world(&mut s);
    let a = s.provider("a", cpu_provider_attrs("us"));
    let b = s.provider("b", cpu_provider_attrs("us"));
    s.bid(&a, &order, price(50, DENOM), collateral()).unwrap();
    s.advance(10);
    // Same block: b undercuts, then the match runs: the cheaper bid wins (the tenant pays less).
    s.bid(&b, &order, price(40, DENOM), collateral()).unwrap();
    match_order(&mut s, &a, &order).unwrap();
    assert_eq!(s.lease(&order.bid(b.as_str())).state, LeaseState::Active);

    // Same block: the tenant closes the deployment before a match of its other order.
    s.create_deployment(&tenant, 2, vec![cpu_group("web", 100, 1)], coin(10_000_000, DENOM), true).unwrap();
    let order2 = DeploymentId::new(tenant.as_str(), 2).group(1).order(1);
    s.bid(&a, &order2, price(50, DENOM), collateral()).unwrap();
    s.advance(10);
    s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq: 2 }, &[]).unwrap();
    let a_before = s.balance(&a, DENOM);
    let err = match_order(&mut s, &a, &order2).unwrap_err();
    assert!(err.to_string().contains("is closed"), "{err}");
    assert_eq!(s.balance(&a, DENOM), a_before);
}

/// Also checked: closed objects stay closed (no restart of a closed group, no bid on a closed
/// order, no deposit into a closed account), and every contract refuses a migration by anyone
/// but its admin.
#[test]
fn closed_objects_stay_closed_and_migrations_need_the_admin() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 100, 1)], coin(10_000_000, DENOM), false).unwrap();
    let d = DeploymentId::new(tenant.as_str(), 1);
    s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[]).unwrap();
    let err = s.exec_market(&tenant, &ExecuteMsg::StartGroup { dseq: 1, gseq: 1 }, &[]).unwrap_err();
    assert!(err.to_string().contains("is closed"), "{err}");
    let err = s.bid(&p, &d.group(1).order(1), price(50, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("not open"), "{err}");
    let err = s.deposit(&tenant, &d, coin(5_000_000, DENOM)).unwrap_err();
    assert!(err.to_string().contains("closed"), "{err}");
    let err =
        s.exec_market(&tenant, &ExecuteMsg::ExcludeProvider { dseq: 1, provider: p.to_string() }, &[]).unwrap_err();
    assert!(err.to_string().contains("is closed"), "{err}");

    let stranger = s.account("stranger", START);
    for (contract, code) in
        [(s.market.clone(), s.market_code), (s.escrow.clone(), s.escrow_code), (s.registry.clone(), s.provider_code)]
    {
        let res = s.app.migrate_contract(stranger.clone(), contract.clone(), &market::MigrateMsg {}, code);
        assert!(res.is_err(), "a stranger migrated {contract}");
    }
    let admin = s.admin.clone();
    s.app.migrate_contract(admin, s.market.clone(), &market::MigrateMsg {}, s.market_code).unwrap();
    assert_eq!(s.deployment(&d).deployment.state, market::DeploymentState::Closed, "state kept");
}

/// Also checked, numeric extremes: a deposit beyond what `Decimal256` represents is refused with
/// a typed error and changes nothing; a price of 10^-18 per block over 10^9 blocks (190 years of 6 s blocks) and the
/// largest price at the largest replica count both settle exactly, conserving every unit.
#[test]
fn numeric_extremes_are_exact_or_refused() {
    let mut s = Suite::new();
    let whale = s.addr("whale");
    let huge = cosmwasm_std::Uint256::from(10u128).pow(70);
    s.mint(&whale, cosmwasm_std::Coin { denom: DENOM.into(), amount: huge });
    let tenant = s.addr("tenant");
    s.mint(&tenant, coin(10u128.pow(18), DENOM));
    let p = s.provider("p", cpu_provider_attrs("us"));
    let before = s.balance(&s.escrow.clone(), DENOM);
    let too_much = cosmwasm_std::Coin { denom: DENOM.into(), amount: cosmwasm_std::Uint256::from(10u128).pow(60) };
    let err = s
        .exec_market(
            &whale,
            &ExecuteMsg::CreateDeployment {
                dseq: 1,
                hash: leasehold_marketplace_tests::manifest_hash(1),
                groups: vec![cpu_group("web", 100, 1)],
                auto_match: false,
            },
            &[too_much],
        )
        .unwrap_err();
    assert!(err.to_string().contains("overflow"), "{err}");
    assert_eq!(s.balance(&s.escrow.clone(), DENOM), before, "nothing moved");
    assert!(
        s.try_query_market::<market::DeploymentResponse>(&QueryMsg::Deployment {
            id: DeploymentId::new(whale.as_str(), 1)
        })
        .is_err()
    );

    // 10^-18 per block for 10^9 blocks: 10^-9 units accrued, paid as 0, refunded in full.
    let mut tiny = cpu_group("web", 1, 1);
    tiny.resources[0].price = leasehold_marketplace_tests::dec_price("0.000000000000000001", DENOM);
    let deposit = 1_000_000u128;
    let start = s.balance(&tenant, DENOM);
    s.create_deployment(&tenant, 2, vec![tiny], coin(deposit, DENOM), false).unwrap();
    let lease = DeploymentId::new(tenant.as_str(), 2).group(1).order(1).bid(p.as_str());
    s.bid(&p, &lease.order(), leasehold_marketplace_tests::dec_price("0.000000000000000001", DENOM), collateral())
        .unwrap();
    s.create_lease(&tenant, &lease).unwrap();
    s.advance(1_000_000_000);
    s.withdraw(&p, &lease).unwrap();
    assert_eq!(s.payment(&lease).accrued.to_string(), "0.000000001");
    s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq: 2 }, &[]).unwrap();
    assert_eq!(s.balance(&tenant, DENOM), start, "a fraction of a unit is never charged");

    // The largest unit price at the largest count: the ceiling and a month of payments are exact.
    let mut big = cpu_group("web", leasehold_types::resources::UNIT_PRICE_MAX, leasehold_types::resources::COUNT_MAX);
    big.resources[0].cpu_millis = 100;
    let ceiling = leasehold_types::resources::UNIT_PRICE_MAX * u128::from(leasehold_types::resources::COUNT_MAX);
    let blocks = 432_000u128; // a month of 6 s blocks
    s.create_deployment(&tenant, 3, vec![big], coin(ceiling * blocks, DENOM), false).unwrap();
    let lease = DeploymentId::new(tenant.as_str(), 3).group(1).order(1).bid(p.as_str());
    s.bid(&p, &lease.order(), price(ceiling, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &lease).unwrap();
    let p_before = s.balance(&p, DENOM);
    s.advance(blocks as u64);
    s.withdraw(&p, &lease).unwrap();
    let paid = s.balance(&p, DENOM) - p_before;
    let total = ceiling * blocks;
    assert_eq!(paid + total * 2 / 100, total, "provider + take = exactly the month's price");
    let view = s.escrow_account(&AccountId::deployment(&lease.deployment()));
    assert!(view.balance.is_zero());
}

/// Also checked, bounded input: every field a user stores has a maximum size, refused beyond it
/// with a typed error naming the field (provider declarations, audits, group specs).
#[test]
fn every_stored_field_has_a_maximum() {
    use leasehold_types::attributes::{MAX_ATTRIBUTES, MAX_KEY_LEN, MAX_VALUE_LEN};
    use leasehold_types::provider::{MAX_HOST_URI_LEN, MAX_INFO_LEN, ProviderInfo};
    use leasehold_types::resources::{GROUPS_MAX, NAME_MAX};
    let mut s = Suite::new();
    let who = s.account("p", START);
    let register = |host: String, attrs: Vec<Attribute>, info: ProviderInfo| registry::ExecuteMsg::Register {
        host_uri: host,
        attributes: attrs,
        info,
    };
    let many: Vec<Attribute> = (0..=MAX_ATTRIBUTES).map(|i| Attribute::new(format!("k{i}"), "v")).collect();
    let cases = vec![
        (
            register(format!("https://{}.com", "a".repeat(MAX_HOST_URI_LEN)), vec![], Default::default()),
            "MAX_HOST_URI_LEN",
        ),
        (register("https://p.example.com".into(), many, Default::default()), "attributes"),
        (
            register(
                "https://p.example.com".into(),
                vec![Attribute::new("k".repeat(MAX_KEY_LEN + 1), "vv")],
                Default::default(),
            ),
            "attributes[0]",
        ),
        (
            register(
                "https://p.example.com".into(),
                vec![Attribute::new("kk", "v".repeat(MAX_VALUE_LEN + 1))],
                Default::default(),
            ),
            "attributes[0].value",
        ),
        (
            register(
                "https://p.example.com".into(),
                vec![],
                ProviderInfo { email: "e".repeat(MAX_INFO_LEN + 1), website: String::new() },
            ),
            "info.email",
        ),
    ];
    for (msg, field) in cases {
        let err = s.exec_registry(&who, &msg).unwrap_err();
        assert!(err.to_string().contains(field), "{field}: {err}");
    }
    // Audits: the same attribute bounds, and at most MAX_ATTRIBUTES keys per record.
    let p = s.provider("provider", cpu_provider_attrs("us"));
    let auditor = s.account("auditor", START);
    let too_many: Vec<Attribute> = (0..=MAX_ATTRIBUTES).map(|i| Attribute::new(format!("k{i}"), "v")).collect();
    let sign = registry::ExecuteMsg::SignAttributes { owner: p.to_string(), attributes: too_many };
    assert!(s.exec_registry(&auditor, &sign).unwrap_err().to_string().contains("attributes"));
    // Group specs: names, group count.
    let tenant = s.account("tenant", START);
    let long_name = cpu_group(&"n".repeat(NAME_MAX + 1), 10, 1);
    let err = s.create_deployment(&tenant, 1, vec![long_name], coin(1_000_000, DENOM), false).unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
    let groups: Vec<_> = (0..=GROUPS_MAX).map(|i| cpu_group(&format!("g{i}"), 10, 1)).collect();
    let err = s.create_deployment(&tenant, 1, groups, coin(1_000_000, DENOM), false).unwrap_err();
    assert!(err.to_string().contains("groups"), "{err}");
}

/// Also checked, re-entrancy through the escrow hook: the tenant closes one lease of an account
/// that ran dry; settling inside that close calls back into the market, which closes the other
/// lease for insufficient funds — mid-update, with the closed lease already saved — and every
/// unit is accounted for.
#[test]
fn escrow_hook_reentry_during_a_close_is_consistent() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let (a, b) = (s.provider("a", cpu_provider_attrs("us")), s.provider("b", cpu_provider_attrs("us")));
    let groups = vec![cpu_group("one", 1_000, 1), cpu_group("two", 1_000, 1)];
    s.create_deployment(&tenant, 1, groups, coin(1_000_000, DENOM), false).unwrap();
    let d = DeploymentId::new(tenant.as_str(), 1);
    let (la, lb) = (d.group(1).order(1).bid(a.as_str()), d.group(2).order(1).bid(b.as_str()));
    s.bid(&a, &la.order(), price(1_000, DENOM), collateral()).unwrap();
    s.bid(&b, &lb.order(), price(1_000, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &la).unwrap();
    s.create_lease(&tenant, &lb).unwrap();
    s.advance(1_000); // 2,000 per block: dry after 500 blocks
    let tenant_before = s.balance(&tenant, DENOM);
    let res = s.close_lease(&tenant, &la, None).unwrap();
    assert!(!events(&res, "escrow-overdrawn").is_empty(), "the close found the account dry");
    // The tenant's close was saved before the escrow ran: the hook leaves that lease alone and
    // closes the other one for insufficient funds; both payments stopped at the funded block.
    assert_eq!(s.lease(&la).state, LeaseState::Closed);
    assert_eq!(s.lease(&lb).state, LeaseState::InsufficientFunds);
    let (pa, pb) = (s.payment(&la), s.payment(&lb));
    assert_eq!((pa.state, pb.state), (escrow::PaymentState::Overdrawn, escrow::PaymentState::Overdrawn));
    assert_eq!(pa.withdrawn + pa.take + pb.withdrawn + pb.take, cosmwasm_std::Uint256::from(1_000_000u128));
    assert_eq!(s.balance(&tenant, DENOM), tenant_before, "nothing refunded: all spent");
    s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[]).unwrap();
    assert_eq!(s.balance(&s.escrow.clone(), DENOM), 0, "escrow empty");
}
