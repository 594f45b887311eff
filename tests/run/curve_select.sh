#!/usr/bin/env bash
# run.curve-select: a `curve` profile built from a measured table gives, for every rule
# (accuracy-max, cube-max, utopia-closest, knee-point with both methods), the same picks in a
# manifest run as `kcube select` on that table: experiments/examples/measured-candidates.csv and a
# copy of it with quantile columns, under caps on cost and latency, an accuracy floor, an
# infeasible floor, a grid of every k and chance constraints. Then what is refused with a message
# that says what to do: the Monte Carlo evaluator (kcube run and kcube simulate) and an aggregator
# other than max-accuracy, and a scenario whose grid holds none of the table's k. `kcube simulate
# --evaluator exact` prints the table as it is.
#   usage: bash curve_select.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init curve-select "$@"
measured=$SRC/experiments/examples/measured-candidates.csv
quantiles=$WORK/measured-quantiles.csv
# The measured table with chance-constraint columns: the 95 % quantiles of cost and latency and
# the 5 % quantile of accuracy.
python3 - "$measured" "$quantiles" <<'PY'
import csv, sys
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
with open(sys.argv[2], "w") as f:
    f.write("k,cost,latency,accuracy,cost_p95,latency_p95,accuracy_p05\n")
    for r in rows:
        c, t, a = float(r["cost"]), float(r["latency"]), float(r["accuracy"])
        f.write(f"{r['k']},{c},{t},{a},{1.3 * c},{1.25 * t},{a - 0.04}\n")
PY

# Scenario name and budget parameters, as kcube select takes them.
scenarios=(
  "open=parallelism=4,k_max=64"
  "cost=parallelism=4,k_max=64,cost_max=0.10"
  "latency=parallelism=4,k_max=64,latency_max=20,accuracy_min=0.95"
  "floor=parallelism=4,k_max=64,accuracy_min=0.97,cost_max=0.2"
  "infeasible=parallelism=4,k_max=64,accuracy_min=0.999"
  "every-k=parallelism=2,k_step=1,k_max=100,cost_max=0.15"
  "chance=parallelism=4,k_max=64,cost_max=0.08,latency_max=30,constraint_mode=chance,confidence=0.95"
)
optimizers=(accuracy-max cube-max utopia-closest knee-point:method=chord knee-point:method=curvature)

