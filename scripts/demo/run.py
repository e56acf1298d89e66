#!/usr/bin/env python3
"""`make demo`: start the demo API, load it for ~10 s, profile it by PID with pyflame-bpf, summarise the hottest frames.

Three recordings of the same run: CPU (demo.folded, demo.svg), wall-clock without idle waits (demo-wall.folded,
demo-wall.svg), where the history endpoint's wait on its database shows, and the slowest tenth of the requests
alone (demo-slow.folded, demo-slow.svg: --slice Handler.do_GET --slower-than p90, with the latency line it prints).
Writes them in the current directory.
Needs root (BPF) and a Python 3.7+ to run the API.
"""
import collections
import glob
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYFLAME = os.path.join(ROOT, "pyflame-bpf")
SECONDS = 10


def api_python():
    """A CPython 3.7+ for the API: the newest pyenv build, else the system's python3."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    builds = []
    for d in glob.glob(os.path.join(root, "versions", "3.*")):
        m = re.match(r"^3\.(\d+)\.\d+$", os.path.basename(d))
        exe = os.path.join(d, "bin", "python3")
        if m and int(m.group(1)) >= 7 and os.access(exe, os.X_OK):
            builds.append((int(m.group(1)), exe))
    return max(builds)[1] if builds else "python3"


def summarise(path, unit, top=8):
    """Self shares of Python lines (leaf Python frame), and total shares of the API's own functions."""
    self_counts, total_counts = collections.Counter(), collections.Counter()
    samples = 0
    with open(path) as f:
        for line in f:
            if line.startswith("# pyflame-bpf "):
                continue  # the header line: the unit
            stack, count = line.rstrip("\n").rsplit(" ", 1)
            count = int(count)
            samples += count
            py = [fr for fr in stack.split(";") if re.search(r"\(.+:\d+\)$", fr)]
            if py:
                self_counts[py[-1]] += count
            # Functions of the API itself (api.py), by function: time in them and in what they call.
            for func in set(re.sub(r":\d+\)$", ")", fr) for fr in py if "(api.py:" in fr):
                total_counts[func] += count
    print("\n%d %s in %s" % (samples, unit, os.path.relpath(path)))
    for title, counts in (("hottest Python lines (self)", self_counts),
                          ("hottest functions of api.py (self + callees)", total_counts)):
        print("\n  %s:" % title)
        for frame, n in counts.most_common(top):
            print("  %5.1f%%  %s" % (100.0 * n / (samples or 1), frame))


def main():
    if os.geteuid() != 0:
        sys.exit("make demo: pyflame-bpf loads BPF programs: run as root")
    python = api_python()
    api = subprocess.Popen([python, os.path.join(HERE, "api.py"), "0"], stdout=subprocess.PIPE)
    try:
        line = api.stdout.readline().decode()
        m = re.match(r"listening (\d+)", line)
        if not m:
            sys.exit("demo API did not start: %r" % line)
        port = m.group(1)
        print("demo API (%s) pid %d on 127.0.0.1:%s; profiling it for %d s under load..." %
              (python, api.pid, port, SECONDS), flush=True)
        # Attached by PID after the server started, as in production.
        prof = subprocess.Popen([PYFLAME, "-p", str(api.pid), "-d", str(SECONDS), "-o", "demo.folded"])
        wall = subprocess.Popen([PYFLAME, "-p", str(api.pid), "-d", str(SECONDS), "--mode", "wall", "--no-idle",
                                 "-o", "demo-wall.folded"])
        # At 999 Hz: an invocation is timed to the sampling period, and the fast requests last a few ms.
        slow = subprocess.Popen([PYFLAME, "-p", str(api.pid), "-d", str(SECONDS), "-F", "999", "--mode", "wall",
                                 "--slice", "Handler.do_GET", "--slower-than", "p90", "-o", "demo-slow.folded"],
                                stderr=subprocess.PIPE)
        time.sleep(0.5)
        load = subprocess.run([python, os.path.join(HERE, "load.py"), port, str(SECONDS - 1)], check=False)
        rc, wall_rc = prof.wait(), wall.wait()
        slow_err = slow.communicate()[1].decode(errors="replace")
        if rc != 0 or wall_rc != 0 or slow.returncode != 0 or load.returncode != 0:
            sys.exit("demo failed: pyflame-bpf exit %d (wall %d, slow %d), load exit %d: %s" %
                     (rc, wall_rc, slow.returncode, load.returncode, slow_err[-400:]))
    finally:
        api.terminate()
        api.wait()
    summarise("demo.folded", "samples")
    summarise("demo-wall.folded", "us of wall-clock time")
    print("\nthe slow requests (--slice Handler.do_GET --slower-than p90):\n%s" %
          "\n".join(line for line in slow_err.splitlines() if " invocations " in line))
    summarise("demo-slow.folded", "us of wall-clock time in the slowest 10% of the requests")
    subprocess.run([PYFLAME, "report", "demo.folded", "-o", "demo.svg", "--title", "pyflame-bpf demo API"],
                   check=True)
    subprocess.run([PYFLAME, "report", "demo-wall.folded", "-o", "demo-wall.svg", "--title",
                    "pyflame-bpf demo API: wall-clock time (us) without idle waits"], check=True)
    subprocess.run([PYFLAME, "report", "demo-slow.folded", "-o", "demo-slow.svg", "--title",
                    "pyflame-bpf demo API: the requests slower than p90, wall-clock time (us)"], check=True)
    print("\nflame graphs: demo.svg (CPU), demo-wall.svg (wall clock: the history endpoint waits on its database), "
          "demo-slow.svg (the slowest tenth of the requests alone)")
    print("open them in a browser: click to zoom, Ctrl-F to search")


if __name__ == "__main__":
    main()
