//! The on-disk keyring: named account keys in a directory, one file per key, the mnemonic
//! encrypted under a passphrase. The format and its guarantees are documented on [`Keyring`].

mod crypto;
mod error;
mod file;
mod fsio;
mod record;
mod unencrypted;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

pub use crypto::KdfParams;
pub use error::KeyringError;

use crate::address::encode_address;
use crate::key::{PublicKey, SigningKey};
use crate::mnemonic::Mnemonic;
use record::{PublicFields, validate_name};

/// The key file format version written and read.
pub const FORMAT_VERSION: u32 = 1;

/// Where and how keys are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Encrypted files `<name>.key`: the mnemonic sealed with XChaCha20-Poly1305 under a key
    /// derived from the passphrase by argon2id. The one to use for keys of any value.
    File,
    /// **INSECURE — tests and local dev chains only.** Files `<name>.insecure-test-key` hold the
    /// mnemonic in plain text and say so; passphrases are ignored. Anyone who can read the file
    /// has the key. Expose it only behind an explicit opt-in (`--keyring-backend test`).
    UnencryptedTestOnly,
}

impl Backend {
    /// The extension of this backend's key files: `key` or `insecure-test-key`.
    pub fn file_extension(self) -> &'static str {
        match self {
            Backend::File => "key",
            Backend::UnencryptedTestOnly => "insecure-test-key",
        }
    }

    /// A short name: `file` or `unencrypted-test-only`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::File => "file",
            Backend::UnencryptedTestOnly => "unencrypted-test-only",
        }
    }

    /// Whether the backend keeps secrets in plain text.
    pub fn is_insecure(self) -> bool {
        matches!(self, Backend::UnencryptedTestOnly)
    }
}

/// The public description of a stored key. Never contains secret material.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key's name in the keyring.
    pub name: String,
    /// Its account address under the keyring's bech32 prefix.
    pub address: String,
    /// Its compressed secp256k1 public key.
    pub public_key: PublicKey,
    /// The last component of its HD path `m/44'/118'/0'/0/{account_index}`.
    pub account_index: u32,
    /// When it was added or imported (whole seconds).
    pub created_at: SystemTime,
    /// Which backend stores it.
    pub backend: Backend,
}

impl KeyInfo {
    /// The HD path, `m/44'/118'/0'/0/{account_index}`.
    pub fn hd_path(&self) -> String {
        record::hd_path(self.account_index)
    }

    /// The creation time as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn created_at_rfc3339(&self) -> String {
        record::format_rfc3339(self.created_at)
    }
}

/// A decrypted secret.
pub(crate) struct Secret {
    pub mnemonic: Mnemonic,
    pub account_index: u32,
}

/// What a storage backend does: turn a new key into file contents, and file contents back into
/// the clear-text fields (no passphrase) or the secret.
pub(crate) trait KeyStore {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Refuses passphrases the backend will not encrypt under.
    fn check_new_passphrase(&self, passphrase: &str) -> Result<(), KeyringError>;

    /// The contents of a new key file.
    fn seal(
        &self,
        fields: &PublicFields,
        secret: &Secret,
        passphrase: &str,
    ) -> Result<Zeroizing<Vec<u8>>, KeyringError>;

    /// The clear-text fields of the file at `path`, checked for shape.
    fn public_fields(&self, path: &Path, bytes: &[u8]) -> Result<PublicFields, KeyringError>;

    /// The secret of the file at `path`; [`KeyringError::WrongPassphrase`] if it does not decrypt.
    fn unseal(&self, path: &Path, bytes: &[u8], passphrase: &str) -> Result<Secret, KeyringError>;
}

