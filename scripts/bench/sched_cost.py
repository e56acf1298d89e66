"""8. The scheduler path (--mode off/wall): what a context-switch-heavy target pays, and the program's time per switch.

The target is two Python threads handing a token through pipes (tests/targets/py/pingpong.py: two context switches
per round trip, hundreds of thousands a second), both on CPU 0, the profiler free to use the other. Pairs of runs, alternating: alone (A) and with `--mode off` attached
(B), each counting round trips over the same seconds, the profiled one only once the profiler says it records. The
ratio B/A is the throughput kept. With kernel.bpf_stats_enabled=1 the profiler prints its scheduler program's time
per switch on all CPUs; times the switches over the target threads' own switch-outs it is the cost per target switch
(an upper bound: the cheap runs for other threads are in it), from which the share of a core at 1k and 10k switches
a second follows.
"""
import os
import re
import subprocess

import common

NAME = "sched_cost"
TITLE = "Scheduler path (off-CPU and wall modes)"
# Units of the table's figures (results.py): one measure per row, its unit by the row's label.
UNITS = {"measure": None}
ROW_UNITS = {"context switches per second, target alone": "thousand switches/s",
             r"throughput kept with --mode off .*": "%", r"scheduler program, ns per target switch.*": "ns",
             r"implied CPU at \d+k target switches/s": "% of a core"}
PYTHON = "3.12"


def round_trips(proc):
    out = proc.stdout.read().decode(errors="replace")
    proc.wait()
    m = re.search(r"round trips (\d+)", out)
    return int(m.group(1)) if m else None


def start_target(py, seconds):
    # Both threads on one CPU: a pipe ping-pong's rate otherwise depends on where the scheduler puts the two threads
    # (a wakeup across CPUs costs tens of µs in a VM), which swings far more than anything measured here.
    p = subprocess.Popen(["taskset", "-c", "0", py, os.path.join(common.PY_TARGETS, "pingpong.py"), str(seconds),
                          "go"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if p.stdout.readline().strip() != b"ready":
        common.kill(p)
        raise RuntimeError("pingpong.py did not start")
    return p


def go(p):
    p.stdin.write(b"go\n")
    p.stdin.flush()


def alone(py, seconds):
    p = start_target(py, seconds)
    go(p)
    return round_trips(p)


def profiled(py, seconds):
    """Round trips with `--mode off` recording, and the program's ns per target switch."""
    p = start_target(py, seconds)
    prof = subprocess.Popen([common.PYFLAME, "-p", str(p.pid), "--mode", "off", "-v", "-o", os.devnull],
                            stderr=subprocess.PIPE)
    lines = []
    while True:  # count only once the profiler records
        line = prof.stderr.readline().decode(errors="replace")
        if not line:
            break
        lines.append(line)
        if "recording:" in line:
            break
    go(p)
    n = round_trips(p)
    rest = prof.communicate(timeout=60)[1].decode(errors="replace")
    text = "".join(lines) + rest
    m = re.search(r"BPF scheduler program: (\d+) ns per context switch on all CPUs \((\d+) switches, (\d+) of them",
                  text)
    per_target = int(m.group(1)) * int(m.group(2)) / int(m.group(3)) if m and int(m.group(3)) else None
    return n, per_target


def run(ctx):
    py = common.python(PYTHON) or common.python("3.11") or common.python("3.13")
    if not py:
        return {"skipped": "no CPython 3.11-3.13 installed"}
    pairs = ctx.pick(3, 7)
    seconds = ctx.pick(1.0, 2.0)
    ratios, costs, rates = [], [], []
    with common.sysctl("kernel.bpf_stats_enabled", 1):
        for i in range(pairs):
            order = (alone, profiled) if i % 2 == 0 else (profiled, alone)
            got = {}
            for fn in order:
                got[fn.__name__] = fn(py, seconds)
                ctx.runs += 1
            a, (b, cost) = got["alone"], got["profiled"]
            if a and b:
                ratios.append(b / a)
                rates.append(2 * a / seconds)
            if cost:
                costs.append(cost)
            ctx.log("sched pair %d: %s alone, %s profiled, %s ns per target switch" % (i + 1, a, b, cost))
    r, c, sw = common.summarize(ratios), common.summarize(costs), common.summarize(rates)
    rows = [
        ["context switches per second, target alone", common.fmt_dist(sw, 1e-3, 0, "k")],
        ["throughput kept with --mode off (profiled / alone)", common.fmt_dist(r, 100, 1, " %")],
        ["scheduler program, ns per target switch (upper bound)", common.fmt_dist(c, 1, 0)],
    ]
    if c.get("n"):
        for per_s in (1000, 10000):
            rows.append(["implied CPU at %dk target switches/s" % (per_s // 1000),
                         "%.2f %% of a core" % (c["median"] * per_s / 1e7)])
    return {
        "method": ("CPython %s pingpong.py, %d pairs of %.1f s alternating alone / `--mode off` (order rotated), "
                   "kernel.bpf_stats_enabled=1 for both. Median [quartiles]." % (PYTHON, pairs, seconds)),
        "columns": ["measure", "value"],
        "rows": rows,
        "data": {"ratios": ratios, "ns_per_target_switch": costs, "switches_per_s": rates},
    }


def goals(result):
    costs = sorted(result.get("data", {}).get("ns_per_target_switch", []))
    if not costs:
        return []
    med = costs[len(costs) // 2]
    return [("scheduler path: no measurable slowdown at normal loads (< 1 % of a core at 10k target switches/s)",
             "%.0f ns per target switch: %.2f %% of a core at 10k switches/s" % (med, med * 1e4 / 1e7),
             med * 1e4 / 1e7 < 1.0)]
