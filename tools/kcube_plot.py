#!/usr/bin/env python3
"""Draws the figures of a kcube report from the JSON that `kcube report` writes.

Usage
  kcube_plot.py DATA.json [--root DIR] [--jobs N]
  kcube_plot.py --check

Each figure of DATA.json is drawn into its `output` path, relative to --root (default: the folder
of DATA.json); parent folders are created and each file is written atomically (temporary file,
then rename). One line per file written is printed to stdout, in the order of the figures: the
path as DIR/output. --jobs N draws N figures at a time (default min(4, CPUs)); the files do not
depend on N, and drawing the same JSON twice gives the same bytes (no dates or versions in the
PNG/SVG metadata).

Exit status
  0  every figure written
  1  a figure failed to draw (a bug here: the message names the figure)
  2  bad input: unreadable JSON, wrong version, unknown kind, missing or malformed field, arrays
     of different lengths; every problem is printed as "figure I (OUTPUT): FIELD: problem"
  3  matplotlib or numpy is missing (a hint how to install them is printed)
--check exits 0 when matplotlib and numpy import, 3 otherwise.

Input, version 1 (costs in USD per request, latencies in seconds per request, accuracy as a
fraction in [0, 1]; every number finite):
  {"kcube_plot": 1, "format": "png" | "svg" (default png), "dpi": 110 (default 110),
   "figures": [FIGURE, ...]}
  FIGURE, by kind ("title" is optional everywhere, "picks" optional = none):
   space3d       output, candidates, budget, picks, utopia (optional: {cost, latency, accuracy})
   accuracy      output, candidates, budget, picks
   cost-latency  output, candidates, budget, picks
   fronts        output, budget, series [{profile, label (optional), k, cost, latency, accuracy,
                 feasible}], pooled_pareto (optional) [{profile, k, cost, latency, accuracy}]
   sweep         output, parameter (the swept path), values (its values as strings, at least
                 one), x (null, or the values as numbers), series [{label, k, accuracy, cost}]
                 with k (integers), accuracy and cost one per value, each element null where
                 the rule picked nothing; no budget
  profile is a key; label, when given, is the name shown in the legend (default: profile).
  candidates: k (strictly increasing integers, at least one), cost, latency, accuracy, feasible
    (booleans), cube (number or null) all of the same length; optional, each absent or null or of
    the same length (elements may be null): accuracy_p025, accuracy_p975, accuracy_se, cost_p025,
    cost_p975, cost_se, latency_p025, latency_p975, latency_se.
  budget: {cost_max, latency_max, accuracy_min}, each a number or null (unbounded); all required.
  pick: {optimizer, k, cost, latency, accuracy}.
The extension of every output must match "format". Uses only the standard library, numpy and
matplotlib (Agg backend).
"""

import argparse
import json
import math
import multiprocessing
import os
import sys
import textwrap

VERSION = 1
KINDS = ("space3d", "accuracy", "cost-latency", "fronts", "sweep", "aggregators")
INSTALL_HINT = ("kcube_plot: drawing figures needs matplotlib and numpy, and {py} cannot "
                "import them.\n"
                "On Debian or Ubuntu: sudo apt-get install python3-matplotlib python3-numpy\n"
                "(those serve /usr/bin/python3; another Python needs its own copies, e.g. "
                "{py} -m pip install matplotlib numpy)")

EXIT_OK, EXIT_DRAW, EXIT_INPUT, EXIT_DEPS = 0, 1, 2, 3


# --------------------------------------------------------------------------------------------
# Validation: pure Python, no matplotlib. Turns the JSON into plain dicts of lists of floats.
# --------------------------------------------------------------------------------------------

class InputError(Exception):
    pass


class Checker:
    """Collects problems of one figure as 'figure I (OUTPUT): FIELD: message'."""

    def __init__(self, where):
        self.where = where
        self.problems = []

    def bad(self, field, message):
        self.problems.append("%s: %s: %s" % (self.where, field, message))
        return None


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _number(chk, obj, key, field, nullable=False, required=True):
    if key not in obj:
        if required:
            return chk.bad(field, "missing")
        return None
    v = obj[key]
    if v is None and nullable:
        return None
    if not _is_number(v):
        return chk.bad(field, "expected a finite number%s, got %s"
                       % (" or null" if nullable else "", json.dumps(v)[:40]))
    return float(v)


def _integer(chk, obj, key, field):
    if key not in obj:
        return chk.bad(field, "missing")
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
            or int(v) != v:
        return chk.bad(field, "expected an integer, got %s" % json.dumps(v)[:40])
    return int(v)


def _string(chk, obj, key, field, required=True):
    if key not in obj or obj[key] is None:
        if required:
            return chk.bad(field, "missing")
        return ""
    if not isinstance(obj[key], str):
        return chk.bad(field, "expected a string, got %s" % json.dumps(obj[key])[:40])
    return obj[key]


def _object(chk, obj, key, field, required=True):
    if key not in obj or (obj[key] is None and not required):
        if required:
            return chk.bad(field, "missing")
        return None
    if not isinstance(obj[key], dict):
        return chk.bad(field, "expected an object, got %s" % json.dumps(obj[key])[:40])
    return obj[key]


