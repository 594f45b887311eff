#!/usr/bin/env bash
# Fuzzes kcube's input parsers with libFuzzer (tests/fuzz/README.md):
#   1. builds the fuzz targets with clang in build-fuzz/, libkcube and the plugins included, all
#      under AddressSanitizer and UndefinedBehaviorSanitizer (-DKCUBE_FUZZ=ON, tests off);
#   2. replays each target's committed corpus and regression inputs and its generated 10 MiB,
#      depth and alias-bomb inputs under the sanitizers;
#   3. fuzzes each target for SECONDS (default 60) from a scratch copy of those inputs (the
#      committed corpus never grows by itself), with its dictionary.
# Prints, per target, executions, seconds, exec/s, coverage and corpus growth, and whether
# anything was found. Exits 1 when a target crashed, leaked, hung, ran out of memory or failed
# its replay, printing the path of the input that did it.
#
#   tools/fuzz.sh [SECONDS]
#   KCUBE_FUZZ_TARGETS="manifest spec"   only these targets (default: all four)
#   KCUBE_FUZZ_BUILD_DIR=DIR             build tree (default: build-fuzz/)
#   KCUBE_FUZZ_WORK_DIR=DIR              scratch corpora and findings (default: a new temp folder)
#   KCUBE_FUZZ_REPLAY=0                  skip step 2 (CI: its ASan job already ran the corpus and
#                                        regressions, and the generated inputs at 1 MiB, under
#                                        ASan and UBSan as ctest's fuzz.replay.*; its GCC job
#                                        replays the generated inputs at 10 MiB)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
build="${KCUBE_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${KCUBE_JOBS:-$(nproc)}"
read -r -a targets <<<"${KCUBE_FUZZ_TARGETS:-manifest candidate_csv spec cell_codec}"
fuzz_dir="$root/tests/fuzz"
# Longest input libFuzzer makes, per target: the largest seed (the paper study with its includes,
# about 4.5 kB) with room to grow; a candidate table of a few dozen rows; a long spec; a cell of
# a few dozen candidates.
declare -A max_len=([manifest]=16384 [candidate_csv]=4096 [spec]=1024 [cell_codec]=4096)

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: tools/fuzz.sh [SECONDS]   (SECONDS per target, a whole number >= 1)" >&2
  exit 2
fi
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ is missing; install clang, libclang-rt-dev and libomp-dev" >&2
  exit 2
fi

echo "fuzz: building the fuzz targets in $build (clang, ASan + UBSan)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DKCUBE_FUZZ=ON -DKCUBE_BUILD_TESTS=OFF >/dev/null
build_targets=()
replay=${KCUBE_FUZZ_REPLAY:-1}
for t in "${targets[@]}"; do
  build_targets+=(--target "fuzz-$t")
  [[ $replay == 0 ]] || build_targets+=(--target "fuzz-replay-$t")
done
cmake --build "$build" -j "$jobs" "${build_targets[@]}" >"$build/fuzz-build.log" 2>&1 || {
  tail -n 40 "$build/fuzz-build.log"
  echo "fuzz: the build failed (log: $build/fuzz-build.log)" >&2
  exit 2
}

