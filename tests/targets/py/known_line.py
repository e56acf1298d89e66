# Profiling target: hot_loop spends nearly all its time on one source line, tagged hot.
#
# Usage: known_line.py [SECONDS] (default: forever).
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

CHUNK = 20000


def hot_loop(deadline):
    x = 1
    while deadline is None or time.time() < deadline:
        for i in range(CHUNK):
            x = (x * 1103515245 + 12345 + i) % 2147483648 ^ (x >> 7)  # LINE:hot
    return x


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    hot_loop(deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
