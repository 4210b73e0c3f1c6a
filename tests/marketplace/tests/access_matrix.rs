//! Every execute message of the three contracts against every role: tenant, provider, other
//! provider, auditor, admin, stranger. Each cell runs on a fresh copy of the same world; a cell
//! allowed here but refused by the contracts (or the reverse) fails the test.

use cosmwasm_std::{Coin, Decimal, coin};
use cw_multi_test::Executor;
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group, cpu_provider_attrs};
use leasehold_marketplace_tests::{DENOM, Suite, default_params, manifest_hash, price};
use leasehold_types::Attribute;
use leasehold_types::escrow::{self, AccountId, EscrowHookMsg, EscrowParams, PaymentId};
use leasehold_types::ids::{BidId, DeploymentId};
use leasehold_types::market::{ExecuteMsg, LeaseCloseReason};
use leasehold_types::provider::{ExecuteMsg as RegistryMsg, ProviderInfo};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Tenant,
    Provider,
    OtherProvider,
    Auditor,
    Admin,
    Stranger,
}

const ROLES: [Role; 6] =
    [Role::Tenant, Role::Provider, Role::OtherProvider, Role::Auditor, Role::Admin, Role::Stranger];

/// The world every cell starts from:
/// - deployment 1 (tenant): group 1 leased to `provider`; group 2 open with `provider`'s bid;
///   group 3 paused;
/// - deployment 2 (tenant, auto-match, no bidding window): an open order with `provider`'s bid;
/// - deployment 3 (tenant): an expired order;
/// - `auditor` signed `provider`'s region;
/// - the tenant excluded `stranger` from deployment 1; the admin proposed `stranger` as admin of
///   the market and of the escrow.
struct World {
    s: Suite,
    tenant: cosmwasm_std::Addr,
    provider: cosmwasm_std::Addr,
    other: cosmwasm_std::Addr,
    auditor: cosmwasm_std::Addr,
    stranger: cosmwasm_std::Addr,
}

impl World {
    fn new() -> Self {
        let mut params = default_params();
        params.bidding_window = 0;
        params.order_expiry = 5;
        let mut s = Suite::with_params(params);
        let tenant = s.account("tenant", 100_000_000);
        let auditor = s.account("auditor", 100_000_000);
        let stranger = s.account("stranger", 100_000_000);
        s.account("admin", 100_000_000);
        let provider = s.provider("provider", cpu_provider_attrs("us"));
        let other = s.provider("other-provider", cpu_provider_attrs("us"));
        s.sign(&auditor, &provider, vec![Attribute::new("region", "us")]);
        // Deployment 3's order expires before the others are created.
        s.create_deployment(&tenant, 3, vec![cpu_group("a", 10, 1)], coin(5_000_000, DENOM), false).unwrap();
        s.advance(6);
        let groups = vec![cpu_group("a", 10, 1), cpu_group("b", 10, 1), cpu_group("c", 10, 1)];
        s.create_deployment(&tenant, 1, groups, coin(5_000_000, DENOM), false).unwrap();
        let d = DeploymentId::new(tenant.as_str(), 1);
        for g in 1..=2 {
            s.bid(&provider, &d.group(g).order(1), price(10, DENOM), collateral()).unwrap();
        }
        s.create_lease(&tenant, &d.group(1).order(1).bid(provider.as_str())).unwrap();
        s.exec_market(&tenant, &ExecuteMsg::PauseGroup { dseq: 1, gseq: 3 }, &[]).unwrap();
        s.create_deployment(&tenant, 2, vec![cpu_group("a", 10, 1)], coin(5_000_000, DENOM), true).unwrap();
        s.bid(&provider, &DeploymentId::new(tenant.as_str(), 2).group(1).order(1), price(10, DENOM), collateral())
            .unwrap();
        s.advance(3);
        // An exclusion to lift and an admin transfer to accept.
        let exclude = ExecuteMsg::ExcludeProvider { dseq: 1, provider: stranger.to_string() };
        s.exec_market(&tenant, &exclude, &[]).unwrap();
        let admin = s.admin.clone();
        s.exec_market(&admin, &ExecuteMsg::ProposeAdmin { admin: stranger.to_string() }, &[]).unwrap();
        s.exec_escrow(&admin, &escrow::ExecuteMsg::ProposeAdmin { admin: stranger.to_string() }, &[]).unwrap();
        Self { s, tenant, provider, other, auditor, stranger }
    }

