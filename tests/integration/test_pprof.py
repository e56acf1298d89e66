"""pprof output: real recordings written as gzip profile.proto, read back by an independent consumer (`go tool pprof`)."""
import calendar
import collections
import os
import re
import shutil
import subprocess
import tempfile
import time

from lib import PYFLAME, TARGETS, Skip, Target, check, parse_folded, profile, test

CHAIN = os.path.join(TARGETS, "chain")
CHAIN_LEAF_FIRST = ["spin", "level_two", "level_one", "main"]


class GoPprof:
    """Runs `go tool pprof` with HOME, GOCACHE and PPROF_TMPDIR inside a temp dir (nothing written elsewhere)."""

    def __init__(self, tmp):
        go = shutil.which("go")
        if not go:
            raise Skip("`go` not installed (apt-get install golang-go): no independent pprof reader")
        self.go = go
        home = os.path.join(tmp, "gohome")
        os.makedirs(home, exist_ok=True)
        self.env = dict(os.environ, HOME=home, GOCACHE=os.path.join(home, "cache"), GOPATH=os.path.join(home, "go"),
                        PPROF_TMPDIR=home, GOPROXY="off", GOTOOLCHAIN="local", GOFLAGS="")

    def run(self, *args):
        p = subprocess.run([self.go, "tool", "pprof"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.env, timeout=120)
        check(p.returncode == 0, "go tool pprof %s: exit %d: %s" %
              (" ".join(args), p.returncode, p.stderr.decode(errors="replace")[-1500:]))
        return p.stdout.decode(errors="replace")

    def raw(self, path):
        """(period, [(frames root first as folded names them, count, cpu ns)]) from `-raw`."""
        text = self.run("-raw", path)
        m = re.search(r"^Period: (\d+)$", text, re.M)
        check(m, "no Period in -raw output: %s" % text[:500])
        period = int(m.group(1))
        check(re.search(r"^PeriodType: cpu nanoseconds$", text, re.M), "period type: %s" % text[:500])
        check(re.search(r"^samples/count cpu/nanoseconds$", text, re.M), "sample types: %s" % text[:500])
        names = {}
        section = None
        samples = []
        for line in text.splitlines():
            if line in ("Samples:", "Locations", "Mappings"):
                section = line
                continue
            if section == "Samples:":
                m = re.match(r"^\s*(\d+)\s+(\d+): ([\d ]*)$", line)
                if m:
                    samples.append((int(m.group(1)), int(m.group(2)), [int(x) for x in m.group(3).split()]))
            elif section == "Locations":
                # `ID: 0xADDR M=1 NAME FILE:LINE s=START(SYSTEM_NAME)`; one Line per location.
                m = re.match(r"^\s*(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*) (\S*):(\d+) s=\d+(?:\(.*\))?$", line)
                check(m, "unexpected location line: %r" % line)
                name, file, lineno = m.group(2), m.group(3), int(m.group(4))
                names[int(m.group(1))] = "%s (%s:%d)" % (name, file, lineno) if file else name
        check(samples, "no samples in -raw output: %s" % text[:500])
        stacks = [([names[i] for i in reversed(ids)], n, ns) for n, ns, ids in samples]
        return period, stacks

    def top_total(self, path):
        text = self.run("-top", "-sample_index=samples", path)
        m = re.search(r"of (\d+) total", text)
        check(m, "no total in -top output: %s" % text[:500])
        return int(m.group(1)), text

    def traces(self, path):
        """[(count, [function names leaf first])] from `-traces -sample_index=samples`."""
        text = self.run("-traces", "-sample_index=samples", path)
        out = []
        for block in text.split("-----------+-------------------------------------------------------")[1:]:
            lines = [l for l in block.splitlines() if l.strip()]
            if not lines:
                continue
            m = re.match(r"^\s*(\d+)\s+(.*)$", lines[0])
            check(m, "unexpected trace line: %r" % lines[0])
            out.append((int(m.group(1)), [m.group(2).strip()] + [l.strip() for l in lines[1:]]))
        return out


def has_chain(frames_leaf_first):
    n = len(CHAIN_LEAF_FIRST)
    return any(frames_leaf_first[i:i + n] == CHAIN_LEAF_FIRST for i in range(len(frames_leaf_first) - n + 1))


def summary_samples(stderr):
    m = re.search(r"pyflame-bpf: (\d+) samples in ", stderr)
    check(m, "no run summary on stderr: %r" % stderr[-800:])
    return int(m.group(1))


@test
def test_pprof_recording_is_read_by_go_pprof_with_the_chain_and_every_sample():
    tmp = tempfile.mkdtemp(prefix="pyflame-pprof-")
    try:
        pprof = GoPprof(tmp)
        out = os.path.join(tmp, "chain.pb.gz")
        with Target([CHAIN]) as t:
            run = profile(["-p", str(t.pid), "-d", "2", "-o", out])
        with open(out, "rb") as f:
            check(f.read(2) == b"\x1f\x8b", "%s is not gzip (is -o FILE.pb.gz wired to the pprof writer?)" % out)
        total = summary_samples(run.err)
        check(total > 50, "too few samples: %d; %r" % (total, run))
        period, stacks = pprof.raw(out)
        check(period == round(1e9 / 99), "period %d ns at the default 99 Hz" % period)
        raw_total = sum(n for _, n, _ in stacks)
        check(raw_total == total, "go tool pprof -raw: %d samples, the run reported %d" % (raw_total, total))
        for frames, n, ns in stacks:
            check(abs(ns - n * 1e9 / 99) <= 1, "%d samples carry %d ns" % (n, ns))
        top_total, top = pprof.top_total(out)
        check(top_total == total, "go tool pprof -top: %d samples, the run reported %d" % (top_total, total))
        for fn in CHAIN_LEAF_FIRST:
            check(re.search(r"\s%s$" % fn, top, re.M), "no %s in -top:\n%s" % (fn, top[:1500]))
        traces = pprof.traces(out)
        check(sum(n for n, _ in traces) == total, "-traces holds %d samples, not %d" %
              (sum(n for n, _ in traces), total))
        chained = sum(n for n, frames in traces if has_chain(frames))
        check(chained >= 0.85 * total, "main->level_one->level_two->spin in %d of %d samples:\n%s" %
              (chained, total, "\n".join(" ".join(f) for _, f in traces[:10])))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test
def test_pprof_names_its_program_and_carries_when_and_how_long_recorded_or_reported():
    tmp = tempfile.mkdtemp(prefix="pyflame-pprof-time-")
    try:
        pprof = GoPprof(tmp)
        out, folded, back = (os.path.join(tmp, n) for n in ("chain.pb.gz", "chain.folded", "back.pb.gz"))
        with Target([CHAIN]) as t:
            before = time.time()
            profile(["-p", str(t.pid), "-d", "1.5", "-o", out])
            profile(["-p", str(t.pid), "-d", "1.5", "-o", folded])
        profile(["report", folded, "-o", back])
        for path, program in ((out, "chain"), (back, None)):
            p = subprocess.run([pprof.go, "tool", "pprof", "-raw", path], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=pprof.env, timeout=120)
            text, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
            check(p.returncode == 0 and "Main binary filename not available" not in err, "%s: %s" % (path, err))
            m = re.search(r"^Time: (\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)\.\d+ \+0000 UTC$", text, re.M)
            check(m, "%s: no Time in -raw: %s" % (path, text[:300]))
            stamp = calendar.timegm(tuple(int(x) for x in m.groups()))
            check(before - 2 <= stamp <= time.time(), "%s: recorded at %s, the test ran at %s" % (path, stamp, before))
            d = re.search(r"^Duration: ([\d.]+)$", text, re.M)
            check(d and 1.4 <= float(d.group(1)) <= 2.5, "%s: duration %r" % (path, d and d.group(1)))
            if program:
                check(re.search(r"^1: 0x0/0x0/0x0 %s\s+\[FN\]\[FL\]\[LN\]$" % program, text, re.M),
                      "%s: no mapping of %s: %s" % (path, program, text[text.find("Mappings"):][:300]))
            print("  %s: Time %s, Duration %s%s" % (os.path.basename(path), m.group(0)[6:], d.group(1),
                                                     ", mapping " + program if program else ""), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test
def test_pprof_report_of_a_folded_recording_has_its_exact_stacks_and_counts():
    tmp = tempfile.mkdtemp(prefix="pyflame-pprof-")
    try:
        pprof = GoPprof(tmp)
        folded_path = os.path.join(tmp, "chain.folded")
        pb_path = os.path.join(tmp, "chain.pb.gz")
        with Target([CHAIN]) as t:
            profile(["-p", str(t.pid), "-d", "2", "-F", "499", "-o", folded_path])
        with open(folded_path, encoding="utf-8", errors="replace") as f:
            folded = parse_folded(f.read())
        p = subprocess.run([PYFLAME, "report", folded_path, "-F", "499", "-o", pb_path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0, "report -o .pb.gz: exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")))
        total = sum(c for _, c in folded)
        check(total > 100, "too few samples in the folded recording: %d" % total)
        period, stacks = pprof.raw(pb_path)
        check(period == round(1e9 / 499), "period %d ns for report -F 499" % period)
        want = collections.Counter()
        for frames, c in folded:
            want[";".join(frames)] += c
        got = collections.Counter()
        for frames, n, _ in stacks:
            got[";".join(frames)] += n
        check(got == want, "stacks differ; only in pprof: %r; only in folded: %r" %
              (list((got - want).items())[:5], list((want - got).items())[:5]))
        top_total, _ = pprof.top_total(pb_path)
        check(top_total == total, "go tool pprof -top: %d samples, the folded file %d" % (top_total, total))
        chained = sum(n for n, frames in pprof.traces(pb_path) if has_chain(frames))
        folded_chained = sum(c for frames, c in folded if has_chain(list(reversed(frames))))
        check(chained == folded_chained, "the chain in %d samples of -traces, %d of the folded file" %
              (chained, folded_chained))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test
def test_pprof_report_keeps_python_names_files_lines_kernel_and_root_frames_as_go_pprof_reads_them():
    tmp = tempfile.mkdtemp(prefix="pyflame-pprof-")
    try:
        pprof = GoPprof(tmp)
        folded_path = os.path.join(tmp, "py.folded")
        pb_path = os.path.join(tmp, "py.pb.gz")
        # Names pprof could mistake for C++ (`<module>`, `<lambda>`) must come back unchanged.
        text = ("api (4242);<module> (app.py:88);serve (server.py:41);Order.total (models.py:203) 731\n"
                "api (4242);<module> (app.py:88);serve (server.py:41);__libc_recv;tcp_recvmsg_[k] 12\n"
                "api (4242);<module> (app.py:88);outer.<locals>.<lambda> (pkg/util.py:7) 5\n"
                "api (4242);[truncated];handle (views.py:17) 2\n"
                "chain (4243);main;level_one;level_two;spin 40\n")
        with open(folded_path, "w", encoding="utf-8") as f:
            f.write(text)
        p = subprocess.run([PYFLAME, "report", folded_path, "-o", pb_path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0, "report -o .pb.gz: exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")))
        _, stacks = pprof.raw(pb_path)
        got = sorted("%s %d" % (";".join(frames), n) for frames, n, _ in stacks)
        want = sorted(text.splitlines())
        check(got == want, "go tool pprof -raw reads:\n%s\nwanted:\n%s" % ("\n".join(got), "\n".join(want)))
        top = pprof.run("-top", "-lines", "-sample_index=samples", pb_path)
        check(re.search(r"\s731\s.*\sOrder\.total models\.py:203$", top, re.M), "-top -lines:\n%s" % top)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