/// A directory of named keys for one chain (bech32 prefix) and one [`Backend`].
///
/// # Layout and format
///
/// Key `<name>` of the encrypted backend ([`Backend::File`]) is the file `<dir>/<name>.key`,
/// mode 0600, in a directory created with mode 0700. It is JSON, format version 1:
///
/// ```json
/// {
///   "version": 1,
///   "name": "alice",
///   "address": "lease1...",
///   "public_key": "02...(33 bytes, hex)",
///   "hd_path": "m/44'/118'/0'/0/0",
///   "created_at": "2026-05-01T12:00:00Z",
///   "kdf": {
///     "algorithm": "argon2id",
///     "params": { "version": 19, "m_cost_kib": 65536, "t_cost": 3, "p_cost": 1, "output_len": 32 },
///     "salt": "(16 random bytes, hex)"
///   },
///   "cipher": { "algorithm": "xchacha20-poly1305", "nonce": "(24 random bytes, hex)" },
///   "ciphertext": "(hex)"
/// }
/// ```
///
/// The ciphertext is XChaCha20-Poly1305 (with its 16-byte tag) of the JSON
/// `{"mnemonic": "<words>", "account_index": <i>}`, under the 32-byte argon2id (v1.3) hash of
/// the passphrase with the file's salt and parameters. The associated data is
/// `"leasehold-keyring/v1/xchacha20-poly1305"` followed by name, address, public key, HD path and
/// creation time, each as an 8-byte big-endian length and its UTF-8 bytes; so a file renamed,
/// copied over another key, or edited anywhere fails to decrypt. The KDF parameters, salt and
/// nonce are bound too, since they determine the key and the keystream.
///
/// Files are created atomically (a hidden temporary file in the same directory, mode 0600,
/// synced, then linked to its name, which fails if the name is taken) and never overwritten. A
/// failed [`Keyring::add`] or [`Keyring::import`] leaves the directory as it was. Files of another
/// format version are refused with [`KeyringError::UnsupportedVersion`].
///
/// Keys are derived with an empty BIP-39 passphrase at `m/44'/118'/0'/0/{account_index}`, as
/// `SigningKey::from_mnemonic(phrase, "", account_index)`.
///
/// # Secrets
///
/// Passphrases come in as `&str` and are never stored or copied. Decrypted plaintext, argon2's
/// working memory and derived keys live in buffers zeroed on drop; [`KeyInfo`] carries no secret;
/// [`Mnemonic`] and [`SigningKey`] redact themselves in `Debug`. Nothing protects the secrets
/// while they are in use, nor from someone who can read this process's memory.
///
/// # The test-only backend
///
/// [`Backend::UnencryptedTestOnly`] stores the mnemonic **in plain text** in
/// `<dir>/<name>.insecure-test-key` (with `"backend": "unencrypted-test-only"`, `"insecure": true`
/// and a warning in the file), ignoring passphrases. It exists for dev chains and tests only. Each
/// backend sees only its own files, so a directory can hold both without mixing them up; a CLI
/// should still give them separate directories.
///
/// # Example
///
/// ```
/// use leasehold_keys::{Backend, KdfParams, Keyring, SigningKey};
///
/// let dir = tempfile::tempdir()?;
/// // Cheap KDF parameters for the example; `Keyring::open` uses 64 MiB / 3 passes.
/// let keyring = Keyring::open_with_kdf_params(dir.path(), "lease", Backend::File, KdfParams::new(64, 1, 1)?)?;
///
/// let (info, mnemonic) = keyring.add("alice", "correct horse", 24)?;
/// assert!(info.address.starts_with("lease1"));
/// // The mnemonic is returned once, to be shown to the user; afterwards it takes the passphrase.
/// let key = keyring.signing_key("alice", "correct horse")?;
/// assert_eq!(key.public_key(), SigningKey::from_mnemonic(&mnemonic.phrase(), "", 0)?.public_key());
/// assert!(keyring.signing_key("alice", "wrong").is_err());
/// assert_eq!(keyring.list()?, vec![info]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Keyring {
    dir: PathBuf,
    prefix: String,
    backend: Backend,
    kdf: KdfParams,
}

impl Keyring {
    /// A keyring in `dir` for addresses with bech32 `prefix`, using the default (production)
    /// argon2id parameters for new keys. The directory is created (mode 0700) when the first key
    /// is stored; it is an error if `dir` exists and is not a directory.
    pub fn open(dir: impl Into<PathBuf>, prefix: &str, backend: Backend) -> Result<Self, KeyringError> {
        Self::open_with_kdf_params(dir, prefix, backend, KdfParams::default())
    }

