#!/usr/bin/env python3
"""Runs the benchmark suite: measures pyflame-bpf beside perf, bpftrace and austin, prints a table per section, writes bench/results.json and BENCHMARKS.md from it.

Usage: scripts/bench/run.py [--quick] [--only SECTION,...] [--no-install] [--markdown FILE] [--json FILE]
                            [--results FILE] [--update] (as root, after `make all targets`; `make bench` does both)
       scripts/bench/run.py --render JSON [--results FILE] [--markdown FILE]         (`make bench-render`, no root)
The run is written whole to build/bench.json (each section's raw data too), its figures to bench/results.json
(results.py), and BENCHMARKS.md is rendered from that file. Each measured section is a module of this package with
NAME, TITLE, UNITS (its columns' units), run(ctx) -> result and optionally goals(result); adding a section is adding
it to SECTIONS.
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
import results  # noqa: E402
import kernel_cost  # noqa: E402
import slowdown  # noqa: E402
import self_cost  # noqa: E402
import startup  # noqa: E402
import slice_cost  # noqa: E402
import writers  # noqa: E402
import accuracy  # noqa: E402
import rate  # noqa: E402
import sched_cost  # noqa: E402

# In the order of the list; the kernel cost goes first since the slowdown table reads it beside its own.
SECTIONS = [slowdown, kernel_cost, self_cost, startup, writers, accuracy, rate, sched_cost, slice_cost]
RUN_ORDER = [kernel_cost, slowdown, self_cost, startup, writers, accuracy, rate, sched_cost, slice_cost]
RESULTS = os.path.join(common.ROOT, "bench", "results.json")


def check_goals(measured):
    """Every section's goal rows, in the sections' order: [(goal, measured, met: True/False/None)]."""
    goals = []
    for section in SECTIONS:
        res = measured.get(section.NAME)
        if res and not res.get("skipped") and hasattr(section, "goals"):
            goals += section.goals(res)
    return goals


def render(args):
    """BENCHMARKS.md from a results file, measuring nothing. A saved run (build/bench.json) is first turned into
    one, its goals checked again by the sections' goals(), and written to --results."""
    with open(args.render, encoding="utf-8") as f:
        data = json.load(f)
    markdown = args.markdown or os.path.join(common.ROOT, "BENCHMARKS.md")
    source = args.render
    if data.get("format") != results.FORMAT:
        by_title = {s.TITLE: s.NAME for s in SECTIONS}
        data["goals"] = check_goals({by_title[t]: r for t, r in data["sections"] if t in by_title})
        source = args.results or RESULTS
        results.write(results.from_run(data, SECTIONS), source)
        print("wrote %s from %s" % (source, args.render))
    report.write_markdown(source, markdown)
    print("wrote %s from %s" % (markdown, source))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer pairs and shorter runs (development)")
    ap.add_argument("--only", help="comma-separated sections to run: " + ",".join(s.NAME for s in SECTIONS))
    ap.add_argument("--no-install", action="store_true", help="do not apt-get install missing peers")
    ap.add_argument("--markdown", help="default: BENCHMARKS.md at the top of the tree; with --only, "
                    "BENCHMARKS.partial.md beside the JSON, so a partial run never replaces the whole report")
    ap.add_argument("--json", default=os.path.join(common.BUILD, "bench.json"), help="the whole run, raw data "
                    "included")
    ap.add_argument("--results", help="its figures (default: bench/results.json; with --only, "
                    "results.partial.json beside the JSON)")
    ap.add_argument("--update", action="store_true", help="with --only: put the sections measured (and their "
                    "goals) into bench/results.json in place of the ones it has, and render BENCHMARKS.md from it")
    ap.add_argument("--render", metavar="JSON", help="measure nothing: render BENCHMARKS.md from a results file "
                    "(bench/results.json), or from a saved run (build/bench.json, goals re-checked) after writing "
                    "its results file")
    args = ap.parse_args()
    if args.render:
        return render(args)
    if not args.markdown:
        args.markdown = (os.path.join(os.path.dirname(args.json), "BENCHMARKS.partial.md") if args.only else
                         os.path.join(common.ROOT, "BENCHMARKS.md"))
    if not args.results:
        args.results = (os.path.join(os.path.dirname(args.json), "results.partial.json") if args.only else RESULTS)
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
    measured = {}
    with tempfile.TemporaryDirectory(prefix="pyflame-bench.") as scratch:
        ctx = common.Context(args.quick, scratch, log)
        ctx.profilers = profs
        ctx.results = measured
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
            measured[section.NAME] = res
            report.print_section(SECTIONS.index(section) + 1, section.TITLE, res)
    goals = check_goals(measured)
    run = {
        "started": started,
        "quick": args.quick,
        "machine": report.machine(),
        "load_start": load_start,
        "load_end": report.loadavg(),
        "seconds": time.monotonic() - t_start,
        "profilers": [{"name": p.name, "kind": p.kind, "package": p.package, "status": p.status} for p in profs],
        "goals": goals,
        "sections": [(s.TITLE, measured[s.NAME]) for s in SECTIONS if s.NAME in measured],
    }
    print("\n== Goals ==")
    print(report.table_text(["goal", "measured", "met"],
                            [[g, m, "–" if ok is None else "yes" if ok else "NO"] for g, m, ok in goals]))
    report.write_run(run, args.json)
    results.write(results.from_run(run, SECTIONS), args.results)
    report.write_markdown(args.results, args.markdown)
    print("\nwrote %s, %s and %s from it (%.0f s)" % (args.json, args.results, args.markdown, run["seconds"]))
    if args.update and only:
        update(args.results)
    return 0


def update(partial_path):
    """Puts a partial run's sections and goals into bench/results.json, each section marked as measured on its own
    (when, at which commit), and renders BENCHMARKS.md from the file."""
    with open(partial_path, encoding="utf-8") as f:
        partial = json.load(f)
    with open(RESULTS, encoding="utf-8") as f:
        whole = json.load(f)
    order = [s.NAME for s in SECTIONS]
    for section in partial["sections"]:
        section["measured_alone"] = {"started": partial["started"], "commit": partial["commit"]}
        whole["sections"] = [s for s in whole["sections"] if s["name"] != section["name"]] + [section]
    whole["sections"].sort(key=lambda s: order.index(s["name"]) if s["name"] in order else len(order))
    new = {g["goal"]: g for g in partial["goals"]}
    whole["goals"] = [new.pop(g["goal"], g) for g in whole["goals"]] + list(new.values())
    results.write(whole, RESULTS)
    report.write_markdown(RESULTS, os.path.join(common.ROOT, "BENCHMARKS.md"))
    print("put %s into %s and rendered BENCHMARKS.md from it" % (", ".join(s["name"] for s in partial["sections"]),
                                                                 RESULTS))


if __name__ == "__main__":
    sys.exit(main())
