# Wall-clock target: the main thread sleeps in idle_sleeper, a second thread computes in busy_worker; each thread
# is half of the process's wall-clock time.
# Usage: wall_sleeper.py [SECONDS] (default: forever).
import sys
import threading
import time


def busy_worker(deadline):
    acc = 0
    while deadline is None or time.time() < deadline:
        for i in range(20000):
            acc = (acc * 31 + i) % 65521
    return acc


def idle_sleeper(deadline):
    while deadline is None or time.time() < deadline:
        time.sleep(0.05)


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    worker = threading.Thread(target=busy_worker, args=(deadline,))
    worker.daemon = True
    worker.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    idle_sleeper(deadline)


main()
