//! The app hash: a hash chain over each block's state writes.
//!
//! ```text
//! app_hash(0) = sha256("leasehold/app-hash/v1" ‖ 0^32 ‖ u64be(0) ‖ writes_digest(genesis writes))
//! app_hash(H) = sha256("leasehold/app-hash/v1" ‖ app_hash(H-1) ‖ u64be(H) ‖ writes_digest(block H writes))
//! writes_digest(W) = sha256( for (key, value) in W sorted by key bytes:
//!                              u32be(len key) ‖ key ‖ 0x01 ‖ u32be(len value) ‖ value   (a write)
//!                              u32be(len key) ‖ key ‖ 0x00                              (a delete) )
//! ```
//!
//! Every node that executes the same blocks from the same genesis writes the same keys and
//! values, so it computes the same hash, and any divergence in state shows up in the hash of
//! the block where it happened (and all later ones). The cost is O(writes) per block. It does
//! not give state proofs; a Merkle tree (jmt) can replace it behind [`next_app_hash`] when
//! light-client proofs or state sync are needed. Documented in `docs/state.md`.

use leasehold_wasm_host::Overlay;
use sha2::{Digest, Sha256};

const DOMAIN: &[u8] = b"leasehold/app-hash/v1";

/// The digest of one block's writes (see the module docs).
pub fn writes_digest(writes: &Overlay) -> [u8; 32] {
    let mut h = Sha256::new();
    for (key, value) in writes {
        h.update((key.len() as u32).to_be_bytes());
        h.update(key);
        match value {
            Some(v) => {
                h.update([1u8]);
                h.update((v.len() as u32).to_be_bytes());
                h.update(v);
            }
            None => h.update([0u8]),
        }
    }
    h.finalize().into()
}

/// The app hash after block `height` (0 for genesis) given the previous one.
pub fn next_app_hash(previous: &[u8; 32], height: u64, writes: &Overlay) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(previous);
    h.update(height.to_be_bytes());
    h.update(writes_digest(writes));
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(entries: &[(&str, Option<&str>)]) -> Overlay {
        entries.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))).collect()
    }

    #[test]
    fn hash_depends_on_every_input() {
        let base = next_app_hash(&[0; 32], 1, &w(&[("a", Some("1")), ("b", None)]));
        assert_eq!(base, next_app_hash(&[0; 32], 1, &w(&[("b", None), ("a", Some("1"))])));
        assert_ne!(base, next_app_hash(&[1; 32], 1, &w(&[("a", Some("1")), ("b", None)])));
        assert_ne!(base, next_app_hash(&[0; 32], 2, &w(&[("a", Some("1")), ("b", None)])));
        assert_ne!(base, next_app_hash(&[0; 32], 1, &w(&[("a", Some("2")), ("b", None)])));
        assert_ne!(base, next_app_hash(&[0; 32], 1, &w(&[("a", Some("1"))])));
        // A delete is not an empty write, and key/value boundaries are unambiguous.
        assert_ne!(base, next_app_hash(&[0; 32], 1, &w(&[("a", Some("1")), ("b", Some(""))])));
        assert_ne!(
            next_app_hash(&[0; 32], 1, &w(&[("ab", Some("c"))])),
            next_app_hash(&[0; 32], 1, &w(&[("a", Some("bc"))]))
        );
    }
}
