#!/usr/bin/env bash
# distributed.shards: `kcube run --shard I/N` runs a deterministic share of the cells into its own
# store, and `kcube merge` makes the shards one run whose every stored value equals a one-process
# run's (run ids, timestamps and wall times aside). Also: the Slurm job-array script of the README
# run with the variables Slurm sets, a killed shard resumed, a partial merge completed later with
# `kcube run --resume`, more shards than cells, and bad --shard values.
#   usage: bash shards.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init shards "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "the one-process reference run"
run reference "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$WORK/one.sqlite" --threads 1 --quiet
dump "$WORK/one.sqlite" 1 "$WORK/one.dump"

step "three shards, each a third of the cells in its own store"
for i in 1 2 3; do
  run "shard-$i" "$KCUBE" run "$MANIFEST" "${SETS[@]}" --shard "$i/3" \
    --store "$WORK/part-$i.sqlite" --threads 1
  expect_out "shard-$i" "18 cells run"
  expect_out "shard-$i" "(shard $i/3 of $CELLS planned cells)"
  expect_eq "run of shard $i" "$(run_row "$WORK/part-$i.sqlite" 1)" "finished|18|$CELLS|$i|3|1"
  # Round robin over the plan: shard i holds the positions p with p % 3 = i - 1.
  expect_eq "positions of shard $i" \
    "$(sql "$WORK/part-$i.sqlite" "SELECT count(*) FROM cells WHERE position % 3 <> $i - 1")" 0
done

step "kcube merge: one finished run, every value equal to the one-process run"
run merge "$KCUBE" merge "$WORK/merged.sqlite" "$WORK/part-1.sqlite" "$WORK/part-2.sqlite" \
  "$WORK/part-3.sqlite"
expect_eq "merged run" "$(run_row "$WORK/merged.sqlite" 1)" "finished|$CELLS|$CELLS|-|-|1"
same_numbers "merged shards" "$WORK/merged.sqlite" 1 "$WORK/one.dump"
# The merged run keeps where its parts came from.
expect_eq "parts recorded" \
  "$(sql "$WORK/merged.sqlite" "SELECT json_array_length(merged_from) FROM runs WHERE id = 1")" 3

step "the Slurm job-array script (tools/slurm/kcube-shards.sbatch), array 0-3, then merge"
for task in 0 1 2 3; do
  run "slurm-$task" env SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=4 \
    SLURM_CPUS_PER_TASK=1 KCUBE="$KCUBE" \
    bash "$SRC/tools/slurm/kcube-shards.sbatch" "$MANIFEST" "$WORK/slurm" "${SETS[@]}"
done
run slurm-merge "$KCUBE" merge "$WORK/slurm/study.sqlite" "$WORK"/slurm/part-*.sqlite
same_numbers "Slurm array of 4, merged" "$WORK/slurm/study.sqlite" 1 "$WORK/one.dump"

step "a shard killed after 5 cells continues with --resume (the script resumes it too)"
mkdir -p "$WORK/again"
expect_exit 137 killed env KCUBE_FAULT_INJECTION=kill:write_cell:after_commit:5 \
  "$KCUBE" run "$MANIFEST" "${SETS[@]}" --shard 2/3 --store "$WORK/again/part-2.sqlite" \
  --threads 1 --quiet
expect_eq "cells of the killed shard" "$(run_row "$WORK/again/part-2.sqlite" 1)" "running|18|$CELLS|2|3|1"
before=$(stored_cells "$WORK/again/part-2.sqlite" 1)
expect_eq "cells stored before the kill" "$(grep -c . <<<"$before")" 5
run resumed env SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 KCUBE="$KCUBE" \
  bash "$SRC/tools/slurm/kcube-shards.sbatch" "$MANIFEST" "$WORK/again" "${SETS[@]}"
# The script runs with --quiet: its log (Slurm's output file) is the store line alone.
expect_eq "output of the resumed task" "$(cat "$LOGS/resumed.out")" \
  "store: $WORK/again/part-2.sqlite (run 1)"
expect_eq "cells the resume ran" "$(resumed_cells "$WORK/again/part-2.sqlite" 1 "$before")" 13
expect_eq "resumed shard" "$(run_row "$WORK/again/part-2.sqlite" 1)" "finished|18|$CELLS|2|3|1"
# --resume finds the run of its own shard only.
expect_exit 2 wrong-shard "$KCUBE" run "$MANIFEST" "${SETS[@]}" --shard 1/3 \
  --store "$WORK/again/part-2.sqlite" --resume --quiet
expect_err wrong-shard "holds no unfinished run of this manifest"
expect_err wrong-shard "shard 1/3"

step "a partial merge is refused, then taken with --partial and completed by --resume"
expect_exit 2 partial "$KCUBE" merge "$WORK/partial.sqlite" "$WORK/part-1.sqlite" \
  "$WORK/again/part-2.sqlite"
expect_err partial "3/3"
no_file "$WORK/partial.sqlite" "a refused merge"
run partial-ok "$KCUBE" merge "$WORK/partial.sqlite" "$WORK/part-1.sqlite" "$WORK/again/part-2.sqlite" \
  --partial
expect_eq "partial run" "$(sql "$WORK/partial.sqlite" "SELECT status, (SELECT count(*) FROM cells)
  FROM runs WHERE id = 1")" "failed|36"
run complete "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$WORK/partial.sqlite" --resume \
  --threads 1
expect_out complete "resumed; 18 cells run"
expect_eq "completed run" "$(sql "$WORK/partial.sqlite" "SELECT status FROM runs WHERE id = 1")" \
  finished
same_numbers "partial merge completed by --resume" "$WORK/partial.sqlite" 1 "$WORK/one.dump"

step "more shards than cells: the extra shards are empty runs, and merge still takes them"
run empty "$KCUBE" run "$MANIFEST" "${SETS[@]}" --shard 60/60 --store "$WORK/empty.sqlite"
expect_out empty "0 cells run"
expect_eq "empty shard" "$(run_row "$WORK/empty.sqlite" 1)" "finished|0|$CELLS|60|60|1"

step "bad --shard values are refused before any store exists"
for bad in 0/3 4/3 3 a/b 1/0 -1/2 2/3/4 ""; do
  expect_exit 2 "bad-shard" "$KCUBE" run "$MANIFEST" --shard "$bad" --store "$WORK/bad.sqlite"
  expect_err bad-shard "--shard"
  no_file "$WORK/bad.sqlite" "--shard '$bad'"
done
expect_exit 2 zero-based "$KCUBE" run "$MANIFEST" --shard 0/8 --store "$WORK/bad.sqlite"
expect_err zero-based 'SLURM_ARRAY_TASK_ID + 1'
