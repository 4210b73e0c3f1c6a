//! Bad input gets a specific, typed error: mnemonics, public keys and addresses.

use bech32::primitives::iter::{ByteIterExt, Fe32IterExt};
use bech32::{Bech32, Bech32m, Fe32, Hrp};
use leasehold_keys::{KeyError, Mnemonic, PublicKey, SigningKey, address_from_pubkey, decode_address, verify};

const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const LEASE_ADDRESS: &str = "lease19rl4cm2hmr8afy4kldpxz3fka4jguq0afaysft";

fn encode(hrp: &str, bytes: &[u8]) -> String {
    bech32::encode::<Bech32>(Hrp::parse(hrp).unwrap(), bytes).unwrap()
}

#[test]
fn mnemonic_with_a_wrong_checksum_word_is_a_checksum_error() {
    // Twelve "abandon": all known words, but the last one should be "about".
    let phrase = ["abandon"; 12].join(" ");
    assert_eq!(Mnemonic::parse(&phrase).unwrap_err(), KeyError::MnemonicChecksum);
    assert_eq!(SigningKey::from_mnemonic(&phrase, "", 0).unwrap_err(), KeyError::MnemonicChecksum);
    // Swapping two words also breaks the checksum.
    let swapped = ABANDON.replacen("abandon about", "about abandon", 1);
    assert_eq!(Mnemonic::parse(&swapped).unwrap_err(), KeyError::MnemonicChecksum);
}

#[test]
fn mnemonic_word_errors_name_the_position_not_the_word() {
    let phrase = ABANDON.replace("about", "aboutt");
    let err = Mnemonic::parse(&phrase).unwrap_err();
    assert_eq!(err, KeyError::MnemonicUnknownWord { index: 11 });
    assert!(!err.to_string().contains("aboutt"));
    // Word lists are lower case; upper case is not silently accepted.
    assert_eq!(Mnemonic::parse(&ABANDON.to_uppercase()).unwrap_err(), KeyError::MnemonicUnknownWord { index: 0 });
}

#[test]
fn mnemonic_word_count_is_checked() {
    let eleven = ["abandon"; 11].join(" ");
    assert_eq!(Mnemonic::parse(&eleven).unwrap_err(), KeyError::MnemonicWordCount(11));
    assert_eq!(Mnemonic::parse("").unwrap_err(), KeyError::MnemonicWordCount(0));
}

#[test]
fn extra_whitespace_between_words_is_tolerated() {
    let spaced = format!("  {}\n", ABANDON.replace(' ', "   "));
    let key = SigningKey::from_mnemonic(&spaced, "", 0).unwrap();
    assert_eq!(key.address("lease").unwrap(), LEASE_ADDRESS);
}

#[test]
fn bad_public_keys_are_refused() {
    let good = SigningKey::from_mnemonic(ABANDON, "", 0).unwrap().public_key().to_bytes();
    assert_eq!(PublicKey::try_from(&good[..32]), Err(KeyError::PublicKeyLength(32)));
    assert_eq!(PublicKey::try_from(&[0x04; 65][..]), Err(KeyError::PublicKeyLength(65)));
    assert_eq!(PublicKey::try_from(&[][..]), Err(KeyError::PublicKeyLength(0)));

    // Wrong SEC1 tag: 0x04 (uncompressed) and 0x00 are not compressed keys.
    for tag in [0x00, 0x04, 0x05, 0xff] {
        let mut bytes = good;
        bytes[0] = tag;
        assert_eq!(PublicKey::try_from(bytes), Err(KeyError::InvalidPublicKey), "tag {tag:#04x}");
    }
    // x = 5: 5^3 + 7 = 132 is not a square mod p, so no point has that x.
    let mut off_curve = [0u8; 33];
    off_curve[0] = 0x02;
    off_curve[32] = 5;
    assert_eq!(PublicKey::try_from(off_curve), Err(KeyError::InvalidPublicKey));
    // x >= p.
    let mut too_big = [0xff; 33];
    too_big[0] = 0x03;
    assert_eq!(PublicKey::try_from(too_big), Err(KeyError::InvalidPublicKey));

    assert_eq!(address_from_pubkey("lease", &off_curve), Err(KeyError::InvalidPublicKey));
    assert_eq!(address_from_pubkey("lease", &good[1..]), Err(KeyError::PublicKeyLength(32)));
    assert_eq!(verify(&off_curve, b"m", &[1; 64]), Err(KeyError::InvalidPublicKey));
}

