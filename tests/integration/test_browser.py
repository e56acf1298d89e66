"""The SVG flame graph in a real browser: headless Chromium driven over the DevTools protocol (a pipe, no extra
packages): it loads without console errors, a click zooms into a frame, a search reports the matched share."""
import json
import os
import re
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


@test
def test_demo_api_flame_graph_renders_in_chromium():
    """The README's picture: the demo API profiled under load, its SVG rendered to build/demo-flamegraph.png."""
    import glob
    import re
    from lib import BUILD, ROOT
    exe = find_chromium()
    if not exe:
        raise Skip("chromium is not installed (make deps installs it)")
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    pythons = sorted(glob.glob(os.path.join(root, "versions", "3.1[0-9].*", "bin", "python3")))
    if not pythons:
        raise Skip("no CPython 3.10+ under $PYENV_ROOT/versions to run the demo API")
    demo = os.path.join(ROOT, "scripts", "demo")
    d = tempfile.mkdtemp(prefix="pyflame-demo-")
    api = subprocess.Popen([pythons[-1], os.path.join(demo, "api.py"), "0"], stdout=subprocess.PIPE)
    browser = None
    try:
        port = re.match(r"listening (\d+)", api.stdout.readline().decode()).group(1)
        svg = os.path.join(BUILD, "demo.svg")
        prof = subprocess.Popen([PYFLAME, "-p", str(api.pid), "-d", "4", "-q", "-o", svg, "--title",
                                 "pyflame-bpf demo API"])
        subprocess.run([pythons[-1], os.path.join(demo, "load.py"), port, "3.5"], stdout=subprocess.DEVNULL,
                       check=True, timeout=60)
        check(prof.wait(timeout=60) == 0, "pyflame-bpf failed on the demo API")
        with open(svg) as f:
            text = f.read()
        widths = [float(w) for w in re.findall(r"<title>compute_totals \(api\.py:\d+\)[^<]*</title><rect [^>]*"
                                               r"width=\"([0-9.]+)\"", text)]
        check(widths and sum(widths) > 300, "the slow endpoint's compute_totals is not the wide frame: %r" % widths)
        browser = Chromium(exe, os.path.join(d, "profile"))
        browser.open("file://" + svg)
        png = os.path.join(BUILD, "demo-flamegraph.png")
        width = int(browser.js("document.documentElement.width.baseVal.value"))
        height = int(browser.js("document.documentElement.height.baseVal.value"))
        browser.screenshot(png, width, height)
        with open(png, "rb") as f:
            head = f.read(24)
        check(head[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(head[16:20], "big") == width,
              "no PNG of the flame graph")
        check(not browser.errors(), "console errors: %r" % browser.errors())
    finally:
        if browser:
            browser.close()
        api.terminate()
        api.wait()
        shutil.rmtree(d, ignore_errors=True)


FIREFOX_PREFS = """user_pref("devtools.console.stdout.content", true);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
"""


@test
def test_svg_in_firefox_runs_its_script_without_errors():
    """Firefox prints a page's uncaught errors as `JavaScript error: file://...`: there must be none, and the
    script must run (a search given in the link changes the picture)."""
    exe = shutil.which("firefox-esr") or shutil.which("firefox")
    if not exe:
        raise Skip("firefox is not installed (make deps installs firefox-esr)")
    d = tempfile.mkdtemp(prefix="pyflame-firefox-")
    try:
        folded, svg = os.path.join(d, "p.folded"), os.path.join(d, "p.svg")
        with open(folded, "w") as f:
            f.write(FOLDED)
        subprocess.run([PYFLAME, "report", folded, "-o", svg], check=True)
        shots = {}
        for label, url in (("plain", "file://" + svg), ("search", "file://" + svg + "#s=b")):
            profile_dir = os.path.join(d, "profile-" + label)
            os.mkdir(profile_dir)
            with open(os.path.join(profile_dir, "user.js"), "w") as f:
                f.write(FIREFOX_PREFS)
            png = os.path.join(d, label + ".png")
            p = subprocess.run([exe, "--headless", "--no-remote", "--profile", profile_dir, "--screenshot", png,
                                "--window-size=1200,400", url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=dict(os.environ, HOME=d), timeout=120)
            out = p.stdout.decode(errors="replace")
            page_errors = [l for l in out.splitlines() if l.startswith("JavaScript error: file://")]
            check(not page_errors, "%s: %s" % (label, page_errors))
            check(os.path.exists(png) and os.path.getsize(png) > 1000, "%s: no screenshot: %s" % (label, out[-800:]))
            with open(png, "rb") as f:
                shots[label] = f.read()
        check(shots["plain"] != shots["search"], "the search in the link changed nothing: the script did not run")
    finally:
        shutil.rmtree(d, ignore_errors=True)


# Runs before the page's own scripts: records any alert() and keeps the title the page loaded with.
HOOKS = """window.__pf = { alerts: [] };
window.alert = function (m) { window.__pf.alerts.push(String(m)); };
"""
# What the page shows of the hostile recording, as JSON: the hooks' record, title, elements, scripts.
INSPECT = """JSON.stringify({
  alerts: window.__pf ? window.__pf.alerts : null,
  title: document.title,
  tags: Array.from(new Set(Array.from(document.querySelectorAll('*')).map(function (e) { return e.localName; }))),
  scripts: document.querySelectorAll('script').length
})"""
MATCHED = """JSON.stringify(Array.from(document.querySelectorAll('#frames g.match')).map(function (g) {
  return g.querySelector('title').textContent; }))"""


@test
def test_hostile_names_in_the_svg_run_no_script_in_chromium():
    """A recording of hostile_names.py (functions named `<script>alert(1)</script>`, `"'><img onerror=...>`,
    `]]></title><script>document.title='pwned'</script>`): no alert, the title stays, no element the writer does
    not make; our own script runs (its search finds the `<script>` frame by its text). A copy of the same SVG with
    one name left unescaped does raise the alert: the check can see a script that runs."""
    from test_hostile import SVG_ELEMENTS, Recording
    exe = find_chromium()
    if not exe:
        raise Skip("chromium is not installed (make deps installs it)")
    rec = Recording.get(".svg")
    d = tempfile.mkdtemp(prefix="pyflame-browser-hostile-")
    browser = None
    try:
        browser = Chromium(exe, os.path.join(d, "profile"))
        browser.open("file://" + rec.path, before_load=HOOKS)
        page = json.loads(browser.js(INSPECT))
        check(page["alerts"] == [], "a name's script ran: alerts %r" % page["alerts"])
        check(page["title"] == "hostile", "the title changed to %r" % page["title"])
        check(set(page["tags"]) <= SVG_ELEMENTS, "elements from names: %r" % sorted(set(page["tags"]) - SVG_ELEMENTS))
        check(page["scripts"] == 1, "%d script elements" % page["scripts"])
        browser.js("window.prompt = function () { return 'alert'; }; document.getElementById('search')"
                   ".dispatchEvent(new MouseEvent('click', {bubbles: true})); true")
        matched = browser.js("document.getElementById('matched').textContent")
        check(re.match(r"^Matched: (?!0\.00%)\d+\.\d\d%$", matched or ""), "our search did not run: %r" % matched)
        titles = json.loads(browser.js(MATCHED))
        check(any(t.startswith("<script>alert(1)</script> (hostile;dir?name?[31m.py:") for t in titles),
              "no matched frame reads <script>alert(1)</script> as text: %r" % [t[:60] for t in titles[:5]])
        check(not browser.errors(), "console errors: %r" % browser.errors())
        # The control: the same picture with one name not escaped runs its script, and the hook sees it.
        with open(rec.path, "rb") as f:
            data = f.read()
        escaped = b"&lt;script&gt;alert(1)&lt;/script&gt;"
        check(escaped in data, "the escaped name is not in the SVG")
        broken = os.path.join(d, "unescaped.svg")
        with open(broken, "wb") as f:
            f.write(data.replace(escaped, b"<script>alert(1)</script>", 1))
        browser.open("file://" + broken, before_load=HOOKS)
        page = json.loads(browser.js(INSPECT))
        check(page["alerts"] == ["1"], "the unescaped control did not alert: %r" % page["alerts"])
    finally:
        if browser:
            browser.close()
        shutil.rmtree(d, ignore_errors=True)
