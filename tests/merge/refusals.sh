#!/usr/bin/env bash
# run.merge.refusals: every merge `kcube merge` refuses exits 2 with a message naming the files,
# what is wrong and what to do, writes nothing to stdout, and leaves OUT as it was: byte for byte
# when it exists (a store with a run), not created when it does not. Refused: no part; OUT being
# a part (also by another spelling or a symbolic link); a missing part, one that is not a kcube
# store, one of an older schema, one without the run asked for; the same run given twice; two
# runs of one shard; parts holding the same cells; parts of different manifests (experiment,
# manifest text, --set overrides, trials); parts of different builds (kcube version, plugin
# version, plugin file SHA-256; not file paths), merged with --allow-changed-plugins; an
# incomplete set (absent shard, a part still running); an OUT in a missing folder or that is not
# a kcube store.
#   usage: bash refusals.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init merge-refusals "$@"
source "$(dirname "${BASH_SOURCE[0]}")/../crash/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

whole=$WORK/whole.sqlite
parts=("$WORK/part-1.sqlite" "$WORK/part-2.sqlite" "$WORK/part-3.sqlite" "$WORK/part-4.sqlite")
new=$WORK/new.sqlite
existing=$WORK/existing.sqlite

step "the study run once, split into shards 1/4 to 4/4; an existing OUT holding a run"
make_reference "$whole"
make_parts "$whole" 4
cp "$whole" "$existing"
before=$(fingerprint "${parts[@]}" "$whole")

step "kcube merge --help; no part"
run help "$KCUBE" merge --help
expect_out help "PART.sqlite:ID takes run ID of PART.sqlite"
run kcube-help "$KCUBE" --help
expect_out kcube-help "merge OUT PART... [--partial]"
merge_refused no-part "$new"
expect_err no-part "kcube merge: give the output store and at least one part"
expect_exit 2 no-args "$KCUBE" merge
expect_err no-args "at least one part"

step "OUT is one of the parts"
merge_refused out-is-part "${parts[0]}" "${parts[@]}"
expect_err out-is-part "kcube merge: the output '${parts[0]}' is also the part '${parts[0]}'; merge into a new or another store"
spelled=$WORK/../$(basename "$WORK")/./part-2.sqlite
merge_refused out-spelled "$spelled" "${parts[@]}"
expect_err out-spelled "is also the part '${parts[1]}'"
ln -s "${parts[2]}" "$WORK/link.sqlite"
merge_refused out-link "$WORK/link.sqlite" "${parts[@]}"
expect_err out-link "the output '$WORK/link.sqlite' is also the part '${parts[2]}'"

step "a part that is missing, not a store, of an older schema, or without the run asked for"
merge_refused missing "$existing" "${parts[0]}" "$WORK/none.sqlite"
expect_err missing "no results store at '$WORK/none.sqlite'"
no_file "$WORK/none.sqlite" "a missing part"
echo "experiment: a manifest, not a store; long enough to be read as a database header" >"$WORK/notes.txt"
merge_refused not-a-store "$new" "${parts[0]}" "$WORK/notes.txt"
expect_err not-a-store "'$WORK/notes.txt' is not a kcube results store (not an SQLite database)"
cp "${parts[1]}" "$WORK/v2.sqlite"
sql "$WORK/v2.sqlite" "PRAGMA user_version = 2" >/dev/null
v2=$(fingerprint "$WORK/v2.sqlite")
merge_refused old-schema "$existing" "${parts[0]}" "$WORK/v2.sqlite" "${parts[2]}" "${parts[3]}"
expect_err old-schema "results store '$WORK/v2.sqlite' has schema version 2, older than this kcube's (7)"
expect_err old-schema "\`kcube runs '$WORK/v2.sqlite'\` migrates it"
expect_eq "the store of schema version 2 after the refusal" "$(fingerprint "$WORK/v2.sqlite")" "$v2"
merge_refused no-run "$new" "${parts[0]}:5" "${parts[@]:1}"
expect_err no-run "results store '${parts[0]}' has no run 5; its runs are:"
merge_refused bad-id "$new" "${parts[0]}:0" "${parts[@]:1}"
expect_err bad-id "is not PART.sqlite or PART.sqlite:ID"

