"""Output formats and compression: chosen by suffix or --format, zstd by .zst or --compress, checked by zstd itself."""
import os
import re
import shutil
import subprocess
import tempfile

from lib import PYFLAME, TARGETS, Skip, Target, check, parse_folded, profile, test

CHAIN = os.path.join(TARGETS, "chain")


def chain_stacks(text):
    stacks = parse_folded(text)
    total = sum(c for _, c in stacks)
    good = sum(c for f, c in stacks if f[-4:] == ["main", "level_one", "level_two", "spin"])
    return total, good


@test
def test_zst_suffix_and_compress_flag_write_zstd_that_zstd_reads():
    if not shutil.which("zstd"):
        raise Skip("the zstd command-line tool is not installed")
    d = tempfile.mkdtemp(prefix="pyflame-zst-")
    try:
        out = os.path.join(d, "chain.folded.zst")
        with Target([CHAIN]) as t:
            profile(["-p", str(t.pid), "-d", "1.5", "-q", "-o", out])
            piped = subprocess.run([PYFLAME, "-p", str(t.pid), "-d", "1.5", "-q", "--compress"],
                                   stdout=subprocess.PIPE, check=True).stdout
        with open(out, "rb") as f:
            check(f.read(4) == b"\x28\xb5\x2f\xfd", "%s does not start with the zstd magic number" % out)
        for name, data in (("-o .zst", subprocess.run(["zstd", "-dc", out], stdout=subprocess.PIPE, check=True).stdout),
                           ("--compress", subprocess.run(["zstd", "-dc"], input=piped, stdout=subprocess.PIPE,
                                                         check=True).stdout)):
            total, good = chain_stacks(data.decode())
            check(total > 50 and good >= 0.9 * total, "%s: %d samples, %d with the chain" % (name, total, good))
    finally:
        shutil.rmtree(d)


@test
def test_format_flag_overrides_the_suffix_and_bad_formats_exit_2():
    d = tempfile.mkdtemp(prefix="pyflame-fmt-")
    try:
        out = os.path.join(d, "profile.svg")
        with Target([CHAIN]) as t:
            profile(["-p", str(t.pid), "-d", "1", "-q", "-o", out, "--format", "folded"])
        with open(out) as f:
            total, good = chain_stacks(f.read())
        check(total > 50 and good >= 0.9 * total, "--format folded into x.svg: %d samples" % total)
        run = profile(["-p", "1", "--format", "pdf"], expect_rc=2)
        check("format" in run.err and len(run.err.strip().splitlines()) == 1, "stderr %r" % run.err)
    finally:
        shutil.rmtree(d)


@test
def test_output_suffix_is_matched_ignoring_case_and_an_unknown_one_is_refused():
    d = tempfile.mkdtemp(prefix="pyflame-suffix-")
    try:
        saved = os.path.join(d, "saved.folded")
        with open(saved, "w") as f:
            f.write("main;work 30\nmain;idle 10\n")
        profile(["report", saved, "-o", os.path.join(d, "x.SVG")])
        with open(os.path.join(d, "x.SVG"), "rb") as f:
            check(f.read(5) == b"<?xml", "x.SVG is not an SVG")
        profile(["report", saved, "-o", os.path.join(d, "profile.json")])
        with open(os.path.join(d, "profile.json")) as f:
            check("speedscope" in f.read(200), "profile.json is not speedscope")
        for name in ("x.pprof", "x.pb"):
            profile(["report", saved, "-o", os.path.join(d, name)])
            with open(os.path.join(d, name), "rb") as f:
                check(f.read(2) == b"\x1f\x8b", "%s is not gzipped pprof" % name)
        for name in ("x.txt", "x.html"):
            run = profile(["report", saved, "-o", os.path.join(d, name)], expect_rc=2)
            lines = run.err.strip().splitlines()
            check(len(lines) == 1 and "--format" in lines[0], "%s: stderr %r" % (name, run.err))
            check(not os.path.exists(os.path.join(d, name)), "%s was written" % name)
        profile(["report", saved, "-o", os.path.join(d, "x.txt"), "--format", "folded"])
        with open(os.path.join(d, "x.txt")) as f:
            check(sum(c for _, c in parse_folded(f.read())) == 40, "--format folded into x.txt")
    finally:
        shutil.rmtree(d)


