#!/usr/bin/env bash
# report.plot: tools/kcube_plot.py draws every figure kind of tests/report/data/plot-sample.json
# (which also holds the edge cases: a single k, no feasible k, all budgets null, no picks, bands
# absent or null, k in powers of two, zero costs on a log axis, 12 profiles, a display name as a
# legend label, sweeps on a numeric axis with a rule that picks nothing and on named values,
# costs and latencies all 0, a log without answers and without predictions; the figures added
# for issue 19 draw synthetic curves) as valid PNG and SVG files (PNG: all of them; SVG: one per
# kind), the same bytes whatever --jobs; no text of any of them is cut off (the plotter checks
# every figure it saves, and a figure with a text pushed past its edge fails); bad input exits
# 2 naming the figure and the field; --check exits 0, and 3 with an install hint when
# matplotlib cannot be imported.
#   usage: bash test_plot.sh [REPO_ROOT]     (default: two levels up from this script)
#   env:   KCUBE_PYTHON  the interpreter to test with (default /usr/bin/python3);
#          KCUBE_PLOT_KEEP=1 keeps the files for a post-mortem
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$here/../..}" && pwd)"
py="${KCUBE_PYTHON:-/usr/bin/python3}"
plot="$root/tools/kcube_plot.py"
sample="$root/tests/report/data/plot-sample.json"
# shellcheck source=../support/harness.sh
source "$here/../support/harness.sh"
HARNESS_PREFIX="test_plot: "
harness_init kcube-plot-test "${TMPDIR:-/tmp}" KCUBE_PLOT_KEEP
work=$WORK
LOGS=$work  # the plotter's logs sit beside the figures

pass() { echo "test_plot: ok: $*"; }

# plot_exits EXPECTED_STATUS NAME ARGS...: runs the plotter (logged as NAME in $work), which must
# exit EXPECTED_STATUS.
plot_exits() {
  local want=$1 name=$2
  shift 2
  expect_exit "$want" "$name" "$py" "$plot" "$@"
}

[[ -f $plot ]] || fail "no $plot"
[[ -f $sample ]] || fail "no $sample"

# --check
plot_exits 0 check --check
pass "--check exits 0 with $py"

# The sample covers every kind; list its outputs.
"$py" - "$sample" >"$work/outputs.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
kinds = {f["kind"] for f in d["figures"]}
missing = {"space3d", "accuracy", "efficiency", "fronts", "sweep", "aggregators",
           "fit"} - kinds
if missing:
    sys.exit("sample lacks kinds: %s" % sorted(missing))
for f in d["figures"]:
    print(f["output"])
PY
n=$(wc -l <"$work/outputs.txt")
[[ $n -ge 4 ]] || fail "sample lists $n figures"

# PNG, two jobs, default root = the JSON's folder.
mkdir -p "$work/png2"
cp "$sample" "$work/png2/data.json"
plot_exits 0 png2 "$work/png2/data.json" --jobs 2
[[ $(wc -l <"$work/png2.out") -eq $n ]] || fail "png2: printed $(wc -l <"$work/png2.out") lines, expected $n"
while IFS= read -r out; do
  f="$work/png2/$out"
  [[ -s $f ]] || fail "png2: $out missing or empty"
  sig=$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')
  [[ $sig == 89504e470d0a1a0a ]] || fail "png2: $out is not a PNG (signature $sig)"
  grep -qxF -- "$f" "$work/png2.out" || fail "png2: $out not reported on stdout"
done <"$work/outputs.txt"
pass "$n PNG figures written (--jobs 2, default root)"

