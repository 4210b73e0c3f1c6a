//! Transactions the chain must refuse, each with the Cosmos SDK's code, leaving state and
//! mempool as they were (or, for failures while executing messages, keeping only the fee and
//! the sequence increment), and never stopping the node.

use crate::common::*;
use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, Fee, ModeInfo, SignerInfo, TxBody, TxRaw, mode_info};
use cosmrs::cosmwasm::{MsgInstantiateContract, MsgStoreCode};
use leasehold_node::app::exec::TxOutcome;
use leasehold_node::devnet::DEV_CHAIN_ID;
use prost::Message;

const FEE: u128 = 2_000;
const SEND_GAS: u64 = 200_000;

fn body(msgs: Vec<Any>) -> TxBody {
    TxBody { messages: msgs, ..Default::default() }
}

fn secp_pubkey(key: &[u8]) -> Any {
    Any { type_url: "/cosmos.crypto.secp256k1.PubKey".into(), value: PubKey { key: key.to_vec() }.encode_to_vec() }
}

fn auth_info(public_key: Option<Any>, sequence: u64, fee: u128, gas: u64) -> AuthInfo {
    AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key,
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single { mode: SignMode::Direct as i32 })),
            }),
            sequence,
        }],
        fee: Some(Fee {
            amount: vec![ProtoCoin { denom: DENOM.into(), amount: fee.to_string() }],
            gas_limit: gas,
            payer: String::new(),
            granter: String::new(),
        }),
        ..Default::default()
    }
}

/// Signs a hand-built body and auth info as `dev` (account number from the chain).
fn signed(node: &TestNode, dev: &Dev, body: &TxBody, auth: &AuthInfo) -> TxRaw {
    let number = node.account(&dev.address).expect("account").account_number;
    sign_bytes(&dev.key, body.encode_to_vec(), auth.encode_to_vec(), DEV_CHAIN_ID, number)
}

fn small_send(from: &Dev, to: &Dev) -> Any {
    send_of(from, to, 1_000)
}

/// A send of `amount` (other amounts give other tx bytes for the same signer and sequence).
fn send_of(from: &Dev, to: &Dev, amount: u128) -> Any {
    send(&from.account_id, &to.account_id, vec![coin(amount, DENOM)])
}

/// Submits `tx` expecting CheckTx to refuse it with `(codespace, code)`; the mempool and the
/// executed state are unchanged.
#[track_caller]
fn refused(node: &mut TestNode, tx: Vec<u8>, codespace: &str, code: u32) -> TxOutcome {
    let (mempool, state) = (node.producer.mempool_len(), node.app().state());
    let out = node.submit(tx);
    assert_code(&out, codespace, code);
    assert_eq!(node.producer.mempool_len(), mempool, "mempool changed");
    assert_eq!(node.app().state(), state, "state changed");
    out
}

/// After refusals: an empty block is made, nothing of `who` changed, and a good tx with the
/// expected sequence still goes through.
#[track_caller]
fn nothing_changed(node: &mut TestNode, who: &Dev, sequence: u64, balance: u128) {
    let produced = node.block();
    assert!(produced.outcome.results.is_empty(), "a refused tx was included");
    assert_eq!(node.account(&who.address).expect("account").sequence, sequence);
    assert_eq!(node.balance(&who.address, DENOM), balance);
    let other = dev("auditor");
    let tx = node.sign(who, vec![small_send(who, &other)], FEE, SEND_GAS, None);
    assert_ok(&node.deliver(tx));
}

