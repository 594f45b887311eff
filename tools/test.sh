#!/usr/bin/env bash
# The README's second command: installs the dependencies, builds kcube with its tests, and runs
# every test (ctest). Exits non-zero when anything fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KCUBE_BUILD_DIR:-$root/build}"

bash "$root/tools/setup.sh"
KCUBE_BUILD_DIR="$build" bash "$root/tools/build.sh" -DKCUBE_BUILD_TESTS=ON "$@"
ctest --test-dir "$build" --output-on-failure -j "${KCUBE_JOBS:-$(nproc)}"
