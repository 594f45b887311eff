#!/usr/bin/env bash
# run.crash-resume: experiments/paper-2025.yaml is run on 2 threads and killed with SIGKILL right
# after its second cell is committed (KCUBE_FAULT_INJECTION=kill:write_cell:after_commit:2, see
# framework/src/store/faults.hpp: a place in the write path, not a time). The store is intact, the
# killed run is 'running' with fewer than 27 cells; `kcube run --resume` with the same overrides
# finishes that run (no new run), and its exports, without the run_id column, equal those of an
# uninterrupted run in another store.
#   usage: bash resume.sh KCUBE SOURCE_DIR SCRATCH_DIR TRIALS
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init crash-resume "$@"
trials=${4:?usage: resume.sh KCUBE SOURCE_DIR SCRATCH_DIR TRIALS}
manifest=$SRC/experiments/paper-2025.yaml
killed=$WORK/killed.sqlite
reference=$WORK/reference.sqlite
sets=(--set run.trials="$trials")

step "kcube run killed with SIGKILL after its second committed cell ($trials trials)"
expect_exit 137 killed env KCUBE_FAULT_INJECTION=kill:write_cell:after_commit:2 \
  "$KCUBE" run "$manifest" "${sets[@]}" --store "$killed" --threads 2 --quiet
echo "killed with $(sql "$killed" "SELECT count(*) FROM cells WHERE run_id=1 AND status='finished'") finished cells"

step "the killed store is intact"
expect_eq "integrity_check" "$(sql "$killed" "PRAGMA integrity_check")" ok
expect_eq "runs after the kill" "$(sql "$killed" "SELECT count(*) FROM runs")" 1
expect_eq "status of the killed run" "$(sql "$killed" "SELECT status FROM runs WHERE id=1")" running
expect_eq "cell_count of the killed run" "$(sql "$killed" "SELECT cell_count FROM runs WHERE id=1")" 27
n=$(sql "$killed" "SELECT count(*) FROM cells WHERE run_id=1")
[[ $n -ge 2 && $n -lt 27 ]] || fail "the killed run has $n cells, expected 2 to 26"
# Each stored cell is complete: 6 selections and its candidates (one transaction per cell).
expect_eq "stored cells without 6 selections" "$(sql "$killed" \
  "SELECT count(*) FROM cells c WHERE run_id=1 AND
     (SELECT count(*) FROM selections s WHERE s.run_id=1 AND s.cell_key=c.cell_key) <> 6")" 0
expect_eq "candidates of cells not stored" "$(sql "$killed" \
  "SELECT count(*) FROM candidates d WHERE run_id=1 AND NOT EXISTS
     (SELECT 1 FROM cells c WHERE c.run_id=1 AND c.cell_key=d.cell_key)")" 0
before=$(sql "$killed" "SELECT group_concat(cell_key || '=' || seconds, ';') FROM (SELECT * FROM cells WHERE run_id=1 ORDER BY cell_key)")

step "--resume with other overrides finds no run: exit 2, nothing written"
expect_exit 2 resume-other "$KCUBE" run "$manifest" --set run.trials=$((trials + 1)) --store "$killed" --resume --quiet
expect_eq "runs after a refused --resume" "$(sql "$killed" "SELECT count(*) FROM runs")" 1

step "kcube run --resume finishes the killed run"
run resume "$KCUBE" run "$manifest" "${sets[@]}" --store "$killed" --threads 2 --resume --quiet
expect_eq "last line of the resumed run" "$(tail -n 1 "$LOGS/resume.out")" "store: $killed (run 1)"
expect_eq "runs after --resume" "$(sql "$killed" "SELECT count(*) FROM runs")" 1
check_run_finished "$killed" 1 27
# The cells stored before the kill were skipped, not recomputed.
expect_eq "cells stored before the kill" "$(sql "$killed" \
  "SELECT group_concat(cell_key || '=' || seconds, ';') FROM (SELECT * FROM cells WHERE run_id=1 AND ('$before' LIKE '%' || cell_key || '=%') ORDER BY cell_key)")" "$before"
run resume-again "$KCUBE" run "$manifest" "${sets[@]}" --store "$killed" --resume
expect_out resume-again "run 1 is already finished; nothing to do"

step "an uninterrupted run of the same manifest and overrides"
run reference "$KCUBE" run "$manifest" "${sets[@]}" --store "$reference" --threads 2 --quiet
check_run_finished "$reference" 1 27

step "exports of the resumed and the uninterrupted run are equal (run_id cut)"
for table in selections candidates; do
  run "export-killed-$table" "$KCUBE" export "$killed" --table "$table" -o "$WORK/killed-$table.csv"
  run "export-reference-$table" "$KCUBE" export "$reference" --table "$table" -o "$WORK/reference-$table.csv"
  diff <(cut -d, -f2- "$WORK/killed-$table.csv") <(cut -d, -f2- "$WORK/reference-$table.csv") \
    >"$LOGS/diff-$table.log" || {
    head -n 20 "$LOGS/diff-$table.log" >&2
    fail "the $table of the resumed run differ from those of the uninterrupted run"
  }
done
expect_eq "selections lines" "$(wc -l <"$WORK/killed-selections.csv")" $((27 * 6 + 1))
echo "total ${SECONDS}s"
