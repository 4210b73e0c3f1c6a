//! Host behaviour around the contracts: code upload limits (VM-05), addresses, atomicity,
//! typed errors, admin changes.

use crate::common::{DENOM, addr, artifact};
use cosmwasm_std::{Uint256, coin};
use leasehold_wasm_host::{EntryPoint, HostError, WasmHost, address};

fn host_with_codes() -> WasmHost {
    let mut host = WasmHost::temporary().expect("host");
    for name in ["market", "escrow", "provider"] {
        host.store_code(&addr("admin"), &artifact(name)).expect("store code");
    }
    host
}

#[test]
fn store_code_rejects_empty_oversized_and_invalid_code_before_assigning_an_id() {
    let mut host = WasmHost::temporary().expect("host");
    let admin = addr("admin");
    assert!(matches!(host.store_code(&admin, &[]), Err(HostError::Empty(_))));
    assert!(matches!(host.store_code(&admin, &vec![0u8; 801 * 1024]), Err(HostError::Limit(_))));
    assert!(matches!(host.store_code(&admin, b"\0asm garbage"), Err(HostError::CreateFailed(_))));
    // A valid module without the contract interface fails static validation.
    let minimal = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    assert!(matches!(host.store_code(&admin, &minimal), Err(HostError::CreateFailed(_))));
    // Upper-case (non-normalised) creator addresses are refused.
    let err = host.store_code(&admin.to_uppercase(), &artifact("provider")).unwrap_err();
    assert!(matches!(err, HostError::InvalidAddress(_)), "{err}");
    // None of that consumed a code id.
    assert_eq!(host.store_code(&admin, &artifact("provider")).expect("valid code"), 1);
    // Compilation costs 3 SDK gas per byte.
    assert!(host.last_gas_used() >= 3 * artifact("provider").len() as u64);
    let info = host.code_info(1).expect("read").expect("code 1");
    assert_eq!(info.code_hash, sha2_256(&artifact("provider")));
    assert_eq!(info.creator, admin);
}

fn sha2_256(data: &[u8]) -> Vec<u8> {
    cosmwasm_std::Checksum::generate(data).as_slice().to_vec()
}

