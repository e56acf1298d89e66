"""The profilers compared: pyflame-bpf and its peers (perf, bpftrace, austin, bcc's profile), how to install, run and read each.

Every profiler can (a) start a command under itself at a rate (the slowdown runs) and (b) attach to a running
process for some seconds (the accuracy runs), and turns its own output into a list of `Sample`s (frames root first, weight), where
each frame is a `Frame` saying whether it names a Python function and which. A peer that cannot be installed or
cannot run here says why in `status`.
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import time

from common import PYFLAME, parse_folded

# The Debian package each peer comes from.
PACKAGES = {"perf": "linux-perf", "bpftrace": "bpftrace", "austin": "austin", "profile-bpfcc": "bpfcc-tools"}


def installed(package):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return p.returncode == 0 and b"ok installed" in p.stdout


_apt_updated = False


def apt_install(package):
    """Installs a Debian package when missing; returns None, or why it could not."""
    global _apt_updated
    if installed(package):
        return None
    if os.geteuid() != 0:
        return "not installed, and installing %s needs root" % package
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        subprocess.run(["apt-get", "update", "-qq"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _apt_updated = True
    p = subprocess.run(["apt-get", "install", "-y", "-qq", package], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env)
    if p.returncode != 0 or not installed(package):
        last = p.stdout.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return "apt-get install %s failed: %s" % (package, last[0])
    return None


class Frame:
    """One frame of a sample: its text, and for a Python frame its function, file's base name and line if known."""

    __slots__ = ("text", "function", "file", "line")

    def __init__(self, text, function=None, file=None, line=None):
        self.text, self.function, self.file, self.line = text, function, file, line

    @property
    def python(self):
        return self.function is not None


class Sample:
    """A stack (root first), its weight (samples; austin: microseconds), its process, thread, thread name if known."""

    __slots__ = ("frames", "weight", "pid", "tid", "comm", "n")

    def __init__(self, frames, weight, pid=None, tid=None, comm=None, n=None):
        self.frames, self.weight, self.pid, self.tid, self.comm = frames, weight, pid, tid, comm
        self.n = weight if n is None else n  # how many samples it stands for

    def python(self):
        """The Python frames, root first."""
        return [f for f in self.frames if f.python]


class Profiler:
    name = "?"
    package = None
    binary = None
    kind = ""            # how it samples, for the tables
    python_versions = None  # minor versions it reads Python frames of; None: all the suite uses
    several_pids = True     # attach() takes several processes at once

    def __init__(self):
        self.status = None  # None: runnable; else why not

    def prepare(self, install=True):
        """Installs the package if missing; sets and returns status (None when it can run)."""
        if self.package and install:
            why = apt_install(self.package)
            if why:
                self.status = why
                return self.status
        if self.binary and not shutil.which(self.binary):
            self.status = "%s not found" % self.binary
        return self.status

    def reads(self, minor):
        return self.python_versions is None or minor in self.python_versions

    def target_env(self, minor):
        """Extra environment for a Python target this profiler will watch (none by default)."""
        return {}

    def launch(self, rate, argv, out):
        """argv that runs the command argv under the profiler at rate Hz, its output into file out."""
        raise NotImplementedError

    def attach(self, rate, pids, seconds, out):
        """Records the processes pids (all their threads) for seconds at rate Hz into out; returns the exit code."""
        raise NotImplementedError

    def samples(self, out):
        """[Sample] read from the profiler's output file."""
        raise NotImplementedError


