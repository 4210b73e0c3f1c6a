//! Bank transfers through signed transactions: exact balances (fees included), account
//! creation for new recipients, sequences, events and the result data.

use crate::common::*;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSendResponse;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use prost::{Message, Name};

#[test]
fn send_moves_exact_amounts_and_the_fee_goes_to_the_fee_collector() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    assert_eq!(node.balance(&fee_collector(), DENOM), 0);

    let msg = send(&admin.account_id, &tenant.account_id, vec![coin(1_234_567, DENOM), coin(89, USDC)]);
    let tx = node.sign(&admin, vec![msg], 5_000, 200_000, None);
    let out = node.deliver(tx);
    assert_ok(&out);

    assert_eq!(node.balance(&admin.address, DENOM), START - 1_234_567 - 5_000);
    assert_eq!(node.balance(&admin.address, USDC), START - 89);
    assert_eq!(node.balance(&tenant.address, DENOM), START + 1_234_567);
    assert_eq!(node.balance(&tenant.address, USDC), START + 89);
    assert_eq!(node.balance(&fee_collector(), DENOM), 5_000);
    assert_eq!(node.balance(&fee_collector(), USDC), 0);
    let all = node.app().view().all_balances(&admin.address).expect("all balances");
    let all: Vec<(String, String)> = all.iter().map(|c| (c.denom.clone(), c.amount.to_string())).collect();
    assert_eq!(
        all,
        vec![("ulease".into(), (START - 1_234_567 - 5_000).to_string()), ("uusdc".into(), (START - 89).to_string())]
    );
    assert_eq!(out.gas_wanted, 200_000);
    assert!(out.gas_used > 0 && out.gas_used <= 200_000, "gas used {}", out.gas_used);
}

#[test]
fn sequence_increments_and_the_public_key_is_stored_on_first_use() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    let before = node.account(&tenant.address).expect("genesis account");
    assert_eq!((before.sequence, before.pub_key), (0, None));

    // Three txs of one signer in one block, sequences 0, 1, 2.
    let txs = (0..3)
        .map(|seq| {
            node.sign(
                &tenant,
                vec![send(&tenant.account_id, &admin.account_id, vec![coin(10, DENOM)])],
                100,
                200_000,
                Some(seq),
            )
        })
        .collect();
    for out in node.deliver_all(txs) {
        assert_ok(&out);
    }
    let after = node.account(&tenant.address).expect("account");
    assert_eq!(after.sequence, 3);
    assert_eq!(after.account_number, before.account_number);
    assert_eq!(after.pub_key, Some(tenant.key.public_key().to_bytes().try_into().expect("33 bytes")));
    assert_eq!(node.balance(&tenant.address, DENOM), START - 3 * (10 + 100));
    assert_eq!(node.balance(&admin.address, DENOM), START + 30);
    assert_eq!(node.balance(&fee_collector(), DENOM), 300);

    // Once the key is stored, a tx may omit it.
    let mut params = TxParams::new(100, 200_000);
    params.with_public_key = false;
    let tx =
        node.sign_with(&tenant.key, vec![send(&tenant.account_id, &admin.account_id, vec![coin(1, DENOM)])], &params);
    assert_ok(&node.deliver(tx.encode_to_vec()));
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 4);
}

