"""--slice FUNC --slower-than: the profile of only the slow invocations, on a real threaded HTTP server under load."""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import lib
from lib import PY_TARGETS, PYFLAME, Checks, Skip, Target, check, profile, test
from test_python import at_least

SLOW_REQUESTS = os.path.join(PY_TARGETS, "slow_requests.py")
SUMMARY = re.compile(r"^pyflame-bpf: (\S+): (\d+) invocations seen, (\d+) resolved: p50 ([\d.]+) (us|ms|s), "
                     r"p90 ([\d.]+) (us|ms|s), p99 [\d.]+ (?:us|ms|s), max [\d.]+ (?:us|ms|s)", re.M)
SLOW_LINE = re.compile(r"^pyflame-bpf: .*: the (\d+) invocations slower than ", re.M)
SCALE = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def versions():
    found = [(m, exe) for m, exe in lib.pythons() if m == "2.7" or at_least(m, (3, 6))]
    if not found:
        raise Skip("no supported CPython installed")
    return found


class Loaded:
    """slow_requests.py's server, and its client on the host's python3 sending SECONDS of requests."""

    def __init__(self, exe, seconds, share, server_args=()):
        self.server = Target([exe, SLOW_REQUESTS, "server"] + list(server_args))
        port = [line.split()[1] for line in self.server.lines if line.startswith("port ")][0]
        self.client = subprocess.Popen([sys.executable, SLOW_REQUESTS, "client", port, str(seconds), str(share)],
                                       stdout=subprocess.PIPE)

    def latencies_ms(self):
        out = self.client.communicate(timeout=120)[0].decode().split()
        check(out and out[-1] == "done", "the load generator did not finish: %r" % out[-3:])
        return sorted(float(x) for x in out[:-1])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.client.poll() is None:
            self.client.kill()
            self.client.wait()
        self.server.stop()


def percentile(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100.0))]


def share(stacks, name):
    total = sum(c for _, c in stacks)
    return float(sum(c for f, c in stacks if any(x.startswith(name + " (") for x in f))) / total if total else 0.0


def summary(err):
    m = SUMMARY.search(err)
    check(m, "no latency line: %r" % err[-800:])
    return (int(m.group(2)), int(m.group(3)), float(m.group(4)) * SCALE[m.group(5)],
            float(m.group(6)) * SCALE[m.group(7)])


@test
def test_slice_of_the_slow_requests_is_their_slow_path_and_its_latencies_are_the_clients():
    with Checks() as checks:
        for minor, exe in versions():
            with checks.of(minor):
                with Loaded(exe, 12, 0.12) as load:
                    time.sleep(0.5)
                    plain = profile(["-p", str(load.server.pid), "--mode", "wall", "-F", "999", "-d", "3"])
                    run = profile(["-p", str(load.server.pid), "--mode", "wall", "-F", "999", "-d", "7",
                                   "--slice", "do_GET", "--slower-than", "p90"])
                    client = load.latencies_ms()
                seen, resolved, p50, p90 = summary(run.err)
                c50, c90 = percentile(client, 50), percentile(client, 90)
                slow = share(run.stacks, "slow_path")
                print("  %s: %d invocations (%d resolved), p50 %.1f ms, p90 %.1f ms; the client's %.1f, %.1f ms "
                      "over %d requests; slow_path %.0f%% of the slice, %.0f%% of the plain profile" %
                      (minor, seen, resolved, p50, p90, c50, c90, len(client), 100 * slow,
                       100 * share(plain.stacks, "slow_path")), flush=True)
                check(resolved >= 100, "%s: %d invocations resolved" % (minor, resolved))
                check(abs(p50 - c50) <= 0.2 * c50 and abs(p90 - c90) <= 0.2 * c90,
                      "%s: p50 %.1f / p90 %.1f ms against the client's %.1f / %.1f" % (minor, p50, p90, c50, c90))
                check(slow >= 0.8, "%s: slow_path %.0f%% of the slow requests' time" % (minor, 100 * slow))
                check(share(plain.stacks, "slow_path") < slow / 2, "%s: slow_path as big in the plain profile" %
                      minor)
                do_get = [f for f, _ in run.stacks if not re.match(r"^(Handler\.)?do_GET \(", f[0])]
                check(not do_get, "%s: stacks not cut at do_GET: %r" % (minor, do_get[:2]))