@test
def test_saved_profiles_carry_their_unit_into_every_writer():
    import gzip
    import json
    d = tempfile.mkdtemp(prefix="pyflame-unit-")
    try:
        wall = os.path.join(d, "wall.folded")
        with open(wall, "w") as f:
            f.write("# pyflame-bpf measure=wall unit=us\nmain;recv 2500000\nmain;work 500000\n")
        back = profile(["report", wall]).out
        check(back.splitlines()[0] == "# pyflame-bpf measure=wall unit=us", "report dropped the unit: %r" % back[:200])
        svg = os.path.join(d, "wall.svg")
        profile(["report", wall, "-o", svg])
        with open(svg) as f:
            text = f.read()
        check("<title>recv (2.50 s, " in text and "samples" not in re.sub(r"<script.*?</script>", "", text, flags=re.S),
              "wall SVG tooltips: %r" % re.findall(r"<title>[^<]*</title>", text)[:4])
        ss = os.path.join(d, "wall.speedscope.json")
        profile(["report", wall, "-o", ss])
        with open(ss) as f:
            units = set(p["unit"] for p in json.load(f)["profiles"])
        check(units == {"seconds"}, "speedscope units of a wall profile: %r" % units)
        pb = os.path.join(d, "wall.pb.gz")
        profile(["report", wall, "-o", pb])
        with gzip.open(pb) as f:
            data = f.read()
        check(b"microseconds" in data and b"\x05count" not in data, "pprof sample types are not microseconds")
        # --unit overrides the header.
        profile(["report", wall, "--unit", "samples", "-o", svg])
        with open(svg) as f:
            check("<title>recv (2500000 samples, " in f.read(), "--unit samples did not apply")
        plain = os.path.join(d, "plain.folded")
        with open(plain, "w") as f:
            f.write("main;recv 2500000\n")
        profile(["report", plain, "--unit", "us", "-o", svg])
        with open(svg) as f:
            check("<title>recv (2.50 s, " in f.read(), "--unit us did not apply")
        run = profile(["diff", plain, wall], expect_rc=1)
        check(len(run.err.strip().splitlines()) == 1 and "unit" in run.err, "diff of two units: %r" % run.err)
        run = profile(["-p", "1", "--unit", "us"], expect_rc=2)
        check("--unit" in run.err, "--unit while recording: %r" % run.err)
    finally:
        shutil.rmtree(d)


@test
def test_diff_to_pprof_or_speedscope_is_refused_rather_than_dropping_before():
    d = tempfile.mkdtemp(prefix="pyflame-diff-fmt-")
    try:
        before, after = os.path.join(d, "before.folded"), os.path.join(d, "after.folded")
        for path in (before, after):
            with open(path, "w") as f:
                f.write("main;a 10\n")
        for name in ("d.pb.gz", "d.speedscope.json", "d.json"):
            run = profile(["diff", before, after, "-o", os.path.join(d, name)], expect_rc=2)
            check(len(run.err.strip().splitlines()) == 1 and "diff writes svg or folded" in run.err,
                  "%s: stderr %r" % (name, run.err))
            check(not os.path.exists(os.path.join(d, name)), "%s was written" % name)
    finally:
        shutil.rmtree(d)


@test
def test_report_round_trips_folded_and_reads_zstd_without_privileges():
    d = tempfile.mkdtemp(prefix="pyflame-report-")
    try:
        os.chmod(d, 0o777)
        saved, zst, back = (os.path.join(d, n) for n in ("saved.folded", "saved.folded.zst", "back.folded"))
        with Target([CHAIN]) as a, Target([CHAIN]) as b:
            profile(["-p", "%d,%d" % (a.pid, b.pid), "-d", "1", "-q", "-o", saved])
        profile(["report", saved, "-o", zst])
        for p in (saved, zst, back):
            if os.path.exists(p):
                os.chmod(p, 0o666)
        # As nobody: reading and converting a saved profile needs no privilege.
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if shutil.which("setpriv") else []
        p = subprocess.run(as_nobody + [PYFLAME, "report", zst, "-o", back], stderr=subprocess.PIPE)
        check(p.returncode == 0, "report as nobody: exit %d: %s" % (p.returncode, p.stderr.decode()))
        with open(saved) as f1, open(back) as f2:
            first, second = f1.read(), f2.read()
        check(first == second and first, "folded -> zst -> folded changed the profile")
        check(any(f[0].startswith("chain (") for f, _ in parse_folded(second)), "process roots lost")
        bad = os.path.join(d, "bad.folded")
        with open(bad, "w") as f:
            f.write("main;spin 12\nnot a folded line\n")
        run = profile(["report", bad], expect_rc=1)
        check("bad.folded:2" in run.err, "error does not name the line: %r" % run.err)
    finally:
        shutil.rmtree(d)


