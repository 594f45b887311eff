# Shared by the sdk test scripts; sourced, not run. ctest calls each script as
#   bash SCRIPT SOURCE_DIR BUILD_DIR SCRATCH_DIR [ARGS...]
# (the kcube source tree, its build tree, a scratch folder under the build tree) with
# KCUBE_SDK_PYTHON, KCUBE_SDK_CXX and KCUBE_SDK_GENERATOR set by tests/sdk/CMakeLists.txt.
# Set KCUBE_SDK_KEEP=1 to keep a test's files for a post-mortem.

# shellcheck source=../support/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/harness.sh"

# sdk_init NAME SOURCE_DIR BUILD_DIR SCRATCH_DIR: sets SRC, BUILD, WORK (a fresh folder under
# SCRATCH_DIR, removed on exit), LOGS (harness_init) and PYTHON.
sdk_init() {
  [[ $# -ge 4 ]] || {
    echo "usage: bash $0 SOURCE_DIR BUILD_DIR SCRATCH_DIR" >&2
    exit 2
  }
  local name=$1
  SRC=$(cd "$2" && pwd) || fail "no source tree at $2"
  BUILD=$(cd "$3" && pwd) || fail "no build tree at $3"
  [[ -f $SRC/tests/sdk/lib.sh ]] || fail "$SRC is not the kcube source tree"
  [[ -f $BUILD/CMakeCache.txt ]] || fail "$BUILD is not a configured build tree"
  harness_init "$name" "$4" KCUBE_SDK_KEEP
  PYTHON=${KCUBE_SDK_PYTHON:-python3}
  # Only the folders a test names may hold plugins.
  unset KCUBE_PLUGIN_PATH
}

# check_json ARGS...: tests/sdk/check_json.py ARGS (see its docstring); fails with its message.
check_json() {
  "$PYTHON" "$SRC/tests/sdk/check_json.py" "$@" || fail "JSON check '$*' failed (above)"
}

# install_kcube: installs the build tree into $WORK/prefix; sets PREFIX and KCUBE (its CLI).
install_kcube() {
  PREFIX=$WORK/prefix
  step "install $BUILD into $PREFIX"
  run install cmake --install "$BUILD" --prefix "$PREFIX"
  KCUBE=$PREFIX/bin/kcube
  [[ -x $KCUBE ]] || fail "cmake --install put no executable bin/kcube in $PREFIX"
}

# build_project SOURCE_DIR BUILD_DIR: configures a plugin project against the kcube installed
# in $PREFIX, with warnings as errors, and builds it.
build_project() {
  local source=$1 build=$2 name found
  name=$(basename "$source")
  step "configure and build $name against $PREFIX"
  run "configure-$name" cmake -S "$source" -B "$build" -G "${KCUBE_SDK_GENERATOR:-Unix Makefiles}" \
    -DCMAKE_CXX_COMPILER="${KCUBE_SDK_CXX:-c++}" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_CXX_FLAGS=-Werror
  # It must be the package just installed, not some other kcube on this machine.
  found=$(sed -n 's/^kcube_DIR:PATH=//p' "$build/CMakeCache.txt")
  [[ $found == "$PREFIX"/* ]] ||
    fail "find_package(kcube) for $name found '$found', not the package installed in $PREFIX"
  run "build-$name" cmake --build "$build"
}
