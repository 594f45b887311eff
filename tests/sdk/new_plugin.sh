#!/usr/bin/env bash
# sdk.new-plugin.KIND: installs kcube into a temporary prefix, runs the installed
# `kcube new-plugin --kind KIND demo-KIND DIR`, builds the folder it writes against the prefix
# (warnings as errors) and runs the folder's own ctest tests; then checks that `kcube plugins
# list` shows the new plugin through KCUBE_PLUGIN_PATH.
#   usage: bash new_plugin.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR KIND
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kind=${4:?usage: bash new_plugin.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR KIND}
sdk_init "new-plugin-$kind" "$@"

name=demo-$kind
# Tests the generated CMakeLists.txt registers (a test that silently vanished is a failure).
case $kind in
  optimizer) tests=3 extra_files=(candidates.csv) ;;    # describe, select, fallback
  scenario) tests=2 extra_files=(candidates.csv) ;;     # describe, select
  model-profile) tests=1 extra_files=() ;;              # describe
  aggregator) tests=3 extra_files=("check-$name.cpp") ;;  # describe, aggregate, refused
  *) fail "unknown kind '$kind'" ;;
esac

install_kcube
dir=$WORK/$name
step "kcube new-plugin --kind $kind $name $dir"
run new-plugin "$KCUBE" new-plugin --kind "$kind" "$name" "$dir"
for file in CMakeLists.txt "$name.cpp" README.md "${extra_files[@]}"; do
  [[ -s $dir/$file ]] || fail "new-plugin wrote no $dir/$file"
  expect_output new-plugin "$file"
