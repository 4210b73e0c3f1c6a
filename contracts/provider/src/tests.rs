//! Unit tests of every execute path and error, with `mock_dependencies`. The delete flow, which
//! asks the market, is tested with cw-multi-test in `tests/delete.rs`.

use cosmwasm_std::testing::{MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env};
use cosmwasm_std::{Addr, Event, OwnedDeps, Response, coins, from_json};

use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION, execute, instantiate, migrate, query};
use crate::error::ContractError;
use crate::msg::{
    AuditRecord, AuditedAttributesResponse, ConfigResponse, ExecuteMsg, InstantiateMsg, MAX_HOST_URI_LEN, MigrateMsg,
    Provider, ProviderInfo, ProvidersResponse, QueryMsg,
};
use leasehold_types::attributes::MAX_ATTRIBUTES;
use leasehold_types::funds::FundsError;
use leasehold_types::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use leasehold_types::{Attribute, ValidationError};

type TestDeps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

const HOST: &str = "https://provider.example.com";

fn addr(name: &str) -> Addr {
    MockApi::default().addr_make(name)
}

fn attrs(pairs: &[(&str, &str)]) -> Vec<Attribute> {
    pairs.iter().map(|(k, v)| Attribute::new(*k, *v)).collect()
}

fn many_attrs(n: usize, prefix: &str) -> Vec<Attribute> {
    (0..n).map(|i| Attribute::new(format!("{prefix}{i:03}"), "v")).collect()
}

fn contact() -> ProviderInfo {
    ProviderInfo { email: "ops@example.com".into(), website: "https://example.com".into() }
}

fn register_msg(host_uri: &str, attributes: Vec<Attribute>) -> ExecuteMsg {
    ExecuteMsg::Register { host_uri: host_uri.into(), attributes, info: contact() }
}

fn update_msg(host_uri: &str, attributes: Vec<Attribute>) -> ExecuteMsg {
    ExecuteMsg::Update { host_uri: host_uri.into(), attributes, info: ProviderInfo::default() }
}

fn sign_msg(owner: &str, attributes: Vec<Attribute>) -> ExecuteMsg {
    ExecuteMsg::SignAttributes { owner: addr(owner).into_string(), attributes }
}

fn delete_attrs_msg(owner: &str, keys: Option<&[&str]>) -> ExecuteMsg {
    let keys = keys.map(|ks| ks.iter().map(|k| k.to_string()).collect());
    ExecuteMsg::DeleteAttributes { owner: addr(owner).into_string(), keys }
}

fn setup() -> TestDeps {
    let mut deps = mock_dependencies();
    let info = message_info(&addr("market"), &[]);
    instantiate(deps.as_mut(), mock_env(), info, InstantiateMsg { market: None }).unwrap();
    deps
}

fn exec(deps: &mut TestDeps, sender: &str, msg: ExecuteMsg) -> Result<Response, ContractError> {
    execute(deps.as_mut(), mock_env(), message_info(&addr(sender), &[]), msg)
}

/// Runs a query through the entry point and decodes the JSON answer into the type the caller
/// expects (a macro because this crate has no direct serde dependency to name the bound).
macro_rules! q {
    ($deps:expr, $msg:expr $(,)?) => {
        query($deps.as_ref(), mock_env(), $msg).and_then(|bin| Ok::<_, ContractError>(from_json(bin)?))
    };
}

fn get_provider(deps: &TestDeps, owner: &str) -> Result<Provider, ContractError> {
    q!(deps, QueryMsg::Provider { owner: addr(owner).into_string() })
}

/// Owners (as mock names resolved to addresses) declaring `key=value`, paged with `limit`.
fn with_attribute(deps: &TestDeps, key: &str, value: &str) -> Vec<Addr> {
    let res: ProvidersResponse = q!(
        deps,
        QueryMsg::Providers { attribute: Some(Attribute::new(key, value)), start_after: None, limit: Some(MAX_LIMIT) },
    )
    .unwrap();
    res.providers.into_iter().map(|p| p.owner).collect()
}

