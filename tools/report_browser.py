#!/usr/bin/env python3
"""Opens a kcube report.html in headless Chromium and checks what a reader would see.

At 1400 x 900 CSS pixels, after the page's load event, it checks:
  images       every <img> is loaded (complete, naturalWidth > 0) and every inline <svg> that
               is drawn (not hidden, as in a closed <details>) has a size on the page;
  links        every in-page link (a[href^="#"], the table of contents among them) names an
               element id (or an <a name>), or is "#" / "#top", which HTML scrolls to the top;
  width        nothing is wider than the page: the document does not scroll sideways, and no
               element reaches past the right edge unless a wrapper scrolls it (overflow-x auto
               or scroll);
  remote       nothing remote is requested: every request is file: (without a host) or data:
               (any other request is blocked before it leaves the browser, and reported), and
               no src, href, srcset, poster or CSS url(...) in the page names an http(s): or
               protocol-relative URL;
  screenshots  the top of the page, the first figure section and the first table after the
               first heading are captured as PNG, and none may be a single colour. The figure
               is shown the way the issue saw #anchor URLs drawn blank by headless Chromium:
               the report opened anew at report.html#ANCHOR, ANCHOR the heading before the
               figure; the table is scrolled into view (by its own anchor if it has one).

The screenshots go to --screenshots DIR as top.png, figure.png and table.png (to a temporary
folder, checked and removed, without the option).

Chromium is driven through the DevTools protocol over --remote-debugging-pipe: it reads
commands from file descriptor 3 and writes replies and events to file descriptor 4, one JSON
message each, ended by a NUL byte. No network port is opened and no library beyond Python's
is needed.

  usage: python3 tools/report_browser.py REPORT.html [--screenshots DIR] [--chromium PATH]
                                         [--timeout SECONDS]
  exit status: 0 every check passed, 1 a check failed (each failure listed with what and where)
               or the browser failed, 2 usage error (no such report, no Chromium).
"""

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import pathlib
import tempfile
import time
import urllib.parse
import zlib

WIDTH = 1400  # CSS pixels: the width the issue asks the report to read well at
HEIGHT = 900
CHECKS = ("images", "links", "width", "remote", "screenshots")
# Schemes a report may load from besides file: (its own files): inline data, and blob: and
# about: URLs, which are made inside the browser (about:blank is the tab before navigation).
INLINE_SCHEMES = ("data", "blob", "about")
# Debian's /usr/bin/chromium is a shell launcher that adds flags from /etc/chromium.d (it loads
# extensions, among others); its binary behind it is run directly when it is there.
CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome",
              "google-chrome-stable")
INSTALL_HINT = ("install it (Debian/Ubuntu: `sudo apt-get install chromium`, or `bash "
                "tools/setup.sh`), or name it with --chromium PATH")


class UsageError(Exception):
    """A mistake in how the tool was called (exit status 2)."""


class BrowserError(Exception):
    """Chromium did not do what was asked: it died, timed out or answered with an error."""


# ---------------------------------------------------------------------------------------------
# The DevTools protocol over a pipe