def run_for(argv, seconds, stop_signal=signal.SIGINT, grace=30):
    """Runs argv, sends stop_signal after seconds, waits for it to finish writing; returns the exit code."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.send_signal(stop_signal)
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return p.returncode


_PY_FRAME = re.compile(r"^(.*) \(([^():]*):(\d+)\)$")  # pyflame-bpf: NAME (FILE:LINE)


class Pyflame(Profiler):
    name = "pyflame-bpf"
    kind = "BPF, cpu-clock on every CPU, CPython frames walked in the kernel"

    def prepare(self, install=True):
        self.status = None if os.access(PYFLAME, os.X_OK) else "%s not built (make)" % PYFLAME
        return self.status

    def launch(self, rate, argv, out):
        return [PYFLAME, "-q", "-F", str(rate), "-o", out, "--"] + list(argv)

    def attach(self, rate, pids, seconds, out):
        return subprocess.run([PYFLAME, "-q", "--threads", "--per-process", "-p", ",".join(map(str, pids)),
                               "-d", str(seconds), "-F", str(rate), "-o", out],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode

    def samples(self, out):
        """Folded lines; attach() roots each stack in `COMM (PID)` and `thread NAME (TID)` frames."""
        with open(out, encoding="utf-8", errors="replace") as f:
            stacks = parse_folded(f.read())
        result = []
        for names, count in stacks:
            pid = tid = comm = None
            m = re.match(r"^\S.* \((\d+)\)$", names[0]) if names else None
            if m and not _PY_FRAME.match(names[0]):
                pid, names = int(m.group(1)), names[1:]
            m = re.match(r"^thread (.*) \((\d+)\)$", names[0]) if names else None
            if m:
                comm, tid, names = m.group(1), int(m.group(2)), names[1:]
            frames = []
            for n in names:
                pm = _PY_FRAME.match(n)
                frames.append(Frame(n, pm.group(1), os.path.basename(pm.group(2)), int(pm.group(3))) if pm
                              else Frame(n))
            result.append(Sample(frames, count, pid, tid, comm))
        return result


class Perf(Profiler):
    name = "perf"
    package = PACKAGES["perf"]
    binary = "perf"
    kind = "perf record -g -e cpu-clock (frame pointers), per-task events"

    def target_env(self, minor):
        # 3.12+ can publish a perf map of Python functions (-X perf); give perf that chance.
        return {"PYTHONPERFSUPPORT": "1"} if tuple(map(int, minor.split("."))) >= (3, 12) else {}

    def launch(self, rate, argv, out):
        return ["perf", "record", "-q", "-g", "-e", "cpu-clock", "-F", str(rate), "-o", out, "--"] + list(argv)

    def attach(self, rate, pids, seconds, out):
        return subprocess.run(["perf", "record", "-q", "-g", "-e", "cpu-clock", "-F", str(rate), "-o", out, "-p",
                               ",".join(map(str, pids)), "--", "sleep", str(seconds)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode

    def samples(self, out):
        p = subprocess.run(["perf", "script", "-i", out, "-F", "comm,pid,tid,ip,sym"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        result = []
        for block in p.stdout.decode(errors="replace").split("\n\n"):
            lines = [l.strip() for l in block.strip().splitlines() if l.strip()]
            m = re.match(r"^(.*?)\s+(\d+)/(\d+)\s*$", lines[0]) if lines else None
            if not m:
                continue
            comm, pid, tid = m.group(1), int(m.group(2)), int(m.group(3))
            frames = []
            for l in reversed(lines[1:]):  # perf prints the leaf first
                sym = l.split(None, 1)[1] if " " in l else "[unknown]"
                # CPython's perf trampolines are named py::QUALNAME:FILE
                m = re.match(r"^py::(.*):(.*)$", sym)
                frames.append(Frame(sym, m.group(1), os.path.basename(m.group(2))) if m else Frame(sym))
            result.append(Sample(frames, 1, pid, tid, comm))
        return result


class Bpftrace(Profiler):
    name = "bpftrace"
    package = PACKAGES["bpftrace"]
    binary = "bpftrace"
    kind = "BPF, profile:hz probe, ustack + kstack counted in a map"

    def launch(self, rate, argv, out):
        prog = "profile:hz:%d /pid == cpid/ { @[kstack, ustack] = count(); }" % rate
        return ["bpftrace", "-q", "-o", out, "-c", shlex.join(argv), "-e", prog]

    def attach(self, rate, pids, seconds, out):
        prog = ("profile:hz:%d /%s/ { @[pid, tid, comm, kstack, ustack] = count(); } interval:ms:%d { exit(); }" %
                (rate, " || ".join("pid == %d" % p for p in pids), int(seconds * 1000)))
        # Its start-up (compiling the program) comes before the interval starts: allow for it.
        return run_for(["bpftrace", "-q", "-o", out, "-e", prog], seconds + 60)

    def samples(self, out):
        with open(out, errors="replace") as f:
            text = f.read()
        result = []
        for m in re.finditer(r"^@\[(.*?)\]: (\d+)$", text, re.M | re.S):
            body = m.group(1).split("\n")
            key = re.match(r"^(\d+), (\d+), (.*?), ", body[0])
            if not key:
                continue
            leaf_first = [l.strip() for l in body[1:] if l.startswith(" ") and l.strip() not in ("", ",")]
            # bpftrace names native symbols only: no frame is a Python function.
            result.append(Sample([Frame(f) for f in reversed(leaf_first)], int(m.group(2)), int(key.group(1)),
                                 int(key.group(2)), key.group(3)))
        return result


class Austin(Profiler):
    name = "austin"
    package = PACKAGES["austin"]
    binary = "austin"
    kind = "userspace, reads the target's memory (process_vm_readv) every interval; -s (on-CPU samples only)"
    # Debian's austin 1.0.1 knows the layouts of CPython 2.7 and 3.x up to 3.10 only.
    python_versions = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10")
    several_pids = False

    # -s: on-CPU samples only (austin's CPU mode; by default it samples idle threads too, as wall-clock time).
    # -t: wait up to a second for the interpreter's state (default 100 ms, too short when the machine is busy).
    def launch(self, rate, argv, out):
        return ["austin", "-s", "-t", "1000", "-i", str(max(1, round(1e6 / rate))), "-o", out] + list(argv)

    def attach(self, rate, pids, seconds, out):
        (pid,) = pids
        return run_for(["austin", "-s", "-t", "1000", "-i", str(max(1, round(1e6 / rate))), "-o", out, "-p",
                        str(pid)], seconds)

    def samples(self, out):
        """Austin's lines: `Thread ID;FUNC (FILE);L<line>;... MICROSECONDS`, one per thread per sample.

        Austin weighs each line by the time since the thread's previous sample, and even with -s it writes every
        thread waiting for the GIL as busy; an idle thread gets 0. The weight is austin's: microseconds."""
        result = []
        with open(out, errors="replace") as f:
            for line in f:
                head, _, metric = line.rstrip("\n").rpartition(" ")
                parts = head.split(";")
                if not parts or not parts[0].startswith("Thread ") or not metric.isdigit() or metric == "0":
                    continue
                frames = []
                for p in parts[1:]:
                    m = re.match(r"^(.*) \((.*)\)$", p)
                    if m:
                        frames.append(Frame(p, m.group(1), os.path.basename(m.group(2))))
                    elif re.match(r"^L\d+$", p) and frames:
                        frames[-1].line = int(p[1:])
                # The thread is a pthread id, not the kernel's tid: keep it as the thread's name.
                result.append(Sample(frames, int(metric), None, None, parts[0].split()[-1], n=1))
        return result


