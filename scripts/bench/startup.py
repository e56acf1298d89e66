"""4. Start-up: time from launching `pyflame-bpf -p PID` to its first sample counted.

The suite reads CLOCK_MONOTONIC just before it starts the profiler; with -v the profiler prints when it counted its
first sample on the same clock (and, relative to its own set-up, when sampling was attached and when that first
sample was taken). Counting happens at a drain: the first one comes once the kernel symbols have been read (after
attaching, while the sampler already runs) or 50 ms after attaching, whichever is later. -v itself adds a little:
libbpf's log is printed.
"""
import os
import re
import subprocess
import time

import common

NAME = "startup"
TITLE = "Start-up"
# Units of the table's figures (results.py): header (or a pattern of headers) -> unit; None: a text column.
UNITS = {"target": None, r".* \(ms\)": "ms"}
PYTHON = "3.12"


def one(ctx, argv):
    with common.Target(argv) as t:
        t0 = time.monotonic()
        p = subprocess.run([common.PYFLAME, "-v", "-p", str(t.pid), "-d", "0.3", "-o", os.devnull],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ctx.runs += 1
    err = p.stderr.decode(errors="replace")
    m = re.search(r"start-up: sampling attached ([\d.]+) ms after start, first sample taken at ([\d.]+) ms, "
                  r"counted at ([\d.]+) ms \(CLOCK_MONOTONIC ([\d.]+) s\)", err)
    if p.returncode != 0 or not m:
        raise RuntimeError("no start-up figure from pyflame-bpf -v (exit %d): %s" % (p.returncode, err[-500:]))
    counted = float(m.group(4)) - t0
    setup = counted - float(m.group(3)) / 1e3  # launch to the session's set-up: exec, loading, options
    return {"first_counted": counted, "attached": setup + float(m.group(1)) / 1e3,
            "first_taken": setup + float(m.group(2)) / 1e3}


def run(ctx):
    runs = ctx.pick(3, 7)
    cases = [("native (C)", [os.path.join(common.NATIVE_TARGETS, "chain")])]
    py = common.python(PYTHON)
    if py:
        cases.append(("CPython %s" % PYTHON, [py, os.path.join(common.PY_TARGETS, "ratio.py")]))
    rows, data = [], {"runs": runs, "results": []}
    for label, argv in cases:
        got = [one(ctx, argv) for _ in range(runs)]
        s = {k: common.summarize([g[k] for g in got]) for k in ("attached", "first_taken", "first_counted")}
        data["results"].append({"target": label, **s})
        rows.append([label, common.fmt_dist(s["attached"], 1e3, 0), common.fmt_dist(s["first_taken"], 1e3, 0),
                     common.fmt_dist(s["first_counted"], 1e3, 0)])
        ctx.log("start-up %s: first sample counted %s ms" % (label, common.fmt_dist(s["first_counted"], 1e3, 0)))
    return {
        "method": ("%d launches per target of `pyflame-bpf -v -p PID`; milliseconds from launch, median "
                   "[quartiles]." % runs),
        "columns": ["target", "sampling attached (ms)", "first sample taken (ms)", "first sample counted (ms)"],
        "rows": rows,
        "data": data,
    }


def goals(result):
    res = result.get("data", {}).get("results", [])
    if not res:
        return []
    worst = max(res, key=lambda e: e["first_counted"]["median"])["first_counted"]["median"]
    return [("start-up < 300 ms", ", ".join("%s %.0f ms" % (e["target"], e["first_counted"]["median"] * 1e3)
                                           for e in res) +
             ("" if worst < 0.3 else " (over by %.0f ms)" % ((worst - 0.3) * 1e3)), worst < 0.3)]
