//! The marketplace flows on the compiled contracts (`artifacts/*.wasm`) in the wasm host, checked
//! against the same scenario on cw-multi-test with the native contracts: every step's success or
//! failure, every `wasm-*` event with its attributes, the final query results and all balances.
//! Also: the same run twice (cold module cache, then warm; unpinned and pinned) gives identical
//! gas and events (VM-01).

use crate::common::{Chain, CustomEvents, DENOM, NativeChain, To, USD, VmChain, addr, custom_events, event_attr};
use cosmwasm_std::{Coin, Event, coin};
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group, cpu_provider_attrs, gpu_group, gpu_provider_attrs};
use leasehold_marketplace_tests::{manifest_hash, price};
use leasehold_types::Attribute;
use leasehold_types::escrow::{self, AccountId, PaymentId};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{self, ExecuteMsg, QueryMsg};
use leasehold_types::provider::{self as registry, ProviderInfo};
use leasehold_wasm_host::WasmHost;
use serde_json::{Value, json};

const START: u128 = 100_000_000;
const ACCOUNTS: [&str; 8] = ["admin", "pool", "tenant", "auditor", "gpu", "other", "cpu", "sponsor"];

/// One transaction of a scenario.
struct Step {
    name: &'static str,
    /// Blocks to advance before the step.
    advance: u64,
    sender: String,
    to: To,
    msg: Value,
    funds: Vec<Coin>,
    expect_ok: bool,
}

fn step(name: &'static str, sender: &str, to: To, msg: impl serde::Serialize, funds: Vec<Coin>) -> Step {
    let msg = serde_json::to_value(msg).expect("json");
    Step { name, advance: 0, sender: addr(sender), to, msg, funds, expect_ok: true }
}

impl Step {
    fn after(mut self, blocks: u64) -> Self {
        self.advance = blocks;
        self
    }

    fn fails(mut self) -> Self {
        self.expect_ok = false;
        self
    }
}

fn register(name: &str, attributes: Vec<Attribute>) -> registry::ExecuteMsg {
    registry::ExecuteMsg::Register {
        host_uri: format!("https://{name}.example.com"),
        attributes,
        info: ProviderInfo::default(),
    }
}

