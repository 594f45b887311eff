#!/usr/bin/env bash
# misbehaving.cli: kcube simulate and kcube select with misbehaving plugins print one clear
# message naming the plugin and its file and exit 1 (2 for a factory's kcube::Error, the user's
# mistake); nothing crashes. select still prints the other optimizers' picks.
#   usage: bash cli.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init cli "$@"

# cli_case NAME CODE NEEDLE COMMAND...: COMMAND exits CODE with NEEDLE (unless empty) on stderr,
# and does not crash.
cli_case() {
  local name=$1 code=$2 needle=$3
  shift 3
  expect_exit "$code" "$name" "$@"
  [[ -z $needle ]] || expect_err "$name" "$needle"
  no_crash "$name"
  CASES=$((CASES + 1))
}

step "kcube simulate"
candidates=$WORK/candidates.csv
run simulate kc simulate --profile faulty-profile --scenario faulty-scenario --trials 50 -o "$candidates"
cli_case simulate-draw-int 1 \
  "failure: model profile 'faulty-profile' ($PROFILE_SO) failed in draw_path (trial 0): it threw something that is not a std::exception" \
  kc simulate --profile faulty-profile:fault=throw-int --scenario faulty-scenario --trials 50 --threads 2
cli_case simulate-draw-nan-thread-1 1 "drew a non-finite value" \
  kc simulate --profile faulty-profile:fault=nan,thread=1 --scenario faulty-scenario --trials 20000 --threads 2
cli_case simulate-display-name 1 "model profile 'faulty-profile' ($PROFILE_SO) failed in display_name: injected fault" \
  kc simulate --profile faulty-profile:fault=throw,where=display_name --scenario faulty-scenario --trials 50
cli_case simulate-exact-cdf 1 "model profile 'faulty-profile' ($PROFILE_SO) returned accuracy_cdf(" \
  kc simulate --profile faulty-profile:fault=nan,where=accuracy_cdf --scenario faulty-scenario --evaluator exact
cli_case simulate-deployment 1 "scenario 'faulty-scenario' ($SCENARIO_SO) returned a deployment with parallelism -1" \
  kc simulate --profile faulty-profile --scenario faulty-scenario:fault=negative,where=deployment --trials 50
cli_case simulate-columns-int 1 "scenario 'faulty-scenario' ($SCENARIO_SO) failed in required_columns: it threw" \
  kc simulate --profile faulty-profile --scenario faulty-scenario:fault=throw-int,where=required_columns --trials 50
cli_case simulate-factory-refuses 2 "plugin 'faulty-profile' ($PROFILE_SO) refused the parameters" \
  kc simulate --profile faulty-profile:fault=throw-error,where=factory --scenario faulty-scenario
cli_case simulate-factory-throws 1 "plugin 'faulty-profile' ($PROFILE_SO) failed while being created" \
  kc simulate --profile faulty-profile:fault=throw,where=factory --scenario faulty-scenario

step "kcube select"
cli_case select-optimizer-int 1 "" \
  kc select "$candidates" --scenario faulty-scenario --optimizer faulty-optimizer:fault=throw-int \
  --optimizer accuracy-max
expect_out select-optimizer-int "optimizer 'faulty-optimizer' ($OPTIMIZER_SO) threw something that is not a std::exception"
grep -qE '^accuracy-max +selected +4 ' "$LOGS/select-optimizer-int.out" || {
  show_log select-optimizer-int
  fail "select: the other optimizer's pick is missing"
}
cli_case select-optimizer-contract 1 "" kc select "$candidates" --scenario faulty-scenario \
  --optimizer faulty-optimizer:fault=infeasible-k --json
expect_out select-optimizer-contract '"status": "error"'
expect_out select-optimizer-contract "which is not feasible"
cli_case select-assess 1 "failure: scenario 'faulty-scenario' ($SCENARIO_SO) failed in assess: injected fault in assess" \
  kc select "$candidates" --scenario faulty-scenario:fault=throw,where=assess --optimizer accuracy-max
cli_case select-budget-nan 1 "returned a budget with cost_max = nan" \
  kc select "$candidates" --scenario faulty-scenario:fault=nan,where=budget --optimizer accuracy-max
cli_case select-deployment-int 1 "scenario 'faulty-scenario' ($SCENARIO_SO) failed in deployment: it threw" \
  kc select "$candidates" --scenario faulty-scenario:fault=throw-int,where=deployment --optimizer accuracy-max
cli_case select-factory-refuses 2 "plugin 'faulty-optimizer' ($OPTIMIZER_SO) refused the parameters" \
  kc select "$candidates" --scenario faulty-scenario --optimizer faulty-optimizer:fault=throw-error,where=factory
done_cases
