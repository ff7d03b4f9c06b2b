//! How the `federated` pallet reaches the rest of the chain. The data market, the compute
//! leases and the incentives pallet implement these; until they land, the runtime wires in the
//! `()` implementations below.

use crate::{DatasetId, RoundIndex, TaskId};

/// What a participant does in a task.
#[derive(
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	scale_info::TypeInfo,
)]
pub enum Role {
	Trainer,
	Aggregator,
}

/// Whether an account may train on a dataset (the data market decides: listed, licensed, owned).
pub trait DatasetAccess<AccountId> {
	fn may_train(who: &AccountId, dataset: DatasetId) -> bool;
}

/// Every dataset id is accepted: until the data market lands, a dataset id is opaque.
impl<AccountId> DatasetAccess<AccountId> for () {
	fn may_train(_: &AccountId, _: DatasetId) -> bool {
		true
	}
}

/// Whether an account has the compute to aggregate (the compute-lease pallet decides).
pub trait ComputeAccess<AccountId> {
	fn may_aggregate(who: &AccountId) -> bool;
}

/// Every account may aggregate: until compute leases land, a bond is the only requirement.
impl<AccountId> ComputeAccess<AccountId> for () {
	fn may_aggregate(_: &AccountId) -> bool {
		true
	}
}

/// Told of every reward a round pays, e.g. so that the data market can credit a dataset's owner.
pub trait RewardObserver<AccountId, Balance> {
	fn on_reward(task: TaskId, round: RoundIndex, who: &AccountId, role: Role, amount: Balance);
}

impl<AccountId, Balance> RewardObserver<AccountId, Balance> for () {
	fn on_reward(_: TaskId, _: RoundIndex, _: &AccountId, _: Role, _: Balance) {}
}
