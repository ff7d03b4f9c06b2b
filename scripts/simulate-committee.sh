#!/usr/bin/env bash
# Colluding aggregators, in numbers: a share F of a ten-member committee colludes with three
# attacking owners of ten (reveals 0 for every honest update and 1,000,000 for the attackers'),
# for F = 0 … 0.5, on digits (label skew 2, −10 × attackers) and breast cancer (one class per
# owner, label flippers), 30 rounds. Prints Markdown rows (docs/simulation.md holds the output):
# accuracy, what the honest owners and the attackers earned, and how often honest and colluding
# aggregators strayed.
#
#   scripts/simulate-committee.sh [--seeds "1 2"]
#
# Not run in CI (about 20 minutes per seed on 2 cores; docs/simulation.md has the measured time).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

seeds="1 2"
while (($#)); do
	case "$1" in
	--seeds) seeds=$2; shift 2 ;;
	*) die "unknown flag $1" ;;
	esac
done

sim=$(release_simulator)
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

started=$SECONDS
echo "| dataset | split | attack | seed | F | accuracy | honest slashes | honest earned | attackers earned | honest aggregators strayed | colluders strayed |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for seed in $seeds; do
	for setting in "digits label-skew:2 scale:-10" "breast-cancer label-skew:1 label-flip"; do
		read -r dataset split attack <<<"$setting"
		for share in 0 0.1 0.2 0.3 0.4 0.5; do
			line=$("$sim" --dataset "$dataset" --owners 10 --split "$split" --rounds 30 \
				--aggregators 10 --colluding-aggregators "$share" --seed "$seed" \
				--attack "$attack" --attackers 3 --tally-at 30 2>&1 | grep '^tally ')
			echo "| $dataset | $split | $attack | $seed | $share | $(field accuracy <<<"$line") % | $(field honest_slashes <<<"$line") | $(field honest_earned <<<"$line") | $(field attacker_earned <<<"$line") | $(field honest_aggregators_strayed <<<"$line") | $(field colluders_strayed <<<"$line") |"
		done
	done
done
echo
echo "($((SECONDS - started)) s)"
