"""Processes that come and go: --children (pre-fork masters, exec, churn, PID reuse), --all --comm, --cgroup, and a
target inside its own PID and mount namespaces."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import lib
from lib import (BUILD, PY_TARGETS, TARGETS, Checks, Recording, Skip, Target, check, marked_line, profile,
                 pythons, test)

PREFORK = os.path.join(PY_TARGETS, "prefork.py")
EXEC_STAGES = os.path.join(PY_TARGETS, "exec_stages.py")
PID_REUSE = os.path.join(PY_TARGETS, "pid_reuse.py")
CHURN = os.path.join(PY_TARGETS, "churn_procs.py")
PHASES = os.path.join(PY_TARGETS, "phases.py")
KNOWN_LINE = os.path.join(PY_TARGETS, "known_line.py")
THREADS = os.path.join(PY_TARGETS, "threads.py")
CHAIN = os.path.join(TARGETS, "chain")
ASAN_BIN = os.path.join(BUILD, "asan", "pyflame-bpf")

ROOT = re.compile(r"^(.+) \((\d+)\)$")
PY_FRAME = re.compile(r"^(.*) \((.*?):(-?\d+)\)$")
CHAIN_FRAMES = ["main", "level_one", "level_two", "spin"]


def python(prefer=("3.12", "3.13", "3.11", "3.10")):
    """(minor, path) of an installed CPython, the first of prefer found; Skip if none."""
    found = dict(pythons())
    for minor in prefer:
        if minor in found:
            return minor, found[minor]
    raise Skip("none of CPython %s under $PYENV_ROOT/versions" % ", ".join(prefer))


def by_root(run):
    """{(comm, pid): [(frames below the root, count)]}: every stack must carry a `COMM (PID)` root."""
    out = {}
    for frames, count in run.stacks:
        m = ROOT.match(frames[0])
        check(m, "stack without a process root: %r" % frames)
        out.setdefault((m.group(1), int(m.group(2))), []).append((frames[1:], count))
    return out


def pids_of(roots):
    return set(pid for _, pid in roots)


def count(stacks, pred):
    return sum(c for frames, c in stacks if pred(frames))


def has_fn(name, path=None, tag=None):
    """Predicate: the stack holds Python function name (at the line tagged `# LINE:tag` of path, when given)."""
    want = "%s (%s:%d)" % (name, os.path.basename(path), marked_line(path, tag)) if tag else None

    def pred(frames):
        if want:
            return want in frames
        return any(PY_FRAME.match(f) and PY_FRAME.match(f).group(1) == name for f in frames)
    return pred


def python_frames(frames):
    return [f for f in frames if PY_FRAME.match(f) and not f.endswith("_[k]")]


class LineReader:
    """Reads a target's stdout lines in the background, each with the time it arrived."""

    def __init__(self, target):
        self.lines = []
        self.thread = threading.Thread(target=self._read, args=(target.proc.stdout,))
        self.thread.daemon = True
        self.thread.start()

    def _read(self, pipe):
        for line in pipe:
            self.lines.append((time.time(), line.decode(errors="replace").strip()))


@test
def test_children_prefork_master_every_worker_named_from_its_first_sample():
    # One pyenv build, and the newest layouts (3.14+, run in the Debian unstable root) where they are here.
    found = dict(pythons())
    with Checks() as checks:
        for minor, exe in [python()] + [(m, found[m]) for m in lib.SID_VERSIONS if m in found]:
            with checks.of(minor):
                check_prefork(minor, exe)


