#!/usr/bin/env bash
# run.validation-errors: a manifest with an unknown plugin and a bad parameter. `kcube validate`
# and `kcube run` exit 2 and report both problems as "file:line:col: key.path: ...", and the run
# creates no store: neither the manifest's default (results/<experiment>.sqlite under the
# current folder) nor one named by --store.
#   usage: bash validation.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init validation "$@"
manifest=$WORK/broken.yaml
# Line numbers matter: the plugin 'cube-maxx' is on line 15 col 13, method 'wobbly' on line 18.
cat >"$manifest" <<'YAML'
kcube: 1
experiment: broken-study
profiles:
  tiny:
    plugin: gaussian
    params: {c_in: 1.0e-6, c_out: 1.0e-5, t_in: 0.001, t_out: 0.01, mu_Lin: 100,
             sigma_Lin: 10, mu_Lout: 100, sigma_Lout: 10, acc_mean: 0.9, acc_std: 0.05}
scenarios:
  balanced:
    plugin: budget
    params: {cost_max: 0.5, latency_max: 60, accuracy_min: 0.88, parallelism: 4, k_max: 16}
optimizers:
  accuracy-max: {plugin: accuracy-max}
  pick:
    plugin: cube-maxx
  knee:
    plugin: knee-point
    params: {method: wobbly}
run:
  trials: 20
YAML
# The same manifest without the two mistakes is valid: the failures below are theirs.
sed -e 's/cube-maxx/cube-max/' -e 's/wobbly/chord/' "$manifest" >"$WORK/fixed.yaml"

check_problems() {
  local log=$1
  expect_err "$log" "broken.yaml:15:"
  expect_err "$log" "optimizers.pick.plugin"
  expect_err "$log" "cube-maxx"
  expect_err "$log" "broken.yaml:18:"
  expect_err "$log" "optimizers.knee.params.method"
  expect_err "$log" "wobbly"
  # A problem is a message, not a crash or a trace.
  ! grep -qiE 'terminate|assert|segmentation' "$LOGS/$log.err" || { show_log "$log"; fail "$log: crash text on stderr"; }
}

step "kcube validate of the fixed manifest passes"
run validate-fixed "$KCUBE" validate "$WORK/fixed.yaml"
expect_out validate-fixed valid
expect_eq "cells of the fixed manifest" "$(planned_cells validate-fixed)" 1

step "kcube validate reports both problems, exit 2"
expect_exit 2 validate "$KCUBE" validate "$manifest"
check_problems validate

step "kcube run with the default store: exit 2, no store, no results folder"
(cd "$WORK" && expect_exit 2 run-default "$KCUBE" run "$manifest" --quiet)
check_problems run-default
no_file "$WORK/results/broken-study.sqlite" "kcube run of an invalid manifest"
no_file "$WORK/results" "kcube run of an invalid manifest"

step "kcube run --store: exit 2, no store"
expect_exit 2 run-store "$KCUBE" run "$manifest" --store "$WORK/s.sqlite"
check_problems run-store
no_file "$WORK/s.sqlite" "kcube run --store of an invalid manifest"

step "an invalid --set is a validation error too: exit 2, no store"
expect_exit 2 run-set "$KCUBE" run "$WORK/fixed.yaml" --set run.trials=1 --store "$WORK/t.sqlite"
expect_err run-set "run.trials"
no_file "$WORK/t.sqlite" "kcube run with --set run.trials=1"

step "--max-cells below the plan is refused: exit 2, no store"
run validate-27 "$KCUBE" validate "$SRC/experiments/paper-2025.yaml" --max-cells 27
expect_exit 2 validate-26 "$KCUBE" validate "$SRC/experiments/paper-2025.yaml" --max-cells 26
expect_exit 2 run-26 "$KCUBE" run "$SRC/experiments/paper-2025.yaml" --max-cells 26 --store "$WORK/u.sqlite"
no_file "$WORK/u.sqlite" "kcube run over --max-cells"

step "--resume without a run to resume: exit 2"
expect_exit 2 resume-none "$KCUBE" run "$WORK/fixed.yaml" --resume --store "$WORK/r.sqlite" --quiet
