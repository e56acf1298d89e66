"""Python targets on every installed CPython at once: names, lines, depth, threads, kinds of code, exits, churn."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import lib
from lib import PY_TARGETS, TARGETS, Checks, Failure, Skip, Target, check, marked_line, profile, test

RATIO = os.path.join(PY_TARGETS, "ratio.py")
RECURSION = os.path.join(PY_TARGETS, "recursion.py")
THREADS = os.path.join(PY_TARGETS, "threads.py")
KNOWN_LINE = os.path.join(PY_TARGETS, "known_line.py")
KINDS = os.path.join(PY_TARGETS, "kinds.py")
KINDS_PY3 = os.path.join(PY_TARGETS, "kinds_py3.py")
CHURN = os.path.join(PY_TARGETS, "churn_code.py")
EXIT_EARLY = os.path.join(PY_TARGETS, "exit_early.py")
LAST_INSTANT = os.path.join(PY_TARGETS, "last_instant.py")
SHORT_WORKERS = os.path.join(PY_TARGETS, "short_workers.py")
NAMED_THREADS = os.path.join(PY_TARGETS, "named_threads.py")

ROOT_FRAME = re.compile(r"^(.+) \((\d+)\)$")
# NAME (FILE:LINE), or NAME (FILE) when the code object had no line for the instruction.
PY_FRAME = re.compile(r"^(.*) \((.*?)(?::(-?\d+))?\)$")
PY_MARKERS = ("[truncated]", "[read error]", "[unreadable Python code]", "[freed code object]",
              "[exited before naming]", "[unknown Python frame]")
# A frame pyflame-bpf could not name.
UNNAMED = ("[unreadable Python code]", "[freed code object]", "[exited before naming]")


def minor_key(minor):
    return tuple(int(x) for x in minor.split("."))


def at_least(minor, version):
    return minor_key(minor) >= version


def installed():
    """[(minor, exe)] of the supported CPythons found; prints a skip line for each missing one; Skip if none."""
    found = lib.pythons()
    have = set(m for m, _ in found)
    for minor in lib.SUPPORTED:
        if minor not in have:
            print("  skip %s: %s" % (minor, lib.missing_python_why(minor)), flush=True)
    if not found:
        raise Skip("no supported CPython installed under $PYENV_ROOT (see lib.pythons())")
    return found


class Group:
    """One target per interpreter, all started before the recording; stopped together."""

    def __init__(self, runs):
        """runs: [(label, argv[, cwd])]; each target is waited for until it printed `ready`."""
        self.targets = []  # [(label, Target)]
        try:
            # Started together, so that none has run long before the last one is ready.
            for run in runs:
                self.targets.append((run[0], Target(run[1], ready=False, cwd=run[2] if len(run) > 2 else None)))
            for _, t in self.targets:
                t.wait_ready()
        except BaseException:
            self.stop()
            raise

    def pids(self):
        return ",".join(str(t.pid) for _, t in self.targets)

    def record(self, args):
        """Profiles every target at once; a `COMM (PID)` root on every stack even when there is only one."""
        return profile(["--per-process", "-p", self.pids()] + args)

    def label_of(self):
        return dict((t.pid, label) for label, t in self.targets)

    def stop(self):
        for _, t in self.targets:
            t.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def split_stack(frames, threads=False):
    """(pid, thread root or None, Python frames and markers, the rest: native leaf and kernel frames)."""
    m = ROOT_FRAME.match(frames[0])
    if not m:
        raise Failure("stack without a `COMM (PID)` root: %r" % frames)
    rest = frames[1:]
    thread = None
    if threads:
        check(rest and rest[0].startswith("thread "), "stack without a thread root: %r" % frames)
        thread, rest = rest[0], rest[1:]
    py = []
    for i, f in enumerate(rest):
        if f in PY_MARKERS or (not f.endswith("_[k]") and PY_FRAME.match(f)):
            py.append(f)
        else:
            return int(m.group(2)), thread, py, rest[i:]
    return int(m.group(2)), thread, py, []


def by_pid(run, threads=False):
    """{pid: [(thread root, Python frames, native/kernel frames, count)]}."""
    out = {}
    for frames, count in run.stacks:
        pid, thread, py, other = split_stack(frames, threads)
        out.setdefault(pid, []).append((thread, py, other, count))
    return out


def parse_py(frame):
    """(name, file, line or None) of a Python frame; None for a marker."""
    if frame in PY_MARKERS:
        return None
    m = PY_FRAME.match(frame)
    return m.group(1), m.group(2), int(m.group(3)) if m.group(3) is not None else None


def source_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


def line_of(path, text, nth=1):
    """Number of the nth line of path that reads text, leading and trailing blanks aside (for untagged lines)."""
    for i, line in enumerate(source_lines(path), 1):
        if line.strip() == text:
            nth -= 1
            if not nth:
                return i
    raise Failure("no %r in %s" % (text, path))


def function_lines(path, name):
    """range(def line, last line of the body + 1) of `def name(` in path, by indentation."""
    lines = source_lines(path)
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(?:async\s+)?def %s\(" % re.escape(name), line)
        if m:
            indent, last = len(m.group(1)), i
            for j in range(i + 1, len(lines)):
                if not lines[j].strip():
                    continue
                if len(lines[j]) - len(lines[j].lstrip()) <= indent:
                    break
                last = j
            return range(i + 1, last + 2)
    raise Failure("no def %s in %s" % (name, path))


def no_python_notes(run, pids):
    """Fails if pyflame-bpf said any of these PIDs has no Python frames."""
    for pid in pids:
        check("PID %d: no Python frames" % pid not in run.err, "PID %d not read as Python: %r" % (pid, run.err))


def summary_number(run, words):
    m = re.search(r"(\d+) %s" % re.escape(words), run.err)
    check(m, "summary has no `N %s`: %r" % (words, run.err))
    return int(m.group(1))


def share_of(stacks, pred):
    total = sum(c for _, _, _, c in stacks)
    return sum(c for _, py, _, c in stacks if pred(py)) / float(total or 1), total


# --- ratio and recursion: measured once, asserted by their tests, summed up by the matrix ---

_measured = {}


def has_function(py, name):
    return any(p and p[0] == name for p in map(parse_py, py))


def measure_ratio():
    if "ratio" not in _measured:
        with Group([(m, [exe, RATIO]) for m, exe in installed()]) as g:
            run = g.record(["-d", "5", "-F", "999"])
            labels = g.label_of()
        _measured["ratio"] = (run, labels)
    return _measured["ratio"]


def measure_recursion():
    if "recursion" not in _measured:
        with Group([(m, [exe, RECURSION]) for m, exe in installed()]) as g:
            run = g.record(["-d", "3", "-F", "499"])
            labels = g.label_of()
        _measured["recursion"] = (run, labels)
    return _measured["recursion"]


def ratio_by_version():
    """{minor: (samples, samples in hot_three, in cold_one, hot_three's share in %)} from the ratio run."""
    run, labels = measure_ratio()
    stacks = by_pid(run)
    out = {}
    for pid, minor in labels.items():
        mine = stacks.get(pid, [])
        hot = sum(c for _, py, _, c in mine if has_function(py, "hot_three"))
        cold = sum(c for _, py, _, c in mine if has_function(py, "cold_one"))
        out[minor] = (sum(c for _, _, _, c in mine), hot, cold, 100.0 * hot / (hot + cold or 1))
    return out


def recursion_expected():
    """Python frames of recursion.py's steady state, root first, with the leaf's line left out."""
    module = "<module> (recursion.py:%d)" % line_of(RECURSION, "sys.exit(main())")
    main = "main (recursion.py:%d)" % line_of(RECURSION, "recurse(DEPTH, deadline)")
    return ([module, main] + ["recurse (recursion.py:%d)" % marked_line(RECURSION, "recurse")] * 119 +
            ["recurse (recursion.py:%d)" % marked_line(RECURSION, "leaf")])


def recursion_depths():
    """{minor: Python frames in the version's dominant stack}."""
    run, labels = measure_recursion()
    stacks = by_pid(run)
    out = {}
    for pid, minor in labels.items():
        mine = stacks.get(pid, [])
        top = max(mine, key=lambda s: s[3]) if mine else None
        out[minor] = len(top[1]) if top else 0
    return out


@test
def test_ratio_three_to_one_per_version():
    run, labels = measure_ratio()
    no_python_notes(run, labels)
    stacks = by_pid(run)
    hot_lines = function_lines(RATIO, "hot_three")
    cold_lines = function_lines(RATIO, "cold_one")
    main_hot = "main (ratio.py:%d)" % line_of(RATIO, "hot_three(unit)")  # the loop's, after `ready`
    main_cold = "main (ratio.py:%d)" % line_of(RATIO, "cold_one(unit)")
    module = "<module> (ratio.py:%d)" % line_of(RATIO, "sys.exit(main())")
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                # A version without a root of its own has no samples: its checks below fail and name it.
                for _, py, _, c in stacks.get(pid, []):
                    frames = [parse_py(f) for f in py]
                    check(None not in frames, "%s: marker in %r" % (minor, py))
                    for i, (name, _, line) in enumerate(frames):
                        if name in ("hot_three", "cold_one"):
                            body, parent = (hot_lines, main_hot) if name == "hot_three" else (cold_lines, main_cold)
                            check(py[:i] == [module, parent] and i == len(py) - 1 and line in body,
                                  "%s: %s misplaced or off its body %s: %r" % (minor, name, list(body), py))
                samples, hot, cold, share = ratio_by_version()[minor]
                check(hot + cold > 0.8 * samples, "%s: only %d of %d samples in hot_three/cold_one" %
                      (minor, hot + cold, samples))
                check(hot + cold >= 200, "%s: too few samples to judge a ratio: %d" % (minor, hot + cold))
                check(abs(share - 75.0) <= 5.0,
                      "%s: hot_three %.1f%% of %d samples, want 75 +-5" % (minor, share, hot + cold))
                print("  %s: hot_three %.1f%% of %d" % (minor, share, hot + cold), flush=True)
        check(set(stacks) == set(labels), "roots %r, started %r" % (sorted(stacks), sorted(labels)))


@test
def test_recursion_120_deep_in_order():
    run, labels = measure_recursion()
    no_python_notes(run, labels)
    stacks = by_pid(run)
    want = recursion_expected()
    spin_hot = "spin (recursion.py:%d)" % marked_line(RECURSION, "spin")
    spin_lines = function_lines(RECURSION, "spin")
    check("0 truncated" in run.err, "stacks truncated at the default --max-depth: %r" % run.err)
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                mine = stacks.get(pid, [])
                total = sum(c for _, _, _, c in mine)
                check(total >= 50, "%s: %d samples" % (minor, total))

                def whole(py):
                    leaf = parse_py(py[-1]) if py else None
                    return py[:-1] == want and leaf and leaf[:2] == ("spin", "recursion.py") and leaf[2] in spin_lines
                share, _ = share_of(mine, whole)
                check(share >= 0.9, "%s: only %.0f%% of samples have the full 123-frame stack: %r" %
                      (minor, 100 * share, sorted(mine, key=lambda s: -s[3])[:2]))
                top = max(mine, key=lambda s: s[3])[1]
                check(top == want + [spin_hot], "%s: dominant stack is not ...;%s: %r" % (minor, spin_hot, top[-4:]))
                check(len(top) >= 123, "%s: depth %d" % (minor, len(top)))


@test
def test_four_threads_under_their_roots():
    # threads.py copies each Python thread name into the task's comm itself (prctl PR_SET_NAME): CPython's
    # threading does not before 3.14. So each root must read `thread worker-x (TID)` with the kernel's comm of
    # that TID (read below from /proc while the target runs), and hold work_x and nothing of another worker.
    pythons = installed()
    with Group([(m, [exe, THREADS]) for m, exe in pythons]) as g:
        comms = {}
        for _, t in g.targets:
            for tid in os.listdir("/proc/%d/task" % t.pid):
                with open("/proc/%d/task/%s/comm" % (t.pid, tid)) as f:
                    comms[int(tid)] = (t.pid, f.read().strip())
        run = g.record(["-d", "3", "-F", "499", "--threads"])
        labels = g.label_of()
    no_python_notes(run, labels)
    stacks = by_pid(run, threads=True)
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                work_tids = {}
                for thread, py, _, c in stacks.get(pid, []):
                    m = re.match(r"^thread (.*) \((\d+)\)$", thread)
                    check(m, "%s: bad thread root %r" % (minor, thread))
                    name, tid = m.group(1), int(m.group(2))
                    check(tid in comms and comms[tid][0] == pid,
                          "%s: TID %d is not a thread of PID %d" % (minor, tid, pid))
                    # The workers give the kernel their Python names; the main thread is MainThread to Python.
                    want = "MainThread" if tid == pid else comms[tid][1]
                    check(name == want, "%s: thread root %r, want %r" % (minor, thread, want))
                    for p in filter(None, map(parse_py, py)):
                        if re.match(r"^work_[a-d]$", p[0]):
                            check(p[2] in function_lines(THREADS, p[0]) and p[1] == "threads.py",
                                  "%s: %r" % (minor, py))
                            works = work_tids.setdefault(tid, {})
                            works[p[0]] = works.get(p[0], 0) + c
                check(len(work_tids) == 4, "%s: work_ functions on %d threads: %r" % (minor, len(work_tids), work_tids))
                seen = set()
                for tid, works in work_tids.items():
                    check(len(works) == 1, "%s: TID %d holds %r" % (minor, tid, sorted(works)))
                    work = list(works)[0]
                    seen.add(work)
                    check(tid != pid, "%s: %s on the main thread" % (minor, work))
                    check(comms[tid][1] in ("worker-" + work[-1], comms[pid][1]),
                          "%s: %s in thread %r" % (minor, work, comms[tid][1]))
                    check(works[work] >= 5, "%s: %s has %d samples" % (minor, work, works[work]))
                check(seen == {"work_a", "work_b", "work_c", "work_d"}, "%s: %r" % (minor, seen))
                # The thread's bootstrap is named from the stdlib, relative to the stdlib directory.
                run_frame = "Thread.run" if at_least(minor, (3, 11)) else "run"
                check(any(py and parse_py(py[0]) and parse_py(py[0])[1] == "threading.py" and
                          any(p and p[0] == run_frame for p in map(parse_py, py)) for _, py, _, _ in stacks[pid]),
                      "%s: no %s (threading.py:N) above the workers" % (minor, run_frame))


@test
def test_thread_names_set_by_python_3_14_and_later_show_under_threads():
    # 3.14+ set the OS thread name (the comm) from threading.Thread.name, cut to 15 bytes: --threads shows the name
    # Python gave the thread, whole.
    pythons = [(m, exe) for m, exe in installed() if at_least(m, (3, 14))]
    if not pythons:
        raise Skip("no CPython 3.14+ (%s)" % "; ".join(lib.missing_python_why(m) for m in lib.SID_VERSIONS))
    with Group([(m, [exe, NAMED_THREADS]) for m, exe in pythons]) as g:
        run = g.record(["-d", "2", "-F", "499", "--threads"])
        labels = g.label_of()
    stacks = by_pid(run, threads=True)
    want = {"api-handler-1", "api-handler-2", "a-very-long-thread-name"}
    with Checks() as checks:
        for pid, minor in sorted(labels.items()):
            with checks.of(minor):
                spinning = {}
                for thread, py, _, c in stacks.get(pid, []):
                    if any(p and p[0] == "spin" for p in map(parse_py, py)):
                        name = re.match(r"^thread (.*) \((\d+)\)$", thread).group(1)
                        spinning[name] = spinning.get(name, 0) + c
                check(set(spinning) == want, "%s: threads running spin: %r, want %r" % (minor, spinning, sorted(want)))
                check(min(spinning.values()) >= 50, "%s: %r" % (minor, spinning))
                print("  %s: %s" % (minor, ", ".join("%s %d" % kv for kv in sorted(spinning.items()))), flush=True)


def check_known_line(stacks, label, filename="known_line.py", min_samples=50):
    """Every sample: <module>;main;hot_loop on the loop's lines, most (>= 70%) on the marked line.

    The rest fall on the `for` line (the loop's own instructions), more of them on some versions (3.12).
    """
    hot = marked_line(KNOWN_LINE, "hot")
    loop = range(line_of(KNOWN_LINE, "while deadline is None or time.time() < deadline:"), hot + 1)
    prefix = ["<module> (%s:%d)" % (filename, line_of(KNOWN_LINE, "sys.exit(main())")),
              "main (%s:%d)" % (filename, line_of(KNOWN_LINE, "hot_loop(deadline)"))]
    lines = {}
    for _, py, _, c in stacks:
        check(len(py) == 3 and py[:2] == prefix, "%s: stack %r" % (label, py))
        name, file, line = parse_py(py[2])
        check(name == "hot_loop" and file == filename and line in loop, "%s: leaf frame %r" % (label, py[2]))
        lines[line] = lines.get(line, 0) + c
    total = sum(lines.values())
    check(total >= min_samples, "%s: %d samples" % (label, total))
    check(lines.get(hot, 0) >= 0.7 * total, "%s: hot_loop lines %r, want %d dominant" % (label, lines, hot))


@test
def test_known_line_exact():
    with Group([(m, [exe, KNOWN_LINE]) for m, exe in installed()]) as g:
        run = g.record(["-d", "3", "-F", "499"])
        labels = g.label_of()
    no_python_notes(run, labels)
    stacks = by_pid(run)
    with Checks() as checks:
        for pid, minor in labels.items():
            with checks.of(minor):
                check_known_line(stacks.get(pid, []), minor)


@test
def test_kinds_of_code():
    kinds = [  # (kind, name <= 3.10, name 3.11+, file, body, marked line, parent, from version)
        ("method", "area", "Shape.area", KINDS, function_lines(KINDS, "area"), "method", "take_turn", (2, 7)),
        ("nested", "inner", "outer.<locals>.inner", KINDS, function_lines(KINDS, "inner"), "inner", "outer", (2, 7)),
        ("lambda", "<lambda>", "<lambda>", KINDS, [marked_line(KINDS, "lambda")], "lambda", "call_lambda", (2, 7)),
        ("generator", "stream", "stream", KINDS, function_lines(KINDS, "stream"), "generator", "consume", (2, 7)),
        ("coroutine", "crunch", "crunch", KINDS_PY3, function_lines(KINDS_PY3, "crunch"), "coroutine", None, (3, 7)),
        ("non-ASCII", "berechne_gr\u00f6\u00dfe", "berechne_gr\u00f6\u00dfe", KINDS_PY3,
         function_lines(KINDS_PY3, "berechne_gr\u00f6\u00dfe"), "nonascii", "take_turn", (3, 0)),
    ]
    with Group([(m, [exe, KINDS]) for m, exe in installed()]) as g:
        run = g.record(["-d", "4", "-F", "499"])
        labels = g.label_of()
    no_python_notes(run, labels)
    stacks = by_pid(run)
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                mine = stacks.get(pid, [])
                qual = at_least(minor, (3, 11))
                for kind, old, new, path, body, tag, parent, since in kinds:
                    name, other = (new, old) if qual else (old, new)
                    file = os.path.basename(path)
                    hits = on_tag = 0
                    for _, py, _, c in mine:
                        frames = [parse_py(f) for f in py]
                        for i, f in enumerate(frames):
                            if not f or f[0] not in (name, other):
                                continue
                            check(f[0] == name, "%s: %s named %r, want %r: %r" % (minor, kind, f[0], name, py))
                            check(f[1] == file and f[2] in body, "%s: %s at %s:%s, want %s:%s..%s" %
                                  (minor, kind, f[1], f[2], file, body[0], body[-1]))
                            if parent:
                                check(i > 0 and frames[i - 1] and frames[i - 1][0] == parent,
                                      "%s: %s not under %s: %r" % (minor, kind, parent, py))
                            hits += c
                            on_tag += c if f[2] == marked_line(path, tag) else 0
                    if not at_least(minor, since):
                        check(hits == 0, "%s: %s seen on a version that cannot run it" % (minor, kind))
                        continue
                    check(hits >= 3 and on_tag > 0, "%s: %s (%s): %d samples, %d on its marked line" %
                          (minor, kind, name, hits, on_tag))


@test
def test_process_exiting_midway_keeps_names():
    pythons = installed()
    # 3 s, not 2: on a loaded machine starting nine interpreters and loading the sampler takes up to a second,
    # and each target must still be busy when sampling starts; all still exit well inside the 5 s recording.
    with Group([(m, [exe, EXIT_EARLY, "3"]) for m, exe in pythons]) as g:
        t0 = time.time()
        run = g.record(["-d", "5", "-F", "499"])
        took = time.time() - t0
        labels = g.label_of()
        rcs = dict((t.pid, t.proc.wait(timeout=10)) for _, t in g.targets)
    check(took < 4.6, "kept recording %.1fs after every target exited" % took)
    no_python_notes(run, labels)
    stacks = by_pid(run)
    want = "short_lived (exit_early.py:%d)" % marked_line(EXIT_EARLY, "short_lived")
    body = function_lines(EXIT_EARLY, "short_lived")
    with Checks() as checks:
        for pid, minor in labels.items():
            with checks.of(minor):
                check(rcs[pid] == 0, "%s: exit_early.py exited %d" % (minor, rcs[pid]))
                check(re.search(r"PID %d \(\S+\) exited after \d" % pid, run.err), "%s: exit not in the summary: %r" %
                      (minor, run.err))
                mine = stacks.get(pid, [])
                named = sum(c for _, py, _, c in mine if want in py)
                check(named >= 20, "%s: %d samples in %s" % (minor, named, want))
                for _, py, _, _ in mine:
                    # Every frame's code object was alive when sampled (its frame holds it): a name is always due.
                    check(not set(UNNAMED) & set(py), "%s: unnamed frames around the exit: %r; %s" %
                          (minor, py, run.err.splitlines()[1:2]))
                    for p in filter(None, map(parse_py, py)):
                        if p[0] == "short_lived":
                            check(p[1] == "exit_early.py" and p[2] in body, "%s: %r" % (minor, py))


def qualified(minor, cls, fn):
    """The name a method is shown by: qualified from 3.11 (co_qualname), bare before."""
    return "%s.%s" % (cls, fn) if at_least(minor, (3, 11)) else fn


def last_instant(mode, least):
    """last_instant.py MODE under `--mode MODE -- COMMAND` on every version: Foo.run and Bar.run named at their
    lines with at least least[cls] of the profile's unit each, and no frame left unnamed."""
    with Checks() as checks:
        for minor, exe in installed():
            with checks.of(minor):
                argv = ["-v", "--mode", mode, "-F", "999", "--", exe, LAST_INSTANT, mode]
                run = profile(argv, timeout=30)
                if run.total() < 50:
                    # Seen once for 3.14 under its chroot wrapper: one sample in all, the script never ran.
                    print("  %s: %d in the whole profile (%s): once more" % (minor, run.total(), run.err[-200:]),
                          flush=True)
                    run = profile(argv, timeout=30)
                stacks = [(parse_folded_py(f), c) for f, c in run.stacks]
                unnamed = [py for py, _ in stacks if set(UNNAMED) & set(py)]
                check(not unnamed, "%s: unnamed frames: %r" % (minor, unnamed[:3]))
                got = {}
                for cls in ("Foo", "Bar"):
                    frame = "%s (last_instant.py:%d)" % (qualified(minor, cls, "run"),
                                                         marked_line(LAST_INSTANT, cls.lower()))
                    got[cls] = sum(c for py, c in stacks if frame in py)
                print("  %s: Foo.run %d, Bar.run %d %s" % (minor, got["Foo"], got["Bar"], lib.folded_unit(run.out)),
                      flush=True)
                # One exec, the command's (3.14+ run through a wrapper that execs more): an interval begun native
                # before discovery and ended after it is no sign of another, after which the interpreter would be
                # forgotten and searched for again.
                execs = re.search(r"(\d+) exec'd", run.err)
                check(minor in lib.SID_VERSIONS or (execs and execs.group(1) == "1"),
                      "%s: %s" % (minor, execs and execs.group(0)))
                waits = [(f, c) for f, c in run.stacks if any("select" in x or "nanosleep" in x for x in f)]
                for cls in ("Foo", "Bar"):
                    check(got[cls] >= least[cls], "%s: %s.run has %d; the stacks of sleeps: %r" %
                          (minor, cls, got[cls], [(";".join(parse_folded_py(f)) or f[:3], c) for f, c in waits]))


@test
def test_code_run_only_in_the_last_instant_before_exit_is_named():
    # 0.5 s in Foo.run, then 0.03 s in Bar.run and exit: Bar.run's code objects are first sampled within the last
    # drain interval, after which the process and its memory are gone.
    last_instant("cpu", {"Foo": 100, "Bar": 5})


@test
def test_wall_time_blocked_before_the_interpreter_was_found_and_just_before_exit_is_named():
    # Foo.run sleeps 0.5 s from a few ms after the exec, before pyflame-bpf found the interpreter; Bar.run sleeps
    # the last 0.3 s before exit. Both intervals carry their Python stacks (microseconds).
    last_instant("wall", {"Foo": 400000, "Bar": 250000})


def parse_folded_py(frames):
    """The Python frames and markers of a stack without a process root."""
    return [f for f in frames if f in PY_MARKERS or (not f.endswith("_[k]") and PY_FRAME.match(f))]


@test
def test_process_exiting_with_50_threads_in_new_functions_keeps_their_names():
    # One at a time: each has both CPUs for the 0.25 s its 50 threads run before SIGALRM kills it under them.
    with Checks() as checks:
        for minor, exe in installed():
            with checks.of(minor):
                with Target([exe, LAST_INSTANT, "threads", "50"]) as t:
                    run = profile(["--per-process", "-p", str(t.pid), "-d", "5", "-F", "999"])
                mine = by_pid(run).get(t.pid, [])
                unnamed = [py for _, py, _, _ in mine if set(UNNAMED) & set(py)]
                check(not unnamed, "%s: unnamed frames: %r" % (minor, unnamed[:3]))
                fns = set()
                for _, py, _, _ in mine:
                    for p in filter(None, map(parse_py, py)):
                        m = re.match(r"^thread_fn_(\d+)$", p[0])
                        if m:
                            check(p[1] == "<thread_fn_%s>" % m.group(1), "%s: %r" % (minor, py))
                            fns.add(p[0])
                print("  %s: %d of 50 thread functions sampled, all named" % (minor, len(fns)), flush=True)
                check(len(fns) >= 5, "%s: only %d thread functions sampled" % (minor, len(fns)))


@test
def test_children_living_a_fifth_of_a_second_are_named():
    pythons = installed()
    with Group([(m, [exe, SHORT_WORKERS, "5"]) for m, exe in pythons]) as g:
        run = g.record(["--children", "-d", "10", "-F", "499"])
        parents = g.label_of()
    workers = {}  # minor -> set of worker PIDs named in their own function
    with Checks() as checks:
        for frames, count in run.stacks:
            pid, _, py, _ = split_stack(frames)
            m = re.match(r"^python(\d\.\d+)", frames[0])
            minor = parents.get(pid) or (m.group(1) if m else "?")
            with checks.of(minor):
                check(not set(UNNAMED) & set(py), "%s: unnamed frames in PID %d: %r" % (minor, pid, py))
                for p in filter(None, map(parse_py, py)):
                    w = re.match(r"^worker_(\d)$", p[0])
                    if w:
                        check(p[1] == "<worker_%s>" % w.group(1), "%s: %r" % (minor, py))
                        workers.setdefault(minor, set()).add(pid)
        for minor, _ in pythons:
            with checks.of(minor):
                n = len(workers.get(minor, ()))
                print("  %s: %d of 5 workers sampled in their function" % (minor, n), flush=True)
                check(n >= 4, "%s: %d of 5 workers seen in their function" % (minor, n))


def churn_problems(py, lines):
    """Why this churn_code.py stack cannot be true; None when it can.

    The only Python code that runs after `ready`: <module> -> main -> churn_once, which either exec()s the
    module code of <gen_I> (its line `exec`) or calls gen_I (its line `call`). Every frame must fit that, with
    gen_I's name and file agreeing and its line inside gen_I's own source (I % 7 blank lines, then 5 lines).
    A freed code object whose address was re-used by another and read after the swap shows as a frame that
    does not fit (a <module> where gen_I runs, a name and a file of two different I, a line outside).
    """
    if not py:
        return None
    frames = [parse_py(f) for f in py]
    if frames[0] != ("<module>", "churn_code.py", lines["module"]):
        return "root %r" % py[0]
    if len(frames) > 1 and (not frames[1] or frames[1][:2] != ("main", "churn_code.py") or
                            frames[1][2] not in lines["main"]):
        return "second frame %r" % py[1]
    if len(frames) > 2 and (not frames[2] or frames[2][:2] != ("churn_once", "churn_code.py") or
                            frames[2][2] not in lines["churn_once"]):
        return "third frame %r" % py[2]
    if len(frames) > 3:
        if len(frames) > 4:
            return "deeper than churn_once's callee"
        if frames[3] is None:
            return None if py[3] in UNNAMED else "marker %r" % py[3]
        name, file, line = frames[3]
        m = re.match(r"^<gen_(\d+)>$", file)
        if not m:
            return "callee %r is not from a <gen_I> file" % py[3]
        i = int(m.group(1))
        if frames[2][2] == lines["call"]:
            if name != "gen_%d" % i:
                return "churn_once calls gen_I, got %r" % py[3]
            if line is None or line not in range(i % 7 + 1, i % 7 + 6):
                return "gen_%d's line %s is outside its source (%d..%d)" % (i, line, i % 7 + 1, i % 7 + 5)
        elif frames[2][2] == lines["exec"]:
            # Line 0: the RESUME a module's code starts with (3.11+), as co_lines() gives it.
            if name != "<module>" or line is None or line not in range(0, i % 7 + 6):
                return "exec runs <module> of <gen_%d> (lines 0..%d), got %r" % (i, i % 7 + 5, py[3])
        else:
            return "Python callee %r on churn_once's line %d" % (py[3], frames[2][2])
    return None


# CPU seconds of one churn_once call (compile, exec, one gen_I call), measured in the interpreter itself.
CHURN_CALL_COST = """import os, sys
sys.path.insert(0, sys.argv[1])
import churn_code
churn_code.churn_once(0)
before = os.times()
for i in range(1, 101):
    churn_code.churn_once(i)
after = os.times()
print((after[0] + after[1] - before[0] - before[1]) / 100.0)
"""


@test
def test_code_objects_reused_are_not_misnamed():
    lines = {
        "module": line_of(CHURN, "sys.exit(main())"),
        "main": function_lines(CHURN, "main"),
        "churn_once": function_lines(CHURN, "churn_once"),
        "call": marked_line(CHURN, "call_gen"),
        "exec": line_of(CHURN, 'exec(compile(source, "<gen_%d>" % i, "exec"), namespace)'),
    }
    hz = 999
    pythons = installed()
    # Each gen_I runs once, for about a millisecond of CPU: it can take only a few samples. A name that takes
    # many more is an old name shown for the other code objects that later sat at its address.
    cost = dict((m, float(subprocess.check_output([exe, "-B", "-c", CHURN_CALL_COST, PY_TARGETS])))
                for m, exe in pythons)
    # --code-tags: every frame tagged from the first sample. By default tagging starts once a process is seen
    # re-using a code address (test_code_tags_switch_on_by_themselves), so its first drain can still misname.
    with Group([(m, [exe, CHURN]) for m, exe in pythons]) as g:
        run = g.record(["-d", "4", "-F", str(hz), "--code-tags"])
        labels = g.label_of()
    no_python_notes(run, labels)
    reused = summary_number(run, "re-used addresses")
    print("  re-used addresses: %d; %s" % (reused, [l for l in run.err.splitlines() if "Python:" in l]), flush=True)
    stacks = by_pid(run)
    bad = []
    with Checks() as checks:
        for pid, minor in sorted(labels.items(), key=lambda x: minor_key(x[1])):
            with checks.of(minor):
                mine = stacks.get(pid, [])
                good = unread = wrong = 0
                per_gen = {}
                for _, py, _, c in mine:
                    why = churn_problems(py, lines)
                    if why:
                        wrong += c
                        bad.append("%s: %s: %s" % (minor, why, ";".join(py[2:])))
                    elif set(UNNAMED) & set(py):
                        unread += c
                    elif len(py) == 4:
                        good += c
                        name = parse_py(py[3])[0]
                        per_gen[name] = per_gen.get(name, 0) + c
                bound = int(4 * hz * cost[minor]) + 4
                hogs = sorted((n, g) for g, n in per_gen.items() if n > bound and g.startswith("gen_"))
                for n, gen in hogs[-3:]:
                    bad.append("%s: %s named in %d samples; one churn_once call is %.1f ms of CPU (<= %d samples)" %
                               (minor, gen, n, 1000 * cost[minor], bound))
                print("  %s: %d gen_/<module> frames named right (%d names, at most %d samples each, bound %d), "
                      "%d left unnamed, %d misnamed" % (minor, good, len(per_gen), max(per_gen.values() or [0]), bound,
                                                      unread, wrong), flush=True)
                check(good > 0, "%s: no gen_I frame named at all" % minor)
        check(not bad, "%d misnamed stacks, e.g.:\n    %s" % (len(bad), "\n    ".join(bad[:12] + bad[-9:])))


@test
def test_code_tags_switch_on_by_themselves():
    lines = {
        "module": line_of(CHURN, "sys.exit(main())"),
        "main": function_lines(CHURN, "main"),
        "churn_once": function_lines(CHURN, "churn_once"),
        "call": marked_line(CHURN, "call_gen"),
        "exec": line_of(CHURN, 'exec(compile(source, "<gen_%d>" % i, "exec"), namespace)'),
    }
    pythons = installed()
    with Group([(m, [exe, CHURN]) for m, exe in pythons] + [(m + " steady", [exe, KNOWN_LINE])
                                                           for m, exe in pythons[-1:]]) as g:
        run = g.record(["-d", "3", "-F", "499", "-v"])
        labels = g.label_of()
    tagged = set(int(m.group(1)) for m in re.finditer(r"PID (\d+) re-uses code object addresses", run.err))
    with Checks() as checks:
        for pid, label in labels.items():
            with checks.of(label):
                if label.endswith("steady"):
                    check(pid not in tagged, "%s: a process that never re-uses code got tags" % label)
                else:
                    check(pid in tagged, "%s: tagging never switched on: %s" % (label, run.err[-1500:]))
        # Before tagging switches on (the first drain, 50 ms of 3 s) a sample may still be misnamed; after, none.
        stacks = by_pid(run)
        for pid, label in labels.items():
            if label.endswith("steady"):
                continue
            with checks.of(label):
                mine = stacks.get(pid, [])
                total = sum(c for _, _, _, c in mine)
                wrong = [(py, c) for _, py, _, c in mine if churn_problems(py, lines)]
                check(sum(c for _, c in wrong) <= 0.05 * total,
                      "%s: %d of %d samples misnamed, e.g. %s" % (label, sum(c for _, c in wrong), total,
                                                                  [";".join(py[-2:]) for py, _ in wrong[:3]]))


@test
def test_max_depth_keeps_the_leaf_side_and_marks_the_cut():
    pythons = installed()
    with Group([(m, [exe, RECURSION]) for m, exe in pythons]) as g:
        run = g.record(["-d", "2", "-F", "499", "--max-depth", "40"])
        labels = g.label_of()
    stacks = by_pid(run)
    spin = marked_line(RECURSION, "spin")
    with Checks() as checks:
        for pid, minor in labels.items():
            with checks.of(minor):
                mine = stacks.get(pid, [])
                total = sum(c for _, _, _, c in mine)
                cut = [(py, c) for _, py, _, c in mine if py and py[0] == "[truncated]"]
                check(total > 20 and sum(c for _, c in cut) >= 0.9 * total,
                      "%s: %d of %d samples marked [truncated]" % (minor, sum(c for _, c in cut), total))
                for py, c in cut:
                    named = py[1:]
                    check(len(named) == 40, "%s: %d Python frames kept, wanted 40: %r" % (minor, len(named), py))
                deepest = max(cut, key=lambda x: x[1])[0]
                check(parse_py(deepest[-1])[0] == "spin" and parse_py(deepest[-1])[2] == spin,
                      "%s: the leaf side was not kept: %r" % (minor, deepest[-3:]))


@test
def test_init_runs_directly_under_its_caller():
    # 3.13 pushes an interpreter shim frame (`__init__`, file `__init__`) between a call and __init__: not shown.
    target = os.path.join(PY_TARGETS, "init_shim.py")
    init_line, call_line = marked_line(target, "init"), marked_line(target, "call")
    pythons = installed()
    with Group([(m, [exe, target]) for m, exe in pythons]) as g:
        run = g.record(["-d", "2", "-F", "499"])
        labels = g.label_of()
    stacks = by_pid(run)
    with Checks() as checks:
        for pid, minor in labels.items():
            with checks.of(minor):
                init = "Widget.__init__" if at_least(minor, (3, 11)) else "__init__"
                want = ["make_widgets (init_shim.py:%d)" % call_line, "%s (init_shim.py:%d)" % (init, init_line)]
                mine = stacks.get(pid, [])
                total = sum(c for _, _, _, c in mine)
                hits = sum(c for _, py, _, c in mine if py[-2:] == want)
                check(total > 50 and hits >= 0.6 * total, "%s: %d of %d samples end in %s: %s" %
                      (minor, hits, total, want, sorted(mine, key=lambda x: -x[3])[0][1][-3:] if mine else None))
                check(not any("(__init__)" in f for _, py, _, _ in mine for f in py), "%s: shim frame shown" % minor)


@test
def test_static_debian_python_and_venv():
    runs = []
    static = "/usr/bin/python3.11"
    if os.access(static, os.X_OK):
        runs.append(("Debian python3.11", [static, KNOWN_LINE]))
    else:
        print("  skip Debian python3.11: %s absent" % static, flush=True)
    base = [exe for m, exe in lib.pythons() if m == "3.12"]
    tmp = tempfile.mkdtemp(prefix="pyflame-venv-")
    try:
        if base:
            subprocess.run([base[0], "-m", "venv", "--without-pip", os.path.join(tmp, "venv")], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            runs.append(("venv of 3.12", [os.path.join(tmp, "venv", "bin", "python"), KNOWN_LINE]))
        else:
            print("  skip venv: no CPython 3.12 under $PYENV_ROOT/versions", flush=True)
        if not runs:
            raise Skip("neither %s nor a CPython 3.12 to make a venv from" % static)
        with Group(runs) as g:
            run = g.record(["-d", "3", "-F", "499"])
            labels = g.label_of()
    finally:
        shutil.rmtree(tmp)
    no_python_notes(run, labels)
    stacks = by_pid(run)
    with Checks() as checks:
        for pid, label in labels.items():
            with checks.of(label):
                check_known_line(stacks.get(pid, []), label)


@test
def test_script_started_by_relative_path_is_relative_to_its_dir():
    # 3.9+ makes __main__'s co_filename absolute while argv keeps the relative path: both must shorten alike.
    parent, here = os.path.split(PY_TARGETS)
    runs = []
    for m, exe in installed():
        runs.append((m + " known_line.py", [exe, "known_line.py"], PY_TARGETS))
        runs.append((m + " " + here + "/known_line.py", [exe, os.path.join(here, "known_line.py")], parent))
    with Group(runs) as g:
        run = g.record(["-d", "2", "-F", "499"])
        labels = g.label_of()
    no_python_notes(run, labels)
    stacks = by_pid(run)
    with Checks() as checks:
        for pid, label in labels.items():
            with checks.of(label):
                check_known_line(stacks.get(pid, []), label, min_samples=10)


MODULE_FIRST_LINE = "import sys; p = sys.argv[1]; print(compile(open(p).read(), p, 'exec').co_firstlineno)"


@test
def test_function_flag_and_full_filenames():
    first = function_lines(KNOWN_LINE, "hot_loop")[0]
    main_first = function_lines(KNOWN_LINE, "main")[0]
    pythons = installed()
    # A module's co_firstlineno is its first statement's line up to 3.10 and 1 from 3.11: ask each interpreter.
    module_first = dict((m, int(subprocess.check_output([exe, "-c", MODULE_FIRST_LINE, KNOWN_LINE])))
                        for m, exe in pythons)
    with Group([(m, [exe, KNOWN_LINE]) for m, exe in pythons]) as g:
        fn = g.record(["-d", "2", "-F", "499", "--function"])
        full = g.record(["-d", "2", "-F", "499", "--full-filenames"])
        labels = g.label_of()
    no_python_notes(fn, labels)
    fn_stacks, full_stacks = by_pid(fn), by_pid(full)
    with Checks() as checks:
        for pid, minor in labels.items():
            with checks.of(minor):
                want = ["<module> (known_line.py:%d)" % module_first[minor], "main (known_line.py:%d)" % main_first,
                        "hot_loop (known_line.py:%d)" % first]
                mine = fn_stacks.get(pid, [])
                total = sum(c for _, _, _, c in mine)
                check(total >= 30, "%s: %d samples with --function" % (minor, total))
                for _, py, _, _ in mine:
                    check(py == want, "%s: --function stack %r, want %r" % (minor, py, want))
                # Launched by absolute path, so co_filename is KNOWN_LINE itself on every version.
                check_known_line(full_stacks.get(pid, []), minor + " --full-filenames", filename=KNOWN_LINE)


FAKE_PYTHON = r"""
/* Not CPython: exports the symbols pyflame-bpf's discovery looks for, with Py_Version = PY_VERSION_HEX. */
#include <stdio.h>

const unsigned long Py_Version = PY_VERSION_HEX;
/* 3.13+ start _PyRuntime with _Py_DebugOffsets: its cookie, then the version. */
struct { char cookie[8]; unsigned long version; char rest[4080]; } _PyRuntime = { "xdebugpy", PY_VERSION_HEX };
static volatile unsigned long sink;

__attribute__((noinline)) static void fake_spin(void)
{
	for (;;)
		sink = sink * 31 + 1;
}

int main(void)
{
	puts("ready");
	fflush(stdout);
	fake_spin();
	return 0;
}
"""


@test
def test_non_python_and_unsupported_notes():
    clang = shutil.which("clang")
    if not clang:
        raise Skip("no clang to build the fake interpreters")
    tmp = tempfile.mkdtemp(prefix="pyflame-fake-")
    try:
        src = os.path.join(tmp, "fake.c")
        with open(src, "w") as f:
            f.write(FAKE_PYTHON)
        fakes = {}
        for version, hexv in (("3.99", "0x036300f0"), ("3.5", "0x030500f0")):
            exe = os.path.join(tmp, "fakepy" + version.replace(".", ""))
            subprocess.run([clang, "-O1", "-g", "-fno-omit-frame-pointer", "-fno-inline", "-DPY_VERSION_HEX=" + hexv,
                            "-o", exe, src], check=True, timeout=60)
            fakes[version] = exe
        with Group([("chain", [os.path.join(TARGETS, "chain")])] +
                   [(v, [exe]) for v, exe in sorted(fakes.items())]) as g:
            run = g.record(["-d", "2", "-F", "499"])
            pids = dict((label, pid) for pid, label in g.label_of().items())
    finally:
        shutil.rmtree(tmp)
    notes = [l for l in run.err.splitlines() if "no Python frames" in l]
    check(len(notes) == 3, "want one note per target: %r" % run.err)
    check(re.search(r"^pyflame-bpf: PID %d: no Python frames: not a CPython process" % pids["chain"], run.err, re.M),
          "chain's note: %r" % run.err)
    for version in fakes:
        check(re.search(r"^pyflame-bpf: PID %d: no Python frames: CPython %s\b.*(not supported|not one we know)" %
                        (pids[version], re.escape(version)), run.err, re.M),
              "fake %s's note: %r" % (version, run.err))
    stacks = by_pid(run)
    chains = {"chain": ["main", "level_one", "level_two", "spin"], "3.99": ["main", "fake_spin"],
              "3.5": ["main", "fake_spin"]}
    for label, want in chains.items():
        mine = stacks.get(pids[label], [])
        total = sum(c for _, _, _, c in mine)

        def has_chain(py_and_native):
            user = [f for f in py_and_native if not f.endswith("_[k]")]
            return any(user[i:i + len(want)] == want for i in range(len(user)))
        natives = sum(c for _, py, other, c in mine if has_chain(py + other))
        check(total >= 100 and natives >= 0.9 * total, "%s: %d of %d samples with %s: %r" %
              (label, natives, total, ";".join(want), mine[:3]))


@test
def test_per_version_matrix():
    # A summary of the two runs above (made here if they did not run); their own tests hold the bounds.
    ratios = ratio_by_version()
    depths = recursion_depths()
    for minor in sorted(ratios, key=minor_key):
        samples, _, _, share = ratios[minor]
        print("matrix: %-5s samples=%d  ratio_err=%.1f  depth=%d" % (minor, samples, abs(share - 75.0),
                                                                      depths.get(minor, 0)), flush=True)
    missing = [m for m in ratios if not ratios[m][0] or not depths.get(m)]
    check(not missing, "no samples of %s in a recording shared with the other versions" % missing)
