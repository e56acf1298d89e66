# Profiling target: burns CPU in hot_three and cold_one in a 3:1 ratio by construction.
#
# Both functions run the same loop body, hot_three for three times as many
# iterations, and they alternate many times a second, so the ratio holds
# whatever the CPU speed or its drift. Each round's length is random, so the
# rounds cannot keep step with the sampling clock (a fixed round of, say,
# half a sampling period would put every sample in the same phase).
# Usage: ratio.py [SECONDS] (default: forever).
import random
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

# Iterations in one work unit: a fraction of a millisecond, drawn anew each round.
UNIT_MIN, UNIT_MAX = 2000, 8000


def hot_three(unit):
    acc = 0
    for i in range(3 * unit):
        acc = (acc * 31 + i) % 65521  # LINE:hot_three
    return acc


def cold_one(unit):
    acc = 0
    for i in range(unit):
        acc = (acc * 31 + i) % 65521  # LINE:cold_one
    return acc


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    hot_three(UNIT_MIN)
    cold_one(UNIT_MIN)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while deadline is None or time.time() < deadline:
        unit = random.randint(UNIT_MIN, UNIT_MAX)
        hot_three(unit)
        cold_one(unit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
