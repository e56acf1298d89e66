# Profiling target: spins in the function STAGE (stage_one or stage_two) for SECONDS, then exec()s PROGRAM ARGS if
# given (the same PID runs another program: another Python, a native program), else exits. Prints `ready` first;
# with --wait, then waits for a line on stdin before it starts.
# Usage: exec_stages.py [--wait] STAGE SECONDS [PROGRAM ARGS...]
import os
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass


def spin(seconds):
    acc, until = 0, time.time() + seconds
    while time.time() < until:
        for i in range(2000):
            acc = (acc * 31 + i) % 65521
    return acc


def stage_one(seconds):
    spin(seconds)  # LINE:stage_one


def stage_two(seconds):
    spin(seconds)  # LINE:stage_two


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if args[0] == "--wait":
        sys.stdin.readline()
        args = args[1:]
    {"stage_one": stage_one, "stage_two": stage_two}[args[0]](float(args[1]))
    if len(args) > 2:
        os.execv(args[2], args[2:])
