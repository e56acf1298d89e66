/* Command-line options: one table that parses, validates and prints --help. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "comm_glob.h"
#include "output_format.h"
#include "process_scope.h"
#include "pyflame.h"
#include "version.h"

enum {
	OPT_BUFFER_SIZE = 256,
	OPT_MAX_STACKS,
	OPT_MAX_DEPTH,
	OPT_PER_PROCESS,
	OPT_THREADS,
	OPT_NO_KERNEL,
	OPT_FULL_FILENAMES,
	OPT_FUNCTION,
	OPT_CODE_TAGS,
	OPT_FORMAT,
	OPT_COMPRESS,
	OPT_TITLE,
	OPT_INVERTED,
	OPT_INCLUSIVE,
	OPT_JSON,
	OPT_INTERVAL,
	OPT_MODE,
	OPT_MIN_BLOCK,
	OPT_NO_IDLE,
	OPT_GIL,
	OPT_CHILDREN,
	OPT_ALL,
	OPT_CGROUP,
	OPT_COMM,
	OPT_MAX_PROCESSES,
	OPT_IDLE,
	OPT_NATIVE_ADDRESSES,
	OPT_UNIT,
	OPT_SLICE,
	OPT_SLOWER_THAN,
	OPT_SLICE_ROOT,
	OPT_COMPARE,
};

struct option_doc {
	struct option opt;
	const char *arg;
	const char *help;
};

static const struct option_doc options[] = {
	{ { "pid", required_argument, NULL, 'p' }, "PID[,PID...]", "profile these processes (repeatable)" },
	{ { "children", no_argument, NULL, OPT_CHILDREN },
	  NULL,
	  "also every descendant of the targets, those forked or exec'd during the run too" },
	{ { "subprocesses", no_argument, NULL, 's' }, NULL, "the same as --children (py-spy's name)" },
	{ { "all", no_argument, NULL, OPT_ALL }, NULL, "every process on the host (instead of -p)" },
	{ { "cgroup", required_argument, NULL, OPT_CGROUP },
	  "PATH",
	  "every process of this cgroup v2 directory and its descendants (instead of -p)" },
	{ { "comm", required_argument, NULL, OPT_COMM },
	  "GLOB",
	  "with --all or --cgroup: only processes whose name (comm) matches this shell pattern" },
	{ { "max-processes", required_argument, NULL, OPT_MAX_PROCESSES },
	  "N",
	  "processes profiled at once, 16-4194304 (default " PF_STR(PF_DEFAULT_MAX_PROCESSES) ")" },
	{ { "duration", required_argument, NULL, 'd' },
	  "SECONDS",
	  "stop after this long (fractions allowed); default: until Ctrl-C or every target exited" },
	{ { "frequency", required_argument, NULL, 'F' },
	  "HZ",
	  "samples per second per CPU (default " PF_STR(PF_DEFAULT_FREQUENCY) ")" },
	{ { "rate", required_argument, NULL, 'r' }, "HZ", "the same as -F (py-spy's name)" },
	{ { "output", required_argument, NULL, 'o' }, "FILE", "write the profile here (default: stdout)" },
	{ { "mode", required_argument, NULL, OPT_MODE },
	  "MODE",
	  "cpu (default: on-CPU samples), off (time blocked, in us) or wall (both, in us)" },
	{ { "min-block", required_argument, NULL, OPT_MIN_BLOCK },
	  "TIME",
	  "off/wall: drop off-CPU intervals shorter than TIME (ns, us, ms or s suffix; default 0)" },
	{ { "no-idle", no_argument, NULL, OPT_NO_IDLE },
	  NULL,
	  "off/wall: drop waits for work (event loop, empty queue, idle pool worker)" },
	{ { "idle", no_argument, NULL, OPT_IDLE },
	  NULL,
	  "the same as --mode wall, idle waits kept (py-spy's name); not with --no-idle" },
	{ { "gil", no_argument, NULL, OPT_GIL },
	  NULL,
	  "only samples of threads holding the GIL, plus [GIL wait] time in off/wall (CPython 3.7+)" },
	{ { "slice", required_argument, NULL, OPT_SLICE },
	  "FUNC",
	  "only the slow invocations of FUNC (Handler.do_GET, views.checkout, `f (file.py)`); best with --mode wall" },
	{ { "slower-than", required_argument, NULL, OPT_SLOWER_THAN },
	  "pNN|TIME",
	  "--slice: the invocations slower than this percentile of them or this long (default p" PF_STR(
	      PF_DEFAULT_SLOWER_THAN_PCT) ")" },
	{ { "slice-root", no_argument, NULL, OPT_SLICE_ROOT },
	  NULL,
	  "--slice: keep the frames above FUNC (default: each stack starts at FUNC)" },
	{ { "compare", no_argument, NULL, OPT_COMPARE },
	  NULL,
	  "--slice: a diff of the slow invocations (red) against the rest (blue), svg or folded" },
	{ { "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },
	  "BYTES",
	  "ring buffer between kernel and userspace, K/M/G suffix, power of two (default " PF_STR(
	      PF_DEFAULT_BUFFER_MB) "M)" },
	{ { "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	  "N",
	  "distinct kernel+user stacks the stack map holds (default " PF_STR(PF_DEFAULT_MAX_STACKS) ")" },
	{ { "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	  "N",
	  "Python frames kept per sample, 1-" PF_STR(PF_MAX_PY_FRAMES) " (default " PF_STR(
	      PF_DEFAULT_MAX_DEPTH) "); deeper stacks are cut at the root" },
	{ { "format", required_argument, NULL, OPT_FORMAT },
	  "FORMAT",
	  "folded (or raw), svg (or flamegraph), pprof or speedscope (default: from -o's suffix)" },
	{ { "unit", required_argument, NULL, OPT_UNIT },
	  "UNIT",
	  "report/diff: the saved counts are samples or us (default: the file's header line, else samples)" },
	{ { "title", required_argument, NULL, OPT_TITLE }, "TEXT", "title of the picture (svg)" },
	{ { "inverted", no_argument, NULL, OPT_INVERTED }, NULL, "icicle graph: roots at the top (svg)" },
	{ { "json", no_argument, NULL, OPT_JSON }, NULL, "dump: one JSON document instead of text" },
	{ { "inclusive", no_argument, NULL, OPT_INCLUSIVE },
	  NULL,
	  "diff svg: colour a frame by the change of its total, callees included (default: of its own samples)" },
	{ { "compress", no_argument, NULL, OPT_COMPRESS },
	  NULL,
	  "zstd-compress the output (implied by a .zst suffix)" },
	{ { "interval", required_argument, NULL, OPT_INTERVAL },
	  "SECONDS",
	  "continuous: one profile per window of SECONDS, each written when it closes, to -o's strftime pattern" },
	{ { "per-process", no_argument, NULL, OPT_PER_PROCESS }, NULL, "root frame `COMM (PID)` even with one target" },
	{ { "threads", no_argument, NULL, OPT_THREADS }, NULL, "root frame `thread NAME (TID)` per thread" },
	{ { "no-kernel", no_argument, NULL, OPT_NO_KERNEL }, NULL, "drop kernel frames" },
	{ { "full-filenames", no_argument, NULL, OPT_FULL_FILENAMES },
	  NULL,
	  "show Python files by full path, not relative to their sys.path root" },
	{ { "function", no_argument, NULL, OPT_FUNCTION },
	  NULL,
	  "aggregate Python frames by function (first line) instead of current line" },
	{ { "native-addresses", no_argument, NULL, OPT_NATIVE_ADDRESSES },
	  NULL,
	  "native frames without a symbol by address ([lib.so+0x29c298]), not one [lib.so] frame per module" },
	{ { "code-tags", no_argument, NULL, OPT_CODE_TAGS },
	  NULL,
	  "tag Python frames from the start (default: once a process re-uses a code object's address)" },
	{ { "quiet", no_argument, NULL, 'q' }, NULL, "no run summary on stderr" },
	{ { "verbose", no_argument, NULL, 'v' }, NULL, "libbpf's log and per-file diagnostics on stderr" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this help" },
	{ { "version", no_argument, NULL, 'V' }, NULL, "print the version, commit, libraries and the CPythons read" },
};

#define NOPTS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: pyflame-bpf [record] [OPTIONS] -p PID[,PID...] [--children]\n"
		   "       pyflame-bpf [OPTIONS] [--children] -- COMMAND [ARGS...]\n"
		   "       pyflame-bpf [OPTIONS] --all [--comm GLOB]\n"
		   "       pyflame-bpf [OPTIONS] --cgroup PATH [--comm GLOB]\n"
		   "       pyflame-bpf report FILE [-o OUT] [--format F]   convert a saved folded profile (.zst too), "
		   "no root needed\n"
		   "       pyflame-bpf diff BEFORE AFTER [-o OUT.svg]      what grew (red) or shrank (blue); --format "
		   "folded for\n"
		   "                                                       `STACK BEFORE AFTER` lines (BEFORE scaled "
		   "to AFTER's total)\n"
		   "       pyflame-bpf dump -p PID[,PID...] [--children] [--json]   every thread's stacks now, "
		   "without stopping it\n"
		   "Samples the CPU stacks (Python, native, kernel) of running processes with BPF and writes folded "
		   "stacks.\n"
		   "`record` may be written first, as with py-spy; py-spy's top is not here.\n\n");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct option_doc *d = &options[i];
		char flag[64];

		if (d->opt.val < 256)
			snprintf(flag, sizeof(flag), "-%c, --%s%s%s", d->opt.val, d->opt.name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		else
			snprintf(flag, sizeof(flag), "    --%s%s%s", d->opt.name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		fprintf(f, "  %-30s %s\n", flag, d->help);
	}
	fprintf(
	    f,
	    "\nNeeds root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF. Exit: 0 ok, 1 runtime failure, 2 usage.\n");
}

static int bad(const char *what, const char *value)
{
	fprintf(stderr, "pyflame-bpf: invalid %s '%s' (see --help)\n", what, value);
	return -EINVAL;
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_size(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;
	int shift = 0;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	/* A shift that overflows could wrap to a valid power of two. */
	if (*end || v > ULONG_MAX >> shift)
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* A duration with a unit: 250us, 1.5ms, 2s, 100ns. */
static int parse_duration_ns(const char *s, unsigned long long *out)
{
	static const struct {
		const char *suffix;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	char *end;
	double v;

	if (!*s || *s == '-')
		return -EINVAL;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].suffix) && v * units[i].ns < 1e15) {
			*out = (unsigned long long)(v * units[i].ns + 0.5);
			return 0;
		}
	}
	return -EINVAL;
}

