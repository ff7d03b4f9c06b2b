//! Claiming: each key's rewards from the incentives pallet (`IncentivesApi::pending_rewards`),
//! claimed by the key itself once they are old enough ([`ClaimAfter`]: by default half the claim
//! window) — in batches rather than a claim every era, and long before the window closes — so
//! that nobody has to claim by hand, and whoever claims by hand sooner is not raced. Each claim is sent once and sent again only if no block carried it within
//! [`RETRY_BLOCKS`].

use cohort_primitives::traits::Role;
use sp_core::crypto::Ss58Codec;

use super::{Worker, LOG};
use crate::{amount::coh, chain::BlockNumber, journal::RETRY_BLOCKS, Action, Chain};

/// How often (in blocks) the worker looks for rewards to claim.
pub const REWARDS_EVERY: BlockNumber = 10;

/// A claim the worker sent: whose, which era and role.
pub(super) type ClaimKey = ([u8; 32], u32, Role);

/// When the worker claims a reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClaimAfter {
	/// Once half of its claim window has passed (42 eras of the runtimes' 84).
	#[default]
	HalfWindow,
	/// Once its era closed this many eras ago (0: as soon as it closes).
	Eras(u32),
}

impl Worker {
	/// Claims, for every key, the rewards that [`ClaimAfter`] says are due.
	pub(super) fn claim_rewards(&mut self, chain: &impl Chain, now: BlockNumber) {
		if now < self.rewards_checked.saturating_add(REWARDS_EVERY) {
			return;
		}
		self.rewards_checked = now;
		self.claims_sent.retain(|_, sent| now < sent.saturating_add(RETRY_BLOCKS));
		let mut keys: Vec<_> =
			self.participants.iter().map(|p| (p.public, p.name.clone())).collect();
		keys.sort_by_key(|(public, _)| public.0);
		keys.dedup_by_key(|(public, _)| public.0);
		for (public, name) in keys {
			let who = public.into();
			let rewards = match chain.pending_rewards(&who) {
				Ok(rewards) => rewards,
				Err(e) => {
					self.once.warn(format!("{name}: cannot read its rewards: {e}"));
					continue;
				},
			};
			for reward in rewards.pending {
				let after = match self.claim_after {
					ClaimAfter::HalfWindow => reward.claimable_until.saturating_sub(reward.era) / 2,
					ClaimAfter::Eras(eras) => eras,
				};
				// An era that closed `after` eras ago: the era under way is `era + 1 + after`.
				if rewards.current_era < reward.era.saturating_add(1).saturating_add(after) {
					continue;
				}
				let key = (public.0, reward.era, reward.role);
				if self.claims_sent.contains_key(&key) {
					continue;
				}
				let action = Action::Claim { who: who.clone(), era: reward.era, role: reward.role };
				let what = format!(
					"{name}: claiming {} COH as {:?} for era {} ({})",
					coh(reward.amount),
					reward.role,
					reward.era,
					who.to_ss58check()
				);
				match chain.submit(&public, action) {
					Ok(extrinsic) => {
						log::info!(target: LOG, "🧠 {what}");
						self.watched.insert(extrinsic, what);
						self.claims_sent.insert(key, now);
					},
					Err(e) => self.once.warn(format!("{what}: {e}")),
				}
			}
		}
	}
}
