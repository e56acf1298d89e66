"""Hostile targets: names made of markup, separators, control characters and bytes that are not UTF-8 stay inert text
in every format (folded, SVG, speedscope, pprof), on every installed CPython."""
import atexit
import gzip
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import lib
from lib import PY_TARGETS, PYFLAME, Checks, Skip, Target, check, test

HOSTILE = os.path.join(PY_TARGETS, "hostile_names.py")

# What each of hostile_names.py's functions is called, as a reader that keeps every valid character gives it
# (bytes that are not UTF-8, and 3.x's lone surrogates, as U+FFFD). Names are cut at 4096 characters.
COMMON = {
    "script": "<script>alert(1)</script>",
    "attr": "\"'><img src=x onerror=alert(2)>&amp;",
    "cdata": "]]></title><script>document.title='pwned'</script><![CDATA[",
    "separators": "semi;colon\nnew\rline\ttab\x7fdel",
    "long": "L" * 4096,
}
PY2_NAMES = dict(COMMON, bytes="bad\ufffd\ufffdname\ufffd")
PY3_NAMES = dict(COMMON, bytes="bad\ufffd\ufffdname", linesep="line\u2028sep\x85nel")
FILE = "hostile;dir\nname\x1b[31m.py"
THREAD = "t;\n<b>\ufffd\ufffd\x01"  # PR_SET_NAME's bytes t;\n<b>\xff\xfe\x01
HOT_LINES = (3, 4)  # spin's `for` line and its body, in the source compiled under FILE
SVG_ELEMENTS = {"svg", "title", "style", "g", "rect", "text", "script"}  # everything our SVG writer makes
SVG_NS = "{http://www.w3.org/2000/svg}"


def names_of(minor):
    return PY2_NAMES if minor == "2.7" else PY3_NAMES


def folded_text(s):
    """s as a folded frame shows it: `;` -> `:`, C0/C1 controls, DEL and U+2028/U+2029 -> `?`."""
    return "".join(":" if c == ";" else "?" if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029" else c
                   for c in s)


def xml_text(s):
    """s as the SVG's text shows it: control characters (XML 1.0 cannot hold most) -> `?`."""
    return "".join("?" if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f else c for c in s)


