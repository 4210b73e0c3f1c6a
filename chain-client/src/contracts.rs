//! Typed clients of the three marketplace contracts, speaking the contracts' own message types
//! from `leasehold-types` (never redefined here): every `ExecuteMsg` goes through
//! [`Contract::execute`], every `QueryMsg` through [`Contract::query`].

use std::marker::PhantomData;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract;
use cosmwasm_std::Coin;
use leasehold_types::{escrow, market, provider};
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::tx::{Signer, TxOptions, TxProgress, TxResult};
use crate::client::{ChainClient, ClientError};

/// The `MsgExecuteContract` for `msg`.
pub fn execute_msg<M: Serialize>(sender: &str, contract: &str, msg: &M, funds: &[Coin]) -> Result<Any, ClientError> {
    let m = MsgExecuteContract {
        sender: sender.into(),
        contract: contract.into(),
        msg: serde_json::to_vec(msg).map_err(|e| ClientError::invalid("contract message", e))?,
        funds: funds
            .iter()
            .map(|c| cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                denom: c.denom.clone(),
                amount: c.amount.to_string(),
            })
            .collect(),
    };
    Ok(Any { type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(), value: m.encode_to_vec() })
}

/// A contract at `address` whose messages are `E` (execute) and `Q` (query).
#[derive(Clone, Debug)]
pub struct Contract<E, Q> {
    pub address: String,
    _msgs: PhantomData<fn() -> (E, Q)>,
}

impl<E: Serialize, Q: Serialize> Contract<E, Q> {
    pub fn new(address: impl Into<String>) -> Self {
        Contract { address: address.into(), _msgs: PhantomData }
    }

    /// Executes `msg` with `funds` attached, signed by `signer`; waits for inclusion.
    pub async fn execute(
        &self,
        client: &ChainClient,
        signer: &mut Signer,
        msg: &E,
        funds: &[Coin],
        opts: &TxOptions,
        progress: &mut (dyn FnMut(TxProgress<'_>) + Send),
    ) -> Result<TxResult, ClientError> {
        let any = execute_msg(signer.address(), &self.address, msg, funds)?;
        client.send_tx(signer, vec![any], opts, progress).await
    }

    /// The `MsgExecuteContract` of `msg` (to batch several in one tx).
    pub fn msg(&self, sender: &str, msg: &E, funds: &[Coin]) -> Result<Any, ClientError> {
        execute_msg(sender, &self.address, msg, funds)
    }

    /// Runs the smart query `msg` and decodes its answer as `R` (the type the contract's
    /// `QueryMsg` documents with `#[returns]`).
    pub async fn query<R: DeserializeOwned>(&self, client: &ChainClient, msg: &Q) -> Result<R, ClientError> {
        client.query_contract(&self.address, msg).await
    }
}

pub type Market = Contract<market::ExecuteMsg, market::QueryMsg>;
pub type Escrow = Contract<escrow::ExecuteMsg, escrow::QueryMsg>;
pub type ProviderRegistry = Contract<provider::ExecuteMsg, provider::QueryMsg>;

/// The marketplace of a chain: the market and the contracts it instantiated.
#[derive(Clone, Debug)]
pub struct Marketplace {
    pub market: Market,
    pub escrow: Escrow,
    pub registry: ProviderRegistry,
}

impl Marketplace {
    /// Finds the escrow and registry from the market's `config`.
    pub async fn discover(client: &ChainClient, market_address: &str) -> Result<Marketplace, ClientError> {
        let market = Market::new(market_address);
        let config: market::ConfigResponse = market.query(client, &market::QueryMsg::Config {}).await?;
        Ok(Marketplace {
            market,
            escrow: Escrow::new(config.escrow.to_string()),
            registry: ProviderRegistry::new(config.provider_registry.to_string()),
        })
    }
}