def check_prefork(minor, exe):
    with Target([exe, PREFORK, "2", "1", "0"]) as master:
        initial = [int(l.split()[1]) for l in master.lines if l.startswith("worker ")]
        workers = LineReader(master)
        rec = Recording(["-p", str(master.pid), "--children", "-d", "5", "-F", "499"])
        rec.wait_recording()
        started = time.time()
        run = rec.finish()
        ended = time.time()
    roots = by_root(run)
    forked = [(t, int(l.split()[1])) for t, l in workers.lines if l.startswith("worker ")]
    check(("python%s" % minor, master.pid) in roots, "no master root: %r" % sorted(roots))
    check(count(roots[("python%s" % minor, master.pid)], has_fn("supervise")) > 0, "master without supervise")
    # Every worker forked while recording, with time to run, has a root of its own with its functions named.
    during = [pid for t, pid in forked if started + 0.1 < t < ended - 0.8]
    check(len(during) >= 2, "the master forked %d workers during the recording: %r" % (len(during), forked))
    first, native, total = 0, 0, 0
    for pid in during + [p for p in initial if p in pids_of(roots)]:
        mine = roots.get(("python%s" % minor, pid))
        check(mine, "worker %d has no samples (roots %r)" % (pid, sorted(roots)))
        check(count(mine, has_fn("serve", PREFORK, "serve")) + count(mine, has_fn("first_steps")) > 0,
              "worker %d: functions not named: %r" % (pid, mine[:5]))
        check(not any("[unreadable Python code]" in f or "[unknown Python frame]" in f for f, _ in mine),
              "worker %d: unnamed frames: %r" % (pid, mine))
        total += sum(c for _, c in mine)
        native += count(mine, lambda f: not python_frames(f))
        if pid in during:
            first += count(mine, has_fn("first_steps", PREFORK, "first_steps"))
    # A worker is walked from its first sample: its first 0.2 s (first_steps) carry Python frames, and samples
    # without any Python frame are next to none (inheriting the layout in userspace instead, one drain later, leaves
    # a dozen such samples in four workers).
    check(first >= 3 * len(during), "%d first_steps samples in %d workers forked while recording" %
          (first, len(during)))
    print("  %s: %d workers forked while recording: %d samples, %d in first_steps, %d without Python frames" %
          (minor, len(during), total, first, native), flush=True)
    check(native <= 2 + total // 200, "%s: %d of %d worker samples without Python frames" % (minor, native, total))
    check(re.search(r"processes: \d+ followed \((\d+) forked", run.err), "no follow summary: %r" % run.err[-800:])


def older_python(than):
    """(minor, path) of an installed CPython other than `than`, preferring the oldest layouts; Skip if none."""
    found = dict(pythons())
    for minor in ("2.7", "3.8", "3.9", "3.6", "3.7", "3.10", "3.11", "3.13", "3.12"):
        if minor in found and minor != than:
            return minor, found[minor]
    raise Skip("needs two CPython versions under $PYENV_ROOT/versions")


def go(target):
    """Lets a target waiting on its stdin (--wait, pid_reuse.py) start."""
    target.proc.stdin.write(b"\n")
    target.proc.stdin.flush()


@test
def test_children_includes_the_descendants_running_before_the_start():
    minor, exe = python()
    # A shell whose child is a master with two long-lived workers: its grandchildren, found by walking /proc.
    with Target(["/bin/sh", "-c", "%s %s 2 30 0; true" % (exe, PREFORK)]) as sh:
        tree = descendants(sh.pid)
        try:
            run = profile(["-p", str(sh.pid), "--children", "-F", "499", "-d", "2"])
        finally:
            for pid in tree:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
    workers = [int(l.split()[1]) for l in sh.lines if l.startswith("worker ")]
    roots = by_root(run)
    check(len(workers) == 2 and set(workers) <= pids_of(roots), "workers %r, records %r" % (workers, sorted(roots)))
    for pid in workers:
        check(count(roots[("python%s" % minor, pid)], has_fn("serve", PREFORK, "serve")) > 0,
              "worker %d not named: %r" % (pid, roots[("python%s" % minor, pid)][:3]))
    check(len(tree) == 3, "the shell's descendants: %r" % tree)  # the master, asleep, and its two workers


@test
def test_exec_of_a_target_into_other_programs_gives_each_program_its_record():
    new_minor, new_exe = python()
    old_minor, old_exe = older_python(new_minor)
    argv = [new_exe, EXEC_STAGES, "--wait", "stage_one", "1.5", old_exe, EXEC_STAGES, "stage_two", "1.5", CHAIN, "2"]
    with Target(argv) as t:
        rec = Recording(["-p", str(t.pid), "--per-process", "-F", "499", "-d", "20"])
        rec.wait_recording()
        go(t)
        run = rec.finish()
    roots = by_root(run)
    check(pids_of(roots) == {t.pid}, "roots of other processes: %r" % sorted(roots))
    one, two, chain = roots.get(("python%s" % new_minor, t.pid)), roots.get(("python%s" % old_minor, t.pid)), \
        roots.get(("chain", t.pid))
    check(one and two and chain, "one record per program wanted, got %r" % sorted(roots))
    check(count(one, has_fn("stage_one", EXEC_STAGES, "stage_one")) > 20, "first program: %r" % one[:5])
    check(count(two, has_fn("stage_two", EXEC_STAGES, "stage_two")) > 20,
          "the program exec'd (CPython %s) not named: %r" % (old_minor, two[:6]))
    check(not count(one, has_fn("stage_two")) and not count(two, has_fn("stage_one")),
          "a program's frames under another's record")
    spin = count(chain, lambda f: f[-len(CHAIN_FRAMES):] == CHAIN_FRAMES)
    check(spin > 0.8 * sum(c for _, c in chain), "native program after the execs: %r" % chain[:5])
    check(not any(python_frames(f) for f, _ in chain), "Python frames under the native program: %r" % chain)
    check("every target exited" in run.err, "did not stop with the last program: %r" % run.err[-600:])


@test
def test_children_exec_finds_the_new_interpreter_at_once():
    minor, exe = python()
    other_minor, other = older_python(minor)
    # The target exec's a shell, which forks and exec's another CPython: a grandchild, new during the run.
    argv = [exe, EXEC_STAGES, "--wait", "stage_one", "0.5", "/bin/sh", "-c",
            "%s %s stage_two 1.5; exit 0" % (other, EXEC_STAGES)]
    with Target(argv) as t:
        rec = Recording(["-p", str(t.pid), "--children", "-F", "499", "-d", "10"])
        rec.wait_recording()
        go(t)
        run = rec.finish()
    roots = by_root(run)
    grandchild = [k for k in roots if k[0] == "python%s" % other_minor]
    check(len(grandchild) == 1, "the exec'd grandchild has no record of its own: %r" % sorted(roots))
    check(grandchild[0][1] != t.pid, "the grandchild is the target itself: %r" % sorted(roots))
    mine = roots[grandchild[0]]
    named = count(mine, has_fn("stage_two", EXEC_STAGES, "stage_two"))
    total = sum(c for _, c in mine)
    check(named > 0.7 * total, "exec'd CPython %s: %d of %d samples in stage_two: %r" %
          (other_minor, named, total, mine[:6]))
    check(("sh", t.pid) in roots or any(k[1] == t.pid for k in roots), "the target's own records: %r" % sorted(roots))
    m = re.search(r"found \((\d+) after an exec or a move into the cgroup: ([\d.]+) ms", run.err)
    check(m and int(m.group(1)) >= 1, "no discovery after exec in the summary: %r" % run.err[-800:])
    print("  interpreter found %s ms after the exec on average" % m.group(2), flush=True)


def ns_last_pid_works():
    return os.path.exists("/proc/sys/kernel/ns_last_pid") and os.access("/proc/sys/kernel/ns_last_pid", os.W_OK)


@test
def test_pid_reused_by_a_followed_child_gets_its_own_record():
    if not ns_last_pid_works():
        raise Skip("/proc/sys/kernel/ns_last_pid is not writable: cannot reuse a PID on purpose")
    minor, exe = python()
    with Target([exe, PID_REUSE, "1.0", CHAIN, "1"]) as t:
        rec = Recording(["-p", str(t.pid), "--children", "-F", "499", "-d", "15"])
        rec.wait_recording()
        reader = LineReader(t)
        go(t)
        run = rec.finish()
        t.proc.wait(timeout=20)
        reader.thread.join(timeout=5)
    lines = dict(l.split() for _, l in reader.lines if " " in l)
    if "second-missed" in lines:
        raise Skip("other processes kept taking PID %s" % lines["second-missed"])
    check(lines.get("first") == lines.get("second"), "target output %r" % reader.lines)
    pid = int(lines["first"])
    roots = by_root(run)
    py_rec, chain_rec = roots.get(("python%s" % minor, pid)), roots.get(("chain", pid))
    check(py_rec and chain_rec, "PID %d: one record per process wanted: %r" % (pid, sorted(roots)))
    check(count(py_rec, has_fn("first_life", PID_REUSE, "first_life")) > 20, "first process: %r" % py_rec[:4])
    check(not any("spin" in f or "level_one" in f for f, _ in py_rec), "the second process's frames under the first")
    check(not any(python_frames(f) for f, _ in chain_rec), "the first process's frames under the second: %r" % chain_rec)
    check(re.search(r"[1-9]\d* PIDs reused", run.err), "reuse not in the summary: %r" % run.err[-800:])


def spawn_with_pid(want, argv, tries=200):
    """A process with PID want running argv (ns_last_pid, retried while other processes take it), or None."""
    for _ in range(tries):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(want - 1))
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if p.pid == want:
            return p
        p.kill()
        p.wait()
    return None