def _array(chk, obj, key, field, elem, n=None, required=True, nullable_elems=False):
    """A list of `elem` ('number', 'bool', 'int'); None when absent (and not required)."""
    if key not in obj or (obj[key] is None and not required):
        if required:
            chk.bad(field, "missing")
        return None
    arr = obj[key]
    if not isinstance(arr, list):
        chk.bad(field, "expected an array, got %s" % json.dumps(arr)[:40])
        return None
    if n is not None and len(arr) != n:
        chk.bad(field, "has %d values, expected %d (one per k)" % (len(arr), n))
        return None
    out = []
    for i, v in enumerate(arr):
        if v is None and nullable_elems:
            out.append(float("nan"))
        elif elem == "bool" and isinstance(v, bool):
            out.append(v)
        elif elem == "int" and not isinstance(v, bool) and isinstance(v, (int, float)) \
                and math.isfinite(v) and int(v) == v:
            out.append(int(v))
        elif elem == "number" and _is_number(v):
            out.append(float(v))
        else:
            want = {"bool": "true or false", "int": "an integer",
                    "number": "a finite number"}[elem]
            chk.bad("%s[%d]" % (field, i), "expected %s%s, got %s"
                    % (want, " or null" if nullable_elems else "", json.dumps(v)[:40]))
            return None
    return out


def _ks(chk, obj, field):
    ks = _array(chk, obj, "k", field + ".k", "int")
    if ks is None:
        return None
    if not ks:
        chk.bad(field + ".k", "is empty")
        return None
    for i in range(1, len(ks)):
        if ks[i] <= ks[i - 1]:
            chk.bad(field + ".k", "must be strictly increasing (k[%d]=%d after %d)"
                    % (i, ks[i], ks[i - 1]))
            return None
    return ks


BAND_FIELDS = tuple("%s_%s" % (m, s) for m in ("accuracy", "cost", "latency")
                    for s in ("p025", "p975", "se"))


def _candidates(chk, fig, field="candidates"):
    obj = _object(chk, fig, "candidates", field)
    if obj is None:
        return None
    ks = _ks(chk, obj, field)
    if ks is None:
        return None
    n = len(ks)
    c = {"k": ks}
    for key in ("cost", "latency", "accuracy"):
        c[key] = _array(chk, obj, key, "%s.%s" % (field, key), "number", n)
    c["feasible"] = _array(chk, obj, "feasible", field + ".feasible", "bool", n)
    c["cube"] = _array(chk, obj, "cube", field + ".cube", "number", n, nullable_elems=True)
    for key in BAND_FIELDS:
        c[key] = _array(chk, obj, key, "%s.%s" % (field, key), "number", n, required=False,
                        nullable_elems=True)
    return c


def _budget(chk, fig):
    obj = _object(chk, fig, "budget", "budget")
    if obj is None:
        return None
    return {key: _number(chk, obj, key, "budget." + key, nullable=True)
            for key in ("cost_max", "latency_max", "accuracy_min")}


def _point(chk, obj, field, with_optimizer=False, with_profile=False):
    p = {}
    if with_optimizer:
        p["optimizer"] = _string(chk, obj, "optimizer", field + ".optimizer")
    if with_profile:
        p["profile"] = _string(chk, obj, "profile", field + ".profile")
    p["k"] = _integer(chk, obj, "k", field + ".k")
    for key in ("cost", "latency", "accuracy"):
        p[key] = _number(chk, obj, key, "%s.%s" % (field, key))
    return p


def _points(chk, fig, key, **kw):
    if key not in fig or fig[key] is None:
        return []
    arr = fig[key]
    if not isinstance(arr, list):
        chk.bad(key, "expected an array, got %s" % json.dumps(arr)[:40])
        return []
    out = []
    for i, obj in enumerate(arr):
        field = "%s[%d]" % (key, i)
        if not isinstance(obj, dict):
            chk.bad(field, "expected an object")
            continue
        out.append(_point(chk, obj, field, **kw))
    return out


def _series(chk, fig):
    if "series" not in fig:
        chk.bad("series", "missing")
        return []
    arr = fig["series"]
    if not isinstance(arr, list):
        chk.bad("series", "expected an array")
        return []
    if not arr:
        chk.bad("series", "is empty")
    out = []
    for i, obj in enumerate(arr):
        field = "series[%d]" % i
        if not isinstance(obj, dict):
            chk.bad(field, "expected an object")
            continue
        s = {"profile": _string(chk, obj, "profile", field + ".profile")}
        label = _string(chk, obj, "label", field + ".label", required=False)
        s["label"] = label if label else s["profile"]
        ks = _ks(chk, obj, field)
        if ks is None:
            continue
        s["k"] = ks
        for key in ("cost", "latency", "accuracy"):
            s[key] = _array(chk, obj, key, "%s.%s" % (field, key), "number", len(ks))
        s["feasible"] = _array(chk, obj, "feasible", field + ".feasible", "bool", len(ks))
        s["samples_used"] = _array(chk, obj, "samples_used", field + ".samples_used", "number",
                                   len(ks), required=False)
        out.append(s)
    return out


def _sweep(chk, fig):
    """The fields of a "sweep" figure: parameter, values, x and series."""
    out = {"parameter": _string(chk, fig, "parameter", "parameter")}
    values = fig.get("values")
    if not isinstance(values, list) or not values \
            or not all(isinstance(v, str) for v in values):
        chk.bad("values", "expected a non-empty array of strings")
        return None
    n = len(values)
    out["values"] = values
    out["x"] = _array(chk, fig, "x", "x", "number", n, required=False)
    arr = fig.get("series")
    if not isinstance(arr, list) or not arr:
        chk.bad("series", "expected a non-empty array")
        return None
    out["series"] = []
    for i, obj in enumerate(arr):
        field = "series[%d]" % i
        if not isinstance(obj, dict):
            chk.bad(field, "expected an object")
            continue
        s = {"label": _string(chk, obj, "label", field + ".label")}
        s["k"] = _array(chk, obj, "k", field + ".k", "int", n, nullable_elems=True)
        for key in ("accuracy", "cost"):
            s[key] = _array(chk, obj, key, "%s.%s" % (field, key), "number", n,
                            nullable_elems=True)
        out["series"].append(s)
    return out


