"""How pyflame-bpf gets onto a host and runs there: --version, the static binary (also inside another distribution's
root), `make install`, and the Debian packages."""
import ctypes
import glob
import os
import platform
import re
import shutil
import struct
import subprocess
import tempfile

import lib
from lib import PLAIN_PYFLAME, PY_TARGETS, ROOT, STATIC_PYFLAME, TARGETS, Skip, Target, check, marked_line, test

RATIO = os.path.join(PY_TARGETS, "ratio.py")
CHAIN = os.path.join(TARGETS, "chain")
MAN_PAGE = os.path.join(ROOT, "docs", "pyflame-bpf.1")
VERSION_LINE = re.compile(r"^pyflame-bpf (\S+) \(commit (\S+), linked (dynamically|statically)\)$")


# A make started by a test is the test's own, not a part of the make that may have started the suite (-n, -j).
MAKE_ENV = dict((k, v) for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"))


def run(argv, **kw):
    if argv[0] == "make":
        kw.setdefault("env", MAKE_ENV)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def makefile_version():
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
        return re.search(r"^VERSION := (\S+)$", f.read(), re.M).group(1)


def deb_arch():
    return subprocess.check_output(["dpkg", "--print-architecture"]).decode().strip()


def static_binary():
    if not os.path.exists(STATIC_PYFLAME):
        raise Skip("no %s: make static builds it" % os.path.basename(STATIC_PYFLAME))
    return STATIC_PYFLAME


def table_versions():
    """The minor versions the committed generated tables hold (the pre-3.13 offsets and the _Py_DebugOffsets maps),
    oldest first: what --version must list (lib.SUPPORTED is read from --version itself)."""
    found = set()
    for name in ("python_offsets_table.c", "python_debug_offsets_table.c"):
        with open(os.path.join(ROOT, "user", "python", name)) as f:
            found.update(int(v, 16) for v in re.findall(r"\.version = 0x([0-9a-f]{4}),", f.read()))
    return ["%d.%d" % (v >> 8, v & 0xff) for v in sorted(found)]


def supported_list():
    """table_versions() as --version and the refusals write it: runs of consecutive minors as ranges."""
    runs = []
    for v in table_versions():
        major, minor = map(int, v.split("."))
        if runs and runs[-1][0] == major and runs[-1][2] == minor - 1:
            runs[-1][2] = minor
        else:
            runs.append([major, minor, minor])
    return ", ".join("%d.%d" % (a, b) if b == c else "%d.%d-%d.%d" % (a, b, a, c) for a, b, c in runs)


@test
def test_version_names_the_build_its_libraries_and_the_pythons_it_reads():
    binaries = [PLAIN_PYFLAME] + ([STATIC_PYFLAME] if os.path.exists(STATIC_PYFLAME) else [])
    with open(MAN_PAGE, encoding="utf-8") as f:
        man_version = re.search(r'^\.TH \S+ 1 "[^"]*" "pyflame-bpf (\S+)"', f.read(), re.M).group(1)
    want = {"libbpf": run(["pkg-config", "--modversion", "libbpf"])[1].strip(),
            "libdw": run(["pkg-config", "--modversion", "libdw"])[1].strip()}
    head = None
    if os.path.exists(os.path.join(ROOT, ".git")):
        head = run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"])[1].strip()
    for binary in binaries:
        name = os.path.basename(binary)
        rc, out, err = run([binary, "--version"])
        check(rc == 0 and not err, "%s --version: exit %d: %r" % (name, rc, err))
        check(run([binary, "-V"])[1] == out, "%s: -V and --version differ" % name)
        lines = out.splitlines()
        check(len(lines) == 3, "%s --version: %r" % (name, out))
        m = VERSION_LINE.match(lines[0])
        check(m, "%s --version's first line: %r" % (name, lines[0]))
        version, commit, linked = m.groups()
        check(version == makefile_version() == man_version,
              "%s is %s, the Makefile's VERSION %s, the man page's %s" % (name, version, makefile_version(),
                                                                           man_version))
        check(linked == ("statically" if binary == STATIC_PYFLAME else "dynamically"), "%s: %r" % (name, lines[0]))
        if head:
            check(commit in (head, head + "-dirty"), "%s was built from %s, the checkout is at %s: rebuild" %
                  (name, commit, head))
        m = re.match(r"^built with libbpf (\S+) and libdw (\S+) \(elfutils\)", lines[1])
        check(m and m.group(1) == want["libbpf"] and m.group(2) == want["libdw"],
              "%s: %r, pkg-config has %r" % (name, lines[1], want))
        check(lines[2] == "CPython " + supported_list(), "%s: %r, the tables hold %r" % (name, lines[2], table_versions()))
        print("  %s: %s" % (name, " | ".join(lines)), flush=True)
    # Built outside a git checkout (a release tarball), the commit is "unknown": the Makefile's rule alone, in a
    # directory of its own.
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(ROOT, "Makefile"), d)
        rc, out, err = run(["make", "-s", "BUILD=b", "b/build_info.h"], cwd=d)
        check(rc == 0, "make build_info.h outside git: %s" % err)
        with open(os.path.join(d, "b", "build_info.h")) as f:
            text = f.read()
        check('#define PF_GIT_COMMIT "unknown"' in text, "outside git: %r" % text)


