"""Faults and policies: -o's symlink policy, report/diff without privileges, signals (SIGHUP snapshots), a target or
the profiler killed with SIGKILL."""
import os
import shutil
import subprocess
import tempfile

from lib import PYFLAME, TARGETS, Target, check, our_programs, parse_folded, profile, test

CHAIN = os.path.join(TARGETS, "chain")
NOBODY = 65534


def listing(*dirs):
    """{path: (is link, content or link target)} of every entry of dirs."""
    out = {}
    for d in dirs:
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.islink(p):
                out[p] = (True, os.readlink(p))
            else:
                with open(p, "rb") as f:
                    out[p] = (False, f.read())
    return out


@test
def test_output_symlink_policy_refuses_a_stranger_s_link_in_a_sticky_directory():
    """As root, -o through a symlink owned by another user in a world-writable sticky directory (what /tmp is) is
    refused: one line naming the link and its owner, exit 2, nothing loaded, nothing written anywhere. The same link
    owned by the caller is followed: the file it names gets the profile, the link stays a link."""
    base = tempfile.mkdtemp(prefix="pyflame-policy-")
    try:
        shared, private = os.path.join(base, "shared"), os.path.join(base, "private")
        os.mkdir(shared)
        os.chmod(shared, 0o1777)
        os.mkdir(private)
        victim = os.path.join(private, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        evil, mine = os.path.join(shared, "evil.folded"), os.path.join(shared, "mine.folded")
        os.symlink(victim, evil)
        os.lchown(evil, NOBODY, NOBODY)
        os.symlink(victim, mine)
        before = listing(shared, private)
        with Target([CHAIN]) as t:
            refused = profile(["-p", str(t.pid), "-d", "1", "-o", evil], expect_rc=2)
            check(not our_programs(), "programs loaded before the refusal")
            lines = refused.err.strip().splitlines()
            check(len(lines) == 1 and "refusing to follow symlink 'evil.folded'" in lines[0] and
                  "uid %d" % NOBODY in lines[0], "stderr: %r" % refused.err)
            check(listing(shared, private) == before, "something was written: %r" % listing(shared, private))
            # A directory on the way is checked the same way.
            os.symlink(private, os.path.join(shared, "evildir"))
            os.lchown(os.path.join(shared, "evildir"), NOBODY, NOBODY)
            refused = profile(["-p", str(t.pid), "-d", "1", "-o", os.path.join(shared, "evildir", "victim")],
                              expect_rc=2)
            check("refusing to follow symlink 'evildir'" in refused.err, "stderr: %r" % refused.err)
            profile(["-p", str(t.pid), "-d", "1", "-q", "-o", mine])
        check(os.path.islink(mine) and os.readlink(mine) == victim, "the caller's link was replaced")
        with open(victim) as f:
            check(sum(c for _, c in parse_folded(f.read())) > 20, "the file the caller's link names got no profile")
        check(sorted(os.listdir(private)) == ["victim"], "left behind: %r" % os.listdir(private))
    finally:
        shutil.rmtree(base)


FOLDED_BEFORE = "main;a;b 30\nmain;a;c 10\nmain;d 60\n"
FOLDED_AFTER = "main;a;b 70\nmain;a;c 10\nmain;d 20\n"
AS_NOBODY = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--"]
# uid 0, but no capability at all, and none to be gained by exec.
AS_ROOT_WITHOUT_CAPS = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs",
                        "--"]
PRIVILEGED_CALLS = "bpf,perf_event_open,ptrace,process_vm_readv,init_module,mount"


def report_and_diff_runs(d):
    """(argv tail, output file) of every report/diff conversion the test tries, inside directory d."""
    before, after = os.path.join(d, "before.folded"), os.path.join(d, "after.folded")
    runs = []
    for out in ("r.svg", "r.pb.gz", "r.speedscope.json", "r.folded.zst"):
        runs.append((["report", after, "-o", os.path.join(d, out)], os.path.join(d, out)))
    for out in ("d.svg", "d.folded"):
        runs.append((["diff", before, after, "-o", os.path.join(d, out)], os.path.join(d, out)))
    return runs


@test
def test_report_and_diff_need_no_privileges():
    """report and diff as `nobody` on files it owns, and as root with no capability and no_new_privs: every format
    written, owned by whoever ran it; as root, strace sees none of the privileged calls a recording makes. Recording
    as nobody fails with exit 1 and says what is missing."""
    d = tempfile.mkdtemp(prefix="pyflame-unpriv-")
    try:
        os.chmod(d, 0o755)
        for name, text in (("before.folded", FOLDED_BEFORE), ("after.folded", FOLDED_AFTER)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        for who, prefix, uid in (("nobody", AS_NOBODY, NOBODY), ("root without capabilities", AS_ROOT_WITHOUT_CAPS, 0)):
            os.chown(d, uid, uid)
            for args, out in report_and_diff_runs(d):
                p = subprocess.run(prefix + [PYFLAME] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=60)
                check(p.returncode == 0, "%s: %s: exit %d: %s" % (who, " ".join(args[:1]), p.returncode,
                                                                  p.stderr.decode(errors="replace")))
                st = os.stat(out)
                check(st.st_size > 0 and st.st_uid == uid, "%s: %s: size %d, owner %d" % (who, out, st.st_size,
                                                                                          st.st_uid))
                os.unlink(out)
        strace = shutil.which("strace")
        check(strace, "strace is not installed (make deps installs it)")
        for args, out in report_and_diff_runs(d):
            log = os.path.join(d, "strace.log")
            p = subprocess.run([strace, "-f", "-qq", "-o", log, "-e", "trace=" + PRIVILEGED_CALLS, PYFLAME] + args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            with open(log) as f:
                calls = f.read()
            check(p.returncode == 0 and not calls.strip(), "%s: exit %d, privileged calls: %s" %
                  (" ".join(args[:1]), p.returncode, calls[:500]))
        # The same strace does see them in a recording: the check above can fail.
        with Target([CHAIN]) as t:
            log = os.path.join(d, "strace.log")
            subprocess.run([strace, "-f", "-qq", "-o", log, "-e", "trace=bpf,perf_event_open", PYFLAME, "-p",
                            str(t.pid), "-d", "0.5", "-q", "-o", "/dev/null"], timeout=60)
            with open(log) as f:
                check("bpf(" in f.read(), "strace saw no bpf() call in a recording")
            p = subprocess.run(AS_NOBODY + [PYFLAME, "-p", str(t.pid), "-d", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 1 and "not permitted to load BPF programs" in err.strip().splitlines()[-1],
              "recording as nobody: exit %d: %s" % (p.returncode, err))
    finally:
        shutil.rmtree(d)