# Nothing cut off: every PNG above was saved only after its texts were found inside it. That
# check must be able to fail: a figure with a text placed past its right edge and left out of
# the tight box (as matplotlib 3.6 leaves out the labels of 3D axes) is refused, naming the text.
"$py" - "$plot" "$sample" "$work/overflow" <<'PY' || fail "the cut-off check (above)"
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("kcube_plot", sys.argv[1])
kp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kp)
_, dpi, figures = kp.validate(json.load(open(sys.argv[2])))
kp._setup()
for kind in ("accuracy", "space3d"):
    fig_spec = next(f for f in figures if f["kind"] == kind)
    draw = kp.DRAW[kind]

    def overflowing(spec, dpi, draw=draw):
        fig = draw(spec, dpi)
        fig.text(1.02, 0.5, "deliberately past the edge", in_layout=False)
        return fig
    kp.DRAW[kind] = overflowing
    path = os.path.join(sys.argv[3], kind + ".png")
    _, _, error = kp.draw_one((fig_spec, path, "png", dpi))
    assert error is not None and '"deliberately past the edge" is cut off at the right' in error, \
        (kind, error)
    assert not os.path.exists(path), "a cut-off figure was written: " + path
    kp.DRAW[kind] = draw
    _, _, error = kp.draw_one((fig_spec, path, "png", dpi))
    assert error is None and os.path.getsize(path) > 0, (kind, error)
print("cut-off texts refused, the same figures without them drawn")
PY
pass "a text past a figure's edge fails the figure (accuracy, space3d)"

# The rest draws one figure of each kind (the first), not all $n: drawing is what takes the time,
# and the edge cases above do not depend on the format or the number of jobs.
"$py" - "$sample" "$work/kinds.json" "$work/svg.json" "$work/kinds.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
seen, figures = set(), []
for f in d["figures"]:
    if f["kind"] not in seen:
        seen.add(f["kind"])
        figures.append(f)
d["figures"] = figures
json.dump(d, open(sys.argv[2], "w"))
with open(sys.argv[4], "w") as out:
    for f in figures:
        print(f["output"], file=out)
d["format"] = "svg"
for f in figures:
    f["output"] = f["output"].rsplit(".", 1)[0] + ".svg"
json.dump(d, open(sys.argv[3], "w"))
PY
kinds=$(wc -l <"$work/kinds.txt")

# The same bytes with one job and an explicit root.
plot_exits 0 png1 "$work/kinds.json" --root "$work/png1" --jobs 1
while IFS= read -r out; do
  cmp -s "$work/png1/$out" "$work/png2/$out" || fail "$out differs between --jobs 1 and 2"
done <"$work/kinds.txt"
pass "PNG files identical with --jobs 1 and --jobs 2 ($kinds kinds)"

# SVG: every file parses as XML, carries no date, and is the same with --jobs 1 and 2.
plot_exits 0 svg "$work/svg.json" --root "$work/svg" --jobs 2
plot_exits 0 svg-again "$work/svg.json" --root "$work/svg-again" --jobs 1
while IFS= read -r out; do
  f="$work/svg/${out%.*}.svg"
  [[ -s $f ]] || fail "svg: ${out%.*}.svg missing or empty"
  "$py" -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith("svg"), r.tag' "$f" \
    || fail "svg: ${out%.*}.svg does not parse as SVG"
  if grep -q "<dc:date>" "$f"; then fail "svg: ${out%.*}.svg has a date"; fi
  cmp -s "$f" "$work/svg-again/${out%.*}.svg" || fail "svg: ${out%.*}.svg differs between runs"
done <"$work/kinds.txt"
pass "$kinds SVG figures (one per kind) parse as XML, are dateless and reproducible"

# Bad input: exit 2, naming the figure (index and output) and the field.
"$py" - "$sample" "$work" <<'PY'
import copy, json, sys
d = json.load(open(sys.argv[1]))
first = {}
for i, f in enumerate(d["figures"]):
    first.setdefault(f["kind"], i)

def bad(name, change):
    e = copy.deepcopy(d)
    change(e)
    with open("%s/bad-%s.json" % (sys.argv[2], name), "w") as out:
        json.dump(e, out)

