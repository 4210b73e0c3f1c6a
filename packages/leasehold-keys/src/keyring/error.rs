//! The keyring's error type.

use std::io;
use std::path::PathBuf;

use crate::error::KeyError;

/// Everything that can go wrong with the on-disk keyring.
///
/// Messages never contain secret material (passphrases, mnemonic words, decrypted bytes), and a
/// failed decryption says only [`KeyringError::WrongPassphrase`], never which part failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// Key names are 1-64 characters from `[A-Za-z0-9._-]`, starting with a letter or digit.
    #[error("invalid key name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// There is no key of this name (for this backend) in the keyring directory.
    #[error("no key named {0:?} in the keyring")]
    KeyNotFound(String),
    /// A key of this name already exists; keys are never overwritten.
    #[error("a key named {0:?} already exists in the keyring")]
    KeyExists(String),
    /// Decryption failed: the passphrase is wrong, or the encrypted part of the file (or a field
    /// bound to it: name, address, public key, HD path, creation time, KDF parameters, salt,
    /// nonce) was modified. The two cannot be told apart, by design.
    #[error("wrong passphrase (or the key file was modified)")]
    WrongPassphrase,
    /// The encrypted backend refuses to encrypt under an empty passphrase.
    #[error("the passphrase must not be empty")]
    EmptyPassphrase,
    /// The key file exists but is not a valid key file of this backend.
    #[error("key file {} is corrupt: {reason}", path.display())]
    CorruptKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (never secret material).
        reason: String,
    },
    /// The key file has a format version this code does not read.
    #[error(
        "key file {} has format version {found}, but this program only reads version {supported}; \
         use a newer program",
        path.display()
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found in the file.
        found: u64,
        /// The version this code reads and writes.
        supported: u32,
    },
    /// The key file's address is for another chain than the keyring's bech32 prefix.
    #[error("key file {} holds a {found:?} address, but the keyring uses prefix {expected:?}", path.display())]
    WrongPrefix {
        /// The file.
        path: PathBuf,
        /// The keyring's prefix.
        expected: String,
        /// The prefix found in the file.
        found: String,
    },
    /// Argon2id parameters out of range (see [`crate::KdfParams::new`]).
    #[error("invalid KDF parameters: {0}")]
    InvalidKdfParams(String),
    /// The keyring path exists but is not a directory.
    #[error("keyring path {} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// A file system operation failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory operated on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Sealing the secret failed (only possible for absurdly large inputs).
    #[error("encryption failed")]
    Encryption,
    /// A key error: invalid mnemonic, bech32 prefix or account index, or no OS randomness.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl KeyringError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::CorruptKeyFile { path: path.into(), reason: reason.into() }
    }
}
