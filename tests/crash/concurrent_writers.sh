#!/usr/bin/env bash
# crash.concurrent-writers: three `kcube run` processes on one new store: the paper study twice
# (A and B, same manifest and overrides) and the exact-vs-monte-carlo example (C). They run in
# step by KCUBE_FAULT_INJECTION's touch= and wait= (framework/src/store/faults.hpp), not paced by time:
#   - A creates the store and starts B and C (this script does, on A's file) while it holds its
#     first cell's transaction open; A commits only once B has found the store locked and started
#     to wait on the busy timeout (lock:busy);
#   - B writes its first cell after A's, C its first after B's (C waits for B's file), and
#     neither A nor B writes its second before C's first (both wait for C's file).
# So the first three cells committed are A's, B's, C's, in that order, whatever the machine's
# speed; the rest interleave as they come. All exit 0, the store is intact, the three runs are
# finished and overlap in time, and each run's exports equal those of the same run made alone.
# Also: a touch= that cannot create its file ends kcube with status 124 and why, and `full`
# cannot act at lock:busy.
#   usage: bash concurrent_writers.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init crash-concurrent-writers "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
writers_init

exact=$SRC/experiments/examples/exact-vs-monte-carlo.yaml
store=$WORK/shared.sqlite
sync=$WORK/sync
mkdir -p "$sync"

step "a touch= that cannot create its file ends the process with status 124 and why; no full at lock:busy"
expect_exit 124 bad-touch env KCUBE_FAULT_INJECTION="touch=$WORK/no/such/folder:begin_run:before_commit:1" \
  "$KCUBE" run "$exact" --store "$WORK/bad-touch.sqlite" --threads 1 --quiet
expect_err bad-touch "KCUBE_FAULT_INJECTION (a test hook): touch at begin_run:before_commit (occurrence 1): cannot create '$WORK/no/such/folder'"
expect_eq "runs left by the process" "$(sql "$WORK/bad-touch.sqlite" "SELECT count(*) FROM runs")" 0
expect_exit 2 full-at-busy env KCUBE_FAULT_INJECTION=full:lock:busy:1 \
  "$KCUBE" run "$exact" --store "$WORK/full-at-busy.sqlite" --threads 1 --quiet
expect_err full-at-busy "full cannot act at lock:busy"

step "each run alone, for reference"
make_reference "$WORK/reference.sqlite"
export_run reference "$WORK/reference.sqlite" 1
run exact-alone "$KCUBE" run "$exact" --store "$WORK/exact.sqlite" --threads 1 --quiet
export_run exact-alone "$WORK/exact.sqlite" 1

step "A holds its first cell open until B waits for the lock; then A, B, C in turn"
paper=("$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet)
start_writer paper-a "touch=$sync/a-holds:write_cell:before_commit:1,wait=$sync/b-waits:write_cell:before_commit:1,wait=$sync/c1:write_cell:before_begin:2" \
  "${paper[@]}"
await_file "$sync/a-holds"
start_writer paper-b "touch=$sync/b-waits:lock:busy:1,touch=$sync/b1:write_cell:after_commit:1,wait=$sync/c1:write_cell:before_begin:2" \
  "${paper[@]}"
start_writer exact "wait=$sync/b1:write_cell:before_begin:1,touch=$sync/c1:write_cell:after_commit:1" \
  "$KCUBE" run "$exact" --store "$store" --threads 1 --quiet
wait_writers

step "the store is intact and holds three finished runs"
check_intact "$store"
expect_eq "runs" "$(sql "$store" "SELECT count(*) FROM runs")" 3
for id in 1 2 3; do
  check_run_finished "$store" "$id" 27
done

step "the runs overlapped: A's, B's and C's first cells were the first three committed"
# rowid orders the cells as committed (one write transaction at a time). A and B both run the
# paper study: three runs and C's experiment third say A, B, C.
first_three="SELECT c.run_id, r.experiment FROM cells c JOIN runs r ON r.id = c.run_id
             ORDER BY c.rowid LIMIT 3"
expect_eq "runs of the first three cells committed" \
  "$(sql "$store" "SELECT count(DISTINCT run_id) FROM ($first_three)")" 3
expect_eq "experiments of the first three cells committed" \
  "$(sql "$store" "SELECT group_concat(experiment, ' ') FROM ($first_three)")" \
  "paper-2025 paper-2025 exact-vs-monte-carlo"
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