fn audit(deps: &TestDeps, owner: &str, auditor: &str) -> Vec<Attribute> {
    let rec: AuditRecord = q!(
        deps,
        QueryMsg::AuditorAttributes { owner: addr(owner).into_string(), auditor: addr(auditor).into_string() },
    )
    .unwrap();
    rec.attributes
}

fn event<'a>(res: &'a Response, ty: &str) -> &'a Event {
    res.events.iter().find(|e| e.ty == ty).unwrap_or_else(|| panic!("no {ty} event in {res:?}"))
}

fn attr<'a>(event: &'a Event, key: &str) -> &'a str {
    event.attributes.iter().find(|a| a.key == key).map(|a| a.value.as_str()).unwrap_or_else(|| panic!("no {key}"))
}

fn action(res: &Response) -> &str {
    res.attributes.iter().find(|a| a.key == "action").map(|a| a.value.as_str()).expect("action attribute")
}

fn sorted(mut v: Vec<Addr>) -> Vec<Addr> {
    v.sort();
    v
}

// ---------------------------------------------------------------- instantiate / migrate

#[test]
fn instantiate_defaults_market_to_sender() {
    let deps = setup();
    let cfg: ConfigResponse = q!(&deps, QueryMsg::Config {}).unwrap();
    assert_eq!(cfg.market, addr("market"));
    let version = cw2::get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.contract, CONTRACT_NAME);
    assert_eq!(version.version, CONTRACT_VERSION);
}

#[test]
fn instantiate_with_explicit_market_validates_it() {
    let mut deps = mock_dependencies();
    let market = addr("the-market").into_string();
    let info = message_info(&addr("deployer"), &[]);
    instantiate(deps.as_mut(), mock_env(), info.clone(), InstantiateMsg { market: Some(market.clone()) }).unwrap();
    let cfg: ConfigResponse = q!(&deps, QueryMsg::Config {}).unwrap();
    assert_eq!(cfg.market.as_str(), market);

    for bad in ["", "not-an-address", &market.to_uppercase()] {
        let mut deps = mock_dependencies();
        let err = instantiate(deps.as_mut(), mock_env(), info.clone(), InstantiateMsg { market: Some(bad.into()) })
            .unwrap_err();
        assert!(matches!(err, ContractError::Std(_)), "{bad:?}: {err:?}");
    }
}

#[test]
fn instantiate_refuses_funds() {
    let mut deps = mock_dependencies();
    let info = message_info(&addr("market"), &coins(1, "ulease"));
    let err = instantiate(deps.as_mut(), mock_env(), info, InstantiateMsg { market: None }).unwrap_err();
    assert!(matches!(err, ContractError::Funds(FundsError::NonPayable { .. })));
}

#[test]
fn migrate_accepts_same_version_and_refuses_downgrade_or_other_contract() {
    let mut deps = setup();
    let res = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(action(&res), "migrate");

    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "999.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert!(err.to_string().contains("Cannot migrate from newer version"), "{err}");

    cw2::set_contract_version(&mut deps.storage, "crates.io:something-else", "0.0.1").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert!(err.to_string().contains("Cannot migrate from crates.io:something-else"), "{err}");

    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(cw2::get_contract_version(&deps.storage).unwrap().version, CONTRACT_VERSION);
}

// ---------------------------------------------------------------- funds (CT-01)

#[test]
fn every_execute_refuses_funds() {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, attrs(&[("region", "eu")]))).unwrap();
    exec(&mut deps, "auditor", sign_msg("p", attrs(&[("region", "eu")]))).unwrap();
    let all = [
        register_msg(HOST, vec![]),
        update_msg(HOST, vec![]),
        ExecuteMsg::Delete {},
        sign_msg("p", attrs(&[("tier", "1")])),
        delete_attrs_msg("p", None),
    ];
    for msg in all {
        for sender in ["p", "auditor", "stranger"] {
            for funds in [coins(1, "ulease"), coins(5, "uother")] {
                let info = message_info(&addr(sender), &funds);
                let err = execute(deps.as_mut(), mock_env(), info, msg.clone()).unwrap_err();
                assert!(
                    matches!(err, ContractError::Funds(FundsError::NonPayable { .. })),
                    "{msg:?} from {sender}: {err:?}"
                );
            }
        }
    }
    // nothing changed
    assert_eq!(get_provider(&deps, "p").unwrap().attributes, attrs(&[("region", "eu")]));
    assert_eq!(audit(&deps, "p", "auditor"), attrs(&[("region", "eu")]));
    assert!(get_provider(&deps, "stranger").is_err());
}

