#!/usr/bin/env bash
# run.runs-compare-json: `kcube runs --json` and `kcube compare --json` print their documented
# JSON shapes (README), and `kcube compare` of runs of two different experiments says first, on
# standard error, that and how they differ (experiment, manifest, profiles, scenarios and
# optimizers only in A or only in B), and still prints the comparison (exit 0). Runs of one
# manifest compare without a word on standard error.
#   usage: bash runs_compare_json.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init runs-compare-json "$@"
store=$WORK/s.sqlite
gaussian="{c_in: 2.5e-7, c_out: 2.0e-6, t_in: 0.00025, t_out: 0.002, mu_Lin: 1024, sigma_Lin: 64, mu_Lout: 2048, sigma_Lout: 128, acc_mean: 0.92, acc_std: 0.03}"
budget="{cost_max: 0.5, latency_max: 60, accuracy_min: 0.5, parallelism: 4, k_max: 16}"
cat >"$WORK/a.yaml" <<YAML
kcube: 1
experiment: study-a
profiles:
  mini: {plugin: gaussian, params: $gaussian}
  shared: {plugin: gaussian, params: $gaussian}
scenarios:
  balanced: {plugin: budget, params: $budget}
optimizers:
  accuracy-max: {plugin: accuracy-max}
  cube-max: {plugin: cube-max}
run: {trials: 100, seed: 7}
YAML
cat >"$WORK/b.yaml" <<YAML
kcube: 1
experiment: study-b
profiles:
  shared: {plugin: gaussian, params: $gaussian}
  big: {plugin: gaussian, params: $gaussian}
scenarios:
  tight: {plugin: budget, params: $budget}
optimizers:
  accuracy-max: {plugin: accuracy-max}
  knee-point: {plugin: knee-point}
run: {trials: 100, seed: 7}
YAML
run a1 "$KCUBE" run "$WORK/a.yaml" --store "$store" --quiet
run a2 "$KCUBE" run "$WORK/a.yaml" --store "$store" --quiet --set run.trials=120
run b "$KCUBE" run "$WORK/b.yaml" --store "$store" --quiet

step "kcube runs --json"
run runs "$KCUBE" runs "$store" --json
python3 - "$LOGS/runs.out" <<'PY' || fail "kcube runs --json is wrong (above)"
import json, sys
runs = json.load(open(sys.argv[1]))
keys = ["run", "experiment", "status", "started", "finished", "cells", "cells_finished",
        "cells_failed", "shard", "merged", "ranks", "overrides", "manifest_sha256", "build_changes",
        "engine_version"]
assert [list(r) for r in runs] == [keys] * 3, [list(r) for r in runs]
assert [r["run"] for r in runs] == [1, 2, 3]
assert [r["experiment"] for r in runs] == ["study-a", "study-a", "study-b"]
assert {r["status"] for r in runs} == {"finished"}
assert [r["overrides"] for r in runs] == [[], ["run.trials=120"], []]
assert [(r["cells"], r["cells_finished"], r["cells_failed"]) for r in runs] == [(2, 2, 0)] * 3
assert all(r["shard"] is None and r["merged"] is False and r["ranks"] == 1 for r in runs)
assert all(len(r["manifest_sha256"]) == 64 and r["build_changes"] == [] for r in runs)
assert all(r["finished"].endswith("Z") for r in runs)
PY

step "kcube compare of two runs of one manifest: nothing on standard error"
run same "$KCUBE" compare "$store" --run 1 --run 2
[[ ! -s $LOGS/same.err ]] || { show_log same; fail "compare of runs of one manifest warned"; }

step "kcube compare of two experiments: says how they differ, then compares"
run differ "$KCUBE" compare "$store" --run 1 --run 3
expect_eq "first line on standard error" "$(head -n 1 "$LOGS/differ.err")" \
  "kcube compare: warning: runs A (1) and B (3) ran different things; picks of one without a match in the other are listed as absent:"
expect_err differ "  experiments differ: A is 'study-a', B is 'study-b'"
expect_err differ "  manifests differ: A's SHA-256 is "
expect_err differ "  profiles only in A: mini"
expect_err differ "  profiles only in B: big"
expect_err differ "  scenarios only in A: balanced"
expect_err differ "  scenarios only in B: tight"
expect_err differ "  optimizers only in A: cube-max"
expect_err differ "  optimizers only in B: knee-point"
expect_out differ "0 picks in both runs"

step "kcube compare --json"
run differ-json "$KCUBE" compare "$store" --run 1 --run 3 --json
run same-json "$KCUBE" compare "$store" --run 1 --run 2 --json --all
python3 - "$LOGS/differ-json.out" "$LOGS/same-json.out" "$store" <<'PY' || fail "kcube compare --json is wrong (above)"
import json, sys
differ, same = (json.load(open(p)) for p in sys.argv[1:3])
store = sys.argv[3]
for c in (differ, same):
    assert list(c) == ["a", "b", "differences", "picks", "counts"], list(c)
    assert list(c["a"]) == ["store", "run", "experiment", "status", "manifest_sha256", "replications",
                            "engine_version", "engine_summary"]
    assert c["a"]["store"] == store and c["a"]["run"] == 1
d = differ["differences"]
assert (d["experiment"], d["manifest"], d["replications"], d["engine_version"]) == (True, True, False, False), d
assert d["profiles"] == {"only_a": ["mini"], "only_b": ["big"]}, d
assert d["scenarios"] == {"only_a": ["balanced"], "only_b": ["tight"]}, d
assert d["optimizers"] == {"only_a": ["cube-max"], "only_b": ["knee-point"]}, d
assert d["sweep_points"] == {"only_a": [], "only_b": []}, d
assert differ["b"]["experiment"] == "study-b" and differ["b"]["run"] == 3
# 2 profiles x 2 optimizers in A, 2 x 2 in B, none matched.
assert differ["counts"] == {"same": 0, "different": 0, "only_a": 4, "only_b": 4}, differ["counts"]
assert len(differ["picks"]) == 8
p = differ["picks"][0]
assert list(p) == ["scenario", "sweep", "profile", "replication", "optimizer", "same", "a", "b"], p
assert p["sweep"] is None and p["b"] is None and p["same"] is False
assert list(p["a"]) == ["status", "k", "cost", "latency", "accuracy"], p["a"]
s = same["differences"]
assert not (s["experiment"] or s["manifest"] or s["replications"] or s["engine_version"]), s
assert all(s[k] == {"only_a": [], "only_b": []} for k in ("profiles", "scenarios", "optimizers", "sweep_points"))
# --all lists every pick: 2 profiles x 2 optimizers, all matched.
assert len(same["picks"]) == 4 and all(p["a"] and p["b"] for p in same["picks"])
assert sum(same["counts"][k] for k in ("same", "different")) == 4, same["counts"]
PY
