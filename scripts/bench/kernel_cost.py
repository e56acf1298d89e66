"""2. Cost per sample in the kernel: the BPF program's time per sample of the target.

With kernel.bpf_stats_enabled=1 pyflame-bpf times each of its targets' samples inside the program (from the target
check to the record's submission) and prints the mean; bpf_stats' own run_time_ns / run_cnt covers every run, most
of them the cheap ones on other processes' samples, so it is shown beside it, not used. Cases: the native chain
target, and CPython stacks 10, 50 and 120 frames deep, without and with code tags. For comparison, bpftrace's
profile:hz program collecting ustack + kstack into a map on the same native target: its run time over a window
divided by the target's samples in it (rate × the target's CPU seconds, which the achieved-rate section shows is what
the cpu-clock event delivers), an upper bound since its runs on other processes' samples are counted too.
"""
import json
import os
import shutil
import subprocess
import time

import common

NAME = "kernel_cost"
TITLE = "Cost per sample in the kernel"
# Units of the table's figures (results.py): header -> unit; None: a text column.
UNITS = {"program": None, "target": None, "ns per sample": "ns", "frames seen": "frames"}
RATE = 999
DEPTHS = (10, 50, 120)
PYTHON = "3.12"
# The layouts read from _Py_DebugOffsets, side by side at one depth: 3.14+ must cost what 3.13 costs (within 10 %).
VERSIONS = ("3.13", "3.14", "3.15")
VERSION_DEPTH = 50


def one(ctx, argv, seconds, extra, depth=None):
    """Starts argv (prints ready), records it with bpf_stats on; returns (ns per sample, deepest stack seen)."""
    with common.Target(argv) as t:
        run = common.pyflame(["-p", t.pid, "-d", seconds, "-F", RATE] + extra)
    ctx.runs += 1
    deepest = max((len(frames) for frames, _ in run.stacks()), default=0)
    return run.bpf_ns_per_sample, deepest


