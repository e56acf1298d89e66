# Context-switch target: two threads hand a token back and forth through pipes (two switches per round trip,
# GIL released while blocked). Usage: pingpong.py [SECONDS [go]] (default: forever). With `go` it waits for a line
# on stdin after `ready` before it starts counting. Prints the round trips at the end.
import os
import sys
import threading
import time


def echo(r, w):
    while True:
        if not os.read(r, 1):
            return
        os.write(w, b"x")


def ping(r, w, deadline):
    n = 0
    while deadline is None or time.time() < deadline:
        os.write(w, b"x")
        os.read(r, 1)
        n += 1
    return n


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    a_r, a_w = os.pipe()
    b_r, b_w = os.pipe()
    t = threading.Thread(target=echo, args=(a_r, b_w))
    t.daemon = True
    t.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if len(sys.argv) > 2 and sys.argv[2] == "go":
        sys.stdin.readline()
        deadline = time.time() + float(sys.argv[1])
    n = ping(b_r, a_w, deadline)
    sys.stdout.write("round trips %d\n" % n)
    sys.stdout.flush()


main()