def validate(data, fmt_default="png"):
    """Returns (format, dpi, [figure dict]) or raises InputError listing every problem."""
    top = Checker("input")
    if not isinstance(data, dict):
        raise InputError("input: expected a JSON object at the top level")
    if "kcube_plot" not in data:
        top.bad("kcube_plot", "missing (the format version, 1)")
    elif data["kcube_plot"] != VERSION or isinstance(data["kcube_plot"], bool):
        top.bad("kcube_plot", "version %s is not supported (this script reads version %d)"
                % (json.dumps(data["kcube_plot"])[:20], VERSION))
    fmt = data.get("format", fmt_default)
    if fmt not in ("png", "svg"):
        top.bad("format", 'expected "png" or "svg", got %s' % json.dumps(fmt)[:40])
    dpi = data.get("dpi", 110)
    if not _is_number(dpi) or not 10 <= dpi <= 1200:
        top.bad("dpi", "expected a number between 10 and 1200, got %s" % json.dumps(dpi)[:40])
    figures = data.get("figures")
    if not isinstance(figures, list):
        top.bad("figures", "missing or not an array")
        figures = []
    problems = list(top.problems)
    out = []
    seen = {}
    for i, fig in enumerate(figures):
        if not isinstance(fig, dict):
            problems.append("figure %d: expected an object" % i)
            continue
        output = fig.get("output")
        chk = Checker("figure %d (%s)" % (i, output if isinstance(output, str) else "?"))
        kind = fig.get("kind")
        if kind not in KINDS:
            chk.bad("kind", "%s is not one of %s" % (json.dumps(kind)[:40], ", ".join(KINDS)))
        if not isinstance(output, str) or not output:
            chk.bad("output", "missing or not a non-empty string")
        else:
            ext = os.path.splitext(output)[1].lower().lstrip(".")
            if fmt in ("png", "svg") and ext != fmt:
                chk.bad("output", 'extension ".%s" does not match format "%s"' % (ext, fmt))
            norm = os.path.normpath(output)
            if norm in seen:
                chk.bad("output", "also written by figure %d" % seen[norm])
            seen[norm] = i
        f = {"index": i, "kind": kind, "output": output,
             "title": _string(chk, fig, "title", "title", required=False)}
        if kind == "sweep":
            f.update(_sweep(chk, fig) or {})
        elif kind in KINDS:
            f["budget"] = _budget(chk, fig)
            if kind == "fronts":
                f["series"] = _series(chk, fig)
                f["pooled_pareto"] = _points(chk, fig, "pooled_pareto", with_profile=True)
            elif kind == "aggregators":
                f["series"] = _series(chk, fig)
            else:
                f["candidates"] = _candidates(chk, fig)
                f["picks"] = _points(chk, fig, "picks", with_optimizer=True)
            if kind == "space3d":
                u = _object(chk, fig, "utopia", "utopia", required=False)
                f["utopia"] = None
                if u is not None:
                    f["utopia"] = {key: _number(chk, u, key, "utopia." + key)
                                   for key in ("cost", "latency", "accuracy")}
        problems.extend(chk.problems)
        out.append(f)
    if problems:
        raise InputError("\n".join(problems))
    return fmt, float(dpi), out


# --------------------------------------------------------------------------------------------
# Drawing. matplotlib is imported lazily, in the process that draws.
# --------------------------------------------------------------------------------------------

_mpl = None

# Pick styles: colour and marker, in the order of the pick groups of a figure.
PICK_STYLES = [("#d62728", "D"), ("#ff7f0e", "s"), ("#9467bd", "^"), ("#e377c2", "v"),
               ("#8c564b", "P"), ("#17becf", "X"), ("#7f7f7f", "h"), ("#000000", "p")]
MAIN = "#1f4e79"        # the curve of a single profile
BAND_LIGHT = "#a6c8e8"  # 95 % of requests
BAND_DARK = "#4a7fb5"   # 95 % CI of the mean
FEASIBLE = "#2ca02c"    # feasible-k shading
BUDGET = "#b22222"      # budget lines


def _setup():
    global _mpl
    if _mpl is not None:
        return _mpl
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import ticker
    matplotlib.rcParams.update({
        "svg.hashsalt": "kcube",
        "svg.fonttype": "path",
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 8.5,
        "legend.framealpha": 0.9,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "grid.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-4, 5),
        "figure.dpi": 100,
        "path.simplify": False,
    })
    _mpl = (matplotlib, plt, np, ticker)
    return _mpl


def _title(text, width=80):
    return "\n".join(textwrap.wrap(text, width)) if text else ""


def _pick_groups(picks):
    """Picks grouped by k, in order of first appearance: [(k, pick, [optimizer...], style)]."""
    groups = []
    by_k = {}
    for p in picks:
        if p["k"] in by_k:
            groups[by_k[p["k"]]][2].append(p["optimizer"])
        else:
            by_k[p["k"]] = len(groups)
            groups.append([p["k"], p, [p["optimizer"]]])
    out = []
    for i, (k, p, names) in enumerate(groups):
        out.append((k, p, names, PICK_STYLES[i % len(PICK_STYLES)]))
    return out


def _pick_label(names, k):
    """'cube-max: k=4', or for several rules 'cube-max, knee-point: k=4', wrapped when long."""
    return "\n".join(textwrap.wrap("%s: k=%d" % (", ".join(names), k), 30,
                                    break_long_words=False, break_on_hyphens=False))


def _k_scale(ks):
    """'log2' for a wide, irregular k grid (1, 2, 4, ... 128), else 'linear'."""
    if len(ks) < 3 or ks[0] <= 0 or ks[-1] / ks[0] < 32:
        return "linear"
    diffs = {ks[i] - ks[i - 1] for i in range(1, len(ks))}
    return "linear" if len(diffs) == 1 else "log2"


