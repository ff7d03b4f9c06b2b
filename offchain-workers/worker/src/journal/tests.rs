use super::*;
use crate::chain::AccountId;

const WHO: [u8; 32] = [1; 32];

fn key(task: TaskId, round: RoundIndex, kind: Kind) -> Key {
	Key { task, round, who: WHO, kind }
}

fn update(task: TaskId, round: RoundIndex, byte: u8) -> Sealed {
	Sealed::update(&AccountId::new(WHO), task, round, vec![byte; 10], [byte; 32])
}

#[test]
fn a_reopened_journal_remembers_submissions_their_outcomes_and_sealed_commitments() {
	let dir = tempfile::tempdir().unwrap();
	let commit = key(0, 0, Kind::Commit);
	let reveal = key(0, 0, Kind::Reveal);
	{
		let mut j = Journal::open(dir.path()).unwrap();
		assert!(j.due(&commit, 5));
		j.seal(&commit, &update(0, 0, 4)).unwrap();
		j.record(commit, 5).unwrap();
		j.sent(&commit, H256::repeat_byte(1)).unwrap();
		j.record(reveal, 6).unwrap();
		j.sent(&reveal, H256::repeat_byte(2)).unwrap();
		assert!(j.awaits_outcomes());
	}
	let mut j = Journal::open(dir.path()).unwrap();
	assert_eq!(j.sealed(&commit).unwrap(), Some(update(0, 0, 4)));
	assert_eq!(j.sealed(&key(0, 1, Kind::Commit)).unwrap(), None);
	assert!(!j.due(&commit, 5 + RETRY_BLOCKS - 1));
	assert!(j.due(&commit, 5 + RETRY_BLOCKS), "not taken: sent again");

	// Outcomes: the commitment is on chain, the reveal was refused; neither is sent again.
	let settled = j.settle(&H256::repeat_byte(1), 7, None).unwrap();
	assert_eq!(settled, Some((commit, Settled::Included)));
	let error = "Federated::CommitmentMismatch".to_string();
	let settled = j.settle(&H256::repeat_byte(2), 7, Some(error.clone())).unwrap();
	assert_eq!(settled, Some((reveal, Settled::Refused(error.clone()))));
	assert_eq!(j.settle(&H256::repeat_byte(3), 7, None).unwrap(), None, "not ours");
	assert!(!j.awaits_outcomes());
	drop(j);

	let mut j = Journal::open(dir.path()).unwrap();
	assert_eq!(j.get(&reveal).unwrap().status, Status::Refused { block: 7, error });
	assert_eq!(j.get(&commit).unwrap().status, Status::Included { block: 7 });
	assert!(!j.due(&commit, 100) && !j.due(&reveal, 100));
	// The same block read again after a restart changes nothing.
	let again = j.settle(&H256::repeat_byte(2), 7, Some("x".into())).unwrap();
	assert_eq!(again, Some((reveal, Settled::Stale(Some("x".into())))));
}

#[test]
fn a_resent_copy_refused_after_the_first_was_included_is_stale() {
	let dir = tempfile::tempdir().unwrap();
	let mut j = Journal::open(dir.path()).unwrap();
	let commit = key(0, 0, Kind::Commit);
	j.record(commit, 1).unwrap();
	j.sent(&commit, H256::repeat_byte(1)).unwrap();
	j.record(commit, 1 + RETRY_BLOCKS).unwrap();
	j.sent(&commit, H256::repeat_byte(2)).unwrap();
	assert_eq!(j.settle(&H256::repeat_byte(1), 10, None).unwrap().unwrap().1, Settled::Included);
	let late = j.settle(&H256::repeat_byte(2), 11, Some("Federated::AlreadyCommitted".into()));
	assert_eq!(
		late.unwrap().unwrap().1,
		Settled::Stale(Some("Federated::AlreadyCommitted".into()))
	);
	assert_eq!(j.get(&commit).unwrap().status, Status::Included { block: 10 });
}

#[test]
fn a_full_journal_keeps_what_reveals_need_and_prunes_finished_rounds() {
	let dir = tempfile::tempdir().unwrap();
	let mut j = Journal::open(dir.path()).unwrap();
	j.set_capacity(10);
	// The newest task's round 0 is the smallest key, and its commitment the oldest entry: the
	// journal used to drop exactly this one first.
	let needed = key(0, 0, Kind::Commit);
	j.seal(&needed, &update(0, 0, 9)).unwrap();
	j.record(needed, 1).unwrap();
	// An aggregator's commitment whose reveal is on chain is not needed any more.
	let done = key(0, 0, Kind::CommitAggregate);
	j.record(done, 2).unwrap();
	j.record(key(0, 0, Kind::RevealAggregate), 3).unwrap();
	j.sent(&key(0, 0, Kind::RevealAggregate), H256::repeat_byte(7)).unwrap();
	j.settle(&H256::repeat_byte(7), 4, None).unwrap();
	for round in 0..20 {
		j.record(key(1, round, Kind::Reveal), 10 + round).unwrap();
	}
	assert_eq!(j.len(), 10);
	assert!(j.get(&needed).is_some(), "still needed for a reveal");
	assert_eq!(j.sealed(&needed).unwrap(), Some(update(0, 0, 9)));
	assert!(j.get(&done).is_none(), "oldest and not needed");
	assert!(j.get(&key(1, 19, Kind::Reveal)).is_some(), "newest");
	assert!(j.get(&key(1, 10, Kind::Reveal)).is_none());

	// Every entry needed: the journal grows past its capacity rather than lose one.
	for task in 2..14 {
		j.record(key(task, 0, Kind::Commit), 100).unwrap();
	}
	assert_eq!(j.len(), 13);
	assert!(j.get(&needed).is_some());

	// Round 0 of task 0 closed: its entries and its sealed file go.
	let tasks: Vec<TaskId> = [0].into_iter().chain(2..14).collect();
	assert_eq!(j.tasks().into_iter().collect::<Vec<_>>(), tasks);
	let pruned = j.prune(|k| k.task == 0 && k.round == 0).unwrap();
	assert_eq!(pruned, 1);
	assert!(j.get(&needed).is_none());
	assert_eq!(j.sealed(&needed).unwrap(), None);
	assert!(!j.tasks().contains(&0));
	drop(j);
	assert_eq!(Journal::open(dir.path()).unwrap().len(), 12);
}

