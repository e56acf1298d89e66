# Profiling target: burns CPU in hot_three and cold_one in a 3:1 ratio by construction.
#
# Both functions run the same loop body, hot_three for three times as many
# iterations, and they alternate many times a second, so the ratio holds
# whatever the CPU speed or its drift. Usage: ratio.py [SECONDS] (default: forever).
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

# Iterations in one work unit: a fraction of a millisecond, so one hot/cold
# round is far shorter than a sampling period and no phase can alias.
UNIT = 5000


def hot_three():
    acc = 0
    for i in range(3 * UNIT):
        acc = (acc * 31 + i) % 65521  # LINE:hot_three
    return acc


def cold_one():
    acc = 0
    for i in range(UNIT):
        acc = (acc * 31 + i) % 65521  # LINE:cold_one
    return acc


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    hot_three()
    cold_one()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while deadline is None or time.time() < deadline:
        hot_three()
        cold_one()
    return 0


if __name__ == "__main__":
    sys.exit(main())
