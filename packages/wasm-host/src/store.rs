//! A transactional key-value state: committed entries plus a stack of write overlays.
//!
//! [`Store::branch`] pushes an overlay; the returned [`Branch`] either [`Branch::commit`]s its
//! writes into the layer below or, when dropped, discards them. Branches nest arbitrarily deep
//! and must end in the reverse order they were opened (each transaction, submessage and query
//! of the host opens one).
//!
//! Reads see the topmost write of a key. Iteration is ordered by key bytes and works on a
//! snapshot taken when the iterator is created: later writes are not seen by it. The committed
//! map is shared copy-on-write, so a snapshot costs a reference count plus a copy of the
//! overlay entries inside the range.
//!
//! All modules share one key space; a module works in its own namespace through [`Prefixed`],
//! and sees keys without the namespace (as an SDK module sees its own store). The wasm module's
//! keys follow wasmd's layout byte for byte (see [`crate::keys`]).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use cosmwasm_std::{Order, Record};

type Map = BTreeMap<Vec<u8>, Vec<u8>>;
/// Writes over a lower layer: `None` deletes the key.
pub type Overlay = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A read-only view of committed state, for example a database read transaction. A [`Store`]
/// built [`Store::on`] a snapshot keeps every write in memory above it until the owner takes
/// them with [`Store::pending_writes`] and persists them.
///
/// Storage failures are not recoverable mid-block (a node cannot execute deterministically
/// without its state), so implementations report them by aborting, as the Cosmos SDK's stores do.
pub trait Snapshot: Send + Sync + fmt::Debug {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// The first entry inside `(lower, upper)` in `order` (the lowest key ascending, the highest
    /// descending).
    fn first(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>, order: Order) -> Option<Record>;
}

/// What lies under the overlays.
#[derive(Clone, Debug)]
enum Base {
    /// An in-memory map; writes outside any branch go straight into it.
    Memory(Arc<Map>),
    /// A read-only snapshot; writes outside any branch collect in `Layers::pending`.
    Snapshot(Arc<dyn Snapshot>),
}

impl Default for Base {
    fn default() -> Self {
        Base::Memory(Arc::default())
    }
}

impl Base {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self {
            Base::Memory(m) => m.get(key).cloned(),
            Base::Snapshot(s) => s.get(key),
        }
    }

    fn first(&self, lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>, order: Order) -> Option<Record> {
        match self {
            Base::Memory(m) => {
                let mut range = m.range::<Vec<u8>, _>((lower.clone(), upper.clone()));
                let entry = match order {
                    Order::Ascending => range.next(),
                    Order::Descending => range.next_back(),
                };
                entry.map(|(k, v)| (k.clone(), v.clone()))
            }
            Base::Snapshot(s) => s.first(as_ref(lower), as_ref(upper), order),
        }
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

#[derive(Debug, Default)]
struct Layers {
    base: Base,
    /// Writes outside any branch over a [`Base::Snapshot`] (not yet persisted).
    pending: Overlay,
    overlays: Vec<Overlay>,
}

impl Layers {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        for layer in self.overlays.iter().rev().chain(std::iter::once(&self.pending)) {
            if let Some(v) = layer.get(key) {
                return v.clone();
            }
        }
        self.base.get(key)
    }

    fn write(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        match self.overlays.last_mut() {
            Some(top) => {
                top.insert(key.to_vec(), value);
            }
            None => self.write_root(key.to_vec(), value),
        }
    }

    fn write_root(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        match &mut self.base {
            Base::Memory(map) => {
                let map = Arc::make_mut(map);
                match value {
                    Some(v) => map.insert(key, v),
                    None => map.remove(&key),
                };
            }
            Base::Snapshot(_) => {
                self.pending.insert(key, value);
            }
        }
    }
}

/// A handle to the state; clones share it.
#[derive(Clone, Debug, Default)]
pub struct Store(Arc<Mutex<Layers>>);

impl Store {
    /// An empty in-memory state.
    pub fn new() -> Self {
        Self::default()
    }