def frame_fills(svg_text):
    """{frame name: fill} for the drawn frames of an SVG flame graph (the legend excluded)."""
    import re
    frames = svg_text.split('<g id="frames">', 1)[1].split("</g>\n</g>", 1)[0]
    return dict((m.group(1), m.group(2)) for m in
                re.finditer(r"<title>(.+?) \(\d+ samples?[^<]*</title><rect [^>]*fill=\"(rgb\([0-9,]+\))\"", frames))


def titles(svg_text):
    """{frame name: its tooltip} for the drawn frames of an SVG flame graph."""
    import re
    return dict((m.group(1), m.group(2)) for m in re.finditer(r"<title>(.+?) \((\d+ samples?[^<]*)\)</title><rect",
                                                              svg_text))


def saved_pair(d, before_text, after_text):
    """Two saved profiles in d: (before, after) paths."""
    paths = os.path.join(d, "before.folded"), os.path.join(d, "after.folded")
    for path, text in zip(paths, (before_text, after_text)):
        with open(path, "w") as f:
            f.write(text)
    return paths


@test
def test_diff_compares_exact_shares_and_colours_self_change_unless_inclusive():
    d = tempfile.mkdtemp(prefix="pyflame-diff-shares-")
    try:
        # Totals of 3 and 7: a scale of 7/3 rounded per stack made the root look changed (2+2+2 != 7).
        before, after = saved_pair(d, "main;a;b 1\nmain;a;c 1\nmain;x 1\n", "main;a;b 2\nmain;a;c 3\nmain;x 2\n")
        white = "rgb(255,255,255)"
        for extra, a_white in (([], True), (["--inclusive"], False)):
            svg = os.path.join(d, "diff.svg")
            profile(["diff", before, after, "-o", svg] + extra)
            with open(svg) as f:
                text = f.read()
            fills, tips = frame_fills(text), titles(text)
            print("  %s: all %s; a %s; c %s" % (" ".join(extra) or "self", tips.get("all"), fills.get("a"),
                                                fills.get("c")), flush=True)
            check("before 3 (100.00%): +0.00%, self +0.00%" in tips.get("all", ""), "root changed: %r" % tips)
            check(fills.get("all") == white and fills.get("main") == white, "root or main coloured: %r" % fills)
            # a has no samples of its own: white by self change, red by its total's (2/3 -> 5/7).
            check((fills.get("a") == white) == a_white, "%s: a is %r" % (extra, fills.get("a")))
            check(fills.get("c", "").startswith("rgb(255,") and fills["c"] != white, "c not red: %r" % fills)
            check(fills.get("x", "").endswith(",255)") and fills["x"] != white, "x not blue: %r" % fills)
            check("+4.76%" in tips.get("a", ""), "a's change (5/7 - 2/3): %r" % tips.get("a"))
    finally:
        shutil.rmtree(d)