@test
def test_a_stranger_that_gets_an_exited_targets_pid_is_not_profiled():
    if not ns_last_pid_works():
        raise Skip("/proc/sys/kernel/ns_last_pid is not writable: cannot reuse a PID on purpose")
    _, exe = python()
    with Target([CHAIN]) as gone, Target([CHAIN]) as keep:
        rec = Recording(["-p", "%d,%d" % (gone.pid, keep.pid), "-F", "499", "-d", "4"])
        rec.wait_recording()
        time.sleep(0.5)
        gone.stop()
        stranger = spawn_with_pid(gone.pid, [exe, KNOWN_LINE, "2"])
        if not stranger:
            rec.kill()
            raise Skip("other processes kept taking PID %d" % gone.pid)
        run = rec.finish()
        stranger.wait()
    roots = by_root(run)
    check(set(roots) == {("chain", gone.pid), ("chain", keep.pid)}, "records: %r" % sorted(roots))
    check(not any(python_frames(f) for stacks in roots.values() for f, _ in stacks),
          "the stranger with the exited target's PID was profiled: %r" % roots[("chain", gone.pid)])
    check(re.search(r"PID %d \(chain\) exited after" % gone.pid, run.err), "exit not reported: %r" % run.err[-600:])


def our_targets_entries(pid):
    """Entries of the targets map of the pyflame-bpf process pid (found through its fds), or None."""
    bpftool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                info = f.read()
        except OSError:
            continue
        m = re.search(r"^map_id:\s*(\d+)", info, re.M)
        if m and re.search(r"^map_type:\s*1$", info, re.M):  # BPF_MAP_TYPE_HASH: only `targets` is one
            ids.add(m.group(1))
    if len(ids) != 1:
        return None
    out = subprocess.run([bpftool, "-j", "map", "dump", "id", ids.pop()], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    try:
        return len(json.loads(out))
    except ValueError:
        return None


def descendants(pid):
    """Live descendants of pid (zombies left out)."""
    kids, alive = {}, set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2:].split()
        kids.setdefault(int(rest[1]), []).append(int(d))
        if rest[0] not in ("Z", "X"):
            alive.add(int(d))
    out, todo = set(), [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out & alive


@test
def test_churn_of_50_processes_a_second_bounded_memory_every_sample_accounted():
    minor, exe = python()
    seconds = 16
    rec = Recording(["--children", "-F", "499", "--", exe, CHURN, "50", str(seconds), "mixed"])
    rss, entries = [], []
    t0 = time.time()
    while rec.proc.poll() is None and time.time() - t0 < seconds + 60:
        time.sleep(0.5)
        try:
            kb = lib.rss_kb(rec.pid)
            if kb:
                rss.append((time.time() - t0, kb))
            if len(entries) < 4 and time.time() - t0 > seconds * 0.6:
                n = our_targets_entries(rec.pid)
                if n is not None:
                    entries.append((n, len(descendants(rec.pid))))
        except OSError:
            break
    run = rec.finish()
    m = re.search(r"processes: (\d+) followed", run.err)
    check(m, "no process summary: %r" % run.err[-1000:])
    followed = int(m.group(1))
    check(followed >= 8 * seconds, "only %d processes followed in %d s" % (followed, seconds))
    # Every sample the kernel streamed is in the profile: the summary's count is the profile's, losses are stated.
    total = sum(c for _, c in run.stacks)
    m = re.search(r"(\d+) samples in [\d.]+ s at \d+ Hz \(every target exited\), (\d+) lost", run.err)
    check(m and int(m.group(1)) == total, "samples counted %s, in the profile %d: %r" %
          (m and m.group(1), total, run.err[-600:]))
    check(not re.search(r"\b[1-9]\d* malformed", run.err), "malformed records: %r" % run.err[-600:])
    # The kernel forgets exited processes: its targets map holds about what is alive.
    for n, alive in entries:
        check(n <= alive + 10, "targets map holds %d entries while %d processes live" % (n, alive))
    # Memory: after the first few seconds, the per-process state is freed as fast as processes come.
    late = [kb for t, kb in rss if t > 4]
    check(len(late) >= 6, "too few memory readings: %r" % rss)
    check(entries, "the targets map could not be read while processes churned")
    growth = late[-1] - late[0]
    print("  %d processes followed; RSS %d KB at 4 s, %d KB at the end, max %d KB; targets map %r" %
          (followed, late[0], late[-1], max(kb for _, kb in rss), entries), flush=True)
    check(lib.SANITIZED or growth < 12 * 1024, "RSS grew %d KB while processes churned: %r" % (growth, rss))
    # Forked children are named from their parent when they exit before a drain: no child_work left unnamed.
    roots = by_root(run)
    child = [s for (comm, pid), stacks in roots.items() for s in stacks]
    check(count(child, has_fn("child_work", CHURN, "child_work")) > 0, "child_work never named")
    check(not any("[unknown Python frame]" in f for f, _ in child), "frames of forgotten processes in the profile")


@test
def test_churn_with_losses_and_under_the_sanitizers_reports_and_leaks_nothing():
    minor, exe = python()
    # A 4 KiB ring buffer cannot hold a drain's worth of records: samples and events are lost, and said so.
    run = profile(["--children", "-F", "999", "--buffer-size", "4K", "--", exe, CHURN, "50", "4", "mixed"],
                  timeout=120)
    check(re.search(r"[1-9]\d* lost \(ring buffer full\)", run.err), "no loss reported: %r" % run.err[-800:])
    if not os.access(ASAN_BIN, os.X_OK):
        print("  sanitizer part skipped: %s not built (make asan)" % ASAN_BIN, flush=True)
        return
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1")
    p = subprocess.run([ASAN_BIN, "--children", "-F", "499", "-o", os.devnull, "--", exe, CHURN, "30", "3", "mixed"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=180)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 0 and not any(w in err for w in ("Sanitizer", "runtime error:")),
          "exit %d: %s" % (p.returncode, err[-3000:]))


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[2] == "cgroup2":
                return parts[1]
    return None


@test
def test_cgroup_profiles_its_processes_those_moved_in_and_forked_inside():
    root = cgroup2_root()
    if not root:
        raise Skip("no cgroup v2 hierarchy mounted")
    minor, exe = python()
    cg = tempfile.mkdtemp(prefix="pyflame-test-", dir=root)
    sub = os.path.join(cg, "sub")
    os.mkdir(sub)
    try:
        inside = Target(["/bin/sh", "-c", "echo $$ > %s/cgroup.procs && exec %s %s" % (cg, exe, PREFORK) +
                         " 1 1 0"])
        moved, outside = Target([exe, PHASES]), Target([CHAIN])
        forks = LineReader(inside)
        try:
            rec = Recording(["--cgroup", cg, "-F", "499", "-d", "4"])
            rec.wait_recording()
            time.sleep(0.5)
            with open(os.path.join(sub, "cgroup.procs"), "w") as f:
                f.write(str(moved.pid))
            moved.proc.stdin.write(b"\n")  # phase_two: inside
            moved.proc.stdin.flush()
            time.sleep(1.2)
            moved.proc.stdin.write(b"\n")  # phase_three, then out again
            moved.proc.stdin.flush()
            time.sleep(0.05)
            with open(os.path.join(root, "cgroup.procs"), "w") as f:
                f.write(str(moved.pid))
            run = rec.finish()
            workers = [int(l.split()[1]) for _, l in forks.lines if l.startswith("worker ")]
        finally:
            for t in (inside, moved, outside):
                t.stop()
    finally:
        for d in (sub, cg):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.1)
    roots = by_root(run)
    pids = pids_of(roots)
    check(outside.pid not in pids, "a process outside the cgroup was profiled")
    check(inside.pid in pids and count(roots[("python%s" % minor, inside.pid)], has_fn("supervise")) > 0,
          "the cgroup's process: %r" % sorted(roots))
    check(set(workers) & pids, "no worker forked inside the cgroup during the run was profiled: %r %r" %
          (workers, sorted(roots)))
    mine = roots.get(("python%s" % minor, moved.pid), [])
    two = count(mine, has_fn("phase_two", PHASES, "phase_two"))
    before_after = count(mine, has_fn("phase_one")) + count(mine, has_fn("phase_three"))
    check(two > 20, "the process moved in: %d samples in phase_two: %r" % (two, mine[:5]))
    check(before_after <= 0.15 * two, "the moved process was profiled outside the cgroup: %d samples vs %d inside" %
          (before_after, two))
    check(re.search(r"1 entered the cgroup", run.err) and re.search(r"1 left the scope", run.err),
          "moves not in the summary: %r" % run.err[-800:])