    /// As [`Keyring::open`], sealing new keys with `kdf` instead of the defaults. Meant for tests
    /// (cheap parameters) and for users who want stronger ones. Existing files are always read
    /// with the parameters recorded in them.
    pub fn open_with_kdf_params(
        dir: impl Into<PathBuf>,
        prefix: &str,
        backend: Backend,
        kdf: KdfParams,
    ) -> Result<Self, KeyringError> {
        // Validates the prefix (lower case, a valid bech32 HRP).
        encode_address(prefix, &[0; 20])?;
        let dir = dir.into();
        fsio::check_dir(&dir)?;
        Ok(Self { dir, prefix: prefix.to_owned(), backend, kdf })
    }

    /// The keyring directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bech32 prefix of the addresses.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The argon2id parameters new keys are sealed with.
    pub fn kdf_params(&self) -> KdfParams {
        self.kdf
    }

    /// The path of key `name`'s file (whether or not it exists).
    pub fn key_path(&self, name: &str) -> Result<PathBuf, KeyringError> {
        validate_name(name)?;
        Ok(self.path_of(name))
    }

    /// Whether a key named `name` exists (for this backend).
    pub fn contains(&self, name: &str) -> Result<bool, KeyringError> {
        let path = self.key_path(name)?;
        if !fsio::check_dir(&self.dir)? {
            return Ok(false);
        }
        match fs::symlink_metadata(&path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(KeyringError::io(path, e)),
        }
    }

    /// Generates a new mnemonic of `words` words (12, 15, 18, 21 or 24) and stores it as key
    /// `name` (account index 0), encrypted under `passphrase`. The mnemonic is returned so it can
    /// be shown to the user once; it cannot be recovered later without the passphrase.
    ///
    /// Fails without touching the directory if the name is invalid or taken
    /// ([`KeyringError::KeyExists`]), the passphrase is empty (encrypted backend), or the word
    /// count is not allowed.
    pub fn add(&self, name: &str, passphrase: &str, words: usize) -> Result<(KeyInfo, Mnemonic), KeyringError> {
        validate_name(name)?;
        let mnemonic = Mnemonic::generate(words)?;
        let info = self.store(name, passphrase, Secret { mnemonic, account_index: 0 })?;
        Ok(info)
    }

    /// Stores key `name` from an existing mnemonic `phrase`, deriving the account at
    /// `m/44'/118'/0'/0/{account_index}`, encrypted under `passphrase`.
    ///
    /// Fails without touching the directory if the name is invalid or taken, the phrase is not
    /// a valid BIP-39 mnemonic ([`KeyringError::Key`]), the account index is 2^31 or more, or the
    /// passphrase is empty (encrypted backend).
    pub fn import(
        &self,
        name: &str,
        passphrase: &str,
        phrase: &str,
        account_index: u32,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        let mnemonic = Mnemonic::parse(phrase)?;
        let (info, _) = self.store(name, passphrase, Secret { mnemonic, account_index })?;
        Ok(info)
    }

