//! Local faults of the code store: a missing or corrupt code file is this node's fault, never a
//! transaction's result (no `reply` and no contract query sees it); a damaged compiled module is
//! compiled again; a code stored twice is not rewritten.

use std::path::{Path, PathBuf};

use crate::common::{Chain, DENOM, To, VmChain, addr};
use cosmwasm_std::{Checksum, coin};
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group, cpu_provider_attrs};
use leasehold_marketplace_tests::{manifest_hash, price};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::ExecuteMsg;
use leasehold_types::provider::{self as registry, ProviderInfo};
use leasehold_wasm_host::{HostError, HostOptions, WasmHost};
use serde_json::Value;

use crate::common::artifact;

fn v(msg: impl serde::Serialize) -> Value {
    serde_json::to_value(msg).expect("json")
}

fn code_file(dir: &Path, wasm: &[u8]) -> PathBuf {
    dir.join("state").join("wasm").join(Checksum::generate(wasm).to_hex()).with_extension("wasm")
}

/// Compiled modules of every format directory (`cache/modules/<format>/<target>/*.module`).
fn module_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&dir.join("cache").join("modules"), &mut files);
    files
}

/// Overwrites the code file of `wasm` and drops every compiled module, so the next load reads
/// the damaged file.
fn damage(dir: &Path, wasm: &[u8]) {
    std::fs::write(code_file(dir, wasm), b"\0asm damaged on disk").expect("corrupt");
    std::fs::remove_dir_all(dir.join("cache")).expect("drop compiled modules");
}

/// A new host on the same code directory and state (an empty in-memory module cache, as after
/// a restart).
fn reopened(chain: &VmChain, dir: &Path) -> WasmHost {
    let mut options = HostOptions::new(dir);
    options.store = chain.host.store().clone();
    let mut host = WasmHost::new(options).expect("host");
    host.set_block(chain.host.block().clone());
    host
}

/// The marketplace with its codes in `dir`, one provider registered and one deployment open.
fn market_in(dir: &Path) -> (VmChain, String, DeploymentId) {
    let host = WasmHost::new(HostOptions::new(dir)).expect("host");
    let mut chain = VmChain::with_host(host, &addr("admin"), &addr("pool"));
    let (tenant, provider) = (addr("tenant"), addr("provider"));
    chain.mint(&tenant, vec![coin(1_000_000_000, DENOM)]);
    chain.mint(&provider, vec![coin(1_000_000_000, DENOM)]);
    let register = registry::ExecuteMsg::Register {
        host_uri: "https://provider.example.com".into(),
        attributes: cpu_provider_attrs("us"),
        info: ProviderInfo::default(),
    };
    chain.exec(&provider, To::Registry, &v(register), &[]).expect("register");
    let create = ExecuteMsg::CreateDeployment {
        dseq: 1,
        hash: manifest_hash(1),
        groups: vec![cpu_group("g", 100, 1)],
        auto_match: false,
    };
    chain.exec(&tenant, To::Market, &v(create), &[coin(10_000_000, DENOM)]).expect("deploy");
    (chain, provider, DeploymentId::new(tenant.as_str(), 1))
}

fn bid(chain: &mut VmChain, provider: &str, d: &DeploymentId) -> Result<Vec<cosmwasm_std::Event>, HostError> {
    let msg = serde_json::to_vec(&ExecuteMsg::CreateBid { order: d.group(1).order(1), price: price(100, DENOM) })
        .expect("json");
    let market = chain.market.clone();
    chain.host.execute(provider, &market, &msg, &[collateral()]).map(|o| o.events)
}

fn assert_fault_naming(err: &HostError, wasm: &[u8]) {
    assert!(err.is_fault(), "a damaged code file must be a fault of the node, got: {err}");
    let hex = Checksum::generate(wasm).to_hex();
    assert!(err.to_string().contains(&hex), "the error names the code ({hex}): {err}");
}

#[test]
fn a_code_stored_again_is_verified_not_rewritten() {
    let dir = tempfile::tempdir().expect("dir");
    let mut host = WasmHost::new(HostOptions::new(dir.path())).expect("host");
    let wasm = artifact("provider");
    host.store_code(&addr("admin"), &wasm).expect("store");
    let file = code_file(dir.path(), &wasm);
    let before = std::fs::metadata(&file).expect("code file").modified().expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(host.store_code(&addr("admin"), &wasm).expect("store again"), 2);
    let after = std::fs::metadata(&file).expect("code file").modified().expect("mtime");
    assert_eq!(before, after, "an existing code file is never rewritten");
    assert_eq!(std::fs::read(&file).expect("read"), wasm);
}

#[test]
fn a_corrupt_code_file_stops_the_call_with_a_fault_naming_the_code() {
    let dir = tempfile::tempdir().expect("dir");
    let (chain, _, _) = market_in(dir.path());
    let market_wasm = artifact("market");
    damage(dir.path(), &market_wasm);
    let host = reopened(&chain, dir.path());
    let err = host.query_smart(&chain.market, br#"{"params":{}}"#).unwrap_err();
    assert_fault_naming(&err, &market_wasm);
    // A missing file is the same fault.
    std::fs::remove_file(code_file(dir.path(), &market_wasm)).expect("remove");
    let err = host.query_smart(&chain.market, br#"{"params":{}}"#).unwrap_err();
    assert_fault_naming(&err, &market_wasm);
}

#[test]
fn a_fault_inside_a_contract_query_is_not_an_answer_the_contract_can_handle() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut chain, provider, d) = market_in(dir.path());
    // The bid queries the registry (code 3): its code file is damaged.
    let provider_wasm = artifact("provider");
    damage(dir.path(), &provider_wasm);
    chain.host = reopened(&chain, dir.path());
    let err = bid(&mut chain, &provider, &d).unwrap_err();
    assert_fault_naming(&err, &provider_wasm);
    // Repaired, the same bid goes through: nothing of the failed call was kept.
    std::fs::write(code_file(dir.path(), &provider_wasm), &provider_wasm).expect("restore");
    chain.host = reopened(&chain, dir.path());
    bid(&mut chain, &provider, &d).expect("bid after the repair");
}

#[test]
fn a_fault_inside_a_submessage_reaches_no_reply() {
    let dir = tempfile::tempdir().expect("dir");
    let (chain, _, _) = market_in(dir.path());
    // A second market instantiates escrow (code 2) in a submessage with a reply.
    let escrow_wasm = artifact("escrow");
    damage(dir.path(), &escrow_wasm);
    let mut host = reopened(&chain, dir.path());
    let admin = addr("admin");
    let msg = serde_json::to_vec(&crate::common::market_instantiate_msg(&admin, &addr("pool"))).expect("json");
    let err = host.instantiate(&admin, 1, &msg, &[], "market-2", Some(&admin)).unwrap_err();
    assert_fault_naming(&err, &escrow_wasm);
}

#[test]
fn a_damaged_compiled_module_is_compiled_again() {
    let dir = tempfile::tempdir().expect("dir");
    let (chain, _, _) = market_in(dir.path());
    let modules = module_files(dir.path());
    assert!(!modules.is_empty(), "compiled modules on disk");
    for module in &modules {
        std::fs::write(module, b"not a module").expect("damage");
    }
    let host = reopened(&chain, dir.path());
    let answer = host.query_smart(&chain.market, br#"{"params":{}}"#).expect("query after recompiling");
    let params: Value = serde_json::from_slice(&answer).expect("json");
    assert!(params.is_object(), "{params}");
}
