#!/usr/bin/env bash
# misbehaving.timeout: with --cell-timeout, a plugin that sleeps for an hour (in draw_path, the
# exact evaluation, assess or select) costs a cell, not the run: the cell is stored as error
# "timed out after N s in <plugin>, <method>", the run goes on and ends in seconds, marked
# failed, exit 1, with an intact store. A serial plugin whose call was abandoned is not called
# again. Work within the limit, and every cell without a limit, is unaffected: the numbers are
# those of a run without --cell-timeout.
#   usage: bash timeout.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
misbehaving_init timeout "$@"

# timed_run NAME PATTERN NEEDLE FILE ARGS...: fault_run with --cell-timeout 0.5, which must end
# within 30 s although the plugin sleeps for an hour.
timed_run() {
  local start=$SECONDS
  fault_run "$@" --cell-timeout 0.5
  [[ $((SECONDS - start)) -lt 30 ]] || fail "$1 took $((SECONDS - start)) s: the sleep was waited for"
  expect_eq "$1: integrity" "$(sql "$STORE" "PRAGMA integrity_check")" ok
}

step "draw_path sleeps for an hour: its two cells time out, the run ends in seconds"
timed_run draw-path 'bad|%' \
  "timed out after 0.5 s in model profile 'faulty-profile' ($PROFILE_SO), draw_path" "$PROFILE_SO" \
  --set profiles.bad.params.fault=sleep
expect_eq "seconds of the timed-out cells" \
  "$(sql "$STORE" "SELECT group_concat(seconds) FROM cells WHERE status='error'")" "0.5,0.5"

step "exact evaluation sleeps"
timed_run exact 'bad|%' "timed out after 0.5 s in model profile 'faulty-profile' ($PROFILE_SO), exact evaluation" \
  "$PROFILE_SO" --set profiles.bad.params.fault=sleep --set profiles.bad.params.where=expected_latency \
  --set run.evaluator=exact

step "assess sleeps"
timed_run assess '%|bad||0' "timed out after 0.5 s in scenario 'faulty-scenario' ($SCENARIO_SO), budget and assess" \
  "$SCENARIO_SO" --set scenarios.bad.params.fault=sleep

step "select sleeps: every cell times out"
timed_run select '%' "timed out after 0.5 s in optimizer 'faulty-optimizer' ($OPTIMIZER_SO), select" \
  "$OPTIMIZER_SO" --set optimizers.bad.params.fault=sleep

step "a serial profile that hangs is not called again in the same process"
timed_run serial 'bad|%' "faulty-serial-profile" "$SERIAL_SO" \
  --set profiles.bad.plugin=faulty-serial-profile --set profiles.bad.params.fault=sleep
expect_eq "messages of the serial profile's cells" "$(cell_messages "$STORE" | cut -c1-26)" \
  "timed out after 0.5 s in m
not run: the serial plugin"

step "within the limit nothing changes: same numbers as without --cell-timeout"
fault_run plain '' '' ''
fault_run limited '' '' '' --cell-timeout 60
fault_run slow-but-in-time '' '' '' --set optimizers.bad.params.fault=sleep \
  --set optimizers.bad.params.sleep_s=0.2 --cell-timeout 30
for table in candidates selections; do
  kc export "$WORK/plain.sqlite" --table "$table" | cut -d, -f2- >"$WORK/plain-$table.csv"
  kc export "$WORK/limited.sqlite" --table "$table" | cut -d, -f2- >"$WORK/limited-$table.csv"
  cmp -s "$WORK/plain-$table.csv" "$WORK/limited-$table.csv" ||
    fail "$table differ between runs with and without --cell-timeout"
done

step "--cell-timeout must be a positive number of seconds"
expect_exit 2 bad-timeout kc run "$MANIFEST" --store "$WORK/x.sqlite" --cell-timeout 0
expect_err bad-timeout "--cell-timeout must be a positive number of seconds"
no_file "$WORK/x.sqlite" "a run with a bad --cell-timeout"
done_cases
