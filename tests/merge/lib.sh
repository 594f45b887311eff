# shellcheck shell=bash
# Shared by the merge tests; sourced after tests/run/lib.sh and tests/crash/lib.sh (the study:
# experiments/paper-2025.yaml at 200 trials on one thread, 27 cells; study, export_run,
# same_exports, check_intact).
# shellcheck disable=SC2034

# shard_run STORE RUN I N: run RUN of STORE becomes shard I/N of the 27-cell plan, as
# `kcube run --shard I/N` writes it: only the cells at plan positions p with p % N = I - 1, its
# cell_count theirs, plan_cells the plan's, run on host node-I.
shard_run() {
  sql "$1" "PRAGMA foreign_keys = ON;
    DELETE FROM cells WHERE run_id = $2 AND position % $4 <> $3 - 1;
    UPDATE runs SET shard_index = $3, shard_count = $4, plan_cells = $CELLS, host = 'node-$3',
      cell_count = (SELECT count(*) FROM cells WHERE run_id = $2) WHERE id = $2;" >/dev/null
}

# make_parts WHOLE N: $WORK/part-I.sqlite for I = 1..N, each a copy of WHOLE (run 1 of the
# study) holding shard I/N only.
make_parts() {
  local i
  for ((i = 1; i <= $2; i++)); do
    cp "$1" "$WORK/part-$i.sqlite"
    shard_run "$WORK/part-$i.sqlite" 1 "$i" "$2"
  done
}

# fingerprint FILE...: sha256 of each file, and which -wal and -shm files exist beside them.
fingerprint() {
  local f
  for f in "$@"; do
    sha256sum "$f"
    ls "$f-wal" "$f-shm" 2>/dev/null || true
  done
}

# merge_refused LOG OUT ARGS...: `kcube merge OUT ARGS...` exits 2 and writes nothing to stdout;
# OUT is byte for byte as before, or still does not exist.
merge_refused() {
  local log=$1 out=$2 before=
  shift 2
  [[ -e $out ]] && before=$(fingerprint "$out")
  expect_exit 2 "$log" "$KCUBE" merge "$out" "$@"
  if [[ -n $before ]]; then
    expect_eq "$log: '$out' after the refusal" "$(fingerprint "$out")" "$before"
  else
    no_file "$out" "$log: a refused merge"
  fi
  [[ ! -s $LOGS/$log.out ]] || { show_log "$log"; fail "$log: a refused merge wrote to stdout"; }
}
