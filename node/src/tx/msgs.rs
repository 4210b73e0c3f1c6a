//! The messages the chain executes, as checked domain types built from their protobuf `Any`.

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm;
use cosmwasm_std::{Coin, Uint256};
use prost::Message;

use crate::error::TxError;

pub const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";
pub const MSG_STORE_CODE: &str = "/cosmwasm.wasm.v1.MsgStoreCode";
pub const MSG_INSTANTIATE: &str = "/cosmwasm.wasm.v1.MsgInstantiateContract";
pub const MSG_INSTANTIATE2: &str = "/cosmwasm.wasm.v1.MsgInstantiateContract2";
pub const MSG_EXECUTE: &str = "/cosmwasm.wasm.v1.MsgExecuteContract";
pub const MSG_MIGRATE: &str = "/cosmwasm.wasm.v1.MsgMigrateContract";
pub const MSG_UPDATE_ADMIN: &str = "/cosmwasm.wasm.v1.MsgUpdateAdmin";
pub const MSG_CLEAR_ADMIN: &str = "/cosmwasm.wasm.v1.MsgClearAdmin";

/// One message of a transaction. Addresses are still unchecked strings here: the handlers
/// validate them (with the SDK's and wasmd's errors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    Send {
        from: String,
        to: String,
        amount: Vec<Coin>,
    },
    StoreCode {
        sender: String,
        wasm: Vec<u8>,
    },
    Instantiate {
        sender: String,
        admin: Option<String>,
        code_id: u64,
        label: String,
        msg: Vec<u8>,
        funds: Vec<Coin>,
    },
    Instantiate2 {
        sender: String,
        admin: Option<String>,
        code_id: u64,
        label: String,
        msg: Vec<u8>,
        funds: Vec<Coin>,
        salt: Vec<u8>,
        fix_msg: bool,
    },
    Execute {
        sender: String,
        contract: String,
        msg: Vec<u8>,
        funds: Vec<Coin>,
    },
    Migrate {
        sender: String,
        contract: String,
        code_id: u64,
        msg: Vec<u8>,
    },
    UpdateAdmin {
        sender: String,
        new_admin: String,
        contract: String,
    },
    ClearAdmin {
        sender: String,
        contract: String,
    },
}

/// Proto coins to checked coins (amount an unsigned integer, denom non-empty; order and
/// duplicates are checked by the handlers as the SDK's `Coins.Validate`).
pub fn coins_from_proto(coins: &[ProtoCoin]) -> Result<Vec<Coin>, TxError> {
    coins
        .iter()
        .map(|c| {
            let amount: Uint256 =
                c.amount.parse().map_err(|_| TxError::InvalidCoins(format!("invalid amount {:?}", c.amount)))?;
            Ok(Coin { denom: c.denom.clone(), amount })
        })
        .collect()
}

pub fn coins_to_proto(coins: &[Coin]) -> Vec<ProtoCoin> {
    coins.iter().map(|c| ProtoCoin { denom: c.denom.clone(), amount: c.amount.to_string() }).collect()
}

fn decode<M: Message + Default>(any: &Any) -> Result<M, TxError> {
    M::decode(any.value.as_slice()).map_err(|e| TxError::Decode(format!("{}: {e}", any.type_url)))
}

