"""Turns the sections' results into console tables, writes build/bench.json (the run whole, raw data included) and
renders BENCHMARKS.md from bench/results.json (results.py); describes the machine."""
import datetime
import json
import os
import platform
import re
import subprocess

import common
import results as results_json

GOALS_TEXT = [
    "Slowdown at 99 Hz indistinguishable from noise (< 0.5 %), < 2 % at 999 Hz.",
    "Per-sample kernel cost under 5 µs with a 50-frame Python stack.",
    "Profiler CPU under 1 % of a core at 99 Hz with 16 threads.",
    "Start-up (launch to first sample counted) under 300 ms.",
    "Accuracy within 2 points of truth.",
    "Every peer beaten on slowdown and on Python correctness.",
    "Off-CPU/wall modes: no measurable slowdown at normal loads (under 1 % of a core at 10k target context switches "
    "a second); the throughput a switch-heavy target keeps, stated.",
    "--slice: the post-pass over 1 M records under 1 s.",
]


def _first_line(argv):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        return p.stdout.decode(errors="replace").strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


def _commit():
    """The commit measured, -dirty when the tree differs from it (as --version says it)."""
    head = _first_line(["git", "-C", common.ROOT, "rev-parse", "--short=12", "HEAD"])
    if head and subprocess.run(["git", "-C", common.ROOT, "diff", "--quiet", "HEAD", "--"]).returncode:
        head += "-dirty"
    return head


def machine():
    """What the numbers were measured on."""
    info = {"kernel": platform.release(), "cpus": os.cpu_count()}
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            info["os"] = m.group(1) if m else "?"
        with open("/proc/cpuinfo") as f:
            cpuinfo = f.read()
        m = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
        info["cpu"] = m.group(1).strip() if m else "?"
        info["virtual"] = bool(re.search(r"^flags\s*:.*\bhypervisor\b", cpuinfo, re.M))
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1)) / 2 ** 20, 1)
    except (OSError, AttributeError):
        pass
    for key in ("kernel.perf_event_max_sample_rate", "kernel.perf_cpu_time_max_percent"):
        info[key] = common.read_sysctl(key)
    info["tools"] = {
        "pyflame-bpf": _first_line([common.PYFLAME, "--version"]),
        "commit": _commit(),
        "perf": _first_line(["perf", "--version"]),
        "bpftrace": _first_line(["bpftrace", "--version"]),
        "austin": _first_line(["austin", "--version"]),
        "python (runs the suite)": platform.python_version(),
    }
    return info


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def _cell(x):
    return str(x).replace("|", "\\|") if x is not None else ""


def table_md(columns, rows):
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def table_text(columns, rows):
    cells = [list(map(str, columns))] + [[str(c) if c is not None else "" for c in r] for r in rows]
    widths = [max(len(r[i]) if i < len(r) else 0 for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_section(number, title, result):
    print("\n== %d. %s ==" % (number, title))
    if result.get("skipped"):
        print("skipped: " + result["skipped"])
        return
    for t in result.get("tables", [result]):
        if t.get("caption"):
            print(t["caption"])
        if t.get("rows"):
            print(table_text(t["columns"], t["rows"]))
    for n in result.get("notes", []):
        print("- " + n)
    print("(%d measured runs, %.0f s)" % (result.get("runs", 0), result.get("seconds", 0)), flush=True)


def markdown(run, source="bench/results.json"):
    """BENCHMARKS.md of a run's results (results.py's format), rendered from the file at source (relative to the
    report): a function of that file alone."""
    m = run["machine"]
    tools = "; ".join("%s: %s" % (k, v or "missing") for k, v in m["tools"].items())
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`scripts/bench/run.py%s`) on %s; every figure below comes from that one run, "
        "which took %.1f minutes. Regenerate with `sudo make bench`; the goals are checked at the end of its "
        "output too." % (" --quick" if run["quick"] else "", run["started"], run["seconds"] / 60),
        "",
        "This file is rendered from [%s](%s) (`make bench-render`), which holds every figure of its tables and "
        "goals with its unit and quartiles, the machine and the commit measured (%s): diff two runs there." %
        (source, source, run.get("commit")),
        "",
        "**%s run**: %s. Machine: %s, kernel %s, %s CPUs (%s), %s GiB%s; load average %s at the start, %s at "
        "the end (other work shares this machine: expect noise). kernel.perf_event_max_sample_rate=%s, "
        "kernel.perf_cpu_time_max_percent=%s. Tools: %s."
        % ("Quick" if run["quick"] else "Full",
           "fewer pairs and shorter recordings than the full suite, for development: treat the spreads as wide"
           if run["quick"] else "the full counts of pairs and runs",
           m.get("os"), m.get("kernel"), m.get("cpus"), m.get("cpu"), m.get("memory_gib"),
           ", virtual machine" if m.get("virtual") else "", " ".join("%.2f" % x for x in run["load_start"]),
           " ".join("%.2f" % x for x in run["load_end"]), m.get("kernel.perf_event_max_sample_rate"),
           m.get("kernel.perf_cpu_time_max_percent"), tools),
        "",
        "Times vary 10–20 %% from run to run on this shared virtual machine, so every figure is a ratio or a "
        "distribution: the median with its quartiles `[q1–q3]` over the runs counted in each section, never a "
        "single timing. A distribution whose quartiles lie more than %d %% of its median apart is marked *wide*: too "
        "noisy to trust. The slowdown table has its own, stricter verdicts." % (common.WIDE * 100),
        "",
        "## Profilers compared",
        "",
        table_md(["profiler", "how it samples", "Debian package", "status here"],
                 [[p["name"], p["kind"], p["package"] or "–", "measured" if not p["status"] else p["status"]]
                  for p in run["profilers"]]),
        "",
        "## Goals",
        "",
    ]
    out += ["- " + g for g in GOALS_TEXT]
    out += ["", table_md(["goal", "measured", "met"],
                         [[g["goal"], g["measured"], "yes" if g["met"] else ("no" if g["met"] is not None else "–")]
                          for g in run["goals"]]), ""]
    for i, res in enumerate(run["sections"], 1):
        out += ["## %d. %s" % (i, res["title"]), ""]
        if res.get("skipped"):
            out += ["Skipped: " + res["skipped"], ""]
            continue
        if res.get("method"):
            out += [res["method"], ""]
        for t in res["tables"]:
            if t.get("caption"):
                out += [t["caption"], ""]
            if t.get("rows"):
                out += [table_md(t["columns"], [[results_json.cell_text(c) for c in r] for r in t["rows"]]), ""]
        for n in res.get("notes", []):
            out += ["- " + n]
        alone = res.get("measured_alone")
        out += ["", "_%d measured runs, %.0f s%s._" % (
            res.get("runs", 0), res.get("seconds", 0),
            "; measured on its own (`run.py --only %s --update`) on %s at commit %s, not in the run above" % (
                res["name"], alone["started"], alone["commit"]) if alone else ""), ""]
    return "\n".join(out).rstrip() + "\n"


def write_run(run, json_path):
    """build/bench.json: the run as measured, each section's raw data included."""
    os.makedirs(os.path.dirname(json_path) or ".", exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump({k: v for k, v in run.items()}, f, indent=1, default=str)
        f.write("\n")


def write_markdown(results_path, md_path):
    """Renders md_path from the results file as written (never from the run in memory)."""
    source = os.path.relpath(results_path, os.path.dirname(os.path.abspath(md_path)))
    text = markdown(results_json.load(results_path), source)
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(text)


def today():
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
