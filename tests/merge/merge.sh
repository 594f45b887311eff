#!/usr/bin/env bash
# run.merge.merge: `kcube merge` of shard stores into one run. A run of the study is split into
# 4 shard stores (lib.sh), merged back in another order into a new store, and into a store that
# holds other runs: the merged run is finished, a whole run (no shard) of 27 cells, records its
# parts, hosts and widest rank count, and its exports equal those of the run split (and of the
# parts together) apart from run_id; the parts are byte for byte unchanged, no -wal or -shm file
# left. `kcube runs` and `kcube report` show shards, ranks and merged runs. PART.sqlite:ID picks
# a run (the newest by default, e.g. a shard rerun), a file named like PATH:ID is a path, parts
# of different builds are merged with a note; --partial merges an incomplete set as a failed run,
# which `kcube run MANIFEST --resume` then completes.
#   usage: bash merge.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init merge "$@"
source "$(dirname "${BASH_SOURCE[0]}")/../crash/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

whole=$WORK/whole.sqlite
parts=("$WORK/part-1.sqlite" "$WORK/part-2.sqlite" "$WORK/part-3.sqlite" "$WORK/part-4.sqlite")

step "the study run once, and split into shards 1/4 to 4/4 (7, 7, 7 and 6 cells)"
make_reference "$whole"
export_run whole "$whole" 1
make_parts "$whole" 4
# Shard 2 ran on 2 MPI processes; shard 4's node installed the plugins elsewhere.
sql "${parts[1]}" "UPDATE runs SET ranks = 2" >/dev/null
sql "${parts[3]}" "UPDATE runs SET plugins = replace(plugins, '\"file\":\"', '\"file\":\"/node-4')" >/dev/null
expect_eq "cells of the parts" "$(for p in "${parts[@]}"; do sql "$p" "SELECT count(*) FROM cells"; done | paste -sd,)" 7,7,7,6
before=$(fingerprint "${parts[@]}")

step "a complete merge of the 4 shards, given out of order, into a new store"
merged=$WORK/merged.sqlite
run merge "$KCUBE" merge "$merged" "${parts[3]}" "${parts[1]}" "${parts[0]}" "${parts[2]}"
expect_out merge "merged 4 parts (27 cells copied) of paper-2025 into run 1, status finished, in "
expect_eq "last line of kcube merge" "$(tail -n 1 "$LOGS/merge.out")" "store: $merged (run 1)"
[[ ! -s $LOGS/merge.err ]] || { show_log merge; fail "a merge of parts of one build printed notes"; }
expect_eq "the parts after the merge" "$(fingerprint "${parts[@]}")" "$before"
check_intact "$merged"
check_run_finished "$merged" 1 "$CELLS"
expect_eq "the merged run" "$(sql "$merged" "SELECT coalesce(shard_index, '-') || ' ' ||
  coalesce(shard_count, '-') || ' ' || plan_cells || ' ' || ranks || ' ' || host FROM runs")" \
  "- - 27 2 node-1,node-2,node-3,node-4"
expect_eq "its context is the first shard's" "$(sql "$merged" "SELECT experiment || ' ' || overrides
  || ' ' || manifest_sha256 || ' ' || plugins || ' ' || started_at FROM runs")" \
  "$(sql "${parts[0]}" "SELECT experiment || ' ' || overrides || ' ' || manifest_sha256 || ' ' ||
  plugins || ' ' || started_at FROM runs")"
expect_eq "merged_from, one object per part in shard order" "$(sql "$merged" "
  SELECT group_concat(json_extract(value, '$.store') || ' ' || json_extract(value, '$.run') || ' '
    || json_extract(value, '$.shard') || ' ' || json_extract(value, '$.host') || ' '
    || json_extract(value, '$.status') || ' ' || json_extract(value, '$.cells'), ';')
  FROM runs, json_each(runs.merged_from)")" \
  "${parts[0]} 1 1/4 node-1 finished 7;${parts[1]} 1 2/4 node-2 finished 7;${parts[2]} 1 3/4 node-3 finished 7;${parts[3]} 1 4/4 node-4 finished 6"
expect_eq "times of the parts in merged_from" "$(sql "$merged" "
  SELECT count(*) FROM runs, json_each(runs.merged_from)
  WHERE json_extract(value, '$.started_at') LIKE '20%Z' AND json_extract(value, '$.finished_at') LIKE '20%Z'")" 4
