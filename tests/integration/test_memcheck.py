"""The userspace side under AddressSanitizer/UBSan (the `make asan` build) and valgrind, on real targets."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from lib import BUILD, PLAIN_PYFLAME, ROOT, TARGETS, Skip, Target, check, parse_folded, pythons, test

ASAN_BIN = os.path.join(BUILD, "asan", "pyflame-bpf")
SANITIZER_WORDS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def python_target():
    found = [exe for minor, exe in pythons() if minor in ("3.12", "3.11", "3.13", "3.10")]
    if not found:
        raise Skip("no CPython 3.10+ under $PYENV_ROOT/versions")
    return [found[0], os.path.join(ROOT, "tests", "targets", "py", "threads.py")]


def clean(err):
    return not any(w in err for w in SANITIZER_WORDS)


@test
def test_asan_ubsan_build_is_clean_on_python_native_and_error_paths():
    if not os.access(ASAN_BIN, os.X_OK):
        raise Skip("%s not built (make asan)" % ASAN_BIN)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1")
    with Target(python_target()) as py, Target([os.path.join(TARGETS, "chain")]) as native:
        p = subprocess.run([ASAN_BIN, "-p", "%d,%d" % (py.pid, native.pid), "-d", "2", "-F", "499", "--threads"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 0 and clean(err), "exit %d: %s" % (p.returncode, err[-3000:]))
    check(sum(c for _, c in parse_folded(p.stdout.decode())) > 100, "too few samples")
    # Error paths: bad flag, exec failure, signal mid-run.
    for args in (["-p", "abc"], ["--", "/nonexistent/cmd"]):
        p = subprocess.run([ASAN_BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
        err = p.stderr.decode(errors="replace")
        check(p.returncode in (1, 2) and clean(err), "%r: exit %d: %s" % (args, p.returncode, err[-3000:]))
    with Target(python_target()) as py:
        p = subprocess.Popen([ASAN_BIN, "-p", str(py.pid)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        time.sleep(2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    err = err.decode(errors="replace")
    check(p.returncode == 0 and clean(err), "after SIGINT: exit %d: %s" % (p.returncode, err[-3000:]))


VALGRIND = ["valgrind", "-q", "--error-exitcode=9", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect,possible",
            "--suppressions=" + os.path.join(ROOT, "tests", "valgrind.supp")]


def memcheck(args, expect_rc=0, timeout=120):
    """Runs the build without sanitizers under valgrind memcheck; checks its exit code (9: an error or a leak)."""
    p = subprocess.run(VALGRIND + [PLAIN_PYFLAME] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == expect_rc, "valgrind pyflame-bpf %s: exit %d: %s" %
          (" ".join(args), p.returncode, err[-4000:]))
    return p


@test
def test_valgrind_memcheck_is_clean_recording_and_writing_every_format_and_reading_them_back():
    """A recording of Python, native and kernel stacks (every symbolizer, per-thread roots), then the saved profile
    through report into every output format, report of the zstd file, and diff: no memcheck error, no leak."""
    if not shutil.which("valgrind"):
        raise Skip("valgrind is not installed")
    d = tempfile.mkdtemp()
    try:
        saved = os.path.join(d, "rec.folded")
        with Target(python_target()) as py, Target([os.path.join(TARGETS, "chain")]) as native, \
                Target([os.path.join(TARGETS, "syscalls")]) as kernel:
            memcheck(["-p", "%d,%d,%d" % (py.pid, native.pid, kernel.pid), "-d", "3", "-F", "199", "--threads",
                      "-q", "-o", saved])
        with open(saved) as f:
            stacks = parse_folded(f.read())
        check(sum(c for _, c in stacks) > 50, "too few samples under valgrind")
        check(any(f.endswith("_[k]") for frames, _ in stacks for f in frames), "no kernel frame recorded")
        check(any(re.search(r" \(\S+\.py:\d+\)$", f) for frames, _ in stacks for f in frames),
              "no Python frame recorded")
        for out in ("x.svg", "x.pb.gz", "x.speedscope.json", "x.folded.zst"):
            memcheck(["report", saved, "-o", os.path.join(d, out)])
        back = os.path.join(d, "back.folded")
        memcheck(["report", os.path.join(d, "x.folded.zst"), "-o", back])
        memcheck(["diff", saved, back, "-o", os.path.join(d, "diff.svg")])
        memcheck(["diff", saved, back, "--format", "folded", "-o", os.path.join(d, "diff.folded")])
        cut = os.path.join(d, "cut.folded")  # a last line without its newline
        with open(back) as f, open(cut, "w") as out:
            out.write(f.read().rstrip("\n"))
        memcheck(["report", cut, "-o", os.path.join(d, "cut.svg")])
        memcheck(["report", os.path.join(d, "x.svg")], expect_rc=1)  # not a folded file: an error path
    finally:
        shutil.rmtree(d)
