#!/usr/bin/env bash
# crash.read-only: stores the user cannot write. Root writes anything, so when ctest runs as root
# the kcube commands run as user 65534 (setpriv), otherwise as the current user.
# A. A read-only file (chmod 444) in a folder the user can write.
# B. A writable file in a read-only folder (SQLite keeps -wal and -shm files there).
# C. A read-only folder holding a killed run's -wal and -shm files.
# D. Read-only stores of an older and of a newer schema version.
# `kcube run` exits 2 with a message naming the path and the fix; the reading commands (runs,
# export, report, compare) read the store as it is, including cells only in the -wal file, and
# leave no file behind; the store's files are byte for byte unchanged; once writable again the
# killed run is resumed and equals an uninterrupted run.
#   usage: bash read_only.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init crash-read-only "$@"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ $(id -u) -eq 0 ]]; then
  command -v setpriv >/dev/null || fail "running as root, this test needs setpriv (util-linux)"
  as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  give() { chown -R 65534:65534 "$@"; }
  who="user 65534"
else
  as_user() { "$@"; }
  give() { :; }
  who="$(id -un)"
fi
# Folders made read-only below must be writable again for harness_finish to remove them.
cleanup() {
  local status=$?
  chmod -R u+w "$WORK" 2>/dev/null
  set +e
  (exit "$status")
  harness_finish
}
trap cleanup EXIT
chmod 755 "$WORK" "$LOGS"
as_user "$KCUBE" --version >/dev/null 2>&1 ||
  fail "$who cannot run $KCUBE: make the build tree readable and its folders searchable by others"
reference=$WORK/reference.sqlite
user=$WORK/user
mkdir "$user"
give "$user"

step "an uninterrupted run (run 1 of every store below), read as $who"
make_reference "$reference"
export_run reference "$reference" 1

# fingerprint DIR: the files in DIR with their SHA-256, but for the -shm file only its name (the
# WAL index in shared memory, which readers update: not data).
fingerprint() {
  local file
  for file in "$1"/*; do
    if [[ $file == *-shm ]]; then
      echo "${file##*/}"
    else
      (cd "$1" && sha256sum -- "${file##*/}")
    fi
  done
}

# refused_run NAME STORE TEXT...: `kcube run` into STORE exits 2 naming STORE and saying TEXT.
refused_run() {
  local name=$1 store=$2 text
  shift 2
  expect_exit 2 "$name" as_user "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$store" --quiet
  expect_err "$name" "results store '$store'"
  for text in "$@"; do
    expect_err "$name" "$text"
  done
}

# reads NAME STORE RUN: runs, export, report and compare of STORE as the user; run RUN exports
# as $WORK/NAME-*.csv.
reads() {
  local name=$1 store=$2 id=$3 table
  run "$name-runs" as_user "$KCUBE" runs "$store"
  for table in candidates selections; do
    run "$name-export-$table" as_user "$KCUBE" export "$store" --table "$table" --run "$id"
    cut -d, -f2- "$LOGS/$name-export-$table.out" >"$WORK/$name-$table.csv"
  done
  run "$name-report" as_user "$KCUBE" report "$store" --run "$id" --no-figures -o "$user/$name-report"
  [[ -s $user/$name-report/report.md ]] || fail "$name: kcube report wrote no report.md"
  run "$name-compare" as_user "$KCUBE" compare "$store" "$store" --run "$id" --run "$id"
}

step "A: a read-only file (chmod 444) in a writable folder"
mkdir "$user/a"
cp "$reference" "$user/a/s.sqlite"
give "$user/a"
chmod 444 "$user/a/s.sqlite"
before=$(fingerprint "$user/a")
refused_run a-run "$user/a/s.sqlite" "the file is not writable" "chmod u+w '$user/a/s.sqlite'" \
  "kcube runs, export, report and compare can still read it"
reads a "$user/a/s.sqlite" 1
expect_out a-runs "27/27"
same_exports a reference
expect_eq "files of A after the reads (no -wal or -shm left)" "$(fingerprint "$user/a")" "$before"

step "B: a writable file in a read-only folder"
mkdir "$user/b"
cp "$reference" "$user/b/s.sqlite"
give "$user/b"
chmod 555 "$user/b"
before=$(fingerprint "$user/b")
refused_run b-run "$user/b/s.sqlite" "directory '$user/b' is not writable" "-wal and -shm files" \
  "fix its permissions or choose another store path"
reads b "$user/b/s.sqlite" 1
same_exports b reference
expect_eq "files of B after the reads" "$(fingerprint "$user/b")" "$before"

step "C: a killed run's -wal and -shm files in a read-only folder"
mkdir "$user/c"
cp "$reference" "$user/c/s.sqlite"
killed_study c-killed "$user/c/s.sqlite" kill:write_cell:after_commit:5
[[ -f $user/c/s.sqlite-wal && -f $user/c/s.sqlite-shm ]] || fail "the killed run left no -wal and -shm"
chmod 555 "$user/c"
before=$(fingerprint "$user/c")
refused_run c-run "$user/c/s.sqlite" "not writable"
reads c "$user/c/s.sqlite" 2
# The 5 cells of run 2 are in the -wal file only: the reader sees them.
expect_out c-runs "5/27"
expect_eq "selections of the killed run" "$(wc -l <"$WORK/c-selections.csv")" $((5 * OPTIMIZERS + 1))
expect_eq "files of C after the reads" "$(fingerprint "$user/c")" "$before"
expect_exit 2 c-resume as_user "$KCUBE" run "$MANIFEST" "${SETS[@]}" --store "$user/c/s.sqlite" \
  --resume --quiet
expect_err c-resume "$user/c/s.sqlite"
chmod 755 "$user/c"
study c-resume-owner "$user/c/s.sqlite" --resume
check_intact "$user/c/s.sqlite"
check_run_finished "$user/c/s.sqlite" 2 "$CELLS"
export_run c-resumed "$user/c/s.sqlite" 2
same_exports c-resumed reference

step "D: read-only stores of an older and of a newer schema version are refused"
mkdir "$user/d"
for version in 1 2 99; do
  cp "$reference" "$user/d/v$version.sqlite"
  sql "$user/d/v$version.sqlite" "PRAGMA user_version = $version" >/dev/null
  chmod 444 "$user/d/v$version.sqlite"
done
give "$user/d"
for version in 1 2; do
  expect_exit 2 "d-old-$version" as_user "$KCUBE" runs "$user/d/v$version.sqlite"
  expect_err "d-old-$version" \
    "results store '$user/d/v$version.sqlite' has schema version $version, older than this kcube's"
  expect_err "d-old-$version" "Make it and its folder writable once"
done
expect_exit 2 d-new as_user "$KCUBE" export "$user/d/v99.sqlite" --table selections
expect_err d-new "results store '$user/d/v99.sqlite' has schema version 99, newer than this kcube"
