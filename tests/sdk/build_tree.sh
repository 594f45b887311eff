#!/usr/bin/env bash
# sdk.build-tree: kcube's build tree is a CMake package too, with no install. The build tree's
# `kcube new-plugin` prints -DCMAKE_PREFIX_PATH=<the build tree>; the folder it writes configures
# against that (find_package(kcube) must find the build tree's kcubeConfig.cmake, its exported
# targets and kcube_add_plugin), builds with warnings as errors, passes its own ctest tests, and
# the plugin loads with `kcube plugins list --plugin-path`.
#   usage: bash build_tree.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdk_init build-tree "$@"

KCUBE=$BUILD/bin/kcube
[[ -x $KCUBE ]] || fail "no kcube executable at $KCUBE; build the tree first"
name=demo-build-tree
dir=$WORK/$name
step "$KCUBE new-plugin --kind optimizer $name $dir"
run new-plugin "$KCUBE" new-plugin --kind optimizer "$name" "$dir"
# The printed next step is ready to paste: it names the build tree itself.
line=$(grep -F -- "-DCMAKE_PREFIX_PATH=" "$LOGS/new-plugin.out") || fail "new-plugin printed no -DCMAKE_PREFIX_PATH"
[[ $line == *" -DCMAKE_PREFIX_PATH=$BUILD" ]] ||
  fail "new-plugin printed '$line', not -DCMAKE_PREFIX_PATH=$BUILD (the build tree it runs from)"

step "configure and build $name against the build tree $BUILD"
run configure cmake -S "$dir" -B "$dir/build" -G "${KCUBE_SDK_GENERATOR:-Unix Makefiles}" \
  -DCMAKE_CXX_COMPILER="${KCUBE_SDK_CXX:-c++}" -DCMAKE_PREFIX_PATH="$BUILD" \
  -DCMAKE_CXX_FLAGS=-Werror
found=$(sed -n 's/^kcube_DIR:PATH=//p' "$dir/build/CMakeCache.txt")
[[ $found == "$BUILD" ]] || fail "find_package(kcube) found '$found', not the build tree $BUILD"
run build cmake --build "$dir/build"

step "ctest in the generated folder (3 tests, the build tree's kcube)"
run ctest ctest --test-dir "$dir/build" --output-on-failure --no-tests=error
expect_output ctest "100% tests passed, 0 tests failed out of 3"

step "kcube plugins list --plugin-path"
run list "$KCUBE" plugins list --json --plugin-path "$dir/build/plugins"
cp "$LOGS/list.out" "$WORK/list.json"
check_json plugin "$WORK/list.json" "$name" optimizer "$dir/build/plugins"
