//! End-to-end marketplace journeys on cw-multi-test: market + escrow + provider registry, real
//! bank transfers, block advances; balances checked to the micro-unit.

use cosmwasm_std::coin;
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group, cpu_provider_attrs, gpu_group, gpu_provider_attrs};
use leasehold_marketplace_tests::{DENOM, Suite, attr, event, events, price};
use leasehold_types::Attribute;
use leasehold_types::escrow::{self, AccountId, AccountState, PaymentState};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{
    BidState, DeploymentState, ExecuteMsg, GroupState, LeaseCloseReason, LeaseState, OrderState, QueryMsg,
};

const START: u128 = 100_000_000;

#[test]
fn tenant_provider_auditor_journey_pays_to_the_micro_unit() {
    let mut s = Suite::new();
    let auditor = s.account("auditor", START);
    let tenant = s.account("tenant", START);
    let gpu = s.provider("gpu-provider", gpu_provider_attrs("eu-west"));
    let other = s.provider("other-provider", gpu_provider_attrs("eu-west"));
    s.sign(&auditor, &gpu, vec![Attribute::new("region", "eu-west")]);

    let mut group = gpu_group("inference", 60, 2, "eu-west");
    group.requirements.signed_by.all_of = vec![auditor.to_string()];
    let res = s.create_deployment(&tenant, 1, vec![group], coin(10_000_000, DENOM), false).unwrap();
    let created = event(&res, "deployment-created").expect("deployment-created event");
    assert_eq!(attr(&created, "dseq"), Some("1"));
    let order_ev = event(&res, "order-created").expect("order-created event");
    assert_eq!(attr(&order_ev, "price"), Some("120ulease"));
    assert_eq!(s.balance(&tenant, DENOM), START - 10_000_000);

    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    // The unaudited provider cannot bid on a group requiring the auditor's signature.
    let err = s.bid(&other, &order, price(90, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("auditor signatures"), "{err}");
    s.sign(&auditor, &other, vec![Attribute::new("region", "eu-west")]);
    s.bid(&other, &order, price(110, DENOM), collateral()).unwrap();
    let res = s.bid(&gpu, &order, price(100, DENOM), collateral()).unwrap();
    assert!(event(&res, "bid-created").is_some());
    assert_eq!(s.order(&order).order.open_bids, 2);

    let win = order.bid(gpu.as_str());
    let lose = order.bid(other.as_str());
    let res = s.create_lease(&tenant, &win).unwrap();
    assert!(event(&res, "lease-created").is_some());
    assert!(event(&res, "order-matched").is_some());
    assert!(event(&res, "bid-matched").is_some());
    let lost = event(&res, "bid-lost").expect("bid-lost event");
    assert_eq!(attr(&lost, "provider"), Some(other.as_str()));
    assert_eq!(s.bid_state(&lose).state, BidState::Lost);
    assert_eq!(s.balance(&other, DENOM), START, "losing collateral refunded in the same tx");
    assert_eq!(s.order(&order).order.state, OrderState::Active);

    s.advance(50);
    let res = s.withdraw(&gpu, &win).unwrap();
    let w = event(&res, "escrow-withdrawn").expect("escrow-withdrawn event");
    assert_eq!(attr(&w, "amount"), Some("4900"));
    assert_eq!(attr(&w, "take"), Some("100"));
    assert_eq!(s.balance(&gpu, DENOM), START - 500_000 + 4_900);
    assert_eq!(s.balance(&s.pool.clone(), DENOM), 100);

    // Anyone may top up.
    let sponsor = s.account("sponsor", START);
    s.deposit(&sponsor, &DeploymentId::new(tenant.as_str(), 1), coin(1_000_000, DENOM)).unwrap();
    s.advance(10);
    let res = s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[]).unwrap();
    assert!(event(&res, "deployment-closed").is_some());
    let closed = event(&res, "lease-closed").expect("lease-closed");
    assert_eq!(attr(&closed, "reason"), Some("owner"));
    // 60 blocks at 100/block: provider paid 6000 minus 2% take, collateral back.
    assert_eq!(s.balance(&gpu, DENOM), START + 6_000 - 120);
    assert_eq!(s.balance(&s.pool.clone(), DENOM), 120);
    // FIFO: the tenant's deposit was spent first, the sponsor gets all of theirs back.
    assert_eq!(s.balance(&sponsor, DENOM), START);
    assert_eq!(s.balance(&tenant, DENOM), START - 6_000);
    assert_eq!(s.balance(&s.escrow.clone(), DENOM), 0);
    assert_eq!(s.balance(&s.market.clone(), DENOM), 0);
    let d = s.deployment(&DeploymentId::new(tenant.as_str(), 1));
    assert_eq!(d.deployment.state, DeploymentState::Closed);
    assert_eq!(d.groups[0].state, GroupState::Closed);
    assert_eq!(s.lease(&win).state, LeaseState::Closed);
    assert_eq!(s.lease(&win).reason, Some(LeaseCloseReason::Owner));
}

