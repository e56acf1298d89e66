"""Scale: one process with 1000 threads, 64 processes of 8 threads at 999 Hz; every sample counted or reported lost,
the profiler's memory bounded. PYFLAME_SCALE_SECONDS sets the 64-process run's length (default 10; the issue's
full run: 60)."""
import os
import re
import subprocess
import tempfile
import time

import lib
from lib import PY_TARGETS, PYFLAME, Failure, Skip, Target, check, test

BUSY = os.path.join(PY_TARGETS, "busy_threads.py")
# The profiler's peak resident memory in these runs stays under this (docs/COST.md, "Memory"): about 35 MB of it is
# there for any run (the 8 MiB ring buffer mapped twice, kallsyms, libbpf, libdw), the rest grows with distinct
# stacks and code objects, not with time or samples.
MAX_RSS_MB = 64


def newest_python3():
    found = [exe for minor, exe in lib.pythons() if minor not in ("2.7", "3.6")]  # time.thread_time: 3.7+
    if not found:
        raise Skip("no CPython 3.7+ under $PYENV_ROOT/versions")
    return found[-1]


def attached(pid):
    """Whether process pid holds perf event fds (pyflame-bpf has attached sampling)."""
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:[perf_event]":
                return True
        except OSError:
            pass
    return False


class Profiler:
    """pyflame-bpf started on targets; ended by them exiting; its peak RSS from wait4()."""

    def __init__(self, args, timeout):
        self.out = tempfile.NamedTemporaryFile(prefix="pyflame-scale-", suffix=".folded", delete=False)
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([PYFLAME] + args + ["-o", self.out.name], stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        self.deadline = time.time() + timeout
        self.rss_samples = []
        while not attached(self.proc.pid):
            if self.proc.poll() is not None or time.time() > self.deadline:
                raise Failure("pyflame-bpf did not attach: %s" % self.stderr())
            time.sleep(0.02)

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def sample_rss(self):
        try:
            kb = lib.rss_kb(self.proc.pid)
        except OSError:
            kb = None
        if kb is not None:  # else it exited meanwhile
            self.rss_samples.append(kb)

    def wait(self):
        """(exit status, peak RSS in kB, folded text, stderr)."""
        while time.time() < self.deadline:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.2)
        else:
            self.proc.kill()
            self.proc.wait()
            raise Failure("pyflame-bpf still running after its time: %s" % self.stderr()[-1500:])
        with open(self.out.name) as f:
            text = f.read()
        os.unlink(self.out.name)
        return self.proc.returncode, usage.ru_maxrss, text, self.stderr()


def thread_roots(text):
    """{thread name: samples} of stacks that reach burst() (busy_threads.py's hashing)."""
    seen = {}
    for frames, count in lib.parse_folded(text):
        for f in frames:
            m = re.match(r"^thread (w\d+) \(\d+\)$", f)
            if m and any(x.startswith("burst (busy_threads.py:") for x in frames):
                seen[m.group(1)] = seen.get(m.group(1), 0) + count
    return seen


def check_accounting(err, expected, label):
    """The -v accounting line adds up, matches the summary, and taken + lost is within 10% of expected samples."""
    m = re.search(r"accounting: (\d+) samples taken of the targets: (\d+) reached userspace \((\d+) counted, "
                  r"(\d+) malformed\), (\d+) lost \(ring buffer full\)", err)
    check(m, "%s: no accounting line: %s" % (label, err[-1500:]))
    taken, reached, counted, malformed, lost = (int(x) for x in m.groups())
    summary = re.search(r"^pyflame-bpf: (\d+) samples in .*, (\d+) lost \(ring buffer full\)$", err, re.M)
    check(summary and int(summary.group(1)) == counted and int(summary.group(2)) == lost,
          "%s: summary disagrees with the accounting: %s" % (label, err[-1500:]))
    check(taken == reached + lost and reached == counted + malformed and malformed == 0,
          "%s: accounting does not add up: %s" % (label, m.group(0)))
    check(abs(taken - expected) <= 0.1 * expected, "%s: %d samples taken, %.0f expected from the targets' CPU time"
          % (label, taken, expected))
    return counted, lost


