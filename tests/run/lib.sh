# Shared by the run test scripts; sourced, not run. ctest calls each script as
#   bash SCRIPT KCUBE SOURCE_DIR SCRATCH_DIR [ARGS...]
# (the kcube CLI, the kcube source tree, a scratch folder under the build tree).
# Set KCUBE_RUN_KEEP=1 to keep a test's files for a post-mortem.
# The variables at the end are used by the scripts that source this file.
# shellcheck disable=SC2034

# shellcheck source=../support/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/harness.sh"

# run_init NAME KCUBE SOURCE_DIR SCRATCH_DIR: sets KCUBE, SRC, WORK (a fresh folder under
# SCRATCH_DIR, removed on exit) and LOGS (harness_init).
run_init() {
  [[ $# -ge 4 ]] || {
    echo "usage: bash $0 KCUBE SOURCE_DIR SCRATCH_DIR [ARGS...]" >&2
    exit 2
  }
  local name=$1
  KCUBE=$2
  [[ -x $KCUBE ]] || fail "no kcube executable at $KCUBE (build first)"
  SRC=$(cd "$3" && pwd) || fail "no source tree at $3"
  [[ -f $SRC/experiments/paper-2025.yaml ]] || fail "$SRC is not the kcube source tree"
  harness_init "$name" "$4" KCUBE_RUN_KEEP
  command -v sqlite3 >/dev/null || fail "these tests need the sqlite3 command-line tool"
  # Only the built-in plugins.
  unset KCUBE_PLUGIN_PATH
}

# sql STORE QUERY: the query's result (sqlite3 list mode, '|' separated).
sql() {
  sqlite3 -batch -bail "$1" "$2" || fail "sqlite3 '$1' \"$2\" failed"
}

# no_file PATH WHY: PATH does not exist.
no_file() {
  [[ ! -e $1 ]] || fail "$2: '$1' exists but must not have been created"
}

# planned_cells LOG: the cell count in the `kcube validate` output logged as LOG ("27 cells").
planned_cells() {
  local n
  n=$(grep -oE '[0-9]+ cells?' "$LOGS/$1.out" | head -n 1 | cut -d' ' -f1) || true
  [[ -n $n ]] || {
    echo "FAIL: the output of $1 states no 'N cells'" >&2
    show_log "$1"
    exit 1
  }
  echo "$n"
}

# check_run_finished STORE RUN CELLS: run RUN of STORE is finished with CELLS planned, CELLS
# finished cells and none with an error.
check_run_finished() {
  local store=$1 id=$2 cells=$3
  expect_eq "run $id status" "$(sql "$store" "SELECT status FROM runs WHERE id=$id")" finished
  expect_eq "run $id cell_count" "$(sql "$store" "SELECT cell_count FROM runs WHERE id=$id")" "$cells"
  expect_eq "run $id finished cells" \
    "$(sql "$store" "SELECT count(*) FROM cells WHERE run_id=$id AND status='finished'")" "$cells"
  expect_eq "run $id cells with an error" \
    "$(sql "$store" "SELECT count(*) FROM cells WHERE run_id=$id AND status<>'finished'")" 0
}

# stored_cells STORE RUN: "cell_key<TAB>status<TAB>seconds" of every cell of RUN, one a line in
# key order. Taken before a `kcube run --resume`, it tells which cells the resume computed
# (resumed_cells): a cell computed again has another wall time.
stored_cells() {
  sql "$1" "SELECT cell_key || char(9) || status || char(9) || quote(seconds) FROM cells
            WHERE run_id = $2 ORDER BY cell_key"
}

# resumed_cells STORE RUN BEFORE: how many cells a --resume of RUN stored (the N of its
# "resumed; N cells run", which --quiet does not print), BEFORE being stored_cells of RUN taken
# before the resume. Fails when a cell stored finished before is gone or was computed again.
resumed_cells() {
  local after lost
  after=$(stored_cells "$1" "$2")
  lost=$(LC_ALL=C comm -23 <(grep -F "$(printf '\tfinished\t')" <<<"$3" || true) \
    <(printf '%s\n' "$after"))
  [[ -z $lost ]] || fail "run $2 of $1: --resume lost or computed again the finished cells: $lost"
  LC_ALL=C comm -13 <(printf '%s\n' "$3") <(printf '%s\n' "$after") | grep -c . || true
}

# Export headers, first column to last (ResultStore::export_table), and the paper study's names;
# used by the scripts that source this file.
SELECTIONS_HEADER=run_id,replication,profile,scenario,aggregator,sweep,optimizer,status,k,cost,latency,accuracy,score,reason
CANDIDATES_HEADER=run_id,replication,profile,scenario,aggregator,sweep,k,trials,cost,latency,accuracy,cost_std,latency_std,accuracy_std,cost_se,latency_se,accuracy_se,cost_p025,cost_p975,latency_p025,latency_p975,accuracy_p025,accuracy_p975,feasible

PAPER_PROFILES=(gpt5 gpt5-mini gpt5-nano nvidia-nemotron-ultra-253b nvidia-nemotron-h-47b
  nvidia-nemotron-nano-9b-v2 qwen3-max qwen3-next-80b-a3b qwen3-30b-a3b)
PAPER_OPTIMIZERS=(accuracy-max cube-max utopia-closest knee-point knee-curvature knee-reference-2d)
PAPER_SCENARIOS=(balanced accuracy-critical cost-constrained)
