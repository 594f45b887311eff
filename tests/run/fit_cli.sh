#!/usr/bin/env bash
# run.fit-cli: `kcube fit` on the shipped logs: --json is one JSON object with the documented
# members, -o writes a `profiles:` snippet of the difficulty plugin with the difficulty profile's
# parameter names, and bad input exits 2 with a message that says what and how to fix.
#   usage: bash fit_cli.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init fit-cli "$@"
io=$SRC/experiments/data/game24-io-gpt4.csv
crux=$SRC/experiments/data/cruxeval-output-codellama7b.csv

step "kcube fit --json: one JSON object, predictions with intervals"
run json "$KCUBE" fit "$io" --first 10 --predict 20,100 --bootstrap 20 --json
python3 - "$LOGS/json.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for key in ["log", "questions", "samples_min", "model", "candidates", "wrong_answers", "tokens",
            "curve", "pass_max_difference", "majority_max_difference", "predictions", "warnings",
            "notes", "bootstrap", "seed"]:
    assert key in r, f"no '{key}' in the JSON"
assert r["questions"] == 100 and r["samples_min"] == 10 and r["first"] == 10, r
assert [c["kind"] for c in r["candidates"]] == ["beta", "beta+p_zero", "two-point"]
assert r["model"]["aic"] == min(c["aic"] for c in r["candidates"])
assert [p["k"] for p in r["curve"]] == list(range(1, 11))
assert [p["k"] for p in r["predictions"]] == [20, 100]
for p in r["predictions"]:
    assert p["pass_lo"] <= p["pass"] <= p["pass_hi"], p
    assert p["majority_lo"] <= p["majority_hi"], p
assert r["tokens"]["mu_Lin"] == 200, r["tokens"]
PY

step "the text output names the chosen model, the candidates and the predictions"
run text "$KCUBE" fit "$crux" --predict 50 --bootstrap 10
expect_out text "Distribution of p:"
expect_out text "Candidates (AIC"
expect_out text "largest difference: pass@k"
expect_out text "Predictions (95 % intervals from 10"
expect_err text "no input_tokens/output_tokens"

step "-o: a profiles: entry of the difficulty plugin"
run snippet "$KCUBE" fit "$io" -o "$WORK/io.yaml" --c-in 3e-5 --c-out 6e-5 --bootstrap 0
run snippet-crux "$KCUBE" fit "$crux" -o "$WORK/crux.yaml" --name crux-o --bootstrap 0
python3 - "$WORK/io.yaml" "$WORK/crux.yaml" <<'PY'
import re, sys
# The difficulty profile's parameters (i17-profile).
known = {"p_distribution", "alpha", "beta", "p_zero", "p_easy", "p_hard", "easy_share",
         "wrong_answers", "wrong_skew", "score_correct", "score_wrong", "c_in", "c_out", "t_in",
         "t_out", "mu_Lin", "sigma_Lin", "mu_Lout", "sigma_Lout", "display_name"}
for path in sys.argv[1:]:
    lines = [l for l in open(path).read().splitlines() if l and not l.lstrip().startswith("#")]
    assert lines[0] == "profiles:", (path, lines[0])
    assert re.fullmatch(r"  [a-z0-9-]+:", lines[1]), (path, lines[1])
    assert lines[2] == "    plugin: difficulty" and lines[3] == "    params:", (path, lines[2:4])
    params = {}
    for l in lines[4:]:
        m = re.fullmatch(r"      ([A-Za-z_]+): (\S.*?)(  # .*)?", l)
        assert m, (path, l)
        assert m.group(1) in known and m.group(1) not in params, (path, l)
        params[m.group(1)] = m.group(2)
    assert params["p_distribution"] in ("beta", "two-point"), params
    for key in ("wrong_answers", "wrong_skew", "display_name"):
        assert key in params, (path, key)
    if path.endswith("io.yaml"):
        assert lines[1] == "  game24-io-gpt4:", lines[1]
        assert params["c_in"] == "3e-05" and params["c_out"] == "6e-05", params
        assert "mu_Lin" in params and "t_in" not in params, params
    else:
        assert lines[1] == "  crux-o:", lines[1]
        assert "c_in" not in params and "mu_Lin" not in params, params
PY
expect_in_file "$WORK/crux.yaml" "# c_in: fill in USD per input token"
expect_in_file "$WORK/crux.yaml" "# mu_Lin: fill in the mean input tokens per sample"

# The snippet as a manifest includes it, with prices and times, on a small grid. The difficulty
# plugin comes from another branch of issue 17 (i17-profile): until it is built here, the shape
# check above is the test.
if "$KCUBE" plugins describe difficulty >/dev/null 2>&1; then
  step "the snippet runs: kcube run on a manifest that includes it"
  run snippet-full "$KCUBE" fit "$io" -o "$WORK/io-full.yaml" --c-in 3e-5 --c-out 6e-5 \
    --t-in 1e-4 --t-out 2e-2 --bootstrap 0
  cat >"$WORK/manifest.yaml" <<'YAML'
kcube: 1
experiment: fit-snippet
description: The profile kcube fit wrote, run on a small grid.
include: [io-full.yaml]
scenarios:
  small: {plugin: budget, params: {k_max: 4, parallelism: 1}}
optimizers:
  accuracy-max: {plugin: accuracy-max}
run: {trials: 20}
YAML
  run snippet-run "$KCUBE" run "$WORK/manifest.yaml" --store "$WORK/s.sqlite" --quiet
else
  step "(no difficulty plugin in this build: the snippet's shape is checked, not run)"
fi

step "bad input: exit 2 with what, where and how to fix"
expect_exit 2 missing "$KCUBE" fit "$WORK/none.csv"
expect_err missing "cannot open"
printf 'question,correct\n1,maybe\n' >"$WORK/bad.csv"
expect_exit 2 bad-log "$KCUBE" fit "$WORK/bad.csv"
expect_err bad-log "bad.csv:2"
expect_exit 2 first "$KCUBE" fit "$crux" --first 11
expect_err first "has only 10"
expect_exit 2 first0 "$KCUBE" fit "$crux" --first 0
expect_err first0 "--first must be at least 1"
expect_exit 2 predict "$KCUBE" fit "$crux" --predict 5,x
expect_err predict "'x' in '5,x' is not one"
expect_exit 2 predict0 "$KCUBE" fit "$crux" --predict 0
expect_exit 2 bootstrap "$KCUBE" fit "$crux" --bootstrap=-1
expect_err bootstrap "--bootstrap must be 0"
expect_exit 2 partner "$KCUBE" fit "$crux" --c-in 1e-6
expect_err partner "--c-in needs --c-out"
expect_exit 2 partner-t "$KCUBE" fit "$crux" --t-out 0.01
expect_err partner-t "--t-out needs --t-in"
expect_exit 2 name "$KCUBE" fit "$crux" -o "$WORK/x.yaml" --name "My Profile"
expect_err name "e.g. my-profile"
expect_exit 2 no-log "$KCUBE" fit
expect_err no-log "no sample log"