    /// An in-memory state whose committed entries are `entries`.
    pub fn from_committed(entries: BTreeMap<Vec<u8>, Vec<u8>>) -> Self {
        Self(Arc::new(Mutex::new(Layers { base: Base::Memory(Arc::new(entries)), ..Layers::default() })))
    }

    /// A state over a read-only `snapshot`: every write stays in memory (see
    /// [`Store::pending_writes`]).
    pub fn on(snapshot: Arc<dyn Snapshot>) -> Self {
        Self(Arc::new(Mutex::new(Layers { base: Base::Snapshot(snapshot), ..Layers::default() })))
    }

    fn lock(&self) -> MutexGuard<'_, Layers> {
        // Layers are updated by single, non-panicking map operations, so a poisoned lock still
        // guards consistent data.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.lock().get(key)
    }

    /// Writes into the topmost open branch (or below every branch when none is open).
    pub fn set(&self, key: &[u8], value: &[u8]) {
        self.lock().write(key, Some(value.to_vec()));
    }

    pub fn remove(&self, key: &[u8]) {
        self.lock().write(key, None);
    }

    /// Number of open branches.
    pub fn depth(&self) -> usize {
        self.lock().overlays.len()
    }

    /// Opens a branch on top of the current state.
    pub fn branch(&self) -> Branch {
        let mut layers = self.lock();
        layers.overlays.push(Overlay::new());
        Branch { store: self.clone(), depth: layers.overlays.len(), open: true }
    }

    /// The writes made outside every branch over a snapshot base (what a node persists at the
    /// end of a block), sorted by key; empty for an in-memory state.
    pub fn pending_writes(&self) -> Overlay {
        self.lock().pending.clone()
    }

    /// The whole state outside every branch, as a map (tests and small states).
    pub fn committed(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let view = {
            let layers = self.lock();
            Store(Arc::new(Mutex::new(Layers {
                base: layers.base.clone(),
                pending: layers.pending.clone(),
                overlays: Vec::new(),
            })))
        };
        view.range(None, None, Order::Ascending).collect()
    }

    /// Iterates `[start, end)` of the merged view as it is now. `None` bounds are open.
    pub fn range(&self, start: Option<&[u8]>, end: Option<&[u8]>, order: Order) -> StoreIter {
        let layers = self.lock();
        let empty = matches!((start, end), (Some(s), Some(e)) if s >= e);
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let mut overlay = Overlay::new();
        if !empty {
            for layer in std::iter::once(&layers.pending).chain(&layers.overlays) {
                for (k, v) in layer.range((lower.clone(), upper.clone())) {
                    overlay.insert(k.clone(), v.clone());
                }
            }
        }
        StoreIter { base: layers.base.clone(), overlay, lower, upper, order, empty }
    }

    /// A lazy iterator over `[start, end)` (see [`Cursor`]).
    pub fn cursor(&self, start: Option<&[u8]>, end: Option<&[u8]>, order: Order) -> Cursor {
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        Cursor { store: self.clone(), lower, upper, order, skipped: 0, peeked: None }
    }

    fn end_branch(&self, depth: usize, commit: bool) {
        let mut layers = self.lock();
        assert_eq!(layers.overlays.len(), depth, "branches must be closed in reverse order of opening");
        let Some(top) = layers.overlays.pop() else { return };
        if !commit {
            return;
        }
        match layers.overlays.last_mut() {
            Some(parent) => parent.extend(top),
            None => {
                for (k, v) in top {
                    layers.write_root(k, v);
                }
            }
        }
    }
}

/// An open branch. Dropping it without [`Branch::commit`] discards its writes.
#[must_use = "a branch is discarded when dropped; call commit() to keep its writes"]
#[derive(Debug)]
pub struct Branch {
    store: Store,
    depth: usize,
    open: bool,
}

impl Branch {
    /// Moves this branch's writes into the layer below.
    pub fn commit(mut self) {
        self.open = false;
        self.store.end_branch(self.depth, true);
    }

