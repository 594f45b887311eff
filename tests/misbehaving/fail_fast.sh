#!/usr/bin/env bash
# misbehaving.fail-fast: `kcube run --fail-fast` stops at the first failed cell: that cell is
# stored as error, the run is marked failed, no later cell runs, exit 1. `kcube run --resume`
# (same manifest and --set overrides) reopens the failed run, retries its error cell and runs
# the cells not run: with the fault still there they fail again; with a fault that was only a
# timeout, a resume with a longer --cell-timeout finishes the run.
#   usage: bash fail_fast.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init fail-fast "$@"
store=$WORK/fail-fast.sqlite
faulty=(--set profiles.bad.params.fault=throw)

step "--fail-fast: the first cell fails, no other cell runs"
expect_exit 1 first kc run "$MANIFEST" --store "$store" --fail-fast "${faulty[@]}"
no_crash first
expect_out first "stopped at the first failed cell (--fail-fast): 3 cells not run"
expect_eq "runs" "$(sql "$store" "SELECT id || ':' || status FROM runs")" "1:failed"
expect_eq "cells stored" "$(sql "$store" "SELECT cell_key || ':' || status FROM cells")" \
  "bad|bad||0:error"
expect_eq "candidates or selections of the failed cell" \
  "$(sql "$store" "SELECT (SELECT count(*) FROM candidates) + (SELECT count(*) FROM selections)")" 0
run runs kc runs "$store"
expect_out runs failed
CASES=$((CASES + 1))

step "--resume reopens the failed run and runs the rest; the fault fails its cells again"
expect_exit 1 resume kc run "$MANIFEST" --store "$store" --quiet --resume "${faulty[@]}"
expect_eq "runs after --resume" "$(sql "$store" "SELECT id || ':' || status FROM runs")" "1:failed"
expect_eq "cells after --resume" \
  "$(sql "$store" "SELECT group_concat(cell_key || ':' || status, ' ') FROM (SELECT * FROM cells ORDER BY position)")" \
  "bad|bad||0:error bad|good||0:error good|bad||0:finished good|good||0:finished"
CASES=$((CASES + 1))

step "--fail-fast on a timeout, then --resume with time enough finishes the run"
store=$WORK/timeout.sqlite
# Only the first draw_path call sleeps (2 s): over the limit of 0.5 s, within that of 60 s.
slow=(--set profiles.bad.params.fault=sleep --set profiles.bad.params.sleep_s=2
  --set profiles.bad.params.calls=1)
expect_exit 1 slow kc run "$MANIFEST" --store "$store" --quiet --fail-fast --cell-timeout 0.5 "${slow[@]}"
no_crash slow
expect_eq "cells after the timeout" "$(sql "$store" "SELECT cell_key || ':' || status FROM cells")" \
  "bad|bad||0:error"
expect_eq "run after the timeout" "$(sql "$store" "SELECT status FROM runs")" failed
run slow-resume kc run "$MANIFEST" --store "$store" --quiet --resume --cell-timeout 60 "${slow[@]}"
check_run_finished "$store" 1 4
expect_eq "runs after the resume" "$(sql "$store" "SELECT count(*) FROM runs")" 1
expect_exit 0 resume-again kc run "$MANIFEST" --store "$store" --resume "${slow[@]}"
expect_out resume-again "run 1 is already finished; nothing to do"
CASES=$((CASES + 1))
done_cases
