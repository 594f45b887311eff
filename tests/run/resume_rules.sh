#!/usr/bin/env bash
# run.resume-rules: what `kcube run --resume` continues and what it refuses.
# - A finished run (whole or shard): exit 0, "run N is already finished; nothing to do", the
#   store unchanged (a requeued Slurm task of tools/slurm/kcube-shards.sbatch relies on it).
# - Overrides match by value: --set run.trials=0200 resumes the run of run.trials=200.
# - `kcube export` of a run that did not finish warns how many cells it holds.
# - Another build of a plugin (same version, another file: another SHA-256) is refused with
#   exit 2 naming the plugin and both values; --allow-changed-plugins resumes, and `kcube runs`
#   and the report say that the run mixes builds.
#   usage: bash resume_rules.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init resume-rules "$@"
manifest=$SRC/experiments/paper-2025.yaml
sets=(--set run.trials=200)
dump() { sqlite3 -batch "$1" .dump; }

step "--resume of a finished run: nothing to do, exit 0, store unchanged"
store=$WORK/finished.sqlite
run first "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --quiet
before=$(dump "$store")
run again "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --resume
expect_out again "run 1 is already finished; nothing to do"
expect_eq "last line" "$(tail -n 1 "$LOGS/again.out")" "store: $store (run 1)"
expect_eq "the store after --resume of a finished run" "$(dump "$store")" "$before"
shard=$WORK/shard.sqlite
run shard "$KCUBE" run "$manifest" "${sets[@]}" --shard 2/3 --store "$shard" --quiet
before=$(dump "$shard")
run shard-again "$KCUBE" run "$manifest" "${sets[@]}" --shard 2/3 --store "$shard" --resume
expect_out shard-again "run 1 is already finished; nothing to do"
expect_eq "the shard store after --resume" "$(dump "$shard")" "$before"
# Another shard of that store has no run: still refused.
expect_exit 2 shard-other "$KCUBE" run "$manifest" "${sets[@]}" --shard 1/3 --store "$shard" --resume --quiet

step "an unfinished run: export warns, --set run.trials=0200 resumes the run of run.trials=200"
sql "$store" "PRAGMA foreign_keys=ON; UPDATE runs SET status='interrupted', finished_at=NULL;
  DELETE FROM cells WHERE position >= 20" >/dev/null
run export-partial "$KCUBE" export "$store" --table selections -o "$WORK/partial.csv"
expect_err export-partial "kcube export: warning: run 1 is interrupted: 20 of its 27 cells are stored finished; the export holds only those"
run resume-0200 "$KCUBE" run "$manifest" --set run.trials=0200 --store "$store" --resume
expect_out resume-0200 "resumed; 7 cells run"
expect_eq "runs after resuming with 0200" "$(sql "$store" "SELECT count(*) FROM runs")" 1
check_run_finished "$store" 1 27
expect_eq "overrides stored canonically" "$(sql "$store" "SELECT overrides FROM runs")" run.trials=200
run export-whole "$KCUBE" export "$store" --table selections -o "$WORK/whole.csv"
[[ ! -s $LOGS/export-whole.err ]] || { show_log export-whole; fail "export of a finished run warned"; }

step "another build of a plugin: refused, named with both SHA-256s; --allow-changed-plugins goes on"
plugins=$WORK/plugins
mkdir -p "$plugins"
chmod 755 "$plugins"
cp "$(dirname "$KCUBE")"/../lib/kcube/plugins/*.so "$plugins"/
store=$WORK/builds.sqlite
run builds "$KCUBE" --plugin-path "$plugins" run "$manifest" "${sets[@]}" --store "$store" --quiet
sql "$store" "PRAGMA foreign_keys=ON; UPDATE runs SET status='failed';
  DELETE FROM cells WHERE position >= 20" >/dev/null
old=$(sha256sum "$plugins/kcube-optimizer-knee-point.so" | cut -d' ' -f1)
expect_eq "the recorded sha256" \
  "$(sql "$store" "SELECT json_extract(value, '\$.sha256') FROM runs, json_each(runs.plugins) WHERE json_extract(value, '\$.name') = 'knee-point'")" "$old"
printf 'rebuilt' >>"$plugins/kcube-optimizer-knee-point.so"
new=$(sha256sum "$plugins/kcube-optimizer-knee-point.so" | cut -d' ' -f1)
before=$(dump "$store")
expect_exit 2 changed "$KCUBE" --plugin-path "$plugins" run "$manifest" "${sets[@]}" --store "$store" --resume --quiet
expect_err changed "run 1 was made with other builds than this kcube has:"
expect_err changed "optimizer plugin 'knee-point': version 1.0.0, sha256 $old (run 1) vs version 1.0.0, sha256 $new (now)"
expect_err changed "--allow-changed-plugins"
expect_eq "the store after the refusal" "$(dump "$store")" "$before"
run allowed "$KCUBE" --plugin-path "$plugins" run "$manifest" "${sets[@]}" --store "$store" --resume --allow-changed-plugins
expect_err allowed "note: run 1 goes on with other builds"
check_run_finished "$store" 1 27
expect_eq "the build recorded" \
  "$(sql "$store" "SELECT json_extract(build_changes, '\$[0].plugins[0].sha256') FROM runs")" "$new"
run runs-mixed "$KCUBE" runs "$store"
expect_out runs-mixed "run 1 mixes builds"
expect_out runs-mixed "optimizer knee-point 1.0.0 (sha256 $new)"
run report "$KCUBE" --plugin-path "$plugins" report "$store" --no-figures --out "$WORK/report"
grep -qF "builds changed" "$WORK/report/report.md" || fail "the report does not say that the builds changed"
grep -qF "$new" "$WORK/report/report.md" || fail "the report does not name the new build"
# Resumed again with the new build: no difference to the build the run went on with.
sql "$store" "UPDATE runs SET status='failed'" >/dev/null
run same-again "$KCUBE" --plugin-path "$plugins" run "$manifest" "${sets[@]}" --store "$store" --resume
expect_out same-again "resumed; 0 cells run"

step "a run of an older kcube without plugin hashes: unknown, refused"
sql "$store" "UPDATE runs SET status='failed', build_changes=NULL, plugins=json_remove(plugins, '\$[0].sha256')" >/dev/null
expect_exit 2 unknown "$KCUBE" --plugin-path "$plugins" run "$manifest" "${sets[@]}" --store "$store" --resume --quiet
expect_err unknown "sha256 unknown (recorded before kcube stored plugin hashes)"
