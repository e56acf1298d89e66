# Profiling target: forks a child that spins in first_life for SECONDS and exits; once it is reaped, forks again with
# the same PID (set through /proc/sys/kernel/ns_last_pid, root only; retried while other processes take it) and
# that child exec()s PROGRAM ARGS. Prints `ready` and waits for a line on stdin before it starts; then prints
# `first PID`, then `second PID` (or `second-missed PID`), and waits for the second child.
# Usage: pid_reuse.py SECONDS PROGRAM [ARGS...]
import os
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass


def first_life(seconds):
    acc, until = 0, time.time() + seconds
    while time.time() < until:
        for i in range(2000):
            acc = (acc * 31 + i) % 65521  # LINE:first_life
    return acc


def fork_with_pid(want, argv):
    """A child with PID want that exec()s argv, or None after many tries."""
    for _ in range(200):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(want - 1))
        pid = os.fork()
        if pid == 0:
            if os.getpid() == want:
                os.execv(argv[0], argv)
            os._exit(0)
        if pid == want:
            return pid
        os.waitpid(pid, 0)
    return None


def main():
    seconds, argv = float(sys.argv[1]), sys.argv[2:]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    first = os.fork()
    if first == 0:
        try:
            first_life(seconds)
        finally:
            os._exit(0)
    sys.stdout.write("first %d\n" % first)
    sys.stdout.flush()
    os.waitpid(first, 0)
    second = fork_with_pid(first, argv)
    sys.stdout.write(("second %d\n" % second) if second else "second-missed %d\n" % first)
    sys.stdout.flush()
    if second:
        os.waitpid(second, 0)


if __name__ == "__main__":
    main()
