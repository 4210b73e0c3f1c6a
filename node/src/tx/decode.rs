//! `TxRaw` bytes to a checked [`DecodedTx`]: the SDK's decoding plus its stateless checks
//! (`ValidateBasic`, memo, signature count, sign mode), before any state is read.

use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxBody, TxRaw, mode_info};
use cosmwasm_std::Coin;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::error::TxError;
use crate::tx::limits::TxLimits;
use crate::tx::msgs::{Msg, coins_from_proto};

pub const SECP256K1_PUBKEY: &str = "/cosmos.crypto.secp256k1.PubKey";

/// One signer's entry of `AuthInfo.signer_infos`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerInfo {
    /// The compressed secp256k1 key, when the tx carries it (required on an account's first tx).
    pub public_key: Option<[u8; 33]>,
    pub sequence: u64,
    /// `SIGN_MODE_DIRECT`, or `SIGN_MODE_UNSPECIFIED` in simulations.
    pub sign_mode: SignMode,
}

/// A decoded transaction whose stateless checks passed.
#[derive(Clone, Debug)]
pub struct DecodedTx {
    /// sha256 of the bytes as broadcast.
    pub hash: [u8; 32],
    pub len: usize,
    pub body_bytes: Vec<u8>,
    pub auth_info_bytes: Vec<u8>,
    pub signatures: Vec<Vec<u8>>,
    pub msgs: Vec<Msg>,
    pub memo: String,
    pub timeout_height: u64,
    pub signer_infos: Vec<SignerInfo>,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
    /// Distinct message signers in order of first appearance; the first pays the fee.
    pub signers: Vec<String>,
}

/// sha256 of the tx bytes (the tx hash, shown upper-case hex).
pub fn tx_hash(tx: &[u8]) -> [u8; 32] {
    Sha256::digest(tx).into()
}

fn decode_signer(info: &cosmos_sdk_proto::cosmos::tx::v1beta1::SignerInfo) -> Result<SignerInfo, TxError> {
    let public_key = match &info.public_key {
        None => None,
        Some(any) if any.type_url == SECP256K1_PUBKEY => {
            let pk = PubKey::decode(any.value.as_slice()).map_err(|e| TxError::InvalidPubKey(e.to_string()))?;
            let key: [u8; 33] = pk
                .key
                .as_slice()
                .try_into()
                .map_err(|_| TxError::InvalidPubKey(format!("length {} is not 33", pk.key.len())))?;
            Some(key)
        }
        Some(any) => return Err(TxError::InvalidPubKey(format!("unsupported key type {}", any.type_url))),
    };
    let mode = match info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(s)) => SignMode::try_from(s.mode).unwrap_or(SignMode::Unspecified),
        Some(mode_info::Sum::Multi(_)) => return Err(TxError::InvalidPubKey("multisig is not supported".into())),
        None => SignMode::Unspecified,
    };
    Ok(SignerInfo { public_key, sequence: info.sequence, sign_mode: mode })
}

/// Refuses `bytes` unless they are the canonical encoding of `decoded`.
fn canonical(bytes: &[u8], decoded: &impl Message, what: &str) -> Result<(), TxError> {
    if decoded.encode_to_vec() == bytes {
        return Ok(());
    }
    Err(TxError::Decode(format!(
        "{what} is not canonically encoded: unknown, repeated or reordered fields, or non-minimal \
         varints (re-encode it with a protobuf library; the SDK refuses unknown fields)"
    )))
}