static int add_pids(struct pf_options *o, const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long pid;
		pid_t *n;

		if (parse_ulong(tok, 1, INT_MAX, &pid)) {
			err = bad("PID", tok);
			break;
		}
		n = realloc(o->scope.pids, (o->scope.npids + 1) * sizeof(*n));
		if (!n) {
			err = -ENOMEM;
			break;
		}
		o->scope.pids = n;
		o->scope.pids[o->scope.npids++] = (pid_t)pid;
	}
	if (!err && !o->scope.npids)
		err = bad("PID list", list);
	free(copy);
	return err;
}

/* The thread-group id of a task, from /proc/PID/status; -ESRCH when there is no such task. */
static int task_tgid(pid_t pid)
{
	char path[64], line[256];
	int tgid = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

static int check_pids_exist(const struct pf_options *o)
{
	for (size_t i = 0; i < o->scope.npids; i++) {
		int tgid = task_tgid(o->scope.pids[i]);

		if (tgid < 0) {
			fprintf(stderr, "pyflame-bpf: no process with PID %d\n", (int)o->scope.pids[i]);
			return -EINVAL;
		}
		if (tgid != o->scope.pids[i]) {
			fprintf(stderr,
				"pyflame-bpf: %d is a thread of process %d: give -p %d (all its threads are sampled)\n",
				(int)o->scope.pids[i], tgid, tgid);
			return -EINVAL;
		}
	}
	return 0;
}

#define NOT_MINE 1 /* an option group's parser: not one of its options */

/* Options whose meaning depends on others, noted while parsing and judged once all are read. */
struct given {
	int slice_option; /* --slower-than, --slice-root or --compare */
	int min_block;	  /* --min-block */
	int mode;	  /* --mode */
	int idle;	  /* --idle */
};

static void set_defaults(struct pf_options *o)
{
	memset(o, 0, sizeof(*o));
	o->sampling.frequency = PF_DEFAULT_FREQUENCY;
	o->sampling.buffer_size = (unsigned long)PF_DEFAULT_BUFFER_MB << 20;
	o->sampling.max_stacks = PF_DEFAULT_MAX_STACKS;
	o->sampling.max_depth = PF_DEFAULT_MAX_DEPTH;
	o->sampling.max_processes = PF_DEFAULT_MAX_PROCESSES;
	o->slice.percentile = PF_DEFAULT_SLOWER_THAN_PCT;
}

/* `diff BEFORE AFTER [OPTIONS]` and `report FILE [OPTIONS]`: the files first, then the same options table.
 * `record [OPTIONS]` is today's default (py-spy users type it); py-spy's other subcommands are refused by name. */
static int parse_subcommand(struct pf_options *o, int *argc, char ***argv)
{
	char **a = *argv;

	if (*argc > 1 && !strcmp(a[1], "top")) {
		fprintf(stderr,
			"pyflame-bpf: there is no 'top' subcommand (py-spy has one); pyflame-bpf has record (the "
			"default), dump, report and diff (see --help)\n");
		return -EINVAL;
	}
	if (*argc > 1 && !strcmp(a[1], "dump")) {
		o->dump = 1;
		(*argc)--;
		(*argv)++;
	} else if (*argc > 1 && !strcmp(a[1], "record")) {
		(*argc)--;
		(*argv)++;
	} else if (*argc > 1 && !strcmp(a[1], "diff")) {
		if (*argc < 4 || (a[2][0] == '-' && strcmp(a[2], "-")) || a[3][0] == '-') {
			fprintf(stderr,
				"pyflame-bpf: diff needs two folded profiles: diff BEFORE AFTER (see --help)\n");
			return -EINVAL;
		}
		o->diff_base = a[2];
		o->report = a[3];
		*argc -= 3;
		*argv += 3;
	} else if (*argc > 1 && !strcmp(a[1], "report")) {
		if (*argc < 3 || (a[2][0] == '-' && strcmp(a[2], "-"))) {
			fprintf(stderr, "pyflame-bpf: report needs a folded profile to read (see --help)\n");
			return -EINVAL;
		}
		o->report = a[2];
		*argc -= 2;
		*argv += 2;
	}
	return 0;
}

/* Which processes: -p, --children, --all, --cgroup, --comm. */
static int parse_scope_option(struct pf_options *o, int c, const char *arg)
{
	char why[160];

	switch (c) {
	case 'p': return add_pids(o, arg);
	case 's':
	case OPT_CHILDREN: o->scope.children = 1; return 0;
	case OPT_ALL: o->scope.all = 1; return 0;
	case OPT_CGROUP:
		if (cgroup_scope__resolve(arg, &o->scope.cgroup_id, &o->scope.cgroup_level, why, sizeof(why))) {
			fprintf(stderr, "pyflame-bpf: invalid cgroup '%s': %s\n", arg, why);
			return -EINVAL;
		}
		o->scope.cgroup = arg;
		return 0;
	case OPT_COMM:
		if (comm_glob__compile(&o->scope.comm_glob, arg, why, sizeof(why))) {
			fprintf(stderr, "pyflame-bpf: invalid --comm pattern '%s': %s\n", arg, why);
			return -EINVAL;
		}
		o->scope.comm = arg;
		return 0;
	}
	return NOT_MINE;
}

/* How and how long: -d, -F, --mode, --min-block, --no-idle, --gil, and the kernel side's limits. */
static int parse_sampling_option(struct pf_options *o, int c, const char *arg, struct given *given)
{
	unsigned long v;
	char *end;

	switch (c) {
	case 'd':
		o->sampling.duration = strtod(arg, &end);
		if (*end || end == arg || !isfinite(o->sampling.duration) || o->sampling.duration <= 0 ||
		    o->sampling.duration > 1e7)
			return bad("duration", arg);
		return 0;
	case 'r':
	case 'F':
		if (parse_ulong(arg, 1, 100000, &v))
			return bad("frequency (1-100000 Hz)", arg);
		o->sampling.frequency = (unsigned)v;
		return 0;
	case OPT_MODE:
		if (!strcmp(arg, "cpu"))
			o->sampling.mode = MODE_CPU;
		else if (!strcmp(arg, "off"))
			o->sampling.mode = MODE_OFF;
		else if (!strcmp(arg, "wall"))
			o->sampling.mode = MODE_WALL;
		else
			return bad("mode (cpu, off, wall)", arg);
		given->mode = 1;
		return 0;
	case OPT_IDLE: given->idle = 1; return 0;
	case OPT_MIN_BLOCK:
		if (parse_duration_ns(arg, &o->sampling.min_block_ns))
			return bad("minimum block (e.g. 500us, 2ms)", arg);
		given->min_block = 1;
		return 0;
	case OPT_NO_IDLE: o->sampling.no_idle = 1; return 0;
	case OPT_GIL: o->sampling.gil = 1; return 0;
	case OPT_SLICE:
		if (!*arg)
			return bad("--slice function", arg);
		o->slice.func = arg;
		return 0;
	case OPT_SLOWER_THAN:
		given->slice_option = 1;
		if (arg[0] == 'p') {
			o->slice.percentile = strtod(arg + 1, &end);
			if (end == arg + 1 || *end || !(o->slice.percentile > 0 && o->slice.percentile < 100))
				return bad("--slower-than percentile (p1-p99.9)", arg);
			return 0;
		}
		if (parse_duration_ns(arg, &o->slice.slower_ns))
			return bad("--slower-than (pNN or a time with ns, us, ms or s)", arg);
		o->slice.percentile = -1;
		return 0;
	case OPT_SLICE_ROOT: o->slice.root = 1, given->slice_option = 1; return 0;
	case OPT_COMPARE: o->slice.compare = 1, given->slice_option = 1; return 0;
	case OPT_CODE_TAGS: o->sampling.code_tags = 1; return 0;
	case OPT_BUFFER_SIZE:
		if (parse_size(arg, &v) || v < 4096 || v > (1UL << 30) || (v & (v - 1)))
			return bad("buffer size (power of two, 4K-1G)", arg);
		o->sampling.buffer_size = v;
		return 0;
	case OPT_MAX_STACKS:
		if (parse_ulong(arg, 64, 1U << 24, &v))
			return bad("max stacks (64-16777216)", arg);
		o->sampling.max_stacks = (unsigned)v;
		return 0;
	case OPT_MAX_DEPTH:
		if (parse_ulong(arg, 1, PF_MAX_PY_FRAMES, &v))
			return bad("max depth (1-" PF_STR(PF_MAX_PY_FRAMES) ")", arg);
		o->sampling.max_depth = (unsigned)v;
		return 0;
	case OPT_MAX_PROCESSES:
		if (parse_ulong(arg, 16, 1U << 22, &v))
			return bad("max processes (16-4194304)", arg);
		o->sampling.max_processes = (unsigned)v;
		return 0;
	}
	return NOT_MINE;
}

/* Where and how the profile is written: -o, --format, --compress, --interval, the picture and the frames shown. */
static int parse_output_option(struct pf_options *o, int c, const char *arg)
{
	char *end;

	switch (c) {
	case 'o':
		if (!*arg)
			return bad("output file", arg);
		o->out.output = arg;
		return 0;
	case OPT_FORMAT:
		o->out.format = output_format__parse(arg);
		if (o->out.format == FORMAT_AUTO)
			return bad("format (folded, svg, pprof, speedscope)", arg);
		return 0;
	case OPT_COMPRESS: o->out.compress = 1; return 0;
	case OPT_UNIT:
		if (!strcmp(arg, "samples"))
			o->out.unit = UNIT_SAMPLES;
		else if (!strcmp(arg, "us"))
			o->out.unit = UNIT_US;
		else
			return bad("unit (samples, us)", arg);
		return 0;
	case OPT_TITLE: o->out.title = arg; return 0;
	case OPT_INVERTED: o->out.inverted = 1; return 0;
	case OPT_INCLUSIVE: o->out.inclusive = 1; return 0;
	case OPT_JSON: o->json = 1; return 0;
	case OPT_INTERVAL:
		o->out.interval = strtod(arg, &end);
		if (*end || end == arg || !isfinite(o->out.interval) || o->out.interval < 0.1 || o->out.interval > 1e6)
			return bad("interval (0.1 s or more)", arg);
		return 0;
	case OPT_PER_PROCESS: o->out.per_process = 1; return 0;
	case OPT_THREADS: o->out.threads = 1; return 0;
	case OPT_NO_KERNEL: o->out.no_kernel = 1; return 0;
	case OPT_FULL_FILENAMES: o->out.full_filenames = 1; return 0;
	case OPT_FUNCTION: o->out.function = 1; return 0;
	case OPT_NATIVE_ADDRESSES: o->out.native_addresses = 1; return 0;
	case 'q': o->quiet = 1; return 0;
	case 'v': o->verbose = 1; return 0;
	}
	return NOT_MINE;
}

/* Every option up to the command; 1 when --help or --version answered already, else 0 or -EINVAL (said). */
static int parse_options(struct pf_options *o, int argc, char **argv, struct given *given)
{
	struct option longopts[NOPTS + 1];
	int c, err, word;

	for (size_t i = 0; i < NOPTS; i++)
		longopts[i] = options[i].opt;
	memset(&longopts[NOPTS], 0, sizeof(struct option));
	opterr = 0;
	optind = 0; /* glibc: 0 also resets the scan inside a group of short options */
	/* '+': stop at the first non-option, so `-- CMD -x` leaves -x to CMD. */
	while ((word = optind, c = getopt_long(argc, argv, "+:p:d:F:r:so:qvhV", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == 'V') {
			version__print(stdout);
			return 1;
		}
		if (c == ':') {
			fprintf(stderr, "pyflame-bpf: option '%s' needs a value (see --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
		err = parse_scope_option(o, c, optarg);
		if (err == NOT_MINE)
			err = parse_sampling_option(o, c, optarg, given);
		if (err == NOT_MINE)
			err = parse_output_option(o, c, optarg);
		if (err == NOT_MINE) {
			/* Inside a group (-xq) getopt has not moved past the word yet: optind still points at it. */
			fprintf(stderr, "pyflame-bpf: unknown option '%s' (see --help)\n",
				argv[optind == word ? optind : optind - 1]);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--")) {
			fprintf(stderr,
				"pyflame-bpf: unexpected argument '%s'; put a command after '--' (see --help)\n",
				argv[optind]);
			return -EINVAL;
		}
		o->scope.command = &argv[optind];
	}
	return 0;
}

/* --idle is py-spy's: on-CPU and idle time together, which is --mode wall without --no-idle. 0 or -EINVAL (said). */
static int apply_idle(struct pf_options *o, const struct given *given)
{
	const char *why = NULL;

	if (!given->idle)
		return 0;
	if (o->sampling.no_idle)
		why = "--idle keeps the idle waits that --no-idle drops: give one of them";
	else if (given->mode && o->sampling.mode != MODE_WALL)
		why = "--idle is --mode wall: no other --mode with it";
	if (why) {
		fprintf(stderr, "pyflame-bpf: %s\n", why);
		return -EINVAL;
	}
	o->sampling.mode = MODE_WALL;
	return 0;
}

/* Options that only make sense together, or not at all together. 0 or -EINVAL (said). */
static int check_combinations(const struct pf_options *o, const struct given *given)
{
	const char *why = NULL;

	if (o->out.interval > 0 && (!o->out.output || !strchr(o->out.output, '%')))
		why = "--interval writes one file per window: give -o a strftime pattern, e.g. -o "
		      "'prof/%Y%m%dT%H%M%S.folded'";
	else if (o->sampling.mode == MODE_CPU && o->sampling.no_idle)
		why = "--no-idle applies to off-CPU time: add --mode off or --mode wall";
	else if (o->sampling.mode == MODE_CPU && given->min_block)
		why = "--min-block applies to off-CPU time: add --mode off or --mode wall";
	else if (!o->slice.func && given->slice_option)
		why = "--slower-than, --slice-root and --compare shape --slice's profile: add --slice FUNC";
	else if (o->slice.func && (o->report || o->dump))
		why = "--slice finds invocations in a recording: not with report, diff or dump";
	else if (o->slice.func && o->sampling.mode == MODE_OFF)
		why = "--slice times invocations from on- and off-CPU records: --mode wall (or cpu), not off";
	else if (o->slice.compare && (o->out.format == FORMAT_PPROF || o->out.format == FORMAT_SPEEDSCOPE))
		why = "--compare writes a diff: svg or folded (STACK BEFORE AFTER), not pprof or speedscope";
	else if (o->diff_base && (o->out.format == FORMAT_PPROF || o->out.format == FORMAT_SPEEDSCOPE))
		/* Their writers draw one profile: AFTER alone would pass for the diff, BEFORE silently dropped. */
		why = "diff writes svg or folded (STACK BEFORE AFTER); for pprof or speedscope, report each profile "
		      "(go tool pprof -diff_base BEFORE.pb.gz AFTER.pb.gz compares two)";
	else if (o->dump && (o->scope.command || o->scope.all || o->scope.cgroup || !o->scope.npids))
		why = "dump reads the processes -p names (and with --children their descendants): no command, --all or "
		      "--cgroup (see --help)";
	else if (o->dump && (o->sampling.duration > 0 || o->out.interval > 0 || given->mode))
		why = "dump takes one look now: no -d, --interval or --mode (see --help)";
	else if (!o->dump && o->json)
		why = "--json is dump's (see --help)";
	else if (!o->report && o->out.unit)
		why = "--unit says what a saved profile's counts are: only with report or diff (see --help)";
	else if (o->report && (o->scope.npids || o->scope.command || o->scope.all || o->scope.cgroup))
		why = "report and diff read saved profiles: no -p, --all, --cgroup or command (see --help)";
	else if (o->report)
		return 0;
	else if ((o->scope.all || o->scope.cgroup) &&
		 (o->scope.npids || o->scope.command || o->scope.children || (o->scope.all && o->scope.cgroup)))
		why = "--all and --cgroup choose the processes themselves (and follow their children): no -p, command, "
		      "--children or both (see --help)";
	else if (o->scope.comm && !o->scope.all && !o->scope.cgroup)
		why = "--comm filters --all or --cgroup (see --help)";
	else if (!o->scope.npids && !o->scope.command && !o->scope.all && !o->scope.cgroup)
		why = "nothing to profile: give -p PID, --all, --cgroup PATH or -- COMMAND (see --help)";
	if (why) {
		fprintf(stderr, "pyflame-bpf: %s\n", why);
		return -EINVAL;
	}
	return 0;
}

int cli__parse(struct pf_options *o, int argc, char **argv)
{
	struct given given = { 0 };
	int err;

	set_defaults(o);
	err = parse_subcommand(o, &argc, &argv);
	err = err ?: parse_options(o, argc, argv, &given);
	if (err)
		return err;
	/* A dump is text (or --json) wherever it goes. */
	if (!o->dump && (o->out.output || o->out.format == FORMAT_AUTO)) {
		int zst, by_name = output_format__from_path(o->out.output, &zst);

		if (o->out.format == FORMAT_AUTO && by_name == FORMAT_AUTO) {
			/* Folded text in x.pdf or x.html would mislead whoever opens it. */
			fprintf(stderr,
				"pyflame-bpf: cannot tell a format from the suffix of '%s': end it in .folded, .svg, "
				".pb.gz, .pb, .pprof, .speedscope.json or .json (.zst to compress), or give --format\n",
				o->out.output);
			return -EINVAL;
		}
		if (o->out.format == FORMAT_AUTO)
			o->out.format = by_name;
		o->out.compress |= zst;
	}
	err = apply_idle(o, &given) ?: check_combinations(o, &given);
	if (err || o->report)
		return err;
	return check_pids_exist(o);
}

void cli__free(struct pf_options *o)
{
	free(o->scope.pids);
	o->scope.pids = NULL;
	o->scope.npids = 0;
}