done
written=$(find "$dir" -type f | wc -l)
[[ $written -eq $((3 + ${#extra_files[@]})) ]] ||
  fail "new-plugin wrote $written files, expected $((3 + ${#extra_files[@]})): $(ls -A "$dir")"
# The installed CLI knows its prefix, so the printed next step is ready to paste.
expect_output new-plugin "-DCMAKE_PREFIX_PATH=$PREFIX"
# The template (framework/templates/$kind) names its plugin example-$kind: every mention is renamed.
grep -qi "example-$kind\|example${kind//-/}" "$dir"/* &&
  fail "the template's name left in $dir: $(grep -ni "example-$kind\|example${kind//-/}" "$dir"/*)"

build_project "$dir" "$dir/build"
step "ctest in the generated folder ($tests tests)"
run ctest ctest --test-dir "$dir/build" --output-on-failure --no-tests=error
expect_output ctest "100% tests passed, 0 tests failed out of $tests"

step "kcube plugins list with KCUBE_PLUGIN_PATH"
KCUBE_PLUGIN_PATH=$dir/build/plugins run list-text "$KCUBE" plugins list
expect_output list-text "$name"
KCUBE_PLUGIN_PATH=$dir/build/plugins run list "$KCUBE" plugins list --json
cp "$LOGS/list.out" "$WORK/list.json"
check_json plugin "$WORK/list.json" "$name" "$kind" "$dir/build/plugins"

# The describe test matches the plugin's summary and ignores the exit code: make sure a failed
# lookup never prints that summary, or the test could pass without loading the plugin.
step "the describe test can fail"
summary=$(sed -n 's/^ *PASS_REGULAR_EXPRESSION "\([^"]*\)"$/\1/p' "$dir/CMakeLists.txt" | head -n 1)
[[ -n $summary ]] || fail "no describe regex found in $dir/CMakeLists.txt"
expect_exit 2 describe-missing "$KCUBE" plugins describe "$name"
grep -qF -- "$summary" "$LOGS/describe-missing.out" "$LOGS/describe-missing.err" &&
  fail "'kcube plugins describe $name' printed the summary although the plugin is not on the path"

if [[ $kind == model-profile ]]; then
  # No CLI command draws from a profile: tests/sdk/profile-probe, a program built against the
  # installed package, loads the generated library and summarises N draws as JSON.
  step "draws of the generated profile (tests/sdk/profile-probe)"
  build_project "$SRC/tests/sdk/profile-probe" "$WORK/probe-build"
  probe=$WORK/probe-build/profile_probe
  library=$dir/build/plugins/kcube-model-profile-$name.so
  # probe CASE ARGS...: 10000 draws with the defaults overridden by ARGS, JSON in $WORK/CASE.json.
  probe() {
    local case=$1
    shift
    run "probe-$case" "$probe" "$library" 10000 "$@"
    cp "$LOGS/probe-$case.out" "$WORK/$case.json"
  }
  # Defaults: every inference costs 0.002 USD and takes 1.5 s; accuracy ~ N(0.6, 0.1) clipped to
  # [0, 1]. With n = 10000: SE of the mean = 0.1 / sqrt(n) = 0.001, tolerance 5 SE = 0.005; SE of
  # the sample SD ~ 0.1 / sqrt(2 n) = 0.0007, tolerance 5 SE = 0.0035. Clipping moves the mean by
  # under 1e-6 (1 is 4 SD above 0.6: 0.1 * (phi(4) - 4 (1 - Phi(4))) = 7e-7).
  probe defaults
  check_json object "$WORK/defaults.json" display_name="$name" n=10000 \
    cost.min=0.002 cost.max=0.002 latency.min=1.5 latency.max=1.5 \
    accuracy.min=0.5+-0.5 accuracy.max=0.5+-0.5 accuracy.mean=0.6+-0.005 accuracy.std=0.1+-0.0035
  # Same stream, same draws: the profile uses no randomness of its own.
  probe again
  cmp -s "$WORK/defaults.json" "$WORK/again.json" ||
    fail "two runs of the profile on the same stream differ: $(cat "$WORK/defaults.json" "$WORK/again.json")"
  # accuracy_std = 0: every draw is accuracy_mean exactly; the cost parameter is used.
  probe fixed accuracy_std=0 cost=0.004
  check_json object "$WORK/fixed.json" accuracy.min=0.6 accuracy.max=0.6 cost.min=0.004 cost.max=0.004
  # Clipping at both ends: 1 + 0.5 z exceeds 1 half the time and falls below 0 when z < -2
  # (P = 0.023, about 230 of 10000 draws), so both bounds are hit exactly. Its mean is
  #   P(z > 0) + int_{-2}^{0} (1 + z/2) phi(z) dz = 0.5 + (0.5 - Phi(-2)) + (phi(2) - phi(0)) / 2
  #   = 0.5 + 0.47725 - 0.17248 = 0.80477;
  # the clipped SD is 0.28, so SE = 0.28 / sqrt(10000) = 0.0028 and 5 SE = 0.014.
  probe clipped accuracy_mean=1 accuracy_std=0.5
  check_json object "$WORK/clipped.json" accuracy.min=0 accuracy.max=1 accuracy.mean=0.80477+-0.014
fi

if [[ $kind == aggregator ]]; then
  # The aggregate test must reject another rule: on the built-in max-accuracy plugin (the best
  # sample's accuracy, every sample drawn) its hand-made paths give other values.
  step "the aggregate check can fail"
  other=$(find "$PREFIX" -name kcube-aggregator-max-accuracy.so | head -n 1)
  [[ -n $other ]] || fail "no kcube-aggregator-max-accuracy.so under $PREFIX"
  expect_exit 1 check-other "$dir/build/check-$name" "$other"
  expect_output check-other "mismatches"
fi

if [[ $kind == scenario || $kind == optimizer ]]; then
  # The select test must reject a wrong k: expecting k = 8 instead of 4, it has to fail.
  step "the select test can fail"
  # shellcheck disable=SC2016 # ${ws} is CMake's, not the shell's
  sed -i 's/\${ws}4\${ws},/${ws}8${ws},/' "$dir/CMakeLists.txt"
  run reconfigure cmake -S "$dir" -B "$dir/build"
  expect_exit 8 ctest-mutated ctest --test-dir "$dir/build" -R "^${name}[.]select\$"
fi
