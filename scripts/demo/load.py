# Demo load generator: sends a fixed mix of requests to the demo API on loopback for a given time, then prints one summary line.
#
# Usage: load.py PORT SECONDS [--threads N] [--max-requests N]
# Of ten requests, eight are /orders/<id>, one is /report and one /customers/<name>/history. It stops at the
# deadline, after --max-requests, or when the API stops answering, whichever
# comes first, and exits 1 if any request failed. Latencies are of the
# successful requests. Python 3.7+, standard library only.
import argparse
import http.client
import json
import math
import sys
import threading
import time

HOST = "127.0.0.1"  # loopback only, by design
REQUEST_TIMEOUT = 10.0
# Failures in a row after which the API is taken to be gone and the run ends.
GIVE_UP_AFTER = 20


def get(port, path):
    """Status and body of GET path on the API."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def path_for(n, order_count):
    if n % 10 == 9:
        return "/report"
    if n % 10 == 4:
        return "/customers/customer-%02d/history" % (n % 50)
    return "/orders/%d" % (n * 7919 % order_count + 1)


class Load(object):
    def __init__(self, port, order_count, deadline, max_requests):
        self.port = port
        self.order_count = order_count
        self.deadline = deadline
        self.max_requests = max_requests
        self.lock = threading.Lock()
        self.issued = 0
        self.errors = 0
        self.failures_in_a_row = 0
        self.latencies = []  # of the successful requests

    def next_number(self):
        with self.lock:
            if self.issued >= self.max_requests or time.monotonic() >= self.deadline:
                return None
            if self.failures_in_a_row >= GIVE_UP_AFTER:
                return None
            self.issued += 1
            return self.issued - 1

    def record(self, seconds, ok):
        with self.lock:
            if ok:
                self.latencies.append(seconds)
                self.failures_in_a_row = 0
            else:
                self.errors += 1
                self.failures_in_a_row += 1

    def run_worker(self):
        while True:
            n = self.next_number()
            if n is None:
                return
            start = time.monotonic()
            try:
                status, body = get(self.port, path_for(n, self.order_count))
                ok = status == 200 and body.startswith(b"{")
            except (OSError, http.client.HTTPException):
                ok = False
            self.record(time.monotonic() - start, ok)


def percentile_ms(sorted_seconds, p):
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_seconds:
        return 0.0
    rank = max(1, int(math.ceil(p / 100.0 * len(sorted_seconds))))
    return 1000.0 * sorted_seconds[rank - 1]


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Load the pyflame-bpf demo API on %s." % HOST)
    parser.add_argument("port", type=int, help="the API's port on %s" % HOST)
    parser.add_argument("seconds", type=float, help="how long to send requests")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--max-requests", type=int, default=100000, help="stop after this many (default 100000)")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error("port must be 1..65535")
    if not 0 < args.seconds <= 3600:
        parser.error("seconds must be in (0, 3600]")
    if not 1 <= args.threads <= 64:
        parser.error("--threads must be 1..64")
    if args.max_requests < 1:
        parser.error("--max-requests must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        status, body = get(args.port, "/health")
        order_count = json.loads(body.decode("utf-8"))["orders"] if status == 200 else 0
    except (OSError, http.client.HTTPException, ValueError, KeyError) as err:
        sys.stderr.write("load: no API on %s:%d: %s\n" % (HOST, args.port, err))
        return 1
    if order_count < 1:
        sys.stderr.write("load: API on %s:%d is not healthy\n" % (HOST, args.port))
        return 1
    load = Load(args.port, order_count, time.monotonic() + args.seconds, args.max_requests)
    workers = [threading.Thread(target=load.run_worker, daemon=True) for _ in range(args.threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        # A request in flight at the deadline may take up to its timeout.
        worker.join(args.seconds + REQUEST_TIMEOUT + 5)
    with load.lock:
        requests = load.issued
        errors = load.errors
        gave_up = load.failures_in_a_row >= GIVE_UP_AFTER
        latencies = sorted(load.latencies)
    if gave_up:
        sys.stderr.write("load: %d requests in a row failed, stopped early\n" % GIVE_UP_AFTER)
    print(
        "requests=%d errors=%d p50=%.1fms p90=%.1fms"
        % (requests, errors, percentile_ms(latencies, 50), percentile_ms(latencies, 90)),
        flush=True,
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
