"""Off-CPU and wall-clock modes on every installed CPython at once: blocked time, idle waits, the GIL."""
import os
import re

from lib import PY_TARGETS, Checks, Skip, check, our_programs, test
from test_python import Group, by_pid, installed, minor_key, no_python_notes, parse_py

WALL_SLEEPER = os.path.join(PY_TARGETS, "wall_sleeper.py")
WAITS = os.path.join(PY_TARGETS, "waits.py")
GIL_THREADS = os.path.join(PY_TARGETS, "gil_threads.py")

GIL_VERSIONS = (3, 7)  # 2.7 and 3.6 keep their GIL in static variables: its state is unknown
SOCKET_WAIT = ("sk_wait_data_[k]", "tcp_recvmsg_[k]")


def elapsed(run):
    m = re.search(r" in ([\d.]+) s \(", run.err)
    check(m, "no elapsed time in the summary: %r" % run.err)
    return float(m.group(1))


def functions(py):
    """The function names of a Python stack (markers left out)."""
    return [p[0].split(".")[-1] for p in map(parse_py, py) if p]


def per_function(stacks, names):
    """{name: microseconds of the stacks whose innermost frame of `names` is it}."""
    out = dict((n, 0) for n in names)
    for _, py, _, c in stacks:
        hits = [f for f in functions(py) if f in names]
        if hits:
            out[hits[-1]] += c
    return out


def gil_pythons(pythons):
    with_gil = [(m, exe) for m, exe in pythons if minor_key(m) >= GIL_VERSIONS]
    for m, _ in pythons:
        if minor_key(m) < GIL_VERSIONS:
            print("  skip %s: its GIL lives in static variables, not in a layout pyflame-bpf reads" % m, flush=True)
    if not with_gil:
        raise Skip("no CPython 3.7+ installed")
    return with_gil


@test
def test_wall_mode_splits_a_busy_and_a_sleeping_thread_evenly():
    with Group([(m, [exe, WALL_SLEEPER]) for m, exe in installed()]) as g:
        run = g.record(["--mode", "wall", "--threads", "-d", "3", "-F", "999"])
        labels = g.label_of()
    no_python_notes(run, labels)
    check(not our_programs(), "programs left loaded after a wall-mode run: %r" % our_programs())
    check("counts in microseconds" in run.err, "summary does not say the unit: %r" % run.err)
    seconds = elapsed(run)
    stacks = by_pid(run, threads=True)
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                threads = {}
                for thread, py, other, c in stacks.get(pid, []):
                    threads.setdefault(thread, []).append((thread, py, other, c))
                check(len(threads) == 2, "%s: %d thread roots: %r" % (minor, len(threads), sorted(threads)))
                total = sum(c for ts in threads.values() for _, _, _, c in ts)
                for thread, ts in threads.items():
                    mine = sum(c for _, _, _, c in ts)
                    share = 100.0 * mine / total
                    check(abs(share - 50) <= 5,
                          "%s: %s has %.1f%% of the wall time, want 50 +-5" % (minor, thread, share))
                    # Every thread's time adds up to the recording: nothing it did or waited for is missing.
                    check(abs(mine / 1e6 - seconds) <= 0.1 * seconds,
                          "%s: %s accounts for %.2f s of %.2f s" % (minor, thread, mine / 1e6, seconds))
                fns = per_function([s for ts in threads.values() for s in ts], ("idle_sleeper", "busy_worker"))
                for name in fns:
                    share = 100.0 * fns[name] / total
                    check(abs(share - 50) <= 5, "%s: %s %.1f%% of the wall time, want 50 +-5" % (minor, name, share))
                print("  %s: busy_worker %.1f%%, idle_sleeper %.1f%% of %.2f s" %
                      (minor, 100.0 * fns["busy_worker"] / total, 100.0 * fns["idle_sleeper"] / total, total / 1e6),
                      flush=True)


def record_waits(args):
    with Group([(m, [exe, WAITS]) for m, exe in installed()]) as g:
        run = g.record(["--mode", "off", "--threads", "-d", "3"] + args)
        labels = g.label_of()
    no_python_notes(run, labels)
    return run, labels, by_pid(run, threads=True)