@test
def test_static_binary_is_static_stripped_and_its_size_is_the_readmes():
    binary = static_binary()
    rc, out, _ = run(["file", "-b", binary])
    check(rc == 0 and "statically linked" in out and "stripped" in out and "not stripped" not in out,
          "file says: %r" % out)
    rc, out, err = run(["readelf", "-d", binary])
    check("NEEDED" not in out and "INTERP" not in run(["readelf", "-l", binary])[1],
          "the static binary needs a dynamic loader or libraries: %r" % out[:800])
    size = os.path.getsize(binary) / 1e6
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        install = f.read().split("\n## Install\n", 1)[-1].split("\n## ", 1)[0]
    m = re.search(r"pyflame-bpf-static` \((\d+(?:\.\d+)?) MB", install)
    check(m, "README's Install section states no size of pyflame-bpf-static")
    check(abs(float(m.group(1)) - size) <= 0.1 * size, "README says %s MB, the binary is %.2f MB" % (m.group(1), size))
    print("  pyflame-bpf-static: %.2f MB, no NEEDED library, no INTERP" % size, flush=True)


# A shell in a mount namespace of its own (unshare): the root's /proc (and /sys) mounted for the command only,
# unmounted after it; the mounts vanish with the namespace even if the test is killed, and no other test or
# checkout sharing the root sees them.
IN_ROOT = """
root=$1 sys=$2; shift 2
mount -t proc proc "$root/proc" || exit 97
if [ "$sys" = 1 ] && ! mount -t sysfs sysfs "$root/sys"; then umount "$root/proc"; exit 97; fi
chroot "$root" "$@"; rc=$?
[ "$sys" = 1 ] && umount "$root/sys"
umount "$root/proc"
exit $rc
"""


def deny_perf_event_open():
    """A seccomp filter refusing perf_event_open with EPERM, as container runtimes' default profiles do (preexec_fn:
    in the child before it execs; inherited by everything it starts)."""
    nr = {"x86_64": (0xC000003E, 298), "aarch64": (0xC00000B7, 241)}[platform.machine()]
    prog = [(0x20, 0, 0, 4),  # A = seccomp_data.arch
            (0x15, 0, 3, nr[0]),  # another ABI: allow
            (0x20, 0, 0, 0),  # A = seccomp_data.nr
            (0x15, 0, 1, nr[1]),
            (0x06, 0, 0, 0x00050000 | 1),  # SECCOMP_RET_ERRNO | EPERM
            (0x06, 0, 0, 0x7FFF0000)]  # SECCOMP_RET_ALLOW
    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *insn) for insn in prog))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.cast(code, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    # PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP with SECCOMP_MODE_FILTER.
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0):
        raise OSError(ctypes.get_errno(), "seccomp filter")