#[test]
fn tenant_close_relists_and_provider_close_pauses() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.create_deployment(&tenant, 7, vec![cpu_group("web", 10, 1)], coin(2_000_000, DENOM), false).unwrap();
    let g = DeploymentId::new(tenant.as_str(), 7).group(1);
    let lease1 = g.order(1).bid(p.as_str());
    s.bid(&p, &g.order(1), price(10, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &lease1).unwrap();

    // The tenant may not give a provider reason.
    let err = s.close_lease(&tenant, &lease1, Some(LeaseCloseReason::Unstable)).unwrap_err();
    assert!(err.to_string().contains("not allowed for the tenant"), "{err}");
    let res = s.close_lease(&tenant, &lease1, None).unwrap();
    let relisted = event(&res, "order-created").expect("relisted order");
    assert_eq!(attr(&relisted, "oseq"), Some("2"));
    assert_eq!(s.order(&g.order(2)).order.state, OrderState::Open);
    assert_eq!(s.order(&g.order(1)).order.state, OrderState::Closed);

    // The tenant's close excluded the provider from the deployment; the tenant lets it back in.
    assert!(event(&res, "provider-excluded").is_some());
    let err = s.bid(&p, &g.order(2), price(9, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("is excluded from deployment"), "{err}");
    s.exec_market(&tenant, &ExecuteMsg::ReadmitProvider { dseq: 7, provider: p.to_string() }, &[]).unwrap();
    let lease2 = g.order(2).bid(p.as_str());
    s.bid(&p, &g.order(2), price(9, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &lease2).unwrap();
    // A provider must give a provider reason.
    let err = s.close_lease(&p, &lease2, None).unwrap_err();
    assert!(err.to_string().contains("not allowed for the provider"), "{err}");
    let err = s.close_lease(&p, &lease2, Some(LeaseCloseReason::Owner)).unwrap_err();
    assert!(err.to_string().contains("not allowed for the provider"), "{err}");
    let res = s.close_lease(&p, &lease2, Some(LeaseCloseReason::Unstable)).unwrap();
    let ev = event(&res, "lease-closed").unwrap();
    assert_eq!(attr(&ev, "reason"), Some("unstable"));
    assert_eq!(attr(&ev, "reason_code"), Some("10000"));
    assert!(event(&res, "group-paused").is_some());
    assert!(event(&res, "order-created").is_none(), "provider close does not relist");
    let d = s.deployment(&g.deployment());
    assert_eq!(d.groups[0].state, GroupState::Paused);
    // The tenant restarts the group: a fresh order.
    s.exec_market(&tenant, &ExecuteMsg::StartGroup { dseq: 7, gseq: 1 }, &[]).unwrap();
    assert_eq!(s.order(&g.order(3)).order.state, OrderState::Open);
}

#[test]
fn max_bids_per_order_is_exact_and_closed_bids_do_not_count() {
    let mut s = Suite::new(); // max 5 open bids
    let tenant = s.account("tenant", START);
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 100, 1)], coin(2_000_000, DENOM), false).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    let providers: Vec<_> = (0..7).map(|i| s.provider(&format!("p{i}"), cpu_provider_attrs("us"))).collect();
    for p in &providers[..5] {
        s.bid(p, &order, price(50, DENOM), collateral()).unwrap();
    }
    let err = s.bid(&providers[5], &order, price(50, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("5 open bids, the limit is 5"), "{err}");
    // A closed bid frees its slot.
    s.exec_market(&providers[0], &ExecuteMsg::CloseBid { bid: order.bid(providers[0].as_str()) }, &[]).unwrap();
    assert_eq!(s.balance(&providers[0], DENOM), START, "closed bid refunded");
    s.bid(&providers[5], &order, price(50, DENOM), collateral()).unwrap();
    let err = s.bid(&providers[6], &order, price(50, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("the limit is 5"), "{err}");
    // One bid per provider per order, even after closing it.
    let err = s.bid(&providers[0], &order, price(40, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
}

#[test]
fn bids_are_checked_against_ceiling_placement_and_capabilities() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    s.create_deployment(&tenant, 1, vec![gpu_group("gpu", 50, 2, "eu-west")], coin(2_000_000, DENOM), false).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    let good = s.provider("good", gpu_provider_attrs("eu-west"));
    let wrong_region = s.provider("wrong-region", gpu_provider_attrs("us-east"));
    let cpu_only = s.provider("cpu-only", cpu_provider_attrs("eu-west"));
    let mut a100 = gpu_provider_attrs("eu-west");
    a100[2] = Attribute::new("capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi", "true");
    let a100 = s.provider("a100", a100);
    let stranger = s.account("stranger", START);

    let cases = [
        (&good, price(101, DENOM), "exceeds the order ceiling"),
        (&good, price(0, DENOM), "must be positive"),
        (&good, price(10, "uusdc"), "differs from the order"),
        (&wrong_region, price(90, DENOM), "placement requirements"),
        (&cpu_only, price(90, DENOM), "capabilities"),
        (&a100, price(90, DENOM), "capabilities"),
        (&stranger, price(90, DENOM), "not a registered provider"),
        (&tenant, price(90, DENOM), "own deployment"),
    ];
    for (who, p, expected) in cases {
        let err = s.bid(who, &order, p, collateral()).unwrap_err();
        assert!(err.to_string().contains(expected), "expected {expected:?}, got {err}");
    }
    let err = s.bid(&good, &order, price(90, DENOM), coin(499_999, DENOM)).unwrap_err();
    assert!(err.to_string().contains("below the minimum"), "{err}");
    s.mint(&good, coin(500_000, "uatom"));
    let err = s.bid(&good, &order, price(90, DENOM), coin(500_000, "uatom")).unwrap_err();
    assert!(err.to_string().contains("not accepted"), "{err}");
    // Nothing changed: no bids, every balance intact.
    assert_eq!(s.order(&order).order.open_bids, 0);
    assert_eq!(s.balance(&good, DENOM), START);
    s.bid(&good, &order, price(100, DENOM), collateral()).unwrap();
}

#[test]
fn auto_match_picks_the_cheapest_bid_after_the_window() {
    let mut s = Suite::new(); // bidding window 10 blocks
    let tenant = s.account("tenant", START);
    s.create_deployment(&tenant, 3, vec![cpu_group("web", 100, 1)], coin(2_000_000, DENOM), true).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 3).group(1).order(1);
    let a = s.provider("a", cpu_provider_attrs("us"));
    let b = s.provider("b", cpu_provider_attrs("us"));
    let c = s.provider("c", cpu_provider_attrs("us"));
    s.bid(&a, &order, price(80, DENOM), collateral()).unwrap();
    s.advance(1);
    s.bid(&b, &order, price(70, DENOM), collateral()).unwrap();
    s.advance(1);
    s.bid(&c, &order, price(70, DENOM), collateral()).unwrap(); // same price, later: loses the tie
    let cranker = s.account("cranker", START);
    let err = s.exec_market(&cranker, &ExecuteMsg::MatchOrder { order: order.clone() }, &[]).unwrap_err();
    assert!(err.to_string().contains("bidding window"), "{err}");
    s.advance(8);
    let res = s.exec_market(&cranker, &ExecuteMsg::MatchOrder { order: order.clone() }, &[]).unwrap();
    let m = event(&res, "order-matched").unwrap();
    assert_eq!(attr(&m, "provider"), Some(b.as_str()));
    assert_eq!(attr(&m, "matched_by"), Some("auto_match"));
    assert_eq!(events(&res, "bid-lost").len(), 2);
    assert_eq!(s.lease(&order.bid(b.as_str())).state, LeaseState::Active);

    // A deployment without auto-match refuses the crank.
    s.create_deployment(&tenant, 4, vec![cpu_group("web", 100, 1)], coin(2_000_000, DENOM), false).unwrap();
    let manual = DeploymentId::new(tenant.as_str(), 4).group(1).order(1);
    s.bid(&a, &manual, price(80, DENOM), collateral()).unwrap();
    s.advance(20);
    let err = s.exec_market(&cranker, &ExecuteMsg::MatchOrder { order: manual }, &[]).unwrap_err();
    assert!(err.to_string().contains("auto-match"), "{err}");
}

#[test]
fn expired_orders_can_be_closed_by_anyone() {
    let mut s = Suite::new(); // expiry 100 blocks
    let tenant = s.account("tenant", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 100, 1)], coin(2_000_000, DENOM), false).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    s.bid(&p, &order, price(80, DENOM), collateral()).unwrap();
    let anyone = s.account("anyone", START);
    s.advance(99);
    let err = s.exec_market(&anyone, &ExecuteMsg::CloseExpiredOrder { order: order.clone() }, &[]).unwrap_err();
    assert!(err.to_string().contains("does not expire before"), "{err}");
    s.advance(1);
    let p2 = s.provider("late", cpu_provider_attrs("us"));
    let err = s.bid(&p2, &order, price(80, DENOM), collateral()).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    let res = s.exec_market(&anyone, &ExecuteMsg::CloseExpiredOrder { order: order.clone() }, &[]).unwrap();
    let closed = event(&res, "order-closed").unwrap();
    assert_eq!(attr(&closed, "reason"), Some("expired"));
    assert_eq!(s.bid_state(&order.bid(p.as_str())).state, BidState::Closed);
    assert_eq!(s.balance(&p, DENOM), START, "collateral refunded");
    assert_eq!(s.deployment(&order.deployment()).groups[0].state, GroupState::Paused);
}

