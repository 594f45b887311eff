#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds kcube, and runs the main job:
# the paper study (experiments/paper-2025.yaml: nine model profiles x three scenarios x the
# paper's rules, 300 Monte Carlo trials) and the real-log study (experiments/real-logs.yaml: four
# public sample logs x four aggregators) into their default results stores, writes their reports
# (Markdown, self-contained HTML, CSV tables, figures), runs the extrapolation study (the
# difficulty model fitted on each log's first samples, tools/extrapolation.py), then says where
# they are.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KCUBE_BUILD_DIR:-$root/build}"

bash "$root/tools/setup.sh"
KCUBE_BUILD_DIR="$build" bash "$root/tools/build.sh" -DKCUBE_BUILD_TESTS=OFF
kcube="$build/bin/kcube"

cd "$root"  # the manifests' store paths (results/NAME.sqlite) are relative to the root
for study in paper-2025 real-logs; do
  echo
  echo "\$ kcube run experiments/$study.yaml"
  "$kcube" run "experiments/$study.yaml"
  echo
  echo "\$ kcube report results/$study.sqlite --out results/$study-report"
  "$kcube" report "results/$study.sqlite" --out "results/$study-report"
done
echo
echo "\$ python3 tools/extrapolation.py"
python3 "$root/tools/extrapolation.py" --kcube "$kcube" --out "$root/results/extrapolation"
echo
echo "Results (SQLite; every run is kept):"
echo "  paper study:    $root/results/paper-2025.sqlite"
echo "  real-log study: $root/results/real-logs.sqlite"
echo "Reports (open report.html in a browser; report.md and tables/*.csv beside it):"
echo "  paper study:    $root/results/paper-2025-report/report.html"
echo "  real-log study: $root/results/real-logs-report/report.html"
echo "Extrapolation study (fit on the first samples, predict the full log's pass@n):"
echo "  $root/results/extrapolation/README.md"
echo "Next:"
echo "  $kcube runs results/real-logs.sqlite"
echo "  $kcube export results/real-logs.sqlite --table selections      # or candidates; --format json"
echo "  $kcube compare results/paper-2025.sqlite                       # what changed between the two newest runs"
echo "  $kcube --help                                                  # every command"
