//! Derivation and address vectors: published ones (Keplr/CosmJS, BIP-39, Cosmos SDK) and
//! cross-checks against cosmrs, whose derivation and address code is independent of ours.

use leasehold_keys::{KeyError, Mnemonic, PublicKey, SigningKey, address_from_pubkey, decode_address, module_address};

const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// CosmJS's faucet account (`@cosmjs/stargate` testutils, `faucet.pubkey0..4` / `address0..4`,
/// `HdPaths.cosmos(i)` = m/44'/118'/0'/0/i). Public keys converted from base64 to hex.
const FAUCET: &str = "economy stock theory fatal elder harbor betray wasp final emotion task crumble siren bottom \
                      lizard educate guess current outdoor pair theory focus wife stone";
const FAUCET_ACCOUNTS: [(&str, &str); 5] = [
    // A08EGB7ro1ORuFhjOnZcSgwYlpe0DSFjVNUIkNNQxwKQ
    (
        "034f04181eeba35391b858633a765c4a0c189697b40d216354d50890d350c70290",
        "cosmos1pkptre7fdkl6gfrzlesjjvhxhlc3r4gmmk8rs6",
    ),
    // AiDosfIbBi54XJ1QjCeApumcy/FjdtF+YhywPf3DKTx7
    (
        "0220e8b1f21b062e785c9d508c2780a6e99ccbf16376d17e621cb03dfdc3293c7b",
        "cosmos10dyr9899g6t0pelew4nvf4j5c3jcgv0r73qga5",
    ),
    // AzQg33JZqH7vSsm09esZY5bZvmzYwE/SY78cA0iLxpD7
    (
        "033420df7259a87eef4ac9b4f5eb196396d9be6cd8c04fd263bf1c03488bc690fb",
        "cosmos1xy4yqngt0nlkdcenxymg8tenrghmek4nmqm28k",
    ),
    // A3gOAlB6aiRTCPvWMQg2+ZbGYNsLd8qlvV28m8p2UhY2
    (
        "03780e02507a6a245308fbd6310836f996c660db0b77caa5bd5dbc9bca76521636",
        "cosmos142u9fgcjdlycfcez3lw8x6x5h7rfjlnfhpw2lx",
    ),
    // Aum2063ub/ErUnIUB36sK55LktGUStgcbSiaAnL1wadu
    (
        "02e9b6d3adee6ff12b527214077eac2b9e4b92d1944ad81c6d289a0272f5c1a76e",
        "cosmos1hsm76p4ahyhl5yh3ve9ur49r5kemhp2r0dcjvx",
    ),
];

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit")).collect()
}

/// BIP-39 seed straight from the definition: PBKDF2-HMAC-SHA512(phrase, "mnemonic" || passphrase,
/// 2048 rounds, 64 bytes). NFKD normalisation is the identity for these ASCII inputs.
fn bip39_seed(phrase: &str, passphrase: &str) -> [u8; 64] {
    let salt = format!("mnemonic{passphrase}");
    pbkdf2::pbkdf2_hmac_array::<sha2::Sha512, 64>(phrase.as_bytes(), salt.as_bytes(), 2048)
}

/// The same account derived by cosmrs (its own BIP-32 path parsing and key derivation).
fn cosmrs_key(phrase: &str, passphrase: &str, index: u32) -> cosmrs::crypto::secp256k1::SigningKey {
    let seed = bip39_seed(phrase, passphrase);
    let path: bip32::DerivationPath = format!("m/44'/118'/0'/0/{index}").parse().expect("valid path");
    cosmrs::crypto::secp256k1::SigningKey::derive_from_path(seed, &path).expect("derivable")
}

#[test]
fn abandon_mnemonic_gives_the_published_keplr_cosmjs_address() {
    let key = SigningKey::from_mnemonic(ABANDON, "", 0).unwrap();
    assert_eq!(key.address("cosmos").unwrap(), "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4");
    // Same 20 bytes under the Leasehold prefix.
    assert_eq!(key.address("lease").unwrap(), "lease19rl4cm2hmr8afy4kldpxz3fka4jguq0afaysft");
    assert_eq!(
        decode_address("lease", "lease19rl4cm2hmr8afy4kldpxz3fka4jguq0afaysft").unwrap(),
        decode_address("cosmos", "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4").unwrap()
    );
}

