//! A federated-learning task as its owner describes it, and as the chain keeps it.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;

use crate::{
	dataset::{DatasetRules, Epsilon},
	round::MAX_SCORE,
	ModelSpec, RoundIndex, Score,
};

/// Where the first global model comes from.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum InitialModel {
	/// Every worker builds the same initial model from this seed.
	Seed(u64),
	/// A model the owner brings in: the BLAKE2-256 hash of an initial-model payload
	/// (`PayloadKind::Initial`, the task's parameter count and scale). No round starts until the
	/// owner has published the payload with `federated.publish_initial_model`; its bytes then
	/// stay in that block's body, and workers read it like any global model.
	Hash(H256),
}

/// The local optimiser.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Optimizer {
	Sgd,
	Adam,
}

/// Client-level differential privacy (DP-FedAvg): clip each update to an L2 norm, then add
/// Gaussian noise of standard deviation `noise_multiplier * clip_norm`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct DpParams {
	/// The clipping norm, in millionths.
	pub clip_norm_micros: u32,
	/// The noise multiplier, in millionths.
	pub noise_multiplier_micros: u32,
	/// The ε (at δ = [`PRIVACY_DELTA`](crate::dataset::PRIVACY_DELTA)) one round costs a dataset
	/// drawn into it, in millionths: its privacy budget is debited by this much, and the worker
	/// refuses to train if the noise gives a larger ε (see `docs/data-market.md`).
	pub epsilon_micros: Epsilon,
}

/// How each trainer trains locally. Real numbers are integers in millionths, because consensus
/// code reads them.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct TrainingParams {
	pub epochs: u16,
	pub batch_size: u16,
	pub optimizer: Optimizer,
	/// Learning rate, in millionths.
	pub learning_rate_micros: u32,
	/// FedProx's proximal term μ, in millionths; `None` is plain FedAvg.
	pub fedprox_mu_micros: Option<u32>,
	pub dp: Option<DpParams>,
}

/// How a round's accepted updates become one aggregate. Every rule runs in integer arithmetic
/// with one rounding rule, so every honest aggregator computes the same bytes.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum AggregationRule {
	/// FedAvg: the mean of the accepted updates, each weighted by the samples it was trained on
	/// (from its header, bounded by the task's `max_samples`).
	WeightedMean,
	/// Coordinate-wise trimmed mean: drop the `trim` largest and `trim` smallest values.
	TrimmedMean { trim: u32 },
	/// Coordinate-wise median.
	Median,
	/// Multi-Krum: assume at most `f` Byzantine updates, average the `m` with the best scores.
	MultiKrum { f: u32, m: u32 },
}

impl AggregationRule {
	/// Whether the rule can run on as few as `updates` accepted updates.
	pub fn works_with(&self, updates: u32) -> bool {
		match *self {
			AggregationRule::WeightedMean | AggregationRule::Median => updates >= 1,
			AggregationRule::TrimmedMean { trim } => {
				trim.checked_mul(2).is_some_and(|t| updates > t)
			},
			// Krum needs n > 2f + 2 to score, and selects 1..=n-f updates.
			AggregationRule::MultiKrum { f, m } => {
				f.checked_mul(2).and_then(|t| t.checked_add(2)).is_some_and(|t| updates > t)
					&& m >= 1 && m <= updates - f
			},
		}
	}
}

/// The length of each phase of a round, in blocks.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct PhaseLengths<BlockNumber> {
	/// Trainers train and commit.
	pub commit: BlockNumber,
	/// Trainers reveal their updates. It must be long enough for the blocks to carry every
	/// selected trainer's largest update (`create_task` checks).
	pub reveal: BlockNumber,
	/// Aggregators score every revealed update and commit to the scores.
	pub score: BlockNumber,
	/// Aggregators reveal their scores.
	pub score_reveal: BlockNumber,
	/// Aggregators aggregate the accepted updates, measure the new model and commit.
	pub aggregate: BlockNumber,
	/// Aggregators reveal their results.
	pub aggregate_reveal: BlockNumber,
}

