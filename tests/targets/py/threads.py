# Profiling target: four threads worker-a..worker-d, each busy in its own function work_a..work_d, while the main thread blocks in join.
#
# Each worker also copies its name into the kernel's thread name (comm), so a
# sampler that sees only the task can tell them apart too.
# Usage: threads.py [SECONDS] (default: forever).
import sys
import threading
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

CHUNK = 20000


def set_os_thread_name():
    """Best effort: PR_SET_NAME with the Python thread name (at most 15 bytes)."""
    try:
        import ctypes

        name = threading.current_thread().name.encode("ascii")[:15]
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_name = 15
        zero = ctypes.c_ulong(0)
        libc.prctl(pr_set_name, ctypes.c_char_p(name), zero, zero, zero)
    except (ImportError, OSError, AttributeError):
        pass


def work_a(deadline, started):
    set_os_thread_name()
    started.set()
    acc = 0
    while deadline is None or time.time() < deadline:
        for i in range(CHUNK):
            acc = (acc * 31 + i) % 65521  # LINE:work_a
    return acc


def work_b(deadline, started):
    set_os_thread_name()
    started.set()
    acc = 0
    while deadline is None or time.time() < deadline:
        for i in range(CHUNK):
            acc = (acc * 31 + i) % 65521  # LINE:work_b
    return acc


def work_c(deadline, started):
    set_os_thread_name()
    started.set()
    acc = 0
    while deadline is None or time.time() < deadline:
        for i in range(CHUNK):
            acc = (acc * 31 + i) % 65521  # LINE:work_c
    return acc


def work_d(deadline, started):
    set_os_thread_name()
    started.set()
    acc = 0
    while deadline is None or time.time() < deadline:
        for i in range(CHUNK):
            acc = (acc * 31 + i) % 65521  # LINE:work_d
    return acc


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    workers = []
    for suffix, work in (("a", work_a), ("b", work_b), ("c", work_c), ("d", work_d)):
        started = threading.Event()
        thread = threading.Thread(name="worker-" + suffix, target=work, args=(deadline, started))
        thread.daemon = True  # a killed run must not wait for the workers
        thread.start()
        workers.append((thread, started))
    for _, started in workers:
        started.wait()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for thread, _ in workers:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
