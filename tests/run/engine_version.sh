#!/usr/bin/env bash
# run.engine-version: every run records the engine version of its Monte Carlo numbers
# (engine/engine.hpp, kEngineVersion), and kcube never mixes two versions' numbers silently:
# - `kcube run --resume` refuses a Monte Carlo run of another engine version (exit 2), naming
#   both versions with what each changed, and says to start a new run;
# - `kcube merge` refuses Monte Carlo parts of two versions (exit 2, even with
#   --allow-changed-plugins) and merges exact parts of any (the merged run records the newest);
# - `kcube compare` says when two runs differ in it, with both summaries (text and --json);
# - `kcube runs` shows each run's version (table and --json) and what each version changed.
# No other engine version can be built here, so a run of "engine version 1" is a run of this
# kcube whose stored engine_version is set to 1 (what a store migrated from schema 6 holds).
#   usage: bash engine_version.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init engine-version "$@"
manifest=$SRC/experiments/paper-2025.yaml
sets=(--set run.trials=50)
summary_1="Philox4x64-10 uniforms; scalar Box-Muller (glibc log, sin, cos); two-pass histogram quantiles"

step "a run records this kcube's engine version; the store knows every version's summary"
store=$WORK/runs.sqlite
run first "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --quiet
current=$(sql "$store" "SELECT engine_version FROM runs WHERE id = 1")
[[ $current -ge 2 ]] || fail "engine_version of a new run: got '$current'"
expect_eq "engine version 1's summary in the store" \
  "$(sql "$store" "SELECT summary FROM engine_versions WHERE version = 1")" "$summary_1"
expect_eq "versions the store knows" "$(sql "$store" "SELECT count(*) FROM engine_versions")" \
  "$current"

step "--resume refuses a Monte Carlo run of another engine version"
sql "$store" "PRAGMA foreign_keys=ON; UPDATE runs SET engine_version = 1, status = 'interrupted';
  DELETE FROM cells WHERE position >= 20" >/dev/null
before=$(sqlite3 -batch "$store" .dump)
expect_exit 2 resume "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --resume --quiet
expect_err resume "run 1 was made by engine version 1 ($summary_1), and this kcube's engine is version $current ("
expect_err resume "Start a new run (the same command without --resume; run 1 stays in the store as it is)"
expect_exit 2 resume-allow "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --resume \
  --allow-changed-plugins --quiet
expect_err resume-allow "was made by engine version 1"
expect_eq "the store after the refused --resume" "$(sqlite3 -batch "$store" .dump)" "$before"

step "kcube runs shows each run's engine version, and what the versions changed"
run second "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --quiet
# Run 3, whole, stands for a run of engine version 1 of the same manifest.
run third "$KCUBE" run "$manifest" "${sets[@]}" --store "$store" --quiet
sql "$store" "UPDATE runs SET engine_version = 1 WHERE id = 3" >/dev/null
run runs "$KCUBE" runs "$store"
expect_out runs "engine"
expect_out runs "The runs were made by 2 engine versions; Monte Carlo numbers differ between them:"
expect_out runs "  engine 1: $summary_1"
run runs-json "$KCUBE" runs "$store" --json
python3 - "$LOGS/runs-json.out" "$current" <<'PY' || fail "kcube runs --json lacks the engine versions"
import json, sys
runs = json.load(open(sys.argv[1]))
assert [r["engine_version"] for r in runs] == [1, int(sys.argv[2]), 1], runs
PY

step "kcube compare says the runs differ in engine version, with both summaries"
run compare "$KCUBE" compare "$store" --run 3 --run 2
expect_err compare "kcube compare: note: runs A (3) and B (2) ran the same cells with different engines:"
expect_err compare "  engine versions differ: A was made by engine 1 ($summary_1), B by engine $current ("
expect_out compare "note: engine versions differ: A was made by engine 1"
expect_out compare "Monte Carlo numbers differ between engine versions even for one manifest and seed"
run compare-json "$KCUBE" compare "$store" --run 3 --run 2 --json
python3 - "$LOGS/compare-json.out" "$current" "$summary_1" <<'PY' || fail "kcube compare --json lacks the engine versions"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["differences"]["engine_version"] is True, c["differences"]
assert (c["a"]["engine_version"], c["b"]["engine_version"]) == (1, int(sys.argv[2])), c
assert c["a"]["engine_summary"] == sys.argv[3], c["a"]
PY
run compare-same "$KCUBE" compare "$store" --run 2 --run 2
[[ ! -s $LOGS/compare-same.err ]] || { show_log compare-same; fail "compare of one engine version noted a difference"; }

step "kcube merge refuses Monte Carlo shards of two engine versions, even with --allow-changed-plugins"
for i in 1 2; do
  run "shard-$i" "$KCUBE" run "$manifest" "${sets[@]}" --shard "$i/2" --store "$WORK/part-$i.sqlite" --quiet
done
sql "$WORK/part-2.sqlite" "UPDATE runs SET engine_version = 1" >/dev/null
for allow in "" --allow-changed-plugins; do
  expect_exit 2 "merge$allow" "$KCUBE" merge "$WORK/merged.sqlite" "$WORK/part-1.sqlite" \
    "$WORK/part-2.sqlite" $allow
  expect_err "merge$allow" "was made by engine version $current ("
  expect_err "merge$allow" "by engine version 1 ($summary_1): their Monte Carlo numbers come from different generators"
  no_file "$WORK/merged.sqlite" "a refused merge"
done

step "kcube merge takes exact shards of two engine versions: exact numbers do not depend on it"
exact=$SRC/experiments/examples/exact-vs-monte-carlo.yaml
exact_sets=(--set run.evaluator=exact)
for i in 1 2; do
  run "exact-$i" "$KCUBE" run "$exact" "${exact_sets[@]}" --shard "$i/2" --store "$WORK/exact-$i.sqlite" --quiet
done
sql "$WORK/exact-1.sqlite" "UPDATE runs SET engine_version = 1" >/dev/null
run merge-exact "$KCUBE" merge "$WORK/exact.sqlite" "$WORK/exact-1.sqlite" "$WORK/exact-2.sqlite"
expect_eq "the merged exact run's engine version (the newest)" \
  "$(sql "$WORK/exact.sqlite" "SELECT engine_version FROM runs")" "$current"