@test
def test_all_with_comm_profiles_exactly_the_processes_whose_name_matches():
    minor, exe = python()
    d = tempfile.mkdtemp()
    keep, skip = os.path.join(d, "pfcomm-keep"), os.path.join(d, "pfcommskip")
    os.symlink(exe, keep)
    os.symlink(exe, skip)
    try:
        with Target([keep, KNOWN_LINE]) as a, Target([skip, KNOWN_LINE]) as b, Target([CHAIN]) as c:
            rec = Recording(["--all", "--comm", "pfcomm-[a-z]*", "-F", "499", "-d", "4"])
            rec.wait_recording()
            # Started while recording: a shell (not matching) that exec's a matching name, and one that does not.
            later = subprocess.Popen(["/bin/sh", "-c", "sleep 0.3; exec %s %s 2" % (keep, KNOWN_LINE)],
                                     stdout=subprocess.DEVNULL)
            other = subprocess.Popen(["/bin/sh", "-c", "sleep 0.3; exec %s %s 2" % (skip, KNOWN_LINE)],
                                     stdout=subprocess.DEVNULL)
            run = rec.finish()
            later.wait()
            other.wait()
    finally:
        shutil.rmtree(d)
    roots = by_root(run)
    check(all(re.match(r"^pfcomm-[a-z]", comm) for comm, _ in roots), "names that do not match: %r" % sorted(roots))
    pids = pids_of(roots)
    check(a.pid in pids and later.pid in pids, "matching processes missing: %r (want %d, %d)" %
          (sorted(roots), a.pid, later.pid))
    check(not {b.pid, c.pid, other.pid} & pids, "processes that do not match were profiled")
    hot = "hot_loop (known_line.py:%d)" % marked_line(KNOWN_LINE, "hot")
    for pid in (a.pid, later.pid):
        mine = roots[("pfcomm-keep", pid)]
        check(count(mine, lambda f: hot in f) > 0.8 * sum(c for _, c in mine), "PID %d: %r" % (pid, mine[:4]))
    check(re.search(r"[1-9]\d* exec'd", run.err), "the exec into scope is not in the summary: %r" % run.err[-800:])


