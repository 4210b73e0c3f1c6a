//! The encrypted file backend: `<name>.key`, the mnemonic sealed with XChaCha20-Poly1305 under an
//! argon2id key.

use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::crypto::{self, ARGON2_VERSION, CIPHER_ALGORITHM, KDF_ALGORITHM, NONCE_LEN, SALT_LEN, TAG_LEN};
use super::error::KeyringError;
use super::record::{PublicFields, check_version, json_error};
use super::{Backend, FORMAT_VERSION, KdfParams, KeyStore, Secret};
use crate::mnemonic::Mnemonic;

/// Domain separation for the associated data; names the format version and the cipher.
const AD_DOMAIN: &[u8] = b"leasehold-keyring/v1/xchacha20-poly1305";

/// An encrypted key file (format version 1).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EncryptedKeyFile {
    version: u32,
    name: String,
    address: String,
    public_key: String,
    hd_path: String,
    created_at: String,
    kdf: KdfSection,
    cipher: CipherSection,
    /// Hex of XChaCha20-Poly1305(JSON `{"mnemonic", "account_index"}`) with the 16-byte tag.
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfSection {
    algorithm: String,
    params: KdfParamsSection,
    salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfParamsSection {
    /// Argon2 version, 19 (0x13).
    version: u32,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    output_len: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CipherSection {
    algorithm: String,
    nonce: String,
}

/// The plaintext that is encrypted. Borrowed from the decrypted buffer, which is zeroed on drop.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretPayload<'a> {
    mnemonic: &'a str,
    account_index: u32,
}

/// A key file parsed and checked for shape, not yet decrypted.
struct Parsed {
    fields: PublicFields,
    kdf: KdfParams,
    salt: Vec<u8>,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

/// The associated data: every clear-text field, length-prefixed, so none of them can be changed
/// (or the file renamed, or moved to another key's address) without decryption failing.
fn associated_data(fields: &PublicFields) -> Vec<u8> {
    let mut ad = AD_DOMAIN.to_vec();
    for field in [&fields.name, &fields.address, &fields.public_key, &fields.hd_path, &fields.created_at] {
        ad.extend_from_slice(&(field.len() as u64).to_be_bytes());
        ad.extend_from_slice(field.as_bytes());
    }
    ad
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, KeyringError> {
    check_version(path, bytes, false)?;
    let file: EncryptedKeyFile = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e, false))?;
    let corrupt = |reason: String| KeyringError::corrupt(path, reason);

    let kdf = &file.kdf;
    if kdf.algorithm != KDF_ALGORITHM {
        return Err(corrupt(format!("unsupported KDF {:?}; this program reads {KDF_ALGORITHM}", kdf.algorithm)));
    }
    if kdf.params.version != ARGON2_VERSION {
        return Err(corrupt(format!("unsupported argon2 version {}; expected {ARGON2_VERSION}", kdf.params.version)));
    }
    if kdf.params.output_len != 32 {
        return Err(corrupt(format!("KDF output length {} is not 32", kdf.params.output_len)));
    }
    let params = KdfParams::new(kdf.params.m_cost_kib, kdf.params.t_cost, kdf.params.p_cost)
        .map_err(|e| corrupt(format!("KDF parameters refused: {e}")))?;
    let salt = hex::decode(&kdf.salt).map_err(|_| corrupt("the salt is not hex".into()))?;
    if salt.len() != SALT_LEN {
        return Err(corrupt(format!("the salt is {} bytes, expected {SALT_LEN}", salt.len())));
    }

    if file.cipher.algorithm != CIPHER_ALGORITHM {
        return Err(corrupt(format!(
            "unsupported cipher {:?}; this program reads {CIPHER_ALGORITHM}",
            file.cipher.algorithm
        )));
    }
    let nonce = hex::decode(&file.cipher.nonce).map_err(|_| corrupt("the nonce is not hex".into()))?;
    let nonce: [u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|n: Vec<u8>| corrupt(format!("the nonce is {} bytes, expected {NONCE_LEN}", n.len())))?;
    let ciphertext = hex::decode(&file.ciphertext).map_err(|_| corrupt("the ciphertext is not hex".into()))?;
    if ciphertext.len() <= TAG_LEN {
        return Err(corrupt("the ciphertext is too short".into()));
    }

    let fields = PublicFields {
        name: file.name,
        address: file.address,
        public_key: file.public_key,
        hd_path: file.hd_path,
        created_at: file.created_at,
    };
    Ok(Parsed { fields, kdf: params, salt, nonce, ciphertext })
}

/// The encrypted backend, sealing new keys with `kdf`.
pub(crate) struct EncryptedFile {
    pub kdf: KdfParams,
}

impl KeyStore for EncryptedFile {
    fn backend(&self) -> Backend {
        Backend::File
    }

    fn check_new_passphrase(&self, passphrase: &str) -> Result<(), KeyringError> {
        if passphrase.is_empty() {
            return Err(KeyringError::EmptyPassphrase);
        }
        Ok(())
    }

    fn seal(
        &self,
        fields: &PublicFields,
        secret: &Secret,
        passphrase: &str,
    ) -> Result<Zeroizing<Vec<u8>>, KeyringError> {
        let phrase = secret.mnemonic.phrase();
        // Room for the JSON around the phrase and the tag: no reallocation, no stray copies.
        let mut plaintext = Zeroizing::new(Vec::with_capacity(phrase.len() + 64 + TAG_LEN));
        let payload = SecretPayload { mnemonic: &phrase, account_index: secret.account_index };
        serde_json::to_writer(&mut *plaintext, &payload).map_err(|_| KeyringError::Encryption)?;
        let sealed = crypto::seal(&self.kdf, passphrase, &associated_data(fields), plaintext)?;

        let file = EncryptedKeyFile {
            version: FORMAT_VERSION,
            name: fields.name.clone(),
            address: fields.address.clone(),
            public_key: fields.public_key.clone(),
            hd_path: fields.hd_path.clone(),
            created_at: fields.created_at.clone(),
            kdf: KdfSection {
                algorithm: KDF_ALGORITHM.to_owned(),
                params: KdfParamsSection {
                    version: ARGON2_VERSION,
                    m_cost_kib: self.kdf.m_cost_kib(),
                    t_cost: self.kdf.t_cost(),
                    p_cost: self.kdf.p_cost(),
                    output_len: 32,
                },
                salt: hex::encode(sealed.salt),
            },
            cipher: CipherSection { algorithm: CIPHER_ALGORITHM.to_owned(), nonce: hex::encode(sealed.nonce) },
            ciphertext: hex::encode(&sealed.ciphertext),
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|_| KeyringError::Encryption)?;
        bytes.push(b'\n');
        Ok(Zeroizing::new(bytes))
    }

    fn public_fields(&self, path: &Path, bytes: &[u8]) -> Result<PublicFields, KeyringError> {
        Ok(parse(path, bytes)?.fields)
    }

    fn unseal(&self, path: &Path, bytes: &[u8], passphrase: &str) -> Result<Secret, KeyringError> {
        let parsed = parse(path, bytes)?;
        let nonce = &parsed.nonce;
        let ad = associated_data(&parsed.fields);
        let plaintext = crypto::open(&parsed.kdf, passphrase, &parsed.salt, nonce, &ad, &parsed.ciphertext)?;
        // Authenticated, so written by someone who knew the passphrase; still, errors here say
        // nothing about the contents.
        let payload: SecretPayload<'_> = serde_json::from_slice(&plaintext)
            .map_err(|_| KeyringError::corrupt(path, "the decrypted secret is malformed"))?;
        let mnemonic = Mnemonic::parse(payload.mnemonic)
            .map_err(|_| KeyringError::corrupt(path, "the decrypted mnemonic is invalid"))?;
        Ok(Secret { mnemonic, account_index: payload.account_index })
    }
}
