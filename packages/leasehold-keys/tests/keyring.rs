//! The on-disk keyring: round trips, passphrase and tampering failures, file format and modes,
//! names, deletion, corrupt and foreign files, no partial writes, the test-only backend.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use leasehold_keys::{
    Backend, KEYRING_FORMAT_VERSION, KdfParams, KeyError, KeyInfo, Keyring, KeyringError, Mnemonic, SigningKey,
};
use serde_json::Value;

const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const LEASE_ADDRESS: &str = "lease19rl4cm2hmr8afy4kldpxz3fka4jguq0afaysft";
const FAUCET: &str = "economy stock theory fatal elder harbor betray wasp final emotion task crumble siren bottom \
                      lizard educate guess current outdoor pair theory focus wife stone";
const PASS: &str = "correct horse battery staple";
const SIGN_DOC: &[u8] = b"protobuf SignDoc bytes";

/// Argon2id at 64 KiB and one pass: fast enough for many tests, the same code path otherwise.
fn cheap() -> KdfParams {
    KdfParams::new(64, 1, 1).unwrap()
}

fn keyring(dir: &Path) -> Keyring {
    Keyring::open_with_kdf_params(dir, "lease", Backend::File, cheap()).unwrap()
}

fn test_keyring(dir: &Path) -> Keyring {
    Keyring::open_with_kdf_params(dir, "lease", Backend::UnencryptedTestOnly, cheap()).unwrap()
}