class BccProfile(Profiler):
    """bcc's profile: compiles its BPF C at run time against the running kernel's headers."""
    name = "profile-bpfcc"
    package = PACKAGES["profile-bpfcc"]  # not installed by the suite: it cannot run without the headers
    binary = "profile-bpfcc"
    kind = "BPF (bcc), compiled at run time against kernel headers"

    def prepare(self, install=True):
        release = os.uname().release
        headers = ["/lib/modules/%s/build" % release, "/sys/kernel/kheaders.tar.xz"]
        if not any(os.path.exists(h) for h in headers):
            self.status = ("not runnable: bcc compiles its BPF C against the running kernel's headers, and this "
                           "kernel ships none (no /lib/modules/$(uname -r)/build, no /sys/kernel/kheaders.tar.xz)")
        elif not shutil.which(self.binary):
            self.status = "kernel headers exist but %s is not installed (package bpfcc-tools)" % self.binary
        else:
            self.status = "installed, but not part of this suite yet"
        return self.status


def all_profilers():
    return [Pyflame(), Perf(), Bpftrace(), Austin(), BccProfile()]


def prepare_all(profilers, install, log):
    """Installs and checks every profiler once; logs what is missing and why."""
    for p in profilers:
        t0 = time.monotonic()
        why = p.prepare(install)
        log("%-14s %s (%.1f s)" % (p.name, "ready" if not why else why, time.monotonic() - t0))
