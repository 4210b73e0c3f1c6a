//! SIGN_MODE_DIRECT signatures: ECDSA over sha256(sign_doc_bytes), r || s, low-S; cross-checked
//! against cosmrs and k256's own verifier, and high-S malleations refused.

use k256::ecdsa::signature::Verifier;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use leasehold_keys::{KeyError, SigningKey, verify};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const FAUCET: &str = "economy stock theory fatal elder harbor betray wasp final emotion task crumble siren bottom \
                      lizard educate guess current outdoor pair theory focus wife stone";

/// secp256k1 group order n, big-endian.
const N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc,
    0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];
/// floor(n / 2), big-endian: the largest low-S value.
const HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e,
    0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// `a - b` for 256-bit big-endian numbers with `a >= b`.
fn sub_be(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = u8::try_from(d).expect("byte");
    }
    assert_eq!(borrow, 0, "a < b");
    out
}

/// The other valid signature of the same (r, s): (r, n - s).
fn malleate(signature: &[u8; 64]) -> [u8; 64] {
    let mut high = *signature;
    high[32..].copy_from_slice(&sub_be(&N, &signature[32..]));
    high
}

fn is_low_s(signature: &[u8; 64]) -> bool {
    signature[32..] <= HALF_N[..]
}

fn to_array(signature: k256::ecdsa::Signature) -> [u8; 64] {
    signature.to_bytes().into()
}

fn faucet_key() -> SigningKey {
    SigningKey::from_mnemonic(FAUCET, "", 0).unwrap()
}

#[test]
fn signatures_equal_cosmrs_and_verify_with_k256_over_sha256_of_the_sign_doc() {
    let key = faucet_key();
    let theirs = cosmrs::crypto::secp256k1::SigningKey::from_slice(&[0x42; 32]).unwrap();
    let ours_same_secret = SigningKey::from_bytes(&[0x42; 32]).unwrap();
    for msg in [&b""[..], b"sign doc", &[0xab; 1000]] {
        // Deterministic RFC 6979 nonces: byte-for-byte the signature cosmrs produces.
        assert_eq!(ours_same_secret.sign_direct(msg), to_array(theirs.sign(msg).unwrap()));

        let signature = key.sign_direct(msg);
        let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(&key.public_key().to_bytes()).unwrap();
        let parsed = k256::ecdsa::Signature::from_slice(&signature).unwrap();
        vk.verify(msg, &parsed).unwrap();
        // The signed digest is sha256(msg), as the Cosmos SDK's secp256k1 VerifySignature expects.
        vk.verify_prehash(&Sha256::digest(msg), &parsed).unwrap();
        key.public_key().verify_direct(msg, &signature).unwrap();
        verify(&key.public_key().to_bytes(), msg, &signature).unwrap();
        assert!(is_low_s(&signature));
    }
}

#[test]
fn high_s_twin_of_a_valid_signature_is_refused_as_high_s() {
    let key = faucet_key();
    let msg = b"lease payment";
    let signature = key.sign_direct(msg);
    let high = malleate(&signature);
    assert!(!is_low_s(&high));
    // It is the same signature mathematically: normalising it gives back the original.
    let normalised = k256::ecdsa::Signature::from_slice(&high).unwrap().normalize_s().expect("high-S");
    assert_eq!(to_array(normalised), signature);

    assert_eq!(key.public_key().verify_direct(msg, &high), Err(KeyError::HighS));
    assert_eq!(verify(&key.public_key().to_bytes(), msg, &high), Err(KeyError::HighS));
}

#[test]
fn wrong_message_or_key_is_a_mismatch() {
    let key = faucet_key();
    let other = SigningKey::from_mnemonic(FAUCET, "", 1).unwrap();
    let signature = key.sign_direct(b"message");
    assert_eq!(key.public_key().verify_direct(b"messagf", &signature), Err(KeyError::SignatureMismatch));
    assert_eq!(other.public_key().verify_direct(b"message", &signature), Err(KeyError::SignatureMismatch));
    let mut flipped = signature;
    flipped[5] ^= 1;
    assert_eq!(key.public_key().verify_direct(b"message", &flipped), Err(KeyError::SignatureMismatch));
}

#[test]
fn malformed_signatures_have_their_own_errors() {
    let key = faucet_key().public_key();
    let good = faucet_key().sign_direct(b"m");
    assert_eq!(key.verify_direct(b"m", &good[..63]), Err(KeyError::SignatureLength(63)));
    assert_eq!(key.verify_direct(b"m", &[good.as_slice(), &[0]].concat()), Err(KeyError::SignatureLength(65)));
    assert_eq!(key.verify_direct(b"m", &[]), Err(KeyError::SignatureLength(0)));

    let mut zero_r = good;
    zero_r[..32].fill(0);
    assert_eq!(key.verify_direct(b"m", &zero_r), Err(KeyError::MalformedSignature));
    let mut zero_s = good;
    zero_s[32..].fill(0);
    assert_eq!(key.verify_direct(b"m", &zero_s), Err(KeyError::MalformedSignature));
    let mut s_is_n = good;
    s_is_n[32..].copy_from_slice(&N);
    assert_eq!(key.verify_direct(b"m", &s_is_n), Err(KeyError::MalformedSignature));
    assert_eq!(key.verify_direct(b"m", &[0xff; 64]), Err(KeyError::MalformedSignature));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_key_and_message_signs_low_s_and_verifies_everywhere(
        secret in prop::array::uniform32(any::<u8>()),
        msg in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        // Almost every 32-byte string is a valid scalar; skip the rest (zero or >= n).
        let Ok(key) = SigningKey::from_bytes(&secret) else { return Ok(()) };
        let signature = key.sign_direct(&msg);
        prop_assert!(is_low_s(&signature));
        prop_assert_eq!(key.public_key().verify_direct(&msg, &signature), Ok(()));

        let theirs = cosmrs::crypto::secp256k1::SigningKey::from_slice(&secret).unwrap();
        prop_assert_eq!(signature, to_array(theirs.sign(&msg).unwrap()));
        let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(&key.public_key().to_bytes()).unwrap();
        prop_assert!(vk.verify_prehash(&Sha256::digest(&msg), &k256::ecdsa::Signature::from_slice(&signature).unwrap()).is_ok());

        prop_assert_eq!(key.public_key().verify_direct(&msg, &malleate(&signature)), Err(KeyError::HighS));
    }
}
