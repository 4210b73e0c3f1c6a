//! secp256k1 account keys: HD derivation, SIGN_MODE_DIRECT signing and verification.

use std::fmt;

use bip32::{ChildNumber, XPrv};
use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, VerifyingKey};

use crate::address::{account_address_bytes, encode_address};
use crate::error::KeyError;
use crate::mnemonic::Mnemonic;

/// SLIP-44 coin type of the Cosmos ecosystem, used in `m/44'/118'/0'/0/i`.
pub const COIN_TYPE: u32 = 118;

/// Length of a compressed SEC1 secp256k1 public key.
pub const PUBLIC_KEY_LEN: usize = 33;

/// Length of a SIGN_MODE_DIRECT signature, `r || s`.
pub const SIGNATURE_LEN: usize = 64;

/// A secp256k1 account key.
///
/// `Debug` shows only the public key; the secret scalar is zeroed on drop (by `k256`).
#[derive(Clone)]
pub struct SigningKey {
    inner: k256::ecdsa::SigningKey,
}

impl SigningKey {
    /// Parses `phrase` (see [`Mnemonic::parse`]) and derives the key at
    /// `m/44'/118'/0'/0/{account_index}` from its seed with `passphrase` (empty for none).
    ///
    /// `account_index` is the last, non-hardened path component, the one `keys add --index`
    /// (Cosmos SDK) and `makeCosmoshubPath(i)` (CosmJS) vary; it must be below 2^31.
    pub fn from_mnemonic(phrase: &str, passphrase: &str, account_index: u32) -> Result<Self, KeyError> {
        Mnemonic::parse(phrase)?.signing_key(passphrase, account_index)
    }

    /// Derives the key at `m/44'/118'/0'/0/{account_index}` from a 64-byte BIP-39 seed.
    pub fn from_seed(seed: &[u8; 64], account_index: u32) -> Result<Self, KeyError> {
        let index = ChildNumber::new(account_index, false).map_err(|_| KeyError::AccountIndex(account_index))?;
        let path = [
            ChildNumber::new(44, true),
            ChildNumber::new(COIN_TYPE, true),
            ChildNumber::new(0, true),
            ChildNumber::new(0, false),
        ];
        let mut xprv = XPrv::new(seed).map_err(|_| KeyError::Derivation)?;
        for child in path {
            let child = child.map_err(|_| KeyError::Derivation)?;
            xprv = xprv.derive_child(child).map_err(|_| KeyError::Derivation)?;
        }
        let xprv = xprv.derive_child(index).map_err(|_| KeyError::Derivation)?;
        Ok(Self { inner: xprv.private_key().clone() })
    }

    /// A key from its 32-byte big-endian secret scalar.
    pub fn from_bytes(secret: &[u8; 32]) -> Result<Self, KeyError> {
        let inner = k256::ecdsa::SigningKey::from_slice(secret).map_err(|_| KeyError::InvalidSecretKey)?;
        Ok(Self { inner })
    }

    /// The compressed public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_verifying_key(self.inner.verifying_key())
    }

    /// The account address, `bech32(prefix, ripemd160(sha256(pubkey)))`.
    pub fn address(&self, prefix: &str) -> Result<String, KeyError> {
        self.public_key().address(prefix)
    }

    /// Signs `sign_doc_bytes` (the protobuf-encoded `SignDoc`) for SIGN_MODE_DIRECT: deterministic
    /// ECDSA (RFC 6979) over `sha256(sign_doc_bytes)`, returned as `r || s` with low `s`.
    ///
    /// # Panics
    ///
    /// Only if RFC 6979 yields `r = 0` or `s = 0`, which has probability about 2^-256.
    pub fn sign_direct(&self, sign_doc_bytes: &[u8]) -> [u8; SIGNATURE_LEN] {
        let signature: Signature = self.inner.sign(sign_doc_bytes);
        // k256 already normalises; doing it here keeps the guarantee local and explicit.
        let signature = signature.normalize_s().unwrap_or(signature);
        signature.to_bytes().into()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("public_key", &self.public_key()).finish_non_exhaustive()
    }
}