/// How a round judges its updates: which enter the model, which are paid, which cost their
/// trainer part of its bond, and how much any one update may weigh. Scores are the lower median
/// of the aggregators' scores of an update (see `docs/scoring.md`); the gate compares each with
/// the round's own updates rather than with a fixed cosine, because what an honest update
/// scores depends on the task (how far training has come, differential privacy, how skewed the
/// owners' data is), while what sets a poisoned update apart is how far it falls below its
/// round's honest cohort. [`crate::judgement`] holds the arithmetic.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct ScoreGate {
	/// An update enters the model, and is paid, when its score is at most this far below the
	/// round's median score, or `accept_spread_percent` of the round's spread if that is more.
	pub accept_within: Score,
	/// The acceptance band in percent of the round's spread (the median distance of its
	/// scores from their median): rounds whose honest scores scatter widely (a converged
	/// model, unusual data) accept as widely, tight rounds tightly.
	pub accept_spread_percent: u32,
	/// A trainer whose update scores more than this far below the round's median score (and
	/// more than `slash_spread_percent` of the round's spread) loses `penalty` of its bond (at
	/// least `accept_within`). Copies, replays and free riders score 0 (`docs/scoring.md`).
	pub slash_beyond: Score,
	/// The penalty band in percent of the round's spread (at least `accept_spread_percent`).
	pub slash_spread_percent: u32,
	/// Whatever the round, an update scoring below this is not accepted (a floor for rounds
	/// with few updates, whose median says little); it is never a reason for a penalty.
	pub min_score: Score,
	/// Accepted updates whose L2 norm exceeds this percentage of the accepted updates' median
	/// norm are scaled down to it before aggregation (at least 100).
	pub clip_norm_percent: u32,
	/// No accepted update weighs more than this percentage of the accepted updates' median
	/// weight in the weighted mean (at least 100), however many samples it claims.
	pub max_weight_percent: u32,
	/// Aggregators score 0 an update whose distance to an earlier update of the round, or to
	/// the last global change, is at most this share of its own norm, in millionths: a copy
	/// (at most 1_000_000).
	pub copy_distance_micros: u32,
	/// Aggregators score 0 an update shorter than this percentage of the round's median update
	/// norm: a free rider (at most 100).
	pub min_norm_percent: u32,
	/// How far an aggregator's score for an update may lie outside the committee's scores for
	/// it (below their lower median or above their upper median) before the aggregator is
	/// penalised for it and earns nothing in the round. Honest aggregators differ by their
	/// reference seeds; `docs/scoring.md` has the measured spread.
	pub score_tolerance: Score,
}

impl ScoreGate {
	/// Whether the thresholds are in range and ordered, and the clip keeps the median.
	pub fn is_valid(&self) -> bool {
		self.accept_within <= self.slash_beyond
			&& self.slash_beyond <= MAX_SCORE
			&& self.accept_spread_percent <= self.slash_spread_percent
			&& self.slash_spread_percent <= 100_000
			&& self.min_score <= MAX_SCORE
			&& self.clip_norm_percent >= 100
			&& self.max_weight_percent >= 100
			&& self.copy_distance_micros <= 1_000_000
			&& self.min_norm_percent <= 100
			&& self.score_tolerance <= MAX_SCORE
	}
}

/// Everything a task owner decides when creating a task.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct TaskSpec<Balance, BlockNumber> {
	pub model: ModelSpec,
	pub initial_model: InitialModel,
	pub training: TrainingParams,
	/// Fixed-point scale of updates and aggregates: a parameter `p` is sent as `round(p * scale)`.
	pub scale: u32,
	pub aggregation: AggregationRule,
	/// Which updates enter the model.
	pub gate: ScoreGate,
	/// The most samples an update may claim to be trained on (its weight in the mean).
	pub max_samples: u32,
	/// How many rounds to run. A failed round counts.
	pub rounds: RoundIndex,
	/// A round needs at least this many trainers selected, committed and revealed.
	pub min_trainers: u32,
	/// At most this many trainers are selected per round.
	pub max_trainers: u32,
	/// Aggregators selected per round.
	pub aggregators: u32,
	/// How many aggregators must submit the same aggregate hash for it to be accepted.
	pub quorum: u32,
	pub phases: PhaseLengths<BlockNumber>,
	/// Upper bound on an update's or aggregate's payload, in bytes.
	pub max_payload_bytes: u32,
	/// Paid out of the task's budget for each finalized round.
	pub reward_per_round: Balance,
	/// The part of a round's reward that goes to the agreeing aggregators (in equal parts); the
	/// rest goes to the trainers of accepted updates, in proportion to their scores.
	pub aggregator_share: Perbill,
	/// The part of its bond a participant loses for not committing, not revealing, not
	/// scoring, not aggregating, disagreeing with the quorum, or an update scored beyond the
	/// gate's penalty band below its round. At least the chain's minimum; the bonds
	/// the task asks for grow as it shrinks (see [`TaskInfo::min_trainer_bond`]).
	pub penalty: Perbill,
	/// BLAKE2-256 of the validation set that contribution scores are measured on.
	pub validation_set: H256,
	/// What the datasets trainers join with must meet, and the most royalty per update.
	pub datasets: DatasetRules<Balance>,
}