    fn who(&self, role: Role) -> cosmwasm_std::Addr {
        match role {
            Role::Tenant => self.tenant.clone(),
            Role::Provider => self.provider.clone(),
            Role::OtherProvider => self.other.clone(),
            Role::Auditor => self.auditor.clone(),
            Role::Admin => self.s.admin.clone(),
            Role::Stranger => self.stranger.clone(),
        }
    }

    fn lease(&self) -> BidId {
        DeploymentId::new(self.tenant.as_str(), 1).group(1).order(1).bid(self.provider.as_str())
    }

    fn open_bid(&self) -> BidId {
        DeploymentId::new(self.tenant.as_str(), 1).group(2).order(1).bid(self.provider.as_str())
    }
}

enum Target {
    Market(ExecuteMsg, Vec<Coin>),
    Escrow(escrow::ExecuteMsg, Vec<Coin>),
    Registry(RegistryMsg),
}

fn run(w: &mut World, sender: cosmwasm_std::Addr, target: Target) -> Result<(), String> {
    let res = match target {
        Target::Market(msg, funds) => w.s.exec_market(&sender, &msg, &funds),
        Target::Escrow(msg, funds) => w.s.exec_escrow(&sender, &msg, &funds),
        Target::Registry(msg) => {
            let registry = w.s.registry.clone();
            w.s.app.execute_contract(sender, registry, &msg, &[])
        }
    };
    res.map(|_| ()).map_err(|e| e.to_string())
}

type Cell = (&'static str, fn(&World, Role) -> Target, &'static [Role]);