/// The main journey: registry, audit, GPU deployment, bids, lease (loser refunded), withdraw,
/// third-party top-up, settle, a second deployment whose lease the tenant closes (relist),
/// closing the deployment, and refused messages along the way.
fn scenario() -> Vec<Step> {
    let (tenant, auditor, gpu, other, cpu) = (addr("tenant"), addr("auditor"), addr("gpu"), addr("other"), addr("cpu"));
    let mut group = gpu_group("inference", 60, 2, "eu-west");
    group.requirements.signed_by.all_of = vec![auditor.clone()];
    let d1 = DeploymentId::new(tenant.as_str(), 1);
    let order = d1.group(1).order(1);
    let win = order.bid(gpu.as_str());
    let d2 = DeploymentId::new(tenant.as_str(), 2);
    let web = d2.group(1).order(1).bid(cpu.as_str());
    let sign = |provider: &str| registry::ExecuteMsg::SignAttributes {
        owner: provider.to_string(),
        attributes: vec![Attribute::new("region", "eu-west")],
    };
    let create =
        |dseq: u64, groups| ExecuteMsg::CreateDeployment { dseq, hash: manifest_hash(dseq), groups, auto_match: false };
    let bid = |order: &leasehold_types::OrderId, p: u128| ExecuteMsg::CreateBid {
        order: order.clone(),
        price: price(p, DENOM),
    };
    vec![
        step("gpu registers", "gpu", To::Registry, register("gpu", gpu_provider_attrs("eu-west")), vec![]),
        step("other registers", "other", To::Registry, register("other", gpu_provider_attrs("eu-west")), vec![]),
        step("cpu registers", "cpu", To::Registry, register("cpu", cpu_provider_attrs("us")), vec![]),
        step("registering twice is refused", "cpu", To::Registry, register("cpu", vec![]), vec![]).fails(),
        step("auditor signs gpu", "auditor", To::Registry, sign(&gpu), vec![]),
        step("tenant deploys", "tenant", To::Market, create(1, vec![group]), vec![coin(10_000_000, DENOM)]),
        step("unaudited bid is refused", "other", To::Market, bid(&order, 90), vec![collateral()]).fails(),
        step("auditor signs other", "auditor", To::Registry, sign(&other), vec![]),
        step("other bids", "other", To::Market, bid(&order, 110), vec![collateral()]),
        step("gpu bids", "gpu", To::Market, bid(&order, 100), vec![collateral()]),
        step("bid over the ceiling is refused", "cpu", To::Market, bid(&order, 1000), vec![collateral()]).fails(),
        step("tenant leases", "tenant", To::Market, ExecuteMsg::CreateLease { bid: win.clone() }, vec![]),
        step(
            "gpu withdraws",
            "gpu",
            To::Escrow,
            escrow::ExecuteMsg::Withdraw { id: PaymentId::for_lease(&win) },
            vec![],
        )
        .after(50),
        step(
            "other cannot withdraw gpu's payment",
            "other",
            To::Escrow,
            escrow::ExecuteMsg::Withdraw { id: PaymentId::for_lease(&win) },
            vec![],
        )
        .fails(),
        step(
            "sponsor tops up",
            "sponsor",
            To::Escrow,
            escrow::ExecuteMsg::Deposit { id: AccountId::deployment(&d1) },
            vec![coin(1_000_000, DENOM)],
        ),
        step(
            "anyone settles",
            "sponsor",
            To::Escrow,
            escrow::ExecuteMsg::Settle { id: AccountId::deployment(&d1) },
            vec![],
        )
        .after(5),
        step(
            "tenant deploys web",
            "tenant",
            To::Market,
            create(2, vec![cpu_group("web", 10, 1)]),
            vec![coin(2_000_000, DENOM)],
        ),
        step("cpu bids", "cpu", To::Market, bid(&d2.group(1).order(1), 10), vec![collateral()]),
        step("tenant leases web", "tenant", To::Market, ExecuteMsg::CreateLease { bid: web.clone() }, vec![]),
        // The registry asks the market (a nested smart query) before deleting a provider.
        step("cpu cannot leave while leased", "cpu", To::Registry, registry::ExecuteMsg::Delete {}, vec![]).fails(),
        step(
            "tenant closes the web lease (relist)",
            "tenant",
            To::Market,
            ExecuteMsg::CloseLease { lease: web.clone(), reason: None },
            vec![],
        )
        .after(3),
        step("cpu leaves the registry", "cpu", To::Registry, registry::ExecuteMsg::Delete {}, vec![]),
        step("tenant closes deployment 1", "tenant", To::Market, ExecuteMsg::CloseDeployment { dseq: 1 }, vec![])
            .after(2),
        step("closing it again is refused", "tenant", To::Market, ExecuteMsg::CloseDeployment { dseq: 1 }, vec![])
            .fails(),
        step(
            "a stranger cannot close deployment 2",
            "sponsor",
            To::Market,
            ExecuteMsg::CloseDeployment { dseq: 2 },
            vec![],
        )
        .fails(),
    ]
}

/// What a run produced: per step the outcome and the custom events; then queries and balances.
#[derive(Debug, PartialEq)]
struct Trace {
    steps: Vec<(String, Result<CustomEvents, ()>)>,
    queries: Vec<(String, Result<Value, ()>)>,
    balances: Vec<(String, String, u128)>,
}

fn fund(chain: &mut dyn Chain) {
    for name in ACCOUNTS {
        chain.mint(&addr(name), vec![coin(START, DENOM), coin(START, USD)]);
    }
}

