# Benchmark target: many distinct Python stacks. FUNCTIONS generated functions call each other in random order
# DEPTH deep, then spin briefly in the last one, over and over, so nearly every sample is a stack not seen before.
# Usage: stacks.py FUNCTIONS DEPTH
import random
import sys

try:
    range = xrange  # Python 2
except NameError:
    pass

SOURCE = """
def f_%d(d):
    if d:
        return FUNCS[randrange(N)](d - 1)
    acc = 0
    for i in range(40):
        acc = (acc * 31 + i) %% 65521
    return acc
"""


def main():
    n, depth = int(sys.argv[1]), int(sys.argv[2])
    scope = {"randrange": random.randrange, "N": n, "range": range}
    for i in range(n):
        exec(compile(SOURCE % i, "gen_%d.py" % (i % 50), "exec"), scope)  # 50 files, many functions each
    funcs = [scope["f_%d" % i] for i in range(n)]
    scope["FUNCS"] = funcs
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        funcs[random.randrange(n)](depth)


if __name__ == "__main__":
    main()
