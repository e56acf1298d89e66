"""The SVG flame graph in a real browser: headless Chromium driven over the DevTools protocol (a pipe, no extra
packages): it loads without console errors, a click zooms into a frame, a search reports the matched share."""
import json
import os
import shutil
import subprocess
import tempfile

from chromium import Chromium, find_chromium
from lib import PYFLAME, Skip, check, test

FOLDED = "main;a;b 30\nmain;a;c 10\nmain;d 60\n"


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
    exe = find_chromium()
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