#[test]
fn cosmjs_faucet_accounts_0_to_4_match_published_pubkeys_and_addresses() {
    let mnemonic = Mnemonic::parse(FAUCET).unwrap();
    for (index, (pubkey_hex, address)) in (0u32..).zip(FAUCET_ACCOUNTS) {
        let key = mnemonic.signing_key("", index).unwrap();
        assert_eq!(key.public_key().to_bytes().to_vec(), hex(pubkey_hex), "pubkey of index {index}");
        assert_eq!(key.address("cosmos").unwrap(), address, "address of index {index}");
        assert_eq!(address_from_pubkey("cosmos", &hex(pubkey_hex)).unwrap(), address);
    }
}

#[test]
fn bip39_passphrase_seed_matches_the_trezor_vector() {
    // BIP-39 reference vector: entropy 00..00, passphrase "TREZOR".
    let seed = Mnemonic::parse(ABANDON).unwrap().to_seed("TREZOR");
    assert_eq!(*seed, bip39_seed(ABANDON, "TREZOR"));
    assert_eq!(
        seed.to_vec(),
        hex(
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
        )
    );
}

#[test]
fn keys_match_cosmrs_for_several_phrases_passphrases_and_indices() {
    let phrases = [
        ABANDON,
        FAUCET,
        "enlist hip relief stomach skate base shallow young switch frequent cry park",
        "legal winner thank year wave sausage worth useful legal winner thank yellow",
    ];
    for phrase in phrases {
        for passphrase in ["", "TREZOR", "leasehold passphrase"] {
            for index in [0, 1, 7, 1000, (1 << 31) - 1] {
                let ours = SigningKey::from_mnemonic(phrase, passphrase, index).unwrap();
                let theirs = cosmrs_key(phrase, passphrase, index);
                assert_eq!(ours.public_key().to_bytes().to_vec(), theirs.public_key().to_bytes());
                for prefix in ["cosmos", "lease"] {
                    assert_eq!(
                        ours.address(prefix).unwrap(),
                        theirs.public_key().account_id(prefix).unwrap().to_string(),
                        "{prefix} address, index {index}"
                    );
                }
            }
        }
    }
}

#[test]
fn from_bytes_matches_cosmrs_from_slice() {
    for secret in [
        [1u8; 32],
        [0x42; 32],
        hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140").try_into().unwrap(),
    ] {
        let ours = SigningKey::from_bytes(&secret).unwrap();
        let theirs = cosmrs::crypto::secp256k1::SigningKey::from_slice(&secret).unwrap();
        assert_eq!(ours.public_key().to_bytes().to_vec(), theirs.public_key().to_bytes());
        assert_eq!(ours.address("lease").unwrap(), theirs.public_key().account_id("lease").unwrap().to_string());
    }
}

#[test]
fn account_index_must_be_non_hardened() {
    for index in [1 << 31, u32::MAX] {
        assert_eq!(SigningKey::from_mnemonic(ABANDON, "", index).unwrap_err(), KeyError::AccountIndex(index));
    }
}

#[test]
fn passphrase_and_index_each_change_the_account() {
    let base = SigningKey::from_mnemonic(ABANDON, "", 0).unwrap().public_key();
    assert_ne!(SigningKey::from_mnemonic(ABANDON, "x", 0).unwrap().public_key(), base);
    assert_ne!(SigningKey::from_mnemonic(ABANDON, "", 1).unwrap().public_key(), base);
}

#[test]
fn fee_collector_module_address_is_sha256_of_the_name_truncated_to_20_bytes() {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(b"fee_collector");
    let expected = bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("lease").unwrap(), &hash[..20]).unwrap();
    assert_eq!(module_address("lease", "fee_collector").unwrap(), expected);
    assert_eq!(expected, "lease17xpfvakm2amg962yls6f84z3kell8c5l9y2dar");
    // The Cosmos Hub's fee collector, as `gaiad q auth module-account fee_collector` shows it.
    assert_eq!(module_address("cosmos", "fee_collector").unwrap(), "cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta");
    assert_eq!(decode_address("lease", &expected).unwrap(), hash[..20].to_vec());
}

#[test]
fn public_key_round_trips_through_bytes() {
    let key = SigningKey::from_mnemonic(FAUCET, "", 0).unwrap().public_key();
    assert_eq!(PublicKey::try_from(key.as_bytes().as_slice()).unwrap(), key);
    assert_eq!(PublicKey::try_from(key.to_bytes()).unwrap(), key);
    assert_eq!(format!("{key:?}"), format!("PublicKey({})", FAUCET_ACCOUNTS[0].0));
}

#[test]
fn signing_key_debug_shows_only_the_public_key() {
    let secret = [0x42u8; 32];
    let key = SigningKey::from_bytes(&secret).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.starts_with("SigningKey { public_key: PublicKey("), "{debug}");
    assert!(!debug.contains(&"42".repeat(32)), "{debug}");
}
