"""Native targets: call chains, kernel frames, several PIDs, commands, exits, signals, errors, rate, leaks."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from lib import (PY_TARGETS, PYFLAME, TARGETS, Failure, Run, Skip, Target, check, no_programs_left, our_programs,
                 parse_folded, profile, pythons, test)

CHAIN = os.path.join(TARGETS, "chain")
SYSCALLS = os.path.join(TARGETS, "syscalls")


def chain_share(run, pid=None):
    """Fraction of samples whose user frames contain main -> level_one -> level_two -> spin in order."""
    want = ["main", "level_one", "level_two", "spin"]

    def has_chain(frames):
        user = [f for f in frames if not f.endswith("_[k]")]
        for i in range(len(user) - len(want) + 1):
            if user[i:i + len(want)] == want:
                return True
        return False
    stacks = [(f, c) for f, c in run.stacks if pid is None or f[0].endswith("(%d)" % pid)]
    total = sum(c for _, c in stacks)
    return sum(c for f, c in stacks if has_chain(f)) / float(total or 1), total


@test
def test_c_call_chain_in_order():
    with Target([CHAIN]) as t:
        run = profile(["-p", str(t.pid), "-d", "2", "-F", "499"])
    share, total = chain_share(run)
    check(total > 300, "too few samples: %d; %r" % (total, run))
    check(share >= 0.90, "chain main;level_one;level_two;spin in %.1f%% of samples: %r" % (100 * share, run))
    # flamegraph.pl's own line grammar: frames, whitespace, a count.
    for line in run.out.splitlines()[1:]:
        check(" " in line and line.rsplit(" ", 1)[1].isdigit() and ";;" not in line, "bad line %r" % line)


@test
def test_kernel_frames_below_user_frames():
    with Target([SYSCALLS]) as t:
        run = profile(["-p", str(t.pid), "-d", "2", "-F", "499"])
    kernel = [(f, c) for f, c in run.stacks if any(x.endswith("_[k]") for x in f)]
    ksamples = sum(c for _, c in kernel)
    check(ksamples > 0.5 * run.total(), "only %d of %d samples have kernel frames: %r" % (ksamples, run.total(), run))
    for frames, _ in kernel:
        first_k = next(i for i, x in enumerate(frames) if x.endswith("_[k]"))
        check(all(x.endswith("_[k]") for x in frames[first_k:]), "user frame below a kernel frame: %r" % frames)
    check(run.count(lambda f: "pump" in f and any(x.endswith("_[k]") for x in f)) > 0,
          "no kernel frames under pump: %r" % run)
    names = " ".join(";".join(f) for f, _ in kernel)
    check("read" in names or "write" in names, "no read/write syscall frames: %r" % run)
    run2 = None
    with Target([SYSCALLS]) as t:
        run2 = profile(["-p", str(t.pid), "-d", "1", "--no-kernel"])
    check(not any(x.endswith("_[k]") for f, _ in run2.stacks for x in f), "--no-kernel kept kernel frames")


@test
def test_two_pids_get_process_root_frames():
    with Target([CHAIN]) as a, Target([SYSCALLS]) as b:
        run = profile(["-p", "%d,%d" % (a.pid, b.pid), "-d", "2"])
    roots = set(f[0] for f, _ in run.stacks)
    check(roots == {"chain (%d)" % a.pid, "syscalls (%d)" % b.pid}, "root frames %r" % roots)
    share, total = chain_share(run, a.pid)
    check(share >= 0.9 and total > 50, "chain under its root: %.2f of %d" % (share, total))
    with Target([CHAIN]) as a:
        run = profile(["-p", str(a.pid), "-d", "1", "--per-process"])
    check(all(f[0] == "chain (%d)" % a.pid for f, _ in run.stacks), "--per-process root missing: %r" % run)


@test
def test_repeated_pid_flags():
    with Target([CHAIN]) as a, Target([CHAIN]) as b, Target([CHAIN]) as c:
        run = profile(["-p", "%d,%d" % (a.pid, b.pid), "-p", str(c.pid), "-d", "1.5"])
    roots = set(f[0] for f, _ in run.stacks)
    check(roots == {"chain (%d)" % p for p in (a.pid, b.pid, c.pid)}, "roots %r" % roots)


@test
def test_command_mode_profiles_from_start_and_stops_at_exit():
    t0 = time.time()
    run = profile(["-d", "20", "-F", "499", "--", CHAIN, "2"])
    took = time.time() - t0
    check(took < 10, "did not stop when the command exited (%.1fs)" % took)
    share, total = chain_share(run)
    check(total > 100 and share > 0.9, "command's chain: %.2f of %d: %r" % (share, total, run))
    run = profile(["--", "/nonexistent/program"], expect_rc=1)
    check("cannot run" in run.err and "/nonexistent/program" in run.err, "exec failure message: %r" % run.err)


@test
def test_target_exiting_midway_keeps_samples():
    # chain N runs until N seconds after its start: under load the profiler may take a second to attach.
    with Target([CHAIN, "2"]) as t:
        t0 = time.time()
        run = profile(["-p", str(t.pid), "-d", "6", "-F", "199"])
    check(time.time() - t0 < 5.5, "kept running after the only target exited")
    share, total = chain_share(run)
    check(total > 30 and share > 0.9, "samples before the exit: %d, chain %.2f" % (total, share))
    check("exited after" in run.err, "summary does not report the exit: %r" % run.err)


@test
def test_sigint_and_sigterm_write_what_was_collected():
    for sig in (signal.SIGINT, signal.SIGTERM):
        with Target([CHAIN]) as t:
            p = subprocess.Popen([PYFLAME, "-p", str(t.pid)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(1.5)
            p.send_signal(sig)
            out, err = p.communicate(timeout=20)
        run = Run(p.returncode, out.decode(), err.decode())
        check(run.rc == 0, "exit %d after signal %d: %r" % (run.rc, sig, run))
        share, total = chain_share(run)
        check(total > 50 and share > 0.9, "after signal %d: %d samples, chain %.2f" % (sig, total, share))


@test
def test_bad_input_exits_2_with_one_line():
    cases = [
        (["-p", "999999999", "-d", "1"], "PID"),
        (["-p", "4194304", "-d", "1"], "no process"),
        (["-p", "abc"], "invalid PID"),
        (["-p", "1", "-F", "0"], "frequency"),
        (["-p", "1", "-d", "-3"], "duration"),
        (["-p", "1", "--max-depth", "9999"], "max depth"),
        (["-p", "1", "--buffer-size", "3000"], "buffer size"),
        (["--bogus"], "unknown option"),
        ([], "nothing to profile"),
        (["-p", "1", "-o", "/nonexistent-dir/x.folded"], "cannot write"),
    ]
    for args, words in cases:
        run = profile(args, expect_rc=2)
        lines = run.err.strip().splitlines()
        check(len(lines) == 1 and words in lines[0], "%r: stderr %r" % (args, run.err))
    check(no_programs_left(), "a failed start left programs loaded")


@test
def test_output_file_is_written_whole():
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pyflame-test-%d.folded" % os.getpid())
    try:
        with Target([CHAIN]) as t:
            run = profile(["-p", str(t.pid), "-d", "1", "-o", out, "-q"])
        check(run.out == "" and run.err == "", "-o/-q still printed: %r" % run)
        with open(out) as f:
            stacks = parse_folded(f.read())
        check(sum(c for _, c in stacks) > 20, "file has %d samples" % sum(c for _, c in stacks))
        check(not [n for n in os.listdir(os.path.dirname(out)) if n.startswith(os.path.basename(out) + ".tmp")],
              "temporary file left behind")
    finally:
        if os.path.exists(out):
            os.unlink(out)


def summary_start(err):
    """The line before the summary's totals (`N samples in T s`): its first, after the diagnostics of the run."""
    lines = err.splitlines()
    totals = [i for i, line in enumerate(lines) if re.match(r"pyflame-bpf: \d+ samples in ", line)]
    check(totals and totals[0] > 0, "no totals line after another: %r" % err)
    return lines[totals[0] - 1]


