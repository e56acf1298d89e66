"""speedscope output: real recordings pass speedscope's own JSON schema and carry the counts folded output gives."""
import json
import os
import shutil
import subprocess
import tempfile

import lib
from lib import BUILD, PY_TARGETS, PYFLAME, TARGETS, Skip, Target, check, parse_folded, profile, test

CHAIN = os.path.join(TARGETS, "chain")
LAST_INSTANT = os.path.join(PY_TARGETS, "last_instant.py")
CHAIN_PATH = ("main", "level_one", "level_two", "spin")
NPM_PREFIX = os.path.join(BUILD, "npm")
SCHEMA = os.path.join(NPM_PREFIX, "node_modules", "speedscope", "dist", "release", "file-format-schema.json")
AJV = os.path.join(NPM_PREFIX, "node_modules", "ajv", "package.json")

# Validates argv[3] against speedscope's schema with ajv; the file must also be strict UTF-8.
VALIDATE_JS = r"""
const fs = require('fs'), path = require('path');
const [prefix, file] = process.argv.slice(2);
const Ajv = require(path.join(prefix, 'node_modules', 'ajv'));
const schema = require(path.join(prefix, 'node_modules', 'speedscope', 'dist', 'release', 'file-format-schema.json'));
const text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
if (!validate(JSON.parse(text))) {
  console.error(JSON.stringify(validate.errors.slice(0, 10)));
  process.exit(1);
}
"""


