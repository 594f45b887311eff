#!/usr/bin/env python3
"""Checks the tables of a `kcube report` folder: every CSV names each column once, and every
"cheaper alternative" is cheaper.

usage: check_alternatives.py REPORT_DIR [--require-none SCENARIO PROFILE]...

- every tables/*.csv has a header without repeated names (a CSV reader keys columns by name;
  pandas renames a second "k" to "k.1");
- every tables/cheaper-alternatives-*.csv has the documented columns, and each row either names
  an alternative of another profile with a cost strictly below the pick's, an expected accuracy
  at least the pick's, and a cost ratio (alternative / pick) below 1 that equals the ratio of the
  two costs, or leaves every alternative column empty ("none" in report.md);
- --require-none SCENARIO PROFILE: that profile's row in that scenario has no alternative.
Standard library only. Exits 1 with a message naming the file and row on the first problem.
"""
import csv
import glob
import math
import os
import sys

COLUMNS = ["profile", "k", "E[accuracy]", "E[cost] (USD)", "E[latency] (s)",
           "cheaper alternative", "alternative k", "alternative E[accuracy]",
           "alternative E[cost] (USD)", "alternative E[latency] (s)", "cost ratio",
           "latency ratio"]
ALTERNATIVE = COLUMNS[5:]


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    if not args:
        fail(__doc__)
    folder, rest = args[0], args[1:]
    required_none = []
    while rest:
        if rest[0] != "--require-none" or len(rest) < 3:
            fail("unexpected arguments %s\n%s" % (rest, __doc__))
        required_none.append((rest[1], rest[2]))
        rest = rest[3:]

    tables = sorted(glob.glob(os.path.join(folder, "tables", "*.csv")))
    if not tables:
        fail("no tables in " + os.path.join(folder, "tables"))
    for path in tables:
        with open(path, newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), [])
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            fail("%s repeats the column names %s" % (path, repeated))

    alternatives = listed = 0
    seen_required = set()
    for path in sorted(glob.glob(os.path.join(folder, "tables", "cheaper-alternatives-*.csv"))):
        scenario = os.path.basename(path)[len("cheaper-alternatives-"):-len(".csv")]
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != COLUMNS:
                fail("%s: columns %s, expected %s" % (path, reader.fieldnames, COLUMNS))
            rows = list(reader)
        for row in rows:
            where = "%s: %s k = %s" % (path, row["profile"], row["k"])
            alternatives += 1
            if (scenario, row["profile"]) in required_none:
                seen_required.add((scenario, row["profile"]))
                if row["cheaper alternative"]:
                    fail("%s lists %s k = %s (cost ratio %s); expected none" % (
                        where, row["cheaper alternative"], row["alternative k"],
                        row["cost ratio"]))
            if not row["cheaper alternative"]:
                if any(row[c] for c in ALTERNATIVE):
                    fail("%s: no alternative, but alternative columns are filled" % where)
                continue
            listed += 1
            if row["cheaper alternative"] == row["profile"]:
                fail("%s: the alternative is the same profile" % where)
            cost, alt_cost = float(row["E[cost] (USD)"]), float(row["alternative E[cost] (USD)"])
            accuracy = float(row["E[accuracy]"])
            alt_accuracy = float(row["alternative E[accuracy]"])
            ratio = float(row["cost ratio"])
            if not alt_cost < cost:
                fail("%s: alternative %s k = %s costs %r, not less than %r" % (
                    where, row["cheaper alternative"], row["alternative k"], alt_cost, cost))
            if not ratio < 1.0:
                fail("%s: alternative %s k = %s has cost ratio %r, not below 1" % (
                    where, row["cheaper alternative"], row["alternative k"], ratio))
            if not math.isclose(ratio, alt_cost / cost, rel_tol=1e-12):
                fail("%s: cost ratio %r is not %r / %r" % (where, ratio, alt_cost, cost))
            if alt_accuracy < accuracy:
                fail("%s: alternative accuracy %r is below the pick's %r" % (
                    where, alt_accuracy, accuracy))
    missing = set(required_none) - seen_required
    if missing:
        fail("no row for %s" % sorted(missing))
    print("tables OK: %d tables with unique column names; %d cheaper-alternative rows, %d with "
          "an alternative, each strictly cheaper" % (len(tables), alternatives, listed))


if __name__ == "__main__":
    main()
