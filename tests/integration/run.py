#!/usr/bin/env python3
"""Runs the test suite: criterion unit binaries (--unit BIN...), then the integration tests; prints `N passed, N failed`.

--sanitizer-logs DIR (first) sends the reports of sanitized programs (ASan, LSan, UBSan) to files in DIR and fails
the test or unit binary during which one appears, whatever its exit code; PYFLAME=PATH picks the binary under test;
--label TEXT (first) starts the summary line with it (make test-static's run of a subset against the static binary)."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
import test_fuzz_corpus  # noqa: E402,F401
import test_native  # noqa: E402,F401
import test_memcheck  # noqa: E402,F401
import test_python  # noqa: E402,F401
import test_formats  # noqa: E402,F401
import test_docs  # noqa: E402,F401
import test_svg  # noqa: E402,F401
import test_browser  # noqa: E402,F401
import test_pprof  # noqa: E402,F401
import test_speedscope  # noqa: E402,F401
import test_wall  # noqa: E402,F401
import test_hostile  # noqa: E402,F401
import test_faults  # noqa: E402,F401
import test_scale  # noqa: E402,F401
import test_fleet  # noqa: E402,F401
import test_dump  # noqa: E402,F401
import test_thread_names  # noqa: E402,F401
import test_slice  # noqa: E402,F401
import test_install  # noqa: E402,F401


def run_unit(binaries):
    """Runs criterion binaries; counts their tests from criterion's synthesis line."""
    passed = failed = 0
    for b in binaries:
        lib.sanitizer_reports()
        p = subprocess.run([b, "--short-filename", "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode(errors="replace")
        reports = lib.sanitizer_reports()
        if reports:
            failed += 1
            print("FAIL %s: sanitizer reports (exit %d)\n%s" % (os.path.basename(b), p.returncode, reports[-6000:]),
                  flush=True)
            continue
        m = re.search(r"Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)", out)
        if not m:
            failed += 1
            print("FAIL %s: no criterion summary (exit %d)\n%s" % (b, p.returncode, out[-2000:]), flush=True)
            continue
        n_pass, n_fail = int(m.group(2)), int(m.group(3)) + int(m.group(4))
        passed += n_pass
        failed += n_fail
        if n_fail or p.returncode:
            failed += 0 if n_fail else 1
            print(out, flush=True)
        print("%s %s: %d passed, %d failed" % ("PASS" if not n_fail and not p.returncode else "FAIL",
                                             os.path.basename(b), n_pass, n_fail), flush=True)
    return passed, failed


def sanitize(log_dir):
    """Makes every sanitized program started from here on write its reports into log_dir, and UBSan fatal."""
    os.makedirs(log_dir, exist_ok=True)
    lib.SANITIZER_LOGS = log_dir
    lib.sanitizer_reports()  # a previous run's
    report = os.path.join(log_dir, "report")
    # Allocations filled whole with a non-zero byte: a read past the data into uninitialised heap reaches the redzone.
    os.environ["ASAN_OPTIONS"] = "log_path=%s:detect_leaks=1:max_malloc_fill_size=268435456" % report
    os.environ["UBSAN_OPTIONS"] = "log_path=%s:print_stacktrace=1:halt_on_error=1" % report


def main():
    args = sys.argv[1:]
    units, selected, label = [], [], ""
    if args[:1] == ["--label"] and len(args) > 1:
        label = args[1] + ": "
        args = args[2:]
    if args[:1] == ["--sanitizer-logs"] and len(args) > 1:
        sanitize(os.path.abspath(args[1]))
        args = args[2:]
    if args and args[0] == "--unit":
        args = args[1:]
        while args and not args[0].startswith("-k"):
            units.append(args.pop(0))
    if args and args[0] == "-k":
        selected = args[1:]
    if os.geteuid() != 0:
        print("the integration tests load BPF programs: run them as root", file=sys.stderr)
        return 1
    # The unit tests read the 3.14/3.15 builds of the same root the integration tests run.
    os.environ["PYFLAME_SID_ROOT"] = lib.sid_root() or ""
    if not lib.sid_root():
        print("  no Debian unstable root, CPython 3.14+ tests skip: %s" % lib.sid_root_why(), flush=True)
    up, uf = run_unit(units) if units else (0, 0)
    ip, if_, skipped = lib.run_all(selected)
    print("%s%d passed, %d failed, %d skipped" % (label, up + ip, uf + if_, skipped))
    return 1 if uf or if_ else 0


if __name__ == "__main__":
    sys.exit(main())