#[test]
fn undecodable_and_unknown_txs_are_tx_parse_errors() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    // Not protobuf.
    refused(&mut node, vec![0xff, 0xff, 0xff, 0x01], "sdk", 2);
    // A TxRaw whose body is not a TxBody.
    let raw = TxRaw { body_bytes: vec![0x0a, 0x05, 0x01], auth_info_bytes: vec![], signatures: vec![vec![0; 64]] };
    refused(&mut node, raw.encode_to_vec(), "sdk", 2);
    // A message type the chain does not know, correctly signed.
    let delegate = Any { type_url: "/cosmos.staking.v1beta1.MsgDelegate".into(), value: vec![] };
    let tx = signed(
        &node,
        &tenant,
        &body(vec![delegate]),
        &auth_info(Some(secp_pubkey(&tenant.key.public_key().to_bytes())), 0, FEE, SEND_GAS),
    );
    let out = refused(&mut node, tx.encode_to_vec(), "sdk", 2);
    assert!(out.log.contains("unable to resolve type URL /cosmos.staking.v1beta1.MsgDelegate"), "{}", out.log);
    // A known type with bytes that do not decode.
    let bad = Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: vec![0xff; 4] };
    let tx = signed(&node, &tenant, &body(vec![bad]), &auth_info(None, 0, FEE, SEND_GAS));
    refused(&mut node, tx.encode_to_vec(), "sdk", 2);
    // No message at all.
    let tx = signed(&node, &tenant, &body(vec![]), &auth_info(None, 0, FEE, SEND_GAS));
    refused(&mut node, tx.encode_to_vec(), "sdk", 18);
    nothing_changed(&mut node, &tenant, 0, START);
}

#[test]
fn signatures_that_do_not_verify_are_unauthorized() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let admin = dev("admin");
    let msgs = || vec![small_send(&tenant, &admin)];

    // Wrong chain id and wrong account number: the sign bytes differ (sdk code 4).
    let mut params = TxParams::new(FEE, SEND_GAS);
    params.chain_id = "leasehold-other-1".into();
    let tx = node.sign_with(&tenant.key, msgs(), &params).encode_to_vec();
    let out = refused(&mut node, tx, "sdk", 4);
    assert!(out.log.contains("signature verification failed"), "{}", out.log);
    let mut params = TxParams::new(FEE, SEND_GAS);
    params.account_number = Some(node.account(&tenant.address).expect("account").account_number + 1);
    let tx = node.sign_with(&tenant.key, msgs(), &params).encode_to_vec();
    refused(&mut node, tx, "sdk", 4);

    // High-S: the same signature with s replaced by n - s verifies mathematically but is refused.
    let good = node.sign_with(&tenant.key, msgs(), &TxParams::new(FEE, SEND_GAS));
    let sig = k256::ecdsa::Signature::from_slice(&good.signatures[0]).expect("signature");
    assert!(sig.normalize_s().is_none(), "cosmrs signs low-S");
    let (r, s) = sig.split_scalars();
    let high = k256::ecdsa::Signature::from_scalars(r, -s).expect("high-S signature");
    assert!(high.normalize_s().is_some(), "s is now in the upper half");
    let mut malleated = good.clone();
    malleated.signatures[0] = high.to_bytes().to_vec();
    let out = refused(&mut node, malleated.encode_to_vec(), "sdk", 4);
    assert!(out.log.contains("low-S"), "{}", out.log);

    // Bytes that are not a signature: too short, all zero, all 0xff; then the signature of another tx.
    for bytes in [good.signatures[0][..63].to_vec(), vec![0u8; 64], vec![0xffu8; 64]] {
        let mut bad = good.clone();
        bad.signatures[0] = bytes;
        refused(&mut node, bad.encode_to_vec(), "sdk", 4);
    }
    let other = node.sign_with(&tenant.key, vec![small_send(&tenant, &dev("auditor"))], &TxParams::new(FEE, SEND_GAS));
    let mut swapped = good.clone();
    swapped.signatures = other.signatures.clone();
    refused(&mut node, swapped.encode_to_vec(), "sdk", 4);
    // A message of another account, signed by the tenant with the tenant's key in the tx.
    let theirs = node.sign_with(&tenant.key, vec![small_send(&admin, &tenant)], &TxParams::new(FEE, SEND_GAS));
    let out = refused(&mut node, theirs.encode_to_vec(), "sdk", 8);
    assert!(out.log.contains("pubKey does not match signer address"), "{}", out.log);
    // Two signatures for one signer.
    let mut twice = good.clone();
    twice.signatures.push(good.signatures[0].clone());
    refused(&mut node, twice.encode_to_vec(), "sdk", 4);
    // No signature.
    let mut none = good.clone();
    none.signatures.clear();
    refused(&mut node, none.encode_to_vec(), "sdk", 15);

    // The good tx itself is still accepted after all that.
    nothing_changed(&mut node, &tenant, 0, START);
}

