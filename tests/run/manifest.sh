#!/usr/bin/env bash
# run.manifest.<name>: a shipped manifest runs to the end with a small trial count, the store
# holds one finished cell for every cell `kcube validate` plans, and `kcube report` makes its
# report: HTML that parses and references nothing remote, every figure a non-empty PNG, the picks
# tables equal to the store (tests/report/check_report.py).
#   usage: bash manifest.sh KCUBE SOURCE_DIR SCRATCH_DIR MANIFEST [--set PATH=VALUE]...
# The report's figures go through stand_in_plot.py, which checks the figure data with the
# plotter's own input checks and writes a one-pixel PNG per figure: the same checks of the report,
# in seconds (drawing is tested by report.plot and run.report-figures).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init "manifest-$(basename "$4" .yaml)" "$@"
manifest=$4
shift 4
sets=("$@")
export KCUBE_PLOT_SCRIPT=$SRC/tests/run/stand_in_plot.py
store=$WORK/m.sqlite

step "kcube validate $manifest ${sets[*]}"
run validate "$KCUBE" validate "$manifest" "${sets[@]}"
expect_out validate valid
cells=$(planned_cells validate)
[[ $cells -gt 0 ]] || fail "validate plans $cells cells"

step "kcube run $manifest ${sets[*]} ($cells cells)"
run run "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --quiet
[[ -f $store ]] || fail "kcube run wrote no store at $store"
expect_out run "store: $store (run 1)"
expect_eq "runs in the store" "$(sql "$store" "SELECT count(*) FROM runs")" 1
check_run_finished "$store" 1 "$cells"
expect_eq "integrity_check" "$(sql "$store" "PRAGMA integrity_check")" ok
# Every cell has candidates and one selection per optimizer of the manifest.
expect_eq "cells without candidates" "$(sql "$store" \
  "SELECT count(*) FROM cells c WHERE run_id=1 AND NOT EXISTS
     (SELECT 1 FROM candidates d WHERE d.run_id=1 AND d.cell_key=c.cell_key)")" 0
# --quiet: nothing on standard error for a run that succeeds.
[[ ! -s $LOGS/run.err ]] || { echo "FAIL: kcube run --quiet wrote to standard error:" >&2; show_log run; exit 1; }

step "kcube report (figures through the stand-in plotter)"
report=$WORK/report
run report "$KCUBE" report "$store" --out "$report" --dpi 40
expect_out report "report:  $report/report.md"
expect_out report "figures: "
if grep -q "figures: none" "$LOGS/report.out"; then
  fail "kcube report drew no figures: $(grep 'figures:' "$LOGS/report.out")"
fi
run check python3 "$SRC/tests/report/check_report.py" "$report" "$store" 1
cat "$LOGS/check.out"
