//! The dev node's mempool: transactions that passed CheckTx, in arrival order, without
//! duplicates, up to a size limit.

use std::collections::{BTreeSet, VecDeque};

use crate::error::TxError;

#[derive(Debug)]
pub struct Mempool {
    txs: VecDeque<([u8; 32], Vec<u8>)>,
    hashes: BTreeSet<[u8; 32]>,
    max_txs: usize,
}

impl Mempool {
    pub fn new(max_txs: usize) -> Self {
        Mempool { txs: VecDeque::new(), hashes: BTreeSet::new(), max_txs }
    }

    pub fn len(&self) -> usize {
        self.txs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.hashes.contains(hash)
    }

    /// Refuses duplicates and a full pool before CheckTx runs (CometBFT's order).
    pub fn admit(&self, hash: &[u8; 32]) -> Result<(), TxError> {
        if self.contains(hash) {
            return Err(TxError::TxInMempool("tx already exists in cache".into()));
        }
        if self.txs.len() >= self.max_txs {
            return Err(TxError::MempoolFull(format!("mempool is full: {} txs", self.txs.len())));
        }
        Ok(())
    }

    pub fn push(&mut self, hash: [u8; 32], tx: Vec<u8>) {
        if self.hashes.insert(hash) {
            self.txs.push_back((hash, tx));
        }
    }

    /// Removes and returns txs from the front while they fit in `max_bytes` in total.
    pub fn take(&mut self, max_bytes: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut size = 0usize;
        while let Some((_, tx)) = self.txs.front() {
            if size + tx.len() > max_bytes && !out.is_empty() {
                break;
            }
            size += tx.len();
            if let Some((hash, tx)) = self.txs.pop_front() {
                self.hashes.remove(&hash);
                out.push(tx);
            }
        }
        out
    }

    /// Keeps only the txs `keep` accepts (CometBFT's recheck after a commit).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let hashes = &mut self.hashes;
        self.txs.retain(|(hash, tx)| {
            let k = keep(tx);
            if !k {
                hashes.remove(hash);
            }
            k
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_without_duplicates_within_limits() {
        let mut m = Mempool::new(2);
        m.admit(&[1; 32]).unwrap();
        m.push([1; 32], vec![1; 10]);
        assert!(matches!(m.admit(&[1; 32]), Err(TxError::TxInMempool(_))));
        m.push([2; 32], vec![2; 10]);
        assert!(matches!(m.admit(&[3; 32]), Err(TxError::MempoolFull(_))));
        assert_eq!(m.take(15), vec![vec![1; 10]]);
        m.retain(|_| false);
        assert!(m.is_empty());
        assert!(!m.contains(&[2; 32]));
    }
}
