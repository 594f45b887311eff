#!/usr/bin/env bash
# Wall time of one study run three ways, side by side and interleaved (this machine is shared and
# noisy): one process with one OpenMP thread, one process with two threads, and two MPI ranks
# with one thread each (mpirun -np 2). Prints each configuration's median wall time, its speedup
# over one process with one thread, and its efficiency (speedup / cores used); checks that the
# three stores hold the same values; and prints rank 0's work per cell from the MPI run.
#   usage: bash tools/bench/mpi_scaling.sh [REPEATS] [TRIALS] [REPLICATIONS]
#   default: 3 repeats of experiments/paper-2025.yaml at 10000 trials x 10 replications (270 cells)
#   KCUBE: the kcube executable (default build/bin/kcube); MPIEXEC: mpirun (default: on PATH).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
repeats=${1:-3}
trials=${2:-10000}
replications=${3:-10}
kcube=${KCUBE:-$root/build/bin/kcube}
mpiexec=${MPIEXEC:-$(command -v mpirun || true)}
[[ -x $kcube ]] || { echo "mpi_scaling: no kcube at $kcube: build first (bash tools/build.sh)" >&2; exit 2; }
[[ -n $mpiexec ]] || { echo "mpi_scaling: no mpirun: bash tools/setup.sh installs Open MPI" >&2; exit 2; }
"$kcube" --version | grep -q "built with MPI" ||
  { echo "mpi_scaling: $kcube was built without MPI" >&2; exit 2; }
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_plm=isolated
[[ $(id -u) -ne 0 ]] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
manifest=$root/experiments/paper-2025.yaml
sets=(--set "run.trials=$trials" --set "run.replications=$replications")

declare -A cores=([1p1t]=1 [1p2t]=2 [2r1t]=2)
declare -A times
configs=(1p1t 1p2t 2r1t)
run_config() {
  local config=$1 store=$2
  case $config in
    1p1t) "$kcube" run "$manifest" "${sets[@]}" --store "$store" --threads 1 --quiet ;;
    1p2t) "$kcube" run "$manifest" "${sets[@]}" --store "$store" --threads 2 --quiet ;;
    2r1t) "$mpiexec" -np 2 "$kcube" run "$manifest" "${sets[@]}" --store "$store" --threads 1 --quiet ;;
  esac
}
cells=$("$kcube" validate "$manifest" "${sets[@]}" | grep -oE '= [0-9]+ cells' | grep -oE '[0-9]+')
echo "study: paper-2025, $trials trials x $replications replications = $cells cells; $repeats repeats; $(nproc) cores"
for ((r = 1; r <= repeats; r++)); do
  for config in "${configs[@]}"; do
    store=$work/$config-$r.sqlite
    start=$(date +%s.%N)
    run_config "$config" "$store" >"$work/$config-$r.log"
    end=$(date +%s.%N)
    t=$(python3 -c "print(f'{$end - $start:.3f}')")
    times[$config]+="$t "
    printf '  repeat %d  %-5s %8.3f s\n' "$r" "$config" "$t"
  done
done

# The three configurations stored the same values (run ids aside).
for config in 1p2t 2r1t; do
  for table in candidates selections; do
    cmp -s <("$kcube" export "$work/1p1t-1.sqlite" --table $table | cut -d, -f2-) \
      <("$kcube" export "$work/$config-1.sqlite" --table $table | cut -d, -f2-) ||
      { echo "mpi_scaling: $config stored other $table than 1p1t" >&2; exit 1; }
  done
done
echo "exports of 1p1t, 1p2t and 2r1t: identical (candidates and selections)"

python3 - "$cells" "${times[1p1t]}" "${times[1p2t]}" "${times[2r1t]}" <<'PY'
import statistics, sys
cells = int(sys.argv[1])
names = ["1p1t", "1p2t", "2r1t"]
cores = {"1p1t": 1, "1p2t": 2, "2r1t": 2}
med = {n: statistics.median(map(float, sys.argv[2 + i].split())) for i, n in enumerate(names)}
print(f"{'config':8} {'median s':>9} {'cells/s':>8} {'speedup':>8} {'efficiency':>10}")
for n in names:
    s = med["1p1t"] / med[n]
    print(f"{n:8} {med[n]:9.3f} {cells / med[n]:8.2f} {s:8.3f} {s / cores[n]:10.3f}")
print(f"2 ranks / 1 process with 2 threads: {med['1p2t'] / med['2r1t']:.3f}x")
PY
grep -h "^mpi:" "$work"/2r1t-*.log
