#!/usr/bin/env bash
# engine.threads-memory: what kcube run and kcube simulate may take from the machine.
#   - --threads auto runs (one rule with run.threads: 'auto' or 1 to 1024; the refusals of 0,
#     1025, -1, abc and of run.threads 0, 2000 are rows of the bad-input table);
#   - a team of threads that cannot be started is a kcube error (exit 2, "cannot start N
#     threads") before any store exists, instead of libgomp's "Thread creation failed" and an
#     exit(1) that leaves the run `running`. The failure is injected with the test hook
#     KCUBE_FAULT_THREAD_START (resources.hpp): the real limits (RLIMIT_NPROC, pids.max) do not
#     apply to root and differ between machines;
#   - a cell whose memory estimate exceeds --memory-limit is refused (exit 2) with the estimate,
#     the limit and how to lower it, before any store exists.
#   usage: bash threads_memory.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/run/lib.sh
source "$HERE/../run/lib.sh"
run_init threads-memory "$@"

MANIFEST=$SRC/tests/bad_input/manifests/good.yaml
GAUSSIAN=gaussian:c_in=1e-6,c_out=1e-5,t_in=0.001,t_out=0.01,acc_mean=0.9,acc_std=0.05

step "--threads auto and 16 run, with kcube run and kcube simulate"
run auto "$KCUBE" run "$MANIFEST" --store "$WORK/auto.sqlite" --threads auto --quiet
check_run_finished "$WORK/auto.sqlite" 1 1
run most "$KCUBE" run "$MANIFEST" --store "$WORK/most.sqlite" --threads 16 --quiet
check_run_finished "$WORK/most.sqlite" 1 1
run simulate-auto "$KCUBE" simulate --profile "$GAUSSIAN" --scenario budget:k_max=8 --trials 20 \
  --threads auto

step "a team that cannot start: a kcube error naming the count, before the store exists"
expect_exit 2 probe env KCUBE_FAULT_THREAD_START=3 \
  "$KCUBE" run "$MANIFEST" --store "$WORK/probe.sqlite" --threads 8 --quiet
expect_err probe "cannot start 8 threads: Resource temporarily unavailable (only 4 could run at once); lower --threads"
no_file "$WORK/probe.sqlite" "a run whose threads cannot start"
expect_exit 2 probe-simulate env KCUBE_FAULT_THREAD_START=0 \
  "$KCUBE" simulate --profile "$GAUSSIAN" --scenario budget:k_max=8 --trials 20 --threads 2
expect_err probe-simulate "cannot start 2 threads: Resource temporarily unavailable"
expect_exit 2 probe-malformed env KCUBE_FAULT_THREAD_START=many \
  "$KCUBE" run "$MANIFEST" --store "$WORK/probe.sqlite" --threads 2 --quiet
expect_err probe-malformed "KCUBE_FAULT_THREAD_START (a test hook): expected a whole number"
no_file "$WORK/probe.sqlite" "a run with a malformed test hook"

step "a cell beyond --memory-limit is refused before the store exists"
# 200,000 trials x 4 values of k (4, 8, 12, 16) x 3 metrics x 8 bytes = 18.3 MiB of trial values.
expect_exit 2 memory "$KCUBE" run "$MANIFEST" --store "$WORK/memory.sqlite" --quiet \
  --set run.trials=200000 --memory-limit 16M
expect_err memory "kcube run: the cell of profile 'tiny' and scenario 'balanced' (200000 trials,"
expect_err memory "needs about 18.3 MiB of memory, more than the memory limit of 16.0 MiB"
expect_err memory "lower run.trials or --threads, or raise --memory-limit (e.g. --memory-limit 19M)"
no_file "$WORK/memory.sqlite" "a run beyond its memory limit"
# kcube simulate's grid is 1 to 16: 16 values of k, 73.3 MiB.
expect_exit 2 memory-simulate "$KCUBE" simulate --profile "$GAUSSIAN" --scenario budget:k_max=16 \
  --trials 200000 --threads 1 --memory-limit 64M
expect_err memory-simulate "kcube simulate: 200000 trials on 1 thread needs about 73.3 MiB"
