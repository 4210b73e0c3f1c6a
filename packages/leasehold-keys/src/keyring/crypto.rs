//! The envelope's cryptography: argon2id turns the passphrase into a 256-bit key, and
//! XChaCha20-Poly1305 seals the secret under it with a random 24-byte nonce and the key file's
//! clear-text fields as associated data.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::error::KeyringError;
use crate::error::KeyError;

/// Name of the KDF in key files.
pub(crate) const KDF_ALGORITHM: &str = "argon2id";
/// Argon2 version 1.3 (`0x13`), the only one written or read.
pub(crate) const ARGON2_VERSION: u32 = 0x13;
/// Name of the AEAD in key files.
pub(crate) const CIPHER_ALGORITHM: &str = "xchacha20-poly1305";
/// Salt length written (and required on read).
pub(crate) const SALT_LEN: usize = 16;
/// XChaCha20 nonce length.
pub(crate) const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
pub(crate) const TAG_LEN: usize = 16;
/// Length of the derived encryption key.
const KEY_LEN: usize = 32;

/// Argon2id cost parameters, recorded in every key file so that a file stays readable whatever
/// the defaults become.
///
/// The default is the keyring's production setting: 64 MiB of memory, 3 passes, 1 lane (about
/// a quarter of a second on a laptop). Tests can pass much cheaper parameters to
/// [`Keyring::open_with_kdf_params`](crate::Keyring::open_with_kdf_params); such files are only as
/// strong as those parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
}

impl KdfParams {
    /// Default memory cost: 64 MiB.
    pub const DEFAULT_M_COST_KIB: u32 = 64 * 1024;
    /// Default number of passes.
    pub const DEFAULT_T_COST: u32 = 3;
    /// Default number of lanes.
    pub const DEFAULT_P_COST: u32 = 1;
    /// Largest memory cost accepted, written or read: 2 GiB. A key file asking for more is
    /// refused rather than allowed to exhaust memory.
    pub const MAX_M_COST_KIB: u32 = 2 * 1024 * 1024;
    /// Largest number of passes accepted.
    pub const MAX_T_COST: u32 = 100;
    /// Largest number of lanes accepted.
    pub const MAX_P_COST: u32 = 64;

    /// Argon2id with `m_cost_kib` KiB of memory, `t_cost` passes and `p_cost` lanes.
    ///
    /// Refused: `t_cost` or `p_cost` of 0, less memory than argon2 allows (8 KiB per lane), and
    /// anything above the `MAX_*` limits.
    pub fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, KeyringError> {
        let invalid = |reason: String| Err(KeyringError::InvalidKdfParams(reason));
        if !(1..=Self::MAX_P_COST).contains(&p_cost) {
            return invalid(format!("p_cost {p_cost} is not in 1..={}", Self::MAX_P_COST));
        }
        if !(1..=Self::MAX_T_COST).contains(&t_cost) {
            return invalid(format!("t_cost {t_cost} is not in 1..={}", Self::MAX_T_COST));
        }
        let min_m = 8 * p_cost;
        if !(min_m..=Self::MAX_M_COST_KIB).contains(&m_cost_kib) {
            return invalid(format!("m_cost {m_cost_kib} KiB is not in {min_m}..={} KiB", Self::MAX_M_COST_KIB));
        }
        // Everything argon2 itself checks is covered above; ask it anyway.
        Params::new(m_cost_kib, t_cost, p_cost, Some(KEY_LEN))
            .map_err(|e| KeyringError::InvalidKdfParams(e.to_string()))?;
        Ok(Self { m_cost_kib, t_cost, p_cost })
    }

    /// Memory cost in KiB.
    pub fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Number of passes.
    pub fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Number of lanes.
    pub fn p_cost(&self) -> u32 {
        self.p_cost
    }

    fn argon2(&self) -> Result<Argon2<'static>, KeyringError> {
        let params = Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(KEY_LEN))
            .map_err(|e| KeyringError::InvalidKdfParams(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The 256-bit key for `passphrase` and `salt`. Argon2's working memory is ours, so it is
    /// zeroed after use along with the key.
    fn derive_key(&self, passphrase: &str, salt: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyringError> {
        let argon2 = self.argon2()?;
        let mut memory = Zeroizing::new(vec![Block::default(); argon2.params().block_count()]);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        argon2
            .hash_password_into_with_memory(passphrase.as_bytes(), salt, &mut key[..], &mut memory[..])
            .map_err(|e| KeyringError::InvalidKdfParams(e.to_string()))?;
        Ok(key)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self { m_cost_kib: Self::DEFAULT_M_COST_KIB, t_cost: Self::DEFAULT_T_COST, p_cost: Self::DEFAULT_P_COST }
    }
}

/// A sealed secret: what the key file records besides the KDF parameters.
pub(crate) struct Sealed {
    pub salt: [u8; SALT_LEN],
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
}

fn random<const N: usize>() -> Result<[u8; N], KeyringError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| KeyError::Randomness(e.to_string()))?;
    Ok(bytes)
}

/// The AEAD keyed with `key` (copied into the cipher, which zeroes it on drop).
fn cipher(key: &[u8; KEY_LEN]) -> Result<XChaCha20Poly1305, KeyringError> {
    // Cannot fail: the key has the right length.
    XChaCha20Poly1305::new_from_slice(key).map_err(|_| KeyringError::Encryption)
}

