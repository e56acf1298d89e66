# Profiling target: a pre-fork master (as gunicorn's arbiter) that keeps WORKERS workers and re-forks the oldest
# one every PERIOD seconds. A new worker spins in first_steps for its first 0.2 s (the samples a profiler that finds
# children late would miss), then serves: 30 ms of work in serve, 70 ms asleep, until it is killed. The master
# spends 50 ms of each period in supervise. Prints `worker PID` for each fork, `ready` once the first ones run.
# Usage: prefork.py [WORKERS] [PERIOD] [SECONDS] (defaults 2, 1, forever).
import os
import signal
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


def first_steps():
    acc, until = 0, time.time() + 0.2
    while time.time() < until:
        for i in range(2000):
            acc = (acc * 31 + i) % 65521  # LINE:first_steps
    return acc


def serve():
    while True:
        spin(0.03)  # LINE:serve
        time.sleep(0.07)


try:
    import ctypes  # here, not in the worker: module code run once in a short-lived worker cannot be named

    LIBC = ctypes.CDLL(None, use_errno=True)
except (ImportError, OSError):
    LIBC = None


def die_with_master():
    """PR_SET_PDEATHSIG: a worker whose master is killed dies too, rather than serve forever."""
    if LIBC is not None:
        LIBC.prctl(1, 9, 0, 0, 0)


def worker():
    first_steps()
    serve()


def spawn():
    pid = os.fork()
    if pid == 0:
        try:
            die_with_master()
            worker()
        finally:
            os._exit(0)
    sys.stdout.write("worker %d\n" % pid)
    sys.stdout.flush()
    return pid


def supervise():
    spin(0.05)  # LINE:supervise


def arbiter(workers, period, seconds):
    pool = [spawn() for _ in range(workers)]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = time.time() + seconds if seconds else None
    try:
        while deadline is None or time.time() < deadline:
            supervise()
            time.sleep(max(0.0, period - 0.05))
            old = pool.pop(0)
            os.kill(old, signal.SIGKILL)
            os.waitpid(old, 0)
            pool.append(spawn())
    finally:
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:]]
    arbiter(int(args[0]) if args else 2, args[1] if len(args) > 1 else 1.0, args[2] if len(args) > 2 else 0)
