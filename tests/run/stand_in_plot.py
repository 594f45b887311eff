#!/usr/bin/env python3
"""A stand-in for tools/kcube_plot.py, for the report tests that do not draw figures.

usage: stand_in_plot.py DATA.json [--root DIR] [--jobs N]  |  stand_in_plot.py --check

`kcube report` runs it as it runs the plotter (KCUBE_PLOT_SCRIPT): the figure data go through the
plotter's own input checks (kcube_plot.validate(), imported from tools/ of this source tree; bad
input exits 2 as the plotter does), and each figure's output is written as a one-pixel image of
the requested format, its path printed, in the order of the figures. So a report test still checks
which figures kcube plans, their file names and how the report embeds them, in seconds; the
drawing itself is tested by report.plot and run.report-figures.
Standard library only.
"""
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import kcube_plot  # noqa: E402  (the real plotter's input checks)


def png():
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
            chunk(b"IDAT", zlib.compress(b"\x00\xff")) + chunk(b"IEND", b""))


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
       b'<rect width="1" height="1"/></svg>\n')


def main(argv):
    if argv[:1] == ["--check"]:
        return 0
    if not argv or argv[0].startswith("--"):
        print("usage: stand_in_plot.py DATA.json [--root DIR] [--jobs N]", file=sys.stderr)
        return 2
    data_path = argv[0]
    root = os.path.dirname(data_path)
    if "--root" in argv:
        root = argv[argv.index("--root") + 1]
    with open(data_path, encoding="utf-8") as f:
        data = json.load(f)
    try:
        fmt, _dpi, figures = kcube_plot.validate(data)
    except kcube_plot.InputError as e:
        for line in str(e).splitlines():
            print("stand_in_plot: %s: %s" % (data_path, line), file=sys.stderr)
        return 2
    image = png() if fmt == "png" else SVG
    for figure in figures:
        path = os.path.join(root, figure["output"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as out:
            out.write(image)
        os.replace(path + ".tmp", path)
        print(path, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
