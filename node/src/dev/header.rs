//! Block headers as CometBFT 0.38 builds them, for the single dev validator: data hash over the
//! tx hashes, validator-set and consensus-params hashes, results hash of the previous block,
//! and the header hash as block id (computed by tendermint-rs, so clients verify it).

use prost::Message;
use sha2::{Digest, Sha256};
use tendermint::block::header::Version;
use tendermint::block::parts::Header as PartSetHeader;
use tendermint::block::{self, Height};
use tendermint::crypto::ed25519::SigningKey;
use tendermint::merkle::simple_hash_from_byte_vectors;
use tendermint::{AppHash, Hash, PublicKey, Time, account, chain, validator};
use tendermint_proto::abci::ExecTxResult;
use tendermint_proto::types::{BlockId as RawBlockId, HashedParams, Header as RawHeader};

use crate::app::params::BlockParams;
use crate::error::NodeError;

/// The one validator of a dev chain.
#[derive(Clone, Debug)]
pub struct DevValidator {
    pub public_key: PublicKey,
    pub address: account::Id,
    pub power: u64,
}

impl DevValidator {
    /// The validator whose ed25519 key is `seed` (`config/priv_validator_key.json`).
    pub fn from_seed(seed: &[u8; 32]) -> Result<Self, NodeError> {
        let key =
            SigningKey::try_from(seed.as_slice()).map_err(|e| NodeError::Config(format!("validator key: {e}")))?;
        let public_key = PublicKey::from_raw_ed25519(key.verification_key().as_bytes())
            .ok_or_else(|| NodeError::Config("validator key: invalid ed25519 key".into()))?;
        Ok(DevValidator { address: account::Id::from(public_key), public_key, power: 10 })
    }

    pub fn set(&self) -> Result<validator::Set, NodeError> {
        let power = tendermint::vote::Power::try_from(self.power).map_err(|e| NodeError::Config(e.to_string()))?;
        let info = validator::Info::new(self.public_key, power);
        Ok(validator::Set::new(vec![info.clone()], Some(info)))
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// CometBFT's `Txs.Hash()`: the Merkle root of the txs' sha256 hashes.
pub fn data_hash(txs: &[Vec<u8>]) -> Hash {
    let hashes: Vec<[u8; 32]> = txs.iter().map(|t| sha256(t)).collect();
    Hash::Sha256(simple_hash_from_byte_vectors::<tendermint::crypto::default::Sha256>(&hashes))
}

/// CometBFT's `ABCIResults.Hash()`: the Merkle root of each result's deterministic part
/// (code, data, gas wanted, gas used).
pub fn results_hash(results: &[ExecTxResult]) -> Hash {
    let leaves: Vec<Vec<u8>> = results
        .iter()
        .map(|r| {
            ExecTxResult {
                code: r.code,
                data: r.data.clone(),
                gas_wanted: r.gas_wanted,
                gas_used: r.gas_used,
                ..Default::default()
            }
            .encode_to_vec()
        })
        .collect();
    Hash::Sha256(simple_hash_from_byte_vectors::<tendermint::crypto::default::Sha256>(&leaves))
}

/// CometBFT's `ConsensusParams.Hash()`.
pub fn consensus_hash(block: &BlockParams) -> Hash {
    Hash::Sha256(sha256(
        &HashedParams { block_max_bytes: block.max_bytes_i64(), block_max_gas: block.max_gas_i64() }.encode_to_vec(),
    ))
}

/// What a new header is built from.
pub struct HeaderInput<'a> {
    pub chain_id: &'a str,
    /// The chain's block limits (hashed into the header as CometBFT does).
    pub block_params: &'a BlockParams,
    pub height: u64,
    pub time: Time,
    pub last_block_id: Option<RawBlockId>,
    pub txs: &'a [Vec<u8>],
    /// App hash after the previous block (genesis: the InitChain hash).
    pub app_hash: &'a [u8],
    pub last_results: &'a [ExecTxResult],
}

/// The header and block id of a new block.
pub fn build_header(v: &DevValidator, input: &HeaderInput<'_>) -> Result<(RawHeader, RawBlockId), NodeError> {
    let bad = |e: &dyn std::fmt::Display| NodeError::Consensus(format!("header: {e}"));
    let vset = v.set()?.hash();
    let last_block_id = match &input.last_block_id {
        None => None,
        Some(id) => Some(block::Id::try_from(id.clone()).map_err(|e| bad(&e))?),
    };
    let header = block::Header {
        version: Version { block: 11, app: 0 },
        chain_id: chain::Id::try_from(input.chain_id.to_string()).map_err(|e| bad(&e))?,
        height: Height::try_from(input.height).map_err(|e| bad(&e))?,
        time: input.time,
        last_block_id,
        last_commit_hash: None,
        data_hash: Some(data_hash(input.txs)),
        validators_hash: vset,
        next_validators_hash: vset,
        consensus_hash: consensus_hash(input.block_params),
        app_hash: AppHash::try_from(input.app_hash.to_vec()).map_err(|e| bad(&e))?,
        last_results_hash: Some(results_hash(input.last_results)),
        evidence_hash: Some(Hash::Sha256(simple_hash_from_byte_vectors::<tendermint::crypto::default::Sha256>(
            &Vec::<Vec<u8>>::new(),
        ))),
        proposer_address: v.address,
    };
    let hash = header.hash();
    // The dev producer does not gossip block parts; its one part's hash covers header and data.
    let part_hash = {
        let mut h = Sha256::new();
        h.update(hash.as_bytes());
        h.update(data_hash(input.txs).as_bytes());
        Hash::Sha256(h.finalize().into())
    };
    let id = block::Id { hash, part_set_header: PartSetHeader::new(1, part_hash).map_err(|e| bad(&e))? };
    Ok((RawHeader::from(header), RawBlockId::from(id)))
}
