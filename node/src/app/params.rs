//! Chain parameters kept in the state (so every node agrees on them and they are part of the
//! app hash): `params/chain` = JSON [`ChainParams`].

use leasehold_wasm_host::Store;
use serde::{Deserialize, Serialize};

use crate::tx::TxLimits;

const PARAMS_KEY: &[u8] = b"params/chain";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainParams {
    pub chain_id: String,
    pub limits: TxLimits,
    pub upload_allowlist: Vec<String>,
    /// The consensus block limits (genesis `consensus_params.block`, or CometBFT's InitChain).
    #[serde(default)]
    pub block: BlockParams,
}

/// Bytes per block, as CometBFT's default.
pub const DEFAULT_BLOCK_MAX_BYTES: u64 = 22_020_096;
/// Gas per block: ten of the largest transactions (`TxLimits::max_gas_wanted`, 100M), about
/// 2,800 `create_bid`s.
pub const DEFAULT_BLOCK_MAX_GAS: u64 = 1_000_000_000;

/// How much one block may hold: the sum of its txs' bytes and of their gas limits (gas wanted),
/// as CometBFT reaps its mempool and the Cosmos SDK meters a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockParams {
    pub max_bytes: u64,
    pub max_gas: u64,
}

impl Default for BlockParams {
    fn default() -> Self {
        Self { max_bytes: DEFAULT_BLOCK_MAX_BYTES, max_gas: DEFAULT_BLOCK_MAX_GAS }
    }
}

impl BlockParams {
    /// Parses CometBFT's JSON form (int64 as decimal strings; `max_gas` -1 means no limit) and
    /// checks that the largest transaction the chain allows fits in a block.
    pub fn from_cometbft(max_bytes: i64, max_gas: i64, limits: &TxLimits) -> Result<Self, String> {
        let max_bytes = u64::try_from(max_bytes)
            .ok()
            .filter(|b| *b > 0)
            .ok_or_else(|| format!("consensus_params.block.max_bytes {max_bytes} must be positive"))?;
        let max_gas = match max_gas {
            -1 => u64::MAX,
            g => u64::try_from(g).map_err(|_| format!("consensus_params.block.max_gas {g} must be -1 or positive"))?,
        };
        if max_gas < limits.max_gas_wanted {
            return Err(format!(
                "consensus_params.block.max_gas {max_gas} is below the largest tx gas limit {} (auth.params.max_gas_wanted)",
                limits.max_gas_wanted
            ));
        }
        Ok(Self { max_bytes, max_gas })
    }

    /// `max_gas` as CometBFT's int64 (-1 for no limit).
    pub fn max_gas_i64(&self) -> i64 {
        i64::try_from(self.max_gas).unwrap_or(-1)
    }

    pub fn max_bytes_i64(&self) -> i64 {
        i64::try_from(self.max_bytes).unwrap_or(i64::MAX)
    }
}

pub fn save_params(store: &Store, params: &ChainParams) {
    // Serialising plain strings and integers cannot fail.
    let bytes = serde_json::to_vec(params).unwrap_or_default();
    store.set(PARAMS_KEY, &bytes);
}

pub fn load_params(store: &Store) -> Result<Option<ChainParams>, String> {
    match store.get(PARAMS_KEY) {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b).map(Some).map_err(|e| format!("corrupt chain params: {e}")),
    }
}