/// Every entry of `dir` (recursively) with its contents; directories map to `None`.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_owned();
            if path.is_dir() {
                out.insert(relative, None);
                walk(root, &path, out);
            } else {
                out.insert(relative, Some(fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

fn file_names(dir: &Path) -> Vec<String> {
    snapshot(dir).into_keys().map(|p| p.to_string_lossy().into_owned()).collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn write_json(path: &Path, value: &Value) {
    fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// The keyring's key signs exactly as `SigningKey::from_mnemonic(phrase, "", index)`.
fn assert_same_key(key: &SigningKey, phrase: &str, index: u32) {
    let expected = SigningKey::from_mnemonic(phrase, "", index).unwrap();
    assert_eq!(key.public_key(), expected.public_key());
    assert_eq!(key.sign_direct(SIGN_DOC), expected.sign_direct(SIGN_DOC));
    key.public_key().verify_direct(SIGN_DOC, &key.sign_direct(SIGN_DOC)).unwrap();
}

#[test]
fn added_key_round_trips_through_show_list_export_and_signing() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    let (info, mnemonic) = ring.add("alice", PASS, 24).unwrap();
    assert_eq!(mnemonic.word_count(), 24);
    assert_eq!(info.name, "alice");
    assert_eq!(info.account_index, 0);
    assert_eq!(info.hd_path(), "m/44'/118'/0'/0/0");
    assert_eq!(info.backend, Backend::File);
    let expected = SigningKey::from_mnemonic(&mnemonic.phrase(), "", 0).unwrap();
    assert_eq!(info.public_key, expected.public_key());
    assert_eq!(info.address, expected.address("lease").unwrap());

    assert_eq!(ring.show("alice").unwrap(), info);
    assert_eq!(ring.list().unwrap(), vec![info.clone()]);
    assert!(ring.contains("alice").unwrap());
    assert!(!ring.contains("bob").unwrap());
    assert_eq!(*ring.export("alice", PASS).unwrap().phrase(), *mnemonic.phrase());
    assert_same_key(&ring.signing_key("alice", PASS).unwrap(), &mnemonic.phrase(), 0);

    // A second handle on the same directory sees the same key.
    let again = Keyring::open(dir.path(), "lease", Backend::File).unwrap();
    assert_eq!(again.show("alice").unwrap(), info);
    assert_eq!(file_names(dir.path()), ["alice.key"]);
}

#[test]
fn imported_keys_sign_like_from_mnemonic_at_their_account_index() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    let abandon = ring.import("abandon", PASS, ABANDON, 0).unwrap();
    assert_eq!(abandon.address, LEASE_ADDRESS);
    for index in [1, 4, (1 << 31) - 1] {
        let name = format!("faucet-{index}");
        let info = ring.import(&name, PASS, FAUCET, index).unwrap();
        assert_eq!(info.account_index, index);
        assert_eq!(info.hd_path(), format!("m/44'/118'/0'/0/{index}"));
        assert_eq!(info.address, SigningKey::from_mnemonic(FAUCET, "", index).unwrap().address("lease").unwrap());
        assert_same_key(&ring.signing_key(&name, PASS).unwrap(), FAUCET, index);
        assert_eq!(ring.show(&name).unwrap(), info);
    }
    assert_same_key(&ring.signing_key("abandon", PASS).unwrap(), ABANDON, 0);
    // Extra whitespace in the phrase is normalised away, as Mnemonic::parse does.
    let spaced = ring.import("spaced", PASS, &format!("  {}\n", ABANDON.replace(' ', "   ")), 0).unwrap();
    assert_eq!(spaced.address, LEASE_ADDRESS);
    assert_eq!(*ring.export("spaced", PASS).unwrap().phrase(), ABANDON);

    let names: Vec<String> = ring.list().unwrap().into_iter().map(|k| k.name).collect();
    assert_eq!(names, ["abandon", "faucet-1", "faucet-2147483647", "faucet-4", "spaced"]);
}

#[test]
fn default_kdf_parameters_work_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let ring = Keyring::open(dir.path(), "lease", Backend::File).unwrap();
    assert_eq!(ring.kdf_params(), KdfParams::default());
    let info = ring.import("alice", PASS, ABANDON, 0).unwrap();
    assert_same_key(&ring.signing_key("alice", PASS).unwrap(), ABANDON, 0);
    assert!(matches!(ring.signing_key("alice", "nope"), Err(KeyringError::WrongPassphrase)));
    let params = &read_json(&dir.path().join("alice.key"))["kdf"]["params"];
    assert_eq!(params["m_cost_kib"], 65536);
    assert_eq!(params["t_cost"], 3);
    assert_eq!(params["p_cost"], 1);
    assert_eq!(info.address, LEASE_ADDRESS);
}

#[test]
fn files_are_read_with_the_parameters_recorded_in_them() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Keyring::open_with_kdf_params(dir.path(), "lease", Backend::File, KdfParams::new(256, 2, 2).unwrap());
    writer.unwrap().import("alice", PASS, ABANDON, 0).unwrap();
    let params = &read_json(&dir.path().join("alice.key"))["kdf"]["params"];
    assert_eq!(
        (params["m_cost_kib"].as_u64(), params["t_cost"].as_u64(), params["p_cost"].as_u64()),
        (Some(256), Some(2), Some(2))
    );
    // A keyring with other (default) parameters still opens it.
    let reader = Keyring::open(dir.path(), "lease", Backend::File).unwrap();
    assert_same_key(&reader.signing_key("alice", PASS).unwrap(), ABANDON, 0);
}

#[test]
fn the_file_has_the_documented_format_and_no_secret_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let info = keyring(dir.path()).import("alice", PASS, FAUCET, 3).unwrap();
    let text = fs::read_to_string(dir.path().join("alice.key")).unwrap();
    for word in FAUCET.split(' ') {
        assert!(!text.contains(&format!("{word} ")), "{word} in the file");
    }
    assert!(!text.contains(PASS));
    let json: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["address", "cipher", "ciphertext", "created_at", "hd_path", "kdf", "name", "public_key", "version"]
    );
    assert_eq!(json["version"], KEYRING_FORMAT_VERSION);
    assert_eq!(json["name"], "alice");
    assert_eq!(json["address"], info.address.as_str());
    assert_eq!(json["public_key"], hex::encode(info.public_key.as_bytes()));
    assert_eq!(json["hd_path"], "m/44'/118'/0'/0/3");
    assert_eq!(json["created_at"], info.created_at_rfc3339().as_str());
    assert_eq!(json["kdf"]["algorithm"], "argon2id");
    assert_eq!(
        json["kdf"]["params"],
        serde_json::json!({"version": 19, "m_cost_kib": 64, "t_cost": 1, "p_cost": 1, "output_len": 32})
    );
    assert_eq!(hex::decode(json["kdf"]["salt"].as_str().unwrap()).unwrap().len(), 16);
    assert_eq!(json["cipher"]["algorithm"], "xchacha20-poly1305");
    assert_eq!(hex::decode(json["cipher"]["nonce"].as_str().unwrap()).unwrap().len(), 24);
    // Plaintext JSON {"mnemonic": ..., "account_index": 3} plus the 16-byte tag.
    let ciphertext = hex::decode(json["ciphertext"].as_str().unwrap()).unwrap();
    assert!(ciphertext.len() > FAUCET.len() + 16, "{}", ciphertext.len());

    let created = info.created_at_rfc3339();
    assert_eq!(created.len(), 20);
    assert!(created.ends_with('Z') && created.as_bytes()[10] == b'T', "{created}");
}

