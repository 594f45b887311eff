#!/usr/bin/env bash
# crash.full-disk: writes that fail for lack of space, without root or mounts.
# 1. The real OS failure: `ulimit -f` a little above the size of a store holding a finished run,
#    with SIGXFSZ ignored (`trap '' XFSZ`, inherited by kcube), so that a write past the limit
#    fails with EFBIG, which SQLite reports as SQLITE_IOERR_WRITE ("disk I/O error").
# 2. SQLITE_FULL ("database or disk is full"): KCUBE_FAULT_INJECTION=full:... caps the file at
#    its size from the 4th cell on (PRAGMA max_page_count), as a full disk would.
# 3. A new store under a file size limit too small for its first pages.
# Each time kcube exits 1 with a message that names the store, says the disk or file is full
# and what to do (free space, --resume); the store is intact, the earlier run exports the same,
# the cells written before are whole, and once space is back `kcube run --resume` finishes the
# run with exports equal to an uninterrupted run's.
#   usage: bash full_disk.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init crash-full-disk "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

reference=$WORK/reference.sqlite

step "an uninterrupted run (run 1 of every store below)"
make_reference "$reference"
export_run reference "$reference" 1

# check_full_message LOG STORE: the failure names STORE, says it is full and what to do.
check_full_message() {
  expect_err "$1" "results store '$2'"
  expect_err "$1" "the disk or the file is full"
  expect_err "$1" "free space on the disk of '$2'"
  expect_err "$1" "kcube run MANIFEST --resume"
}

# check_after_failure NAME STORE: STORE is intact, its run 1 unchanged, its run 2 unfinished with
# whole cells only; --resume (without a limit) finishes run 2 like the reference.
check_after_failure() {
  local name=$1 store=$2 stored
  check_intact "$store"
  export_run "$name-run1" "$store" 1
  same_exports "$name-run1" reference
  expect_eq "$name: status of run 2" "$(sql "$store" "SELECT status FROM runs WHERE id = 2")" running
  stored=$(finished_cells "$store" 2)
  [[ $stored -lt $CELLS ]] || fail "$name: run 2 holds all $CELLS cells: no write failed"
  check_cells_whole "$store" 2 "$reference"
  echo "$name: the failed run kept $stored whole cells"
  study "$name-resume" "$store" --resume
  check_intact "$store"
  check_run_finished "$store" 2 "$CELLS"
  export_run "$name" "$store" 2
  same_exports "$name" reference
}

step "ulimit -f: the WAL reaches the file size limit (EFBIG)"
store=$WORK/limit.sqlite
cp "$reference" "$store"
limit_kib=$(($(stat -c %s "$store") / 1024 + 64))
rc=0
(
  trap '' XFSZ
  ulimit -f "$limit_kib"
  exec "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet
) >"$LOGS/limit.out" 2>"$LOGS/limit.err" || rc=$?
[[ $rc -eq 1 ]] || { show_log limit; fail "kcube run under ulimit -f $limit_kib exited $rc, expected 1"; }
check_full_message limit "$store"
expect_err limit "file size limit of $((limit_kib * 1024)) bytes set by ulimit -f"
check_after_failure limit "$store"

step "SQLITE_FULL: the file cannot grow from the 4th cell on"
store=$WORK/full.sqlite
cp "$reference" "$store"
expect_exit 1 full env KCUBE_FAULT_INJECTION=full:write_cell:before_begin:4 \
  "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet
check_full_message full "$store"
expect_err full "database or disk is full"
expect_eq "cells before the disk was full" "$(finished_cells "$store" 2)" 3
check_after_failure full "$store"

step "a new store under a 16 KiB file size limit"
store=$WORK/new.sqlite
rc=0
(
  trap '' XFSZ
  ulimit -f 16
  exec "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --threads 1 --quiet
) >"$LOGS/new.out" 2>"$LOGS/new.err" || rc=$?
[[ $rc -eq 1 ]] || { show_log new; fail "kcube run under ulimit -f 16 exited $rc, expected 1"; }
check_full_message new "$store"
study new-again "$store"
check_intact "$store"
check_run_finished "$store" 1 "$CELLS"
export_run new "$store" 1
same_exports new reference
