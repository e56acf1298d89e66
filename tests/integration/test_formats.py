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