#[test]
fn a_send_to_a_fresh_address_creates_its_account_which_can_then_sign() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let (key, fresh_id) = fresh(42);
    let (_, second_id) = fresh(43);
    let (fresh_addr, second_addr) = (fresh_id.to_string(), second_id.to_string());
    assert!(node.account(&fresh_addr).is_none());
    let known = [fee_collector(), node.market.clone(), node.escrow.clone(), node.registry.clone()]
        .into_iter()
        .chain(leasehold_node::devnet::DEV_ACCOUNTS.iter().map(|a| a.address()));
    let highest = known.filter_map(|a| node.account(&a)).map(|a| a.account_number).max().expect("accounts");

    let msgs = vec![
        send(&tenant.account_id, &fresh_id, vec![coin(1_000_000, DENOM)]),
        send(&tenant.account_id, &second_id, vec![coin(7, USDC)]),
    ];
    let out = node.exec(&tenant, msgs, 2_000, 300_000);
    let created = node.account(&fresh_addr).expect("account created by the transfer");
    assert_eq!(created.account_number, highest + 1);
    assert_eq!((created.sequence, created.pub_key, created.module), (0, None, None));
    assert_eq!(node.account(&second_addr).expect("second account").account_number, highest + 2);
    // Two messages: their events carry msg_index 0 and 1, the data two responses.
    assert!(find_event(&out, "transfer", &[("recipient", &fresh_addr), ("msg_index", "0")]).is_some());
    assert!(find_event(&out, "transfer", &[("recipient", &second_addr), ("msg_index", "1")]).is_some());
    assert_eq!(TxMsgData::decode(out.data.as_slice()).expect("TxMsgData").msg_responses.len(), 2);

    // The new account signs (its first tx carries the public key) and pays its fee.
    let params = TxParams::new(3_000, 200_000);
    let tx = node.sign_with(&key, vec![send(&fresh_id, &tenant.account_id, vec![coin(400_000, DENOM)])], &params);
    assert_ok(&node.deliver(tx.encode_to_vec()));
    let used = node.account(&fresh_addr).expect("account");
    assert_eq!(used.sequence, 1);
    assert_eq!(used.account_number, highest + 1);
    assert_eq!(used.pub_key, Some(key.public_key().to_bytes().try_into().expect("33 bytes")));
    assert_eq!(node.balance(&fresh_addr, DENOM), 1_000_000 - 400_000 - 3_000);
    assert_eq!(node.balance(&tenant.address, DENOM), START - 1_000_000 - 2_000 + 400_000);
    assert_eq!(node.balance(&fee_collector(), DENOM), 5_000);
}

#[test]
fn send_events_and_result_data_are_the_sdks() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    let tx = node.sign(
        &admin,
        vec![send(&admin.account_id, &tenant.account_id, vec![coin(5, DENOM)])],
        2_500,
        200_000,
        None,
    );
    let out = node.deliver(tx);
    assert_ok(&out);
    let (a, t) = (admin.address.as_str(), tenant.address.as_str());

    let message = find_event(&out, "message", &[("action", "/cosmos.bank.v1beta1.MsgSend")]).expect("message event");
    assert_eq!(attr(message, "sender"), Some(a));
    assert_eq!(attr(message, "module"), Some("bank"));
    assert_eq!(attr(message, "msg_index"), Some("0"));
    let transfer = find_event(&out, "transfer", &[("recipient", t)]).expect("transfer event");
    assert_eq!(attr(transfer, "sender"), Some(a));
    assert_eq!(attr(transfer, "amount"), Some("5ulease"));
    assert_eq!(attr(transfer, "msg_index"), Some("0"));
    assert!(find_event(&out, "coin_spent", &[("spender", a), ("amount", "5ulease")]).is_some());
    assert!(find_event(&out, "coin_received", &[("receiver", t), ("amount", "5ulease")]).is_some());
    // The fee: a transfer to the fee collector, then tx{fee, fee_payer}, tx{acc_seq}, tx{signature}.
    let fee_transfer = find_event(&out, "transfer", &[("recipient", &fee_collector())]).expect("fee transfer");
    assert_eq!(attr(fee_transfer, "amount"), Some("2500ulease"));
    assert_eq!(attr(fee_transfer, "msg_index"), None, "ante events carry no msg_index");
    let fee = find_event(&out, "tx", &[("fee", "2500ulease")]).expect("tx fee event");
    assert_eq!(attr(fee, "fee_payer"), Some(a));
    assert!(find_event(&out, "tx", &[("acc_seq", &format!("{a}/0"))]).is_some());
    let signature = events(&out, "tx").into_iter().find_map(|e| attr(e, "signature")).expect("signature event");
    assert_eq!(signature.len(), 88, "base64 of 64 bytes");
    // Ante events come before the message's.
    let first_tx = out.events.iter().position(|e| e.r#type == "tx").expect("tx");
    let action = out.events.iter().position(|e| attr(e, "action").is_some()).expect("message.action");
    assert!(first_tx < action);

    let data = TxMsgData::decode(out.data.as_slice()).expect("TxMsgData");
    assert_eq!(data.msg_responses.len(), 1);
    assert_eq!(data.msg_responses[0].type_url, MsgSendResponse::type_url());
    assert_eq!(data.msg_responses[0].type_url, "/cosmos.bank.v1beta1.MsgSendResponse");
    assert!(data.msg_responses[0].value.is_empty());

    // The tx is indexed: findable by hash and by its events.
    let hash = leasehold_node::tx::tx_hash(&node.app().view().block(node.height()).expect("block").expect("b").txs[0]);
    let (block, index) = node.app().view().tx(&hash).expect("tx lookup").expect("indexed");
    assert_eq!((block.height(), index), (node.height(), 0));
    let found = node
        .app()
        .view()
        .txs_with_events(&["message.action=/cosmos.bank.v1beta1.MsgSend".into(), format!("transfer.recipient={t}")])
        .expect("search");
    assert_eq!(found, vec![(node.height(), 0)]);
}

