#!/usr/bin/env bash
# crash.concurrent-create: three `kcube run` processes started at once on one new store, ROUNDS
# times (default 30), while three busy loops compete with them for the CPU. Creating a store
# must be atomic with respect to the other processes: one of the three used to fail at random
# with "is not a kcube results store (an SQLite database of another program)" (about 1 round in
# 130 here; more often under CI load), having read the version and application id of the empty
# file before another process created the tables and counted the tables after. Then two rounds
# hold that window open with KCUBE_FAULT_INJECTION (see framework/src/store.hpp):
#   - one process pauses 1.5 s while reading what the file is (check_identity:before_tables),
#     and the two others start once it has created the file: they create the store during the
#     pause unless the paused process holds its snapshot, and its reads must agree;
#   - the process that creates the schema holds its transaction open for 1 s before COMMIT
#     (migrate:before_commit): the others wait for it and find the store made.
# Each round: all three exit 0, the store holds three finished runs of one cell each, and
# PRAGMA integrity_check is ok.
#   usage: bash concurrent_create.sh KCUBE SOURCE_DIR SCRATCH_DIR [ROUNDS]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init crash-concurrent-create "$@"
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
  run_finish
}
trap finish EXIT

# start NAME I FAULT: kcube run of the tiny manifest into $store in the background (pid appended
# to pids), with KCUBE_FAULT_INJECTION=FAULT (none when empty).
start() {
  env KCUBE_FAULT_INJECTION="$3" "$KCUBE" run "$TINY" --store "$store" --threads 1 --quiet \
    >"$LOGS/$1-$2.out" 2>"$LOGS/$1-$2.err" &
  pids+=($!)
}

# finish_round NAME: every writer of the round exited 0 and the store is whole; then removes it.
finish_round() {
  local i rc
  for i in 0 1 2; do
    rc=0
    wait "${pids[$i]}" || rc=$?
    [[ $rc -eq 0 ]] || {
      show_log "$1-$i"
      fail "$1: writer $i of 3 exited with $rc"
    }
  done
  expect_eq "$1: integrity_check, finished runs, finished cells" "$(sql "$store" "
    PRAGMA integrity_check;
    SELECT count(*) FROM runs WHERE status = 'finished';
    SELECT count(*) FROM cells WHERE status = 'finished'" | tr '\n' ' ')" "ok 3 3 "
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
  pids=()
  for i in 0 1 2; do
    start "round-$round" "$i" ""
  done
  finish_round "round-$round"
done
echo "$ROUNDS rounds passed"

step "one process pauses between its reads of what the file is; the others start meanwhile"
store=$WORK/paused-reader.sqlite
pids=()
start paused-reader 0 "sleep=1500:check_identity:before_tables:1"
# It creates the file as it opens it, just before reading it: start the others then.
for ((wait_ms = 0; wait_ms < 30000; wait_ms += 10)); do
  [[ -e $store ]] && break
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.01
done
[[ -e $store ]] || {
  show_log paused-reader-0
  fail "the paused process did not create $store"
}
start paused-reader 1 ""
start paused-reader 2 ""
finish_round paused-reader

step "the process that creates the schema holds its transaction open for 1 s"
store=$WORK/slow-create.sqlite
pids=()
for i in 0 1 2; do
  start slow-create "$i" "sleep=1000:migrate:before_commit:1"
done
finish_round slow-create
stop_load
