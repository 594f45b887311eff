#!/usr/bin/env bash
# crash.not-a-file: a store path that exists but is not a regular file once links are followed
# (the character device /dev/null, a link to it, a FIFO, a Unix socket, a folder) is refused by
# every command that opens a store (run, runs, export, report, compare, merge: as its output and
# as a part) with exit code 2 and a message naming the path and what it is, before SQLite opens
# it: nothing is created beside it (SQLite made /dev/null-journal as root, and blocked reading a
# FIFO).
#   usage: bash not_a_file.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init crash-not-a-file "$@"

MANIFEST=$SRC/tests/bad_input/manifests/good.yaml
# Each command gets this long: a FIFO that reached SQLite blocked it forever.
COMMAND_TIMEOUT=30
PATHS=$WORK/paths
mkdir -p "$PATHS/a-folder"
ln -s /dev/null "$PATHS/null-link.sqlite"
mkfifo "$PATHS/fifo.sqlite"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$PATHS/socket.sqlite"
journal_before=no
[[ -e /dev/null-journal ]] && journal_before=yes

step "a good store to compare and merge with"
good=$WORK/good.sqlite
run good "$KCUBE" run "$MANIFEST" --store "$good" --quiet
listing=$(ls -A "$PATHS")

# refused PATH WHAT: every command refuses PATH, saying "PATH' ... WHAT".
refused() {
  local path=$1 what=$2 name log rc
  name=$(basename "$path")
  local -a commands=(
    "run:run $MANIFEST --store $path --quiet"
    "runs:runs $path"
    "export:export $path --table candidates"
    "report:report $path --out $WORK/report-$name --no-figures"
    "compare:compare $good $path"
    "merge-out:merge $path $good"
    "merge-part:merge $WORK/merged-$name.sqlite $good $path"
  )
  for command in "${commands[@]}"; do
    log="$name-${command%%:*}"
    local -a words
    read -ra words <<<"${command#*:}"
    rc=0
    timeout "$COMMAND_TIMEOUT" "$KCUBE" "${words[@]}" >"$LOGS/$log.out" 2>"$LOGS/$log.err" || rc=$?
    [[ $rc -eq 2 ]] || {
      show_log "$log"
      fail "kcube ${words[*]}: exit code $rc, expected 2"
    }
    expect_err "$log" "'$path'"
    expect_err "$log" "$what"
  done
  rm -rf "$WORK/report-$name" "$WORK"/merged-*
}

step "refused with what they are"
refused /dev/null "is a character device, not a file"
refused "$PATHS/null-link.sqlite" "is a symbolic link to '/dev/null', a character device, not a file"
refused "$PATHS/fifo.sqlite" "is a FIFO (named pipe), not a file"
refused "$PATHS/socket.sqlite" "is a socket, not a file"
refused "$PATHS/a-folder" "is a directory; give a file name"

step "nothing was created beside them"
expect_eq "files beside them" "$(ls -A "$PATHS")" "$listing"
expect_eq "files in the folder" "$(ls -A "$PATHS/a-folder")" ""
if [[ $journal_before == no ]]; then
  no_file /dev/null-journal "a store at /dev/null"
fi
