"""1. Target slowdown: a fixed amount of Python work timed alone and under each profiler, interleaved A B A B ... A.

Each round runs the target unprofiled (A) before and after every profiled run (B): A B1 A B2 A B3 A B4 A, the
profilers' order rotating from round to round. A profiled run's ratio is its wall time over the mean of the two
unprofiled runs beside it, so drift of the machine (other work starting or stopping) cancels. The target times its
own work (scripts/bench/targets/work.py), after a short settle so that even a profiler that attaches after the
start (austin) is attached; start-up and exit of the profiler are outside the timed part.
One interpreter for every profiler, so they are compared on the same target: the newest CPython that austin reads.
"""
import os
import subprocess

import common

NAME = "slowdown"
TITLE = "Target slowdown"
RATES = (99, 999, 4999)
KINDS = (("cpu", "pure Python loop"), ("syscall", "half the time in read(2)"))
PYTHON = "3.10"       # the newest minor austin reads: every peer on the same target
NOISE_IQR = 0.05      # a ratio distribution with a wider IQR than this is flagged as too noisy to trust


def run_target(ctx, argv, result, timeout=60):
    """Runs argv (a target, or a profiler running it); returns the target's (wall, user, system) or None."""
    if os.path.exists(result):
        os.unlink(result)
    try:
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    ctx.runs += 1
    try:
        with open(result) as f:
            wall, user, system = map(float, f.read().split())
        return wall, user, system
    except (OSError, ValueError):
        return None