// ---------------------------------------------------------------- register

#[test]
fn register_stores_provider_indexes_attributes_and_emits_event() {
    let mut deps = setup();
    let declared = attrs(&[("region", "eu-west"), ("tier", "1")]);
    let res = exec(&mut deps, "p", register_msg(HOST, declared.clone())).unwrap();
    assert_eq!(action(&res), "register");
    let ev = event(&res, "provider-registered");
    assert_eq!(attr(ev, "owner"), addr("p").as_str());
    assert_eq!(attr(ev, "host_uri"), HOST);
    assert_eq!(attr(ev, "attribute_count"), "2");

    let p = get_provider(&deps, "p").unwrap();
    assert_eq!(
        p,
        Provider {
            owner: addr("p"),
            host_uri: HOST.into(),
            attributes: declared,
            info: contact(),
            created_at: mock_env().block.height,
        }
    );
    assert_eq!(with_attribute(&deps, "region", "eu-west"), vec![addr("p")]);
    assert_eq!(with_attribute(&deps, "tier", "1"), vec![addr("p")]);
    assert!(with_attribute(&deps, "region", "us-east").is_empty());
    assert!(with_attribute(&deps, "tier", "eu-west").is_empty());
}

#[test]
fn register_twice_is_refused() {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, vec![])).unwrap();
    let err = exec(&mut deps, "p", register_msg("https://other.example.com", vec![])).unwrap_err();
    assert!(matches!(err, ContractError::AlreadyRegistered), "{err:?}");
    assert_eq!(get_provider(&deps, "p").unwrap().host_uri, HOST);
}

#[test]
fn register_accepts_good_host_uris() {
    let mut deps = setup();
    for (i, uri) in ["https://provider.example.com", "https://1.2.3.4:8443", "https://a.b/"].into_iter().enumerate() {
        let owner = format!("p{i}");
        exec(&mut deps, &owner, register_msg(uri, vec![])).unwrap();
        assert_eq!(get_provider(&deps, &owner).unwrap().host_uri, uri);
    }
}

#[test]
fn register_refuses_bad_host_uris() {
    let mut deps = setup();
    let too_long = format!("https://{}.com", "a".repeat(MAX_HOST_URI_LEN));
    for (uri, reason) in [
        ("http://provider.example.com", "must start with `https://`"),
        ("https://", "the host must not be empty"),
        ("https://:8443", "the host must not be empty"),
        ("https://a.b/x", "a path is not allowed (only a single trailing `/`)"),
        ("https://a.b?x=1", "a query is not allowed"),
        ("https://a.b/#frag", "a fragment is not allowed"),
        ("https://user@a.b", "userinfo is not allowed"),
        ("https://a.b:0", "the port must be a number from 1 to 65535"),
        ("https://a.b:70000", "the port must be a number from 1 to 65535"),
        ("https://a .b", "whitespace and control characters are not allowed"),
        ("https://a.b ", "whitespace and control characters are not allowed"),
        (too_long.as_str(), "longer than MAX_HOST_URI_LEN (256 bytes)"),
    ] {
        let err = exec(&mut deps, "p", register_msg(uri, vec![])).unwrap_err();
        match err {
            ContractError::InvalidHostUri { uri: u, reason: r } => {
                assert_eq!(u, uri);
                assert_eq!(r, reason, "{uri:?}");
            }
            other => panic!("{uri:?}: unexpected {other:?}"),
        }
        assert!(matches!(get_provider(&deps, "p"), Err(ContractError::NotRegistered { .. })));
    }
}

