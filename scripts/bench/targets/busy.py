# Benchmark target: N threads, each spinning in a pure Python loop (they share the GIL), forever; prints "ready".
# Usage: busy.py N
import sys
import threading

try:
    range = xrange  # Python 2
except NameError:
    pass


def spin(go):
    go.wait()
    acc = 0
    while True:
        for i in range(10000):
            acc = (acc * 31 + i) % 65521


def main():
    # Every thread waits for the last one to start: starting a thread while others spin waits for the GIL each time.
    go = threading.Event()
    for _ in range(int(sys.argv[1])):
        t = threading.Thread(target=spin, args=(go,))
        t.daemon = True
        t.start()
    go.set()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    threading.Event().wait()


if __name__ == "__main__":
    main()
