#!/usr/bin/env python3
"""Checks the Recommendation section of a report against the store's selections (issue 19).

usage: check_recommendation.py REPORT_DIR SELECTIONS_CSV RULE MODE
  SELECTIONS_CSV  `kcube export --table selections --format csv` of the run
  RULE            the optimizer (manifest key) the section must recommend
  MODE            default | asked | fallback: how the rule was chosen, which the section states

Checked: the first section of report.md is the Recommendation and names RULE (and how it was
chosen); provenance comes after it; per scenario, tables/recommendation-SCENARIO.csv has one row
per profile of the run, in manifest order, whose k, E[accuracy], E[cost] and E[latency] equal
RULE's stored pick in replication 0 (the CSV keeps full precision) and whose P(pick) is the share
of replications picking the most frequent k (with one, empty, and "single run, no confidence" in
report.md); infeasible
picks read "no k meets the budget; the closest is k = ..."; in report.html every recommendation
row is a link target named in the table of contents, every "#" link resolves to an element, and
every section after the first has a link back to the top.
"""
import collections
import csv
import html.parser
import os
import re
import sys


def fail(message):
    sys.exit("check_recommendation: " + message)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def same_number(shown, stored):
    if stored == "":
        return shown == ""
    return shown != "" and float(shown) == float(stored)


class Links(html.parser.HTMLParser):
    """Ids, '#' links, table-of-contents links and recommendation row ids of a page."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.toc_links, self.row_ids = set(), [], [], []
        self.in_nav = False
        self.back_to_top = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            if a["id"] in self.ids:
                fail("report.html: id '%s' is used twice" % a["id"])
            self.ids.add(a["id"])
            if tag == "tr" and a["id"].startswith("recommendation"):
                self.row_ids.append(a["id"])
        if tag == "nav":
            self.in_nav = True
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
            if self.in_nav:
                self.toc_links.append(a["href"][1:])
            if a["href"] == "#top":
                self.back_to_top += 1

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_nav = False


def main(folder, selections_csv, rule, mode):
    with open(os.path.join(folder, "report.md")) as f:
        md = f.read()
    sections = re.findall(r"^## (.+)$", md, re.M)
    if not sections or sections[0] != "Recommendation":
        fail("the first section of report.md is %r, not 'Recommendation'" % sections[:1])
    if "Provenance" not in sections:
        fail("report.md has no Provenance section: %s" % sections)
    if sections.index("Provenance") < len(sections) - 2 or sections[-1] not in ("Provenance",
                                                                                 "Notes"):
        fail("Provenance is not at the end (before the notes only): %s" % sections)
    start = md.index("## Recommendation")
    section = md[start:md.index("\n## ", start + 3)]
    stated = {
        "default": "The recommending rule is knee-point, the default",
        "asked": "The recommending rule is %s, chosen with --recommend" % rule,
        "fallback": "The default rule, knee-point, is not an optimizer of this run",
    }[mode]
    if stated not in section:
        fail("the Recommendation section does not say %r:\n%s" % (stated, section[:1500]))
    if mode == "fallback" and "so the recommendation uses %s, the first that uses the knee-point " \
                              "plugin" % rule not in section:
        fail("the fallback does not name %s as the stand-in" % rule)

    stored = read_csv(selections_csv)
    replications = len({row["replication"] for row in stored})
    picks = [row for row in stored if row["optimizer"] == rule]
    profiles = list(dict.fromkeys(row["profile"] for row in stored))
    scenarios = list(dict.fromkeys(row["scenario"] for row in stored))
    checked = 0
    for scenario in scenarios:
        table = read_csv(os.path.join(folder, "tables", "recommendation-%s.csv" % scenario))
        expected_profiles = [p for p in profiles
                             if any(r["scenario"] == scenario and r["profile"] == p
                                    for r in picks)]
        if [row["profile"] for row in table] != expected_profiles:
            fail("recommendation-%s.csv rows %s, expected one per profile %s"
                 % (scenario, [row["profile"] for row in table], expected_profiles))
        for row in table:
            mine = [r for r in picks if r["scenario"] == scenario and r["profile"] == row["profile"]]
            rep0 = [r for r in mine if r["replication"] == "0"]
            if len(rep0) != 1:
                fail("%d stored picks of %s for %s in %s" % (len(rep0), rule, row["profile"],
                                                             scenario))
            pick = rep0[0]
            if row["k"] != pick["k"]:
                fail("%s/%s: k %r, stored %r" % (scenario, row["profile"], row["k"], pick["k"]))
            for column, name in (("E[accuracy]", "accuracy"), ("E[cost] (USD)", "cost"),
                                 ("E[latency] (s)", "latency")):
                if not same_number(row[column], pick[name]):
                    fail("%s/%s: %s %r, stored %r" % (scenario, row["profile"], column,
                                                      row[column], pick[name]))
            if replications > 1:
                counts = collections.Counter(r["k"] for r in mine)
                # The report's modal share counts picks of a k; no pick when that is more common.
                ks = {k: n for k, n in counts.items() if k != ""}
                modal = max(ks.values()) if ks else 0
                share = max(modal, counts.get("", 0)) / len(mine)
                if not row["P(pick)"].startswith("%.2f" % share):
                    fail("%s/%s: P(pick) %r, the replications give %.2f" % (
                        scenario, row["profile"], row["P(pick)"], share))
            elif row["P(pick)"] != "":  # report.md says so in words (checked below)
                fail("%s/%s: P(pick) %r for a single run" % (scenario, row["profile"],
                                                             row["P(pick)"]))
            if pick["status"] == "infeasible" and \
                    not row["why"].startswith("no k meets the budget; the closest is k = "):
                fail("%s/%s: an infeasible pick reads %r" % (scenario, row["profile"], row["why"]))
            if pick["status"] == "selected" and not row["why"]:
                fail("%s/%s: no reason for the pick" % (scenario, row["profile"]))
            checked += 1
    if replications == 1 and section.count("| single run, no confidence |") != checked:
        fail("report.md does not say 'single run, no confidence' in each row")
    if checked != len(profiles) * len(scenarios):
        fail("%d recommendation rows, expected %d" % (checked, len(profiles) * len(scenarios)))

    with open(os.path.join(folder, "report.html")) as f:
        page = Links()
        page.feed(f.read())
    broken = [link for link in page.links if link not in page.ids]
    if broken:
        fail("report.html links to missing ids: %s" % broken[:5])
    if len(page.row_ids) != checked:
        fail("report.html has %d anchored recommendation rows, expected %d"
             % (len(page.row_ids), checked))
    missing = [i for i in page.row_ids if i not in page.toc_links]
    if missing:
        fail("recommendation rows without a table-of-contents entry: %s" % missing)
    if page.back_to_top < len(sections) - 1:
        fail("%d 'back to top' links for %d sections" % (page.back_to_top, len(sections)))
    print("recommendation OK: rule %s (%s), %d rows, %d replications, sections %s"
          % (rule, mode, checked, replications, sections))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
