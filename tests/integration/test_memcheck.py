"""The userspace side under AddressSanitizer/UBSan (the `make asan` build) and valgrind, on real targets."""
import os
import shutil
import signal
import subprocess
import time

from lib import BUILD, PYFLAME, ROOT, TARGETS, Skip, Target, check, parse_folded, pythons, test

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


@test
def test_valgrind_memcheck_is_clean():
    if not shutil.which("valgrind"):
        raise Skip("valgrind is not installed")
    supp = os.path.join(ROOT, "tests", "valgrind.supp")
    with Target(python_target()) as py, Target([os.path.join(TARGETS, "chain")]) as native:
        p = subprocess.run(["valgrind", "-q", "--error-exitcode=9", "--leak-check=full",
                            "--errors-for-leak-kinds=definite,indirect", "--suppressions=" + supp,
                            PYFLAME, "-p", "%d,%d" % (py.pid, native.pid), "-d", "3", "-F", "199"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 0, "valgrind exit %d: %s" % (p.returncode, err[-4000:]))
    check(sum(c for _, c in parse_folded(p.stdout.decode())) > 50, "too few samples under valgrind")