manifest=$WORK/curves.yaml
{
  echo "kcube: 1"
  echo "experiment: curve-select"
  echo "profiles:"
  echo "  measured: {plugin: curve, params: {path: $measured}}"
  echo "  quantiles: {plugin: curve, params: {path: $quantiles}}"
  echo "scenarios:"
  for s in "${scenarios[@]}"; do
    params=${s#*=}
    params=${params//=/: }
    # Chance constraints need the quantile columns, which only the second table has.
    pair=""
    [[ ${s%%=*} == chance ]] && pair=", profiles: [quantiles]"
    echo "  ${s%%=*}: {plugin: budget, params: {${params//,/, }}$pair}"
  done
  echo "optimizers:"
  i=0
  for o in "${optimizers[@]}"; do
    i=$((i + 1))
    if [[ $o == *:* ]]; then
      echo "  rule$i: {plugin: ${o%%:*}, params: {method: ${o##*=}}}"
    else
      echo "  rule$i: {plugin: $o}"
    fi
  done
  echo "run: {evaluator: exact}"
} >"$manifest"

step "kcube run: 2 curve profiles x ${#scenarios[@]} scenarios (chance: one), exact evaluator"
store=$WORK/c.sqlite
run run "$KCUBE" run "$manifest" --store "$store" --quiet
check_run_finished "$store" 1 $((2 * ${#scenarios[@]} - 1))

optimizer_args=()
for o in "${optimizers[@]}"; do
  optimizer_args+=(--optimizer "$o")
done
for profile in measured quantiles; do
  file=$measured
  [[ $profile == quantiles ]] && file=$quantiles
  for s in "${scenarios[@]}"; do
    name=${s%%=*}
    [[ $name == chance && $profile == measured ]] && continue
    step "$profile, $name: kcube select against the run's picks"
    run "select-$profile-$name" "$KCUBE" select "$file" --scenario "budget:${s#*=}" \
      "${optimizer_args[@]}" --json
    sql "$store" "SELECT s.status, ifnull(s.k, ''), quote(s.cost), quote(s.latency),
                         quote(s.accuracy)
                  FROM selections s WHERE s.run_id = 1 AND s.profile = '$profile'
                  AND s.scenario = '$name' ORDER BY s.position" >"$WORK/run-$profile-$name.txt"
    python3 - "$LOGS/select-$profile-$name.out" "$WORK/run-$profile-$name.txt" <<'PY' ||
import json, sys
picks = json.load(open(sys.argv[1]))
stored = [line.split("|") for line in open(sys.argv[2]).read().splitlines()]
assert len(picks) == 5 and len(stored) == 5, f"{len(picks)} picks by select, {len(stored)} stored"
def real(text):
    return None if text == "NULL" else float(text)
for p, (status, k, cost, latency, accuracy) in zip(picks, stored):
    want = (p["status"], "" if p["k"] is None else str(p["k"]))
    assert want == (status, k), f"{p['spec']}: select picks {want}, the run {(status, k)}"
    for name, value in (("cost", cost), ("latency", latency), ("accuracy", accuracy)):
        assert p[name] == real(value), f"{p['spec']}: {name} {p[name]} by select, {value} stored"
print("; ".join(f"{p['spec']} {p['status']} k={p['k']}" for p in picks))
PY
      fail "$profile, $name: the run's picks differ from kcube select's (above)"
  done
done
# The scenarios pick different k: a comparison of identical picks would prove little.
distinct=$(sql "$store" "SELECT count(DISTINCT ifnull(k, 0)) FROM selections WHERE run_id = 1")
[[ $distinct -ge 4 ]] || fail "the run picked only $distinct distinct k over all rules and scenarios"

step "Monte Carlo is refused before the run, naming the profile and the fix"
expect_exit 2 mc "$KCUBE" run "$manifest" --set run.evaluator=monte-carlo --set run.trials=20 \
  --store "$WORK/mc.sqlite" --quiet
expect_err mc "serves a measured curve (expected values per k), which has no samples to draw"
expect_err mc "use the exact evaluator"
no_file "$WORK/mc.sqlite" "a refused Monte Carlo run"

step "another aggregator is refused: a measured curve is already aggregated"
sed 's/^run: .*/aggregators: {vote: {plugin: pass-at-k}}\nrun: {evaluator: exact}/' \
  "$manifest" >"$WORK/vote.yaml"
expect_exit 2 vote "$KCUBE" run "$WORK/vote.yaml" --store "$WORK/vote.sqlite" --quiet
expect_err vote "serves a measured curve, which is already aggregated"
no_file "$WORK/vote.sqlite" "a refused run"

step "a scenario whose grid holds none of the table's k is refused before the run"
sed 's/^  open: {plugin: budget, params: {parallelism: 4, k_max: 64}}/  open: {plugin: budget, params: {parallelism: 3, k_max: 30}}/' \
  "$manifest" >"$WORK/grid.yaml"
grep -q "parallelism: 3, k_max: 30" "$WORK/grid.yaml" || fail "grid.yaml: the scenario was not changed"
expect_exit 2 grid "$KCUBE" validate "$WORK/grid.yaml"
expect_err grid "2 measured curve and scenario pairs have no k in common (nothing was run)"
expect_err grid "with scenarios.open (defined at $WORK/grid.yaml:"
expect_err grid "none of the table's k (4, 8, 16, 32, 64) is on the deployment's k grid (3, 6, ..., 30"

step "kcube simulate: exact prints the measured rows, Monte Carlo is refused"
run sim "$KCUBE" simulate --profile "curve:path=$measured" \
  --scenario "budget:parallelism=4,k_max=64" --evaluator exact -o "$WORK/sim.csv"
python3 - "$measured" "$WORK/sim.csv" <<'PY' || fail "kcube simulate changed the measured rows"
import csv, sys
want = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
got = list(csv.DictReader(open(sys.argv[2])))
assert len(want) == len(got), (len(want), len(got))
for w, g in zip(want, got):
    for c in ("k", "cost", "latency", "accuracy"):
        assert float(w[c]) == float(g[c]), (c, w[c], g[c])
PY
expect_exit 2 sim-mc "$KCUBE" simulate --profile "curve:path=$measured" \
  --scenario "budget:parallelism=4,k_max=64" --trials 20
expect_err sim-mc "use the exact evaluator"
