"""3. The profiler's own cost: CPU time pyflame-bpf uses per second of recording, and its peak RSS.

A Python target with 1, 16 or 128 threads, each spinning in Python (they share the GIL, so together they keep about
one CPU busy and the GIL passes between them), recorded at 99 and 999 Hz to a folded file. Two CPU figures, both
from the OS: the steady state (the profiler's on-CPU nanoseconds from /proc/PID/task/*/schedstat between 1 s into the
run and just before its end, over that wall time) and the whole run (utime + stime from wait4, start-up and writing
included, over the recording's duration). Peak RSS is wait4's ru_maxrss.
"""
import os
import subprocess
import time

import common

NAME = "self_cost"
TITLE = "Profiler's own cost"
# Units of the table's figures (results.py): header -> unit.
UNITS = {"threads": "threads", "Hz": "Hz", "CPU steady (% of a core)": "% of a core",
         "CPU whole run (%)": "% of a core", "peak RSS (MiB)": "MiB", "samples/s": "samples/s", "lost": "samples"}
THREADS = (1, 16, 128)
RATES = (99, 999)
PYTHON = "3.12"


def one(ctx, py, nthreads, rate, seconds):
    with common.Target([py, os.path.join(common.BENCH_TARGETS, "busy.py"), str(nthreads)]) as t:
        out = ctx.path("self.folded")
        t0 = time.monotonic()
        p = subprocess.Popen([common.PYFLAME, "-p", str(t.pid), "-d", str(seconds), "-F", str(rate), "-o", out],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        marks = []
        for at in (1.0, seconds - 0.2):
            time.sleep(max(0, t0 + at - time.monotonic()))
            marks.append((time.monotonic(), common.cpu_ns(p.pid)))
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
        rc, ru = common.wait_rusage(p, 60)
    ctx.runs += 1
    if rc != 0:
        raise RuntimeError("pyflame-bpf exit %d: %s" % (rc, err[-500:]))
    run = common.PyflameRun(rc, "", err, 0, ru)
    (ta, ca), (tb, cb) = marks
    return {"steady": (cb - ca) / 1e9 / (tb - ta), "total": (ru.ru_utime + ru.ru_stime) / run.elapsed,
            "rss_mib": ru.ru_maxrss / 1024.0, "samples_per_s": run.samples / run.elapsed, "lost": run.lost}


def run(ctx):
    py = common.python(PYTHON) or common.python("3.11")
    if not py:
        return {"skipped": "CPython %s is not installed under $PYENV_ROOT" % PYTHON}
    runs = ctx.pick(1, 3)
    seconds = ctx.pick(2.5, 4.0)
    rows, data = [], {"runs": runs, "seconds": seconds, "results": []}
    for nthreads in THREADS:
        for rate in RATES:
            got = [one(ctx, py, nthreads, rate, seconds) for _ in range(runs)]
            s = {k: common.summarize([g[k] for g in got]) for k in ("steady", "total", "rss_mib", "samples_per_s")}
            lost = sum(g["lost"] or 0 for g in got)
            data["results"].append({"threads": nthreads, "rate": rate, "lost": lost, **s})
            rows.append([nthreads, rate, common.fmt_dist(s["steady"], 100, 2), common.fmt_dist(s["total"], 100, 2),
                         common.fmt_dist(s["rss_mib"], 1, 1), "%.0f" % s["samples_per_s"]["median"], lost])
            ctx.log("self cost %d threads %d Hz: steady %s%% of a core, rss %s MiB" % (
                nthreads, rate, common.fmt_dist(s["steady"], 100, 2), common.fmt_dist(s["rss_mib"], 1, 1)))
    return {
        "method": ("CPython %s target with N spinning threads, recorded %.1f s per run, %d run(s) per case. "
                   "CPU as %% of one core: steady state (schedstat, 1 s in to the end) and whole run "
                   "(utime+stime over the recording time, start-up and writing included)." %
                   (PYTHON, seconds, runs)),
        "columns": ["threads", "Hz", "CPU steady (% of a core)", "CPU whole run (%)", "peak RSS (MiB)",
                    "samples/s", "lost"],
        "rows": rows,
        "data": data,
    }


def goals(result):
    for e in result.get("data", {}).get("results", []):
        if e["threads"] == 16 and e["rate"] == 99 and e["steady"].get("n"):
            steady = e["steady"]["median"]
            return [("profiler CPU < 1% of a core at 99 Hz, 16 threads",
                     "%.2f%% steady%s; %.2f%% over the whole run, start-up and writing included" % (
                         steady * 100, "" if steady < 0.01 else " (over by %.2f points)" % ((steady - 0.01) * 100),
                         e["total"]["median"] * 100),
                     steady < 0.01)]
    return []
