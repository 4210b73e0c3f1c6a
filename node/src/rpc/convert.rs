//! What the block store holds ([`StoredBlock`]: protobuf header, block id, txs, results, events)
//! as tendermint-rs domain types, whose serde form is CometBFT 0.38's JSON: blocks (with the
//! previous block's commit, signed by the dev validator), block metas, tx results, events, and
//! the `/tx` answer. Shapes tendermint-rs serialises differently from CometBFT (validators,
//! block results) have their own types here.

use ed25519_consensus::SigningKey;
use prost::Message;
use serde::Serialize;
use tendermint::block::{self, Block, Commit, CommitSig, Header, Height, Round};
use tendermint::vote::{self, ValidatorIndex, Vote};
use tendermint::{AppHash, Hash, PublicKey, Signature, Time, abci, account, chain, evidence};

use super::error::RpcError;
use crate::blockstore::StoredBlock;
use crate::dev::DevValidator;
use crate::tx::tx_hash;

fn internal(what: &str, e: impl std::fmt::Display) -> RpcError {
    RpcError::internal(format!("stored {what} is malformed: {e}"))
}

/// The stored header.
pub fn header(b: &StoredBlock) -> Result<Header, RpcError> {
    let raw = b.header.clone().ok_or_else(|| internal("block", "no header"))?;
    Header::try_from(raw).map_err(|e| internal("header", e))
}

/// The stored block id.
pub fn block_id(b: &StoredBlock) -> Result<block::Id, RpcError> {
    let raw = b.block_id.clone().ok_or_else(|| internal("block", "no block id"))?;
    block::Id::try_from(raw).map_err(|e| internal("block id", e))
}

/// Signs commits as the dev validator: its key and the chain they are for.
#[derive(Clone)]
pub struct CommitSigner {
    pub validator: DevValidator,
    pub key: SigningKey,
}

impl CommitSigner {
    /// The commit of the block before `header` (`header.last_block_id`) as CometBFT puts it into
    /// `header`'s block: one precommit of the single validator, timestamped with `header.time`
    /// (with one validator the block time is that vote's time). Block 1 gets CometBFT's empty
    /// commit (height 0, empty block id, no signatures).
    pub fn last_commit(&self, header: &Header) -> Result<Commit, RpcError> {
        let Some(last_id) = header.last_block_id else {
            return Ok(Commit::default());
        };
        let height = Height::try_from(header.height.value().saturating_sub(1)).map_err(|e| internal("height", e))?;
        let vote = Vote {
            vote_type: vote::Type::Precommit,
            height,
            round: Round::default(),
            block_id: Some(last_id),
            timestamp: Some(header.time),
            validator_address: self.validator.address,
            validator_index: ValidatorIndex::try_from(0_u32).map_err(|e| internal("validator index", e))?,
            signature: None,
            extension: vec![],
            extension_signature: None,
        };
        let chain_id: chain::Id = header.chain_id.clone();
        let sign_bytes = vote.into_signable_vec(chain_id);
        let signature = Signature::new(self.key.sign(&sign_bytes).to_bytes()).map_err(|e| internal("signature", e))?;
        Ok(Commit {
            height,
            round: Round::default(),
            block_id: last_id,
            signatures: vec![CommitSig::BlockIdFlagCommit {
                validator_address: self.validator.address,
                timestamp: header.time,
                signature,
            }],
        })
    }
}

/// The stored block as CometBFT's `Block`.
pub fn block(b: &StoredBlock, signer: &CommitSigner) -> Result<Block, RpcError> {
    let header = header(b)?;
    let last_commit = signer.last_commit(&header)?;
    Ok(Block::new(header, b.txs.clone(), evidence::List::default(), Some(last_commit)))
}

