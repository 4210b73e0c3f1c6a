//! Limits every transaction is checked against before anything runs.

use serde::{Deserialize, Serialize};

/// Size, count and gas limits (genesis `app_state.auth.params`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxLimits {
    /// Largest `TxRaw` in bytes (a wasm upload of 800 KiB must fit).
    pub max_tx_bytes: u64,
    /// Most messages per transaction.
    pub max_msgs: u64,
    /// Longest memo in characters (SDK default 256).
    pub max_memo_characters: u64,
    /// Most signatures per transaction (SDK default 7).
    pub tx_sig_limit: u64,
    /// Gas per byte of the transaction (SDK default 10).
    pub tx_size_cost_per_byte: u64,
    /// Gas of one secp256k1 signature check (SDK default 1000).
    pub sig_verify_cost_secp256k1: u64,
    /// Largest gas limit a transaction may ask for.
    pub max_gas_wanted: u64,
}

impl Default for TxLimits {
    fn default() -> Self {
        Self {
            max_tx_bytes: 1024 * 1024,
            max_msgs: 64,
            max_memo_characters: 256,
            tx_sig_limit: 7,
            tx_size_cost_per_byte: 10,
            sig_verify_cost_secp256k1: 1000,
            max_gas_wanted: 100_000_000,
        }
    }
}