/// Encrypts `plaintext` (which must have room for the 16-byte tag to avoid a reallocation that
/// would leave a copy behind) under a key derived from `passphrase` with a fresh random salt and
/// nonce.
pub(crate) fn seal(
    params: &KdfParams,
    passphrase: &str,
    associated_data: &[u8],
    mut plaintext: Zeroizing<Vec<u8>>,
) -> Result<Sealed, KeyringError> {
    let salt = random::<SALT_LEN>()?;
    let nonce = random::<NONCE_LEN>()?;
    let key = params.derive_key(passphrase, &salt)?;
    let cipher = cipher(&key)?;
    cipher
        .encrypt_in_place(&XNonce::from(nonce), associated_data, &mut *plaintext)
        .map_err(|_| KeyringError::Encryption)?;
    // The buffer now holds the ciphertext, which is not secret.
    let ciphertext = std::mem::take(&mut *plaintext);
    Ok(Sealed { salt, nonce, ciphertext })
}

/// Decrypts `ciphertext`. Any failure of the AEAD, whatever its cause, is
/// [`KeyringError::WrongPassphrase`].
pub(crate) fn open(
    params: &KdfParams,
    passphrase: &str,
    salt: &[u8],
    nonce: &[u8; NONCE_LEN],
    associated_data: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyringError> {
    let key = params.derive_key(passphrase, salt)?;
    let cipher = cipher(&key)?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_in_place(&XNonce::from(*nonce), associated_data, &mut *buffer)
        .map_err(|_| KeyringError::WrongPassphrase)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> KdfParams {
        KdfParams::new(64, 1, 1).unwrap()
    }

    #[test]
    fn seal_then_open_round_trips_and_any_change_is_a_wrong_passphrase() {
        let mut plaintext = Zeroizing::new(Vec::with_capacity(64));
        plaintext.extend_from_slice(b"secret words");
        let sealed = seal(&cheap(), "pass", b"ad", plaintext).unwrap();
        assert_eq!(sealed.ciphertext.len(), 12 + TAG_LEN);
        let opened = open(&cheap(), "pass", &sealed.salt, &sealed.nonce, b"ad", &sealed.ciphertext).unwrap();
        assert_eq!(&opened[..], b"secret words");

        let wrong = |r: Result<Zeroizing<Vec<u8>>, KeyringError>| matches!(r, Err(KeyringError::WrongPassphrase));
        assert!(wrong(open(&cheap(), "Pass", &sealed.salt, &sealed.nonce, b"ad", &sealed.ciphertext)));
        assert!(wrong(open(&cheap(), "pass", &sealed.salt, &sealed.nonce, b"ae", &sealed.ciphertext)));
        let mut salt = sealed.salt;
        salt[0] ^= 1;
        assert!(wrong(open(&cheap(), "pass", &salt, &sealed.nonce, b"ad", &sealed.ciphertext)));
        let mut nonce = sealed.nonce;
        nonce[23] ^= 1;
        assert!(wrong(open(&cheap(), "pass", &sealed.salt, &nonce, b"ad", &sealed.ciphertext)));
        let other = KdfParams::new(64, 2, 1).unwrap();
        assert!(wrong(open(&other, "pass", &sealed.salt, &sealed.nonce, b"ad", &sealed.ciphertext)));
        for i in 0..sealed.ciphertext.len() {
            let mut tampered = sealed.ciphertext.clone();
            tampered[i] ^= 0x80;
            assert!(wrong(open(&cheap(), "pass", &sealed.salt, &sealed.nonce, b"ad", &tampered)), "byte {i}");
        }
    }

    #[test]
    fn salts_and_nonces_are_fresh_for_every_seal() {
        let a = seal(&cheap(), "pass", b"", Zeroizing::new(b"same".to_vec())).unwrap();
        let b = seal(&cheap(), "pass", b"", Zeroizing::new(b"same".to_vec())).unwrap();
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn kdf_params_are_range_checked() {
        assert_eq!(KdfParams::default(), KdfParams::new(65_536, 3, 1).unwrap());
        assert!(KdfParams::new(8, 1, 1).is_ok());
        for (m, t, p) in [(7, 1, 1), (15, 1, 2), (64, 0, 1), (64, 1, 0), (64, 101, 1), (4096, 1, 65), (1 << 22, 1, 1)] {
            assert!(matches!(KdfParams::new(m, t, p), Err(KeyringError::InvalidKdfParams(_))), "{m} {t} {p}");
        }
    }

    #[test]
    fn derived_keys_are_argon2id_v13_and_depend_on_every_input() {
        let params = cheap();
        let key = params.derive_key("pass", &[1; 16]).unwrap();
        // Known answer from an independent implementation, Python's `cryptography` 48:
        // Argon2id(salt=16 x 0x01, length=32, iterations=1, lanes=1, memory_cost=64).derive(b"pass").
        // Pins the variant (id, not i or d) and version 1.3.
        assert_eq!(hex::encode(*key), "522c397c0c2990f143685dfdbe10b3425ee4266edcbbbd1184f7517e0b6ebae1");
        assert_eq!(*key, *params.derive_key("pass", &[1; 16]).unwrap());
        assert_ne!(*key, *params.derive_key("pass", &[2; 16]).unwrap());
        assert_ne!(*key, *params.derive_key("pasS", &[1; 16]).unwrap());
        assert_ne!(*key, *KdfParams::new(64, 2, 1).unwrap().derive_key("pass", &[1; 16]).unwrap());
        assert_ne!(*key, *KdfParams::new(128, 1, 1).unwrap().derive_key("pass", &[1; 16]).unwrap());
    }
}