#[test]
fn a_torn_journal_is_moved_aside_and_sealed_commitments_survive_it() {
	let dir = tempfile::tempdir().unwrap();
	let commit = key(3, 1, Kind::Commit);
	{
		let mut j = Journal::open(dir.path()).unwrap();
		j.seal(&commit, &update(3, 1, 5)).unwrap();
		for round in 0..5 {
			j.record(key(3, round, Kind::Reveal), round).unwrap();
		}
	}
	let path = dir.path().join("journal.scale");
	let bytes = std::fs::read(&path).unwrap();
	std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();

	let j = Journal::open(dir.path()).unwrap();
	assert!(j.is_empty());
	assert_eq!(j.sealed(&commit).unwrap(), Some(update(3, 1, 5)));
	let aside = dir.path().join("journal.scale.corrupt-0");
	assert_eq!(std::fs::read(aside).unwrap(), &bytes[..bytes.len() / 2], "kept for inspection");
	assert!(!path.exists());

	// A flipped bit is caught by the checksum; a journal of the old format (no magic) too.
	let mut flipped = bytes.clone();
	*flipped.last_mut().unwrap() ^= 1;
	std::fs::write(&path, flipped).unwrap();
	assert!(Journal::open(dir.path()).unwrap().is_empty());
	std::fs::write(&path, BTreeMap::<u32, u32>::new().encode()).unwrap();
	assert!(Journal::open(dir.path()).unwrap().is_empty());
	assert!(dir.path().join("journal.scale.corrupt-2").exists());
}

#[test]
fn a_damaged_sealed_file_is_an_error_not_a_wrong_reveal() {
	let dir = tempfile::tempdir().unwrap();
	let j = Journal::open(dir.path()).unwrap();
	let commit = key(0, 0, Kind::Commit);
	j.seal(&commit, &update(0, 0, 1)).unwrap();
	let path = j.sealed_path(&commit).unwrap();
	let mut bytes = std::fs::read(&path).unwrap();
	*bytes.last_mut().unwrap() ^= 1;
	std::fs::write(&path, bytes).unwrap();
	assert!(matches!(j.sealed(&commit), Err(JournalError::Corrupt(_))));
	assert_eq!(parse_sealed_name("0-0-zz.update"), None);
	assert_eq!(j.tasks().into_iter().collect::<Vec<_>>(), vec![0]);
}

#[test]
fn sealed_scores_are_filed_by_key_and_kept_until_their_reveal_is_on_chain() {
	let dir = tempfile::tempdir().unwrap();
	let commit = key(2, 5, Kind::CommitScores);
	let scores = Sealed::scores(&AccountId::new(WHO), 2, 5, vec![700_000, 10], [6; 32]);
	{
		let mut j = Journal::open(dir.path()).unwrap();
		j.seal(&commit, &scores).unwrap();
		j.record(commit, 1).unwrap();
		// Filed under the scores kind only: an update or a result of the round is not it.
		assert_eq!(j.sealed(&key(2, 5, Kind::Commit)).unwrap(), None);
		assert_eq!(j.sealed(&key(2, 5, Kind::CommitAggregate)).unwrap(), None);
	}
	let name = Journal::open(dir.path()).unwrap().sealed_path(&commit).unwrap();
	let name = name.file_name().unwrap().to_str().unwrap().to_owned();
	assert!(name.ends_with(".scores"), "{name}");
	assert_eq!(parse_sealed_name(&name), Some(commit));

	let mut j = Journal::open(dir.path()).unwrap();
	assert_eq!(j.sealed(&commit).unwrap(), Some(scores.clone()));
	// Scores filed under another round's key do not open: an error, never a wrong reveal.
	let elsewhere = key(2, 6, Kind::CommitScores);
	std::fs::copy(j.sealed_path(&commit).unwrap(), j.sealed_path(&elsewhere).unwrap()).unwrap();
	assert!(matches!(j.sealed(&elsewhere), Err(JournalError::Corrupt(_))));

	// A full journal keeps the commitment while its reveal is not on chain.
	j.set_capacity(2);
	j.record(key(9, 0, Kind::Reveal), 2).unwrap();
	j.record(key(9, 1, Kind::Reveal), 3).unwrap();
	assert!(j.get(&commit).is_some(), "its reveal is still to come");
	let reveal = key(2, 5, Kind::RevealScores);
	j.record(reveal, 4).unwrap();
	j.sent(&reveal, H256::repeat_byte(4)).unwrap();
	j.settle(&H256::repeat_byte(4), 5, None).unwrap();
	j.record(key(9, 2, Kind::Reveal), 6).unwrap();
	assert!(j.get(&commit).is_none(), "revealed: the oldest entry goes first");
}
