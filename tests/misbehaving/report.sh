#!/usr/bin/env bash
# misbehaving.report: `kcube report` calls plugins too (a scenario's budget and deployment, a
# profile's has_exact and display_name, to rebuild the exact references and the rules' view of
# the cross-model pool). A plugin that throws there is named with its file, never reaches main
# bare: the scenario's failure fails the report (exit 1, one message), the profile's becomes a
# note and the report is written. The runs themselves finish: the faults strike only while a
# file exists, which the test creates after the run.
#   usage: bash report.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init report "$@"
ON=$WORK/fault-on
rm -f "$ON"

# report_case NAME CODE NEEDLE OVERRIDES...: a run with OVERRIDES finishes; with the fault on,
# `kcube report` exits CODE and says NEEDLE, and does not crash.
report_case() {
  local name=$1 code=$2 needle=$3
  shift 3
  rm -f "$ON"
  fault_run "$name" '' '' '' "$@"
  touch "$ON"
  expect_exit "$code" "$name-report" kc report "$STORE" --no-figures --out "$WORK/$name-report"
  expect_err "$name-report" "$needle"
  no_crash "$name-report"
}

step "a scenario whose budget() throws when the report asks"
report_case budget 1 \
  "failure: scenario 'faulty-scenario' ($SCENARIO_SO) failed in budget: injected fault in budget" \
  --set scenarios.bad.params.fault=throw --set scenarios.bad.params.where=budget \
  --set "scenarios.bad.params.strike_while=$ON"

step "a scenario whose deployment() throws when the report asks for the exact reference"
report_case deployment 0 \
  "no exact reference for some cells: scenario 'faulty-scenario' ($SCENARIO_SO) failed in deployment: injected fault in deployment" \
  --set scenarios.bad.params.fault=throw --set scenarios.bad.params.where=deployment \
  --set "scenarios.bad.params.strike_while=$ON"

step "a profile whose has_exact() throws: a note, and the report is written"
report_case has-exact 0 \
  "no exact reference for some cells: model profile 'faulty-profile' ($PROFILE_SO) failed in has_exact: it threw something that is not a std::exception" \
  --set profiles.bad.params.fault=throw-int --set profiles.bad.params.where=has_exact \
  --set "profiles.bad.params.strike_while=$ON"
[[ -s $WORK/has-exact-report/report.md ]] || fail "has-exact: no report.md"
done_cases
