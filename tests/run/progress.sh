#!/usr/bin/env bash
# run.progress: progress goes to standard error only when it is a terminal, and never with
# --quiet. The terminal is a pseudo-terminal made by script(1) (util-linux); standard output goes
# to a file, so what the terminal shows is standard error alone. Progress lines count cells
# ("N/27"); the store path and command line in script's log hold no "/27".
#   usage: bash progress.sh KCUBE SOURCE_DIR SCRATCH_DIR SCRIPT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init progress "$@"
script_tool=${4:?usage: progress.sh KCUBE SOURCE_DIR SCRATCH_DIR SCRIPT}
manifest=$SRC/experiments/paper-2025.yaml

# on_terminal LOG ARGS...: `kcube run MANIFEST ARGS` with standard error on a pseudo-terminal,
# recorded in $LOGS/LOG.tty; standard output in $LOGS/LOG.out.
on_terminal() {
  local log=$1 command
  shift
  printf -v command '%q ' "$KCUBE" run "$manifest" "$@"
  command+=">$(printf '%q' "$LOGS/$log.out")"
  "$script_tool" -qec "$command" "$LOGS/$log.tty" </dev/null >/dev/null ||
    { cat "$LOGS/$log.tty" >&2; fail "kcube run $* on a terminal failed"; }
}

# shown LOG: what the terminal showed, without script's "Script started/done on DATE" lines.
shown() { grep -avE '^Script (started|done)' "$LOGS/$1.tty" >"$LOGS/$1.shown" || true; }

step "on a terminal: progress on standard error"
on_terminal tty --set run.trials=2000 --store "$WORK/a.sqlite"
shown tty
grep -qaE '[0-9]+/27' "$LOGS/tty.shown" || { cat "$LOGS/tty.tty" >&2; fail "no progress (cells N/27) on a terminal"; }
! grep -qE '[0-9]+/27' "$LOGS/tty.out" || fail "progress went to standard output"
expect_out tty "store: $WORK/a.sqlite (run 1)"

step "on a terminal with --quiet: no progress"
on_terminal quiet --set run.trials=2000 --store "$WORK/b.sqlite" --quiet
shown quiet
! grep -qaE '[0-9]+/27' "$LOGS/quiet.shown" || { cat "$LOGS/quiet.tty" >&2; fail "progress with --quiet"; }
expect_out quiet "store: $WORK/b.sqlite (run 1)"
