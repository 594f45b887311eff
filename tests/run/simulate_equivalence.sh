#!/usr/bin/env bash
# run.simulate-equivalence: replication 0 uses the manifest's seed itself, so `kcube run` of a
# one-profile, one-scenario manifest with 1 replication stores the very candidate table that
# `kcube simulate` prints for the same profile, scenario, seed, trials and sampling. Checked for
# both sampling schemes and a seed other than the default.
#   usage: bash simulate_equivalence.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init simulate-equivalence "$@"
profile="c_in=2.5e-7,c_out=2.0e-6,t_in=0.00025,t_out=0.002,mu_Lin=1024,sigma_Lin=64,mu_Lout=2048,sigma_Lout=128,acc_mean=0.92,acc_std=0.03"
scenario="cost_max=0.50,latency_max=60,accuracy_min=0.88,parallelism=4,k_max=32"
cat >"$WORK/one.yaml" <<YAML
kcube: 1
experiment: one-cell
profiles:
  mini: {plugin: gaussian, params: {${profile//=/: }}}
scenarios:
  balanced: {plugin: budget, params: {${scenario//=/: }}}
optimizers:
  cube-max: {plugin: cube-max}
run: {trials: 500, replications: 1, seed: 7, sampling: nested}
YAML
sed -i 's/,/, /g' "$WORK/one.yaml"

i=0
for sampling in nested independent; do
  i=$((i + 1))
  step "$sampling: kcube simulate against kcube run"
  run "simulate-$sampling" "$KCUBE" simulate --profile "gaussian:$profile" --scenario "budget:$scenario" \
    --trials 500 --seed 7 --sampling "$sampling" -o "$WORK/sim-$sampling.csv"
  run "run-$sampling" "$KCUBE" run "$WORK/one.yaml" --set run.sampling="$sampling" \
    --store "$WORK/s.sqlite" --quiet
  run "export-$sampling" "$KCUBE" export "$WORK/s.sqlite" --table candidates --run "$i" \
    -o "$WORK/run-$sampling.csv"
  python3 - "$WORK/sim-$sampling.csv" "$WORK/run-$sampling.csv" <<'PY' ||
import csv, sys
sim = list(csv.DictReader(open(sys.argv[1])))
run = list(csv.DictReader(open(sys.argv[2])))
assert sim, "simulate printed no rows"
assert len(sim) == len(run), f"simulate has {len(sim)} rows, the store {len(run)}"
columns = [c for c in sim[0] if c in run[0]]
assert "k" in columns and "accuracy" in columns and "cost_p975" in columns, columns
for s, r in zip(sim, run):
    for c in columns:
        # Bit-identical numbers: both print shortest round-trip reals.
        assert float(s[c]) == float(r[c]), f"k={s['k']} {c}: simulate {s[c]}, run {r[c]}"
PY
    fail "$sampling: the stored candidates differ from kcube simulate's (above)"
done
