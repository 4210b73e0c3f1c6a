//! The wasm module through signed transactions: uploads (plain and gzip, allow-list, invalid
//! code), instantiate and instantiate2 addresses as wasmd derives them, execute and query of
//! the marketplace, migrate, admin changes, and the events CosmJS reads.

use crate::common::market::{cpu_group, manifest_hash, register};
use crate::common::*;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm;
use cosmrs::cosmwasm::{MsgClearAdmin, MsgInstantiateContract, MsgMigrateContract, MsgStoreCode, MsgUpdateAdmin};
use cosmwasm_std::{CanonicalAddr, instantiate2_address};
use leasehold_node::app::exec::TxOutcome;
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{DeploymentResponse, DeploymentState, ExecuteMsg as MarketMsg, QueryMsg as MarketQuery};
use leasehold_types::provider::{self as registry, Provider};
use prost::{Message, Name};
use sha2::{Digest, Sha256};

fn store_code(sender: &Dev, wasm: Vec<u8>) -> cosmos_sdk_proto::Any {
    any(MsgStoreCode { sender: sender.account_id.clone(), wasm_byte_code: wasm, instantiate_permission: None })
}

fn instantiate(
    sender: &Dev,
    code_id: u64,
    msg: &serde_json::Value,
    label: &str,
    admin: Option<&Dev>,
) -> cosmos_sdk_proto::Any {
    any(MsgInstantiateContract {
        sender: sender.account_id.clone(),
        admin: admin.map(|a| a.account_id.clone()),
        code_id,
        label: Some(label.into()),
        msg: serde_json::to_vec(msg).expect("json"),
        funds: vec![],
    })
}

fn migrate(sender: &Dev, contract: &str, code_id: u64) -> cosmos_sdk_proto::Any {
    any(MsgMigrateContract { sender: sender.account_id.clone(), contract: acc(contract), code_id, msg: b"{}".to_vec() })
}

/// The single response of a one-message tx.
fn response<M: Message + Name + Default>(out: &TxOutcome) -> M {
    let data = TxMsgData::decode(out.data.as_slice()).expect("TxMsgData");
    assert_eq!(data.msg_responses.len(), 1);
    assert_eq!(data.msg_responses[0].type_url, M::type_url());
    M::decode(data.msg_responses[0].value.as_slice()).expect("response")
}

fn code_exists(node: &TestNode, code_id: u64) -> bool {
    node.app().view().host().expect("host").code_info(code_id).expect("code info").is_some()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// `lease1…` of a 32-byte contract address.
fn bech32(bytes: &[u8]) -> String {
    leasehold_keys::encode_address(PREFIX, bytes).expect("bech32")
}

#[test]
fn admin_uploads_plain_and_gzipped_code_and_others_cannot() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    let code = artifact("provider");
    let checksum: [u8; 32] = Sha256::digest(&code).into();
    assert!(code_exists(&node, 3) && !code_exists(&node, 4));

    let out = node.exec(&admin, vec![store_code(&admin, code.clone())], 10_000, UPLOAD_GAS);
    let stored: wasm::MsgStoreCodeResponse = response(&out);
    assert_eq!((stored.code_id, stored.checksum.as_slice()), (4, checksum.as_slice()));
    let ev = find_event(&out, "store_code", &[("code_id", "4")]).expect("store_code event");
    assert_eq!(attr(ev, "code_checksum"), Some(hex::encode(checksum).as_str()));
    assert!(find_event(&out, "message", &[("action", "/cosmwasm.wasm.v1.MsgStoreCode"), ("module", "wasm")]).is_some());
    let info = node.app().view().host().expect("host").code_info(4).expect("code info").expect("code 4");
    assert_eq!((info.code_hash.as_slice(), info.creator.as_str()), (checksum.as_slice(), admin.address.as_str()));

    // CosmJS uploads gzip: the checksum is the uncompressed code's, the upload gets the next id.
    let gz = gzip(&code);
    assert!(gz.len() < code.len());
    let out = node.exec(&admin, vec![store_code(&admin, gz)], 10_000, UPLOAD_GAS);
    let stored: wasm::MsgStoreCodeResponse = response(&out);
    assert_eq!((stored.code_id, stored.checksum.as_slice()), (5, checksum.as_slice()));

    // Not on the allow-list: sdk code 4; fee and sequence taken, no code stored.
    let tx = node.sign(&tenant, vec![store_code(&tenant, code.clone())], 10_000, UPLOAD_GAS, None);
    let out = node.deliver(tx);
    assert_code(&out, "sdk", 4);
    assert!(!code_exists(&node, 6));
    assert_eq!(node.balance(&tenant.address, DENOM), START - 10_000);
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 1);

    // Not wasm: wasmd's create failed (wasm code 2); nothing stored.
    let tx = node.sign(&admin, vec![store_code(&admin, b"\0asm\x01\0\0\0garbage".to_vec())], 10_000, UPLOAD_GAS, None);
    let out = node.deliver(tx);
    assert_code(&out, "wasm", 2);
    assert!(!code_exists(&node, 6));
    // Gzip of garbage is refused the same way.
    let tx = node.sign(&admin, vec![store_code(&admin, gzip(b"definitely not wasm"))], 10_000, UPLOAD_GAS, None);
    let out = node.deliver(tx);
    assert_code(&out, "wasm", 2);
    assert!(!code_exists(&node, 6));
    // Over wasmd's 800 KiB raw fails the stateless checks (wasm code 13, refused in CheckTx, no
    // fee); once inflated (a gzip bomb) it fails in the block, as in wasmd; empty: wasm code 12.
    let tx = node.sign(&admin, vec![store_code(&admin, vec![0; 800 * 1024 + 1])], 10_000, UPLOAD_GAS, None);
    assert_code(&node.submit(tx), "wasm", 13);
    let bomb = gzip(&vec![0; 900 * 1024]);
    assert!(bomb.len() < 10_000);
    let tx = node.sign(&admin, vec![store_code(&admin, bomb)], 10_000, UPLOAD_GAS, None);
    assert_code(&node.deliver(tx), "wasm", 13);
    // Empty code fails the stateless checks: refused in CheckTx, no fee.
    let tx = node.sign(&admin, vec![store_code(&admin, vec![])], 10_000, UPLOAD_GAS, None);
    assert_code(&node.submit(tx), "wasm", 12);
    assert!(!code_exists(&node, 6));
    // The next good upload still gets code id 6.
    let out = node.exec(&admin, vec![store_code(&admin, code)], 10_000, UPLOAD_GAS);
    assert_eq!(response::<wasm::MsgStoreCodeResponse>(&out).code_id, 6);
    assert_eq!(node.balance(&admin.address, DENOM), START - 6 * 10_000);
}

