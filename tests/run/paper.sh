#!/usr/bin/env bash
# run.paper-2025: experiments/paper-2025.yaml at 50 trials end to end: validate, run, the summary
# tables, both exports (CSV headers, row counts, JSON), a second run, `kcube runs` and --run.
#   usage: bash paper.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init paper "$@"
manifest=$SRC/experiments/paper-2025.yaml
store=$WORK/study.sqlite
set50=(--set run.trials=50)

step "kcube validate"
run validate "$KCUBE" validate "$manifest" "${set50[@]}"
expect_out validate valid
expect_out validate "27 cells"

step "kcube run (first run), output not on a terminal"
run run1 "$KCUBE" run "$manifest" "${set50[@]}" --store "$store" --threads 2
# Progress goes to standard error only on a terminal: here it is a file.
[[ ! -s $LOGS/run1.err ]] || { echo "FAIL: kcube run wrote to standard error that is not a terminal:" >&2; show_log run1; exit 1; }
for name in "${PAPER_PROFILES[@]}" "${PAPER_OPTIMIZERS[@]}" "${PAPER_SCENARIOS[@]}"; do
  expect_out run1 "$name"
done
# Summary tables: a row per profile, a column per optimizer, each cell the picked k, or the
# status when there is none (infeasible, too-few-points, error), or '-'.
awk '/^ *-+( +-+)+ *$/ {table = 1; next} /^ *$/ {table = 0} table {
       for (i = 2; i <= NF; i++) if ($i !~ /^([0-9]+|-|infeasible|too-few-points|error)$/) { print "row " $1 ": " $i; bad = 1 }
       rows++ }
     END { if (rows != 27) print rows " profile rows, expected 9 x 3"; exit (bad || rows != 27) }' \
  "$LOGS/run1.out" >"$LOGS/summary-check.log" || {
  cat "$LOGS/summary-check.log" >&2
  fail "the summary tables show something other than a picked k or a status (above)"
}
expect_eq "last line of the summary" "$(tail -n 1 "$LOGS/run1.out")" "store: $store (run 1)"
check_run_finished "$store" 1 27

step "kcube export selections / candidates (CSV, JSON)"
run sel1 "$KCUBE" export "$store" --table selections -o "$WORK/sel1.csv"
run cand1 "$KCUBE" export "$store" --table candidates --format csv -o "$WORK/cand1.csv"
expect_eq "selections header" "$(head -n 1 "$WORK/sel1.csv")" "$SELECTIONS_HEADER"
expect_eq "candidates header" "$(head -n 1 "$WORK/cand1.csv")" "$CANDIDATES_HEADER"
expect_eq "selections lines (27 cells x 6 optimizers + header)" "$(wc -l <"$WORK/sel1.csv")" $((27 * 6 + 1))
expect_eq "candidates lines" "$(wc -l <"$WORK/cand1.csv")" \
  $(($(sql "$store" "SELECT count(*) FROM candidates WHERE run_id=1") + 1))
# Every data row belongs to run 1, with a trial count of 50.
expect_eq "selections rows of another run" "$(tail -n +2 "$WORK/sel1.csv" | cut -d, -f1 | sort -u)" 1
expect_eq "candidates trials" "$(tail -n +2 "$WORK/cand1.csv" | cut -d, -f8 | sort -u)" 50
# Without -o, the export goes to standard output, identical to the file.
run sel1-stdout "$KCUBE" export "$store" --table selections
cmp -s "$LOGS/sel1-stdout.out" "$WORK/sel1.csv" || fail "export to stdout differs from export -o FILE"
for table in selections candidates; do
  run "json-$table" "$KCUBE" export "$store" --table "$table" --format json -o "$WORK/$table.json"
  python3 - "$WORK/$table.json" "$table" "$SELECTIONS_HEADER" "$CANDIDATES_HEADER" <<'PY' ||
import json, sys
path, table, sel, cand = sys.argv[1:5]
rows = json.load(open(path))
assert isinstance(rows, list) and rows, "not a non-empty array"
want = (sel if table == "selections" else cand).split(",")
for row in rows:
    assert list(row) == want, f"keys {list(row)} != {want}"
if table == "selections":
    assert len(rows) == 27 * 6, f"{len(rows)} rows"
PY
    fail "the JSON export of $table is wrong (above)"
done

step "second run; kcube runs lists both; --run 1 exports the first"
run run2 "$KCUBE" run "$manifest" "${set50[@]}" --store "$store" --quiet
expect_eq "last line of the second run" "$(tail -n 1 "$LOGS/run2.out")" "store: $store (run 2)"
expect_eq "runs in the store" "$(sql "$store" "SELECT group_concat(id) FROM runs")" "1,2"
check_run_finished "$store" 2 27
run runs "$KCUBE" runs "$store"
expect_eq "lines of 'kcube runs' naming paper-2025 and finished" \
  "$(grep -F paper-2025 "$LOGS/runs.out" | grep -cF finished)" 2
grep -qE '(^|[^0-9])27 */ *27([^0-9]|$)' "$LOGS/runs.out" || {
  echo "FAIL: 'kcube runs' shows no cells finished/total 27/27" >&2
  show_log runs
  exit 1
}
run sel-default "$KCUBE" export "$store" --table selections -o "$WORK/sel-default.csv"
expect_eq "default export's run" "$(tail -n +2 "$WORK/sel-default.csv" | cut -d, -f1 | sort -u)" 2
run sel-run1 "$KCUBE" export "$store" --table selections --run 1 -o "$WORK/sel-run1.csv"
cmp -s "$WORK/sel-run1.csv" "$WORK/sel1.csv" || fail "export --run 1 after a second run differs from the first run's export"
# Same manifest and seed: the second run picks the same (deterministic streams).
diff <(cut -d, -f2- "$WORK/sel1.csv") <(cut -d, -f2- "$WORK/sel-default.csv") >/dev/null ||
  fail "two runs of the same manifest and overrides made different selections"
