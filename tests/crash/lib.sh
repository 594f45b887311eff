# shellcheck shell=bash
# Shared by the crash tests; sourced after tests/run/lib.sh (run_init, run, expect_*, sql).
# The study: experiments/paper-2025.yaml at 200 trials on one thread (27 cells, 6 optimizers,
# about 0.3 s), a reference run of it without faults, and checks that a store is intact.
# shellcheck disable=SC2034

MANIFEST=$SRC/experiments/paper-2025.yaml
SETS=(--set run.trials=200)
CELLS=27
OPTIMIZERS=6

# study LOG STORE [ARGS...]: kcube run of the study into STORE, which must succeed.
study() {
  local log=$1 store=$2
  shift 2
  run "$log" "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet "$@"
}

# killed_study LOG STORE FAULT [ARGS...]: kcube run of the study with KCUBE_FAULT_INJECTION=FAULT,
# which must die of SIGKILL (exit 137) there.
killed_study() {
  local log=$1 store=$2 fault=$3
  shift 3
  expect_exit 137 "$log" env KCUBE_FAULT_INJECTION="$fault" \
    "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet "$@"
}

# make_reference STORE: the study run once without faults into STORE (run 1).
make_reference() {
  study reference "$1"
  check_run_finished "$1" 1 "$CELLS"
}

# check_intact STORE: PRAGMA integrity_check is ok, foreign_key_check finds nothing, and no
# candidate or selection lacks its cell.
check_intact() {
  expect_eq "integrity_check of $1" "$(sql "$1" "PRAGMA integrity_check")" ok
  expect_eq "foreign_key_check of $1" "$(sql "$1" "PRAGMA foreign_key_check")" ""
  expect_eq "rows without their cell in $1" "$(sql "$1" "
    SELECT (SELECT count(*) FROM candidates d WHERE NOT EXISTS
              (SELECT 1 FROM cells c WHERE c.run_id = d.run_id AND c.cell_key = d.cell_key))
         + (SELECT count(*) FROM selections s WHERE NOT EXISTS
              (SELECT 1 FROM cells c WHERE c.run_id = s.run_id AND c.cell_key = s.cell_key))")" 0
}

# check_cells_whole STORE RUN REFERENCE: every cell of RUN in STORE has as many candidates and
# selections as the same cell of run 1 in REFERENCE (one transaction per cell: all or nothing).
check_cells_whole() {
  expect_eq "cells of run $2 in $1 with rows missing" "$(sql "$1" "
    ATTACH '$3' AS ref;
    SELECT count(*) FROM cells c WHERE c.run_id = $2 AND (
      (SELECT count(*) FROM candidates d WHERE d.run_id = $2 AND d.cell_key = c.cell_key) <>
      (SELECT count(*) FROM ref.candidates d WHERE d.run_id = 1 AND d.cell_key = c.cell_key)
      OR (SELECT count(*) FROM selections s WHERE s.run_id = $2 AND s.cell_key = c.cell_key) <>
         $OPTIMIZERS)")" 0
}

# finished_cells STORE RUN: how many cells of RUN are stored as finished.
finished_cells() {
  sql "$1" "SELECT count(*) FROM cells WHERE run_id = $2 AND status = 'finished'"
}

# check_no_rows STORE RUN POSITION REFERENCE: the cell at POSITION (0-based) of the plan, its key
# read from run 1 of REFERENCE, left no row in RUN of STORE.
check_no_rows() {
  local key
  key=$(sql "$4" "SELECT cell_key FROM cells WHERE run_id = 1 AND position = $3")
  [[ -n $key ]] || fail "the reference has no cell at position $3"
  expect_eq "rows of the half-written cell $key" "$(sql "$1" "
    SELECT (SELECT count(*) FROM cells WHERE run_id = $2 AND cell_key = '$key')
         + (SELECT count(*) FROM candidates WHERE run_id = $2 AND cell_key = '$key')
         + (SELECT count(*) FROM selections WHERE run_id = $2 AND cell_key = '$key')")" 0
}

# cell_times STORE RUN: "cell_key=seconds;..." of RUN's cells: a cell computed again would change.
cell_times() {
  sql "$1" "SELECT group_concat(cell_key || '=' || seconds, ';')
            FROM (SELECT * FROM cells WHERE run_id = $2 ORDER BY cell_key)"
}

# export_run NAME STORE RUN: $WORK/NAME-candidates.csv and $WORK/NAME-selections.csv, the CSV
# exports of RUN without their first column (run_id).
export_run() {
  local table
  for table in candidates selections; do
    run "export-$1-$table" "$KCUBE" export "$2" --table "$table" --run "$3" -o "$WORK/$1-$table.full"
    cut -d, -f2- "$WORK/$1-$table.full" >"$WORK/$1-$table.csv"
  done
}

# same_exports NAME WANT: the exports NAME and WANT (export_run) are equal.
same_exports() {
  local table
  for table in candidates selections; do
    diff "$WORK/$2-$table.csv" "$WORK/$1-$table.csv" >"$LOGS/diff-$1-$table.log" || {
      head -n 20 "$LOGS/diff-$1-$table.log" >&2
      fail "the $table of $1 differ from those of $2 (run_id cut)"
    }
  done
}

# Writers in the background, in step by KCUBE_FAULT_INJECTION's touch= and wait= (see
# framework/src/store/faults.hpp): one waits at a point for a file another touches at its own point, so
# the order of their steps is fixed, not paced by time. Call writers_init after run_init.
WRITERS=()
WRITER_NAMES=()

# writers_init: on exit, writers still running are killed (a failed check must not leave them
# waiting for files of a test that is gone).
writers_init() {
  trap 'stop_writers; harness_finish' EXIT
}
stop_writers() {
  local status=$? pid
  for pid in "${WRITERS[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  WRITERS=()
  WRITER_NAMES=()
  return "$status"
}

# start_writer NAME FAULT COMMAND...: COMMAND in the background with KCUBE_FAULT_INJECTION=FAULT,
# logged as NAME.
start_writer() {
  local name=$1 fault=$2
  shift 2
  env KCUBE_FAULT_INJECTION="$fault" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" &
  WRITERS+=($!)
  WRITER_NAMES+=("$name")
}

# await_file FILE: waits until a writer has touched FILE; fails at once should every writer
# have ended without it. (Looking every 10 ms; the writers' own wait= gives up after 60 s.)
await_file() {
  local pid alive
  while [[ ! -e $1 ]]; do
    alive=0
    for pid in "${WRITERS[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [[ -e $1 ]] && break
    [[ $alive -eq 1 ]] || fail "every writer ended, none touched $1"
    sleep 0.01
  done
}

# wait_writers: every writer exits 0.
wait_writers() {
  local i rc
  for i in "${!WRITERS[@]}"; do
    rc=0
    wait "${WRITERS[$i]}" || rc=$?
    [[ $rc -eq 0 ]] || {
      show_log "${WRITER_NAMES[$i]}"
      fail "writer ${WRITER_NAMES[$i]} exited with $rc"
    }
  done
  WRITERS=()
  WRITER_NAMES=()
}