@test
def test_off_cpu_request_waits_and_a_thread_blocked_throughout():
    # Each request waits 300 ms for its answer: with --min-block 250ms those waits stay, the 50 ms sleeps go.
    run, labels, stacks = record_waits(["--min-block", "250ms"])
    seconds = elapsed(run)
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                mine = stacks.get(pid, [])
                fetch = [(py, other, c) for _, py, other, c in mine if "fetch_slow" in functions(py)]
                in_recv = sum(c for py, other, c in fetch if any(k in other for k in SOCKET_WAIT))
                check(in_recv >= 0.8 * seconds * 1e6, "%s: fetch_slow waited %.2f s in the socket of %.2f s: %r" %
                      (minor, in_recv / 1e6, seconds, fetch[:3]))
                blocked = sum(c for _, py, _, c in mine if "blocked_forever" in functions(py))
                check(abs(blocked / 1e6 - seconds) <= 0.05 * seconds,
                      "%s: blocked_forever counted %.2f s of %.2f s" % (minor, blocked / 1e6, seconds))
                sleeping = sum(c for _, py, _, c in mine if "main_sleeper" in functions(py))
                check(sleeping <= 0.05 * seconds * 1e6, "%s: 50 ms sleeps kept: %.2f s" % (minor, sleeping / 1e6))
                print("  %s: fetch_slow %.2f s in recv, blocked_forever %.2f s of %.2f s" %
                      (minor, in_recv / 1e6, blocked / 1e6, seconds), flush=True)
        check(re.search(r"[1-9]\d* shorter than --min-block", run.err), "no short interval dropped: %r" % run.err)
        # No request wait is 350 ms long: above that threshold fetch_slow all but disappears (the start pass's first
        # interval, cut by the recording's start, is at most one wait).
        run, labels, stacks = record_waits(["--min-block", "350ms"])
        seconds = elapsed(run)
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                fetch = sum(c for _, py, _, c in stacks.get(pid, []) if "fetch_slow" in functions(py))
                check(fetch <= 0.15 * seconds * 1e6, "%s: %.2f s of fetch_slow intervals of 350 ms or more" %
                      (minor, fetch / 1e6))


@test
def test_no_idle_drops_waits_for_work_only():
    run, labels, stacks = record_waits(["--no-idle"])
    check(re.search(r"[1-9][\d.]* s idle \(--no-idle\) dropped", run.err), "nothing dropped as idle: %r" % run.err)
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                seen = set()
                for _, py, _, c in stacks.get(pid, []):
                    seen.update(f for f in functions(py) if f.endswith(("_waiter", "_forever", "_sleeper", "_slow")))
                check(not seen & {"queue_waiter", "select_waiter"}, "%s: idle waits kept: %r" % (minor, sorted(seen)))
                check({"blocked_forever", "main_sleeper", "fetch_slow"} <= seen,
                      "%s: real waits dropped as idle: %r" % (minor, sorted(seen)))


@test
def test_gil_waits_of_four_threads_on_two_cores():
    pythons = gil_pythons(installed())
    with Group([(m, [exe, GIL_THREADS, "contend"]) for m, exe in pythons]) as g:
        run = g.record(["--mode", "wall", "--threads", "-d", "3", "-F", "999"])
        labels = g.label_of()
    no_python_notes(run, labels)
    stacks = by_pid(run, threads=True)
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                spinning = [(thread, py, other, c) for thread, py, other, c in stacks.get(pid, [])
                            if "spin" in functions(py)]
                threads = set(t for t, _, _, _ in spinning)
                check(len(threads) == 4, "%s: spin on %d threads" % (minor, len(threads)))
                total = sum(c for _, _, _, c in spinning)
                waits = sum(c for _, py, other, c in spinning if other[:1] == ["[GIL wait]"])
                share = 100.0 * waits / total
                # One of four holds the GIL at a time: each waits for it three quarters of its time.
                check(abs(share - 75) <= 8,
                      "%s: GIL waits %.1f%% of the spinning threads' time, want 75 +-8" % (minor, share))
                print("  %s: GIL wait %.1f%% of %.2f s" % (minor, share, total / 1e6), flush=True)


@test
def test_gil_flag_keeps_only_holders():
    pythons = installed()
    with Group([(m, [exe, GIL_THREADS, "release"]) for m, exe in pythons]) as g:
        plain = g.record(["-d", "2", "-F", "499"])
        holders = g.record(["--gil", "-d", "2", "-F", "499"])
        labels = g.label_of()
    no_python_notes(plain, labels)
    plain_stacks, holder_stacks = by_pid(plain), by_pid(holders)
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                names = ("hash_outside_gil", "python_holder")
                before = per_function(plain_stacks.get(pid, []), names)
                after = per_function(holder_stacks.get(pid, []), names)
                check(before["hash_outside_gil"] >= 0.2 * sum(before.values()),
                      "%s: hashing without the GIL barely ran: %r" % (minor, before))
                if minor_key(minor) < GIL_VERSIONS:
                    check(not holder_stacks.get(pid),
                          "%s: --gil kept samples of a process whose GIL is unknown" % minor)
                    continue
                check(after["python_holder"] >= 20, "%s: --gil kept %r" % (minor, after))
                check(after["hash_outside_gil"] <= 0.05 * sum(after.values()),
                      "%s: --gil kept samples taken without the GIL: %r" % (minor, after))
        check("GIL state is unknown" in holders.err or all(minor_key(m) >= GIL_VERSIONS for m, _ in pythons),
              "no note about processes whose GIL is unknown: %r" % holders.err)
