//! A hash map of a book that grows with its trades, in 128 shards chosen by the key's hash. A hash map doubles its
//! table when it fills and moves every entry at once, under the book's lock: a 300 ms stall at 230 000 trades and
//! 600 ms at 460 000 with one map per index. In shards, each doubling moves a 128th of the entries or so. The
//! shards take unequal shares of the keys, spread evenly between one share and twice it on a logarithmic scale, so
//! that they double at different sizes of the whole: were the shares equal, every shard would double within the
//! same few inserts, and the map as a whole would be a doubled table (less than half full) right after, at 918 000
//! entries for example; with the shares spread, the tables are about 60% full on average whatever the size. The
//! shards cost 6 KiB a map once it holds anything. Each shard keeps SipHash with keys of its own (the keys are the
//! sender's text, so a table must not let them collide at will); the shard is chosen by foldhash, seeded per map,
//! cheaper on a short key: keys steered to one shard by a sender who knew the seed would only make
//! that shard's table large, never slow.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hash};

/// How many shards.
const SHARDS: usize = 128;

/// Where each shard's share of the hashes ends: shard `i` takes the hashes below `BOUNDS[i]` that no shard before
/// it takes, a share proportional to `2^(i/128)`.
static BOUNDS: std::sync::LazyLock<[u64; SHARDS]> = std::sync::LazyLock::new(|| {
    let weights: Vec<f64> = (0..SHARDS).map(|i| (i as f64 / SHARDS as f64).exp2()).collect();
    let total: f64 = weights.iter().sum();
    let mut bounds = [u64::MAX; SHARDS];
    let mut taken = 0.0;
    for (bound, weight) in bounds.iter_mut().zip(&weights).take(SHARDS - 1) {
        taken += weight / total;
        // The cast saturates, and the last shard takes every hash up to u64::MAX.
        *bound = (taken * u64::MAX as f64) as u64;
    }
    bounds
});

/// A hash map in [`SHARDS`] shards; the shards are made with the first insert.
#[derive(Debug)]
pub(crate) struct Sharded<K, V> {
    shards: Vec<HashMap<K, V>>,
    chooser: foldhash::fast::RandomState,
    len: usize,
}

impl<K, V> Default for Sharded<K, V> {
    fn default() -> Self {
        Self { shards: Vec::new(), chooser: foldhash::fast::RandomState::default(), len: 0 }
    }
}

impl<K: Hash + Eq, V> Sharded<K, V> {
    fn shard_of<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        // The shards' own tables hash with keys of their own, so this hash says nothing about a key's slot there.
        let hash = self.chooser.hash_one(key);
        BOUNDS.partition_point(|bound| *bound <= hash).min(SHARDS - 1)
    }

    /// Makes the shards, at the first insert.
    fn make_shards(&mut self) {
        if self.shards.is_empty() {
            self.shards = (0..SHARDS).map(|_| HashMap::new()).collect();
        }
    }

    fn shard_mut(&mut self, index: usize) -> &mut HashMap<K, V> {
        self.make_shards();
        &mut self.shards[index]
    }

    /// The value under `key`.
    pub(crate) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.shards.get(self.shard_of(key))?.get(key)
    }

    /// The value under `key`, to change.
    pub(crate) fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let index = self.shard_of(key);
        self.shards.get_mut(index)?.get_mut(key)
    }

    /// Puts `value` under `key`; the value it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let index = self.shard_of(&key);
        let replaced = self.shard_mut(index).insert(key, value);
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    /// The value under `key`, made with `V::default()` if there was none.
    pub(crate) fn get_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        let index = self.shard_of(&key);
        self.make_shards();
        let Self { shards, len, .. } = self;
        // One probe of the shard's table: the entry says whether the key was there.
        match shards[index].entry(key) {
            Entry::Occupied(held) => held.into_mut(),
            Entry::Vacant(room) => {
                *len += 1;
                room.insert(V::default())
            }
        }
    }

    /// Takes out the value under `key`.
    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let index = self.shard_of(key);
        let removed = self.shards.get_mut(index)?.remove(key);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Keeps only the entries `keep` says to.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for shard in &mut self.shards {
            shard.retain(&mut keep);
        }
        self.len = self.shards.iter().map(HashMap::len).sum();
    }

    /// How many entries it holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_is_a_map() {
        let mut map: Sharded<String, u32> = Sharded::default();
        assert_eq!((map.get("a"), map.len()), (None, 0));
        for i in 0..1000 {
            assert_eq!(map.insert(format!("k{i}"), i), None);
        }
        assert_eq!(map.insert("k7".to_owned(), 70), Some(7));
        assert_eq!((map.get("k7"), map.get("k999"), map.get("k1000"), map.len()), (Some(&70), Some(&999), None, 1000));
        *map.get_or_default("k7".to_owned()) += 1;
        *map.get_or_default("new".to_owned()) += 1;
        assert_eq!((map.get("k7"), map.get("new"), map.len()), (Some(&71), Some(&1), 1001));
        if let Some(v) = map.get_mut("k1") {
            *v = 10;
        }
        assert_eq!((map.remove("k1"), map.remove("k1"), map.len()), (Some(10), None, 1000));
        map.retain(|_, v| *v % 2 == 0);
        assert_eq!(map.len(), 500);
        assert!(map.shards.iter().filter(|shard| !shard.is_empty()).count() > SHARDS / 2, "keys spread over shards");
    }

    /// Room for entries (the tables' capacities) per entry held, over all shards.
    fn slots_per_entry(map: &Sharded<u64, ()>) -> f64 {
        map.shards.iter().map(HashMap::capacity).sum::<usize>() as f64 / map.len() as f64
    }

    #[test]
    fn the_shards_double_at_different_sizes_so_the_whole_never_is_a_doubled_table() {
        let mut map: Sharded<u64, ()> = Sharded::default();
        let mut worst: f64 = 0.0;
        for n in 0..400_000_u64 {
            map.insert(n, ());
            if n > 20_000 && n % 1_000 == 0 {
                worst = worst.max(slots_per_entry(&map));
            }
        }
        // Equal shares: 2 slots per entry right after the shards doubled together (1.90 at worst on this walk).
        // Spread shares: never far from the average, 1/ln 2 = 1.44 (1.51 at worst on this walk).
        assert!(worst < 1.7, "{worst:.2} slots per entry at worst");
        let sizes: Vec<usize> = map.shards.iter().map(HashMap::len).collect();
        let (smallest, largest) = (sizes.iter().min().copied(), sizes.iter().max().copied());
        assert!(smallest.zip(largest).is_some_and(|(s, l)| l as f64 / s as f64 > 1.7), "shares spread: {sizes:?}");
    }
}
