#!/usr/bin/env bash
# run.report-sweep: the report of a 3-point budget sweep (issue 13, items 9 and 3). It opens with
# a sweep summary: per scenario, a table of each rule's pick for each profile against the swept
# cost_max (one row per sweep point x profile x rule, equal to the per-point picks tables) and one
# figure of k, accuracy and cost against cost_max; a scenario the sweep does not touch has none.
# Profiles are shown by display name ("GPT-5 (test)" for the key gpt5) in report.md and in the
# figure titles and legends, while the CSV tables and plot-data.json keep the key. Figures are
# drawn by a test double of the plotter that checks the whole plot-data.json with
# tools/kcube_plot.py's own validation and draws only the sweep figure with its real code (the
# other kinds are report.plot's job), so the test stays fast.
#   usage: bash sweep.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init report-sweep "$@"
manifest=$WORK/budget-sweep.yaml
store=$WORK/sweep.sqlite
path=scenarios.balanced.params.cost_max

cat >"$manifest" <<'EOF'
kcube: 1
experiment: budget-sweep
profiles:
  gpt5:
    plugin: gaussian
    params: {display_name: GPT-5 (test), c_in: 1.25e-6, c_out: 1.0e-5, t_in: 0.0005,
             t_out: 0.005, acc_mean: 0.94, acc_std: 0.02}
  mine:
    plugin: gaussian
    params: {c_in: 2.5e-7, c_out: 2.0e-6, t_in: 0.00025, t_out: 0.002, acc_mean: 0.92,
             acc_std: 0.03}
scenarios:
  balanced:
    plugin: budget
    params: {cost_max: 0.5, latency_max: 120, accuracy_min: 0.5, parallelism: 4, k_max: 64}
  untouched:
    plugin: budget
    params: {cost_max: 1.0, latency_max: 120, accuracy_min: 0.5, parallelism: 4, k_max: 64}
optimizers:
  accuracy-max: {plugin: accuracy-max}
  cube-max: {plugin: cube-max}
  knee-point: {plugin: knee-point}
run: {evaluator: exact, seed: 1}
sweep:
  scenarios.balanced.params.cost_max: [0.05, 0.5, 5]
EOF

# The plotter's test double: see the header.
plotter=$WORK/plot.py
cat >"$plotter" <<EOF
import json, os, sys
sys.path.insert(0, "$SRC/tools")
import kcube_plot as kp
if sys.argv[1:] == ["--check"]:
    sys.exit(kp.main(["--check"]))
