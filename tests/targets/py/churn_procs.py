# Profiling target: a parent that starts RATE short-lived Python children a second for SECONDS. A child spins in
# child_work for 20 ms and exits. MODE fork: children are os.fork() copies; exec: each is a new interpreter
# (fork + exec of this script); mixed: alternately. Prints `ready` when it starts, `spawned N` at the end.
# Usage: churn_procs.py RATE SECONDS MODE | churn_procs.py --child
import os
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass


def child_work():
    acc, until = 0, time.time() + 0.02
    while time.time() < until:
        for i in range(500):
            acc = (acc * 31 + i) % 65521  # LINE:child_work
    return acc


def start_child(exec_it):
    pid = os.fork()
    if pid:
        return pid
    try:
        if exec_it:
            os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "--child"])
        child_work()
    finally:
        os._exit(0)


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except OSError:
            return
        if not pid:
            return


def parent(rate, seconds, mode):
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    n, start = 0, time.time()
    while time.time() - start < seconds:
        due = start + n / rate
        if time.time() < due:
            time.sleep(due - time.time())
        start_child(mode == "exec" or (mode == "mixed" and n % 2))
        n += 1
        reap()
    while True:
        try:
            os.wait()
        except OSError:
            break
    sys.stdout.write("spawned %d\n" % n)
    sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        child_work()
    else:
        parent(float(sys.argv[1]), float(sys.argv[2]), sys.argv[3])
