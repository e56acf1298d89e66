"""6. Accuracy: the 3:1 target's share as each profiler measures it, how many stacks are complete and named, and per-thread shares.

The 3:1 target (tests/targets/py/ratio.py) spends 75 % of its CPU in hot_three and 25 % in cold_one by
construction; one process per installed CPython runs at once and every profiler records the ones it can read (3.12+
started with PYTHONPERFSUPPORT=1, so perf gets CPython's own perf map of Python functions). Per profiler and version:
hot_three's share of the samples whose innermost Python function is hot_three or cold_one, with its sampling error
(95 % binomial half-width); the fraction of the process's samples whose Python stack is complete and named (rooted
in <module> and main of ratio.py, every frame named, no marker of a cut or unreadable stack); and of the samples in
hot_three or cold_one, the fraction whose innermost line is a line of the function's body (the current line,
not the function's `def` line). The threads target (tests/targets/py/threads.py, four workers sharing the GIL) is
checked against the OS: each worker's share of the samples against its share of the workers' CPU time
(/proc/PID/task/TID/schedstat over the same window).
"""
import ast
import os
import time

import common

NAME = "accuracy"
TITLE = "Accuracy"
# Units of the tables' figures (results.py): header (or a pattern of headers) -> unit; None: a text column.
UNITS = {"profiler": None, "CPython": None, "samples": "samples", "in hot_three or cold_one": "samples",
         "hot_three share (%, ± sampling error)": "%", "error (points)": "points",
         "complete, named Python stacks (%)": "%", "right leaf line (%)": "%", r"worker-.*": "%",
         "largest error (points)": "points", "samples without a worker": "samples"}
RATE = 999
TRUTH = 0.75
THREADS_PYTHON = "3.10"  # every peer reads it (austin stops at 3.10)


MARKERS = ("[truncated]", "[read error]", "[freed code object]", "[unreadable Python code]")


def ratio_metrics(samples, hot_lines, cold_lines):
    """Share of hot_three, complete-and-named fraction and right-line fraction of one process's samples."""
    total = sum(s.weight for s in samples)
    hot = cold = complete = in_loops = lines_ok = counted = 0
    for s in samples:
        py = s.python()
        leaf = py[-1].function if py else None
        if leaf == "hot_three":
            hot += s.weight
        elif leaf == "cold_one":
            cold += s.weight
        if leaf in ("hot_three", "cold_one"):
            counted += s.n
        # Complete and named: rooted in <module> and main of ratio.py, every Python frame named, no marker.
        if (len(py) >= 2 and [(f.function, f.file) for f in py[:2]] == [("<module>", "ratio.py"), ("main", "ratio.py")]
                and all(f.function and f.file for f in py) and not any(f.text in MARKERS for f in s.frames)):
            complete += s.weight
            if leaf in ("hot_three", "cold_one"):
                in_loops += s.weight
                if py[-1].line in (hot_lines if leaf == "hot_three" else cold_lines):
                    lines_ok += s.weight
    share = hot / (hot + cold) if hot + cold else None
    # Sampling error alone: the 95 % half-width of a binomial share over the samples counted.
    ci = 1.96 * (share * (1 - share) / counted) ** 0.5 if share is not None and counted else None
    return {"samples": sum(s.n for s in samples), "counted": counted, "share": share, "ci95": ci,
            "complete": complete / total if total else None, "lines_ok": lines_ok / in_loops if in_loops else None}


def body_lines(path, function):
    """The lines of a function's body: where a sample in it can be (its `def` line is not)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return set(range(node.body[0].lineno, node.end_lineno + 1))
    raise RuntimeError("no function %s in %s" % (function, path))


def worker_of(sample):
    """worker-a … worker-d: the thread's name if the profiler kept it, else from the Python function work_X."""
    if sample.comm and sample.comm.startswith("worker-"):
        return sample.comm
    for f in reversed(sample.python()):
        if f.function and f.function.startswith("work_"):
            return "worker-" + f.function[len("work_"):]
    return None


def worker_cpu(pid):
    return {common.thread_comm(pid, tid): ns for tid, ns in common.task_cpu_ns(pid).items()}


