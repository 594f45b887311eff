#!/usr/bin/env python3
"""Checks on the JSON that the kcube CLI and profile_probe print, for the sdk test scripts.

  check_json.py selection FILE INDEX KEY=VALUE...
      Element INDEX of the array in FILE (`kcube select --json`) has each KEY equal to VALUE.
      VALUE is read as JSON when it parses (4, 0.03, null, true) and as a string otherwise;
      NUMBER+-TOL accepts any number within TOL of NUMBER.
  check_json.py object FILE KEY=VALUE...
      The same checks on the object in FILE; KEY may be a dotted path (accuracy.mean).
  check_json.py plugin FILE NAME KIND DIR
      FILE (`kcube plugins list --json`) lists plugin NAME of KIND loaded from a file in DIR.
  check_json.py builtin-under FILE PREFIX
      The built-in entry of FILE's search path lies under PREFIX.

Exits 0 when every check holds; otherwise prints what differs and exits 1.
"""
import json
import os
import sys


def fail(message):
    print("check_json: " + message, file=sys.stderr)
    sys.exit(1)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        text = open(path, encoding="utf-8", errors="replace").read() if os.path.exists(path) else ""
        fail(f"{path} is not valid JSON ({e}); it holds:\n{text}")


def expected(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def same(got, want):
    # bool is an int in Python: 1 must not pass for true, nor true for 1.
    if isinstance(got, bool) or isinstance(want, bool):
        return got is want
    return got == want


def lookup(obj, path):
    """obj's value at a dotted key path ("accuracy.mean"), or raise KeyError."""
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            raise KeyError(path)
        obj = obj[key]
    return obj


def check_fields(label, obj, pairs):
    """Each KEY=VALUE holds in obj; VALUE may end in +-TOL for a number within TOL."""
    errors = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            fail(f"bad expectation '{pair}' (want KEY=VALUE or KEY=NUMBER+-TOL)")
        try:
            got = lookup(obj, key)
        except KeyError:
            errors.append(f"no key '{key}'")
            continue
        if "+-" in value:
            centre, tol = (float(x) for x in value.split("+-"))
            if not isinstance(got, (int, float)) or isinstance(got, bool) or abs(got - centre) > tol:
                errors.append(f"{key} is {json.dumps(got)}, expected {centre} +- {tol}")
        elif not same(got, expected(value)):
            errors.append(f"{key} is {json.dumps(got)}, expected {json.dumps(expected(value))}")
    if errors:
        fail(f"{label}: " + "; ".join(errors) + f"\n  it is: {json.dumps(obj)}")


def check_selection(path, index, pairs):
    rows = load(path)
    if not isinstance(rows, list) or not -len(rows) <= int(index) < len(rows):
        fail(f"{path}: expected an array with an element {index}, got: {json.dumps(rows)}")
    check_fields(f"{path}[{index}]", rows[int(index)], pairs)


def check_plugin(path, name, kind, directory):
    listing = load(path)
    plugins = listing.get("plugins", []) if isinstance(listing, dict) else []
    matches = [p for p in plugins if p.get("name") == name]
    if not matches:
        refused = listing.get("refused", []) if isinstance(listing, dict) else []
        fail(f"{path}: no plugin '{name}' among {[p.get('name') for p in plugins]}; "
             f"refused: {json.dumps(refused)}")
    plugin = matches[0]
    if plugin.get("kind") != kind:
        fail(f"{path}: plugin '{name}' has kind {plugin.get('kind')!r}, expected {kind!r}")
    folder = os.path.realpath(os.path.dirname(plugin.get("file", "")))
    if folder != os.path.realpath(directory):
        fail(f"{path}: plugin '{name}' was loaded from {plugin.get('file')!r}, not from {directory}")


def check_builtin_under(path, prefix):
    listing = load(path)
    builtin = [d for d in listing.get("search_path", []) if d.get("origin") == "built-in"]
    if not builtin:
        fail(f"{path}: no built-in folder in the search path: {json.dumps(listing.get('search_path'))}")
    real_prefix = os.path.realpath(prefix) + os.sep
    for entry in builtin:
        if not os.path.realpath(entry["path"]).startswith(real_prefix):
            fail(f"{path}: the built-in plugin folder {entry['path']!r} is not under {prefix}: "
                 "the installed kcube is running a libkcube from elsewhere")


def main(argv):
    if len(argv) >= 4 and argv[1] == "selection":
        check_selection(argv[2], argv[3], argv[4:])
    elif len(argv) == 6 and argv[1] == "plugin":
        check_plugin(argv[2], argv[3], argv[4], argv[5])
    elif len(argv) >= 3 and argv[1] == "object":
        check_fields(argv[2], load(argv[2]), argv[3:])
    elif len(argv) == 4 and argv[1] == "builtin-under":
        check_builtin_under(argv[2], argv[3])
    else:
        fail("usage: see the docstring of " + argv[0])


if __name__ == "__main__":
    main(sys.argv)
