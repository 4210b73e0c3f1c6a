//! Message handlers: each message's checks (the SDK's and wasmd's `ValidateBasic` and keeper
//! checks) and its execution through the wasm host, returning the events and the `Any`
//! response that goes into `TxMsgData`.

use std::io::Read;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSendResponse;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm;
use cosmwasm_std::Event;
use flate2::read::GzDecoder;
use leasehold_wasm_host::bank::validate_coins;
use leasehold_wasm_host::{Bech32Api, GasMeter, HostError, MAX_WASM_SIZE, TxScope};
use prost::{Message, Name};

use crate::auth::FEE_COLLECTOR;
use crate::auth::accounts::module_address;
use crate::error::TxError;
use crate::tx::Msg;

/// wasmd `DefaultUncompressCost`: 0.15 gas per uncompressed byte.
const UNCOMPRESS_COST_PER_100_BYTES: u64 = 15;

/// Chain rules the handlers need.
pub struct HandlerEnv<'a> {
    pub api: &'a Bech32Api,
    /// Addresses allowed to upload code (genesis `wasm.upload_allowlist`).
    pub upload_allowlist: &'a [String],
}

fn any<M: Message + Name>(m: &M) -> Any {
    Any { type_url: M::type_url(), value: m.encode_to_vec() }
}

fn check_address(api: &Bech32Api, what: &str, address: &str) -> Result<(), TxError> {
    api.validate(address).map_err(|e| TxError::InvalidAddress(format!("invalid {what} address: {e}")))
}

/// The stateless checks of a message (the SDK's `ValidateBasic`): every address well formed,
/// required fields present. Run before the ante handler in every mode, so CheckTx refuses a
/// malformed message before it can cost a fee in a block.
pub fn validate_basic(api: &Bech32Api, msg: &Msg) -> Result<(), TxError> {
    let funds = |coins: &[cosmwasm_std::Coin]| validate_coins(coins).map_err(|e| TxError::InvalidCoins(e.to_string()));
    match msg {
        Msg::Send { from, to, amount } => {
            check_address(api, "from", from)?;
            check_address(api, "to", to)?;
            if amount.is_empty() {
                return Err(TxError::InvalidCoins("must send a positive amount".into()));
            }
            funds(amount)
        }
        Msg::StoreCode { sender, wasm } => {
            check_address(api, "sender", sender)?;
            if wasm.is_empty() {
                return Err(TxError::Host(HostError::Empty("code bytes: is required".into())));
            }
            if wasm.len() > MAX_WASM_SIZE {
                return Err(TxError::Host(HostError::Limit(format!(
                    "code bytes: cannot be longer than {MAX_WASM_SIZE} bytes"
                ))));
            }
            Ok(())
        }
        Msg::Instantiate { sender, admin, label, funds: coins, .. }
        | Msg::Instantiate2 { sender, admin, label, funds: coins, .. } => {
            check_address(api, "sender", sender)?;
            if let Some(admin) = admin {
                check_address(api, "admin", admin)?;
            }
            if label.trim().is_empty() {
                return Err(TxError::Host(HostError::Empty("label is required".into())));
            }
            funds(coins)
        }
        Msg::Execute { sender, contract, funds: coins, .. } => {
            check_address(api, "sender", sender)?;
            check_address(api, "contract", contract)?;
            funds(coins)
        }
        Msg::Migrate { sender, contract, .. } | Msg::ClearAdmin { sender, contract } => {
            check_address(api, "sender", sender)?;
            check_address(api, "contract", contract)
        }
        Msg::UpdateAdmin { sender, new_admin, contract } => {
            check_address(api, "sender", sender)?;
            check_address(api, "new admin", new_admin)?;
            check_address(api, "contract", contract)
        }
    }
}

