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
