#!/usr/bin/env python3
"""The extrapolation study of issue 17: fit the difficulty model on each public log's first m
samples per question and compare its predictions at k = n (the log's full sample count) with the
full log's unbiased estimates.

For each log of experiments/data/ it runs
    kcube fit LOG --first m --predict n --json --bootstrap B --seed S
(m = 10 for Game of 24, n = 100; m = 3 for CRUXEval, n = 10) and
    kcube fit LOG --json --bootstrap 0
for the full log's unbiased pass@n and majority vote at n (the observed curve at k = n), and
writes OUT/README.md (the table, how it was made, the command) and OUT/extrapolation.json (the
numbers). Usage:
    python3 tools/extrapolation.py [--kcube build/bin/kcube] [--out results/extrapolation]
                                   [--bootstrap 200] [--seed 42]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (log file, display name, m samples fitted on, n samples in the log)
LOGS = [
    ("game24-cot-gpt4.csv", "GPT-4, Game of 24, chain of thought", 10, 100),
    ("game24-io-gpt4.csv", "GPT-4, Game of 24, input-output", 10, 100),
    ("cruxeval-input-codellama7b.csv", "CodeLlama-7B, CRUXEval-I", 3, 10),
    ("cruxeval-output-codellama7b.csv", "CodeLlama-7B, CRUXEval-O", 3, 10),
]


def fit(kcube, args):
    """`kcube fit ARGS --json` as a dict; exits with kcube's message when it fails."""
    command = [kcube, "fit"] + args + ["--json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("extrapolation.py: '%s' failed (exit %d):\n%s"
                 % (" ".join(command), done.returncode, done.stderr))
    return json.loads(done.stdout)


def interval(lo, hi):
    return "-" if lo is None or hi is None else "[%.3f, %.3f]" % (lo, hi)


def covered(lo, hi, x):
    return lo is not None and hi is not None and x is not None and lo <= x <= hi


def study(kcube, bootstrap, seed):
    rows = []
    for name, label, m, n in LOGS:
        path = os.path.join(ROOT, "experiments", "data", name)
        part = fit(kcube, [path, "--first", str(m), "--predict", str(n), "--bootstrap",
                           str(bootstrap), "--seed", str(seed)])
        full = fit(kcube, [path, "--bootstrap", "0"])
        prediction = part["predictions"][0]
        observed = full["curve"][n - 1]
        assert prediction["k"] == n and observed["k"] == n
        rows.append({
            "log": name, "label": label, "first": m, "n": n,
            "model": part["model"]["kind"],
            "parameters": {k: v["value"] for k, v in part["model"]["parameters"].items()},
            "wrong_answers": part["wrong_answers"],
            "fitted_pass_at_m": part["curve"][m - 1]["pass_fitted"],
            "observed_pass_at_m": part["curve"][m - 1]["pass_observed"],
            "predicted_pass": prediction["pass"],
            "predicted_pass_lo": prediction["pass_lo"],
            "predicted_pass_hi": prediction["pass_hi"],
            "empirical_pass": observed["pass_observed"],
            "predicted_majority": prediction["majority"],
            "predicted_majority_lo": prediction["majority_lo"],
            "predicted_majority_hi": prediction["majority_hi"],
            "empirical_majority": observed["majority_observed"],
            "full_model": full["model"]["kind"],
            "full_parameters": {k: v["value"] for k, v in full["model"]["parameters"].items()},
            "warnings": part["warnings"],
        })
    return rows


def markdown(rows, bootstrap, seed, command):
    out = ["# Extrapolation: fit on m samples per question, predict k = n", "",
           "The difficulty model (`kcube fit`, README \"Fitting the difficulty model\") fitted on",
           "each public log's first m samples per question, its pass@n and majority vote at n",
           "predicted with 95 %% intervals (%d parametric-bootstrap resamples of the questions,"
           % bootstrap,
           "seed %d), against the full log's unbiased estimates at n (all n samples)." % seed, "",
           "| log | m | n | model (on m) | predicted pass@n [95 %] | empirical pass@n "
           "| predicted majority@n [95 %] | empirical majority@n |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | %d | %d | %s | %.3f %s | %.3f%s | %.3f %s | %.3f%s |" % (
            r["label"], r["first"], r["n"], r["model"], r["predicted_pass"],
            interval(r["predicted_pass_lo"], r["predicted_pass_hi"]), r["empirical_pass"],
            "" if covered(r["predicted_pass_lo"], r["predicted_pass_hi"], r["empirical_pass"])
            else " (outside)",
            r["predicted_majority"], interval(r["predicted_majority_lo"],
                                              r["predicted_majority_hi"]),
            r["empirical_majority"],
            "" if covered(r["predicted_majority_lo"], r["predicted_majority_hi"],
                          r["empirical_majority"]) else " (outside)"))
    out += ["", "Fitted parameters (on the first m samples; on all n in brackets):", ""]
    for r in rows:
        part = ", ".join("%s %.4g" % kv for kv in r["parameters"].items())
        full = ", ".join("%s %.4g" % kv for kv in r["full_parameters"].items())
        wrong = r["wrong_answers"]
        out.append("- %s: %s %s (all n: %s %s)%s" % (
            r["label"], r["model"], part, r["full_model"], full,
            "; wrong_answers %d, wrong_skew %.3g" % (wrong["wrong_answers"], wrong["wrong_skew"])
            if wrong else ""))
    warned = [(r["label"], w) for r in rows for w in r["warnings"]]
    if warned:
        out += ["", "Warnings of the fits on m samples:", ""]
        out += ["- %s: %s" % lw for lw in warned]
    out += ["", "The intervals are over the questions (each question's count redrawn from the "
            "fitted model with its own m, the model refitted); they do not include the error of "
            "the model itself, which is what this table tests. \"(outside)\" marks an empirical "
            "value outside the interval. Made by:", "", "```sh", command, "```",
            "", "`extrapolation.json` beside this file holds the numbers.", ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kcube", default=os.path.join(ROOT, "build", "bin", "kcube"))
    parser.add_argument("--out", default=os.path.join(ROOT, "results", "extrapolation"))
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if not os.access(args.kcube, os.X_OK):
        sys.exit("extrapolation.py: no kcube executable at %s; build first (tools/build.sh) or "
                 "give --kcube PATH" % args.kcube)
    if args.bootstrap < 1:
        sys.exit("extrapolation.py: --bootstrap must be at least 1 (the table has intervals)")
    rows = study(args.kcube, args.bootstrap, args.seed)
    os.makedirs(args.out, exist_ok=True)
    command = "python3 tools/extrapolation.py --bootstrap %d --seed %d" % (args.bootstrap,
                                                                          args.seed)
    with open(os.path.join(args.out, "extrapolation.json"), "w") as f:
        json.dump({"bootstrap": args.bootstrap, "seed": args.seed, "logs": rows}, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(markdown(rows, args.bootstrap, args.seed, command))
    print("extrapolation.py: wrote %s/README.md and extrapolation.json" % args.out)


if __name__ == "__main__":
    main()