#[test]
fn bad_public_keys_are_invalid_pubkey() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let admin = dev("admin");
    let msgs = || body(vec![small_send(&tenant, &admin)]);
    let own = tenant.key.public_key().to_bytes();

    // Not 33 bytes; not secp256k1; not a curve point; another account's key.
    let mut not_a_point = own.clone();
    not_a_point[0] = 0x05;
    for pk in [
        secp_pubkey(&own[..32]),
        Any { type_url: "/cosmos.crypto.ed25519.PubKey".into(), value: PubKey { key: vec![1; 32] }.encode_to_vec() },
        secp_pubkey(&not_a_point),
        secp_pubkey(&admin.key.public_key().to_bytes()),
    ] {
        let tx = signed(&node, &tenant, &msgs(), &auth_info(Some(pk), 0, FEE, SEND_GAS));
        refused(&mut node, tx.encode_to_vec(), "sdk", 8);
    }
    // No key on an account that has none stored yet.
    let tx = signed(&node, &tenant, &msgs(), &auth_info(None, 0, FEE, SEND_GAS));
    let out = refused(&mut node, tx.encode_to_vec(), "sdk", 8);
    assert!(out.log.contains("pubkey on account"), "{}", out.log);
    nothing_changed(&mut node, &tenant, 0, START);

    // Once stored, a different key in the tx is refused too.
    let tx = signed(
        &node,
        &tenant,
        &msgs(),
        &auth_info(Some(secp_pubkey(&admin.key.public_key().to_bytes())), 1, FEE, SEND_GAS),
    );
    refused(&mut node, tx.encode_to_vec(), "sdk", 8);
}

#[test]
fn sequences_must_match_and_replays_are_refused() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let admin = dev("admin");
    let tx = node.sign(&tenant, vec![small_send(&tenant, &admin)], FEE, SEND_GAS, None);
    assert_ok(&node.deliver(tx.clone()));
    let balance = START - 1_000 - FEE;

    // The very same bytes again: still in the mempool's cache after their block (CometBFT keeps
    // committed txs there), refused before CheckTx (sdk code 19).
    refused(&mut node, tx, "sdk", 19);
    // Other bytes with the spent sequence: account sequence mismatch (sdk code 32).
    let replay = node.sign(&tenant, vec![send_of(&tenant, &admin, 3)], FEE, SEND_GAS, Some(0));
    let out = refused(&mut node, replay, "sdk", 32);
    assert!(out.log.contains("account sequence mismatch, expected 1, got 0"), "{}", out.log);
    // A sequence from the future.
    let ahead = node.sign(&tenant, vec![small_send(&tenant, &admin)], FEE, SEND_GAS, Some(5));
    refused(&mut node, ahead, "sdk", 32);
    // A tx already in the mempool (CometBFT's cache, before CheckTx).
    let next = node.sign(&tenant, vec![small_send(&tenant, &admin)], FEE, SEND_GAS, None);
    assert_ok(&node.submit(next.clone()));
    refused(&mut node, next.clone(), "sdk", 19);
    // A second tx with the same sequence (a different body) after the first is accepted.
    let conflicting = node.sign(&tenant, vec![send_of(&tenant, &admin, 2)], FEE, SEND_GAS, Some(1));
    refused(&mut node, conflicting, "sdk", 32);
    let produced = node.block();
    assert_eq!(produced.outcome.results.len(), 1);
    assert_ok(&produced.outcome.results[0]);
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 2);
    assert_eq!(node.balance(&tenant.address, DENOM), balance - 1_000 - FEE);
}

#[test]
fn fees_below_the_minimum_gas_price_are_insufficient_fee() {
    let mut node = TestNode::with_min_gas_price(Some("0.025ulease".parse().expect("gas price")));
    let tenant = dev("tenant");
    let admin = dev("admin");
    // 200_000 gas × 0.025 = 5_000 ulease.
    for fee in [0, 1, 4_999] {
        let tx = node.sign(&tenant, vec![small_send(&tenant, &admin)], fee, 200_000, None);
        let out = refused(&mut node, tx, "sdk", 13);
        assert!(out.log.contains("required: 5000ulease"), "{}", out.log);
    }
    // The right amount in another denom does not count.
    let auth = AuthInfo {
        fee: Some(Fee {
            amount: vec![ProtoCoin { denom: USDC.into(), amount: "5000".into() }],
            gas_limit: 200_000,
            ..Default::default()
        }),
        ..auth_info(Some(secp_pubkey(&tenant.key.public_key().to_bytes())), 0, 0, 200_000)
    };
    let tx = signed(&node, &tenant, &body(vec![small_send(&tenant, &admin)]), &auth);
    refused(&mut node, tx.encode_to_vec(), "sdk", 13);
    nothing_changed_with_fee(&mut node, &tenant, &admin, 5_000);
}

