//! A task that starts from a model its owner brings in (`InitialModel::Hash`): no round before
//! the model is published, only the model the spec names, only by the owner, once.

use super::*;

/// An initial-model payload of the test model's 6 parameters.
fn initial_model(seed: i32) -> Vec<u8> {
	payload(PayloadKind::Initial, 0, 0, &[seed; PARAMS as usize])
}

/// The test spec, starting from `model`.
fn spec_from(model: &[u8]) -> TaskSpec<Balance, u64> {
	TaskSpec { initial_model: InitialModel::Hash(hash(model)), ..spec() }
}

fn publish(task: TaskId, model: &[u8]) -> frame_support::dispatch::DispatchResult {
	Federated::publish_initial_model(origin(OWNER), task, bounded(model.to_vec()))
}

#[test]
fn a_task_from_a_published_model_starts_once_its_owner_publishes_it_and_trains_from_it() {
	test(|| {
		let model = initial_model(9);
		let task = create(spec_from(&model));
		run_to_block(2);
		join_all(task);
		Federated::on_idle(2, Weight::MAX);
		run_to_block(4);
		assert!(Rounds::<Test>::get(task, 0).is_none(), "no round without the model");

		assert_ok!(publish(task, &model));
		let published = Tasks::<Test>::get(task).unwrap().global_model.expect("the model");
		assert_eq!(published.payload_hash, hash(&model));
		assert_eq!((published.len, published.block), (model.len() as u32, 4));
		assert_eq!(
			events().last(),
			Some(&Event::InitialModelPublished { task, model: published.clone() })
		);
		Federated::on_idle(4, Weight::MAX);
		assert_eq!(round(task, 0).phase, Phase::Commit, "the first round starts");
		assert_eq!(round(task, 0).global_model.as_ref(), Some(&published));
		assert!(
			matches!(&Federated::duties(&TRAINERS[0])[..], [Duty::Train { round: 0, global_model: Some(g), .. }] if *g == published),
			"trainers train from the published model"
		);
		to_aggregation(task, 0);
		let agg = aggregate_of(task, 0, 3);
		decide_all(task, 0, &agg);
		let after = Tasks::<Test>::get(task).unwrap().global_model.unwrap();
		assert_eq!(after.payload_hash, hash(&agg), "the first aggregate follows it");
	});
}

/// The owner cannot switch the model under participants who joined on the spec's hash, nor
/// bring one whose header or size does not fit the task (too large, empty); a stranger
/// publishes nothing, and a replay of the published bytes is refused.
#[test]
fn a_stranger_another_model_or_a_second_publication_changes_nothing() {
	test(|| {
		let model = initial_model(9);
		let task = create(spec_from(&model));
		assert_noop!(
			Federated::publish_initial_model(origin(TRAINERS[0]), task, bounded(model.clone())),
			Error::<Test>::NotOwner
		);
		assert_noop!(publish(task, &initial_model(10)), Error::<Test>::InitialModelMismatch);
		assert_noop!(publish(99, &model), Error::<Test>::UnknownTask);

		// Right hash, wrong header: the spec may name any bytes, the chain takes only a model.
		let aggregate = aggregate_of(0, 0, 9);
		let wrong_kind = create(spec_from(&aggregate));
		assert_noop!(publish(wrong_kind, &aggregate), Error::<Test>::PayloadHeaderMismatch);
		let short = payload(PayloadKind::Initial, 0, 0, &[9; PARAMS as usize - 2]);
		let wrong_size = create(spec_from(&short));
		assert_noop!(publish(wrong_size, &short), Error::<Test>::PayloadHeaderMismatch);

		// Too large for the task (the spec may name it; the task's payload bound still holds),
		// and empty: the two tasks above, naming these instead (the chain keeps few tasks).
		let huge = payload(PayloadKind::Initial, 0, 0, &[9; 300]);
		for (id, model, error) in [
			(wrong_kind, huge, Error::<Test>::PayloadTooLarge),
			(wrong_size, Vec::new(), Error::<Test>::MalformedPayload),
		] {
			Tasks::<Test>::mutate(id, |info| {
				info.as_mut().unwrap().spec.initial_model = InitialModel::Hash(hash(&model))
			});
			assert_noop!(publish(id, &model), error);
		}
		assert_noop!(publish(task, &[]), Error::<Test>::InitialModelMismatch);

		assert_ok!(publish(task, &model));
		// Published once: the same bytes again (a replay) or any other change nothing.
		assert_noop!(publish(task, &model), Error::<Test>::InitialModelAlreadyPublished);

		let seeded = crate::NextTaskId::<Test>::get();
		assert_ok!(Federated::create_task(origin(TRAINERS[1]), spec()));
		assert_noop!(
			Federated::publish_initial_model(origin(TRAINERS[1]), seeded, bounded(model.clone())),
			Error::<Test>::SeededTask
		);
	});
}

#[test]
fn a_task_whose_model_never_comes_expires_and_returns_its_budget() {
	test(|| {
		let model = initial_model(9);
		let task = create(spec_from(&model));
		run_to_block(2);
		join_all(task);
		run_to_block(TASK_EXPIRY + 2);
		assert!(events().contains(&Event::TaskExpired { task, refund: 2 * REWARD }));
		assert_eq!(held_budget(OWNER), 0);
		// The participants who waited for it lose nothing.
		for who in TRAINERS.into_iter().chain(AGGREGATORS) {
			assert_eq!(slashed(who), [], "{who} is not slashed");
		}
		assert_noop!(publish(task, &model), Error::<Test>::TaskEnded);
	});
}
