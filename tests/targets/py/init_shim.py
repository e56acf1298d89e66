# Profiling target: spends its time in a class's __init__, called from make_widgets (3.13 runs it under a shim frame).
import sys


class Widget(object):
    def __init__(self, n):
        acc = 0
        for i in range(n):
            acc = (acc * 31 + i) % 65521  # LINE:init
        self.acc = acc


def make_widgets():
    while True:
        Widget(20000)  # LINE:call


if __name__ == "__main__":
    Widget(10)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    make_widgets()
