#!/usr/bin/env bash
# distributed.bootstrap: run.bootstrap resamples the questions of a sample log with counter-based
# streams, so a cell's intervals (accuracy_lo ... latency_hi) and its rules' pick frequencies
# (pick_share, pick_distribution) are the same whoever runs it: the exported candidates and
# selections are identical byte for byte with --threads 1, --threads 2 and, when an MPI launcher
# is given, `mpirun -np 2`; for the Monte Carlo and the exact evaluator. A profile without a log
# gets a note instead, and a negative run.bootstrap is refused. `kcube simulate --bootstrap` gives
# the same intervals as the run (same seed, cell identity and resamples).
#   usage: bash bootstrap.sh KCUBE SOURCE_DIR SCRATCH_DIR [MPIEXEC]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init bootstrap "$@"
MPIEXEC=${4:-}
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_plm=isolated
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# Game of 24 chain of thought at GPT-4's prices, k up to 20, 200 resamples; two aggregators (the
# same resamples for both) and three rules.
cat >"$WORK/boot.yaml" <<EOF
kcube: 1
experiment: bootstrap-determinism
profiles:
  cot:
    plugin: samples
    params: {path: $SRC/experiments/data/game24-cot-gpt4.csv, c_in: 3.0e-5, c_out: 6.0e-5}
scenarios:
  budget:
    plugin: budget
    params: {cost_max: 0.10, accuracy_min: 0.05, parallelism: 1, k_max: 20,
             latency_model: mean-wave, constraint_mode: mean}
aggregators:
  pass-at-k: {plugin: pass-at-k}
  majority-vote: {plugin: majority-vote}
optimizers:
  accuracy-max: {plugin: accuracy-max}
  knee-point: {plugin: knee-point, params: {method: chord}}
  cube-max: {plugin: cube-max}
run: {evaluator: monte-carlo, trials: 400, seed: 7, bootstrap: 200}
EOF

# exports STORE FILE: both exports of run 1 without the run id.
exports() {
  {
    "$KCUBE" export "$1" --table candidates --run 1 | cut -d, -f2-
    "$KCUBE" export "$1" --table selections --run 1 | cut -d, -f2-
  } >"$2" || fail "kcube export $1 failed"
}

for evaluator in monte-carlo exact; do
  step "$evaluator: --threads 1 is the reference"
  sets=(--set "run.evaluator=$evaluator")
  run "$evaluator-1" "$KCUBE" run "$WORK/boot.yaml" "${sets[@]}" --store "$WORK/$evaluator-1.sqlite" \
    --threads 1
  expect_out "$evaluator-1" "P(pick) "
  exports "$WORK/$evaluator-1.sqlite" "$WORK/$evaluator-1.csv"
  expect_in_file "$WORK/$evaluator-1.csv" "accuracy_lo,accuracy_hi,cost_lo,cost_hi,latency_lo,latency_hi"
  expect_in_file "$WORK/$evaluator-1.csv" "pick_share,pick_distribution"
  # Every selection has a share and a distribution, every candidate an interval around its mean.
  expect_eq "$evaluator: selections without a pick share" "$(sql "$WORK/$evaluator-1.sqlite" \
    "SELECT count(*) FROM selections WHERE pick_share IS NULL OR pick_distribution IS NULL")" 0
  expect_eq "$evaluator: candidates outside their interval" "$(sql "$WORK/$evaluator-1.sqlite" \
    "SELECT count(*) FROM candidates WHERE NOT (
       json_extract(extra, '$.accuracy_lo') <= accuracy + 1e-12 AND
       accuracy <= json_extract(extra, '$.accuracy_hi') + 1e-12 AND
       json_extract(extra, '$.cost_lo') <= cost * (1 + 1e-12) AND
       cost <= json_extract(extra, '$.cost_hi') * (1 + 1e-12))")" 0
  # The shares of a distribution sum to 1.
  expect_eq "$evaluator: distributions that do not sum to 1" "$(sql "$WORK/$evaluator-1.sqlite" \
    "SELECT count(*) FROM selections WHERE abs((SELECT sum(value) FROM
       json_each(pick_distribution)) - 1) > 1e-9")" 0

  step "$evaluator: kcube simulate --bootstrap gives the run's intervals"
  run "$evaluator-simulate" "$KCUBE" simulate --evaluator "$evaluator" --trials 400 --seed 7 \
    --bootstrap 200 --aggregator pass-at-k \
    --profile "samples:path=$SRC/experiments/data/game24-cot-gpt4.csv,c_in=3.0e-5,c_out=6.0e-5" \
    --scenario "budget:cost_max=0.10,accuracy_min=0.05,parallelism=1,k_max=20,latency_model=mean-wave,constraint_mode=mean"
  "$KCUBE" export "$WORK/$evaluator-1.sqlite" --table candidates --run 1 >"$WORK/$evaluator-export.csv"
  python3 - "$LOGS/$evaluator-simulate.out" "$WORK/$evaluator-export.csv" <<'PY' ||
