//! **INSECURE, TEST-ONLY** backend: `<name>.insecure-test-key`, the mnemonic in plain text.
//!
//! For local development chains and automated tests, where typing a passphrase is in the way and
//! the keys guard nothing of value (the equivalent of the Cosmos SDK's `--keyring-backend test`).
//! Anyone who can read the file has the key. Every file says so in its `insecure` and `warning`
//! fields, uses its own file extension, and is never read by the encrypted backend (nor the
//! reverse).

use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::KeyringError;
use super::record::{PublicFields, check_version, json_error, parse_hd_path};
use super::{Backend, FORMAT_VERSION, KeyStore, Secret};
use crate::mnemonic::Mnemonic;

/// The `backend` field of every test-only file.
const BACKEND_TAG: &str = "unencrypted-test-only";
/// The `warning` field of every test-only file.
const WARNING: &str = "INSECURE: this key file holds its mnemonic in plain text, for tests and local development only. \
                       Never use it for funds of value.";

/// A test-only key file (format version 1). Strings borrow from the file's bytes, which the
/// keyring reads into a buffer zeroed on drop.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestKeyFile<'a> {
    version: u32,
    backend: &'a str,
    insecure: bool,
    warning: &'a str,
    name: &'a str,
    address: &'a str,
    public_key: &'a str,
    hd_path: &'a str,
    created_at: &'a str,
    mnemonic: &'a str,
}

fn parse<'a>(path: &Path, bytes: &'a [u8]) -> Result<TestKeyFile<'a>, KeyringError> {
    // Redacted JSON errors: serde_json can quote string values, and this file holds the secret.
    check_version(path, bytes, true)?;
    let file: TestKeyFile<'a> = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e, true))?;
    if file.backend != BACKEND_TAG || !file.insecure {
        return Err(KeyringError::corrupt(
            path,
            format!("not a test-only key file (expected \"backend\": {BACKEND_TAG:?} and \"insecure\": true)"),
        ));
    }
    Ok(file)
}

/// The unencrypted test-only backend. Passphrases are ignored.
pub(crate) struct UnencryptedTestOnly;

impl KeyStore for UnencryptedTestOnly {
    fn backend(&self) -> Backend {
        Backend::UnencryptedTestOnly
    }

    fn check_new_passphrase(&self, _passphrase: &str) -> Result<(), KeyringError> {
        Ok(())
    }

    fn seal(
        &self,
        fields: &PublicFields,
        secret: &Secret,
        _passphrase: &str,
    ) -> Result<Zeroizing<Vec<u8>>, KeyringError> {
        let phrase = secret.mnemonic.phrase();
        let file = TestKeyFile {
            version: FORMAT_VERSION,
            backend: BACKEND_TAG,
            insecure: true,
            warning: WARNING,
            name: &fields.name,
            address: &fields.address,
            public_key: &fields.public_key,
            hd_path: &fields.hd_path,
            created_at: &fields.created_at,
            mnemonic: &phrase,
        };
        // Sized so the buffer holding the phrase is never reallocated (and copied) while written.
        let mut bytes = Zeroizing::new(Vec::with_capacity(4096));
        serde_json::to_writer_pretty(&mut *bytes, &file).map_err(|_| KeyringError::Encryption)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    fn public_fields(&self, path: &Path, bytes: &[u8]) -> Result<PublicFields, KeyringError> {
        let file = parse(path, bytes)?;
        Ok(PublicFields {
            name: file.name.to_owned(),
            address: file.address.to_owned(),
            public_key: file.public_key.to_owned(),
            hd_path: file.hd_path.to_owned(),
            created_at: file.created_at.to_owned(),
        })
    }

    fn unseal(&self, path: &Path, bytes: &[u8], _passphrase: &str) -> Result<Secret, KeyringError> {
        let file = parse(path, bytes)?;
        let mnemonic =
            Mnemonic::parse(file.mnemonic).map_err(|_| KeyringError::corrupt(path, "the mnemonic is invalid"))?;
        let account_index =
            parse_hd_path(file.hd_path).ok_or_else(|| KeyringError::corrupt(path, "the HD path is invalid"))?;
        Ok(Secret { mnemonic, account_index })
    }
}
