# Profiling target for scale tests: N threads named w0..w<N-1> (kernel comm too), each busy hashing now and then, while the whole process uses about one CPU or less.
#
# Threads are created and named, `ready` is printed, and the work starts when a
# line is read from stdin (so a profiler can attach first):
#   relay N ROUNDS      the threads take turns: each one hashes for BURST_MS of
#                       its own CPU time, then wakes the next; after ROUNDS
#                       rounds the process exits. Every thread is certainly on a
#                       CPU for several sampling periods, one at a time.
#   duty N SECONDS MS CPUS
#                       every thread hashes for MS ms of CPU time every
#                       N * MS / 1000 / CPUS seconds (CPUS processors' worth in
#                       all, say 1/64 each for 64 processes), for SECONDS, then
#                       the process exits.
# At exit it prints `cpu SECONDS`: the CPU time all its threads used since the
# start line (CLOCK_PROCESS_CPUTIME_ID), what a sampler at F Hz sees F times.
# The hashing runs in OpenSSL with the GIL released, under the Python frame
# burst(); small stacks keep 1000 threads cheap.
import ctypes
import hashlib
import sys
import threading
import time

CHUNK = b"x" * (64 * 1024)
BURST_MS = 4


def set_comm(name):
    libc = ctypes.CDLL(None)
    zero = ctypes.c_ulong(0)
    libc.prctl(15, ctypes.c_char_p(name.encode("ascii")), zero, zero, zero)


def burst(h, ms):
    """Hashes until this thread has used ms milliseconds of CPU."""
    end = time.thread_time() + ms / 1000.0
    while time.thread_time() < end:
        h.update(CHUNK)  # LINE:hash


def work_relay(i, mine, nxt, rounds, named):
    set_comm("w%d" % i)
    named.release()
    h = hashlib.sha256()
    for _ in range(rounds):
        mine.wait()
        mine.clear()
        burst(h, BURST_MS)
        nxt.set()


def work_duty(i, n, go, seconds, ms, period, named):
    set_comm("w%d" % i)
    named.release()
    h = hashlib.sha256()
    go.wait()
    deadline = time.time() + seconds
    # Threads start their bursts spread over the period, so they do not all run at once.
    time.sleep(period * i / n)
    while time.time() < deadline:
        burst(h, ms)
        time.sleep(period)


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    threading.stack_size(256 * 1024)
    named = threading.Semaphore(0)
    threads = []
    if mode == "relay":
        rounds = int(sys.argv[3])
        events = [threading.Event() for _ in range(n)]
        for i in range(n):
            nxt = events[(i + 1) % n]  # the last thread wakes the first for the next round
            threads.append(threading.Thread(target=work_relay, args=(i, events[i], nxt, rounds, named),
                                            name="w%d" % i))  # the same name for the kernel and for Python
    else:
        seconds, ms, cpus = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
        go = threading.Event()
        period = n * ms / 1000.0 / cpus
        for i in range(n):
            threads.append(threading.Thread(target=work_duty, args=(i, n, go, seconds, ms, period, named),
                                            name="w%d" % i))
    for t in threads:
        t.daemon = True
        t.start()
    for _ in range(n):
        named.acquire()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    cpu = time.process_time()
    (events[0] if mode == "relay" else go).set()
    for t in threads:
        t.join()
    sys.stdout.write("cpu %.6f\n" % (time.process_time() - cpu))
    return 0


if __name__ == "__main__":
    sys.exit(main())
