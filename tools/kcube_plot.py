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

Every figure is saved with a tight bounding box, and every text it draws is checked to lie
inside the saved image: a text that would be cut off at the edge fails the figure (exit 1).

Exit status
  0  every figure written
  1  a figure failed to draw or a text of it would be cut off (a bug here: the message names
     the figure and the text)
  2  bad input: unreadable JSON, wrong version, unknown kind, missing or malformed field, arrays
     of different lengths; every problem is printed as "figure I (OUTPUT): FIELD: problem"
  3  matplotlib or numpy is missing (a hint how to install them is printed)
--check exits 0 when matplotlib and numpy import, 3 otherwise.

Input, version 1 (costs in USD per request, latencies in seconds per request, accuracy as a
fraction in [0, 1]; every number finite):
  {"kcube_plot": 1, "format": "png" | "svg" (default png), "dpi": 90 (default 90),
   "figures": [FIGURE, ...]}
  FIGURE, by kind ("title" is optional everywhere, "picks" optional = none):
   space3d       output, candidates, budget, picks, utopia (optional: {cost, latency, accuracy})
   accuracy      output, candidates, budget, picks
   efficiency    output, candidates, budget, picks: the accuracy each step of k buys per extra
                 USD and per extra second (per extra sample where costs or latencies are all 0)
   fronts        output, budget, series [{profile, label (optional), k, cost, latency, accuracy,
                 feasible}], pooled_pareto (optional) [{profile, k, cost, latency, accuracy}]
   aggregators   output, budget, series as in fronts, each with samples_used (optional, one per
                 k) and picks (optional, [pick])
   fit           output, samples (the log's samples per question, at least 1), model (optional
                 string: the fitted distribution), observed and fitted {k, pass, majority} (k
                 strictly increasing; majority null or with null elements where the log has no
                 answers), predictions (optional) {k, pass, pass_lo, pass_hi, majority,
                 majority_lo, majority_hi} (all but k and pass may be null or hold nulls); no
                 budget
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
KINDS = ("space3d", "accuracy", "efficiency", "fronts", "sweep", "aggregators", "fit")
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


def _points(chk, fig, key, prefix="", **kw):
    if key not in fig or fig[key] is None:
        return []
    arr = fig[key]
    if not isinstance(arr, list):
        chk.bad(prefix + key, "expected an array, got %s" % json.dumps(arr)[:40])
        return []
    out = []
    for i, obj in enumerate(arr):
        field = "%s%s[%d]" % (prefix, key, i)
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
        s["picks"] = _points(chk, obj, "picks", prefix=field + ".", with_optimizer=True)
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


def _curve(chk, fig, key, names, required=True):
    """A {k, NAME...} object of the fit figure: k strictly increasing, the rest one number (or
    null) per k; names ending in '?' may be null or hold nulls."""
    obj = _object(chk, fig, key, key, required=required)
    if obj is None:
        return None
    ks = _ks(chk, obj, key)
    if ks is None:
        return None
    out = {"k": ks}
    for name in names:
        optional = name.endswith("?")
        name = name.rstrip("?")
        out[name] = _array(chk, obj, name, "%s.%s" % (key, name), "number", len(ks),
                           required=not optional, nullable_elems=optional)
    return out


def _fit(chk, fig):
    """The fields of a "fit" figure: samples, model, observed, fitted and predictions."""
    samples = _integer(chk, fig, "samples", "samples")
    if samples is not None and samples < 1:
        chk.bad("samples", "must be at least 1, got %d" % samples)
    return {"samples": samples,
            "model": _string(chk, fig, "model", "model", required=False),
            "observed": _curve(chk, fig, "observed", ("pass", "majority?")),
            "fitted": _curve(chk, fig, "fitted", ("pass", "majority?")),
            "predictions": _curve(chk, fig, "predictions",
                                  ("pass", "pass_lo?", "pass_hi?", "majority?", "majority_lo?",
                                   "majority_hi?"), required=False)}


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
    dpi = data.get("dpi", 90)
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
        elif kind == "fit":
            f.update(_fit(chk, fig))
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

