#!/usr/bin/env bash
# distributed.mpi: `mpirun -np 2 kcube run` shares the cells over two ranks (rank 0 hands them out
# and alone writes the store) and stores exactly what one process stores, as do two shards merged
# (run ids, timestamps and wall times aside), with 1 or 2 OpenMP threads per rank. Then, under
# MPI: rank 0 killed mid-run and the run continued with --resume; plugin failures stored as error
# cells; --fail-fast; --cell-timeout; ranks that would run different manifests; a bad manifest
# and a store that cannot be opened, reported once and without a hang.
#   usage: bash mpi.sh KCUBE SOURCE_DIR SCRATCH_DIR MPIEXEC MISBEHAVING_PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init mpi "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MPIEXEC=${4:?usage: bash $0 KCUBE SOURCE_DIR SCRATCH_DIR MPIEXEC PLUGIN_DIR}
PLUGINS=${5:?usage: bash $0 KCUBE SOURCE_DIR SCRATCH_DIR MPIEXEC PLUGIN_DIR}
# Two ranks on however many cores there are, as root in CI containers, and without ssh (Open MPI
# starts local ranks itself with the isolated launcher).
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_plm=isolated
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Open MPI's own allocations at exit (its components are unloaded by then, so their frames have
# no module and cannot be suppressed by name) would fail the ASan job: leak checking is off for
# processes mpirun starts (kcube's code is leak-checked by every other test); ASan and UBSan stay.
launch() {
  if [[ -n ${ASAN_OPTIONS:-} ]]; then
    ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "$MPIEXEC" "$@"
  else
    "$MPIEXEC" "$@"
  fi
}
mpi() { launch -np 2 "$@"; }

step "the one-process reference run"
run reference "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$WORK/one.sqlite" --threads 1 --quiet
dump "$WORK/one.sqlite" 1 "$WORK/one.dump"

step "mpirun -np 2, one thread per rank: the same values; rank 0 alone wrote the store"
run mpi launch -np 2 "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$WORK/mpi.sqlite" \
  --threads 1
expect_out mpi "$CELLS cells run"
expect_out mpi "mpi: 2 ranks on 1 host"
expect_eq "run of 2 ranks" "$(run_row "$WORK/mpi.sqlite" 1)" "finished|$CELLS|$CELLS|-|-|2"
same_numbers "mpirun -np 2" "$WORK/mpi.sqlite" 1 "$WORK/one.dump"
# Both ranks ran cells.
grep -qE "rank 0 ran [1-9][0-9]* cells, the others [1-9]" "$LOGS/mpi.out" ||
  fail "one rank ran no cell: $(grep 'mpi:' "$LOGS/mpi.out")"

step "two threads per rank (OpenMP inside each rank): the same values"
run mpi-threads launch -np 2 "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$WORK/mpi.sqlite" \
  --threads 2 --quiet
# --quiet under MPI: the store line alone, from rank 0 (no share line, nothing from rank 1).
expect_eq "output of --quiet under MPI" "$(cat "$LOGS/mpi-threads.out")" \
  "store: $WORK/mpi.sqlite (run 2)"
same_numbers "mpirun -np 2 --threads 2" "$WORK/mpi.sqlite" 2 "$WORK/one.dump"

step "two shards merged: the same values (one process = 2 ranks = 2 merged shards)"
for i in 1 2; do
  run "shard-$i" "$KCUBE" run "$MANIFEST" "${SETS[@]}" --shard "$i/2" \
    --store "$WORK/part-$i.sqlite" --threads 1 --quiet
done
run merge "$KCUBE" merge "$WORK/merged.sqlite" "$WORK/part-1.sqlite" "$WORK/part-2.sqlite"
same_numbers "two merged shards" "$WORK/merged.sqlite" 1 "$WORK/one.dump"

step "a shard shared over 2 ranks"
run mpi-shard mpi "$KCUBE" run "$MANIFEST" "${SETS[@]}" --shard 2/2 --store "$WORK/mpi-shard.sqlite" \
  --threads 1 --quiet
expect_eq "run of shard 2/2 on 2 ranks" "$(run_row "$WORK/mpi-shard.sqlite" 1)" \
  "finished|27|$CELLS|2|2|2"
expect_eq "its cells" "$(sql "$WORK/mpi-shard.sqlite" \
  "SELECT count(*) FROM cells WHERE position % 2 = 1 AND status = 'finished'")" 27

step "rank 0 killed after storing 10 cells: mpirun ends every rank; --resume under MPI finishes"
rc=0
KCUBE_FAULT_INJECTION=kill:write_cell:after_commit:10 launch -np 2 "$KCUBE" run \
  "$MANIFEST" "${SETS[@]}" --store "$WORK/killed.sqlite" --threads 1 --quiet \
  >"$LOGS/killed.out" 2>"$LOGS/killed.err" || rc=$?
[[ $rc -ne 0 ]] || fail "mpirun exited 0 although rank 0 was killed"
expect_eq "killed run" "$(sql "$WORK/killed.sqlite" "SELECT status, (SELECT count(*) FROM cells)
  FROM runs WHERE id = 1")" "running|10"
