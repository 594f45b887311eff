#!/usr/bin/env python3
"""Checks a `kcube report` folder against the store it was made from.

usage: check_report.py REPORT_DIR STORE RUN_ID [--figures | --no-figures]

- report.md and report.html exist; the HTML parses with balanced tags, has no script, and
  references nothing outside itself (no http:, https:, // or file: address in any attribute or
  CSS; every <img> is a data: URI whose bytes are a PNG);
- with --figures: every finished cell of replication 0 has its three figure files (space,
  efficiency, accuracy), every scenario (at every sweep point) its fronts figure, and a swept
  scenario one sweep-summary figure per swept parameter that can change it; with several
  aggregators, every profile of a scenario its aggregators figure; every profile made by the
  `samples` plugin whose log is still there its fit figure (one, whatever the aggregators);
  each a non-empty PNG, and the HTML embeds them all;
- with several aggregators a curve, a row and a pick belong to a (profile, aggregator) pair:
  the report's key is "PROFILE / AGGREGATOR" and its name the profile's name + " / AGGREGATOR";
- the picks tables (tables/picks-*.csv) hold exactly the stored selections of replication 0,
  bit for bit, with the profile's manifest key, and report.md shows each of them with the
  documented rounding and the profile's display name (its display_name parameter, else the key;
  a name several profiles share followed by " (key)").
- the report answers first: its first section (after a plugin warning, when there is one) is
  the Recommendation, with one row per (profile, scenario, sweep point) cell of replication 0 in
  tables/recommendation-*.csv; the provenance comes last (before the notes); every "#" link of
  report.html resolves to an element of it.
Standard library only. Exits 1 with a message on the first problem.
"""
import base64
import csv
import html.parser
import json
import os
import re
import sqlite3
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "path", "rect", "circle", "line", "polyline", "polygon", "use", "stop",
        "ellipse", "image"}
REMOTE = re.compile(r"(https?:|file:|ftp:|^//)", re.IGNORECASE)
PNG = b"\x89PNG\r\n\x1a\n"


DISPLAY_NAME = re.compile(r'(?:^|[:,])display_name=("(?:[^"\\]|\\.)*"|[^,]*)')


def display_names(db, run_id):
    """Profile key -> the name report.md shows for it."""
    names = {}
    for profile, spec in db.execute(
            "SELECT profile, profile_spec FROM cells WHERE run_id = ? ORDER BY position",
            (run_id,)):
        m = DISPLAY_NAME.search(spec or "")
        name = profile
        if m and m.group(1):
            value = m.group(1)
            if value.startswith('"'):
                value = re.sub(r'\\(.)', r'\1', value[1:-1])
            name = value or profile
        names.setdefault(profile, name)
    uses = {}
    for name in names.values():
        uses[name] = uses.get(name, 0) + 1
    return {key: name if uses[name] == 1 or name == key else "%s (%s)" % (name, key)
            for key, name in names.items()}


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def slug(text):
    """The report's file-name form (framework/src/report/document.cpp, slug())."""
    out = ""
    dash = False
    for c in text:
        if c.isascii() and (c.isalnum() or c in "._-"):
            out += c
            dash = False
        elif not dash and out:
            out += "-"
            dash = True
    out = out.rstrip("-")
    return out[:80]


