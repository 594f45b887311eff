#!/usr/bin/env python3
"""browser.png: the PNG reader of tools/report_browser.py, which decides whether a screenshot is
blank, on synthetic images (pseudo-random pixels from a fixed seed) encoded here with each of
PNG's five filters, in grey, grey+alpha, RGB and RGBA: every row comes back as written, a
single-colour image is blank, one pixel of another colour (first or last) is not, and PNG kinds
it does not read and damaged files are refused with a message.
  usage: python3 test_png.py SOURCE_DIR"""
import importlib.util
import os
import random
import struct
import sys
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
spec = importlib.util.spec_from_file_location(
    "report_browser", os.path.join(sys.argv[1], "tools", "report_browser.py"))
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)
failures = []


def expect(condition, what):
    if not condition:
        failures.append(what)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filtered(kind, row, previous, bpp):
    """ROW encoded with PNG filter KIND (the inverse of unfilter, written the other way round)."""
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = previous[i]
        c = previous[i - bpp] if i >= bpp else 0
        predictor = (0, a, b, (a + b) >> 1, paeth(a, b, c))[kind]
        out[i] = (x - predictor) & 0xFF
    return bytes(out)


def encode(rows, width, colour_type, kinds, depth=8, interlace=0):
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    previous = bytes(width * bpp)
    raw = b""
    for y, row in enumerate(rows):
        kind = kinds[y % len(kinds)]
        raw += bytes([kind]) + filtered(kind, row, previous, bpp)
        previous = row

    def chunk(name, body):
        return (struct.pack(">I", len(body)) + name + body
                + struct.pack(">I", zlib.crc32(name + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, len(rows), depth, colour_type, 0, 0, interlace)
    # Two IDAT chunks: a reader must join them.
    data = zlib.compress(raw)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data[:7])
            + chunk(b"IDAT", data[7:]) + chunk(b"IEND", b""))


rng = random.Random(19)  # fixed seed: the same synthetic images every run
width, height = 23, 11
for colour_type, bpp in ((0, 1), (2, 3), (4, 2), (6, 4)):
    for kind in range(5):
        rows = [bytes(rng.randrange(256) for _ in range(width * bpp)) for _ in range(height)]
        previous = bytearray(width * bpp)
        for y, row in enumerate(rows):
            back = tool.unfilter(kind, filtered(kind, row, previous, bpp), previous, bpp, "t")
            expect(bytes(back) == row, "colour type %d filter %d: row %d differs" % (colour_type,
                                                                                    kind, y))
            previous = back
        colour = bytes(rng.randrange(256) for _ in range(bpp))
        plain = [colour * width for _ in range(height)]
        # Every filter on every row in turn, so that each meets each predecessor.
        kinds = [kind, (kind + 1) % 5, (kind + 3) % 5]
        name = "colour type %d, filters %s" % (colour_type, kinds)
        got = tool.png_colours(encode(plain, width, colour_type, kinds), name)
        expect(got == (width, height, 1), "%s, one colour: %r, expected blank" % (name, got))
        other = bytes((x + 1) & 0xFF for x in colour)
        for y, x in ((0, 0), (height - 1, width - 1)):
            dotted = list(plain)
            dotted[y] = colour * x + other + colour * (width - x - 1)
            got = tool.png_colours(encode(dotted, width, colour_type, kinds), name)
            expect(got == (width, height, 2),
                   "%s, one other pixel at (%d, %d): %r, expected not blank" % (name, x, y, got))

# Paeth's ties (PNG specification 9.4: a before b before c). With left a, up b, up-left c:
# a = 0, b = 15, c = 10 predict 5, as near a as c (a must be chosen); a = 15, b = 0, c = 10
# predict 5, as near b as c (b must be chosen). (A tie of a and b alone cannot change a byte.)
for up, row in (([10, 15], [0, 77]), ([10, 0], [15, 77])):
    up, row = bytes(up), bytes(row)
    back = tool.unfilter(4, filtered(4, row, up, 1), bytearray(up), 1, "tie")
    expect(bytes(back) == row, "Paeth tie under %r: %r, expected %r" % (up, bytes(back), row))

for what, data, message in (
        ("not a PNG", b"GIF89a", "is not a PNG file"),
        # The header is what is refused: the pixel bytes after it do not matter.
        ("16-bit", encode([bytes(9)] * 2, 3, 2, [0], depth=16), "bit depth 16"),
        ("interlaced", encode([bytes(9)] * 2, 3, 2, [0], interlace=1), "interlace 1"),
        ("no header", b"\x89PNG\r\n\x1a\n", "no IHDR chunk"),
        ("cut short", encode([bytes(9)] * 2, 3, 2, [0])[:45], "cut short in its IDAT chunk"),
        ("damaged", encode([bytes(9)] * 2, 3, 2, [0]).replace(b"IDAT\x78", b"IDAT\x00"),
         "damaged pixel data")):
    try:
        tool.png_colours(data, what)
        failures.append("%s: read without an error" % what)
    except ValueError as error:
        expect(message in str(error), "%s: message '%s' lacks '%s'" % (what, error, message))
try:
    tool.unfilter(7, b"\0" * 4, bytearray(4), 1, "x.png")
    failures.append("filter 7: read without an error")
except ValueError as error:
    expect("unknown PNG filter 7" in str(error), "filter 7: message '%s'" % error)

for failure in failures:
    print("FAIL: " + failure)
print("%s: %d problem(s)" % ("FAILED" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
