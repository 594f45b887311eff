#!/usr/bin/env bash
# run.stored-specs: `kcube run` stores, for every cell, its position in the plan and the canonical
# specs of its profile, scenario and optimizers (schema version 2). The specs parse back and make
# the same plugin objects: `kcube simulate` with a cell's stored profile and scenario specs
# reproduces its stored candidates bit for bit, and `kcube select` with the stored scenario and
# optimizer specs picks the stored k. Covers a sweep (the scenario spec holds the swept value),
# replications, and a parameter value that must be quoted.
#   usage: bash stored_specs.sh KCUBE SOURCE_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_init stored-specs "$@"
store=$WORK/s.sqlite
cat >"$WORK/specs.yaml" <<'YAML'
kcube: 1
experiment: stored-specs
profiles:
  mini:
    plugin: gaussian
    params: {c_in: 2.5e-7, c_out: 2.0e-6, t_in: 0.00025, t_out: 0.002, mu_Lin: 1024,
             sigma_Lin: 64, mu_Lout: 2048, sigma_Lout: 128, acc_mean: 0.92, acc_std: 0.03,
             display_name: 'GPT-5 mini, "tuned" = v2'}
  nano:
    plugin: gaussian
    params: {c_in: 5.0e-8, c_out: 4.0e-7, t_in: 0.0001, t_out: 0.001, mu_Lin: 512,
             sigma_Lin: 32, mu_Lout: 1024, sigma_Lout: 64, acc_mean: 0.8, acc_std: 0.05}
scenarios:
  balanced: {plugin: budget, params: {cost_max: 0.5, latency_max: 60, accuracy_min: 0.85, k_max: 32}}
optimizers:
  cube: {plugin: cube-max}
  knee: {plugin: knee-point, params: {method: chord}}
  acc: {plugin: accuracy-max}
run: {trials: 300, replications: 2, seed: 11, sampling: nested}
sweep:
  scenarios.balanced.params.parallelism: [2, 4]
YAML

step "kcube run (2 replications x 2 sweep points x 2 profiles = 8 cells)"
run run "$KCUBE" run "$WORK/specs.yaml" --store "$store" --quiet --threads 2
check_run_finished "$store" 1 8
expect_eq "schema version" "$(sql "$store" "PRAGMA user_version")" 7

step "positions: 0 to 7 in plan order (replication, sweep point, profile, scenario)"
expect_eq "cells in position order" "$(sql "$store" \
  "SELECT group_concat(position || ':' || replication || ':' || replace(sweep,
       'scenarios.balanced.params.parallelism=', 'P') || ':' || profile, ' ')
     FROM (SELECT * FROM cells WHERE run_id = 1 ORDER BY position)")" \
  "0:0:P2:mini 1:0:P2:nano 2:0:P4:mini 3:0:P4:nano 4:1:P2:mini 5:1:P2:nano 6:1:P4:mini 7:1:P4:nano"

step "specs: present for every cell and selection, with every parameter"
expect_eq "cells without a spec" \
  "$(sql "$store" "SELECT count(*) FROM cells WHERE profile_spec IS NULL OR scenario_spec IS NULL")" 0
expect_eq "selections without a spec" \
  "$(sql "$store" "SELECT count(*) FROM selections WHERE optimizer_spec IS NULL")" 0
# Defaults are written out, so that a later default change cannot change what the spec makes.
expect_eq "knee-point spec" \
  "$(sql "$store" "SELECT DISTINCT optimizer_spec FROM selections WHERE optimizer = 'knee'" |
    grep -cE '^knee-point:(.*,)?method=chord,(.*,)?normalize=')" 1
expect_eq "scenario spec of parallelism=4" \
  "$(sql "$store" "SELECT DISTINCT scenario_spec FROM cells WHERE sweep = 'scenarios.balanced.params.parallelism=4'" |
    grep -cE '^budget:(.*,)?parallelism=4(,|$)')" 1
expect_eq "quoted display name" \
  "$(sql "$store" "SELECT DISTINCT profile_spec FROM cells WHERE profile = 'mini'" |
    grep -cF 'display_name="GPT-5 mini, \"tuned\" = v2"')" 1

step "the stored specs make the same plugin objects (replication 0: the manifest's seed)"
python3 - "$KCUBE" "$store" "$WORK" <<'PY' || fail "re-creating the plugins from the stored specs (above)"
import csv, json, sqlite3, subprocess, sys
kcube, store, work = sys.argv[1:4]
db = sqlite3.connect(store)
cells = db.execute(
    "SELECT cell_key, profile_spec, scenario_spec FROM cells"
    " WHERE run_id = 1 AND replication = 0 ORDER BY position").fetchall()
assert len(cells) == 4, cells
names = ["k", "cost", "latency", "accuracy", "cost_std", "latency_std", "accuracy_std",
         "cost_se", "latency_se", "accuracy_se", "cost_p025", "cost_p975", "latency_p025",
         "latency_p975", "accuracy_p025", "accuracy_p975"]
for n, (key, profile, scenario) in enumerate(cells):
    out = f"{work}/sim-{n}.csv"
    subprocess.run([kcube, "simulate", "--profile", profile, "--scenario", scenario,
                    "--trials", "300", "--seed", "11", "--sampling", "nested", "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    sim = list(csv.DictReader(open(out)))
    stored = db.execute(f"SELECT {', '.join(names)} FROM candidates"
                        " WHERE run_id = 1 AND cell_key = ? ORDER BY k", (key,)).fetchall()
    assert len(sim) == len(stored) > 0, f"{key}: simulate {len(sim)} rows, store {len(stored)}"
    for s, r in zip(sim, stored):
        for name, value in zip(names, r):
            # Bit-identical: both are the doubles of the same simulation.
            assert float(s[name]) == value, f"{key} k={s['k']} {name}: {s[name]} != {value}"
    selections = db.execute(
        "SELECT optimizer_spec, status, k FROM selections WHERE run_id = 1 AND cell_key = ?"
        " ORDER BY position", (key,)).fetchall()
    args = [kcube, "select", out, "--scenario", scenario, "--json"]
    for spec, _, _ in selections:
        args += ["--optimizer", spec]
    picked = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    got = [(p["status"], p["k"]) for p in picked]
    want = [(status, k) for _, status, k in selections]
    assert got == want, f"{key}: select with the stored specs gives {got}, the store {want}"
print(f"{len(cells)} cells re-created")
PY