acc, fr = first["accuracy"], first["fronts"]
bad("version", lambda e: e.update(kcube_plot=2))
bad("kind", lambda e: e["figures"][acc].update(kind="pie"))
bad("length", lambda e: e["figures"][acc]["candidates"]["cost"].pop())
bad("missing", lambda e: e["figures"][first["space3d"]]["budget"].pop("latency_max"))
bad("series", lambda e: e["figures"][fr]["series"][1].pop("accuracy"))
bad("feasible", lambda e: e["figures"][acc]["candidates"]["feasible"].__setitem__(0, 1))
bad("null", lambda e: e["figures"][acc]["candidates"]["accuracy"].__setitem__(0, None))
bad("format", lambda e: e.update(format="gif"))
bad("sweep", lambda e: e["figures"][first["sweep"]]["series"][0]["k"].pop())
bad("fit", lambda e: e["figures"][first["fit"]]["predictions"]["pass_hi"].pop())
with open("%s/figures.txt" % sys.argv[2], "w") as out:
    print(acc, d["figures"][acc]["output"], first["space3d"],
          d["figures"][first["space3d"]]["output"], fr, first["sweep"], first["fit"], file=out)
PY
read -r acc acc_out s3d s3d_out fr sw fit <"$work/figures.txt"
plot_exits 2 bad-version "$work/bad-version.json" --root "$work/bad"
expect_err bad-version "kcube_plot: version 2"
plot_exits 2 bad-kind "$work/bad-kind.json" --root "$work/bad"
expect_err bad-kind "figure $acc ($acc_out): kind:"
plot_exits 2 bad-length "$work/bad-length.json" --root "$work/bad"
expect_err bad-length "figure $acc ($acc_out): candidates.cost:"
plot_exits 2 bad-missing "$work/bad-missing.json" --root "$work/bad"
expect_err bad-missing "figure $s3d ($s3d_out): budget.latency_max: missing"
plot_exits 2 bad-series "$work/bad-series.json" --root "$work/bad"
expect_err bad-series "figure $fr ("
expect_err bad-series "series[1].accuracy: missing"
plot_exits 2 bad-feasible "$work/bad-feasible.json" --root "$work/bad"
expect_err bad-feasible "candidates.feasible[0]"
plot_exits 2 bad-null "$work/bad-null.json" --root "$work/bad"
expect_err bad-null "candidates.accuracy[0]"
plot_exits 2 bad-sweep "$work/bad-sweep.json" --root "$work/bad"
expect_err bad-sweep "figure $sw ("
expect_err bad-sweep "series[0].k: has 2 values, expected 3"
plot_exits 2 bad-fit "$work/bad-fit.json" --root "$work/bad"
expect_err bad-fit "figure $fit ("
expect_err bad-fit "predictions.pass_hi: has 1 values, expected 2"
plot_exits 2 bad-format "$work/bad-format.json" --root "$work/bad"
expect_err bad-format "format:"
printf '{"kcube_plot": 1, "figures": [' >"$work/bad-json.json"
plot_exits 2 bad-json "$work/bad-json.json" --root "$work/bad"
expect_err bad-json "not valid JSON"
plot_exits 2 bad-file "$work/no-such-file.json"
expect_err bad-file "cannot read"
[[ ! -e $work/bad ]] || fail "bad input still wrote files"
pass "bad input exits 2 naming the figure and the field, and writes nothing"

# matplotlib missing (simulated by a matplotlib that cannot be imported): exit 3 with the hint.
mkdir -p "$work/nompl/matplotlib"
echo 'raise ImportError("simulated: no matplotlib")' >"$work/nompl/matplotlib/__init__.py"
status=0
PYTHONPATH="$work/nompl" "$py" "$plot" --check 2>"$work/nompl-check.err" || status=$?
[[ $status -eq 3 ]] || fail "--check without matplotlib: exit $status, expected 3"
expect_err nompl-check "sudo apt-get install python3-matplotlib python3-numpy"
status=0
PYTHONPATH="$work/nompl" "$py" "$plot" "$sample" --root "$work/nompl-out" \
  >/dev/null 2>"$work/nompl-run.err" || status=$?
[[ $status -eq 3 ]] || fail "drawing without matplotlib: exit $status, expected 3"
expect_err nompl-run "python3-matplotlib"
pass "without matplotlib: exit 3 with the apt-get hint"

echo "test_plot: all checks passed"