    /// Like [`Branch::commit`], and returns the writes it moved down — only those that change
    /// the state below the branch: a set to the value already there and a deletion of an absent
    /// key are dropped (not moved down, not returned), so what a node hashes and persists for a
    /// block is exactly its change of state (`docs/state.md`, "No-op writes").
    pub fn commit_with_writes(mut self) -> Overlay {
        self.open = false;
        let net = {
            let mut layers = self.store.lock();
            let top = layers.overlays.pop().unwrap_or_default();
            let net: Overlay = top.into_iter().filter(|(k, v)| layers.get(k) != *v).collect();
            layers.overlays.push(net.clone());
            net
        };
        self.store.end_branch(self.depth, true);
        net
    }

    /// Drops this branch's writes (the same as dropping it).
    pub fn discard(self) {}
}

impl Drop for Branch {
    fn drop(&mut self) {
        if self.open {
            self.open = false;
            self.store.end_branch(self.depth, false);
        }
    }
}

/// A snapshot iterator over a key range (see [`Store::range`]).
#[derive(Debug)]
pub struct StoreIter {
    base: Base,
    overlay: Overlay,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    order: Order,
    empty: bool,
}

impl Iterator for StoreIter {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.empty {
            return None;
        }
        loop {
            let b = self.base.first(&self.lower, &self.upper, self.order);
            let range = (self.lower.clone(), self.upper.clone());
            let o = match self.order {
                Order::Ascending => self.overlay.range(range).next(),
                Order::Descending => self.overlay.range(range).next_back(),
            };
            // Pick the first key in iteration order; on a tie the overlay wins.
            let take_overlay = match (&b, o) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((bk, _)), Some((ok, _))) => match self.order {
                    Order::Ascending => ok <= bk,
                    Order::Descending => ok >= bk,
                },
            };
            let (key, value) = match (take_overlay, b, o) {
                (true, _, Some((k, v))) => (k.clone(), v.clone()),
                (false, Some((k, v)), _) => (k, Some(v)),
                _ => return None,
            };
            match self.order {
                Order::Ascending => self.lower = Bound::Excluded(key.clone()),
                Order::Descending => self.upper = Bound::Excluded(key.clone()),
            }
            if let Some(v) = value {
                return Some((key, v));
            }
            // A deletion in an overlay hides the committed entry; keep going.
        }
    }
}

/// A lazy iterator over the live store, for contracts' iterators: it holds only its bounds and
/// finds each next entry in the committed base and every open layer when asked. Unlike
/// [`StoreIter`] it copies nothing when created, so a contract that opens many iterators over
/// a range it has just written costs no memory per iterator. It sees writes made after it was
/// created (a contract using cosmwasm-std cannot interleave them: its iterator borrows the
/// storage). [`Cursor::take_skipped`] counts the deleted entries stepped over, so the caller
/// can charge for them.
pub struct Cursor {
    store: Store,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    order: Order,
    skipped: u64,
    peeked: Option<Option<Record>>,
}

impl Cursor {
    /// Deleted entries stepped over since the last call.
    pub fn take_skipped(&mut self) -> u64 {
        std::mem::take(&mut self.skipped)
    }

    /// The next entry, without moving past it.
    pub fn peek(&mut self) -> Option<&Record> {
        if self.peeked.is_none() {
            let next = self.step();
            self.peeked = Some(next);
        }
        self.peeked.as_ref().and_then(Option::as_ref)
    }

