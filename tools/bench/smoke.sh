#!/usr/bin/env bash
# bench.smoke: kcube-bench runs every benchmark at 1% of its trials, exits 0, and its report
# reaches the last benchmark (big-cell) and that one's table fingerprint. It never checks a time
# (speed is judged from full runs, not from tests).
#   usage: bash smoke.sh KCUBE_BENCH
set -euo pipefail
bench=${1:?usage: bash smoke.sh KCUBE_BENCH}
rc=0
out=$("$bench" --trials-scale 0.01) || rc=$?
printf '%s\n' "$out"
[[ $rc -eq 0 ]] || { echo "FAIL: kcube-bench --trials-scale 0.01 exited with $rc" >&2; exit 1; }
# The big-cell benchmark runs last; its fingerprint line ends the report.
sed -n '/^== big-cell/,$p' <<<"$out" | grep -q "table fingerprint" ||
  { echo "FAIL: the report lacks '== big-cell' followed by its table fingerprint" >&2; exit 1; }
echo "bench.smoke: exit 0, every benchmark reported"
