//! Every gRPC service the node lists, answered over a real socket by a dev node started in
//! process (`start_dev` on 127.0.0.1:0), called with the stock tonic clients of
//! cosmos-sdk-proto — the ones cosmrs-based tools use.

use std::time::Duration;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, query_client::QueryClient as AuthClient,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    MsgSend, QueryAllBalancesRequest, QueryBalanceRequest, query_client::QueryClient as BankClient,
};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    GetBlockByHeightRequest, GetLatestBlockRequest, GetNodeInfoRequest, GetSyncingRequest,
    service_client::ServiceClient as TmClient,
};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, BroadcastMode, BroadcastTxRequest, Fee, GetBlockWithTxsRequest, GetTxRequest, GetTxsEventRequest,
    ModeInfo, SignDoc, SignerInfo, SimulateRequest, TxBody, TxRaw, mode_info,
    service_client::ServiceClient as TxClient,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    QueryCodeRequest, QueryCodesRequest, QueryContractInfoRequest, QueryContractsByCodeRequest,
    QueryRawContractStateRequest, QuerySmartContractStateRequest, query_client::QueryClient as WasmClient,
};
use leasehold_node::devnet::{DEV_ACCOUNTS, DEV_CHAIN_ID};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;

use crate::common::{artifacts, start_dev_node};