/// On a node with a minimum gas price: nothing changed and exactly `fee` is enough.
fn nothing_changed_with_fee(node: &mut TestNode, tenant: &Dev, admin: &Dev, fee: u128) {
    assert!(node.block().outcome.results.is_empty());
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 0);
    assert_eq!(node.balance(&tenant.address, DENOM), START);
    let tx = node.sign(tenant, vec![small_send(tenant, admin)], fee, 200_000, None);
    assert_ok(&node.deliver(tx));
    assert_eq!(node.balance(&tenant.address, DENOM), START - 1_000 - fee);
}

#[test]
fn fee_payers_must_exist_and_afford_the_fee() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let (key, id) = fresh(9);
    let mut params = TxParams::new(FEE, SEND_GAS);
    params.account_number = Some(0);
    let tx = node.sign_with(&key, vec![send(&id, &tenant.account_id, vec![coin(1, DENOM)])], &params);
    let out = refused(&mut node, tx.encode_to_vec(), "sdk", 9);
    assert!(out.log.contains("does not exist"), "{}", out.log);
    let tx = node.sign(&tenant, vec![small_send(&tenant, &dev("admin"))], START + 1, SEND_GAS, None);
    let out = refused(&mut node, tx, "sdk", 5);
    assert!(out.log.contains("insufficient funds to pay for fees"), "{}", out.log);
    nothing_changed(&mut node, &tenant, 0, START);
}

#[test]
fn limits_on_size_messages_memo_and_gas() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    // Over 1 MiB of tx bytes: tx too large (sdk code 21), before anything is decoded.
    let big = any(MsgStoreCode {
        sender: admin.account_id.clone(),
        wasm_byte_code: vec![0; 1_100_000],
        instantiate_permission: None,
    });
    let tx = node.sign(&admin, vec![big], FEE, UPLOAD_GAS, None);
    assert!(tx.len() > 1024 * 1024);
    refused(&mut node, tx, "sdk", 21);
    // 65 messages (the limit is 64): invalid request (sdk code 18).
    let many = (0..65).map(|_| small_send(&tenant, &admin)).collect();
    let tx = node.sign(&tenant, many, FEE, 50_000_000, None);
    refused(&mut node, tx, "sdk", 18);
    // A memo over 256 characters (sdk code 12).
    let mut params = TxParams::new(FEE, SEND_GAS);
    params.memo = "x".repeat(257);
    let tx = node.sign_with(&tenant.key, vec![small_send(&tenant, &admin)], &params).encode_to_vec();
    refused(&mut node, tx, "sdk", 12);
    // A gas limit above the chain's maximum.
    let tx = node.sign(&tenant, vec![small_send(&tenant, &admin)], FEE, 100_000_001, None);
    refused(&mut node, tx, "sdk", 18);
    // Too little gas for the ante checks themselves: out of gas (sdk code 11) at CheckTx, no fee taken.
    let tx = node.sign(&tenant, vec![small_send(&tenant, &admin)], FEE, 1_000, None);
    let out = refused(&mut node, tx, "sdk", 11);
    assert_eq!(out.gas_wanted, 1_000);
    // A timeout height already passed (sdk code 30).
    let timed_out = TxBody { messages: vec![small_send(&tenant, &admin)], timeout_height: 1, ..Default::default() };
    let tx = signed(
        &node,
        &tenant,
        &timed_out,
        &auth_info(Some(secp_pubkey(&tenant.key.public_key().to_bytes())), 0, FEE, SEND_GAS),
    );
    refused(&mut node, tx.encode_to_vec(), "sdk", 30);
    // Exactly 64 messages are fine.
    let sixty_four: Vec<Any> = (0..64).map(|_| small_send(&tenant, &admin)).collect();
    nothing_changed(&mut node, &tenant, 0, START);
    let out = node.exec(&tenant, sixty_four, FEE, 50_000_000);
    assert_eq!(out.msg_responses.len(), 64);
    assert_eq!(node.balance(&tenant.address, DENOM), START - 1_000 - FEE - 64 * 1_000 - FEE);
}

