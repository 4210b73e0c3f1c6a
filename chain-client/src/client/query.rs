//! Read-only calls: accounts, balances, contract queries, transactions.

use cosmos_sdk_proto::cosmos::auth::v1beta1::query_client::QueryClient as AuthClient;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount, QueryAccountRequest};
use cosmos_sdk_proto::cosmos::bank::v1beta1::query_client::QueryClient as BankClient;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryAllBalancesRequest, QueryBalanceRequest};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::service_client::ServiceClient as TmClient;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{GetBlockByHeightRequest, GetLatestBlockRequest};
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_client::ServiceClient as TxClient;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    GetBlockWithTxsRequest, GetBlockWithTxsResponse, GetTxRequest, GetTxsEventRequest, OrderBy,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::query_client::QueryClient as WasmClient;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{QueryRawContractStateRequest, QuerySmartContractStateRequest};
use cosmwasm_std::{Coin, Uint256};
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::Code;

use crate::client::tx::TxResult;
use crate::client::{ChainClient, ClientError};

/// An account's signing state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    pub address: String,
    pub account_number: u64,
    pub sequence: u64,
    /// Compressed secp256k1 key, once the account has signed.
    pub pub_key: Option<Vec<u8>>,
}

fn coin(c: cosmos_sdk_proto::cosmos::base::v1beta1::Coin) -> Result<Coin, ClientError> {
    let amount: Uint256 = c.amount.parse().map_err(|e| ClientError::decode("balance", e))?;
    Ok(Coin { denom: c.denom, amount })
}

impl ChainClient {
    /// The account at `address`, `None` if it does not exist yet (never received anything).
    pub async fn account(&self, address: &str) -> Result<Option<AccountInfo>, ClientError> {
        let req = QueryAccountRequest { address: address.to_string() };
        let res = self
            .retry("Account", |ch| {
                let req = req.clone();
                async move { AuthClient::new(ch).account(req).await }
            })
            .await;
        let any = match res {
            Ok(r) => r.account.ok_or_else(|| ClientError::decode("Account", "empty account"))?,
            Err(ClientError::Query { code: Code::NotFound, .. }) => return Ok(None),
            Err(ClientError::Query { code: Code::InvalidArgument, message, .. }) => {
                return Err(ClientError::invalid("address", message.trim_start_matches("invalid address: ")));
            }
            Err(e) => return Err(e),
        };
        let base = match any.type_url.as_str() {
            "/cosmos.auth.v1beta1.BaseAccount" => {
                BaseAccount::decode(any.value.as_slice()).map_err(|e| ClientError::decode("Account", e))?
            }
            "/cosmos.auth.v1beta1.ModuleAccount" => ModuleAccount::decode(any.value.as_slice())
                .map_err(|e| ClientError::decode("Account", e))?
                .base_account
                .unwrap_or_default(),
            other => return Err(ClientError::decode("Account", format!("unsupported account type {other}"))),
        };
        let pub_key = base.pub_key.and_then(|pk| {
            cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(pk.value.as_slice()).ok().map(|k| k.key)
        });
        Ok(Some(AccountInfo {
            address: base.address,
            account_number: base.account_number,
            sequence: base.sequence,
            pub_key,
        }))
    }

    pub async fn balance(&self, address: &str, denom: &str) -> Result<Uint256, ClientError> {
        let req = QueryBalanceRequest { address: address.into(), denom: denom.into() };
        let res = self
            .retry("Balance", |ch| {
                let req = req.clone();
                async move { BankClient::new(ch).balance(req).await }
            })
            .await
            .map_err(invalid_argument_is_usage("address"))?;
        Ok(res.balance.map(coin).transpose()?.map_or(Uint256::zero(), |c| c.amount))
    }

    pub async fn all_balances(&self, address: &str) -> Result<Vec<Coin>, ClientError> {
        let req = QueryAllBalancesRequest { address: address.into(), ..Default::default() };
        let res = self
            .retry("AllBalances", |ch| {
                let req = req.clone();
                async move { BankClient::new(ch).all_balances(req).await }
            })
            .await
            .map_err(invalid_argument_is_usage("address"))?;
        res.balances.into_iter().map(coin).collect()
    }