/// Writes a header's missing `last_block_id` (block 1) as CometBFT does, an empty block id
/// (`{"hash":"","parts":{"total":0,"hash":""}}`), where tendermint-rs writes `null` (CosmJS
/// reads `last_block_id.hash`).
fn cometbft_header(value: &mut serde_json::Value) {
    if let Some(id) = value.get_mut("header").and_then(|h| h.get_mut("last_block_id")).filter(|id| id.is_null()) {
        *id = serde_json::json!({"hash": "", "parts": {"total": 0, "hash": ""}});
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, RpcError> {
    serde_json::to_value(v).map_err(|e| RpcError::internal(format!("error marshaling response: {e}")))
}

/// The stored block as CometBFT's JSON.
pub fn block_json(b: &StoredBlock, signer: &CommitSigner) -> Result<serde_json::Value, RpcError> {
    let mut v = to_value(&block(b, signer)?)?;
    cometbft_header(&mut v);
    Ok(v)
}

/// The stored block's `BlockMeta` as CometBFT's JSON.
pub fn meta_json(b: &StoredBlock, signer: &CommitSigner) -> Result<serde_json::Value, RpcError> {
    let mut v = to_value(&meta(b, signer)?)?;
    cometbft_header(&mut v);
    Ok(v)
}

/// The `block` / `block_by_hash` answer.
#[derive(Clone, Debug, Serialize)]
pub struct BlockResponseJson {
    pub block_id: block::Id,
    pub block: Option<serde_json::Value>,
}

/// The `blockchain` answer.
#[derive(Clone, Debug, Serialize)]
pub struct BlockchainJson {
    pub last_height: Height,
    pub block_metas: Vec<serde_json::Value>,
}

/// CometBFT's `BlockMeta`: id, size of the protobuf-encoded block, header, tx count.
pub fn meta(b: &StoredBlock, signer: &CommitSigner) -> Result<block::Meta, RpcError> {
    let full = block(b, signer)?;
    let block_size = tendermint_proto::v0_38::types::Block::from(full.clone()).encoded_len();
    Ok(block::Meta {
        block_id: block_id(b)?,
        block_size: i64::try_from(block_size).unwrap_or(i64::MAX),
        header: full.header,
        num_txs: i64::try_from(b.txs.len()).unwrap_or(i64::MAX),
    })
}

/// A tx result (`abci.ExecTxResult`, also the shape of `ResponseCheckTx` in `broadcast_tx_commit`)
/// as CometBFT writes it: `data` base64 (`null` when empty), gas as strings, string event
/// attributes. (tendermint-rs writes `data` as an array of numbers, which CosmJS cannot read.)
#[derive(Clone, Debug, Serialize)]
pub struct TxResultJson {
    pub code: u32,
    #[serde(serialize_with = "base64_or_null")]
    pub data: Vec<u8>,
    pub log: String,
    pub info: String,
    pub gas_wanted: String,
    pub gas_used: String,
    pub events: Vec<abci::Event>,
    pub codespace: String,
}

/// The empty result (a tx that never ran), as Go's zero `ExecTxResult` is written.
impl Default for TxResultJson {
    fn default() -> Self {
        TxResultJson {
            code: 0,
            data: vec![],
            log: String::new(),
            info: String::new(),
            gas_wanted: "0".into(),
            gas_used: "0".into(),
            events: vec![],
            codespace: String::new(),
        }
    }
}

pub fn exec_result(r: &tendermint_proto::abci::ExecTxResult) -> Result<TxResultJson, RpcError> {
    Ok(TxResultJson {
        code: r.code,
        data: r.data.to_vec(),
        log: r.log.clone(),
        info: r.info.clone(),
        gas_wanted: r.gas_wanted.to_string(),
        gas_used: r.gas_used.to_string(),
        events: events(&r.events)?,
        codespace: r.codespace.clone(),
    })
}

pub fn events(list: &[tendermint_proto::abci::Event]) -> Result<Vec<abci::Event>, RpcError> {
    list.iter().map(|e| abci::Event::try_from(e.clone()).map_err(|e| internal("event", e))).collect()
}

pub fn hash(bytes: &[u8]) -> Result<Hash, RpcError> {
    Hash::from_bytes(tendermint::hash::Algorithm::Sha256, bytes).map_err(|e| internal("hash", e))
}

/// The `tx` answer (CometBFT's `ResultTx`, without a proof), also each entry of `tx_search`.
#[derive(Clone, Debug, Serialize)]
pub struct TxJson {
    pub hash: Hash,
    pub height: Height,
    pub index: u32,
    pub tx_result: TxResultJson,
    #[serde(serialize_with = "base64")]
    pub tx: Vec<u8>,
}

/// The `tx_search` answer.
#[derive(Clone, Debug, Serialize)]
pub struct TxSearchJson {
    pub txs: Vec<TxJson>,
    pub total_count: String,
}

/// The `broadcast_tx_commit` answer.
#[derive(Clone, Debug, Serialize)]
pub struct TxCommitJson {
    pub check_tx: TxResultJson,
    pub tx_result: TxResultJson,
    pub hash: Hash,
    pub height: Height,
}

/// The `tx` answer for tx `index` of `b`.
pub fn tx_response(b: &StoredBlock, index: usize) -> Result<TxJson, RpcError> {
    let raw = b.txs.get(index).ok_or_else(|| internal("block", "indexed tx missing"))?;
    let result = b.results.get(index).ok_or_else(|| internal("block", "indexed tx result missing"))?;
    Ok(TxJson {
        hash: hash(&tx_hash(raw))?,
        height: Height::try_from(b.height()).map_err(|e| internal("height", e))?,
        index: u32::try_from(index).unwrap_or(u32::MAX),
        tx_result: exec_result(result)?,
        tx: raw.clone(),
    })
}

fn base64<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine;
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// CometBFT's `types.Validator` as the `validators` method writes it. (tendermint-rs's
/// `validator::Info` writes `power` and `name` instead of `voting_power` and
/// `proposer_priority`, which CosmJS requires.)
#[derive(Clone, Debug, Serialize)]
pub struct ValidatorJson {
    #[serde(serialize_with = "upper_hex")]
    pub address: account::Id,
    pub pub_key: PublicKey,
    pub voting_power: String,
    pub proposer_priority: String,
}

/// `status.validator_info`.
#[derive(Clone, Debug, Serialize)]
pub struct ValidatorInfoJson {
    #[serde(serialize_with = "upper_hex")]
    pub address: account::Id,
    pub pub_key: PublicKey,
    pub voting_power: String,
}

fn upper_hex<S: serde::Serializer>(id: &account::Id, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode_upper(id.as_bytes()))
}

impl ValidatorJson {
    pub fn of(v: &DevValidator) -> Self {
        ValidatorJson {
            address: v.address,
            pub_key: v.public_key,
            voting_power: v.power.to_string(),
            proposer_priority: "0".into(),
        }
    }
}

impl ValidatorInfoJson {
    pub fn of(v: &DevValidator) -> Self {
        ValidatorInfoJson { address: v.address, pub_key: v.public_key, voting_power: v.power.to_string() }
    }
}

/// The `validators` answer (CometBFT's `ResultValidators`, with `count`, which tendermint-rs
/// leaves out and CosmJS requires).
#[derive(Clone, Debug, Serialize)]
pub struct ValidatorsJson {
    pub block_height: Height,
    pub validators: Vec<ValidatorJson>,
    pub count: String,
    pub total: String,
}

/// The `block_results` answer in CometBFT 0.38's shape (`ResultBlockResults`): empty lists are
/// `null` as Go writes nil slices, `app_hash` is base64.
#[derive(Clone, Debug, Serialize)]
pub struct BlockResultsJson {
    pub height: Height,
    pub txs_results: Option<Vec<TxResultJson>>,
    pub finalize_block_events: Option<Vec<abci::Event>>,
    pub validator_updates: Option<Vec<()>>,
    pub consensus_param_updates: Option<()>,
    #[serde(serialize_with = "base64_or_null")]
    pub app_hash: Vec<u8>,
}

fn base64_or_null<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine;
    if bytes.is_empty() {
        s.serialize_none()
    } else {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

pub fn block_results(b: &StoredBlock) -> Result<BlockResultsJson, RpcError> {
    Ok(BlockResultsJson {
        height: Height::try_from(b.height()).map_err(|e| internal("height", e))?,
        txs_results: non_empty(b.results.iter().map(exec_result).collect::<Result<_, _>>()?),
        finalize_block_events: non_empty(events(&b.events)?),
        validator_updates: None,
        consensus_param_updates: None,
        app_hash: b.app_hash.clone(),
    })
}

/// The app hash of a header (for status), as tendermint-rs's type.
pub fn app_hash(bytes: &[u8]) -> Result<AppHash, RpcError> {
    AppHash::try_from(bytes.to_vec()).map_err(|e| internal("app hash", e))
}

/// The time of a stored header (the epoch when missing).
pub fn time(b: &StoredBlock) -> Time {
    b.header.as_ref().and_then(|h| h.time).and_then(|t| Time::try_from(t).ok()).unwrap_or_else(Time::unix_epoch)
}
