//! `start` without `--dev` (under CometBFT): gRPC `BroadcastTx` forwards to CometBFT's
//! JSON-RPC. The CometBFT side here is the dev node's own CometBFT-compatible RPC, which takes
//! `broadcast_tx_sync`/`async` exactly as CometBFT does — so the tx must land in the dev chain.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::tx::v1beta1::{BroadcastMode, BroadcastTxRequest, service_client::ServiceClient};
use leasehold_node::comet::start_comet;
use leasehold_node::config::{Home, NodeConfig};
use leasehold_node::devnet::DEV_ACCOUNTS;
use tonic::transport::Channel;

use crate::common::start_dev_node as start;
use crate::grpc::signed_send;

async fn broadcast(
    grpc: std::net::SocketAddr,
    tx: Vec<u8>,
    mode: BroadcastMode,
) -> Result<(u32, String), tonic::Status> {
    let channel = Channel::from_shared(format!("http://{grpc}")).unwrap().connect().await.unwrap();
    let r = ServiceClient::new(channel).broadcast_tx(BroadcastTxRequest { tx_bytes: tx, mode: mode as i32 }).await?;
    let r = r.into_inner().tx_response.unwrap();
    Ok((r.code, r.raw_log))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_tx_forwards_to_the_comet_rpc() {
    let dev_dir = tempfile::tempdir().unwrap();
    let dev = start(dev_dir.path()).await;

    let comet_dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig::default();
    config.grpc.address = "127.0.0.1:0".into();
    config.abci.address = "127.0.0.1:0".into();
    config.abci.comet_rpc = format!("http://{}", dev.rpc_addr);
    let comet = start_comet(&Home(comet_dir.path().to_path_buf()), &config).await.unwrap();

    let tenant = DEV_ACCOUNTS[1].address();
    let before = dev.view.balance(&tenant, "ulease").unwrap();
    let admin = dev.view.account(&DEV_ACCOUNTS[0].address()).unwrap().unwrap();
    let tx = signed_send(0, &tenant, 4_321, admin.account_number, admin.sequence);
    assert_eq!(broadcast(comet.grpc_addr, tx.clone(), BroadcastMode::Sync).await.unwrap(), (0, String::new()));
    // The same tx again: the mempool's cache refuses it with the SDK's code 19.
    // (Whether or not its block has committed by now: the cache outlives the pool.)
    let (code, log) = broadcast(comet.grpc_addr, tx.clone(), BroadcastMode::Sync).await.unwrap();
    assert_eq!(code, 19, "{log}");
    // ASYNC forwards too.
    let second = signed_send(0, &tenant, 1, admin.account_number, admin.sequence + 1);
    broadcast(comet.grpc_addr, second, BroadcastMode::Async).await.unwrap();

    let mut landed = false;
    // Up to 30 s: generous for a loaded CI machine; a healthy node needs a block or two.
    for _ in 0..600 {
        if dev.view.balance(&tenant, "ulease").unwrap() == before + cosmwasm_std::Uint256::from(4_322u32) {
            landed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(landed, "the forwarded txs did not reach the chain");
    // Committed, the tx is still a duplicate — not a stale sequence (code 32): CometBFT keeps
    // committed txs in its mempool cache. (Regression: this test once raced a block.)
    let (code, log) = broadcast(comet.grpc_addr, tx, BroadcastMode::Sync).await.unwrap();
    assert_eq!(code, 19, "{log}");

    // With CometBFT gone, BroadcastTx fails as unavailable and says where it tried.
    dev.shutdown().await.unwrap();
    let tx = signed_send(0, &tenant, 1, admin.account_number, admin.sequence + 2);
    let err = broadcast(comet.grpc_addr, tx, BroadcastMode::Sync).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err}");
    assert!(err.message().contains("CometBFT RPC"), "{}", err.message());
    comet.shutdown().await.unwrap();
}
