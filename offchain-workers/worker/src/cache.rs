//! A small cache that keeps the most recently used values only: the worker's global models (a
//! model is as large as an update; a task needs only the one its round starts from).

use std::collections::VecDeque;

/// At most `capacity` values, the least recently used dropped first.
pub struct Recent<K, V> {
	capacity: usize,
	/// Most recently used first.
	items: VecDeque<(K, V)>,
}

impl<K: PartialEq, V> Recent<K, V> {
	/// An empty cache of `capacity` values (at least one).
	pub fn new(capacity: usize) -> Self {
		Self { capacity: capacity.max(1), items: VecDeque::new() }
	}

	/// The value under `key`, now the most recently used.
	pub fn get(&mut self, key: &K) -> Option<&V> {
		let at = self.items.iter().position(|(k, _)| k == key)?;
		let item = self.items.remove(at)?;
		self.items.push_front(item);
		self.items.front().map(|(_, v)| v)
	}

	/// Keeps `value` under `key`, dropping the least recently used value if full.
	pub fn insert(&mut self, key: K, value: V) {
		self.items.retain(|(k, _)| *k != key);
		self.items.push_front((key, value));
		self.items.truncate(self.capacity);
	}

	/// How many values are kept.
	pub fn len(&self) -> usize {
		self.items.len()
	}

	/// Whether none is.
	pub fn is_empty(&self) -> bool {
		self.items.is_empty()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn keeps_the_most_recently_used_values_only() {
		let mut cache = Recent::new(2);
		cache.insert(1, "one");
		cache.insert(2, "two");
		assert_eq!(cache.get(&1), Some(&"one"));
		cache.insert(3, "three");
		assert_eq!(cache.len(), 2);
		assert_eq!(cache.get(&2), None, "least recently used");
		assert_eq!(cache.get(&1), Some(&"one"));
		cache.insert(3, "THREE");
		assert_eq!((cache.len(), cache.get(&3)), (2, Some(&"THREE")));
		for i in 10..100 {
			cache.insert(i, "many");
		}
		assert_eq!(cache.len(), 2);
	}
}
