#!/usr/bin/env bash
# misbehaving.scenario: a scenario that throws (std, kcube::Error, `throw 42`) in budget,
# deployment, required_columns or assess, or returns a budget with NaN or a negative cap, a
# deployment with P < 1 or an unknown latency model, a column no evaluator makes, or the wrong
# number of verdicts: its two cells are stored with status error naming the plugin and its file;
# the others finish; the run is marked failed and kcube run exits 1.
#   usage: bash scenario.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init scenario "$@"
bad='%|bad||0'

scenario() {
  echo --set "scenarios.bad.params.fault=$1" --set "scenarios.bad.params.where=$2"
}

step "budget"
fault_run budget-throw "$bad" "failed in budget: injected fault in budget" "$SCENARIO_SO" \
  $(scenario throw budget)
fault_run budget-throw-int "$bad" "failed in budget: it threw something that is not a std::exception" \
  "$SCENARIO_SO" $(scenario throw-int budget)
fault_run budget-nan "$bad" "returned a budget with cost_max = nan" "$SCENARIO_SO" \
  $(scenario nan budget)
fault_run budget-negative "$bad" "returned a budget with latency_max = -1" "$SCENARIO_SO" \
  $(scenario negative budget)

step "deployment"
fault_run deployment-throw-error "$bad" "failed in deployment: injected kcube::Error in deployment" \
  "$SCENARIO_SO" $(scenario throw-error deployment)
fault_run deployment-negative "$bad" "returned a deployment with parallelism -1" "$SCENARIO_SO" \
  $(scenario negative deployment)
fault_run deployment-bad-enum "$bad" "an unknown latency model (7)" "$SCENARIO_SO" \
  $(scenario nan deployment)
fault_run deployment-huge "$bad" "returned a deployment with k_max 2147483647 (must be at most" \
  "$SCENARIO_SO" $(scenario huge deployment)
fault_run deployment-throw-exact "$bad" "failed in deployment: injected fault" "$SCENARIO_SO" \
  $(scenario throw deployment) --set run.evaluator=exact

step "required_columns"
fault_run columns-throw "$bad" "failed in required_columns: injected fault" "$SCENARIO_SO" \
  $(scenario throw required_columns)
fault_run columns-unknown "$bad" "needs the column 'no_such_column'" "$SCENARIO_SO" \
  $(scenario unknown-column required_columns)

step "assess"
fault_run assess-throw "$bad" "failed in assess: injected fault in assess" "$SCENARIO_SO" \
  $(scenario throw assess)
fault_run assess-throw-error "$bad" "failed in assess: injected kcube::Error in assess" \
  "$SCENARIO_SO" $(scenario throw-error assess)
fault_run assess-throw-int "$bad" "failed in assess: it threw something that is not a std::exception" \
  "$SCENARIO_SO" $(scenario throw-int assess)
fault_run assess-wrong-count "$bad" "returned 7 verdicts for 8 candidates" "$SCENARIO_SO" \
  $(scenario wrong-count assess)
done_cases
