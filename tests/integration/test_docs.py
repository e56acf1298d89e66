"""The documentation names the options the program has: README, docs/ and the man page checked against --help."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

from lib import PYFLAME, ROOT, Skip, check, test

MAN_PAGE = os.path.join(ROOT, "docs", "pyflame-bpf.1")
# Long flags of other programs that the documentation quotes, and whose they are.
OTHER_PROGRAMS = {
    "--disable-gil": "CPython's configure (free-threaded builds)",
    "--its-args": "the example command's own argument, after --",
    "--quick": "make bench's BENCH_FLAGS",
    "--only": "scripts/bench/run.py's, one section",
    "--update": "scripts/bench/run.py's, a section into bench/results.json",
}
# A long flag standing alone: not the tail of a longer word or of a `---` anchor, not the `--` before a command.
LONG_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def help_options():
    """The rows of --help's option table: {long flag: its short flag or None}."""
    p = subprocess.run([PYFLAME, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 0, "--help exits %d: %r" % (p.returncode, p.stderr))
    rows = re.findall(r"^  (?:-([A-Za-z]), |    )(--[a-z][a-z0-9-]*)", p.stdout.decode(), re.M)
    check(len(rows) > 10, "--help lists %d options: %r" % (len(rows), p.stdout[:2000]))
    return dict((long, short or None) for short, long in rows)


def man_text(source):
    """The man page's roff as plain text: escaped hyphens as hyphens, font changes dropped."""
    return re.sub(r"\\f[BIRP]", "", source.replace("\\-", "-"))


def man_option_tags(source):
    """The tag line of every entry of the OPTIONS section (`-p, --pid PID[,PID...]`), as plain text."""
    section = source.split("\n.SH OPTIONS\n", 1)[1].split("\n.SH ", 1)[0].split("\n")
    return [man_text(section[i + 1]) for i, line in enumerate(section[:-1]) if line == ".TP"]


def markdown_docs():
    """The README and every Markdown page under docs/, as (path relative to the tree, text)."""
    paths = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            out.append((os.path.relpath(path, ROOT), f.read()))
    return out


@test
def test_readme_docs_man_page_and_help_name_the_same_flags():
    options = help_options()
    with open(MAN_PAGE, encoding="utf-8") as f:
        man = f.read()
    for name, text in markdown_docs() + [("docs/pyflame-bpf.1", man_text(man))]:
        for flag in sorted(set(LONG_FLAG.findall(text)) - set(OTHER_PROGRAMS)):
            check(flag in options, "%s names %s, which --help does not list (a flag of another program? add it to "
                  "OTHER_PROGRAMS with whose it is)" % (name, flag))
    tags = man_option_tags(man)
    for flag, short in sorted(options.items()):
        documented = [t for t in tags if re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(flag), t)]
        check(documented, "the man page's OPTIONS do not document %s" % flag)
        if short:
            check(any(("-%s, %s" % (short, flag)) in t for t in documented),
                  "the man page does not give %s as -%s, %s as --help does: %r" % (flag, short, flag, documented))
    # The flag reference is the man page and --help: the README points there instead of keeping a table of its own.
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        table_rows = [line for line in f if re.match(r"\|\s*`-", line)]
    check(not table_rows, "README.md has a flag table again: %r" % table_rows[:3])


@test
def test_man_page_renders_and_documents_every_option():
    if not shutil.which("man"):
        raise Skip("man is not installed")
    page = subprocess.run(["man", "-l", MAN_PAGE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=dict(os.environ, MANWIDTH="100"))
    check(page.returncode == 0 and not page.stderr.strip(), "man: %r" % page.stderr)
    text = page.stdout.decode(errors="replace").replace("\u2010", "-").replace("\u2011", "-")
    for opt in sorted(help_options()):
        check(opt in text, "the man page does not document %s" % opt)


@test
def test_benchmarks_md_is_what_bench_results_json_renders_to():
    path = os.path.join(ROOT, "bench", "results.json")
    with open(path, encoding="utf-8") as f:
        data = json.load(f)  # valid JSON
    sys.path.insert(0, os.path.join(ROOT, "scripts", "bench"))
    import report  # noqa: E402
    import results  # noqa: E402
    check(data.get("format") == results.FORMAT, "bench/results.json: format %r" % data.get("format"))
    check(data.get("commit") and data["machine"].get("cpu") and data["machine"].get("kernel"),
          "bench/results.json names no commit or machine: %r" % {k: data.get(k) for k in ("commit", "machine")})
    figures = list(results.figures(data))
    check(len(figures) > 100, "only %d figures in bench/results.json" % len(figures))
    for title, column, fig in figures:
        check(fig.get("unit"), "%s, %s: %r has no unit (add the column to the section's UNITS)" % (title, column, fig))
        check(any(isinstance(fig.get(k), (int, float)) for k in ("median", "value", "low")),
              "%s, %s: %r holds no number" % (title, column, fig))
        if "median" in fig:
            check(fig["q1"] <= fig["median"] <= fig["q3"], "%s, %s: quartiles out of order: %r" % (title, column, fig))
    with open(os.path.join(ROOT, "BENCHMARKS.md"), encoding="utf-8") as f:
        committed = f.read()
    check(committed == report.markdown(data), "BENCHMARKS.md is not what bench/results.json renders to: "
          "make bench-render (or make bench) writes it")
