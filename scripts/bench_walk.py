#!/usr/bin/env python3
"""Measures the BPF sampler's cost per sample of a Python target at 10, 50 and 120 frames (kernel.bpf_stats_enabled).

Usage: scripts/bench_walk.py [--python PATH] [--runs N] [--seconds S]   (as root, after `make`)
Prints one line per depth, without and with code tags: median ns per target sample over N runs, and the spread.
"""
import argparse
import glob
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYFLAME = os.path.join(ROOT, "pyflame-bpf")
# Recurse to a given depth (the <module> frame counts as one), then spin in the leaf.
TARGET = """
import sys
sys.setrecursionlimit(10000)
def rec(n):
    if n <= 1:
        print("ready", flush=True)
        while True:
            pass
    rec(n - 1)
rec(int(sys.argv[1]) - 1)
"""


def default_python():
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", "3.12.*", "bin", "python3.12")))
    return found[0] if found else sys.executable


def one_run(python, depth, seconds, extra):
    t = subprocess.Popen([python, "-c", TARGET, str(depth)], stdout=subprocess.PIPE)
    try:
        t.stdout.readline()
        p = subprocess.run([PYFLAME, "-p", str(t.pid), "-d", str(seconds), "-F", "999"] + extra,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    finally:
        t.kill()
        t.wait()
    err = p.stderr.decode()
    m = re.search(r"BPF program: (\d+) ns per sample", err)
    if not m:
        raise SystemExit("no BPF run-time figure in: " + err)
    depths = [len(line.rsplit(" ", 1)[0].split(";")) for line in p.stdout.decode().splitlines()]
    return int(m.group(1)), max(depths) if depths else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=default_python())
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2)
    args = ap.parse_args()
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old = f.read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    try:
        print("python: %s, 999 Hz, %d runs of %.1f s per depth" % (args.python, args.runs, args.seconds))
        for label, extra in (("", []), ("code tags", ["--code-tags"])):
            for depth in (10, 50, 120):
                runs = [one_run(args.python, depth, args.seconds, extra) for _ in range(args.runs)]
                ns = [r[0] for r in runs]
                print("depth %3d (max frames seen %3d): %5d ns per sample (median; min %d, max %d) %s" %
                      (depth, max(r[1] for r in runs), statistics.median(ns), min(ns), max(ns), label), flush=True)
                time.sleep(0.2)
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)


if __name__ == "__main__":
    main()