#[test]
fn instantiate_and_instantiate2_give_wasmds_addresses() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    let init = serde_json::json!({ "market": node.market });

    // Genesis instantiated market (1), escrow (2) and registry (3): the next instance is 4.
    assert_eq!(node.market, bech32(&leasehold_wasm_host::address::classic(1, 1)));
    assert_eq!(node.escrow, bech32(&leasehold_wasm_host::address::classic(2, 2)));
    assert_eq!(node.registry, bech32(&leasehold_wasm_host::address::classic(3, 3)));
    let out = node.exec(&tenant, vec![instantiate(&tenant, 3, &init, "my registry", Some(&admin))], 5_000, GAS);
    let expected = bech32(&leasehold_wasm_host::address::classic(3, 4));
    let created: wasm::MsgInstantiateContractResponse = response(&out);
    assert_eq!(created.address, expected);
    let ev = find_event(&out, "instantiate", &[("_contract_address", &expected)]).expect("instantiate event");
    assert_eq!(attr(ev, "code_id"), Some("3"));
    assert!(find_event(&out, "message", &[("action", "/cosmwasm.wasm.v1.MsgInstantiateContract")]).is_some());
    let info = node.app().view().host().expect("host").contract_info(&expected).expect("info").expect("contract");
    assert_eq!(info.code_id, 3);
    assert_eq!(info.creator, tenant.address);
    assert_eq!(info.admin, admin.address);
    assert_eq!(info.label, "my registry");
    let config: registry::ConfigResponse = node.query_smart(&expected, &registry::QueryMsg::Config {});
    assert_eq!(config.market.as_str(), node.market);

    // instantiate2: the address follows from checksum, creator and salt (cosmwasm-std's derivation).
    let checksum = node.app().view().host().expect("host").code_info(3).expect("info").expect("code").code_hash;
    let creator = CanonicalAddr::from(leasehold_keys::decode_address(PREFIX, &tenant.address).expect("canonical"));
    let salt = b"leasehold-salt".to_vec();
    let predicted = instantiate2_address(&checksum, &creator, &salt).expect("instantiate2 address");
    let predicted = bech32(predicted.as_slice());
    let msg2 = |salt: &[u8]| {
        let m = wasm::MsgInstantiateContract2 {
            sender: tenant.address.clone(),
            admin: String::new(),
            code_id: 3,
            label: "predictable".into(),
            msg: serde_json::to_vec(&init).expect("json"),
            funds: vec![],
            salt: salt.to_vec(),
            fix_msg: false,
        };
        cosmos_sdk_proto::Any { type_url: wasm::MsgInstantiateContract2::type_url(), value: m.encode_to_vec() }
    };
    let out = node.exec(&tenant, vec![msg2(&salt)], 5_000, GAS);
    let created: wasm::MsgInstantiateContract2Response = response(&out);
    assert_eq!(created.address, predicted);
    assert!(find_event(&out, "instantiate", &[("_contract_address", &predicted), ("code_id", "3")]).is_some());
    let info = node.app().view().host().expect("host").contract_info(&predicted).expect("info").expect("contract");
    assert_eq!(info.admin, "", "no admin");
    // The same salt again: wasmd's duplicate error (wasm code 15), nothing changes.
    let tx = node.sign(&tenant, vec![msg2(&salt)], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "wasm", 15);
    // Instantiate2 does not consume a classic instance number: the next classic one is 5.
    let out = node.exec(&tenant, vec![instantiate(&tenant, 3, &init, "third", None)], 5_000, GAS);
    assert_eq!(
        response::<wasm::MsgInstantiateContractResponse>(&out).address,
        bech32(&leasehold_wasm_host::address::classic(3, 5))
    );

    // A failing instantiate (the registry refuses a bad market address) is wasm code 4.
    let bad = serde_json::json!({ "market": "not-an-address" });
    let tx = node.sign(&tenant, vec![instantiate(&tenant, 3, &bad, "bad", None)], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "wasm", 4);
    // An unknown code: wasmd's no such code (wasm code 28).
    let tx = node.sign(&tenant, vec![instantiate(&tenant, 99, &init, "none", None)], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "wasm", 28);
    assert!(
        node.app()
            .view()
            .host()
            .expect("host")
            .contract_info(&bech32(&leasehold_wasm_host::address::classic(3, 6)))
            .expect("info")
            .is_none()
    );
}