class OtherRoot:
    """The Debian unstable root of scripts/sid-root.sh with the static binary copied into it (removed after)."""

    def __init__(self):
        self.root = lib.sid_root()
        if not self.root:
            raise Skip("no Debian unstable root: %s" % lib.sid_root_why())
        if not shutil.which("unshare"):
            raise Skip("no unshare (util-linux) to mount the root's /proc privately")
        self.dir = tempfile.mkdtemp(prefix="pyflame-bpf-test.", dir=os.path.join(self.root, "tmp"))
        self.inside = "/" + os.path.relpath(self.dir, self.root)
        for binary in (static_binary(), PLAIN_PYFLAME):
            shutil.copy2(binary, self.dir)

    def run(self, argv, sys_mounted=True, preexec_fn=None, timeout=120):
        """Runs argv inside the root (its paths as the root sees them); (rc, stdout, stderr)."""
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", IN_ROOT, "sh", self.root,
                            "1" if sys_mounted else "0"] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           preexec_fn=preexec_fn, timeout=timeout)
        check(p.returncode != 97, "cannot mount /proc or /sys in the root: %r" % p.stderr)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def binary(self, name):
        return os.path.join(self.inside, os.path.basename(name))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
        for sub in ("proc", "sys"):
            check(not os.path.ismount(os.path.join(self.root, sub)), "the root's /%s is still mounted" % sub)


@test
def test_static_binary_profiles_python_3_14_inside_a_debian_unstable_root():
    with OtherRoot() as other:
        python = lib.sid_python("3.14")
        if not python:
            raise Skip(lib.missing_python_why("3.14"))
        # This machine's libraries are not there: the dynamic build cannot even start.
        rc, _, err = other.run([other.binary(PLAIN_PYFLAME), "--version"])
        check(rc == 127 and "libbpf" in err, "the dynamic build in the root: exit %d: %r" % (rc, err))
        rc, out, err = other.run([other.binary(STATIC_PYFLAME), "--version"])
        check(rc == 0 and "linked statically" in out, "the static build in the root: exit %d: %r %r" % (rc, out, err))
        # The root's own python3.14 (through sid_python: chrooted, the script mirrored into the root).
        with Target([python, RATIO, "60"]) as t:
            rc, out, err = other.run([other.binary(STATIC_PYFLAME), "-p", str(t.pid), "-d", "3", "-F", "199"])
        check(rc == 0, "pyflame-bpf-static in the root: exit %d: %s" % (rc, err[-1500:]))
        check("no Python frames" not in err, "no Python frames: %s" % err[-1500:])
        stacks = lib.parse_folded(out)
        total = sum(c for _, c in stacks)
        hot = sum(c for f, c in stacks if f[-1].startswith("hot_three (ratio.py:"))
        cold = sum(c for f, c in stacks if f[-1].startswith("cold_one (ratio.py:"))
        lines = set(int(f[-1].rsplit(":", 1)[1].rstrip(")")) for f, _ in stacks
                    if f[-1].startswith(("hot_three ", "cold_one ")))
        check(marked_line(RATIO, "hot_three") in lines and marked_line(RATIO, "cold_one") in lines,
              "the loops' lines are not among the leaves' %r" % sorted(lines))
        check(hot + cold >= 0.8 * total and total >= 200, "%d hot, %d cold of %d samples: %r" %
              (hot, cold, total, out[:1500]))
        share = 100.0 * hot / (hot + cold)
        check(55 <= share <= 95, "hot_three %.1f%% of %d, want about 75%%" % (share, hot + cold))
        leaves = [f for f, _ in stacks if f[-1].startswith(("hot_three ", "cold_one "))]
        check(all(len(f) >= 3 and f[-2].startswith("main (ratio.py:") and f[-3].startswith("<module> (ratio.py:")
                  for f in leaves), "hot_three/cold_one not under main and <module>: %r" % out[:1500])
        print("  python3.14 in the root, profiled from inside it: hot_three %.1f%% of %d" % (share, hot + cold),
              flush=True)


