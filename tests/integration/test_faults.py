"""Faults and policies: -o's symlink policy, report/diff without privileges, signals (SIGHUP snapshots), a target or
the profiler killed with SIGKILL."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

from lib import PYFLAME, TARGETS, Failure, Run, Skip, Target, check, our_programs, parse_folded, profile, test

CHAIN = os.path.join(TARGETS, "chain")
NOBODY = 65534


def listing(*dirs):
    """{path: (is link, content or link target)} of every entry of dirs."""
    out = {}
    for d in dirs:
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.islink(p):
                out[p] = (True, os.readlink(p))
            else:
                with open(p, "rb") as f:
                    out[p] = (False, f.read())
    return out


@test
def test_output_symlink_policy_refuses_a_stranger_s_link_in_a_sticky_directory():
    """As root, -o through a symlink owned by another user in a world-writable sticky directory (what /tmp is) is
    refused: one line naming the link and its owner, exit 2, nothing loaded, nothing written anywhere. The same link
    owned by the caller is followed: the file it names gets the profile, the link stays a link."""
    base = tempfile.mkdtemp(prefix="pyflame-policy-")
    try:
        shared, private = os.path.join(base, "shared"), os.path.join(base, "private")
        os.mkdir(shared)
        os.chmod(shared, 0o1777)
        os.mkdir(private)
        victim = os.path.join(private, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        evil, mine = os.path.join(shared, "evil.folded"), os.path.join(shared, "mine.folded")
        os.symlink(victim, evil)
        os.lchown(evil, NOBODY, NOBODY)
        os.symlink(victim, mine)
        before = listing(shared, private)
        with Target([CHAIN]) as t:
            refused = profile(["-p", str(t.pid), "-d", "1", "-o", evil], expect_rc=2)
            check(not our_programs(), "programs loaded before the refusal")
            lines = refused.err.strip().splitlines()
            check(len(lines) == 1 and "refusing to follow symlink 'evil.folded'" in lines[0] and
                  "uid %d" % NOBODY in lines[0], "stderr: %r" % refused.err)
            check(listing(shared, private) == before, "something was written: %r" % listing(shared, private))
            # A directory on the way is checked the same way.
            os.symlink(private, os.path.join(shared, "evildir"))
            os.lchown(os.path.join(shared, "evildir"), NOBODY, NOBODY)
            refused = profile(["-p", str(t.pid), "-d", "1", "-o", os.path.join(shared, "evildir", "victim")],
                              expect_rc=2)
            check("refusing to follow symlink 'evildir'" in refused.err, "stderr: %r" % refused.err)
            profile(["-p", str(t.pid), "-d", "1", "-F", "499", "-q", "-o", mine])
        check(os.path.islink(mine) and os.readlink(mine) == victim, "the caller's link was replaced")
        with open(victim) as f:
            check(sum(c for _, c in parse_folded(f.read())) > 20, "the file the caller's link names got no profile")
        check(sorted(os.listdir(private)) == ["victim"], "left behind: %r" % os.listdir(private))
    finally:
        shutil.rmtree(base)


FOLDED_BEFORE = "main;a;b 30\nmain;a;c 10\nmain;d 60\n"
FOLDED_AFTER = "main;a;b 70\nmain;a;c 10\nmain;d 20\n"
AS_NOBODY = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--"]
# uid 0, but no capability at all, and none to be gained by exec.
AS_ROOT_WITHOUT_CAPS = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs",
                        "--"]
PRIVILEGED_CALLS = "bpf,perf_event_open,ptrace,process_vm_readv,init_module,mount"


def report_and_diff_runs(d):
    """(argv tail, output file) of every report/diff conversion the test tries, inside directory d."""
    before, after = os.path.join(d, "before.folded"), os.path.join(d, "after.folded")
    runs = []
    for out in ("r.svg", "r.pb.gz", "r.speedscope.json", "r.folded.zst"):
        runs.append((["report", after, "-o", os.path.join(d, out)], os.path.join(d, out)))
    for out in ("d.svg", "d.folded"):
        runs.append((["diff", before, after, "-o", os.path.join(d, out)], os.path.join(d, out)))
    return runs


@test
def test_report_and_diff_need_no_privileges():
    """report and diff as `nobody` on files it owns, and as root with no capability and no_new_privs: every format
    written, owned by whoever ran it; as root, strace sees none of the privileged calls a recording makes. Recording
    as nobody fails with exit 1 and says what is missing."""
    d = tempfile.mkdtemp(prefix="pyflame-unpriv-")
    try:
        os.chmod(d, 0o755)
        for name, text in (("before.folded", FOLDED_BEFORE), ("after.folded", FOLDED_AFTER)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        for who, prefix, uid in (("nobody", AS_NOBODY, NOBODY), ("root without capabilities", AS_ROOT_WITHOUT_CAPS, 0)):
            os.chown(d, uid, uid)
            for args, out in report_and_diff_runs(d):
                p = subprocess.run(prefix + [PYFLAME] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=60)
                check(p.returncode == 0, "%s: %s: exit %d: %s" % (who, " ".join(args[:1]), p.returncode,
                                                                  p.stderr.decode(errors="replace")))
                st = os.stat(out)
                check(st.st_size > 0 and st.st_uid == uid, "%s: %s: size %d, owner %d" % (who, out, st.st_size,
                                                                                          st.st_uid))
                os.unlink(out)
        strace = shutil.which("strace")
        check(strace, "strace is not installed (make deps installs it)")
        # LeakSanitizer cannot run under ptrace: the sanitizer build (make check-asan) checks leaks elsewhere.
        env = dict(os.environ, ASAN_OPTIONS=":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"])))
        for args, out in report_and_diff_runs(d):
            log = os.path.join(d, "strace.log")
            p = subprocess.run([strace, "-f", "-qq", "-o", log, "-e", "trace=" + PRIVILEGED_CALLS, PYFLAME] + args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=env)
            with open(log) as f:
                calls = f.read()
            check(p.returncode == 0 and not calls.strip(), "%s: exit %d, privileged calls: %s" %
                  (" ".join(args[:1]), p.returncode, calls[:500]))
        # The same strace does see them in a recording: the check above can fail.
        with Target([CHAIN]) as t:
            log = os.path.join(d, "strace.log")
            subprocess.run([strace, "-f", "-qq", "-o", log, "-e", "trace=bpf,perf_event_open", PYFLAME, "-p",
                            str(t.pid), "-d", "0.5", "-q", "-o", "/dev/null"], timeout=60, env=env)
            with open(log) as f:
                check("bpf(" in f.read(), "strace saw no bpf() call in a recording")
            p = subprocess.run(AS_NOBODY + [PYFLAME, "-p", str(t.pid), "-d", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 1 and "not permitted to load BPF programs" in err.strip().splitlines()[-1],
              "recording as nobody: exit %d: %s" % (p.returncode, err))
    finally:
        shutil.rmtree(d)


def wait_attached(proc, timeout=15):
    """Waits until pyflame-bpf (a Popen) holds its perf events, i.e. sampling is attached."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise Failure("pyflame-bpf exited early: %r" % (proc.communicate()[1][-800:],))
        if len(fd_kinds(proc.pid).get("perf_event", [])) > 0:
            return
        time.sleep(0.02)
    raise Failure("pyflame-bpf did not attach in %ds" % timeout)