#[test]
fn register_refuses_invalid_attributes() {
    let mut deps = setup();
    type Expected = fn(&ValidationError) -> bool;
    let cases: Vec<(Vec<Attribute>, Expected)> = vec![
        (attrs(&[("region*", "eu")]), |e| {
            matches!(e, ValidationError::InvalidAttributeKey { key, reason, .. }
                if key == "region*" && reason.contains("wildcards"))
        }),
        (attrs(&[("capabilities/gpu/*", "true")]), |e| matches!(e, ValidationError::InvalidAttributeKey { .. })),
        (
            attrs(&[("region", "eu"), ("tier", "1"), ("region", "us")]),
            |e| matches!(e, ValidationError::Duplicate { field, value } if field == "attributes" && value == "region"),
        ),
        (many_attrs(MAX_ATTRIBUTES + 1, "k"), |e| {
            matches!(e, ValidationError::TooMany { count, max, .. }
                    if *count == MAX_ATTRIBUTES + 1 && *max == MAX_ATTRIBUTES)
        }),
        (attrs(&[("1region", "eu")]), |e| matches!(e, ValidationError::InvalidAttributeKey { .. })),
        (attrs(&[("region", "")]), |e| matches!(e, ValidationError::Empty { .. })),
    ];
    for (list, expected) in cases {
        let err = exec(&mut deps, "p", register_msg(HOST, list.clone())).unwrap_err();
        match &err {
            ContractError::Validation(v) => assert!(expected(v), "{list:?}: {v:?}"),
            other => panic!("{list:?}: unexpected {other:?}"),
        }
        assert!(get_provider(&deps, "p").is_err());
    }
    // the limit itself is accepted
    exec(&mut deps, "p", register_msg(HOST, many_attrs(MAX_ATTRIBUTES, "k"))).unwrap();
    assert_eq!(get_provider(&deps, "p").unwrap().attributes.len(), MAX_ATTRIBUTES);
}

#[test]
fn register_refuses_invalid_info() {
    let mut deps = setup();
    let long = format!("https://{}", "a".repeat(300));
    for (email, website, field) in [
        ("no-at-sign", "", "info.email"),
        ("two@at@signs", "", "info.email"),
        ("", "example.com", "info.website"),
        ("", long.as_str(), "info.website"),
        ("ops@example.com\n", "", "info.email"),
    ] {
        let info = ProviderInfo { email: email.into(), website: website.into() };
        let msg = ExecuteMsg::Register { host_uri: HOST.into(), attributes: vec![], info };
        let err = exec(&mut deps, "p", msg).unwrap_err();
        let got = match &err {
            ContractError::Validation(
                ValidationError::InvalidValue { field, .. } | ValidationError::TooLong { field, .. },
            ) => field.as_str(),
            other => panic!("{email:?}/{website:?}: unexpected {other:?}"),
        };
        assert_eq!(got, field);
    }
    // both fields may be empty
    let msg = ExecuteMsg::Register { host_uri: HOST.into(), attributes: vec![], info: ProviderInfo::default() };
    exec(&mut deps, "p", msg).unwrap();
}

// ---------------------------------------------------------------- update

#[test]
fn update_by_unregistered_sender_fails() {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, attrs(&[("region", "eu")]))).unwrap();
    let err = exec(&mut deps, "stranger", update_msg(HOST, vec![])).unwrap_err();
    assert!(matches!(err, ContractError::NotRegistered { owner } if owner == addr("stranger")));
    assert!(get_provider(&deps, "stranger").is_err());
    assert_eq!(get_provider(&deps, "p").unwrap().attributes, attrs(&[("region", "eu")]));
}

