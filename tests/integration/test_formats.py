"""Output formats and compression: chosen by suffix or --format, zstd by .zst or --compress, checked by zstd itself."""
import os
import shutil
import subprocess
import tempfile

from lib import PYFLAME, TARGETS, Skip, Target, check, parse_folded, profile, test

CHAIN = os.path.join(TARGETS, "chain")


def chain_stacks(text):
    stacks = parse_folded(text)
    total = sum(c for _, c in stacks)
    good = sum(c for f, c in stacks if f[-4:] == ["main", "level_one", "level_two", "spin"])
    return total, good


@test
def test_zst_suffix_and_compress_flag_write_zstd_that_zstd_reads():
    if not shutil.which("zstd"):
        raise Skip("the zstd command-line tool is not installed")
    d = tempfile.mkdtemp(prefix="pyflame-zst-")
    try:
        out = os.path.join(d, "chain.folded.zst")
        with Target([CHAIN]) as t:
            profile(["-p", str(t.pid), "-d", "1", "-q", "-o", out])
            piped = subprocess.run([PYFLAME, "-p", str(t.pid), "-d", "1", "-q", "--compress"],
                                   stdout=subprocess.PIPE, check=True).stdout
        with open(out, "rb") as f:
            check(f.read(4) == b"\x28\xb5\x2f\xfd", "%s does not start with the zstd magic number" % out)
        for name, data in (("-o .zst", subprocess.run(["zstd", "-dc", out], stdout=subprocess.PIPE, check=True).stdout),
                           ("--compress", subprocess.run(["zstd", "-dc"], input=piped, stdout=subprocess.PIPE,
                                                         check=True).stdout)):
            total, good = chain_stacks(data.decode())
            check(total > 50 and good >= 0.9 * total, "%s: %d samples, %d with the chain" % (name, total, good))
    finally:
        shutil.rmtree(d)


@test
def test_format_flag_overrides_the_suffix_and_bad_formats_exit_2():
    d = tempfile.mkdtemp(prefix="pyflame-fmt-")
    try:
        out = os.path.join(d, "profile.svg")
        with Target([CHAIN]) as t:
            profile(["-p", str(t.pid), "-d", "1", "-q", "-o", out, "--format", "folded"])
        with open(out) as f:
            total, good = chain_stacks(f.read())
        check(total > 50 and good >= 0.9 * total, "--format folded into x.svg: %d samples" % total)
        run = profile(["-p", "1", "--format", "pdf"], expect_rc=2)
        check("format" in run.err and len(run.err.strip().splitlines()) == 1, "stderr %r" % run.err)
    finally:
        shutil.rmtree(d)


@test
def test_report_round_trips_folded_and_reads_zstd_without_privileges():
    d = tempfile.mkdtemp(prefix="pyflame-report-")
    try:
        os.chmod(d, 0o777)
        saved, zst, back = (os.path.join(d, n) for n in ("saved.folded", "saved.folded.zst", "back.folded"))
        with Target([CHAIN]) as a, Target([CHAIN]) as b:
            profile(["-p", "%d,%d" % (a.pid, b.pid), "-d", "1", "-q", "-o", saved])
        profile(["report", saved, "-o", zst])
        for p in (saved, zst, back):
            if os.path.exists(p):
                os.chmod(p, 0o666)
        # As nobody: reading and converting a saved profile needs no privilege.
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if shutil.which("setpriv") else []
        p = subprocess.run(as_nobody + [PYFLAME, "report", zst, "-o", back], stderr=subprocess.PIPE)
        check(p.returncode == 0, "report as nobody: exit %d: %s" % (p.returncode, p.stderr.decode()))
        with open(saved) as f1, open(back) as f2:
            first, second = f1.read(), f2.read()
        check(first == second and first, "folded -> zst -> folded changed the profile")
        check(any(f[0].startswith("chain (") for f, _ in parse_folded(second)), "process roots lost")
        bad = os.path.join(d, "bad.folded")
        with open(bad, "w") as f:
            f.write("main;spin 12\nnot a folded line\n")
        run = profile(["report", bad], expect_rc=1)
        check("bad.folded:2" in run.err, "error does not name the line: %r" % run.err)
    finally:
        shutil.rmtree(d)


@test
def test_man_page_renders_and_documents_every_option():
    if not shutil.which("man"):
        raise Skip("man is not installed")
    root = os.path.dirname(PYFLAME)
    page = subprocess.run(["man", "-l", os.path.join(root, "docs", "pyflame-bpf.1")], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=dict(os.environ, MANWIDTH="100"))
    check(page.returncode == 0 and not page.stderr.strip(), "man: %r" % page.stderr)
    text = page.stdout.decode(errors="replace").replace("\u2010", "-").replace("\u2011", "-")
    helptext = subprocess.run([PYFLAME, "--help"], stdout=subprocess.PIPE).stdout.decode()
    import re
    for opt in sorted(set(re.findall(r"--[a-z][a-z-]+", helptext))):
        check(opt in text, "the man page does not document %s" % opt)