# The cells table holds what the exports do not show: seeds, seconds, specs, positions.
expect_eq "cells differing from the run split" "$(sql "$merged" "ATTACH '$whole' AS w;
  SELECT count(*) FROM (
    SELECT cell_key, replication, profile, scenario, sweep, seed, status, message, seconds, position,
      profile_spec, scenario_spec FROM cells WHERE run_id = 1
    EXCEPT SELECT cell_key, replication, profile, scenario, sweep, seed, status, message, seconds,
      position, profile_spec, scenario_spec FROM w.cells WHERE run_id = 1)")" 0
export_run merged "$merged" 1
same_exports merged whole
# The merged exports are the parts' exports together, in the export's order.
for i in 1 2 3 4; do export_run "part-$i" "${parts[i - 1]}" 1; done
for table in candidates selections; do
  for i in 1 2 3 4; do tail -n +2 "$WORK/part-$i-$table.csv"; done | sort >"$WORK/parts-$table.sorted"
  tail -n +2 "$WORK/merged-$table.csv" | sort >"$WORK/merged-$table.sorted"
  cmp -s "$WORK/parts-$table.sorted" "$WORK/merged-$table.sorted" ||
    fail "the merged $table are not the parts' $table together"
done

step "kcube runs shows the shard of a part, its ranks, and merged runs"
run runs-merged "$KCUBE" runs "$merged"
grep -qE '^run +experiment +status +started +finished +cells +errors +shard +ranks +overrides' \
  "$LOGS/runs-merged.out" || { show_log runs-merged; fail "kcube runs has no shard and ranks columns"; }
grep -qE '^1 +paper-2025 +finished .* 27/27 +0 +merged +2 +run.trials=200 ' "$LOGS/runs-merged.out" ||
  { show_log runs-merged; fail "kcube runs does not show run 1 as merged, 27/27 cells, 2 ranks"; }
cp "${parts[1]}" "$WORK/look.sqlite"
run runs-part "$KCUBE" runs "$WORK/look.sqlite"
grep -qE '^1 +paper-2025 +finished .* 7/7 +0 +2/4 +2 ' "$LOGS/runs-part.out" ||
  { show_log runs-part; fail "kcube runs does not show shard 2/4 on 2 ranks"; }
run runs-whole "$KCUBE" runs "$whole"
grep -qE '^1 +paper-2025 +finished .* 27/27 +0 +- +1 ' "$LOGS/runs-whole.out" ||
  { show_log runs-whole; fail "kcube runs does not show a whole run as '-', 1 rank"; }

step "kcube report shows the merged-from parts, and a shard's shard and ranks"
run report-merged "$KCUBE" report "$merged" --no-figures --out "$WORK/report-merged"
for i in 1 2 3; do
  grep -qF "'${parts[i - 1]}' run 1, shard $i/4, host node-$i, finished, 7 cells" \
    "$WORK/report-merged/report.md" || fail "the report of the merged run does not list part $i"
done
grep -qF "merged from" "$WORK/report-merged/report.md" || fail "the report has no 'merged from' line"
grep -qF "MPI processes | 2" "$WORK/report-merged/report.md" || fail "the report does not show 2 MPI processes"
run report-part "$KCUBE" report "$WORK/look.sqlite" --no-figures --out "$WORK/report-part"
grep -qF "2/4: the cells at plan positions p with p % 4 = 1, of the plan's 27" \
  "$WORK/report-part/report.md" || fail "the report of shard 2/4 does not describe its shard"
if grep -qF "merged from" "$WORK/report-part/report.md" || grep -qF "shard |" "$WORK/report-merged/report.md"; then
  fail "a report shows lines that do not apply (merged-from of a shard, or the shard of a merged run)"
fi

step "into a store holding other runs: the merged run is added, the others stay"
existing=$WORK/existing.sqlite
cp "$whole" "$existing"
run merge-existing "$KCUBE" merge "$existing" "${parts[@]}"
expect_out merge-existing "store: $existing (run 2)"
check_intact "$existing"
check_run_finished "$existing" 2 "$CELLS"
export_run existing-1 "$existing" 1
same_exports existing-1 whole
export_run existing-2 "$existing" 2
same_exports existing-2 whole

step "PART.sqlite:ID: the newest run of a part by default, another one by its id"
# rerun.sqlite holds two tries of shard 3/4: run 1 failed with an error cell, run 2 finished.
rerun=$WORK/rerun.sqlite
study rerun-1 "$rerun"
study rerun-2 "$rerun"
shard_run "$rerun" 1 3 4
shard_run "$rerun" 2 3 4
sql "$rerun" "UPDATE runs SET status = 'failed' WHERE id = 1;
  UPDATE cells SET status = 'error', message = 'boom' WHERE run_id = 1 AND position = 2" >/dev/null