#[test]
fn a_file_written_by_an_independent_implementation_decrypts() {
    // tests/fixtures/make_keyring_fixture.py builds this file from the documented format with
    // Python's `cryptography` (argon2id, ChaCha20-Poly1305) and its own HChaCha20.
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keyring-v1-abandon.key");
    fs::copy(fixture, dir.path().join("abandon.key")).unwrap();
    let ring = keyring(dir.path());
    let info = ring.show("abandon").unwrap();
    assert_eq!(info.address, LEASE_ADDRESS);
    assert_eq!(info.created_at_rfc3339(), "2026-01-02T03:04:05Z");
    let passphrase = "fixture passphrase \u{e9}\u{e8}";
    assert_eq!(*ring.export("abandon", passphrase).unwrap().phrase(), ABANDON);
    assert_same_key(&ring.signing_key("abandon", passphrase).unwrap(), ABANDON, 0);
    // Passphrases are taken byte for byte: no Unicode normalisation, no trimming.
    for wrong in ["fixture passphrase \u{e9}e\u{300}", "fixture passphrase \u{e9}\u{e8} ", "fixture passphrase"] {
        assert!(matches!(ring.export("abandon", wrong), Err(KeyringError::WrongPassphrase)), "{wrong:?}");
    }
}

#[test]
fn wrong_passphrase_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    ring.import("alice", PASS, ABANDON, 0).unwrap();
    let before = snapshot(dir.path());
    for wrong in ["", "correct horse battery stapl", "Correct horse battery staple", "correct horse battery staple "] {
        assert!(matches!(ring.signing_key("alice", wrong), Err(KeyringError::WrongPassphrase)), "{wrong:?}");
        assert!(matches!(ring.export("alice", wrong), Err(KeyringError::WrongPassphrase)), "{wrong:?}");
    }
    assert_eq!(snapshot(dir.path()), before);
    assert_same_key(&ring.signing_key("alice", PASS).unwrap(), ABANDON, 0);
    let message = KeyringError::WrongPassphrase.to_string();
    assert_eq!(message, "wrong passphrase (or the key file was modified)");
}

#[test]
fn tampered_ciphertext_nonce_salt_or_kdf_parameters_do_not_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    ring.import("alice", PASS, ABANDON, 0).unwrap();
    let path = dir.path().join("alice.key");
    let original = read_json(&path);

    let flip_hex = |value: &Value, at: usize| -> Value {
        let mut bytes = hex::decode(value.as_str().unwrap()).unwrap();
        bytes[at] ^= 0x01;
        Value::String(hex::encode(bytes))
    };
    let mut cases: Vec<(&str, Value)> = Vec::new();
    for at in [0, 10, 40] {
        let mut v = original.clone();
        v["ciphertext"] = flip_hex(&v["ciphertext"], at);
        cases.push(("ciphertext byte", v));
    }
    let mut v = original.clone();
    let len = hex::decode(v["ciphertext"].as_str().unwrap()).unwrap().len();
    v["ciphertext"] = flip_hex(&v["ciphertext"], len - 1);
    cases.push(("tag", v));
    let mut v = original.clone();
    v["cipher"]["nonce"] = flip_hex(&v["cipher"]["nonce"], 23);
    cases.push(("nonce", v));
    let mut v = original.clone();
    v["kdf"]["salt"] = flip_hex(&v["kdf"]["salt"], 0);
    cases.push(("salt", v));
    let mut v = original.clone();
    v["kdf"]["params"]["t_cost"] = 2.into();
    cases.push(("t_cost", v));
    let mut v = original.clone();
    v["kdf"]["params"]["m_cost_kib"] = 128.into();
    cases.push(("m_cost", v));
    let mut v = original.clone();
    v["created_at"] = "2001-01-01T00:00:00Z".into();
    cases.push(("created_at", v));
    let mut v = original.clone();
    v["hd_path"] = "m/44'/118'/0'/0/1".into();
    cases.push(("hd_path", v));

    for (what, value) in cases {
        write_json(&path, &value);
        // The clear-text fields are still consistent, so the key shows and lists...
        assert!(ring.show("alice").is_ok(), "{what}");
        // ...but it does not decrypt.
        assert!(matches!(ring.signing_key("alice", PASS), Err(KeyringError::WrongPassphrase)), "{what}");
        assert!(matches!(ring.export("alice", PASS), Err(KeyringError::WrongPassphrase)), "{what}");
    }
    write_json(&path, &original);
    assert_same_key(&ring.signing_key("alice", PASS).unwrap(), ABANDON, 0);
}

