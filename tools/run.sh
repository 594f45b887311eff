#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds kcube, and runs the main job,
# the paper study (experiments/paper-2025.yaml: nine model profiles x three scenarios x the
# paper's rules, 300 Monte Carlo trials) into the default results store, writes its report
# (Markdown, self-contained HTML, CSV tables, figures), then says where both are.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KCUBE_BUILD_DIR:-$root/build}"

bash "$root/tools/setup.sh"
KCUBE_BUILD_DIR="$build" bash "$root/tools/build.sh" -DKCUBE_BUILD_TESTS=OFF
kcube="$build/bin/kcube"

cd "$root"  # the manifest's store path, results/paper-2025.sqlite, is relative to the root
echo
echo "\$ kcube run experiments/paper-2025.yaml"
"$kcube" run experiments/paper-2025.yaml
store="$root/results/paper-2025.sqlite"
report="$root/results/paper-2025-report"
echo
echo "\$ kcube report results/paper-2025.sqlite --out results/paper-2025-report"
"$kcube" report "$store" --out "$report"
echo
echo "Results: $store (SQLite; every run is kept)."
echo "Report:  $report/report.html (open it in a browser; report.md and tables/*.csv beside it)"
echo "  $kcube runs $store"
echo "  $kcube export $store --table selections      # or candidates; --format json"
echo "  $kcube compare $store                         # what changed between the two newest runs"
echo "  $kcube --help                                # every command"