#[test]
fn overdraft_pays_exactly_what_was_funded_pro_rata_and_closes_leases() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let a = s.provider("a", cpu_provider_attrs("us"));
    let b = s.provider("b", cpu_provider_attrs("us"));
    let groups = vec![cpu_group("one", 300, 1), cpu_group("two", 701, 1)];
    s.create_deployment(&tenant, 1, groups, coin(1_000_000, DENOM), false).unwrap();
    let d = DeploymentId::new(tenant.as_str(), 1);
    let la = d.group(1).order(1).bid(a.as_str());
    let lb = d.group(2).order(1).bid(b.as_str());
    s.bid(&a, &la.order(), price(300, DENOM), collateral()).unwrap();
    s.bid(&b, &lb.order(), price(701, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &la).unwrap();
    s.create_lease(&tenant, &lb).unwrap();
    let start = s.height();

    let runway: escrow::RunwayResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.escrow,
            &escrow::QueryMsg::Runway { id: AccountId::deployment(&d), block_time_ms: Some(6000) },
        )
        .unwrap();
    // 1_000_000 / 1001 per block = 999 full blocks.
    assert_eq!(runway.blocks, Some(999));
    assert_eq!(runway.funded_until, Some(start + 999));
    assert_eq!(runway.seconds, Some(999 * 6));

    s.advance(2000);
    let anyone = s.account("anyone", START);
    let res = s.exec_escrow(&anyone, &escrow::ExecuteMsg::Settle { id: AccountId::deployment(&d) }, &[]).unwrap();
    let over = event(&res, "escrow-overdrawn").expect("escrow-overdrawn event");
    assert_eq!(attr(&over, "funded_until"), Some((start + 999).to_string().as_str()));
    let closes = events(&res, "lease-closed");
    assert_eq!(closes.len(), 2);
    for c in &closes {
        assert_eq!(attr(c, "reason"), Some("insufficient_funds"));
        assert_eq!(attr(c, "reason_code"), Some("20000"));
    }
    // 999 blocks fully funded (299_700 and 700_299), the last micro-unit split pro-rata
    // (0.2997 / 0.7003): nothing whole is left over, the fractions stay with the tenant.
    let pa = s.payment(&la);
    let pb = s.payment(&lb);
    assert_eq!(pa.state, PaymentState::Overdrawn);
    assert_eq!(cosmwasm_std::Uint128::try_from(pa.withdrawn + pa.take).unwrap().u128(), 299_700);
    assert_eq!(cosmwasm_std::Uint128::try_from(pb.withdrawn + pb.take).unwrap().u128(), 700_299);
    assert_eq!(s.balance(&a, DENOM), START + 299_700 - 5_994);
    assert_eq!(s.balance(&b, DENOM), START + 700_299 - 14_005);
    let acct = s.escrow_account(&AccountId::deployment(&d));
    assert_eq!(acct.account.state, AccountState::Overdrawn);
    assert_eq!(acct.balance.to_string(), "1");
    assert_eq!(s.lease(&la).state, LeaseState::InsufficientFunds);
    assert_eq!(s.lease(&la).reason, Some(LeaseCloseReason::InsufficientFunds));
    let dep = s.deployment(&d);
    assert_eq!(dep.deployment.state, DeploymentState::Active, "the deployment survives an overdraft");
    assert!(dep.groups.iter().all(|g| g.state == GroupState::InsufficientFunds));
    let active: u32 = s
        .query_market::<leasehold_types::market::ProviderLeaseCountResponse>(&QueryMsg::ProviderLeaseCount {
            provider: a.to_string(),
        })
        .active;
    assert_eq!(active, 0);

    // A deposit reopens the account; the tenant restarts a group and leases again.
    s.deposit(&tenant, &d, coin(1_000_000, DENOM)).unwrap();
    assert_eq!(s.escrow_account(&AccountId::deployment(&d)).account.state, AccountState::Open);
    s.exec_market(&tenant, &ExecuteMsg::StartGroup { dseq: 1, gseq: 1 }, &[]).unwrap();
    let relisted = d.group(1).order(2);
    s.bid(&a, &relisted, price(300, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &relisted.bid(a.as_str())).unwrap();
    s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[]).unwrap();
    assert_eq!(s.balance(&s.escrow.clone(), DENOM), 0, "escrow holds nothing after close");
}

