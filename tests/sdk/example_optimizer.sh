#!/usr/bin/env bash
# sdk.example-optimizer: installs kcube into a temporary prefix, writes the example optimizer
# with the installed `kcube new-plugin --kind optimizer cheapest-feasible` (its template is
# framework/templates/optimizer), builds it against the prefix (find_package(kcube) +
# kcube_add_plugin), and checks that the installed CLI loads the plugin through
# KCUBE_PLUGIN_PATH and picks the k worked out by hand below, on more cases than the folder's
# own tests.
#   usage: bash example_optimizer.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdk_init example-optimizer "$@"

install_kcube
step "kcube new-plugin --kind optimizer cheapest-feasible"
run new-plugin "$KCUBE" new-plugin --kind optimizer cheapest-feasible "$WORK/cheapest-feasible"
build_project "$WORK/cheapest-feasible" "$WORK/example-build"
plugins=$WORK/example-build/plugins
[[ -f $plugins/kcube-optimizer-cheapest-feasible.so ]] ||
  fail "the build made no $plugins/kcube-optimizer-cheapest-feasible.so"

step "kcube plugins list / describe with KCUBE_PLUGIN_PATH"
KCUBE_PLUGIN_PATH=$plugins run list "$KCUBE" plugins list --json
cp "$LOGS/list.out" "$WORK/list.json"
check_json plugin "$WORK/list.json" cheapest-feasible optimizer "$plugins"
# The built-in plugins come from the prefix, so the CLI runs the installed libkcube.
check_json builtin-under "$WORK/list.json" "$PREFIX"
KCUBE_PLUGIN_PATH=$plugins run describe "$KCUBE" plugins describe cheapest-feasible
expect_output describe "accuracy_floor"
expect_output describe "the cheapest feasible candidate with accuracy at least accuracy_floor"

# Seven candidates. k = 4 and k = 6 cost the same (a batch discount makes k = 4 cheaper than
# k = 3): the rule must compare costs, not take the smallest feasible k, and break the tie
# toward the smaller k.
csv=$WORK/candidates.csv
cat >"$csv" <<'CSV'
k,cost,latency,accuracy
1,0.010,1.00,0.50
2,0.020,1.10,0.61
3,0.035,1.20,0.68
4,0.030,1.25,0.72
6,0.030,1.40,0.76
8,0.060,1.60,0.80
16,0.120,2.40,0.84
CSV

# select CASE ARGS...: `kcube select $csv ARGS --json` with the plugin on KCUBE_PLUGIN_PATH;
# its JSON (the standard output) lands in $WORK/CASE.json.
select_json() {
  local name=$1
  shift
  KCUBE_PLUGIN_PATH=$plugins run "$name" "$KCUBE" select "$csv" "$@" --json
  cp "$LOGS/$name.out" "$WORK/$name.json"
}

step "select: cost and tie, and the accuracy floor"
# budget:cost_max=0.1,accuracy_min=0.65 with P = 1, so k_step = 1 and every k is on the grid.
#   cost <= 0.1 drops k = 16 (0.12); accuracy >= 0.65 drops k = 1, 2 (0.50, 0.61):
#   F = {3, 4, 6, 8} with costs 0.035, 0.030, 0.030, 0.060.
# [0] accuracy_floor = 0 (default): min cost 0.030 at k = 4 and k = 6, tie to the smaller: k = 4
#     (k = 3, the smallest feasible k, costs more: 0.035 > 0.030).
# [1] accuracy_floor = 0.75 keeps k = 6 (0.76) and k = 8 (0.80); cheaper is k = 6 (0.030).
select_json floor --scenario budget:cost_max=0.1,accuracy_min=0.65 \
  --optimizer cheapest-feasible --optimizer cheapest-feasible:accuracy_floor=0.75
check_json selection "$WORK/floor.json" 0 optimizer=cheapest-feasible spec=cheapest-feasible \
  status=selected k=4 cost=0.03 score=0.03 feasible_count=4
check_json selection "$WORK/floor.json" 1 spec=cheapest-feasible:accuracy_floor=0.75 \
  status=selected k=6 cost=0.03 accuracy=0.76

step "select: the scenario's k grid"
# parallelism = 4, so k_step = 4 and the grid is 4, 8, ..., 128: k = 1, 2, 3, 6 are off it.
#   On the grid with cost <= 0.1: F = {4, 8} (k = 16 costs 0.12).
#   accuracy_floor = 0.75 keeps only k = 8 (0.80): k = 8, although the off-grid k = 6 would
#   qualify at half the cost.
select_json grid --scenario budget:cost_max=0.1,parallelism=4 \
  --optimizer cheapest-feasible:accuracy_floor=0.75
check_json selection "$WORK/grid.json" 0 status=selected k=8 cost=0.06 feasible_count=2
expect_output grid "measured k = 1, 2, 3, 6 are not multiples of k_step 4"

step "select: fallback below the floor, and no feasible candidate"
# cost_max = 0.1: F = {1, 2, 3, 4, 6, 8}. accuracy_floor = 0.9 is above every member (best 0.80
#   at k = 8), so the documented fallback takes the most accurate member: k = 8.
select_json fallback --scenario budget:cost_max=0.1 --optimizer cheapest-feasible:accuracy_floor=0.9
check_json selection "$WORK/fallback.json" 0 status=fallback k=8 accuracy=0.8 feasible_count=6
# cost_max = 0.005 is below the cheapest candidate (0.010 at k = 1): F is empty.
select_json none --scenario budget:cost_max=0.005 --optimizer cheapest-feasible
check_json selection "$WORK/none.json" 0 status=infeasible k=null feasible_count=0

step "refusals: a parameter out of its schema's range, the plugin off the search path"
KCUBE_PLUGIN_PATH=$plugins expect_exit 2 bad-floor "$KCUBE" select "$csv" \
  --scenario budget:cost_max=0.1 --optimizer cheapest-feasible:accuracy_floor=1.5
expect_output bad-floor accuracy_floor
expect_exit 2 not-found "$KCUBE" select "$csv" --scenario budget:cost_max=0.1 \
  --optimizer cheapest-feasible
expect_output not-found cheapest-feasible