/// Runs the scenario; `each` sees every step's raw events (for checks on one chain).
fn run(chain: &mut dyn Chain, mut each: impl FnMut(&Step, &Result<Vec<Event>, String>, &dyn Chain)) -> Trace {
    fund(chain);
    let mut steps = Vec::new();
    for s in scenario() {
        chain.advance(s.advance);
        let result = chain.exec(&s.sender, s.to, &s.msg, &s.funds);
        assert_eq!(result.is_ok(), s.expect_ok, "step '{}': {:?}", s.name, result.as_ref().err());
        each(&s, &result, chain);
        steps.push((s.name.to_string(), result.map(|e| custom_events(&e)).map_err(|_| ())));
    }
    let tenant = addr("tenant");
    let d1 = DeploymentId::new(tenant.as_str(), 1);
    let win = d1.group(1).order(1).bid(addr("gpu"));
    let q = |to: To, msg: Value| (to, msg);
    let queries = vec![
        q(To::Market, json!(QueryMsg::Deployment { id: d1.clone() })),
        q(To::Market, json!(QueryMsg::Deployment { id: DeploymentId::new(tenant.as_str(), 2) })),
        q(To::Market, json!(QueryMsg::Lease { id: win.clone() })),
        q(
            To::Market,
            json!(QueryMsg::Bids {
                order: Some(d1.group(1).order(1)),
                provider: None,
                state: None,
                start_after: None,
                limit: None
            }),
        ),
        q(
            To::Market,
            json!(QueryMsg::Orders { owner: Some(tenant.clone()), state: None, start_after: None, limit: None }),
        ),
        q(
            To::Market,
            json!(QueryMsg::Leases { owner: None, provider: None, state: None, start_after: None, limit: None }),
        ),
        q(To::Market, json!(QueryMsg::ProviderLeaseCount { provider: addr("cpu") })),
        q(To::Market, json!(market::QueryMsg::Params {})),
        q(To::Escrow, json!(escrow::QueryMsg::Account { id: AccountId::deployment(&d1) })),
        q(To::Escrow, json!(escrow::QueryMsg::Payment { id: PaymentId::for_lease(&win) })),
        q(
            To::Escrow,
            json!(escrow::QueryMsg::Account { id: AccountId::deployment(&DeploymentId::new(tenant.as_str(), 2)) }),
        ),
        q(To::Registry, json!(registry::QueryMsg::Provider { owner: addr("gpu") })),
        q(
            To::Registry,
            json!(registry::QueryMsg::AuditedAttributes { owner: addr("other"), start_after: None, limit: None }),
        ),
        q(To::Registry, json!(registry::QueryMsg::Providers { attribute: None, start_after: None, limit: None })),
    ];
    let queries =
        queries.into_iter().map(|(to, msg)| (msg.to_string(), chain.query(to, &msg).map_err(|_| ()))).collect();
    let mut holders: Vec<String> = ACCOUNTS.iter().map(|n| addr(n)).collect();
    holders.extend([chain.contract(To::Market), chain.contract(To::Escrow), chain.contract(To::Registry)]);
    let balances =
        holders.iter().flat_map(|h| [DENOM, USD].map(|d| (h.clone(), d.to_string(), chain.balance(h, d)))).collect();
    Trace { steps, queries, balances }
}

fn vm_chain(host: WasmHost) -> VmChain {
    VmChain::with_host(host, &addr("admin"), &addr("pool"))
}