#[test]
fn a_key_file_renamed_or_swapped_onto_another_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    ring.import("alice", PASS, ABANDON, 0).unwrap();
    let bob = ring.import("bob", PASS, FAUCET, 0).unwrap();
    let alice_file = read_json(&dir.path().join("alice.key"));

    // alice's file under bob's name: the name inside does not match.
    fs::copy(dir.path().join("alice.key"), dir.path().join("bob.key")).unwrap();
    for result in [ring.show("bob").map(|_| ()), ring.signing_key("bob", PASS).map(|_| ())] {
        match result {
            Err(KeyringError::CorruptKeyFile { path, reason }) => {
                assert_eq!(path, dir.path().join("bob.key"));
                assert!(reason.contains("\"alice\""), "{reason}");
            }
            other => panic!("expected CorruptKeyFile, got {other:?}"),
        }
    }
    assert!(matches!(ring.list(), Err(KeyringError::CorruptKeyFile { .. })));

    // ...with its name field edited too: the name is bound to the ciphertext.
    let mut renamed = alice_file.clone();
    renamed["name"] = "bob".into();
    write_json(&dir.path().join("bob.key"), &renamed);
    assert!(matches!(ring.signing_key("bob", PASS), Err(KeyringError::WrongPassphrase)));

    // alice's ciphertext presented as bob's key (bob's address and public key): bound as well, so
    // an attacker cannot make `show` advertise one account while signing with another.
    let mut swapped = alice_file.clone();
    swapped["name"] = "bob".into();
    swapped["address"] = bob.address.clone().into();
    swapped["public_key"] = hex::encode(bob.public_key.as_bytes()).into();
    write_json(&dir.path().join("bob.key"), &swapped);
    assert_eq!(ring.show("bob").unwrap().address, bob.address);
    assert!(matches!(ring.signing_key("bob", PASS), Err(KeyringError::WrongPassphrase)));

    // An address that is not the public key's is caught without a passphrase.
    let mut mismatched = alice_file;
    mismatched["address"] = bob.address.into();
    write_json(&dir.path().join("alice.key"), &mismatched);
    assert!(
        matches!(ring.show("alice"), Err(KeyringError::CorruptKeyFile { reason, .. }) if reason.contains("address"))
    );
}

#[test]
fn a_keyring_for_another_prefix_reports_the_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    keyring(dir.path()).import("alice", PASS, ABANDON, 0).unwrap();
    let cosmos = Keyring::open_with_kdf_params(dir.path(), "cosmos", Backend::File, cheap()).unwrap();
    match cosmos.show("alice") {
        Err(KeyringError::WrongPrefix { expected, found, .. }) => {
            assert_eq!(expected, "cosmos");
            assert_eq!(found, "lease");
        }
        other => panic!("expected WrongPrefix, got {other:?}"),
    }
    assert!(matches!(
        Keyring::open(dir.path(), "Lease", Backend::File),
        Err(KeyringError::Key(KeyError::InvalidPrefix(_)))
    ));
}

#[cfg(unix)]
#[test]
fn files_are_0600_and_a_created_directory_is_0700() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("home/keyring");
    let ring = keyring(&dir);
    assert!(!dir.exists(), "opening creates nothing");
    assert!(ring.list().unwrap().is_empty());
    assert!(!dir.exists(), "listing creates nothing");
    ring.import("alice", PASS, ABANDON, 0).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("alice.key")), 0o600);
    test_keyring(&dir).import("alice", "", ABANDON, 0).unwrap();
    assert_eq!(mode(&dir.join("alice.insecure-test-key")), 0o600);
    assert_eq!(file_names(&dir), ["alice.insecure-test-key", "alice.key"]);

    // An existing directory keeps its mode.
    let shared = root.path().join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o750)).unwrap();
    keyring(&shared).import("bob", PASS, ABANDON, 0).unwrap();
    assert_eq!(mode(&shared), 0o750);
    assert_eq!(mode(&shared.join("bob.key")), 0o600);
}

