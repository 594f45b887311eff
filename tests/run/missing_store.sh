#!/usr/bin/env bash
# run.missing-store: `kcube runs` and `kcube export` on a store that does not exist exit 2 and do
# not create it; `export --run 99` on a real store exits 2 and lists the runs there are.
#   usage: bash missing_store.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init missing-store "$@"
missing=$WORK/none.sqlite

step "kcube runs / export on a missing store"
expect_exit 2 runs "$KCUBE" runs "$missing"
expect_err runs "$missing"
no_file "$missing" "kcube runs of a missing store"
for table in selections candidates; do
  expect_exit 2 "export-$table" "$KCUBE" export "$missing" --table "$table"
  expect_err "export-$table" "$missing"
  no_file "$missing" "kcube export of a missing store"
done
expect_exit 2 export-o "$KCUBE" export "$missing" --table selections -o "$WORK/out.csv"
no_file "$missing" "kcube export -o of a missing store"

step "input errors of export: bad --table and --format"
run run "$KCUBE" run "$SRC/experiments/examples/exact-vs-monte-carlo.yaml" --store "$WORK/s.sqlite" --quiet
expect_exit 2 bad-table "$KCUBE" export "$WORK/s.sqlite" --table cells
expect_exit 2 bad-format "$KCUBE" export "$WORK/s.sqlite" --table selections --format xml

step "export --run 99: exit 2, listing the runs"
expect_exit 2 run99 "$KCUBE" export "$WORK/s.sqlite" --table selections --run 99
expect_err run99 "99"
# The message lists run 1, the only one, with its experiment.
grep -qE '^ *1 +exact-vs-monte-carlo' "$LOGS/run99.err" || { show_log run99; fail "export --run 99 does not list run 1 (exact-vs-monte-carlo)"; }
[[ ! -s $LOGS/run99.out ]] || { show_log run99; fail "export --run 99 wrote to stdout"; }