def calibrate(ctx, python, kind, seconds):
    """Units of work that take about `seconds` unprofiled (median of three timings)."""
    res = ctx.path("calibrate.txt")
    units = 2000
    walls = []
    for _ in range(3):
        r = run_target(ctx, [python, os.path.join(common.BENCH_TARGETS, "work.py"), kind, str(units), res, "0"], res)
        if r:
            walls.append(r[0])
    if not walls:
        raise RuntimeError("the work target does not run under %s" % python)
    walls.sort()
    return max(1, int(units * seconds / walls[len(walls) // 2]))


def kernel_estimate(ctx, python, kind, units, rate):
    """pyflame-bpf's BPF time on the target's CPU over the target's wall time, from one run with bpf_stats on
    (four times the work of a timed run, so that even at 99 Hz the first samples' thread-state search is averaged
    over a hundred samples or more)."""
    res = ctx.path("work-stats.txt")
    argv = [python, os.path.join(common.BENCH_TARGETS, "work.py"), kind, str(4 * units), res, "0.15"]
    with common.sysctl("kernel.bpf_stats_enabled", 1):
        run = common.pyflame(["-F", rate, "-o", ctx.path("stats.folded"), "--"] + argv, check=False)
    ctx.runs += 1
    try:
        with open(res) as f:
            wall = float(f.read().split()[0])
    except (OSError, ValueError):
        return None
    ns = run.bpf_ns_per_sample
    if ns is None or not run.samples:
        return None
    return {"ns_per_sample": ns, "samples": run.samples, "fraction": ns * run.samples / 1e9 / max(run.elapsed, wall)}


def run(ctx):
    py = common.python(PYTHON)
    if not py:
        return {"skipped": "CPython %s is not installed under $PYENV_ROOT" % PYTHON}
    work = os.path.join(common.BENCH_TARGETS, "work.py")
    profilers = [p for p in ctx.profilers if p.status is None and p.reads(PYTHON)]
    missing = [(p.name, p.status) for p in ctx.profilers if p.status is not None]
    pairs = ctx.pick(3, 7)
    seconds = ctx.pick(0.25, 0.3)
    settle = "0.15"
    rows, data = [], {"python": PYTHON, "pairs": pairs, "work_seconds": seconds, "results": []}
    for kind, kind_label in KINDS:
        units = calibrate(ctx, py, kind, seconds)
        for rate in RATES:
            ratios = {p.name: [] for p in profilers}
            a_walls, sys_share = [], []
            res = ctx.path("work.txt")
            target = [py, work, kind, str(units), res, settle]
            for rnd in range(pairs):
                order = profilers[rnd % len(profilers):] + profilers[:rnd % len(profilers)]
                a_prev = run_target(ctx, target, res)
                for p in order:
                    b = run_target(ctx, p.launch(rate, target, ctx.path("out-" + p.name)), res)
                    a_next = run_target(ctx, target, res)
                    if a_prev and a_next and b:
                        ratios[p.name].append(b[0] / ((a_prev[0] + a_next[0]) / 2))
                    for a in (a_prev, a_next):
                        if a:
                            a_walls.append(a[0])
                            if a[1] + a[2] > 0:
                                sys_share.append(a[2] / (a[1] + a[2]))
                    a_prev = a_next
            est = kernel_estimate(ctx, py, kind, units, rate)
            a_sum = common.summarize(a_walls)
            for p in profilers:
                s = common.summarize(ratios[p.name])
                entry = {"target": kind, "rate": rate, "profiler": p.name, "ratio": s, "unprofiled_wall": a_sum,
                         "system_share": common.summarize(sys_share)}
                if p.name == "pyflame-bpf" and est:
                    entry["kernel_estimate"] = est
                data["results"].append(entry)
                rows.append(row(kind_label, rate, p.name, s, entry.get("kernel_estimate")))
            ctx.log("slowdown %s %d Hz: %s" % (kind, rate, ", ".join(
                "%s %s" % (p.name, common.fmt_dist(common.summarize(ratios[p.name]), 100, 1)) for p in profilers)))
    for p in ctx.profilers:
        if p.status is None and not p.reads(PYTHON):
            rows.append(["all", "–", p.name, "not measured: does not read CPython %s" % PYTHON, "", "", ""])
    for name, why in missing:
        rows.append(["all", "–", name, "missing (see Profilers)", "", "", ""])
    data["missing"] = dict(missing)
    sys_all = [e["system_share"]["median"] for e in data["results"] if e["target"] == "syscall" and
               e["system_share"].get("n")]
    return {
        "method": ("CPython %s, each run about %.2f s of work; %d rounds of A B1 A B2 ... A per target and rate "
                   "(every profiler once per round, order rotating); a profiled run's ratio is its wall time "
                   "over the mean of the unprofiled runs on either side. Shown: median %% of the unprofiled time "
                   "[quartiles], and the 90%% confidence interval of the median (order statistics). "
                   "'noise' means that interval contains 100%%; 'too noisy' that the quartiles span more than "
                   "%d points. The kernel-side figure is pyflame-bpf's BPF time (kernel.bpf_stats_enabled, one "
                   "more run) on the target's CPUs over the target's wall time: the direct cost, free of the "
                   "machine's noise.%s" % (PYTHON, seconds, pairs, NOISE_IQR * 100,
                                            (" The syscall target spent a median %.0f%% of its CPU time in the "
                                             "kernel." % (100 * sorted(sys_all)[len(sys_all) // 2])) if sys_all
                                            else "")),
        "columns": ["target", "Hz", "profiler", "profiled / unprofiled (%)", "90% CI", "verdict",
                    "pyflame-bpf kernel-side"],
        "rows": rows,
        "data": data,
    }


def row(kind_label, rate, name, s, est):
    if not s.get("n"):
        return [kind_label, rate, name, "no valid run", "", "", ""]
    lo, hi = s["ci90"]
    if s["iqr_rel"] > NOISE_IQR:
        verdict = "too noisy (IQR %.0f pts)" % (s["iqr_rel"] * 100)
    elif lo <= 1.0 <= hi:
        verdict = "noise"
    else:
        verdict = "%+.1f%%" % ((s["median"] - 1) * 100)
    kside = "%.3f%% (%d ns/sample)" % (est["fraction"] * 100, est["ns_per_sample"]) if est else ""
    return [kind_label, rate, name, common.fmt_dist(s, 100, 1), "%.1f–%.1f" % (lo * 100, hi * 100), verdict, kside]


def goals(result):
    """(goal, measured, met) for the slowdown goals."""
    out = []
    res = result.get("data", {}).get("results", [])
    ours = [e for e in res if e["profiler"] == "pyflame-bpf" and e["ratio"].get("n")]
    for rate, limit in ((99, 0.005), (999, 0.02)):
        es = [e for e in ours if e["rate"] == rate]
        if not es:
            continue
        ks = [e["kernel_estimate"]["fraction"] for e in es if "kernel_estimate" in e]
        wall = ", ".join("%s %+.1f%% (CI %.1f–%.1f%s)" % (
            e["target"], (e["ratio"]["median"] - 1) * 100, e["ratio"]["ci90"][0] * 100, e["ratio"]["ci90"][1] * 100,
            ", too noisy to tell" if e["ratio"]["iqr_rel"] > NOISE_IQR else "") for e in es)
        # Met when the direct kernel-side cost is under the limit and no wall-time interval excludes it.
        met = bool(ks) and max(ks) < limit and all(e["ratio"]["ci90"][0] <= 1 + limit for e in es)
        out.append(("slowdown at %d Hz < %g%%" % (rate, limit * 100),
                    "wall: %s; kernel-side: %s" % (wall, ", ".join("%.3f%%" % (k * 100) for k in ks) or "–"), met))
    # Beaten: our median lower. A comparison where either side is too noisy decides nothing. Significantly
    # cheaper peer: its whole interval below ours. At 4999 Hz, where every profiler's cost should stand out of
    # the noise, our median must be the lowest of the decidable comparisons.
    beaten = total = undecided = 0
    cheaper, high_rate = [], []
    for e in ours:
        for peer in res:
            if (peer["profiler"] == "pyflame-bpf" or peer["target"] != e["target"] or peer["rate"] != e["rate"] or
                    not peer["ratio"].get("n")):
                continue
            if max(e["ratio"]["iqr_rel"], peer["ratio"]["iqr_rel"]) > NOISE_IQR:
                undecided += 1
                continue
            total += 1
            if peer["ratio"]["ci90"][1] < e["ratio"]["ci90"][0]:
                cheaper.append("%s at %s Hz (%s)" % (peer["profiler"], e["rate"], e["target"]))
            if e["ratio"]["median"] < peer["ratio"]["median"]:
                beaten += 1
            elif e["rate"] == max(RATES):
                high_rate.append("%s (%s): %.1f%% vs ours %.1f%%" % (peer["profiler"], e["target"],
                                                                   peer["ratio"]["median"] * 100,
                                                                   e["ratio"]["median"] * 100))
    if total or undecided:
        met = None if not total and not cheaper else (not cheaper and not high_rate)
        out.append(("every peer beaten on slowdown",
                    "lower median in %d of %d comparisons clear of the noise (%d too noisy to decide)%s; "
                    "significantly cheaper peers: %s" %
                    (beaten, total, undecided, "; at %d Hz not lowest against %s" % (max(RATES), "; ".join(high_rate))
                     if high_rate else "", ", ".join(cheaper) or "none"), met))
    return out