#[test]
fn a_taken_name_is_refused_and_the_existing_key_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    let alice = ring.import("alice", PASS, ABANDON, 0).unwrap();
    let before = snapshot(dir.path());
    assert!(matches!(ring.import("alice", PASS, FAUCET, 0), Err(KeyringError::KeyExists(n)) if n == "alice"));
    assert!(matches!(ring.import("alice", "other", ABANDON, 0), Err(KeyringError::KeyExists(_))));
    assert!(matches!(ring.add("alice", PASS, 12), Err(KeyringError::KeyExists(_))));
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(ring.show("alice").unwrap(), alice);
    assert_same_key(&ring.signing_key("alice", PASS).unwrap(), ABANDON, 0);
}

#[test]
fn concurrent_imports_of_one_name_store_exactly_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    let phrases: Vec<String> = (0..6).map(|_| Mnemonic::generate(12).unwrap().phrase().to_string()).collect();
    let results: Vec<Result<KeyInfo, KeyringError>> = std::thread::scope(|scope| {
        let ring = &ring;
        let handles: Vec<_> =
            phrases.iter().map(|phrase| scope.spawn(move || ring.import("race", PASS, phrase, 0))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for result in &results {
        assert!(matches!(result, Ok(_) | Err(KeyringError::KeyExists(_))), "{result:?}");
    }
    assert_eq!(file_names(dir.path()), ["race.key"]);
    assert_same_key(&ring.signing_key("race", PASS).unwrap(), &phrases[winners[0]], 0);
}

#[test]
fn invalid_names_are_refused_by_every_operation() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("keys");
    let ring = keyring(&dir);
    let long = "x".repeat(65);
    for name in ["", ".", "..", "../escape", "a/b", "/abs", "a\\b", ".hidden", "-flag", "sp ace", "n\u{e9}", &long] {
        let invalid = |r: Result<(), KeyringError>| matches!(r, Err(KeyringError::InvalidName { .. }));
        assert!(invalid(ring.add(name, PASS, 12).map(drop)), "add {name:?}");
        assert!(invalid(ring.import(name, PASS, ABANDON, 0).map(drop)), "import {name:?}");
        assert!(invalid(ring.show(name).map(drop)), "show {name:?}");
        assert!(invalid(ring.export(name, PASS).map(drop)), "export {name:?}");
        assert!(invalid(ring.signing_key(name, PASS).map(drop)), "signing_key {name:?}");
        assert!(invalid(ring.delete(name)), "delete {name:?}");
        assert!(invalid(ring.contains(name).map(drop)), "contains {name:?}");
        assert!(invalid(ring.key_path(name).map(drop)), "key_path {name:?}");
    }
    assert!(snapshot(root.path()).is_empty(), "nothing was created");
    let longest = "x".repeat(64);
    for name in ["a", "A.b_c-d", "0", longest.as_str()] {
        ring.import(name, PASS, ABANDON, 0).unwrap();
        assert_eq!(ring.show(name).unwrap().name, name);
    }
}

#[test]
fn delete_removes_only_that_key() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    ring.import("alice", PASS, ABANDON, 0).unwrap();
    let bob = ring.import("bob", PASS, FAUCET, 0).unwrap();
    test_keyring(dir.path()).import("alice", "", ABANDON, 0).unwrap();

    ring.delete("alice").unwrap();
    assert_eq!(ring.list().unwrap(), vec![bob]);
    assert!(matches!(ring.show("alice"), Err(KeyringError::KeyNotFound(n)) if n == "alice"));
    assert!(matches!(ring.signing_key("alice", PASS), Err(KeyringError::KeyNotFound(_))));
    assert!(matches!(ring.delete("alice"), Err(KeyringError::KeyNotFound(_))));
    assert_eq!(file_names(dir.path()), ["alice.insecure-test-key", "bob.key"]);
    // The name is free again.
    ring.import("alice", PASS, FAUCET, 1).unwrap();
    assert_same_key(&ring.signing_key("alice", PASS).unwrap(), FAUCET, 1);
    // Missing keys and missing directories are KeyNotFound, not I/O errors.
    let missing = keyring(&dir.path().join("nowhere"));
    assert!(matches!(missing.delete("alice"), Err(KeyringError::KeyNotFound(_))));
    assert!(matches!(missing.show("alice"), Err(KeyringError::KeyNotFound(_))));
    assert!(matches!(missing.export("alice", PASS), Err(KeyringError::KeyNotFound(_))));
}

