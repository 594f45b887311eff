#!/usr/bin/env bash
# misbehaving.optimizer: an optimizer that throws (std, kcube::Error, `throw 42`) or breaks its
# contract (a k that is no candidate or not feasible, a NaN or infinite score, the host's status
# `error` or an unknown one, `selected` without k, `infeasible` with feasible candidates): its
# selection in every cell is stored with status error and a reason naming the plugin and its
# file, the other optimizer's selections are stored as usual, the cells are errors, the run is
# marked failed and kcube run exits 1.
#   usage: bash optimizer.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init optimizer "$@"

# optimizer_run NAME FAULT NEEDLE
optimizer_run() {
  local name=$1 fault=$2 needle=$3
  fault_run "$name" '%' "$needle" "$OPTIMIZER_SO" --set "optimizers.bad.params.fault=$fault"
  expect_eq "$name: selections of 'bad'" "$(sql "$STORE" \
    "SELECT group_concat(DISTINCT status) FROM selections WHERE optimizer='bad'")" error
  expect_eq "$name: 'bad' selections with a k" "$(sql "$STORE" \
    "SELECT count(*) FROM selections WHERE optimizer='bad' AND k IS NOT NULL")" 0
  expect_eq "$name: selections of the other optimizer" "$(sql "$STORE" \
    "SELECT group_concat(status || ':' || k, ' ') FROM selections WHERE optimizer='accuracy'")" \
    "selected:4 selected:4 selected:4 selected:4"
  local reason
  while IFS= read -r reason; do
    [[ $reason == *"$needle"* && $reason == *"'faulty-optimizer' ($OPTIMIZER_SO)"* ]] ||
      fail "$name: the selection reason '$reason' lacks '$needle' or the plugin"
  done < <(sql "$STORE" "SELECT reason FROM selections WHERE optimizer='bad'")
}

step "select throws"
optimizer_run throw throw "threw: injected fault in select"
optimizer_run throw-error throw-error "threw: injected kcube::Error in select"
optimizer_run throw-int throw-int "threw something that is not a std::exception"

step "select breaks the contract"
optimizer_run not-candidate not-candidate "returned k = 100000, which is not a candidate"
optimizer_run infeasible-k infeasible-k "returned k = 8, which is not feasible (k 8 > feasible_k_max)"
optimizer_run nan-score nan-score "returned a non-finite score (nan)"
optimizer_run inf-score inf-score "returned a non-finite score (inf)"
optimizer_run status-error status-error "returned status error, which only the host sets"
optimizer_run status-unknown status-unknown "returned an unknown status (99)"
optimizer_run selected-without-k selected-without-k "returned status selected without k"
optimizer_run false-infeasible false-infeasible "returned infeasible although 4 candidates are feasible"
done_cases
