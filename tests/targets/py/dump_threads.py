# Profiling target for `dump`: one thread busy, one in time.sleep, one blocked in socket.recv, one waiting for a
# lock another holds (asleep), and one ticking at 1 kHz; each line read from stdin gets the tick count and the time
# printed back. `dump_threads.py tick`: the ticking thread alone (no busy thread taking the GIL from it).
import socket
import sys
import threading
import time

ticks = [0]


def busy_work():
    n = 0
    while True:
        n += 1  # LINE:busy


def sleepy():
    while True:
        time.sleep(10)  # LINE:sleep


def receiver(sock):
    sock.recv(10)  # LINE:recv


lock = threading.Lock()
held = threading.Event()


def holder():
    with lock:
        held.set()
        time.sleep(1000)  # LINE:hold


def waiter():
    with lock:  # LINE:wait
        pass


def tick():
    while True:
        time.sleep(0.001)
        ticks[0] += 1


def main():
    a, b = socket.socketpair()
    threads = ((busy_work, ()), (sleepy, ()), (receiver, (a,)), (holder, ()), (tick, ()))
    if sys.argv[1:] == ["tick"]:
        threads = ((tick, ()), (holder, ()))
    for fn, args in threads:
        t = threading.Thread(target=fn, args=args, name="%s thread" % fn.__name__)
        t.daemon = True
        t.start()
    held.wait()
    fn = waiter if sys.argv[1:] != ["tick"] else sleepy
    t = threading.Thread(target=fn, name="%s thread" % fn.__name__)
    t.daemon = True
    t.start()
    time.sleep(0.2)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for _ in iter(sys.stdin.readline, ""):
        sys.stdout.write("%d %.6f\n" % (ticks[0], time.time()))
        sys.stdout.flush()


main()