import csv, sys
names = ["accuracy_lo", "accuracy_hi", "cost_lo", "cost_hi", "latency_lo", "latency_hi"]
simulated = {r["k"]: [r[n] for n in names] for r in csv.DictReader(open(sys.argv[1]))}
stored = {r["k"]: [r[n] for n in names] for r in csv.DictReader(open(sys.argv[2]))
          if r["aggregator"] == "pass-at-k"}
if simulated != stored or len(stored) != 20:
    for k in sorted(stored, key=int):
        if simulated.get(k) != stored[k]:
            print("k =", k, "simulate", simulated.get(k), "run", stored[k])
    sys.exit(1)
PY
    fail "$evaluator: kcube simulate --bootstrap and kcube run differ (above)"

  step "$evaluator: --threads 2 gives the same exports"
  run "$evaluator-2" "$KCUBE" run "$WORK/boot.yaml" "${sets[@]}" --store "$WORK/$evaluator-2.sqlite" \
    --threads 2 --quiet
  exports "$WORK/$evaluator-2.sqlite" "$WORK/$evaluator-2.csv"
  cmp -s "$WORK/$evaluator-1.csv" "$WORK/$evaluator-2.csv" || {
    diff "$WORK/$evaluator-1.csv" "$WORK/$evaluator-2.csv" | head -n 20 >&2
    fail "$evaluator: --threads 2 exported other values than --threads 1"
  }

  if [[ -n $MPIEXEC ]]; then
    step "$evaluator: mpirun -np 2 gives the same exports"
    launch_env=()
    [[ -n ${ASAN_OPTIONS:-} ]] && launch_env=(env "ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0")
    run "$evaluator-mpi" "${launch_env[@]}" "$MPIEXEC" -np 2 "$KCUBE" run "$WORK/boot.yaml" \
      "${sets[@]}" --store "$WORK/$evaluator-mpi.sqlite" --threads 1 --quiet
    exports "$WORK/$evaluator-mpi.sqlite" "$WORK/$evaluator-mpi.csv"
    cmp -s "$WORK/$evaluator-1.csv" "$WORK/$evaluator-mpi.csv" || {
      diff "$WORK/$evaluator-1.csv" "$WORK/$evaluator-mpi.csv" | head -n 20 >&2
      fail "$evaluator: mpirun -np 2 exported other values than one process"
    }
  fi
done

step "a profile without a log: a note, no intervals, no shares"
cat >"$WORK/synthetic.yaml" <<EOF
kcube: 1
experiment: bootstrap-synthetic
profiles:
  g:
    plugin: gaussian
    params: {c_in: 1.25e-6, c_out: 1.0e-5, t_in: 0.0005, t_out: 0.005, mu_Lin: 1024,
             sigma_Lin: 64, mu_Lout: 2048, sigma_Lout: 128, acc_mean: 0.94, acc_std: 0.02}
scenarios:
  s: {plugin: budget, params: {cost_max: 1.0, k_max: 8}}
optimizers:
  accuracy-max: {plugin: accuracy-max}
run: {evaluator: exact, bootstrap: 50}
EOF
run synthetic "$KCUBE" run "$WORK/synthetic.yaml" --store "$WORK/synthetic.sqlite"
expect_output synthetic "this profile has none: replications give P(pick)"
expect_eq "pick shares of a synthetic profile" "$(sql "$WORK/synthetic.sqlite" \
  "SELECT count(*) FROM selections WHERE pick_share IS NOT NULL")" 0

step "a negative run.bootstrap is refused"
expect_exit 2 negative "$KCUBE" run "$WORK/boot.yaml" --set run.bootstrap=-1 \
  --store "$WORK/negative.sqlite"
expect_err negative "run.bootstrap"
expect_err negative "must be an integer >= 0"
