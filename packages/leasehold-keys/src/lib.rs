//! Leasehold account keys.
//!
//! This crate does one job: turn a BIP-39 mnemonic into a secp256k1 account key, and use that key
//! the way a Cosmos SDK chain expects.
//!
//! * **Mnemonic** ([`Mnemonic`], [`generate_mnemonic`]): English BIP-39 phrases of 12-24 words,
//!   checksum-validated; new phrases draw their entropy from the operating system.
//! * **Derivation** ([`SigningKey::from_mnemonic`]): BIP-39 seed (with optional passphrase), then
//!   BIP-32 along `m/44'/118'/0'/0/{account_index}`, the path the Cosmos SDK (`keys add --index`),
//!   CosmJS (`makeCosmoshubPath`) and Keplr use for coin type 118.
//! * **Addresses** ([`PublicKey::address`], [`address_from_pubkey`], [`decode_address`],
//!   [`module_address`]): `bech32(prefix, ripemd160(sha256(compressed_pubkey)))` with the classic
//!   BIP-173 checksum in lower case; module accounts are `sha256(name)[..20]` like
//!   `authtypes.NewModuleAddress`. Decoding also accepts the 32-byte payloads of contract addresses.
//! * **SIGN_MODE_DIRECT** ([`SigningKey::sign_direct`], [`PublicKey::verify_direct`], [`verify`]):
//!   deterministic (RFC 6979) ECDSA over `sha256(sign_doc_bytes)`, encoded as 64 bytes `r || s` with
//!   `s` normalised to the lower half of the group order. Verification rejects high-S signatures,
//!   as the Cosmos SDK does, so a signature cannot be malleated into a second valid one.
//! * **Keyring** ([`Keyring`]): named keys in a directory, one JSON file per key, the mnemonic
//!   encrypted with XChaCha20-Poly1305 under an argon2id hash of a passphrase, written atomically
//!   with mode 0600; plus an explicitly insecure plain-text backend for tests
//!   ([`Backend::UnencryptedTestOnly`]). [`Keyring`] documents the file format.
//!
//! Secret material (mnemonic phrases, seeds, private scalars) is never printed: [`Mnemonic`] and
//! [`SigningKey`] have redacting `Debug` implementations, no `Display`, and error messages never
//! quote the words of a phrase. Seeds and phrase copies handed out are wrapped in
//! [`zeroize::Zeroizing`].
//!
//! ```
//! use leasehold_keys::{SigningKey, decode_address};
//!
//! let phrase = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
//! let key = SigningKey::from_mnemonic(phrase, "", 0)?;
//! let address = key.address("cosmos")?;
//! assert_eq!(address, "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4");
//! assert_eq!(decode_address("cosmos", &address)?.len(), 20);
//!
//! let sign_doc = b"serialized SignDoc bytes";
//! let signature = key.sign_direct(sign_doc);
//! key.public_key().verify_direct(sign_doc, &signature)?;
//! # Ok::<(), leasehold_keys::KeyError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod address;
mod error;
mod key;
mod keyring;
mod mnemonic;

pub use address::{account_address_bytes, address_from_pubkey, decode_address, encode_address, module_address};
pub use error::KeyError;
pub use key::{COIN_TYPE, PUBLIC_KEY_LEN, PublicKey, SIGNATURE_LEN, SigningKey, verify};
pub use keyring::{Backend, FORMAT_VERSION as KEYRING_FORMAT_VERSION, KdfParams, KeyInfo, Keyring, KeyringError};
pub use mnemonic::{Mnemonic, generate_mnemonic};
