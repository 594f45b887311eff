#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds kcube, and shows what it can do
# today: the plugins it found, k chosen by the paper's four rules from a table of measured
# candidates, and from GPT-5's simulated and exact candidate tables. (The declarative paper study
# with its results store arrives with the experiments release.)
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

# The engine: GPT-5 as profiled in arXiv 2510.18905, on the 'balanced' deployment, simulated
# (100,000 trials) and evaluated exactly; each table feeds the four rules.
profile="gaussian:c_in=1.25e-6,c_out=1e-5,t_in=0.0005,t_out=0.005,acc_mean=0.94,acc_std=0.02"
scenario="budget:cost_max=0.5,latency_max=60,accuracy_min=0.88,parallelism=4,k_max=128"
rules=(--optimizer accuracy-max --optimizer cube-max --optimizer utopia-closest --optimizer knee-point)
for evaluator in monte-carlo exact; do
  echo
  echo "\$ kcube simulate --profile gaussian:...(GPT-5) --scenario $scenario --evaluator $evaluator | kcube select - ..."
  "$kcube" simulate --profile "$profile" --scenario "$scenario" --evaluator "$evaluator" \
    --trials 100000 | "$kcube" select - --scenario "$scenario" "${rules[@]}"
done
echo
echo "kcube is at $kcube; 'kcube --help' lists the commands."
