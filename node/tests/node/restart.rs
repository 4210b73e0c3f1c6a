//! Stopping a node and reopening its data directory: same height and app hash, committed txs
//! and state still there, and the chain continues exactly as a node that never stopped.

use crate::common::market::{cpu_group, manifest_hash, register};
use crate::common::*;
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{DeploymentResponse, ExecuteMsg as MarketMsg, QueryMsg as MarketQuery};

/// Blocks 2..=6 with txs (bank, registry, market, upload, a failure) and two empty blocks.
/// Returns the hashes of the txs delivered.
fn run(node: &mut TestNode) -> Vec<[u8; 32]> {
    let admin = dev("admin");
    let tenant = dev("tenant");
    let gpu = dev("provider-gpu");
    let (market, registry) = (node.market.clone(), node.registry.clone());
    let create = MarketMsg::CreateDeployment {
        dseq: 3,
        hash: manifest_hash(3),
        groups: vec![cpu_group("db", 70, 1, USDC)],
        auto_match: false,
    };
    let upload = cosmrs::cosmwasm::MsgStoreCode {
        sender: admin.account_id.clone(),
        wasm_byte_code: artifact("escrow"),
        instantiate_permission: None,
    };
    let txs = vec![
        node.sign(&admin, vec![send(&admin.account_id, &tenant.account_id, vec![coin(777, DENOM)])], 1_000, GAS, None),
        node.sign(&gpu, vec![execute(&gpu.account_id, &registry, &register("gpu"), vec![])], 2_000, GAS, None),
        node.sign(
            &tenant,
            vec![execute(&tenant.account_id, &market, &create, vec![coin(6_000_000, USDC)])],
            3_000,
            GAS,
            None,
        ),
    ];
    let mut hashes: Vec<[u8; 32]> = txs.iter().map(|t| leasehold_node::tx::tx_hash(t)).collect();
    for out in node.deliver_all(txs) {
        assert_ok(&out);
    }
    node.blocks(2);
    let failing = node.sign(
        &tenant,
        vec![execute(&tenant.account_id, &market, &create, vec![coin(6_000_000, USDC)])],
        3_000,
        GAS,
        None,
    );
    let upload = node.sign(&admin, vec![any(upload)], 10_000, UPLOAD_GAS, None);
    hashes.extend([leasehold_node::tx::tx_hash(&failing), leasehold_node::tx::tx_hash(&upload)]);
    let outs = node.deliver_all(vec![failing, upload]);
    assert_code(&outs[0], "wasm", 5);
    assert_ok(&outs[1]);
    hashes
}

