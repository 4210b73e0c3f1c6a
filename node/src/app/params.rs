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