#[test]
fn instantiate_uses_wasmd_addresses_and_executes_atomically() {
    let mut host = host_with_codes();
    let admin = addr("admin");
    let pool = addr("pool");
    let msg = serde_json::to_vec(&crate::common::market_instantiate_msg(&admin, &pool)).expect("json");
    let (market, outcome) = host.instantiate(&admin, 1, &msg, &[], "market", Some(&admin)).expect("instantiate");
    assert_eq!(market, host.api().humanize(&address::classic(1, 1)).expect("bech32"));
    // The market created escrow (code 2) and registry (code 3) as instances 2 and 3.
    let instantiated: Vec<_> = outcome
        .events
        .iter()
        .filter(|e| e.ty == "instantiate")
        .map(|e| (e.attributes[0].value.clone(), e.attributes[1].value.clone()))
        .collect();
    assert_eq!(instantiated.len(), 3, "{:?}", outcome.events);
    assert_eq!(instantiated[0], (market.clone(), "1".into()));
    let info = host.contract_info(&market).expect("read").expect("market info");
    assert_eq!((info.code_id, info.admin.as_str(), info.label.as_str()), (1, admin.as_str(), "market"));

    // instantiate2: the predictable address from checksum, creator and salt.
    let registry_msg = br#"{"market":null}"#;
    let (predicted, _) =
        host.instantiate2(&admin, 3, registry_msg, &[], "registry", None, b"salt", false).expect("instantiate2");
    let checksum = host.code_info(3).expect("read").expect("code").code_hash;
    let creator = host.api().canonicalize(&admin).expect("canonical");
    assert_eq!(
        predicted,
        host.api().humanize(&address::predictable(&checksum, &creator, b"salt", &[])).expect("bech32")
    );
    let again = host.instantiate2(&admin, 3, registry_msg, &[], "registry", None, b"salt", false).unwrap_err();
    assert!(matches!(again, HostError::Duplicate(_)), "{again}");

    // A failing call changes nothing, bank included.
    let tenant = addr("tenant");
    host.mint(&tenant, &[coin(5_000_000, DENOM)]).expect("mint");
    let deploy =
        serde_json::json!({ "create_deployment": { "dseq": 1, "hash": "00", "groups": [], "auto_match": false } });
    let err = host
        .execute(&tenant, &market, &serde_json::to_vec(&deploy).expect("json"), &[coin(2_000_000, DENOM)])
        .unwrap_err();
    assert!(matches!(err, HostError::Contract { entry: EntryPoint::Execute, .. }), "{err}");
    assert!(host.last_gas_used() > 0);
    assert_eq!(host.balance(&tenant, DENOM).expect("balance"), Uint256::from(5_000_000u128));
    assert_eq!(host.balance(&market, DENOM).expect("balance"), Uint256::zero());
    assert_eq!(host.store().depth(), 0);

    // Typed errors.
    let unknown = host.api().humanize(&address::classic(9, 9)).expect("bech32");
    assert_eq!(host.execute(&tenant, &unknown, b"{}", &[]).unwrap_err(), HostError::NoSuchContract(unknown.clone()));
    assert!(matches!(host.execute(&tenant, &market, b"not json", &[]), Err(HostError::Invalid(_))));
    assert!(matches!(
        host.execute(&tenant, &market, b"{}", &[coin(1, "uusdc"), coin(1, "ulease")]),
        Err(HostError::Bank(_))
    ));
    let err = host.query_smart(&market, br#"{"no_such_query":{}}"#).unwrap_err();
    assert!(matches!(err, HostError::Contract { entry: EntryPoint::Query, .. }), "{err}");

    // Out of gas: the whole call is undone and reported as such.
    host.set_gas_limit(62_000);
    let err = host.instantiate(&admin, 3, registry_msg, &[], "registry", None).unwrap_err();
    assert!(err.is_out_of_gas(), "{err}");
    assert_eq!(err.abci_code(), ("sdk", 11));
}

#[test]
fn only_the_admin_migrates_and_changes_the_admin() {
    let mut host = host_with_codes();
    let admin = addr("admin");
    let other = addr("other");
    let (registry, _) =
        host.instantiate(&admin, 3, br#"{"market":null}"#, &[], "registry", Some(&admin)).expect("init");
    let err = host.migrate(&other, &registry, 3, b"{}").unwrap_err();
    assert!(matches!(err, HostError::Unauthorized(_)), "{err}");
    host.migrate(&admin, &registry, 3, b"{}").expect("admin migrates");
    assert!(matches!(host.update_admin(&other, &registry, &other), Err(HostError::Invalid(_))));
    assert!(matches!(host.update_admin(&admin, &registry, &admin), Err(HostError::Invalid(_))));
    let out = host.update_admin(&admin, &registry, &other).expect("update admin");
    assert_eq!(out.events[0].ty, "update_contract_admin");
    assert_eq!(host.contract_info(&registry).expect("read").expect("info").admin, other);
    host.clear_admin(&other, &registry).expect("clear admin");
    assert!(matches!(host.migrate(&other, &registry, 3, b"{}"), Err(HostError::Unauthorized(_))));
}

#[test]
fn pinning_is_state_and_discounts_setup() {
    let mut host = host_with_codes();
    let admin = addr("admin");
    assert!(!host.is_pinned(3).expect("read"));
    let (_, cold) = host.instantiate(&admin, 3, br#"{"market":null}"#, &[], "a", None).expect("init");
    host.pin(3).expect("pin");
    assert!(host.is_pinned(3).expect("read"));
    let (_, pinned) = host.instantiate(&admin, 3, br#"{"market":null}"#, &[], "b", None).expect("init");
    // 60,000 setup instead of 2,000; the rest is identical up to the address-dependent bytes.
    let saved = cold.gas_used - pinned.gas_used;
    assert!((57_000..=59_000).contains(&saved), "saved {saved}");
    host.unpin(3).expect("unpin");
    assert!(!host.is_pinned(3).expect("read"));
}

#[test]
fn the_host_can_move_to_a_dedicated_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<WasmHost>();
}
