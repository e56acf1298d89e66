# Profiling target: spins in phase_one, then in phase_two after the first line on stdin, then in phase_three after
# the second, and exits at the third (or at EOF). Prints `ready`, then `phase N` as each phase begins.
# Usage: phases.py
import sys
import threading
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

phase = [1]


def read_commands():
    for _ in sys.stdin:
        phase[0] += 1
    phase[0] = 4


def spin_while(n):
    acc = 0
    while phase[0] == n:
        for i in range(2000):
            acc = (acc * 31 + i) % 65521
        time.sleep(0.0005)
    return acc


def phase_one():
    spin_while(1)  # LINE:phase_one


def phase_two():
    spin_while(2)  # LINE:phase_two


def phase_three():
    spin_while(3)  # LINE:phase_three


def main():
    reader = threading.Thread(target=read_commands)
    reader.daemon = True
    reader.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for n, fn in ((1, phase_one), (2, phase_two), (3, phase_three)):
        if phase[0] == n:
            sys.stdout.write("phase %d\n" % n)
            sys.stdout.flush()
            fn()


if __name__ == "__main__":
    main()