step "the same run twice, two runs of one shard, parts holding the same cells"
merge_refused twice "$existing" "${parts[@]}" "${parts[0]}"
expect_err twice "kcube merge: '${parts[0]}' (run 1, shard 1/4) and '${parts[0]}' (run 1, shard 1/4) are the same run of the same store, given twice"
merge_refused twice-id "$new" "${parts[@]}" "${parts[1]}:1"
expect_err twice-id "given twice; give each part once"
cp "${parts[0]}" "$WORK/part-1-again.sqlite"
merge_refused same-shard "$new" "${parts[@]}" "$WORK/part-1-again.sqlite"
expect_err same-shard "'${parts[0]}' (run 1, shard 1/4) and '$WORK/part-1-again.sqlite' (run 1, shard 1/4) are both shard 1/4; give one run of each shard"
merge_refused overlap "$existing" "$whole" "${parts[1]}"
expect_err overlap "kcube merge: '$whole' (run 1) and '${parts[1]}' (run 1, shard 2/4) both hold cell "
expect_err overlap "(7 cells are held twice); each cell must come from one part"

step "parts of different manifests: the first field that differs, with both values"
# differs NAME SQL TEXT: part 3 changed by SQL is refused with TEXT in the message.
differs() {
  cp "${parts[2]}" "$WORK/$1.sqlite"
  sql "$WORK/$1.sqlite" "$2" >/dev/null
  merge_refused "$1" "$existing" "${parts[0]}" "${parts[1]}" "$WORK/$1.sqlite" "${parts[3]}"
  expect_err "$1" "kcube merge: '${parts[0]}' (run 1, shard 1/4) and '$WORK/$1.sqlite' (run 1, shard 3/4) are runs of different manifests: they differ in $3"
  expect_err "$1" "merge only parts run from one manifest with the same --set options"
}
differs experiment "UPDATE runs SET experiment = 'other'" \
  "experiment ('paper-2025' in '${parts[0]}', 'other' in '$WORK/experiment.sqlite')"
differs sha256 "UPDATE runs SET manifest_sha256 = 'ff00'" "manifest_sha256 ('"
differs text "UPDATE runs SET manifest_text = replace(manifest_text, 'experiment: paper-2025', 'experiment: paper-2025 # edited')" \
  "manifest_text (line "
expect_err text "'experiment: paper-2025 # edited' in '$WORK/text.sqlite'"
differs overrides "UPDATE runs SET overrides = 'run.trials=300'" \
  "--set overrides ('run.trials=200' in '${parts[0]}', 'run.trials=300' in '$WORK/overrides.sqlite')"
differs trials "UPDATE runs SET trials = 999" "trials ('200' in "
differs plan "UPDATE runs SET plan_cells = 28" "plan_cells ('27' in "

step "parts of different builds: kcube version, plugin version, plugin file SHA-256"
# builds_differ NAME SQL TEXT: part 3 changed by SQL is refused as another build, TEXT named.
builds_differ() {
  cp "${parts[2]}" "$WORK/$1.sqlite"
  sql "$WORK/$1.sqlite" "$2" >/dev/null
  merge_refused "$1" "$existing" "${parts[0]}" "${parts[1]}" "$WORK/$1.sqlite" "${parts[3]}"
  expect_err "$1" "kcube merge: '${parts[0]}' (run 1, shard 1/4) and '$WORK/$1.sqlite' (run 1, shard 3/4) were made with different builds:"
  expect_err "$1" "$3"
  expect_err "$1" "Merging would mix Monte Carlo results of different builds in one run"
  expect_err "$1" "or pass --allow-changed-plugins to merge anyway"
}
builds_differ version "UPDATE runs SET kcube_version = '0.0.1'" \
  "kcube: version $(sql "${parts[0]}" "SELECT kcube_version FROM runs") ('${parts[0]}') vs version 0.0.1 ('$WORK/version.sqlite')"
