//! The genesis file (`genesis.json`, CometBFT's layout with Leasehold's `app_state`) and how
//! the chain's first state is built from it.
//!
//! `app_state` holds: `auth` (transaction limits and accounts to create), `bank` (initial
//! balances, which also create the accounts), `wasm` (the upload allow-list, the codes to
//! store — bytes inline, base64 — and which to pin, and the contracts to instantiate in
//! order). Contract addresses follow from the order: wasmd's classic address of (code id,
//! instance number), listed in the README ("The node", Genesis).

use cosmwasm_std::{Binary, Coin};
use serde::{Deserialize, Serialize};

use crate::app::params::BlockParams;
use crate::tx::TxLimits;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Genesis {
    /// RFC 3339 time of the first block.
    pub genesis_time: String,
    pub chain_id: String,
    /// First block height, as a decimal string (CometBFT's encoding of int64).
    pub initial_height: String,
    /// Always empty: the app computes it at InitChain.
    #[serde(default)]
    pub app_hash: String,
    /// CometBFT's consensus params; the node reads `block.max_bytes` and `block.max_gas`
    /// (decimal strings; absent: [`BlockParams::default`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus_params: Option<serde_json::Value>,
    pub app_state: AppState,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppState {
    pub auth: AuthGenesis,
    pub bank: BankGenesis,
    pub wasm: WasmGenesis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthGenesis {
    pub params: TxLimits,
    /// Accounts created (numbered) in this order before balances are credited.
    #[serde(default)]
    pub accounts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankGenesis {
    pub balances: Vec<GenesisBalance>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisBalance {
    pub address: String,
    pub coins: Vec<Coin>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WasmGenesis {
    /// Addresses allowed to upload code (`MsgStoreCode`); everyone else gets `unauthorized`.
    pub upload_allowlist: Vec<String>,
    /// Codes stored in this order (code ids 1, 2, ...).
    #[serde(default)]
    pub codes: Vec<GenesisCode>,
    /// Contracts instantiated in this order, after every code is stored.
    #[serde(default)]
    pub contracts: Vec<GenesisContract>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisCode {
    /// A short name for logs and docs (`market`, `escrow`, `provider`).
    pub name: String,
    pub creator: String,
    pub wasm_byte_code: Binary,
    /// Keep it compiled in memory with the setup-cost discount (wasmd's pinned codes).
    pub pin: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisContract {
    pub sender: String,
    pub code_id: u64,
    pub label: String,
    pub admin: Option<String>,
    pub msg: RawJson,
    #[serde(default)]
    pub funds: Vec<Coin>,
}

/// A contract message as the genesis file holds it: its raw JSON text, passed to the contract
/// byte for byte. Parsed into a `serde_json::Value` and printed again it would change (keys
/// re-ordered, numbers beyond 2^64 rounded through `f64`), and the contract's state would
/// depend on how this binary prints JSON rather than on the file every validator shares.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<serde_json::value::RawValue>);

impl RawJson {
    /// The JSON of `value`.
    pub fn of<T: Serialize>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(RawJson)
    }

    /// The exact bytes of the message.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.get().as_bytes()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

/// CometBFT's `consensus_params` genesis object with these block limits and its defaults for
/// the rest (what `leaseholdd init`, `testnet` and the dev RPC's `genesis` write).
pub fn consensus_params_json(block: &BlockParams) -> serde_json::Value {
    serde_json::json!({
        "block": {"max_bytes": block.max_bytes_i64().to_string(), "max_gas": block.max_gas_i64().to_string()},
        "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
        "validator": {"pub_key_types": ["ed25519"]},
        "version": {"app": "0"},
        "abci": {"vote_extensions_enable_height": "0"}
    })
}

impl Genesis {
    pub fn from_json(bytes: &[u8]) -> Result<Genesis, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("invalid genesis: {e}"))
    }

    pub fn initial_height(&self) -> Result<u64, String> {
        self.initial_height.parse().map_err(|_| format!("initial_height {:?} is not a number", self.initial_height))
    }

    /// The block limits: `consensus_params.block` when given, else the defaults.
    pub fn block_params(&self) -> Result<BlockParams, String> {
        let Some(block) = self.consensus_params.as_ref().and_then(|c| c.get("block")) else {
            return Ok(BlockParams::default());
        };
        let field = |k: &str| -> Result<i64, String> {
            let v = block.get(k).ok_or_else(|| format!("consensus_params.block.{k} is missing"))?;
            match v {
                serde_json::Value::String(s) => s.parse().ok(),
                serde_json::Value::Number(n) => n.as_i64(),
                _ => None,
            }
            .ok_or_else(|| format!("consensus_params.block.{k} {v} is not an integer"))
        };
        BlockParams::from_cometbft(field("max_bytes")?, field("max_gas")?, &self.app_state.auth.params)
    }

    /// The genesis time as a block time.
    pub fn time(&self) -> Result<tendermint::Time, String> {
        tendermint::Time::parse_from_rfc3339(&self.genesis_time)
            .map_err(|e| format!("genesis_time {:?}: {e}", self.genesis_time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A genesis contract message reaches the contract exactly as the file writes it: key order,
    /// spacing and a number no `f64` holds survive reading and writing the genesis.
    #[test]
    fn contract_messages_are_kept_as_raw_bytes() {
        let msg = r#"{"zeta": 1,  "alpha": 340282366920938463463374607431768211455}"#;
        let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
        let dev = crate::devnet::dev_genesis(&artifacts, crate::devnet::DEV_CHAIN_ID, "2026-01-01T00:00:00Z")
            .expect("dev genesis (needs `make wasm`)");
        let mut genesis = serde_json::to_value(dev).expect("json");
        genesis["app_state"]["wasm"]["contracts"][0]["msg"] = serde_json::Value::Null;
        let text = genesis.to_string().replace(r#""msg":null"#, &format!(r#""msg":{msg}"#));
        let parsed = Genesis::from_json(text.as_bytes()).expect("genesis");
        let contract = &parsed.app_state.wasm.contracts[0];
        assert_eq!(contract.msg.as_bytes(), msg.as_bytes());
        let again = Genesis::from_json(&serde_json::to_vec(&parsed).expect("write")).expect("read back");
        assert_eq!(again.app_state.wasm.contracts[0].msg.as_bytes(), msg.as_bytes());
    }
}
