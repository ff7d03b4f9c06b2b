//! The data behind every trainer membership, checked before a round can draw it: the dataset's
//! file must be in the data directory and hold what its listing commits to
//! (`DatasetListing::content`). A key that trains on data it does not hold would be drawn, could
//! not train (or would train on other data than its owner listed), and would be slashed as a
//! no-show; so every [`DATA_CHECK_EVERY`] blocks the worker looks at each key's trainer
//! memberships, and leaves (`federated.leave`: its bond back, nothing slashed) every task whose
//! data is missing or differs while the key is not selected in a round under way, with an error
//! that says what to put where. Auto-joining keys ([`AutoJoin`](super::AutoJoin)) do not join
//! with such data either.
//!
//! The worker reads a dataset's file once and keeps it: after replacing a file, restart it.

use cohort_primitives::{dataset::ContentCommitment, DatasetId};

use super::{Worker, LOG};
use crate::{chain::BlockNumber, journal::RETRY_BLOCKS, Action, Chain};

/// How often (in blocks) the worker checks its keys' trainer memberships.
pub const DATA_CHECK_EVERY: BlockNumber = 10;

/// What checking a dataset's file against its listing found.
pub(super) enum DataCheck {
	/// The file holds what the listing commits to.
	Fits,
	/// It does not, or there is no readable file: what is wrong.
	Misfit(String),
	/// The listing could not be read (the node did not answer): nothing is known.
	Unknown(String),
}

impl Worker {
	/// Whether dataset `id`'s file holds what its listing commits to.
	pub(super) fn check_data(&mut self, chain: &impl Chain, id: DatasetId) -> DataCheck {
		let listed = match chain.dataset(id) {
			Ok(Some(info)) => info.listing.content,
			Ok(None) => return DataCheck::Misfit(format!("dataset {id} is not listed")),
			Err(e) => {
				return DataCheck::Unknown(format!("cannot read the listing of dataset {id}: {e}"))
			},
		};
		let shards = match listed {
			ContentCommitment::File(_) => None,
			ContentCommitment::Shards { shards, .. } => Some(shards),
		};
		let held = match self.data_commitments.get(&(id, shards)) {
			Some(held) => *held,
			None => {
				let commitment =
					self.data.dataset(id).map_err(|e| e.to_string()).and_then(|data| {
						data.commitment(shards).map_err(|e| format!("dataset {id}: {e}"))
					});
				match commitment {
					Ok(held) => {
						self.data_commitments.insert((id, shards), held);
						held
					},
					Err(e) => return DataCheck::Misfit(e),
				}
			},
		};
		if held != listed {
			return DataCheck::Misfit(format!(
				"the file of dataset {id} in {} is not the listed data: it commits to {held:?}, \
				 the listing to {listed:?}",
				self.data.root().join("datasets").display()
			));
		}
		DataCheck::Fits
	}

	/// Leaves every task in which a key would train on data it does not hold, while it can.
	pub(super) fn check_memberships(&mut self, chain: &impl Chain, now: BlockNumber) {
		if now < self.data_checked.saturating_add(DATA_CHECK_EVERY) {
			return;
		}
		self.data_checked = now;
		self.leaving.retain(|_, sent| now < sent.saturating_add(RETRY_BLOCKS));
		for p in self.participants.clone() {
			let memberships = match chain.memberships(&p.account()) {
				Ok(memberships) => memberships,
				Err(e) => {
					self.once.warn(format!("{}: cannot read its tasks: {e}", p.name));
					continue;
				},
			};
			for m in memberships {
				let Some(id) = m.dataset else { continue };
				let why = match self.check_data(chain, id) {
					DataCheck::Fits => continue,
					// Never leave for a node that did not answer.
					DataCheck::Unknown(e) => {
						self.once.warn(format!("{}: task {}: {e}", p.name, m.task));
						continue;
					},
					DataCheck::Misfit(why) => why,
				};
				if let Some(round) = m.selected_in {
					// Selected: it cannot leave before the round ends, and will be slashed.
					self.once.warn(format!(
						"{}: task {} round {round}: cannot train on dataset {id}: {why}",
						p.name, m.task
					));
					continue;
				}
				if self.leaving.contains_key(&(p.public.0, m.task)) {
					continue;
				}
				let what = format!(
					"{}: leaving task {} before a round draws it (its bond back): {why}; put the \
					 listed file there and restart the worker, then join another task (a dataset \
					 that left a task cannot join it again)",
					p.name, m.task
				);
				match chain.submit(&p.public, Action::Leave { task: m.task }) {
					Ok(extrinsic) => {
						log::error!(target: LOG, "🧠 {what}");
						self.watched
							.insert(extrinsic, format!("{}: leave task {}", p.name, m.task));
						self.leaving.insert((p.public.0, m.task), now);
					},
					Err(e) => self.once.warn(format!("{what}: {e}")),
				}
			}
		}
	}
}