def pct(x):
    return "–" if x is None else "%.1f" % (x * 100)


def run(ctx):
    seconds = ctx.pick(3.0, 8.0)
    profs = [p for p in ctx.profilers if p.status is None]
    perf_env = any(p.name == "perf" for p in profs)
    ratio_py = os.path.join(common.PY_TARGETS, "ratio.py")
    hot_lines, cold_lines = body_lines(ratio_py, "hot_three"), body_lines(ratio_py, "cold_one")
    versions = sorted(common.pythons().items(), key=lambda kv: tuple(map(int, kv[0].split("."))))
    rows, data = [], {"rate": RATE, "seconds": seconds, "ratio": [], "threads": []}
    targets = {}
    try:
        for minor, exe in versions:
            env = dict(os.environ)
            if perf_env:
                for p in profs:
                    env.update(p.target_env(minor))
            targets[minor] = common.Target([exe, ratio_py], env=env)
        for p in profs:
            mine = [(m, t) for m, t in targets.items() if p.reads(m)]
            by_pid = {}
            if p.several_pids:
                out = ctx.path("acc-" + p.name)
                p.attach(RATE, [t.pid for _, t in mine], seconds, out)
                ctx.runs += 1
                for s in p.samples(out) if os.path.exists(out) else []:
                    by_pid.setdefault(s.pid, []).append(s)
            else:
                for m, t in mine:
                    out = ctx.path("acc-%s-%s" % (p.name, m))
                    p.attach(RATE, [t.pid], seconds / 2, out)
                    ctx.runs += 1
                    by_pid[t.pid] = p.samples(out) if os.path.exists(out) else []
            for m, t in mine:
                r = ratio_metrics(by_pid.get(t.pid, []), hot_lines, cold_lines)
                r.update(profiler=p.name, python=m)
                data["ratio"].append(r)
            for m, _ in ((m, t) for m, t in targets.items() if not p.reads(m)):
                data["ratio"].append({"profiler": p.name, "python": m, "unreadable": True})
            ctx.log("accuracy %s: %s" % (p.name, ", ".join(
                "%s %s%%" % (r["python"], pct(r.get("share"))) for r in data["ratio"] if r["profiler"] == p.name)))
    finally:
        for t in targets.values():
            t.stop()
    for r in data["ratio"]:
        if r.get("unreadable"):
            rows.append([r["profiler"], r["python"], "does not read this CPython", "", "", "", "", ""])
            continue
        err = abs(r["share"] - TRUTH) * 100 if r["share"] is not None else None
        rows.append([r["profiler"], r["python"], r["samples"], r["counted"],
                     "%.1f ± %.1f" % (r["share"] * 100, r["ci95"] * 100) if r["share"] is not None else
                     "no Python frames", "–" if err is None else "%.1f" % err, pct(r["complete"]),
                     pct(r["lines_ok"])])
    for p in ctx.profilers:
        if p.status is not None:
            rows.append([p.name, "all", "missing (see Profilers)", "", "", "", "", ""])
    threads_rows = threads(ctx, profs, seconds, data)
    return {
        "method": ("%d Hz, %.1f s recordings (austin: one process at a time, half as long each)." % (RATE, seconds)),
        "tables": [
            {"caption": "3:1 target (truth: hot_three 75.0 %):",
             "columns": ["profiler", "CPython", "samples", "in hot_three or cold_one",
                         "hot_three share (%, ± sampling error)",
                         "error (points)", "complete, named Python stacks (%)", "right leaf line (%)"],
             "rows": rows},
            {"caption": "Threads target, CPython %s: each worker's share of the samples (%%) against its share of "
                        "the workers' CPU time by the OS:" % THREADS_PYTHON,
             "columns": ["profiler", "worker-a", "worker-b", "worker-c", "worker-d", "largest error (points)",
                         "samples without a worker"],
             "rows": threads_rows},
        ],
        "data": data,
    }


