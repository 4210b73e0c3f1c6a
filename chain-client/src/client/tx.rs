//! Transactions: build (`TxBody`, `AuthInfo`, SIGN_MODE_DIRECT `SignDoc`), sign, simulate for
//! gas, broadcast, and wait for inclusion. A [`Signer`] tracks its account number and sequence
//! and recovers once from a sequence mismatch (another tx from the same key got in first).

use std::time::{Duration, Instant};

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{TxMsgData, TxResponse};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_client::ServiceClient as TxClient;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, BroadcastMode, BroadcastTxRequest, Fee, ModeInfo, SignDoc, SignerInfo, SimulateRequest, TxBody, TxRaw,
    mode_info,
};
use cosmwasm_std::Coin;
use leasehold_keys::SigningKey;
use prost::Message;

use crate::client::config::Gas;
use crate::client::{ChainClient, ClientError};

/// How often inclusion is polled.
const POLL: Duration = Duration::from_millis(400);
/// Gas limit written into simulated txs (its digits only affect the tx-size gas).
pub const SIMULATION_GAS_GUESS: u64 = 1_000_000;
/// The SDK's "account sequence mismatch" code.
const WRONG_SEQUENCE: u32 = 32;

/// An included transaction's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct TxResult {
    pub hash: String,
    pub height: u64,
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<TxEvent>,
    /// `TxMsgData` bytes.
    pub data: Vec<u8>,
    pub timestamp: String,
}

/// One event of a tx result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxEvent {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl TxEvent {
    /// The first value of attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

impl TxResult {
    pub(crate) fn from_response(r: TxResponse) -> Result<TxResult, ClientError> {
        Ok(TxResult {
            hash: r.txhash,
            height: u64::try_from(r.height).unwrap_or(0),
            code: r.code,
            codespace: r.codespace,
            log: r.raw_log,
            gas_wanted: u64::try_from(r.gas_wanted).unwrap_or(0),
            gas_used: u64::try_from(r.gas_used).unwrap_or(0),
            events: r
                .events
                .into_iter()
                .map(|e| TxEvent {
                    kind: e.r#type,
                    attributes: e.attributes.into_iter().map(|a| (a.key, a.value)).collect(),
                })
                .collect(),
            data: hex::decode(&r.data).map_err(|e| ClientError::decode("tx data", e))?,
            timestamp: r.timestamp,
        })
    }

    pub fn is_ok(&self) -> bool {
        self.code == 0
    }

    /// The first value of attribute `key` in an event of type `kind`.
    pub fn attribute(&self, kind: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .flat_map(|e| e.attributes.iter())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every event of type `kind` emitted by `contract` (its `_contract_address`): a custom
    /// event type alone does not say which contract emitted it.
    pub fn contract_events<'a>(&'a self, kind: &'a str, contract: &'a str) -> impl Iterator<Item = &'a TxEvent> + 'a {
        self.events_of(kind).filter(move |e| e.attribute("_contract_address") == Some(contract))
    }

    /// Every event of type `kind`.
    pub fn events_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a TxEvent> + 'a {
        self.events.iter().filter(move |e| e.kind == kind)
    }

    /// The messages' responses (`TxMsgData.msg_responses`).
    pub fn msg_responses(&self) -> Result<Vec<Any>, ClientError> {
        Ok(TxMsgData::decode(self.data.as_slice()).map_err(|e| ClientError::decode("TxMsgData", e))?.msg_responses)
    }
}

/// A key that signs transactions, with its account state.
pub struct Signer {
    key: SigningKey,
    address: String,
    /// (account number, next sequence) once fetched.
    account: Option<(u64, u64)>,
}

impl Signer {
    pub fn new(key: SigningKey, prefix: &str) -> Result<Signer, ClientError> {
        let address = key.address(prefix)?;
        Ok(Signer { key, address, account: None })
    }

    pub fn address(&self) -> &str {
        &self.address
    }
}

