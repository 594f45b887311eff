#!/usr/bin/env bash
# crash.kill-points: `kcube run` killed with SIGKILL at each point of the store's write path,
# chosen by KCUBE_FAULT_INJECTION (framework/src/store/faults.hpp), not by timing: while a new store is
# opened (nothing written yet) and while it is migrated, while begin_run writes the run row,
# before the first cell, between cells, in the middle of a cell's transaction (after its row,
# after its candidates, before COMMIT), and in finish_run (before and after COMMIT); once more while the resumed run writes; and `kcube merge`
# before its COMMIT (the output store keeps its runs, a second merge succeeds); and a run waiting
# for the lock another run holds (lock:busy: it leaves nothing, the other finishes). The store
# already holds another finished run. After each kill: integrity_check ok, foreign_key_check
# empty, the other run unchanged, exactly the cells committed before the kill stored and whole,
# nothing of the cell being written; then `kcube run --resume` finishes the run without
# computing a stored cell again (or, when no run row was committed, --resume finds nothing and a
# new run does it), and the exports equal those of an uninterrupted run apart from run_id.
#   usage: bash kill_points.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init crash-kill-points "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

reference=$WORK/reference.sqlite
base=$WORK/base.sqlite
survived=0

step "an uninterrupted run, and a store holding a finished run of another experiment"
make_reference "$reference"
export_run reference "$reference" 1
run base "$KCUBE" run "$SRC/experiments/examples/exact-vs-monte-carlo.yaml" --store "$base" \
  --threads 1 --quiet
check_run_finished "$base" 1 27
export_run base "$base" 1

step "a malformed KCUBE_FAULT_INJECTION is refused before the store is touched"
expect_exit 2 bad-fault env KCUBE_FAULT_INJECTION=kill:write_cell:nowhere:1 \
  "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$WORK/bad.sqlite" --quiet
expect_err bad-fault "there is no point 'write_cell:nowhere'"
no_file "$WORK/bad.sqlite" "a run refused for its KCUBE_FAULT_INJECTION"

# check_base_run NAME STORE: STORE is intact and its run 1 (copied from base) is unchanged.
check_base_run() {
  check_intact "$2"
  check_run_finished "$2" 1 27
  export_run "$1-run1" "$2" 1
  same_exports "$1-run1" base
}

