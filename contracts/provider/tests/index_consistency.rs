//! CT-15: the attribute index always equals a filter over the registered providers, after every
//! step of random register / update / delete sequences.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use cosmwasm_std::testing::{MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env};
use cosmwasm_std::{Addr, ContractResult, OwnedDeps, SystemError, SystemResult, WasmQuery, from_json, to_json_binary};
use leasehold_provider::ContractError;
use leasehold_provider::contract::{execute, instantiate, query};
use leasehold_provider::msg::{ExecuteMsg, InstantiateMsg, ProviderInfo, ProvidersResponse, QueryMsg};
use leasehold_types::Attribute;
use leasehold_types::market::{ProviderLeaseCountResponse, QueryMsg as MarketQueryMsg};
use proptest::prelude::*;

const PROVIDERS: usize = 6;
/// Provider number `BLOCKED` always has one active lease, so its deletions are refused.
const BLOCKED: usize = 5;
const KEYS: [&str; 3] = ["region", "tier", "gpu"];
const VALUES: [&str; 2] = ["a", "b"];

#[derive(Debug, Clone)]
enum Op {
    Register(usize, Vec<Attribute>),
    Update(usize, Vec<Attribute>),
    Delete(usize),
}

fn owner(i: usize) -> Addr {
    MockApi::default().addr_make(&format!("provider{i}"))
}

/// Any subset of the keys, each with one of the values, in any order.
fn attributes() -> impl Strategy<Value = Vec<Attribute>> {
    proptest::collection::vec(proptest::option::of(0..VALUES.len()), KEYS.len())
        .prop_map(|choice| {
            KEYS.iter().zip(choice).filter_map(|(k, v)| v.map(|v| Attribute::new(*k, VALUES[v]))).collect::<Vec<_>>()
        })
        .prop_shuffle()
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..PROVIDERS, attributes()).prop_map(|(i, a)| Op::Register(i, a)),
        2 => (0..PROVIDERS, attributes()).prop_map(|(i, a)| Op::Update(i, a)),
        2 => (0..PROVIDERS).prop_map(Op::Delete),
    ]
}

type TestDeps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

/// The registry, with the market's lease count answered by the mock querier (test double):
/// 1 active lease for provider `BLOCKED`, 0 for the others.
fn setup() -> TestDeps {
    let mut deps = mock_dependencies();
    let blocked = owner(BLOCKED).into_string();
    deps.querier.update_wasm(move |q| match q {
        WasmQuery::Smart { msg, .. } => match from_json(msg) {
            Ok(MarketQueryMsg::ProviderLeaseCount { provider }) => {
                let active = u32::from(provider == blocked);
                SystemResult::Ok(ContractResult::Ok(to_json_binary(&ProviderLeaseCountResponse { active }).unwrap()))
            }
            _ => SystemResult::Err(SystemError::UnsupportedRequest { kind: "not a lease count".into() }),
        },
        _ => SystemResult::Err(SystemError::UnsupportedRequest { kind: "not a smart query".into() }),
    });
    let info = message_info(&MockApi::default().addr_make("market"), &[]);
    instantiate(deps.as_mut(), mock_env(), info, InstantiateMsg { market: None }).unwrap();
    deps
}

/// Every page of `Providers { attribute }` with page size `limit`, concatenated.
fn list_all(deps: &TestDeps, attribute: Option<Attribute>, limit: u32) -> Vec<(Addr, Vec<Attribute>)> {
    let mut out = Vec::new();
    let mut start_after = None;
    loop {
        let msg = QueryMsg::Providers { attribute: attribute.clone(), start_after, limit: Some(limit) };
        let page: ProvidersResponse = from_json(query(deps.as_ref(), mock_env(), msg).unwrap()).unwrap();
        let len = page.providers.len();
        assert!(len <= limit as usize);
        out.extend(page.providers.into_iter().map(|p| (p.owner, p.attributes)));
        if len < limit as usize {
            return out;
        }
        start_after = out.last().map(|(a, _)| a.to_string());
    }
}

fn check_index(deps: &TestDeps, model: &BTreeMap<Addr, Vec<Attribute>>, limit: u32) -> Result<(), TestCaseError> {
    let all: Vec<_> = model.iter().map(|(a, attrs)| (a.clone(), attrs.clone())).collect();
    prop_assert_eq!(list_all(deps, None, limit), all);
    for key in KEYS {
        for value in VALUES {
            let wanted = Attribute::new(key, value);
            let expected: Vec<_> = model
                .iter()
                .filter(|(_, attrs)| attrs.contains(&wanted))
                .map(|(a, attrs)| (a.clone(), attrs.clone()))
                .collect();
            prop_assert_eq!(list_all(deps, Some(wanted.clone()), limit), expected, "attribute {}={}", key, value);
        }
    }
    Ok(())
}

fn run(deps: &mut TestDeps, sender: usize, msg: ExecuteMsg) -> Result<(), ContractError> {
    execute(deps.as_mut(), mock_env(), message_info(&owner(sender), &[]), msg).map(|_| ())
}

/// Applies one operation to the contract and to the model, checking the contract's verdict
/// against the model's.
fn apply(deps: &mut TestDeps, model: &mut BTreeMap<Addr, Vec<Attribute>>, op: Op) -> Result<(), TestCaseError> {
    let host_uri = "https://provider.example.com".to_string();
    let info = ProviderInfo::default();
    match op {
        Op::Register(i, attributes) => {
            let res = run(deps, i, ExecuteMsg::Register { host_uri, attributes: attributes.clone(), info });
            match model.entry(owner(i)) {
                Entry::Occupied(_) => prop_assert!(matches!(res, Err(ContractError::AlreadyRegistered)), "{:?}", res),
                Entry::Vacant(slot) => {
                    prop_assert!(res.is_ok(), "{:?}", res);
                    slot.insert(attributes);
                }
            }
        }
        Op::Update(i, attributes) => {
            let res = run(deps, i, ExecuteMsg::Update { host_uri, attributes: attributes.clone(), info });
            match model.get_mut(&owner(i)) {
                Some(entry) => {
                    prop_assert!(res.is_ok(), "{:?}", res);
                    *entry = attributes;
                }
                None => prop_assert!(matches!(res, Err(ContractError::NotRegistered { .. })), "{:?}", res),
            }
        }
        Op::Delete(i) => {
            let res = run(deps, i, ExecuteMsg::Delete {});
            if !model.contains_key(&owner(i)) {
                prop_assert!(matches!(res, Err(ContractError::NotRegistered { .. })), "{:?}", res);
            } else if i == BLOCKED {
                prop_assert!(matches!(res, Err(ContractError::HasActiveLeases { count: 1 })), "{:?}", res);
            } else {
                prop_assert!(res.is_ok(), "{:?}", res);
                model.remove(&owner(i));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn attribute_index_matches_a_filter_over_providers(
        ops in proptest::collection::vec(op(), 1..40),
        limit in 1u32..=3,
    ) {
        let mut deps = setup();
        let mut model = BTreeMap::new();
        for op in ops {
            apply(&mut deps, &mut model, op)?;
            check_index(&deps, &model, limit)?;
        }
    }
}
