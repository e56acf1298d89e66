# Profiling target: busy in short_lived for argv[1] seconds, then exits 0 while the profiler may still be attached.
#
# Usage: exit_early.py SECONDS
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

CHUNK = 10000


def short_lived(seconds):
    deadline = time.time() + seconds
    acc = 0
    while time.time() < deadline:
        for i in range(CHUNK):
            acc = (acc * 31 + i) % 65521  # LINE:short_lived
    return acc


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: exit_early.py SECONDS\n")
        return 2
    seconds = float(sys.argv[1])
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    short_lived(seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