class Recording:
    """hostile_names.py on every installed CPython, recorded once per output format (`--threads`)."""
    _cache = {}

    @classmethod
    def get(cls, suffix):
        if suffix not in cls._cache:
            cls._cache[suffix] = cls(suffix)
        return cls._cache[suffix]

    def __init__(self, suffix):
        found = lib.pythons()
        if not found:
            raise Skip("no supported CPython installed under $PYENV_ROOT")
        self.dir = tempfile.mkdtemp(prefix="pyflame-hostile-")
        self.path = os.path.join(self.dir, "hostile" + suffix)
        targets = []
        try:
            for minor, exe in found:
                targets.append((minor, Target([exe, HOSTILE], ready=False)))
            for _, t in targets:
                t.wait_ready()
            self.minor_of = dict((t.pid, minor) for minor, t in targets)
            self.tids = {}
            for minor, t in targets:
                self.tids[t.pid] = set(int(x) for x in os.listdir("/proc/%d/task" % t.pid))
            p = subprocess.run([PYFLAME, "-p", ",".join(str(t.pid) for _, t in targets), "-d", "4", "-F", "499",
                                "--threads", "--title", "hostile", "-o", self.path], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        finally:
            for _, t in targets:
                t.stop()
        self.err = p.stderr.decode(errors="replace")
        check(p.returncode == 0, "pyflame-bpf exit %d: %s" % (p.returncode, self.err[-1500:]))
        with open(self.path, "rb") as f:
            self.data = f.read()

    @classmethod
    def cleanup(cls):
        for r in cls._cache.values():
            shutil.rmtree(r.dir, ignore_errors=True)
        cls._cache.clear()


atexit.register(Recording.cleanup)


@test
def test_hostile_names_keep_every_folded_line_parseable():
    rec = Recording.get(".folded")
    # The summary must not count the (unchanging) hostile code objects as re-used addresses.
    check(re.search(r"[ (]0 re-used addresses", rec.err), "re-used addresses reported: %s" % rec.err)
    text = rec.data.decode("utf-8")  # strict: no byte that is not UTF-8
    lines = text.split("\n")
    check(lines[-1] == "" and lines[:-1] == text.splitlines(), "a frame holds a line break of some reader")
    seen = {}
    check(lines[0].startswith("# pyflame-bpf measure="), "no header line: %r" % lines[0])
    for line in lines[1:-1]:
        m = re.match(r"^([^\x00-\x1f\x7f-\x9f]+) (\d+)$", line)
        check(m, "malformed folded line: %r" % line[:300])
        frames = m.group(1).split(";")
        check(all(frames), "empty frame in %r" % line[:300])
        root = re.match(r"^.+ \((\d+)\)$", frames[0])
        check(root and int(root.group(1)) in rec.minor_of, "root frame %r" % frames[0])
        seen.setdefault(int(root.group(1)), set()).update(frames[1:])
    with Checks() as checks:
        for pid, minor in sorted(rec.minor_of.items()):
            with checks.of(minor):
                frames = seen.get(pid, set())
                for label, name in sorted(names_of(minor).items()):
                    want = ["%s (%s:%d)" % (folded_text(name), folded_text(FILE), n) for n in HOT_LINES]
                    check(any(w in frames for w in want), "%s: no frame %r among %r" %
                          (minor, want[1][:120], sorted(f[:80] for f in frames)))
                tids = [t for t in rec.tids[pid] if "thread %s (%d)" % (folded_text(THREAD), t) in frames]
                check(tids, "%s: no thread root %r" % (minor, "thread %s (TID)" % folded_text(THREAD)))


def svg_titles(root):
    """{title text of every frame} of a parsed SVG."""
    return set(g.find(SVG_NS + "title").text for g in root.iter(SVG_NS + "g") if g.get("data-x") is not None)


@test
def test_hostile_names_are_escaped_text_in_the_svg():
    from test_svg import xmllint_ok
    rec = Recording.get(".svg")
    xmllint_ok(rec.path)
    root = ET.fromstring(rec.data)
    tags = set(e.tag.replace(SVG_NS, "") for e in root.iter())
    check(tags <= SVG_ELEMENTS, "elements the writer does not make: %r" % sorted(tags - SVG_ELEMENTS))
    check(len(list(root.iter(SVG_NS + "script"))) == 1, "more than our one script element")
    for t in root.iter(SVG_NS + "title"):
        check(len(t) == 0, "a title with child elements: %r" % ET.tostring(t)[:200])
    names = set(t[:t.rfind(" (")] for t in svg_titles(root))
    with Checks() as checks:
        for minor in sorted(set(rec.minor_of.values())):
            with checks.of(minor):
                for label, name in sorted(names_of(minor).items()):
                    want = ["%s (%s:%d)" % (xml_text(name), xml_text(FILE), n) for n in HOT_LINES]
                    check(any(w in names for w in want), "%s: no frame titled %r" % (minor, want[1][:120]))
        check(any(n.startswith("thread %s (" % xml_text(THREAD)) for n in names), "no hostile thread root")


@test
def test_hostile_names_round_trip_as_text_in_speedscope():
    from test_speedscope import load_valid
    rec = Recording.get(".speedscope.json")
    doc = load_valid(rec.path)  # speedscope's schema, and strict UTF-8
    frames = doc["shared"]["frames"]
    names = set(f["name"] for f in frames)
    with Checks() as checks:
        for minor in sorted(set(rec.minor_of.values())):
            with checks.of(minor):
                for label, name in sorted(names_of(minor).items()):
                    want = ["%s (%s:%d)" % (name, FILE, n) for n in HOT_LINES]
                    check(any(w in names for w in want), "%s: no frame named %r" % (minor, want[1][:120]))
                    hit = [f for f in frames if f["name"] in want]
                    check(all(f.get("file") == FILE and f.get("line") in HOT_LINES for f in hit),
                          "%s: file/line of %r: %r" % (minor, name[:40], hit[:2]))
        profiles = [p["name"] for p in doc["profiles"]]
        check(any(" / thread %s (" % THREAD in n for n in profiles), "no hostile thread profile: %r" % profiles)


def pb_fields(data):
    """(field number, wire type, value) of one protobuf message; length-delimited values as bytes."""
    i = 0

    def varint():
        nonlocal i
        shift = v = 0
        while True:
            b = data[i]
            i += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v
    while i < len(data):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            yield field, wire, varint()
        elif wire == 2:
            n = varint()
            yield field, wire, data[i:i + n]
            i += n
        else:
            raise lib.Failure("wire type %d in a pprof profile" % wire)


@test
def test_hostile_names_are_valid_utf8_strings_in_pprof():
    from test_pprof import GoPprof
    rec = Recording.get(".pb.gz")
    strings = [v for f, w, v in pb_fields(gzip.decompress(rec.data)) if f == 6]
    bad = []
    for s in strings:
        try:
            s.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(s)
    check(not bad, "string_table entries that are not UTF-8: %r" % bad[:5])
    texts = set(s.decode("utf-8") for s in strings)
    check(FILE in texts, "the file name is not in the string table as it is")
    with Checks() as checks:
        for minor in sorted(set(rec.minor_of.values())):
            with checks.of(minor):
                for label, name in sorted(names_of(minor).items()):
                    check(name in texts, "%s: function %r not in the string table" % (minor, name[:80]))
        check(any(t.startswith("thread %s (" % THREAD) for t in texts), "no hostile thread root in the string table")
    tmp = tempfile.mkdtemp(prefix="pyflame-hostile-pprof-")
    try:
        top = GoPprof(tmp).run("-top", "-nodecount=1000", rec.path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check("<script>alert(1)</script>" in top, "go tool pprof does not list the function: %s" % top[:800])


CORRUPT = os.path.join(PY_TARGETS, "corrupt_frames.py")
MARKERS = ("[truncated]", "[read error]", "[unreadable Python code]", "[freed code object]")
REAL_FILES = ("corrupt_frames.py", "random.py")  # where the garbage thread's real code lives


@test
def test_corrupt_frame_links_end_in_a_marker_without_crash_or_hang():
    """corrupt_frames.py on every CPython, under the ASan/UBSan build when it is there: a frame linked to itself ends
    in [truncated] at --max-depth, a link to unmapped memory in [read error], a link into junk rewritten under the
    walk names no frame that is not real code; the run ends on time, clean."""
    from test_memcheck import ASAN_BIN, clean
    exe = ASAN_BIN if os.access(ASAN_BIN, os.X_OK) else PYFLAME
    found = lib.pythons()
    if not found:
        raise Skip("no supported CPython installed under $PYENV_ROOT")
    targets = []
    try:
        for minor, py in found:
            targets.append((minor, Target([py, CORRUPT], ready=False)))
        for _, t in targets:
            t.wait_ready()
        p = subprocess.run([exe, "-p", ",".join(str(t.pid) for _, t in targets), "-d", "3", "-F", "499", "--threads",
                            "--max-depth", "32"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                           env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
        died = [minor for minor, t in targets if t.proc.poll() is not None]
    finally:
        for _, t in targets:
            t.stop()
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 0 and clean(err), "exit %d: %s" % (p.returncode, err[-3000:]))
    check(not died, "targets died during the recording: %r" % died)
    minor_of = dict((t.pid, minor) for minor, t in targets)
    by_mode = {}
    for frames, count in lib.parse_folded(p.stdout.decode("utf-8")):
        pid = int(re.match(r"^.+ \((\d+)\)$", frames[0]).group(1))
        mode = re.match(r"^thread (\S+) \(\d+\)$", frames[1]).group(1)
        py = []
        for f in frames[2:]:
            if f.endswith("_[k]") or not (f in MARKERS or re.match(r"^.* \(.*\)$", f)):
                break  # the native leaf and kernel frames follow the Python ones
            py.append(f)
        by_mode.setdefault((minor_of[pid], mode), []).append((py, count))
    spin = re.compile(r"^spin \(corrupt_frames\.py:\d+\)$")
    with Checks() as checks:
        for minor in sorted(set(minor_of.values())):
            with checks.of(minor):
                cycle = by_mode.get((minor, "cycle"), [])
                check(sum(c for _, c in cycle) >= 5, "%s: %d samples of the cycling thread" % (minor, len(cycle)))
                for py, _ in cycle:
                    check(py[0] == "[truncated]" and len(py) == 33 and all(spin.match(f) for f in py[1:]),
                          "%s: cycle: %r" % (minor, py[:4]))
                unmapped = by_mode.get((minor, "unmapped"), [])
                check(sum(c for _, c in unmapped) >= 5,
                      "%s: %d samples of the unmapped thread" % (minor, len(unmapped)))
                for py, _ in unmapped:
                    check(len(py) == 2 and py[0] == "[read error]" and spin.match(py[1]),
                          "%s: unmapped: %r" % (minor, py))
                garbage = by_mode.get((minor, "garbage"), [])
                total = sum(c for _, c in garbage)
                marked = sum(c for py, c in garbage if any(f in MARKERS for f in py))
                check(total >= 5 and marked >= 0.9 * total,
                      "%s: garbage: %d of %d samples marked" % (minor, marked, total))
                for py, _ in garbage:
                    for f in py:
                        m = re.match(r"^(.*) \((.*?)(?::\d+)?\)$", f)
                        check(f in MARKERS or (m and m.group(2) in REAL_FILES),
                              "%s: garbage named %r" % (minor, f[:200]))


@test
def test_report_reads_a_hostile_saved_profile_exactly_or_refuses_it():
    """A saved profile is untrusted input too. Its last line without a newline is read exactly, even when the memory
    after it holds digits (glibc's MALLOC_PERTURB_ fills new heap memory with '5'); CRLF line ends are read; a count
    that is signed, has trailing bytes, overflows, or makes the total overflow is refused: one line, exit 1."""
    d = tempfile.mkdtemp(prefix="pyflame-hostile-report-")
    try:
        def report(data, env=None):
            path = os.path.join(d, "in.folded")
            with open(path, "wb") as f:
                f.write(data)
            p = subprocess.run([PYFLAME, "report", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=dict(os.environ, **(env or {})), timeout=60)
            out = p.stdout.decode(errors="replace")
            header = "# pyflame-bpf measure=cpu unit=samples\n"  # the unit line, written first (no header read)
            check(not out or out.startswith(header), "no header line: %r" % out[:200])
            return p.returncode, out[len(header):], p.stderr.decode(errors="replace")

        perturb = {"MALLOC_PERTURB_": "202"}  # 202 ^ 0xff == ord('5')
        check(report(b"main;a 1", perturb)[1] == "main;a 1\n", "last line without a newline: %r" %
              (report(b"main;a 1", perturb),))
        zst = subprocess.run(["zstd", "-q", "-c"], input=b"main;a 1", stdout=subprocess.PIPE, check=True).stdout
        check(report(zst, perturb)[1] == "main;a 1\n", "zstd, without a newline: %r" % (report(zst, perturb),))
        check(report(b"a 1\r\nb;c 2\r\n")[1] == "a 1\nb;c 2\n", "CRLF: %r" % (report(b"a 1\r\nb;c 2\r\n"),))
        for bad, why in ((b"a -1\n", "not a folded line"), (b"a 1x\n", "not a folded line"),
                         (b"a +1\n", "not a folded line"), (b"a 18446744073709551616\n", "not a folded line"),
                         (b"a 18446744073709551615\nb 1\n", "in.folded:2: the counts add up past 2^64")):
            rc, out, err = report(bad)
            check(rc == 1 and out == "" and len(err.strip().splitlines()) == 1 and why in err,
                  "%r: exit %d, out %r, err %r" % (bad, rc, out, err))
    finally:
        shutil.rmtree(d)
