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
