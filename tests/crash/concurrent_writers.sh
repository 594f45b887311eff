#!/usr/bin/env bash
# crash.concurrent-writers: three `kcube run` processes started at once on one new store: the
# paper study twice (same manifest and overrides) and the exact-vs-monte-carlo example. They
# create the store together, then write their cells interleaved: each sleeps 40 ms after every
# committed cell (KCUBE_FAULT_INJECTION sleep points), and one holds the write lock for 1 s in
# the middle of a cell's transaction, so the others queue on the busy timeout. All exit 0, the
# store is intact, the three runs are finished and overlap in time (their cells interleave in
# the order written), and each run's exports equal those of the same run made alone.
#   usage: bash concurrent_writers.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init crash-concurrent-writers "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

exact=$SRC/experiments/examples/exact-vs-monte-carlo.yaml
store=$WORK/shared.sqlite
pace="sleep=40:write_cell:after_commit:*"

step "each run alone, for reference"
make_reference "$WORK/reference.sqlite"
export_run reference "$WORK/reference.sqlite" 1
run exact-alone "$KCUBE" run "$exact" --store "$WORK/exact.sqlite" --threads 1 --quiet
export_run exact-alone "$WORK/exact.sqlite" 1

step "three writers at once on a new store"
pids=()
env KCUBE_FAULT_INJECTION="$pace,sleep=1000:write_cell:before_commit:3" \
  "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet \
  >"$LOGS/paper-a.out" 2>"$LOGS/paper-a.err" &
pids+=($!)
env KCUBE_FAULT_INJECTION="$pace" \
  "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet \
  >"$LOGS/paper-b.out" 2>"$LOGS/paper-b.err" &
pids+=($!)
env KCUBE_FAULT_INJECTION="$pace" "$KCUBE" run "$exact" --store "$store" --threads 1 --quiet \
  >"$LOGS/exact.out" 2>"$LOGS/exact.err" &
pids+=($!)
logs=(paper-a paper-b exact)
for i in 0 1 2; do
  rc=0
  wait "${pids[$i]}" || rc=$?
  [[ $rc -eq 0 ]] || { show_log "${logs[$i]}"; fail "writer ${logs[$i]} exited with $rc"; }
done

step "the store is intact and holds three finished runs"
check_intact "$store"
expect_eq "runs" "$(sql "$store" "SELECT count(*) FROM runs")" 3
for id in 1 2 3; do
  check_run_finished "$store" "$id" 27
done

step "the runs overlapped: their cells interleave in the order written"
# rowid orders the cells as committed; a run_id change is a switch from one writer to another.
switches=$(sql "$store" "SELECT count(*) FROM (SELECT run_id, lag(run_id) OVER (ORDER BY rowid) AS prev
                                              FROM cells) WHERE run_id <> prev")
echo "$switches switches between writers in 81 cells"
[[ $switches -ge 6 ]] || fail "only $switches switches between writers: the runs did not overlap"
expect_eq "runs that overlap all others" "$(sql "$store" "
  SELECT count(*) FROM runs a WHERE NOT EXISTS (SELECT 1 FROM runs b WHERE b.id <> a.id
    AND (b.started_at > a.finished_at OR a.started_at > b.finished_at))")" 3

step "each run's exports equal those of the run made alone"
for id in $(sql "$store" "SELECT id FROM runs WHERE experiment = 'paper-2025'"); do
  export_run "paper-$id" "$store" "$id"
  same_exports "paper-$id" reference
done
id=$(sql "$store" "SELECT id FROM runs WHERE experiment = 'exact-vs-monte-carlo'")
export_run exact "$store" "$id"
same_exports exact exact-alone
