# GIL target: four threads computing in spin (three of them always wait for the GIL), or with `release`, one
# thread hashing in C with the GIL released (hash_outside_gil) beside one computing in Python (python_holder).
# Usage: gil_threads.py [contend|release]
import hashlib
import sys
import threading


def spin():
    acc = 0
    while True:
        for i in range(20000):
            acc = (acc * 31 + i) % 65521


def python_holder():
    spin()


def hash_outside_gil():
    data = b"x" * (8 << 20)  # hashlib lets go of the GIL for inputs this large
    while True:
        hashlib.sha256(data).digest()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "contend"
    workers = [spin] * 4 if mode == "contend" else [python_holder, hash_outside_gil]
    for fn in workers:
        t = threading.Thread(target=fn)
        t.daemon = True
        t.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    threading.Event().wait(3600)


main()
