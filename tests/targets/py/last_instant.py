# Profiling target: code that runs only in a process's last instants. `cpu`: 0.5 s in Foo.run, then 0.03 s in
# Bar.run just before exit; `wall`: the same, sleeping (0.5 s, then 0.3 s); `threads N`: after `ready`, N threads
# each spinning in a function of its own, made at that moment, until SIGALRM kills the process under them.
#
# Usage: last_instant.py cpu|wall|threads N
import signal
import sys
import threading
import time


def spin(seconds):
    deadline = time.time() + seconds
    n = 0
    while time.time() < deadline:
        n += 1  # LINE:spin
    return n


def wait(mode, seconds):
    if mode == "wall":
        time.sleep(seconds)
    else:
        spin(seconds)


class Foo(object):
    def run(self, mode):
        wait(mode, 0.5)  # LINE:foo


class Bar(object):
    def run(self, mode):
        wait(mode, 0.3 if mode == "wall" else 0.03)  # LINE:bar


def threads(n):
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    time.sleep(1.5)  # the profiler is attached and knows the interpreter by now
    # Killed by SIGALRM's default action 0.25 s from now, whoever holds the GIL: with N threads spinning, the main
    # thread could wait seconds for its turn to exit.
    signal.setitimer(signal.ITIMER_REAL, 0.25)
    if hasattr(sys, "setswitchinterval"):
        sys.setswitchinterval(0.0002)  # the GIL passed round quickly, so that many of the threads run
    funcs = []
    for i in range(n):
        # Code objects that did not exist a moment before the exit.
        source = "def thread_fn_%d(spin):\n    while True:\n        spin(0.01)\n" % i
        scope = {}
        exec(compile(source, "<thread_fn_%d>" % i, "exec"), scope)
        funcs.append(scope["thread_fn_%d" % i])
    for fn in funcs:
        t = threading.Thread(target=fn, args=(spin,))
        t.daemon = True
        t.start()
    time.sleep(10)


def main():
    if sys.argv[1:2] == ["threads"]:
        threads(int(sys.argv[2]))
    Foo().run(sys.argv[1])
    Bar().run(sys.argv[1])


main()
