//! The CometBFT 0.38 JSON-RPC of `start --dev`, over real sockets: every method against a dev
//! node started in process (`start_dev`, free ports), with answers read back through
//! tendermint-rpc's own response types (`Response::from_string`, what its `HttpClient` does with
//! a body) and checked for the fields CosmJS's comet38 adaptor requires; the GET (URI) form;
//! broadcasts of real signed txs; tx search by hash, sender and wasm attributes with paging;
//! websocket subscriptions; and every kind of bad input with CometBFT's error codes and limits.

#[path = "common/rpc.rs"]
mod client;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use client::*;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountRequest, QueryAccountResponse};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{QuerySmartContractStateRequest, QuerySmartContractStateResponse};
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use futures::SinkExt;
use leasehold_node::app::ChainView;
use leasehold_node::devnet::DEV_CHAIN_ID;
use leasehold_node::node::marketplace;
use leasehold_node::rpc::Limits;
use prost::Message;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tendermint::crypto::signature::Verifier;
use tendermint_rpc::Response as _;
use tendermint_rpc::endpoint::{
    abci_info, abci_query, block, block_results, blockchain, broadcast, genesis, status, tx, tx_search,
};

use crate::common::market::register;
use crate::common::{DENOM, Dev, TestNode, coin, dev, execute, fresh, send};

const GAS: u64 = 2_000_000;
/// Covers the dev node's minimum gas price (0.025ulease) for [`GAS`].
const FEE: u128 = 50_000;

/// A signed tx of `msgs` by `who`, `ahead` txs after its committed sequence.
fn signed(view: &ChainView, who: &Dev, msgs: Vec<cosmos_sdk_proto::Any>, ahead: u64) -> Vec<u8> {
    let acc = view.account(&who.address).expect("account query").expect("account exists");
    let body = Body::new(msgs, "", 0u32);
    let auth = SignerInfo::single_direct(Some(who.key.public_key()), acc.sequence + ahead)
        .auth_info(Fee::from_amount_and_gas(coin(FEE, DENOM), GAS));
    let doc = SignDoc::new(&body, &auth, &DEV_CHAIN_ID.parse().unwrap(), acc.account_number).unwrap();
    doc.sign(&who.key).unwrap().to_bytes().unwrap()
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(bytes))
}

/// `abci_query` through JSON-RPC; the decoded `response`.
async fn abci(addr: std::net::SocketAddr, path: &str, data: Vec<u8>) -> abci_query::AbciQuery {
    let text = call_text(addr, "abci_query", json!({"path": path, "data": hex::encode(data)})).await;
    abci_query::Response::from_string(&text).expect("abci_query shape").response
}