#[test]
fn update_replaces_everything_and_reindexes() {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, attrs(&[("region", "eu"), ("tier", "1")]))).unwrap();
    exec(&mut deps, "q", register_msg(HOST, attrs(&[("region", "eu")]))).unwrap();

    let mut env = mock_env();
    env.block.height += 100;
    let new_attrs = attrs(&[("region", "us"), ("gpu", "h100")]);
    let info = message_info(&addr("p"), &[]);
    let res =
        execute(deps.as_mut(), env, info, update_msg("https://new.example.com:8443/", new_attrs.clone())).unwrap();
    assert_eq!(action(&res), "update");
    let ev = event(&res, "provider-updated");
    assert_eq!(attr(ev, "owner"), addr("p").as_str());
    assert_eq!(attr(ev, "host_uri"), "https://new.example.com:8443/");
    assert_eq!(attr(ev, "attribute_count"), "2");

    let p = get_provider(&deps, "p").unwrap();
    assert_eq!(p.host_uri, "https://new.example.com:8443/");
    assert_eq!(p.attributes, new_attrs);
    assert_eq!(p.info, ProviderInfo::default());
    assert_eq!(p.created_at, mock_env().block.height, "registration height is kept");

    assert_eq!(with_attribute(&deps, "region", "eu"), vec![addr("q")]);
    assert!(with_attribute(&deps, "tier", "1").is_empty());
    assert_eq!(with_attribute(&deps, "region", "us"), vec![addr("p")]);
    assert_eq!(with_attribute(&deps, "gpu", "h100"), vec![addr("p")]);
}

#[test]
fn update_refused_by_validation_keeps_old_state() {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, attrs(&[("region", "eu")]))).unwrap();
    let err = exec(&mut deps, "p", update_msg("https://a.b/path", attrs(&[("region", "us")]))).unwrap_err();
    assert!(matches!(err, ContractError::InvalidHostUri { .. }));
    let err = exec(&mut deps, "p", update_msg(HOST, attrs(&[("region*", "us")]))).unwrap_err();
    assert!(matches!(err, ContractError::Validation(ValidationError::InvalidAttributeKey { .. })));
    assert_eq!(get_provider(&deps, "p").unwrap().attributes, attrs(&[("region", "eu")]));
    assert_eq!(with_attribute(&deps, "region", "eu"), vec![addr("p")]);
    assert!(with_attribute(&deps, "region", "us").is_empty());
}

// ---------------------------------------------------------------- delete (access only; flow in tests/delete.rs)

#[test]
fn delete_by_unregistered_sender_fails_before_asking_the_market() {
    // mock_dependencies answers no wasm query, so reaching the market would be a different error
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, vec![])).unwrap();
    let err = exec(&mut deps, "stranger", ExecuteMsg::Delete {}).unwrap_err();
    assert!(matches!(&err, ContractError::NotRegistered { owner } if *owner == addr("stranger")), "{err:?}");
    assert!(get_provider(&deps, "p").is_ok());
}

// ---------------------------------------------------------------- sign attributes

#[test]
fn sign_requires_a_registered_owner_and_valid_attributes() {
    let mut deps = setup();
    let err = exec(&mut deps, "auditor", sign_msg("p", attrs(&[("region", "eu")]))).unwrap_err();
    assert!(matches!(err, ContractError::NotRegistered { owner } if owner == addr("p")));

    exec(&mut deps, "p", register_msg(HOST, vec![])).unwrap();
    let bad_owner = ExecuteMsg::SignAttributes { owner: "not-an-address".into(), attributes: attrs(&[("a1", "x")]) };
    assert!(matches!(exec(&mut deps, "auditor", bad_owner).unwrap_err(), ContractError::Std(_)));

    let err = exec(&mut deps, "auditor", sign_msg("p", vec![])).unwrap_err();
    assert!(matches!(err, ContractError::Validation(ValidationError::Empty { field }) if field == "attributes"));
    let err = exec(&mut deps, "auditor", sign_msg("p", attrs(&[("region*", "eu")]))).unwrap_err();
    assert!(matches!(err, ContractError::Validation(ValidationError::InvalidAttributeKey { .. })));
    let err = exec(&mut deps, "auditor", sign_msg("p", attrs(&[("region", "eu"), ("region", "us")]))).unwrap_err();
    assert!(matches!(err, ContractError::Validation(ValidationError::Duplicate { .. })));
    assert!(audit(&deps, "p", "auditor").is_empty());
}

