#!/usr/bin/env bash
# run.bad-input: the bad-input table. Every row of cases.tsv (its header explains the columns) is
# run as the kcube command its kind names, and must
#   - exit with code 2 (an input error: not 0, not 1, not a crash or a timeout);
#   - print a message that names the input ("file:LINE:" where the input has lines) and contains
#     the expected text saying what is wrong, with no crash text;
#   - create no store and change none: kind 'run' also runs with the default store (in an empty
#     folder), with --store at a new file and with --store at an existing kcube store; kind
#     'store' points --store at fixtures (a missing folder, a folder, a text file, another
#     program's SQLite database, ...). Stores and fixtures are compared by sha256 before and after.
# All rows run; the failures are listed together at the end.
#   usage: bash check_bad_input.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/run/lib.sh
source "$HERE/../run/lib.sh"
run_init bad-input "$@"

# Rows whose store check is known to fail, with the reason; they are reported, not counted. A row
# here that passes fails the test, so that it is removed once the fix lands.
declare -A KNOWN_BUGS=()

# A valid model profile, for the rows that vary the scenario of kcube simulate.
GAUSSIAN=gaussian:c_in=1e-6,c_out=1e-5,t_in=0.001,t_out=0.01,acc_mean=0.9,acc_std=0.05
# Each command gets this long; the rows refuse their input in well under a second.
COMMAND_TIMEOUT=60

MANIFESTS=$WORK/manifests
DATA=$WORK/data
STORES=$WORK/stores
EXISTING=$WORK/existing
cp -R "$HERE/manifests" "$MANIFESTS"
cp -R "$HERE/data" "$DATA"

step "inputs a patch cannot carry as text"
# The start of a gzip stream: a control byte (0x1f) first.
printf '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x57\x28\xcf\x2f\xca\x49\xe1\x02\x00' \
  >"$MANIFESTS/binary-garbage.yaml"
cp "$MANIFESTS/binary-garbage.yaml" "$DATA/binary.csv"
# good.yaml with a Latin-1 'e acute' (byte 0xe9, invalid as UTF-8) in a description on line 4.
{
  echo "# Bad: a description in Latin-1, not UTF-8 (line 4)"
  sed -n 2,3p "$MANIFESTS/good.yaml"
  printf 'description: caf\xe9 au lait\n'
  tail -n +4 "$MANIFESTS/good.yaml"
} >"$MANIFESTS/invalid-utf8.yaml"

step "the valid inputs the bad ones are copies of pass (the failures below are the mistakes')"
run validate-good "$KCUBE" validate "$MANIFESTS/good.yaml"
[[ $(planned_cells validate-good) == 1 ]] || fail "good.yaml should plan 1 cell"
run select-good "$KCUBE" select "$DATA/good.csv" --scenario budget:parallelism=4 --optimizer accuracy-max
run simulate-good "$KCUBE" simulate --profile "$GAUSSIAN" --scenario budget:k_max=8 --trials 20
mkdir -p "$EXISTING"
run existing-store "$KCUBE" run "$MANIFESTS/good.yaml" --store "$EXISTING/kcube.sqlite" --quiet
check_run_finished "$EXISTING/kcube.sqlite" 1 1
cp "$EXISTING/kcube.sqlite" "$WORK/existing-pristine.sqlite"

step "store fixtures"
mkdir -p "$STORES/a-folder"
echo "not a folder" >"$STORES/a-file"
echo "results, but as text" >"$STORES/text-file.sqlite"
head -c 4096 /dev/zero | tr '\0' '\251' >"$STORES/garbage-bytes.sqlite"
mkfifo "$STORES/fifo.sqlite"
ln -s /dev/null "$STORES/dev-null.sqlite"
# SQLite would create /dev/null-journal (as root) for a store at /dev/null.
null_journal_before=$([[ -e /dev/null-journal ]] && echo yes || echo no)
sql "$STORES/other-program.sqlite" "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')"
cp "$WORK/existing-pristine.sqlite" "$STORES/newer-schema.sqlite"
sql "$STORES/newer-schema.sqlite" "PRAGMA user_version = 99"