/// Where a task is in its life.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum TaskStatus {
	/// Rounds start as soon as enough participants have joined.
	Active,
	/// The round under way finishes; no new round starts until the owner resumes.
	Paused,
	/// All rounds have run; what is left of the budget went back to the owner.
	Finished,
	/// The owner cancelled it; what was left of the budget went back to the owner.
	Cancelled,
	/// No round started for longer than the chain allows (too few participants, or paused
	/// too long); what was left of the budget went back to the owner.
	Expired,
	/// Its last rounds all failed, as many in a row as the chain allows: what was left of the
	/// budget went back to the owner, the storage deposit was forfeited. A task whose rounds
	/// never succeed holds a place among the active tasks that others need.
	Evicted,
}

impl TaskStatus {
	/// Whether the task is running or paused (it holds a budget and a place among the active
	/// tasks).
	pub fn is_live(&self) -> bool {
		matches!(self, TaskStatus::Active | TaskStatus::Paused)
	}
}

/// A task as the chain keeps it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct TaskInfo<AccountId, Balance, BlockNumber> {
	pub owner: AccountId,
	pub spec: TaskSpec<Balance, BlockNumber>,
	pub status: TaskStatus,
	/// What is still held from the owner for rewards.
	pub budget: Balance,
	/// What is held from the owner for the storage the task uses, until the task is pruned.
	pub deposit: Balance,
	/// The smallest bond a trainer may join with: the chain's minimum, or more, so that the
	/// penalty for a no-show is at least what a trainer earns in a round.
	pub min_trainer_bond: Balance,
	/// The same for aggregators.
	pub min_aggregator_bond: Balance,
	/// Parameters per update, from the model specification.
	pub parameter_count: u32,
	/// The round under way, or the next one to start.
	pub next_round: RoundIndex,
	/// The current global model: the aggregate of the last finalized round, or, before one,
	/// the initial model its owner published (`None`: none yet; a seeded task's workers build
	/// theirs from the seed).
	pub global_model: Option<crate::PayloadRef<BlockNumber>>,
	/// Trainers and aggregators who have joined (and not left).
	pub trainers: u32,
	pub aggregators: u32,
	pub created: BlockNumber,
	/// When the last round started (or the task was created): a live task with no round
	/// started for longer than the chain allows expires.
	pub last_round_started: BlockNumber,
	/// Rounds that failed since the last one that was finalized (or since the task was
	/// created): a task reaching the chain's limit is evicted.
	pub failed_in_a_row: u32,
	/// When the task ended (finished, cancelled or expired); it may be pruned some time after.
	pub ended: Option<BlockNumber>,
	/// How many accounts the owner's allowlist holds; 0: anyone may join.
	pub allowlist_len: u32,
	/// How many features its feature scaling covers (0: none).
	pub scaled_features: u32,
}

/// The fewest aggregators a public task's committee may have: fewer, and one party (the owner
/// with one or two accounts, one bought member) judges every update.
pub const PUBLIC_COMMITTEE: u32 = 3;

impl<AccountId, Balance, BlockNumber> TaskInfo<AccountId, Balance, BlockNumber> {
	/// Whether the task is public: anyone may join (no allowlist, so the owner cannot pick its
	/// own trainers, aggregators or leased workers) and each round is judged by a committee of
	/// at least [`PUBLIC_COMMITTEE`]. Only public tasks earn emission and move reputation. A
	/// private task is allowed, but its judges decide only over its owner's own budget: what it
	/// pays counts for no emission, and its scores and penalties move no reputation (an owner's
	/// own committee could otherwise farm emission, or score a stranger's dataset down).
	pub fn is_public(&self) -> bool {
		self.allowlist_len == 0 && self.spec.aggregators >= PUBLIC_COMMITTEE
	}
}
