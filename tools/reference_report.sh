#!/usr/bin/env bash
# Regenerates a committed reference report under results/:
#   paper-2025  the paper study (experiments/paper-2025.yaml) at 10,000 Monte Carlo trials per
#               cell and 50 replications (seeds derived from 42): results/paper-2025/
#   real-logs   the real-log study (experiments/real-logs.yaml) as written (20,000 trials):
#               results/real-logs/
# Each runs into results/<study>-reference.sqlite (not committed), then `kcube report` of that
# run, then opens the report in headless Chromium (tools/report_browser.py): its screenshots of
# the top, a figure and a table go to results/<study>/screenshots/, and the script exits 1 when
# a browser check fails (the report is written all the same). Builds first when needed. The
# paper study takes a few minutes on 2 cores, the real-log study seconds.
#   usage: bash tools/reference_report.sh paper-2025|real-logs [--no-build]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KCUBE_BUILD_DIR:-$root/build}"
study="${1:-}"
case "$study" in
  paper-2025) settings=(--set run.trials=10000 --set run.replications=50) ;;
  real-logs) settings=() ;;
  *)
    echo "usage: bash tools/reference_report.sh paper-2025|real-logs [--no-build]" >&2
    exit 2
    ;;
esac
if [[ ${2:-} != --no-build ]]; then
  bash "$root/tools/setup.sh"
  KCUBE_BUILD_DIR="$build" bash "$root/tools/build.sh" -DKCUBE_BUILD_TESTS=OFF
fi
kcube="$build/bin/kcube"
store="results/$study-reference.sqlite"  # relative: the report names it as given
out="results/$study"

cd "$root"
rm -f "$store" "$store-wal" "$store-shm"
"$kcube" run "experiments/$study.yaml" "${settings[@]}" --store "$store"
rm -rf "$out"
"$kcube" report "$store" --out "$out"
# The plot data is what the figures show, already in the CSV tables; keep the folder lean.
rm -f "$out/figures/plot-data.json"
echo "Reference report: $out/report.md and $out/report.html"
python3 tools/report_browser.py "$out/report.html" --screenshots "$out/screenshots"