# snapshot DIR: every path under DIR with its type and size, and the sha256 of every file.
snapshot() {
  (cd "$1" && find . -printf '%p %y %s\n' | LC_ALL=C sort &&
    find . -type f -exec sha256sum {} + | LC_ALL=C sort -k 2)
}

FAILED=()
KNOWN=()
case_problems=()

# invoke LOG CWD COMMAND...: runs COMMAND in CWD (stdout and stderr logged as LOG), then checks
# the exit code and the message against the row being run.
invoke() {
  local log=$1 dir=$2 rc=0
  shift 2
  (cd "$dir" && timeout "$COMMAND_TIMEOUT" "$@") >"$LOGS/$log.out" 2>"$LOGS/$log.err" || rc=$?
  if [[ $rc -ne 2 ]]; then
    case_problems+=("$log: exit code $rc, expected 2")
  fi
  if [[ -n $need ]] && ! grep -qF -- "$need" "$LOGS/$log.err"; then
    case_problems+=("$log: the message does not name '$need'")
  fi
  local fragment
  for fragment in "${fragments[@]}"; do
    grep -qF -- "$fragment" "$LOGS/$log.err" || case_problems+=("$log: the message lacks '$fragment'")
  done
  if grep -qiE 'terminate called|assertion|segmentation|core dumped|what\(\)' "$LOGS/$log.err"; then
    case_problems+=("$log: crash text in the message")
  fi
}

# unchanged WHAT BEFORE AFTER: a store check; a difference is a problem.
unchanged() {
  [[ $2 != "$3" ]] || return 0
  local difference
  difference=$(diff <(echo "$2") <(echo "$3") | head -n 6 | tr '\n' ' ') || true
  case_problems+=("store changed: $1: $difference")
}

# run_row NAME KIND INPUT WHERE EXPECTED [ARGS]
run_row() {
  local name=$1 kind=$2 input=$3 where=$4 expected=$5 extra=${6:-}
  local -a args=()
  [[ -z $extra ]] || read -ra args <<<"$extra"
  fragments=()
  local rest=$expected
  while [[ $rest == *" && "* ]]; do
    fragments+=("${rest%% && *}")
    rest=${rest#* && }
  done
  fragments+=("$rest")

  # The path the message must name, and where the input lives.
  local path=$input
  case $kind in
    validate | run) path=$MANIFESTS/$input ;;
    store) path=$STORES/$input ;;
    select-csv) path=$DATA/$input ;;
  esac
  case $where in
    -) need=$path ;;
    @*) need=${where#@} ;;
    *:*) need=$MANIFESTS/$where: ;;
    *) need=$path:$where: ;;
  esac

  local empty=$WORK/cwd/$name
  mkdir -p "$empty"
  case $kind in
    validate)
      invoke "$name" "$empty" "$KCUBE" validate "$path" "${args[@]}"
      ;;
    run)
      local before_existing
      before_existing=$(snapshot "$EXISTING")
      invoke "$name.default-store" "$empty" "$KCUBE" run "$path" --quiet "${args[@]}"
      unchanged "the empty folder of the default store" "" "$(ls -A "$empty")"
      invoke "$name.new-store" "$empty" "$KCUBE" run "$path" --store "$WORK/new/$name.sqlite" \
        --quiet "${args[@]}"
      [[ ! -e $WORK/new ]] || case_problems+=("store changed: --store at a new file created $(ls -A "$WORK/new")")
      rm -rf "$WORK/new"
      invoke "$name.existing-store" "$empty" "$KCUBE" run "$path" --store "$EXISTING/kcube.sqlite" \
        --quiet "${args[@]}"
      unchanged "the existing store $EXISTING/kcube.sqlite" "$before_existing" "$(snapshot "$EXISTING")"
      ;;
    store)
      local before_stores
      before_stores=$(snapshot "$STORES")
      invoke "$name" "$empty" "$KCUBE" run "$MANIFESTS/good.yaml" --store "$path" --quiet "${args[@]}"
      unchanged "the store fixtures in $STORES" "$before_stores" "$(snapshot "$STORES")"
      ;;
    select-scenario)
      invoke "$name" "$empty" "$KCUBE" select "$DATA/good.csv" --scenario "$input" \
        --optimizer accuracy-max "${args[@]}"
      ;;
    select-optimizer)
      invoke "$name" "$empty" "$KCUBE" select "$DATA/good.csv" --scenario budget:parallelism=4 \
        --optimizer "$input" "${args[@]}"
      ;;
    select-csv)
      invoke "$name" "$empty" "$KCUBE" select "$path" --scenario budget:parallelism=4 \
        --optimizer accuracy-max "${args[@]}"
      ;;
    simulate-profile)
      invoke "$name" "$empty" "$KCUBE" simulate --profile "$input" --scenario budget:k_max=8 "${args[@]}"
      ;;
    simulate-scenario)
      invoke "$name" "$empty" "$KCUBE" simulate --profile "$GAUSSIAN" --scenario "$input" "${args[@]}"
      ;;
    *)
      case_problems+=("unknown kind '$kind' in cases.tsv")
      ;;
  esac
  # select and simulate write no store: nothing may appear where they ran either.
  [[ $kind == run ]] || unchanged "the folder kcube ran in" "" "$(ls -A "$empty")"
}