fn cells() -> Vec<Cell> {
    use Role::*;
    vec![
        (
            "market.create_deployment",
            |_, _| {
                Target::Market(
                    ExecuteMsg::CreateDeployment {
                        dseq: 77,
                        hash: manifest_hash(77),
                        groups: vec![cpu_group("x", 10, 1)],
                        auto_match: false,
                    },
                    vec![coin(1_000_000, DENOM)],
                )
            },
            &[Tenant, Provider, OtherProvider, Auditor, Admin, Stranger],
        ),
        (
            "market.update_deployment",
            |_, _| {
                Target::Market(
                    ExecuteMsg::UpdateDeployment { dseq: 1, hash: Some(manifest_hash(99)), auto_match: None },
                    vec![],
                )
            },
            &[Tenant],
        ),
        ("market.close_deployment", |_, _| Target::Market(ExecuteMsg::CloseDeployment { dseq: 1 }, vec![]), &[Tenant]),
        ("market.pause_group", |_, _| Target::Market(ExecuteMsg::PauseGroup { dseq: 1, gseq: 2 }, vec![]), &[Tenant]),
        ("market.start_group", |_, _| Target::Market(ExecuteMsg::StartGroup { dseq: 1, gseq: 3 }, vec![]), &[Tenant]),
        ("market.close_group", |_, _| Target::Market(ExecuteMsg::CloseGroup { dseq: 1, gseq: 2 }, vec![]), &[Tenant]),
        (
            "market.create_bid",
            |w, _| {
                Target::Market(
                    ExecuteMsg::CreateBid { order: w.open_bid().order(), price: price(9, DENOM) },
                    vec![collateral()],
                )
            },
            &[OtherProvider],
        ),
        ("market.close_bid", |w, _| Target::Market(ExecuteMsg::CloseBid { bid: w.open_bid() }, vec![]), &[Provider]),
        ("market.reject_bid", |w, _| Target::Market(ExecuteMsg::RejectBid { bid: w.open_bid() }, vec![]), &[Tenant]),
        (
            "market.exclude_provider",
            |w, _| Target::Market(ExecuteMsg::ExcludeProvider { dseq: 1, provider: w.other.to_string() }, vec![]),
            &[Tenant],
        ),
        (
            "market.readmit_provider",
            |w, _| Target::Market(ExecuteMsg::ReadmitProvider { dseq: 1, provider: w.stranger.to_string() }, vec![]),
            &[Tenant],
        ),
        (
            "market.propose_admin",
            |w, _| Target::Market(ExecuteMsg::ProposeAdmin { admin: w.auditor.to_string() }, vec![]),
            &[Admin],
        ),
        ("market.accept_admin", |_, _| Target::Market(ExecuteMsg::AcceptAdmin {}, vec![]), &[Stranger]),
        (
            "market.create_lease",
            |w, _| Target::Market(ExecuteMsg::CreateLease { bid: w.open_bid() }, vec![]),
            &[Tenant],
        ),
        (
            "market.close_lease",
            |w, role| {
                let reason = (role != Role::Tenant).then_some(LeaseCloseReason::Unstable);
                Target::Market(ExecuteMsg::CloseLease { lease: w.lease(), reason }, vec![])
            },
            &[Tenant, Provider],
        ),
        (
            "market.match_order",
            |w, _| {
                Target::Market(
                    ExecuteMsg::MatchOrder { order: DeploymentId::new(w.tenant.as_str(), 2).group(1).order(1) },
                    vec![],
                )
            },
            &[Tenant, Provider, OtherProvider, Auditor, Admin, Stranger],
        ),
        (
            "market.close_expired_order",
            |w, _| {
                Target::Market(
                    ExecuteMsg::CloseExpiredOrder { order: DeploymentId::new(w.tenant.as_str(), 3).group(1).order(1) },
                    vec![],
                )
            },
            &[Tenant, Provider, OtherProvider, Auditor, Admin, Stranger],
        ),
        (
            "market.refund_bids",
            |w, _| {
                Target::Market(
                    ExecuteMsg::RefundBids { order: DeploymentId::new(w.tenant.as_str(), 3).group(1).order(1) },
                    vec![],
                )
            },
            &[],
        ),
        (
            "market.escrow_hook",
            |w, _| {
                let account = AccountId::deployment(&DeploymentId::new(w.tenant.as_str(), 1));
                Target::Market(
                    ExecuteMsg::EscrowHook(EscrowHookMsg::AccountOverdrawn {
                        account,
                        payments: vec![],
                        funded_until: 1,
                    }),
                    vec![],
                )
            },
            &[],
        ),
        (
            "market.update_params",
            |_, _| Target::Market(ExecuteMsg::UpdateParams { params: default_params() }, vec![]),
            &[Admin],
        ),
        (
            "escrow.open_account",
            |w, _| {
                let id = AccountId::deployment(&DeploymentId::new(w.tenant.as_str(), 55));
                Target::Escrow(
                    escrow::ExecuteMsg::OpenAccount { id, owner: w.tenant.to_string() },
                    vec![coin(1_000_000, DENOM)],
                )
            },
            &[],
        ),
        (
            "escrow.deposit",
            |w, _| {
                let id = AccountId::deployment(&DeploymentId::new(w.tenant.as_str(), 1));
                Target::Escrow(escrow::ExecuteMsg::Deposit { id }, vec![coin(1_000, DENOM)])
            },
            &[Tenant, Provider, OtherProvider, Auditor, Admin, Stranger],
        ),
        (
            "escrow.create_payment",
            |w, _| {
                let lease = w.open_bid();
                Target::Escrow(
                    escrow::ExecuteMsg::CreatePayment {
                        id: PaymentId::for_lease(&lease),
                        payee: lease.provider.clone(),
                        rate: price(1, DENOM),
                    },
                    vec![],
                )
            },
            &[],
        ),
        (
            "escrow.close_payment",
            |w, _| Target::Escrow(escrow::ExecuteMsg::ClosePayment { id: PaymentId::for_lease(&w.lease()) }, vec![]),
            &[],
        ),
        (
            "escrow.close_account",
            |w, _| {
                Target::Escrow(
                    escrow::ExecuteMsg::CloseAccount {
                        id: AccountId::deployment(&DeploymentId::new(w.tenant.as_str(), 1)),
                    },
                    vec![],
                )
            },
            &[],
        ),
        (
            "escrow.close_accounts",
            |w, _| {
                let ids = vec![AccountId::bid(&w.open_bid())];
                Target::Escrow(escrow::ExecuteMsg::CloseAccounts { ids }, vec![])
            },
            &[],
        ),
        (
            "escrow.propose_admin",
            |w, _| Target::Escrow(escrow::ExecuteMsg::ProposeAdmin { admin: w.auditor.to_string() }, vec![]),
            &[Admin],
        ),
        ("escrow.accept_admin", |_, _| Target::Escrow(escrow::ExecuteMsg::AcceptAdmin {}, vec![]), &[Stranger]),
        (
            "escrow.withdraw",
            |w, _| Target::Escrow(escrow::ExecuteMsg::Withdraw { id: PaymentId::for_lease(&w.lease()) }, vec![]),
            &[Provider],
        ),
        (
            "escrow.settle",
            |w, _| {
                Target::Escrow(
                    escrow::ExecuteMsg::Settle { id: AccountId::deployment(&DeploymentId::new(w.tenant.as_str(), 1)) },
                    vec![],
                )
            },
            &[Tenant, Provider, OtherProvider, Auditor, Admin, Stranger],
        ),
        (
            "escrow.update_params",
            |w, _| {
                let params = EscrowParams {
                    take_rates: vec![],
                    default_take_rate: Decimal::percent(1),
                    deposit_minimums: vec![],
                    default_deposit_minimum: cosmwasm_std::Uint256::one(),
                    community_pool: w.s.pool.to_string(),
                };
                Target::Escrow(escrow::ExecuteMsg::UpdateParams { params }, vec![])
            },
            &[Admin],
        ),
        (
            "registry.register",
            |_, _| {
                Target::Registry(RegistryMsg::Register {
                    host_uri: "https://new.example.com".into(),
                    attributes: vec![],
                    info: ProviderInfo::default(),
                })
            },
            &[Tenant, Auditor, Admin, Stranger],
        ),
        (
            "registry.update",
            |_, _| {
                Target::Registry(RegistryMsg::Update {
                    host_uri: "https://moved.example.com".into(),
                    attributes: cpu_provider_attrs("us"),
                    info: ProviderInfo::default(),
                })
            },
            &[Provider, OtherProvider],
        ),
        ("registry.delete", |_, _| Target::Registry(RegistryMsg::Delete {}), &[OtherProvider]),
        (
            "registry.sign_attributes",
            |w, _| {
                Target::Registry(RegistryMsg::SignAttributes {
                    owner: w.provider.to_string(),
                    attributes: vec![Attribute::new("tier", "community")],
                })
            },
            &[Tenant, Provider, OtherProvider, Auditor, Admin, Stranger],
        ),
        (
            "registry.delete_attributes",
            |w, _| Target::Registry(RegistryMsg::DeleteAttributes { owner: w.provider.to_string(), keys: None }),
            &[Auditor],
        ),
    ]
}

#[test]
fn every_message_against_every_role() {
    let mut failures = Vec::new();
    let cells = cells();
    for (name, build, allowed) in &cells {
        for role in ROLES {
            let mut w = World::new();
            let target = build(&w, role);
            let sender = w.who(role);
            let outcome = run(&mut w, sender, target);
            let expected = allowed.contains(&role);
            match (expected, &outcome) {
                (true, Err(e)) => failures.push(format!("{name} by {role:?}: refused but should be allowed: {e}")),
                (false, Ok(())) => failures.push(format!("{name} by {role:?}: allowed but should be refused")),
                _ => {}
            }
        }
    }
    assert_eq!(cells.len(), 36, "one row per execute message");
    assert!(failures.is_empty(), "access matrix violations:\n{}", failures.join("\n"));
}
