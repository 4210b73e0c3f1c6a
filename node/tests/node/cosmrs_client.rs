//! A dApp written with cosmrs and the stock gRPC clients of cosmos-sdk-proto — no Leasehold code on
//! the client side except the contracts' message types — against a dev node on a real socket:
//! chain id and height, account and balances, a token transfer, a contract upload, an
//! instantiation, a market call (create a deployment), a query of it, and the tx found by hash
//! and by event search.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::auth::v1beta1::{QueryAccountRequest, query_client::QueryClient as AuthClient};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, query_client::QueryClient as BankClient};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    GetLatestBlockRequest, GetNodeInfoRequest, service_client::ServiceClient as TmClient,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    BroadcastMode, BroadcastTxRequest, GetTxRequest, GetTxResponse, GetTxsEventRequest, SimulateRequest,
    service_client::ServiceClient as TxClient,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{QuerySmartContractStateRequest, query_client::QueryClient as WasmClient};
use cosmrs::auth::BaseAccount;
use cosmrs::bank::MsgSend;
use cosmrs::cosmwasm::{MsgExecuteContract, MsgInstantiateContract, MsgStoreCode};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Coin, Denom};
use leasehold_node::devnet::DEV_ACCOUNTS;
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{DeploymentResponse, ExecuteMsg as MarketMsg, QueryMsg as MarketQuery};
use prost::Message;
use tonic::transport::Channel;

use crate::common::market::{cpu_group, manifest_hash};
use crate::common::start_dev_node as start;
use crate::common::{artifact, key_from_mnemonic};

/// One signer as a cosmrs program keeps it.
struct Wallet {
    key: SigningKey,
    address: AccountId,
}

impl Wallet {
    fn dev(index: usize) -> Wallet {
        let key = key_from_mnemonic(DEV_ACCOUNTS[index].mnemonic);
        let address = key.public_key().account_id("lease").unwrap();
        Wallet { key, address }
    }
}

/// The dApp's connection: gRPC clients on one channel.
struct Dapp {
    channel: Channel,
    chain_id: cosmrs::tendermint::chain::Id,
}

impl Dapp {
    async fn account(&self, address: &AccountId) -> BaseAccount {
        let any = AuthClient::new(self.channel.clone())
            .account(QueryAccountRequest { address: address.to_string() })
            .await
            .unwrap()
            .into_inner()
            .account
            .unwrap();
        let raw = cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount::decode(any.value.as_slice()).unwrap();
        BaseAccount::try_from(raw).unwrap()
    }

    async fn balance(&self, address: &AccountId, denom: &str) -> u128 {
        let coin = BankClient::new(self.channel.clone())
            .balance(QueryBalanceRequest { address: address.to_string(), denom: denom.into() })
            .await
            .unwrap()
            .into_inner()
            .balance
            .unwrap();
        coin.amount.parse().unwrap()
    }

    fn sign(&self, wallet: &Wallet, account: &BaseAccount, msgs: Vec<cosmrs::Any>, gas: u64) -> Vec<u8> {
        let fee =
            Fee::from_amount_and_gas(Coin { denom: "ulease".parse().unwrap(), amount: (gas as u128) / 40 + 1 }, gas);
        let body = Body::new(msgs, "", 0u32);
        let auth = SignerInfo::single_direct(Some(wallet.key.public_key()), account.sequence).auth_info(fee);
        let doc = SignDoc::new(&body, &auth, &self.chain_id, account.account_number).unwrap();
        doc.sign(&wallet.key).unwrap().to_bytes().unwrap()
    }

    /// Simulates for gas, signs with 1.4× that, broadcasts SYNC and waits for inclusion.
    async fn send(&self, wallet: &Wallet, msgs: Vec<cosmrs::Any>) -> GetTxResponse {
        let account = self.account(&wallet.address).await;
        let probe = self.sign(wallet, &account, msgs.clone(), 10_000_000);
        #[allow(deprecated)]
        let simulated = TxClient::new(self.channel.clone())
            .simulate(SimulateRequest { tx: None, tx_bytes: probe })
            .await
            .unwrap()
            .into_inner();
        let gas = simulated.gas_info.unwrap().gas_used * 14 / 10;
        let tx = self.sign(wallet, &account, msgs, gas);
        let sent = TxClient::new(self.channel.clone())
            .broadcast_tx(BroadcastTxRequest { tx_bytes: tx, mode: BroadcastMode::Sync as i32 })
            .await
            .unwrap()
            .into_inner()
            .tx_response
            .unwrap();
        assert_eq!(sent.code, 0, "CheckTx: {}", sent.raw_log);
        for _ in 0..600 {
            match TxClient::new(self.channel.clone()).get_tx(GetTxRequest { hash: sent.txhash.clone() }).await {
                Ok(found) => {
                    let found = found.into_inner();
                    let result = found.tx_response.as_ref().unwrap();
                    assert_eq!(result.code, 0, "DeliverTx: {}", result.raw_log);
                    return found;
                }
                Err(status) if status.code() == tonic::Code::NotFound => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(status) => panic!("GetTx: {status}"),
            }
        }
        panic!("tx {} not included", sent.txhash);
    }
}