#[test]
fn execute_and_query_the_marketplace() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let gpu = dev("provider-gpu");
    let registry = node.registry.clone();
    let market = node.market.clone();

    let out = node.exec(&gpu, vec![execute(&gpu.account_id, &registry, &register("gpu"), vec![])], 5_000, GAS);
    assert!(find_event(&out, "execute", &[("_contract_address", &registry)]).is_some());
    assert!(
        find_event(&out, "message", &[("action", "/cosmwasm.wasm.v1.MsgExecuteContract"), ("module", "wasm")])
            .is_some()
    );
    let wasm_events: Vec<_> = out.events.iter().filter(|e| e.r#type.starts_with("wasm")).collect();
    assert!(!wasm_events.is_empty(), "the registry emits wasm events");
    for e in &wasm_events {
        assert_eq!(e.attributes[0].key, "_contract_address");
        assert_eq!(e.attributes[0].value, registry);
    }
    let provider: Provider = node.query_smart(&registry, &registry::QueryMsg::Provider { owner: gpu.address.clone() });
    assert_eq!(provider.host_uri, "https://gpu.example.com");
    assert_eq!(provider.created_at, node.height());
    let _: wasm::MsgExecuteContractResponse = response(&out);

    let create = MarketMsg::CreateDeployment {
        dseq: 7,
        hash: manifest_hash(7),
        groups: vec![cpu_group("web", 40, 2, DENOM)],
        auto_match: false,
    };
    let out = node.exec(
        &tenant,
        vec![execute(&tenant.account_id, &market, &create, vec![coin(5_000_000, DENOM)])],
        5_000,
        GAS,
    );
    let created = find_event(&out, "wasm-deployment-created", &[("_contract_address", &market)])
        .expect("wasm-deployment-created");
    assert_eq!(attr(created, "dseq"), Some("7"));
    assert!(find_event(&out, "wasm-order-created", &[("price", "80ulease")]).is_some());
    // The deposit went from the tenant through the market into the escrow.
    assert_eq!(node.balance(&tenant.address, DENOM), START - 5_000_000 - 5_000);
    assert_eq!(node.balance(&node.escrow.clone(), DENOM), 5_000_000);
    assert_eq!(node.balance(&market, DENOM), 0);
    let id = DeploymentId::new(tenant.address.as_str(), 7);
    let dep: DeploymentResponse = node.query_smart(&market, &MarketQuery::Deployment { id: id.clone() });
    assert_eq!(dep.deployment.state, DeploymentState::Active);
    assert_eq!(dep.deployment.created_at, node.height());
    assert_eq!(dep.groups.len(), 1);

    // A contract error is wasm code 5 and rolls back the deposit transfer (fee stays).
    let tx = node.sign(
        &tenant,
        vec![execute(&tenant.account_id, &market, &create, vec![coin(5_000_000, DENOM)])],
        5_000,
        GAS,
        None,
    );
    let out = node.deliver(tx);
    assert_code(&out, "wasm", 5);
    assert!(out.log.contains("execute wasm contract failed"), "{}", out.log);
    assert_eq!(node.balance(&tenant.address, DENOM), START - 5_000_000 - 2 * 5_000);
    assert_eq!(node.balance(&node.escrow.clone(), DENOM), 5_000_000);
    // wasmd's other refusals: no contract at the address (wasm 22), a payload that is not JSON
    // (wasm 14), funds the sender does not have (sdk 5), an empty label (wasm 12).
    let tx = node.sign(&tenant, vec![execute(&tenant.account_id, &gpu.address, &create, vec![])], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "wasm", 22);
    let not_json = any(cosmrs::cosmwasm::MsgExecuteContract {
        sender: tenant.account_id.clone(),
        contract: acc(&market),
        msg: b"{not json".to_vec(),
        funds: vec![],
    });
    let tx = node.sign(&tenant, vec![not_json], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "wasm", 14);
    let too_much = execute(&tenant.account_id, &market, &create, vec![coin(START + 1, USDC)]);
    let tx = node.sign(&tenant, vec![too_much], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "sdk", 5);
    let unlabelled = any(MsgInstantiateContract {
        sender: tenant.account_id.clone(),
        admin: None,
        code_id: 3,
        label: None,
        msg: b"{}".to_vec(),
        funds: vec![],
    });
    // The empty label fails the stateless checks: refused in CheckTx, no fee.
    let tx = node.sign(&tenant, vec![unlabelled], 5_000, GAS, None);
    assert_code(&node.submit(tx), "wasm", 12);
    assert_eq!(node.balance(&tenant.address, DENOM), START - 5_000_000 - 5 * 5_000);
    assert_eq!(node.balance(&tenant.address, USDC), START);
    // Queries: an unknown deployment is a query error, a raw read of a missing key is empty.
    let host = node.app().view().host().expect("host");
    assert!(
        node.try_query_smart::<DeploymentResponse>(
            &market,
            &MarketQuery::Deployment { id: DeploymentId::new(tenant.address.as_str(), 8) }
        )
        .is_err()
    );
    assert_eq!(host.query_raw(&market, b"no such key").expect("raw"), Vec::<u8>::new());
    assert!(!host.query_raw(&market, b"contract_info").expect("cw2 key").is_empty(), "cw2 version is stored");
}

