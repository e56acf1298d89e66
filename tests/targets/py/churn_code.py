# Profiling target: compiles, runs and drops a fresh function gen_<i> in a loop, so freed code objects' addresses are reused by code with another name.
#
# Each gen_<i> is compiled from its own source text under the file name
# "<gen_i>" and runs for about a millisecond; it is then deleted, which frees
# its code object at once (no cycle is left for the garbage collector), and
# the next compile tends to get the same memory back. A profiler that keys
# anything on a code object's address alone will name frames wrongly here.
#
# So that a test can tell a frame assembled from two different code objects,
# gen_<i>'s source starts with i % 7 blank lines: its hot line is line
# 4 + i % 7 of "<gen_i>", i.e. a frame reads `gen_I (<gen_I>:L)` with the
# same I twice and L == 4 + I % 7.
# Usage: churn_code.py [SECONDS] (default: forever).
import sys
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

SPIN = 20000  # iterations in one gen_<i> call

TEMPLATE = """def gen_{i}(n):
    acc = 0
    for k in range(n):
        acc = (acc * 31 + k + {i}) % 65521
    return acc
"""


def hot_line_of(i):
    """Line of gen_<i>'s loop body in its own "<gen_i>" file."""
    return 4 + i % 7


def churn_once(i):
    source = "\n" * (i % 7) + TEMPLATE.format(i=i)
    namespace = {"range": range}
    exec(compile(source, "<gen_%d>" % i, "exec"), namespace)
    result = namespace["gen_%d" % i](SPIN)  # LINE:call_gen
    # The function and its globals refer to each other: break the cycle so
    # the code object is freed now, not at some later collection.
    namespace.clear()
    return result


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    i = 0
    while i < 10:
        churn_once(i)
        i += 1
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while deadline is None or time.time() < deadline:
        churn_once(i)
        i += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