data, root = sys.argv[1], sys.argv[sys.argv.index("--root") + 1]
fmt, dpi, figures = kp.validate(json.load(open(data)))  # raises on bad input
kp._setup()
for f in figures:
    path = os.path.join(root, f["output"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if f["kind"] == "sweep":
        _, _, error = kp.draw_one((f, path, fmt, dpi))
        if error:
            sys.exit("drawing %s failed: %s" % (f["output"], error))
    else:
        with open(path, "wb") as out:
            out.write(b"\x89PNG\r\n\x1a\n")  # a stand-in image: the PNG signature only
    print(path)
EOF

step "run the sweep (exact evaluator: 2 profiles x 2 scenarios x 3 points)"
run run "$KCUBE" run "$manifest" --store "$store" --quiet
check_run_finished "$store" 1 12

step "report without figures: the sweep summary table"
run report "$KCUBE" report "$store" --out "$WORK/plain" --no-figures
python3 - "$WORK/plain" "$path" <<'PY' || fail "the sweep summary table is wrong (above)"
import csv, glob, os, re, sys
folder, path = sys.argv[1], sys.argv[2]
def read(name):
    with open(os.path.join(folder, "tables", name), newline="") as f:
        return list(csv.DictReader(f))
def slug(text):
    return re.sub(r"-+$", "", re.sub(r"[^A-Za-z0-9._-]+", "-", text))[:80]
rows = read("sweep-balanced.csv")
header = list(rows[0].keys())
expected_header = [path, "profile", "optimizer", "status", "k", "E[accuracy]",
                   "E[cost] (USD)", "E[latency] (s)"]
assert header == expected_header, header
points, profiles, rules = ["0.05", "0.5", "5"], ["gpt5", "mine"], ["accuracy-max", "cube-max",
                                                                     "knee-point"]
expected = [(v, p, r) for v in points for p in profiles for r in rules]
got = [(row[path], row["profile"], row["optimizer"]) for row in rows]
assert got == expected, "rows %s, expected %s" % (got, expected)
# Each row equals the detailed picks table of its sweep point.
for row in rows:
    name = "picks-" + slug("balanced--%s=%s" % (path, row[path])) + ".csv"
    detail = [d for d in read(name)
              if d["profile"] == row["profile"] and d["optimizer"] == row["optimizer"]]
    assert len(detail) == 1, (name, row)
    for column in ("status", "k", "E[accuracy]", "E[cost] (USD)", "E[latency] (s)"):
        assert row[column] == detail[0][column], (name, column, row[column], detail[0][column])
# The budget matters: accuracy-max picks a larger k as cost_max grows, and none at 0.05 or
# a small one.
ks = [row["k"] for row in rows if row["profile"] == "gpt5" and row["optimizer"] == "accuracy-max"]
numbers = [int(k) for k in ks if k]
assert len(set(ks)) == 3 and numbers == sorted(numbers), ks
assert not os.path.exists(os.path.join(folder, "tables", "sweep-untouched.csv")), \
    "a sweep table for the scenario the sweep does not touch"
print("sweep table OK: %d rows, accuracy-max k for gpt5 %s" % (len(rows), ks))
PY
md=$WORK/plain/report.md
summary_at=$(grep -n '^## Sweep summary' "$md" | cut -d: -f1)
picks_at=$(grep -n '^## Picks per scenario' "$md" | cut -d: -f1)
[[ -n $summary_at && -n $picks_at && $summary_at -lt $picks_at ]] ||
  fail "report.md has no '## Sweep summary' before '## Picks per scenario'"
grep -q "^### Sweep: scenario balanced" "$md" || fail "no sweep summary of scenario balanced"
grep -q "^### Sweep: scenario untouched" "$md" && fail "a sweep summary of scenario untouched"
grep -q '^| 0.05 | GPT-5 (test) | accuracy-max |' "$md" ||
  fail "the sweep table in report.md does not show gpt5 as 'GPT-5 (test)'"
grep -q '^| 0.05 | mine | accuracy-max |' "$md" ||
  fail "a profile without display_name is not shown by its key"
grep -q '^| gpt5 |' "$md" && fail "report.md shows the key gpt5 in a table"
grep -q '^| GPT-5 (test) | accuracy-max | ' "$md" ||
  fail "the picks tables do not show 'GPT-5 (test)'"
if grep -rlF 'GPT-5 (test)' "$WORK/plain/tables"; then
  fail "a CSV table holds the display name instead of the key gpt5 (files above)"
fi
run check python3 "$SRC/tests/report/check_report.py" "$WORK/plain" "$store" 1 --no-figures

step "report with figures (the plotter's test double): the sweep figure and display names"
KCUBE_PLOT_SCRIPT=$plotter run figures "$KCUBE" report "$store" --out "$WORK/figures"
md=$WORK/figures/report.md
figure=figures/sweep--balanced--$path.png
[[ -s $WORK/figures/$figure ]] || fail "no $figure"
[[ $(head -c 8 "$WORK/figures/$figure" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
  fail "$figure is not a PNG"
figure_at=$(grep -nF "]($figure)" "$md" | head -n 1 | cut -d: -f1)
picks_at=$(grep -n '^## Picks per scenario' "$md" | cut -d: -f1)
[[ -n $figure_at && $figure_at -lt $picks_at ]] ||
  fail "report.md does not show $figure in the sweep summary (before the picks)"
[[ $(grep -c 'figures/sweep--' "$md") -eq 1 ]] || fail "expected exactly one sweep figure"
python3 - "$WORK/figures/figures/plot-data.json" "$path" <<'PY' || fail "plot-data.json (above)"
import json, sys
data, path = json.load(open(sys.argv[1])), sys.argv[2]
sweeps = [f for f in data["figures"] if f["kind"] == "sweep"]
assert len(sweeps) == 1, len(sweeps)
s = sweeps[0]
assert s["parameter"] == path and s["values"] == ["0.05", "0.5", "5"] and \
    s["x"] == [0.05, 0.5, 5], s
labels = [series["label"] for series in s["series"]]
assert "GPT-5 (test), accuracy-max" in labels and "mine, knee-point" in labels, labels
assert {series["profile"] for series in s["series"]} == {"gpt5", "mine"}
fronts = [f for f in data["figures"] if f["kind"] == "fronts"]
assert fronts and all(f["series"][0]["profile"] == "gpt5" and
                      f["series"][0]["label"] == "GPT-5 (test)" for f in fronts), fronts[0]
titles = [f["title"] for f in data["figures"] if f["kind"] == "accuracy"]
assert titles and all(t.startswith(("GPT-5 (test), scenario", "mine, scenario"))
                      for t in titles), titles
print("plot-data OK: %d figures, sweep labels %s" % (len(data["figures"]), labels[:2]))
PY
grep -q '^#### GPT-5 (test)$\|GPT-5 (test), scenario balanced' "$md" ||
  fail "the figure captions do not name GPT-5 (test)"
