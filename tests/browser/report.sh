#!/usr/bin/env bash
# run.browser-report: a report made by the suite, opened in headless Chromium. `kcube run` on a
# small manifest (one profile, a mean and a chance budget, two rules), `kcube report` with the
# real plotter (its figures embedded as PNG, then inlined as SVG), then tools/report_browser.py at
# 1400 px: every check must pass (no broken image or SVG without a size, every in-page link
# resolves, nothing wider than the page, nothing remote) and the screenshots of the top, a figure
# and a table must be drawn, not blank.
#   usage: bash report.sh KCUBE SOURCE_DIR SCRATCH_DIR CHROMIUM
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init browser-report "${@:1:3}"
[[ $# -eq 4 ]] || fail "usage: bash $0 KCUBE SOURCE_DIR SCRATCH_DIR CHROMIUM"
chromium=$4
manifest=$WORK/browser.yaml
store=$WORK/browser.sqlite
cat >"$manifest" <<'EOF'
kcube: 1
experiment: browser-report
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
  knee-point: {plugin: knee-point}
run: {trials: 200, seed: 7}
EOF

step "run: 1 profile x 2 scenarios"
run run "$KCUBE" run "$manifest" --store "$store" --quiet
check_run_finished "$store" 1 2

step "kcube report with the real plotter"
report=$WORK/report
run report "$KCUBE" report "$store" --out "$report" --dpi 40
[[ -f $report/report.html ]] || fail "kcube report wrote no $report/report.html"

step "report.html (PNG figures) in headless Chromium"
shots=$WORK/screenshots
run browser python3 "$SRC/tools/report_browser.py" "$report/report.html" --chromium "$chromium" \
  --screenshots "$shots"
expect_out browser "report_browser: all 5 checks passed"
# Figures were there to check (their count is the report's business).
grep -qE "PASS images: [1-9][0-9]* of [1-9][0-9]* <img> loaded" "$LOGS/browser.out" ||
  fail "the report shows no <img> figure: $(grep images: "$LOGS/browser.out")"
for shot in top figure table; do
  [[ -s $shots/$shot.png ]] || fail "no screenshot $shots/$shot.png"
done
cat "$LOGS/browser.out"

step "the same report with inline SVG figures"
run report-svg "$KCUBE" report "$store" --out "$WORK/report-svg" --format svg
run browser-svg python3 "$SRC/tools/report_browser.py" "$WORK/report-svg/report.html" \
  --chromium "$chromium"
expect_out browser-svg "report_browser: all 5 checks passed"
grep -qE "<img> loaded; [1-9][0-9]* inline <svg>" "$LOGS/browser-svg.out" ||
  fail "the report shows no inline <svg> figure: $(grep images: "$LOGS/browser-svg.out")"
cat "$LOGS/browser-svg.out"
