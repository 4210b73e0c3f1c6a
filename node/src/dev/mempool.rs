//! The dev node's mempool: transactions that passed CheckTx, in arrival order, without
//! duplicates, up to a size limit — and, like CometBFT's, a cache of the hashes it has seen, so a
//! tx sent again after its block committed is refused as a duplicate (code 19) rather than run
//! again through CheckTx (where it would fail on its spent sequence).

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::error::TxError;

/// How many tx hashes the cache remembers (CometBFT's `mempool.cache_size` default).
pub const CACHE_SIZE: usize = 10_000;

#[derive(Debug)]
pub struct Mempool {
    /// (hash, tx bytes, gas wanted) in arrival order.
    txs: VecDeque<([u8; 32], Vec<u8>, u64)>,
    hashes: BTreeSet<[u8; 32]>,
    max_txs: usize,
    cache: SeenCache,
}

impl Mempool {
    pub fn new(max_txs: usize) -> Self {
        Mempool::with_cache(max_txs, CACHE_SIZE)
    }

    pub fn with_cache(max_txs: usize, cache_size: usize) -> Self {
        Mempool { txs: VecDeque::new(), hashes: BTreeSet::new(), max_txs, cache: SeenCache::new(cache_size) }
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

    /// Refuses duplicates (in the pool or in the cache of seen txs) and a full pool before
    /// CheckTx runs (CometBFT's order).
    pub fn admit(&self, hash: &[u8; 32]) -> Result<(), TxError> {
        if self.contains(hash) || self.cache.contains(hash) {
            return Err(TxError::TxInMempool("tx already exists in cache".into()));
        }
        if self.txs.len() >= self.max_txs {
            return Err(TxError::MempoolFull(format!("mempool is full: {} txs", self.txs.len())));
        }
        Ok(())
    }

    /// Adds a tx that passed CheckTx with its gas limit; its hash stays in the cache after it
    /// leaves the pool.
    pub fn push(&mut self, hash: [u8; 32], tx: Vec<u8>, gas_wanted: u64) {
        if self.hashes.insert(hash) {
            self.cache.insert(hash);
            self.txs.push_back((hash, tx, gas_wanted));
        }
    }

    /// Forgets a tx that failed in its block, so a corrected resubmission of the same bytes (say
    /// after funding the account) is checked again — CometBFT does the same unless
    /// `keep-invalid-txs-in-cache` is set.
    pub fn forget(&mut self, hash: &[u8; 32]) {
        self.cache.remove(hash);
    }

    /// Removes and returns txs from the front while they fit in `max_bytes` and their gas limits
    /// in `max_gas` in total (CometBFT's `ReapMaxBytesMaxGas`), with their hashes (which stay in
    /// the cache). A tx that alone exceeds a limit is still taken, alone, so the pool never
    /// stalls (the block's own checks refuse it).
    pub fn take(&mut self, max_bytes: usize, max_gas: u64) -> (Vec<[u8; 32]>, Vec<Vec<u8>>) {
        let mut hashes = Vec::new();
        let mut out = Vec::new();
        let mut size = 0usize;
        let mut gas = 0u64;
        while let Some((_, tx, wanted)) = self.txs.front() {
            let over = size.saturating_add(tx.len()) > max_bytes || gas.saturating_add(*wanted) > max_gas;
            if over && !out.is_empty() {
                break;
            }
            size = size.saturating_add(tx.len());
            gas = gas.saturating_add(*wanted);
            if let Some((hash, tx, _)) = self.txs.pop_front() {
                self.hashes.remove(&hash);
                hashes.push(hash);
                out.push(tx);
            }
        }
        (hashes, out)
    }

    /// Keeps only the txs `keep` accepts (CometBFT's recheck after a commit); the others leave
    /// the cache too.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let hashes = &mut self.hashes;
        let cache = &mut self.cache;
        self.txs.retain(|(hash, tx, _)| {
            let k = keep(tx);
            if !k {
                hashes.remove(hash);
                cache.remove(hash);
            }
            k
        });
    }
}

