//! The one error type of the crate.

/// Everything that can go wrong with keys, signatures and addresses.
///
/// Messages never contain secret material: a bad mnemonic word is reported by position, not by
/// its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The phrase does not have 12, 15, 18, 21 or 24 words (or that many words were requested).
    #[error("mnemonic has {0} words; expected 12, 15, 18, 21 or 24")]
    MnemonicWordCount(usize),
    /// A word of the phrase is not in the BIP-39 English word list (0-based position).
    #[error("mnemonic word at position {index} is not in the BIP-39 English word list")]
    MnemonicUnknownWord {
        /// 0-based position of the offending word.
        index: usize,
    },
    /// All words are known but the BIP-39 checksum does not match.
    #[error("mnemonic checksum is invalid")]
    MnemonicChecksum,
    /// Any other BIP-39 failure.
    #[error("mnemonic is invalid: {0}")]
    Mnemonic(String),
    /// The account index must be a non-hardened BIP-32 index (below 2^31).
    #[error("account index {0} is out of range; it must be below 2^31")]
    AccountIndex(u32),
    /// BIP-32 derivation produced an invalid key (probability about 2^-127 per step).
    #[error("HD key derivation failed")]
    Derivation,
    /// The 32 bytes are not a valid secp256k1 secret scalar (zero or not below the group order).
    #[error("secret key is not a valid secp256k1 scalar")]
    InvalidSecretKey,
    /// The operating system's random number generator failed.
    #[error("OS randomness unavailable: {0}")]
    Randomness(String),
    /// A public key must be a 33-byte compressed SEC1 point.
    #[error("public key must be 33 bytes (compressed SEC1), got {0}")]
    PublicKeyLength(usize),
    /// 33 bytes, but not a compressed point on secp256k1.
    #[error("public key is not a compressed secp256k1 point")]
    InvalidPublicKey,
    /// A SIGN_MODE_DIRECT signature must be 64 bytes, `r || s`.
    #[error("signature must be 64 bytes (r || s), got {0}")]
    SignatureLength(usize),
    /// `r` or `s` is zero or not below the group order.
    #[error("signature r or s is out of range")]
    MalformedSignature,
    /// `s` is in the upper half of the group order; only low-S signatures are accepted.
    #[error("signature is not low-S normalised")]
    HighS,
    /// Well-formed signature that does not verify for this key and message.
    #[error("signature verification failed")]
    SignatureMismatch,
    /// The bech32 human-readable prefix is not valid (or not lower case).
    #[error("invalid bech32 prefix {0:?}")]
    InvalidPrefix(String),
    /// Addresses must be written in lower case.
    #[error("address must be lower case")]
    AddressNotLowerCase,
    /// The address does not parse as bech32 (missing separator, bad character, ...).
    #[error("address is not valid bech32: {0}")]
    AddressEncoding(String),
    /// The classic bech32 checksum does not match (bech32m is not accepted).
    #[error("address has an invalid bech32 checksum")]
    AddressChecksum,
    /// The address has non-zero or excess padding bits, so it is not the canonical encoding.
    #[error("address has non-canonical padding")]
    AddressPadding,
    /// The address belongs to another chain.
    #[error("address prefix is {found:?}, expected {expected:?}")]
    WrongPrefix {
        /// The prefix the caller asked for.
        expected: String,
        /// The prefix found in the address.
        found: String,
    },
    /// Account addresses are 20 bytes, contract/module-derived addresses 32 bytes.
    #[error("address payload must be 20 or 32 bytes, got {0}")]
    AddressLength(usize),
}

impl From<bip39::Error> for KeyError {
    fn from(err: bip39::Error) -> Self {
        match err {
            bip39::Error::BadWordCount(n) => KeyError::MnemonicWordCount(n),
            bip39::Error::UnknownWord(index) => KeyError::MnemonicUnknownWord { index },
            bip39::Error::InvalidChecksum => KeyError::MnemonicChecksum,
            // Neither variant carries words of the phrase, so the message is safe to keep.
            other => KeyError::Mnemonic(other.to_string()),
        }
    }
}
