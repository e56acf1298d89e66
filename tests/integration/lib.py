"""Shared helpers for the integration tests: start targets, run pyflame-bpf, parse folded output, register tests."""
import contextlib
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("BUILD") or os.path.join(ROOT, "build"))
# The build without sanitizers (valgrind cannot run a sanitized one).
PLAIN_PYFLAME = os.path.join(ROOT, "pyflame-bpf")
# The same program linked statically (make static), for other hosts.
STATIC_PYFLAME = os.path.join(ROOT, "pyflame-bpf-static")
# The binary under test: PYFLAME=build/asan/pyflame-bpf runs the suite against the sanitizer build (make check-asan),
# PYFLAME=pyflame-bpf-static a sampled subset against the static one (make test-static).
PYFLAME = os.path.abspath(os.environ.get("PYFLAME") or PLAIN_PYFLAME)
# Memory bounds hold for the unsanitized builds only: ASan's shadow memory and quarantine of freed blocks add their own.
SANITIZED = PYFLAME not in (os.path.abspath(PLAIN_PYFLAME), os.path.abspath(STATIC_PYFLAME))
# Where sanitized programs write their reports (run.py --sanitizer-logs): a test during which one appears fails.
SANITIZER_LOGS = None
TARGETS = os.path.join(BUILD, "targets")
PY_TARGETS = os.path.join(ROOT, "tests", "targets", "py")

TESTS = []


class Skip(Exception):
    """Raised by a test that cannot run on this machine; the message says why."""


class Failure(AssertionError):
    pass


def test(fn):
    """Registers a test; its name is the function's name."""
    TESTS.append(fn)
    return fn


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Checks:
    """The checks of several targets of one test, one `with checks.of(label):` block each (a CPython version, say):

        with Checks() as checks:
            for pid, minor in labels.items():
                with checks.of(minor):
                    check(...)

    A block that fails is printed at once and the next one still runs, so that one broken version does not hide
    how the others fared; leaving `with Checks()` raises one Failure naming every label that failed."""

    def __init__(self):
        self.labels = {}  # every label checked, in order (a dict as an ordered set)
        self.failed = []  # [(label, message)]

    @contextlib.contextmanager
    def of(self, label):
        self.labels[label] = True
        try:
            yield
        except Skip:
            raise
        except Exception as e:  # a crash on one label's data is that label's failure, like run_all's
            msg = str(e) if isinstance(e, Failure) else "%s: %s" % (type(e).__name__, e)
            if not msg.startswith("%s:" % label):  # most messages start with their version already
                msg = "%s: %s" % (label, msg)
            print("  FAIL %s" % msg, flush=True)
            self.failed.append((label, msg))

    def summary(self):
        """One line: the labels that failed, then each failure cut short (printed whole as it happened)."""
        names = list(dict((label, True) for label, _ in self.failed))
        each = [msg if len(msg) <= 300 else msg[:300] + "..." for _, msg in self.failed]
        return "%s failed (%d of %d): %s" % (", ".join(map(str, names)), len(names), len(self.labels), "; ".join(each))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self.failed or (exc_type is not None and not issubclass(exc_type, Exception)):
            return False  # nothing collected, or an interrupt: let it through as it is
        if exc_type is None:
            raise Failure(self.summary())
        # A check outside the labels' blocks failed after some of them did: one Failure for all.
        raise Failure("%s; then: %s" % (self.summary(), exc)) from exc


class Target:
    """A running target process started from argv; waits for its `ready` line; killed on exit."""

    def __init__(self, argv, ready=True, env=None, cwd=None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE,
                                     env=env, cwd=cwd)
        self.pid = self.proc.pid
        self.lines = []
        if ready:
            self.wait_ready()

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                err = self.proc.stderr.read().decode(errors="replace")
                raise Failure("target %s exited before ready: %s" % (self.argv, err.strip()[-500:]))
            self.lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                return
        raise Failure("target %s not ready in %ss" % (self.argv, timeout))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if f:
                f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Run:
    """The result of one pyflame-bpf run."""

    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err
        self.stacks = parse_folded(out)

    def total(self):
        return sum(c for _, c in self.stacks)

    def count(self, pred):
        return sum(c for frames, c in self.stacks if pred(frames))

    def __repr__(self):
        return "rc=%s stderr=%r out[:800]=%r" % (self.rc, self.err[-800:], self.out[:800])