/// wasmd's gzip handling of uploads: inflated with the same 800 KiB cap, charged per byte.
fn inflate(meter: &GasMeter, code: &[u8]) -> Result<Vec<u8>, TxError> {
    if !code.starts_with(&[0x1f, 0x8b, 0x08]) {
        return Ok(code.to_vec());
    }
    let mut out = Vec::new();
    let limit = MAX_WASM_SIZE as u64 + 1;
    GzDecoder::new(code)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| TxError::Host(HostError::CreateFailed(format!("uncompress: {e}"))))?;
    if out.len() as u64 >= limit {
        return Err(TxError::Host(HostError::Limit(format!("uncompressed wasm exceeds {MAX_WASM_SIZE} bytes"))));
    }
    let cost = (out.len() as u64).saturating_mul(UNCOMPRESS_COST_PER_100_BYTES) / 100;
    meter.consume(cost, "uncompress gzip bytecode").map_err(|e| TxError::Host(HostError::OutOfGas(e)))?;
    Ok(out)
}

/// Runs one message in the scope's current branch.
pub fn handle(
    scope: &TxScope<'_>,
    meter: &GasMeter,
    env: &HandlerEnv<'_>,
    msg: &Msg,
) -> Result<(Vec<Event>, Any), TxError> {
    let mut events = Vec::new();
    let response = match msg {
        // Addresses, amounts and sizes were checked by `validate_basic` before the ante handler.
        Msg::Send { from, to, amount } => {
            // `validate_basic` accepted only normalised addresses: equal strings are equal bytes.
            if *to == module_address(env.api, FEE_COLLECTOR) {
                return Err(TxError::Unauthorized(format!("{to} is not allowed to receive funds")));
            }
            scope.send(&mut events, from, to, amount).map_err(|e| match e {
                HostError::Bank(b @ leasehold_wasm_host::BankError::InsufficientFunds { .. }) => {
                    TxError::InsufficientFunds(b.to_string().trim_end_matches(": insufficient funds").to_string())
                }
                other => TxError::Host(other),
            })?;
            any(&MsgSendResponse {})
        }
        Msg::StoreCode { sender, wasm: code } => {
            if !env.upload_allowlist.iter().any(|a| a == sender) {
                return Err(TxError::Unauthorized(format!(
                    "can not create code: {sender} is not on the upload allow-list"
                )));
            }
            let code = inflate(meter, code)?;
            let (code_id, checksum) = scope.store_code(&mut events, sender, &code)?;
            any(&wasm::MsgStoreCodeResponse { code_id, checksum: checksum.as_slice().to_vec() })
        }
        Msg::Instantiate { sender, admin, code_id, label, msg, funds } => {
            let (address, data) =
                scope.instantiate(&mut events, sender, *code_id, msg, funds, label, admin.as_deref(), None)?;
            any(&wasm::MsgInstantiateContractResponse { address, data: data.unwrap_or_default() })
        }
        Msg::Instantiate2 { sender, admin, code_id, label, msg, funds, salt, fix_msg } => {
            let (address, data) = scope.instantiate(
                &mut events,
                sender,
                *code_id,
                msg,
                funds,
                label,
                admin.as_deref(),
                Some((salt.as_slice(), *fix_msg)),
            )?;
            any(&wasm::MsgInstantiateContract2Response { address, data: data.unwrap_or_default() })
        }
        Msg::Execute { sender, contract, msg, funds } => {
            let data = scope.execute(&mut events, sender, contract, msg, funds)?;
            any(&wasm::MsgExecuteContractResponse { data: data.unwrap_or_default() })
        }
        Msg::Migrate { sender, contract, code_id, msg } => {
            let data = scope.migrate(&mut events, sender, contract, *code_id, msg)?;
            any(&wasm::MsgMigrateContractResponse { data: data.unwrap_or_default() })
        }
        Msg::UpdateAdmin { sender, new_admin, contract } => {
            scope.update_admin(&mut events, sender, contract, new_admin)?;
            any(&wasm::MsgUpdateAdminResponse {})
        }
        Msg::ClearAdmin { sender, contract } => {
            scope.clear_admin(&mut events, sender, contract)?;
            any(&wasm::MsgClearAdminResponse {})
        }
    };
    Ok((events, response))
}