def bpftrace_cost(ctx, argv, seconds):
    """bpftrace's profile program (ustack + kstack into a map) on argv: ns of run time per target sample."""
    bpftool = shutil.which("bpftool") or "/usr/sbin/bpftool"

    def prog_stats():
        p = subprocess.run([bpftool, "prog", "show", "-j"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            progs = json.loads(p.stdout or b"[]")
        except ValueError:
            return None
        found = [x for x in progs if x.get("type") == "perf_event" and x.get("name") == str(RATE)]
        return (sum(x.get("run_time_ns", 0) for x in found), sum(x.get("run_cnt", 0) for x in found)) if found \
            else None

    with common.Target(argv) as t:
        prog = ("profile:hz:%d /pid == %d/ { @[kstack, ustack] = count(); } interval:ms:%d { exit(); }" %
                (RATE, t.pid, int((seconds + 1.5) * 1000)))
        bt = subprocess.Popen(["bpftrace", "-q", "-o", os.devnull, "-e", prog], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        try:
            first = None
            deadline = time.monotonic() + 30
            while first is None and time.monotonic() < deadline and bt.poll() is None:
                time.sleep(0.1)
                first = prog_stats()
            if first is None:
                return None
            time.sleep(0.3)  # past its start-up
            first, c0 = prog_stats(), common.cpu_ns(t.pid)
            time.sleep(seconds)
            last, c1 = prog_stats(), common.cpu_ns(t.pid)
        finally:
            bt.wait(timeout=60)
    ctx.runs += 1
    if not first or not last:
        return None
    target_samples = RATE * (c1 - c0) / 1e9
    return (last[0] - first[0]) / target_samples if target_samples > 0 else None


def run(ctx):
    py = common.python(PYTHON) or common.python("3.11") or common.python("3.13")
    runs = ctx.pick(2, 3)
    seconds = ctx.pick(1, 1.5)
    rows, data = [], {"rate": RATE, "runs": runs, "seconds": seconds, "results": []}
    cases = [("native (C, frame pointers, 4 frames)", [os.path.join(common.NATIVE_TARGETS, "chain")], None)]
    if py:
        for d in DEPTHS:
            cases.append(("CPython %s, %d Python frames" % (PYTHON, d),
                          [py, os.path.join(common.BENCH_TARGETS, "deep.py"), str(d)], d))
    with common.sysctl("kernel.bpf_stats_enabled", 1):
        for label, argv, depth in cases:
            for tags, extra in (("", []), ("with code tags", ["--code-tags"])):
                if tags and depth is None:
                    continue
                got = [one(ctx, argv, seconds, extra) for _ in range(runs)]
                ns = [g[0] for g in got if g[0] is not None]
                s = common.summarize(ns)
                deepest = max(g[1] for g in got)
                data["results"].append({"case": label, "depth": depth, "tags": bool(tags), "ns": s,
                                        "deepest_stack": deepest})
                rows.append(["pyflame-bpf" + (" " + tags if tags else ""), label, common.fmt_dist(s, 1, 0),
                             deepest])
                ctx.log("kernel cost %s %s: %s ns" % (label, tags, common.fmt_dist(s, 1, 0)))
        versions(ctx, runs, seconds, rows, data)
        bt = next((p for p in ctx.profilers if p.name == "bpftrace"), None)
        if bt and bt.status is None:
            ns = [bpftrace_cost(ctx, cases[0][1], seconds) for _ in range(runs)]
            s = common.summarize([n for n in ns if n])
            data["results"].append({"case": cases[0][0], "profiler": "bpftrace", "ns": s})
            rows.append(["bpftrace (ustack + kstack into a map)", cases[0][0], common.fmt_dist(s, 1, 0), ""])
        elif bt:
            rows.append(["bpftrace", cases[0][0], "missing (see Profilers)", ""])
    if not py:
        rows.append(["pyflame-bpf", "CPython stacks", "not measured: no CPython %s installed" % PYTHON, ""])
    return {
        "method": ("%d Hz, %d runs of %.1f s per case; ns per sample of the target, timed in the program "
                   "(kernel.bpf_stats_enabled=1). Median [quartiles]; 'frames seen' is the deepest stack in the "
                   "profile (Python frames plus the native leaf or kernel frames)." % (RATE, runs, seconds)),
        "columns": ["program", "target", "ns per sample", "frames seen"],
        "rows": rows,
        "data": data,
    }


def versions(ctx, runs, seconds, rows, data):
    """VERSIONS at VERSION_DEPTH frames, their runs interleaved (one of each per round) so that drift hits all alike."""
    found = [(m, common.python(m)) for m in VERSIONS if common.python(m)]
    got = dict((m, []) for m, _ in found)
    # Three times the rounds of the other cases: the versions differ by a few per cent, this VM's runs by 10-20 %.
    for _ in range(3 * runs):
        for minor, exe in found:
            got[minor].append(one(ctx, [exe, os.path.join(common.BENCH_TARGETS, "deep.py"), str(VERSION_DEPTH)],
                                  seconds, []))
    for minor, _ in found:
        s = common.summarize([g[0] for g in got[minor] if g[0] is not None])
        label = "CPython %s, %d Python frames (interleaved)" % (minor, VERSION_DEPTH)
        data["results"].append({"case": label, "version": minor, "depth": VERSION_DEPTH, "tags": False, "ns": s,
                                "deepest_stack": max(g[1] for g in got[minor])})
        rows.append(["pyflame-bpf", label, common.fmt_dist(s, 1, 0), max(g[1] for g in got[minor])])
        ctx.log("kernel cost %s: %s ns" % (label, common.fmt_dist(s, 1, 0)))
    for minor in VERSIONS:
        if minor not in got:
            rows.append(["pyflame-bpf", "CPython %s" % minor, "not measured: not installed", ""])


def version_goals(result):
    by = dict((e["version"], e["ns"]) for e in result.get("data", {}).get("results", [])
              if e.get("version") and e["ns"].get("n"))
    base = by.get(VERSIONS[0])
    out = []
    for minor in VERSIONS[1:]:
        if base and minor in by:
            ratio = by[minor]["median"] / base["median"]
            out.append(("kernel cost at %d frames on %s within 10 %% of %s" % (VERSION_DEPTH, minor, VERSIONS[0]),
                        "%.2f µs vs %.2f µs (%+.0f %%)" % (by[minor]["median"] / 1e3, base["median"] / 1e3,
                                                          (ratio - 1) * 100), ratio <= 1.10))
    return out


def goals(result):
    return depth_goal(result) + version_goals(result)


def depth_goal(result):
    for e in result.get("data", {}).get("results", []):
        if e.get("depth") == 50 and not e.get("tags") and not e.get("version") and e["ns"].get("n"):
            med = e["ns"]["median"]
            return [("kernel cost per sample < 5 µs at 50 Python frames", "%.2f µs%s" % (
                med / 1e3, "" if med < 5000 else ", over by %.2f µs (%.0f %%)" % ((med - 5000) / 1e3,
                                                                               (med / 5000 - 1) * 100)),
                     med < 5000)]
    return []
