#!/usr/bin/env bash
# browser.crafted: tools/report_browser.py on synthetic pages written here (not kcube reports):
# a good page passes every check, and each page with one defect fails, naming the check and the
# place: a broken image, an inline SVG of no size, a dead #link, an element wider than the page,
# remote URLs (blocked before they leave the browser: the only address is in TEST-NET-1,
# 192.0.2.0/24, which nothing answers anyway), a page drawn in one colour (every screenshot
# blank) and an empty page; a browser that dies or never answers fails the run. Usage errors
# exit 2.
#   usage: bash crafted.sh CHROMIUM SOURCE_DIR SCRATCH_DIR
#   env:   KCUBE_BROWSER_KEEP=1 keeps the pages and screenshots for a post-mortem
set -euo pipefail
[[ $# -eq 3 ]] || {
  echo "usage: bash $0 CHROMIUM SOURCE_DIR SCRATCH_DIR" >&2
  exit 2
}
chromium=$1
src=$(cd "$2" && pwd)
# shellcheck source=../support/harness.sh
source "$src/tests/support/harness.sh"
harness_init browser-crafted "$3" KCUBE_BROWSER_KEEP
tool=$src/tools/report_browser.py
pages=$WORK/pages

# browse LOG EXPECTED_STATUS PAGE [ARGS...]: the tool on PAGE, which must exit EXPECTED_STATUS.
browse() {
  local log=$1 want=$2 page=$3
  shift 3
  expect_exit "$want" "$log" python3 "$tool" "$pages/$page" --chromium "$chromium" "$@"
}

step "synthetic pages"
python3 - "$pages" <<'PY'
import os, struct, sys, zlib

folder = sys.argv[1]
os.makedirs(os.path.join(folder, "figures"), exist_ok=True)


def png(width, height, pixel):
    """An RGB PNG (filter 0 on every row) whose pixel (x, y) is pixel(x, y)."""
    rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(width))
                    for y in range(height))
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0,
                                                               0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# A synthetic figure: a colour gradient with a dark diagonal; and an all-white one.
with open(os.path.join(folder, "figures", "gradient.png"), "wb") as f:
    f.write(png(320, 200, lambda x, y: (20, 20, 20) if abs(x - y) < 3 else (x % 256, y, 160)))
with open(os.path.join(folder, "figures", "white.png"), "wb") as f:
    f.write(png(320, 200, lambda x, y: (255, 255, 255)))

STYLE = ("body { margin: 0 auto; max-width: 1100px; padding: 1em 2em; font-family: sans-serif; }"
         " table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 4px; }"
         " .scroll { overflow-x: auto; }")
TOC = ('<nav><a href="#results">Results</a> <a href="#figures">Figures</a> '
       '<a href="#dn%C3%A9">Encoded</a> <a href="#top">Back to the top</a></nav>')
BODY = """<h1 id="results">Synthetic page (test data, not a kcube report)</h1>
<p>Made by tests/browser/crafted.sh to exercise tools/report_browser.py.</p>
<table><tr><th>k</th><th>accuracy</th></tr><tr><td>1</td><td>0.50</td></tr>
<tr><td>2</td><td>0.62</td></tr></table>
<div class="scroll"><table><tr>%s</tr></table></div>
<h2 id="dné">A heading with an encoded id</h2>
<div style="height: 1200px"></div>
<h2 id="figures">Figures</h2>
<figure><img src="figures/gradient.png" alt="gradient"><figcaption>A gradient</figcaption></figure>
<figure><svg width="200" height="80"><rect width="200" height="80" fill="#3366aa"/></svg>
<figcaption>An inline SVG</figcaption></figure>
<details><summary>Closed: its SVG is not drawn</summary><svg width="0" height="0"></svg></details>
<div style="height: 1200px"></div>
""" % ("<td>a wide cell in a scrolling wrapper</td>" * 40)


def page(name, extra="", body=None, style=STYLE):
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write('<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title><style>%s'
                '</style></head><body>%s%s%s</body></html>\n'
                % (name, style, TOC, BODY if body is None else body, extra))


page("good.html")
page("broken-image.html", '<p><img src="figures/missing.png" alt="missing"></p>')
page("empty-svg.html", '<figure><svg id="flat" width="0" height="0"></svg></figure>')
page("dead-link.html", '<p><a href="#no-such-section">a dead link</a></p>')
page("wide.html", '<div id="too-wide" style="width: 1800px; background: #eee">wide</div>')
page("remote.html",
     '<p><img src="http://192.0.2.1/remote.png" alt="remote"></p>'
     '<link rel="stylesheet" href="//192.0.2.1/remote.css">'
     # display: none draws nothing, so nothing fetches it: only the page scan finds it.
     '<div style="display: none; background: url(https://192.0.2.1/hidden.png)"></div>')
# Every screenshot blank: white text, a white figure and a borderless white table on white.
page("blank.html", body="""<h1 id="results">Synthetic blank page</h1>
<div style="height: 1200px"></div><h2 id="figures">Figures</h2>
<figure><img src="figures/white.png" alt="white"></figure>
<table><tr><td>white</td></tr></table><div style="height: 1200px"></div><span id="dné"></span>""",
     style="body { color: #fff; background: #fff; margin: 0; } a { color: #fff; }")
with open(os.path.join(folder, "empty.html"), "w") as f:
    f.write("<!DOCTYPE html><html><head><title>empty</title></head><body></body></html>\n")
PY

step "a good page passes every check"
browse good 0 good.html --screenshots "$WORK/shots"
for check in images links width remote screenshots; do
  expect_out good "PASS $check:"