#[test]
fn provider_delete_is_refused_while_leases_are_active() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    s.create_deployment(&tenant, 1, vec![cpu_group("web", 10, 1)], coin(2_000_000, DENOM), false).unwrap();
    let lease = DeploymentId::new(tenant.as_str(), 1).group(1).order(1).bid(p.as_str());
    s.bid(&p, &lease.order(), price(10, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &lease).unwrap();
    let err = s.exec_registry(&p, &leasehold_types::provider::ExecuteMsg::Delete {}).unwrap_err();
    assert!(err.to_string().to_lowercase().contains("active lease"), "{err}");
    s.close_lease(&tenant, &lease, None).unwrap();
    s.exec_registry(&p, &leasehold_types::provider::ExecuteMsg::Delete {}).unwrap();
    // A deleted provider's open bids can no longer be accepted.
    let order2 = lease.group().order(2);
    let q = s.provider("q", cpu_provider_attrs("us"));
    s.bid(&q, &order2, price(10, DENOM), collateral()).unwrap();
    s.exec_registry(&q, &leasehold_types::provider::ExecuteMsg::Delete {}).unwrap();
    let err = s.create_lease(&tenant, &order2.bid(q.as_str())).unwrap_err();
    assert!(err.to_string().contains("not a registered provider"), "{err}");
}