#[test]
fn corrupt_files_are_corrupt_key_file_errors_and_can_still_be_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    ring.import("alice", PASS, ABANDON, 0).unwrap();
    let path = dir.path().join("alice.key");
    let good = fs::read(&path).unwrap();
    let original = read_json(&path);

    let mut missing_field = original.clone();
    missing_field.as_object_mut().unwrap().remove("cipher");
    let mut extra_field = original.clone();
    extra_field["mnemonic"] = ABANDON.into();
    let mut bad_salt = original.clone();
    bad_salt["kdf"]["salt"] = "00ff".into();
    let mut bad_kdf = original.clone();
    bad_kdf["kdf"]["algorithm"] = "scrypt".into();
    let mut huge_memory = original.clone();
    huge_memory["kdf"]["params"]["m_cost_kib"] = (u64::from(u32::MAX)).into();
    let mut bad_cipher = original.clone();
    bad_cipher["cipher"]["algorithm"] = "aes-256-gcm".into();
    let mut short_nonce = original.clone();
    short_nonce["cipher"]["nonce"] = "00".repeat(12).into();
    let mut bad_pubkey = original.clone();
    bad_pubkey["public_key"] = format!("04{}", "00".repeat(32)).into();
    let mut bad_time = original.clone();
    bad_time["created_at"] = "yesterday".into();
    let mut bad_path = original.clone();
    bad_path["hd_path"] = "m/44'/118'/0'/0/2147483648".into();

    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("not JSON", b"not json at all".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("a JSON array", b"[1, 2]".to_vec()),
        ("no version", b"{}".to_vec()),
        ("string version", br#"{"version": "1"}"#.to_vec()),
    ];
    for (what, value) in [
        ("missing field", &missing_field),
        ("unknown field", &extra_field),
        ("short salt", &bad_salt),
        ("unknown KDF", &bad_kdf),
        ("absurd memory cost", &huge_memory),
        ("unknown cipher", &bad_cipher),
        ("short nonce", &short_nonce),
        ("invalid public key", &bad_pubkey),
        ("invalid time", &bad_time),
        ("hardened index", &bad_path),
    ] {
        cases.push((what, serde_json::to_vec(value).unwrap()));
    }
    for (what, bytes) in cases {
        fs::write(&path, &bytes).unwrap();
        for result in [ring.show("alice").map(drop), ring.signing_key("alice", PASS).map(drop), ring.list().map(drop)] {
            match result {
                Err(KeyringError::CorruptKeyFile { path: p, reason }) => {
                    assert_eq!(p, path, "{what}");
                    assert!(!reason.contains("abandon"), "{what}: {reason}");
                }
                other => panic!("{what}: expected CorruptKeyFile, got {other:?}"),
            }
        }
    }
    ring.delete("alice").unwrap();
    assert!(file_names(dir.path()).is_empty());
}

#[test]
fn unknown_format_versions_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    ring.import("alice", PASS, ABANDON, 0).unwrap();
    let path = dir.path().join("alice.key");
    for version in [0u64, 2, 99] {
        let mut json = read_json(&path);
        json["version"] = version.into();
        // Newer versions may add fields; the version is checked before anything else.
        json["future_field"] = true.into();
        let moved = dir.path().join("v.key");
        let mut renamed = json.clone();
        renamed["name"] = "v".into();
        write_json(&moved, &renamed);
        let err = ring.show("v").unwrap_err();
        match &err {
            KeyringError::UnsupportedVersion { path: p, found, supported } => {
                assert_eq!((p, *found, *supported), (&moved, version, 1));
            }
            other => panic!("expected UnsupportedVersion, got {other:?}"),
        }
        let message = err.to_string();
        assert!(message.contains(&format!("format version {version}")) && message.contains("version 1"), "{message}");
        assert!(matches!(ring.signing_key("v", PASS), Err(KeyringError::UnsupportedVersion { .. })));
    }
}