def fd_kinds(pid):
    """{kind: [fdinfo text]} of a process's anonymous-inode fds: perf_event, bpf-prog, bpf-map."""
    out = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                info = f.read()
        except OSError:
            continue  # closed meanwhile
        m = re.match(r"^anon_inode:\[?([a-z_-]+)\]?$", link)
        if m:
            out.setdefault(m.group(1), []).append(info)
    return out


def svg_total(path):
    """The sample count an SVG profile says it holds (its root's data-total); the file must parse whole."""
    return int(ET.parse(path).getroot().get("data-total"))


@test
def test_sighup_writes_a_complete_snapshot_and_recording_goes_on():
    """SIGHUP: the profile so far appears at -o, whole (a reader polling the file throughout always parses it), the
    recording goes on and later snapshots and the final profile hold more; SIGTERM then ends it as before. With the
    profile going to stdout, SIGHUP says why there is no snapshot and changes nothing."""
    d = tempfile.mkdtemp(prefix="pyflame-hup-")
    try:
        out = os.path.join(d, "p.svg")
        with Target([CHAIN]) as t:
            p = subprocess.Popen([PYFLAME, "-p", str(t.pid), "-F", "499", "-o", out], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            wait_attached(p)
            time.sleep(1)
            totals, reads = [], 0
            for _ in range(12):
                p.send_signal(signal.SIGHUP)
                deadline = time.time() + 0.25
                while time.time() < deadline:  # read as a consumer would, while snapshots are renamed in
                    if os.path.exists(out):
                        try:
                            total = svg_total(out)
                        except ET.ParseError as e:
                            raise Failure("a reader saw an incomplete snapshot: %s" % e)
                        reads += 1
                        if not totals or total != totals[-1]:
                            totals.append(total)
                check(p.poll() is None, "pyflame-bpf stopped after SIGHUP")
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=30)
        err = err.decode(errors="replace")
        check(p.returncode == 0, "exit %d after SIGTERM: %s" % (p.returncode, err))
        check(err.count("SIGHUP: wrote %s" % out) == 12, "snapshots reported: %s" % err)
        check(len(totals) >= 6 and totals == sorted(totals) and totals[0] > 20,
              "snapshot totals (%d reads): %r" % (reads, totals))
        check(svg_total(out) > totals[-1], "final profile %d <= last snapshot %d" % (svg_total(out), totals[-1]))
        check(os.listdir(d) == ["p.svg"], "left behind: %r" % os.listdir(d))
        with Target([CHAIN]) as t:
            p = subprocess.Popen([PYFLAME, "-p", str(t.pid), "-d", "3", "-F", "499"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            wait_attached(p)
            time.sleep(0.5)
            p.send_signal(signal.SIGHUP)
            stdout, err = p.communicate(timeout=30)
        err = err.decode(errors="replace")
        check(p.returncode == 0 and "SIGHUP: no snapshot, the profile goes to stdout" in err, "stdout: %s" % err)
        check(sum(c for _, c in parse_folded(stdout.decode())) > 100 and "(duration elapsed)" in err,
              "the recording did not go on to its duration: %s" % err)
    finally:
        shutil.rmtree(d)


@test
def test_target_killed_with_sigkill_keeps_its_named_samples():
    """A Python target SIGKILLed mid-recording: its samples stay, its frames named (read while it was alive), the
    summary says when it went; the other target is recorded to the end."""
    from lib import PY_TARGETS, marked_line, pythons
    found = [exe for minor, exe in pythons() if minor != "2.7"]
    if not found:
        raise Skip("no CPython 3 under $PYENV_ROOT/versions")
    known = os.path.join(PY_TARGETS, "known_line.py")
    hot = "hot_loop (known_line.py:%d)" % marked_line(known, "hot")
    with Target([found[-1], known]) as py, Target([CHAIN]) as native:
        p = subprocess.Popen([PYFLAME, "-p", "%d,%d" % (py.pid, native.pid), "-d", "4", "-F", "499"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_attached(p)
        time.sleep(1.5)
        py.proc.kill()
        out, err = p.communicate(timeout=30)
    run = Run(p.returncode, out.decode(), err.decode(errors="replace"))
    check(run.rc == 0, "exit %d: %r" % (run.rc, run))
    mine = [(f, c) for f, c in run.stacks if f[0].endswith("(%d)" % py.pid)]
    named, total = sum(c for f, c in mine if hot in f), sum(c for _, c in mine)
    check(total > 10 and named > 0.8 * total, "%d of %d samples of the killed target in %s: %r" %
          (named, total, hot, run))
    check(not any("[unreadable Python code]" in f or "[freed code object]" in f for f, _ in mine),
          "unnamed frames of the killed target: %r" % [f for f, _ in mine][:3])
    check(re.search(r"PID %d \(\S+\) exited after 1\.\d\d s" % py.pid, run.err), "summary: %s" % run.err)
    other = sum(c for f, c in run.stacks if f[0].endswith("(%d)" % native.pid))
    check(other > total and "(duration elapsed)" in run.err, "the other target: %d samples vs %d of the killed "
          "one; %s" % (other, total, run.err))


def kernel_ids(kind):
    """IDs of every BPF object of kind ('prog' or 'map') loaded in the kernel now."""
    bpftool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    p = subprocess.run([bpftool, "-j", kind, "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    check(p.returncode == 0, "bpftool %s list: %s" % (kind, p.stderr.decode(errors="replace")))
    return set(x["id"] for x in json.loads(p.stdout.decode() or "[]"))


@test
def test_profiler_killed_with_sigkill_leaves_no_program_map_or_event():
    """pyflame-bpf SIGKILLed while recording: the programs and maps its fds held (read from its fdinfo, so other
    runs on the machine do not count) are gone from the kernel, and its perf events with them (each one held the
    program attached: a surviving event would keep the program loaded). -o keeps the last SIGHUP snapshot whole;
    only the next write's temporary file is left beside it."""
    d = tempfile.mkdtemp(prefix="pyflame-kill-")
    try:
        out = os.path.join(d, "p.folded")
        with Target([CHAIN]) as t:
            p = subprocess.Popen([PYFLAME, "-p", str(t.pid), "-F", "499", "-o", out], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            wait_attached(p)
            fds = fd_kinds(p.pid)
            progs = set(int(m) for i in fds.get("bpf-prog", []) for m in re.findall(r"^prog_id:\s+(\d+)$", i, re.M))
            maps = set(int(m) for i in fds.get("bpf-map", []) for m in re.findall(r"^map_id:\s+(\d+)$", i, re.M))
            events = len(fds.get("perf_event", []))
            check(progs and len(maps) >= 5 and events == os.cpu_count(), "while running: progs %r, maps %r, %d "
                  "perf events for %d CPUs" % (progs, maps, events, os.cpu_count()))
            check(progs <= kernel_ids("prog") and maps <= kernel_ids("map"), "bpftool does not list what it holds")
            time.sleep(1)
            p.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while not os.path.exists(out) and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            p.kill()
            p.communicate(timeout=30)
            deadline = time.time() + 10  # the kernel frees them after an RCU grace period
            while time.time() < deadline:
                left_progs, left_maps = progs & kernel_ids("prog"), maps & kernel_ids("map")
                if not left_progs and not left_maps:
                    break
                time.sleep(0.1)
            check(not left_progs and not left_maps, "after SIGKILL: programs %r, maps %r still loaded" %
                  (left_progs, left_maps))
            check(t.proc.poll() is None, "the target did not survive the profiler's death")
        with open(out) as f:
            check(sum(c for _, c in parse_folded(f.read())) > 20, "the snapshot is not a whole profile")
        check(sorted(os.listdir(d)) == ["p.folded", "p.folded.tmp.%d" % p.pid], "files: %r" % os.listdir(d))
    finally:
        shutil.rmtree(d)


@test
def test_sighup_with_interval_writes_the_current_window_so_far():
    """--interval: SIGHUP writes the window being recorded to its file now; SIGTERM rewrites it with the rest."""
    d = tempfile.mkdtemp(prefix="pyflame-hup-interval-")
    try:
        with Target([CHAIN]) as t:
            p = subprocess.Popen([PYFLAME, "-p", str(t.pid), "-F", "499", "--interval", "600", "-o",
                                  os.path.join(d, "w-%H%M%S.folded")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            wait_attached(p)
            time.sleep(1)
            p.send_signal(signal.SIGHUP)
            deadline = time.time() + 5
            while not os.listdir(d) and time.time() < deadline:
                time.sleep(0.05)
            files = [f for f in os.listdir(d) if ".tmp." not in f]
            check(len(files) == 1, "files after SIGHUP: %r" % os.listdir(d))
            with open(os.path.join(d, files[0])) as f:
                early = sum(c for _, c in parse_folded(f.read()))
            time.sleep(1)
            check(p.poll() is None, "pyflame-bpf stopped after SIGHUP")
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=30)
        check(p.returncode == 0, "exit %d: %s" % (p.returncode, err.decode(errors="replace")))
        check(sorted(os.listdir(d)) == files, "files at the end: %r" % os.listdir(d))
        with open(os.path.join(d, files[0])) as f:
            final = sum(c for _, c in parse_folded(f.read()))
        check(early > 50 and final > early, "window so far: %d samples, at the end: %d" % (early, final))
    finally:
        shutil.rmtree(d)
