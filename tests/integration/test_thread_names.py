"""Thread roots carry the names Python gave the threads (threading.Thread.name), on every version."""
import os
import re
import subprocess
import tempfile
import time

import lib
from lib import PY_TARGETS, PYFLAME, Checks, check, test
from test_python import Group, by_pid, installed

THREAD_NAMES = os.path.join(PY_TARGETS, "thread_names.py")
THREAD_ROOT = re.compile(r"^thread (.*) \((\d+)\)$")
UNICODE_NAME = u"r\u00e9seau-\u540d\u524d-\U0001f40d"


def roots_of(run, pid):
    """{thread root's name: set of TIDs} of pid's stacks, and the samples under each name."""
    names, counts = {}, {}
    for thread, _, _, count in by_pid(run, threads=True).get(pid, []):
        m = THREAD_ROOT.match(thread)
        check(m, "not a thread root: %r" % thread)
        names.setdefault(m.group(1), set()).add(int(m.group(2)))
        counts[m.group(1)] = counts.get(m.group(1), 0) + count
    return names, counts


def each_version(mode, seconds, *extra):
    """thread_names.py MODE on every version at once, profiled with --threads; [(minor, pid, run)]."""
    pythons = installed()
    with Group([(m, [exe, THREAD_NAMES, mode] + list(extra)) for m, exe in pythons]) as g:
        run = g.record(["--threads", "-d", str(seconds), "-F", "499"])
        return [(label, t.pid, run) for label, t in g.targets]


@test
def test_ten_named_threads_and_the_main_one_are_eleven_roots_with_their_names():
    want = set(["MainThread"] + ["CustomThreadName-%d" % i for i in range(10)])
    with Checks() as checks:
        for minor, pid, run in each_version("named", 3):
            with checks.of(minor):
                names, counts = roots_of(run, pid)
                tids = set().union(*names.values()) if names else set()
                print("  %s: %d roots, %d TIDs, %d samples" % (minor, len(names), len(tids), sum(counts.values())),
                      flush=True)
                check(set(names) == want, "%s: roots %r" % (minor, sorted(names)))
                check(len(tids) == 11 and all(len(t) == 1 for t in names.values()),
                      "%s: TIDs per name %r" % (minor, names))


def check_names(mode, seconds, good):
    """thread_names.py MODE on every version: good(names) holds of each one's thread roots."""
    with Checks() as checks:
        for minor, pid, run in each_version(mode, seconds):
            with checks.of(minor):
                names, counts = roots_of(run, pid)
                print("  %s: %r" % (minor, counts), flush=True)
                check(good(names), "%s: roots %r" % (minor, sorted(names)))


@test
def test_a_thread_renamed_after_it_started_shows_its_new_name():
    check_names("renamed", 3, lambda names: "NewName" in names and "OldName" not in names)


@test
def test_a_non_ascii_thread_name_is_shown_whole():
    check_names("unicode", 2, lambda names: UNICODE_NAME in names)


@test
def test_200_short_lived_named_threads_in_a_row_each_tid_its_own_name_in_flat_memory():
    pythons = installed()
    with Group([(m, [exe, THREAD_NAMES, "short", "200"]) for m, exe in pythons]) as g:
        out_file = tempfile.NamedTemporaryFile(suffix=".folded")
        # The profile to a file: a pipe nobody reads while the RSS is watched would stall its writing.
        rec = subprocess.Popen([PYFLAME, "--per-process", "--threads", "-p", g.pids(), "-d", "32", "-F", "499",
                                "-o", out_file.name], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        rss, t0 = [], time.time()
        while rec.poll() is None:
            time.sleep(0.5)
            if rec.poll() is None:
                rss.append((time.time() - t0, lib.rss_kb(rec.pid)))
        _, err = rec.communicate()
        check(rec.returncode == 0, "exit %d: %s" % (rec.returncode, err.decode(errors="replace")[-800:]))
        with open(out_file.name, encoding="utf-8", errors="replace") as f:
            run = lib.Run(rec.returncode, f.read(), err.decode(errors="replace"))
        out_file.close()
        targets = [(label, t.pid) for label, t in g.targets]
    late = [kb for t, kb in rss if t > 4 and kb]
    growth = late[-1] - late[0] if len(late) > 1 else 0
    print("  profiler RSS %d -> %d KB after the first 4 s" % (late[0], late[-1]) if late else "  no RSS readings",
          flush=True)
    with Checks() as checks:
        for minor, pid in targets:
            with checks.of(minor):
                names, counts = roots_of(run, pid)
                short = dict((n, t) for n, t in names.items() if n.startswith("short-lived-thread-"))
                tids = [t for ts in short.values() for t in ts]
                print("  %s: %d of 200 threads named, %d TIDs, other roots %r" %
                      (minor, len(short), len(set(tids)), sorted(set(names) - set(short))), flush=True)
                check(len(tids) == len(set(tids)) and all(len(t) == 1 for t in short.values()),
                      "%s: a TID under two names or a name on two TIDs: %r" % (minor, short))
                check(len(short) >= 150, "%s: only %d of 200 threads named" % (minor, len(short)))
    check(len(late) >= 6, "too few memory readings: %r" % rss)
    # The profile itself grows by each new thread's stacks (2,200 threads here); the names kept per process are
    # bounded (4,096).
    check(lib.SANITIZED or growth < 8 * 1024, "profiler RSS grew %d KB: %r" % (growth, rss))