run merge-newest "$KCUBE" merge "$WORK/newest.sqlite" "${parts[0]}" "${parts[1]}" "$rerun" "${parts[3]}"
expect_out merge-newest "status finished"
expect_eq "the run taken from rerun.sqlite" \
  "$(sql "$WORK/newest.sqlite" "SELECT json_extract(merged_from, '\$[2].run') FROM runs")" 2
run merge-id2 "$KCUBE" merge "$WORK/id2.sqlite" "${parts[0]}" "${parts[1]}" "$rerun:2" "${parts[3]}"
expect_eq "the run taken from rerun.sqlite:2" \
  "$(sql "$WORK/id2.sqlite" "SELECT json_extract(merged_from, '\$[2].store') || ' ' ||
     json_extract(merged_from, '\$[2].run') FROM runs")" "$rerun 2"
export_run id2 "$WORK/id2.sqlite" 1
same_exports id2 whole
merge_refused merge-id1 "$WORK/id1.sqlite" "${parts[0]}" "${parts[1]}" "$rerun:1" "${parts[3]}"
expect_err merge-id1 "'$rerun' (run 1, shard 3/4) failed"
expect_err merge-id1 "1 cell has an error"
# A file whose very name ends in :ID is that file.
cp "${parts[0]}" "$WORK/odd:7"
run merge-odd "$KCUBE" merge "$WORK/odd.sqlite" "$WORK/odd:7" "${parts[@]:1}"
expect_out merge-odd "status finished"

step "parts of different builds are merged, with a note naming them"
cp "${parts[2]}" "$WORK/clang.sqlite"
sql "$WORK/clang.sqlite" "UPDATE runs SET compiler = 'clang 99.0', build_type = 'Debug'" >/dev/null
run merge-builds "$KCUBE" merge "$WORK/builds.sqlite" "${parts[0]}" "${parts[1]}" "$WORK/clang.sqlite" "${parts[3]}"
expect_err merge-builds "kcube merge: note: the parts differ in compiler ("
expect_err merge-builds "'clang 99.0' in '$WORK/clang.sqlite'"
expect_err merge-builds "kcube merge: note: the parts differ in build_type ("
expect_eq "the merged run's compiler" "$(sql "$WORK/builds.sqlite" "SELECT compiler FROM runs")" \
  "$(sql "${parts[0]}" "SELECT compiler FROM runs")"

step "--partial: shard 3/4 absent and a cell with an error; kcube run --resume completes the run"
failed=$WORK/part-2-failed.sqlite
cp "${parts[1]}" "$failed"
sql "$failed" "PRAGMA foreign_keys = ON;
  DELETE FROM candidates WHERE run_id = 1 AND cell_key = (SELECT cell_key FROM cells WHERE position = 1);
  DELETE FROM selections WHERE run_id = 1 AND cell_key = (SELECT cell_key FROM cells WHERE position = 1);
  UPDATE cells SET status = 'error', message = 'profile threw: boom' WHERE position = 1;
  UPDATE runs SET status = 'failed'" >/dev/null
partial=$WORK/partial.sqlite
merge_refused incomplete "$partial" "${parts[0]}" "$failed" "${parts[3]}"
expect_err incomplete "the parts are not the whole run of 'paper-2025': shard 3/4 is absent; 7 of the plan's 27 cells are in no part; '$failed' (run 1, shard 2/4) failed; 1 cell has an error."
expect_err incomplete "kcube run MANIFEST --shard I/N --store part-I.sqlite --resume"
expect_err incomplete "or pass --partial"
run partial "$KCUBE" merge "$partial" "${parts[0]}" "$failed" "${parts[3]}" --partial
expect_out partial "merged 3 parts (20 cells copied) of paper-2025 into run 1, status failed"
expect_err partial "kcube merge: warning: the merged run 1 is incomplete (shard 3/4 is absent;"
expect_err partial "it is stored with status failed, so that \`kcube run MANIFEST --store $partial --resume --set run.trials=200\` runs its 7 cells missing and retries its 1 cell with an error"
check_intact "$partial"
expect_eq "the partial run" "$(sql "$partial" "SELECT status || ' ' || cell_count || ' ' ||
  (SELECT count(*) FROM cells) || ' ' || (SELECT count(*) FROM cells WHERE status = 'error') FROM runs")" \
  "failed 27 20 1"
study resume-partial "$partial" --resume
expect_out resume-partial "store: $partial (run 1)"
check_intact "$partial"
check_run_finished "$partial" 1 "$CELLS"
export_run partial "$partial" 1
same_exports partial whole
