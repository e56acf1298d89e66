# Profiling target: recurse(n) goes 120 frames deep, then spins in the leaf function spin.
#
# The stack while spinning, root first: <module>, main, 119 frames of recurse
# on the line tagged recurse, one recurse on the line tagged leaf, then spin
# on the line tagged spin.
# Usage: recursion.py [SECONDS] (default: forever).
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

DEPTH = 120


def spin(deadline):
    acc = 0
    while deadline is None or time.time() < deadline:
        for i in range(20000):
            acc = (acc * 31 + i) % 65521  # LINE:spin
    return acc


def recurse(n, deadline):
    if n > 1:
        return recurse(n - 1, deadline)  # LINE:recurse
    # The whole depth is on the stack from here on: the steady state.
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    return spin(deadline)  # LINE:leaf


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    recurse(DEPTH, deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