step "the rows of cases.tsv"
rows=0
declare -A seen=()
while IFS=$'\t' read -r name kind input where expected extra; do
  [[ -z $name || $name == \#* ]] && continue
  [[ -n $kind && -n $input && -n $where && -n $expected ]] || fail "cases.tsv: row '$name' has too few columns"
  [[ -z ${seen[$name]:-} ]] || fail "cases.tsv: two rows are named '$name'"
  seen[$name]=1
  rows=$((rows + 1))
  case_problems=()
  run_row "$name" "$kind" "$input" "$where" "$expected" "$extra"
  # A row's store or fixture is restored, so that one failure does not spread to later rows.
  cp "$WORK/existing-pristine.sqlite" "$EXISTING/kcube.sqlite"
  rm -f "$EXISTING"/kcube.sqlite-*
  if [[ -n ${KNOWN_BUGS[$name]:-} ]]; then
    local_only_store=1
    for p in "${case_problems[@]}"; do
      [[ $p == "store changed:"* ]] || local_only_store=0
    done
    if [[ ${#case_problems[@]} -eq 0 ]]; then
      FAILED+=("$name: passes now; remove it from KNOWN_BUGS in $(basename "$0")")
    elif [[ $local_only_store -eq 1 ]]; then
      KNOWN+=("$name: ${KNOWN_BUGS[$name]}")
      echo "   $name: known bug (see KNOWN_BUGS)"
      continue
    fi
  fi
  if [[ ${#case_problems[@]} -gt 0 ]]; then
    for p in "${case_problems[@]}"; do
      FAILED+=("$name: $p")
    done
    echo "   $name: FAILED"
    for log in "$LOGS/$name"*.err; do
      [[ -s $log ]] && sed 's/^/      | /' "$log" | head -n 8
    done
  else
    echo "   $name: ok"
  fi
done <"$HERE/cases.tsv"

[[ $rows -ge 40 ]] || fail "cases.tsv has only $rows rows"
if [[ $null_journal_before == no && -e /dev/null-journal ]]; then
  FAILED+=("store-links-to-dev-null: /dev/null-journal was created")
fi
echo "-- $rows rows, ${#FAILED[@]} problems, ${#KNOWN[@]} known bugs"
for k in "${KNOWN[@]}"; do
  echo "KNOWN BUG: $k"
done
if [[ ${#FAILED[@]} -gt 0 ]]; then
  printf 'FAIL: %s\n' "${FAILED[@]}" >&2
  exit 1
fi
