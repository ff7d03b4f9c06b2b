//! Each [`Action`] as the runtime call it becomes, for clients that know the runtime only by its
//! metadata (the standalone worker): the pallet's and the call's names, which the client turns
//! into indices with the metadata of the chain it talks to, and the SCALE encoding of the
//! arguments. The node builds its `RuntimeCall`s from the runtime's types instead; a node test
//! checks that both encode every action to the same bytes. The other way round, the payloads
//! a worker reads back from block bodies are decoded here from a call's argument bytes.

use codec::{Decode, Encode};
use cohort_primitives::{DatasetId, RoundIndex, RoundMetrics, TaskId};
use sp_core::H256;

use crate::chain::{Action, ChainError};

/// A call: the names the metadata knows it by, and its arguments, SCALE-encoded in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedCall {
	pub pallet: &'static str,
	pub call: &'static str,
	pub args: Vec<u8>,
}

/// `pallet_federated::JoinAs`, encoded the same way.
#[derive(Encode)]
enum JoinAs {
	Trainer { dataset: DatasetId },
	Aggregator,
}

const FEDERATED: &str = "Federated";
const INCENTIVES: &str = "Incentives";
const COMPUTE_LEASE: &str = "ComputeLease";

impl Action {
	/// This action as a call of the runtime.
	pub fn encode_call(&self) -> EncodedCall {
		let (pallet, call, args) = match self {
			Action::CreateTask { spec } => (FEDERATED, "create_task", spec.encode()),
			Action::Join { task, dataset, bond } => {
				let role = match dataset {
					Some(dataset) => JoinAs::Trainer { dataset: *dataset },
					None => JoinAs::Aggregator,
				};
				(FEDERATED, "join", (task, role, bond).encode())
			},
			Action::Commit { task, round, commitment } => {
				(FEDERATED, "commit_update", (task, round, commitment).encode())
			},
			Action::Reveal { task, round, update, salt } => {
				(FEDERATED, "reveal_update", (task, round, update, salt).encode())
			},
			Action::CommitScores { task, round, commitment } => {
				(FEDERATED, "commit_scores", (task, round, commitment).encode())
			},
			Action::RevealScores { task, round, scores, salt } => {
				(FEDERATED, "reveal_scores", (task, round, scores, salt).encode())
			},
			Action::CommitAggregate { task, round, commitment } => {
				(FEDERATED, "commit_aggregate", (task, round, commitment).encode())
			},
			Action::RevealAggregate { task, round, aggregate, metrics, salt, payload } => (
				FEDERATED,
				"reveal_aggregate",
				(task, round, aggregate, metrics, salt, payload).encode(),
			),
			Action::RegisterOffer { hardware, claimed_score, terms } => {
				(COMPUTE_LEASE, "register_offer", (hardware, claimed_score, terms).encode())
			},
			Action::Heartbeat => (COMPUTE_LEASE, "heartbeat", Vec::new()),
			Action::CommitChallenge { id, commitment } => {
				(COMPUTE_LEASE, "commit_challenge", (id, commitment).encode())
			},
			Action::Leave { task } => (FEDERATED, "leave", task.encode()),
			Action::Settle { lease } => (COMPUTE_LEASE, "settle", lease.encode()),
			Action::Claim { who, era, role } => (INCENTIVES, "claim", (who, era, role).encode()),
			Action::RevealChallenge { id, answer, salt } => {
				(COMPUTE_LEASE, "reveal_challenge", (id, answer, salt).encode())
			},
		};
		EncodedCall { pallet, call, args }
	}
}

/// The payload a call carries, from its pallet's and call's names and its argument bytes: the
/// update of `Federated::reveal_update`, the model of a `Federated::reveal_aggregate` that
/// carries one, the model of `Federated::publish_initial_model`. (The caller checks it against the hash the chain recorded.)
pub fn payload_of_call(pallet: &str, call: &str, args: &[u8]) -> Result<Vec<u8>, ChainError> {
	let bad = |e: codec::Error| ChainError(format!("{pallet}::{call}: {e}"));
	match (pallet, call) {
		(FEDERATED, "reveal_update") => {
			let (_task, _round, update, _salt) =
				<(TaskId, RoundIndex, Vec<u8>, [u8; 32])>::decode(&mut &args[..]).map_err(bad)?;
			Ok(update)
		},
		(FEDERATED, "publish_initial_model") => {
			let (_task, model) = <(TaskId, Vec<u8>)>::decode(&mut &args[..]).map_err(bad)?;
			Ok(model)
		},
		(FEDERATED, "reveal_aggregate") => {
			type Args = (TaskId, RoundIndex, H256, RoundMetrics, [u8; 32], Option<Vec<u8>>);
			match Args::decode(&mut &args[..]).map_err(bad)?.5 {
				Some(payload) => Ok(payload),
				None => Err(ChainError("this reveal_aggregate carries no payload".into())),
			}
		},
		_ => Err(ChainError(format!("{pallet}::{call} carries no payload"))),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_revealed_update_is_read_back_from_its_arguments() {
		let reveal = Action::Reveal { task: 3, round: 1, update: vec![1, 2, 3], salt: [7; 32] };
		let call = reveal.encode_call();
		assert_eq!((call.pallet, call.call), ("Federated", "reveal_update"));
		assert_eq!(payload_of_call(call.pallet, call.call, &call.args).unwrap(), vec![1, 2, 3]);
	}

	#[test]
	fn an_aggregate_without_its_model_has_no_payload() {
		let reveal = |payload| Action::RevealAggregate {
			task: 0,
			round: 2,
			aggregate: H256::repeat_byte(1),
			metrics: RoundMetrics { loss_micros: 5, accuracy_micros: 6 },
			salt: [0; 32],
			payload,
		};
		let with = reveal(Some(vec![9; 40])).encode_call();
		assert_eq!(payload_of_call(with.pallet, with.call, &with.args).unwrap(), vec![9; 40]);
		let without = reveal(None).encode_call();
		assert!(payload_of_call(without.pallet, without.call, &without.args).is_err());
		let initial = (7 as TaskId, vec![5u8; 30]).encode();
		assert_eq!(
			payload_of_call("Federated", "publish_initial_model", &initial).unwrap(),
			vec![5; 30]
		);
		let heartbeat = Action::Heartbeat.encode_call();
		assert!(payload_of_call(heartbeat.pallet, heartbeat.call, &heartbeat.args).is_err());
	}
}