def speedscope_tools():
    """Node and the npm packages `speedscope` (its schema) and `ajv`, installed once under the build directory."""
    node = shutil.which("node")
    if not node:
        raise Skip("node not installed (apt-get install nodejs npm)")
    if os.path.exists(SCHEMA) and os.path.exists(AJV):
        return node
    npm = shutil.which("npm")
    if not npm:
        raise Skip("npm not installed (apt-get install npm): cannot fetch speedscope's schema")
    os.makedirs(NPM_PREFIX, exist_ok=True)
    try:
        p = subprocess.run([npm, "install", "--prefix", NPM_PREFIX, "--no-audit", "--no-fund", "speedscope", "ajv"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    except subprocess.TimeoutExpired:
        raise Skip("npm install speedscope ajv: timed out after 300 s")
    if p.returncode != 0 or not os.path.exists(SCHEMA) or not os.path.exists(AJV):
        raise Skip("npm install speedscope ajv failed (exit %d): %s" %
                   (p.returncode, p.stderr.decode(errors="replace").strip()[-300:]))
    return node


def load_valid(path):
    """The document at path, after ajv accepted it against speedscope's schema; plus the checks the schema omits."""
    node = speedscope_tools()
    with tempfile.NamedTemporaryFile("w", suffix=".js", prefix="pyflame-validate-", delete=False) as f:
        f.write(VALIDATE_JS)
        script = f.name
    try:
        p = subprocess.run([node, script, NPM_PREFIX, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
    finally:
        os.unlink(script)
    check(p.returncode == 0, "speedscope's schema rejects %s: %s" % (path, p.stderr.decode(errors="replace")[-1500:]))
    with open(path, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))
    nframes = len(doc["shared"]["frames"])
    check(doc["profiles"], "no profiles in %s" % path)
    for prof in doc["profiles"]:
        if prof["type"] == "evented":
            check_events(prof, nframes)
            continue
        check(prof["type"] == "sampled" and prof["startValue"] == 0, "%s: %r" % (prof["name"], prof["type"]))
        check(len(prof["samples"]) == len(prof["weights"]), "%s: %d samples, %d weights" %
              (prof["name"], len(prof["samples"]), len(prof["weights"])))
        for s in prof["samples"]:
            check(all(isinstance(i, int) and 0 <= i < nframes for i in s), "frame index out of range: %r" % s)
        total = sum(prof["weights"])
        check(abs(prof["endValue"] - total) <= 1e-9 * max(1, total), "%s: endValue %r, weights sum to %r" %
              (prof["name"], prof["endValue"], total))
    return doc


def check_events(prof, nframes):
    """What speedscope's evented importer needs and its schema does not say: times that never go back, inside
    [startValue, endValue], each close matching the innermost open frame, nothing left open."""
    check(prof["unit"] == "nanoseconds", "%s: unit %r" % (prof["name"], prof["unit"]))
    at, open_ = prof["startValue"], []
    for e in prof["events"]:
        check(isinstance(e["frame"], int) and 0 <= e["frame"] < nframes, "frame index out of range: %r" % e)
        check(e["at"] >= at, "%s: time goes back at %r" % (prof["name"], e))
        at = e["at"]
        if e["type"] == "O":
            open_.append(e["frame"])
        else:
            check(open_ and open_.pop() == e["frame"], "%s: %r closes a frame that is not innermost" % (prof["name"], e))
    check(not open_ and at <= prof["endValue"], "%s: left open %r, last event at %d of %d" %
          (prof["name"], open_, at, prof["endValue"]))


def evented_stacks(doc, prof):
    """[(frame names root first, ns)]: each stretch between two events of an evented profile, with the frames open."""
    names = [f["name"] for f in doc["shared"]["frames"]]
    out, open_, prev = [], [], None
    for e in prof["events"]:
        if open_ and e["at"] > prev:
            out.append(([names[i] for i in open_], e["at"] - prev))
        if e["type"] == "O":
            open_.append(e["frame"])
        else:
            open_.pop()
        prev = e["at"]
    return out


def stacks_of(doc):
    """[(profile name, frame names root first, weight)] for every sample of every profile."""
    names = [f["name"] for f in doc["shared"]["frames"]]
    return [(prof["name"], [names[i] for i in s], w)
            for prof in doc["profiles"] for s, w in zip(prof["samples"], prof["weights"])]


def under_chain(frames):
    """Whether the stack passes through main -> level_one -> level_two -> spin (kernel frames aside)."""
    user = [f for f in frames if not f.endswith("_[k]")]
    return tuple(user[-4:]) == CHAIN_PATH


@test
def test_speedscope_recording_is_a_timeline_that_passes_the_schema_and_agrees_with_folded():
    tmp = tempfile.mkdtemp(prefix="pyflame-speedscope-")
    try:
        out = os.path.join(tmp, "chain.speedscope.json")
        speedscope_tools()  # skip before recording when the schema cannot be had
        with Target([CHAIN]) as t:
            run = profile(["-p", str(t.pid), "-d", "2", "-F", "499", "-o", out])
            folded = profile(["-p", str(t.pid), "-d", "2", "-F", "499"])
        doc = load_valid(out)
        check(len(doc["profiles"]) == 1, "one thread: %d profiles" % len(doc["profiles"]))
        prof = doc["profiles"][0]
        check(prof["type"] == "evented" and prof["name"] == "chain (%d) / thread chain (%d)" % (t.pid, t.pid),
              "a recording's thread on its timeline: %r %r" % (prof["type"], prof["name"]))
        span = (prof["endValue"] - prof["startValue"]) / 1e9
        check(1.5 <= span <= 2.2, "the timeline spans %.2f s of a 2 s recording" % span)
        stacks = evented_stacks(doc, prof)
        busy = sum(ns for _, ns in stacks)
        samples = busy / 1e9 * 499
        check(samples > 200, "too few samples: %.0f; %r" % (samples, run))
        check(abs(samples - folded.total()) <= 0.25 * folded.total(),
              "%.0f samples in speedscope, %d in a folded run of the same length" % (samples, folded.total()))
        share = sum(ns for frames, ns in stacks if under_chain(frames)) / float(busy)
        folded_share = folded.count(under_chain) / float(folded.total() or 1)
        check(share >= 0.9, "spin under the chain in %.1f%% of the weight" % (100 * share))
        check(abs(share - folded_share) < 0.1,
              "spin: %.1f%% of the speedscope weight, %.1f%% of a folded run" % (100 * share, 100 * folded_share))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test
def test_speedscope_timeline_shows_each_thread_in_the_order_it_ran():
    pythons = lib.pythons()
    if not pythons:
        raise Skip("no CPython installed")
    minor, exe = pythons[-1]
    tmp = tempfile.mkdtemp(prefix="pyflame-speedscope-order-")
    try:
        out = os.path.join(tmp, "order.json")
        speedscope_tools()
        # Foo.run spins 0.5 s, then Bar.run 0.03 s, on the main thread; under wall mode the same, asleep.
        for mode in ("cpu", "wall"):
            profile(["--mode", mode, "-F", "499", "-o", out, "--", exe, LAST_INSTANT, mode])
            doc = load_valid(out)
            names = [f["name"] for f in doc["shared"]["frames"]]
            main = [p for p in doc["profiles"] if p["type"] == "evented" and "/ thread" in p["name"]]
            check(main, "%s: no evented profile: %r" % (mode, [p["name"] for p in doc["profiles"]]))
            opened = {}
            for p in main:
                for e in p["events"]:
                    if e["type"] == "O":
                        opened.setdefault(names[e["frame"]].split(" (")[0], []).append(e["at"])
            foo, bar = opened.get("Foo.run", opened.get("run")), opened.get("Bar.run")
            if not at_least(minor, (3, 11)):
                foo, bar = None, None  # both are `run` before co_qualname: the order test needs 3.11+
            if foo and bar:
                check(max(foo) < min(bar), "%s: Foo.run opened at %r, after Bar.run at %r" % (mode, foo[-3:], bar[:3]))
            print("  %s %s: %d threads on the timeline, Foo.run %s, Bar.run %s" %
                  (minor, mode, len(main), foo and len(foo), bar and len(bar)), flush=True)
            check(foo and bar or not at_least(minor, (3, 11)), "%s: Foo.run %r, Bar.run %r" % (mode, foo, bar))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def at_least(minor, version):
    return tuple(int(x) for x in minor.split(".")) >= version


@test
def test_speedscope_report_of_a_two_process_threaded_recording_has_one_profile_per_thread_with_exact_counts():
    tmp = tempfile.mkdtemp(prefix="pyflame-speedscope-")
    try:
        folded_path = os.path.join(tmp, "chains.folded")
        out = os.path.join(tmp, "chains.speedscope.json")
        speedscope_tools()
        with Target([CHAIN]) as a, Target([CHAIN]) as b:
            profile(["-p", "%d,%d" % (a.pid, b.pid), "-d", "2", "-F", "499", "--threads", "-o", folded_path])
        with open(folded_path, encoding="utf-8", errors="replace") as f:
            folded = parse_folded(f.read())
        p = subprocess.run([PYFLAME, "report", folded_path, "-o", out], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0, "report -o .speedscope.json: exit %d: %s" %
              (p.returncode, p.stderr.decode(errors="replace")))
        doc = load_valid(out)
        check(all(prof["unit"] == "none" for prof in doc["profiles"]), "a report has counts, not seconds")
        # Roots `chain (PID)` and `thread chain (TID)` become the profile's name, not frames of its samples.
        want = {}
        for frames, c in folded:
            key = (" / ".join(frames[:2]), tuple(frames[2:]))
            want[key] = want.get(key, 0) + c
        got = {}
        for name, frames, w in stacks_of(doc):
            key = (name, tuple(frames))
            got[key] = got.get(key, 0) + w
        check(got == want, "speedscope stacks differ from the folded file: only in speedscope %r; only folded %r" %
              (sorted(set(got.items()) - set(want.items()))[:5], sorted(set(want.items()) - set(got.items()))[:5]))
        names = sorted(prof["name"] for prof in doc["profiles"])
        check(names == sorted({k[0] for k in want}), "profiles %r" % names)
        check(len(names) == 2, "two single-threaded processes: %r" % names)
        for pid in (a.pid, b.pid):
            check(any(n == "chain (%d) / thread chain (%d)" % (pid, pid) for n in names), "no profile for %d: %r" %
                  (pid, names))
        for prof in doc["profiles"]:
            check(prof["endValue"] == sum(c for (n, _), c in want.items() if n == prof["name"]),
                  "%s: endValue %r" % (prof["name"], prof["endValue"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test
def test_speedscope_names_with_quotes_backslashes_and_bad_utf8_are_escaped_json():
    tmp = tempfile.mkdtemp(prefix="pyflame-speedscope-")
    try:
        folded_path = os.path.join(tmp, "odd.folded")
        out = os.path.join(tmp, "odd.json")
        speedscope_tools()
        with open(folded_path, "wb") as f:
            f.write(b'<module> (a "b"\\c.py:3);say "hi" \\o/;caf\xc3\xa9\xff\tx;do_sys_open_[k] 5\n'
                    b'</script>\x01 2\n')
        p = subprocess.run([PYFLAME, "report", folded_path, "--format", "speedscope", "-o", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0, "report --format speedscope: exit %d: %s" %
              (p.returncode, p.stderr.decode(errors="replace")))
        doc = load_valid(out)
        got = {tuple(frames): w for _, frames, w in stacks_of(doc)}
        want = {('<module> (a "b"\\c.py:3)', 'say "hi" \\o/', "caf\u00e9\ufffd\tx", "do_sys_open_[k]"): 5,
                ("</script>\x01",): 2}
        check(got == want, "stacks %r" % got)
        frames = {f["name"]: f for f in doc["shared"]["frames"]}
        py = frames['<module> (a "b"\\c.py:3)']
        check(py.get("file") == 'a "b"\\c.py' and py.get("line") == 3, "Python frame %r" % py)
        check("file" not in frames["do_sys_open_[k]"], "a kernel frame with a file: %r" % frames["do_sys_open_[k]"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
