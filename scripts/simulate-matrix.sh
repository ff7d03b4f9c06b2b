#!/usr/bin/env bash
# The score gate on settings nobody tuned it for: every dataset, split, privacy setting and seed
# below, gated (the recommended gate) and ungated (plain FedAvg), with the engine's simulator
# (the worker's own training, scoring and aggregation, and the chain's own judgement). Each run
# is 100 rounds; its first 30 answer for the 30-round cells. Prints one Markdown row per cell
# (docs/simulation.md holds the output) and a last line saying whether every cell holds:
# no honest owner slashed, honest owners paid in at least 95 % of their rounds, accuracy at
# least the ungated run's minus 1 point.
#
#   scripts/simulate-matrix.sh [--rounds N] [--seeds "1 2 3"] [--quick]
#
# --quick: 30 rounds, seed 1, no DP (a few minutes). Not run in CI: the full matrix takes
# about an hour on 2 cores (docs/simulation.md has the measured time).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rounds=100
seeds="1 2 3"
dps=("" "1:0.5")
while (($#)); do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--seeds) seeds=$2; shift 2 ;;
	--quick) rounds=30; seeds=1; dps=(""); shift ;;
	*) die "unknown flag $1" ;;
	esac
done

sim=$(release_simulator)

# dataset owners label-skew-split
cells=(
	"digits 10 label-skew:2"
	"iris 5 label-skew:1"
	"breast-cancer 5 label-skew:1"
)
splits_of() { echo "iid $1 dirichlet:0.1 dirichlet:1.0"; }

checkpoints=$(printf '%s\n' 30 "$rounds" | sort -nu)
run() { # dataset owners split dp seed gate-flag -> the tally lines, or nothing if it cannot run
	local dp=() at=()
	[ -n "$4" ] && dp=(--dp "$4")
	for c in $checkpoints; do at+=(--tally-at "$c"); done
	"$sim" --dataset "$1" --owners "$2" --split "$3" "${dp[@]}" --seed "$5" --rounds "$rounds" \
		"${at[@]}" $6 2>&1 | grep '^tally ' || true
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

started=$SECONDS
held=yes
echo "| dataset | split | DP | seed | rounds | accuracy gated | ungated | honest slashed | honest paid | least-paid owner |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for cell in "${cells[@]}"; do
	read -r dataset owners skew <<<"$cell"
	for split in $(splits_of "$skew"); do
		for dp in "${dps[@]}"; do
			for seed in $seeds; do
				gated=$(run "$dataset" "$owners" "$split" "$dp" "$seed" "")
				ungated=$(run "$dataset" "$owners" "$split" "$dp" "$seed" "--no-gate")
				if [ -z "$gated" ]; then
					echo "| $dataset | $split | ${dp:-off} | $seed | – | cannot run: an owner gets no samples | | | | |"
					continue
				fi
				for at in $checkpoints; do
					g=$(grep "rounds=$at " <<<"$gated")
					u=$(grep "rounds=$at " <<<"$ungated")
					acc=$(field accuracy <<<"$g")
					base=$(field accuracy <<<"$u")
					slashes=$(field honest_slashes <<<"$g")
					paid=$(field honest_paid <<<"$g")
					worst=$(field worst_paid <<<"$g")
					share=$(awk -v p="$paid" 'BEGIN { split(p, a, "/"); printf "%.1f", 100 * a[1] / a[2] }')
					ok=$(awk -v a="$acc" -v b="$base" -v s="$slashes" -v sh="$share" \
						'BEGIN { print (s == 0 && sh >= 95 && a >= b - 1) ? "" : " ✗" }')
					[ -z "$ok" ] || held=no
					echo "| $dataset | $split | ${dp:-off} | $seed | $at | $acc % | $base % | $slashes | $paid ($share %)$ok | $(awk -v w="$worst" 'BEGIN { printf "%.0f %%", 100 * w }') |"
				done
			done
		done
	done
done
echo
echo "every cell holds: $held ($((SECONDS - started)) s)"
