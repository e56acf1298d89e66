"""7. Achieved rate: samples per second per busy thread against the requested frequency, and lost samples.

The cpu-clock event fires every 1/F s of CPU time on each CPU, whichever task runs there: a thread gets F samples per
second it spends on a CPU, not per second of wall time. So each thread's samples are divided both by the recording's
wall time and by the thread's own CPU time while sampling was attached (/proc/PID/task/TID/schedstat polled every
10 ms, read at the attach and detach times that pyflame-bpf -v reports on the same clock). Targets: one busy Python thread (tests/targets/py/ratio.py) and four busy threads sharing the GIL
(tests/targets/py/threads.py). kernel.perf_event_max_sample_rate is read before and after every run: the kernel lowers
it when sampling interrupts take too long (kernel.perf_cpu_time_max_percent), which would cap the rate.
"""
import os

import common

NAME = "rate"
TITLE = "Achieved rate"
# Units of the table's figures (results.py): header -> unit; None: a text column.
UNITS = {"target": None, "requested Hz": "Hz", "busy threads": "threads", "CPU share per thread (%)": "%",
         "samples per wall second": "samples/s", "samples per CPU second": "samples/s",
         "achieved / requested (%)": "%", "lost (ring buffer)": "samples"}
RATES = (99, 999, 4999)
PYTHON = "3.12"


def one(ctx, t, rate, seconds):
    max_before = common.read_sysctl("kernel.perf_event_max_sample_rate")
    poller = common.CpuPoller(t.pid)
    try:
        run = common.pyflame(["-v", "--threads", "-p", t.pid, "-d", seconds, "-F", rate])
    finally:
        poller.stop()
    max_after = common.read_sysctl("kernel.perf_event_max_sample_rate")
    ctx.runs += 1
    window = run.attach_window
    if not window:
        raise RuntimeError("no start-up line from pyflame-bpf -v: " + run.err[-500:])
    before, after = poller.at(window[0]), poller.at(window[1])
    per_tid = {}
    for frames, count in common.parse_folded(run.out):
        if frames and frames[0].startswith("thread "):
            tid = int(frames[0].rsplit("(", 1)[1].rstrip(")"))
            per_tid[tid] = per_tid.get(tid, 0) + count
    rows = []
    for tid, ns in after.items():
        cpu = (ns - before.get(tid, ns)) / 1e9  # this thread's CPU seconds while sampling was attached
        if cpu < 0.1 * run.elapsed:  # busy threads only: at least a tenth of a CPU
            continue
        n = per_tid.get(tid, 0)
        rows.append({"tid": tid, "samples": n, "per_wall_s": n / run.elapsed, "per_cpu_s": n / cpu,
                     "cpu_share": cpu / run.elapsed})
    return {"threads": rows, "lost": run.lost, "max_rate_before": max_before, "max_rate_after": max_after}


def run(ctx):
    py = common.python(PYTHON) or common.python("3.11")
    if not py:
        return {"skipped": "CPython %s is not installed under $PYENV_ROOT" % PYTHON}
    runs = ctx.pick(1, 2)
    seconds = ctx.pick(1.5, 3.0)
    cases = [("1 busy thread", os.path.join(common.PY_TARGETS, "ratio.py")),
             ("4 threads, one GIL", os.path.join(common.PY_TARGETS, "threads.py"))]
    rows, data, lowered = [], {"runs": runs, "seconds": seconds, "results": []}, []
    for label, script in cases:
        with common.Target([py, script]) as t:
            for rate in RATES:
                got = [one(ctx, t, rate, seconds) for _ in range(runs)]
                threads = [th for g in got for th in g["threads"]]
                wall = common.summarize([th["per_wall_s"] for th in threads])
                cpu = common.summarize([th["per_cpu_s"] for th in threads if th["per_cpu_s"]])
                share = common.summarize([th["cpu_share"] for th in threads])
                lost = sum(g["lost"] or 0 for g in got)
                for g in got:
                    if g["max_rate_before"] != g["max_rate_after"]:
                        lowered.append("%s → %s during %s at %d Hz" % (g["max_rate_before"], g["max_rate_after"],
                                                                       label, rate))
                data["results"].append({"target": label, "rate": rate, "per_wall_s": wall, "per_cpu_s": cpu,
                                        "cpu_share": share, "lost": lost, "busy_threads": len(threads) // runs})
                rows.append([label, rate, len(threads) // max(1, runs), common.fmt_dist(share, 100, 0),
                             common.fmt_dist(wall, 1, 0), common.fmt_dist(cpu, 1, 0),
                             "%.1f" % (cpu["median"] / rate * 100) if cpu.get("n") else "–", lost])
                ctx.log("rate %s %d Hz: %s per wall s, %s per CPU s" % (label, rate, common.fmt_dist(wall, 1, 0),
                                                                        common.fmt_dist(cpu, 1, 0)))
    notes = ["kernel.perf_event_max_sample_rate was %s and kernel.perf_cpu_time_max_percent %s; %s." % (
        common.read_sysctl("kernel.perf_event_max_sample_rate"), common.read_sysctl("kernel.perf_cpu_time_max_percent"),
        "the kernel lowered the maximum rate: " + "; ".join(lowered) if lowered else
        "the kernel did not lower the maximum rate during any run (no throttling)")]
    four = [e for e in data["results"] if e["target"].startswith("4") and e["rate"] == 4999]
    if four and four[0]["per_wall_s"].get("n"):
        e = four[0]
        notes.append("At 4999 Hz a thread of the four gets %.0f samples per wall second: it is on a CPU %.0f %% of "
                     "the time (they take turns holding the GIL), and per second on a CPU it gets %.0f, %.0f %% of "
                     "the requested rate. A per-thread rate below F comes from the thread's share of a CPU, not "
                     "from a limit of the sampler." % (e["per_wall_s"]["median"], e["cpu_share"]["median"] * 100,
                                                       e["per_cpu_s"]["median"],
                                                       e["per_cpu_s"]["median"] / 4999 * 100))
    return {
        "method": ("CPython %s, %d run(s) of %.1f s per case; each busy thread (≥ 10 %% of a CPU) is one value. "
                   "Median [quartiles]." % (PYTHON, runs, seconds)),
        "columns": ["target", "requested Hz", "busy threads", "CPU share per thread (%)",
                    "samples per wall second", "samples per CPU second", "achieved / requested (%)",
                    "lost (ring buffer)"],
        "rows": rows,
        "notes": notes,
        "data": data,
    }