fn attribute<'a>(tx: &'a GetTxResponse, ty: &str, key: &str) -> &'a str {
    let events = &tx.tx_response.as_ref().unwrap().events;
    events
        .iter()
        .filter(|e| e.r#type == ty)
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
        .unwrap_or_else(|| panic!("no {ty}.{key} in {events:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cosmrs_dapp_uses_the_chain_over_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path()).await;
    let channel = Channel::from_shared(format!("http://{}", node.grpc_addr)).unwrap().connect().await.unwrap();

    // Chain id and height.
    let info = TmClient::new(channel.clone()).get_node_info(GetNodeInfoRequest {}).await.unwrap().into_inner();
    let chain_id: cosmrs::tendermint::chain::Id = info.default_node_info.unwrap().network.parse().unwrap();
    let dapp = Dapp { channel: channel.clone(), chain_id };
    let latest = TmClient::new(channel.clone()).get_latest_block(GetLatestBlockRequest {}).await.unwrap().into_inner();
    assert!(latest.sdk_block.unwrap().header.unwrap().height >= 1);

    // Account and balances.
    let admin = Wallet::dev(0);
    let tenant = Wallet::dev(1);
    assert_eq!(dapp.account(&admin.address).await.address, admin.address);
    let (admin_before, tenant_before) =
        (dapp.balance(&admin.address, "ulease").await, dapp.balance(&tenant.address, "ulease").await);

    // A transfer: exact amounts, the fee paid by the sender.
    let send = MsgSend {
        from_address: admin.address.clone(),
        to_address: tenant.address.clone(),
        amount: vec![Coin { denom: "ulease".parse::<Denom>().unwrap(), amount: 1_234_567 }],
    };
    let sent = dapp.send(&admin, vec![send.to_any().unwrap()]).await;
    let fee: u128 = sent.tx.unwrap().auth_info.unwrap().fee.unwrap().amount[0].amount.parse().unwrap();
    assert_eq!(dapp.balance(&tenant.address, "ulease").await, tenant_before + 1_234_567);
    assert_eq!(dapp.balance(&admin.address, "ulease").await, admin_before - 1_234_567 - fee);

    // Upload (the admin is on the upload allow-list) and instantiate a provider registry.
    let store = MsgStoreCode {
        sender: admin.address.clone(),
        wasm_byte_code: artifact("provider"),
        instantiate_permission: None,
    };
    let stored = dapp.send(&admin, vec![store.to_any().unwrap()]).await;
    let code_id: u64 = attribute(&stored, "store_code", "code_id").parse().unwrap();
    let init = MsgInstantiateContract {
        sender: admin.address.clone(),
        admin: Some(admin.address.clone()),
        code_id,
        label: Some("cosmrs registry".into()),
        msg: serde_json::to_vec(&leasehold_types::provider::InstantiateMsg { market: None }).unwrap(),
        funds: vec![],
    };
    let instantiated = dapp.send(&admin, vec![init.to_any().unwrap()]).await;
    let registry = attribute(&instantiated, "instantiate", "_contract_address");
    assert!(registry.starts_with("lease1"));

    // The market (the first contract of code 1) takes a deployment with a deposit.
    let market = leasehold_node::node::marketplace(&node.view).unwrap().unwrap().market;
    let create = MarketMsg::CreateDeployment {
        dseq: 77,
        hash: manifest_hash(77),
        groups: vec![cpu_group("web", 100, 1, "ulease")],
        auto_match: false,
    };
    let execute = MsgExecuteContract {
        sender: tenant.address.clone(),
        contract: market.parse().unwrap(),
        msg: serde_json::to_vec(&create).unwrap(),
        funds: vec![Coin { denom: "ulease".parse::<Denom>().unwrap(), amount: 5_000_000 }],
    };
    let created = dapp.send(&tenant, vec![execute.to_any().unwrap()]).await;
    let id = DeploymentId::new(tenant.address.as_ref(), 77);
    let query = serde_json::to_vec(&MarketQuery::Deployment { id: id.clone() }).unwrap();
    let answer = WasmClient::new(channel.clone())
        .smart_contract_state(QuerySmartContractStateRequest { address: market.clone(), query_data: query })
        .await
        .unwrap()
        .into_inner();
    let deployment: DeploymentResponse = serde_json::from_slice(&answer.data).unwrap();
    assert_eq!(deployment.deployment.id, id);

    // The tx by hash, and by event search.
    let hash = created.tx_response.as_ref().unwrap().txhash.clone();
    let by_hash =
        TxClient::new(channel.clone()).get_tx(GetTxRequest { hash: hash.clone() }).await.unwrap().into_inner();
    assert_eq!(by_hash.tx_response.unwrap().height, created.tx_response.as_ref().unwrap().height);
    let query = format!("message.sender='{}' AND wasm._contract_address='{market}'", tenant.address);
    #[allow(deprecated)]
    let found = TxClient::new(channel.clone())
        .get_txs_event(GetTxsEventRequest { events: vec![], pagination: None, order_by: 0, page: 1, limit: 10, query })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.tx_responses.iter().map(|r| r.txhash.as_str()).collect::<Vec<_>>(), vec![hash.as_str()]);

    node.shutdown().await.unwrap();
}
