//! Failure lines logged once: a duty that cannot be served fails again at every block, and the
//! log must show it once, not thousands of times.

use std::collections::{HashSet, VecDeque};

const LOG: &str = "cohort-worker";
/// Distinct lines remembered; the oldest are forgotten first (and may be logged again).
const REMEMBERED: usize = 1024;

/// Lines already logged.
#[derive(Default)]
pub struct LogOnce {
	seen: HashSet<String>,
	order: VecDeque<String>,
}

impl LogOnce {
	/// Logs `line` as a warning the first time, at debug level after that.
	pub fn warn(&mut self, line: String) {
		if self.first(&line) {
			log::warn!(target: LOG, "{line}");
		} else {
			log::debug!(target: LOG, "(again) {line}");
		}
	}

	/// Whether `line` is new; remembers it.
	pub fn first(&mut self, line: &str) -> bool {
		if self.seen.contains(line) {
			return false;
		}
		if self.order.len() == REMEMBERED {
			if let Some(old) = self.order.pop_front() {
				self.seen.remove(&old);
			}
		}
		self.seen.insert(line.to_owned());
		self.order.push_back(line.to_owned());
		true
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_line_is_new_once_and_memory_is_bounded() {
		let mut once = LogOnce::default();
		assert!(once.first("a"));
		assert!(!once.first("a"));
		for i in 0..REMEMBERED {
			once.first(&i.to_string());
		}
		assert_eq!(once.seen.len(), REMEMBERED);
		assert!(once.first("a"), "forgotten after REMEMBERED newer lines");
	}
}