def _k_edges(ks, scale):
    """Left and right edge of the cell of each k (midpoints to the neighbours)."""
    np = _mpl[2]
    x = np.log2(np.asarray(ks, float)) if scale == "log2" else np.asarray(ks, float)
    if len(x) == 1:
        half = np.array([0.4 if scale == "linear" else 0.25])
        lo, hi = x - half, x + half
    else:
        mid = (x[1:] + x[:-1]) / 2
        lo = np.concatenate([[x[0] - (x[1] - x[0]) / 2], mid])
        hi = np.concatenate([mid, [x[-1] + (x[-1] - x[-2]) / 2]])
    if scale == "log2":
        lo, hi = 2.0 ** lo, 2.0 ** hi
    return lo, hi


def _setup_k_axis(ax, ks):
    _, _, np, ticker = _mpl
    scale = _k_scale(ks)
    lo, hi = _k_edges(ks, scale)
    if scale == "log2":
        ax.set_xscale("log", base=2)
        ticks = [2 ** e for e in range(0, 31) if ks[0] <= 2 ** e <= ks[-1]]
        if ks[0] not in ticks:
            ticks = [ks[0]] + ticks
        ax.xaxis.set_major_locator(ticker.FixedLocator(ticks))
        ax.xaxis.set_minor_locator(ticker.NullLocator())
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: "%d" % round(v)))
        ax.set_xlim(lo[0], hi[-1])
    else:
        if len(ks) <= 12:
            ax.xaxis.set_major_locator(ticker.FixedLocator(ks))
        else:
            ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=9, integer=True,
                                                          steps=[1, 2, 4, 5, 8, 10]))
        if len(ks) == 1:
            ax.set_xlim(ks[0] - 1.0, ks[0] + 1.0)
        else:
            ax.set_xlim(lo[0], hi[-1])
    ax.set_xlabel("k (samples per request)")
    return scale