#[test]
fn failed_adds_and_imports_leave_the_directory_exactly_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    ring.import("alice", PASS, ABANDON, 0).unwrap();
    test_keyring(dir.path()).import("tester", "", FAUCET, 0).unwrap();
    fs::write(dir.path().join("notes.txt"), b"unrelated").unwrap();
    let before = snapshot(dir.path());
    assert_eq!(before.len(), 3);

    let bad_checksum = ["abandon"; 12].join(" ");
    assert!(matches!(ring.import("bob", PASS, &bad_checksum, 0), Err(KeyringError::Key(KeyError::MnemonicChecksum))));
    assert!(matches!(
        ring.import("bob", PASS, &ABANDON.replace("about", "aboutt"), 0),
        Err(KeyringError::Key(KeyError::MnemonicUnknownWord { index: 11 }))
    ));
    assert!(matches!(ring.import("bob", PASS, "", 0), Err(KeyringError::Key(KeyError::MnemonicWordCount(0)))));
    assert!(matches!(ring.import("bob", PASS, ABANDON, 1 << 31), Err(KeyringError::Key(KeyError::AccountIndex(_)))));
    assert!(matches!(ring.add("bob", PASS, 13), Err(KeyringError::Key(KeyError::MnemonicWordCount(13)))));
    assert!(matches!(ring.import("bob", "", ABANDON, 0), Err(KeyringError::EmptyPassphrase)));
    assert!(matches!(ring.add("bob", "", 24), Err(KeyringError::EmptyPassphrase)));
    assert!(matches!(ring.import("alice", PASS, FAUCET, 0), Err(KeyringError::KeyExists(_))));
    assert!(matches!(ring.import("../bob", PASS, ABANDON, 0), Err(KeyringError::InvalidName { .. })));
    assert_eq!(snapshot(dir.path()), before);

    // A directory where the key file should go: refused as taken, nothing left behind.
    fs::create_dir(dir.path().join("carol.key")).unwrap();
    let before = snapshot(dir.path());
    assert!(matches!(ring.import("carol", PASS, ABANDON, 0), Err(KeyringError::KeyExists(_))));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn failed_writes_leave_no_trace() {
    let root = tempfile::tempdir().unwrap();
    // The keyring directory cannot be created: its parent is a regular file.
    let ring = keyring(&root.path().join("blocker/keys"));
    fs::write(root.path().join("blocker"), b"a file").unwrap();
    let before = snapshot(root.path());
    assert!(matches!(ring.import("alice", PASS, ABANDON, 0), Err(KeyringError::Io { .. })));
    assert_eq!(snapshot(root.path()), before);

    // The keyring path is a file.
    let file_ring = keyring(&root.path().join("later"));
    fs::write(root.path().join("later"), b"a file").unwrap();
    let before = snapshot(root.path());
    assert!(matches!(file_ring.import("alice", PASS, ABANDON, 0), Err(KeyringError::NotADirectory(_))));
    assert!(matches!(
        Keyring::open(root.path().join("later"), "lease", Backend::File),
        Err(KeyringError::NotADirectory(_))
    ));
    assert_eq!(snapshot(root.path()), before);

    // A read-only directory: creating the temporary file fails. Skipped where permissions are not
    // enforced (running as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = root.path().join("readonly");
        let ring = keyring(&dir);
        ring.import("alice", PASS, ABANDON, 0).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o500)).unwrap();
        if fs::write(dir.join("probe"), b"").is_ok() {
            fs::remove_file(dir.join("probe")).unwrap();
            eprintln!("skipping the read-only directory case: permissions are not enforced for this user");
        } else {
            let before = snapshot(&dir);
            assert!(matches!(ring.import("bob", PASS, FAUCET, 0), Err(KeyringError::Io { .. })));
            assert_eq!(snapshot(&dir), before);
        }
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn list_ignores_files_that_are_not_this_backends_keys() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    let alice = ring.import("alice", PASS, ABANDON, 0).unwrap();
    for junk in [".alice.key.0011223344556677.tmp", "notes.txt", "alice.key.bak", "bad name.key", ".key", "x.KEY"] {
        fs::write(dir.path().join(junk), b"junk").unwrap();
    }
    fs::create_dir(dir.path().join("folder.key")).unwrap();
    test_keyring(dir.path()).import("tester", "", FAUCET, 0).unwrap();
    assert_eq!(ring.list().unwrap(), vec![alice]);
}

