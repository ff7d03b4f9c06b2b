//! The market as the federated pallet sees it: joining, privacy, reputation, royalties,
//! lineage.

use super::*;
use crate::{DatasetTasks, Datasets, Error, Lineage};
use cohort_primitives::{
	dataset::{DatasetRules, DatasetUse, TaskUse},
	traits::{DataMarket as _, DatasetRequest, Role},
	ModelSpec,
};
use frame_support::{
	assert_noop,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		tokens::Precision,
	},
};

pub fn mlp(input: u32, classes: u32) -> ModelSpec {
	ModelSpec::Mlp { input, hidden: BoundedVec::truncate_from(vec![16]), classes }
}

pub fn rules(max_royalty: Balance) -> DatasetRules<Balance> {
	DatasetRules { max_royalty, min_reputation: 0, allowlist: BoundedVec::new() }
}

const TASK: u32 = 3;

fn join_as(
	who: AccountId,
	dataset: DatasetId,
	rules: &DatasetRules<Balance>,
	epsilon: Option<u32>,
) -> Result<cohort_primitives::dataset::DatasetTerms<AccountId, Balance>, sp_runtime::DispatchError>
{
	let model = mlp(64, 10);
	DataMarket::join(&who, dataset, DatasetRequest { task: TASK, model: &model, rules, epsilon })
}

fn budget() -> RuntimeHoldReason {
	crate::mock::budget::HoldReason::TaskBudget.into()
}

#[test]
fn the_owner_joins_on_the_listed_terms_and_the_dataset_is_in_the_task() {
	test(|| {
		let id = list(OWNER, digits());
		let terms = join_as(OWNER, id, &rules(ROYALTY), None).unwrap();
		assert_eq!((terms.owner, terms.royalty, terms.samples), (OWNER, ROYALTY, 300));
		assert_eq!(Datasets::<Test>::get(id).unwrap().tasks, 1);
		assert_eq!(
			DatasetTasks::<Test>::get(id, TASK),
			Some(TaskUse { active: true, rounds: 0, royalties: 0 })
		);
		assert!(events().contains(&Event::DatasetJoined {
			dataset: id,
			task: TASK,
			trainer: OWNER,
			royalty: ROYALTY
		}));
	});
}

#[test]
fn a_stranger_cannot_join_with_someone_elses_dataset_but_a_delegate_can() {
	test(|| {
		let id = list(OWNER, digits());
		assert_noop!(
			join_as(STRANGER, id, &rules(ROYALTY), None),
			Error::<Test>::NotOwnerOrDelegate
		);
		assert_noop!(join_as(WORKER, id, &rules(ROYALTY), None), Error::<Test>::NotOwnerOrDelegate);
		assert_ok!(DataMarket::add_delegate(RuntimeOrigin::signed(OWNER), id, WORKER));
		let terms = join_as(WORKER, id, &rules(ROYALTY), None).unwrap();
		assert_eq!(terms.owner, OWNER, "the royalty goes to the owner, not the delegate");
	});
}

#[test]
fn a_worker_not_delegated_by_the_owner_cannot_join_with_or_spend_its_dataset() {
	test(|| {
		// A worker that filled the owner's compute request (or any other stranger) makes a DP
		// task whose epsilon is the dataset's whole budget and tries to join it with the
		// owner's dataset: data rights come from `add_delegate` alone, so it is refused, the
		// budget is untouched and the dataset stays free for honest tasks.
		let mut private = digits();
		private.privacy_budget = Some(3_000_000);
		let id = list(OWNER, private);
		assert_noop!(
			join_as(WORKER, id, &rules(ROYALTY), Some(3_000_000)),
			Error::<Test>::NotOwnerOrDelegate
		);
		assert_eq!(DatasetTasks::<Test>::get(id, TASK), None);
		assert_eq!(Datasets::<Test>::get(id).unwrap().privacy_spent, 0);
		assert_ok!(join_as(OWNER, id, &rules(ROYALTY), Some(1_000_000)));
	});
}