#[test]
fn sends_the_bank_refuses_keep_only_fee_and_sequence() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");

    // More than the balance: sdk code 5 in DeliverTx (CheckTx does not run messages).
    let tx = node.sign(
        &tenant,
        vec![send(&tenant.account_id, &admin.account_id, vec![coin(START, DENOM)])],
        1_000,
        200_000,
        None,
    );
    let out = node.deliver(tx);
    assert_code(&out, "sdk", 5);
    assert_eq!(node.balance(&tenant.address, DENOM), START - 1_000);
    assert_eq!(node.balance(&admin.address, DENOM), START);
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 1);

    // The fee collector is a blocked address (sdk code 4 "not allowed to receive funds").
    let collector = acc(&fee_collector());
    let tx = node.sign(&tenant, vec![send(&tenant.account_id, &collector, vec![coin(1, DENOM)])], 1_000, 200_000, None);
    let out = node.deliver(tx);
    assert_code(&out, "sdk", 4);
    assert_eq!(node.balance(&fee_collector(), DENOM), 2_000, "only the two fees");

    // Unsorted or duplicate coins and a zero amount are invalid coins (sdk code 10), refused by
    // the stateless checks in CheckTx: no fee, no sequence.
    for amount in [vec![coin(1, USDC), coin(1, DENOM)], vec![coin(1, DENOM), coin(2, DENOM)], vec![coin(0, DENOM)]] {
        let tx =
            node.sign(&tenant, vec![send(&tenant.account_id, &admin.account_id, amount.clone())], 1_000, 200_000, None);
        let out = node.submit(tx);
        assert_code(&out, "sdk", 10);
    }
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 2);
    assert_eq!(node.balance(&tenant.address, DENOM), START - 2_000);
    assert_eq!(node.balance(&tenant.address, USDC), START);
    assert_eq!(node.balance(&admin.address, USDC), START);
}