def _shade_feasible(ax, ks, feasible, scale):
    lo, hi = _k_edges(ks, scale)
    labelled = False
    i = 0
    while i < len(ks):
        if not feasible[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(ks) and feasible[j + 1]:
            j += 1
        ax.axvspan(lo[i], hi[j], color=FEASIBLE, alpha=0.10, lw=0, zorder=0,
                   label=None if labelled else "feasible k")
        labelled = True
        i = j + 1
    return labelled


def _band_x(ks):
    """x and a function widening a y array so that a single k still shows a band."""
    np = _mpl[2]
    if len(ks) == 1:
        k = float(ks[0])
        return np.array([k - 0.25, k + 0.25]), lambda y: np.repeat(np.asarray(y, float), 2)
    return np.asarray(ks, float), lambda y: np.asarray(y, float)


def _draw_bands(ax, c, metric, scale=1.0):
    """The p025..p975 band and the mean +- 1.96 se band of `metric`, when present."""
    np = _mpl[2]
    x, widen = _band_x(c["k"])
    mean = np.asarray(c[metric], float)
    drawn = False
    p025, p975 = c.get(metric + "_p025"), c.get(metric + "_p975")
    if p025 is not None and p975 is not None:
        lo, hi = widen(p025) * scale, widen(p975) * scale
        if np.isfinite(lo).any() and np.isfinite(hi).any():
            ax.fill_between(x, lo, hi, color=BAND_LIGHT, alpha=0.45, lw=0, zorder=1,
                            label="95 % of requests")
            drawn = True
    se = c.get(metric + "_se")
    if se is not None:
        s = widen(se) * scale
        m = widen(mean) * scale
        if np.isfinite(s).any():
            ax.fill_between(x, m - 1.96 * s, m + 1.96 * s, color=BAND_DARK, alpha=0.45, lw=0,
                            zorder=2, label="95 % CI of the mean")
            drawn = True
    return drawn


def _budget_hline(ax, value, label, data_lo, data_hi):
    """A dashed horizontal budget line; when it lies far outside the data, a note instead."""
    if value is None:
        return
    span = max(data_hi - data_lo, abs(data_hi) * 0.05, 1e-12)
    if data_lo - 0.6 * span <= value <= data_hi + 0.6 * span:
        ax.axhline(value, color=BUDGET, ls="--", lw=1.3, zorder=3, label=label)
    else:
        where = "above" if value > data_hi else "below"
        ax.text(0.99, 0.98 if where == "above" else 0.02, "%s (%s the range shown)" % (label, where),
                transform=ax.transAxes, ha="right", va="top" if where == "above" else "bottom",
                fontsize=8, color=BUDGET)


def _fmt(v):
    """A compact number for labels: 0.0123, 12.3, 0.95."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 1:
        return "%.3g" % v
    return "%.2g" % v if a < 0.01 else "%.3g" % v


def _draw_picks(ax, picks, metric, scale=1.0, with_labels=True):
    for k, p, names, (color, marker) in _pick_groups(picks):
        ax.axvline(k, color=color, ls=":", lw=1.2, zorder=3)
        ax.plot([k], [p[metric] * scale], ls="none", marker=marker, ms=8, mfc=color,
                mec="white", mew=0.8, zorder=6,
                label=_pick_label(names, k) if with_labels else None)


def _single_metric_panel(ax, c, budget, picks, metric, ylabel, budget_key, budget_label,
                         scale=1.0, pick_labels=True):
    np = _mpl[2]
    ks = c["k"]
    kscale = _setup_k_axis(ax, ks)
    _shade_feasible(ax, ks, c["feasible"], kscale)
    _draw_bands(ax, c, metric, scale)
    y = np.asarray(c[metric], float) * scale
    ax.plot(ks, y, color=MAIN, lw=1.8, marker="o", ms=3.5 if len(ks) > 24 else 5, zorder=5,
            label="mean")
    bval = budget.get(budget_key)
    _budget_hline(ax, None if bval is None else bval * scale, budget_label, float(np.min(y)),
                  float(np.max(y)))
    _draw_picks(ax, picks, metric, scale, pick_labels)
    ax.set_ylabel(ylabel)


def _no_feasible_handle(feasible):
    """A legend entry saying that no k is feasible, or None."""
    if any(feasible):
        return None
    from matplotlib.patches import Patch
    return Patch(facecolor="none", edgecolor="none", label="no feasible k")


LEGEND_ORDER = ("feasible k", "no feasible k", "95 % of requests", "95 % CI of the mean", "mean",
                "cost_max", "latency_max", "accuracy_min")


def _ordered_legend(pairs):
    """(handle, label) pairs without duplicate labels, in LEGEND_ORDER, then picks in order."""
    seen, out = set(), []
    for h, l in pairs:
        if l not in seen:
            seen.add(l)
            out.append((h, l))

    def rank(item):
        for i, prefix in enumerate(LEGEND_ORDER):
            if item[1].startswith(prefix):
                return i
        return len(LEGEND_ORDER)
    out.sort(key=rank)  # stable: picks keep their order
    return [h for h, _ in out], [l for _, l in out]


def _red_label(legend, text="no feasible k"):
    for t in legend.get_texts():
        if t.get_text() == text:
            t.set_color(BUDGET)
            t.set_fontweight("bold")


def draw_accuracy(fig_spec, dpi):
    _, plt, np, ticker = _mpl
    c, budget, picks = fig_spec["candidates"], fig_spec["budget"], fig_spec["picks"]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=dpi)
    amin = budget["accuracy_min"]
    _single_metric_panel(ax, c, budget, picks, "accuracy", "accuracy (fraction correct)",
                         "accuracy_min", "accuracy_min = %s" % (_fmt(amin) if amin is not None
                                                                else ""))
    ax.set_title(_title(fig_spec["title"]))
    pairs = list(zip(*ax.get_legend_handles_labels()))
    nf = _no_feasible_handle(c["feasible"])
    if nf is not None:
        pairs.append((nf, nf.get_label()))
    handles, labels = _ordered_legend(pairs)
    leg = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                    borderaxespad=0.0)
    _red_label(leg)
    fig.tight_layout()
    return fig


def draw_cost_latency(fig_spec, dpi):
    _, plt, np, ticker = _mpl
    c, budget, picks = fig_spec["candidates"], fig_spec["budget"], fig_spec["picks"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7, 4.5), dpi=dpi)
    cmax, tmax = budget["cost_max"], budget["latency_max"]
    _single_metric_panel(ax1, c, budget, picks, "cost", "cost (USD per request)", "cost_max",
                         "cost_max" + (" = $%s" % _fmt(cmax) if cmax is not None else ""))
    _single_metric_panel(ax2, c, budget, picks, "latency", "latency (s per request)",
                         "latency_max",
                         "latency_max" + (" = %s s" % _fmt(tmax) if tmax is not None else ""),
                         pick_labels=False)
    ax1.set_title("cost")
    ax2.set_title("latency")
    if fig_spec["title"]:
        fig.suptitle(_title(fig_spec["title"], 90), fontsize=11)
    # One legend for both panels, below them.
    pairs = list(zip(*ax1.get_legend_handles_labels())) + \
        list(zip(*ax2.get_legend_handles_labels()))
    nf = _no_feasible_handle(c["feasible"])
    if nf is not None:
        pairs.append((nf, nf.get_label()))
    handles, labels = _ordered_legend(pairs)
    fig.tight_layout()
    ncol = 3 if len(labels) > 4 else max(1, len(labels))
    leg = fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
                     frameon=False)
    _red_label(leg)
    return fig


def _box_edges(x1, y1, z0, z1):
    x0, y0 = 0.0, 0.0
    corners = [(x, y, z) for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)]
    edges = []
    for a in range(8):
        for b in range(a + 1, 8):
            diff = sum(1 for i in range(3) if corners[a][i] != corners[b][i])
            if diff == 1:
                edges.append((corners[a], corners[b]))
    return edges


def draw_space3d(fig_spec, dpi):
    matplotlib, plt, np, ticker = _mpl
    from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the projection)
    from matplotlib.lines import Line2D
    c, budget, picks = fig_spec["candidates"], fig_spec["budget"], fig_spec["picks"]
    cost = np.asarray(c["cost"], float)
    lat = np.asarray(c["latency"], float)
    acc = np.asarray(c["accuracy"], float)
    feas = np.asarray(c["feasible"], bool)
    cube = np.asarray(c["cube"], float)

    fig = plt.figure(figsize=(7, 4.5), dpi=dpi)
    # Left column: legend, then the colour bar; right: the 3D axes.
    ax = fig.add_axes([0.29, 0.02, 0.63, 0.9], projection="3d")
    ax.set_box_aspect(None, zoom=0.95)
    ax.computed_zorder = False  # draw in zorder: box, points, picks, utopia
    handles = []

    inf = ~feas
    if inf.any():
        ax.scatter(cost[inf], lat[inf], acc[inf], s=10, c="#a8a8a8", depthshade=False,
                   edgecolors="none", zorder=2)
        handles.append(Line2D([], [], ls="none", marker="o", ms=4, color="#a8a8a8",
                              label="infeasible k"))
    good = feas & np.isfinite(cube)
    sc = None
    if good.any():
        vmin, vmax = float(cube[good].min()), float(cube[good].max())
        if vmax <= vmin:  # one value: a bar from 0 to it
            vmin, vmax = min(0.0, vmin), max(vmax, vmin + 1e-9) if vmax > 0 else 1.0
        norm = matplotlib.colors.Normalize(vmin, vmax)
        sc = ax.scatter(cost[good], lat[good], acc[good], s=28, c=cube[good], cmap="viridis",
                        norm=norm, depthshade=False, edgecolors="k", linewidths=0.3, zorder=3)
        handles.append(Line2D([], [], ls="none", marker="o", ms=5.5,
                              mfc=plt.get_cmap("viridis")(0.6), mec="k", mew=0.3,
                              label="feasible k"))
    nocube = feas & ~np.isfinite(cube)
    if nocube.any():
        ax.scatter(cost[nocube], lat[nocube], acc[nocube], s=28, c="#555555", depthshade=False,
                   zorder=3)
        handles.append(Line2D([], [], ls="none", marker="o", ms=5.5, color="#555555",
                              label="feasible k (no cube volume)"))
    if not feas.any():
        handles.append(_no_feasible_handle(c["feasible"]))

    # The budget box [0, cost_max] x [0, latency_max] x [accuracy_min, 1]; an unbounded side
    # reaches 5 % past the data.
    u = fig_spec.get("utopia")
    cmax = budget["cost_max"] if budget["cost_max"] is not None else max(cost.max(), 0) * 1.05
    tmax = budget["latency_max"] if budget["latency_max"] is not None \
        else max(lat.max(), 0) * 1.05
    amin = budget["accuracy_min"] if budget["accuracy_min"] is not None else acc.min()
    for a, b in _box_edges(cmax, tmax, amin, 1.0):
        ax.plot(*zip(a, b), color=BUDGET, lw=0.9, ls="--", alpha=0.8, zorder=1)
    handles.append(Line2D([], [], color=BUDGET, lw=0.9, ls="--", label="budget box"))

    for k, p, names, (color, marker) in _pick_groups(picks):
        ax.scatter([p["cost"]], [p["latency"]], [p["accuracy"]], s=120, marker=marker,
                   facecolors="none", edgecolors=color, linewidths=2.0, depthshade=False,
                   zorder=5)
        handles.append(Line2D([], [], ls="none", marker=marker, ms=9, mfc="none", mec=color,
                              mew=2.0, label=_pick_label(names, k)))
    if u is not None:
        ax.scatter([u["cost"]], [u["latency"]], [u["accuracy"]], s=170, marker="*",
                   c="#ffbf00", edgecolors="k", linewidths=0.6, depthshade=False, zorder=6)
        ax.text(u["cost"], u["latency"], u["accuracy"], "    utopia", fontsize=8.5, zorder=6,
                va="center")
        handles.append(Line2D([], [], ls="none", marker="*", ms=11, mfc="#ffbf00", mec="k",
                              mew=0.6, label="utopia"))

    ax.set_xlabel("cost (USD/request)", labelpad=4)
    ax.set_ylabel("latency (s/request)", labelpad=4)
    ax.set_zlabel("accuracy", labelpad=6)
    ax.tick_params(labelsize=7.5, pad=0)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(ticker.MaxNLocator(5))
    ax.view_init(elev=22, azim=-55)
    fig.text(0.02, 0.97, _title(fig_spec["title"], 95), fontsize=11, va="top")
    leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.01, 0.88),
                     frameon=False, fontsize=8.5, handletextpad=0.4, borderaxespad=0.0)
    _red_label(leg)
    if sc is not None:
        cax = fig.add_axes([0.03, 0.14, 0.24, 0.025])
        cax.grid(False)
        cb = fig.colorbar(sc, cax=cax, orientation="horizontal")
        cb.set_label("cube volume", fontsize=9)
        cb.ax.tick_params(labelsize=8)
        cb.ax.xaxis.set_major_locator(ticker.MaxNLocator(4))
    return fig


def _cost_scale(costs):
    np = _mpl[2]
    costs = np.asarray(costs, float)
    pos = costs[costs > 0]
    if pos.size == 0 or costs.min() < 0:
        return "linear", None
    if pos.max() / pos.min() <= 30:
        return "linear", None
    if costs.min() > 0:
        return "log", None
    return "symlog", 10.0 ** math.floor(math.log10(pos.min()))


def draw_fronts(fig_spec, dpi):
    _, plt, np, ticker = _mpl
    from matplotlib.lines import Line2D
    budget, series = fig_spec["budget"], fig_spec["series"]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=dpi)
    n = len(series)
    if n <= 10:
        colors = [plt.get_cmap("tab10")(i) for i in range(10)]
    else:  # tab20: the ten strong colours first, then their light partners
        t20 = plt.get_cmap("tab20")
        colors = [t20(2 * i) for i in range(10)] + [t20(2 * i + 1) for i in range(10)]
    all_cost, all_acc = [], []
    for i, s in enumerate(series):
        color = colors[i % len(colors)]
        cost, acc = np.asarray(s["cost"], float), np.asarray(s["accuracy"], float)
        feas = np.asarray(s["feasible"], bool)
        all_cost.extend(cost)
        all_acc.extend(acc)
        ax.plot(cost, acc, color=color, lw=1.3, zorder=3, label=s["label"])
        ms = 3.5 if len(cost) > 24 else 5
        ax.plot(cost[feas], acc[feas], ls="none", marker="o", ms=ms, color=color, zorder=4)
        ax.plot(cost[~feas], acc[~feas], ls="none", marker="o", ms=ms, mfc="white", mec=color,
                mew=1.0, zorder=4)
    pp = fig_spec["pooled_pareto"]
    if pp:
        ax.plot([p["cost"] for p in pp], [p["accuracy"] for p in pp], ls="none", marker="o",
                ms=12, mfc="none", mec="k", mew=1.3, zorder=6, label="cross-model Pareto set")
    scale, linthresh = _cost_scale(all_cost + [p["cost"] for p in pp])
    money = ticker.FuncFormatter(lambda v, _: "%g" % float("%.3g" % v))
    if scale == "log":
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(money)
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    elif scale == "symlog":
        # Linear from 0 to linthresh (as wide as one decade), logarithmic above.
        ax.set_xscale("symlog", linthresh=linthresh, linscale=1.0)
        top = max(all_cost + [p["cost"] for p in pp])
        ticks = [0.0] + [linthresh * 10 ** e for e in range(0, 30)
                         if linthresh * 10 ** e <= top * 10]
        ax.xaxis.set_major_locator(ticker.FixedLocator(ticks))
        ax.xaxis.set_major_formatter(money)
        ax.xaxis.set_minor_locator(ticker.NullLocator())
        ax.set_xlim(left=-0.3 * linthresh)  # room for markers at cost 0
    cmax, amin = budget["cost_max"], budget["accuracy_min"]
    if cmax is not None:
        lo, hi = min(all_cost), max(all_cost)
        if scale in ("log", "symlog") and lo > 0:
            ok = lo / 4 <= cmax <= hi * 4
        elif scale == "symlog":
            ok = cmax <= hi * 4
        else:
            span = max(hi - lo, abs(hi) * 0.05, 1e-12)
            ok = lo - 0.6 * span <= cmax <= hi + 0.6 * span
        if ok:
            ax.axvline(cmax, color=BUDGET, ls="--", lw=1.3, zorder=2,
                       label="cost_max = $%s" % _fmt(cmax))
        else:
            ax.text(0.99, 0.02, "cost_max = $%s (outside the range shown)" % _fmt(cmax),
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=8, color=BUDGET)
    if amin is not None:
        _budget_hline(ax, amin, "accuracy_min = %s" % _fmt(amin), min(all_acc), max(all_acc))
    # Legend: profiles, then what the marker styles mean.
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], ls="none", marker="o", ms=5, color="#555555"),
                Line2D([], [], ls="none", marker="o", ms=5, mfc="white", mec="#555555")]
    labels += ["feasible k", "infeasible k"]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              fontsize=8 if n > 8 else 8.5)
    note = {"linear": "", "log": ", log scale"}.get(scale) \
        if scale != "symlog" else ", log scale above %g" % linthresh
    ax.set_xlabel("cost (USD per request%s)" % note)
    ax.set_ylabel("accuracy (fraction correct)")
    ax.set_title(_title(fig_spec["title"]))
    fig.tight_layout()
    return fig


def draw_sweep(fig_spec, dpi):
    """k, expected accuracy and expected cost of each series' pick against the swept values,
    in three panels over one x axis; a gap where a rule picked nothing."""
    _, plt, np, ticker = _mpl
    values, xs, series = fig_spec["values"], fig_spec["x"], fig_spec["series"]
    n = len(series)
    fig, axes = plt.subplots(3, 1, figsize=(7, 7.5), dpi=dpi, sharex=True)
    if xs is None:  # categories, in the order swept
        x = np.arange(len(values), dtype=float)
        scale = "linear"
    else:
        x = np.asarray(xs, float)
        pos = x[x > 0]
        scale = "log" if pos.size == x.size and x.size > 1 and x.max() / x.min() >= 8 \
            else "linear"
    order = np.argsort(x, kind="stable")
    if n <= 10:
        colors = [plt.get_cmap("tab10")(i) for i in range(10)]
    else:
        t20 = plt.get_cmap("tab20")
        colors = [t20(2 * i) for i in range(10)] + [t20(2 * i + 1) for i in range(10)]
    markers = ["o", "s", "^", "D", "v", "P", "X", "h"]
    panels = (("k", "k (samples per request)", 1.0), ("accuracy", "E[accuracy]", 1.0),
              ("cost", "E[cost] (USD per request)", 1.0))
    for i, s in enumerate(series):
        color, marker = colors[i % len(colors)], markers[(i // len(colors)) % len(markers)]
        for ax, (key, _, factor) in zip(axes, panels):
            y = np.asarray(s[key], float)[order] * factor
            ax.plot(x[order], y, color=color, marker=marker, ms=5, lw=1.3,
                    label=s["label"] if key == "k" else None, zorder=3 + (n - i) / (n + 1))
    for ax, (_, ylabel, _) in zip(axes, panels):
        ax.set_ylabel(ylabel, fontsize=9)
        ax.tick_params(labelsize=8)
        if scale == "log":
            ax.set_xscale("log")
    axes[0].yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    axes[2].yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: "%g" % float("%.3g" % v)))
    bottom = axes[-1]
    if xs is None:
        bottom.set_xlim(-0.5, len(values) - 0.5)
        bottom.set_xticks(x)
        bottom.set_xticklabels(values, rotation=30 if max(len(v) for v in values) > 6 else 0,
                               ha="right" if max(len(v) for v in values) > 6 else "center")
    else:
        bottom.xaxis.set_major_locator(ticker.FixedLocator(sorted(set(x.tolist()))))
        bottom.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: "%g" % v))
        bottom.xaxis.set_minor_locator(ticker.NullLocator())
    bottom.set_xlabel(fig_spec["parameter"])
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                   fontsize=8 if n > 8 else 8.5)
    axes[0].set_title(_title(fig_spec["title"]))
    fig.tight_layout()
    return fig


def draw_aggregators(fig_spec, dpi):
    """Accuracy against k of one profile, one line per aggregator (how a request's samples
    become its answer); a stopping policy's line is labelled with its mean samples used at the
    largest k. Lines that coincide (majority vote and the policies that stop it early) stay
    apart by their dash patterns and markers."""
    _, plt, np, ticker = _mpl
    budget, series = fig_spec["budget"], fig_spec["series"]
    fig, ax = plt.subplots(figsize=(7, 5), dpi=dpi)
    ks = sorted({k for s in series for k in s["k"]})
    _setup_k_axis(ax, ks)
    markers = ["o", "s", "^", "D", "v", "P", "X", "h"]
    dashes = ["-", "--", "-.", ":"]
    colors = [plt.get_cmap("tab10")(i) for i in range(10)]
    top = 0.0
    for i, s in enumerate(series):
        label = s["label"]
        used = s.get("samples_used")
        if used:
            label += " (%.1f samples used at k = %d)" % (used[-1], s["k"][-1])
        top = max(top, max(s["accuracy"]))
        ax.plot(s["k"], s["accuracy"], color=colors[i % len(colors)], lw=1.5,
                ls=dashes[i % len(dashes)], marker=markers[i % len(markers)],
                ms=3.5 if len(s["k"]) > 24 else 5,
                markevery=(i % 3, max(1, len(s["k"]) // 10)), label=label, zorder=3)
    amin = budget["accuracy_min"]
    if amin is not None and amin > 0:
        ax.axhline(amin, color=BUDGET, ls="--", lw=1.0, label="accuracy_min = %s" % _fmt(amin))
        top = max(top, amin)
    ax.set_ylabel("accuracy (fraction correct)")
    ax.set_ylim(0.0, min(1.0, top * 1.12 + 0.01))
    ax.grid(True, alpha=0.3)
    ax.set_title(_title(fig_spec["title"]))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8.5,
              borderaxespad=0.0)
    fig.tight_layout()
    return fig


DRAW = {"space3d": draw_space3d, "accuracy": draw_accuracy, "cost-latency": draw_cost_latency,
        "fronts": draw_fronts, "sweep": draw_sweep, "aggregators": draw_aggregators}


def _palette_png(path):
    """Rewrites an RGBA PNG as a 256-colour palette PNG: about a third of the bytes, which
    matters for reports that embed dozens of figures (and for committed ones), with no visible
    loss on these plots. Deterministic. Skipped when Pillow (a matplotlib dependency) is absent.
    """
    try:
        from PIL import Image
    except Exception:
        return
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.MEDIANCUT)
    palette.save(path, format="PNG", optimize=True)


def draw_one(task):
    """Draws one figure; returns (index, path, error message or None)."""
    fig_spec, path, fmt, dpi = task
    try:
        _, plt, _, _ = _setup()
        fig = DRAW[fig_spec["kind"]](fig_spec, dpi)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        tmp = "%s.tmp%d" % (path, os.getpid())
        meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
        try:
            # A tight box crops the z label of 3D axes (matplotlib 3.6): space3d has a fixed
            # layout that fits the figure instead.
            tight = "tight" if fig_spec["kind"] != "space3d" else None
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta, bbox_inches=tight,
                        pad_inches=0.12, facecolor="white")
            if fmt == "png":
                _palette_png(tmp)
            os.replace(tmp, path)
        finally:
            plt.close(fig)
            if os.path.exists(tmp):
                os.remove(tmp)
        return fig_spec["index"], path, None
    except Exception as e:  # a bug here or an unwritable path: report, do not hide
        return fig_spec["index"], path, "%s: %s" % (type(e).__name__, e)


def _deps_ok():
    try:
        import matplotlib  # noqa: F401
        import numpy  # noqa: F401
    except Exception:
        return False
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="kcube_plot.py", description="Draw the figures of a kcube report.",
        epilog="Exit status: 0 ok, 1 drawing failed, 2 bad input, 3 matplotlib/numpy missing.")
    ap.add_argument("data", nargs="?", help="the figures JSON written by kcube report")
    ap.add_argument("--root", help="folder the outputs are relative to (default: the JSON's)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="figures drawn in parallel (default min(4, CPUs))")
    ap.add_argument("--check", action="store_true", help="only check that matplotlib imports")
    args = ap.parse_args(argv)
    hint = INSTALL_HINT.format(py=sys.executable)
    if args.check:
        if _deps_ok():
            return EXIT_OK
        print(hint, file=sys.stderr)
        return EXIT_DEPS
    if not args.data:
        ap.print_usage(sys.stderr)
        print("kcube_plot.py: error: DATA.json is required (or --check)", file=sys.stderr)
        return EXIT_INPUT
    if args.jobs is not None and args.jobs < 1:
        print("kcube_plot.py: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_INPUT
    try:
        with open(args.data, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError) as e:
        print("kcube_plot: %s: cannot read: %s" % (args.data, e), file=sys.stderr)
        return EXIT_INPUT
    except json.JSONDecodeError as e:
        print("kcube_plot: %s: not valid JSON: %s" % (args.data, e), file=sys.stderr)
        return EXIT_INPUT
    try:
        fmt, dpi, figures = validate(data)
    except InputError as e:
        for line in str(e).splitlines():
            print("kcube_plot: %s: %s" % (args.data, line), file=sys.stderr)
        return EXIT_INPUT
    if not _deps_ok():
        print(hint, file=sys.stderr)
        return EXIT_DEPS
    root = args.root if args.root is not None else os.path.dirname(args.data)
    tasks = [(f, os.path.join(root, f["output"]), fmt, dpi) for f in figures]
    jobs = args.jobs or min(4, os.cpu_count() or 1)
    jobs = max(1, min(jobs, len(tasks)))
    failed = 0

    def report(result):
        nonlocal failed
        index, path, error = result
        if error is None:
            print(path, flush=True)
        else:
            failed += 1
            print("kcube_plot: figure %d (%s): drawing failed: %s"
                  % (index, figures[index]["output"], error), file=sys.stderr)

    if jobs == 1:
        for t in tasks:
            report(draw_one(t))
    else:
        _setup()  # imported once here, inherited by forked workers
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ctx.Pool(jobs) as pool:
            for result in pool.imap(draw_one, tasks):
                report(result)
    return EXIT_DRAW if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