/// Waits until the node has committed `height`.
async fn wait_height(view: &ChainView, height: u64) {
    for _ in 0..1500 {
        if view.status().height >= height {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("height {height} not reached");
}

fn assert_non_empty_str(v: &Value, what: &str) {
    assert!(v.as_str().is_some_and(|s| !s.is_empty()), "{what} must be a non-empty string: {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_queries_blocks_and_genesis_answer_in_cometbft_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(dir.path()).await;
    let addr = node.rpc_addr;
    wait_height(&node.view, 3).await;

    // status: what CosmJS's connectComet and tendermint-rs's compat detection read.
    let text = call_text(addr, "status", json!({})).await;
    let st = status::Response::from_string(&text).expect("status shape");
    assert!(st.node_info.version.to_string().starts_with("0.38."), "{}", st.node_info.version);
    assert_eq!(st.node_info.network.as_str(), DEV_CHAIN_ID);
    assert!(st.sync_info.latest_block_height.value() >= 3);
    assert!(!st.sync_info.catching_up);
    assert_eq!(st.sync_info.earliest_block_height.value(), 1);
    let v: Value = serde_json::from_str(&text).unwrap();
    let r = &v["result"];
    for p in ["p2p", "block", "app"] {
        assert_non_empty_str(&r["node_info"]["protocol_version"][p], p);
    }
    for f in ["id", "listen_addr", "network", "moniker"] {
        assert_non_empty_str(&r["node_info"][f], f);
    }
    assert_eq!(r["node_info"]["other"]["tx_index"], "on");
    for f in ["latest_block_hash", "latest_app_hash", "latest_block_height", "latest_block_time"] {
        assert_non_empty_str(&r["sync_info"][f], f);
    }
    let val = &r["validator_info"];
    assert_eq!(val["voting_power"], "10");
    assert_eq!(val["pub_key"]["type"], "tendermint/PubKeyEd25519");
    assert_eq!(val["address"].as_str().unwrap(), val["address"].as_str().unwrap().to_uppercase());
    assert_eq!(val["address"].as_str().unwrap().len(), 40);

    // health, abci_info; the GET form answers the same with id -1.
    assert_eq!(call(addr, "health", json!({})).await, json!({}));
    let info = abci_info::Response::from_string(call_text(addr, "abci_info", json!([])).await).unwrap();
    assert!(info.response.last_block_height.value() >= 3);
    let get = http(addr, "GET", "/status", b"").await;
    assert_eq!(get.status, 200);
    assert_eq!(get.json()["id"], -1);
    assert!(status::Response::from_string(&get.body).is_ok());

    // abci_query: account, balance, smart query, simulate, unknown account.
    let tenant = dev("tenant");
    let q = abci(
        addr,
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest { address: tenant.address.clone() }.encode_to_vec(),
    )
    .await;
    assert_eq!(q.code.value(), 0, "{}", q.log);
    assert!(q.height.value() >= 3);
    let any = QueryAccountResponse::decode(q.value.as_slice()).unwrap().account.unwrap();
    assert_eq!(BaseAccount::decode(any.value.as_slice()).unwrap().address, tenant.address);
    let balance_req = QueryBalanceRequest { address: tenant.address.clone(), denom: "uusdc".into() }.encode_to_vec();
    let q = abci(addr, "/cosmos.bank.v1beta1.Query/Balance", balance_req.clone()).await;
    assert_eq!(QueryBalanceResponse::decode(q.value.as_slice()).unwrap().balance.unwrap().amount, "1000000000000");
    let get = http(
        addr,
        "GET",
        &format!("/abci_query?path=%22/cosmos.bank.v1beta1.Query/Balance%22&data=0x{}", hex::encode(&balance_req)),
        b"",
    )
    .await;
    assert_eq!(get.status, 200, "{}", get.body);
    let q2 = abci_query::Response::from_string(&get.body).unwrap().response;
    assert_eq!(q2.value, q.value);
    let market = marketplace(&node.view).unwrap().expect("marketplace at genesis");
    let q = abci(
        addr,
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        QuerySmartContractStateRequest { address: market.market.clone(), query_data: br#"{"config":{}}"#.to_vec() }
            .encode_to_vec(),
    )
    .await;
    assert_eq!(q.code.value(), 0, "{}", q.log);
    let config: Value =
        serde_json::from_slice(&QuerySmartContractStateResponse::decode(q.value.as_slice()).unwrap().data).unwrap();
    assert_eq!(config["escrow"], market.escrow.as_str());
    let (_, to) = fresh(41);
    let tx_bytes = signed(&node.view, &tenant, vec![send(&tenant.account_id, &to, vec![coin(5, DENOM)])], 0);
    let q = abci(
        addr,
        "/cosmos.tx.v1beta1.Service/Simulate",
        SimulateRequest { tx_bytes, ..Default::default() }.encode_to_vec(),
    )
    .await;
    assert_eq!(q.code.value(), 0, "{}", q.log);
    assert!(SimulateResponse::decode(q.value.as_slice()).unwrap().gas_info.unwrap().gas_used > 0);
    let q = abci(
        addr,
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest { address: to.to_string() }.encode_to_vec(),
    )
    .await;
    assert_eq!((q.code.value(), q.codespace.as_str()), (22, "sdk"));
    assert!(q.log.contains("rpc error: code = NotFound"), "{}", q.log);
    assert!(q.height.value() > 0, "CosmJS refuses a zero height");

    // block 1: CometBFT's empty last commit; a later block: the header hashes to the block id
    // and the last commit is the dev validator's valid precommit of the block before.
    let b1 = call(addr, "block", json!({"height": "1"})).await;
    assert_eq!(b1["block"]["last_commit"]["height"], "0");
    assert_eq!(b1["block"]["last_commit"]["block_id"]["hash"], "");
    assert_eq!(b1["block"]["header"]["last_block_id"]["hash"], "");
    let text = call_text(addr, "block", json!({"height": "3"})).await;
    let b3 = block::Response::from_string(&text).expect("block shape");
    assert_eq!(b3.block.header.hash(), b3.block_id.hash);
    let commit = b3.block.last_commit.clone().expect("a last commit");
    assert_eq!(commit.height.value(), 2);
    let b2 = block::Response::from_string(call_text(addr, "block", json!({"height": "2"})).await).unwrap();
    assert_eq!(commit.block_id, b2.block_id);
    let tendermint::block::CommitSig::BlockIdFlagCommit { validator_address, timestamp, signature } =
        &commit.signatures[0]
    else {
        panic!("a commit signature")
    };
    assert_eq!(hex::encode_upper(validator_address.as_bytes()), val["address"].as_str().unwrap());
    let vote = tendermint::vote::Vote {
        vote_type: tendermint::vote::Type::Precommit,
        height: commit.height,
        round: commit.round,
        block_id: Some(commit.block_id),
        timestamp: Some(*timestamp),
        validator_address: *validator_address,
        validator_index: 0u32.try_into().unwrap(),
        signature: None,
        extension: vec![],
        extension_signature: None,
    };
    let sign_bytes = vote.into_signable_vec(b3.block.header.chain_id.clone());
    tendermint::crypto::default::signature::Verifier::verify(
        st.validator_info.pub_key,
        &sign_bytes,
        signature.as_ref().expect("signed"),
    )
    .expect("the commit signature verifies with the validator's key");
    let latest = block::Response::from_string(call_text(addr, "block", json!({})).await).unwrap();
    assert!(latest.block.header.height.value() >= 3);
    let by_hash = call(addr, "block_by_hash", json!({"hash": b64(b3.block_id.hash.as_bytes())})).await;
    assert_eq!(by_hash["block"]["header"]["height"], "3");
    let none = call(addr, "block_by_hash", json!({"hash": b64(&[9; 32])})).await;
    assert!(none["block"].is_null());

    // blockchain: newest first, CosmJS's required string fields.
    let text = call_text(addr, "blockchain", json!({"minHeight": "1", "maxHeight": "3"})).await;
    let chain = blockchain::Response::from_string(&text).expect("blockchain shape");
    let heights: Vec<u64> = chain.block_metas.iter().map(|m| m.header.height.value()).collect();
    assert_eq!(heights, vec![3, 2, 1]);
    let v: Value = serde_json::from_str(&text).unwrap();
    for f in ["block_size", "num_txs"] {
        assert_non_empty_str(&v["result"]["block_metas"][0][f], f);
    }
    assert_eq!(v["result"]["block_metas"][0]["block_id"]["parts"]["total"], 1);

    // block_results of an empty block, validators, genesis.
    let text = call_text(addr, "block_results", json!({"height": "2"})).await;
    let br = block_results::Response::from_string(&text).expect("block_results shape");
    assert_eq!(br.height.value(), 2);
    let vals = call(addr, "validators", json!({})).await;
    assert_eq!((vals["count"].as_str(), vals["total"].as_str()), (Some("1"), Some("1")));
    assert_eq!(vals["validators"][0]["voting_power"], "10");
    assert_eq!(vals["validators"][0]["address"], val["address"]);
    assert_non_empty_str(&vals["validators"][0]["proposer_priority"], "proposer_priority");
    let text = call_text(addr, "genesis", json!({})).await;
    let g = genesis::Response::<Value>::from_string(&text).expect("genesis shape");
    assert_eq!(g.genesis.chain_id.as_str(), DEV_CHAIN_ID);
    assert_eq!(g.genesis.validators.len(), 1);
    assert_eq!(g.genesis.validators[0].power(), 10);
    assert!(g.genesis.app_state["wasm"]["codes"].is_array());
    assert_eq!(g.genesis.consensus_params.block.max_bytes, 22_020_096);

    // A batch answers every request in order.
    let a = post(
        addr,
        r#"[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","id":"two","method":"abci_info"},{"jsonrpc":"2.0","method":"health"}]"#,
    )
    .await;
    let batch = a.json();
    assert_eq!(batch.as_array().map(Vec::len), Some(2), "the notification gets no answer: {batch}");
    assert_eq!((batch[0]["id"].clone(), batch[1]["id"].clone()), (json!(1), json!("two")));
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_txs_and_finds_them_by_hash_sender_and_wasm_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(dir.path()).await;
    let addr = node.rpc_addr;
    wait_height(&node.view, 2).await;
    let tenant = dev("tenant");
    let (_, to) = fresh(42);
    let pay = |n: u128| vec![send(&tenant.account_id, &to, vec![coin(n, DENOM)])];

    // sync, async, then commit (one sequence after the other, queued in the mempool).
    let tx1 = signed(&node.view, &tenant, pay(1), 0);
    let text = call_text(addr, "broadcast_tx_sync", json!({"tx": b64(&tx1)})).await;
    let r = broadcast::tx_sync::Response::from_string(&text).expect("tx_sync shape");
    assert_eq!(r.code.value(), 0, "{}", r.log);
    assert_eq!(r.hash.to_string(), sha256_hex(&tx1));
    let tx2 = signed(&node.view, &tenant, pay(2), 1);
    let r = broadcast::tx_async::Response::from_string(call_text(addr, "broadcast_tx_async", json!([b64(&tx2)])).await)
        .unwrap();
    assert_eq!(r.hash.to_string(), sha256_hex(&tx2));
    let tx3 = signed(&node.view, &tenant, pay(3), 2);
    let text = call_text(addr, "broadcast_tx_commit", json!({"tx": b64(&tx3)})).await;
    let r = broadcast::tx_commit::Response::from_string(&text).expect("tx_commit shape");
    assert_eq!((r.check_tx.code.value(), r.tx_result.code.value()), (0, 0), "{text}");
    assert!(r.height.value() > 0);
    assert_eq!(r.hash.to_string(), sha256_hex(&tx3));
    let commit_height = r.height.value();
    // A tx CheckTx refuses comes back at once, with height 0 (as CometBFT).
    let r = broadcast::tx_commit::Response::from_string(
        call_text(addr, "broadcast_tx_commit", json!({"tx": b64(&tx1)})).await,
    )
    .unwrap();
    assert_ne!(r.check_tx.code.value(), 0);
    assert_eq!(r.height.value(), 0);

    // tx by hash (JSON: base64; GET: 0x-hex), with string event attributes indexed.
    wait_height(&node.view, commit_height).await;
    let text = call_text(addr, "tx", json!({"hash": b64(&Sha256::digest(&tx1))})).await;
    let t = tx::Response::from_string(&text).expect("tx shape");
    assert_eq!((t.tx, t.tx_result.code.value()), (tx1.clone(), 0));
    let v: Value = serde_json::from_str(&text).unwrap();
    let message =
        v["result"]["tx_result"]["events"].as_array().unwrap().iter().find(|e| e["type"] == "message").unwrap().clone();
    assert!(
        message["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["key"].is_string() && a["value"].is_string() && a["index"] == true)
    );
    assert_eq!(v["result"]["index"], 0, "index is a JSON number");
    // `data` is base64 (CosmJS decodes it as TxMsgData), gas amounts are strings.
    let data = B64.decode(v["result"]["tx_result"]["data"].as_str().expect("data is a base64 string")).unwrap();
    let msg_data = cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData::decode(data.as_slice()).unwrap();
    assert_eq!(msg_data.msg_responses[0].type_url, "/cosmos.bank.v1beta1.MsgSendResponse");
    assert_non_empty_str(&v["result"]["tx_result"]["gas_used"], "gas_used");
    assert_non_empty_str(&v["result"]["height"], "height");
    let get = http(addr, "GET", &format!("/tx?hash=0x{}", sha256_hex(&tx1)), b"").await;
    assert_eq!(get.status, 200, "{}", get.body);
    assert_eq!(tx::Response::from_string(&get.body).unwrap().hash.to_string(), sha256_hex(&tx1));
    let e = call_err(addr, "tx", json!({"hash": b64(&[1; 32])})).await;
    assert_eq!(e["code"], -32603);
    assert!(e["data"].as_str().unwrap().contains("not found"), "{e}");

    // tx_search: by hash (what CosmJS's getTx sends), by sender with paging and order.
    let found = tx_search::Response::from_string(
        call_text(addr, "tx_search", json!({"query": format!("tx.hash='{}'", sha256_hex(&tx2))})).await,
    )
    .unwrap();
    assert_eq!((found.total_count, found.txs[0].tx.clone()), (1, tx2.clone()));
    let by_sender = format!("message.sender='{}'", tenant.address);
    let all =
        tx_search::Response::from_string(call_text(addr, "tx_search", json!({"query": by_sender})).await).unwrap();
    assert_eq!(all.total_count, 3);
    let order: Vec<Vec<u8>> = all.txs.iter().map(|t| t.tx.clone()).collect();
    assert_eq!(order, vec![tx1.clone(), tx2.clone(), tx3.clone()]);
    let page2 = tx_search::Response::from_string(
        call_text(addr, "tx_search", json!({"query": by_sender, "page": "2", "per_page": "2"})).await,
    )
    .unwrap();
    assert_eq!((page2.total_count, page2.txs.len()), (3, 1));
    assert_eq!(page2.txs[0].tx, tx3);
    let desc = tx_search::Response::from_string(
        call_text(addr, "tx_search", json!({"query": by_sender, "order_by": "desc", "per_page": 1, "prove": true}))
            .await,
    )
    .unwrap();
    assert_eq!(desc.txs[0].tx, tx3);
    let e = call_err(addr, "tx_search", json!({"query": by_sender, "page": "3", "per_page": "2"})).await;
    assert_eq!(e["code"], -32603);
    assert_eq!(e["data"], "page should be within [1, 2] range, given 3");
    let by_height = format!("tx.height={commit_height} AND message.sender='{}'", tenant.address);
    let at = tx_search::Response::from_string(call_text(addr, "tx_search", json!({"query": by_height})).await).unwrap();
    assert!(at.txs.iter().any(|t| t.tx == tx3));

    // A contract call, searched by its wasm attributes.
    let gpu = dev("provider-gpu");
    let registry = marketplace(&node.view).unwrap().unwrap().provider;
    let reg = signed(&node.view, &gpu, vec![execute(&gpu.account_id, &registry, &register("gpu"), vec![])], 0);
    let r = broadcast::tx_commit::Response::from_string(
        call_text(addr, "broadcast_tx_commit", json!({"tx": b64(&reg)})).await,
    )
    .unwrap();
    assert_eq!(r.tx_result.code.value(), 0, "{}", r.tx_result.log);
    let wasm_q = format!("wasm._contract_address='{registry}' AND message.sender='{}'", gpu.address);
    let w = tx_search::Response::from_string(call_text(addr, "tx_search", json!({"query": wasm_q})).await).unwrap();
    assert_eq!((w.total_count, w.txs[0].tx.clone()), (1, reg.clone()));

    // block_results of that block: the tx results with their events.
    let text = call_text(addr, "block_results", json!({"height": r.height.to_string()})).await;
    let br = block_results::Response::from_string(&text).expect("block_results shape");
    let results = br.txs_results.expect("tx results");
    assert!(results.iter().any(|t| t.events.iter().any(|e| e.kind == "wasm")));
    let v: Value = serde_json::from_str(&text).unwrap();
    for f in
        ["height", "txs_results", "finalize_block_events", "validator_updates", "consensus_param_updates", "app_hash"]
    {
        assert!(v["result"].get(f).is_some(), "block_results lacks {f}: {v}");
    }
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_subscriptions_deliver_new_blocks_and_txs() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(dir.path()).await;
    let addr = node.rpc_addr;
    wait_height(&node.view, 2).await;
    let mut ws = ws_connect(addr).await;

    // Plain methods work over the websocket too.
    let v = ws_call(&mut ws, 1, "health", json!({})).await;
    assert_eq!(v["result"], json!({}));

    let v = ws_call(&mut ws, 2, "subscribe", json!({"query": "tm.event='NewBlock'"})).await;
    assert_eq!(v["result"], json!({}));
    let ev = ws_next(&mut ws, Duration::from_secs(10)).await.expect("a NewBlock event");
    assert_eq!(ev["id"], 2, "events reuse the subscribe call's id");
    assert_eq!(ev["result"]["query"], "tm.event='NewBlock'");
    assert_eq!(ev["result"]["data"]["type"], "tendermint/event/NewBlock");
    assert_eq!(ev["result"]["events"]["tm.event"], json!(["NewBlock"]));
    let parsed = tendermint_rpc::event::v0_38::DeEvent::from_string(ev.to_string()).expect("NewBlock event shape");
    let tendermint_rpc::event::Event { data, .. } = parsed.into();
    let tendermint_rpc::event::EventData::NewBlock { block, block_id, .. } = data else { panic!("a 0.38 NewBlock") };
    assert_eq!(block.expect("the block").header.hash(), block_id.hash);

    // A Tx subscription narrowed by sender: only that sender's tx arrives.
    let admin = dev("admin");
    let q = format!("tm.event='Tx' AND message.sender='{}'", admin.address);
    let v = ws_call(&mut ws, 3, "subscribe", json!({"query": q})).await;
    assert_eq!(v["result"], json!({}));
    let v = ws_call(&mut ws, 4, "unsubscribe", json!({"query": "tm.event = 'NewBlock'"})).await;
    assert_eq!(v["result"], json!({}), "unsubscribe matches the query ignoring spaces");
    let tenant = dev("tenant");
    let (_, to) = fresh(43);
    let other = signed(&node.view, &tenant, vec![send(&tenant.account_id, &to, vec![coin(1, DENOM)])], 0);
    let mine = signed(&node.view, &admin, vec![send(&admin.account_id, &to, vec![coin(1, DENOM)])], 0);
    for t in [&other, &mine] {
        assert_eq!(call(addr, "broadcast_tx_sync", json!({"tx": b64(t)})).await["code"], 0);
    }
    let ev = loop {
        let ev = ws_next(&mut ws, Duration::from_secs(10)).await.expect("a Tx event");
        assert_ne!(ev["id"], 2, "no NewBlock after unsubscribe");
        if ev["id"] == 3 {
            break ev;
        }
    };
    assert_eq!(ev["result"]["data"]["type"], "tendermint/event/Tx");
    let tx_result = &ev["result"]["data"]["value"]["TxResult"];
    assert_eq!(tx_result["tx"], b64(&mine));
    assert_eq!(tx_result["result"]["code"], 0);
    assert!(tx_result["result"]["data"].is_string(), "data is base64: {tx_result}");
    assert_non_empty_str(&tx_result["height"], "height");
    assert_eq!(ev["result"]["events"]["tx.hash"], json!([sha256_hex(&mine)]));
    assert_eq!(ev["result"]["events"]["tm.event"], json!(["Tx"]));
    assert!(tendermint_rpc::event::v0_38::DeEvent::from_string(ev.to_string()).is_ok(), "Tx event shape");
    // The tenant's tx never arrives on this subscription.
    while let Ok(Some(ev)) =
        tokio::time::timeout(Duration::from_millis(400), ws_next(&mut ws, Duration::from_secs(1))).await
    {
        assert_ne!(ev["result"]["data"]["value"]["TxResult"]["tx"], b64(&other));
    }
    let v = ws_call(&mut ws, 5, "unsubscribe_all", json!({})).await;
    assert_eq!(v["result"], json!({}));
    let v = ws_call(&mut ws, 6, "unsubscribe_all", json!({})).await;
    assert_eq!(v["error"]["data"], "subscription not found");
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_bad_input_gets_cometbft_errors() {
    let node = TestNode::new();
    let server = serve_test_node(&node, Limits::default()).await;
    let addr = server.addr;
    let error = |a: &HttpAnswer| a.json()["error"].clone();

    // Not JSON (text, binary, nested too deep): -32700, HTTP 500, id null.
    for body in [b"{not json".to_vec(), vec![0xff, 0xfe, 0x00, 0x80], "[".repeat(10_000).into_bytes()] {
        let a = http(addr, "POST", "/", &body).await;
        assert_eq!((a.status, error(&a)["code"].clone(), a.json()["id"].clone()), (500, json!(-32700), Value::Null));
        assert_eq!(error(&a)["message"], "Parse error. Invalid JSON");
    }
    // Not a request: -32600.
    for body in [
        "5",
        r#"{"jsonrpc":"2.0","id":true,"method":"status"}"#,
        r#"{"jsonrpc":"2.0","id":1}"#,
        "[]",
        r#"{"jsonrpc":"1.0","id":1,"method":"health"}"#,
    ] {
        let a = post(addr, body).await;
        assert_eq!(error(&a)["code"], -32600, "{body}: {}", a.body);
    }
    // Unknown methods, websocket-only methods over HTTP, unknown paths.
    assert_eq!(call_err(addr, "no_such_method", json!({})).await["code"], -32601);
    assert_eq!(call_err(addr, "subscribe", json!({"query": "tm.event='Tx'"})).await["code"], -32601);
    let a = http(addr, "GET", "/subscribe?query=%22tm.event='Tx'%22", b"").await;
    assert_eq!((a.status, error(&a)["code"].clone()), (404, json!(-32601)));
    assert_eq!(http(addr, "GET", "/nope", b"").await.status, 404);
    assert_eq!(http(addr, "GET", "/a/b", b"").await.status, 404);
    // Bad params: -32602 with CometBFT's data prefix.
    for (method, params) in [
        ("block", json!({"height": "abc"})),
        ("block", json!({"height": true})),
        ("block", json!({"height": 1.5})),
        ("broadcast_tx_sync", json!({"tx": "%%% not base64"})),
        ("tx", json!({"hash": "***"})),
        ("abci_query", json!({"path": "/x", "data": "zz"})),
        ("abci_query", json!({"path": 7})),
        ("tx_search", json!({"query": "a.b="})),
        ("tx_search", json!({"query": "message.sender='x'", "order_by": "sideways"})),
        ("tx_search", json!({"query": "x".repeat(600)})),
        ("block", json!(["1", "2"])),
        ("block", json!("1")),
        ("broadcast_tx_sync", json!({})),
    ] {
        let e = call_err(addr, method, params.clone()).await;
        assert_eq!(e["code"], -32602, "{method} {params}: {e}");
        assert_eq!(e["message"], "Invalid params");
        assert_non_empty_str(&e["data"], "data");
    }
    let e = call_err(addr, "block", json!({"height": "abc"})).await;
    assert!(e["data"].as_str().unwrap().starts_with("error converting json params to arguments: "), "{e}");
    for target in ["/block?height=abc", "/abci_query?path=/unquoted", "/tx?hash=0xZZ", "/block?height=0x10"] {
        let a = http(addr, "GET", target, b"").await;
        assert_eq!((a.status, error(&a)["code"].clone()), (500, json!(-32602)), "{target}: {}", a.body);
        assert!(error(&a)["data"].as_str().unwrap().starts_with("error converting http params to arguments: "));
    }
    // Well-formed but unanswerable: -32603 with CometBFT's text.
    let e = call_err(addr, "block", json!({"height": "1000000"})).await;
    assert_eq!(e["code"], -32603);
    assert_eq!(e["data"], "height 1000000 must be less than or equal to the current blockchain height 1");
    assert_eq!(
        call_err(addr, "block_results", json!({"height": "0"})).await["data"],
        "height must be greater than 0, but got 0"
    );
    assert_eq!(call_err(addr, "broadcast_tx_sync", json!({"tx": "AQID"})).await["code"], -32603);
    // Oversized body: refused with 413 and a clear error; the server keeps serving.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{{"tx":"{}"}}}}"#,
        "A".repeat(1_000_000)
    );
    let a = http(addr, "POST", "/", big.as_bytes()).await;
    assert_eq!((a.status, error(&a)["code"].clone()), (413, json!(-32600)), "{}", &a.body[..a.body.len().min(300)]);
    assert!(error(&a)["data"].as_str().unwrap().contains("max_body_bytes is 1000000"));
    // Notifications get no answer; the method list is at GET /.
    let a = post(addr, r#"{"jsonrpc":"2.0","method":"health"}"#).await;
    assert_eq!((a.status, a.body.as_str()), (200, ""));
    let a = http(addr, "GET", "/", b"").await;
    assert!(a.status == 200 && a.body.contains("/abci_query?path=_&data=_&height=_&prove=_"), "{}", a.body);
    assert_eq!(call(addr, "health", json!({})).await, json!({}));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_bad_input_and_subscription_limits() {
    let mut node = TestNode::new();
    let limits = Limits { max_subscription_clients: 2, ..Limits::default() };
    let server = serve_test_node(&node, limits).await;
    let addr = server.addr;
    let mut ws = ws_connect(addr).await;

    // Bad messages get errors and the connection stays usable.
    ws_send(&mut ws, "{oops").await;
    assert_eq!(ws_next(&mut ws, Duration::from_secs(5)).await.unwrap()["error"]["code"], -32700);
    ws_send(&mut ws, r#"[{"jsonrpc":"2.0","id":1,"method":"health"}]"#).await;
    assert_eq!(ws_next(&mut ws, Duration::from_secs(5)).await.unwrap()["error"]["code"], -32600);
    ws_send(&mut ws, r#"{"jsonrpc":"2.0","method":"health"}"#).await; // a notification: no answer
    assert_eq!(ws_call(&mut ws, 2, "nope", json!({})).await["error"]["code"], -32601);
    assert_eq!(ws_call(&mut ws, 3, "subscribe", json!({"query": "tm.event="})).await["error"]["code"], -32602);
    assert_eq!(ws_call(&mut ws, 4, "subscribe", json!({"query": 5})).await["error"]["code"], -32602);
    assert_eq!(ws_call(&mut ws, 5, "subscribe", json!({})).await["error"]["code"], -32602);
    assert_eq!(
        ws_call(&mut ws, 6, "unsubscribe", json!({"query": "tm.event='Tx'"})).await["error"]["data"],
        "subscription not found"
    );
    ws.send(tokio_tungstenite::tungstenite::Message::binary(br#"{"jsonrpc":"2.0","id":7,"method":"health"}"#.to_vec()))
        .await
        .unwrap();
    assert_eq!(ws_next(&mut ws, Duration::from_secs(5)).await.unwrap()["id"], 7);

    // At most 5 subscriptions per client, no duplicates.
    let queries = [
        "tm.event='NewBlock'",
        "tm.event='Tx'",
        "tm.event='Tx' AND a.b='1'",
        "tm.event='Tx' AND a.b='2'",
        "tm.event='Tx' AND a.b='3'",
    ];
    for (i, q) in queries.iter().enumerate() {
        let v = ws_call(&mut ws, 10 + i as u64, "subscribe", json!({"query": q})).await;
        assert_eq!(v["result"], json!({}), "{q}: {v}");
    }
    let v = ws_call(&mut ws, 20, "subscribe", json!({"query": "tm.event='Tx' AND a.b='4'"})).await;
    assert_eq!(
        (v["error"]["code"].clone(), v["error"]["data"].clone()),
        (json!(-32603), json!("max_subscriptions_per_client 5 reached"))
    );
    let v = ws_call(&mut ws, 21, "unsubscribe", json!({"query": queries[4]})).await;
    assert_eq!(v["result"], json!({}));
    let v = ws_call(&mut ws, 22, "subscribe", json!({"query": queries[0]})).await;
    assert_eq!(v["error"]["data"], "already subscribed");

    // At most 2 subscribing clients; a slot frees when a client leaves.
    let mut ws2 = ws_connect(addr).await;
    assert_eq!(ws_call(&mut ws2, 1, "subscribe", json!({"query": queries[0]})).await["result"], json!({}));
    let mut ws3 = ws_connect(addr).await;
    let v = ws_call(&mut ws3, 1, "subscribe", json!({"query": queries[0]})).await;
    assert_eq!(v["error"]["data"], "max_subscription_clients 2 reached");
    drop(ws2);
    let mut ok = false;
    for i in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if ws_call(&mut ws3, 2 + i, "subscribe", json!({"query": queries[0]})).await.get("result").is_some() {
            ok = true;
            break;
        }
    }
    assert!(ok, "the departed client's slot is reused");

    // Events still flow to a client after all of that.
    node.block();
    let ev = ws_next(&mut ws, Duration::from_secs(10)).await.expect("an event");
    assert_eq!(ev["id"], 10);

    // A message over max_body_bytes closes that connection only.
    ws_send(&mut ws, &format!(r#"{{"id":1,"method":"health","params":{{"x":"{}"}}}}"#, "A".repeat(1_000_001))).await;
    assert!(ws_next(&mut ws, Duration::from_secs(10)).await.is_none(), "the oversized message ends the connection");
    assert_eq!(ws_call(&mut ws3, 100, "health", json!({})).await["result"], json!({}));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_silent_websocket_clients_are_dropped() {
    let mut node = TestNode::new();
    let small_queue = serve_test_node(&node, Limits { ws_queue: 1, ..Limits::default() }).await;
    let short_wait =
        serve_test_node(&node, Limits { ws_read_wait: Duration::from_millis(300), ..Limits::default() }).await;

    // Two subscriptions that both match every block: two events do not fit a queue of one.
    let mut slow = ws_connect(small_queue.addr).await;
    assert_eq!(ws_call(&mut slow, 1, "subscribe", json!({"query": "tm.event='NewBlock'"})).await["result"], json!({}));
    assert_eq!(ws_call(&mut slow, 2, "subscribe", json!({"query": "tm.event EXISTS"})).await["result"], json!({}));
    node.block();
    let reason = ws_close_reason(&mut slow, Duration::from_secs(5)).await;
    assert!(reason.contains("slow client"), "{reason}");

    // A client that sends nothing (not even a pong) within the read deadline is dropped too.
    let mut silent = ws_connect(short_wait.addr).await;
    let reason = ws_close_reason(&mut silent, Duration::from_secs(5)).await;
    assert!(reason.contains("read deadline"), "{reason}");

    // The servers themselves are fine, and so are other clients.
    for addr in [small_queue.addr, short_wait.addr] {
        assert_eq!(call(addr, "health", json!({})).await, json!({}));
    }
    small_queue.shutdown().await.unwrap();
    short_wait.shutdown().await.unwrap();
}

/// Regression (slow senders): the request permit was taken before the body was read, so clients
/// that send headers and then trickle (or never send) their body held every permit and the node
/// answered 503 to everyone else. The body is now read first, within `read_timeout`, without a
/// permit; the slow clients get 408 and honest requests are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_hold_no_request_permit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = TestNode::new();
    let limits = Limits { max_concurrent_requests: 2, read_timeout: Duration::from_millis(800), ..Limits::default() };
    let server = serve_test_node(&node, limits).await;
    let addr = server.addr;
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        slow.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Four clients stuck mid-body, two permits: an honest request is still answered.
    let status = call(addr, "health", json!({})).await;
    assert_eq!(status, json!({}));
    // The slow ones are cut off with 408 once `read_timeout` passes.
    for mut s in slow {
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
        let text = String::from_utf8_lossy(&buf);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    }
    server.shutdown().await.unwrap();
}
