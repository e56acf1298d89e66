# Benchmark target: a fixed amount of work, timed by the target itself, so a profiler's start-up and exit do not count.
#
# Usage: work.py cpu|syscall UNITS RESULT_FILE [SETTLE_SECONDS]
# cpu: pure Python arithmetic. syscall: the same arithmetic interleaved with reads of /dev/zero, about half of the
# time in the kernel (the result says how much). The target first sleeps SETTLE_SECONDS (default 0.3), so a
# profiler that attaches after the start (austin) is attached before the timed part begins, then writes
# "WALL_SECONDS USER_SECONDS SYSTEM_SECONDS" to RESULT_FILE (CPU times from getrusage: their sum is exact, the split
# between them is the kernel's estimate).
import os
import resource
import sys
import time

try:
    range = xrange  # Python 2
except NameError:
    pass

LOOP = 400          # arithmetic iterations per unit of cpu
SYSCALL_LOOP = 40   # per unit of syscall, beside one read of READ_SIZE bytes
READ_SIZE = 1 << 18  # zeroing 256 KiB takes about as long as SYSCALL_LOOP


def arithmetic(acc, n):
    for i in range(n):
        acc = (acc * 31 + i) % 65521
    return acc


def main():
    kind, units, result = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    settle = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
    fd = os.open("/dev/zero", os.O_RDONLY)
    time.sleep(settle)
    t0, c0 = time.time(), resource.getrusage(resource.RUSAGE_SELF)
    acc = 0
    if kind == "cpu":
        for _ in range(units):
            acc = arithmetic(acc, LOOP)
    else:
        buf = [bytearray(READ_SIZE)]  # read into one buffer: no allocation (and no mmap) per read
        for _ in range(units):
            acc = arithmetic(acc, SYSCALL_LOOP)
            os.readv(fd, buf)
    t1, c1 = time.time(), resource.getrusage(resource.RUSAGE_SELF)
    with open(result, "w") as f:
        f.write("%.6f %.6f %.6f\n" % (t1 - t0, c1.ru_utime - c0.ru_utime, c1.ru_stime - c0.ru_stime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
