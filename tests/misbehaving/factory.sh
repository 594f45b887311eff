#!/usr/bin/env bash
# misbehaving.factory: factories run when the manifest is checked, before any store exists.
# A factory's kcube::Error is the user's mistake (the plugin refused its parameters): kcube
# validate and kcube run exit 2. Anything else a factory throws (std::exception, `throw 42`) is a
# plugin bug: exit 1. Either way every failing factory is listed, naming the plugin, its file,
# the manifest entry (and the sweep point), and no store is created. A factory that hangs is
# given up on with --cell-timeout.
#   usage: bash factory.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init factory "$@"

# factory_case NAME CODE NEEDLE ARGS...: validate and run exit CODE, stderr names NEEDLE, no store.
factory_case() {
  local name=$1 code=$2 needle=$3
  shift 3
  local manifest=$1
  shift
  expect_exit "$code" "$name-validate" kc validate "$manifest" "$@"
  expect_err "$name-validate" "$needle"
  no_crash "$name-validate"
  expect_exit "$code" "$name-run" kc run "$manifest" --store "$WORK/$name.sqlite" --quiet "$@"
  expect_err "$name-run" "$needle"
  expect_err "$name-run" "could not be made (nothing was run)"
  no_crash "$name-run"
  no_file "$WORK/$name.sqlite" "a run whose factories fail"
  CASES=$((CASES + 1))
}

step "a factory's kcube::Error is an input error: exit 2 before any store"
factory_case profile-refuses 2 \
  "plugin 'faulty-profile' ($PROFILE_SO) refused the parameters of 'profiles.bad (faulty-profile)': injected kcube::Error in factory" \
  "$MANIFEST" --set profiles.bad.params.fault=throw-error --set profiles.bad.params.where=factory
expect_err profile-refuses-run "profiles.bad is defined at "

step "anything else from a factory is a plugin bug: exit 1 before any store, all listed"
factory_case scenario-throws 1 \
  "plugin 'faulty-scenario' ($SCENARIO_SO) failed while being created from 'scenarios.bad (faulty-scenario)': injected fault in factory" \
  "$MANIFEST" --set scenarios.bad.params.fault=throw --set scenarios.bad.params.where=factory \
  --set optimizers.bad.params.fault=throw-error --set optimizers.bad.params.where=factory
expect_err scenario-throws-run "'faulty-optimizer' ($OPTIMIZER_SO) refused the parameters"
expect_err scenario-throws-run "2 plugin objects could not be made"
factory_case optimizer-throws-int 1 \
  "plugin 'faulty-optimizer' ($OPTIMIZER_SO) threw a non-standard exception while being created" \
  "$MANIFEST" --set optimizers.bad.params.fault=throw-int --set optimizers.bad.params.where=factory

step "a factory that refuses the parameters of one sweep point only"
factory_case sweep-point 2 \
  "injected kcube::Error in factory (sweep point scenarios.swept.params.fault=throw-error)" \
  "$SRC/tests/misbehaving/sweep.yaml"
expect_err sweep-point-run "1 plugin object could not be made"

step "a factory that hangs: --cell-timeout gives up on it, exit 1, no store"
SECONDS_BEFORE=$SECONDS
expect_exit 1 factory-sleeps kc run "$MANIFEST" --store "$WORK/sleeps.sqlite" --quiet \
  --set profiles.bad.params.fault=sleep --set profiles.bad.params.where=factory --cell-timeout 1
expect_err factory-sleeps \
  "timed out after 1 s in model profile 'faulty-profile' ($PROFILE_SO), its factory while checking the plugins' parameters; nothing was run"
no_crash factory-sleeps
no_file "$WORK/sleeps.sqlite" "a run whose factory timed out"
[[ $((SECONDS - SECONDS_BEFORE)) -lt 30 ]] || fail "the hanging factory was waited for"
CASES=$((CASES + 1))
done_cases
