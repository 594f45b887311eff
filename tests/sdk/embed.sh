#!/usr/bin/env bash
# sdk.embed: installs kcube into a temporary prefix, builds the out-of-tree program
# tests/sdk/embed against it (find_package(kcube) + kcube/run.hpp), runs the paper study with it
# (200 trials, one replication) and checks that it stores what `kcube run` stores: the same
# candidates and selections, and the picks it prints are those of the stored selections.
#   usage: bash embed.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdk_init embed "$@"

install_kcube
build_project "$SRC/tests/sdk/embed" "$WORK/embed-build"
manifest=$SRC/experiments/paper-2025.yaml
overrides=(run.trials=200 run.replications=1)

step "the program runs the paper study into a store"
run embed "$WORK/embed-build/embed" "$manifest" "$WORK/embed.sqlite" "${overrides[@]}"
expect_output embed "27 cells run into $WORK/embed.sqlite (run 1)"
# 9 profiles x 3 scenarios x 6 optimizers.
picks=$(grep -c -v "cells run into" "$LOGS/embed.out")
[[ $picks -eq 162 ]] || fail "the program printed $picks picks, not 162"

step "the same study by kcube run stores the same numbers"
run cli "$KCUBE" run "$manifest" --store "$WORK/cli.sqlite" --set run.trials=200 \
  --set run.replications=1 --quiet
for table in candidates selections; do
  run "$table-embed" "$KCUBE" export "$WORK/embed.sqlite" --table "$table"
  run "$table-cli" "$KCUBE" export "$WORK/cli.sqlite" --table "$table"
  cmp -s "$LOGS/$table-embed.out" "$LOGS/$table-cli.out" ||
    fail "kcube export --table $table differs between the program's store and kcube run's"
done

step "the printed picks are the stored selections"
# export columns: ..., profile, scenario, ..., optimizer, ..., k: compare "profile scenario
# optimizer k" of every selection with the program's lines, in the same order.
"$PYTHON" - "$LOGS/selections-embed.out" "$LOGS/embed.out" <<'PY' || fail "the picks differ (above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
stored = [f"{r['profile']} {r['scenario']} {r['optimizer']} {r['k'] or r['status']}" for r in rows]
printed = [l.rstrip("\n") for l in open(sys.argv[2]) if "cells run into" not in l]
if sorted(stored) != sorted(printed):
    print("stored:", sorted(set(stored) - set(printed))[:5], "printed:",
          sorted(set(printed) - set(stored))[:5])
    sys.exit(1)
PY
