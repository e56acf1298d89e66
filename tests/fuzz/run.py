#!/usr/bin/env python3
"""Runs each libFuzzer harness for a bounded time from its committed corpus; prints one line per harness (runs,
runs per second, coverage) and fails when any harness finds a crash, a leak or a timeout (`make fuzz`)."""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def stat(log, name):
    m = re.search(r"^stat::%s:\s*(\d+)" % name, log, re.M)
    return int(m.group(1)) if m else 0


def fuzz(build, name, seconds):
    """Runs one harness; returns True when it found nothing."""
    work = os.path.join(build, name + ".work")  # inputs it adds; the committed corpus is only read
    os.makedirs(work, exist_ok=True)
    args = [os.path.join(build, name), work, os.path.join(HERE, "corpus", name),
            "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
            "-use_value_profile=1", "-close_fd_mask=3", "-artifact_prefix=%s.crash-" % os.path.join(build, name)]
    words = os.path.join(HERE, name + ".dict")
    if os.path.exists(words):
        args.append("-dict=" + words)
    log_path = os.path.join(build, name + ".log")
    start = time.time()
    with open(log_path, "wb") as log_file:
        rc = subprocess.run(args, stdout=log_file, stderr=subprocess.STDOUT).returncode
    elapsed = time.time() - start
    with open(log_path, errors="replace") as f:
        log = f.read()
    runs = stat(log, "number_of_executed_units")
    cov = re.findall(r"^#\d+\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", log, re.M)
    edges, features, corpus = cov[-1] if cov else ("?", "?", "?")
    print("%s %-18s %10d runs in %.0f s (%.0f/s), coverage %s edges %s features, corpus %s inputs" %
          ("PASS" if rc == 0 else "FAIL", name, runs, elapsed, runs / elapsed, edges, features, corpus), flush=True)
    if rc != 0:
        tail = log[log.find("==ERROR") if "==ERROR" in log else max(0, len(log) - 4000):]
        print(tail[:6000], "\n(full log: %s)" % log_path, flush=True)
    return rc == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True, help="directory holding the harness binaries")
    ap.add_argument("--seconds", type=int, default=60, help="fuzzing time per harness")
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    failed = [n for n in a.names if not fuzz(a.build, n, a.seconds)]
    print("fuzz: %d harnesses, %d failed%s" % (len(a.names), len(failed), (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
