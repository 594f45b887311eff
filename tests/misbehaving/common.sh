# Shared by the misbehaving-plugin test scripts; sourced, not run. ctest calls each script as
#   bash SCRIPT KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
# (PLUGIN_DIR: the faulty-* fixture plugins). Builds on tests/run/lib.sh.
# shellcheck disable=SC2034
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"

# misbehaving_init NAME ARGS...: run_init, then PLUGINS, MANIFEST (faults.yaml) and CASES = 0.
misbehaving_init() {
  local name=$1
  shift
  run_init "$name" "$@"
  PLUGINS=${4:?usage: bash $0 KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR}
  [[ -f $PLUGINS/kcube-model-profile-faulty-profile.so ]] || fail "no fixture plugins in $PLUGINS"
  MANIFEST=$SRC/tests/misbehaving/faults.yaml
  PROFILE_SO=$PLUGINS/kcube-model-profile-faulty-profile.so
  SERIAL_SO=$PLUGINS/kcube-model-profile-faulty-serial-profile.so
  SCENARIO_SO=$PLUGINS/kcube-scenario-faulty-scenario.so
  OPTIMIZER_SO=$PLUGINS/kcube-optimizer-faulty-optimizer.so
  CASES=0
}

# kc ARGS...: kcube with the fixture plugins on the search path.
kc() { "$KCUBE" --plugin-path "$PLUGINS" "$@"; }

# no_crash LOG: LOG's stderr shows a message, not a crash, an abort or a trace.
no_crash() {
  ! grep -qiE 'terminate called|abort|segmentation|core dumped|assert' "$LOGS/$1.err" || {
    show_log "$1"
    fail "$1: crash text on stderr"
  }
}

# cell_messages STORE: the messages of the run's cells stored with status error, one a line.
cell_messages() { sql "$1" "SELECT message FROM cells WHERE status='error' ORDER BY position"; }

# fault_run NAME ERROR_CELLS NEEDLE FILE [ARGS...]: `kcube run faults.yaml ARGS` into a fresh
# store. ERROR_CELLS is a SQL LIKE pattern of the cell keys that must be stored with status
# error ('' for none); every other of the 4 cells must be finished. The run exits 1 and is marked
# failed when some cell fails, else exits 0 and is finished. Each error message contains NEEDLE
# and FILE (the plugin's library). Sets STORE.
fault_run() {
  local name=$1 pattern=$2 needle=$3 file=$4
  shift 4
  STORE=$WORK/$name.sqlite
  local want_rc=1 want_status=failed
  [[ -n $pattern ]] || { want_rc=0; want_status=finished; }
  expect_exit "$want_rc" "$name" kc run "$MANIFEST" --store "$STORE" --quiet "$@"
  no_crash "$name"
  expect_eq "$name: cells stored" "$(sql "$STORE" "SELECT count(*) FROM cells")" 4
  expect_eq "$name: run status" "$(sql "$STORE" "SELECT status FROM runs WHERE id=1")" "$want_status"
  expect_eq "$name: cells that are not as expected" "$(sql "$STORE" \
    "SELECT count(*) FROM cells WHERE (status='error') <> (cell_key LIKE '${pattern:-none}')")" 0
  if [[ -n $pattern ]]; then
    local message
    while IFS= read -r message; do
      [[ $message == *"$needle"* && $message == *"$file"* ]] ||
        fail "$name: the cell message '$message' lacks '$needle' or '$file'"
    done < <(cell_messages "$STORE")
    # The run says which cells failed, and why, on stderr.
    expect_err "$name" "failed: "
  fi
  CASES=$((CASES + 1))
}

# done_cases: prints how many fault cases the script checked.
done_cases() { echo "$CASES fault cases checked"; }