@test
def test_thousand_threads_every_busy_thread_seen_in_bounded_memory():
    """One Python process, 1000 threads taking turns to hash (each ~4 ms of CPU, 4 sampling periods): every thread's
    root and hashing frame appear, every sample is counted or reported lost, peak RSS under the bound."""
    with Target([newest_python3(), BUSY, "relay", "1000", "1"]) as t:
        prof = Profiler(["-p", str(t.pid), "-F", "999", "--threads", "-v"], timeout=240)
        t.proc.stdin.write(b"go\n")
        t.proc.stdin.flush()
        rc, maxrss, text, err = prof.wait()
        cpu = float(t.proc.stdout.readline().decode().split()[1])
    check(rc == 0, "exit %d: %s" % (rc, err[-1500:]))
    check("(every target exited)" in err, "did not run to the target's end: %s" % err[-800:])
    seen = thread_roots(text)
    missing = sorted(set("w%d" % i for i in range(1000)) - set(seen), key=lambda n: int(n[1:]))
    check(not missing, "%d busy threads never seen: %r" % (len(missing), missing[:20]))
    check_accounting(err, 999 * cpu, "1000 threads")
    print("  1000 threads: %d samples, %.2f s CPU, min %d per thread, peak RSS %.1f MB" %
          (sum(seen.values()), cpu, min(seen.values()), maxrss / 1024.0), flush=True)
    check(lib.SANITIZED or maxrss < MAX_RSS_MB * 1024, "peak RSS %.1f MB" % (maxrss / 1024.0))


@test
def test_64_processes_of_8_threads_at_999hz_count_every_sample_in_bounded_memory():
    """64 Python processes of 8 threads each (one CPU's worth of work in all) recorded at 999 Hz until they end:
    no crash; samples taken = counted + lost, within 10% of 999 x the CPU time the targets report; every process
    present; peak RSS under the bound and not growing in the second half (no leak)."""
    seconds = float(os.environ.get("PYFLAME_SCALE_SECONDS", "10"))
    py = newest_python3()
    targets = []
    try:
        for _ in range(64):
            targets.append(Target([py, BUSY, "duty", "8", str(seconds), "1", str(1 / 64.0)], ready=False))
        for t in targets:
            t.wait_ready(timeout=120)
        prof = Profiler(["-p", ",".join(str(t.pid) for t in targets), "-F", "999", "-v"], timeout=seconds + 240)
        for t in targets:
            t.proc.stdin.write(b"go\n")
            t.proc.stdin.flush()
        t0 = time.time()
        for frac in (0.3, 0.5, 0.7, 0.9):
            time.sleep(max(0.0, t0 + frac * seconds - time.time()))
            prof.sample_rss()
        rc, maxrss, text, err = prof.wait()
        cpu = sum(float(t.proc.stdout.readline().decode().split()[1]) for t in targets)
        pids = set(t.pid for t in targets)
    finally:
        for t in targets:
            t.stop()
    check(rc == 0, "exit %d: %s" % (rc, err[-1500:]))
    roots = set(int(re.match(r"^.+ \((\d+)\)$", f[0]).group(1)) for f, _ in lib.parse_folded(text))
    check(roots == pids, "processes missing from the profile: %r" % sorted(pids - roots))
    counted, lost = check_accounting(err, 999 * cpu, "64x8")
    rss = prof.rss_samples
    print("  64x8 for %.0f s: %d samples counted, %d lost, %.2f s CPU, RSS %s MB, peak %.1f MB" %
          (seconds, counted, lost, cpu, "/".join("%.1f" % (r / 1024.0) for r in rss), maxrss / 1024.0), flush=True)
    check(lib.SANITIZED or maxrss < MAX_RSS_MB * 1024, "peak RSS %.1f MB" % (maxrss / 1024.0))
    check(len(rss) >= 3 and (lib.SANITIZED or rss[-1] - rss[1] < 4096), "RSS grows in the second half: %r kB" % rss)