#[test]
fn sign_upserts_by_key_and_keeps_the_record_sorted() {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, attrs(&[("region", "eu")]))).unwrap();
    let res = exec(&mut deps, "auditor", sign_msg("p", attrs(&[("tier", "2"), ("region", "eu")]))).unwrap();
    assert_eq!(action(&res), "sign_attributes");
    let ev = event(&res, "audit-signed");
    assert_eq!(attr(ev, "owner"), addr("p").as_str());
    assert_eq!(attr(ev, "auditor"), addr("auditor").as_str());
    assert_eq!(attr(ev, "keys"), "tier,region");

    exec(&mut deps, "auditor", sign_msg("p", attrs(&[("tier", "1"), ("gpu", "h100")]))).unwrap();
    assert_eq!(audit(&deps, "p", "auditor"), attrs(&[("gpu", "h100"), ("region", "eu"), ("tier", "1")]));
    // auditors are independent; the provider's own declaration is untouched
    assert!(audit(&deps, "p", "other-auditor").is_empty());
    assert_eq!(get_provider(&deps, "p").unwrap().attributes, attrs(&[("region", "eu")]));
}

#[test]
fn sign_caps_the_merged_record() {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, vec![])).unwrap();
    exec(&mut deps, "auditor", sign_msg("p", many_attrs(MAX_ATTRIBUTES - 1, "a"))).unwrap();
    // one new key reaches the cap; replacing existing keys at the cap is fine
    exec(&mut deps, "auditor", sign_msg("p", attrs(&[("zz", "1")]))).unwrap();
    exec(&mut deps, "auditor", sign_msg("p", attrs(&[("zz", "2"), ("a000", "w")]))).unwrap();
    let record = audit(&deps, "p", "auditor");
    assert_eq!(record.len(), MAX_ATTRIBUTES);
    // one more key is refused, and the record is unchanged
    let err = exec(&mut deps, "auditor", sign_msg("p", attrs(&[("zz", "3"), ("new", "x")]))).unwrap_err();
    assert!(
        matches!(err, ContractError::Validation(ValidationError::TooMany { count, max, .. })
            if count == MAX_ATTRIBUTES + 1 && max == MAX_ATTRIBUTES),
        "{err:?}"
    );
    assert_eq!(audit(&deps, "p", "auditor"), record);
}

// ---------------------------------------------------------------- delete attributes

fn with_two_audits() -> TestDeps {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, vec![])).unwrap();
    exec(&mut deps, "alice", sign_msg("p", attrs(&[("region", "eu"), ("tier", "1"), ("gpu", "h100")]))).unwrap();
    exec(&mut deps, "bob", sign_msg("p", attrs(&[("region", "eu")]))).unwrap();
    deps
}

#[test]
fn delete_attributes_by_an_auditor_that_did_not_sign_fails() {
    let mut deps = with_two_audits();
    for keys in [None, Some(&["region"][..])] {
        let err = exec(&mut deps, "carol", delete_attrs_msg("p", keys)).unwrap_err();
        assert!(matches!(err, ContractError::NoAuditRecord), "{err:?}");
    }
    // bob signed for p, not for alice
    let err = exec(&mut deps, "bob", delete_attrs_msg("alice", None)).unwrap_err();
    assert!(matches!(err, ContractError::NoAuditRecord));
    assert_eq!(audit(&deps, "p", "alice").len(), 3);
    assert_eq!(audit(&deps, "p", "bob").len(), 1);
}