#[test]
fn a_dataset_joins_a_task_once() {
	test(|| {
		let id = list(OWNER, digits());
		assert_ok!(DataMarket::add_delegate(RuntimeOrigin::signed(OWNER), id, WORKER));
		assert_ok!(join_as(OWNER, id, &rules(ROYALTY), None));
		// A second trainer on the same data would double its share: refused.
		assert_noop!(join_as(WORKER, id, &rules(ROYALTY), None), Error::<Test>::AlreadyInTask);
		DataMarket::leave(TASK, id);
		assert_noop!(join_as(OWNER, id, &rules(ROYALTY), None), Error::<Test>::AlreadyInTask);
	});
}

#[test]
fn the_task_and_the_listing_decide_who_joins() {
	test(|| {
		let id = list(OWNER, digits());
		assert_noop!(join_as(OWNER, 42, &rules(ROYALTY), None), Error::<Test>::UnknownDataset);
		assert_noop!(join_as(OWNER, id, &rules(ROYALTY - 1), None), Error::<Test>::RoyaltyTooHigh);
		let model = mlp(63, 10);
		assert_noop!(
			DataMarket::join(
				&OWNER,
				id,
				DatasetRequest { task: TASK, model: &model, rules: &rules(ROYALTY), epsilon: None }
			),
			Error::<Test>::SchemaMismatch
		);
		let mut listed_only = rules(ROYALTY);
		listed_only.allowlist = BoundedVec::truncate_from(vec![id + 1]);
		assert_noop!(join_as(OWNER, id, &listed_only, None), Error::<Test>::NotAllowlisted);
		let mut reputable = rules(ROYALTY);
		reputable.min_reputation = 500_000;
		assert_noop!(join_as(OWNER, id, &reputable, None), Error::<Test>::ReputationTooLow);
		DataMarket::record_score(id, 600_000);
		assert_ok!(join_as(OWNER, id, &reputable, None));
	});
}

#[test]
fn paused_and_delisted_datasets_cannot_join() {
	test(|| {
		let id = list(OWNER, digits());
		assert_ok!(DataMarket::pause_dataset(RuntimeOrigin::signed(OWNER), id));
		assert_noop!(join_as(OWNER, id, &rules(ROYALTY), None), Error::<Test>::NotListed);
		let other = list(OWNER, digits());
		assert_ok!(DataMarket::delist_dataset(RuntimeOrigin::signed(OWNER), other));
		assert_noop!(join_as(OWNER, other, &rules(ROYALTY), None), Error::<Test>::UnknownDataset);
	});
}

#[test]
fn a_private_dataset_joins_private_tasks_it_can_pay_and_spends_at_most_its_budget() {
	test(|| {
		let mut private = digits();
		private.privacy_budget = Some(3_000_000);
		let id = list(OWNER, private);
		assert_noop!(join_as(OWNER, id, &rules(ROYALTY), None), Error::<Test>::PrivacyRequired);
		assert_noop!(
			join_as(OWNER, id, &rules(ROYALTY), Some(3_000_001)),
			Error::<Test>::PrivacyBudgetExhausted
		);
		assert_ok!(join_as(OWNER, id, &rules(ROYALTY), Some(1_000_000)));
		for left in [2_000_000, 1_000_000, 0] {
			assert!(DataMarket::can_spend_privacy(id, 1_000_000));
			assert!(DataMarket::spend_privacy(id, 1_000_000));
			assert!(events().contains(&Event::PrivacySpent {
				dataset: id,
				epsilon: 1_000_000,
				left
			}));
		}
		assert!(!DataMarket::can_spend_privacy(id, 1));
		assert!(!DataMarket::spend_privacy(id, 1), "never below zero");
		assert_eq!(Datasets::<Test>::get(id).unwrap().privacy_spent, 3_000_000);
		// A dataset without a budget spends nothing and is never refused.
		let open = list(OTHER_OWNER, digits());
		assert!(DataMarket::spend_privacy(open, u32::MAX));
		assert_eq!(Datasets::<Test>::get(open).unwrap().privacy_spent, 0);
		assert!(!DataMarket::can_spend_privacy(42, 0), "no dataset, no spending");
	});
}

