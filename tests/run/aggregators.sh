#!/usr/bin/env bash
# run.aggregators: the `aggregators:` section of a manifest through `kcube run` and `kcube export`.
# Cells are profiles x scenarios x aggregators; a manifest without the section has one implicit
# aggregator, max-accuracy, whose cells keep the keys and numbers they had before aggregators
# existed; the aggregators of one cell see the same samples (equal cost and latency); each cell
# records its aggregator (name and spec); exports carry an `aggregator` column after scenario; a
# profile x aggregator pair the profile cannot feed is refused before anything runs, naming both.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init aggregators "$@"

write_manifest() {  # FILE AGGREGATORS-SECTION
  cat >"$1" <<YAML
kcube: 1
experiment: aggregators
include: [$SRC/experiments/profiles/paper-2025.yaml]
scenarios:
  tight: {plugin: budget, params: {cost_max: 0.5, latency_max: 60, accuracy_min: 0.88,
          parallelism: 4, k_max: 16}}
optimizers:
  cube: {plugin: cube-max}
run: {trials: 50, seed: 7}
$2
YAML
}
plain=$WORK/plain.yaml
two=$WORK/two.yaml
write_manifest "$plain" ""
write_manifest "$two" "aggregators:
  best: {plugin: max-accuracy}
  any: {plugin: pass-at-k}"

step "validate: 9 profiles x 1 scenario x 2 aggregators"
run validate "$KCUBE" validate "$two"
expect_out validate "9 profiles x 1 scenarios x 2 aggregators x 1 sweep points x 1 replications = 18 cells"
run validate-plain "$KCUBE" validate "$plain"
expect_out validate-plain "9 profiles x 1 scenarios x 1 sweep points x 1 replications = 9 cells"

step "run both"
run plain "$KCUBE" run "$plain" --store "$WORK/plain.sqlite" --quiet
run two "$KCUBE" run "$two" --store "$WORK/two.sqlite"
check_run_finished "$WORK/plain.sqlite" 1 9
check_run_finished "$WORK/two.sqlite" 1 18
# The summary has a row per profile and aggregator when there is more than one aggregator.
expect_out two "  gpt5                        any         "

step "keys, names and specs"
expect_eq "implicit aggregator" "$(sql "$WORK/plain.sqlite" \
  "SELECT DISTINCT aggregator || ' ' || aggregator_spec FROM cells")" "max-accuracy max-accuracy"
expect_eq "keys without the default aggregator" "$(sql "$WORK/plain.sqlite" \
  "SELECT cell_key FROM cells WHERE profile = 'gpt5'")" "gpt5|tight||0"
expect_eq "keys of named aggregators" "$(sql "$WORK/two.sqlite" \
  "SELECT group_concat(cell_key, ' ') FROM (SELECT cell_key FROM cells WHERE profile = 'gpt5'
   ORDER BY position)")" "gpt5|tight||0|best gpt5|tight||0|any"
expect_eq "aggregator specs" "$(sql "$WORK/two.sqlite" \
  "SELECT group_concat(aggregator || '=' || aggregator_spec, ' ') FROM (SELECT DISTINCT
   aggregator, aggregator_spec FROM cells ORDER BY aggregator)")" "any=pass-at-k best=max-accuracy"

step "the aggregators of a cell see the same samples; max-accuracy keeps the numbers"
sql "$WORK/two.sqlite" "ATTACH '$WORK/plain.sqlite' AS plain;
  SELECT count(*) FROM candidates a JOIN candidates b ON a.profile = b.profile AND a.k = b.k
  JOIN cells ca ON ca.cell_key = a.cell_key JOIN cells cb ON cb.cell_key = b.cell_key
  WHERE ca.aggregator = 'best' AND cb.aggregator = 'any'
    AND (a.cost <> b.cost OR a.latency <> b.latency)" >"$LOGS/differ.out"
expect_eq "rows whose cost or latency differ between aggregators" "$(cat "$LOGS/differ.out")" 0
expect_eq "max-accuracy rows that differ from the manifest without aggregators" "$(sql "$WORK/two.sqlite" \
  "ATTACH '$WORK/plain.sqlite' AS plain;
   SELECT count(*) FROM candidates a JOIN cells c ON c.cell_key = a.cell_key
   JOIN plain.candidates p ON p.profile = a.profile AND p.k = a.k
   WHERE c.aggregator = 'best' AND (a.cost <> p.cost OR a.latency <> p.latency
     OR a.accuracy <> p.accuracy OR a.accuracy_std <> p.accuracy_std)")" 0
expect_eq "a perfect verifier is never worse than best-of-k" "$(sql "$WORK/two.sqlite" \
  "SELECT count(*) FROM candidates a JOIN candidates b ON a.profile = b.profile AND a.k = b.k
   JOIN cells ca ON ca.cell_key = a.cell_key JOIN cells cb ON cb.cell_key = b.cell_key
   WHERE ca.aggregator = 'best' AND cb.aggregator = 'any' AND b.accuracy < a.accuracy")" 0

step "exports: an aggregator column after scenario"
run export-c "$KCUBE" export "$WORK/two.sqlite" --table candidates
expect_eq "candidates header" "$(head -n 1 "$LOGS/export-c.out" | cut -d, -f1-7)" \
  "run_id,replication,profile,scenario,aggregator,sweep,k"
expect_eq "candidate rows" "$(grep -c ',any,' "$LOGS/export-c.out")" 36
run export-s "$KCUBE" export "$WORK/two.sqlite" --table selections --format json
expect_out export-s '"scenario": "tight", "aggregator": "best", "sweep": null'

step "--set and sweeps reach the aggregators; the implicit one may be set"
run set "$KCUBE" validate "$plain" --set aggregators.max-accuracy.plugin=pass-at-k
expect_out set "= 9 cells"
expect_exit 2 wrong-kind "$KCUBE" validate "$plain" --set aggregators.max-accuracy.plugin=cube-max
expect_err wrong-kind "aggregators.max-accuracy.plugin"

step "a profile x aggregator pair the profile cannot feed is refused before anything runs"
vote=$WORK/vote.yaml
write_manifest "$vote" "aggregators:
  vote: {plugin: majority-vote}"
expect_exit 2 vote "$KCUBE" run "$vote" --store "$WORK/vote.sqlite"
expect_err vote "profiles.gpt5 (gaussian, defined at"
expect_err vote "with aggregators.vote (majority-vote, defined at"
expect_err vote "needs the samples' answers"
no_file "$WORK/vote.sqlite" "a refused run"
expect_exit 2 vote-validate "$KCUBE" validate "$vote"
expect_err vote-validate "9 profile and aggregator pairs cannot run together"