/// The next block after `run`: a tx of each of two signers.
fn next_block(node: &mut TestNode) -> ProducedOutcome {
    let admin = dev("admin");
    let tenant = dev("tenant");
    let txs = vec![
        node.sign(&tenant, vec![send(&tenant.account_id, &admin.account_id, vec![coin(55, DENOM)])], 1_000, GAS, None),
        node.sign(&admin, vec![send(&admin.account_id, &tenant.account_id, vec![coin(66, USDC)])], 1_000, GAS, None),
    ];
    let outs = node.deliver_all(txs);
    ProducedOutcome {
        codes: outs.iter().map(|o| o.code).collect(),
        committed: node.app().last_committed().expect("committed"),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct ProducedOutcome {
    codes: Vec<u32>,
    committed: (u64, [u8; 32]),
}

#[test]
fn a_reopened_node_has_its_blocks_state_and_continues_like_one_that_never_stopped() {
    let mut node = TestNode::new();
    let mut control = TestNode::new();
    let hashes = run(&mut node);
    run(&mut control);
    let tenant = dev("tenant");
    let committed = node.app().last_committed().expect("committed");
    assert_eq!(committed.0, 5);
    assert_eq!(committed, control.app().last_committed().expect("control"));
    let balances = |n: &TestNode| {
        leasehold_node::devnet::DEV_ACCOUNTS
            .iter()
            .map(|a| (n.balance(&a.address(), DENOM), n.balance(&a.address(), USDC), n.account(&a.address())))
            .collect::<Vec<_>>()
    };
    let before = balances(&node);
    let deployment = DeploymentId::new(tenant.address.as_str(), 3);
    let dep_before: DeploymentResponse =
        node.query_smart(&node.market.clone(), &MarketQuery::Deployment { id: deployment.clone() });
    let last_block = node.app().view().block(5).expect("block").expect("stored");

    let (dir, market) = node.stop();
    let mut node = TestNode::reopen(dir, market);

    // Same height, app hash, status, blocks, txs, balances, accounts and contract state.
    assert_eq!(node.app().last_committed().expect("committed"), committed);
    assert_eq!(node.app().state(), committed);
    let status = node.app().view().status();
    assert_eq!((status.height, status.app_hash), committed);
    assert_eq!(status.chain_id(), leasehold_node::devnet::DEV_CHAIN_ID);
    assert_eq!(status.last_block_id, last_block.block_id);
    assert_eq!(node.app().view().block(5).expect("block").expect("stored"), last_block);
    let expected_heights = [2, 2, 2, 5, 5];
    for (hash, height) in hashes.iter().zip(expected_heights) {
        let (block, index) = node.app().view().tx(hash).expect("lookup").expect("committed tx is found");
        assert_eq!(block.height(), height);
        assert_eq!(&leasehold_node::tx::tx_hash(&block.txs[index]), hash);
    }
    let found =
        node.app().view().txs_with_events(&["message.action=/cosmwasm.wasm.v1.MsgStoreCode".into()]).expect("search");
    assert_eq!(found, vec![(5, 1)]);
    assert_eq!(balances(&node), before);
    let dep_after: DeploymentResponse =
        node.query_smart(&node.market.clone(), &MarketQuery::Deployment { id: deployment });
    assert_eq!(dep_after, dep_before);
    assert!(node.app().view().host().expect("host").code_info(4).expect("code info").is_some());
    assert!(node.app().view().host().expect("host").is_pinned(1).expect("pinned"), "pins survive a restart");

    // Producing the next block works, and gives what the node that never stopped gives.
    let resumed = next_block(&mut node);
    let continuous = next_block(&mut control);
    assert_eq!(resumed, continuous);
    assert_eq!(resumed.codes, vec![0, 0]);
    assert_eq!(resumed.committed.0, 6);
    // Even the header (last block id, last results hash, time) is what the other node built.
    let header = |n: &TestNode| n.app().view().block(6).expect("block").expect("stored").block_id;
    assert_eq!(header(&node), header(&control));
    // Contracts still execute after the restart (the module cache is reloaded).
    let gpu = dev("provider-gpu");
    let update = leasehold_types::provider::ExecuteMsg::Update {
        host_uri: "https://gpu2.example.com".into(),
        attributes: vec![],
        info: Default::default(),
    };
    let registry = node.registry.clone();
    let tx = node.sign(&gpu, vec![execute(&gpu.account_id, &registry, &update, vec![])], 1_000, GAS, None);
    let out = node.deliver(tx.clone());
    assert_ok(&out);
    let control_registry = control.registry.clone();
    let control_out = control.deliver(control.sign(
        &gpu,
        vec![execute(&gpu.account_id, &control_registry, &update, vec![])],
        1_000,
        GAS,
        None,
    ));
    assert_eq!(out, control_out);
    assert_eq!(node.app().last_committed().expect("a"), control.app().last_committed().expect("b"));
}

#[test]
fn a_node_restarted_right_after_genesis_continues() {
    let node = TestNode::new();
    let committed = node.app().last_committed().expect("committed");
    assert_eq!(committed.0, 1);
    let (dir, market) = node.stop();
    let mut node = TestNode::reopen(dir, market);
    assert_eq!(node.app().last_committed().expect("committed"), committed);
    let admin = dev("admin");
    let tenant = dev("tenant");
    let tx = node.sign(&admin, vec![send(&admin.account_id, &tenant.account_id, vec![coin(1, DENOM)])], 0, GAS, None);
    assert_ok(&node.deliver(tx));
    assert_eq!(node.balance(&tenant.address, DENOM), START + 1);
}

/// The code file of `wasm` in a node's data directory.
fn code_file(node: &TestNode, wasm: &[u8]) -> std::path::PathBuf {
    let hex = cosmwasm_std::Checksum::generate(wasm).to_hex();
    node.data_dir().join("wasm").join("state").join("wasm").join(hex).with_extension("wasm")
}

/// A node whose pinned code's file is damaged refuses to start and names the code.
#[test]
fn a_damaged_pinned_code_file_stops_the_node_at_start_naming_the_code() {
    let node = TestNode::new();
    let registry_wasm = artifact("provider");
    let file = code_file(&node, &registry_wasm);
    assert!(file.exists(), "registry code stored at genesis: {}", file.display());
    let (dir, _) = node.stop();
    std::fs::write(&file, b"\0asm damaged").expect("damage the code file");
    std::fs::remove_dir_all(dir.path().join("data").join("wasm").join("cache")).expect("drop compiled modules");
    let err = leasehold_node::app::App::open_dir(&dir.path().join("data")).err().expect("the node must not start");
    let text = err.to_string();
    assert!(text.contains(&cosmwasm_std::Checksum::generate(&registry_wasm).to_hex()), "names the code: {text}");
    assert!(text.contains("corrupt"), "{text}");
}

/// A node whose code file is damaged (disk fault, an operator's mistake) refuses the block that
/// needs it instead of committing a failed tx no other validator would fail: the block producer
/// stops with an error naming the code, height and app hash stay, and after the file is
/// restored the same tx executes as on any other node.
#[test]
fn a_damaged_code_file_stops_the_block_instead_of_failing_the_tx() {
    let admin = dev("admin");
    let mut node = TestNode::new();
    // A code of its own (not pinned): the registry's wasm with a custom section appended.
    let mut wasm = artifact("provider");
    wasm.extend_from_slice(&[0x00, 0x05, 0x04, b'n', b'o', b't', b'e']);
    let upload = cosmrs::cosmwasm::MsgStoreCode {
        sender: admin.account_id.clone(),
        wasm_byte_code: wasm.clone(),
        instantiate_permission: None,
    };
    let stored = node.exec(&admin, vec![any(upload)], 10_000, UPLOAD_GAS);
    let code_id: u64 = find_event(&stored, "store_code", &[])
        .and_then(|e| attr(e, "code_id"))
        .expect("code id")
        .parse()
        .expect("number");
    let file = code_file(&node, &wasm);
    assert!(file.exists(), "{}", file.display());
    let (dir, market) = node.stop();
    std::fs::write(&file, b"\0asm damaged").expect("damage the code file");
    std::fs::remove_dir_all(dir.path().join("data").join("wasm").join("cache")).expect("drop compiled modules");

    let mut node = TestNode::reopen(dir, market);
    let before = node.app().last_committed().expect("committed");
    let instantiate = cosmrs::cosmwasm::MsgInstantiateContract {
        sender: admin.account_id.clone(),
        admin: None,
        code_id,
        label: Some("registry-2".into()),
        msg: br#"{"market":null}"#.to_vec(),
        funds: vec![],
    };
    let tx = node.sign(&admin, vec![any(instantiate)], 10_000, GAS, None);
    assert_eq!(node.submit(tx.clone()).code, 0, "CheckTx does not run contracts");
    let time = node.time_of(node.height() + 1);
    let err = node.producer.produce_block(time).expect_err("the block must not commit");
    let text = err.to_string();
    assert!(text.contains("local fault"), "{text}");
    assert!(text.contains(&cosmwasm_std::Checksum::generate(&wasm).to_hex()), "names the code: {text}");
    assert_eq!(node.app().last_committed().expect("committed"), before, "nothing committed");

    // The operator restores the file and restarts the node: the tx executes.
    std::fs::write(&file, &wasm).expect("restore");
    let (dir, market) = node.stop();
    let mut node = TestNode::reopen(dir, market);
    assert_eq!(node.app().last_committed().expect("committed"), before);
    assert_ok(&node.deliver(tx));
}