@test
def test_slice_with_a_threshold_no_request_crosses_or_a_function_never_run_is_empty_exit_0():
    minor, exe = versions()[-1]
    with Loaded(exe, 4, 0.1) as load:
        time.sleep(0.3)
        none = profile(["-p", str(load.server.pid), "--mode", "wall", "-F", "999", "-d", "2", "--slice", "do_GET",
                        "--slower-than", "10s"])
        never = profile(["-p", str(load.server.pid), "--mode", "wall", "-d", "1", "--slice", "no_such_function"])
        load.latencies_ms()
    check(not none.stacks and re.search(r"the 0 invocations slower than 10 s", none.err),
          "%s: 10 s threshold: %r / %r" % (minor, none.out[:300], none.err[-400:]))
    check(summary(none.err)[1] > 20, "%s: invocations not counted: %r" % (minor, none.err[-400:]))
    check(not never.stacks and re.search(r"--slice no_such_function: no invocation seen", never.err),
          "%s: a function never run: %r / %r" % (minor, never.out[:300], never.err[-400:]))
    print("  %s: %s" % (minor, never.err.splitlines()[0]), flush=True)


@test
def test_slice_compare_shows_the_slow_path_grown_and_the_fast_path_shrunk():
    minor, exe = versions()[-1]
    with Loaded(exe, 6, 0.12) as load:
        time.sleep(0.3)
        run = profile(["-p", str(load.server.pid), "--mode", "wall", "-F", "999", "-d", "5", "--slice", "do_GET",
                       "--compare", "--format", "folded"])
        load.latencies_ms()
    before, after = {}, {}
    for line in run.out.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        stack, b, a = line.rsplit(" ", 2)
        for fn in ("slow_path", "fast_path"):
            if (";%s (" % fn) in (";" + stack):
                before[fn] = before.get(fn, 0) + int(b)
                after[fn] = after.get(fn, 0) + int(a)
    print("  %s: before (the rest, scaled) %r, after (the slow ones) %r" % (minor, before, after), flush=True)
    check(after.get("slow_path", 0) > before.get("slow_path", 0), "slow_path did not grow: %r %r" % (before, after))
    check(before.get("fast_path", 0) > after.get("fast_path", 0), "fast_path did not shrink: %r %r" % (before, after))


@test
def test_slice_back_to_back_calls_in_one_frame_merge_as_documented():
    # do_GET calls handle_part three times in a row (20 ms each), nothing else between: the calls reuse one frame's
    # memory, so each request's three are one invocation of about 60 ms.
    with Checks() as checks:
        for minor, exe in versions():
            with checks.of(minor):
                with Loaded(exe, 5, 0, ["--back-to-back"]) as load:
                    time.sleep(0.3)
                    run = profile(["-p", str(load.server.pid), "--mode", "wall", "-F", "999", "-d", "4",
                                   "--slice", "handle_part", "--slower-than", "p50"])
                    client = load.latencies_ms()
                _, resolved, p50, _ = summary(run.err)
                print("  %s: handle_part p50 %.1f ms over %d invocations, %d requests" %
                      (minor, p50, resolved, len(client)), flush=True)
                check(45 <= p50 <= 80, "%s: p50 %.1f ms: not three 20 ms calls merged" % (minor, p50))


