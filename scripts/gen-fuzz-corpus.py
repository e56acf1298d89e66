#!/usr/bin/env python3
# Writes the seed inputs of the fuzz harnesses under tests/fuzz/corpus/ from real data on this machine:
#   python_linetable, python_code, python_offsets  from every CPython under $PYENV_ROOT/versions and 3.14+ in the
#                       Debian unstable root of scripts/sid-root.sh (this same file,
#                       run by each interpreter with --dump, reads its own code objects through ctypes; the
#                       3.14 and 3.15 python_code seeds are also unit tests in tests/unit/python/test_python_code.c,
#                       which expect the names and lines SOURCE gives);
#   proc_maps           /proc/PID/maps of `cat` and of the system's python3;
#   kallsyms            an excerpt of /proc/kallsyms (with and without addresses);
#   reader_folded       profiles recorded by ./pyflame-bpf (plain, --threads, zstd, a diff), cut to a few KiB.
#
# Usage (as root, after `make` and `make targets`): scripts/gen-fuzz-corpus.py
# It replaces the seed files it writes (named seed-*) and leaves every other file (crash regressions) alone.
# The --dump part must stay valid Python 2.7.
from __future__ import print_function

import ctypes
import os
import struct
import sys

# Compiled under a made-up file name, so no path of the machine that generates the corpus ends up in it.
SOURCE_FILE = "app/handlers.py"
SOURCE = (
    "def handle(request):\n"
    "    total = 0\n"
    "    for item in request:\n"
    "        total += item\n" + "\n" * 300 +
    "    return total\n"
    "\n"
    "class Service(object):\n"
    "    def method(self, xs):\n"
    "        def inner(x):\n"
    "            return (x *\n"
    "                    2)\n"
    "        try:\n"
    "            return [inner(x) for x in xs]\n"
    "        except ValueError:\n"
    "            return None\n"
    "\n"
    "square = lambda v: v * v\n"
)
# str objects of every kind the reader decodes: 1-byte non-ASCII, 2-byte and 4-byte characters (Python 3 only).
SOURCE_PY3 = (
    "def caf\u00e9(n):\n"
    "    return n + 1\n"
    "def \u95a2\u6570(n):\n"
    "    return n - 1\n"
    "def \U00010400(n):\n"
    "    return n * 3\n"
)
DEBUG_OFFSETS_READ = 2048  # PY_DEBUG_OFFSETS_READ (user/python/python_offsets.h): what discovery reads at _PyRuntime


def functions():
    """(label, code object) of the functions compiled from SOURCE (and SOURCE_PY3)."""
    ns = {}
    src = SOURCE + (SOURCE_PY3 if sys.version_info[0] >= 3 else "")
    exec(compile(src, SOURCE_FILE, "exec"), ns)
    found = [("handle", ns["handle"].__code__), ("method", ns["Service"].method.__code__),
             ("lambda", ns["square"].__code__)]
    for const in ns["Service"].method.__code__.co_consts:
        if hasattr(const, "co_name") and const.co_name == "inner":
            found.append(("inner", const))
    if sys.version_info[0] >= 3:
        found += [("latin1", ns["caf\u00e9"].__code__), ("ucs2", ns["\u95a2\u6570"].__code__),
                  ("ucs4", ns["\U00010400"].__code__)]
    return found


def linetable(code):
    return code.co_linetable if hasattr(code, "co_linetable") else code.co_lnotab


def segment(addr, size):
    return struct.pack("<QH", addr, size) + ctypes.string_at(addr, size)


def runtime_address():
    """Address of _PyRuntime (3.13+: it starts with _Py_DebugOffsets), or 0."""
    if sys.version_info[:2] < (3, 13):
        return 0
    return ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))


def dump(out):
    version = sys.version_info[0] << 8 | sys.version_info[1]
    tag = "%d.%d" % sys.version_info[:2]
    runtime = runtime_address()
    for d in ("python_linetable", "python_code", "python_offsets"):
        if not os.path.isdir(os.path.join(out, d)):
            os.makedirs(os.path.join(out, d))
    for label, code in functions():
        # python_linetable: u16 version, i32 co_firstlineno, i32 byte offset, the table.
        with open(os.path.join(out, "python_linetable", "seed-%s-%s" % (tag, label)), "wb") as f:
            f.write(struct.pack("<Hii", version, code.co_firstlineno, 6) + linetable(code))
        # python_code: u16 version, u64 _PyRuntime, u64 code object, two i32 instructions, then segments of memory:
        # the code object, its type and the type's name, its names, file and line table, and _PyRuntime's start.
        code_type = type(code)
        tp_name = ctypes.c_void_p.from_address(id(code_type) + 24).value
        image = segment(id(code), max(sys.getsizeof(code), 160)) + segment(id(code_type), 64) + segment(tp_name, 5)
        objects = [code.co_name, getattr(code, "co_qualname", None), code.co_filename, linetable(code)]
        for obj in objects:
            if obj is not None:  # the reader reads a str's longest header (and peeks 128 bytes) even for a short one
                image += segment(id(obj), max(sys.getsizeof(obj), 128))
        if runtime:
            image += segment(runtime, DEBUG_OFFSETS_READ)
        with open(os.path.join(out, "python_code", "seed-%s-%s" % (tag, label)), "wb") as f:
            f.write(struct.pack("<HQQii", version, runtime, id(code), 0, 4) + image)
    if runtime:
        with open(os.path.join(out, "python_offsets", "seed-%s" % tag), "wb") as f:
            f.write(ctypes.string_at(runtime, DEBUG_OFFSETS_READ))