@test
def test_diff_colours_what_changed_and_nothing_for_the_same_profile():
    d = tempfile.mkdtemp(prefix="pyflame-diff-")
    try:
        # Twice the samples after: normalised away.
        before, after = saved_pair(d, "main;a;b 30\nmain;a;c 10\nmain;d 60\n",
                                   "main;a;b 60\nmain;a;c 10\nmain;d 30\nmain;e 100\n")
        lines = profile(["diff", before, after, "--format", "folded"]).out.splitlines()
        check(lines[0] == "# pyflame-bpf measure=cpu unit=samples", "header line: %r" % lines[:1])
        lines = lines[1:]
        check(sorted(lines) == ["main;a;b 60 60", "main;a;c 20 10", "main;d 120 30", "main;e 0 100"],
              "two-count lines: %r" % lines)
        svg = os.path.join(d, "diff.svg")
        profile(["diff", before, after, "-o", svg])
        with open(svg) as f:
            fills = frame_fills(f.read())
        white = "rgb(255,255,255)"
        check(fills.get("b") == white and fills.get("main") == white, "unchanged frames coloured: %r" % fills)
        check(fills.get("e", "").startswith("rgb(255,") and fills["e"] != white, "grown frame not red: %r" % fills)
        check(fills.get("d", "").endswith(",255)") and fills["d"] != white, "shrunk frame not blue: %r" % fills)
        same = os.path.join(d, "same.svg")
        profile(["diff", after, after, "-o", same])
        with open(same) as f:
            fills = frame_fills(f.read())
        check(fills and all(c == white for c in fills.values()), "a profile against itself has colours: %r" % fills)
        if shutil.which("xmllint"):
            subprocess.run(["xmllint", "--noout", svg], check=True)
        profile(["diff", before], expect_rc=2)
    finally:
        shutil.rmtree(d)