#[test]
fn delete_attributes_checks_the_keys() {
    let mut deps = with_two_audits();
    let err = exec(&mut deps, "alice", delete_attrs_msg("p", Some(&[]))).unwrap_err();
    assert!(matches!(err, ContractError::Validation(ValidationError::Empty { field }) if field == "keys"));
    // "zone" is not signed: nothing is removed, not even the signed "tier"
    let err = exec(&mut deps, "alice", delete_attrs_msg("p", Some(&["tier", "zone"]))).unwrap_err();
    assert!(matches!(err, ContractError::AttributeNotSigned { key } if key == "zone"));
    let err = exec(&mut deps, "alice", delete_attrs_msg("p", Some(&["tier", "tier"]))).unwrap_err();
    assert!(matches!(err, ContractError::Validation(ValidationError::Duplicate { .. })));
    let too_many: Vec<String> = (0..=MAX_ATTRIBUTES).map(|i| format!("k{i}")).collect();
    let msg = ExecuteMsg::DeleteAttributes { owner: addr("p").into_string(), keys: Some(too_many) };
    assert!(matches!(
        exec(&mut deps, "alice", msg).unwrap_err(),
        ContractError::Validation(ValidationError::TooMany { .. })
    ));
    assert_eq!(audit(&deps, "p", "alice").len(), 3);
}

#[test]
fn delete_some_keys_then_the_last_removes_the_record() {
    let mut deps = with_two_audits();
    let res = exec(&mut deps, "alice", delete_attrs_msg("p", Some(&["tier", "gpu"]))).unwrap();
    assert_eq!(action(&res), "delete_attributes");
    let ev = event(&res, "audit-deleted");
    assert_eq!(attr(ev, "owner"), addr("p").as_str());
    assert_eq!(attr(ev, "auditor"), addr("alice").as_str());
    assert_eq!(attr(ev, "keys"), "tier,gpu");
    assert_eq!(attr(ev, "record_deleted"), "false");
    assert_eq!(audit(&deps, "p", "alice"), attrs(&[("region", "eu")]));

    let res = exec(&mut deps, "alice", delete_attrs_msg("p", Some(&["region"]))).unwrap();
    assert_eq!(attr(event(&res, "audit-deleted"), "record_deleted"), "true");
    let all: AuditedAttributesResponse =
        q!(&deps, QueryMsg::AuditedAttributes { owner: addr("p").into_string(), start_after: None, limit: None })
            .unwrap();
    assert_eq!(all.records.iter().map(|r| r.auditor.clone()).collect::<Vec<_>>(), vec![addr("bob")]);
    // a removed record is gone: deleting again is NoAuditRecord
    let err = exec(&mut deps, "alice", delete_attrs_msg("p", None)).unwrap_err();
    assert!(matches!(err, ContractError::NoAuditRecord));
    // bob's record is untouched
    assert_eq!(audit(&deps, "p", "bob"), attrs(&[("region", "eu")]));
}

#[test]
fn delete_whole_record_leaves_other_auditors_alone() {
    let mut deps = with_two_audits();
    let res = exec(&mut deps, "alice", delete_attrs_msg("p", None)).unwrap();
    let ev = event(&res, "audit-deleted");
    assert_eq!(attr(ev, "keys"), "gpu,region,tier");
    assert_eq!(attr(ev, "record_deleted"), "true");
    assert!(audit(&deps, "p", "alice").is_empty());
    assert_eq!(audit(&deps, "p", "bob"), attrs(&[("region", "eu")]));
}

// ---------------------------------------------------------------- queries

#[test]
fn provider_query_errors_when_not_registered() {
    let deps = setup();
    let err = get_provider(&deps, "nobody").unwrap_err();
    assert!(matches!(err, ContractError::NotRegistered { owner } if owner == addr("nobody")));
    let err = q!(&deps, QueryMsg::Provider { owner: "bad".into() }).map(|r: Provider| r).unwrap_err();
    assert!(matches!(err, ContractError::Std(_)));
}

