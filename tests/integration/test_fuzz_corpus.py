"""The fuzz harnesses' committed corpora (real seeds and every input that once crashed), each input run once through
its harness built with ASan and UBSan but without libFuzzer (build/fuzz/replay/NAME, from `make fuzz-corpus`)."""
import os
import subprocess

from lib import BUILD, ROOT, Skip, check, test

CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def replay(name):
    binary = os.path.join(BUILD, "fuzz", "replay", name)
    if not os.access(binary, os.X_OK):
        raise Skip("%s not built (make fuzz-corpus)" % binary)
    corpus = os.path.join(CORPUS, name)
    inputs = [f for f in os.listdir(corpus) if not f.startswith(".")]
    check(inputs, "%s is empty" % corpus)
    p = subprocess.run([binary, corpus], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                       env=dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "detect_leaks=1")))
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    check(p.returncode == 0, "%s: exit %d: %s" % (name, p.returncode, err[-3000:]))
    check(("%d inputs ran" % len(inputs)) in out, "%s: not every input ran: %s" % (name, out.strip()))


def register(name):
    def fn():
        replay(name)
    fn.__name__ = "test_fuzz_corpus_of_%s_runs_clean" % name
    test(fn)


for harness in sorted(os.listdir(CORPUS)):
    register(harness)