#[test]
fn pause_and_close_group_close_orders_bids_and_leases_with_events() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    let q = s.provider("q", cpu_provider_attrs("us"));
    s.create_deployment(&tenant, 1, vec![cpu_group("a", 10, 1), cpu_group("b", 10, 1)], coin(2_000_000, DENOM), false)
        .unwrap();
    let d = DeploymentId::new(tenant.as_str(), 1);
    s.bid(&p, &d.group(1).order(1), price(10, DENOM), collateral()).unwrap();
    s.bid(&q, &d.group(2).order(1), price(10, DENOM), collateral()).unwrap();
    s.create_lease(&tenant, &d.group(1).order(1).bid(p.as_str())).unwrap();
    s.advance(5);
    let res = s.exec_market(&tenant, &ExecuteMsg::PauseGroup { dseq: 1, gseq: 1 }, &[]).unwrap();
    assert!(event(&res, "lease-closed").is_some());
    assert!(event(&res, "group-paused").is_some());
    assert_eq!(s.balance(&p, DENOM), START + 50 - 1, "paid 5 blocks minus 2% take (floored)");
    // Closing a deployment whose second order is still open closes it and its bid (Akash support#444).
    let res = s.exec_market(&tenant, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[]).unwrap();
    let closed: Vec<_> = events(&res, "order-closed");
    assert_eq!(closed.len(), 1, "the open order of group 2 closes (group 1's was already closed)");
    assert_eq!(attr(&closed[0], "gseq"), Some("2"));
    assert_eq!(s.bid_state(&d.group(2).order(1).bid(q.as_str())).state, BidState::Closed);
    assert_eq!(s.balance(&q, DENOM), START);
}