#[test]
fn scores_move_the_reputation_as_a_moving_average() {
	test(|| {
		let id = list(OWNER, digits());
		// From the neutral 500,000: an eighth of the way to 800,000, then to 0.
		DataMarket::record_score(id, 800_000);
		assert_eq!(Datasets::<Test>::get(id).unwrap().reputation, Some(537_500));
		DataMarket::record_score(id, 0);
		assert_eq!(Datasets::<Test>::get(id).unwrap().reputation, Some(470_312));
		// Each score is also a judgement of the owner's work as a data owner.
		assert_eq!(
			reports(),
			vec![
				Report::Quality(OWNER, Role::DataOwner, 800_000),
				Report::Quality(OWNER, Role::DataOwner, 0)
			]
		);
		assert!(events().contains(&Event::DatasetScored {
			dataset: id,
			score: 0,
			reputation: 470_312
		}));
	});
}

/// Two datasets of two owners in one task, the task owner's budget held.
fn settled_round() -> (DatasetId, DatasetId, Balance) {
	let a = list(OWNER, digits());
	let b = list(OTHER_OWNER, digits());
	assert_ok!(join_as(OWNER, a, &rules(ROYALTY), None));
	assert_ok!(join_as(OTHER_OWNER, b, &rules(ROYALTY), None));
	let budget_held = 10 * ROYALTY;
	assert_ok!(Balances::hold(&budget(), &TASK_OWNER, budget_held));
	let uses = [
		DatasetUse { dataset: a, owner: OWNER, trainer: OWNER, score: 900_000, royalty: ROYALTY },
		DatasetUse {
			dataset: b,
			owner: OTHER_OWNER,
			trainer: OTHER_OWNER,
			score: 850_000,
			royalty: ROYALTY,
		},
	];
	let paid = DataMarket::settle_round(TASK, 0, &TASK_OWNER, &budget(), &uses, true);
	(a, b, paid)
}

/// A private task's royalties (or a task owner's royalty to itself) are paid but count for no
/// emission: paying oneself, or through one's own committee, is not demand.
#[test]
fn royalties_of_a_private_task_or_to_the_payer_earn_no_emission() {
	test(|| {
		let a = list(OWNER, digits());
		let mine = list(TASK_OWNER, digits());
		assert_ok!(join_as(OWNER, a, &rules(ROYALTY), None));
		assert_ok!(join_as(TASK_OWNER, mine, &rules(ROYALTY), None));
		assert_ok!(Balances::hold(&budget(), &TASK_OWNER, 10 * ROYALTY));
		let uses = [
			DatasetUse {
				dataset: a,
				owner: OWNER,
				trainer: OWNER,
				score: 900_000,
				royalty: ROYALTY,
			},
			DatasetUse {
				dataset: mine,
				owner: TASK_OWNER,
				trainer: TASK_OWNER,
				score: 900_000,
				royalty: ROYALTY,
			},
		];
		let before = free(OWNER);
		assert_eq!(
			DataMarket::settle_round(TASK, 0, &TASK_OWNER, &budget(), &uses, false),
			2 * ROYALTY
		);
		assert_eq!(free(OWNER), before + ROYALTY, "a private task still pays");
		assert!(!reports().iter().any(|r| matches!(r, Report::Contribution(..))));
		// Public: the stranger's royalty counts, the owner's to itself does not.
		DataMarket::settle_round(TASK, 1, &TASK_OWNER, &budget(), &uses, true);
		let counted: Vec<_> =
			reports().into_iter().filter(|r| matches!(r, Report::Contribution(..))).collect();
		assert_eq!(counted, vec![Report::Contribution(OWNER, Role::DataOwner, ROYALTY)]);
	});
}

#[test]
fn royalties_move_from_the_task_budget_to_the_owners_to_the_unit() {
	test(|| {
		let issuance = Balances::total_issuance();
		let owner_before = free(OWNER);
		let (a, b, paid) = settled_round();
		assert_eq!(paid, 2 * ROYALTY);
		// Each owner's royalty is its contribution as a data owner, which emission follows.
		assert_eq!(
			reports(),
			vec![
				Report::Contribution(OWNER, Role::DataOwner, ROYALTY),
				Report::Contribution(OTHER_OWNER, Role::DataOwner, ROYALTY)
			]
		);
		// Listing deposits were held from the owners before; the royalties add to their free
		// balances exactly.
		let deposit_a = Datasets::<Test>::get(a).unwrap().deposit;
		assert_eq!(free(OWNER), owner_before - deposit_a + ROYALTY);
		assert_eq!(Balances::balance_on_hold(&budget(), &TASK_OWNER), 8 * ROYALTY);
		assert_eq!(Balances::total_issuance(), issuance, "nothing created or lost");
		assert!(events().contains(&Event::RoyaltyPaid {
			task: TASK,
			round: 0,
			dataset: b,
			owner: OTHER_OWNER,
			amount: ROYALTY
		}));
		let info = Datasets::<Test>::get(a).unwrap();
		assert_eq!((info.rounds, info.royalties), (1, ROYALTY));
		assert_eq!(
			DatasetTasks::<Test>::get(a, TASK),
			Some(TaskUse { active: true, rounds: 1, royalties: ROYALTY })
		);
	});
}

