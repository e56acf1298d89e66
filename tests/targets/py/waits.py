# Off-CPU target: threads that wait in different ways, each in a function named after its wait.
#   fetch_slow      requests from a peer process that answers each after 300 ms (TCP on loopback)
#   blocked_forever acquires a lock the main thread holds for ever (blocked for the whole recording)
#   queue_waiter    waits on a queue nobody fills (idle: waiting for work)
#   select_waiter   waits in select() on a socket nobody writes (idle: an event loop with nothing to do)
#   main_sleeper    the main thread, sleeping 50 ms at a time
# Usage: waits.py
import os
import select
import socket
import sys
import threading
import time

try:
    import queue
except ImportError:  # Python 2
    import Queue as queue

REPLY_DELAY = 0.3


def serve(listener):
    """The peer (a forked child, not profiled): answers each 1-byte request after REPLY_DELAY."""
    conn, _ = listener.accept()
    while True:
        if not conn.recv(1):
            os._exit(0)
        time.sleep(REPLY_DELAY)
        conn.sendall(b"x")


def fetch_slow(sock):
    while True:
        sock.sendall(b"?")
        if not sock.recv(1):
            return


def blocked_forever(lock):
    lock.acquire()


def queue_waiter(q):
    q.get()


def select_waiter(sock):
    select.select([sock], [], [])


def main_sleeper():
    while True:
        time.sleep(0.05)


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    if os.fork() == 0:
        serve(listener)
    client = socket.create_connection(listener.getsockname())
    listener.close()
    held = threading.Lock()
    held.acquire()
    quiet_a, quiet_b = socket.socketpair()
    for fn, arg in ((fetch_slow, client), (blocked_forever, held), (queue_waiter, queue.Queue()),
                    (select_waiter, quiet_a)):
        t = threading.Thread(target=fn, args=(arg,))
        t.daemon = True
        t.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    main_sleeper()


main()