#[test]
fn out_of_gas_in_messages_keeps_fee_and_sequence_only() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let code = artifact("provider");
    // Enough gas for the ante (10 per tx byte plus signature and account access), far too
    // little to compile the code (3 gas per byte).
    let gas = code.len() as u64 * 10 + 100_000;
    let tx = node.sign(&admin, vec![store_code_msg(&admin, code)], FEE, gas, None);
    assert_ok(&node.submit(tx.clone()));
    let produced = node.block();
    let out = &produced.outcome.results[0];
    assert_code(out, "sdk", 11);
    assert!(out.log.contains("out of gas"), "{}", out.log);
    assert_eq!(out.gas_wanted, gas);
    assert!(out.gas_used >= gas, "gas used {} of {gas}", out.gas_used);
    assert!(out.data.is_empty());
    // Fee paid, sequence used, the upload rolled back.
    assert_eq!(node.balance(&admin.address, DENOM), START - FEE);
    assert_eq!(node.balance(&fee_collector(), DENOM), FEE);
    assert_eq!(node.account(&admin.address).expect("account").sequence, 1);
    assert!(node.app().view().host().expect("host").code_info(4).expect("code info").is_none());
    // The ante events stay, no message event was emitted.
    assert!(find_event(out, "tx", &[("fee", "2000ulease")]).is_some());
    assert!(out.events.iter().all(|e| e.attributes.iter().all(|a| a.key != "action")));
    // The failed tx is recorded in the block with its code.
    let block = node.app().view().block(produced.height).expect("block").expect("stored");
    assert_eq!(block.results[0].code, 11);
    assert_eq!(block.txs[0], tx);
}

fn store_code_msg(sender: &Dev, wasm: Vec<u8>) -> Any {
    any(MsgStoreCode { sender: sender.account_id.clone(), wasm_byte_code: wasm, instantiate_permission: None })
}

#[test]
fn uploads_that_fail_keep_fee_and_sequence_only() {
    let mut node = TestNode::new();
    let admin = dev("admin");
    let tenant = dev("tenant");
    let code = artifact("provider");
    let tx = node.sign(&tenant, vec![store_code_msg(&tenant, code)], FEE, UPLOAD_GAS, None);
    let out = node.deliver(tx);
    assert_code(&out, "sdk", 4);
    assert!(out.log.contains("upload"), "{}", out.log);
    let tx = node.sign(
        &admin,
        vec![store_code_msg(&admin, vec![0x00, 0x61, 0x73, 0x6d, 0xde, 0xad])],
        FEE,
        UPLOAD_GAS,
        None,
    );
    assert_code(&node.deliver(tx), "wasm", 2);
    // Empty code fails the stateless checks: refused in CheckTx, no fee, no sequence.
    let tx = node.sign(&admin, vec![store_code_msg(&admin, vec![])], FEE, UPLOAD_GAS, None);
    assert_code(&node.submit(tx), "wasm", 12);
    let host = node.app().view().host().expect("host");
    assert!(host.code_info(4).expect("code info").is_none());
    assert_eq!(node.balance(&tenant.address, DENOM), START - FEE);
    assert_eq!(node.balance(&admin.address, DENOM), START - FEE);
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 1);
    assert_eq!(node.account(&admin.address).expect("account").sequence, 1);
}

#[test]
fn a_failing_message_rolls_back_the_whole_tx_except_fee_and_sequence() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let auditor = dev("auditor");
    let registry = node.registry.clone();
    let init = serde_json::json!({ "market": node.market });
    let instantiate = any(MsgInstantiateContract {
        sender: tenant.account_id.clone(),
        admin: None,
        code_id: 3,
        label: Some("rolled back".into()),
        msg: serde_json::to_vec(&init).expect("json"),
        funds: vec![],
    });
    // Send, instantiate, then a message the registry refuses.
    let refusal = leasehold_types::provider::ExecuteMsg::Delete {};
    let msgs = vec![
        send_of(&tenant, &auditor, 123_456),
        instantiate.clone(),
        execute(&tenant.account_id, &registry, &refusal, vec![]),
    ];
    let tx = node.sign(&tenant, msgs, FEE, GAS, None);
    let out = node.deliver(tx);
    assert_code(&out, "wasm", 5);
    assert!(out.log.contains("message index: 2"), "{}", out.log);
    assert!(out.data.is_empty() && out.msg_responses.is_empty());
    assert_eq!(node.balance(&tenant.address, DENOM), START - FEE);
    assert_eq!(node.balance(&auditor.address, DENOM), START);
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 1);
    let would_be =
        leasehold_keys::encode_address(PREFIX, &leasehold_wasm_host::address::classic(3, 4)).expect("bech32");
    assert!(node.app().view().host().expect("host").contract_info(&would_be).expect("info").is_none());
    // The instance counter was rolled back too: instantiating now gets that very address.
    let out = node.exec(&tenant, vec![instantiate], FEE, GAS);
    assert!(find_event(&out, "instantiate", &[("_contract_address", &would_be)]).is_some());
}