@test
def test_summary_says_where_the_profile_went_first_and_leaves_zero_counts_to_verbose():
    d = tempfile.mkdtemp(prefix="pyflame-summary-")
    try:
        out = os.path.join(d, "chain.folded")
        with Target([CHAIN]) as t:
            to_file = profile(["-p", str(t.pid), "-d", "1", "-o", out])
            to_stdout = profile(["-p", str(t.pid), "-d", "1"])
        with open(out) as f:
            stacks = parse_folded(f.read())
        first = summary_start(to_file.err)
        check(first == "pyflame-bpf: wrote %s (%d samples, %d stacks)" % (out, sum(c for _, c in stacks), len(stacks)),
              "first line %r, the file has %d samples in %d stacks" % (first, sum(c for _, c in stacks), len(stacks)))
        first = summary_start(to_stdout.err)
        check(first == "pyflame-bpf: wrote stdout (%d samples, %d stacks)" % (to_stdout.total(), len(to_stdout.stacks)),
              "first line to stdout: %r" % first)
        # A command: a process exec'd, none forked, no PID reused, all said with -v only.
        quiet = profile(["-d", "1", "--", CHAIN, "0.3"])
        loud = profile(["-v", "-d", "1", "--", CHAIN, "0.3"])
        check("processes:" in quiet.err and " 0 forked" not in quiet.err and "0 PIDs reused" not in quiet.err,
              "zero counts in the default summary: %r" % quiet.err)
        check("0 forked" in loud.err and "0 PIDs reused" in loud.err, "-v left zero counts out: %r" % loud.err)
    finally:
        shutil.rmtree(d)


