"""`dump`: every thread of a live target now, its state and exact stacks, as text and JSON, without pausing it."""
import json
import os
import re
import subprocess
import time

import lib
from lib import PY_TARGETS, PYFLAME, TARGETS, Checks, Skip, Target, check, marked_line, profile, test

DUMP_THREADS = os.path.join(PY_TARGETS, "dump_threads.py")
CHAIN = os.path.join(TARGETS, "chain")

# Each worker thread of dump_threads.py: the function at its Python leaf, its marked line, the states it can be in,
# what it waits for. The busy thread hands the GIL to the ticking one every millisecond: it may be caught waiting.
WANT = {
    "busy_work": ("busy", ("running", "waiting for the GIL"), None),
    "sleepy": ("sleep", ("sleeping",), ("clock_nanosleep", "nanosleep", "select", "pselect6")),
    "receiver": ("recv", ("sleeping",), ("recvfrom", "recvmsg", "recv", "read")),
    "waiter": ("wait", ("sleeping",), ("futex",)),
    "holder": ("hold", ("sleeping",), ("clock_nanosleep", "nanosleep", "select", "pselect6")),
}


def dump(pid, *extra, expect_rc=0):
    """pyflame-bpf dump's run: (stdout, stderr), its exit status checked."""
    p = subprocess.run([PYFLAME, "dump", "-p", str(pid)] + list(extra), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    check(p.returncode == expect_rc, "dump -p %s %s: exit %d: %s" % (pid, " ".join(extra), p.returncode, err[-1500:]))
    return out, err


def json_threads(doc, pid):
    """{leaf Python function: thread} of pid's process in a --json dump."""
    procs = [p for p in doc["processes"] if p["pid"] == pid]
    check(len(procs) == 1, "PID %d: %d processes in the document" % (pid, len(procs)))
    return dict((t["python"][0]["function"], t) for t in procs[0]["threads"] if t["python"])


def text_threads(text):
    """{leaf Python function: (header, Python frames leaf first)} of a text dump."""
    out, header, frames = {}, None, []
    for line in text.splitlines() + ["Thread end"]:
        if line.startswith("Thread ") or line.startswith("Process "):
            if header and frames:
                out[frames[0].split(" (")[0]] = (header, frames)
            header, frames = (line if line.startswith("Thread ") else None), []
        elif line.startswith("    "):
            frames.append(line.strip())
    return out


@test
def test_dump_shows_each_thread_with_its_state_and_exact_python_stack_as_text_and_json():
    with Checks() as checks:
        for minor, exe in lib.pythons() or []:
            with checks.of(minor):
                with Target([exe, DUMP_THREADS]) as t:
                    text = dump(t.pid)[0]
                    doc = json.loads(dump(t.pid, "--json")[0])
                threads = text_threads(text)
                jthreads = json_threads(doc, t.pid)
                for fn, (mark, states, calls) in sorted(WANT.items()):
                    line = marked_line(DUMP_THREADS, mark)
                    # A running thread may be on its loop's test line as well as on its body.
                    lines = (line - 1, line) if "running" in states else (line,)
                    got = threads.get(fn)
                    check(got, "%s: no thread in %s:\n%s" % (minor, fn, text[:2000]))
                    header, frames = got
                    # Each thread is named after its function: the name Python gave it, not the comm.
                    m = re.match(r'^Thread \d+ "%s thread" \((running|sleeping|waiting for the GIL)(?: in (\S+))?\)$'
                                 % fn, header)
                    check(m and m.group(1) in states and (calls is None or m.group(2) in calls),
                          "%s: %s: %r, wanted %s in %s" % (minor, fn, header, states, calls))
                    want_leaf = re.compile(r"^(?:\w+\.)?%s \(dump_threads\.py:(\d+)\)$" % fn)
                    m = want_leaf.match(frames[0])
                    check(m and int(m.group(1)) in lines, "%s: %s's leaf %r, not line %s" % (minor, fn, frames[0], lines))
                    check(re.match(r"^(Thread\.)?_?_bootstrap \(threading\.py:\d+\)$", frames[-1]),
                          "%s: %s's root %r" % (minor, fn, frames[-1]))
                    j = jthreads.get(fn)
                    # Another look, a moment later: a running thread may be on the other line.
                    check(j and j["name"] == fn + " thread" and j["state"] in states and j["python"][0]["line"] in lines and
                          j["python"][0]["file"] == "dump_threads.py" and (calls is None or j["syscall"] in calls),
                          "%s: --json %s: %r" % (minor, fn, j))
                    check(len(j["python"]) == len(frames), "%s: %s: %d frames in JSON, %d in text" %
                          (minor, fn, len(j["python"]), len(frames)))
                print("  %s: %d threads, %s" % (minor, len(doc["processes"][0]["threads"]), ", ".join(
                    "%s %s%s" % (fn, jthreads[fn]["state"], " in " + jthreads[fn]["syscall"]
                                 if jthreads[fn]["syscall"] else "") for fn in sorted(WANT))), flush=True)


@test
def test_dump_does_not_pause_the_target_a_1khz_ticking_thread_keeps_its_rate_over_100_dumps():
    found = lib.pythons()
    if not found:
        raise Skip("no CPython installed")
    minor, exe = found[-1]
    with Target([exe, DUMP_THREADS, "tick"]) as t:
        def ticks():
            t.proc.stdin.write(b"\n")
            t.proc.stdin.flush()
            n, at = t.proc.stdout.readline().split()
            return int(n), float(at)

        n0, t0 = ticks()
        time.sleep(3)
        n1, t1 = ticks()
        start = time.time()
        for _ in range(100):
            p = subprocess.run([PYFLAME, "dump", "-p", str(t.pid)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60)
            check(p.returncode == 0 and b"tick (dump_threads.py" in p.stdout, "dump: exit %d: %s" %
                  (p.returncode, p.stderr))
        took = time.time() - start
        n2, t2 = ticks()
    before, during = (n1 - n0) / (t1 - t0), (n2 - n1) / (t2 - t1)
    print("  %s: %.0f ticks/s before, %.0f during 100 dumps (%.2f s each)" % (minor, before, during, took / 100),
          flush=True)
    check(during >= 0.85 * before, "the target ticked %.0f/s during the dumps, %.0f/s before" % (during, before))


@test
def test_dump_of_a_native_process_shows_native_and_kernel_frames_and_a_gone_one_is_one_line():
    with Target([CHAIN]) as t:
        out, err = dump(t.pid)
    check("no Python frames" in err and len(err.strip().splitlines()) == 1, "stderr: %r" % err)
    check(re.search(r"^Process %d: chain \(no Python frames\)$" % t.pid, out, re.M), "header: %r" % out[:300])
    check(re.search(r"^Thread %d \"chain\" \(running\)$" % t.pid, out, re.M), "thread: %r" % out[:300])
    check(re.search(r"^  native: (spin|level_two|level_one|main)$", out, re.M), "native leaf: %r" % out[:500])
    _, gone = dump(4194303, expect_rc=2)
    check(len(gone.strip().splitlines()) == 1 and "4194303" in gone, "gone: %r" % gone)
    _, bad = dump(os.getpid(), "-d", "5", expect_rc=2)
    check(len(bad.strip().splitlines()) == 1 and "dump" in bad, "dump -d: %r" % bad)
