# Benchmark target: recurses to a given depth (the <module> frame counts as one), prints "ready", then spins in the leaf.
# Usage: deep.py DEPTH
import sys

sys.setrecursionlimit(10000)


def rec(n):
    if n <= 1:
        print("ready")
        sys.stdout.flush()
        while True:
            pass
    rec(n - 1)


rec(int(sys.argv[1]) - 1)
