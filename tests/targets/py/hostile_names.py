# Profiling target: functions, a file name and a thread name made of markup, separators, control characters and bytes that are not UTF-8, as a hostile process could name them.
#
# Python cannot spell these names in a `def`, so each function's code object
# is renamed after compiling: code.replace() from 3.8, the types.CodeType
# constructor before (its arguments differ: 2.7 has no co_kwonlyargcount).
# Every hostile function is compiled from one source under a file name
# holding `;`, a newline and an escape sequence, and spins on the line marked
# LINE:hot. A second thread renames its kernel thread (comm) the same way, and has a Python name like it.
#
# Usage: hostile_names.py [SECONDS] (default: forever).
import sys
import threading
import time
import types

try:
    range = xrange  # Python 2: iterate without building a list
except NameError:
    pass

PY2 = sys.version_info[0] == 2
CHUNK = 20000

SOURCE = """def spin(n):
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) % 65521  # LINE:hot
    return acc
"""
FILENAME = "hostile;dir\nname\x1b[31m.py"


# (label, name) pairs; labels are how the test refers to them.
NAMES = [
    ("script", "<script>alert(1)</script>"),
    ("attr", "\"'><img src=x onerror=alert(2)>&amp;"),
    ("cdata", "]]></title><script>document.title='pwned'</script><![CDATA["),
    ("separators", "semi;colon\nnew\rline\ttab\x7fdel"),
    ("long", "L" * 10000),
]
if PY2:
    NAMES.append(("bytes", "bad\xff\xfename\xc3"))  # a str of 2.7 is bytes: not UTF-8 at all
else:
    # Undecodable bytes reach a str as lone surrogates (surrogateescape); U+2028 and U+0085 end lines for some
    # readers (Python's splitlines, JavaScript).
    NAMES.append(("bytes", "bad\udcff\udcfename"))
    NAMES.append(("linesep", "line\u2028sep\u0085nel"))


def renamed(code, name):
    """The code object with co_name (and co_qualname) set to name."""
    if hasattr(code, "replace"):
        kw = {"co_name": name}
        if hasattr(code, "co_qualname"):
            kw["co_qualname"] = name
        return code.replace(**kw)
    args = [code.co_argcount]
    if not PY2:
        args.append(code.co_kwonlyargcount)
    args += [code.co_nlocals, code.co_stacksize, code.co_flags, code.co_code, code.co_consts, code.co_names,
             code.co_varnames, code.co_filename, name, code.co_firstlineno, code.co_lnotab, code.co_freevars,
             code.co_cellvars]
    return types.CodeType(*args)


def make_functions():
    module = compile(SOURCE, FILENAME, "exec")
    spin_code = [c for c in module.co_consts if isinstance(c, types.CodeType)][0]
    out = []
    for label, name in NAMES:
        out.append((label, name, types.FunctionType(renamed(spin_code, name), {"range": range})))
    return out


def set_comm(name):
    """PR_SET_NAME on the calling thread: the kernel keeps at most 15 bytes."""
    import ctypes
    libc = ctypes.CDLL(None)
    zero = ctypes.c_ulong(0)
    libc.prctl(15, ctypes.c_char_p(name), zero, zero, zero)


def named_thread(functions, deadline):
    set_comm(b"t;\n<b>\xff\xfe\x01")
    while deadline is None or time.time() < deadline:
        functions[0][2](CHUNK)



def main():
    deadline = time.time() + float(sys.argv[1]) if len(sys.argv) > 1 else None
    functions = make_functions()
    # Its Python name, which the thread root shows, reads as its comm does: invalid UTF-8 (2.7 names are bytes) or
    # U+FFFD, a newline, a ';', markup and a control character.
    name = b"t;\n<b>\xff\xfe\x01" if sys.version_info[0] == 2 else u"t;\n<b>\ufffd\ufffd\x01"
    t = threading.Thread(target=named_thread, args=(functions, deadline), name=name)
    t.daemon = True
    t.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while deadline is None or time.time() < deadline:
        for _, _, fn in functions:
            fn(CHUNK)
    return 0


if __name__ == "__main__":
    sys.exit(main())