def threads(ctx, profs, seconds, data):
    exe = common.python(THREADS_PYTHON)
    if not exe:
        return [["–", "CPython %s not installed" % THREADS_PYTHON, "", "", "", "", ""]]
    rows = []
    with common.Target([exe, os.path.join(common.PY_TARGETS, "threads.py")]) as t:
        time.sleep(0.2)  # the workers have named themselves
        for p in profs:
            out = ctx.path("thr-" + p.name)
            before = worker_cpu(t.pid)
            p.attach(RATE, [t.pid], seconds, out)
            after = worker_cpu(t.pid)
            ctx.runs += 1
            cpu = {w: after.get(w, 0) - before.get(w, 0) for w in after if w.startswith("worker-")}
            got, unassigned = {}, 0
            for s in p.samples(out) if os.path.exists(out) else []:
                w = worker_of(s)
                if w:
                    got[w] = got.get(w, 0) + s.weight
                else:
                    unassigned += s.weight
            n, c = sum(got.values()), sum(cpu.values())
            shares = {w: (got.get(w, 0) / n if n else None, cpu[w] / c if c else None) for w in sorted(cpu)}
            errs = [abs(a - b) * 100 for a, b in shares.values() if a is not None and b is not None]
            data["threads"].append({"profiler": p.name, "shares": shares, "unassigned": unassigned,
                                    "max_error": max(errs) if errs else None})
            rows.append([p.name] + ["%s vs %s" % (pct(a), pct(b)) for a, b in shares.values()] +
                        ["%.1f" % max(errs) if errs else "–", unassigned])
            ctx.log("threads %s: max error %s points" % (p.name, "%.1f" % max(errs) if errs else "–"))
    return rows


def goals(result):
    data = result.get("data", {})
    ratio = [r for r in data.get("ratio", []) if not r.get("unreadable")]
    ours = [r for r in ratio if r["profiler"] == "pyflame-bpf" and r.get("share") is not None]
    out = []
    if ours:
        # Systematic error shows in the pooled share (thousands of samples); each version must agree with the
        # truth within 2 points plus its own sampling error.
        hot = sum(r["share"] * r["counted"] for r in ours)
        pooled = hot / sum(r["counted"] for r in ours)
        worst = max(ours, key=lambda r: abs(r["share"] - TRUTH) - r["ci95"])
        thr = [t for t in data.get("threads", []) if t["profiler"] == "pyflame-bpf" and t["max_error"] is not None]
        terr = thr[0]["max_error"] if thr else None
        met = (abs(pooled - TRUTH) < 0.02 and all(abs(r["share"] - TRUTH) < 0.02 + r["ci95"] for r in ours) and
               (terr is None or terr < 2))
        out.append(("accuracy within 2 points of truth",
                    "3:1 target, %d CPythons pooled: %.1f %% (error %.1f points); worst version %s: %.1f ± %.1f %%; "
                    "threads: largest error %s" % (len(ours), pooled * 100, abs(pooled - TRUTH) * 100,
                                                   worst["python"], worst["share"] * 100, worst["ci95"] * 100,
                                                   "%.1f points" % terr if terr is not None else "–"), met))

    def right(r):
        return (r.get("complete") or 0) >= 0.99 and (r.get("lines_ok") or 0) >= 0.99

    counts = {}
    for r in ratio:
        counts[r["profiler"]] = counts.get(r["profiler"], 0) + right(r)
    if ours:
        mine = counts.get("pyflame-bpf", 0)
        # Behind a peer on a version: its fraction higher than ours by more than a point.
        behind = ["%s on %s" % (p["profiler"], p["python"]) for r in ours for p in ratio
                  if p["profiler"] != "pyflame-bpf" and p["python"] == r["python"] and
                  ((p.get("complete") or 0) > (r.get("complete") or 0) + 0.01 or
                   (p.get("lines_ok") or 0) > (r.get("lines_ok") or 0) + 0.01)]
        peers = ", ".join("%s %d" % (k, v) for k, v in counts.items() if k != "pyflame-bpf")
        met = not behind and all(v < mine for k, v in counts.items() if k != "pyflame-bpf")
        out.append(("every peer beaten on Python correctness",
                    "CPythons with ≥ 99 %% complete, named stacks and right lines: ours %d of %d, %s%s" %
                    (mine, len(ours), peers, "; behind " + ", ".join(behind) if behind else ""), met))
    return out