def main():
    import glob
    import re
    import subprocess
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    corpus = os.path.join(root, "tests", "fuzz", "corpus")
    pyflame = os.path.join(root, "pyflame-bpf")

    def write(name, label, data):
        d = os.path.join(corpus, name)
        if not os.path.isdir(d):
            os.makedirs(d)
        with open(os.path.join(d, "seed-" + label), "wb") as f:
            f.write(data)

    for old in glob.glob(os.path.join(corpus, "*", "seed-*")):
        os.unlink(old)

    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for exe in sorted(glob.glob(os.path.join(pyenv, "versions", "*", "bin", "python[23].*"))):
        if re.search(r"/versions/\d+\.\d+\.\d+/bin/python\d\.\d+$", exe):
            subprocess.check_call([exe, os.path.abspath(__file__), "--dump", corpus])
            print("dumped code objects of", exe)

    # 3.14+ are Debian unstable's, run in the root of scripts/sid-root.sh: the dump is written inside it, then moved.
    sid = subprocess.run([os.path.join(root, "scripts", "sid-root.sh")], stdout=subprocess.PIPE).stdout.decode().strip()
    sid_versions = subprocess.run([os.path.join(root, "scripts", "sid-root.sh"), "--versions"],
                                  stdout=subprocess.PIPE).stdout.decode().split()
    for minor in sid_versions:
        if not sid or not os.path.exists(os.path.join(sid, "usr", "bin", "python" + minor)):
            print("skipped %s: no Debian unstable root with it" % minor)
            continue
        inside = tempfile.mkdtemp(dir=os.path.join(sid, "tmp"))
        import shutil
        shutil.copy(os.path.abspath(__file__), inside)
        rel = inside[len(sid):]
        subprocess.check_call(["chroot", sid, "/usr/bin/python" + minor, rel + "/" + os.path.basename(__file__),
                               "--dump", rel + "/corpus"])
        for dirpath, _, files in os.walk(os.path.join(inside, "corpus")):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as f:
                    write(os.path.basename(dirpath), name[len("seed-"):], f.read())
        shutil.rmtree(inside)
        print("dumped code objects of python%s in %s" % (minor, sid))

    maps = subprocess.check_output(["cat", "/proc/self/maps"])
    write("proc_maps", "cat", maps)
    if os.path.exists("/usr/bin/python3"):
        write("proc_maps", "python3", subprocess.check_output(
            ["/usr/bin/python3", "-c", "import sys, zlib, json; sys.stdout.write(open('/proc/self/maps').read())"]))

    with open("/proc/kallsyms", "rb") as f:
        lines = f.read().splitlines(True)
    excerpt = lines[:40] + [l for l in lines if b"\t[" in l][:40] + [l for l in lines if b" W " in l][:10]
    write("kallsyms", "excerpt", b"".join(excerpt))
    write("kallsyms", "hidden", b"".join(b"0000000000000000" + l[16:] for l in excerpt[:20]))

    # Profiles our writer made: a Python target (threads, Python and native frames), and a native one (kernel frames).
    py = sorted(glob.glob(os.path.join(pyenv, "versions", "3.12.*", "bin", "python3.12")))
    targets = [[py[0], os.path.join(root, "tests", "targets", "py", "threads.py")]] if py else []
    targets.append([os.path.join(root, "build", "targets", "syscalls")])
    tmp = tempfile.mkdtemp()
    saved = []
    for i, argv in enumerate(targets):
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        while p.stdout.readline().strip() != b"ready":
            pass
        for extra in ([], ["--threads"]):
            path = os.path.join(tmp, "%d%s.folded" % (i, "-threads" if extra else ""))
            subprocess.check_call([pyflame, "-p", str(p.pid), "-d", "1", "-q", "-o", path] + extra)
            saved.append(path)
        p.kill()
        p.wait()
    for path in saved:
        text = b""
        with open(path, "rb") as f:
            for line in f:
                if len(text) + len(line) > 4096:  # a few KiB
                    break
                text += line
        with open(path, "wb") as f:
            f.write(text)
        write("reader_folded", os.path.basename(path), text)
    zst = os.path.join(tmp, "profile.folded.zst")
    subprocess.check_call([pyflame, "report", saved[0], "-o", zst])
    with open(zst, "rb") as f:
        write("reader_folded", "zstd", f.read())
    diff = subprocess.check_output([pyflame, "diff", saved[0], saved[1], "--format", "folded"])
    write("reader_folded", "diff", diff)
    for path in saved + [zst]:
        os.unlink(path)
    os.rmdir(tmp)
    for name in sorted(os.listdir(corpus)):
        files = os.listdir(os.path.join(corpus, name))
        print("%-18s %3d files" % (name, len(files)))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        dump(sys.argv[2])
    else:
        main()
