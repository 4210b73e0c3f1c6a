//! Two fresh nodes fed the same blocks (same txs, same times) compute the same app hash at
//! every height; a node fed one different tx diverges from that height on.

use crate::common::market::{cpu_group, manifest_hash, price, register};
use crate::common::*;
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::ExecuteMsg as MarketMsg;

/// What one height produced: the app hash (reported and committed) and the block id hash.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Height {
    pub height: u64,
    pub app_hash: [u8; 32],
    pub committed: (u64, [u8; 32]),
    pub block_hash: Vec<u8>,
    pub txs: Vec<Vec<u8>>,
    pub codes: Vec<u32>,
}

/// Submits `txs` (all must pass CheckTx), makes a block, and records it.
fn step(node: &mut TestNode, txs: Vec<Vec<u8>>) -> Height {
    for tx in &txs {
        assert_ok(&node.submit(tx.clone()));
    }
    let produced = node.block();
    let block = node.app().view().block(produced.height).expect("block").expect("stored");
    Height {
        height: produced.height,
        app_hash: produced.app_hash,
        committed: node.app().last_committed().expect("last committed"),
        block_hash: block.block_id.expect("block id").hash.to_vec(),
        txs: block.txs,
        codes: produced.outcome.results.iter().map(|r| r.code).collect(),
    }
}

/// A marketplace session over a dozen blocks; `variant` changes one amount in block 3.
pub(crate) fn session(node: &mut TestNode, variant: bool) -> Vec<Height> {
    let admin = dev("admin");
    let tenant = dev("tenant");
    let gpu = dev("provider-gpu");
    let cpu = dev("provider-cpu");
    let (market, escrow, registry) = (node.market.clone(), node.escrow.clone(), node.registry.clone());
    let mut heights = vec![];
    let first = node.app().last_committed().expect("last committed");
    assert_eq!(first.0, 1);

    // Block 2: several signers, several txs of one signer, a failing tx.
    let txs = vec![
        node.sign(
            &admin,
            vec![send(&admin.account_id, &tenant.account_id, vec![coin(3_000_000, DENOM)])],
            1_000,
            GAS,
            Some(0),
        ),
        node.sign(&admin, vec![send(&admin.account_id, &cpu.account_id, vec![coin(17, USDC)])], 1_000, GAS, Some(1)),
        node.sign(&gpu, vec![execute(&gpu.account_id, &registry, &register("gpu"), vec![])], 2_000, GAS, None),
        node.sign(
            &cpu,
            vec![execute(&cpu.account_id, &registry, &leasehold_types::provider::ExecuteMsg::Delete {}, vec![])],
            2_000,
            GAS,
            None,
        ),
    ];
    heights.push(step(node, txs));
    // Block 3: a deployment (the variant deposits one micro-unit more).
    let deposit = if variant { 8_000_001 } else { 8_000_000 };
    let create = MarketMsg::CreateDeployment {
        dseq: 5,
        hash: manifest_hash(5),
        groups: vec![cpu_group("api", 50, 3, DENOM)],
        auto_match: false,
    };
    let tx = node.sign(
        &tenant,
        vec![execute(&tenant.account_id, &market, &create, vec![coin(deposit, DENOM)])],
        2_000,
        GAS,
        None,
    );
    heights.push(step(node, vec![tx]));
    // Block 4: a bid; block 5: the lease; blocks 6-9 empty; block 10: withdrawal and an upload.
    let order = DeploymentId::new(tenant.address.as_str(), 5).group(1).order(1);
    let bid = MarketMsg::CreateBid { order: order.clone(), price: price(99, DENOM) };
    let tx =
        node.sign(&gpu, vec![execute(&gpu.account_id, &market, &bid, vec![coin(500_000, DENOM)])], 2_000, GAS, None);
    heights.push(step(node, vec![tx]));
    let lease = MarketMsg::CreateLease { bid: order.bid(gpu.address.as_str()) };
    let tx = node.sign(&tenant, vec![execute(&tenant.account_id, &market, &lease, vec![])], 2_000, GAS, None);
    heights.push(step(node, vec![tx]));
    for _ in 0..4 {
        heights.push(step(node, vec![]));
    }
    let withdraw = leasehold_types::escrow::ExecuteMsg::Withdraw {
        id: leasehold_types::escrow::PaymentId::for_lease(&order.bid(gpu.address.as_str())),
    };
    let upload = cosmrs::cosmwasm::MsgStoreCode {
        sender: admin.account_id.clone(),
        wasm_byte_code: artifact("provider"),
        instantiate_permission: None,
    };
    let txs = vec![
        node.sign(&gpu, vec![execute(&gpu.account_id, &escrow, &withdraw, vec![])], 2_000, GAS, None),
        node.sign(&admin, vec![any(upload)], 10_000, UPLOAD_GAS, None),
    ];
    heights.push(step(node, txs));
    // Block 11: the tenant closes.
    let close = MarketMsg::CloseDeployment { dseq: 5 };
    let tx = node.sign(&tenant, vec![execute(&tenant.account_id, &market, &close, vec![])], 2_000, GAS, None);
    heights.push(step(node, vec![tx]));
    heights
}