def profile(args, timeout=60, expect_rc=0):
    """Runs pyflame-bpf with args; returns a Run; checks the exit code unless expect_rc is None."""
    p = subprocess.run([PYFLAME] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    run = Run(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))
    if expect_rc is not None:
        check(p.returncode == expect_rc, "pyflame-bpf %s: exit %d, wanted %d: %s" %
              (" ".join(args), p.returncode, expect_rc, run.err[-1500:]))
    return run


class Recording:
    """pyflame-bpf started in the background with -v, so that a test can wait until it records before it starts
    what it wants recorded; stdout and stderr are read as they come."""

    def __init__(self, args, binary=None, env=None):
        self.args = list(args)
        self.proc = subprocess.Popen([binary or PYFLAME, "-v"] + self.args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.pid = self.proc.pid
        self.err, self.out = [], []
        self.recording = threading.Event()
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stderr, self.err, True)),
                        threading.Thread(target=self._read, args=(self.proc.stdout, self.out, False))]
        for t in self.readers:
            t.daemon = True
            t.start()

    def _read(self, pipe, into, watch):
        for line in pipe:
            line = line.decode(errors="replace")
            into.append(line)
            if watch and line.startswith("pyflame-bpf: recording:"):
                self.recording.set()
        if watch:
            self.recording.set()

    def wait_recording(self, timeout=60):
        """Returns once the profiler samples; Failure if it exited first."""
        self.recording.wait(timeout)
        if not any(l.startswith("pyflame-bpf: recording:") for l in self.err):
            raise Failure("pyflame-bpf %s did not start recording: %s" % (" ".join(self.args), "".join(self.err)[-1500:]))

    def finish(self, timeout=120, expect_rc=0, sig=None):
        """Waits for the profiler (after sending sig, if given); returns its Run."""
        if sig is not None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        for t in self.readers:
            t.join(timeout=10)
        run = Run(self.proc.returncode, "".join(self.out), "".join(self.err))
        if expect_rc is not None:
            check(run.rc == expect_rc, "pyflame-bpf %s: exit %d, wanted %d: %s" %
                  (" ".join(self.args), run.rc, expect_rc, run.err[-1500:]))
        return run

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


FOLDED_HEADER = re.compile(r"^# pyflame-bpf measure=(cpu|wall|off-cpu) unit=(samples|us)(?: time=\d+ns)?(?: duration=\d+ns)?$")


