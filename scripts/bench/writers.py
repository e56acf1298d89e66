"""5. Symbolization and writing: what turning 10k and 100k distinct stacks into folded, SVG and pprof costs.

Naming: two processes of a target whose every sample is a new stack (scripts/bench/targets/stacks.py: generated
functions calling each other at random, 7 deep) recorded at 9999 Hz with -v, which prints the profiler's CPU time
spent counting records and naming what they hold (kernel and native symbols, Python code objects and line tables)
and writing the output: CPU microseconds per sample and per distinct stack. Writing: the recorded stacks (real
names) cut to 10k and 100k lines and turned into each format by `pyflame-bpf report`: the CPU time of the whole
process (reading the file included; CPU time, so the machine's other work does not count) over several runs.
"""
import os
import re
import subprocess

import common

NAME = "writers"
TITLE = "Symbolization and writing"
# Units of the table's figures (results.py): header (or a pattern of headers) -> unit; the size in parentheses
# carries its own.
UNITS = {"distinct stacks": "stacks", r".*: CPU ms \(size\)": "ms"}
SIZES = (10000, 100000)
FORMATS = (("folded", "folded"), ("SVG", "svg"), ("pprof", "pb.gz"))
PYTHON = "3.12"
RATE = 9999


def record(ctx, py, seconds, out):
    """Records two many-stacks targets; returns (lines written, CPU us per sample, us per stack, write ms)."""
    argv = [py, os.path.join(common.BENCH_TARGETS, "stacks.py"), "400", "7"]
    with common.Target(argv) as a, common.Target(argv) as b:
        run = common.pyflame(["-v", "-p", "%d,%d" % (a.pid, b.pid), "-d", seconds, "-F", RATE, "-o", out])
    ctx.runs += 1
    m = re.search(r"userspace CPU: ([\d.]+) ms counting and naming (\d+) samples into (\d+) stacks .*?, "
                  r"([\d.]+) ms writing", run.err)
    if not m:
        raise RuntimeError("no userspace figure from pyflame-bpf -v: " + run.err[-500:])
    ms, samples, stacks, write_ms = float(m.group(1)), int(m.group(2)), int(m.group(3)), float(m.group(4))
    return {"samples": samples, "stacks": stacks, "us_per_sample": ms * 1e3 / samples,
            "us_per_stack": ms * 1e3 / stacks, "write_ms": write_ms, "lost": run.lost}


def run(ctx):
    py = common.python(PYTHON) or common.python("3.11")
    if not py:
        return {"skipped": "CPython %s is not installed under $PYENV_ROOT" % PYTHON}
    runs = ctx.pick(2, 5)
    # Record until the stacks written add up to the largest size (each recording's stacks are new: new PIDs).
    lines, recs = [], []
    for i in range(ctx.pick(1, 3)):
        out = ctx.path("stacks-%d.folded" % i)
        recs.append(record(ctx, py, ctx.pick(2.5, 5), out))
        with open(out, encoding="utf-8") as f:
            # Stack lines only: the header line (what the counts are, when) is written once, first, below.
            lines += [l for l in f.read().splitlines() if not l.startswith("# pyflame-bpf ")]
        if len(lines) >= max(SIZES):
            break
    recorded = len(lines)
    # Short of the largest size (a busy machine samples less): the recorded stacks again under a root frame
    # per copy, still distinct stacks with real names.
    copies = [lines]
    while sum(map(len, copies)) < max(SIZES):
        copies.append(["copy %d;%s" % (len(copies), l) for l in lines])
    lines = [l for c in copies for l in c]
    naming = {k: common.summarize([r[k] for r in recs]) for k in ("us_per_sample", "us_per_stack")}
    rows, data = [], {"runs": runs, "recordings": recs, "naming": naming, "results": []}
    for size in SIZES:
        src = ctx.path("in-%d.folded" % size)
        with open(src, "w", encoding="utf-8") as f:
            f.write("# pyflame-bpf measure=cpu unit=samples\n" + "\n".join(lines[:size]) + "\n")
        cells, entry = [size], {"stacks": size}
        for label, suffix in FORMATS:
            dst = ctx.path("out.%s" % suffix)
            cpu = []
            for _ in range(runs):
                p = subprocess.Popen([common.PYFLAME, "report", src, "-o", dst], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
                rc, ru = common.wait_rusage(p, 120)
                cpu.append(ru.ru_utime + ru.ru_stime)
                ctx.runs += 1
                if rc != 0:
                    raise RuntimeError("pyflame-bpf report to %s: exit %d" % (label, rc))
            s = common.summarize(cpu)
            entry[label] = {"seconds": s, "bytes": os.path.getsize(dst)}
            cells.append("%s (%s)" % (common.fmt_dist(s, 1e3, 0), human(os.path.getsize(dst))))
        data["results"].append(entry)
        rows.append(cells)
        ctx.log("writers %d stacks: %s" % (size, ", ".join(cells[1:])))
    return {
        "method": ("Naming, in %d recording(s) of two many-stack CPython %s processes at %d Hz: %s CPU µs per "
                   "sample counted and named, %s per distinct stack (median [quartiles]). Writing: `pyflame-bpf "
                   "report` of 10k and 100k of those stacks into each format, %d runs each: CPU milliseconds "
                   "(utime + stime) of the whole process (read, build the view, write), and the output's size." %
                   (len(recs), PYTHON, RATE, common.fmt_dist(naming["us_per_sample"], 1, 1),
                    common.fmt_dist(naming["us_per_stack"], 1, 1), runs)),
        "columns": ["distinct stacks"] + ["%s: CPU ms (size)" % label for label, _ in FORMATS],
        "rows": rows,
        "notes": (["%d distinct stacks were recorded: the inputs repeat them under one more root frame per copy "
                   "to reach %d." % (recorded, max(SIZES))] if recorded < max(SIZES) else []) +
                 ["recording %d: %d samples, %d stacks, %.1f µs CPU per sample counted and named, folded written "
                  "in %.0f ms CPU, %s lost" % (i + 1, r["samples"], r["stacks"], r["us_per_sample"], r["write_ms"],
                                               r["lost"]) for i, r in enumerate(recs)],
        "data": data,
    }


def human(n):
    for unit in ("B", "KB", "MB"):
        if n < 1000 or unit == "MB":
            return ("%d %s" if unit == "B" else "%.1f %s") % (n, unit)
        n /= 1000.0
