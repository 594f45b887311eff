#!/usr/bin/env bash
# run.report-figures: the one test in which `kcube report` runs the real plotter
# (tools/kcube_plot.py with matplotlib) on a run the CLI made; every other report test uses a
# stand-in plotter, and report.plot draws every figure kind from a sample file. A small run of
# one profile on a mean and a chance (95 %) budget gives 8 figures: per cell the 3D space, the
# accuracy curve with its quantile band and cost against latency, and per scenario the fronts.
# Each must be a drawn PNG (not one pixel), embedded in report.html, listed as the report says.
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