class Browser:
    """A headless Chromium child process and its DevTools pipe."""

    def __init__(self, executable, timeout):
        self.timeout = timeout
        self.hung = False  # it did not answer within the timeout
        self.next_id = 0
        self.events = []  # event messages received while waiting for something else
        self.buffer = b""
        self.requests = []  # URLs of Network.requestWillBeSent, in order
        self.blocked = []  # remote URLs failed by the Fetch handler before they left
        self.request_urls = {}  # Network requestId -> URL
        self.outcomes = {}  # URL -> how its last load ended: an error text, or "loaded"
        # The profile and Chromium's log (a file: a pipe nobody reads while the page loads could
        # fill up and stall the browser).
        self.scratch = tempfile.mkdtemp(prefix="kcube-browser-")
        self.profile = os.path.join(self.scratch, "profile")
        self.log = open(os.path.join(self.scratch, "chromium.log"), "w+b")
        # Chromium reads fd 3 (our to_browser pipe) and writes fd 4 (our from_browser pipe).
        to_read, to_write = os.pipe()
        from_read, from_write = os.pipe()
        flags = [
            "--headless=new",
            "--remote-debugging-pipe",
            "--user-data-dir=" + self.profile,
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-component-extensions-with-background-pages",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--metrics-recording-only",
            "--no-pings",
            "--mute-audio",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            # No name resolves: a request that escaped the Fetch block below still goes nowhere.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=%d,%d" % (WIDTH, HEIGHT),
            "about:blank",
        ]
        # The sandbox needs an unprivileged user; as root Chromium refuses to start without this.
        if os.geteuid() == 0:
            flags.insert(0, "--no-sandbox")

        def give_pipes():
            # In the child, before exec: the pipes become fds 3 and 4. Copied above 10 first,
            # so that neither dup2 overwrites the other pipe; the copies close at exec.
            high_read = fcntl.fcntl(to_read, fcntl.F_DUPFD_CLOEXEC, 10)
            high_write = fcntl.fcntl(from_write, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(high_read, 3)  # inheritable: Chromium keeps it
            os.dup2(high_write, 4)

        try:
            self.process = subprocess.Popen(
                [executable] + flags, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self.log, preexec_fn=give_pipes, start_new_session=True,
                # Python's own descriptors are not inheritable: only fds 3 and 4 reach Chromium
                # (closing "all but pass_fds" would run after give_pipes and close them).
                close_fds=False)
        except OSError as error:
            self.log.close()
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise UsageError("cannot start Chromium '%s': %s; %s" % (executable, error,
                                                                     INSTALL_HINT))
        os.close(to_read)
        os.close(from_write)
        self.write_fd = to_write
        self.read_fd = from_read

    def close(self):
        """Asks Chromium to quit, then ends its process group if it has not (at once when it
        stopped answering)."""
        try:
            if self.process.poll() is None and not self.hung:
                try:
                    self.send_only("Browser.close")
                    self.process.wait(timeout=10)
                except (BrowserError, OSError, subprocess.TimeoutExpired):
                    pass
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        finally:
            for fd in (self.write_fd, self.read_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.scratch, ignore_errors=True)

    def died(self):
        """The reason Chromium is gone, with the end of what it printed."""
        # Its pipe closes a moment before the process ends: wait for the status.
        try:
            status = "status %d" % self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            status = "its pipe closed, the process still running"
        self.log.seek(0)
        err = self.log.read().decode("utf-8", "replace")
        tail = "\n".join(err.strip().splitlines()[-8:])
        return "Chromium exited (%s)%s" % (status, (":\n" + tail) if tail else "")

    def send_only(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.write_fd, data):]
        except BrokenPipeError:
            raise BrowserError(self.died())
        return self.next_id

    def call(self, method, params=None, session=None):
        """Sends a command and returns its result; an error reply raises BrowserError."""
        wanted = self.send_only(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self.receive(deadline, "the reply to " + method)
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError("%s failed: %s" % (method, message["error"].get("message")))
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method, session, what):
        """Waits for event METHOD of SESSION (also one already received) and returns its params."""
        for i, message in enumerate(self.events):
            if message["method"] == method and message.get("sessionId") == session:
                return self.events.pop(i).get("params", {})
        deadline = time.monotonic() + self.timeout
        while True:
            message = self.receive(deadline, what)
            if message.get("method") == method and message.get("sessionId") == session:
                return message.get("params", {})
            if "method" in message:
                self.events.append(message)

    def receive(self, deadline, what):
        """The next message that is not handled here (requests are recorded and filtered)."""
        while True:
            message = self.read_message(deadline, what)
            method = message.get("method")
            if method == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
                self.request_urls[message["params"]["requestId"]] = self.requests[-1]
            elif method in ("Network.loadingFailed", "Network.loadingFinished"):
                params = message["params"]
                url = self.request_urls.get(params["requestId"])
                if url:
                    self.outcomes[url] = params.get("errorText") or "loaded"
            elif method == "Fetch.requestPaused":
                self.filter_request(message)
            else:
                return message

    def filter_request(self, message):
        """Lets a local request through and fails any other before it leaves the browser."""
        params = message["params"]
        url = params["request"]["url"]
        session = message.get("sessionId")
        if is_local(url):
            self.send_only("Fetch.continueRequest", {"requestId": params["requestId"]}, session)
        else:
            self.blocked.append(url)
            self.send_only("Fetch.failRequest", {"requestId": params["requestId"],
                                                 "errorReason": "BlockedByClient"}, session)

    def read_message(self, deadline, what):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.hung = True
                raise BrowserError("no answer from Chromium within %g s while waiting for %s "
                                   "(raise --timeout if the machine is busy)"
                                   % (self.timeout, what))
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise BrowserError(self.died())
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)


