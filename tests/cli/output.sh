# What kcube prints, end to end (issue 12, items 6, 10 and the endless CSV of 12):
#   - every command that prints results exits 1 with "cannot write output: No space left on
#     device", said once, when standard output is /dev/full; -o FILE is checked the same way; a
#     closed pipe still ends kcube quietly with 141 (SIGPIPE);
#   - manifest keys, a plugin's summary, version and error message reach the terminal with
#     control characters shown as \x1b, and report.md as text (no raw HTML, no links), with the
#     manifest in a code fence that its own ``` lines do not close;
#   - `kcube select -` on an endless stream of bad rows ends with exit 2;
#   - `kcube run --quiet` prints the store line alone on stdout, and on stderr only errors (issue
#     13, item 8): a failed cell and a bad manifest still say what went wrong, and exit non-zero.
# ctest calls it as: bash output.sh KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR
# (PLUGIN_DIR: the hostile-optimizer fixture).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/lib.sh"
run_init cli-output "$@"
PLUGINS=${4:?usage: bash $0 KCUBE SOURCE_DIR SCRATCH_DIR PLUGIN_DIR}
[[ -f $PLUGINS/kcube-optimizer-hostile-optimizer.so ]] || fail "no fixture plugin in $PLUGINS"
[[ -c /dev/full ]] || fail "these tests need /dev/full"
cd "$WORK"

# no_raw_controls LOG: neither stdout nor stderr of LOG holds an ESC, BEL, NUL or C1 CSI byte.
no_raw_controls() {
  local f
  for f in "$LOGS/$1.out" "$LOGS/$1.err"; do
    if LC_ALL=C grep -qaP '[\x00\x07\x1b\x9b]' "$f"; then
      show_log "$1"
      fail "$1: $(basename "$f") holds a raw control character"
    fi
  done
}

cat >m.yaml <<'EOF'
kcube: 1
experiment: output
profiles:
  p:
    plugin: gaussian
    params: {c_in: 1e-6, c_out: 1e-6, t_in: 0.001, t_out: 0.01, acc_mean: 0.5, acc_std: 0.1}
scenarios:
  s:
    plugin: budget
    params: {cost_max: 1, k_max: 256}
optimizers:
  a: {plugin: accuracy-max}
run:
  trials: 20
  replications: 8
EOF
GAUSSIAN=gaussian:c_in=1e-6,c_out=1e-6,t_in=0.001,t_out=0.01,acc_mean=0.5,acc_std=0.1
printf 'k,cost,latency,accuracy\n4,0.1,10,0.9\n8,0.2,20,0.95\n' >cands.csv
run first "$KCUBE" run m.yaml --store s.sqlite --quiet
run second "$KCUBE" run m.yaml --store s.sqlite --quiet --set run.seed=2

step "13.8: run --quiet prints the store line alone, and nothing on stderr"
# only_store_line LOG STORE RUN: stdout of LOG is "store: STORE (run RUN)", stderr is empty.
only_store_line() {
  [[ $(cat "$LOGS/$1.out") == "store: $2 (run $3)" && ! -s $LOGS/$1.err ]] || {
    show_log "$1"
    fail "$1: kcube run --quiet printed more than 'store: $2 (run $3)'"
  }
}
only_store_line first s.sqlite 1
only_store_line second s.sqlite 2
run resumed "$KCUBE" run m.yaml --store s.sqlite --quiet --set run.seed=2 --resume
only_store_line resumed s.sqlite 2
sed 's/^  trials: 20$/  trails: 20/' m.yaml >typo.yaml
expect_exit 2 typo "$KCUBE" run typo.yaml --store typo.sqlite --quiet
[[ ! -s $LOGS/typo.out ]] || { show_log typo; fail "a bad manifest under --quiet printed on stdout"; }
expect_err typo "typo.yaml:14:"
expect_err typo "did you mean 'trials'"

