#!/usr/bin/env bash
# Times `kcube simulate` of two builds on the same cell, one after the other, interleaved:
#
#   bash tools/bench/simulate_side_by_side.sh BASELINE_KCUBE NEW_KCUBE [TRIALS] [REPEATS] [THREADS]
#
# The cell is issue 18's: gpt5's gaussian profile (experiments/profiles/paper-2025.yaml), the
# budget scenario with P = 1 and k = 1..1024, TRIALS trials (default 200,000) on THREADS OpenMP
# threads (default 1), seed 42. Each of REPEATS rounds (default 1) runs the baseline, then the new
# build, under /usr/bin/time; the script prints wall, user+system CPU and peak resident memory of
# every run, then the ratios baseline / new of the medians. The machine this runs on may be shared:
# compare within one invocation, and read the CPU time as the steadier figure. Every CSV goes to a
# temporary folder that is removed at the end; the two builds' outputs are not compared (their
# engine versions may differ, so their Monte Carlo numbers do). Each build runs with its own
# libkcube: LD_LIBRARY_PATH is set to the lib/ folder next to its bin/ (a build's RUNPATH names the
# build tree it came from, which may since hold a newer libkcube and plugins).
set -euo pipefail

usage() {
  echo "usage: $0 BASELINE_KCUBE NEW_KCUBE [TRIALS] [REPEATS] [THREADS]" >&2
  exit 2
}
[[ $# -ge 2 && $# -le 5 ]] || usage
baseline=$1 new=$2 trials=${3:-200000} repeats=${4:-1} threads=${5:-1}
for bin in "$baseline" "$new"; do
  [[ -x $bin ]] || { echo "$0: '$bin' is not an executable kcube; build it first" >&2; exit 2; }
done
for n in "$trials" "$repeats" "$threads"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$0: '$n' is not a positive integer" >&2; usage; }
done
[[ -x /usr/bin/time ]] || { echo "$0: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

# gpt5's parameters as the paper study has them (its profiles file is the one place they are
# written), as a gaussian spec: key=value pairs, display_name left out.
profiles="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/experiments/profiles/paper-2025.yaml"
profile=$(python3 - "$profiles" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
entry = re.search(r"^  gpt5:\n    plugin: gaussian\n    params: \{(.*?)\}", text, re.M | re.S)
if entry is None:
    sys.exit(f"{sys.argv[1]}: no gaussian entry 'gpt5' with a params mapping")
pairs = [p.split(":", 1) for p in entry.group(1).replace("\n", " ").split(",")]
print("gaussian:" + ",".join(f"{k.strip()}={v.strip()}" for k, v in pairs
                             if k.strip() != "display_name"))
PY
)
scenario='budget:parallelism=1,k_max=1024,k_step=1'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "kcube simulate --profile gpt5 --scenario $scenario --trials $trials --threads $threads"
libdir() { echo "$(cd "$(dirname "$1")/../lib" && pwd)"; }
for bin in "$baseline" "$new"; do
  echo "$bin: $(LD_LIBRARY_PATH=$(libdir "$bin") "$bin" --version | head -n 1)"
done
echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %6s %10s %10s %10s\n' build round wall_s cpu_s peak_MiB
declare -A walls cpus
for ((round = 1; round <= repeats; ++round)); do
  for which in baseline new; do
    bin=$baseline
    [[ $which == new ]] && bin=$new
    LD_LIBRARY_PATH=$(libdir "$bin") /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
      "$bin" simulate --profile "$profile" --scenario "$scenario" --trials "$trials" \
      --threads "$threads" --seed 42 -o "$work/$which-$round.csv" 2>"$work/err" ||
      { echo "$0: $which run $round failed:" >&2; cat "$work/err" >&2; exit 1; }
    read -r wall user sys rss <"$work/time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    printf '%-9s %6d %10.2f %10.2f %10.1f\n' "$which" "$round" "$wall" "$cpu" \
      "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
    walls[$which]+="$wall "
    cpus[$which]+="$cpu "
  done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END {
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
bw=$(median <<<"${walls[baseline]}") nw=$(median <<<"${walls[new]}")
bc=$(median <<<"${cpus[baseline]}") nc=$(median <<<"${cpus[new]}")
awk -v bw="$bw" -v nw="$nw" -v bc="$bc" -v nc="$nc" 'BEGIN {
  printf "median wall: baseline %.2f s, new %.2f s, speedup %.2fx\n", bw, nw, bw / nw
  printf "median CPU:  baseline %.2f s, new %.2f s, speedup %.2fx\n", bc, nc, bc / nc }'