#[test]
fn migrate_and_admin_changes_follow_wasmd() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    let market = node.market.clone();
    let host_info = |node: &TestNode| {
        node.app().view().host().expect("host").contract_info(&market).expect("info").expect("market")
    };
    assert_eq!(host_info(&node).admin, admin.address);

    // Same code id: the contract's migrate runs (cw2 allows the same version).
    let out = node.exec(&admin, vec![migrate(&admin, &market, 1)], 5_000, GAS);
    assert!(find_event(&out, "migrate", &[("_contract_address", &market), ("code_id", "1")]).is_some());
    assert!(find_event(&out, "wasm", &[("action", "migrate")]).is_some());
    let _: wasm::MsgMigrateContractResponse = response(&out);
    // Re-stored market code (new code id, same checksum).
    let out = node.exec(&admin, vec![store_code(&admin, artifact("market"))], 10_000, UPLOAD_GAS);
    let new_code = {
        let data = TxMsgData::decode(out.data.as_slice()).expect("data");
        wasm::MsgStoreCodeResponse::decode(data.msg_responses[0].value.as_slice()).expect("response").code_id
    };
    assert_eq!(new_code, 4);
    node.exec(&admin, vec![migrate(&admin, &market, new_code)], 5_000, GAS);
    assert_eq!(host_info(&node).code_id, new_code);
    // The market still works after migration.
    let config: leasehold_types::market::ConfigResponse = node.query_smart(&market, &MarketQuery::Config {});
    assert_eq!(config.escrow.as_str(), node.escrow);

    // Into another contract's code: the market's cw2 check refuses (wasm code 11, migrate failed).
    let tx = node.sign(&admin, vec![migrate(&admin, &market, 3)], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "wasm", 11);
    assert_eq!(host_info(&node).code_id, new_code);
    // Not the admin: sdk code 4 (unauthorized), as wasmd.
    let tx = node.sign(&tenant, vec![migrate(&tenant, &market, 1)], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "sdk", 4);
    assert_eq!(host_info(&node).code_id, new_code);

    // Update admin: admin -> tenant; now only the tenant may migrate.
    let update = any(MsgUpdateAdmin {
        sender: admin.account_id.clone(),
        new_admin: tenant.account_id.clone(),
        contract: acc(&market),
    });
    let out = node.exec(&admin, vec![update], 5_000, GAS);
    let ev = find_event(&out, "update_contract_admin", &[("_contract_address", &market)]).expect("admin event");
    assert_eq!(attr(ev, "new_admin_address"), Some(tenant.address.as_str()));
    let _: wasm::MsgUpdateAdminResponse = response(&out);
    assert_eq!(host_info(&node).admin, tenant.address);
    let tx = node.sign(&admin, vec![migrate(&admin, &market, 1)], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "sdk", 4);
    node.exec(&tenant, vec![migrate(&tenant, &market, 1)], 5_000, GAS);
    assert_eq!(host_info(&node).code_id, 1);

    // Clear admin: nobody may migrate or change the admin any more.
    let clear = |who: &Dev| any(MsgClearAdmin { sender: who.account_id.clone(), contract: acc(&market) });
    let tx = node.sign(&admin, vec![clear(&admin)], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "sdk", 4);
    let out = node.exec(&tenant, vec![clear(&tenant)], 5_000, GAS);
    let ev = find_event(&out, "update_contract_admin", &[("_contract_address", &market)]).expect("admin event");
    assert_eq!(attr(ev, "new_admin_address"), Some(""));
    let _: wasm::MsgClearAdminResponse = response(&out);
    assert_eq!(host_info(&node).admin, "");
    let tx = node.sign(&tenant, vec![migrate(&tenant, &market, 1)], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "sdk", 4);
    let update = any(MsgUpdateAdmin {
        sender: tenant.account_id.clone(),
        new_admin: admin.account_id.clone(),
        contract: acc(&market),
    });
    let tx = node.sign(&tenant, vec![update], 5_000, GAS, None);
    assert_code(&node.deliver(tx), "sdk", 4);
    assert_eq!(host_info(&node).admin, "");
}