def cpu_seconds(pid):
    """CPU time (user + system) a process has used, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


@test
def test_rate_at_999hz_without_losses():
    # Samples follow the CPU time the target got: on a shared machine that can be less than the wall time.
    with Target([CHAIN]) as t:
        p = subprocess.Popen([PYFLAME, "-p", str(t.pid), "-d", "3", "-F", "999"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while not our_programs() and time.time() < deadline:  # loaded: attached a few ms later
            time.sleep(0.01)
        before = cpu_seconds(t.pid)
        out, err = p.communicate(timeout=30)
        cpu = cpu_seconds(t.pid) - before
    run = Run(p.returncode, out.decode(), err.decode())
    check(run.rc == 0, "exit %d: %r" % (run.rc, run))
    expected = 999 * cpu
    total = run.total()
    check(cpu > 1.0, "the target got only %.2f s of CPU in 3 s: machine too busy to judge" % cpu)
    check(abs(total - expected) <= 0.1 * expected,
          "%d samples for %.2f s of CPU, expected %d +-10%%: %r" % (total, cpu, expected, run.err))
    check(" 0 lost" in run.err and "not recorded" not in run.err, "losses reported: %r" % run.err)


@test
def test_no_programs_or_events_left_after_runs():
    # The programs this run loaded, by the ids its own file descriptors hold: other runs on the machine (tests of
    # other checkouts) load programs of the same names at the same time.
    with Target([CHAIN]) as t:
        p = subprocess.Popen([PYFLAME, "-p", str(t.pid), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1)
        ids = programs_held_by(p.pid)
        names = sorted(program_name(i) for i in ids)
        # A -p run needs the sampler and the exec and exit programs (no fork or cgroup program).
        check(names == ["pf_exec", "pf_exit", "pf_sample"], "while running: %r" % names)
        fds = os.listdir("/proc/%d/fd" % p.pid)
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=20)
    check(len(fds) < 64, "%d open fds while running" % len(fds))
    # Tracing programs are freed after an RCU-tasks grace period, which takes a while on a busy machine.
    deadline = time.time() + 10
    while any(program_name(i) for i in ids) and time.time() < deadline:
        time.sleep(0.1)
    check(not any(program_name(i) for i in ids), "left loaded after SIGINT: %r" % [program_name(i) for i in ids])


def programs_held_by(pid):
    """Ids of the BPF programs process pid holds a file descriptor of (a program, or a link to one)."""
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                ids.update(re.findall(r"^prog_id:\s*(\d+)$", f.read(), re.M))
        except OSError:
            pass
    return ids


def program_name(prog_id):
    """The name of loaded program prog_id, None once it is gone."""
    bpftool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    p = subprocess.run([bpftool, "prog", "show", "id", prog_id], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    m = re.search(r"name (\S+)", p.stdout.decode(errors="replace"))
    return m.group(1) if p.returncode == 0 and m else None


@test
def test_full_ring_buffer_and_stack_map_are_reported():
    # A 4 KiB ring buffer holds one record of a 120-frame Python stack (24 bytes a frame): most samples are lost.
    py = [exe for minor, exe in pythons() if minor in ("3.12", "3.11", "3.13")]
    if py:
        with Target([py[0], os.path.join(PY_TARGETS, "recursion.py")]) as t:
            run = profile(["-p", str(t.pid), "-d", "1.5", "-F", "4999", "--buffer-size", "4K"])
        m = re.search(r"(\d+) lost \(ring buffer full", run.err)
        check(m and int(m.group(1)) > 0, "no ring-buffer loss reported: %r" % run.err)
        check(run.total() > 0, "the samples that did arrive were not written")
    else:
        print("  ring buffer part skipped: no CPython 3.11+ installed", flush=True)
    # 64 stack slots cannot hold the distinct kernel stacks of a syscall-heavy process.
    with Target([SYSCALLS]) as t:
        run = profile(["-p", str(t.pid), "-d", "2", "-F", "999", "--max-stacks", "64"])
    check("stack map full" in run.err and "raise --max-stacks" in run.err, "no stack-map loss reported: %r" % run.err)
    check(run.total() > 100, "samples were dropped instead of kept without a stack: %r" % run)


@test
def test_thread_id_is_refused_with_its_process():
    py = [exe for minor, exe in pythons() if minor in ("3.12", "3.11", "3.13", "3.10")]
    if not py:
        raise Skip("no CPython 3.10+ under $PYENV_ROOT/versions for a threaded target")
    with Target([py[0], os.path.join(PY_TARGETS, "threads.py")]) as t:
        tids = [int(x) for x in os.listdir("/proc/%d/task" % t.pid) if int(x) != t.pid]
        run = profile(["-p", str(tids[0]), "-d", "1"], expect_rc=2)
    check("is a thread of process %d" % t.pid in run.err, "message: %r" % run.err)


@test
def test_output_through_a_symlink_replaces_the_file_not_the_link():
    d = tempfile.mkdtemp(prefix="pyflame-out-")
    try:
        real, link = os.path.join(d, "real.folded"), os.path.join(d, "link.folded")
        open(real, "w").close()
        os.symlink(real, link)
        with Target([CHAIN]) as t:
            profile(["-p", str(t.pid), "-d", "1", "-o", link, "-q"])
        check(os.path.islink(link), "the symlink was replaced by a file")
        with open(real) as f:
            check(sum(c for _, c in parse_folded(f.read())) > 20, "the file the link names got no profile")
    finally:
        shutil.rmtree(d)


@test
def test_command_ignoring_sigterm_does_not_hang_the_profiler():
    t0 = time.time()
    run = profile(["-d", "1", "-o", "/dev/null", "--", "sh", "-c", "trap '' TERM; while :; do :; done"], timeout=30)
    check(time.time() - t0 < 8, "took %.1fs to give up on a command ignoring SIGTERM" % (time.time() - t0))
    check(run.rc == 0, "exit %d" % run.rc)


@test
def test_live_status_line_on_a_terminal_only():
    import pty
    with Target([CHAIN]) as t:
        master, slave = pty.openpty()
        p = subprocess.Popen([PYFLAME, "-p", str(t.pid), "-d", "2", "-o", "/dev/null"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closes when the profiler exits
                break
            if not chunk:
                break
            seen += chunk
        p.wait(timeout=20)
        os.close(master)
        piped = profile(["-p", str(t.pid), "-d", "1", "-o", "/dev/null"])
    text = seen.decode(errors="replace")
    updates = text.count("\r\x1b[Kpyflame-bpf: ")
    check(p.returncode == 0 and updates >= 4, "%d status updates on a terminal: %r" % (updates, text[-600:]))
    check("samples in" in text.splitlines()[-1] or "samples in" in text, "no final summary after the status line")
    check("\r" not in piped.err, "status line written to a pipe: %r" % piped.err)
