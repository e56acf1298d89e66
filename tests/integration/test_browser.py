"""The SVG flame graph in a real browser: headless Chromium driven over the DevTools protocol (a pipe, no extra
packages): it loads without console errors, a click zooms into a frame, a search reports the matched share."""
import json
import os
import shutil
import subprocess
import tempfile
import time

from lib import PYFLAME, Failure, Skip, check, test

FOLDED = "main;a;b 30\nmain;a;c 10\nmain;d 60\n"


class Chromium:
    """Headless Chromium with --remote-debugging-pipe: JSON messages, NUL-terminated, on fds 3 (in) and 4 (out)."""

    def __init__(self, exe, profile_dir):
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()

        def child_fds():
            # Via fresh descriptors, in case one pipe end already sits on 3 or 4.
            r, w = os.dup(to_r), os.dup(from_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
             "--user-data-dir=" + profile_dir, "--remote-debugging-pipe", "about:blank"],
            pass_fds=(3, 4, to_r, from_w), preexec_fn=child_fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._id = 0
        self.events = []
        self.session = None

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            if time.time() > deadline:
                raise Failure("no answer from Chromium in time")
            chunk = os.read(self._from_r, 65536)
            if not chunk:
                raise Failure("Chromium closed its DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg.decode())

    def call(self, method, params=None, timeout=20, session=True):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise Failure("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, timeout=20):
        deadline = time.time() + timeout
        for e in self.events:
            if e.get("method") == method:
                return e
        while True:
            e = self._read_message(deadline)
            self.events.append(e)
            if e.get("method") == method:
                return e

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        self.call("Runtime.enable")
        self.call("Page.enable")
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def js(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise Failure("script failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def errors(self):
        out = []
        for e in self.events:
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(e["params"]["exceptionDetails"].get("text"))
            elif e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "assert"):
                out.append(e["params"].get("args"))
        return out

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:  # already gone: nothing to close
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_w)
        os.close(self._from_r)


# Width of the frame whose title starts with NAME, and a click on it, in the page.
WIDTH = """(function (name) {
  var gs = document.querySelectorAll('g');
  for (var i = 0; i < gs.length; i++) {
    var t = gs[i].querySelector('title');
    if (t && t.textContent.indexOf(name + ' (') === 0) return parseFloat(gs[i].querySelector('rect').getAttribute('width'));
  }
  return -1;
})(%s)"""
CLICK = """(function (name) {
  var gs = document.querySelectorAll('g');
  for (var i = 0; i < gs.length; i++) {
    var t = gs[i].querySelector('title');
    if (t && t.textContent.indexOf(name + ' (') === 0) {
      gs[i].querySelector('rect').dispatchEvent(new MouseEvent('click', {bubbles: true}));
      return true;
    }
  }
  return false;
})(%s)"""


@test
def test_svg_in_chromium_zooms_on_click_and_reports_search_share():
    # Debian's /usr/bin/chromium is a wrapper script; its binary takes the pipe as is.
    exe = "/usr/lib/chromium/chromium" if os.access("/usr/lib/chromium/chromium", os.X_OK) else shutil.which("chromium")
    if not exe:
        raise Skip("chromium is not installed (make deps installs it)")
    d = tempfile.mkdtemp(prefix="pyflame-browser-")
    browser = None
    try:
        folded, svg = os.path.join(d, "p.folded"), os.path.join(d, "p.svg")
        with open(folded, "w") as f:
            f.write(FOLDED)
        subprocess.run([PYFLAME, "report", folded, "-o", svg], check=True)
        browser = Chromium(exe, os.path.join(d, "profile"))
        browser.open("file://" + svg)
        a, b, d_ = (browser.js(WIDTH % json.dumps(n)) for n in ("a", "b", "d"))
        check(a > 0 and b > 0 and d_ > 0, "frames not drawn: a=%s b=%s d=%s" % (a, b, d_))
        check(abs(b / a - 0.75) < 0.02 and abs(d_ / a - 1.5) < 0.03, "widths not by samples: a=%s b=%s d=%s" %
              (a, b, d_))
        # Click `a`: it fills the width, its child b scales with it, its sibling d leaves the picture.
        check(browser.js(CLICK % json.dumps("a")), "no frame `a` to click")
        a2, b2 = browser.js(WIDTH % '"a"'), browser.js(WIDTH % '"b"')
        check(a2 > 2 * a and abs(b2 / a2 - 0.75) < 0.02, "click did not zoom: a %s -> %s, b %s -> %s" % (a, a2, b, b2))
        check(browser.js("document.querySelector('g:not(.hid) title') !== null"), "everything hidden after zoom")
        # Search through the page's own button, answering its prompt.
        browser.js("window.prompt = function () { return 'b|d'; }; document.getElementById('search')"
                   ".dispatchEvent(new MouseEvent('click', {bubbles: true})); true")
        text = browser.js("document.getElementById('matched').textContent")
        check(text == "Matched: 90.00%", "search share: %r" % text)
        check(not browser.errors(), "console errors: %r" % browser.errors())
    finally:
        if browser:
            browser.close()
        shutil.rmtree(d, ignore_errors=True)
