# -*- coding: utf-8 -*-
# Profiling target: threads with names of their own. `named`: ten threads "CustomThreadName-N" and the main one
# spin; `renamed`: a thread started as "OldName" spins and is renamed "NewName" 0.5 s after `ready`; `unicode`: a
# thread with a non-ASCII name spins; `short N`: N threads "short-lived-thread-K", one after another, each spinning
# 0.12 s.
#
# Usage: thread_names.py named|renamed|unicode|short N
import sys
import threading
import time

from spin import spin

UNICODE_NAME = u"r\u00e9seau-\u540d\u524d-\U0001f40d"  # réseau-名前-🐍


def forever():
    while True:
        spin(0.1)


def start(name):
    if sys.version_info[0] == 2 and not isinstance(name, str):
        name = name.encode("utf-8")  # 2.7's threading keeps names as byte strings
    t = threading.Thread(target=forever, name=name)
    t.daemon = True
    t.start()
    return t


def ready():
    sys.stdout.write("ready\n")
    sys.stdout.flush()


def main():
    mode = sys.argv[1]
    if mode == "named":
        for i in range(10):
            start("CustomThreadName-%d" % i)
        ready()
        forever()
    elif mode == "renamed":
        t = start("OldName")
        ready()
        time.sleep(0.5)
        t.name = "NewName"
        forever()
    elif mode == "unicode":
        start(UNICODE_NAME)
        ready()
        time.sleep(60)
    elif mode == "short":
        ready()
        time.sleep(0.5)
        for i in range(int(sys.argv[2])):
            t = threading.Thread(target=spin, args=(0.12,), name="short-lived-thread-%d" % i)
            t.start()
            t.join()
        time.sleep(60)


main()
