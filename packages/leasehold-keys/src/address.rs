//! Bech32 account addresses.
//!
//! Classic BIP-173 bech32 (not bech32m), lower case, as the Cosmos SDK's `sdk.AccAddress`
//! encodes them. Payloads are 20 bytes for key and module accounts and 32 bytes for addresses
//! derived by hashing (CosmWasm contracts).

use bech32::primitives::decode::{CheckedHrpstring, CheckedHrpstringError, ChecksumError};
use bech32::{Bech32, Hrp};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::error::KeyError;
use crate::key::PublicKey;

/// `ripemd160(sha256(pubkey))`, the account address of a secp256k1 key.
pub fn account_address_bytes(pubkey: &[u8]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(pubkey)).into()
}

fn parse_prefix(prefix: &str) -> Result<Hrp, KeyError> {
    let invalid = || KeyError::InvalidPrefix(prefix.to_owned());
    if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(invalid());
    }
    Hrp::parse(prefix).map_err(|_| invalid())
}

fn check_payload_len(len: usize) -> Result<(), KeyError> {
    match len {
        20 | 32 => Ok(()),
        other => Err(KeyError::AddressLength(other)),
    }
}

/// Encodes a 20- or 32-byte address payload as `bech32(prefix, bytes)`, lower case.
pub fn encode_address(prefix: &str, bytes: &[u8]) -> Result<String, KeyError> {
    let hrp = parse_prefix(prefix)?;
    check_payload_len(bytes.len())?;
    // Cannot fail: a valid HRP of at most 83 characters plus 52 data characters is far below
    // the bech32 code length; mapped anyway rather than unwrapped.
    bech32::encode::<Bech32>(hrp, bytes).map_err(|e| KeyError::AddressEncoding(e.to_string()))
}

/// The account address of a compressed secp256k1 public key (33 bytes, validated).
pub fn address_from_pubkey(prefix: &str, pubkey: &[u8]) -> Result<String, KeyError> {
    PublicKey::try_from(pubkey)?.address(prefix)
}

/// Decodes and validates an address of chain `prefix`, returning its 20- or 32-byte payload.
///
/// Refused, each with its own [`KeyError`]: an invalid `prefix`, upper- or mixed-case text, text
/// that is not bech32, a bad (or bech32m) checksum, non-canonical padding, another chain's
/// prefix, and payloads that are not 20 or 32 bytes.
pub fn decode_address(prefix: &str, address: &str) -> Result<Vec<u8>, KeyError> {
    let expected = parse_prefix(prefix)?;
    if address.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(KeyError::AddressNotLowerCase);
    }
    let checked = CheckedHrpstring::new::<Bech32>(address).map_err(|e| match e {
        // A checksum that does not match; too short or too long a string is an encoding error.
        CheckedHrpstringError::Checksum(ChecksumError::InvalidResidue) => KeyError::AddressChecksum,
        other => KeyError::AddressEncoding(other.to_string()),
    })?;
    let found = checked.hrp();
    if found != expected {
        return Err(KeyError::WrongPrefix { expected: prefix.to_owned(), found: found.to_lowercase() });
    }
    checked.validate_segwit_padding().map_err(|_| KeyError::AddressPadding)?;
    let bytes: Vec<u8> = checked.byte_iter().collect();
    check_payload_len(bytes.len())?;
    Ok(bytes)
}

/// The address of module account `name`: `bech32(prefix, sha256(name)[..20])`, as the Cosmos
/// SDK's `authtypes.NewModuleAddress` (e.g. `"fee_collector"`, `"distribution"`).
pub fn module_address(prefix: &str, name: &str) -> Result<String, KeyError> {
    let hash = Sha256::digest(name.as_bytes());
    encode_address(prefix, &hash[..20])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uppercase_or_invalid_prefixes_are_refused() {
        for prefix in ["LEASE", "Lease", "", "le ase", "lease\u{e9}"] {
            assert_eq!(encode_address(prefix, &[0; 20]), Err(KeyError::InvalidPrefix(prefix.to_owned())));
            assert_eq!(decode_address(prefix, "lease1qqqq"), Err(KeyError::InvalidPrefix(prefix.to_owned())));
        }
    }

    #[test]
    fn payloads_of_20_and_32_bytes_round_trip() {
        for len in [20, 32] {
            let bytes: Vec<u8> = (0..len as u8).collect();
            let address = encode_address("lease", &bytes).unwrap();
            assert!(address.starts_with("lease1"));
            assert_eq!(decode_address("lease", &address).unwrap(), bytes);
        }
    }

    #[test]
    fn encoding_other_payload_lengths_is_refused() {
        for len in [0, 19, 21, 31, 33, 64] {
            assert_eq!(encode_address("lease", &vec![7; len]), Err(KeyError::AddressLength(len)));
        }
    }
}
