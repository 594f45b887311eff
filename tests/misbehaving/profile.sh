#!/usr/bin/env bash
# misbehaving.profile: a model profile that throws (std, kcube::Error, `throw 42`, on any OpenMP
# thread), draws NaN, infinite, negative or overflowing outcomes, or fails in its exact
# interface: its two cells are stored with status error naming the plugin, its file and what
# went wrong; the other two cells finish; the run is marked failed and kcube run exits 1.
#   usage: bash profile.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init profile "$@"
bad='bad|%'

# profile FAULT WHERE [--set ...]: the --set arguments making profile 'bad' misbehave.
profile() {
  local fault=$1 where=$2
  shift 2
  echo --set "profiles.bad.params.fault=$fault" --set "profiles.bad.params.where=$where" "$@"
}

step "all plugins behaving: the run finishes"
fault_run none '' '' '' $(profile none draw_path)
check_run_finished "$STORE" 1 4

step "Monte Carlo: draw_path throws or draws invalid outcomes"
fault_run throw "$bad" "failed in draw_path (trial 0): injected fault in draw_path" "$PROFILE_SO" \
  $(profile throw draw_path)
fault_run throw-error "$bad" "failed in draw_path (trial 0): injected kcube::Error in draw_path" \
  "$PROFILE_SO" $(profile throw-error draw_path)
fault_run throw-int "$bad" "it threw something that is not a std::exception" "$PROFILE_SO" \
  $(profile throw-int draw_path)
# On OpenMP thread 1 only (the other thread waits until thread 1 has drawn): the exception is
# caught in its chunk, never crossing the parallel region.
fault_run throw-thread-1 "$bad" "injected fault in draw_path" "$PROFILE_SO" \
  $(profile throw draw_path --set profiles.bad.params.thread=1) --set run.trials=20000 --threads 2
fault_run nan-trial-50 "$bad" "drew a non-finite value (cost nan" "$PROFILE_SO" \
  $(profile nan draw_path --set profiles.bad.params.at_call=50)
fault_run inf-thread-1 "$bad" "drew a non-finite value" "$PROFILE_SO" \
  $(profile inf draw_path --set profiles.bad.params.field=latency --set profiles.bad.params.thread=1) \
  --set run.trials=20000 --threads 2
fault_run negative-cost "$bad" "drew a negative cost" "$PROFILE_SO" $(profile negative draw_path)
fault_run accuracy-outside "$bad" "drew an accuracy outside [0, 1]" "$PROFILE_SO" \
  $(profile negative draw_path --set profiles.bad.params.field=accuracy)
fault_run nan-independent "$bad" "drew a non-finite value" "$PROFILE_SO" \
  $(profile nan draw_path --set profiles.bad.params.field=accuracy) --set run.sampling=independent
fault_run overflow "$bad" "the simulated mean cost at k = 1 is inf" "$PROFILE_SO" \
  $(profile huge draw_path)

step "exact evaluation: has_exact, expected_cost, expected_latency, accuracy_cdf, breakpoints"
exact=(--set run.evaluator=exact)
fault_run has-exact-throw "$bad" "failed in has_exact: injected fault in has_exact" "$PROFILE_SO" \
  $(profile throw has_exact) "${exact[@]}"
fault_run cost-nan "$bad" "returned expected_cost() = nan" "$PROFILE_SO" \
  $(profile nan expected_cost) "${exact[@]}"
fault_run cost-negative "$bad" "returned expected_cost() = -1" "$PROFILE_SO" \
  $(profile negative expected_cost) "${exact[@]}"
fault_run cost-overflow "$bad" "the expected cost at k = 2 overflows" "$PROFILE_SO" \
  $(profile huge expected_cost) "${exact[@]}"
fault_run latency-inf "$bad" "returned expected_latency() = inf" "$PROFILE_SO" \
  $(profile inf expected_latency) "${exact[@]}"
fault_run latency-throw-error "$bad" "failed in expected_latency: injected kcube::Error" \
  "$PROFILE_SO" $(profile throw-error expected_latency) "${exact[@]}"
fault_run cdf-throw-int "$bad" "failed in accuracy_cdf: it threw something that is not a std::exception" \
  "$PROFILE_SO" $(profile throw-int accuracy_cdf) "${exact[@]}"
fault_run cdf-nan "$bad" "which is not a probability in [0, 1]" "$PROFILE_SO" \
  $(profile nan accuracy_cdf) "${exact[@]}"
fault_run breakpoints-throw "$bad" "failed in accuracy_breakpoints: injected fault" "$PROFILE_SO" \
  $(profile throw accuracy_breakpoints) "${exact[@]}"
# Breakpoints are hints: NaN and points outside [0, 1] are dropped, the cells finish.
fault_run breakpoints-nan '' '' '' $(profile nan accuracy_breakpoints) "${exact[@]}"
# The good cells' numbers do not depend on the bad ones: the same as in a run without faults.
expect_eq "good cells next to failing ones" \
  "$(sql "$WORK/throw.sqlite" "SELECT group_concat(k || ':' || cost || ':' || accuracy) FROM candidates WHERE profile='good'")" \
  "$(sql "$WORK/none.sqlite" "SELECT group_concat(k || ':' || cost || ':' || accuracy) FROM candidates WHERE profile='good'")"
done_cases
