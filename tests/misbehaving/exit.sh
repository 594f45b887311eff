#!/usr/bin/env bash
# misbehaving.exit: a plugin that calls exit() -- exit(0) included, from its factory, from
# draw_path on the calling thread or on an OpenMP worker, from select -- ends kcube with exit
# status 1 and one line naming the plugin, its file and the call; never exit 0, never a crash.
# The store keeps every cell finished before (intact), and once the plugin is fixed (here: the
# file its fault waits for is removed), `kcube run --resume` finishes the run.
#   usage: bash exit.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init exit "$@"

# exit_case NAME NEEDLE COMMAND...: COMMAND exits 1, its stderr has NEEDLE, nothing crashed.
exit_case() {
  local name=$1 needle=$2
  shift 2
  expect_exit 1 "$name" "$@"
  expect_err "$name" "$needle"
  expect_err "$name" "a plugin must not end the process"
  no_crash "$name"
  CASES=$((CASES + 1))
}

# resumable NAME FINISHED ARGS...: after NAME's run (store $WORK/NAME.sqlite, ARGS its
# overrides) stopped by the plugin, the store is intact with FINISHED cells; with the fault's
# file removed, --resume finishes all 4 cells.
resumable() {
  local name=$1 finished=$2
  shift 2
  local store=$WORK/$name.sqlite
  expect_eq "$name: integrity" "$(sql "$store" "PRAGMA integrity_check")" ok
  expect_eq "$name: cells kept" "$(sql "$store" "SELECT count(*) FROM cells")" "$finished"
  expect_eq "$name: cells kept finished" \
    "$(sql "$store" "SELECT count(*) FROM cells WHERE status='finished'")" "$finished"
  rm -f "$WORK/fault-on"
  run "$name-resume" kc run "$MANIFEST" --store "$store" --quiet --resume "$@"
  check_run_finished "$store" 1 4
  touch "$WORK/fault-on"
}

touch "$WORK/fault-on"
ON=$WORK/fault-on

step "exit(0) from a factory: exit 1 before any store, naming the plugin and its factory"
exit_case factory \
  "kcube: plugin model profile 'faulty-profile' ($PROFILE_SO) called exit(0) during its factory" \
  kc run "$MANIFEST" --store "$WORK/factory.sqlite" --quiet \
  --set profiles.bad.params.fault=exit --set profiles.bad.params.where=factory
no_file "$WORK/factory.sqlite" "a run whose factory called exit"

step "exit(0) from draw_path on the calling thread, in the third cell: two cells kept, resumable"
OVERRIDES=(--set profiles.good.params.fault=exit --set "profiles.good.params.strike_while=$ON"
  --set run.threads=1)
exit_case calling-thread \
  "kcube: plugin model profile 'faulty-profile' ($PROFILE_SO) called exit(0) during draw_path" \
  kc run "$MANIFEST" --store "$WORK/calling-thread.sqlite" --quiet "${OVERRIDES[@]}"
resumable calling-thread 2 "${OVERRIDES[@]}"

step "exit(3) from an OpenMP worker thread in draw_path: no crash at shutdown, resumable"
OVERRIDES=(--set profiles.good.params.fault=exit --set profiles.good.params.exit_status=3
  --set profiles.good.params.thread=1 --set "profiles.good.params.strike_while=$ON"
  --set run.threads=2)
exit_case worker-thread \
  "kcube: plugin model profile 'faulty-profile' ($PROFILE_SO) called exit(3) during draw_path" \
  kc run "$MANIFEST" --store "$WORK/worker-thread.sqlite" --quiet "${OVERRIDES[@]}"
resumable worker-thread 2 "${OVERRIDES[@]}"

step "exit(0) from an optimizer's select in the first cell: nothing kept, resumable"
OVERRIDES=(--set optimizers.bad.params.fault=exit --set optimizers.bad.params.where=select
  --set "optimizers.bad.params.strike_while=$ON")
exit_case select \
  "kcube: plugin optimizer 'faulty-optimizer' ($OPTIMIZER_SO) called exit(0) during select" \
  kc run "$MANIFEST" --store "$WORK/select.sqlite" --quiet "${OVERRIDES[@]}"
resumable select 0 "${OVERRIDES[@]}"

step "kcube simulate and kcube select: the same"
exit_case simulate \
  "kcube: plugin scenario 'faulty-scenario' ($SCENARIO_SO) called exit(7) during deployment" \
  kc simulate --profile faulty-profile --scenario faulty-scenario:fault=exit,where=deployment,exit_status=7 --trials 50
run candidates kc simulate --profile faulty-profile --scenario faulty-scenario --trials 50 \
  -o "$WORK/candidates.csv"
exit_case select-cli \
  "kcube: plugin scenario 'faulty-scenario' ($SCENARIO_SO) called exit(0) during budget" \
  kc select "$WORK/candidates.csv" --scenario faulty-scenario:fault=exit,where=budget --optimizer accuracy-max
done_cases