class Checker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.images = []
        self.svgs = 0
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            fail("report.html contains a <script>")
        if tag == "svg":
            self.svgs += 1
        if tag == "style":
            self.in_style = True
        for name, value in attrs:
            value = value or ""
            if name in ("src", "href", "xlink:href", "action", "data", "poster"):
                if name == "src" and tag == "img":
                    self.images.append(value)
                    if not value.startswith("data:image/png;base64,"):
                        fail("an <img> is not an embedded PNG: " + value[:80])
                elif name in ("href", "xlink:href") and (value.startswith("#") or
                                                         value.startswith("data:")):
                    pass
                else:
                    fail("report.html references '%s' (attribute %s of <%s>)" % (value[:80], name,
                                                                                   tag))
            if REMOTE.search(value) and not value.startswith("data:"):
                # xmlns declarations of inline SVG are names, not fetched addresses.
                if not name.startswith("xmlns") and name != "version":
                    fail("report.html has a remote address in %s=\"%s\"" % (name, value[:80]))
        parent = self.stack[-1] if self.stack else None
        if parent in ("ul", "ol") and tag != "li":
            fail("report.html: <%s> directly inside <%s> at line %d (only <li> may be)" %
                 (tag, parent, self.getpos()[0]))
        if parent in ("table", "thead", "tbody") and tag not in ("thead", "tbody", "tr"):
            fail("report.html: <%s> directly inside <%s> at line %d" % (tag, parent,
                                                                       self.getpos()[0]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        saved = list(self.stack)
        self.handle_starttag(tag, attrs)
        self.stack = saved

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            fail("report.html: </%s> closes <%s> at line %d" %
                 (tag, self.stack[-1] if self.stack else "nothing", self.getpos()[0]))
        self.stack.pop()

    def handle_data(self, data):
        if self.in_style and ("url(" in data or "@import" in data):
            fail("report.html's CSS loads something: " + data[:80])


def check_layout(folder, markdown, page, db, run_id):
    """The Recommendation first, the provenance last, every in-page link resolving (issue 19)."""
    sections = re.findall(r"^## (.+)$", markdown, re.M)
    answer = sections[1:2] if sections[:1] == ["Warning: plugins of this run"] else sections[:1]
    if answer != ["Recommendation"]:
        fail("report.md does not open with the Recommendation: %s" % sections[:3])
    tail = sections[-2:] if sections[-1:] == ["Notes"] else sections[-1:]
    if tail[0] != "Provenance":
        fail("report.md does not end with its Provenance (then Notes): %s" % sections[-3:])
    ids = set(re.findall(r' id="([^"]*)"', page))
    broken = sorted({h for h in re.findall(r' href="#([^"]*)"', page) if h not in ids})
    if broken:
        fail("report.html links to ids it lacks: %s" % broken[:5])
    groups = db.execute(
        "SELECT scenario, coalesce(sweep, ''), count(DISTINCT profile || '/' || aggregator) "
        "FROM cells WHERE run_id = ? AND replication = 0 GROUP BY scenario, sweep",
        (run_id,)).fetchall()
    for scenario, sweep, count in groups:
        name = "recommendation-" + slug(scenario if not sweep else scenario + "--" + sweep)
        path = os.path.join(folder, "tables", name + ".csv")
        if not os.path.isfile(path):
            fail("missing table " + path)
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if len(rows) != count:
            fail("%s.csv has %d rows, the run %d cells of replication 0" % (name, len(rows),
                                                                          count))


def main():
    if len(sys.argv) < 4:
        fail(__doc__)
    folder, store, run_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    figures = "--no-figures" not in sys.argv[4:]
    md_path = os.path.join(folder, "report.md")
    html_path = os.path.join(folder, "report.html")
    for path in (md_path, html_path):
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            fail("missing or empty " + path)
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    checker = Checker()
    checker.feed(page)
    checker.close()
    if checker.stack:
        fail("report.html leaves <%s> open" % checker.stack[-1])
    with open(md_path, encoding="utf-8") as f:
        markdown = f.read()

    db = sqlite3.connect(store)
    aggregators = [a for (a,) in db.execute(
        "SELECT DISTINCT aggregator FROM cells WHERE run_id = ?", (run_id,))]
    several = len(aggregators) > 1

    def series(profile, aggregator):
        return profile + " / " + aggregator if several else profile

    stored_cells = db.execute(
        "SELECT profile, aggregator, scenario, coalesce(sweep, '') FROM cells WHERE run_id = ? "
        "AND replication = 0 AND status = 'finished'", (run_id,)).fetchall()
    if not stored_cells:
        fail("run %d has no finished cell of replication 0" % run_id)
    cells = [(series(p, a), s, w) for p, a, s, w in stored_cells]
    groups = sorted({(scenario, sweep) for _, scenario, sweep in cells})
    names = display_names(db, run_id)
    for p, a, _, _ in stored_cells:
        names.setdefault(series(p, a), names[p] + " / " + a)

    if figures:
        expected = []
        for profile, scenario, sweep in cells:
            stem = slug(scenario if not sweep else scenario + "--" + sweep)
            for kind in ("space", "efficiency", "accuracy"):
                expected.append("figures/%s--%s--%s.png" % (stem, slug(profile), kind))
        # Sample logs: the log's path is the `path` parameter of the canonical spec (absolute).
        logs = db.execute(
            "SELECT DISTINCT profile, scenario, coalesce(sweep, ''), profile_spec FROM cells "
            "WHERE run_id = ? AND replication = 0 AND status = 'finished' "
            "AND profile_spec LIKE 'samples:%'", (run_id,)).fetchall()
        for profile, scenario, sweep, spec in sorted(set(logs)):
            m = re.search(r'[:,]path=("(?:[^"\\]|\\.)*"|[^,]*)', spec)
            log = m.group(1) if m else ""
            if log.startswith('"'):
                log = re.sub(r'\\(.)', r'\1', log[1:-1])
            if log and os.path.isfile(log):
                stem = slug(scenario if not sweep else scenario + "--" + sweep)
                rel = "figures/%s--%s--fit.png" % (stem, slug(profile))
                if rel not in expected:
                    expected.append(rel)
        for scenario, sweep in groups:
            expected.append("figures/%s--fronts.png" % slug(
                scenario if not sweep else scenario + "--" + sweep))
        if several:
            for profile, scenario, sweep in sorted({(p, s, w) for p, _, s, w in stored_cells}):
                stem = slug(scenario if not sweep else scenario + "--" + sweep)
                expected.append("figures/%s--%s--aggregators.png" % (stem, slug(profile)))
        # Sweep labels are "path=value,path=value"; a scenario's summary leaves out the other
        # scenarios' parameters.
        paths = []
        for _, _, sweep in cells:
            for item in sweep.split(",") if sweep else []:
                path = item.split("=", 1)[0]
                if "=" in item and "." in path and path not in paths:
                    paths.append(path)
        for scenario in sorted({scenario for _, scenario, _ in cells}):
            for path in paths:
                if not path.startswith("scenarios.") or path.startswith(
                        "scenarios.%s." % scenario):
                    expected.append("figures/sweep--%s--%s.png" % (slug(scenario), slug(path)))
        for rel in expected:
            path = os.path.join(folder, rel)
            if not os.path.isfile(path) or os.path.getsize(path) == 0:
                fail("figure %s is missing or empty" % rel)
            with open(path, "rb") as f:
                if f.read(8) != PNG:
                    fail("figure %s is not a PNG" % rel)
            if "](%s)" % rel not in markdown:
                fail("report.md does not show " + rel)
        if len(checker.images) != len(expected):
            fail("report.html embeds %d images, expected %d" % (len(checker.images),
                                                                len(expected)))
        for src in checker.images:
            data = base64.b64decode(src.split(",", 1)[1], validate=True)
            if not data.startswith(PNG):
                fail("an embedded image is not a PNG")

    # Picks tables equal the store.
    checked = 0
    for scenario, sweep in groups:
        name = "picks-" + slug(scenario if not sweep else scenario + "--" + sweep) + ".csv"
        path = os.path.join(folder, "tables", name)
        if not os.path.isfile(path):
            fail("missing table " + path)
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        stored = [(series(p, a),) + tuple(rest) for p, a, *rest in db.execute(
            "SELECT c.profile, c.aggregator, s.optimizer, s.status, s.k, s.accuracy, s.cost, "
            "s.latency, s.cell_key FROM selections s JOIN cells c ON c.run_id = s.run_id AND "
            "c.cell_key = s.cell_key WHERE s.run_id = ? AND c.replication = 0 AND "
            "c.scenario = ? AND coalesce(c.sweep, '') = ? ORDER BY c.position, s.position",
            (run_id, scenario, sweep))]
        if len(rows) != len(stored):
            fail("%s has %d rows, the store %d selections" % (name, len(rows), len(stored)))
        for row, (profile, optimizer, status, k, accuracy, cost, latency, cell_key) in zip(
                rows, stored):
            got = (row["profile"], row["optimizer"], row["status"])
            if got != (profile, optimizer, status):
                fail("%s: row %s, store %s" % (name, got, (profile, optimizer, status)))
            if (row["k"] or None) != (None if k is None else str(k)):
                fail("%s: %s/%s k %s, store %s" % (name, profile, optimizer, row["k"], k))
            for column, value in (("E[accuracy]", accuracy), ("E[cost] (USD)", cost),
                                  ("E[latency] (s)", latency)):
                text = row[column]
                if (value is None) != (text == ""):
                    fail("%s: %s/%s %s '%s', store %s" % (name, profile, optimizer, column,
                                                          text, value))
                if value is not None and float(text) != value:
                    fail("%s: %s/%s %s %r != stored %r" % (name, profile, optimizer, column,
                                                            float(text), value))
            if k is not None:
                # With run.bootstrap the accuracy is followed by its interval: " \\[lo, hi\\]".
                accuracy_text = "%.5f" % accuracy
                extra = db.execute(
                    "SELECT extra FROM candidates WHERE run_id = ? AND cell_key = ? AND k = ?",
                    (run_id, cell_key, k)).fetchone()
                interval = json.loads(extra[0]) if extra and extra[0] else {}
                if "accuracy_lo" in interval and "accuracy_hi" in interval:
                    accuracy_text += " \\[%.5f, %.5f\\]" % (interval["accuracy_lo"],
                                                            interval["accuracy_hi"])
                shown = "| %s | %s | %s | %d | %s | %.4g | %.4g |" % (
                    names[profile], optimizer, status, k, accuracy_text, cost, latency)
                if shown not in markdown:
                    fail("report.md lacks the row '%s'" % shown)
            checked += 1
    check_layout(folder, markdown, page, db, run_id)
    print("report OK: %d picks equal the store, %d figures, %d KB of HTML" %
          (checked, len(checker.images), len(page) // 1024))


if __name__ == "__main__":
    main()
