#!/usr/bin/env python3
"""Runs the benchmark suite: measures pyflame-bpf beside perf, bpftrace and austin, prints a table per section, writes BENCHMARKS.md and bench.json.

Usage: scripts/bench/run.py [--quick] [--only SECTION,...] [--no-install] [--markdown FILE] [--json FILE]
(as root, after `make all targets`; `make bench` does both). Each measured section is a module of this package
with NAME, TITLE, run(ctx) -> result and optionally goals(result); adding a section is adding it to SECTIONS.
"""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import profilers  # noqa: E402
import report  # noqa: E402
import kernel_cost  # noqa: E402
import slowdown  # noqa: E402
import self_cost  # noqa: E402
import startup  # noqa: E402
import writers  # noqa: E402
import accuracy  # noqa: E402
import rate  # noqa: E402
import sched_cost  # noqa: E402

# In the order of the list; the kernel cost goes first since the slowdown table reads it beside its own.
SECTIONS = [slowdown, kernel_cost, self_cost, startup, writers, accuracy, rate, sched_cost]
RUN_ORDER = [kernel_cost, slowdown, self_cost, startup, writers, accuracy, rate, sched_cost]


def check_goals(results):
    """Every section's goal rows, in the sections' order: [(goal, measured, met: True/False/None)]."""
    goals = []
    for section in SECTIONS:
        res = results.get(section.NAME)
        if res and not res.get("skipped") and hasattr(section, "goals"):
            goals += section.goals(res)
    return goals


def render(args):
    with open(args.render, encoding="utf-8") as f:
        run = json.load(f)
    by_title = {s.TITLE: s.NAME for s in SECTIONS}
    run["goals"] = check_goals({by_title[t]: r for t, r in run["sections"] if t in by_title})
    run["rendered"] = {"date": report.today(), "commit": report.machine()["tools"]["commit"]}
    report.write(run, args.markdown or os.path.join(common.ROOT, "BENCHMARKS.md"), args.render)
    print("wrote %s from %s" % (args.markdown or os.path.join(common.ROOT, "BENCHMARKS.md"), args.render))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer pairs and shorter runs (development)")
    ap.add_argument("--only", help="comma-separated sections to run: " + ",".join(s.NAME for s in SECTIONS))
    ap.add_argument("--no-install", action="store_true", help="do not apt-get install missing peers")
    ap.add_argument("--markdown", help="default: BENCHMARKS.md at the top of the tree; with --only, "
                    "BENCHMARKS.partial.md beside the JSON, so a partial run never replaces the whole report")
    ap.add_argument("--json", default=os.path.join(common.BUILD, "bench.json"))
    ap.add_argument("--render", metavar="JSON", help="measure nothing: write the report of a saved run again "
                    "(goals re-checked), e.g. after changing how it is presented")
    args = ap.parse_args()
    if args.render:
        return render(args)
    if not args.markdown:
        args.markdown = (os.path.join(os.path.dirname(args.json), "BENCHMARKS.partial.md") if args.only else
                         os.path.join(common.ROOT, "BENCHMARKS.md"))
    if os.geteuid() != 0:
        print("the benchmarks load BPF programs and set sysctls: run them as root", file=sys.stderr)
        return 1
    only = set(args.only.split(",")) if args.only else None
    if only and only - {s.NAME for s in SECTIONS}:
        print("unknown section(s): %s" % ", ".join(sorted(only - {s.NAME for s in SECTIONS})), file=sys.stderr)
        return 2
    for path in (common.PYFLAME, os.path.join(common.NATIVE_TARGETS, "chain")):
        if not os.access(path, os.X_OK):
            print("%s is missing: run `make all targets` first" % path, file=sys.stderr)
            return 1

    def log(msg):
        print("  [%5.0f s] %s" % (time.monotonic() - t_start, msg), flush=True)

    t_start = time.monotonic()
    load_start = report.loadavg()
    started = report.today()
    print("pyflame-bpf benchmarks (%s), %s; load average %s" %
          ("quick" if args.quick else "full", started, " ".join("%.2f" % x for x in load_start)), flush=True)
    profs = profilers.all_profilers()
    profilers.prepare_all(profs, not args.no_install, log)
    results = {}
    with tempfile.TemporaryDirectory(prefix="pyflame-bench.") as scratch:
        ctx = common.Context(args.quick, scratch, log)
        ctx.profilers = profs
        ctx.results = results
        for section in RUN_ORDER:
            if only and section.NAME not in only:
                continue
            ctx.runs = 0
            t0 = time.monotonic()
            log("%s ..." % section.TITLE)
            try:
                res = section.run(ctx)
            except Exception as e:  # one broken section must not lose the others' figures
                res = {"skipped": "failed: %s: %s" % (type(e).__name__, e)}
            res["runs"] = ctx.runs
            res["seconds"] = time.monotonic() - t0
            results[section.NAME] = res
            report.print_section(SECTIONS.index(section) + 1, section.TITLE, res)
    goals = check_goals(results)
    run = {
        "started": started,
        "quick": args.quick,
        "machine": report.machine(),
        "load_start": load_start,
        "load_end": report.loadavg(),
        "seconds": time.monotonic() - t_start,
        "profilers": [{"name": p.name, "kind": p.kind, "package": p.package, "status": p.status} for p in profs],
        "goals": goals,
        "sections": [(s.TITLE, results[s.NAME]) for s in SECTIONS if s.NAME in results],
    }
    print("\n== Goals ==")
    print(report.table_text(["goal", "measured", "met"],
                            [[g, m, "–" if ok is None else "yes" if ok else "NO"] for g, m, ok in goals]))
    report.write(run, args.markdown, args.json)
    print("\nwrote %s and %s (%.0f s)" % (args.markdown, args.json, run["seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