/// A signed MsgSend from dev account `from` (SIGN_MODE_DIRECT).
pub(crate) fn signed_send(from: usize, to: &str, amount: u128, account_number: u64, sequence: u64) -> Vec<u8> {
    let key = DEV_ACCOUNTS[from].signing_key();
    let msg = MsgSend {
        from_address: DEV_ACCOUNTS[from].address(),
        to_address: to.into(),
        amount: vec![Coin { denom: "ulease".into(), amount: amount.to_string() }],
    };
    let body = TxBody {
        messages: vec![Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: msg.encode_to_vec() }],
        ..Default::default()
    };
    let auth = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: PubKey { key: key.public_key().to_bytes().to_vec() }.encode_to_vec(),
            }),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single { mode: SignMode::Direct as i32 })),
            }),
            sequence,
        }],
        fee: Some(Fee {
            amount: vec![Coin { denom: "ulease".into(), amount: "5000".into() }],
            gas_limit: 200_000,
            ..Default::default()
        }),
        ..Default::default()
    };
    let (body_bytes, auth_info_bytes) = (body.encode_to_vec(), auth.encode_to_vec());
    let doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: DEV_CHAIN_ID.into(),
        account_number,
    };
    let sig = key.sign_direct(&doc.encode_to_vec());
    TxRaw { body_bytes, auth_info_bytes, signatures: vec![sig.to_vec()] }.encode_to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_grpc_service_answers_over_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_dev_node(dir.path()).await;
    let channel = Channel::from_shared(format!("http://{}", node.grpc_addr)).unwrap().connect().await.unwrap();
    let admin = DEV_ACCOUNTS[0].address();
    let tenant = DEV_ACCOUNTS[1].address();

    // auth: a BaseAccount Any for a known account, NotFound for an unknown one.
    let mut auth = AuthClient::new(channel.clone());
    let acc = auth.account(QueryAccountRequest { address: tenant.clone() }).await.unwrap().into_inner();
    let any = acc.account.unwrap();
    assert_eq!(any.type_url, "/cosmos.auth.v1beta1.BaseAccount");
    let base = BaseAccount::decode(any.value.as_slice()).unwrap();
    assert_eq!(base.address, tenant);
    let fresh = "lease19rl4cm2hmr8afy4kldpxz3fka4jguq0afaysft";
    let err = auth.account(QueryAccountRequest { address: fresh.into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err}");
    let err = auth.account(QueryAccountRequest { address: "lease1nope".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");

    // bank
    let mut bank = BankClient::new(channel.clone());
    let b = bank
        .balance(QueryBalanceRequest { address: tenant.clone(), denom: "uusdc".into() })
        .await
        .unwrap()
        .into_inner()
        .balance
        .unwrap();
    assert_eq!((b.denom.as_str(), b.amount.as_str()), ("uusdc", "1000000000000"));
    let all = bank
        .all_balances(QueryAllBalancesRequest { address: tenant.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.balances.iter().map(|c| c.denom.as_str()).collect::<Vec<_>>(), vec!["ulease", "uusdc"]);

    // wasm
    let mut wasm = WasmClient::new(channel.clone());
    let codes = wasm.codes(QueryCodesRequest { pagination: None }).await.unwrap().into_inner();
    assert_eq!(codes.code_infos.iter().map(|c| c.code_id).collect::<Vec<_>>(), vec![1, 2, 3]);
    let code = wasm.code(QueryCodeRequest { code_id: 3 }).await.unwrap().into_inner();
    assert_eq!(code.data, std::fs::read(artifacts().join("provider.wasm")).unwrap());
    assert_eq!(wasm.code(QueryCodeRequest { code_id: 9 }).await.unwrap_err().code(), Code::NotFound);
    let market = wasm
        .contracts_by_code(QueryContractsByCodeRequest { code_id: 1, pagination: None })
        .await
        .unwrap()
        .into_inner()
        .contracts
        .remove(0);
    let info = wasm.contract_info(QueryContractInfoRequest { address: market.clone() }).await.unwrap().into_inner();
    let info = info.contract_info.unwrap();
    assert_eq!((info.code_id, info.admin.as_str(), info.label.as_str()), (1, admin.as_str(), "leasehold-market"));
    let config = wasm
        .smart_contract_state(QuerySmartContractStateRequest {
            address: market.clone(),
            query_data: br#"{"config":{}}"#.to_vec(),
        })
        .await
        .unwrap()
        .into_inner();
    let config: serde_json::Value = serde_json::from_slice(&config.data).unwrap();
    assert!(config["escrow"].as_str().unwrap().starts_with("lease1"));
    let raw = wasm
        .raw_contract_state(QueryRawContractStateRequest {
            address: market.clone(),
            query_data: b"contract_info".to_vec(),
        })
        .await
        .unwrap()
        .into_inner();
    let cw2: serde_json::Value = serde_json::from_slice(&raw.data).unwrap();
    assert!(cw2["contract"].as_str().unwrap().contains("market"), "{cw2}");
    let err = wasm
        .smart_contract_state(QuerySmartContractStateRequest { address: fresh.into(), query_data: b"{}".to_vec() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err}");

    // tendermint
    let mut tm = TmClient::new(channel.clone());
    let latest = tm.get_latest_block(GetLatestBlockRequest {}).await.unwrap().into_inner();
    let header = latest.sdk_block.unwrap().header.unwrap();
    assert_eq!(header.chain_id, DEV_CHAIN_ID);
    assert!(header.proposer_address.starts_with("leasevalcons1"), "{}", header.proposer_address);
    let one = tm.get_block_by_height(GetBlockByHeightRequest { height: 1 }).await.unwrap().into_inner();
    assert_eq!(one.block.unwrap().header.unwrap().height, 1);
    assert_eq!(
        tm.get_block_by_height(GetBlockByHeightRequest { height: 1 << 40 }).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let info = tm.get_node_info(GetNodeInfoRequest {}).await.unwrap().into_inner();
    let ni = info.default_node_info.unwrap();
    assert_eq!(ni.network, DEV_CHAIN_ID);
    assert!(ni.version.starts_with("0.38."));
    assert!(!tm.get_syncing(GetSyncingRequest {}).await.unwrap().into_inner().syncing);

    // tx: simulate, broadcast (sync), wait for inclusion, find it by hash, by event and in its block.
    let mut txs = TxClient::new(channel.clone());
    let tx = signed_send(1, &admin, 1234, base.account_number, base.sequence);
    let sim = txs.simulate(SimulateRequest { tx_bytes: tx.clone(), ..Default::default() }).await.unwrap().into_inner();
    assert!(sim.gas_info.unwrap().gas_used > 0);
    let res = txs
        .broadcast_tx(BroadcastTxRequest { tx_bytes: tx.clone(), mode: BroadcastMode::Sync as i32 })
        .await
        .unwrap()
        .into_inner()
        .tx_response
        .unwrap();
    assert_eq!(res.code, 0, "{}", res.raw_log);
    let hash = res.txhash.clone();
    let found = loop {
        match txs.get_tx(GetTxRequest { hash: hash.clone() }).await {
            Ok(r) => break r.into_inner(),
            Err(e) if e.code() == Code::NotFound => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("GetTx: {e}"),
        }
    };
    let resp = found.tx_response.unwrap();
    assert_eq!((resp.code, resp.txhash.as_str()), (0, hash.as_str()));
    assert!(resp.height > 1);
    // The same bytes again, after their block: the mempool cache (CometBFT keeps committed txs
    // in it) refuses them with the SDK's code 19 before CheckTx runs.
    let again = txs
        .broadcast_tx(BroadcastTxRequest { tx_bytes: tx, mode: BroadcastMode::Sync as i32 })
        .await
        .unwrap()
        .into_inner()
        .tx_response
        .unwrap();
    assert_eq!((again.codespace.as_str(), again.code), ("sdk", 19), "{}", again.raw_log);
    let by_event = txs
        .get_txs_event(GetTxsEventRequest {
            query: format!("message.sender='{tenant}' AND tx.height={}", resp.height),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_event.tx_responses.iter().map(|t| t.txhash.as_str()).collect::<Vec<_>>(), vec![hash.as_str()]);
    let block = txs
        .get_block_with_txs(GetBlockWithTxsRequest { height: resp.height, pagination: None })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(block.txs.len(), 1);
    assert_eq!(txs.get_tx(GetTxRequest { hash: "00".repeat(32) }).await.unwrap_err().code(), Code::NotFound);
    let bad = txs
        .broadcast_tx(BroadcastTxRequest { tx_bytes: vec![1, 2, 3], mode: BroadcastMode::Sync as i32 })
        .await
        .unwrap()
        .into_inner()
        .tx_response
        .unwrap();
    assert_eq!((bad.codespace.as_str(), bad.code), ("sdk", 2));
    #[allow(deprecated)]
    let block_mode = BroadcastMode::Block as i32;
    let err = txs.broadcast_tx(BroadcastTxRequest { tx_bytes: vec![1], mode: block_mode }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    node.shutdown().await.unwrap();
}