# One colour-blind-safe palette for every figure: Okabe and Ito's eight colours (M. Okabe and
# K. Ito, "Color Universal Design (CUD): how to make figures and presentations that are friendly
# to colorblind people", 2002/2008, https://jfly.uni-koeln.de/color/), distinguishable under
# the common colour-vision deficiencies. Series take them in this order; past eight, a series
# differs from the one of the same colour by its marker (series_style).
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "bluish green": "#009E73",
             "vermillion": "#D55E00", "reddish purple": "#CC79A7", "sky blue": "#56B4E9",
             "yellow": "#F0E442", "black": "#000000"}
SERIES_COLORS = list(OKABE_ITO.values())
SERIES_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "h"]
# Pick styles: colour and marker, in the order of the pick groups of a figure (yellow last: it
# is faint on white).
PICK_STYLES = [(OKABE_ITO["orange"], "D"), (OKABE_ITO["reddish purple"], "s"),
               (OKABE_ITO["black"], "^"), (OKABE_ITO["sky blue"], "v"),
               (OKABE_ITO["bluish green"], "P"), (OKABE_ITO["blue"], "X"),
               (OKABE_ITO["vermillion"], "h"), (OKABE_ITO["yellow"], "p")]
MAIN = OKABE_ITO["blue"]           # the curve of a single profile
BAND_LIGHT = "#b3dcf2"             # 95 % of requests (sky blue, lightened)
BAND_DARK = OKABE_ITO["sky blue"]  # 95 % CI of the mean
FEASIBLE = OKABE_ITO["bluish green"]  # feasible-k shading
BUDGET = OKABE_ITO["vermillion"]   # budget lines and the budget box
GREY = "#999999"                   # infeasible candidates
# Figure width in inches: at the default 90 dpi a figure is at most 648 px wide, about the width
# a report shows it at, so the browser hardly scales it (sharp) and no pixel is wasted (small:
# the paper study's 84 figures fit in a 1.35 MB report).
WIDTH = 7.2
PAD_INCHES = 0.08