#[test]
fn the_same_blocks_give_the_same_app_hash_at_every_height() {
    let mut a = TestNode::new();
    let mut b = TestNode::new();
    // Genesis and the first (empty) block already agree.
    assert_eq!(a.app().last_committed().expect("a"), b.app().last_committed().expect("b"));
    let ha = session(&mut a, false);
    let hb = session(&mut b, false);
    assert_eq!(ha.len(), 10);
    // The session is not trivial: every tx but one succeeded, and one failed on purpose.
    let codes: Vec<u32> = ha.iter().flat_map(|h| h.codes.clone()).collect();
    assert_eq!(codes.iter().filter(|c| **c != 0).count(), 1, "{codes:?}");
    for (x, y) in ha.iter().zip(&hb) {
        assert_eq!(x, y, "nodes diverged at height {}", x.height);
        assert_eq!(x.committed, (x.height, x.app_hash));
    }
    // The headers chain as CometBFT's do: each carries the previous block's app hash and id.
    for h in 2..=a.height() {
        let view = a.app().view();
        let prev = view.block(h - 1).expect("block").expect("previous");
        let header = view.block(h).expect("block").expect("block").header.expect("header");
        assert_eq!(header.height, h as i64);
        assert_eq!(header.app_hash, prev.app_hash, "header {h} app hash");
        assert_eq!(header.last_block_id, prev.block_id, "header {h} last block id");
        assert_eq!(header.time.expect("time").seconds, a.time_of(h).unix_timestamp());
    }
    // Every height has its own hash.
    let mut hashes: Vec<[u8; 32]> = ha.iter().map(|h| h.app_hash).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), ha.len());
}

#[test]
fn one_different_tx_changes_the_app_hash_from_its_height_on() {
    let mut a = TestNode::new();
    let mut c = TestNode::new();
    let ha = session(&mut a, false);
    let hc = session(&mut c, true);
    assert_eq!(ha[0], hc[0], "block 2 is the same");
    for (x, y) in ha.iter().zip(&hc).skip(1) {
        assert_ne!(x.app_hash, y.app_hash, "height {}", x.height);
    }
}

/// No-op writes do not change the app hash (`docs/state.md`): two nodes run the same history
/// except that in one the provider's tx also re-declares its registration unchanged (the
/// registry deletes and re-writes its attribute index and record with the same values). The
/// state changes are the same, and so are the app hashes.
#[test]
fn no_op_writes_do_not_change_the_app_hash() {
    use crate::common::market::register;
    use leasehold_types::provider::ExecuteMsg as RegistryMsg;
    let gpu = dev("provider-gpu");
    let admin = dev("admin");
    let run = |redeclare: bool| {
        let mut node = TestNode::new();
        let registry = node.registry.clone();
        node.exec(&gpu, vec![execute(&gpu.account_id, &registry, &register("gpu"), vec![])], 5_000, 2_000_000);
        let mut msgs = vec![send(&gpu.account_id, &admin.account_id, vec![coin(1, DENOM)])];
        if redeclare {
            let RegistryMsg::Register { host_uri, attributes, info } = register("gpu") else { unreachable!() };
            let same = RegistryMsg::Update { host_uri, attributes, info };
            msgs.push(execute(&gpu.account_id, &registry, &same, vec![]));
        }
        let out = node.exec(&gpu, msgs, 5_000, 2_000_000);
        assert!(!redeclare || find_event(&out, "wasm-provider-updated", &[]).is_some(), "the update ran");
        node.app().state()
    };
    assert_eq!(run(false), run(true));
}
