"""What every benchmark section shares: paths, the interpreters, statistics, per-process CPU time, sysctls, runs of pyflame-bpf."""
import contextlib
import glob
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
PYFLAME = os.path.join(ROOT, "pyflame-bpf")
NATIVE_TARGETS = os.path.join(BUILD, "targets")
PY_TARGETS = os.path.join(ROOT, "tests", "targets", "py")
BENCH_TARGETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets")

# The integration tests' helpers: interpreter discovery and the folded-stack parser.
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import lib  # noqa: E402

parse_folded = lib.parse_folded
Target = lib.Target


class Context:
    """What a section needs to know about this run: quick or full, where to put scratch files, a run counter."""

    def __init__(self, quick, scratch, log):
        self.quick = quick
        self.scratch = scratch
        self.log = log
        self.runs = 0  # processes measured by the current section

    def pick(self, quick, full):
        return quick if self.quick else full

    def path(self, name):
        return os.path.join(self.scratch, name)


def pythons():
    """{minor: interpreter path} for every supported CPython under $PYENV_ROOT/versions."""
    return dict(lib.pythons())


def python(minor):
    """The interpreter of one minor version, or None."""
    return pythons().get(minor)


# --- statistics -------------------------------------------------------------------------------------------------

def quantile(sorted_values, q):
    """Linear-interpolation quantile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def median_ci(sorted_values, level=0.9):
    """Distribution-free confidence interval of the median from order statistics (binomial), at >= level.

    With n values, [x_(k), x_(n-k+1)] covers the median with probability 1 - 2 P(Bin(n, 1/2) < k); the widest k
    that still reaches the level is taken. Returns (lo, hi), or the whole range when n is too small for the level.
    """
    n = len(sorted_values)
    if n == 0:
        return float("nan"), float("nan")
    best = 1
    for k in range(1, n // 2 + 1):
        below = sum(math.comb(n, i) for i in range(k)) / 2.0 ** n
        if 1 - 2 * below >= level:
            best = k
    return sorted_values[best - 1], sorted_values[n - best]


def summarize(values):
    """Median, quartiles, min/max, 90% CI of the median, and the IQR relative to the median."""
    v = sorted(x for x in values if x is not None and not math.isnan(x))
    if not v:
        return {"n": 0}
    med = statistics.median(v)
    q1, q3 = quantile(v, 0.25), quantile(v, 0.75)
    lo, hi = median_ci(v)
    return {"n": len(v), "median": med, "q1": q1, "q3": q3, "min": v[0], "max": v[-1], "ci90": [lo, hi],
            "iqr_rel": (q3 - q1) / abs(med) if med else float("inf"), "values": v}


WIDE = 0.25  # quartiles further apart than this fraction of the median: too wide to trust


def fmt_dist(s, scale=1.0, digits=1, unit=""):
    """'12.3 [11.9–12.8]' (median [quartiles]) of a summary, scaled, flagged 'wide' when the quartiles span more
    than WIDE of the median; '–' when empty."""
    if not s or not s.get("n"):
        return "–"
    f = "%%.%df" % digits
    text = (f % (s["median"] * scale)) + unit + " [" + (f % (s["q1"] * scale)) + "–" + (f % (s["q3"] * scale)) + "]"
    return text + (" wide" if s["iqr_rel"] > WIDE else "")


# --- processes ------------------------------------------------------------------------------------------------

def task_cpu_ns(pid):
    """{tid: nanoseconds on CPU} of every thread of pid, from /proc/PID/task/TID/schedstat."""
    out = {}
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(path) as f:
                out[int(path.split("/")[4])] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def cpu_ns(pid):
    """Nanoseconds on CPU of all of pid's threads (those alive now)."""
    return sum(task_cpu_ns(pid).values())


class CpuPoller:
    """Polls every thread's CPU time of pid every few milliseconds in the background, so that the CPU time at any
    moment of the run (a recording's attach and detach) can be read back by interpolation."""

    def __init__(self, pid, period=0.01):
        self.pid, self.period, self.points = pid, period, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.points.append((time.monotonic(), task_cpu_ns(self.pid)))
            self._stop.wait(self.period)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def at(self, t):
        """{tid: ns on CPU} at monotonic time t, interpolated between the polls around it."""
        pts = self.points
        after = next((i for i, (pt, _) in enumerate(pts) if pt >= t), len(pts) - 1)
        before = max(0, after - 1)
        (t0, a), (t1, b) = pts[before], pts[after]
        f = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
        f = min(1.0, max(0.0, f))
        return {tid: a.get(tid, b[tid]) + (b[tid] - a.get(tid, b[tid])) * f for tid in b}


def thread_comm(pid, tid):
    try:
        with open("/proc/%d/task/%d/comm" % (pid, tid)) as f:
            return f.read().strip()
    except OSError:
        return "?"


@contextlib.contextmanager
def sysctl(name, value):
    """Sets /proc/sys/NAME to value for the block, then restores it."""
    path = "/proc/sys/" + name.replace(".", "/")
    with open(path) as f:
        old = f.read().strip()
    with open(path, "w") as f:
        f.write(str(value))
    try:
        yield
    finally:
        with open(path, "w") as f:
            f.write(old)


def read_sysctl(name):
    try:
        with open("/proc/sys/" + name.replace(".", "/")) as f:
            return f.read().strip()
    except OSError:
        return None


def wait_rusage(proc, timeout):
    """Waits for a Popen child and returns its (returncode, rusage) from wait4; kills it after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.01)


class PyflameRun:
    """One pyflame-bpf recording: its exit code, stderr summary, output, and figures parsed from the summary."""

    def __init__(self, rc, out, err, wall, rusage=None):
        self.rc, self.out, self.err, self.wall, self.rusage = rc, out, err, wall, rusage

    def figure(self, pattern, cast=float):
        m = re.search(pattern, self.err)
        return cast(m.group(1)) if m else None

    @property
    def samples(self):
        return self.figure(r"(\d+) samples in ", int)

    @property
    def elapsed(self):
        return self.figure(r"samples in ([\d.]+) s", float)

    @property
    def lost(self):
        return self.figure(r"(\d+) lost \(ring buffer full\)", int)

    @property
    def attach_window(self):
        """(attached, detached) in CLOCK_MONOTONIC seconds, from the -v start-up line and the elapsed time."""
        m = re.search(r"sampling attached ([\d.]+) ms after start, .* counted at ([\d.]+) ms "
                      r"\(CLOCK_MONOTONIC ([\d.]+) s\)", self.err)
        if not m or self.elapsed is None:
            return None
        attached = float(m.group(3)) - (float(m.group(2)) - float(m.group(1))) / 1e3
        return attached, attached + self.elapsed

    @property
    def bpf_ns_per_sample(self):
        return self.figure(r"BPF program: (\d+) ns per sample", int)

    def stacks(self):
        return parse_folded(self.out)


def pyflame(args, timeout=120, check=True):
    """Runs pyflame-bpf with args (stdout captured); returns a PyflameRun with its rusage."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([PYFLAME] + [str(a) for a in args], stdout=out, stderr=err)
        rc, ru = wait_rusage(p, timeout)
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        run = PyflameRun(rc, out.read().decode(errors="replace"), err.read().decode(errors="replace"), wall, ru)
    if check and rc != 0:
        raise RuntimeError("pyflame-bpf %s: exit %d: %s" % (" ".join(map(str, args)), rc, run.err[-800:]))
    return run


def kill(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()