#[test]
fn the_unencrypted_test_backend_works_and_is_clearly_marked() {
    let dir = tempfile::tempdir().unwrap();
    let ring = test_keyring(dir.path());
    assert!(ring.backend().is_insecure());
    assert!(!Backend::File.is_insecure());
    let info = ring.import("tester", "", ABANDON, 2).unwrap();
    assert_eq!(info.backend, Backend::UnencryptedTestOnly);
    let (added, mnemonic) = ring.add("generated", "ignored", 12).unwrap();
    assert_eq!(ring.list().unwrap(), vec![added, info.clone()]);
    // Passphrases are ignored.
    assert_same_key(&ring.signing_key("tester", "").unwrap(), ABANDON, 2);
    assert_same_key(&ring.signing_key("tester", "anything").unwrap(), ABANDON, 2);
    assert_eq!(*ring.export("generated", "").unwrap().phrase(), *mnemonic.phrase());

    let path = dir.path().join("tester.insecure-test-key");
    let json = read_json(&path);
    assert_eq!(json["insecure"], true);
    assert_eq!(json["backend"], "unencrypted-test-only");
    assert!(json["warning"].as_str().unwrap().starts_with("INSECURE"));
    assert_eq!(json["mnemonic"], ABANDON);
    assert_eq!(json["hd_path"], "m/44'/118'/0'/0/2");
    assert!(json.get("kdf").is_none() && json.get("ciphertext").is_none());

    // The encrypted backend does not see test keys, even in the same directory...
    let file_ring = keyring(dir.path());
    assert!(file_ring.list().unwrap().is_empty());
    assert!(matches!(file_ring.show("tester"), Err(KeyringError::KeyNotFound(_))));
    // ...nor accept one renamed to its extension (and the reverse).
    fs::copy(&path, dir.path().join("tester.key")).unwrap();
    assert!(matches!(file_ring.show("tester"), Err(KeyringError::CorruptKeyFile { .. })));
    assert!(matches!(file_ring.signing_key("tester", ""), Err(KeyringError::CorruptKeyFile { .. })));
    fs::remove_file(dir.path().join("tester.key")).unwrap();
    file_ring.import("secure", PASS, FAUCET, 0).unwrap();
    fs::copy(dir.path().join("secure.key"), dir.path().join("secure.insecure-test-key")).unwrap();
    assert!(matches!(ring.show("secure"), Err(KeyringError::CorruptKeyFile { .. })));
    // A test file with the insecure marker removed is refused too.
    let mut unmarked = json;
    unmarked["insecure"] = false.into();
    write_json(&path, &unmarked);
    match ring.show("tester") {
        Err(KeyringError::CorruptKeyFile { reason, .. }) => assert!(!reason.contains("abandon"), "{reason}"),
        other => panic!("expected CorruptKeyFile, got {other:?}"),
    }
}

#[test]
fn debug_output_and_errors_contain_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let ring = keyring(dir.path());
    let info = ring.import("alice", PASS, ABANDON, 0).unwrap();
    let key = ring.signing_key("alice", PASS).unwrap();
    let mnemonic = ring.export("alice", PASS).unwrap();
    let wrong = ring.signing_key("alice", "guess").unwrap_err();
    let exists = ring.import("alice", PASS, ABANDON, 0).unwrap_err();
    let bad_word = ring.import("bob", PASS, &ABANDON.replace("about", "zzzz"), 0).unwrap_err();
    for text in [
        format!("{info:?}"),
        format!("{ring:?}"),
        format!("{key:?}"),
        format!("{mnemonic:?}"),
        format!("{wrong:?} {wrong}"),
        format!("{exists:?} {exists}"),
        format!("{bad_word:?} {bad_word}"),
    ] {
        assert!(!text.contains("abandon") && !text.contains("zzzz"), "{text}");
        assert!(!text.contains(PASS) && !text.contains("guess"), "{text}");
    }
    assert_eq!(format!("{mnemonic:?}"), "Mnemonic(<redacted, 12 words>)");
}