    /// A contract's smart query with JSON in and out.
    pub async fn query_contract<Q: Serialize, R: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &Q,
    ) -> Result<R, ClientError> {
        let data = self
            .query_contract_raw_json(contract, &serde_json::to_vec(msg).map_err(|e| ClientError::invalid("query", e))?)
            .await?;
        serde_json::from_slice(&data).map_err(|e| ClientError::decode("SmartContractState", e))
    }

    /// A smart query with the JSON message given as bytes; returns the JSON answer.
    pub async fn query_contract_raw_json(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ClientError> {
        let req = QuerySmartContractStateRequest { address: contract.into(), query_data: msg.to_vec() };
        let res = self
            .retry("SmartContractState", |ch| {
                let req = req.clone();
                async move { WasmClient::new(ch).smart_contract_state(req).await }
            })
            .await?;
        Ok(res.data)
    }

    /// Addresses of the contracts of `code_id`, in creation order (first page of 100).
    pub async fn contracts_by_code(&self, code_id: u64) -> Result<Vec<String>, ClientError> {
        let req = cosmos_sdk_proto::cosmwasm::wasm::v1::QueryContractsByCodeRequest { code_id, pagination: None };
        Ok(self
            .retry("ContractsByCode", |ch| {
                let req = req.clone();
                async move { WasmClient::new(ch).contracts_by_code(req).await }
            })
            .await?
            .contracts)
    }

    /// A raw read of a contract's storage (empty when absent).
    pub async fn query_contract_key(&self, contract: &str, key: &[u8]) -> Result<Vec<u8>, ClientError> {
        let req = QueryRawContractStateRequest { address: contract.into(), query_data: key.to_vec() };
        Ok(self
            .retry("RawContractState", |ch| {
                let req = req.clone();
                async move { WasmClient::new(ch).raw_contract_state(req).await }
            })
            .await?
            .data)
    }

    /// The included tx with this hash, `None` while it is not in a block.
    pub async fn tx(&self, hash: &str) -> Result<Option<TxResult>, ClientError> {
        let req = GetTxRequest { hash: hash.to_ascii_uppercase() };
        match self
            .retry("GetTx", |ch| {
                let req = req.clone();
                async move { TxClient::new(ch).get_tx(req).await }
            })
            .await
        {
            Ok(r) => Ok(Some(TxResult::from_response(
                r.tx_response.ok_or_else(|| ClientError::decode("GetTx", "no tx_response"))?,
            )?)),
            Err(ClientError::Query { code: Code::NotFound, .. }) => Ok(None),
            Err(ClientError::Query { code: Code::InvalidArgument, message, .. }) => {
                Err(ClientError::invalid("tx hash", message))
            }
            Err(e) => Err(e),
        }
    }

    /// The block at `height` with its transactions (`GetBlockWithTxs`); `None` when the node
    /// does not have it (above its latest height, or pruned).
    pub async fn block_with_txs(&self, height: u64) -> Result<Option<GetBlockWithTxsResponse>, ClientError> {
        let height =
            i64::try_from(height).map_err(|_| ClientError::invalid("height", format!("{height} is too large")))?;
        let req = GetBlockWithTxsRequest { height, pagination: None };
        match self
            .retry("GetBlockWithTxs", |ch| {
                let req = req.clone();
                async move { TxClient::new(ch).get_block_with_txs(req).await }
            })
            .await
        {
            Ok(r) => Ok(Some(r)),
            Err(ClientError::Query { code: Code::NotFound | Code::InvalidArgument, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The results (code, log, gas, events) of every transaction at `height`, in block order:
    /// `GetTxsEvent` with `tx.height=H`, every page.
    pub async fn tx_results_at(&self, height: u64) -> Result<Vec<TxResponse>, ClientError> {
        const PAGE: u64 = 100;
        let mut out: Vec<TxResponse> = Vec::new();
        let mut page = 1u64;
        loop {
            let req = GetTxsEventRequest {
                query: format!("tx.height={height}"),
                order_by: OrderBy::Asc as i32,
                page,
                limit: PAGE,
                ..Default::default()
            };
            let res = self
                .retry("GetTxsEvent", |ch| {
                    let req = req.clone();
                    async move { TxClient::new(ch).get_txs_event(req).await }
                })
                .await;
            let res = match res {
                Ok(r) => r,
                // Past the last page (or no tx at all at this height).
                Err(ClientError::Query { code: Code::InvalidArgument, .. }) if page > 1 => break,
                Err(e) => return Err(e),
            };
            let got = res.tx_responses.len() as u64;
            out.extend(res.tx_responses);
            if got < PAGE || (res.total > 0 && out.len() as u64 >= res.total) {
                break;
            }
            page += 1;
        }
        Ok(out)
    }

    /// Height and time (unix seconds) of the latest block.
    pub async fn latest_block(&self) -> Result<(u64, i64), ClientError> {
        let res =
            self.retry("GetLatestBlock", |ch| async move {
                TmClient::new(ch).get_latest_block(GetLatestBlockRequest {}).await
            })
            .await?;
        let header =
            res.sdk_block.and_then(|b| b.header).ok_or_else(|| ClientError::decode("GetLatestBlock", "no header"))?;
        Ok((u64::try_from(header.height).unwrap_or(0), header.time.map_or(0, |t| t.seconds)))
    }
}

impl ChainClient {
    /// The chain's recent block time: the average interval of the last `window` blocks, from
    /// their header times (`None` on a chain shorter than two blocks, or whose times do not
    /// advance).
    pub async fn block_time(&self, window: u64) -> Result<Option<std::time::Duration>, ClientError> {
        let (latest, _) = self.latest_block().await?;
        let from = latest.saturating_sub(window).max(1);
        if from >= latest {
            return Ok(None);
        }
        let (Some(t0), Some(t1)) = (self.header_nanos(from).await?, self.header_nanos(latest).await?) else {
            return Ok(None);
        };
        let span = u64::try_from(t1.saturating_sub(t0)).unwrap_or(0);
        Ok((span > 0).then(|| std::time::Duration::from_nanos(span / (latest - from))))
    }

    /// Header time of block `height` in unix nanoseconds.
    async fn header_nanos(&self, height: u64) -> Result<Option<i128>, ClientError> {
        let height = i64::try_from(height).unwrap_or(i64::MAX);
        let res = self
            .retry("GetBlockByHeight", |ch| async move {
                TmClient::new(ch).get_block_by_height(GetBlockByHeightRequest { height }).await
            })
            .await?;
        let time = res.sdk_block.and_then(|b| b.header).and_then(|h| h.time);
        Ok(time.map(|t| i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos)))
    }
}

fn invalid_argument_is_usage(what: &'static str) -> impl Fn(ClientError) -> ClientError {
    move |e| match e {
        ClientError::Query { code: Code::InvalidArgument, message, .. } => {
            ClientError::invalid(what, message.trim_start_matches("invalid address: "))
        }
        other => other,
    }
}
