#!/usr/bin/env bash
# crash.concurrent-create: three `kcube run` processes started at once on one new store, ROUNDS
# times (default 30), while three busy loops compete with them for the CPU. Creating a store
# must be atomic with respect to the other processes: one of the three used to fail at random
# with "is not a kcube results store (an SQLite database of another program)" (about 1 round in
# 130 here; more often under CI load), having read the version and application id of the empty
# file before another process created the tables and counted the tables after. Then two rounds
# hold that window open with KCUBE_FAULT_INJECTION's touch= and wait= (framework/src/store/faults.hpp),
# in a fixed order, not for a time:
#   - one process pauses while reading what the file is (check_identity:before_tables) until
#     another, started then, has either found the file locked (lock:busy: the paused process
#     holds its snapshot) or made the store and begun its run (begin_run:before_commit: it does
#     not); the paused process's reads must agree either way;
#   - the process that creates the schema holds its transaction open before COMMIT
#     (migrate:before_commit) until two others, started then, wait for its lock (lock:busy):
#     they find the store made.
# Each round: every process exits 0, the store holds one finished run of one cell per process,
# and PRAGMA integrity_check is ok.
#   usage: bash concurrent_create.sh KCUBE SOURCE_DIR SCRATCH_DIR [ROUNDS]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init crash-concurrent-create "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROUNDS=${4:-30}

# One profile, one scenario, one optimizer, few trials: a run takes a few milliseconds, so the
# three processes open the store at nearly the same moment.
TINY=$WORK/tiny.yaml
cat >"$TINY" <<'EOF'
kcube: 1
experiment: concurrent-create
profiles:
  tiny:
    plugin: gaussian
    params: {c_in: 1.0e-6, c_out: 1.0e-5, t_in: 0.001, t_out: 0.01, mu_Lin: 100, sigma_Lin: 10,
             mu_Lout: 100, sigma_Lout: 10, acc_mean: 0.9, acc_std: 0.05}
scenarios:
  balanced:
    plugin: budget
    params: {cost_max: 0.5, latency_max: 60, accuracy_min: 0.88, parallelism: 4, k_max: 16}
optimizers:
  accuracy-max:
    plugin: accuracy-max
run:
  trials: 20
EOF

LOAD=()
# start_load: three busy loops. Each also ends by itself after 120 s or once this script is gone,
# should it be killed before its EXIT trap runs.
start_load() {
  local i
  for i in 1 2 3; do
    (
      end=$((SECONDS + 120))
      while ((SECONDS < end)) && kill -0 $$ 2>/dev/null; do :; done
    ) &
    LOAD+=($!)
  done
}
stop_load() {
  [[ ${#LOAD[@]} -eq 0 ]] && return 0
  kill "${LOAD[@]}" 2>/dev/null || true
  wait "${LOAD[@]}" 2>/dev/null || true
  LOAD=()
}
finish() {
  local status=$?
  set +e
  stop_load
  (exit "$status")
  stop_writers
  harness_finish
}
trap finish EXIT

# start NAME I FAULT: kcube run of the tiny manifest into $store in the background (a writer of
# tests/crash/lib.sh, logged as NAME-I), with KCUBE_FAULT_INJECTION=FAULT (none when empty).
start() {
  start_writer "$1-$2" "$3" "$KCUBE" run "$TINY" --store "$store" --threads 1 --quiet
}

# finish_round NAME: every writer of the round exited 0 and the store is whole, with one finished
# run of one cell per writer; then removes it.
finish_round() {
  local count=${#WRITERS[@]}
  wait_writers
  expect_eq "$1: integrity_check, finished runs, finished cells" "$(sql "$store" "
    PRAGMA integrity_check;
    SELECT count(*) FROM runs WHERE status = 'finished';
    SELECT count(*) FROM cells WHERE status = 'finished'" | tr '\n' ' ')" "ok $count $count "
  rm -f "$store" "$store"-*
}

step "one run alone"
store=$WORK/alone.sqlite
run alone "$KCUBE" run "$TINY" --store "$store" --threads 1 --quiet
check_run_finished "$store" 1 1

step "$ROUNDS rounds of three runs at once on a new store, with three busy loops"
start_load
for ((round = 1; round <= ROUNDS; round++)); do
  store=$WORK/round-$round.sqlite
  for i in 0 1 2; do
    start "round-$round" "$i" ""
  done
  finish_round "round-$round"
done
echo "$ROUNDS rounds passed"

step "one process pauses between its reads of what the file is; another starts meanwhile"
store=$WORK/paused-reader.sqlite
sync=$WORK/sync-paused-reader
mkdir -p "$sync"
start paused-reader 0 "touch=$sync/paused:check_identity:before_tables:1,wait=$sync/went-on:check_identity:before_tables:1"
await_file "$sync/paused"
start paused-reader 1 "touch=$sync/went-on:lock:busy:1,touch=$sync/went-on:begin_run:before_commit:1"
finish_round paused-reader

step "the process that creates the schema holds its transaction open until two others wait"
store=$WORK/slow-create.sqlite
sync=$WORK/sync-slow-create
mkdir -p "$sync"
start slow-create 0 "touch=$sync/holds:migrate:before_commit:1,wait=$sync/waits-1:migrate:before_commit:1,wait=$sync/waits-2:migrate:before_commit:1"
await_file "$sync/holds"
start slow-create 1 "touch=$sync/waits-1:lock:busy:1"
start slow-create 2 "touch=$sync/waits-2:lock:busy:1"
finish_round slow-create
stop_load