#[test]
fn a_royalty_the_budget_cannot_cover_is_not_paid_nor_recorded_as_paid() {
	test(|| {
		let a = list(OWNER, digits());
		assert_ok!(join_as(OWNER, a, &rules(ROYALTY), None));
		assert_ok!(Balances::hold(&budget(), &TASK_OWNER, ROYALTY - 1));
		let issuance = Balances::total_issuance();
		let uses =
			[DatasetUse { dataset: a, owner: OWNER, trainer: OWNER, score: 1, royalty: ROYALTY }];
		assert_eq!(DataMarket::settle_round(TASK, 0, &TASK_OWNER, &budget(), &uses, true), 0);
		assert_eq!(Balances::balance_on_hold(&budget(), &TASK_OWNER), ROYALTY - 1);
		assert_eq!(Lineage::<Test>::get(TASK, 0).unwrap()[0].royalty, 0);
		assert!(reports().is_empty(), "an unpaid royalty is no contribution");
		assert_eq!(Balances::total_issuance(), issuance);
		assert_ok!(Balances::release(&budget(), &TASK_OWNER, ROYALTY - 1, Precision::Exact));
	});
}

#[test]
fn lineage_traces_rounds_to_datasets_and_datasets_to_tasks() {
	test(|| {
		let (a, b, _) = settled_round();
		let uses = [DatasetUse { dataset: a, owner: OWNER, trainer: OWNER, score: 1, royalty: 0 }];
		DataMarket::settle_round(TASK, 1, &TASK_OWNER, &budget(), &uses, true);
		let lineage = DataMarket::task_lineage(TASK);
		assert_eq!(lineage.iter().map(|r| r.round).collect::<Vec<_>>(), vec![0, 1]);
		assert_eq!(lineage[0].datasets.iter().map(|u| u.dataset).collect::<Vec<_>>(), vec![a, b]);
		assert_eq!(lineage[0].datasets[1].owner, OTHER_OWNER);
		assert_eq!(lineage[1].datasets.len(), 1);
		assert!(events().contains(&Event::LineageRecorded { task: TASK, round: 0, datasets: 2 }));
		let tasks = DataMarket::dataset_tasks(a);
		assert_eq!(tasks.len(), 1);
		assert_eq!(
			(tasks[0].task, tasks[0].usage.rounds, tasks[0].usage.royalties),
			(TASK, 2, ROYALTY)
		);
		assert_eq!(
			DataMarket::datasets_of(OWNER).iter().map(|(d, _)| *d).collect::<Vec<_>>(),
			vec![a]
		);
		assert_eq!(DataMarket::dataset(b).unwrap().owner, OTHER_OWNER);
	});
}

#[test]
fn total_issuance_is_unchanged_by_market_operations() {
	test(|| {
		let issuance = Balances::total_issuance();
		let (a, _, _) = settled_round();
		assert_ok!(DataMarket::add_delegate(RuntimeOrigin::signed(OWNER), a, WORKER));
		assert_ok!(DataMarket::update_dataset(
			RuntimeOrigin::signed(OWNER),
			a,
			digits().name,
			digits().description,
			Licence::Access { price: 50, period: 10 },
			ROYALTY
		));
		assert_ok!(DataMarket::buy_access(RuntimeOrigin::signed(STRANGER), a, 50, 10));
		DataMarket::leave(TASK, a);
		assert_ok!(DataMarket::delist_dataset(RuntimeOrigin::signed(OWNER), a));
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(
			Balances::total_balance(&OWNER)
				+ Balances::total_balance(&OTHER_OWNER)
				+ Balances::total_balance(&STRANGER)
				+ Balances::total_balance(&TASK_OWNER),
			4 * ENDOWMENT,
			"what moved, moved between these four"
		);
	});
}