#[test]
fn a_block_with_invalid_txs_executes_the_valid_ones() {
    // Straight through FinalizeBlock, as a faulty proposer could include anything.
    use leasehold_node::app::App;
    use leasehold_node::dev::header::{HeaderInput, build_header};
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::open_dir(dir.path()).expect("open");
    let (genesis_hash, _) = app.init_chain(&genesis()).expect("init");
    let tenant = dev("tenant");
    let admin = dev("admin");
    let sign = |seq: u64, chain: &str| {
        let auth = auth_info(Some(secp_pubkey(&tenant.key.public_key().to_bytes())), seq, FEE, SEND_GAS);
        let number = 2; // the tenant's account number (fee collector 0, admin 1)
        sign_bytes(
            &tenant.key,
            body(vec![small_send(&tenant, &admin)]).encode_to_vec(),
            auth.encode_to_vec(),
            chain,
            number,
        )
        .encode_to_vec()
    };
    let txs = vec![
        vec![0xde, 0xad],
        sign(0, "wrong-chain"),
        sign(0, DEV_CHAIN_ID),
        sign(0, DEV_CHAIN_ID),
        sign(1, DEV_CHAIN_ID),
    ];
    let time = genesis().time().expect("time");
    let (header, id) = build_header(
        &validator(),
        &HeaderInput {
            chain_id: DEV_CHAIN_ID,
            block_params: &leasehold_node::app::params::BlockParams::default(),
            height: 1,
            time,
            last_block_id: None,
            txs: &txs,
            app_hash: &genesis_hash,
            last_results: &[],
        },
    )
    .expect("header");
    let outcome = app.finalize_block(header, id, txs).expect("finalize");
    let codes: Vec<(String, u32)> = outcome.results.iter().map(|r| (r.codespace.clone(), r.code)).collect();
    let expected = [("sdk", 2), ("sdk", 4), ("", 0), ("sdk", 32), ("", 0)];
    assert_eq!(codes, expected.map(|(s, c)| (s.to_string(), c)).to_vec());
    assert_eq!(app.commit().expect("commit"), 1);
    let view = app.view();
    assert_eq!(view.account(&tenant.address).expect("account").expect("tenant").sequence, 2);
    assert_eq!(
        view.balance(&tenant.address, DENOM).expect("balance"),
        cosmwasm_std::Uint256::from(START - 2 * (1_000 + FEE))
    );
}

#[test]
fn bad_signer_addresses_and_too_many_signatures() {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let proto_send = |from: &str| {
        let m = MsgSend {
            from_address: from.into(),
            to_address: tenant.address.clone(),
            amount: vec![ProtoCoin { denom: DENOM.into(), amount: "1".into() }],
        };
        Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: m.encode_to_vec() }
    };
    let own_key = Some(secp_pubkey(&tenant.key.public_key().to_bytes()));
    // An empty sender, another chain's prefix, a broken checksum: invalid address (sdk code 7).
    let wrong_prefix = leasehold_keys::encode_address("cosmos", &[1; 20]).expect("bech32");
    let mut broken = tenant.address.clone();
    broken.pop();
    broken.push(if tenant.address.ends_with('q') { 'p' } else { 'q' });
    for from in ["", wrong_prefix.as_str(), broken.as_str()] {
        let tx = signed(&node, &tenant, &body(vec![proto_send(from)]), &auth_info(own_key.clone(), 0, FEE, SEND_GAS));
        refused(&mut node, tx.encode_to_vec(), "sdk", 7);
    }
    // Eight distinct signers (the limit is 7): sdk code 14, before any signature is looked at.
    let msgs: Vec<Any> = (1..=8).map(|i| proto_send(fresh(i).1.as_ref())).collect();
    let mut auth = auth_info(None, 0, FEE, SEND_GAS);
    auth.signer_infos = vec![auth.signer_infos[0].clone(); 8];
    let raw = TxRaw {
        body_bytes: body(msgs).encode_to_vec(),
        auth_info_bytes: auth.encode_to_vec(),
        signatures: vec![vec![1; 64]; 8],
    };
    refused(&mut node, raw.encode_to_vec(), "sdk", 14);
    nothing_changed(&mut node, &tenant, 0, START);
}