@test
def test_interval_writes_one_profile_per_window_and_the_partial_last_on_sigterm():
    import glob
    import signal
    import time
    d = tempfile.mkdtemp(prefix="pyflame-windows-")
    try:
        pattern = os.path.join(d, "w-%H%M%S.folded")
        with Target([CHAIN]) as t:
            run = profile(["-p", str(t.pid), "-F", "499", "--interval", "1", "-d", "3.2", "-o", pattern])
            files = sorted(glob.glob(os.path.join(d, "w-*.folded")))
            counts = []
            for path in files:
                with open(path) as f:
                    counts.append(sum(c for _, c in parse_folded(f.read())))
            check(len(files) == 4, "windows written: %r (%s)" % (files, run.err))
            for c in counts[:3]:
                check(abs(c - 499) <= 50, "a full 1 s window at 499 Hz holds %d samples: %r" % (c, counts))
            m = __import__("re").search(r"(\d+) samples in", run.err)
            check(m and int(m.group(1)) == sum(counts), "windows %r do not add up to the run's %s" %
                  (counts, m and m.group(1)))
            # SIGTERM mid-window: the partial window is written whole.
            for path in files:
                os.unlink(path)
            p = subprocess.Popen([PYFLAME, "-p", str(t.pid), "-F", "499", "--interval", "1", "-o", pattern, "-q"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(1.6)
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=20)
        check(p.returncode == 0, "exit %d after SIGTERM" % p.returncode)
        files = sorted(glob.glob(os.path.join(d, "w-*.folded")))
        check(len(files) == 2, "after SIGTERM at 1.6 s: %r" % files)
        with open(files[-1]) as f:
            last = sum(c for _, c in parse_folded(f.read()))
        check(100 <= last <= 450, "the partial last window holds %d samples" % last)
        check(not glob.glob(os.path.join(d, "*.tmp.*")), "temporary files left")
        profile(["-p", "1", "--interval", "1", "-o", os.path.join(d, "fixed.folded")], expect_rc=2)
    finally:
        shutil.rmtree(d)


# flamegraph.pl's own reading of a line (stackcollapse output): frames, then whitespace and a count; others it skips.
FLAMEGRAPH_PL_LINE = r'my ($s, $n) = (/^(.*)\s+?(\d+(?:\.\d*)?)$/); if (defined $n) { $t += $n } else { $i++; print STDERR "skipped: $_" } END { print "$t ", $i || 0, "\n" }'


def profile_proto():
    """profile.proto as Debian ships it (golang-github-google-pprof-dev), or None."""
    p = subprocess.run(["dpkg", "-L", "golang-github-google-pprof-dev"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    found = [l for l in p.stdout.decode().splitlines() if l.endswith("/proto/profile.proto")]
    return found[0] if found else None


@test
def test_a_recorded_wall_profile_reads_in_microseconds_in_flamegraph_pl_pprof_protoc_and_speedscope():
    import gzip
    import sys
    from test_pprof import GoPprof
    from test_speedscope import load_valid
    if not shutil.which("perl"):
        raise Skip("perl is not installed: flamegraph.pl's line rule cannot be run")
    d = tempfile.mkdtemp(prefix="pyflame-consumers-")
    try:
        folded = os.path.join(d, "wall.folded")
        profile(["--mode", "wall", "-F", "499", "-o", folded, "--", sys.executable, "-c",
                 "import time\nt = time.time()\nwhile time.time() < t + 0.3: pass\ntime.sleep(0.7)"])
        with open(folded) as f:
            header = f.readline()
        check(header.startswith("# pyflame-bpf measure=wall unit=us"), "header: %r" % header)
        total = sum(c for _, c in parse_folded(open(folded).read()))
        # flamegraph.pl skips the header (no count at its end) and reads every other line.
        p = subprocess.run(["perl", "-ne", FLAMEGRAPH_PL_LINE, folded], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=True)
        counted, skipped = p.stdout.decode().split()
        check(int(counted) == total and skipped == "1" and header in p.stderr.decode(),
              "flamegraph.pl would read %s of %d us, skipping %s line(s): %s" % (counted, total, skipped,
                                                                                 p.stderr.decode()[:300]))
        print("  flamegraph.pl's line rule: the header skipped, %d us read (%.2f s of wall time)" % (total, total / 1e6),
              flush=True)
        check(0.8e6 < total < 1.5e6, "a second of one thread's wall time is %d us" % total)
        pb = os.path.join(d, "wall.pb.gz")
        profile(["report", folded, "-o", pb])
        # go tool pprof shows the total as time, not as a count of samples.
        top = GoPprof(d).run("-top", pb)
        m = re.search(r"of ([\d.]+)(m?s) total", top)
        check(m, "go tool pprof -top names no total time: %s" % top[:500])
        seconds = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
        check(abs(seconds - total / 1e6) < 0.02, "go tool pprof: %s total, the folded file %d us" % (m.group(0), total))
        print("  go tool pprof -top: %s" % m.group(0), flush=True)
        proto = profile_proto()
        if not shutil.which("protoc") or not proto:
            print("  protoc or profile.proto not installed (protobuf-compiler, golang-github-google-pprof-dev): "
                  "not decoded against the schema", flush=True)
        else:
            with gzip.open(pb) as f:
                raw = f.read()
            p = subprocess.run(["protoc", "--proto_path", os.path.dirname(proto), "--decode",
                                "perftools.profiles.Profile", os.path.basename(proto)], input=raw,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            text = p.stdout.decode(errors="replace")
            check(p.returncode == 0, "protoc --decode: %s" % p.stderr.decode(errors="replace")[-500:])
            strings = re.findall(r'^string_table: "(.*)"$', text, re.M)
            check("microseconds" in strings and "wall" in strings, "string table: %r" % strings[:10])
            # The first sample type is the unit saved; each sample has one value per type.
            types = re.findall(r"^sample_type \{\n  type: (\d+)\n  unit: (\d+)\n\}$", text, re.M)
            check(types and strings[int(types[0][1])] == "microseconds", "sample types %r of %r" % (types, strings))
            values = [int(v) for v in re.findall(r"^  value: (\d+)$", text, re.M)][::max(1, len(types))]
            check(sum(values) == total, "protoc reads %d us in the samples, the folded file %d" % (sum(values), total))
            print("  protoc --decode against profile.proto: %d samples, %d us" % (len(values), sum(values)),
                  flush=True)
        ss = os.path.join(d, "wall.json")
        profile(["report", folded, "-o", ss])
        doc = load_valid(ss)  # speedscope's schema
        weights = sum(sum(p["weights"]) for p in doc["profiles"])
        check({p["unit"] for p in doc["profiles"]} == {"seconds"} and abs(weights - total / 1e6) < 1e-3,
              "speedscope: units %r, %.3f s" % ({p["unit"] for p in doc["profiles"]}, weights))
        print("  speedscope's schema: valid, %.3f s" % weights, flush=True)
    finally:
        shutil.rmtree(d)