#[test]
fn a_contract_can_deploy_and_accept_bids() {
    use cw_multi_test::Executor;
    use leasehold_marketplace_tests::dapp::{ExecuteMsg as DappMsg, InstantiateMsg, dapp_contract};
    let mut s = Suite::new();
    let code = s.app.store_code(dapp_contract());
    let owner = s.account("dapp-owner", START);
    let market = s.market.to_string();
    let dapp = s.app.instantiate_contract(code, owner.clone(), &InstantiateMsg { market }, &[], "dapp", None).unwrap();
    let p = s.provider("p", cpu_provider_attrs("us"));
    let q = s.provider("q", cpu_provider_attrs("us"));
    let msg = DappMsg::Deploy {
        dseq: 9,
        hash: leasehold_marketplace_tests::manifest_hash(9),
        groups: vec![cpu_group("web", 10, 1)],
    };
    s.app.execute_contract(owner.clone(), dapp.clone(), &msg, &[coin(1_500_000, DENOM)]).unwrap();
    let order = DeploymentId::new(dapp.as_str(), 9).group(1).order(1);
    s.bid(&p, &order, price(9, DENOM), collateral()).unwrap();
    s.bid(&q, &order, price(8, DENOM), collateral()).unwrap();
    s.app
        .execute_contract(owner.clone(), dapp.clone(), &DappMsg::AcceptCheapest { order: order.clone() }, &[])
        .unwrap();
    assert_eq!(s.lease(&order.bid(q.as_str())).state, LeaseState::Active);
    s.advance(10);
    s.app.execute_contract(owner, dapp.clone(), &DappMsg::Close { dseq: 9 }, &[]).unwrap();
    assert_eq!(s.balance(&dapp, DENOM), 1_500_000 - 80, "the contract is refunded as the deployment owner");
}

#[test]
fn a_lease_the_escrow_cannot_fund_for_one_block_is_refused_and_changes_nothing() {
    let mut s = Suite::new();
    let tenant = s.account("tenant", START);
    let p = s.provider("p", cpu_provider_attrs("us"));
    let q = s.provider("q", cpu_provider_attrs("us"));
    // Ceiling 2,000,000 per block; the deposit (the minimum) funds less than one block.
    s.create_deployment(&tenant, 1, vec![cpu_group("big", 2_000_000, 1)], coin(1_000_000, DENOM), false).unwrap();
    let order = DeploymentId::new(tenant.as_str(), 1).group(1).order(1);
    s.bid(&p, &order, price(1_500_000, DENOM), collateral()).unwrap();
    s.bid(&q, &order, price(1_600_000, DENOM), collateral()).unwrap();
    let err = s.create_lease(&tenant, &order.bid(p.as_str())).unwrap_err().to_string();
    assert!(err.to_lowercase().contains("insufficient"), "{err}");
    assert_eq!(s.order(&order).order.state, OrderState::Open);
    assert_eq!(s.order(&order).order.open_bids, 2);
    assert_eq!(s.bid_state(&order.bid(q.as_str())).state, BidState::Open, "no bid was lost");
    assert_eq!(s.balance(&q, DENOM), START - 500_000, "collateral still held");
    // A top-up makes the same lease possible.
    s.deposit(&tenant, &order.deployment(), coin(1_000_000, DENOM)).unwrap();
    s.create_lease(&tenant, &order.bid(p.as_str())).unwrap();
    assert_eq!(s.balance(&q, DENOM), START, "loser refunded once the lease exists");
}
