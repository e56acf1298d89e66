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
# Units of the table's figures (results.py): header -> unit; None: a text column.
UNITS = {"target": None, "Hz": "Hz", "profiler": None, "wall time, profiled / unprofiled (%)": "%",
         "90% CI": "%", "verdict": None, "target's CPU time, profiled / unprofiled (%)": "%",
         "pyflame-bpf kernel-side": "% of the target's wall time"}
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
            cpu_ratios = {p.name: [] for p in profilers}
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
                        cpu_ratios[p.name].append((b[1] + b[2]) / ((sum(a_prev[1:]) + sum(a_next[1:])) / 2))
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
                         "cpu_ratio": common.summarize(cpu_ratios[p.name]),
                         "system_share": common.summarize(sys_share)}
                if p.name == "pyflame-bpf" and est:
                    entry["kernel_estimate"] = est
                data["results"].append(entry)
                rows.append(row(kind_label, rate, p.name, s, entry["cpu_ratio"], entry.get("kernel_estimate")))
            ctx.log("slowdown %s %d Hz: %s" % (kind, rate, ", ".join(
                "%s %s" % (p.name, common.fmt_dist(common.summarize(ratios[p.name]), 100, 1)) for p in profilers)))
    for p in ctx.profilers:
        if p.status is None and not p.reads(PYTHON):
            rows.append(["all", "–", p.name, "not measured: does not read CPython %s" % PYTHON, "", "", "", ""])
    for name, why in missing:
        rows.append(["all", "–", name, "missing (see Profilers)", "", "", "", ""])
    data["missing"] = dict(missing)
    sys_all = [e["system_share"]["median"] for e in data["results"] if e["target"] == "syscall" and
               e["system_share"].get("n")]
    notes = per_sample_notes(data["results"])
    return {
        "method": ("CPython %s, each run about %.2f s of work; %d rounds of A B1 A B2 ... A per target and rate "
                   "(every profiler once per round, order rotating); a profiled run's ratio is its wall time "
                   "over the mean of the unprofiled runs on either side. Shown: median %% of the unprofiled time "
                   "[quartiles], and the 90%% confidence interval of the median (order statistics). "
                   "'noise' means that interval contains 100%%; 'too noisy' that the quartiles span more than "
                   "%d points. The kernel-side figure is pyflame-bpf's BPF time (kernel.bpf_stats_enabled, one "
                   "more run) on the target's CPUs over the target's wall time: the direct cost, free of the "
                   "machine's noise. The target's own CPU time (getrusage, same runs) is shown beside the wall "
                   "time: waiting for a CPU does not count in it, so it is steadier on a busy machine, but it "
                   "leaves out the CPU the profiler's own process takes from the target.%s" % (PYTHON, seconds, pairs, NOISE_IQR * 100,
                                            (" The syscall target spent a median %.0f%% of its CPU time in the "
                                             "kernel." % (100 * sorted(sys_all)[len(sys_all) // 2])) if sys_all
                                            else "")),
        "columns": ["target", "Hz", "profiler", "wall time, profiled / unprofiled (%)", "90% CI", "verdict",
                    "target's CPU time, profiled / unprofiled (%)", "pyflame-bpf kernel-side"],
        "rows": rows,
        "notes": notes,
        "data": data,
    }


def per_sample_notes(results):
    """What each sample costs the target's CPU, from the CPU-time ratio of the pure-Python target: (ratio - 1) / F
    seconds per sample for a target that is always on a CPU."""
    notes = []
    for rate in RATES[1:]:
        parts = []
        for e in results:
            if e["target"] == "cpu" and e["rate"] == rate and e["cpu_ratio"].get("n") and e["profiler"] != "austin":
                us = (e["cpu_ratio"]["median"] - 1) / rate * 1e6
                k = e.get("kernel_estimate")
                parts.append("%s %.1f µs%s" % (e["profiler"], us, " (its BPF program: %.2f µs)" %
                                                 (k["ns_per_sample"] / 1e3) if k else ""))
        if parts:
            notes.append("CPU time each sample costs the pure-Python target at %d Hz, from its CPU-time ratio: %s. "
                         "Samplers that interrupt the target (pyflame-bpf, perf, bpftrace) pay the cpu-clock "
                         "event's timer interrupt, whatever they do in it; austin reads the target from another "
                         "process instead." % (rate, ", ".join(parts)))
    return notes


def row(kind_label, rate, name, s, cpu, est):
    if not s.get("n"):
        return [kind_label, rate, name, "no valid run", "", "", "", ""]
    lo, hi = s["ci90"]
    if s["iqr_rel"] > NOISE_IQR:
        verdict = "too noisy (IQR %.0f pts)" % (s["iqr_rel"] * 100)
    elif lo <= 1.0 <= hi:
        verdict = "noise"
    else:
        verdict = "%+.1f%%" % ((s["median"] - 1) * 100)
    kside = "%.3f%% (%d ns/sample)" % (est["fraction"] * 100, est["ns_per_sample"]) if est else ""
    return [kind_label, rate, name, common.fmt_dist(s, 100, 1), "%.1f–%.1f" % (lo * 100, hi * 100), verdict,
            common.fmt_dist(cpu, 100, 1), kside]


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
        wall = ", ".join("%s %+.1f%% (CI %.1f–%.1f%s; target CPU time %+.1f%%)" % (
            e["target"], (e["ratio"]["median"] - 1) * 100, e["ratio"]["ci90"][0] * 100, e["ratio"]["ci90"][1] * 100,
            ", too noisy to tell" if e["ratio"]["iqr_rel"] > NOISE_IQR else "",
            (e["cpu_ratio"].get("median", float("nan")) - 1) * 100) for e in es)
        # Met when the direct kernel-side cost is under the limit and neither the wall-time nor the target-CPU-time
        # interval lies wholly above it (an interval too noisy to trust decides nothing).
        def above(d):
            return d.get("n") and d["iqr_rel"] <= NOISE_IQR and d["ci90"][0] > 1 + limit

        met = bool(ks) and max(ks) < limit and not any(above(e["ratio"]) or above(e["cpu_ratio"]) for e in es)
        out.append(("slowdown at %d Hz < %g%%" % (rate, limit * 100),
                    "wall: %s; kernel-side: %s" % (wall, ", ".join("%.3f%%" % (k * 100) for k in ks) or "–"), met))
    # Per target and rate, against each peer: beaten (our interval wholly below), tied (intervals overlap), lost
    # (the peer's interval wholly below ours); too noisy on either side: undecided. Judged on wall time; the
    # target's CPU time is compared too, for the reader (it leaves out what the profiler's own process costs).
    def compare(key):
        counts = {"beaten": 0, "tied": 0, "lost": 0, "undecided": 0}
        lost = []
        for e in ours:
            for peer in res:
                if (peer["profiler"] == "pyflame-bpf" or peer["target"] != e["target"] or
                        peer["rate"] != e["rate"] or not peer[key].get("n") or not e[key].get("n")):
                    continue
                (lo, hi), (plo, phi) = e[key]["ci90"], peer[key]["ci90"]
                if max(e[key]["iqr_rel"], peer[key]["iqr_rel"]) > NOISE_IQR:
                    counts["undecided"] += 1
                elif hi < plo:
                    counts["beaten"] += 1
                elif phi < lo:
                    counts["lost"] += 1
                    lost.append("%s at %s Hz (%s): %.1f%% vs ours %.1f%%" % (
                        peer["profiler"], e["rate"], e["target"], peer[key]["median"] * 100,
                        e[key]["median"] * 100))
                else:
                    counts["tied"] += 1
        text = "%d beaten, %d tied within the noise, %d lost%s, %d too noisy to decide" % (
            counts["beaten"], counts["tied"], counts["lost"], " (" + "; ".join(lost) + ")" if lost else "",
            counts["undecided"])
        return counts, text

    wall, wall_text = compare("ratio")
    if any(wall.values()):
        _, cpu_text = compare("cpu_ratio")
        decided = wall["beaten"] + wall["tied"] + wall["lost"]
        out.append(("every peer beaten on slowdown",
                    "of %d comparisons (target × rate × peer), on wall time: %s; on the target's CPU time: %s" %
                    (sum(wall.values()), wall_text, cpu_text),
                    None if not decided else (wall["lost"] == 0 and wall["tied"] == 0)))
    return out