/// Decodes and checks a transaction. Nothing here reads state.
pub fn decode_tx(raw: &[u8], limits: &TxLimits) -> Result<DecodedTx, TxError> {
    if raw.len() as u64 > limits.max_tx_bytes {
        return Err(TxError::TxTooLarge(format!(
            "tx of {} bytes exceeds the limit of {}",
            raw.len(),
            limits.max_tx_bytes
        )));
    }
    let tx = TxRaw::decode(raw).map_err(|e| TxError::Decode(e.to_string()))?;
    let body = TxBody::decode(tx.body_bytes.as_slice()).map_err(|e| TxError::Decode(format!("body: {e}")))?;
    let auth =
        AuthInfo::decode(tx.auth_info_bytes.as_slice()).map_err(|e| TxError::Decode(format!("auth info: {e}")))?;
    // No malleability: the bytes must be exactly what their decoded form encodes to. A `TxRaw`
    // re-encoded another way (fields reordered or repeated, padded varints, unknown fields)
    // would carry the same signatures under a second hash (ADR-027); unknown fields in the body
    // or auth info would be signed data the chain silently ignores (the SDK refuses them).
    canonical(raw, &tx, "tx (TxRaw)")?;
    canonical(&tx.body_bytes, &body, "tx body")?;
    canonical(&tx.auth_info_bytes, &auth, "tx auth info")?;
    if !body.extension_options.is_empty() || !body.non_critical_extension_options.is_empty() {
        return Err(TxError::InvalidRequest("extension options are not supported".into()));
    }
    if body.messages.is_empty() {
        return Err(TxError::InvalidRequest("must contain at least one message".into()));
    }
    if body.messages.len() as u64 > limits.max_msgs {
        return Err(TxError::InvalidRequest(format!(
            "{} messages exceed the limit of {}",
            body.messages.len(),
            limits.max_msgs
        )));
    }
    if body.memo.chars().count() as u64 > limits.max_memo_characters {
        return Err(TxError::MemoTooLarge(format!(
            "maximum number of characters is {} but received {} characters",
            limits.max_memo_characters,
            body.memo.chars().count()
        )));
    }
    let msgs = body.messages.iter().map(Msg::try_from).collect::<Result<Vec<_>, _>>()?;
    let fee = auth.fee.clone().unwrap_or_default();
    if !fee.payer.is_empty() || !fee.granter.is_empty() {
        return Err(TxError::InvalidRequest("fee payer and fee grants are not supported".into()));
    }
    if fee.gas_limit > limits.max_gas_wanted {
        return Err(TxError::InvalidRequest(format!(
            "invalid gas supplied; {} > {}",
            fee.gas_limit, limits.max_gas_wanted
        )));
    }
    let fee_coins = coins_from_proto(&fee.amount)?;
    let signer_infos = auth.signer_infos.iter().map(decode_signer).collect::<Result<Vec<_>, _>>()?;
    let mut signers: Vec<String> = Vec::new();
    for m in &msgs {
        if !signers.iter().any(|s| s == m.signer()) {
            signers.push(m.signer().to_string());
        }
    }
    if tx.signatures.is_empty() {
        return Err(TxError::NoSignatures("no signatures supplied".into()));
    }
    if tx.signatures.len() as u64 > limits.tx_sig_limit {
        return Err(TxError::TooManySignatures(format!(
            "signatures: {}, limit: {}",
            tx.signatures.len(),
            limits.tx_sig_limit
        )));
    }
    if tx.signatures.len() != signers.len() {
        return Err(TxError::Unauthorized(format!(
            "wrong number of signers; expected {}, got {}",
            signers.len(),
            tx.signatures.len()
        )));
    }
    if signer_infos.len() != tx.signatures.len() {
        return Err(TxError::Unauthorized(format!(
            "invalid number of signer;  expected: {}, got {}",
            tx.signatures.len(),
            signer_infos.len()
        )));
    }
    Ok(DecodedTx {
        hash: tx_hash(raw),
        len: raw.len(),
        body_bytes: tx.body_bytes,
        auth_info_bytes: tx.auth_info_bytes,
        signatures: tx.signatures,
        msgs,
        memo: body.memo,
        timeout_height: body.timeout_height,
        signer_infos,
        fee: fee_coins,
        gas_limit: fee.gas_limit,
        signers,
    })
}

impl DecodedTx {
    /// The SIGN_MODE_DIRECT bytes signer `i` signed: `SignDoc{body, auth_info, chain_id,
    /// account_number}` over the exact bytes of the `TxRaw`.
    pub fn sign_bytes(&self, chain_id: &str, account_number: u64) -> Vec<u8> {
        SignDoc {
            body_bytes: self.body_bytes.clone(),
            auth_info_bytes: self.auth_info_bytes.clone(),
            chain_id: chain_id.to_string(),
            account_number,
        }
        .encode_to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::Any;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{Fee, ModeInfo, SignerInfo as ProtoSignerInfo};
    use proptest::prelude::*;

    fn valid_tx() -> Vec<u8> {
        let msg = MsgSend { from_address: "lease1a".into(), to_address: "lease1b".into(), amount: vec![] };
        let body = TxBody {
            messages: vec![Any { type_url: crate::tx::msgs::MSG_SEND.into(), value: msg.encode_to_vec() }],
            ..Default::default()
        };
        let auth = AuthInfo {
            signer_infos: vec![ProtoSignerInfo {
                public_key: None,
                mode_info: Some(ModeInfo {
                    sum: Some(mode_info::Sum::Single(mode_info::Single { mode: SignMode::Direct as i32 })),
                }),
                sequence: 0,
            }],
            fee: Some(Fee { gas_limit: 100_000, ..Default::default() }),
            ..Default::default()
        };
        TxRaw { body_bytes: body.encode_to_vec(), auth_info_bytes: auth.encode_to_vec(), signatures: vec![vec![0; 64]] }
            .encode_to_vec()
    }

    #[test]
    fn a_valid_tx_decodes_and_limits_apply() {
        let limits = TxLimits::default();
        let tx = decode_tx(&valid_tx(), &limits).unwrap();
        assert_eq!(tx.signers, vec!["lease1a".to_string()]);
        let tight = TxLimits { max_tx_bytes: 10, ..TxLimits::default() };
        assert!(matches!(decode_tx(&valid_tx(), &tight), Err(TxError::TxTooLarge(_))));
        let no_msgs = TxLimits { max_msgs: 0, ..TxLimits::default() };
        assert!(matches!(decode_tx(&valid_tx(), &no_msgs), Err(TxError::InvalidRequest(_))));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary bytes never panic the decoder; they are rejected or decoded.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_tx(&bytes, &TxLimits::default());
        }

        /// Corrupting a valid tx anywhere yields a typed error or a (different) valid decode.
        #[test]
        fn corrupted_valid_txs_never_panic(pos in 0usize..200, byte in any::<u8>(), cut in 0usize..200) {
            let mut tx = valid_tx();
            let i = pos % tx.len();
            tx[i] = byte;
            let _ = decode_tx(&tx, &TxLimits::default());
            tx.truncate(cut % tx.len());
            let _ = decode_tx(&tx, &TxLimits::default());
        }
    }
}
