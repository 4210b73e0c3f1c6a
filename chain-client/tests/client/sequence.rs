//! A long-lived signer (a provider engine, the demo) and another client using the same key: the
//! signer's cached sequence goes stale, and its next tx must re-read the account — whether the
//! node notices at the simulation (automatic gas) or at the broadcast (fixed gas) — and keep
//! working after any failure. (Before: "simulation failed: account sequence mismatch" for ever.)

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use leasehold_client::client::tx::{Signer, TxOptions};
use leasehold_client::client::{ChainClient, ClientConfig, Gas};
use leasehold_keys::SigningKey;
use prost::Message;

use crate::common::{TestChain, dev_address, dev_mnemonic};

fn send(to: &str) -> Any {
    send_of(to, "1")
}

/// A send of `amount` ulease from the tenant.
fn send_of(to: &str, amount: &str) -> Any {
    let msg = MsgSend {
        from_address: dev_address("tenant"),
        to_address: to.into(),
        amount: vec![Coin { denom: "ulease".into(), amount: amount.into() }],
    };
    Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: msg.encode_to_vec() }
}

fn tenant() -> Signer {
    Signer::new(SigningKey::from_mnemonic(dev_mnemonic("tenant"), "", 0).expect("key"), "lease").expect("signer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_survives_txs_sent_with_its_key_by_another_client() {
    let chain = TestChain::start().await;
    let client = ChainClient::connect(ClientConfig { endpoint: chain.url.clone(), ..ClientConfig::default() })
        .await
        .expect("client");
    let (mut engine, mut other) = (tenant(), tenant());
    let to = dev_address("auditor");
    let auto = TxOptions { gas: Some(Gas::Auto { adjustment: 1.5 }), ..TxOptions::default() };
    let fixed = TxOptions { gas: Some(Gas::Fixed(200_000)), ..TxOptions::default() };
    client.send_tx(&mut engine, vec![send(&to)], &auto, &mut |_| {}).await.expect("the engine's first tx");
    client.send_tx(&mut other, vec![send(&to)], &auto, &mut |_| {}).await.expect("another client's tx");
    // Stale at the simulation.
    client.send_tx(&mut engine, vec![send(&to)], &auto, &mut |_| {}).await.expect("recovers at the simulation");
    client.send_tx(&mut other, vec![send(&to)], &auto, &mut |_| {}).await.expect("another client's tx");
    // Stale at the broadcast (no simulation with fixed gas).
    client.send_tx(&mut engine, vec![send(&to)], &fixed, &mut |_| {}).await.expect("recovers at the broadcast");
    // After a failed tx (an impossible send), the next one still goes through.
    let too_much = send_of(&to, "999999999999999999999");
    assert!(client.send_tx(&mut engine, vec![too_much], &auto, &mut |_| {}).await.is_err());
    client.send_tx(&mut other, vec![send(&to)], &auto, &mut |_| {}).await.expect("another client's tx");
    client.send_tx(&mut engine, vec![send(&to)], &auto, &mut |_| {}).await.expect("works after a failure");
    chain.stop().await;
}
