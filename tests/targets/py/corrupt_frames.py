# Profiling target: three threads whose running frame's link to its caller is corrupted (ctypes), as a profiler may find it when memory changes under its walk.
#
# Each thread renames its kernel thread (comm) after its mode, then runs spin(),
# which rewrites its own frame's caller link and loops:
#   cycle     the link points at the frame itself: an endless chain
#   unmapped  the link points at address 0x10: the next read fails
#   garbage   the link points into a buffer of junk words, rewritten between
#             loops: pointers into the buffer itself, to a real and to
#             copied-then-scribbled code objects, to objects that are not code,
#             and random numbers (never 0)
# The link is f_back of the PyFrameObject up to 3.10, `previous` of the
# _PyInterpreterFrame from 3.11 (offsets as in CPython's frameobject.h and
# internal/pycore_frame.h of each version); the target checks them against the
# running frame and exits with an error if they do not match. spin() restores
# the link before it returns, and the garbage collector is off, so the
# interpreter itself never follows the bad link.
# Usage: corrupt_frames.py [SECONDS] (default: forever).
import ctypes
import gc
import random
import sys
import threading
import time

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

CHUNK = 20000
V = sys.version_info[:2]
WORD = ctypes.sizeof(ctypes.c_void_p)
F_BACK = 24  # PyFrameObject.f_back (2.7-3.10: after PyObject_VAR_HEAD)
F_FRAME = 24  # PyFrameObject.f_frame (3.11-3.15: after PyObject_HEAD and f_back)
# _PyInterpreterFrame: (offset of previous, offset of the code pointer) by version.
IFRAME = {(3, 11): (48, 32), (3, 12): (8, 0), (3, 13): (8, 0), (3, 14): (8, 0), (3, 15): (8, 0)}
# 3.14+: the code pointer is a _PyStackRef, its low bits a tag.
CODE_MASK = ~3 if V >= (3, 14) else ~0
STOP = []


def fail(why):
    sys.stderr.write(why + "\n")
    raise SystemExit(1)


def word(addr):
    return ctypes.c_void_p.from_address(addr)


def link_of(frame):
    """Address of the word that links frame to its caller, after checking the layout against the frame."""
    if V <= (3, 10):
        addr = id(frame) + F_BACK
        if word(addr).value != id(frame.f_back):
            fail("f_back is not at %d in this Python" % F_BACK)
        return addr
    if V not in IFRAME:
        fail("no _PyInterpreterFrame layout for %d.%d" % V)
    prev, code = IFRAME[V]
    iframe = word(id(frame) + F_FRAME).value
    caller = word(iframe + prev).value
    if ((word(iframe + code).value & CODE_MASK) != id(frame.f_code) or
            (word(caller + code).value & CODE_MASK) != id(frame.f_back.f_code)):
        fail("_PyInterpreterFrame layout of %d.%d does not match" % V)
    return iframe + prev


class Junk:
    """A buffer of junk words (see the header), none of them 0, rewritten by refill() while samplers read it."""

    def __init__(self, code, rng, words=512):
        self.code, self.rng, self.words = code, rng, words
        self.buf = ctypes.create_string_buffer(words * WORD)
        self.base = ctypes.addressof(self.buf)
        size = type(code).__basicsize__
        self.fakes = [ctypes.create_string_buffer(ctypes.string_at(id(code), size), size) for _ in range(4)]
        self.others = [id("not code"), id(self), id(rng), id(sys)]
        self.refill()

    def refill(self):
        rng, base = self.rng, self.base
        # Copies of the code object: refcount and type kept, every other word junk.
        for fake in self.fakes:
            for off in range(2 * WORD, len(fake) - WORD + 1, WORD):
                word(ctypes.addressof(fake) + off).value = self.junk_word(rng.random())
        for i in range(self.words):
            word(base + WORD * i).value = self.junk_word(rng.random())

    def junk_word(self, r):
        rng = self.rng
        if r < 0.3:
            return self.base + WORD * rng.randrange(self.words)
        if r < 0.45:
            return id(self.code)
        if r < 0.55:
            return ctypes.addressof(rng.choice(self.fakes))
        if r < 0.65:
            return rng.choice(self.others)
        if r < 0.8:
            return rng.randrange(1, 1 << 16)
        return rng.randrange(1, 1 << 63)


def spin(mode, ready):
    frame = sys._getframe()
    addr = link_of(frame)
    saved = word(addr).value
    if mode == "cycle":
        target = id(frame) if V <= (3, 10) else addr - IFRAME[V][0]
    elif mode == "unmapped":
        target = 0x10
    else:
        junk = Junk(spin.__code__, random.Random(7))
        target = junk.base
    word(addr).value = target
    ready.set()
    acc = 0
    while not STOP:
        for i in range(CHUNK):
            acc = (acc * 31 + i) % 65521  # LINE:spin
        if mode == "garbage":
            junk.refill()
    word(addr).value = saved
    return acc


def set_comm(name):
    libc = ctypes.CDLL(None)
    zero = ctypes.c_ulong(0)
    libc.prctl(15, ctypes.c_char_p(name.encode("ascii")), zero, zero, zero)


def run(mode, ready):
    set_comm(mode)
    spin(mode, ready)


def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    gc.disable()
    threads = []
    for mode in ("cycle", "unmapped", "garbage"):
        ready = threading.Event()
        t = threading.Thread(target=run, args=(mode, ready), name=mode)  # its root, by comm or Python name
        t.daemon = True
        t.start()
        while not ready.wait(0.1):
            if not t.is_alive():
                return 1  # the layout check failed: its message is on stderr
        threads.append(t)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while deadline is None or time.time() < deadline:
        time.sleep(0.1)
    STOP.append(1)
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