def series_style(i, n):
    """Colour and marker of series i of n: the palette's colours in order; with more than eight
    series every series has its own marker too, so that series of the same colour differ."""
    color = SERIES_COLORS[i % len(SERIES_COLORS)]
    if n <= len(SERIES_COLORS):
        return color, "o"
    return color, SERIES_MARKERS[(i + i // len(SERIES_COLORS)) % len(SERIES_MARKERS)]


# The texts drawn by the last Figure.draw of this process (the one that writes the file) with
# their extents, and the drawn area: what check_texts_inside() compares.
_drawn = {"texts": [], "area": None}


def _record_drawn_texts(matplotlib):
    """Wraps Figure.draw and Text.draw so that each figure draw records the texts it draws and
    its area. savefig with a tight box draws last into the saved area itself, so a text
    recorded outside it is cut off in the file."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    figure_draw, text_draw = Figure.draw, Text.draw

    def draw_figure(self, renderer):
        _drawn["texts"] = []
        figure_draw(self, renderer)
        _drawn["area"] = tuple(self.bbox.extents)

    def draw_text(self, renderer):
        text_draw(self, renderer)
        if self.get_visible() and self.get_text().strip():
            extent = self.get_window_extent(renderer)
            _drawn["texts"].append((self.get_text(), tuple(extent.extents)))

    Figure.draw, Text.draw = draw_figure, draw_text


def check_texts_inside(tolerance=1.0):
    """The texts of the last drawn figure that reach past its area by more than `tolerance`
    pixels, as messages ('"label" is cut off at the left by 12 px'); empty when none is."""
    area = _drawn["area"]
    if area is None:
        return []
    x0, y0, x1, y1 = area
    problems = []
    for text, (a, b, c, d) in _drawn["texts"]:
        over = {"left": x0 - a, "bottom": y0 - b, "right": c - x1, "top": d - y1}
        side, by = max(over.items(), key=lambda item: item[1])
        if by > tolerance:
            problems.append("text %s is cut off at the %s by %.0f px"
                            % (json.dumps(text[:60]), side, by))
    return problems


def _setup():
    global _mpl
    if _mpl is not None:
        return _mpl
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import ticker
    from cycler import cycler
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
        # An opaque light grid (not a translucent dark one): where it crosses other lines it
        # adds no blended colours, which keeps the palette PNGs small.
        "grid.color": "#e3e3e3",
        "grid.alpha": 1.0,
        "grid.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-4, 5),
        "axes.prop_cycle": cycler(color=SERIES_COLORS),
        # Glyphs snapped to the pixel grid: as sharp, with fewer grey edge pixels (a tenth of
        # the PNG's bytes).
        "text.hinting": "native",
        "text.hinting_factor": 1,
        "image.cmap": "viridis",  # the one colour map (cube volume): perceptually uniform
        "figure.dpi": 100,
        "path.simplify": False,
    })
    _record_drawn_texts(matplotlib)
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
    fig, ax = plt.subplots(figsize=(WIDTH, 3.8), dpi=dpi)
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


def _increments(c, metric):
    """For each candidate k after the first: 100 (accuracy(k) - accuracy(k')) / (metric(k) -
    metric(k')), the accuracy points bought per unit of `metric` ("k": per extra sample) since
    k', the last candidate where the metric was lower. NaN at a k that costs no more than k'
    (latency grows in waves of parallel samples: the step is counted at the next wave)."""
    np = _mpl[2]
    acc = np.asarray(c["accuracy"], float)
    x = np.asarray(c["k"] if metric == "k" else c[metric], float)
    out = np.full(len(x) - 1, np.nan)
    eps = 1e-12 * max(1.0, float(np.abs(x).max()))
    j = 0
    for i in range(1, len(x)):
        if x[i] - x[j] > eps:
            out[i - 1] = 100.0 * (acc[i] - acc[j]) / (x[i] - x[j])
            j = i
    return out


def _constant_reason(c, metric):
    """Why `metric` cannot be the denominator, or "" when it grows somewhere with k."""
    np = _mpl[2]
    x = np.asarray(c[metric], float)
    if len(x) < 2:
        return ""
    if np.all(x == 0):
        return "%s is 0 at every k (the profile records none)" % metric
    if np.all(np.diff(x) <= 1e-12 * float(np.abs(x).max())):
        return "%s does not grow with k" % metric
    return ""


EFFICIENCY_PANELS = {
    "cost": ("per extra USD", "accuracy points per USD"),
    "latency": ("per extra second", "accuracy points per s"),
    "k": ("per extra sample", "accuracy points per sample"),
}


EFFICIENCY_STEPS = 20


def _efficiency_grid(c, picks):
    """The candidates the efficiency figure steps between: all of them when there are at most
    EFFICIENCY_STEPS + 1, else every m-th (the first and last kept) and the picks' k, so that
    a step spans several k and the Monte Carlo noise of neighbouring k does not swamp the
    difference (it does not shrink with the step; the difference grows with it). Returns the
    sub-table and m."""
    ks = c["k"]
    m = max(1, -(-(len(ks) - 1) // EFFICIENCY_STEPS))
    if m == 1:
        return c, 1
    keep = set(range(0, len(ks), m)) | {len(ks) - 1}
    keep |= {ks.index(p["k"]) for p in picks if p["k"] in ks}
    rows = sorted(keep)
    return {key: [c[key][i] for i in rows] for key in ("k", "cost", "latency", "accuracy")}, m


def _efficiency_panel(ax, c, picks, metric, with_labels):
    """One panel of the efficiency figure: the increments against the k they end at."""
    np, ticker = _mpl[2], _mpl[3]
    ks = c["k"]
    kscale = _setup_k_axis(ax, ks)
    title, ylabel = EFFICIENCY_PANELS[metric]
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=9)
    grid, _ = _efficiency_grid(c, picks)
    y = _increments(grid, metric)
    finite = y[np.isfinite(y)]
    if finite.size == 0:
        # Nothing to plot: say why on the axes rather than leave them blank.
        ax.text(0.5, 0.5, "one candidate k:\nno step to measure" if len(ks) < 2 else
                "no step of k changes\nthe %s" % metric, transform=ax.transAxes, ha="center",
                va="center", fontsize=9, color="#555555")
        ax.set_yticks([])
        return
    _shade_feasible(ax, ks, c["feasible"], kscale)
    ok = np.isfinite(y)
    x, y = np.asarray(grid["k"][1:], float)[ok], y[ok]
    ax.plot(x, y, color=MAIN, lw=1.6, marker="o", ms=3 if len(ks) > 24 else 4.5, zorder=5,
            label="step from the previous k")
    if finite.min() > 0 and finite.max() / finite.min() >= 30:
        ax.set_yscale("log")
        # 1, 2 and 5 of each decade labelled: one or two decades would show too few labels.
        ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: "%g" % v))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    else:
        ax.axhline(0.0, color="#555555", lw=0.8, zorder=2)
    for k, p, names, (color, marker) in _pick_groups(picks):
        ax.axvline(k, color=color, ls=":", lw=1.3, zorder=3)
        at = np.flatnonzero(x == k)
        if at.size:
            ax.plot([k], [y[at[0]]], ls="none", marker=marker, ms=8, mfc=color, mec="white",
                    mew=0.8, zorder=6, label=_pick_label(names, k) if with_labels else None)
        elif with_labels:  # the first k has no step before it: the line alone marks it
            ax.plot([], [], color=color, ls=":", lw=1.3, label=_pick_label(names, k))


def draw_efficiency(fig_spec, dpi):
    """What each step of k buys: the accuracy gained from one candidate k to the next per extra
    USD and per extra second, against k, with the rules' picks. A metric that is 0 at every k
    (a log without prices, no latency) cannot be a denominator: the panel shows the accuracy
    per extra sample instead, and a note under the title says so."""
    _, plt, np, _ = _mpl
    c, picks = fig_spec["candidates"], fig_spec["picks"]
    reasons = {m: _constant_reason(c, m) for m in ("cost", "latency")}
    panels = [m for m in ("cost", "latency") if not reasons[m]]
    if len(panels) < 2:
        panels.append("k")
    if len(c["k"]) < 2:  # no step at all: one panel says so
        panels = ["k"]
    fig, axes = plt.subplots(1, len(panels), figsize=(WIDTH, 3.3), dpi=dpi, squeeze=False)
    axes = axes[0]
    for j, (ax, metric) in enumerate(zip(axes, panels)):
        _efficiency_panel(ax, c, picks, metric, with_labels=(j == 0))
    _, every = _efficiency_grid(c, picks)
    title = _title(fig_spec["title"] + (": " if fig_spec["title"] else "") +
                   "accuracy bought by each step of k" +
                   (" (steps of about %d candidate k, and to each pick)" % every
                    if every > 1 else ""), 90)
    notes = [reasons[m] for m in ("cost", "latency") if reasons[m]]
    if notes:
        title += "\n" + _title("; ".join(notes) + ": accuracy per extra sample shown instead",
                                100)
    fig.suptitle(title, fontsize=10.5)
    pairs = []
    for ax in axes:
        pairs += list(zip(*ax.get_legend_handles_labels()))
    nf = _no_feasible_handle(c["feasible"])
    if nf is not None:
        pairs.append((nf, nf.get_label()))
    fig.tight_layout()
    if pairs:
        handles, labels = _ordered_legend(pairs)
        leg = fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                         ncol=min(3, len(labels)), frameon=False)
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


def _cube_norm(matplotlib, cube):
    """The colour scale of the cube volumes `cube` (finite values, at least one)."""
    vmin, vmax = float(cube.min()), float(cube.max())
    if vmax <= vmin:  # one value: a bar from 0 to it
        vmin, vmax = min(0.0, vmin), max(vmax, vmin + 1e-9) if vmax > 0 else 1.0
    return matplotlib.colors.Normalize(vmin, vmax)


def _space_points(ax, xyz, feas, cube, norm, size):
    """Infeasible candidates grey, feasible ones coloured by cube volume (dark grey without
    one); `xyz` holds two or three coordinate arrays. Returns the cube scatter or None."""
    np = _mpl[2]
    three = len(xyz) == 3
    extra = {"depthshade": False} if three else {}
    inf = ~feas
    if inf.any():
        ax.scatter(*[v[inf] for v in xyz], s=size * 0.4, c=GREY, edgecolors="none", zorder=2,
                   **extra)
    good = feas & np.isfinite(cube)
    sc = None
    if good.any():
        sc = ax.scatter(*[v[good] for v in xyz], s=size, c=cube[good], cmap="viridis",
                        norm=norm, edgecolors="k", linewidths=0.3, zorder=3, **extra)
    nocube = feas & ~np.isfinite(cube)
    if nocube.any():
        ax.scatter(*[v[nocube] for v in xyz], s=size, c="#555555", zorder=3, **extra)
    return sc


def draw_space3d(fig_spec, dpi):
    """The candidates in (cost, latency, accuracy) with the budget box and the picks, and beside
    it their projection on (cost, accuracy) with the budget's region there; feasible candidates
    coloured by cube volume. One legend under both panels. A profile whose costs are all 0 is
    projected on (k, accuracy) instead."""
    matplotlib, plt, np, ticker = _mpl
    from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the projection)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    c, budget, picks = fig_spec["candidates"], fig_spec["budget"], fig_spec["picks"]
    ks = np.asarray(c["k"], float)
    cost = np.asarray(c["cost"], float)
    lat = np.asarray(c["latency"], float)
    acc = np.asarray(c["accuracy"], float)
    feas = np.asarray(c["feasible"], bool)
    cube = np.asarray(c["cube"], float)
    good = feas & np.isfinite(cube)
    norm = _cube_norm(matplotlib, cube[good]) if good.any() else None

    fig = plt.figure(figsize=(WIDTH, 3.6), dpi=dpi)
    ax = fig.add_axes([0.0, 0.04, 0.52, 0.86], projection="3d")
    ax2 = fig.add_axes([0.655, 0.15, 0.25, 0.7])
    ax.computed_zorder = False  # draw in zorder: box, points, picks, utopia
    handles = []

    sc = _space_points(ax, (cost, lat, acc), feas, cube, norm, 22)
    if (~feas).any():
        handles.append(Line2D([], [], ls="none", marker="o", ms=4, color=GREY,
                              label="infeasible k"))
    if good.any():
        handles.append(Line2D([], [], ls="none", marker="o", ms=5.5,
                              mfc=plt.get_cmap("viridis")(0.6), mec="k", mew=0.3,
                              label="feasible k"))
    if (feas & ~np.isfinite(cube)).any():
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
    ax.text(cmax, tmax, 1.0, " budget box", color=BUDGET, fontsize=8, zorder=6)
    handles.append(Line2D([], [], color=BUDGET, lw=0.9, ls="--",
                          label="budget box (cost, latency, accuracy)"))

    for k, p, names, (color, marker) in _pick_groups(picks):
        ax.scatter([p["cost"]], [p["latency"]], [p["accuracy"]], s=100, marker=marker,
                   facecolors="none", edgecolors=color, linewidths=1.8, depthshade=False,
                   zorder=5)
        handles.append(Line2D([], [], ls="none", marker=marker, ms=8, mfc="none", mec=color,
                              mew=1.8, label=_pick_label(names, k)))
    if u is not None:
        ax.scatter([u["cost"]], [u["latency"]], [u["accuracy"]], s=140, marker="*",
                   c=OKABE_ITO["yellow"], edgecolors="k", linewidths=0.6, depthshade=False,
                   zorder=6)
        handles.append(Line2D([], [], ls="none", marker="*", ms=10, mfc=OKABE_ITO["yellow"],
                              mec="k", mew=0.6, label="utopia"))
    ax.set_xlabel("cost (USD)", labelpad=0, fontsize=8.5)
    ax.set_ylabel("latency (s)", labelpad=0, fontsize=8.5)
    ax.set_zlabel("accuracy", labelpad=0, fontsize=8.5)
    ax.tick_params(labelsize=7, pad=0)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(ticker.MaxNLocator(4))
    ax.view_init(elev=22, azim=-55)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):  # white panes: the grid alone, as in 2D
        axis.set_pane_color((1.0, 1.0, 1.0, 0.0))
        axis._axinfo["grid"].update(color="#e3e3e3", linewidth=0.6)

    # The projection on (cost, accuracy): the budget's region is cost <= cost_max and
    # accuracy >= accuracy_min (latency_max cannot be drawn here: it is in the 3D panel).
    by_cost = not _constant_reason(c, "cost")
    x = cost if by_cost else ks
    order = np.argsort(x, kind="stable")
    ax2.plot(x[order], acc[order], color=GREY, lw=0.8, zorder=1)
    _space_points(ax2, (x, acc), feas, cube, norm, 18)
    x_hi = cmax if (by_cost and budget["cost_max"] is not None) else float(x.max())
    left = min(0.0, float(x.min()))
    y_lo = amin if budget["accuracy_min"] is not None else float(acc.min())
    region = (by_cost and budget["cost_max"] is not None) or budget["accuracy_min"] is not None
    if region:
        right = x_hi if (by_cost and budget["cost_max"] is not None) else \
            float(x.max()) + 0.05 * max(float(np.ptp(x)), 1.0)
        ax2.fill_between([left, right], [y_lo, y_lo], [1.0, 1.0], color=FEASIBLE, alpha=0.12,
                         lw=0, zorder=0)
        handles.append(Patch(color=FEASIBLE, alpha=0.25, lw=0,
                             label="budget region (cost, accuracy)"))
    for k, p, names, (color, marker) in _pick_groups(picks):
        ax2.plot([p["cost"] if by_cost else k], [p["accuracy"]], ls="none", marker=marker,
                 ms=8, mfc="none", mec=color, mew=1.8, zorder=5)
    lo, hi = float(acc.min()), float(acc.max())
    if budget["accuracy_min"] is not None:
        lo = min(lo, y_lo)
    span = max(hi - lo, 0.01)
    ax2.set_ylim(lo - 0.08 * span, min(1.0 + 0.02 * span, hi + 0.15 * span))
    ax2.set_xlabel("cost (USD per request)" if by_cost else
                   "k (every cost is 0: against k)", fontsize=9)
    ax2.set_ylabel("accuracy", fontsize=9)
    ax2.set_title("projection on cost and accuracy" if by_cost else
                  "projection on k and accuracy", fontsize=9.5)
    ax2.tick_params(labelsize=8)
    ax2.xaxis.set_major_locator(ticker.MaxNLocator(4))
    if sc is not None:
        cb = fig.colorbar(sc, ax=ax2, fraction=0.08, pad=0.03)
        cb.set_label("cube volume", fontsize=8.5)
        cb.ax.tick_params(labelsize=7.5)
        cb.ax.yaxis.set_major_locator(ticker.MaxNLocator(4))
    fig.suptitle(_title(fig_spec["title"], 90), fontsize=10.5, y=0.99)
    leg = fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.03),
                     ncol=3, frameon=False, fontsize=8, handletextpad=0.4, columnspacing=1.2)
    _red_label(leg)
    # A tight box may leave out the 3D axes' labels (matplotlib 3.6 does not always count
    # them): name them for savefig.
    fig.kcube_extra_artists = [ax.xaxis.label, ax.yaxis.label, ax.zaxis.label]
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
    fig, ax = plt.subplots(figsize=(WIDTH, 4.2), dpi=dpi)
    n = len(series)
    all_cost, all_acc = [], []
    for i, s in enumerate(series):
        color, marker = series_style(i, n)
        cost, acc = np.asarray(s["cost"], float), np.asarray(s["accuracy"], float)
        feas = np.asarray(s["feasible"], bool)
        all_cost.extend(cost)
        all_acc.extend(acc)
        ms = 3.5 if len(cost) > 24 else 5
        # The line carries the marker in the legend: with more than eight profiles colours
        # repeat and the marker tells them apart.
        ax.plot(cost, acc, color=color, lw=1.3, zorder=3, label=s["label"], marker=marker,
                ms=ms, markevery=[])
        ax.plot(cost[feas], acc[feas], ls="none", marker=marker, ms=ms, color=color, zorder=4)
        ax.plot(cost[~feas], acc[~feas], ls="none", marker=marker, ms=ms, mfc="white",
                mec=color, mew=1.0, zorder=4)
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
    fig, axes = plt.subplots(3, 1, figsize=(WIDTH, 7.0), dpi=dpi, sharex=True)
    if xs is None:  # categories, in the order swept
        x = np.arange(len(values), dtype=float)
        scale = "linear"
    else:
        x = np.asarray(xs, float)
        pos = x[x > 0]
        scale = "log" if pos.size == x.size and x.size > 1 and x.max() / x.min() >= 8 \
            else "linear"
    order = np.argsort(x, kind="stable")
    panels = (("k", "k (samples per request)", 1.0), ("accuracy", "E[accuracy]", 1.0),
              ("cost", "E[cost] (USD per request)", 1.0))
    for i, s in enumerate(series):
        color, marker = series_style(i, n)
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
    become its answer), each rule's pick on each line; a stopping policy's line is labelled
    with its mean samples used at the largest k. Lines that coincide (majority vote and the
    policies that stop it early) stay apart by their dash patterns and markers."""
    _, plt, np, ticker = _mpl
    budget, series = fig_spec["budget"], fig_spec["series"]
    fig, ax = plt.subplots(figsize=(WIDTH, 4.4), dpi=dpi)
    ks = sorted({k for s in series for k in s["k"]})
    _setup_k_axis(ax, ks)
    dashes = ["-", "--", "-.", ":"]
    # One style per rule across all lines: the rule's name is in the legend once.
    rules = []
    for s in series:
        for p in s["picks"]:
            if p["optimizer"] not in rules:
                rules.append(p["optimizer"])
    rule_style = {r: PICK_STYLES[i % len(PICK_STYLES)] for i, r in enumerate(rules)}
    top = 0.0
    n = len(series)
    for i, s in enumerate(series):
        label = s["label"]
        used = s.get("samples_used")
        if used:
            label += " (%.1f samples used at k = %d)" % (used[-1], s["k"][-1])
        top = max(top, max(s["accuracy"]))
        color, marker = series_style(i, n)[0], SERIES_MARKERS[i % len(SERIES_MARKERS)]
        ax.plot(s["k"], s["accuracy"], color=color, lw=1.5, ls=dashes[i % len(dashes)],
                marker=marker, ms=3.5 if len(s["k"]) > 24 else 5,
                markevery=(i % 3, max(1, len(s["k"]) // 10)), label=label, zorder=3)
        # Several rules at the same k of a line: side by side, so that each stays visible.
        at_k = {}
        for p in s["picks"]:
            at_k.setdefault(p["k"], []).append(p)
        for k, same in at_k.items():
            for j, p in enumerate(same):
                pc, pm = rule_style[p["optimizer"]]
                ax.plot([k], [p["accuracy"]], ls="none", marker=pm, ms=9 + 4 * j, mfc="none",
                        mec=pc, mew=1.8, zorder=5)
    for r in rules:
        pc, pm = rule_style[r]
        ax.plot([], [], ls="none", marker=pm, ms=8, mfc="none", mec=pc, mew=1.8,
                label="%s's pick" % r)
    amin = budget["accuracy_min"]
    if amin is not None and amin > 0:
        ax.axhline(amin, color=BUDGET, ls="--", lw=1.0, label="accuracy_min = %s" % _fmt(amin))
        top = max(top, amin)
    ax.set_ylabel("accuracy (fraction correct)")
    ax.set_ylim(0.0, min(1.0, top * 1.12 + 0.01))
    ax.grid(True)
    ax.set_title(_title(fig_spec["title"]))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.19), ncol=2, fontsize=8.5,
              borderaxespad=0.0)
    fig.tight_layout()
    return fig


def _fit_band(ax, x, lo, hi, color, label):
    """The predictions' 95 % interval where both ends are known, or nothing."""
    np = _mpl[2]
    if lo is None or hi is None:
        return
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return
    xs = np.asarray(x, float)[ok]
    if xs.size == 1:  # one predicted k: a narrow band around it
        xs = np.array([xs[0] * 0.97, xs[0] * 1.03])
        lo, hi = np.repeat(lo[ok], 2), np.repeat(hi[ok], 2)
    else:
        lo, hi = lo[ok], hi[ok]
    # alpha 0.3 on white is the palette's 70 % tint of the colour (_report_palette): the band
    # keeps its hue in the stored PNG.
    ax.fill_between(xs, lo, hi, color=color, alpha=0.3, lw=0, zorder=1, label=label)


def draw_fit(fig_spec, dpi):
    """A sample log against the model fitted to it: the observed (unbiased) pass@k and
    majority vote as points, the fitted curves as lines, continued past the log's sample count
    by the predictions with their 95 % bootstrap interval as a band."""
    _, plt, np, ticker = _mpl
    obs, fitted = fig_spec["observed"], fig_spec["fitted"]
    pred, n = fig_spec["predictions"], fig_spec["samples"]
    fig, ax = plt.subplots(figsize=(WIDTH, 4.2), dpi=dpi)
    ks = sorted(set(obs["k"]) | set(fitted["k"]) | set(pred["k"] if pred else []))
    _setup_k_axis(ax, ks)
    model = " (%s)" % fig_spec["model"] if fig_spec["model"] else ""
    curves = (("pass", "pass@k", OKABE_ITO["blue"], "o", "-"),
              ("majority", "majority vote", OKABE_ITO["orange"], "s", "--"))
    for key, name, color, marker, ls in curves:
        if obs.get(key) is None or not np.isfinite(np.asarray(obs[key], float)).any():
            continue
        ax.plot(obs["k"], obs[key], ls="none", marker=marker, ms=3.5 if len(obs["k"]) > 24 else 5,
                mfc="white", mec=color, mew=1.1, zorder=4, label="%s, observed" % name)
        # The fitted curve over the log's k, continued by the predictions past them.
        x, y = [], []
        if fitted.get(key) is not None:
            x, y = list(fitted["k"]), list(fitted[key])
        if pred and pred.get(key) is not None:
            for k, v in zip(pred["k"], pred[key]):
                if not x or k > x[-1]:
                    x.append(k)
                    y.append(v)
        if np.isfinite(np.asarray(y, float)).any():
            ax.plot(x, y, color=color, lw=1.7, ls=ls, zorder=3,
                    label="%s, fitted%s" % (name, model))
        if pred:
            _fit_band(ax, pred["k"], pred.get(key + "_lo"), pred.get(key + "_hi"), color,
                      "%s, 95 %% interval of the prediction" % name)
    ax.axvline(n, color="#555555", ls=":", lw=1.2, zorder=2)
    ax.text(n, 0.98, " log: %d samples\n per question " % n, transform=ax.get_xaxis_transform(),
            ha="right" if pred and pred["k"][-1] > n else "left", va="top", fontsize=8,
            color="#555555")
    ax.set_ylabel("accuracy (fraction correct)")
    ax.set_ylim(0.0, 1.02)
    ax.set_title(_title(fig_spec["title"]))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.19), ncol=2, fontsize=8.5,
              borderaxespad=0.0)
    fig.tight_layout()
    return fig


DRAW = {"space3d": draw_space3d, "accuracy": draw_accuracy, "efficiency": draw_efficiency,
        "fronts": draw_fronts, "sweep": draw_sweep, "aggregators": draw_aggregators,
        "fit": draw_fit}


def _report_palette():
    """The colours a figure's pixels are mapped to: white, 8 greys and the grid's, each
    Okabe-Ito colour with three tints towards white (what anti-aliased edges and translucent
    fills on white become), the light band colour and its tints, and 24 steps of viridis (the
    cube volume). Fixed, so that every figure keeps its exact series colours; 66 colours, so a
    pixel is one byte and long runs of equal bytes compress well."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    def rgb(c):
        return tuple(round(255 * v) for v in to_rgb(c))
    colors = [(255, 255, 255)] + [(g, g, g) for g in range(0, 256, 32)] + [rgb("#e3e3e3")]
    for c in list(OKABE_ITO.values())[:-1] + [BAND_LIGHT]:
        r, g, b = rgb(c)
        for t in (0.0, 0.35, 0.7, 0.88):
            colors.append(tuple(round(v + (255 - v) * t) for v in (r, g, b)))
    viridis = colormaps["viridis"]
    colors += [rgb(viridis(i / 23)) for i in range(24)]
    seen, out = set(), []
    for c in colors:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def _palette_png(path):
    """Rewrites an RGBA PNG as a palette PNG of the report's colours (_report_palette): each
    colour of the image mapped to the nearest one (Euclidean in RGB, exactly: Pillow's own
    mapping approximates and turns white off-white), no dithering. About a fifth of the bytes,
    which matters for reports that embed dozens of figures (and for committed ones), with the
    series colours exact. Deterministic. Skipped when Pillow (a matplotlib dependency) is
    absent."""
    np = _mpl[2]
    try:
        from PIL import Image
    except Exception:
        return
    palette = np.asarray(_report_palette(), dtype=np.int32)
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
    colors, inverse = np.unique(pixels.reshape(-1, 3), axis=0, return_inverse=True)
    distance = ((colors[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
    index = distance.argmin(axis=1).astype(np.uint8)[inverse.reshape(-1)]
    mapped = Image.fromarray(index.reshape(pixels.shape[:2]), mode="P")
    mapped.putpalette([int(v) for v in palette.reshape(-1)])
    mapped.save(path, format="PNG", optimize=True)


def draw_one(task):
    """Draws one figure; returns (index, path, error message or None). A figure with a text cut
    off at the edge of the saved image is an error (its file is not written)."""
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
            # Artists a tight box would leave out (the 3D axes' labels), added to the ones it
            # counts by default (an explicit list replaces those).
            extra = getattr(fig, "kcube_extra_artists", None)
            if extra:
                extra = fig.get_default_bbox_extra_artists() + extra
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta, bbox_inches="tight",
                        bbox_extra_artists=extra,
                        pad_inches=PAD_INCHES, facecolor="white")
            cut = check_texts_inside()
            if cut:
                raise RuntimeError("; ".join(cut))
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