    fn step(&mut self) -> Option<Record> {
        let layers = self.store.lock();
        loop {
            if matches!((&self.lower, &self.upper), (Bound::Included(l) | Bound::Excluded(l), Bound::Included(u) | Bound::Excluded(u)) if l > u)
            {
                return None;
            }
            let before = |a: &[u8], b: &[u8]| match self.order {
                Order::Ascending => a < b,
                Order::Descending => a > b,
            };
            let base = layers.base.first(&self.lower, &self.upper, self.order);
            let mut best: Option<&[u8]> = base.as_ref().map(|(k, _)| k.as_slice());
            for layer in std::iter::once(&layers.pending).chain(&layers.overlays) {
                let mut range = layer.range::<Vec<u8>, _>((self.lower.clone(), self.upper.clone()));
                let first = match self.order {
                    Order::Ascending => range.next(),
                    Order::Descending => range.next_back(),
                };
                if let Some((k, _)) = first
                    && best.is_none_or(|b| before(k, b))
                {
                    best = Some(k.as_slice());
                }
            }
            let key = best?.to_vec();
            // The top-most layer holding the key decides; else the committed value.
            let layered =
                layers.overlays.iter().rev().chain(std::iter::once(&layers.pending)).find_map(|l| l.get(&key));
            let value = match layered {
                Some(v) => v.clone(),
                None => base.and_then(|(k, v)| (k == key).then_some(v)),
            };
            match self.order {
                Order::Ascending => self.lower = Bound::Excluded(key.clone()),
                Order::Descending => self.upper = Bound::Excluded(key.clone()),
            }
            match value {
                Some(v) => return Some((key, v)),
                None => self.skipped += 1,
            }
        }
    }
}

impl Iterator for Cursor {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        match self.peeked.take() {
            Some(peeked) => peeked,
            None => self.step(),
        }
    }
}

/// The smallest key greater than every key starting with `prefix` (`None`: no such key).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A namespace of the [`Store`]: keys are seen without `prefix`.
#[derive(Clone, Debug)]
pub struct Prefixed {
    store: Store,
    prefix: Vec<u8>,
}

impl Prefixed {
    pub fn new(store: Store, prefix: impl Into<Vec<u8>>) -> Self {
        Self { store, prefix: prefix.into() }
    }

