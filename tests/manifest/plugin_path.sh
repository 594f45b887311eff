#!/usr/bin/env bash
# manifest.plugin-path: a manifest whose optimizer lives outside the default search path names
# its folder with `plugin_path:` (relative to the manifest file); `kcube validate`, `run` and
# `report` then work without --plugin-path (report finds the plugin from the file the run
# recorded). When that file is gone, or changed, the report says so in a Warning section at the
# top of report.md and report.html.
#   usage: bash plugin_path.sh KCUBE FIXTURE_PLUGIN SCRATCH_DIR
# FIXTURE_PLUGIN: tests/host's fixture-params optimizer (a plugin that is not built in).
set -euo pipefail
[[ $# -eq 3 ]] || {
  echo "usage: bash $0 KCUBE FIXTURE_PLUGIN SCRATCH_DIR" >&2
  exit 2
}
KCUBE=$1
FIXTURE=$2
# shellcheck source=../support/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/harness.sh"
[[ -x $KCUBE ]] || fail "no kcube executable at $KCUBE (build first)"
[[ -f $FIXTURE ]] || fail "no fixture plugin at $FIXTURE (build first)"
harness_init plugin-path "$3" KCUBE_RUN_KEEP
# Absolute, as kcube names the files in its messages.
WORK=$(cd "$WORK" && pwd)
chmod 755 "$WORK"
unset KCUBE_PLUGIN_PATH

# warning_first REPORT_DIR TEXT: the first section of report.md is the Warning, and it holds
# TEXT; report.html shows the Warning before the run's context.
warning_first() {
  local md=$1/report.md html=$1/report.html
  [[ $(grep -m 1 '^## ' "$md") == "## Warning: plugins of this run" ]] ||
    fail "the first section of $md is not the plugin warning: $(grep '^## ' "$md" | head -n 3)"
  awk '/^## /{n++} n==1' "$md" >"$WORK/warning.md"
  expect_in_file "$WORK/warning.md" "$2"
  local warning run
  warning=$(grep -bo 'Warning: plugins of this run' "$html" | head -n 1 | cut -d: -f1)
  # Warnings stay at the top, before the answer (the run's context, provenance, is at the end).
  run=$(grep -bo '>Recommendation<' "$html" | head -n 1 | cut -d: -f1)
  [[ -n $warning && -n $run && $warning -lt $run ]] ||
    fail "$html does not show the plugin warning before the recommendation"
}

mkdir -p "$WORK/plugins" "$WORK/exp"
cp "$FIXTURE" "$WORK/plugins/"
plugin_file=$WORK/plugins/$(basename "$FIXTURE")
cat >"$WORK/exp/m.yaml" <<'YAML'
kcube: 1
experiment: plugin-path
plugin_path: [../plugins]
profiles:
  p:
    plugin: gaussian
    params: {c_in: 1e-6, c_out: 1e-6, t_in: 0.001, t_out: 0.01, acc_mean: 0.5, acc_std: 0.1}
scenarios:
  s: {plugin: budget, params: {cost_max: 1}}
optimizers:
  mine: {plugin: fixture-params, params: {ratio: 0.5}}
  knee: {plugin: knee-point}
run: {evaluator: exact}
YAML
store=$WORK/store.sqlite

step "validate, run and report without --plugin-path"
expect_exit 0 validate "$KCUBE" validate "$WORK/exp/m.yaml"
expect_output validate "valid manifest 'plugin-path'"
expect_exit 0 run "$KCUBE" run "$WORK/exp/m.yaml" --store "$store" --quiet
expect_exit 0 report "$KCUBE" report "$store" --no-figures --out "$WORK/report"
grep -q 'Warning' "$WORK/report/report.md" && fail "a complete report carries a warning"
grep -qF 'cannot re-create' "$WORK/report/report.md" &&
  fail "the report could not re-create a plugin: $(grep -F 'cannot re-create' "$WORK/report/report.md")"
expect_in_file "$WORK/report/report.md" "$plugin_file"

step "the plugin file changed since the run"
printf 'changed' >>"$plugin_file"
expect_exit 0 report-changed "$KCUBE" report "$store" --no-figures --out "$WORK/report-changed"
warning_first "$WORK/report-changed" "was re-created from $plugin_file, which changed since the run"
expect_output report-changed "kcube report: warning: The optimizer 'fixture-params'"

step "the plugin folder was removed"
rm -r "$WORK/plugins"
expect_exit 0 report-gone "$KCUBE" report "$store" --no-figures --out "$WORK/report-gone"
warning_first "$WORK/report-gone" \
  "Cannot re-create the optimizer 'fixture-params' (version 0.0.1) that the run used: its file $plugin_file no longer exists"
expect_in_file "$WORK/report-gone/report.html" "Cannot re-create the optimizer 'fixture-params'"
# And validate says where the missing folder was meant to be.
expect_exit 2 validate-gone "$KCUBE" validate "$WORK/exp/m.yaml"
expect_output validate-gone "m.yaml:3:15: plugin_path[0]: '../plugins' ($WORK/plugins) does not exist"