@test
def test_static_binary_without_btf_or_perf_events_exits_with_one_line():
    python = lib.sid_python("3.14")
    if not python:
        raise Skip(lib.missing_python_why("3.14"))
    with OtherRoot() as other, Target([python, RATIO, "60"]) as t:
        argv = [other.binary(STATIC_PYFLAME), "-p", str(t.pid), "-d", "1"]
        # No sysfs at /sys: the kernel's BTF is out of reach.
        rc, out, err = other.run(argv, sys_mounted=False)
        lines = err.splitlines()
        check(rc != 0 and not out, "without /sys: exit %d, stdout %r" % (rc, out[:300]))
        check(len(lines) == 1 and "/sys/kernel/btf/vmlinux" in lines[0] and "sysfs is not mounted" in lines[0],
              "without /sys, stderr: %r" % err)
        print("  without /sys: exit %d: %s" % (rc, lines[0]), flush=True)
        # perf_event_open refused by a seccomp filter (a container's default profile).
        rc, out, err = other.run(argv, preexec_fn=deny_perf_event_open)
        lines = err.splitlines()
        check(rc != 0 and not out, "without perf events: exit %d, stdout %r" % (rc, out[:300]))
        check(len(lines) == 1 and "cpu-clock event" in lines[0] and "Operation not permitted" in lines[0],
              "without perf events, stderr: %r" % err)
        print("  without perf events: exit %d: %s" % (rc, lines[0]), flush=True)


@test
def test_make_install_puts_the_binary_and_the_man_page_under_destdir_and_prefix():
    for binary in [PLAIN_PYFLAME] + ([STATIC_PYFLAME] if os.path.exists(STATIC_PYFLAME) else []):
        with tempfile.TemporaryDirectory() as d:
            # -o: install the binary as built, never rebuild it here.
            rc, out, err = run(["make", "-s", "-C", ROOT, "-o", os.path.basename(binary), "install", "DESTDIR=" + d,
                                "PREFIX=/opt/pf", "INSTALL_BIN=" + os.path.basename(binary)])
            check(rc == 0, "make install: %s" % err)
            files = sorted(os.path.relpath(os.path.join(w, n), d) for w, _, ns in os.walk(d) for n in ns)
            check(files == ["opt/pf/bin/pyflame-bpf", "opt/pf/share/man/man1/pyflame-bpf.1"], "installed %r" % files)
            installed = os.path.join(d, "opt/pf/bin/pyflame-bpf")
            check(os.access(installed, os.X_OK) and open(installed, "rb").read() == open(binary, "rb").read(),
                  "bin/pyflame-bpf is not %s" % binary)
            check(open(os.path.join(d, "opt/pf/share/man/man1/pyflame-bpf.1")).read() == open(MAN_PAGE).read(),
                  "the installed man page is not docs/pyflame-bpf.1")


def package_state(name):
    """dpkg's abbreviated status of a package ("ii " installed, "rc " config left), or "" when dpkg knows none."""
    rc, out, _ = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", name])
    return out if rc == 0 else ""


