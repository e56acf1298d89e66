"""SVG output: real recordings written as flame graphs are valid XML and show the frames at the widths folded output gives."""
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from lib import PYFLAME, TARGETS, Skip, Target, check, parse_folded, profile, test

CHAIN = os.path.join(TARGETS, "chain")
SVG = "{http://www.w3.org/2000/svg}"
FRAME_H = 16


def xmllint_ok(path):
    """Checks the file with xmllint (skips the test when xmllint is not installed)."""
    xmllint = shutil.which("xmllint")
    if not xmllint:
        raise Skip("xmllint not installed (apt-get install libxml2-utils)")
    with open(path, "rb") as f:
        head = f.read(200)
    check(head.startswith(b"<?xml") and b"<svg" in head,
          "%s is not SVG (is -o FILE.svg wired to the SVG writer?): %r" % (path, head[:120]))
    p = subprocess.run([xmllint, "--noout", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 0, "xmllint rejects %s: %s" % (path, p.stderr.decode(errors="replace")[-1500:]))


def svg_frames(path):
    """The drawn frames in document order (callers before callees): dicts of name, path (root first), n, x, width, y."""
    root = ET.parse(path).getroot()
    width = float(root.get("data-width"))
    pad = float(root.get("data-pad"))
    inverted = root.get("data-inverted") == "1"
    frames = []
    for g in root.iter(SVG + "g"):
        if g.get("data-x") is None:
            continue
        title = g.find(SVG + "title").text
        rect = g.find(SVG + "rect")
        frames.append({"name": title[:title.rfind(" (")], "title": title, "n": int(g.get("data-n")),
                       "x": int(g.get("data-x")), "width": float(rect.get("width")), "y": float(rect.get("y"))})
    check(frames and frames[0]["name"] == "all", "no root frame `all` in %s" % path)
    top = frames[0]["y"]
    stack = []
    for f in frames:
        depth = int(round(abs(f["y"] - top) / FRAME_H))
        if inverted:
            check(f["y"] >= top, "inverted graph with a frame above the root: %r" % f)
        else:
            check(f["y"] <= top, "frame below the root: %r" % f)
        del stack[depth:]
        check(len(stack) == depth, "frame %r has no caller drawn" % f["title"])
        stack.append(f["name"])
        f["path"] = tuple(stack[1:])
    scale = (width - 2 * pad) / float(frames[0]["n"] or 1)
    for f in frames:
        check(abs(f["width"] - f["n"] * scale) < 0.01, "%r: width %.3f for %d samples (%.4f px each)" %
              (f["title"], f["width"], f["n"], scale))
    return frames


def prefix_counts(stacks):
    """{frames root first: samples in stacks starting with them} for every prefix of every folded stack."""
    counts = {}
    for frames, c in stacks:
        for i in range(1, len(frames) + 1):
            key = tuple(frames[:i])
            counts[key] = counts.get(key, 0) + c
    return counts


def spin_share(counts_by_path, total):
    """Share of samples under `main;level_one;level_two;spin`, wherever it starts (the C start-up frames above main)."""
    want = ("main", "level_one", "level_two", "spin")
    hit = 0
    for path, c in counts_by_path.items():
        user = tuple(p for p in path if not p.endswith("_[k]"))
        if user[-4:] == want and path[-1] == "spin":
            hit += c
    return hit / float(total or 1)


@test
def test_svg_output_is_valid_xml_with_the_chain_at_folded_widths():
    tmp = tempfile.mkdtemp(prefix="pyflame-svg-")
    try:
        out = os.path.join(tmp, "chain.svg")
        with Target([CHAIN]) as t:
            run = profile(["-p", str(t.pid), "-d", "2", "-o", out])
            folded = profile(["-p", str(t.pid), "-d", "2"])
        xmllint_ok(out)
        frames = svg_frames(out)
        total = frames[0]["n"]
        check(total > 50, "too few samples in the SVG: %d; %r" % (total, run))
        names = {f["name"] for f in frames}
        for fn in ("main", "level_one", "level_two", "spin"):
            check(fn in names, "no frame %s in the SVG; frames: %s" % (fn, sorted(names)[:40]))
        svg_share = spin_share({f["path"]: f["n"] for f in frames}, total)
        counts = prefix_counts(folded.stacks)
        folded_share = spin_share({p: c for p, c in counts.items()}, folded.total())
        check(svg_share >= 0.85, "spin under the chain in %.1f%% of the SVG's samples" % (100 * svg_share))
        check(abs(svg_share - folded_share) < 0.1,
              "spin: %.1f%% of the SVG, %.1f%% of a folded run" % (100 * svg_share, 100 * folded_share))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test
def test_svg_report_of_a_folded_recording_has_its_exact_counts():
    tmp = tempfile.mkdtemp(prefix="pyflame-svg-")
    try:
        folded_path = os.path.join(tmp, "chain.folded")
        svg_path = os.path.join(tmp, "chain.svg")
        with Target([CHAIN]) as t:
            profile(["-p", str(t.pid), "-d", "2", "-F", "499", "-o", folded_path])
        with open(folded_path, encoding="utf-8", errors="replace") as f:
            stacks = parse_folded(f.read())
        p = subprocess.run([PYFLAME, "report", folded_path, "-o", svg_path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0, "report -o .svg: exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")))
        xmllint_ok(svg_path)
        frames = svg_frames(svg_path)
        total = sum(c for _, c in stacks)
        check(frames[0]["n"] == total, "root holds %d samples, the folded file %d" % (frames[0]["n"], total))
        counts = prefix_counts(stacks)
        for f in frames[1:]:
            check(counts.get(f["path"]) == f["n"], "%s: %d samples in the SVG, %s in the folded file" %
                  (";".join(f["path"]), f["n"], counts.get(f["path"])))
        # Every frame at least 0.1 px wide is drawn; narrower ones are not.
        drawn = {f["path"] for f in frames[1:]}
        px = (float(ET.parse(svg_path).getroot().get("data-width")) - 20) / total
        for path, c in counts.items():
            check((path in drawn) == (c * px >= 0.1), "%s (%d samples, %.3f px) drawn: %s" %
                  (";".join(path), c, c * px, path in drawn))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
