# shellcheck shell=bash
# Shared by the distributed-run tests; sourced after tests/run/lib.sh. The study: the paper's
# manifest at 300 trials with 2 replications (54 cells, 6 optimizers), small enough for seconds.
# shellcheck disable=SC2034

MANIFEST=$SRC/experiments/paper-2025.yaml
SETS=(--set run.trials=300 --set run.replications=2)
CELLS=54

# dump STORE RUN FILE: every stored value of run RUN that does not depend on who ran it or when:
# its cells (without wall time), candidates and selections, all columns but run_id, reals printed
# with 17 significant digits (bit for bit), in a fixed order; then both exports without run_id.
dump() {
  local store=$1 run=$2 file=$3 table columns order
  : >"$file"
  for table in cells candidates selections; do
    case $table in
      cells) order="position, cell_key" ;;
      candidates) order="cell_key, k" ;;
      selections) order="cell_key, position" ;;
    esac
    columns=$(sql "$store" "SELECT group_concat(
        'CASE typeof(' || name || ') WHEN ''real'' THEN printf(''%!.17g'', ' || name ||
        ') ELSE quote(' || name || ') END', ' || ''|'' || ')
      FROM pragma_table_info('$table') WHERE name NOT IN ('run_id', 'seconds')")
    echo "== $table" >>"$file"
    sql "$store" "SELECT $columns FROM $table WHERE run_id = $run ORDER BY $order" >>"$file"
  done
  for table in candidates selections; do
    echo "== export $table" >>"$file"
    "$KCUBE" export "$store" --table "$table" --run "$run" | cut -d, -f2- >>"$file" ||
      fail "kcube export $store --run $run failed"
  done
}

# same_numbers WHAT STORE RUN REFERENCE_DUMP: run RUN of STORE dumps exactly as the reference.
same_numbers() {
  local file=$WORK/dump.$RANDOM
  dump "$2" "$3" "$file"
  if ! cmp -s "$file" "$4"; then
    diff "$4" "$file" | head -n 20 >&2
    fail "$1: the stored values differ from the one-process run (first differences above)"
  fi
  local rows
  rows=$(wc -l <"$file")
  echo "   $1: $rows lines identical to the one-process run"
}

# run_row STORE RUN: "status|cell_count|plan_cells|shard_index|shard_count|ranks" of RUN.
run_row() {
  sql "$1" "SELECT status, cell_count, plan_cells, ifnull(shard_index, '-'),
                   ifnull(shard_count, '-'), ifnull(ranks, '-') FROM runs WHERE id = $2"
}