builds_differ plugins "UPDATE runs SET plugins = replace(plugins,
  '\"name\":\"utopia-closest\",\"kind\":\"optimizer\",\"version\":\"1.0.0\"',
  '\"name\":\"utopia-closest\",\"kind\":\"optimizer\",\"version\":\"1.0.1\"')" \
  "optimizer plugin 'utopia-closest': version 1.0.0, sha256 "
expect_err plugins "vs version 1.0.1, sha256 "
sha=$(sql "${parts[0]}" "SELECT json_extract(value, '\$.sha256') FROM runs, json_each(runs.plugins) WHERE json_extract(value, '\$.name') = 'cube-max'")
[[ ${#sha} -eq 64 ]] || fail "the parts record no sha256 of cube-max: '$sha'"
builds_differ hash "UPDATE runs SET plugins = replace(plugins, '$sha', '$(printf '%064d' 0)')" \
  "optimizer plugin 'cube-max': version 1.0.0, sha256 $sha ('${parts[0]}') vs version 1.0.0, sha256 $(printf '%064d' 0) ('$WORK/hash.sqlite')"
# File paths differ between nodes: not a difference.
cp "${parts[2]}" "$WORK/paths.sqlite"
sql "$WORK/paths.sqlite" "UPDATE runs SET plugins = replace(plugins, '\"file\":\"/', '\"file\":\"/elsewhere/')" >/dev/null
run paths "$KCUBE" merge "$WORK/paths-out.sqlite" "${parts[0]}" "${parts[1]}" "$WORK/paths.sqlite" "${parts[3]}"
# --allow-changed-plugins merges other builds, and the merged run records them.
run allowed "$KCUBE" merge "$WORK/allowed.sqlite" "${parts[0]}" "${parts[1]}" "$WORK/hash.sqlite" "${parts[3]}" --allow-changed-plugins
expect_eq "the build change of the merged run" \
  "$(sql "$WORK/allowed.sqlite" "SELECT json_extract(build_changes, '\$[0].by') || ' ' || json_extract(build_changes, '\$[0].plugins[0].sha256') FROM runs")" \
  "kcube merge of '$WORK/hash.sqlite' run 1 $(printf '%064d' 0)"
run runs-allowed "$KCUBE" runs "$WORK/allowed.sqlite"
expect_out runs-allowed "run 1 mixes builds"

step "an incomplete set of parts: an absent shard, a part still running"
merge_refused absent "$existing" "${parts[0]}" "${parts[1]}" "${parts[3]}"
expect_err absent "kcube merge: the parts are not the whole run of 'paper-2025': shard 3/4 is absent; 7 of the plan's 27 cells are in no part. Wait for those shards to finish or rerun them"
expect_err absent "or pass --partial to merge what there is; '$existing' was not written"
cp "${parts[2]}" "$WORK/running.sqlite"
sql "$WORK/running.sqlite" "UPDATE runs SET status = 'running', finished_at = NULL" >/dev/null
merge_refused running "$new" "${parts[0]}" "${parts[1]}" "$WORK/running.sqlite" "${parts[3]}"
expect_err running "the parts are not the whole run of 'paper-2025': '$WORK/running.sqlite' (run 1, shard 3/4) is still running (or was killed)."

step "OUT in a missing folder, or not a kcube store"
merge_refused no-folder "$WORK/no/such/out.sqlite" "${parts[@]}"
expect_err no-folder "directory '$WORK/no/such' does not exist"
no_file "$WORK/no" "a refused merge into a missing folder"
cp "$WORK/notes.txt" "$WORK/out-notes.txt"
merge_refused out-not-a-store "$WORK/out-notes.txt" "${parts[@]}"
expect_err out-not-a-store "'$WORK/out-notes.txt' is not a kcube results store"

step "the parts and the run split are as they were, without -wal or -shm files"
expect_eq "the parts after every refusal" "$(fingerprint "${parts[@]}" "$whole")" "$before"
run merge "$KCUBE" merge "$new" "${parts[@]}"
expect_out merge "store: $new (run 1)"
