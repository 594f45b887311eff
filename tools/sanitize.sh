#!/usr/bin/env bash
# Sanitizer builds for CI. Exits non-zero on any sanitizer report or failed test.
#
#   bash tools/sanitize.sh [address]   ASan + UBSan (no recovery) + LeakSanitizer: the whole
#                                      ctest suite in build-asan/
#   bash tools/sanitize.sh thread      ThreadSanitizer: the engine's parallel tests (tests/engine)
#                                      and the MPI test (tests/distributed/mpi.sh) in build-tsan/,
#                                      with LLVM's libomp and its Archer tool so that TSan sees
#                                      the OpenMP runtime's synchronisation
#
# Both use clang-14 (OpenMP: libomp). GCC 12 runs the address mode clean too
# (KCUBE_SANITIZE_CXX=g++), but its separate libubsan ignores log_path next to ASan, so a UBSan
# report from a process whose failure a test expected would only be seen by the exit code.
# Optimised at -O1 with line tables (-g1), asserts on. Every sanitizer report is written to
# <build>/sanitizer-reports/ and fails the run even when its process's exit code was expected.
# LeakSanitizer needs no suppressions. Leaks in a plugin show its frames as <unknown module>:
# the host has unloaded it by exit; the host frames still name the call into the plugin.
# Environment: KCUBE_JOBS (default nproc), KCUBE_SANITIZE_CXX (default clang++-14, else
# clang++), KCUBE_SANITIZE_BUILD_DIR (default build-asan/ or build-tsan/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode=${1:-address}
jobs="${KCUBE_JOBS:-$(nproc)}"
cxx="${KCUBE_SANITIZE_CXX:-$(command -v clang++-14 || command -v clang++ || echo clang++)}"
cxx=$(command -v "$cxx") || {
  echo "sanitize: no C++ compiler '${KCUBE_SANITIZE_CXX:-clang++-14}' (Debian: clang-14)" >&2
  exit 1
}

case $mode in
  address)
    build="${KCUBE_SANITIZE_BUILD_DIR:-$root/build-asan}"
    sanitizers=address,undefined
    ;;
  thread)
    build="${KCUBE_SANITIZE_BUILD_DIR:-$root/build-tsan}"
    sanitizers=thread
    ;;
  *)
    echo "usage: bash tools/sanitize.sh [address|thread]" >&2
    exit 2
    ;;
esac

# CMake cannot switch the compiler of a configured tree: one made with another starts afresh.
if [[ -f $build/CMakeCache.txt ]] &&
  ! grep -qxF "CMAKE_CXX_COMPILER:FILEPATH=$cxx" "$build/CMakeCache.txt"; then
  rm -rf "$build"
fi
reports=$build/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"

# Reports go to $reports/<tool>.<pid>; a symbolizer on PATH gives file:line in the stacks.
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
common="log_path=$reports/report${symbolizer:+:external_symbolizer_path=$symbolizer}"
export UBSAN_OPTIONS="$common:halt_on_error=1:print_stacktrace=1"
if [[ $mode == address ]]; then
  export ASAN_OPTIONS="$common:halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
else
  # Archer, LLVM's OpenMP tool for TSan, tells TSan about libomp's barriers, locks and tasks;
  # libomp itself is not instrumented, so TSan ignores it and the other uninstrumented modules.
  # Without Archer TSan reports false races in every parallel loop: a missing tool fails loudly.
  # libarcher.so and libomp.so live in LLVM's lib/ (Debian: /usr/lib/llvm-14/lib), two levels
  # above clang's resource directory.
  archer=${KCUBE_ARCHER:-$(cd "$("$cxx" -print-resource-dir)/../.." && pwd)/libarcher.so}
  [[ -f $archer ]] || {
    echo "sanitize: no libarcher.so for $cxx (Debian: libomp-14-dev)" >&2
    exit 1
  }
  export OMP_TOOL_LIBRARIES=$archer
  export TSAN_OPTIONS="$common:halt_on_error=1:ignore_noninstrumented_modules=1:second_deadlock_stack=1"
fi

start=$SECONDS
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DKCUBE_SANITIZE="$sanitizers" \
  -DKCUBE_BUILD_TESTS=ON >/dev/null
if [[ $mode == address ]]; then
  cmake --build "$build" -j "$jobs"
  tests=()
else
  # The engine tests and what they load (libkcube, the gaussian profile plugin); and, when kcube
  # is built with MPI, the MPI test, whose rank 0 runs cells on a second thread beside the one
  # that receives and stores results: the CLI, the built-in plugins and the faulty fixtures.
  targets=(--target test_engine)
  tests=(-R '^engine:')
  if grep -q 'run.distributed.mpi' "$build/tests/distributed/CTestTestfile.cmake" 2>/dev/null; then
    targets+=(--target kcube-cli)
    for t in kcube-model-profile-gaussian kcube-optimizer-accuracy-max kcube-optimizer-cube-max \
      kcube-optimizer-knee-point kcube-optimizer-utopia-closest kcube-scenario-budget \
      misbehaving-model-profile-faulty-profile misbehaving-model-profile-faulty-serial-profile \
      misbehaving-scenario-faulty-scenario misbehaving-optimizer-faulty-optimizer; do
      targets+=(--target "$t")
    done
    tests=(-R '^engine:|^run[.]distributed[.]mpi$')
  fi
  cmake --build "$build" -j "$jobs" "${targets[@]}"
fi
echo "sanitize $mode: configured and built in $((SECONDS - start)) s"

status=0
ctest --test-dir "$build" --output-on-failure -j "$jobs" --no-tests=error "${tests[@]}" || status=$?

shopt -s nullglob
found=("$reports"/*)
if [[ ${#found[@]} -gt 0 ]]; then
  echo "sanitize $mode: ${#found[@]} sanitizer report(s) in $reports:" >&2
  for f in "${found[@]}"; do
    echo "==== $f" >&2
    head -n 60 "$f" >&2
  done
  status=1
fi
echo "sanitize $mode: $([[ $status -eq 0 ]] && echo clean || echo FAILED) in $((SECONDS - start)) s"
exit "$status"
