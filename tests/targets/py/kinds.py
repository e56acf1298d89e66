# Profiling target: one thread rotating through the kinds of Python code a profiler must name, each for an equal slice of time.
#
# The kinds, with the function a frame should show (qualname on 3.11+) and
# the tag of its hot line:
#   method      Shape.area                                   method
#   nested      outer.<locals>.inner                         inner
#   lambda      <lambda>, called by call_lambda              lambda
#   generator   stream, consumed by consume                  generator
#   coroutine   crunch, in kinds_py3.py (3.7+)               coroutine
#   non-ASCII   berechne_gr(o-umlaut)(sharp s)e, in kinds_py3.py (3.x)
#                                                            nonascii
# This file stays ASCII so that Python 2 can parse it.
# Usage: kinds.py [SECONDS] (default: forever).
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

if sys.version_info[0] >= 3:
    sys.dont_write_bytecode = True  # leave no __pycache__ beside the targets
    import kinds_py3
else:
    kinds_py3 = None

# Seconds each kind runs in a turn: short, so a few seconds of sampling sees
# many turns of every kind. A turn is made of calls that last about CHUNK
# seconds each; the clock, not a calibration, ends the turn, so every kind
# gets the same time even when a calibration was disturbed.
SLICE = 0.02
CHUNK = 0.001
BATCH = 500  # generator iterations between two yields


class Shape(object):
    def __init__(self, width, height):
        self.width = width
        self.height = height

    def area(self, n):
        acc = 0
        for i in range(n):
            acc = (acc * self.width + i * self.height) % 65521  # LINE:method
        return acc


def outer(n):
    def inner(k):
        acc = 0
        for i in range(k):
            acc = (acc * 31 + i) % 65521  # LINE:inner
        return acc

    return inner(n)


# A long expression, so that most of call_lambda's time is inside the lambda.
mix = lambda x: ((((x * 31 + 7) % 65521 * 17 + (x >> 3)) % 65519 * 13 + (x ^ 0x5A5A)) % 65497 * 11 + x) % 65479  # LINE:lambda


def call_lambda(n):
    acc = 0
    for i in range(n):
        acc ^= mix(i)
    return acc


def stream(batches):
    acc = 0
    for _ in range(batches):
        for i in range(BATCH):
            acc = (acc * 31 + i) % 65521  # LINE:generator
        yield acc


def consume(batches):
    total = 0
    for value in stream(batches):
        total ^= value
    return total


_event_loop = None


def run_coroutine(n):
    global _event_loop
    if _event_loop is None:
        import asyncio

        _event_loop = asyncio.new_event_loop()
    return _event_loop.run_until_complete(kinds_py3.crunch(n))


def available_kinds():
    kinds = [Shape(3, 5).area, outer, call_lambda, consume]
    if sys.version_info >= (3, 7):
        kinds.append(run_coroutine)
    if kinds_py3 is not None:
        # Spelled with escapes: Python 2 must still parse this file.
        kinds.append(getattr(kinds_py3, "berechne_gr\u00f6\u00dfe"))
    return kinds


def timed(run, n):
    start = time.time()
    run(n)
    return time.time() - start


def calibrate(run):
    """The size for run that lasts about CHUNK seconds."""
    run(1)  # warm up first: imports, the event loop, specialisation
    n = 1
    while True:
        # The fastest of a few runs: one preempted run would make n, and the kind's own share of its turn, tiny.
        elapsed = min(timed(run, n) for _ in range(5))
        if elapsed >= CHUNK:
            return max(1, int(n * CHUNK / elapsed))
        n *= 2


def take_turn(run, n):
    end = time.time() + SLICE
    while time.time() < end:
        run(n)


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    turns = [(run, calibrate(run)) for run in available_kinds()]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while deadline is None or time.time() < deadline:
        for run, n in turns:
            take_turn(run, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