def rss_kb(pid):
    """Resident memory of a live process in KB, None once it is exiting (no VmRSS line)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def folded_unit(text):
    """The unit our header line gives a folded profile (samples or us), or None without one."""
    m = FOLDED_HEADER.match(text.split("\n", 1)[0])
    return m and m.group(2)


def parse_folded(text):
    """[(frames, count)] from folded text (after its header line, if any); raises Failure on a malformed line."""
    stacks = []
    lines = text.splitlines()
    if lines and FOLDED_HEADER.match(lines[0]):
        lines = lines[1:]
    for line in lines:
        m = re.match(r"^(.*) (\d+)$", line)
        if not m or not m.group(1):
            raise Failure("malformed folded line: %r" % line)
        stacks.append((m.group(1).split(";"), int(m.group(2))))
    return stacks


OUR_PROGRAMS = ("pf_sample", "pf_switch", "pf_start_pass", "pf_fork", "pf_exec", "pf_exit", "pf_cgroup_attach")


def our_programs():
    """Names of BPF programs of ours still loaded (the sampler and the process-lifecycle programs)."""
    bpftool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    p = subprocess.run([bpftool, "prog", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise Failure("bpftool prog list failed: %s" % p.stderr.decode(errors="replace").strip())
    out = p.stdout
    return re.findall(r"^\d+: (?:perf_event|tracing)\s+name (%s)\s" % "|".join(OUR_PROGRAMS),
                      out.decode(errors="replace"), re.M)


def no_programs_left(timeout=10):
    """Whether no program of ours is loaded, allowing the kernel time to free those of runs that just ended
    (tracing programs are freed after an RCU-tasks grace period, slow on a busy machine)."""
    deadline = time.time() + timeout
    while our_programs() and time.time() < deadline:
        time.sleep(0.1)
    return not our_programs()


def pyenv_root():
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return root if os.path.isdir(os.path.join(root, "versions")) else None


def versions_of_list(text):
    """["2.7", "3.6", ..., "3.15"] from a list as --version writes it ("2.7, 3.6-3.15")."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        major, low = map(int, first.split("."))
        high = int(last.split(".")[1]) if last else low
        out += ["%d.%d" % (major, m) for m in range(low, high + 1)]
    return out


