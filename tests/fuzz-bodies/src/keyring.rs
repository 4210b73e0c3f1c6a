//! Target `keyring`: arbitrary bytes as a key file in a keyring directory, read by the keyring
//! the client uses ([`Keyring`], both backends): `show` (the clear-text fields), `list`, and
//! `signing_key` with the passphrase the seeds were written with (decrypt, check the secret
//! against the file's public key and HD path).
//!
//! The argon2id parameters come from the file. To keep executions fast, a file asking for more
//! than [`MAX_FUZZ_M_COST_KIB`] KiB or [`MAX_FUZZ_T_COST`] passes is only shown and listed, not
//! decrypted (the keyring's own limits on those parameters are unit-tested in leasehold-keys).
//!
//! Checked: nothing panics; reading never changes the directory (same files, same bytes); a
//! file whose fields were accepted by `show` is the one `list` reports.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use leasehold_keys::{Backend, KdfParams, Keyring};
use tempfile::TempDir;

/// The key name the input is stored under.
pub const NAME: &str = "fuzz";
/// The passphrase the seeds are encrypted with.
pub const PASSPHRASE: &str = "fuzz passphrase";
/// Largest argon2 memory cost decrypted while fuzzing.
pub const MAX_FUZZ_M_COST_KIB: u64 = 256;
/// Largest argon2 pass count decrypted while fuzzing.
pub const MAX_FUZZ_T_COST: u64 = 2;

fn dir() -> &'static TempDir {
    static D: OnceLock<TempDir> = OnceLock::new();
    D.get_or_init(|| tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}")))
}

fn cheap_kdf() -> KdfParams {
    KdfParams::new(64, 1, 1).unwrap_or_else(|e| panic!("kdf params: {e}"))
}

fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read dir: {e}"))
        .map(|e| {
            let path = e.unwrap_or_else(|e| panic!("dir entry: {e}")).path();
            let bytes = std::fs::read(&path).unwrap_or_default();
            (path, bytes)
        })
        .collect();
    out.sort();
    out
}

/// Whether the file's KDF parameters (if it names any) are cheap enough to decrypt here.
fn cheap_enough(data: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else { return true };
    let p = &v["kdf"]["params"];
    let get = |k: &str| p[k].as_u64().unwrap_or(0);
    get("m_cost_kib") <= MAX_FUZZ_M_COST_KIB && get("t_cost") <= MAX_FUZZ_T_COST && get("p_cost") <= 4
}

/// Stores `data` as key file `fuzz` of each backend and reads it; panics when a property fails.
pub fn run(data: &[u8]) {
    let root = dir().path();
    for backend in [Backend::File, Backend::UnencryptedTestOnly] {
        let keys = root.join(backend.as_str());
        std::fs::create_dir_all(&keys).unwrap_or_else(|e| panic!("mkdir: {e}"));
        let file = keys.join(format!("{NAME}.{}", backend.file_extension()));
        std::fs::write(&file, data).unwrap_or_else(|e| panic!("write key file: {e}"));
        let keyring = Keyring::open_with_kdf_params(&keys, "lease", backend, cheap_kdf())
            .unwrap_or_else(|e| panic!("open keyring: {e}"));
        let before = listing(&keys);

        let shown = keyring.show(NAME);
        let listed = keyring.list();
        if let Ok(info) = &shown {
            let listed = listed.as_ref().unwrap_or_else(|e| panic!("show accepted the file, list refused it: {e}"));
            assert_eq!(listed.as_slice(), std::slice::from_ref(info), "show and list disagree");
        }
        if backend == Backend::UnencryptedTestOnly || cheap_enough(data) {
            if let Ok(key) = keyring.signing_key(NAME, PASSPHRASE) {
                let info = shown.as_ref().unwrap_or_else(|e| panic!("decrypted a file show refused: {e}"));
                assert_eq!(key.public_key(), info.public_key, "the key differs from the file's public key");
            }
            let _ = keyring.export(NAME, "wrong passphrase");
        }
        assert_eq!(listing(&keys), before, "reading the keyring changed its directory");
        std::fs::remove_file(&file).unwrap_or_else(|e| panic!("remove key file: {e}"));
    }
}

/// Seeds: key files written by the keyring itself (both backends, cheap argon2 parameters,
/// passphrase [`PASSPHRASE`]), from the dev mnemonics.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let mut out = Vec::new();
    for (backend, account) in
        [(Backend::File, "tenant"), (Backend::File, "auditor"), (Backend::UnencryptedTestOnly, "admin")]
    {
        let keys = tmp.path().join(format!("{}-{account}", backend.as_str()));
        let keyring = Keyring::open_with_kdf_params(&keys, "lease", backend, cheap_kdf())
            .unwrap_or_else(|e| panic!("open keyring: {e}"));
        let index = if account == "auditor" { 3 } else { 0 };
        keyring
            .import(NAME, PASSPHRASE, crate::common::dev(account).mnemonic, index)
            .unwrap_or_else(|e| panic!("import: {e}"));
        let file = keys.join(format!("{NAME}.{}", backend.file_extension()));
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        out.push((format!("{}-{account}", backend.file_extension()), bytes));
    }
    out
}