/// Optional settings of one transaction.
#[derive(Clone, Debug, Default)]
pub struct TxOptions {
    pub memo: String,
    /// `None`: the client's configured gas setting.
    pub gas: Option<Gas>,
    /// `None`: gas × the configured gas price.
    pub fees: Option<Vec<Coin>>,
}

/// Progress of a transaction, for spinners and logs.
#[derive(Clone, Debug)]
pub enum TxProgress<'a> {
    Simulated { gas_used: u64, gas_limit: u64 },
    Broadcast { hash: &'a str },
    Waiting { hash: &'a str, elapsed: Duration },
}

fn proto_coins(coins: &[Coin]) -> Vec<ProtoCoin> {
    coins.iter().map(|c| ProtoCoin { denom: c.denom.clone(), amount: c.amount.to_string() }).collect()
}

/// The signed `TxRaw` bytes.
#[allow(clippy::too_many_arguments)]
pub fn sign_tx(
    key: &SigningKey,
    chain_id: &str,
    account_number: u64,
    sequence: u64,
    msgs: &[Any],
    memo: &str,
    gas_limit: u64,
    fees: &[Coin],
) -> Vec<u8> {
    let body = TxBody { messages: msgs.to_vec(), memo: memo.to_string(), ..Default::default() };
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
        fee: Some(Fee { amount: proto_coins(fees), gas_limit, ..Default::default() }),
        ..Default::default()
    };
    let (body_bytes, auth_info_bytes) = (body.encode_to_vec(), auth.encode_to_vec());
    let doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: chain_id.to_string(),
        account_number,
    };
    let signature = key.sign_direct(&doc.encode_to_vec());
    TxRaw { body_bytes, auth_info_bytes, signatures: vec![signature.to_vec()] }.encode_to_vec()
}

/// A simulation's error without the SDK's trailing "With gas wanted: 'N' and gas used: 'M'"
/// (the user asked for neither; the reason comes first).
fn without_gas_noise(message: &str) -> String {
    let message = message.trim();
    match message.rfind(" With gas wanted: '") {
        Some(i) if message[i..].contains("and gas used: '") => message[..i].trim_end().to_string(),
        _ => message.to_string(),
    }
}

/// Whether the node refused a tx (or its simulation) for its account sequence (SDK code 32).
pub fn is_sequence_mismatch(e: &ClientError) -> bool {
    match e {
        ClientError::TxRejected { code, codespace, .. } => *code == WRONG_SEQUENCE && codespace == "sdk",
        ClientError::Simulation { log } => log.contains("incorrect account sequence"),
        _ => false,
    }
}

impl ChainClient {
    async fn refresh(&self, signer: &mut Signer) -> Result<(u64, u64), ClientError> {
        let acc = self.account(&signer.address).await?.ok_or_else(|| {
            ClientError::invalid(
                "signer",
                format!(
                    "account {} does not exist on chain {} yet: send it some tokens first",
                    signer.address,
                    self.chain_id()
                ),
            )
        })?;
        let state = (acc.account_number, acc.sequence);
        signer.account = Some(state);
        Ok(state)
    }

    /// Gas the messages use when run now (signature checks skipped, their gas charged). The
    /// simulated tx carries a fee like the real one (`fees`, or the gas price's fee for
    /// [`SIMULATION_GAS_GUESS`]) so the gas of deducting it is counted too.
    pub async fn simulate(
        &self,
        signer: &mut Signer,
        msgs: &[Any],
        memo: &str,
        fees: Option<&[Coin]>,
    ) -> Result<u64, ClientError> {
        let (number, sequence) = match signer.account {
            Some(s) => s,
            None => self.refresh(signer).await?,
        };
        let price = &self.config().gas_price;
        let guess = [Coin { denom: price.denom.clone(), amount: price.fee_for(SIMULATION_GAS_GUESS) }];
        let fees = fees.unwrap_or(&guess);
        let tx = sign_tx(&signer.key, self.chain_id(), number, sequence, msgs, memo, SIMULATION_GAS_GUESS, fees);
        let res = self
            .retry("Simulate", |ch| {
                let tx = tx.clone();
                async move { TxClient::new(ch).simulate(SimulateRequest { tx_bytes: tx, ..Default::default() }).await }
            })
            .await
            .map_err(|e| match e {
                ClientError::Query { message, .. } => ClientError::Simulation { log: without_gas_noise(&message) },
                other => other,
            })?;
        res.gas_info.map(|g| g.gas_used).ok_or_else(|| ClientError::decode("Simulate", "no gas info"))
    }

