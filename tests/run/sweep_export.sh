#!/usr/bin/env bash
# run.sweep-export: the exports of a 3-point cost_max sweep say which point each row belongs to
# (a `sweep` column with the cell's label and a column named by the swept path with its value),
# in CSV and JSON and in both tables; `kcube run`'s summary names the point it shows; a run
# without a sweep has an empty `sweep` column and no path column.
#   usage: bash sweep_export.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init sweep-export "$@"
store=$WORK/s.sqlite
path=scenarios.balanced.params.cost_max
cat >"$WORK/sweep.yaml" <<YAML
kcube: 1
experiment: cost-sweep
profiles:
  mini: {plugin: gaussian, params: {c_in: 2.5e-7, c_out: 2.0e-6, t_in: 0.00025, t_out: 0.002, mu_Lin: 1024, sigma_Lin: 64, mu_Lout: 2048, sigma_Lout: 128, acc_mean: 0.92, acc_std: 0.03}}
scenarios:
  balanced: {plugin: budget, params: {cost_max: 0.5, latency_max: 60, accuracy_min: 0.5, parallelism: 4, k_max: 32}}
optimizers:
  accuracy-max: {plugin: accuracy-max}
  cube-max: {plugin: cube-max}
run: {trials: 200, seed: 7}
sweep:
  $path: [0.02, 0.05, 0.2]
YAML

step "kcube run: the summary names the sweep point it shows"
run run "$KCUBE" run "$WORK/sweep.yaml" --store "$store"
expect_out run "Scenario balanced: k picked by each optimizer (sweep point 1 of 3, $path=0.02)"

step "selections CSV: a sweep column and a column of the swept path, with their values"
run sel "$KCUBE" export "$store" --table selections -o "$WORK/selections.csv"
expect_eq "selections header" "$(head -n 1 "$WORK/selections.csv")" \
  "run_id,replication,profile,scenario,aggregator,sweep,$path,optimizer,status,k,cost,latency,accuracy,score,reason"
# Per row: the label and the value of the path, which must agree; 3 points x 2 optimizers.
expect_eq "selections (sweep, value, optimizer)" \
  "$(tail -n +2 "$WORK/selections.csv" | cut -d, -f6-8 | sort)" \
  "$(printf '%s\n' "$path=0.02,0.02,accuracy-max" "$path=0.02,0.02,cube-max" \
    "$path=0.05,0.05,accuracy-max" "$path=0.05,0.05,cube-max" \
    "$path=0.2,0.2,accuracy-max" "$path=0.2,0.2,cube-max")"
[[ ! -s $LOGS/sel.err ]] || { show_log sel; fail "the export of a sweep warned"; }

step "candidates CSV: the same columns, every row at one of the 3 points"
run cand "$KCUBE" export "$store" --table candidates -o "$WORK/candidates.csv"
expect_eq "candidates header start" "$(head -n 1 "$WORK/candidates.csv" | cut -d, -f1-9)" \
  "run_id,replication,profile,scenario,aggregator,sweep,$path,k,trials"
expect_eq "candidates (sweep, value)" "$(tail -n +2 "$WORK/candidates.csv" | cut -d, -f6-7 | sort -u)" \
  "$(printf '%s\n' "$path=0.02,0.02" "$path=0.05,0.05" "$path=0.2,0.2")"

step "JSON: the same keys, the swept value a number"
for table in selections candidates; do
  run "json-$table" "$KCUBE" export "$store" --table "$table" --format json -o "$WORK/$table.json"
  python3 - "$WORK/$table.json" "$WORK/$table.csv" "$path" <<'PY' ||
import csv, json, sys
rows = json.load(open(sys.argv[1]))
header = next(csv.reader(open(sys.argv[2])))
path = sys.argv[3]
assert rows, "no rows"
for row in rows:
    assert list(row) == header, f"keys {list(row)} != CSV header {header}"
    assert isinstance(row[path], float), f"{path} is {row[path]!r}, not a number"
    assert row["sweep"] == f"{path}={row[path]:g}", row
assert sorted({r[path] for r in rows}) == [0.02, 0.05, 0.2]
PY
    fail "the JSON export of $table is wrong (above)"
done

step "a run without a sweep: empty sweep column, no path column"
sed '/^sweep:/,$d' "$WORK/sweep.yaml" >"$WORK/plain.yaml"
run plain "$KCUBE" run "$WORK/plain.yaml" --store "$store" --quiet
run plain-sel "$KCUBE" export "$store" --table selections -o "$WORK/plain.csv"
expect_eq "selections header without a sweep" "$(head -n 1 "$WORK/plain.csv")" "$SELECTIONS_HEADER"
expect_eq "sweep column without a sweep" "$(tail -n +2 "$WORK/plain.csv" | cut -d, -f6 | sort -u)" ""
run plain-json "$KCUBE" export "$store" --table candidates --format json -o "$WORK/plain.json"
python3 -c 'import json, sys; rows = json.load(open(sys.argv[1])); assert rows and all(r["sweep"] is None and "k" in r for r in rows)' \
  "$WORK/plain.json" || fail "the JSON export of a run without a sweep has a sweep other than null"