done
expect_out good "1 of 1 <img> loaded; 2 inline <svg> (1 not drawn: hidden)"
expect_out good "4 of 4 in-page links name an element"
expect_out good "2 URL(s) requested, 0 of them remote; 0 remote URL(s) in the page"
expect_out good "page 1400 px wide in a 1400 px window"
expect_out good "3 of 3 drawn (not a single colour) at 1400 px width"
expect_out good "(figure under heading \"Figures\", opened as report.html#figures, scrolled to"
expect_out good "report_browser: all 5 checks passed"
python3 - "$WORK/shots" <<'PY' || fail "the good page's screenshots are not 1400 px PNGs (above)"
import os, struct, sys
for name in ("top.png", "figure.png", "table.png"):
    with open(os.path.join(sys.argv[1], name), "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", (name, head[:8])
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (1400, 900), (name, width, height)
PY

step "a report whose path holds a space and '#' (a file: URL quotes them)"
mkdir -p "$pages/a dir #2"
cp -r "$pages/good.html" "$pages/figures" "$pages/a dir #2/"
browse odd-path 0 "a dir #2/good.html"
expect_out odd-path "report_browser: all 5 checks passed"

step "a broken image fails the images check"
browse broken 1 broken-image.html
expect_out broken "FAIL images:"
expect_out broken 'broken image: img "figures/missing.png" under heading "Figures" did not load'
expect_out broken "report_browser: 1 of 5 checks failed (images)"

step "a drawn inline <svg> without a size fails the images check"
browse empty-svg 1 empty-svg.html
expect_out empty-svg 'inline <svg> without a size (0 x 0 px): svg#flat under heading "Figures"'
expect_out empty-svg "report_browser: 1 of 5 checks failed (images)"

step "a dead #link fails the links check"
browse dead 1 dead-link.html
expect_out dead "FAIL links:"
expect_out dead 'dead link "#no-such-section" (text "a dead link"): no element has id'
expect_out dead "report_browser: 1 of 5 checks failed (links)"

step "an element wider than the page fails the width check"
browse wide 1 wide.html
expect_out wide "FAIL width:"
expect_out wide "it scrolls sideways"
expect_out wide 'wider than the page: div#too-wide under heading "Figures" reaches'
expect_out wide "report_browser: 1 of 5 checks failed (width)"

step "remote URLs fail the remote check and are not fetched"
browse remote 1 remote.html
expect_out remote "FAIL remote: 4 URL(s) requested, 2 of them remote; 3 remote URL(s) in the page"
# Blocked, in the browser's own words (net::ERR_BLOCKED_BY_CLIENT), not only in the script's.
blocked="(blocked before it left: net::ERR_BLOCKED_BY_CLIENT"
expect_out remote "remote request http://192.0.2.1/remote.png $blocked"
expect_out remote "remote request file://192.0.2.1/remote.css $blocked"
expect_out remote 'remote URL in the page: src "http://192.0.2.1/remote.png"'
expect_out remote 'remote URL in the page: href "//192.0.2.1/remote.css"'
expect_out remote 'remote URL in the page: CSS url "https://192.0.2.1/hidden.png"'
if grep -qF "NOT blocked" "$LOGS/remote.out"; then
  show_log remote
  fail "a remote request left the browser"
fi

step "a page drawn in one colour fails the screenshots check"
browse blank 1 blank.html
expect_out blank "FAIL screenshots: 0 of 3 drawn"
expect_out blank "blank screenshot: top.png (scrolled to 0) is a single colour"
expect_out blank "blank screenshot: figure.png (figure under heading \"Figures\", opened as"
expect_out blank 'blank screenshot: table.png (table under heading "Figures"'
# With --screenshots the message names the kept file.
browse blank-kept 1 blank.html --screenshots "$WORK/blank-shots"
expect_out blank-kept "blank screenshot: $WORK/blank-shots/top.png (scrolled to 0)"
expect_out blank "report_browser: 1 of 5 checks failed (screenshots)"

step "an empty page has nothing to show"
browse empty 1 empty.html
expect_out empty "blank screenshot: top.png (scrolled to 0) is a single colour"
expect_out empty "figure.png: the page has no first figure to show"
expect_out empty "table.png: the page has no first table after the first heading to show"

step "a browser that dies or never answers is a failure, not a pass"
# Stand-ins for Chromium: one exits at once, one never answers (the --timeout guard ends it).
printf '#!/bin/sh\necho "stand-in browser: gone" >&2\nexit 3\n' >"$WORK/dying-browser"
printf '#!/bin/sh\n[ "$1" = --version ] && exit 0\nexec sleep 600\n' >"$WORK/silent-browser"
chmod +x "$WORK/dying-browser" "$WORK/silent-browser"
expect_exit 1 dying python3 "$tool" "$pages/good.html" --chromium "$WORK/dying-browser"
expect_out dying "FAIL browser: Chromium exited (status 3):"
expect_out dying "stand-in browser: gone"
expect_exit 1 silent python3 "$tool" "$pages/good.html" --chromium "$WORK/silent-browser" \
  --timeout 2
expect_out silent "FAIL browser: no answer from Chromium within 2 s"
expect_out silent "no check ran to the end"

step "usage errors exit 2"
browse no-report 2 no-such-report.html
expect_err no-report "no report at"
browse no-chromium 2 good.html --chromium "$WORK/no-such-chromium"
expect_err no-chromium "sudo apt-get install chromium"
browse bad-timeout 2 good.html --timeout 0
expect_err bad-timeout "--timeout must be positive"
touch "$WORK/a-file"
browse bad-folder 2 good.html --screenshots "$WORK/a-file/shots"
expect_err bad-folder "cannot make the screenshot folder --screenshots $WORK/a-file/shots"