fn optional(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

impl TryFrom<&Any> for Msg {
    type Error = TxError;

    fn try_from(any: &Any) -> Result<Self, TxError> {
        Ok(match any.type_url.as_str() {
            MSG_SEND => {
                let m: MsgSend = decode(any)?;
                Msg::Send { from: m.from_address, to: m.to_address, amount: coins_from_proto(&m.amount)? }
            }
            MSG_STORE_CODE => {
                let m: wasm::MsgStoreCode = decode(any)?;
                Msg::StoreCode { sender: m.sender, wasm: m.wasm_byte_code }
            }
            MSG_INSTANTIATE => {
                let m: wasm::MsgInstantiateContract = decode(any)?;
                Msg::Instantiate {
                    sender: m.sender,
                    admin: optional(m.admin),
                    code_id: m.code_id,
                    label: m.label,
                    msg: m.msg,
                    funds: coins_from_proto(&m.funds)?,
                }
            }
            MSG_INSTANTIATE2 => {
                let m: wasm::MsgInstantiateContract2 = decode(any)?;
                Msg::Instantiate2 {
                    sender: m.sender,
                    admin: optional(m.admin),
                    code_id: m.code_id,
                    label: m.label,
                    msg: m.msg,
                    funds: coins_from_proto(&m.funds)?,
                    salt: m.salt,
                    fix_msg: m.fix_msg,
                }
            }
            MSG_EXECUTE => {
                let m: wasm::MsgExecuteContract = decode(any)?;
                Msg::Execute { sender: m.sender, contract: m.contract, msg: m.msg, funds: coins_from_proto(&m.funds)? }
            }
            MSG_MIGRATE => {
                let m: wasm::MsgMigrateContract = decode(any)?;
                Msg::Migrate { sender: m.sender, contract: m.contract, code_id: m.code_id, msg: m.msg }
            }
            MSG_UPDATE_ADMIN => {
                let m: wasm::MsgUpdateAdmin = decode(any)?;
                Msg::UpdateAdmin { sender: m.sender, new_admin: m.new_admin, contract: m.contract }
            }
            MSG_CLEAR_ADMIN => {
                let m: wasm::MsgClearAdmin = decode(any)?;
                Msg::ClearAdmin { sender: m.sender, contract: m.contract }
            }
            other => return Err(TxError::Decode(format!("unable to resolve type URL {other}"))),
        })
    }
}

impl Msg {
    /// The address that must sign the message.
    pub fn signer(&self) -> &str {
        match self {
            Msg::Send { from, .. } => from,
            Msg::StoreCode { sender, .. }
            | Msg::Instantiate { sender, .. }
            | Msg::Instantiate2 { sender, .. }
            | Msg::Execute { sender, .. }
            | Msg::Migrate { sender, .. }
            | Msg::UpdateAdmin { sender, .. }
            | Msg::ClearAdmin { sender, .. } => sender,
        }
    }

    pub fn type_url(&self) -> &'static str {
        match self {
            Msg::Send { .. } => MSG_SEND,
            Msg::StoreCode { .. } => MSG_STORE_CODE,
            Msg::Instantiate { .. } => MSG_INSTANTIATE,
            Msg::Instantiate2 { .. } => MSG_INSTANTIATE2,
            Msg::Execute { .. } => MSG_EXECUTE,
            Msg::Migrate { .. } => MSG_MIGRATE,
            Msg::UpdateAdmin { .. } => MSG_UPDATE_ADMIN,
            Msg::ClearAdmin { .. } => MSG_CLEAR_ADMIN,
        }
    }

    /// The module that handles it (the `module` attribute of the `message` event).
    pub fn module(&self) -> &'static str {
        match self {
            Msg::Send { .. } => "bank",
            _ => "wasm",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_type_urls_and_bad_bytes_are_decode_errors() {
        let any = Any { type_url: "/cosmos.staking.v1beta1.MsgDelegate".into(), value: vec![] };
        assert!(matches!(Msg::try_from(&any), Err(TxError::Decode(m)) if m.contains("unable to resolve type URL")));
        let any = Any { type_url: MSG_SEND.into(), value: vec![0xff, 0xff, 0xff] };
        assert!(matches!(Msg::try_from(&any), Err(TxError::Decode(_))));
        let bad = MsgSend {
            from_address: "a".into(),
            to_address: "b".into(),
            amount: vec![ProtoCoin { denom: "ulease".into(), amount: "-5".into() }],
        };
        let any = Any { type_url: MSG_SEND.into(), value: bad.encode_to_vec() };
        assert!(matches!(Msg::try_from(&any), Err(TxError::InvalidCoins(_))));
    }
}
