#!/usr/bin/env bash
# Configures and builds kcube (Release, warnings on) into $KCUBE_BUILD_DIR (default: build/).
# Extra arguments go to the CMake configure step, e.g. -DKCUBE_WARNINGS_AS_ERRORS=ON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KCUBE_BUILD_DIR:-$root/build}"
jobs="${KCUBE_JOBS:-$(nproc)}"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${KCUBE_BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$build" -j "$jobs"
echo "build: $build/bin/kcube"