/// A compressed secp256k1 public key (33 bytes, SEC1), validated to be a point on the curve.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    fn from_verifying_key(key: &VerifyingKey) -> Self {
        let point = key.to_encoded_point(true);
        let mut bytes = [0u8; PUBLIC_KEY_LEN];
        // A compressed encoding of a valid (non-identity) key is always 33 bytes.
        bytes.copy_from_slice(point.as_bytes());
        Self(bytes)
    }

    fn verifying_key(&self) -> Result<VerifyingKey, KeyError> {
        VerifyingKey::from_sec1_bytes(&self.0).map_err(|_| KeyError::InvalidPublicKey)
    }

    /// The 33 compressed SEC1 bytes, as carried in `/cosmos.crypto.secp256k1.PubKey`.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0
    }

    /// Borrow the 33 compressed SEC1 bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// The 20 address bytes, `ripemd160(sha256(pubkey))`.
    pub fn address_bytes(&self) -> [u8; 20] {
        account_address_bytes(&self.0)
    }

    /// The account address, `bech32(prefix, ripemd160(sha256(pubkey)))`.
    pub fn address(&self, prefix: &str) -> Result<String, KeyError> {
        encode_address(prefix, &self.address_bytes())
    }

    /// Verifies a SIGN_MODE_DIRECT signature: 64 bytes `r || s`, low-S, over `sha256(msg)`.
    pub fn verify_direct(&self, msg: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let signature = parse_low_s_signature(signature)?;
        self.verifying_key()?.verify(msg, &signature).map_err(|_| KeyError::SignatureMismatch)
    }
}

fn parse_low_s_signature(bytes: &[u8]) -> Result<Signature, KeyError> {
    if bytes.len() != SIGNATURE_LEN {
        return Err(KeyError::SignatureLength(bytes.len()));
    }
    let signature = Signature::from_slice(bytes).map_err(|_| KeyError::MalformedSignature)?;
    // `normalize_s` returns `Some` exactly when `s` is in the upper half. k256's verifier would
    // refuse such a signature too, but only with an opaque error.
    if signature.normalize_s().is_some() {
        return Err(KeyError::HighS);
    }
    Ok(signature)
}

impl TryFrom<&[u8]> for PublicKey {
    type Error = KeyError;

    /// Accepts exactly 33 bytes that decode to a compressed point on secp256k1.
    fn try_from(bytes: &[u8]) -> Result<Self, Self::Error> {
        let array: [u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| KeyError::PublicKeyLength(bytes.len()))?;
        Self::try_from(array)
    }
}

impl TryFrom<[u8; PUBLIC_KEY_LEN]> for PublicKey {
    type Error = KeyError;

    fn try_from(bytes: [u8; PUBLIC_KEY_LEN]) -> Result<Self, Self::Error> {
        // Only the compressed tags; from_sec1_bytes alone would also take 0x00 (identity) forms.
        if !matches!(bytes[0], 0x02 | 0x03) {
            return Err(KeyError::InvalidPublicKey);
        }
        let key = Self(bytes);
        key.verifying_key()?;
        Ok(key)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

/// Verifies a SIGN_MODE_DIRECT signature given raw bytes: `pubkey` must be a 33-byte compressed
/// secp256k1 key, `signature` 64 bytes `r || s` with low `s`, over `sha256(msg)`.
///
/// The key is decompressed once (going through [`PublicKey`] would do it twice: once to
/// validate, once to verify) — this is the node's per-signature path.
pub fn verify(pubkey: &[u8], msg: &[u8], signature: &[u8]) -> Result<(), KeyError> {
    let bytes: [u8; PUBLIC_KEY_LEN] = pubkey.try_into().map_err(|_| KeyError::PublicKeyLength(pubkey.len()))?;
    if !matches!(bytes[0], 0x02 | 0x03) {
        return Err(KeyError::InvalidPublicKey);
    }
    let key = VerifyingKey::from_sec1_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)?;
    let signature = parse_low_s_signature(signature)?;
    key.verify(msg, &signature).map_err(|_| KeyError::SignatureMismatch)
}
