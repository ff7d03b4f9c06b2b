//! Which paid work is done for someone else: the one rule behind emission points and dataset
//! reputation. Emission rewards demand, so a payment counts only when the payer (a task's owner)
//! and the payee are different parties as far as the chain can tell. The chain sees three ties:
//! the same account, data the payer owns (a trainer that trains the task owner's own dataset
//! is the owner or its delegate), and a compute lease (a worker serving the task owner under a
//! running lease is compute the owner rents). A second account with no tie on chain is out of
//! reach of any rule here; drawing committees from chain-wide stake is what makes it costly
//! (`docs/economics.md`, "Emission farming").

/// Whether work that `payer` pays `payee` for is independent of the payer: `payee` is another
/// account, the data it trained on (`data_owner`, for a trainer; `None` otherwise) is not the
/// payer's, and it does not serve the payer under a compute lease. `serves(worker, consumer)`
/// is asked last, and only when the cheaper ties are absent: it reads storage.
pub fn is_independent<AccountId: PartialEq>(
	payer: &AccountId,
	payee: &AccountId,
	data_owner: Option<&AccountId>,
	serves: impl FnOnce(&AccountId, &AccountId) -> bool,
) -> bool {
	payee != payer && data_owner != Some(payer) && !serves(payee, payer)
}

#[cfg(test)]
mod tests {
	use super::*;

	const OWNER: u64 = 1;
	const STRANGER: u64 = 2;
	const LEASED: u64 = 3;

	fn serves(worker: &u64, consumer: &u64) -> bool {
		*worker == LEASED && *consumer == OWNER
	}

	#[test]
	fn only_a_stranger_on_its_own_data_and_compute_is_independent() {
		assert!(is_independent(&OWNER, &STRANGER, None, serves));
		assert!(is_independent(&OWNER, &STRANGER, Some(&STRANGER), serves));
		// The owner itself, a delegate training the owner's dataset, a worker it leases.
		assert!(!is_independent(&OWNER, &OWNER, None, serves));
		assert!(!is_independent(&OWNER, &STRANGER, Some(&OWNER), serves));
		assert!(!is_independent(&OWNER, &LEASED, None, serves));
		// A lease to someone else is no tie to this payer.
		assert!(is_independent(&STRANGER, &LEASED, None, serves));
	}

	#[test]
	fn the_lease_is_not_read_when_a_cheaper_tie_decides() {
		let never = |_: &u64, _: &u64| -> bool { panic!("serves read") };
		assert!(!is_independent(&OWNER, &OWNER, None, never));
		assert!(!is_independent(&OWNER, &STRANGER, Some(&OWNER), never));
	}
}