step "item 6: a full standard output is a failure, said once"
# full_stdout NAME ARGS...: kcube ARGS with stdout on /dev/full exits 1 with one message.
full_stdout() {
  local name=$1 rc=0
  shift
  "$KCUBE" "$@" >/dev/full 2>"$LOGS/$name.err" || rc=$?
  : >"$LOGS/$name.out"
  [[ $rc -eq 1 ]] || {
    show_log "$name"
    fail "$name: 'kcube $*' >/dev/full exited $rc, expected 1"
  }
  expect_eq "$name: 'cannot write output' lines" \
    "$(grep -c '^failure: cannot write output: No space left on device$' "$LOGS/$name.err")" 1
}
full_stdout version --version
full_stdout help --help
full_stdout command-help export --help
full_stdout plugins-list plugins list
full_stdout plugins-json plugins list --json
full_stdout plugins-describe plugins describe budget
full_stdout select select cands.csv --scenario budget:parallelism=4 --optimizer accuracy-max
full_stdout select-json select cands.csv --scenario budget:parallelism=4 --optimizer accuracy-max --json
full_stdout simulate simulate --profile "$GAUSSIAN" --scenario budget:k_max=8 --trials 20
full_stdout validate validate m.yaml
full_stdout runs runs s.sqlite
full_stdout export export s.sqlite --table candidates
full_stdout export-json export s.sqlite --table selections --format json
full_stdout compare compare s.sqlite --all
full_stdout report report s.sqlite --out report-full --no-figures
full_stdout merge merge merged.sqlite s.sqlite:1
full_stdout run run m.yaml --store full-run.sqlite

step "item 6: -o FILE is checked the same way"
expect_exit 1 export-o "$KCUBE" export s.sqlite --table candidates -o /dev/full
expect_err export-o "kcube export: cannot write '/dev/full': No space left on device"
expect_exit 1 simulate-o "$KCUBE" simulate --profile "$GAUSSIAN" --scenario budget:k_max=8 \
  --trials 20 -o /dev/full
expect_err simulate-o "kcube simulate: cannot write '/dev/full': No space left on device"

step "item 6: a closed pipe is still a quiet 141"
# 16 runs of 8 replications x 64 values of k: far more than a pipe holds, so kcube is still
# writing when head has gone.
set +o pipefail
"$KCUBE" export s.sqlite --table candidates 2>"$LOGS/pipe.err" | head -n 1 >"$LOGS/pipe.out"
rc=${PIPESTATUS[0]}
set -o pipefail
expect_eq "kcube export | head -1: exit code" "$rc" 141
[[ ! -s $LOGS/pipe.err ]] || {
  show_log pipe
  fail "kcube export | head -1 printed a message"
}
expect_out pipe "run_id,replication,profile"

step "item 10: manifest keys reach the terminal escaped, NUL included"
{
  cat m.yaml
  printf '"key\\0with NUL and \\e]0;owned\\a title": 1\n'
} >keys.yaml
expect_exit 2 keys "$KCUBE" validate keys.yaml
no_raw_controls keys
expect_err keys "unknown key 'key\\x00with NUL and \\x1b]0;owned\\x07 title'"
expect_err keys "; allowed: kcube, experiment"

step "item 10: a plugin's summary and version reach the terminal escaped"
run plugins-list "$KCUBE" --plugin-path "$PLUGINS" plugins list
no_raw_controls plugins-list
expect_out plugins-list "test fixture \\x1b]0;owned\\x07 <script>"
run plugins-describe "$KCUBE" --plugin-path "$PLUGINS" plugins describe hostile-optimizer
no_raw_controls plugins-describe
expect_out plugins-describe "hostile-optimizer 0.0.1\\x1b[31m"
expect_out plugins-describe "\\xc2\\x9b2J"

