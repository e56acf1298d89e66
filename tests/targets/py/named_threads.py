# Profiling target: three busy threads named through threading only (no prctl of its own), for the OS thread
# names CPython 3.14+ set from Thread.name (cut to 15 bytes on Linux).
# Usage: named_threads.py [SECONDS] (default: forever).
import sys
import threading
import time

NAMES = ["api-handler-1", "api-handler-2", "a-very-long-thread-name"]


def spin(deadline):
    acc = 0
    while deadline is None or time.time() < deadline:
        for i in range(2000):
            acc = (acc * 31 + i) % 65521


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    threads = [threading.Thread(target=spin, args=(deadline,), name=n) for n in NAMES]
    for t in threads:
        t.daemon = True
        t.start()
    print("ready")
    sys.stdout.flush()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