def is_local(url):
    """Whether loading URL stays on this machine: a file: URL without a host (a protocol-relative
    //host/x in a file: page is file://host/x, a network share), or inline data."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return parts.netloc.lower() in ("", "localhost")
    return scheme in INLINE_SCHEMES


def chromium_version(executable):
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "Chromium"
    return out or "Chromium"


def find_chromium(named):
    if named:
        path = shutil.which(named)
        if not path:
            raise UsageError("no Chromium at '%s' (--chromium); %s" % (named, INSTALL_HINT))
        return path
    for name in [os.environ.get("KCUBE_CHROMIUM", "")] + list(CANDIDATES):
        path = shutil.which(name) if name else None
        if path:
            return path
    raise UsageError("Chromium is not installed (looked for %s); %s" % (", ".join(CANDIDATES),
                                                                        INSTALL_HINT))


# ---------------------------------------------------------------------------------------------
# The checks, run in the page. Each returns {"ok": bool, "summary": str, "problems": [str]}.

PAGE_HELPERS = r"""
// Where an element is, for a reader: its tag, id or class, and the heading it is under.
function kcubeWhere(el) {
  let name = el.tagName.toLowerCase();
  if (el.id) name += '#' + el.id;
  else if (typeof el.className === 'string' && el.className.trim())
    name += '.' + el.className.trim().split(/\s+/).join('.');
  const src = el.getAttribute && (el.getAttribute('src') || el.getAttribute('href'));
  if (src) name += ' "' + (src.length > 60 ? src.slice(0, 57) + '...' : src) + '"';
  const headings = document.querySelectorAll('h1,h2,h3,h4,h5,h6');
  let under = null;
  for (const h of headings) {
    if (h === el || h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) under = h;
    else break;
  }
  if (under && under !== el)
    name += ' under heading "' + under.textContent.trim().slice(0, 80) + '"';
  else if (!under) name += ' (before the first heading)';
  return name;
}
function kcubeNextFrame() {
  return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
}
"""

CHECK_IMAGES = r"""(async () => {
  const problems = [];
  const images = Array.from(document.images);
  // Lazy images load only near the viewport: ask for all of them, then wait for each.
  for (const img of images) if (img.loading === 'lazy') img.loading = 'eager';
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  for (const img of images) {
    if (!img.complete || img.naturalWidth === 0)
      problems.push('broken image: ' + kcubeWhere(img) + ' did not load');
    else if (img.checkVisibility() && img.getBoundingClientRect().width === 0)
      problems.push('image drawn 0 px wide: ' + kcubeWhere(img));
  }
  // Inline <svg> figures (not an <svg> inside another one).
  const svgs = Array.from(document.querySelectorAll('svg'))
                    .filter(s => !s.parentElement.closest('svg'));
  let hidden = 0;
  for (const svg of svgs) {
    // Not drawn on purpose (display: none, a closed <details>): it has no box to measure.
    if (!svg.checkVisibility()) { hidden++; continue; }
    const box = svg.getBoundingClientRect();
    if (box.width < 1 || box.height < 1)
      problems.push('inline <svg> without a size (' + box.width.toFixed(0) + ' x ' +
                    box.height.toFixed(0) + ' px): ' + kcubeWhere(svg));
  }
  const loaded = images.filter(img => img.complete && img.naturalWidth > 0).length;
  return {ok: problems.length === 0, problems,
          summary: loaded + ' of ' + images.length + ' <img> loaded; ' + svgs.length +
                   ' inline <svg>' + (hidden ? ' (' + hidden + ' not drawn: hidden)' : '')};
})()"""

CHECK_LINKS = r"""(() => {
  const problems = [];
  const links = Array.from(document.querySelectorAll('a[href^="#"]'));
  for (const a of links) {
    const raw = a.getAttribute('href').slice(1);
    let id = raw;
    try { id = decodeURIComponent(raw); } catch (e) {}
    // HTML: an empty fragment and "top" (without such an id) scroll to the top of the page.
    if (id === '' || id.toLowerCase() === 'top') continue;
    if (document.getElementById(id) || document.getElementsByName(id).length) continue;
    problems.push('dead link "#' + raw + '" (text "' + a.textContent.trim().slice(0, 60) +
                  '"): no element has id "' + id + '"; link from ' + kcubeWhere(a));
  }
  return {ok: problems.length === 0, problems,
          summary: (links.length - problems.length) + ' of ' + links.length +
                   ' in-page links name an element'};
})()"""

CHECK_WIDTH = r"""(() => {
  const problems = [];
  const page = document.scrollingElement || document.documentElement;
  const inner = window.innerWidth;
  if (page.scrollWidth > inner)
    problems.push('the page is ' + page.scrollWidth + ' px wide in a ' + inner +
                  ' px window: it scrolls sideways');
  // An element scrolled by a wrapper (overflow-x auto or scroll) is what the wrapper is for.
  const scrolled = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const right = box.right + window.scrollX;
    if (right > inner + 1 && !scrolled(el)) wide.push([el, right]);
  }
  // Name the outermost offenders: the cells of a wide table are not news once the table is.
  const outer = wide.filter(([el]) => !wide.some(([o]) => o !== el && o.contains(el)));
  const shown = 20;
  for (const [el, right] of outer.slice(0, shown))
    problems.push('wider than the page: ' + kcubeWhere(el) + ' reaches ' + right.toFixed(0) +
                  ' px (window ' + inner + ' px)');
  if (outer.length > shown) problems.push('... and ' + (outer.length - shown) + ' more elements');
  return {ok: problems.length === 0, problems,
          summary: 'page ' + page.scrollWidth + ' px wide in a ' + inner + ' px window'};
})()"""

SCAN_REMOTE = r"""(() => {
  const remote = /^\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i;  // http(s)://, ftp://, //host
  const local = /^\s*(?:file|data|blob|about):/i;
  const found = [];
  const note = (el, what, url) => {
    if (remote.test(url) && !local.test(url))
      found.push(what + ' "' + url.trim().slice(0, 100) + '" in ' + kcubeWhere(el));
  };
  const urls = /url\(\s*(['"]?)([^'")]*)\1\s*\)|@import\s+(['"])([^'"]*)\3/g;
  for (const el of document.querySelectorAll('*')) {
    for (const attr of ['src', 'poster', 'data', 'action', 'background']) {
      const v = el.getAttribute(attr);
      if (v) note(el, attr, v);
    }
    // A hyperlink (<a href>) fetches nothing until a reader follows it; every other href
    // (<link>, <use>, <image>) is fetched to draw the page.
    const href = el.getAttribute('href') || el.getAttribute('xlink:href');
    if (href && el.tagName.toLowerCase() !== 'a') note(el, 'href', href);
    const srcset = el.getAttribute('srcset');
    if (srcset)
      for (const part of srcset.split(',')) note(el, 'srcset', part.trim().split(/\s+/)[0]);
    const css = (el.tagName.toLowerCase() === 'style' ? el.textContent : '') + ' ' +
                (el.getAttribute('style') || '');
    for (const m of css.matchAll(urls)) note(el, 'CSS url', m[2] !== undefined ? m[2] : m[4]);
  }
  return found;
})()"""

# The first figure: a <figure> holding an image, else any image or inline <svg> outside the
# table of contents. Its anchor is the nearest heading with an id before it, the way a reader
# jumps there from the table of contents; the figure is then scrolled into view if the jump
# left it below the window.
FIND_FIGURE = r"""(() => {
  const pick = document.querySelector('figure img, figure svg') ||
               Array.from(document.querySelectorAll('img, svg')).find(e => !e.closest('nav'));
  if (!pick) return null;
  const el = pick.closest('figure') || pick;
  el.setAttribute('data-kcube-shot', 'figure');
  let anchor = null;
  for (const h of document.querySelectorAll('[id]'))
    if (/^H[1-6]$/.test(h.tagName) &&
        h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING)
      anchor = h.id;
  return {anchor, where: kcubeWhere(el)};
})()"""

FIND_TABLE = r"""(() => {
  const first = Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'))
                     .find(h => !h.closest('nav'));
  if (!first) return null;
  const el = Array.from(document.querySelectorAll('table')).find(
      t => first.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
  if (!el) return null;
  el.setAttribute('data-kcube-shot', 'table');
  return {anchor: el.id || null, where: kcubeWhere(el)};
})()"""

# Shows the element marked NAME: from the top (RESET) or where the page is, jumps to ANCHOR if
# given (a fragment navigation, as a reader's click in the table of contents), and scrolls the
# element itself into view when that leaves it outside the window. Returns the scroll offset.
SHOW = r"""(async (name, anchor, reset) => {
  if (reset) window.scrollTo(0, 0);
  if (anchor) location.hash = '#' + encodeURIComponent(anchor);
  await kcubeNextFrame();
  const el = document.querySelector('[data-kcube-shot="' + name + '"]');
  const box = el.getBoundingClientRect();
  if (box.top < 0 || box.top > window.innerHeight * 0.6) {
    el.scrollIntoView({block: 'start'});
    // Leave a little of what comes before (its heading or caption) in the picture.
    window.scrollBy(0, -48);
  }
  await kcubeNextFrame();
  return window.scrollY;
})"""


def evaluate(browser, session, expression, what):
    result = browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                               "awaitPromise": True}, session)
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        text = details.get("exception", {}).get("description") or details.get("text")
        raise BrowserError("the %s script failed in the page: %s" % (what, text))
    return result["result"].get("value")


# ---------------------------------------------------------------------------------------------
# PNG decoding (standard library): is a screenshot a single colour?


def png_colours(data, path):
    """(width, height, distinct) of a PNG: distinct is 1 for a single-colour image, else 2.

    Decodes 8-bit grey, RGB, grey+alpha and RGBA images without interlacing (what Chromium
    writes); any other kind raises ValueError. Stops at the first pixel unlike the first."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s is not a PNG file" % path)
    pos, header, idat = 8, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) < length:
            raise ValueError("%s is cut short in its %s chunk" % (path, kind.decode("latin-1")))
        if kind == b"IHDR" and length == 13:
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError("%s has no IHDR chunk" % path)
    width, height, depth, colour_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour_type)
    if depth != 8 or channels is None or interlace:
        raise ValueError("%s: PNG kind not read here (bit depth %d, colour type %d, interlace %d)"
                         % (path, depth, colour_type, interlace))
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as error:
        raise ValueError("%s: damaged pixel data (%s)" % (path, error))
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise ValueError("%s: %d bytes of pixels, %d expected" % (path, len(raw),
                                                                height * (stride + 1)))
    first = None
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        row = unfilter(kind, line, previous, channels, path)
        if first is None:
            first = bytes(row[:channels])
            uniform = first * width
        if row != uniform:
            return width, height, 2
        previous = row
    return width, height, 1


def unfilter(kind, line, previous, bpp, path):
    """One scanline with its PNG filter undone (PNG specification, section 9)."""
    if kind == 0:
        return bytearray(line)
    if kind == 2:
        if not any(line):  # the same row again: the common case in a blank area
            return bytearray(previous)
        return bytearray((a + b) & 0xFF for a, b in zip(line, previous))
    row = bytearray(line)
    if kind == 1:
        for i in range(bpp, len(row)):
            row[i] = (row[i] + row[i - bpp]) & 0xFF
    elif kind == 3:
        for i in range(len(row)):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + previous[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(len(row)):
            a = row[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    else:
        raise ValueError("%s: unknown PNG filter %d" % (path, kind))
    return row


# ---------------------------------------------------------------------------------------------
# The run


def open_report(browser, url):
    """A new tab at WIDTH x HEIGHT with the report loaded; returns its session id."""
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target,
                                                     "flatten": True})["sessionId"]
    browser.call("Page.enable", {}, session)
    browser.call("Network.enable", {}, session)
    # Every request pauses in filter_request: local ones go on, any other fails right there.
    browser.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session)
    browser.call("Emulation.setDeviceMetricsOverride", {
        "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}, session)
    load(browser, session, url)
    return session


def load(browser, session, url):
    """Opens URL in the tab and waits for its load event (at most the timeout: then an error)."""
    navigation = browser.call("Page.navigate", {"url": url}, session)
    if navigation.get("errorText"):
        raise BrowserError("Chromium could not open %s: %s" % (url, navigation["errorText"]))
    browser.wait_event("Page.loadEventFired", session, "the load event of " + url)
    evaluate(browser, session, PAGE_HELPERS + "; Object.assign(window, {kcubeWhere, "
             "kcubeNextFrame}); true", "helper")


def check_remote(browser, session):
    problems = []
    urls = list(dict.fromkeys(browser.requests))  # each once (the figure's page loads twice)
    for url in urls:
        if not is_local(url):
            # The browser's own word on the outcome, beside the block's: the proof that it held.
            outcome = browser.outcomes.get(url, "no outcome reported")
            if url in browser.blocked and outcome != "loaded":
                state = "blocked before it left: %s" % outcome
            else:
                state = "NOT blocked: %s" % outcome
            problems.append("remote request %s (%s)" % (url[:120], state))
    for found in evaluate(browser, session, SCAN_REMOTE, "remote-scan"):
        problems.append("remote URL in the page: " + found)
    remote = sum(not is_local(url) for url in urls)
    return {"ok": not problems, "problems": problems,
            "summary": "%d URL(s) requested, %d of them remote; %d remote URL(s) in the page"
                       % (len(urls), remote, len(problems) - remote)}


def take_screenshots(browser, session, url, folder, kept):
    """Captures top.png, figure.png and table.png of the report at URL into FOLDER (KEPT: FOLDER
    outlives the run) and checks that none is a single colour."""
    problems, drawn = [], []
    for name, what in (("top", "top of the page"), ("figure", "first figure"),
                       ("table", "first table after the first heading")):
        path = os.path.join(folder, name + ".png")
        shown = path if kept else name + ".png"  # a temporary path means nothing to a reader
        place = show(browser, session, url, name)
        if place is None:
            problems.append("%s: the page has no %s to show" % (name + ".png", what))
            continue
        shot = browser.call("Page.captureScreenshot", {"format": "png",
                                                       "captureBeyondViewport": False}, session)
        data = base64.b64decode(shot["data"])
        with open(path, "wb") as f:
            f.write(data)
        try:
            width, _, distinct = png_colours(data, path)
        except ValueError as error:
            problems.append("%s: cannot read the screenshot: %s" % (name + ".png", error))
            continue
        if width != WIDTH:
            problems.append("%s is %d px wide, not %d" % (shown, width, WIDTH))
        if distinct == 1:
            problems.append("blank screenshot: %s (%s) is a single colour" % (shown, place))
        else:
            drawn.append("%s (%s)" % (name + ".png", place))
    return {"ok": not problems, "problems": problems,
            "summary": "%d of 3 drawn (not a single colour) at %d px width%s"
                       % (len(drawn), WIDTH, (": " + "; ".join(drawn)) if drawn else "")}


def show(browser, session, url, name):
    """Brings screenshot NAME's part of the page into the window; says how, or None when the
    page has no such part.

    The figure is shown the way the issue saw #anchor URLs drawn blank: the report opened anew
    at report.html#ANCHOR (after about:blank, so that it is a fresh load, not a jump inside the
    loaded page). The table is reached from the top by its own anchor, if any, or by scrolling."""
    if name == "top":
        evaluate(browser, session, "(async () => { history.replaceState(null, '', "
                 "location.pathname); window.scrollTo(0, 0); await kcubeNextFrame(); })()",
                 "scroll")
        return "scrolled to 0"
    finder = FIND_FIGURE if name == "figure" else FIND_TABLE
    found = evaluate(browser, session, finder, name)
    if not found:
        return None
    anchor = found["anchor"]
    how = ""
    if name == "figure" and anchor:
        fresh = url + "#" + urllib.parse.quote(anchor, safe="")
        load(browser, session, "about:blank")
        load(browser, session, fresh)
        found = evaluate(browser, session, finder, name)  # marks the element in the new page
        how = ", opened as report.html#%s" % anchor
        y = evaluate(browser, session, "%s(%s, null, false)" % (SHOW, json.dumps(name)), "scroll")
    else:
        y = evaluate(browser, session, "%s(%s, %s, true)" % (SHOW, json.dumps(name),
                                                             json.dumps(anchor)), "scroll")
        how = ", via #%s" % anchor if anchor else ""
    return "%s%s, scrolled to %d" % (found["where"], how, y)


def run_checks(browser, url, folder, kept):
    session = open_report(browser, url)
    results = {}
    for name, script in (("images", CHECK_IMAGES), ("links", CHECK_LINKS),
                         ("width", CHECK_WIDTH)):
        results[name] = evaluate(browser, session, script, name)
    results["screenshots"] = take_screenshots(browser, session, url, folder, kept)
    # Last: scrolling may have started lazy loads.
    results["remote"] = check_remote(browser, session)
    return results


def main(argv):
    parser = argparse.ArgumentParser(
        description="Checks a kcube report.html in headless Chromium at %d px width: images, "
                    "in-page links, page width, remote requests, and screenshots of the top, a "
                    "figure and a table that must not be blank." % WIDTH)
    parser.add_argument("report", help="the report.html to open")
    parser.add_argument("--screenshots", metavar="DIR",
                        help="write top.png, figure.png and table.png here (created if needed)")
    parser.add_argument("--chromium", metavar="PATH",
                        help="the Chromium executable (default: $KCUBE_CHROMIUM, then "
                             "%s)" % ", ".join(CANDIDATES))
    parser.add_argument("--timeout", type=float, default=60, metavar="SECONDS",
                        help="longest wait for any answer of the browser, the page's load "
                             "among them (default 60); running out is a failure")
    args = parser.parse_args(argv)
    try:
        if not os.path.isfile(args.report):
            raise UsageError("no report at '%s' (make one with `kcube report STORE --out DIR`)"
                             % args.report)
        if args.timeout <= 0:
            raise UsageError("--timeout must be positive, not %g" % args.timeout)
        executable = find_chromium(args.chromium)
    except UsageError as error:
        print("report_browser: " + str(error), file=sys.stderr)
        return 2
    report = os.path.abspath(args.report)
    url = pathlib.Path(report).as_uri()  # quoted: a path may hold spaces, '#' or '%' 
    temporary = None
    folder = args.screenshots
    if folder:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            print("report_browser: cannot make the screenshot folder --screenshots %s: %s"
                  % (folder, error.strerror), file=sys.stderr)
            return 2
    else:
        folder = temporary = tempfile.mkdtemp(prefix="kcube-shots-")
    print("report_browser: %s in %s at %d x %d" % (args.report, chromium_version(executable),
                                                  WIDTH, HEIGHT))
    start = time.monotonic()
    try:
        browser = Browser(executable, args.timeout)
        try:
            results = run_checks(browser, url, folder, temporary is None)
        finally:
            browser.close()
    except UsageError as error:
        print("report_browser: " + str(error), file=sys.stderr)
        return 2
    except BrowserError as error:
        print("FAIL browser: %s\nreport_browser: no check ran to the end on %s" % (error,
                                                                                 args.report))
        return 1
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    failed = [name for name in CHECKS if not results[name]["ok"]]
    for name in CHECKS:
        result = results[name]
        print("%s %s: %s" % ("FAIL" if name in failed else "PASS", name, result["summary"]))
        for problem in result["problems"]:
            print("  - " + problem)
    seconds = time.monotonic() - start
    if failed:
        print("report_browser: %d of %d checks failed (%s) on %s in %.1f s"
              % (len(failed), len(CHECKS), ", ".join(failed), args.report, seconds))
        return 1
    print("report_browser: all %d checks passed on %s in %.1f s" % (len(CHECKS), args.report,
                                                                   seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