step "item 10: a plugin's message reaches the terminal escaped and report.md as text"
cat >hostile.yaml <<'EOF'
kcube: 1
experiment: hostile
description: |
  A description with `code` and <b>bold</b>. The report fences this manifest; the next lines
  must not end the fence:
  ```
  </details><script>alert(2)</script>
  ```
profiles:
  p:
    plugin: gaussian
    params: {c_in: 1e-6, c_out: 1e-6, t_in: 0.001, t_out: 0.01, acc_mean: 0.5, acc_std: 0.1}
scenarios:
  s:
    plugin: budget
    params: {cost_max: 1, k_max: 16}
optimizers:
  h:
    plugin: hostile-optimizer
    params:
      message: "<script>alert(1)</script> [x](javascript:alert(1)) \e]0;owned\a"
run:
  trials: 20
EOF
expect_exit 1 hostile "$KCUBE" --plugin-path "$PLUGINS" run hostile.yaml --store h.sqlite --quiet
no_raw_controls hostile
expect_err hostile "failed: "
# --quiet (13.8): the failed cell on stderr, and nothing else; the store line alone on stdout.
expect_eq "stdout of a failed run --quiet" "$(cat "$LOGS/hostile.out")" "store: h.sqlite (run 1)"
expect_eq "stderr lines of a failed run --quiet that are not the failed cell" \
  "$(grep -cv "^kcube run: cell 'p|s||0' failed: h: optimizer 'hostile-optimizer'" "$LOGS/hostile.err")" 0
expect_err hostile "\\x1b]0;owned\\x07"
run report "$KCUBE" --plugin-path "$PLUGINS" report h.sqlite --out h-report --no-figures
no_raw_controls report
md=h-report/report.md
[[ -f $md ]] || fail "no $md"
LC_ALL=C grep -qaP '[\x00\x07\x1b]' "$md" && fail "$md holds a raw control character"
# The message is in the list of failed cells, as text.
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt; \[x\](javascript:alert(1)) \\x1b\]0;owned\\x07' \
  "$md" || fail "$md lacks the escaped plugin message"
# Outside the manifest's fence there is no raw HTML and no link; the manifest sits whole inside
# a fence of four backticks, its own ``` lines and its <script> within it.
awk '
  /^````$/ { fences++; next }
  fences != 1 && (/<script/ || /<b>/ || /\[x\]\(javascript:/) { print "raw outside the fence: " $0; bad = 1 }
  fences == 1 && /^  <\/details><script>alert\(2\)<\/script>$/ { inside = 1 }
  END { exit !(fences == 2 && inside && !bad) }
' "$md" >&2 || fail "$md: raw HTML or a link outside the manifest fence, or the fence broke"
html=h-report/report.html
grep -qF '<script>alert' "$html" && fail "$html carries <script> raw"

step "12: kcube select - ends on an endless stream of bad rows"
# `timeout` is only a safety net: the reader stops after 1000 errors, or 100,000 lines after the
# first error, in well under a second.
rc=0
{ echo k,cost,latency,accuracy; yes 'bad,row'; } |
  timeout 20 "$KCUBE" select - --scenario budget:parallelism=4 --optimizer accuracy-max \
    >"$LOGS/endless.out" 2>"$LOGS/endless.err" || rc=$?
expect_eq "endless bad rows: exit code" "$rc" 2
expect_err endless "<stdin>:2: the row has 2 fields"
expect_err endless "... and 980 more errors; reading stopped before line 1002, after 1000 errors"
rc=0
yes 'bad,row' | timeout 20 "$KCUBE" select - --scenario budget:parallelism=4 \
  --optimizer accuracy-max >"$LOGS/endless-header.out" 2>"$LOGS/endless-header.err" || rc=$?
expect_eq "endless bad rows under a bad header: exit code" "$rc" 2
expect_err endless-header "<stdin>:1: the header lacks the required columns 'k', 'cost', 'latency', 'accuracy' (its other columns 'bad', 'row' are not read)"
expect_err endless-header "... reading stopped before line 100002, 100000 lines after the first error"
