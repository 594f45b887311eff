#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds kcube, and shows what it can do
# today: the plugins it found, and k chosen by the paper's four rules from a table of measured
# candidates. (The simulation engine and the paper study arrive in later releases.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KCUBE_BUILD_DIR:-$root/build}"

bash "$root/tools/setup.sh"
KCUBE_BUILD_DIR="$build" bash "$root/tools/build.sh" -DKCUBE_BUILD_TESTS=OFF
kcube="$build/bin/kcube"

echo
"$kcube" --version
echo
"$kcube" plugins list
candidates="$root/experiments/examples/measured-candidates.csv"
echo
echo "\$ kcube select $candidates --scenario budget:... --optimizer ..."
"$kcube" select "$candidates" \
  --scenario budget:cost_max=0.15,latency_max=40,accuracy_min=0.95,parallelism=4 \
  --optimizer accuracy-max --optimizer cube-max --optimizer utopia-closest \
  --optimizer knee-point --optimizer knee-point:method=curvature
echo
echo "kcube is at $kcube; 'kcube --help' lists the commands."