# check_resumed NAME STORE BEFORE: run 2 of STORE is finished, with the cells of BEFORE
# (cell_times) untouched, and exports equal to the reference's.
check_resumed() {
  local name=$1 store=$2 before=$3 after pair
  check_base_run "$name" "$store"
  check_run_finished "$store" 2 "$CELLS"
  check_cells_whole "$store" 2 "$reference"
  after=$(cell_times "$store" 2)
  for pair in ${before//;/ }; do
    [[ ";$after;" == *";$pair;"* ]] || fail "$name: cell ${pair%%=*} was computed again on resume"
  done
  export_run "$name" "$store" 2
  same_exports "$name" reference
}

# kill_point NAME FAULT STORED [HALF]: the study, into a copy of base, dies at FAULT with run 2
# holding STORED finished cells and nothing of the cell at plan position HALF; --resume
# finishes run 2.
kill_point() {
  local name=$1 fault=$2 stored=$3 half=${4:-} store=$WORK/$1.sqlite before
  step "SIGKILL at ${fault#kill:}"
  cp "$base" "$store"
  killed_study "$name-killed" "$store" "$fault"
  check_base_run "$name" "$store"
  expect_eq "$name: status of run 2" "$(sql "$store" "SELECT status FROM runs WHERE id = 2")" running
  expect_eq "$name: cells of run 2" "$(sql "$store" "SELECT count(*) FROM cells WHERE run_id = 2")" "$stored"
  expect_eq "$name: finished cells of run 2" "$(finished_cells "$store" 2)" "$stored"
  check_cells_whole "$store" 2 "$reference"
  [[ -z $half ]] || check_no_rows "$store" 2 "$half" "$reference"
  before=$(cell_times "$store" 2)
  study "$name-resume" "$store" --resume
  expect_out "$name-resume" "store: $store (run 2)"
  check_resumed "$name" "$store" "$before"
  survived=$((survived + 1))
}

step "SIGKILL at check_identity:before_tables: a new file killed before anything is written"
# sqlite3_open created the file; the process dies reading what it is: an empty file, which the
# next run takes for a new store (not for another program's database).
store=$WORK/identity.sqlite
killed_study identity-killed "$store" kill:check_identity:before_tables:1
expect_eq "size of the file left by the kill" "$(stat -c %s "$store")" 0
study identity-again "$store"
check_intact "$store"
check_run_finished "$store" 1 "$CELLS"
survived=$((survived + 1))

step "SIGKILL at migrate:before_commit: a new store killed while its tables are created"
store=$WORK/migrate.sqlite
killed_study migrate-killed "$store" kill:migrate:before_commit:1
expect_eq "integrity_check" "$(sql "$store" "PRAGMA integrity_check")" ok
expect_eq "schema version after the kill" "$(sql "$store" "PRAGMA user_version")" 0
expect_eq "tables after the kill" "$(sql "$store" "SELECT count(*) FROM sqlite_master")" 0
expect_exit 2 migrate-resume "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --resume --quiet
expect_err migrate-resume "holds no unfinished run"
study migrate-again "$store"
check_intact "$store"
check_run_finished "$store" 1 "$CELLS"
export_run migrate "$store" 1
same_exports migrate reference
survived=$((survived + 1))

step "SIGKILL at begin_run:before_commit: no run row is left"
store=$WORK/begin-run.sqlite
cp "$base" "$store"
killed_study begin-run-killed "$store" kill:begin_run:before_commit:1
check_base_run begin-run "$store"
expect_eq "runs after the kill" "$(sql "$store" "SELECT count(*) FROM runs")" 1
expect_exit 2 begin-run-resume "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --resume --quiet
expect_err begin-run-resume "holds no unfinished run"
study begin-run-again "$store"
check_resumed begin-run "$store" ""
survived=$((survived + 1))

# Plan positions are 0-based: the 3rd write is the cell at position 2.
kill_point first-cell kill:write_cell:before_begin:1 0
kill_point between-cells kill:write_cell:after_commit:2 2
kill_point after-cell-row kill:write_cell:after_cell_row:3 2 2
kill_point after-candidates kill:write_cell:after_candidates:3 2 2
kill_point before-commit kill:write_cell:before_commit:3 2 2
kill_point finish-run kill:finish_run:before_commit:1 "$CELLS"

step "SIGKILL at finish_run:after_commit: the run is finished, nothing to resume"
store=$WORK/finished.sqlite
cp "$base" "$store"
killed_study finished-killed "$store" kill:finish_run:after_commit:1
check_resumed finished "$store" ""
run finished-resume "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --resume
expect_out finished-resume "run 2 is already finished; nothing to do"
survived=$((survived + 1))

step "SIGKILL twice: mid-cell, then again while --resume writes its 2nd cell"
store=$WORK/twice.sqlite
cp "$base" "$store"
killed_study twice-killed "$store" kill:write_cell:after_candidates:3
before=$(cell_times "$store" 2)
# The resumed run writes positions 2, 3, ...: it dies before committing position 3.
killed_study twice-resume-killed "$store" kill:write_cell:before_commit:2 --resume
check_base_run twice "$store"
expect_eq "finished cells after the second kill" "$(finished_cells "$store" 2)" 3
check_cells_whole "$store" 2 "$reference"
check_no_rows "$store" 2 3 "$reference"
study twice-resume "$store" --resume
check_resumed twice "$store" "$before"
survived=$((survived + 2))

step "SIGKILL at merge:before_commit: kcube merge dies with its part copied, before COMMIT"
store=$WORK/merge.sqlite
cp "$base" "$store"
expect_exit 137 merge-killed env KCUBE_FAULT_INJECTION=kill:merge:before_commit:1 \
  "$KCUBE" merge "$store" "$reference"
check_base_run merge "$store"
expect_eq "runs after the kill" "$(sql "$store" "SELECT count(*) FROM runs")" 1
expect_eq "cells after the kill" "$(sql "$store" "SELECT count(*) FROM cells")" 27
no_file "$reference-wal" "a part read by kcube merge"
run merge-again "$KCUBE" merge "$store" "$reference"
expect_out merge-again "store: $store (run 2)"
check_base_run merge-again "$store"
check_run_finished "$store" 2 "$CELLS"
export_run merge "$store" 2
same_exports merge reference
survived=$((survived + 1))

step "SIGKILL at lock:busy: a run dies waiting for the lock another run holds in a cell"
store=$WORK/busy.sqlite
cp "$base" "$store"
writers_init
start_writer busy-holder "touch=$WORK/holds:write_cell:before_commit:1,wait=$WORK/go:write_cell:before_commit:1" \
  "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet
await_file "$WORK/holds"
killed_study busy-killed "$store" kill:lock:busy:1
touch "$WORK/go"
wait_writers
check_base_run busy "$store"
expect_eq "runs after the kill" "$(sql "$store" "SELECT count(*) FROM runs")" 2
check_run_finished "$store" 2 "$CELLS"
survived=$((survived + 1))

step "every fault point documented in faults.hpp was a kill point here"
points=$(sed -n 's|^//     \([a-z_]*:[a-z_]*\)  .*|\1|p' "$SRC/framework/src/store/faults.hpp")
[[ $(wc -l <<<"$points") -ge 10 ]] || fail "found only these fault points in faults.hpp: $points"
for point in $points; do
  grep -q "kill:$point:" "${BASH_SOURCE[0]}" || fail "fault point $point is not tested here"
done
echo "survived $survived kills at $(wc -l <<<"$points") points"
