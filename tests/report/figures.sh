#!/usr/bin/env bash
# run.report-figures: the one test in which `kcube report` runs the real plotter
# (tools/kcube_plot.py with matplotlib) on a run the CLI made; every other report test uses a
# stand-in plotter, and report.plot draws every figure kind from a sample file. A small run of
# one profile on a mean and a chance (95 %) budget gives 8 figures: per cell the 3D space with
# its projection, the accuracy each step of k buys and the accuracy curve with its quantile
# band, and per scenario the fronts. Each must be a drawn PNG (not one pixel), embedded in
# report.html, listed as the report says. `--figures` draws only the kinds it names (and
# refuses an unknown one, naming the valid ones); `--figures none` none.
#   usage: bash figures.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init report-figures "$@"
manifest=$WORK/figures.yaml
store=$WORK/figures.sqlite
cat >"$manifest" <<'EOF'
kcube: 1
experiment: report-figures
profiles:
  gpt5:
    plugin: gaussian
    params: {display_name: GPT-5 (test), c_in: 1.25e-6, c_out: 1.0e-5, t_in: 0.0005,
             t_out: 0.005, acc_mean: 0.94, acc_std: 0.02}
scenarios:
  mean:
    plugin: budget
    params: {cost_max: 0.5, latency_max: 60, accuracy_min: 0.88, parallelism: 4, k_max: 32,
             constraint_mode: mean}
  chance-95:
    plugin: budget
    params: {cost_max: 0.5, latency_max: 60, accuracy_min: 0.88, parallelism: 4, k_max: 32,
             constraint_mode: chance, confidence: 0.95}
optimizers:
  accuracy-max: {plugin: accuracy-max}
  cube-max: {plugin: cube-max}
run: {trials: 200, seed: 7}
EOF

step "run: 1 profile x 2 scenarios"
run run "$KCUBE" run "$manifest" --store "$store" --quiet
check_run_finished "$store" 1 2

step "kcube report with the real plotter"
report=$WORK/report
run report "$KCUBE" report "$store" --out "$report" --dpi 40
expect_out report "figures: 8 files in $report/figures"
run check python3 "$SRC/tests/report/check_report.py" "$report" "$store" 1
python3 - "$report/figures" <<'PY' || fail "a figure was not drawn (above)"
import glob, os, struct, sys
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.png")))
assert len(files) == 8, files
for path in files:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", (path, head[:8])
    width, height = struct.unpack(">II", head[16:24])
    # At 40 dpi a figure is a few hundred pixels wide; the stand-ins are 1 x 1.
    assert width >= 100 and height >= 100, (path, width, height)
print("%d drawn figures" % len(files))
PY

step "--figures efficiency,fronts: only those kinds"
run some "$KCUBE" report "$store" --out "$WORK/some" --figures efficiency,fronts --dpi 40
expect_out some "figures: 4 files in $WORK/some/figures"
python3 - "$WORK/some/figures" <<'PY' || fail "--figures drew other kinds (above)"
import glob, os, sys
names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(sys.argv[1], "*.png")))
want = sorted(["chance-95--fronts.png", "mean--fronts.png", "chance-95--gpt5--efficiency.png",
               "mean--gpt5--efficiency.png"])
assert names == want, names
PY

step "--figures with an unknown kind: an error naming it and the valid ones"
expect_exit 2 figures-typo "$KCUBE" report "$store" --out "$WORK/typo" --figures efficiency,cost-latency
expect_err figures-typo "unknown figure kind 'cost-latency'"
expect_err figures-typo "the kinds are space, efficiency, accuracy, fronts, sweep, aggregators, fit"

step "--figures none: tables only"
run none "$KCUBE" report "$store" --out "$WORK/none" --figures none
expect_out none "figures: none (--figures none)"
[[ -z $(find "$WORK/none/figures" -name '*.png' 2>/dev/null) ]] || fail "--figures none drew figures"

step "a sample log: its fit figure; the log gone at report time: a note, no failure"
cp "$SRC/experiments/data/cruxeval-input-codellama7b.csv" "$WORK/log.csv"
cat >"$WORK/log.yaml" <<'YAML'
kcube: 1
experiment: report-fit
profiles:
  crux: {plugin: samples, params: {path: log.csv, display_name: CRUXEval-I (test)}}
scenarios:
  small: {plugin: budget, params: {accuracy_min: 0.3, parallelism: 1, k_max: 10}}
aggregators:
  pass-at-k: {plugin: pass-at-k}
  majority-vote: {plugin: majority-vote}
optimizers:
  accuracy-max: {plugin: accuracy-max}
run: {trials: 200, seed: 7}
YAML
run log-run "$KCUBE" run "$WORK/log.yaml" --store "$WORK/log.sqlite" --quiet
run fit "$KCUBE" report "$WORK/log.sqlite" --out "$WORK/fit" --figures fit --dpi 40
expect_out fit "figures: 1 files in $WORK/fit/figures"
[[ -s $WORK/fit/figures/small--crux--fit.png ]] || fail "no fit figure small--crux--fit.png"
python3 - "$WORK/fit/figures/plot-data.json" <<'PY' || fail "the fit figure's data (above)"
import json, sys
(f,) = json.load(open(sys.argv[1]))["figures"]
assert f["kind"] == "fit" and f["samples"] == 10, (f["kind"], f["samples"])
# The log has 10 samples per question and the scenario stops at k = 10: predicted at 15 and 20.
assert f["predictions"]["k"] == [15, 20], f["predictions"]["k"]
for lo, mid, hi in zip(f["predictions"]["pass_lo"], f["predictions"]["pass"],
                       f["predictions"]["pass_hi"]):
    assert lo <= mid <= hi, (lo, mid, hi)
assert f["observed"]["k"] == list(range(1, 11)) and f["observed"]["majority"] is not None
print("fit figure data OK")
PY
rm "$WORK/log.csv"
run fit-gone "$KCUBE" report "$WORK/log.sqlite" --out "$WORK/fit-gone" --figures fit,accuracy --dpi 40
expect_err fit-gone "no fit figure for CRUXEval-I (test): its sample log"
expect_out fit-gone "figures: 2 files in $WORK/fit-gone/figures"
grep -qF "no fit figure for CRUXEval-I (test)" "$WORK/fit-gone/report.md" ||
  fail "report.md does not note the missing fit figure"