expect_eq "integrity after the kill" "$(sql "$WORK/killed.sqlite" "PRAGMA integrity_check")" ok
run resume mpi "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$WORK/killed.sqlite" --resume \
  --threads 1
expect_out resume "resumed; 44 cells run"
same_numbers "killed and resumed under MPI" "$WORK/killed.sqlite" 1 "$WORK/one.dump"

FAULTS=$SRC/tests/misbehaving/faults.yaml
step "a profile that throws: its cells are errors, whichever rank ran them; exit 1"
expect_exit 1 faulty mpi "$KCUBE" --plugin-path "$PLUGINS" run "$FAULTS" \
  --set profiles.bad.params.fault=throw --store "$WORK/faulty.sqlite" --threads 1 --quiet
expect_eq "faulty run" "$(sql "$WORK/faulty.sqlite" "SELECT status FROM runs")" failed
expect_eq "error cells" "$(sql "$WORK/faulty.sqlite" \
  "SELECT group_concat(cell_key, ' ') FROM (SELECT cell_key FROM cells WHERE status = 'error'
   ORDER BY position)")" "bad|bad||0 bad|good||0"
expect_eq "finished cells" "$(sql "$WORK/faulty.sqlite" \
  "SELECT count(*) FROM cells WHERE status = 'finished'")" 2
expect_eq "messages name the plugin" "$(sql "$WORK/faulty.sqlite" \
  "SELECT count(*) FROM cells WHERE status = 'error' AND message LIKE '%faulty-profile%'")" 2
expect_err faulty "kcube run: cell 'bad|bad||0' failed"

step "--fail-fast under MPI: no cell is handed out after the first failure; --resume runs the rest"
expect_exit 1 fail-fast mpi "$KCUBE" --plugin-path "$PLUGINS" run "$FAULTS" \
  --set profiles.bad.params.fault=throw --store "$WORK/fail-fast.sqlite" --threads 1 --quiet \
  --fail-fast
expect_eq "fail-fast run" "$(sql "$WORK/fail-fast.sqlite" "SELECT status FROM runs")" failed
stored=$(sql "$WORK/fail-fast.sqlite" "SELECT count(*) FROM cells")
# Rank 0 holds 1 cell and rank 1 up to 2 when the first failure arrives: at most 3 of the 4.
[[ $stored -ge 1 && $stored -le 3 ]] || fail "--fail-fast under MPI stored $stored cells"
# The profile still throws (--resume needs the same --set), so the retried cells fail again.
expect_exit 1 fail-fast-resume mpi "$KCUBE" --plugin-path "$PLUGINS" run "$FAULTS" \
  --set profiles.bad.params.fault=throw --store "$WORK/fail-fast.sqlite" --threads 1 --quiet \
  --resume
expect_eq "cells after --resume" "$(sql "$WORK/fail-fast.sqlite" "SELECT count(*) FROM cells")" 4

step "--cell-timeout under MPI: the sleeping cells time out on whichever rank, the run ends"
start=$SECONDS
expect_exit 1 timeout mpi "$KCUBE" --plugin-path "$PLUGINS" run "$FAULTS" \
  --set profiles.bad.params.fault=sleep --store "$WORK/timeout.sqlite" --threads 1 --quiet \
  --cell-timeout 1
[[ $((SECONDS - start)) -lt 60 ]] || fail "the sleeping plugin was waited for"
expect_eq "timed-out cells" "$(sql "$WORK/timeout.sqlite" \
  "SELECT count(*) FROM cells WHERE status = 'error' AND message LIKE 'timed out after 1 s%'")" 2

step "ranks that would run different manifests stop before anything is stored"
expect_exit 2 mismatch launch -np 1 "$KCUBE" run "$MANIFEST" "${SETS[@]}" \
  --store "$WORK/mismatch.sqlite" : -np 1 "$KCUBE" run "$MANIFEST" --set run.trials=301 \
  --store "$WORK/mismatch.sqlite"
expect_err mismatch "the ranks would not run the same cells"
expect_err mismatch "rank 1"
no_file "$WORK/mismatch.sqlite" "ranks that disagree"

step "a bad manifest: one message (from rank 0), exit 2, no store, no hang"
expect_exit 2 bad mpi "$KCUBE" run "$WORK/missing.yaml" --store "$WORK/bad.sqlite"
expect_eq "error lines" "$(grep -c '^error:' "$LOGS/bad.err")" 1
expect_err bad "missing.yaml"
no_file "$WORK/bad.sqlite" "a bad manifest"

step "a store rank 0 cannot open: one message, exit 2, no hang"
expect_exit 2 no-folder mpi "$KCUBE" run "$MANIFEST" "${SETS[@]}" \
  --store "$WORK/no/such/folder/s.sqlite" --quiet
expect_eq "error lines" "$(grep -c '^error:' "$LOGS/no-folder.err")" 1
