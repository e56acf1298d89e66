# Profiling target: forks N workers in turn, each living 0.2 s in a function made in the child just after the fork,
# then exiting; the parent waits for each and exits when all are done.
#
# Usage: short_workers.py N
import os
import sys
import time

from spin import spin


def main():
    n = int(sys.argv[1])
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    time.sleep(0.5)
    for i in range(n):
        pid = os.fork()
        if pid == 0:
            scope = {}
            exec(compile("def worker_%d(spin):\n    spin(0.2)\n" % i, "<worker_%d>" % i, "exec"), scope)
            scope["worker_%d" % i](spin)
            os._exit(0)
        os.waitpid(pid, 0)


main()