    /// Broadcasts signed bytes (SYNC: CheckTx); returns the tx hash, or the rejection.
    pub async fn broadcast(&self, tx: Vec<u8>) -> Result<String, ClientError> {
        let res = self
            .retry("BroadcastTx", |ch| {
                let tx = tx.clone();
                async move {
                    TxClient::new(ch)
                        .broadcast_tx(BroadcastTxRequest { tx_bytes: tx, mode: BroadcastMode::Sync as i32 })
                        .await
                }
            })
            .await?
            .tx_response
            .ok_or_else(|| ClientError::decode("BroadcastTx", "no tx_response"))?;
        if res.code != 0 {
            return Err(ClientError::TxRejected {
                hash: res.txhash,
                codespace: res.codespace,
                code: res.code,
                log: res.raw_log,
            });
        }
        Ok(res.txhash)
    }

    /// Polls until the tx is in a block or the inclusion timeout passes.
    pub async fn wait_for_tx(
        &self,
        hash: &str,
        progress: &mut (dyn FnMut(TxProgress<'_>) + Send),
    ) -> Result<TxResult, ClientError> {
        let started = Instant::now();
        loop {
            if let Some(r) = self.tx(hash).await? {
                return Ok(r);
            }
            let elapsed = started.elapsed();
            if elapsed >= self.config().inclusion_timeout {
                return Err(ClientError::Timeout { hash: hash.to_string(), waited_secs: elapsed.as_secs() });
            }
            progress(TxProgress::Waiting { hash, elapsed });
            tokio::time::sleep(POLL).await;
        }
    }

    /// Simulates (if gas is auto), signs, broadcasts and waits for inclusion. A tx the block
    /// rejected comes back as [`ClientError::TxRejected`] (its fee was still paid).
    pub async fn send_tx(
        &self,
        signer: &mut Signer,
        msgs: Vec<Any>,
        opts: &TxOptions,
        progress: &mut (dyn FnMut(TxProgress<'_>) + Send),
    ) -> Result<TxResult, ClientError> {
        let result = self.send_tx_once(signer, msgs, opts, progress).await;
        if result.is_err() {
            // Whatever failed, the next tx reads the account again: another client may have
            // used the key (a stale sequence never sticks to a long-lived signer).
            signer.account = None;
        }
        result
    }

    async fn send_tx_once(
        &self,
        signer: &mut Signer,
        msgs: Vec<Any>,
        opts: &TxOptions,
        progress: &mut (dyn FnMut(TxProgress<'_>) + Send),
    ) -> Result<TxResult, ClientError> {
        let mut recovered = false;
        loop {
            let (number, sequence) = match signer.account {
                Some(s) => s,
                None => self.refresh(signer).await?,
            };
            let gas_limit = match opts.gas.unwrap_or(self.config().gas) {
                Gas::Fixed(g) => g,
                Gas::Auto { adjustment } => {
                    let used = match self.simulate(signer, &msgs, &opts.memo, opts.fees.as_deref()).await {
                        Ok(used) => used,
                        // The simulation saw another sequence: another client used the key.
                        Err(e) if is_sequence_mismatch(&e) && !recovered => {
                            tracing::debug!(
                                "sequence mismatch in simulation for {}; refetching the account",
                                signer.address
                            );
                            recovered = true;
                            signer.account = None;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let limit = ((used as f64) * adjustment).ceil() as u64;
                    progress(TxProgress::Simulated { gas_used: used, gas_limit: limit });
                    limit
                }
            };
            let fees = match &opts.fees {
                Some(f) => f.clone(),
                None => {
                    let price = &self.config().gas_price;
                    vec![Coin { denom: price.denom.clone(), amount: price.fee_for(gas_limit) }]
                }
            };
            let tx = sign_tx(&signer.key, self.chain_id(), number, sequence, &msgs, &opts.memo, gas_limit, &fees);
            let hash = match self.broadcast(tx).await {
                Ok(h) => h,
                Err(e) if is_sequence_mismatch(&e) && !recovered => {
                    tracing::debug!("sequence mismatch for {}; refetching the account", signer.address);
                    recovered = true;
                    signer.account = None;
                    continue;
                }
                Err(e) => return Err(e),
            };
            signer.account = Some((number, sequence + 1));
            progress(TxProgress::Broadcast { hash: &hash });
            let result = self.wait_for_tx(&hash, progress).await?;
            if !result.is_ok() {
                return Err(ClientError::TxRejected {
                    hash: result.hash,
                    codespace: result.codespace,
                    code: result.code,
                    log: result.log,
                });
            }
            return Ok(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MNEMONIC: &str = "rare undo idea swear indoor retire limit drum joy beyond develop foam";

    /// The signature covers exactly `SignDoc{body_bytes, auth_info_bytes, chain_id,
    /// account_number}` built from the bytes inside the `TxRaw`, as the node verifies it.
    #[test]
    fn signed_tx_verifies_over_the_sign_doc_of_its_own_bytes() {
        let key = SigningKey::from_mnemonic(MNEMONIC, "", 0).unwrap();
        let msg = Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: vec![1, 2, 3] };
        let fees = [Coin::new(5000u128, "ulease")];
        let raw = sign_tx(&key, "leasehold-dev-1", 7, 3, &[msg], "memo", 200_000, &fees);
        let tx = TxRaw::decode(raw.as_slice()).unwrap();
        let doc = SignDoc {
            body_bytes: tx.body_bytes.clone(),
            auth_info_bytes: tx.auth_info_bytes.clone(),
            chain_id: "leasehold-dev-1".into(),
            account_number: 7,
        };
        let pk = key.public_key().to_bytes();
        leasehold_keys::verify(&pk, &doc.encode_to_vec(), &tx.signatures[0]).unwrap();
        // Another chain id or account number is another document.
        let other = SignDoc { chain_id: "other".into(), ..doc.clone() };
        assert!(leasehold_keys::verify(&pk, &other.encode_to_vec(), &tx.signatures[0]).is_err());
        let auth = AuthInfo::decode(tx.auth_info_bytes.as_slice()).unwrap();
        let signer = &auth.signer_infos[0];
        assert_eq!(signer.sequence, 3);
        assert_eq!(auth.fee.unwrap().gas_limit, 200_000);
        assert_eq!(TxBody::decode(tx.body_bytes.as_slice()).unwrap().memo, "memo");
    }

    #[test]
    fn simulation_errors_lose_the_gas_noise_only() {
        let raw = "failed to execute message; message index: 0: order is closed: execute wasm contract failed With gas wanted: '100000000' and gas used: '123456' ";
        assert_eq!(
            without_gas_noise(raw),
            "failed to execute message; message index: 0: order is closed: execute wasm contract failed"
        );
        assert_eq!(without_gas_noise(" plain error "), "plain error");
        assert_eq!(without_gas_noise("With gas wanted: 'x'"), "With gas wanted: 'x'");
    }

    #[test]
    fn fees_round_up() {
        let price: crate::client::GasPrice = "0.025ulease".parse().unwrap();
        assert_eq!(price.fee_for(200_001).to_string(), "5001");
        assert!("ulease".parse::<crate::client::GasPrice>().is_err());
    }
}