    fn full(&self, key: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.prefix.len() + key.len());
        k.extend_from_slice(&self.prefix);
        k.extend_from_slice(key);
        k
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.store.get(&self.full(key))
    }

    pub fn set(&self, key: &[u8], value: &[u8]) {
        self.store.set(&self.full(key), value)
    }

    pub fn remove(&self, key: &[u8]) {
        self.store.remove(&self.full(key))
    }

    /// Iterates `[start, end)` inside the namespace; keys come back without the namespace.
    pub fn range(&self, start: Option<&[u8]>, end: Option<&[u8]>, order: Order) -> impl Iterator<Item = Record> {
        let start = self.full(start.unwrap_or_default());
        let end = match end {
            Some(e) => Some(self.full(e)),
            None => prefix_end(&self.prefix),
        };
        let strip = self.prefix.len();
        self.store.range(Some(&start), end.as_deref(), order).map(move |(k, v)| (k[strip..].to_vec(), v))
    }

    /// A narrower namespace inside this one.
    pub fn sub(&self, prefix: &[u8]) -> Prefixed {
        Prefixed { store: self.store.clone(), prefix: self.full(prefix) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(it: impl Iterator<Item = Record>) -> Vec<String> {
        it.map(|(k, v)| format!("{}={}", String::from_utf8_lossy(&k), String::from_utf8_lossy(&v))).collect()
    }

    #[test]
    fn nested_branches_commit_and_discard() {
        let s = Store::new();
        s.set(b"a", b"0");
        let outer = s.branch();
        s.set(b"a", b"1");
        s.set(b"b", b"1");
        {
            let inner = s.branch();
            s.set(b"c", b"2");
            s.remove(b"a");
            assert_eq!(s.get(b"a"), None);
            inner.discard();
        }
        assert_eq!(s.get(b"a"), Some(b"1".to_vec()));
        assert_eq!(s.get(b"c"), None);
        let inner = s.branch();
        s.set(b"c", b"3");
        let innermost = s.branch();
        s.remove(b"b");
        innermost.commit();
        inner.commit();
        assert_eq!(s.get(b"b"), None);
        // Nothing reached the committed entries yet.
        assert_eq!(s.committed().get(b"a".as_slice()), Some(&b"0".to_vec()));
        outer.commit();
        let committed = s.committed();
        assert_eq!(keys(committed.iter().map(|(k, v)| (k.clone(), v.clone()))), vec!["a=1", "c=3"]);
        assert_eq!(s.depth(), 0);
    }

    /// A read-only snapshot for the tests: a map behind the [`Snapshot`] trait.
    #[derive(Debug)]
    struct MapSnapshot(Map);

    impl Snapshot for MapSnapshot {
        fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
            self.0.get(key).cloned()
        }
        fn first(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>, order: Order) -> Option<Record> {
            let mut r = self.0.range::<[u8], _>((lower, upper));
            let e = if order == Order::Ascending { r.next() } else { r.next_back() };
            e.map(|(k, v)| (k.clone(), v.clone()))
        }
    }

    #[test]
    fn writes_over_a_snapshot_stay_pending_and_merge_in_reads_and_ranges() {
        let base: Map = [("a", "1"), ("b", "1"), ("c", "1")]
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        let s = Store::on(Arc::new(MapSnapshot(base)));
        s.remove(b"b");
        s.set(b"d", b"2");
        let br = s.branch();
        s.set(b"a", b"3");
        br.commit();
        let discarded = s.branch();
        s.set(b"z", b"9");
        discarded.discard();
        assert_eq!(keys(s.range(None, None, Order::Ascending)), vec!["a=3", "c=1", "d=2"]);
        assert_eq!(keys(s.range(None, Some(b"d"), Order::Descending)), vec!["c=1", "a=3"]);
        let pending: Vec<_> =
            s.pending_writes().into_iter().map(|(k, v)| (String::from_utf8(k).unwrap(), v.is_some())).collect();
        assert_eq!(pending, vec![("a".into(), true), ("b".into(), false), ("d".into(), true)]);
        assert_eq!(s.committed().len(), 3);
    }

    #[test]
    fn dropped_branch_is_discarded() {
        let s = Store::new();
        {
            let _b = s.branch();
            s.set(b"x", b"1");
        }
        assert_eq!(s.get(b"x"), None);
        assert_eq!(s.depth(), 0);
    }

    #[test]
    #[should_panic(expected = "reverse order")]
    fn branches_must_close_in_order() {
        let s = Store::new();
        let outer = s.branch();
        let _inner = s.branch();
        outer.commit();
    }

    #[test]
    fn iteration_merges_overlays_in_order_and_honours_deletes() {
        let s = Store::new();
        for k in ["a", "b", "c", "d", "e"] {
            s.set(k.as_bytes(), b"base");
        }
        let _b1 = s.branch();
        s.remove(b"b");
        s.set(b"bb", b"o1");
        let _b2 = s.branch();
        s.set(b"b", b"o2");
        s.remove(b"d");
        s.set(b"f", b"o2");
        assert_eq!(
            keys(s.range(None, None, Order::Ascending)),
            vec!["a=base", "b=o2", "bb=o1", "c=base", "e=base", "f=o2"]
        );
        assert_eq!(keys(s.range(Some(b"b"), Some(b"e"), Order::Descending)), vec!["c=base", "bb=o1", "b=o2"]);
        assert!(keys(s.range(Some(b"e"), Some(b"b"), Order::Ascending)).is_empty());
        assert!(keys(s.range(Some(b"c"), Some(b"c"), Order::Ascending)).is_empty());
    }

    #[test]
    fn iterators_are_snapshots() {
        let s = Store::new();
        s.set(b"a", b"1");
        s.set(b"c", b"1");
        let _b = s.branch();
        let mut it = s.range(None, None, Order::Ascending);
        s.set(b"b", b"new");
        s.remove(b"c");
        assert_eq!(keys(&mut it), vec!["a=1", "c=1"]);
        // Committing into the base while a snapshot is alive does not change the snapshot.
        let s2 = Store::new();
        s2.set(b"k", b"v");
        let mut it2 = s2.range(None, None, Order::Ascending);
        s2.set(b"l", b"w");
        assert_eq!(keys(&mut it2), vec!["k=v"]);
    }

    #[test]
    fn prefixed_views_are_isolated() {
        let s = Store::new();
        let a = Prefixed::new(s.clone(), b"a/".to_vec());
        let b = Prefixed::new(s.clone(), b"b/".to_vec());
        a.set(b"1", b"x");
        a.set(b"2", b"y");
        b.set(b"1", b"z");
        assert_eq!(keys(a.range(None, None, Order::Ascending)), vec!["1=x", "2=y"]);
        assert_eq!(keys(a.range(Some(b"2"), None, Order::Ascending)), vec!["2=y"]);
        assert_eq!(keys(b.range(None, None, Order::Descending)), vec!["1=z"]);
        assert_eq!(prefix_end(&[1, 255]), Some(vec![2]));
        assert_eq!(prefix_end(&[255, 255]), None);
    }

    /// The writes a block hashes are its change of state: setting a key to the value it has and
    /// deleting an absent key are no-ops and leave nothing behind; a key written and then put
    /// back within the branch is no change either.
    #[test]
    fn commit_with_writes_returns_only_real_changes() {
        let store = Store::new();
        store.set(b"same", b"v");
        store.set(b"changed", b"old");
        store.set(b"restored", b"r");
        let branch = store.branch();
        store.set(b"same", b"v");
        store.set(b"changed", b"new");
        store.remove(b"absent");
        store.set(b"restored", b"tmp");
        store.set(b"restored", b"r");
        store.set(b"fresh", b"f");
        let writes = branch.commit_with_writes();
        let expected: Overlay =
            [(b"changed".to_vec(), Some(b"new".to_vec())), (b"fresh".to_vec(), Some(b"f".to_vec()))].into();
        assert_eq!(writes, expected);
        assert_eq!(store.get(b"changed"), Some(b"new".to_vec()));
        assert_eq!(store.get(b"same"), Some(b"v".to_vec()));
        // A deletion that removes something is a change.
        let branch = store.branch();
        store.remove(b"fresh");
        assert_eq!(branch.commit_with_writes(), [(b"fresh".to_vec(), None)].into());
    }

    /// The lazy cursor yields exactly what the copying range does, over a committed base, the
    /// block's pending writes and two open branches (sets and deletions in each), for every
    /// bound and both orders; deletions stepped over are counted.
    #[test]
    fn cursor_matches_range_over_every_layer() {
        let mut seed = 0x2545_f491_u64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let key = |i: u64| format!("k{i:02}").into_bytes();
        let base: Map = (0..40).filter(|i| i % 3 != 0).map(|i| (key(i), b"base".to_vec())).collect();
        let s = Store::on(Arc::new(MapSnapshot(base)));
        let mut branches = Vec::new();
        for layer in 0..3 {
            for _ in 0..25 {
                let k = key(rand(40));
                if rand(3) == 0 {
                    s.remove(&k);
                } else {
                    s.set(&k, format!("v{layer}").as_bytes());
                }
            }
            branches.push(s.branch());
        }
        let bounds: Vec<Option<Vec<u8>>> =
            vec![None, Some(key(0)), Some(key(7)), Some(key(20)), Some(key(39)), Some(b"z".to_vec())];
        for start in &bounds {
            for end in &bounds {
                for order in [Order::Ascending, Order::Descending] {
                    let expected: Vec<Record> = s.range(start.as_deref(), end.as_deref(), order).collect();
                    let mut cursor = s.cursor(start.as_deref(), end.as_deref(), order);
                    let first = cursor.peek().cloned();
                    assert_eq!(first.as_ref(), expected.first(), "{start:?}..{end:?} {order:?}");
                    let got: Vec<Record> = cursor.by_ref().collect();
                    assert_eq!(got, expected, "{start:?}..{end:?} {order:?}");
                }
            }
        }
        // Every deleted key is stepped over once by a full scan.
        let mut cursor = s.cursor(None, None, Order::Ascending);
        let live = cursor.by_ref().count() as u64;
        let deleted = (0..40).filter(|i| s.get(&key(*i)).is_none()).count() as u64;
        let layered_deletions = cursor.take_skipped();
        assert_eq!(live, 40 - deleted);
        assert!(layered_deletions > 0 && layered_deletions <= deleted, "{layered_deletions} of {deleted}");
        while let Some(branch) = branches.pop() {
            branch.discard();
        }
    }
}