#[test]
fn invalid_secret_keys_are_refused() {
    assert_eq!(SigningKey::from_bytes(&[0; 32]).unwrap_err(), KeyError::InvalidSecretKey);
    assert_eq!(SigningKey::from_bytes(&[0xff; 32]).unwrap_err(), KeyError::InvalidSecretKey);
}

#[test]
fn address_of_another_chain_is_a_prefix_error() {
    let cosmos = "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4";
    assert_eq!(
        decode_address("lease", cosmos),
        Err(KeyError::WrongPrefix { expected: "lease".to_owned(), found: "cosmos".to_owned() })
    );
    assert_eq!(decode_address("cosmos", cosmos).unwrap().len(), 20);
}

#[test]
fn upper_and_mixed_case_addresses_are_refused() {
    assert_eq!(decode_address("lease", &LEASE_ADDRESS.to_uppercase()), Err(KeyError::AddressNotLowerCase));
    let mixed = LEASE_ADDRESS.replacen('l', "L", 1);
    assert_eq!(decode_address("lease", &mixed), Err(KeyError::AddressNotLowerCase));
}

#[test]
fn checksum_errors_are_reported_as_such() {
    // Last character changed.
    let bad = format!("{}{}", &LEASE_ADDRESS[..LEASE_ADDRESS.len() - 1], 'q');
    assert_ne!(bad, LEASE_ADDRESS);
    assert_eq!(decode_address("lease", &bad), Err(KeyError::AddressChecksum));
    // A data character changed.
    let bad = LEASE_ADDRESS.replacen("9rl4", "9rl5", 1);
    assert_eq!(decode_address("lease", &bad), Err(KeyError::AddressChecksum));
    // bech32m is a different checksum; Cosmos addresses use classic bech32.
    let bytes = decode_address("lease", LEASE_ADDRESS).unwrap();
    let bech32m = bech32::encode::<Bech32m>(Hrp::parse("lease").unwrap(), &bytes).unwrap();
    assert_eq!(decode_address("lease", &bech32m), Err(KeyError::AddressChecksum));
}

#[test]
fn text_that_is_not_bech32_is_an_encoding_error() {
    // Empty, no separator, nothing after it, separator but too short for a checksum, a character
    // outside the bech32 alphabet ('b'), non-ASCII.
    for text in [
        "",
        "lease",
        "lease1",
        "lease1qqqq",
        "leaseqqqqqqqq",
        "lease1bbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "lease1\u{e9}qqqqqqq",
    ] {
        assert!(matches!(decode_address("lease", text), Err(KeyError::AddressEncoding(_))), "{text:?}");
    }
}

#[test]
fn payloads_other_than_20_or_32_bytes_are_a_length_error() {
    for len in [0, 1, 19, 21, 31, 33, 40] {
        let address = encode("lease", &vec![9; len]);
        assert_eq!(decode_address("lease", &address), Err(KeyError::AddressLength(len)), "{len} bytes");
    }
    let contract = encode("lease", &[3; 32]);
    assert_eq!(decode_address("lease", &contract).unwrap(), vec![3; 32]);
}

#[test]
fn non_zero_padding_bits_are_refused() {
    // 32 bytes = 256 bits fill 52 five-bit groups with 4 bits of padding, which must be zero.
    let hrp = Hrp::parse("lease").unwrap();
    let mut fes: Vec<Fe32> = [3u8; 32].iter().copied().bytes_to_fes().collect();
    let canonical: String = fes.iter().copied().with_checksum::<Bech32>(&hrp).chars().collect();
    assert_eq!(canonical, encode("lease", &[3; 32]));

    let last = fes.last_mut().unwrap();
    *last = Fe32::try_from(last.to_u8() | 1).unwrap();
    let padded: String = fes.into_iter().with_checksum::<Bech32>(&hrp).chars().collect();
    assert_eq!(decode_address("lease", &padded), Err(KeyError::AddressPadding));
}