#[test]
fn compiled_contracts_match_the_native_contracts() {
    let mut native = NativeChain::new(&addr("admin"), &addr("pool"));
    let mut vm = vm_chain(WasmHost::temporary().expect("host"));
    // Same code ids and contract addresses: wasmd's classic derivation on both sides.
    assert_eq!(vm.market, native.market);
    assert_eq!(vm.escrow, native.escrow);
    assert_eq!(vm.registry, native.registry);

    let native_trace = run(&mut native, |_, _, _| {});
    let vm_trace = run(&mut vm, |s, result, chain| {
        let Ok(events) = result else { return };
        match s.name {
            "tenant leases" => {
                assert!(events.iter().any(|e| e.ty == "wasm-lease-created"));
                assert_eq!(event_attr(events, "wasm-bid-lost", "provider"), Some(addr("other")));
                // The loser's collateral came back in the same transaction.
                assert_eq!(chain.balance(&addr("other"), DENOM), START);
            }
            "gpu withdraws" => {
                assert_eq!(event_attr(events, "wasm-escrow-withdrawn", "amount").as_deref(), Some("4900"));
                assert_eq!(event_attr(events, "wasm-escrow-withdrawn", "take").as_deref(), Some("100"));
                assert_eq!(chain.balance(&addr("gpu"), DENOM), START - 500_000 + 4_900);
                assert_eq!(chain.balance(&addr("pool"), DENOM), START + 100);
            }
            "tenant closes deployment 1" => {
                assert_eq!(event_attr(events, "wasm-lease-closed", "reason").as_deref(), Some("owner"));
                // 60 blocks at 100 per block, 2 % take; collateral back; sponsor refunded first-in-first-out.
                assert_eq!(chain.balance(&addr("gpu"), DENOM), START + 6_000 - 120);
                assert_eq!(chain.balance(&addr("sponsor"), DENOM), START);
            }
            _ => {}
        }
    });
    for (vm_step, native_step) in vm_trace.steps.iter().zip(&native_trace.steps) {
        assert_eq!(vm_step, native_step, "step '{}' differs (left: wasm host, right: cw-multi-test)", vm_step.0);
    }
    for (vm_q, native_q) in vm_trace.queries.iter().zip(&native_trace.queries) {
        assert_eq!(vm_q, native_q, "query differs (left: wasm host, right: cw-multi-test)");
    }
    assert_eq!(vm_trace.balances, native_trace.balances);
    assert_eq!(vm_trace, native_trace);
    // Nothing is stuck in the contracts.
    assert_eq!(vm.balance(&vm.escrow.clone(), DENOM), native.balance(&native.escrow.clone(), DENOM));
}

type GasTrace = Vec<(String, Result<u64, String>, CustomEvents)>;

/// Per step: SDK gas (or the error) and the custom events.
fn traced(mut vm: VmChain) -> GasTrace {
    fund(&mut vm);
    let mut out = Vec::new();
    for s in scenario() {
        vm.advance(s.advance);
        let r = vm.exec(&s.sender, s.to, &s.msg, &s.funds);
        let gas = vm.host.last_gas_used();
        let events = r.as_ref().map(|e| custom_events(e)).unwrap_or_default();
        out.push((s.name.to_string(), r.map(|_| gas), events));
    }
    out
}

fn pinned_chain(dir: &std::path::Path) -> VmChain {
    let mut vm = vm_chain(WasmHost::with_cache_dir(dir).expect("host"));
    for code in 1..=3 {
        vm.host.pin(code).expect("pin");
    }
    vm
}

#[test]
fn gas_and_events_do_not_depend_on_the_module_cache() {
    let dir = tempfile::tempdir().expect("dir");
    // Cold: every module compiled from the wasm.
    let cold = traced(vm_chain(WasmHost::with_cache_dir(dir.path()).expect("host")));
    // Warm: a new host on the same directory loads the compiled modules from the file cache.
    let warm = traced(vm_chain(WasmHost::with_cache_dir(dir.path()).expect("host")));
    assert_eq!(cold, warm);
    // Pinned from a cold and from a warm cache. The pin is state, so pinned calls are cheaper,
    // but equally so on every node.
    let other = tempfile::tempdir().expect("dir");
    let pinned_cold = traced(pinned_chain(other.path()));
    let pinned_warm = traced(pinned_chain(dir.path()));
    assert_eq!(pinned_cold, pinned_warm);
    for (unpinned, pinned) in cold.iter().zip(&pinned_cold) {
        assert_eq!(unpinned.0, pinned.0);
        assert_eq!(unpinned.2, pinned.2, "events of '{}' do not depend on pinning", unpinned.0);
        if let (Ok(u), Ok(p)) = (&unpinned.1, &pinned.1) {
            assert!(p < u, "'{}': pinned {p} < unpinned {u}", unpinned.0);
        }
    }
    for (name, gas, _) in &cold {
        eprintln!("gas {name}: {gas:?}");
    }
}