@test
def test_slice_memory_is_flat_over_60_s_at_999_hz_of_a_loaded_server():
    minor, exe = versions()[-1]
    out = tempfile.NamedTemporaryFile(suffix=".folded")
    with Loaded(exe, 64, 0.12) as load:
        time.sleep(0.3)
        rec = subprocess.Popen([PYFLAME, "-p", str(load.server.pid), "--mode", "wall", "-F", "999", "-d", "60",
                                "--slice", "do_GET", "-o", out.name], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
        rss, t0 = [], time.time()
        while rec.poll() is None:
            time.sleep(1)
            kb = lib.rss_kb(rec.pid) if rec.poll() is None else None
            if kb:
                rss.append((time.time() - t0, kb))
        err = rec.communicate()[1].decode(errors="replace")
        load.latencies_ms()
    out.close()
    check(rec.returncode == 0, "exit %d: %s" % (rec.returncode, err[-600:]))
    late = [kb for t, kb in rss if t > 10]
    print("  %s: RSS %d KB at 10 s, %d KB at the end; %s" % (minor, late[0], late[-1], err.splitlines()[0]),
          flush=True)
    check(len(late) >= 30, "too few memory readings: %r" % rss)
    check(lib.SANITIZED or late[-1] - late[0] < 4 * 1024, "RSS grew %d KB: %r" % (late[-1] - late[0], rss[-5:]))


@test
def test_slice_svg_draws_the_latency_histogram_and_pprof_and_speedscope_carry_the_latency_line():
    minor, exe = versions()[-1]
    tmp = tempfile.mkdtemp(prefix="pyflame-slice-")
    files = dict((fmt, os.path.join(tmp, "slow." + fmt)) for fmt in ("svg", "pb.gz", "speedscope.json"))
    try:
        with Loaded(exe, 9, 0.12) as load:
            time.sleep(0.3)
            for path in files.values():
                profile(["-p", str(load.server.pid), "--mode", "wall", "-F", "999", "-d", "2.5", "--slice",
                         "do_GET", "-o", path])
            load.latencies_ms()
        with open(files["svg"]) as f:
            svg = f.read()
        with gzip.open(files["pb.gz"]) as f:
            pb = f.read()
        with open(files["speedscope.json"]) as f:
            doc = json.load(f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    hist = re.search(r'<g id="latency">(.*?)</g>', svg, re.S)
    check(hist, "no latency histogram in the SVG")
    slow, fast = hist.group(1).count('class="slow"'), hist.group(1).count('class="fast"')
    print("  %s: %d slow and %d fast bars, threshold %s; speedscope: %r" %
          (minor, slow, fast, 'id="threshold"' in svg, doc["name"]), flush=True)
    check(slow and fast and 'id="threshold"' in hist.group(1), "bars %d slow, %d fast; threshold line %s" %
          (slow, fast, 'id="threshold"' in svg))
    check("do_GET latency: " in hist.group(1) and "slower than p90" in hist.group(1), "label: %r" % hist.group(1)[:300])
    check(svg.index('id="latency"') < svg.index('id="frames"'), "the histogram is not above the graph")
    check("slow_path (slow_requests.py:" in svg, "no slow_path frame in the graph")
    line = re.compile(br"do_GET: \d+ invocations seen, \d+ resolved: p50 [\d.]+ (us|ms|s), p90 ")
    check(line.search(pb), "no latency line among the pprof strings (its comment)")
    check(line.search(doc["name"].encode()), "speedscope's name is not the latency line: %r" % doc["name"])


@test
def test_slice_with_interval_writes_each_windows_slow_invocations():
    minor, exe = versions()[-1]
    tmp = tempfile.mkdtemp(prefix="pyflame-slice-windows-")
    try:
        with Loaded(exe, 8, 0.12) as load:
            time.sleep(0.3)
            run = profile(["-p", str(load.server.pid), "--mode", "wall", "-F", "999", "-d", "6.5", "--slice",
                           "do_GET", "--interval", "3", "-o", os.path.join(tmp, "w-%H%M%S.folded")])
            load.latencies_ms()
        files = sorted(os.listdir(tmp))
        windows = []
        for name in files:
            with open(os.path.join(tmp, name)) as f:
                windows.append(lib.parse_folded(f.read()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = SUMMARY.findall(run.err)
    print("  %s: %d files, %d latency lines, slow_path %s" %
          (minor, len(files), len(lines), ["%.0f%%" % (100 * share(w, "slow_path")) for w in windows]), flush=True)
    check(len(files) == 3 and len(lines) == 3, "windows: %r, latency lines %r" % (files, lines))
    check(all(share(w, "slow_path") >= 0.8 for w in windows[:2]), "a full window without the slow requests")


@test
def test_slice_in_cpu_mode_and_over_two_servers_counts_every_invocation_of_both():
    # Two servers profiled at once: invocations are per thread, the percentiles over all of them. In --mode cpu
    # only on-CPU samples are seen: each stack still starts at do_GET.
    minor, exe = versions()[-1]
    with Loaded(exe, 6, 0.12) as a, Loaded(exe, 6, 0.12) as b:
        time.sleep(0.3)
        both = profile(["-p", "%d,%d" % (a.server.pid, b.server.pid), "--mode", "wall", "-F", "999", "-d", "4.5",
                        "--slice", "do_GET", "--slower-than", "0ns"])
        ca, cb = a.latencies_ms(), b.latencies_ms()
    seen, resolved, _, _ = summary(both.err)
    pids = set(int(re.match(r"^.+ \((\d+)\)$", f[0]).group(1)) for f, _ in both.stacks)
    print("  %s: two servers: %d invocations seen (%d resolved) of %d + %d requests, roots of PIDs %r" %
          (minor, seen, resolved, len(ca), len(cb), sorted(pids)), flush=True)
    check(pids == set([a.server.pid, b.server.pid]), "processes in the slice: %r" % sorted(pids))
    check(seen >= 0.6 * (len(ca) + len(cb)) * 4.5 / 6, "%d invocations for %d requests" % (seen, len(ca) + len(cb)))
    with Loaded(exe, 4, 0.12) as load:
        time.sleep(0.3)
        cpu = profile(["-p", str(load.server.pid), "-F", "999", "-d", "3", "--slice", "do_GET", "--slower-than",
                       "0ns"])
        load.latencies_ms()
    summary(cpu.err)
    off = [f for f, _ in cpu.stacks if not re.match(r"^(Handler\.)?do_GET \(", f[0])]
    print("  %s: --mode cpu: %d stacks, fast_path %.0f%%" % (minor, len(cpu.stacks), 100 * share(cpu.stacks,
                                                                                                  "fast_path")),
          flush=True)
    check(cpu.stacks and not off and share(cpu.stacks, "fast_path") > 0.2, "--mode cpu: %r" % cpu.stacks[:3])