#[test]
fn a_fee_the_payer_can_no_longer_afford_fails_the_tx_without_charging_it() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let admin = dev("admin");
    // CheckTx runs only the ante handler, so both pass; in the block the first tx spends
    // everything but its fee, and the second one's fee cannot be paid.
    let drain = node.sign(&tenant, vec![send_of(&tenant, &admin, START - FEE)], FEE, SEND_GAS, Some(0));
    let then = node.sign(&tenant, vec![small_send(&tenant, &admin)], FEE, SEND_GAS, Some(1));
    let outs = node.deliver_all(vec![drain, then]);
    assert_ok(&outs[0]);
    assert_code(&outs[1], "sdk", 5);
    assert!(outs[1].log.contains("insufficient funds to pay for fees"), "{}", outs[1].log);
    assert!(outs[1].events.is_empty(), "a failed ante handler leaves no events");
    assert_eq!(node.balance(&tenant.address, DENOM), 0);
    assert_eq!(node.balance(&admin.address, DENOM), START + START - FEE);
    assert_eq!(node.balance(&fee_collector(), DENOM), FEE);
    // The sequence of the refused tx was not used: the next tx reuses 1.
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 1);
    let free = node.sign(
        &tenant,
        vec![send(&tenant.account_id, &admin.account_id, vec![coin(1, USDC)])],
        0,
        SEND_GAS,
        Some(1),
    );
    assert_ok(&node.deliver(free));
}

/// Regression: CheckTx ran only the ante handler, so a message with a malformed address passed
/// it, went into a block and failed there — costing its sender the fee and a sequence for a
/// mistake any node could see without state. The stateless checks (the SDK's ValidateBasic) now
/// run first in every mode: CheckTx refuses it (sdk 7), nothing is charged.
#[test]
fn malformed_addresses_are_refused_in_check_tx_before_any_fee() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let market = node.market.clone();
    let raw_any = |type_url: &str, value: Vec<u8>| cosmos_sdk_proto::Any { type_url: type_url.into(), value };
    let bad_to = raw_any(
        "/cosmos.bank.v1beta1.MsgSend",
        cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
            from_address: tenant.address.clone(),
            to_address: "lease1notanaddress".into(),
            amount: vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin { denom: DENOM.into(), amount: "1".into() }],
        }
        .encode_to_vec(),
    );
    let bad_contract = raw_any(
        "/cosmwasm.wasm.v1.MsgExecuteContract",
        cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract {
            sender: tenant.address.clone(),
            contract: market.replace("lease1", "cosmos1"),
            msg: b"{}".to_vec(),
            funds: vec![],
        }
        .encode_to_vec(),
    );
    for msg in [bad_to, bad_contract] {
        let tx = node.sign(&tenant, vec![msg], FEE, 200_000, None);
        let out = node.submit(tx);
        assert_code(&out, "sdk", 7);
    }
    node.block();
    assert_eq!(node.balance(&tenant.address, DENOM), START, "no fee was taken");
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 0);
}