def needed_packages(binary):
    """The packages holding the libraries binary links (readelf's NEEDED, found by ldconfig, owned per dpkg -S)."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", binary])[1])
    cache = run(["ldconfig", "-p"])[1]
    packages = set()
    for soname in needed:
        m = re.search(r"^\s+%s \(libc6,x86-64[^)]*\) => (\S+)$" % re.escape(soname), cache, re.M) or \
            re.search(r"^\s+%s \([^)]*\) => (\S+)$" % re.escape(soname), cache, re.M)
        check(m, "ldconfig does not know %s" % soname)
        path = m.group(1)
        for candidate in (path, os.path.realpath(path)):
            rc, out, _ = run(["dpkg", "-S", candidate])
            if rc == 0:
                packages.add(out.split(":")[0].strip())
                break
        else:
            check(False, "no package owns %s" % path)
    return packages


def install_use_remove(deb, package, remove_argv):
    """apt-get installs deb, the installed command profiles a target, remove_argv removes it; nothing stays."""
    apt = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=120"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        rc, out, err = run(apt + ["install", "./" + os.path.basename(deb)], cwd=os.path.dirname(deb), env=env)
        check(rc == 0 and package_state(package) == "ii ", "apt-get install %s: exit %d: %s" % (deb, rc, err[-1500:]))
        files = [f for f in run(["dpkg", "-L", package])[1].splitlines() if os.path.isfile(f)]
        check("/usr/bin/pyflame-bpf" in files and "/usr/share/man/man1/pyflame-bpf.1.gz" in files,
              "%s installs %r" % (package, files))
        check(shutil.which("pyflame-bpf", path="/usr/bin") == "/usr/bin/pyflame-bpf", "no /usr/bin/pyflame-bpf")
        rc, out, err = run(["/usr/bin/pyflame-bpf", "--version"])
        check(rc == 0 and out.startswith("pyflame-bpf "), "installed --version: %d %r %r" % (rc, out, err))
        if shutil.which("man"):
            check(run(["man", "-w", "pyflame-bpf"])[1].strip() == "/usr/share/man/man1/pyflame-bpf.1.gz",
                  "man does not find the installed page")
        with Target([CHAIN]) as t:
            rc, out, err = run(["/usr/bin/pyflame-bpf", "-p", str(t.pid), "-d", "1"], timeout=60)
        check(rc == 0 and "level_two" in out, "installed pyflame-bpf -p: exit %d: %s %r" % (rc, err[-800:], out[:500]))
        rc, _, err = run(remove_argv, env=env)
        check(rc == 0, "%s: %s" % (" ".join(remove_argv), err[-1500:]))
        left = [f for f in files if os.path.exists(f)]
        check(not left, "files left after removing %s: %r" % (package, left))
        check(package_state(package) in ("", "un ", "pn "), "%s after removal: %r" % (package, package_state(package)))
        info = glob.glob("/var/lib/dpkg/info/%s.*" % package)
        check(not info, "dpkg still holds %r" % info)
        print("  %s: installed (%d files), ran, removed with %s: nothing left" %
              (os.path.basename(deb), len(files), "apt-get remove" if remove_argv[0] == "apt-get" else "dpkg -r"),
              flush=True)
    finally:
        if package_state(package) not in ("", "un ", "pn "):
            run(["dpkg", "--purge", package], env=env)


@test
def test_debian_packages_install_run_and_remove_cleanly():
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise Skip("not a Debian system")
    for other in ("pyflame-bpf", "pyflame-bpf-static"):
        if package_state(other).startswith(("i", "h")):
            raise Skip("package %s is installed on this machine: the test would replace it" % other)
    version, arch = makefile_version(), deb_arch()
    debs = {"pyflame-bpf": os.path.join(ROOT, "pyflame-bpf_%s_%s.deb" % (version, arch)),
            "pyflame-bpf-static": os.path.join(ROOT, "pyflame-bpf-static_%s_%s.deb" % (version, arch))}
    built = {"pyflame-bpf": PLAIN_PYFLAME, "pyflame-bpf-static": STATIC_PYFLAME}
    for package, deb in debs.items():
        if not os.path.exists(deb):
            raise Skip("no %s: make deb and make deb-static build them" % os.path.basename(deb))
        check(os.path.getmtime(deb) >= os.path.getmtime(built[package]),
              "%s is older than %s: make deb" % (os.path.basename(deb), os.path.basename(built[package])))
    # The dynamic package depends on exactly the packages of the libraries its binary links.
    fields = run(["dpkg-deb", "-f", debs["pyflame-bpf"]])[1]
    depends = re.search(r"^Depends: (.*)$", fields, re.M)
    check(depends, "pyflame-bpf's control has no Depends: %r" % fields)
    named = set(re.findall(r"(?:^|, )([a-z0-9][a-z0-9.+-]*)", depends.group(1)))
    want = needed_packages(PLAIN_PYFLAME)
    check(named == want, "Depends names %r; the libraries it links are in %r" % (sorted(named), sorted(want)))
    fields = run(["dpkg-deb", "-f", debs["pyflame-bpf-static"]])[1]
    check(not re.search(r"^(Pre-)?Depends:", fields, re.M) and re.search(r"^Conflicts: pyflame-bpf$", fields, re.M),
          "pyflame-bpf-static's control: %r" % fields)
    install_use_remove(debs["pyflame-bpf"], "pyflame-bpf", ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=120",
                                                            "remove", "pyflame-bpf"])
    install_use_remove(debs["pyflame-bpf-static"], "pyflame-bpf-static", ["dpkg", "-r", "pyflame-bpf-static"])