def supported_versions():
    """The CPython versions the binary under test reads, from the third line of its --version ("CPython 2.7,
    3.6-3.15"): what its generated tables hold, so a version added by scripts/gen-version-tables.sh is tested
    without an edit here."""
    try:
        out = subprocess.run([PYFLAME, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=30).stdout.decode(errors="replace").splitlines()
    except OSError as e:
        sys.stderr.write("lib: %s --version: %s: no CPython version is tested\n" % (PYFLAME, e))
        return []
    if len(out) < 3 or not out[2].startswith("CPython "):
        sys.stderr.write("lib: %s --version has no CPython line: %r\n" % (PYFLAME, out))
        return []
    return versions_of_list(out[2][len("CPython "):])


def sid_versions():
    """The versions scripts/sid-root.sh installs in the Debian unstable root (--versions)."""
    p = subprocess.run([os.path.join(ROOT, "scripts", "sid-root.sh"), "--versions"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return tuple(p.stdout.decode().split()) if p.returncode == 0 else ()


SUPPORTED = supported_versions()
# Versions that run in the Debian unstable root (they need its newer glibc), the rest from $PYENV_ROOT/versions.
SID_VERSIONS = sid_versions()

_sid = {}


def sid_root():
    """The Debian unstable root of scripts/sid-root.sh (made once, cached outside the checkout), or None; the
    reason it is missing in sid_root_why()."""
    if "root" not in _sid:
        root = os.environ.get("PYFLAME_SID_ROOT")
        if root is None:
            p = subprocess.run([os.path.join(ROOT, "scripts", "sid-root.sh")], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            root = p.stdout.decode().strip() if p.returncode == 0 else ""
            _sid["why"] = p.stderr.decode(errors="replace").strip() or "scripts/sid-root.sh failed"
        _sid["root"] = root if root and os.path.isdir(root) else None
    return _sid["root"]


def sid_root_why():
    return _sid.get("why") or "no Debian unstable root"


# A stand-in interpreter: host python3 copies the files its command line names (and their folders' other files)
# to the same paths inside the root, then chroots and execs the root's interpreter: same PID, same argv.
SID_WRAPPER = """#!/usr/bin/env python3
# Generated by tests/integration/lib.py: runs %(exe)s inside %(root)s under the host paths it is given.
import os, shutil, sys
root = %(root)r
def mirror(d):
    # Many may start at once: a file that changed is replaced whole (never seen half-written), others are left be.
    os.makedirs(root + d, exist_ok=True)
    for name in os.listdir(d):
        src = os.path.join(d, name)
        if not os.path.isfile(src) or os.path.getsize(src) >= (1 << 22):
            continue
        with open(src, "rb") as f:
            data = f.read()
        try:
            with open(root + src, "rb") as f:
                if f.read() == data:
                    continue
        except OSError:
            pass
        tmp = "%%s.%%d.tmp" %% (root + src, os.getpid())
        shutil.copy2(src, tmp)
        os.replace(tmp, root + src)
cwd = os.getcwd()
mirror(cwd)
for a in sys.argv[1:]:
    if os.path.isfile(a):
        mirror(os.path.dirname(os.path.abspath(a)))
os.chroot(root)
os.chdir(cwd)
os.execv(%(exe)r, [%(exe)r] + sys.argv[1:])
"""


def sid_python(minor):
    """An executable that runs the root's python<minor> as if it were installed here, or None."""
    root = sid_root()
    exe = "/usr/bin/python" + minor
    if not root or not os.access(root + exe, os.X_OK):
        return None
    wrapper = os.path.join(BUILD, "sid", "python" + minor)
    text = SID_WRAPPER % {"root": root, "exe": exe}
    if not os.path.exists(wrapper) or open(wrapper).read() != text:
        os.makedirs(os.path.dirname(wrapper), exist_ok=True)
        with open(wrapper + ".tmp", "w") as f:
            f.write(text)
        os.chmod(wrapper + ".tmp", 0o755)
        os.rename(wrapper + ".tmp", wrapper)
    return wrapper


def pythons():
    """[(minor version, interpreter path)] for every supported CPython found: under $PYENV_ROOT/versions, and
    3.14+ in the Debian unstable root (through sid_python())."""
    root = pyenv_root()
    found = []
    for minor in SUPPORTED:
        if minor in SID_VERSIONS:
            exe = sid_python(minor)
            if exe:
                found.append((minor, exe))
            continue
        if not root:
            continue
        for d in sorted(glob.glob(os.path.join(root, "versions", minor + ".*"))):
            exe = os.path.join(d, "bin", "python" + minor)
            if os.access(exe, os.X_OK) and re.match(r"^\d+\.\d+\.\d+$", os.path.basename(d)):
                found.append((minor, exe))
                break
    return found


def missing_python_why(minor):
    """Why a supported version is not in pythons()."""
    if minor in SID_VERSIONS:
        return "no python%s in the Debian unstable root: %s" % (minor, sid_root_why() if not sid_root() else "not installed there")
    return "no CPython %s under $PYENV_ROOT/versions" % minor


def marked_line(path, tag):
    """Line number of the line carrying `# LINE:tag` in a target's source."""
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if re.search(r"#\s*LINE:%s\b" % re.escape(tag), line):
                return i
    raise Failure("no LINE:%s in %s" % (tag, path))


def sanitizer_reports():
    """The reports sanitized programs have written since the last call (removed once read), as text."""
    if not SANITIZER_LOGS:
        return ""
    text = ""
    for path in sorted(glob.glob(os.path.join(SANITIZER_LOGS, "*"))):
        with open(path, errors="replace") as f:
            text += "%s:\n%s\n" % (os.path.basename(path), f.read())
        os.unlink(path)
    return text


def run_all(selected=None):
    """Runs the registered tests; returns (passed, failed, skipped)."""
    passed = failed = skipped = 0
    for fn in TESTS:
        if selected and not any(s in fn.__name__ for s in selected):
            continue
        t0 = time.time()
        sanitizer_reports()
        try:
            fn()
            reports = sanitizer_reports()
            if reports:
                raise Failure("sanitizer reports:\n" + reports[-6000:])
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (fn.__name__, e), flush=True)
            continue
        except Exception as e:  # a crash in a test is that test's failure, not the run's
            failed += 1
            print("FAIL %s (%.1fs): %s: %s" % (fn.__name__, time.time() - t0, type(e).__name__, e), flush=True)
            continue
        passed += 1
        print("PASS %s (%.1fs)" % (fn.__name__, time.time() - t0), flush=True)
    return passed, failed, skipped