/// Tx malleability (ADR-027): the same signed tx re-encoded another way — its `TxRaw` fields
/// reordered or carrying an unknown field, or unknown fields in the body or auth info — is
/// refused with a clear decode error (sdk 2) instead of entering the chain under a second hash.
#[test]
fn re_encoded_and_unknown_field_txs_are_refused() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let admin = dev("admin");
    let signed = node.sign(&tenant, vec![send_of(&tenant, &admin, 1)], FEE, 200_000, None);
    let raw = TxRaw::decode(signed.as_slice()).expect("raw");
    let field = |n: u8, bytes: &[u8]| {
        let mut out = vec![(n << 3) | 2];
        prost::encoding::encode_varint(bytes.len() as u64, &mut out);
        out.extend_from_slice(bytes);
        out
    };
    // The signatures first, then the body and auth info: the same fields, another encoding.
    let mut reordered = Vec::new();
    for s in &raw.signatures {
        reordered.extend(field(3, s));
    }
    reordered.extend(field(1, &raw.body_bytes));
    reordered.extend(field(2, &raw.auth_info_bytes));
    // An unknown field appended.
    let mut unknown = signed.clone();
    unknown.extend([0x20, 0x01]); // field 4, varint 1
    let mut body_unknown = raw.clone();
    body_unknown.body_bytes.extend([0x58, 0x01]); // field 11, varint 1
    let mut auth_unknown = raw.clone();
    auth_unknown.auth_info_bytes.extend([0x48, 0x01]); // field 9, varint 1
    let limits = node.app().params().expect("params").limits.clone();
    for (bytes, what) in [
        (reordered, "TxRaw"),
        (unknown, "TxRaw"),
        (body_unknown.encode_to_vec(), "tx body"),
        (auth_unknown.encode_to_vec(), "tx auth info"),
    ] {
        let err = leasehold_node::tx::decode_tx(&bytes, &limits).expect_err("refused");
        assert!(err.to_string().contains(what) && err.to_string().contains("canonically"), "{what}: {err}");
        assert_code(&node.submit(bytes), "sdk", 2);
    }
    // The canonical bytes still go through, once.
    assert_ok(&node.deliver(signed));
    assert_eq!(node.account(&tenant.address).expect("account").sequence, 1);
}

/// The mempool's re-check after a commit does not verify signatures again (the SDK's
/// `ReCheckTx`): a tx in the pool was verified at admission and its bytes cannot change. The
/// mode differs only there: a bad signature fails CheckTx, passes the re-check; sequences are
/// still checked anew.
#[test]
fn recheck_skips_only_the_signature_verification() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let admin = dev("admin");
    let signed = node.sign(&tenant, vec![send_of(&tenant, &admin, 1)], FEE, 200_000, None);
    let mut raw = TxRaw::decode(signed.as_slice()).expect("raw");
    raw.signatures[0][5] ^= 1;
    let tampered = raw.encode_to_vec();
    assert_code(&node.submit(tampered.clone()), "sdk", 4);
    let app = node.producer.app_mut();
    assert_ok(&app.recheck_tx(&tampered));
    // The re-check did advance the CheckTx sequence; a second one with the same sequence fails.
    assert_code(&app.recheck_tx(&tampered), "sdk", 32);
}

/// One account named twice, once in its upper-case spelling (the same bytes, a valid bech32
/// string): signers are compared on their canonical form — the upper-case address is refused
/// in CheckTx before any fee (sdk 7), however many signatures the tx carries, and the account's
/// sequence is not incremented twice.
#[test]
fn one_signer_spelled_two_ways_is_refused_before_any_fee() {
    let mut node = TestNode::new();
    let (tenant, auditor) = (dev("tenant"), dev("auditor"));
    let upper = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: tenant.address.to_uppercase(),
        to_address: auditor.address.clone(),
        amount: vec![ProtoCoin { denom: DENOM.into(), amount: "1000".into() }],
    };
    let upper = Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: upper.encode_to_vec() };
    let msgs = vec![small_send(&tenant, &auditor), upper];
    let pk = Some(secp_pubkey(&tenant.key.public_key().to_bytes()));
    let mut auth = auth_info(pk, 0, FEE, SEND_GAS);
    auth.signer_infos.push(auth.signer_infos[0].clone());
    let number = node.account(&tenant.address).expect("account").account_number;
    let one = sign_bytes(&tenant.key, body(msgs.clone()).encode_to_vec(), auth.encode_to_vec(), DEV_CHAIN_ID, number);
    let twice =
        TxRaw { signatures: vec![one.signatures[0].clone(), one.signatures[0].clone()], ..one.clone() }.encode_to_vec();
    let balance = node.balance(&tenant.address, DENOM);
    let out = refused(&mut node, twice, "sdk", 7);
    assert!(out.log.contains("invalid from address"), "{}", out.log);
    // With a single signature it is refused too (two signers by string, one signature).
    refused(&mut node, one.encode_to_vec(), "sdk", 4);
    nothing_changed(&mut node, &tenant, 0, balance);
}