#[test]
fn a_tx_signed_by_two_accounts_charges_the_first_and_bumps_both_sequences() {
    use cosmrs::tx::{AuthInfo, Body, Fee, SignDoc, SignerInfo};
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    let auditor = dev("auditor");
    // Bring the tenant to sequence 1 first, so the two signers' sequences differ.
    node.exec(&tenant, vec![send(&tenant.account_id, &auditor.account_id, vec![coin(1, DENOM)])], 100, 200_000);

    let body = Body::new(
        vec![
            send(&tenant.account_id, &auditor.account_id, vec![coin(300, DENOM)]),
            send(&admin.account_id, &auditor.account_id, vec![coin(400, USDC)]),
        ],
        "",
        0u32,
    );
    let auth = AuthInfo {
        signer_infos: vec![
            SignerInfo::single_direct(Some(tenant.key.public_key()), 1),
            SignerInfo::single_direct(Some(admin.key.public_key()), 0),
        ],
        fee: Fee::from_amount_and_gas(coin(4_000, DENOM), 300_000u64),
    };
    let chain_id = leasehold_node::devnet::DEV_CHAIN_ID.parse().expect("chain id");
    let sign = |dev: &Dev| {
        let number = node.account(&dev.address).expect("account").account_number;
        let bytes = SignDoc::new(&body, &auth, &chain_id, number).expect("doc").into_bytes().expect("bytes");
        dev.key.sign(&bytes).expect("sign").to_vec()
    };
    let raw = cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw {
        body_bytes: body.clone().into_bytes().expect("body"),
        auth_info_bytes: auth.clone().into_bytes().expect("auth"),
        signatures: vec![sign(&tenant), sign(&admin)],
    };
    // The signatures in the wrong order do not verify.
    let mut swapped = raw.clone();
    swapped.signatures.reverse();
    assert_code(&node.submit(swapped.encode_to_vec()), "sdk", 4);

    let out = node.deliver(raw.encode_to_vec());
    assert_ok(&out);
    assert!(find_event(&out, "tx", &[("fee_payer", &tenant.address)]).is_some());
    assert!(find_event(&out, "tx", &[("acc_seq", &format!("{}/1", tenant.address))]).is_some());
    assert!(find_event(&out, "tx", &[("acc_seq", &format!("{}/0", admin.address))]).is_some());
    assert_eq!(node.account(&tenant.address).expect("tenant").sequence, 2);
    assert_eq!(node.account(&admin.address).expect("admin").sequence, 1);
    assert_eq!(node.balance(&tenant.address, DENOM), START - 1 - 100 - 300 - 4_000);
    assert_eq!(node.balance(&admin.address, DENOM), START);
    assert_eq!(node.balance(&admin.address, USDC), START - 400);
    assert_eq!(node.balance(&auditor.address, DENOM), START + 301);
    assert_eq!(node.balance(&auditor.address, USDC), START + 400);
}

