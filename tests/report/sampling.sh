#!/usr/bin/env bash
# report.sampling: the nested-vs-independent example run both ways into one store; the report of
# the newer run has the stability tables (checked against the store by recounting the picks) and
# the nested-against-independent table; `kcube compare` matches the two runs' picks.
#   usage: bash sampling.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init report-sampling "$@"
manifest=$SRC/experiments/examples/nested-vs-independent.yaml
store=$WORK/s.sqlite
sets=(--set run.trials=100 --set run.replications=4)

step "two runs: nested, then independent"
run nested "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --quiet
run independent "$KCUBE" run "$manifest" "${sets[@]}" --set run.sampling=independent \
  --store "$store" --quiet
check_run_finished "$store" 1 108
check_run_finished "$store" 2 108

step "kcube report of run 2 (independent)"
report=$WORK/report
run report "$KCUBE" report "$store" --out "$report" --no-figures
expect_out report "figures: none (--no-figures)"
grep -qF "## Nested against independent sampling" "$report/report.md" ||
  fail "the report lacks the nested-against-independent section"
grep -qF "## Stability over replications" "$report/report.md" ||
  fail "the report lacks the stability section"
run check python3 "$SRC/tests/report/check_report.py" "$report" "$store" 2 --no-figures

step "stability tables equal a recount of the stored picks"
python3 - "$report" "$store" <<'EOF' || fail "stability tables disagree with the store"
import collections, csv, glob, os, sqlite3, sys
folder, store = sys.argv[1], sys.argv[2]
db = sqlite3.connect(store)
checked = 0
for path in sorted(glob.glob(os.path.join(folder, "tables", "stability-*.csv"))):
    scenario = os.path.basename(path)[len("stability-"):-len(".csv")]
    for row in csv.DictReader(open(path, newline="")):
        picks = [k for (k,) in db.execute(
            "SELECT s.k FROM selections s JOIN cells c USING (run_id, cell_key) "
            "WHERE s.run_id = 2 AND c.scenario = ? AND c.profile = ? AND s.optimizer = ? "
            "ORDER BY c.replication", (scenario, row["profile"], row["optimizer"]))]
        assert len(picks) == 4, (path, row, picks)
        counts = collections.Counter(k for k in picks if k is not None)
        modal = min(counts, key=lambda k: (-counts[k], k)) if counts else None
        assert row["modal k"] == ("" if modal is None else str(modal)), (path, row, picks)
        assert float(row["share"]) == (counts[modal] / 4 if counts else 0.0), (path, row, picks)
        assert row["no pick"] == str(sum(k is None for k in picks)), (path, row, picks)
        if counts:
            assert row["range"] == "%d-%d" % (min(counts), max(counts)), (path, row, picks)
        # The gaussian profiles have an exact evaluator: every row has an exact optimum.
        assert row["P(k*)"] != "", (path, row)
        if row["exact k*"] not in ("", "none"):
            share = sum(k == int(row["exact k*"]) for k in picks) / 4
            assert float(row["P(k*)"]) == share, (path, row, picks)
        checked += 1
assert checked == 9 * 3 * 2, checked
print("stability rows checked:", checked)
EOF

step "the nested-against-independent table has both runs for both rules"
python3 - "$report" <<'EOF' || fail "the sampling table is wrong"
import csv, os, sys
rows = list(csv.DictReader(open(os.path.join(sys.argv[1], "tables", "sampling.csv"), newline="")))
got = sorted((r["optimizer"], r["sampling"], r["run"], r["groups"]) for r in rows)
want = sorted([("accuracy-max", "independent", "2", "27"), ("accuracy-max", "nested", "1", "27"),
               ("knee-point", "independent", "2", "27"), ("knee-point", "nested", "1", "27")])
assert got == want, got
for r in rows:
    assert 0.0 < float(r["modal share"]) <= 1.0, r
    assert float(r["distinct k"]) >= 1.0, r
    assert 0.0 <= float(r["P(exact k*)"]) <= 1.0, r
EOF

step "kcube compare: the two newest runs, explicit runs, two stores"
run compare "$KCUBE" compare "$store"
expect_out compare "A: $store: nested-vs-independent, run 1"
expect_out compare "B: $store: nested-vs-independent, run 2"
expect_out compare "216 picks in both runs"
expect_out compare "0 only in A, 0 only in B"
run same "$KCUBE" compare "$store" --run 1 --run 1
expect_out same "216 picks in both runs: 216 the same, 0 different"
cp "$store" "$WORK/copy.sqlite"
run stores "$KCUBE" compare "$store" "$WORK/copy.sqlite" --run 2 --run 2
expect_out stores "216 the same, 0 different"
expect_exit 2 one-run "$KCUBE" compare "$store" --run 1
expect_err one-run "give --run twice"
expect_exit 2 unknown "$KCUBE" compare "$store" --run 1 --run 9
expect_exit 2 no-store "$KCUBE" report "$WORK/missing.sqlite" --out "$WORK/r2"
no_file "$WORK/missing.sqlite" "kcube report of a missing store"

step "without matplotlib: the tables are written and the report says how to install it"
cat >"$WORK/python-without-site" <<'PY'
#!/usr/bin/env bash
# Debian's Python without its site packages: matplotlib and numpy cannot be imported.
exec /usr/bin/python3 -S "$@"
PY
chmod +x "$WORK/python-without-site"
KCUBE_PYTHON=$WORK/python-without-site run nompl "$KCUBE" report "$store" --out "$WORK/nompl"
expect_out nompl "figures: none (figures not drawn:"
expect_out nompl "sudo apt-get install python3-matplotlib"
grep -qF "apt-get install python3-matplotlib" "$WORK/nompl/report.md" ||
  fail "report.md does not say how to install matplotlib"
run check-nompl python3 "$SRC/tests/report/check_report.py" "$WORK/nompl" "$store" 2 --no-figures

step "a plotting tool that fails: exit 1, everything else written"
cat >"$WORK/broken-plot.py" <<'PY'
import sys
if "--check" in sys.argv:
    sys.exit(0)
print("simulated failure while drawing", file=sys.stderr)
sys.exit(1)
PY
KCUBE_PLOT_SCRIPT=$WORK/broken-plot.py expect_exit 1 broken "$KCUBE" report "$store" \
  --out "$WORK/broken"
expect_out broken "the plotting script failed (exit 1): simulated failure while drawing"
run check-broken python3 "$SRC/tests/report/check_report.py" "$WORK/broken" "$store" 2 --no-figures