/// The hashes of the last `capacity` txs admitted, oldest evicted first. A removed hash leaves
/// a stale slot in `order`, skipped at eviction (the generation tells it apart from a later
/// insert of the same hash).
#[derive(Debug)]
struct SeenCache {
    seen: HashMap<[u8; 32], u64>,
    order: VecDeque<([u8; 32], u64)>,
    next: u64,
    capacity: usize,
}

impl SeenCache {
    fn new(capacity: usize) -> Self {
        SeenCache { seen: HashMap::new(), order: VecDeque::new(), next: 0, capacity: capacity.max(1) }
    }

    fn contains(&self, hash: &[u8; 32]) -> bool {
        self.seen.contains_key(hash)
    }

    fn insert(&mut self, hash: [u8; 32]) {
        self.next += 1;
        self.seen.insert(hash, self.next);
        self.order.push_back((hash, self.next));
        while self.order.len() > self.capacity {
            if let Some((old, generation)) = self.order.pop_front()
                && self.seen.get(&old) == Some(&generation)
            {
                self.seen.remove(&old);
            }
        }
    }

    fn remove(&mut self, hash: &[u8; 32]) {
        self.seen.remove(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_without_duplicates_within_limits() {
        let mut m = Mempool::new(2);
        m.admit(&[1; 32]).unwrap();
        m.push([1; 32], vec![1; 10], 1);
        assert!(matches!(m.admit(&[1; 32]), Err(TxError::TxInMempool(_))));
        m.push([2; 32], vec![2; 10], 1);
        assert!(matches!(m.admit(&[3; 32]), Err(TxError::MempoolFull(_))));
        assert_eq!(m.take(15, u64::MAX), (vec![[1; 32]], vec![vec![1; 10]]));
        m.retain(|_| false);
        assert!(m.is_empty());
        assert!(!m.contains(&[2; 32]));
    }

    #[test]
    fn a_committed_tx_stays_a_duplicate_until_evicted() {
        let mut m = Mempool::with_cache(10, 2);
        m.push([1; 32], vec![1], 1);
        assert_eq!(m.take(100, u64::MAX), (vec![[1; 32]], vec![vec![1]]));
        // Left the pool with its block; sent again it is still a duplicate.
        assert!(matches!(m.admit(&[1; 32]), Err(TxError::TxInMempool(_))));
        m.push([2; 32], vec![2], 1);
        m.push([3; 32], vec![3], 1);
        // The cache holds two hashes: the oldest went first.
        m.admit(&[1; 32]).unwrap();
        assert!(m.admit(&[2; 32]).is_err() && m.admit(&[3; 32]).is_err());
    }

    #[test]
    fn txs_that_fail_leave_the_cache() {
        let mut m = Mempool::with_cache(10, 3);
        m.push([1; 32], vec![1], 1);
        m.push([2; 32], vec![2], 1);
        m.retain(|tx| tx != [1]);
        m.admit(&[1; 32]).unwrap();
        m.take(100, u64::MAX);
        m.forget(&[2; 32]);
        m.admit(&[2; 32]).unwrap();
        // A hash forgotten and pushed again is not evicted by its own stale slot.
        m.push([2; 32], vec![2], 1);
        m.push([4; 32], vec![4], 1);
        assert!(m.admit(&[2; 32]).is_err());
        m.push([5; 32], vec![5], 1);
        assert!(m.admit(&[2; 32]).is_err() && m.admit(&[4; 32]).is_err() && m.admit(&[5; 32]).is_err());
    }

    /// CometBFT's reaping: txs are taken while their gas limits fit the block's `max_gas`; one
    /// larger than the whole budget still goes alone (the block refuses it, the pool moves on).
    #[test]
    fn take_stops_at_the_block_gas_limit() {
        let mut m = Mempool::new(10);
        m.push([1; 32], vec![1], 40);
        m.push([2; 32], vec![2], 40);
        m.push([3; 32], vec![3], 40);
        assert_eq!(m.take(1000, 100), (vec![[1; 32], [2; 32]], vec![vec![1], vec![2]]));
        m.push([4; 32], vec![4], 500);
        assert_eq!(m.take(1000, 100).0, vec![[3; 32]]);
        assert_eq!(m.take(1000, 100).0, vec![[4; 32]], "an oversized tx is taken alone");
    }
}
