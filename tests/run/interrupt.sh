#!/usr/bin/env bash
# run.interrupt: SIGINT and SIGTERM during `kcube run` end it with 130 / 143 after the cell being
# written, mark the run interrupted, and print the exact command that continues it; that command
# finishes the run with the exports of an uninterrupted run. A run killed with SIGKILL is shown
# `stopped` by `kcube runs` once its process is gone, and `--resume` takes it over (while the
# process lives, --resume refuses it). No timing: the signals are sent while the run is parked in
# a sleep of KCUBE_FAULT_INJECTION after a committed cell (600 s, which a handled signal ends:
# framework/src/store/faults.hpp), or while a cell of 2e7 trials runs (which would take far longer than
# the test: the engine must stop at the signal).
#   usage: bash interrupt.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init interrupt "$@"
# Job control: background jobs in their own process group, not ignoring SIGINT (as a script's
# background jobs otherwise do, and kcube leaves an ignored signal ignored).
set -m
manifest=$SRC/experiments/paper-2025.yaml
reference=$WORK/reference.sqlite
sets=(--set run.trials=200)

# wait_for STORE SQL N: waits (at most 120 s) until SQL on STORE gives at least N, while the
# background run lives.
wait_for() {
  local n deadline=$((SECONDS + 120))
  while :; do
    n=$(sqlite3 -batch "$1" "$2" 2>/dev/null || echo 0)
    [[ ${n:-0} -ge $3 ]] && return 0
    kill -0 "$BACKGROUND_PID" 2>/dev/null || { show_log background; fail "the run ended before '$2' reached $3"; }
    [[ $SECONDS -lt $deadline ]] || fail "'$2' did not reach $3 in 120 s"
    sleep 0.05
  done
}

# background LOG STORE [ENV=VALUE] ARGS...: kcube run of the study in the background.
background() {
  local log=$1 store=$2 fault=$3
  shift 3
  KCUBE_FAULT_INJECTION=$fault "$KCUBE" run "$manifest" "$@" --store "$store" --quiet \
    >"$LOGS/$log.out" 2>"$LOGS/$log.err" &
  BACKGROUND_PID=$!
}

# ended LOG CODE: the background run ended with exit status CODE.
ended() {
  local rc=0
  wait "$BACKGROUND_PID" || rc=$?
  BACKGROUND_PID=
  [[ $rc -eq $2 ]] || { show_log "$1"; fail "$1: the run ended with $rc, expected $2"; }
}

step "the reference: an uninterrupted run"
run reference "$KCUBE" run "$manifest" "${sets[@]}" --store "$reference" --quiet
check_run_finished "$reference" 1 27

step "SIGINT while the run sleeps after its second cell: exit 130, run interrupted with 2 cells"
store=$WORK/int.sqlite
background background "$store" sleep=600000:write_cell:after_commit:2 "${sets[@]}" --threads 2
wait_for "$store" "SELECT count(*) FROM cells WHERE run_id=1" 2
kill -INT "$BACKGROUND_PID"
ended background 130
cp "$LOGS/background.err" "$LOGS/int.err"
cp "$LOGS/background.out" "$LOGS/int.out"
expect_err int "kcube run: interrupted by SIGINT: run 1 is marked interrupted with 2 of 27 cells stored (25 not run"
expect_err int "Continue it with:"
command=$(grep -A1 'Continue it with:' "$LOGS/int.err" | tail -n 1 | sed 's/^ *//')
expect_eq "the resume command" "$command" \
  "kcube run $manifest ${sets[*]} --threads 2 --store $store --quiet --resume"
expect_eq "integrity_check" "$(sql "$store" "PRAGMA integrity_check")" ok
expect_eq "status after SIGINT" "$(sql "$store" "SELECT status FROM runs WHERE id=1")" interrupted
expect_eq "cells after SIGINT" "$(sql "$store" "SELECT count(*) FROM cells")" 2
run runs-int "$KCUBE" runs "$store"
expect_out runs-int "interrupted"

step "the printed command finishes the run: the exports of the uninterrupted run"
eval "\"\$KCUBE\" ${command#kcube }" >"$LOGS/resume-int.out" 2>"$LOGS/resume-int.err" ||
  { show_log resume-int; fail "the printed resume command failed"; }
expect_eq "runs after the resume" "$(sql "$store" "SELECT count(*) FROM runs")" 1
check_run_finished "$store" 1 27
for table in selections candidates; do
  run "export-int-$table" "$KCUBE" export "$store" --table "$table" -o "$WORK/int-$table.csv"
  run "export-ref-$table" "$KCUBE" export "$reference" --table "$table" -o "$WORK/ref-$table.csv"
  cmp -s "$WORK/int-$table.csv" "$WORK/ref-$table.csv" || fail "the $table of the resumed run differ"
done

step "SIGTERM inside a cell of 2e7 trials: the engine stops, exit 143, the cell is not stored"
store=$WORK/term.sqlite
background background "$store" "" --set run.trials=20000000 --threads 1
wait_for "$store" "SELECT count(*) FROM runs" 1
kill -TERM "$BACKGROUND_PID"
ended background 143
cp "$LOGS/background.err" "$LOGS/term.err"
expect_err term "kcube run: interrupted by SIGTERM: run 1 is marked interrupted with 0 of 27 cells stored"
expect_err term "--set run.trials=20000000 --threads 1 --store $store --quiet --resume"
expect_eq "status after SIGTERM" "$(sql "$store" "SELECT status FROM runs WHERE id=1")" interrupted
expect_eq "cells after SIGTERM" "$(sql "$store" "SELECT count(*) FROM cells")" 0
expect_eq "integrity_check" "$(sql "$store" "PRAGMA integrity_check")" ok

step "SIGKILL: running while the process lives (--resume refuses it), then stopped and taken over"
store=$WORK/kill.sqlite
background background "$store" sleep=600000:write_cell:after_commit:1 "${sets[@]}"
victim=$BACKGROUND_PID
wait_for "$store" "SELECT count(*) FROM cells WHERE run_id=1" 1
run runs-live "$KCUBE" runs "$store"
expect_out runs-live " running "
expect_exit 2 resume-live "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --resume --quiet
expect_err resume-live "run 1 is being written by process $victim on this host"
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
BACKGROUND_PID=
expect_eq "status after SIGKILL" "$(sql "$store" "SELECT status FROM runs WHERE id=1")" running
expect_eq "writer_pid" "$(sql "$store" "SELECT writer_pid FROM runs WHERE id=1")" "$victim"
run runs-killed "$KCUBE" runs "$store"
expect_out runs-killed " stopped "
run resume-killed "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --resume --quiet
expect_out resume-killed "store: $store (run 1)"
check_run_finished "$store" 1 27
expect_eq "writer after the take-over" "$(sql "$store" "SELECT writer_pid <> $victim FROM runs WHERE id=1")" 1
run export-killed "$KCUBE" export "$store" --table selections -o "$WORK/killed.csv"
cmp -s "$WORK/killed.csv" "$WORK/ref-selections.csv" || fail "the selections of the taken-over run differ"
