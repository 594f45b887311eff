#!/usr/bin/env bash
# run.report-recommend: the report answers first (issue 19). Its first section is the
# Recommendation: one row per profile per scenario with the recommending rule's pick from the
# store (k, accuracy, cost, latency) and its P(pick) over the replications; the section names the
# rule. --recommend accuracy-max recommends that rule's picks instead; an unknown rule is an error
# (exit code != 0) listing the run's rules; without a knee-point optimizer the default falls back
# to the first rule using the knee-point plugin and says so. Provenance comes after the
# recommendation, and the HTML has an anchored row and a table-of-contents link per
# recommendation, every link resolving to an element. Small synthetic manifests (3 replications of
# 200 trials; the second exact), no figures.
#   usage: bash recommend.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init report-recommend "$@"
check=$SRC/tests/report/check_recommendation.py

# Synthetic profiles and budgets: "strict" is infeasible for both profiles (no k reaches
# accuracy 0.999), so the infeasible rows are tested too.
cat >"$WORK/rec.yaml" <<'EOF'
kcube: 1
experiment: recommend-test
profiles:
  big:
    plugin: gaussian
    params: {display_name: Big model, c_in: 1.25e-6, c_out: 1.0e-5, t_in: 0.0005, t_out: 0.005,
             acc_mean: 0.80, acc_std: 0.10}
  small:
    plugin: gaussian
    params: {c_in: 2.5e-7, c_out: 2.0e-6, t_in: 0.00025, t_out: 0.002, acc_mean: 0.65,
             acc_std: 0.15}
scenarios:
  balanced:
    plugin: budget
    params: {cost_max: 0.5, latency_max: 120, accuracy_min: 0.5, parallelism: 4, k_max: 32}
  strict:
    plugin: budget
    params: {cost_max: 0.5, latency_max: 120, accuracy_min: 0.999, parallelism: 4, k_max: 8}
optimizers:
  accuracy-max: {plugin: accuracy-max}
  cube-max: {plugin: cube-max}
  knee-point: {plugin: knee-point}
run: {evaluator: monte-carlo, trials: 200, replications: 3, seed: 7}
EOF
store=$WORK/rec.sqlite

step "run: 2 profiles x 2 scenarios x 3 replications"
run run "$KCUBE" run "$WORK/rec.yaml" --store "$store" --quiet
check_run_finished "$store" 1 12
run export "$KCUBE" export "$store" --table selections --format csv -o "$WORK/selections.csv"

step "report with the default rule (knee-point)"
run report "$KCUBE" report "$store" --out "$WORK/default" --no-figures
python3 "$check" "$WORK/default" "$WORK/selections.csv" knee-point default ||
  fail "the default recommendation is wrong (above)"

step "report --recommend accuracy-max"
run report-acc "$KCUBE" report "$store" --out "$WORK/acc" --no-figures --recommend accuracy-max
python3 "$check" "$WORK/acc" "$WORK/selections.csv" accuracy-max asked ||
  fail "the accuracy-max recommendation is wrong (above)"

step "report --recommend with a rule the run does not have"
# kcube::Error: exit code 2.
expect_exit 2 report-unknown "$KCUBE" report "$store" --out "$WORK/unknown" --no-figures \
  --recommend knee
expect_err report-unknown "'knee' is not an optimizer of this run"
expect_err report-unknown "its optimizers are: accuracy-max, cube-max, knee-point"
no_file "$WORK/unknown/report.md" "a report with an unknown --recommend rule"

step "the default without a knee-point optimizer falls back, and says so"
sed -e 's/^  knee-point: {plugin: knee-point}/  knee: {plugin: knee-point}/' \
  -e 's/^run: .*/run: {evaluator: exact, seed: 7}/' "$WORK/rec.yaml" >"$WORK/renamed.yaml"
grep -q '^  knee: {plugin: knee-point}' "$WORK/renamed.yaml" || fail "the manifest edit failed"
run run-renamed "$KCUBE" run "$WORK/renamed.yaml" --store "$WORK/renamed.sqlite" --quiet
run export-renamed "$KCUBE" export "$WORK/renamed.sqlite" --table selections --format csv \
  -o "$WORK/renamed.csv"
run report-renamed "$KCUBE" report "$WORK/renamed.sqlite" --out "$WORK/renamed" --no-figures
python3 "$check" "$WORK/renamed" "$WORK/renamed.csv" knee fallback ||
  fail "the fallback recommendation is wrong (above)"
