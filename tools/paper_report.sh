#!/usr/bin/env bash
# Regenerates the committed reference report of the paper study, results/paper-2025/: the
# study at 10,000 Monte Carlo trials per cell and 50 replications (seeds derived from 42), run
# into results/paper-2025-reference.sqlite (not committed), then `kcube report` of that run.
# Builds first when needed. Takes a few minutes on 2 cores.
#   usage: bash tools/paper_report.sh [--no-build]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KCUBE_BUILD_DIR:-$root/build}"
if [[ ${1:-} != --no-build ]]; then
  bash "$root/tools/setup.sh"
  KCUBE_BUILD_DIR="$build" bash "$root/tools/build.sh" -DKCUBE_BUILD_TESTS=OFF
fi
kcube="$build/bin/kcube"
store=results/paper-2025-reference.sqlite  # relative: the report names it as given
out=results/paper-2025

cd "$root"
rm -f "$store" "$store-wal" "$store-shm"
"$kcube" run experiments/paper-2025.yaml --set run.trials=10000 --set run.replications=50 \
  --store "$store"
rm -rf "$out"
"$kcube" report "$store" --out "$out"
# The plot data is what the figures show, already in the CSV tables; keep the folder lean.
rm -f "$out/figures/plot-data.json"
echo "Reference report: $out/report.md and $out/report.html"
