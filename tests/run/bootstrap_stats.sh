#!/usr/bin/env bash
# run.bootstrap-stats: for pass@1 on a sample log (exact evaluator, pass-at-k, k = 1) the
# bootstrap's 95 % interval is the textbook one: its half-width (hi - lo) / 2 is within 15 % of
# 1.96 x the standard error across questions (the sd of the per-question pass@1 over sqrt(Q)),
# computed here from the CSV files without kcube. For both Game of 24 logs and a CRUXEval log,
# with 2000 resamples; the interval's centre check uses kcube's own pass@1, which must equal the
# mean of the per-question shares.
#   usage: bash bootstrap_stats.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init bootstrap-stats "$@"

data=$SRC/experiments/data
cat >"$WORK/stats.yaml" <<YAML
kcube: 1
experiment: bootstrap-stats
profiles:
  game24-cot: {plugin: samples, params: {path: $data/game24-cot-gpt4.csv}}
  game24-io: {plugin: samples, params: {path: $data/game24-io-gpt4.csv}}
  cruxeval-output: {plugin: samples, params: {path: $data/cruxeval-output-codellama7b.csv}}
scenarios:
  one: {plugin: budget, params: {k_max: 1}}
aggregators:
  pass-at-k: {plugin: pass-at-k}
optimizers:
  accuracy-max: {plugin: accuracy-max}
run: {evaluator: exact, bootstrap: 2000, seed: 11}
YAML
run stats "$KCUBE" run "$WORK/stats.yaml" --store "$WORK/stats.sqlite" --quiet
run export "$KCUBE" export "$WORK/stats.sqlite" --table candidates
# Only the pick at k = 1 exists: every resample picks it.
expect_eq "pick shares of the only k" "$(sql "$WORK/stats.sqlite" \
  "SELECT group_concat(pick_share || ' ' || pick_distribution, ';') FROM selections")" \
  '1.0 {"1":1};1.0 {"1":1};1.0 {"1":1}'

python3 - "$LOGS/export.out" "$data" <<'PY' || fail "the bootstrap interval is not the textbook one (above)"
import csv, math, statistics, sys
export, data = sys.argv[1], sys.argv[2]
files = {"game24-cot": "game24-cot-gpt4.csv", "game24-io": "game24-io-gpt4.csv",
         "cruxeval-output": "cruxeval-output-codellama7b.csv"}
rows = {r["profile"]: r for r in csv.DictReader(open(export))}
bad = False
for profile, name in files.items():
    per_question = {}
    for r in csv.DictReader(open(f"{data}/{name}")):
        per_question.setdefault(r["question"], []).append(float(r["correct"]))
    shares = [sum(v) / len(v) for v in per_question.values()]
    q = len(shares)
    se = statistics.stdev(shares) / math.sqrt(q)
    row = rows[profile]
    lo, hi, acc = float(row["accuracy_lo"]), float(row["accuracy_hi"]), float(row["accuracy"])
    half = (hi - lo) / 2
    ratio = half / (1.96 * se)
    print(f"{profile}: Q={q} pass@1={acc:.4f} SE={se:.4f} interval=[{lo:.4f}, {hi:.4f}] "
          f"half-width / (1.96 SE) = {ratio:.3f}")
    if abs(acc - statistics.fmean(shares)) > 1e-12:
        print(f"  kcube's pass@1 {acc} is not the mean of the shares {statistics.fmean(shares)}")
        bad = True
    if not (lo <= acc <= hi) or abs(ratio - 1) > 0.15:
        bad = True
sys.exit(1 if bad else 0)
PY
