// The score gate as the chain keeps it and judges by (`cohort_primitives::judgement`), for tests
// that make tasks and check verdicts from the scores they read.

/**
 * The gate docs/scoring.md recommends, field for field as the engine's RECOMMENDED_GATE
 * (offchain-workers/engine/src/simulate.rs): accept within 50 000 of the round's median score
 * or four times the round's spread (at least 300 000), slash beyond 350 000 or ten times the
 * spread, clip at 150 % of the median norm, no update above the median weight, copies
 * within 0.1 % of another's direction, free riders under 5 % of the median norm, aggregators
 * within 300 000 of the committee's scores.
 */
export const RECOMMENDED_GATE = Object.freeze({
  acceptWithin: 50_000,
  acceptSpreadPercent: 400,
  slashBeyond: 350_000,
  slashSpreadPercent: 1_000,
  minScore: 300_000,
  clipNormPercent: 150,
  maxWeightPercent: 100,
  copyDistanceMicros: 1_000,
  minNormPercent: 5,
  scoreTolerance: 300_000,
});

/** However far below its round, an update scoring at least this is never penalised
 * (`cohort_primitives::judgement::NEVER_SLASHED_FROM`). */
export const NEVER_SLASHED_FROM = 550_000;

/**
 * Each score's verdict `{ accepted, slashed }` under `gate`, as the chain judges: against the
 * upper median of the scores reaching `minScore` and their spread (the upper median distance
 * from it, 0 for fewer than three); nothing accepted or slashed without one.
 */
export function judge(scores, gate) {
  const cohort = scores.filter((s) => s >= gate.minScore).sort((a, b) => a - b);
  if (cohort.length === 0) return scores.map(() => ({ accepted: false, slashed: false }));
  const median = cohort[Math.floor(cohort.length / 2)];
  const distances = cohort.map((s) => Math.abs(s - median)).sort((a, b) => a - b);
  const spread = distances.length < 3 ? 0 : distances[Math.floor(distances.length / 2)];
  const accept = Math.max(gate.acceptWithin, Math.floor((spread * gate.acceptSpreadPercent) / 100));
  const slash = Math.max(gate.slashBeyond, Math.floor((spread * gate.slashSpreadPercent) / 100));
  return scores.map((s) => {
    const below = Math.max(0, median - s);
    return { accepted: s >= gate.minScore && below <= accept, slashed: below > slash && s < NEVER_SLASHED_FROM };
  });
}