#[test]
fn simulation_charges_like_delivery_and_changes_nothing() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, ModeInfo, TxRaw, mode_info};
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    let msgs = vec![send(&tenant.account_id, &admin.account_id, vec![coin(9_999, DENOM)])];
    let signed = node.sign(&tenant, msgs.clone(), 1_500, 200_000, None);

    // The tx as CosmJS simulates it: sign mode unspecified, one empty signature.
    let raw = TxRaw::decode(signed.as_slice()).expect("raw");
    let mut auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).expect("auth info");
    auth.signer_infos[0].mode_info =
        Some(ModeInfo { sum: Some(mode_info::Sum::Single(mode_info::Single { mode: 0 })) });
    let sim =
        TxRaw { body_bytes: raw.body_bytes.clone(), auth_info_bytes: auth.encode_to_vec(), signatures: vec![vec![]] };
    let sim_bytes = sim.encode_to_vec();
    let limits = node.app().params().expect("params").limits.clone();
    let decoded = leasehold_node::tx::decode_tx(&sim_bytes, &limits).expect("decode");
    let state = node.app().state();
    let simulated = node.app().view().simulate(&decoded).expect("simulate");
    assert_ok(&simulated);
    assert_eq!(node.app().state(), state);
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 0);
    assert_eq!(node.balance(&tenant.address, DENOM), START);
    assert_eq!(node.balance(&fee_collector(), DENOM), 0);
    assert_eq!(simulated.msg_responses.len(), 1);
    // A key-less simulation of an account without a stored key works too (gas estimation for
    // a first tx).
    let mut keyless = auth.clone();
    keyless.signer_infos[0].public_key = None;
    let bytes = TxRaw { auth_info_bytes: keyless.encode_to_vec(), ..sim.clone() }.encode_to_vec();
    assert_ok(
        &node
            .app()
            .view()
            .simulate(&leasehold_node::tx::decode_tx(&bytes, &limits).expect("decode"))
            .expect("simulate"),
    );

    // As CosmJS simulates for `fee: "auto"`: no fee at all. Paying one costs gas, which the
    // simulation charges as well (regression: CosmJS's 1.4 × simulated gas ran out).
    let mut feeless = auth.clone();
    feeless.fee = Some(cosmos_sdk_proto::cosmos::tx::v1beta1::Fee::default());
    let feeless_bytes = TxRaw { auth_info_bytes: feeless.encode_to_vec(), ..sim.clone() }.encode_to_vec();
    let feeless_sim = node
        .app()
        .view()
        .simulate(&leasehold_node::tx::decode_tx(&feeless_bytes, &limits).expect("decode"))
        .expect("simulate");
    assert_ok(&feeless_sim);

    // Delivering the signed tx uses exactly the simulated gas plus 10 per tx byte the signed tx
    // has beyond the simulated one and its 64-byte signature (which simulation charges).
    let delivered = node.deliver(signed.clone());
    assert_ok(&delivered);
    let extra = (signed.len() - sim_bytes.len()) as u64 - 64;
    assert_eq!(delivered.gas_used, simulated.gas_used + 10 * extra);
    // The fee-less simulation moved 1ulease to the (empty) fee collector, the tx 1500: its
    // stored balance is 3 bytes longer, at 30 gas per written byte.
    let fee_bytes = (signed.len() - feeless_bytes.len()) as u64 - 64;
    assert_eq!(delivered.gas_used, feeless_sim.gas_used + 10 * fee_bytes + 30 * 3);
    let types =
        |o: &leasehold_node::app::exec::TxOutcome| o.events.iter().map(|e| e.r#type.clone()).collect::<Vec<_>>();
    assert_eq!(types(&delivered), types(&simulated));
}

#[test]
fn a_tx_submitted_before_the_first_block_is_checked_against_genesis() {
    use leasehold_node::app::App;
    use leasehold_node::dev::Producer;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::open_dir(dir.path()).expect("open");
    app.init_chain(&genesis()).expect("init chain");
    assert_eq!(app.last_committed().expect("committed"), (0, [0; 32]), "nothing is persisted before block 1");
    let mut producer = Producer::new(app, validator(), 10).expect("producer");
    let admin = dev("admin");
    let tenant = dev("tenant");
    // Account numbers cannot be queried yet (nothing is committed); the admin's is 1 (after
    // the fee collector).
    let msg = send(&admin.account_id, &tenant.account_id, vec![coin(42, DENOM)]);
    let raw = cosmrs::tx::SignDoc::new(
        &cosmrs::tx::Body::new(vec![msg], "", 0u32),
        &cosmrs::tx::SignerInfo::single_direct(Some(admin.key.public_key()), 0)
            .auth_info(cosmrs::tx::Fee::from_amount_and_gas(coin(1_000, DENOM), 200_000u64)),
        &leasehold_node::devnet::DEV_CHAIN_ID.parse().expect("chain id"),
        1,
    )
    .expect("sign doc")
    .sign(&admin.key)
    .expect("sign")
    .to_bytes()
    .expect("bytes");
    assert_ok(&producer.submit(raw.clone()));
    // The same bytes again are refused as already in the mempool.
    assert_code(&producer.submit(raw), "sdk", 19);
    assert_eq!(producer.mempool_len(), 1);
    let block = producer.produce_block(genesis().time().expect("time")).expect("block 1");
    assert_eq!(block.height, 1);
    assert_ok(&block.outcome.results[0]);
    let view = producer.app().view();
    assert_eq!(view.balance(&tenant.address, DENOM).expect("balance"), cosmwasm_std::Uint256::from(START + 42));
    assert_eq!(view.account(&admin.address).expect("account").expect("admin").sequence, 1);
}