    /// All keys of this backend, sorted by name. Needs no passphrase. Files whose names are not
    /// `<valid name>.<extension>` are ignored (other backends' keys, temporary files); a key file
    /// that cannot be read or parsed is an error.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyringError> {
        if !fsio::check_dir(&self.dir)? {
            return Ok(Vec::new());
        }
        let entries = fs::read_dir(&self.dir).map_err(|e| KeyringError::io(&self.dir, e))?;
        let suffix = format!(".{}", self.backend.file_extension());
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| KeyringError::io(&self.dir, e))?;
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|f| f.strip_suffix(&suffix)) else { continue };
            if validate_name(name).is_err() {
                continue;
            }
            let file_type = entry.file_type().map_err(|e| KeyringError::io(entry.path(), e))?;
            if file_type.is_dir() {
                continue;
            }
            keys.push(self.load(name)?.1);
        }
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }

    /// The public description of key `name`. Needs no passphrase.
    pub fn show(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        Ok(self.load(name)?.1)
    }

    /// The mnemonic of key `name`, decrypted with `passphrase` (ignored by the test-only
    /// backend). Its account index is in [`KeyInfo::account_index`].
    pub fn export(&self, name: &str, passphrase: &str) -> Result<Mnemonic, KeyringError> {
        Ok(self.unlock(name, passphrase)?.0.mnemonic)
    }

    /// The signing key of key `name`, decrypted with `passphrase` (ignored by the test-only
    /// backend).
    pub fn signing_key(&self, name: &str, passphrase: &str) -> Result<SigningKey, KeyringError> {
        Ok(self.unlock(name, passphrase)?.1)
    }

    /// Deletes key `name`. Needs no passphrase (the caller confirms); works on corrupt files too.
    pub fn delete(&self, name: &str) -> Result<(), KeyringError> {
        let path = self.key_path(name)?;
        if fsio::check_dir(&self.dir)? && fsio::remove(&path)? {
            Ok(())
        } else {
            Err(KeyringError::KeyNotFound(name.to_owned()))
        }
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{}", self.backend.file_extension()))
    }

    fn key_store(&self) -> Box<dyn KeyStore> {
        match self.backend {
            Backend::File => Box::new(file::EncryptedFile { kdf: self.kdf }),
            Backend::UnencryptedTestOnly => Box::new(unencrypted::UnencryptedTestOnly),
        }
    }

    /// Seals and writes a new key; all checks come before anything is written.
    fn store(&self, name: &str, passphrase: &str, secret: Secret) -> Result<(KeyInfo, Mnemonic), KeyringError> {
        let store = self.key_store();
        store.check_new_passphrase(passphrase)?;
        let public_key = secret.mnemonic.signing_key("", secret.account_index)?.public_key();
        if self.contains(name)? {
            return Err(KeyringError::KeyExists(name.to_owned()));
        }
        let created_at = UNIX_EPOCH + Duration::from_secs(record::unix_seconds(SystemTime::now()));
        let info = KeyInfo {
            name: name.to_owned(),
            address: public_key.address(&self.prefix)?,
            public_key,
            account_index: secret.account_index,
            created_at,
            backend: store.backend(),
        };
        let contents = store.seal(&PublicFields::of(&info), &secret, passphrase)?;

        let created_dir = fsio::ensure_dir(&self.dir)?;
        let file_name = format!("{name}.{}", self.backend.file_extension());
        if let Err(e) = fsio::create_new_atomic(&self.dir, &file_name, &contents) {
            if created_dir {
                // Leave no trace of a failed first add; fails harmlessly if not empty.
                let _ = fs::remove_dir(&self.dir);
            }
            return Err(match e.kind() {
                io::ErrorKind::AlreadyExists => KeyringError::KeyExists(name.to_owned()),
                _ => KeyringError::io(self.dir.join(file_name), e),
            });
        }
        Ok((info, secret.mnemonic))
    }

    /// Reads and validates key `name`'s file: its bytes (zeroed on drop) and public description.
    fn load(&self, name: &str) -> Result<(Zeroizing<Vec<u8>>, KeyInfo), KeyringError> {
        let not_found = || KeyringError::KeyNotFound(name.to_owned());
        if !fsio::check_dir(&self.dir)? {
            return Err(not_found());
        }
        let path = self.path_of(name);
        let bytes = fsio::read_key_file(&path)?.ok_or_else(not_found)?;
        let store = self.key_store();
        let info = store.public_fields(&path, &bytes)?.validate(&path, name, &self.prefix, store.backend())?;
        Ok((bytes, info))
    }

    /// Decrypts key `name` and checks the secret against the file's public key and HD path.
    fn unlock(&self, name: &str, passphrase: &str) -> Result<(Secret, SigningKey), KeyringError> {
        validate_name(name)?;
        let (bytes, info) = self.load(name)?;
        let path = self.path_of(name);
        let secret = self.key_store().unseal(&path, &bytes, passphrase)?;
        if secret.account_index != info.account_index {
            return Err(KeyringError::corrupt(&path, "the secret's account index differs from the HD path"));
        }
        let key = secret.mnemonic.signing_key("", secret.account_index)?;
        if key.public_key() != info.public_key {
            return Err(KeyringError::corrupt(&path, "the secret does not derive the file's public key"));
        }
        Ok((secret, key))
    }
}