# Scratch corpora, logs and findings: kept when something was found or when given, else removed.
work="${KCUBE_FUZZ_WORK_DIR:-}"
keep_work=1
if [ -z "$work" ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/kcube-fuzz.XXXXXX")"
  keep_work=0
fi
mkdir -p "$work"
# Every sanitizer report is fatal (the code is built with -fno-sanitize-recover=all); leaks count.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Reading libFuzzer's log (empty when a value is missing, e.g. after a crash at startup):
#   status_field LOG TAG KEY   N of "KEY: N" on the last status line "#RUNS TAG ..."
#   stat_field LOG NAME        N of the final "stat::NAME: N"
status_field() {
  grep -E "^#[0-9]+[[:space:]]+$2" "$1" | tail -n 1 | sed -nE "s/.* $3: ([0-9]+).*/\1/p" || true
}
stat_field() { sed -nE "s/^stat::$2: *([0-9]+).*/\1/p" "$1" | tail -n 1 || true; }

failed=0
summary=()
for t in "${targets[@]}"; do
  dir="$work/$t"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/findings"
  echo
  if [[ $replay == 0 ]]; then
    echo "fuzz: $t: replay skipped (KCUBE_FUZZ_REPLAY=0)"
  else
    echo "fuzz: $t: replaying the corpus, the regressions and the generated inputs"
    # Sanitizers slow the 10 MB inputs down tenfold: the time limit here is for hangs only (the
    # normal test suite's fuzz.replay tests hold them to 60 s without sanitizers).
    if ! "$build/bin/fuzz-replay-$t" --generated --max-seconds 600 "$fuzz_dir/corpus/$t" \
      "$fuzz_dir/regressions/$t" >"$dir/replay.log" 2>&1; then
      tail -n 30 "$dir/replay.log"
      echo "fuzz: $t: FOUND: the replay failed (log: $dir/replay.log)"
      failed=1
      summary+=("$(printf '%-14s replay failed: %s' "$t" "$dir/replay.log")")
      continue
    fi
    tail -n 1 "$dir/replay.log"
  fi

  cp -r "$fuzz_dir/corpus/$t/." "$fuzz_dir/regressions/$t/." "$dir/corpus/"
  dict=()
  [ -f "$fuzz_dir/$t.dict" ] && dict=(-dict="$fuzz_dir/$t.dict")
  echo "fuzz: $t: fuzzing for $seconds s (scratch corpus $dir/corpus)"
  status=0
  "$build/bin/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="${max_len[$t]}" "${dict[@]}" -artifact_prefix="$dir/findings/" \
    -print_final_stats=1 "$dir/corpus" >"$dir/fuzz.log" 2>&1 || status=$?

  log="$dir/fuzz.log"
  execs="$(stat_field "$log" number_of_executed_units)"
  rate="$(stat_field "$log" average_exec_per_sec)"
  took="$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -n 1 || true)"
  cov0="$(status_field "$log" INITED cov)"
  ft0="$(status_field "$log" INITED ft)"
  corp0="$(status_field "$log" INITED corp)"
  cov1="$(status_field "$log" '(DONE|pulse|NEW|REDUCE|RELOAD)' cov)"
  ft1="$(status_field "$log" '(DONE|pulse|NEW|REDUCE|RELOAD)' ft)"
  corp1="$(status_field "$log" '(DONE|pulse|NEW|REDUCE|RELOAD)' corp)"
  finding="$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1 || true)"
  if [ "$status" -ne 0 ] || [ -n "$finding" ]; then
    failed=1
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|kcube fuzz target|ALARM|==[0-9]+== ERROR)' \
      "$log" | head -n 20 || true
    result="FOUND: ${finding:-exit status $status} (log: $log)"
    echo "fuzz: $t: $result"
    echo "fuzz: reproduce with: $build/bin/fuzz-$t ${finding:-<input>}"
  else
    result="nothing found"
  fi
  summary+=("$(printf '%-14s %10s execs %5s s %7s exec/s  cov %s->%s  ft %s->%s  corpus %s->%s  %s' \
    "$t" "${execs:-?}" "${took:-?}" "${rate:-?}" "${cov0:-?}" "${cov1:-?}" "${ft0:-?}" "${ft1:-?}" \
    "${corp0:-?}" "${corp1:-?}" "$result")")
done

echo
echo "fuzz: summary ($seconds s per target)"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FOUND problems (logs and inputs in $work): fix them, and keep each input under"
  echo "      tests/fuzz/regressions/TARGET/"
  exit 1
fi
[ "$keep_work" -eq 1 ] || rm -rf "$work"
echo "fuzz: nothing found"