@test
def test_all_with_a_full_targets_map_counts_the_processes_left_out():
    sleepers = [subprocess.Popen(["sleep", "60"]) for _ in range(24)]
    try:
        run = profile(["--all", "--max-processes", "16", "-F", "49", "-d", "0.5"])
    finally:
        for p in sleepers:
            p.kill()
            p.wait()
    m = re.search(r"(\d+) processes not profiled: the targets map was full \(raise --max-processes\)", run.err)
    check(m and int(m.group(1)) >= 24 - 16, "no count of the processes left out: %r" % run.err[-800:])


@test
def test_process_in_its_own_pid_and_mount_namespace_by_its_host_pid():
    if not shutil.which("unshare"):
        raise Skip("util-linux unshare is not installed")
    minor, exe = python(("3.12", "3.11", "3.13", "3.10"))
    prefix = os.path.dirname(os.path.dirname(exe))
    libs = [f for f in os.listdir(os.path.join(prefix, "lib")) if f.startswith("libpython") and ".so" in f]
    if not libs:
        raise Skip("CPython %s is not a shared-libpython build" % minor)
    libpython = sorted(libs)[-1]
    # The container's files live at a path that, on the host, holds decoys: other programs under the same names.
    # Symbolizing through the host path would name the decoy's functions (or find no interpreter).
    box = tempfile.mkdtemp(prefix="pyflame-ctr-")
    os.makedirs(os.path.join(box, "bin"))
    os.makedirs(os.path.join(box, "lib"))
    shutil.copy(os.path.join(TARGETS, "symtest-pie"), os.path.join(box, "bin", "python" + minor))
    shutil.copy(os.path.join(TARGETS, "symtest-pie"), os.path.join(box, "bin", "chain"))
    shutil.copy(os.path.join(TARGETS, "libsymlib.so"), os.path.join(box, "lib", libpython))
    script = " && ".join([
        "mount -t tmpfs tmpfs {box}",
        "mkdir -p {box}/bin {box}/lib/python{minor} {box}/app",
        "cp {exe} {box}/bin/ && cp {prefix}/lib/{libpython} {box}/lib/",
        "mount --bind {prefix}/lib/python{minor} {box}/lib/python{minor}",
        "cp {threads} {box}/app/ && cp {chain} {box}/bin/",
        "({box}/bin/chain >/dev/null &)",
        "LD_LIBRARY_PATH={box}/lib exec {box}/bin/python{minor} {box}/app/threads.py"]).format(
            box=box, minor=minor, exe=exe, prefix=prefix, libpython=libpython, threads=THREADS, chain=CHAIN)
    ns = Target(["unshare", "--pid", "--mount", "--fork", "--kill-child", "--", "/bin/sh", "-c", script])
    try:
        deadline = time.time() + 10
        py_pid = chain_pid = None
        while time.time() < deadline and not (py_pid and chain_pid):
            for k in descendants(ns.pid):
                try:
                    with open("/proc/%d/comm" % k) as f:
                        comm = f.read().strip()
                except OSError:
                    continue
                if comm == "chain":
                    chain_pid = k
                elif comm == "python" + minor:
                    py_pid = k
            time.sleep(0.1)
        check(py_pid and chain_pid, "the container's processes did not start")
        with open("/proc/%d/status" % py_pid) as f:
            nspid = re.search(r"^NSpid:\s*(.*)$", f.read(), re.M).group(1).split()
        check(len(nspid) == 2 and nspid[1] == "1", "not in a PID namespace of its own: NSpid %r" % nspid)
        check(not os.path.exists(os.path.join(box, "app")), "the container's mount is visible on the host")
        run = profile(["-p", "%d,%d" % (py_pid, chain_pid), "--threads", "-F", "499", "-d", "3"])
        tasks = set(int(t) for t in os.listdir("/proc/%d/task" % py_pid))
    finally:
        ns.stop()
        shutil.rmtree(box)
    check("PID %d: no Python frames" % py_pid not in run.err, "the container's interpreter was not found: %r" %
          run.err[-600:])
    threads = {}
    for frames, c in run.stacks:
        m = re.match(r"^thread (\S+) \((\d+)\)$", frames[1])
        check(m, "no thread root: %r" % frames)
        threads.setdefault((int(ROOT.match(frames[0]).group(2)), m.group(1), int(m.group(2))), []).append((frames, c))
    for (pid, name, tid), stacks in threads.items():
        if pid != py_pid or not name.startswith("worker-"):
            continue
        check(tid in tasks, "thread %s: %d is not a host thread id of %d (%r)" % (name, tid, py_pid, sorted(tasks)))
        fn = "work_" + name[-1]
        want = "%s (threads.py:%d)" % (fn, marked_line(THREADS, fn))
        check(count(stacks, lambda f: want in f) > 0.6 * sum(c for _, c in stacks),
              "thread %s (%d): %r" % (name, tid, stacks[:3]))
    check(len([k for k in threads if k[0] == py_pid and k[1].startswith("worker-")]) == 4,
          "worker threads: %r" % sorted(threads))
    chain = [(f, c) for (pid, _, _), stacks in threads.items() if pid == chain_pid for f, c in stacks]
    good = count(chain, lambda f: f[-4:] == CHAIN_FRAMES)
    check(good > 0.8 * sum(c for _, c in chain), "the container's native program: %r" % chain[:4])