#[test]
fn providers_are_paged_in_address_order_with_a_hard_maximum() {
    let mut deps = setup();
    let n = MAX_LIMIT as usize + 5;
    for i in 0..n {
        let region = if i % 2 == 0 { "eu" } else { "us" };
        exec(&mut deps, &format!("p{i}"), register_msg(HOST, attrs(&[("region", region)]))).unwrap();
    }
    let all_owners = sorted((0..n).map(|i| addr(&format!("p{i}"))).collect());

    let page = |attribute: Option<Attribute>, start_after: Option<&Addr>, limit| -> Vec<Addr> {
        let msg = QueryMsg::Providers { attribute, start_after: start_after.map(|a| a.to_string()), limit };
        let res: ProvidersResponse = q!(&deps, msg).unwrap();
        res.providers.into_iter().map(|p| p.owner).collect()
    };
    assert_eq!(page(None, None, None), all_owners[..DEFAULT_LIMIT as usize]);
    assert_eq!(page(None, None, Some(u32::MAX)), all_owners[..MAX_LIMIT as usize]);
    assert_eq!(page(None, Some(&all_owners[MAX_LIMIT as usize - 1]), Some(u32::MAX)), all_owners[MAX_LIMIT as usize..]);
    assert_eq!(page(None, None, Some(0)).len(), 1);

    let eu = sorted((0..n).step_by(2).map(|i| addr(&format!("p{i}"))).collect());
    let eu_attr = || Some(Attribute::new("region", "eu"));
    let first = page(eu_attr(), None, Some(20));
    assert_eq!(first, eu[..20]);
    let rest = page(eu_attr(), first.last(), Some(u32::MAX));
    assert_eq!(rest, eu[20..]);
    assert!(page(Some(Attribute::new("region", "mars")), None, None).is_empty());
}

#[test]
fn providers_filter_refuses_wildcards_and_bad_cursors() {
    let deps = setup();
    let msg = QueryMsg::Providers { attribute: Some(Attribute::new("reg*", "eu")), start_after: None, limit: None };
    assert!(matches!(
        q!(&deps, msg).map(|r: ProvidersResponse| r).unwrap_err(),
        ContractError::Validation(ValidationError::InvalidAttributeKey { .. })
    ));
    let msg = QueryMsg::Providers { attribute: None, start_after: Some("nope".into()), limit: None };
    assert!(matches!(q!(&deps, msg).map(|r: ProvidersResponse| r).unwrap_err(), ContractError::Std(_)));
}

#[test]
fn audited_attributes_are_paged_by_auditor() {
    let mut deps = setup();
    exec(&mut deps, "p", register_msg(HOST, vec![])).unwrap();
    exec(&mut deps, "q", register_msg(HOST, vec![])).unwrap();
    let auditors = sorted((0..5).map(|i| addr(&format!("auditor{i}"))).collect());
    for i in 0..5 {
        exec(&mut deps, &format!("auditor{i}"), sign_msg("p", attrs(&[("region", "eu")]))).unwrap();
    }
    exec(&mut deps, "auditor0", sign_msg("q", attrs(&[("tier", "1")]))).unwrap();

    let page = |start_after: Option<&Addr>, limit| -> Vec<AuditRecord> {
        let msg = QueryMsg::AuditedAttributes {
            owner: addr("p").into_string(),
            start_after: start_after.map(|a| a.to_string()),
            limit,
        };
        q!(&deps, msg).map(|r: AuditedAttributesResponse| r).unwrap().records
    };
    let first = page(None, Some(2));
    assert_eq!(first.iter().map(|r| &r.auditor).collect::<Vec<_>>(), auditors[..2].iter().collect::<Vec<_>>());
    assert!(first.iter().all(|r| r.owner == addr("p") && r.attributes == attrs(&[("region", "eu")])));
    let rest = page(first.last().map(|r| &r.auditor), None);
    assert_eq!(rest.iter().map(|r| r.auditor.clone()).collect::<Vec<_>>(), auditors[2..]);

    let none: AuditRecord = q!(
        &deps,
        QueryMsg::AuditorAttributes { owner: addr("q").into_string(), auditor: addr("auditor1").into_string() },
    )
    .unwrap();
    assert_eq!(none, AuditRecord { owner: addr("q"), auditor: addr("auditor1"), attributes: vec![] });
}