/// `wasm` with a custom section appended (still valid, a distinct checksum per `n`).
fn distinct_code(wasm: &[u8], n: u32) -> Vec<u8> {
    let name = b"leasehold-test";
    let payload = n.to_le_bytes();
    let mut out = wasm.to_vec();
    out.push(0); // custom section
    out.push(u8::try_from(1 + name.len() + payload.len()).expect("short section"));
    out.push(u8::try_from(name.len()).expect("short name"));
    out.extend_from_slice(name);
    out.extend_from_slice(&payload);
    out
}

/// Every file under `dir` with its size.
fn files(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, u64> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(path),
                Ok(m) => {
                    out.insert(path, m.len());
                }
                Err(_) => {}
            }
        }
    }
    out
}

/// Regression (the node under attack): simulating `MsgStoreCode` — free, unsigned, by anyone who
/// knows an uploader's public key — wrote every distinct blob and its compiled module under
/// `data/wasm` for good (20 blobs of ~280 KB grew a node's home by 80 MB). A simulation now
/// validates and prices the code and writes nothing.
#[test]
fn simulated_uploads_write_no_code_to_disk() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
    let node = TestNode::new();
    let admin = dev("admin");
    let wasm_dir = node.data_dir().join("wasm");
    let before = files(&wasm_dir);
    let code = artifact("provider");
    let limits = node.app().params().expect("params").limits.clone();
    for n in 0..20 {
        let signed = node.sign(&admin, vec![store_code(&admin, distinct_code(&code, n))], 10_000, UPLOAD_GAS, None);
        // Unsigned, as a simulation may be.
        let mut raw = TxRaw::decode(signed.as_slice()).expect("raw");
        raw.signatures = vec![vec![]];
        let decoded = leasehold_node::tx::decode_tx(&raw.encode_to_vec(), &limits).expect("decode");
        let simulated = node.app().view().simulate(&decoded).expect("simulate");
        assert_ok(&simulated);
        assert!(simulated.gas_used > 1_000_000, "the upload is priced: {}", simulated.gas_used);
        assert!(find_event(&simulated, "store_code", &[]).is_some());
    }
    assert_eq!(files(&wasm_dir), before, "no file under data/wasm was added or changed");
    // Invalid code is refused in simulation as in delivery.
    let signed = node.sign(&admin, vec![store_code(&admin, b"\0asm not really".to_vec())], 10_000, UPLOAD_GAS, None);
    let decoded = leasehold_node::tx::decode_tx(&signed, &limits).expect("decode");
    assert!(!node.app().view().simulate(&decoded).expect("simulate").is_ok());
}
