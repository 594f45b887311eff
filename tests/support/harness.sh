# shellcheck shell=bash
# The shell test harness: sourced (not run) by tests/run/lib.sh, tests/sdk/lib.sh and the test
# scripts that need no more than it. Every command a test runs is logged as LOG: its standard
# output in $LOGS/LOG.out, its standard error in $LOGS/LOG.err; a failure shows both and exits 1.
# HARNESS_PREFIX, when set, starts every FAIL line ("test_plot: ").
# shellcheck disable=SC2034

fail() {
  echo "${HARNESS_PREFIX-}FAIL: $*" >&2
  exit 1
}

step() { echo "-- $*"; }

# harness_init NAME SCRATCH_DIR KEEP_VARIABLE: sets WORK (a fresh folder under SCRATCH_DIR,
# removed on exit unless the variable named KEEP_VARIABLE is 1) and LOGS, starts the clock and
# reports PASS or FAILED on exit (after killing BACKGROUND_PID when a test left it running).
harness_init() {
  mkdir -p "$2"
  WORK=$(mktemp -d "$2/$1.XXXXXX")
  LOGS=$WORK/logs
  mkdir -p "$LOGS"
  HARNESS_KEEP=$3
  SECONDS=0
  BACKGROUND_PID=
  trap harness_finish EXIT
}

harness_finish() {
  local status=$?
  if [[ -n ${BACKGROUND_PID:-} ]] && kill -0 "$BACKGROUND_PID" 2>/dev/null; then
    kill -9 "$BACKGROUND_PID" 2>/dev/null || true
    wait "$BACKGROUND_PID" 2>/dev/null || true
  fi
  if [[ ${!HARNESS_KEEP:-0} == 1 ]]; then
    echo "kept $WORK ($HARNESS_KEEP=1)"
  else
    rm -rf "$WORK"
  fi
  if [[ $status -eq 0 ]]; then
    echo "PASS in ${SECONDS}s"
  else
    echo "FAILED after ${SECONDS}s (rerun with $HARNESS_KEEP=1 to keep the files)" >&2
  fi
  exit "$status"
}

# show_log LOG: the stdout and stderr logged as LOG.
show_log() {
  local f
  for f in "$LOGS/$1.out" "$LOGS/$1.err"; do
    [[ -s $f ]] && { echo "---- $(basename "$f"):"; tail -n 80 "$f"; }
  done >&2
  return 0
}

# run LOG COMMAND...: runs COMMAND logged as LOG; fails, showing its output, when it exits
# non-zero.
run() {
  expect_exit 0 "$@"
}

# expect_exit CODE LOG COMMAND...: runs COMMAND (logged as LOG), which must exit CODE.
expect_exit() {
  local want=$1 log=$2 rc=0
  shift 2
  "$@" >"$LOGS/$log.out" 2>"$LOGS/$log.err" || rc=$?
  if [[ $rc -ne $want ]]; then
    echo "${HARNESS_PREFIX-}FAIL: '$*' exited with $rc, expected $want; its output:" >&2
    show_log "$log"
    exit 1
  fi
}

# expect_out LOG TEXT / expect_err LOG TEXT / expect_output LOG TEXT: the standard output / the
# standard error / either of LOG contains TEXT (a fixed string).
expect_out() {
  grep -qF -- "$2" "$LOGS/$1.out" || {
    echo "${HARNESS_PREFIX-}FAIL: the standard output of $1 lacks '$2'" >&2
    show_log "$1"
    exit 1
  }
}
expect_err() {
  grep -qF -- "$2" "$LOGS/$1.err" || {
    echo "${HARNESS_PREFIX-}FAIL: the standard error of $1 lacks '$2'" >&2
    show_log "$1"
    exit 1
  }
}
expect_output() {
  # grep reads the files itself: `cat ... | grep -q` fails under pipefail whenever grep quits at
  # its first match before cat has written everything (SIGPIPE), which depends on timing.
  grep -qF -- "$2" "$LOGS/$1.out" "$LOGS/$1.err" || {
    echo "${HARNESS_PREFIX-}FAIL: the output logged as $1 lacks '$2'" >&2
    show_log "$1"
    exit 1
  }
}

# expect_in_file FILE TEXT: FILE contains TEXT (a fixed string); a failure shows FILE.
expect_in_file() {
  grep -qF -- "$2" "$1" || {
    echo "${HARNESS_PREFIX-}FAIL: $1 lacks '$2'; it holds:" >&2
    tail -n 80 "$1" >&2
    exit 1
  }
}

# expect_eq WHAT GOT WANT
expect_eq() {
  [[ $2 == "$3" ]] || fail "$1: got '$2', expected '$3'"
}
