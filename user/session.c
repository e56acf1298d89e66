/* One recording: load the sampler, attach to every CPU, drain samples until stopped, detach, keep the profile. */
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "process_tracker.h"
#include "python_symbols.h"
#include "record.h"
#include "sampler.skel.h"
#include "session.h"

#define DRAIN_INTERVAL_MS 50

static int verbose_libbpf;

/* libbpf's log only with -v: without it, the one-line error we print says what failed. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return verbose_libbpf ? vfprintf(stderr, fmt, args) : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double now_s(void)
{
	return (double)now_ns() / 1e9;
}

/* CPU time of this thread: what draining costs, whatever else the machine runs. */
double session__cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void session__init(struct session *s, const struct pf_options *opts)
{
	memset(s, 0, sizeof(*s));
	s->opts = opts;
	s->launched = now_s();
	targets__init(&s->targets);
	profile__init(&s->profile);
	offcpu_intervals__init(&s->intervals);
	elf_cache__init(&s->elves, opts->verbose);
	user_symbols__init(&s->usyms, &s->elves);
}

static void record_error(struct session *s, int err)
{
	if (err && !s->callback_err) {
		fprintf(stderr, "pyflame-bpf: cannot record samples: %s\n", strerror(-err));
		s->callback_err = err;
	}
}

/* A record of a later window (--interval) waits until the current window is written. */
static int defer(struct session *s, const void *data, size_t size)
{
	struct pending *pd = malloc(sizeof(*pd) + size);
	struct pending **grown;

	if (!pd)
		return -ENOMEM;
	if (s->npending == s->pending_cap) {
		s->pending_cap = s->pending_cap ? s->pending_cap * 2 : 256;
		grown = realloc(s->pending, s->pending_cap * sizeof(*s->pending));
		if (!grown) {
			free(pd);
			return -ENOMEM;
		}
		s->pending = grown;
	}
	pd->size = size;
	memcpy(pd->data, data, size);
	s->pending[s->npending++] = pd;
	return 0;
}

/* A record in stream order: a process event (see include/lifecycle.h), or a sample. */
static int consume(struct session *s, const void *data, size_t size)
{
	uint64_t before = s->profile.total;
	int err;

	unsigned int kind = record__kind(data, size);

	struct target_process *tp = NULL;

	if (kind == PF_REC_PROC_EVENT)
		return process_tracker__event(&s->tracker, data);
	if (kind == PF_REC_SAMPLE)
		tp = process_tracker__sample(&s->tracker, data);
	err = collector__add(&s->collector, tp, data, size);
	if (!before && s->profile.total && !s->first_counted) { /* start-up, for -v */
		s->first_counted = now_s();
		s->first_sample_ns = ((const struct pf_sample *)data)->time_ns;
	}
	return err;
}

/* A complete record into the current window, or held for a later one. An event waits behind held-back records, so
 * that the samples before it are counted before it. */
static void add_record(struct session *s, const void *data, size_t size)
{
	const struct pf_sample *rec = data;
	unsigned int kind = record__kind(data, size);

	if (s->window_end_ns && (kind == PF_REC_PROC_EVENT ? s->npending > 0
				 : kind == PF_REC_SAMPLE && rec->time_ns >= s->window_end_ns))
		record_error(s, defer(s, data, size));
	else
		record_error(s, consume(s, data, size));
}

static int handle_sample(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	const struct pf_sample *rec = data;
	struct offcpu_interval iv;

	int sample = record__kind(data, size) == PF_REC_SAMPLE;

	/* An off-CPU interval counts once it has ended, in the window of its end. */
	if (sample && (rec->flags & PF_SAMPLE_OFF_END)) {
		if (offcpu_intervals__end(&s->intervals, rec, &iv)) {
			add_record(s, iv.rec, iv.size);
			offcpu_interval__free(&iv);
		}
	} else if (sample && (rec->flags & PF_SAMPLE_OFFCPU)) {
		record_error(s, offcpu_intervals__start(&s->intervals, rec, size));
	} else {
		add_record(s, data, size);
	}
	return 0;
}

/* Threads still off CPU when the recording ends: their intervals end with it. */
static void close_intervals(struct session *s)
{
	struct offcpu_interval iv;

	while (offcpu_intervals__close_next(&s->intervals, s->end_ns, &iv)) {
		add_record(s, iv.rec, iv.size);
		offcpu_interval__free(&iv);
	}
}

/* Feeds the deferred records that belong to the current window (or all of them, at the end). */
static void replay_pending(struct session *s, int all)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->npending; i++) {
		struct pending *pd = s->pending[i];
		const struct pf_sample *rec = (const void *)pd->data;
		int event = record__kind(pd->data, pd->size) == PF_REC_PROC_EVENT;

		if (!all && (event ? kept > 0 : rec->time_ns >= s->window_end_ns)) {
			s->pending[kept++] = pd;
			continue;
		}
		record_error(s, consume(s, pd->data, pd->size));
		free(pd);
	}
	s->npending = kept;
}

/* Closes every window whose end has passed (with a drain's slack, so records of all CPUs are in). */
static void close_windows(struct session *s, int final)
{
	uint64_t now = (uint64_t)(now_s() * 1e9), slack = 2ULL * DRAIN_INTERVAL_MS * 1000000ULL;
	uint64_t interval = (uint64_t)(s->opts->interval * 1e9);

	while (s->window_end_ns && (final || now >= s->window_end_ns + slack)) {
		if (final)
			replay_pending(s, 1);
		s->on_window(s->on_window_ctx, s, s->window_start_wall);
		profile__mark(&s->profile);
		s->windows++;
		s->window_start_wall += s->opts->interval;
		if (final)
			break;
		s->window_end_ns += interval;
		replay_pending(s, 0);
	}
}

static int check_environment(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "pyflame-bpf: this kernel has no BTF (/sys/kernel/btf/vmlinux): "
				"a kernel built with CONFIG_DEBUG_INFO_BTF (5.8+) is needed\n");
		return -ENOTSUP;
	}
	return 0;
}

/* kernel.bpf_stats_enabled=1: the user is measuring the sampler's cost, so the program times its samples too. */
static bool bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c == '1';
}

static int load_sampler(struct session *s)
{
	const struct pf_options *o = s->opts;
	int err;

	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);
	s->skel = sampler__open();
	if (!s->skel) {
		err = -errno;
		fprintf(stderr, "pyflame-bpf: cannot open the BPF sampler: %s\n", strerror(-err));
		return err;
	}
	s->skel->rodata->max_py_depth = o->max_depth;
	s->skel->rodata->read_gil = o->gil;
	/* Only what the mode needs is loaded: cpu mode does not depend on the scheduler hooks. */
	if (o->mode == MODE_CPU) {
		bpf_program__set_autoload(s->skel->progs.pf_switch, false);
		bpf_program__set_autoload(s->skel->progs.pf_start_pass, false);
	}
	s->skel->rodata->measure_cost = bpf_stats_enabled();
	if (o->verbose) /* verifier statistics (instructions processed, states) in libbpf's log */
		bpf_program__set_log_level(s->skel->progs.pf_sample, 4);
	bpf_map__set_max_entries(s->skel->maps.samples, o->buffer_size);
	bpf_map__set_max_entries(s->skel->maps.stacks, o->max_stacks);
	bpf_map__set_max_entries(s->skel->maps.targets, o->max_processes);
	err = sampler__load(s->skel);
	if (err) {
		if (err == -EPERM)
			fprintf(stderr, "pyflame-bpf: not permitted to load BPF programs: run as root "
					"(or with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)\n");
		else
			fprintf(stderr, "pyflame-bpf: cannot load the BPF sampler: %s (-v shows libbpf's log)\n",
				strerror(-err));
		return err;
	}
	return 0;
}

int session__start(struct session *s)
{
	const struct pf_options *o = s->opts;
	struct py_symbols_options py_opts = { .full_filenames = o->full_filenames, .function = o->function };
	int err;

	err = check_environment();
	if (err)
		return err;
	if (geteuid() != 0 && !o->quiet)
		fprintf(stderr, "pyflame-bpf: not running as root: loading will fail without CAP_BPF and CAP_PERFMON\n");
	err = load_sampler(s);
	if (err)
		return err;
	s->py = py_symbols__new(&s->elves, &py_opts);
	if (!s->py)
		return -ENOMEM;
	collector__init(&s->collector, &s->profile, NULL, &s->usyms, bpf_map__fd(s->skel->maps.stacks));
	s->collector.py = s->py;
	s->collector.time_weighted = o->mode != MODE_CPU;
	s->collector.period_us = (1000000 + o->frequency / 2) / o->frequency;
	s->collector.gil_only = o->gil;
	s->collector.no_idle = o->no_idle;
	s->collector.min_block_ns = o->min_block_ns;
	s->profile.measure = o->mode == MODE_WALL ? MEASURE_WALL : o->mode == MODE_OFF ? MEASURE_OFF_CPU : MEASURE_CPU;
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.samples), handle_sample, s, NULL);
	if (!s->rb) {
		err = -errno;
		fprintf(stderr, "pyflame-bpf: cannot open the ring buffer: %s\n", strerror(-err));
		return err;
	}
	process_tracker__init(&s->tracker, o, &s->profile, s->py, &s->usyms);
	/* Attached before any target is registered: no fork or exec of a target goes unseen. */
	err = process_tracker__attach(&s->tracker, s->skel);
	if (err)
		return err;
	for (size_t i = 0; i < o->npids; i++)
		if ((err = targets__add(&s->targets, o->pids[i])))
			return err;
	if (o->command && (err = targets__spawn(&s->targets, o->command, !o->output))) {
		fprintf(stderr, "pyflame-bpf: cannot start '%s': %s\n", o->command[0], strerror(-err));
		return err;
	}
	for (size_t i = 0; i < s->targets.n; i++)
		if ((err = process_tracker__add_named(&s->tracker, s->targets.list[i].pid, s->targets.list[i].is_child)))
			return err;
	err = process_tracker__scan(&s->tracker);
	if (err)
		return err;
	s->start_ns = now_ns();
	s->start = (double)s->start_ns / 1e9;
	if (o->mode != MODE_CPU) {
		s->skel->bss->start_ns = s->start_ns;
		if ((err = sched_events__attach(&s->sched, s->skel)))
			return err;
		s->attached = 1;
	}
	if (o->mode != MODE_OFF && (err = perf_events__open(&s->events, s->skel->progs.pf_sample, o->frequency)))
		return err;
	s->attached = 1;
	process_tracker__started(&s->tracker, s->start);
	if (o->verbose) /* scripts wait for this line before they start what they want recorded */
		fprintf(stderr, "pyflame-bpf: recording: %zu processes at %u Hz\n", process_tracker__alive(&s->tracker),
			o->frequency);
	if (o->interval > 0) {
		struct timespec wall;

		clock_gettime(CLOCK_REALTIME, &wall);
		s->window_start_wall = wall.tv_sec + wall.tv_nsec / 1e9;
		s->window_end_ns = (uint64_t)((s->start + o->interval) * 1e9);
	}
	if (o->command && (err = targets__release(&s->targets, o->command[0])))
		return err;
	/* Kernel symbols are first needed at the first drain: reading /proc/kallsyms (~100k lines, tens of ms)
	 * while the sampler already runs keeps it out of the start-up. */
	err = kallsyms__load(&s->ksyms, "/proc/kallsyms");
	if (err)
		fprintf(stderr, "pyflame-bpf: kernel symbols unavailable (%s): kernel frames shown as addresses\n",
			strerror(-err));
	s->have_ksyms = !err;
	s->collector.ksyms = s->have_ksyms ? &s->ksyms : NULL;
	return 0;
}

static void drain(struct session *s)
{
	double t = session__cpu_s();

	py_symbols__begin_drain(s->py);
	ring_buffer__consume(s->rb);
	s->drain_s += session__cpu_s() - t;
	close_windows(s, 0);
}

static void mark_exited(struct session *s)
{
	for (size_t i = 0; i < s->targets.n; i++) {
		struct target *t = &s->targets.list[i];
		struct target_process *tp = process_tracker__find(&s->tracker, t->pid);
		struct profile_process *pp = tp ? tp->record : NULL;

		if (t->exited && pp && pp->exited_after < 0)
			pp->exited_after = now_s() - s->start;
	}
}

static void read_stats(struct session *s);

/* The live status line on a terminal: elapsed / duration, samples, stacks, losses, rewritten in place. */
static void progress(struct session *s, int done)
{
	double elapsed = now_s() - s->start;
	uint64_t lost;
	char duration[32] = "";

	if (!s->progress)
		return;
	if (done) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	if (elapsed - s->progress_at < 0.25)
		return;
	s->progress_at = elapsed;
	read_stats(s);
	lost = s->stats[PF_STAT_LOST_RINGBUF];
	if (s->opts->duration > 0)
		snprintf(duration, sizeof(duration), " / %.0f s", s->opts->duration);
	fprintf(stderr, "\r\033[Kpyflame-bpf: %.1f s%s, %" PRIu64 " samples, %zu stacks, %" PRIu64 " lost", elapsed,
		duration, s->profile.total, s->profile.nstacks, lost);
}

int session__run(struct session *s, volatile int *stop_signal)
{
	/* Drains keep a fixed schedule from the attach: the first comes at once when the start-up's last steps
	 * (kernel symbols) already took a drain interval. */
	double next_drain = s->start + DRAIN_INTERVAL_MS / 1e3;
	size_t alive;

	s->progress = !s->opts->quiet && isatty(STDERR_FILENO);
	for (;;) {
		double wait = next_drain - now_s();

		/* Samples wait for the drain; a process event that needs an interpreter found (an exec) wakes us at
		 * once, and so do the retries of the interpreters still being looked for. */
		if (wait > 0) {
			ring_buffer__poll(s->rb, process_tracker__retry(&s->tracker, (int)(wait * 1e3) + 1));
			process_tracker__retry(&s->tracker, 0);
			continue;
		}
		next_drain += DRAIN_INTERVAL_MS / 1e3;
		if (next_drain < now_s())
			next_drain = now_s() + DRAIN_INTERVAL_MS / 1e3;
		drain(s);
		progress(s, 0);
		process_tracker__tick(&s->tracker);
		if (s->callback_err)
			break;
		if (*stop_signal) {
			s->stop_reason = STOP_SIGNAL;
			break;
		}
		alive = targets__poll(&s->targets) + process_tracker__followed_alive(&s->tracker);
		if (!alive && !s->opts->all && !s->opts->cgroup) {
			s->stop_reason = STOP_TARGETS_EXITED;
			break;
		}
		mark_exited(s);
		if (s->opts->duration > 0 && now_s() - s->start >= s->opts->duration) {
			s->stop_reason = STOP_DURATION;
			break;
		}
	}
	mark_exited(s);
	progress(s, 1);
	return s->callback_err;
}

/* BPF run time, counted by the kernel only while kernel.bpf_stats_enabled=1. */
static void prog_stats(struct bpf_program *prog, uint64_t *run_ns, uint64_t *runs)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(prog);

	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*run_ns = info.run_time_ns;
		*runs = info.run_cnt;
	}
}

static void read_prog_stats(struct session *s)
{
	prog_stats(s->skel->progs.pf_sample, &s->prog_run_ns, &s->prog_runs);
	prog_stats(s->skel->progs.pf_switch, &s->switch_run_ns, &s->switch_runs);
}

static void read_stats(struct session *s)
{
	int ncpus = libbpf_num_possible_cpus();

	memset(s->stats, 0, sizeof(s->stats));
	__u64 *vals = calloc(ncpus > 0 ? ncpus : 1, sizeof(*vals));

	if (!vals)
		return;
	for (__u32 k = 0; k < PF_STAT__COUNT; k++) {
		if (bpf_map__lookup_elem(s->skel->maps.stats, &k, sizeof(k), vals, ncpus * sizeof(*vals), 0))
			continue;
		for (int c = 0; c < ncpus; c++)
			s->stats[k] += vals[c];
		if (k == PF_STAT_LOST_RINGBUF && s->stats[k]) {
			free(s->lost_per_cpu);
			s->lost_per_cpu = calloc(ncpus, sizeof(*s->lost_per_cpu));
			if (s->lost_per_cpu)
				memcpy(s->lost_per_cpu, vals, ncpus * sizeof(*vals));
			s->ncpus = ncpus;
		}
	}
	free(vals);
}

int session__stop(struct session *s)
{
	if (s->attached) {
		/* Detach first: the last drain then sees every record and the counters are final. */
		s->end_ns = now_ns();
		perf_events__close(&s->events);
		sched_events__detach(&s->sched);
		process_tracker__detach(&s->tracker);
		s->attached = 0;
		s->elapsed = (double)(s->end_ns - s->start_ns) / 1e9;
	}
	if (s->rb)
		drain(s);
	close_intervals(s);
	if (s->skel) {
		read_stats(s);
		read_prog_stats(s);
	}
	close_windows(s, 1); /* the partial last window */
	return s->callback_err; /* printed where it happened */
}

double session__elapsed(const struct session *s)
{
	return s->attached ? now_s() - s->start : s->elapsed;
}

void session__summary(const struct session *s)
{
	const uint64_t *st = s->stats;
	uint64_t lost = st[PF_STAT_LOST_RINGBUF];
	uint64_t no_ustack = st[PF_STAT_USTACK_FULL] + st[PF_STAT_USTACK_ERR];
	uint64_t no_kstack = st[PF_STAT_KSTACK_FULL] + st[PF_STAT_KSTACK_ERR];
	uint64_t timer_records = s->collector.records - s->collector.offcpu_in;
	struct py_symbols_stats py = {};

	if (s->py)
		py_symbols__stats(s->py, &py);
	static const char *const why[] = { [STOP_DURATION] = "duration elapsed", [STOP_SIGNAL] = "signal",
					   [STOP_TARGETS_EXITED] = "every target exited" };

	char written[64];

	if (s->windows)
		snprintf(written, sizeof(written), "%u windows written", s->windows);
	else
		snprintf(written, sizeof(written), "%zu stacks written", s->lines_written);
	if (s->opts->mode == MODE_CPU)
		fprintf(stderr, "pyflame-bpf: %" PRIu64 " samples in %.2f s at %u Hz (%s), %s, %" PRIu64
				" lost (ring buffer full)\n",
			s->profile.total, s->elapsed, s->opts->frequency, s->stop_reason ? why[s->stop_reason] : "stopped",
			written, lost);
	else
		fprintf(stderr, "pyflame-bpf: %.3f s of %s time (counts in microseconds) in %.2f s (%s), %s, %" PRIu64
				" records lost (ring buffer full)\n",
			(double)s->profile.total / 1e6, s->opts->mode == MODE_WALL ? "wall-clock" : "off-CPU", s->elapsed,
			s->stop_reason ? why[s->stop_reason] : "stopped", written, lost);
	if (s->opts->mode != MODE_CPU) {
		const struct collector *c = &s->collector;

		fprintf(stderr, "pyflame-bpf: off-CPU: %" PRIu64 " intervals, %.3f s (%" PRIu64
				" still blocked at the end), %.3f s waiting for the GIL; %" PRIu64
				" shorter than --min-block (%.3f s) dropped",
			c->offcpu_records, (double)c->offcpu_us / 1e6, c->still_off, (double)c->gil_wait_us / 1e6,
			c->short_records, (double)c->short_us / 1e6);
		if (s->intervals.unmatched)
			fprintf(stderr, "; %" PRIu64 " ends without their start (lost)", s->intervals.unmatched);
		if (s->opts->no_idle)
			fprintf(stderr, ", %.3f s idle (--no-idle) dropped", (double)c->idle_us / 1e6);
		fputc('\n', stderr);
		if (s->opts->mode == MODE_WALL)
			fprintf(stderr, "pyflame-bpf: on-CPU: %" PRIu64 " samples at %u Hz, %" PRIu64 " us each\n",
				st[PF_STAT_SAMPLES], s->opts->frequency, c->period_us);
	}
	if (s->opts->gil && (s->collector.gil_unknown || s->collector.gil_dropped))
		fprintf(stderr, "pyflame-bpf: --gil: %" PRIu64 " records without the GIL dropped, %" PRIu64
				" dropped because the process's GIL state is unknown (CPython 2.7 and 3.6 do not expose it)\n",
			s->collector.gil_dropped, s->collector.gil_unknown);
	if (lost && s->lost_per_cpu) {
		fprintf(stderr, "pyflame-bpf: ring buffer full, samples lost per CPU:");
		for (int c = 0; c < s->ncpus; c++)
			if (s->lost_per_cpu[c])
				fprintf(stderr, " CPU %d: %" PRIu64 ";", c, s->lost_per_cpu[c]);
		fprintf(stderr, " raise --buffer-size\n");
	}
	if (no_ustack || no_kstack)
		fprintf(stderr, "pyflame-bpf: stacks not recorded: %" PRIu64 " user (%" PRIu64 " stack map full), %" PRIu64
				" kernel (%" PRIu64 " stack map full): raise --max-stacks\n",
			no_ustack, st[PF_STAT_USTACK_FULL], no_kstack, st[PF_STAT_KSTACK_FULL]);
	if (s->collector.py_samples || st[PF_STAT_PY_NO_TSTATE])
		fprintf(stderr, "pyflame-bpf: Python: %" PRIu64 " samples with Python frames, %" PRIu64
				" without a thread state, %" PRIu64 " cut by a failed read, %" PRIu64
				" truncated at --max-depth; %" PRIu64 " code objects named (%" PRIu64 " re-used addresses, %" PRIu64
				" freed before naming, %" PRIu64 " unreadable)\n",
			s->collector.py_samples, st[PF_STAT_PY_NO_TSTATE], st[PF_STAT_PY_READ_ERR],
			st[PF_STAT_PY_TRUNCATED], py.code_objects, py.code_reused, py.code_gone, py.read_errors);
	if (s->opts->verbose && st[PF_STAT_PY_FRAMES])
		fprintf(stderr, "pyflame-bpf: Python walk: %" PRIu64 " frames visited, %" PRIu64 " memory reads (%.2f per frame)\n",
			st[PF_STAT_PY_FRAMES], st[PF_STAT_PY_READS],
			(double)st[PF_STAT_PY_READS] / st[PF_STAT_PY_FRAMES]);
	if (s->prog_runs && st[PF_STAT_SAMPLES] && st[PF_STAT_TARGET_NS])
		fprintf(stderr, "pyflame-bpf: BPF program: %" PRIu64 " ns per sample of the targets (timed in the program), "
				"%" PRIu64 " runs on all CPUs at %" PRIu64 " ns per run (kernel.bpf_stats_enabled)\n",
			st[PF_STAT_TARGET_NS] / st[PF_STAT_SAMPLES], s->prog_runs, s->prog_run_ns / s->prog_runs);
	else if (s->prog_runs && st[PF_STAT_SAMPLES])
		fprintf(stderr, "pyflame-bpf: BPF program: %" PRIu64 " runs on all CPUs at %" PRIu64 " ns per run "
				"(kernel.bpf_stats_enabled)\n", s->prog_runs, s->prog_run_ns / s->prog_runs);
	if (s->switch_runs)
		fprintf(stderr, "pyflame-bpf: BPF scheduler program: %" PRIu64 " ns per context switch on all CPUs (%" PRIu64
				" switches, %" PRIu64 " of them a target thread leaving)\n",
			s->switch_run_ns / s->switch_runs, s->switch_runs, st[PF_STAT_OFF_BLOCKS] - st[PF_STAT_OFF_OPEN]);
	if (s->collector.bad_records)
		fprintf(stderr, "pyflame-bpf: %" PRIu64 " malformed records dropped\n", s->collector.bad_records);
	/* Every sample the kernel took of a target either reached userspace or was counted lost: say so with -v, and
	 * always when the two sides disagree (off-CPU intervals are counted apart). */
	if (s->opts->verbose || st[PF_STAT_SAMPLES] != timer_records + s->collector.bad_records)
		fprintf(stderr, "pyflame-bpf: accounting: %" PRIu64 " samples taken of the targets: %" PRIu64
				" reached userspace (%" PRIu64 " counted, %" PRIu64 " malformed), %" PRIu64
				" lost (ring buffer full)\n",
			st[PF_STAT_SAMPLES] + lost, st[PF_STAT_SAMPLES], timer_records, s->collector.bad_records, lost);
	process_tracker__summary(&s->tracker);
	if (s->opts->verbose) {
		fprintf(stderr, "pyflame-bpf: userspace CPU: %.1f ms counting and naming %" PRIu64 " samples into %zu "
				"stacks (%.2f us per sample), %.1f ms writing the output\n",
			s->drain_s * 1e3, s->profile.total, s->profile.nstacks,
			s->profile.total ? s->drain_s * 1e6 / s->profile.total : 0.0, s->write_s * 1e3);
		if (s->first_counted)
			fprintf(stderr, "pyflame-bpf: start-up: sampling attached %.1f ms after start, first sample taken at "
					"%.1f ms, counted at %.1f ms (CLOCK_MONOTONIC %.6f s)\n",
				(s->start - s->launched) * 1e3, (s->first_sample_ns / 1e9 - s->launched) * 1e3,
				(s->first_counted - s->launched) * 1e3, s->first_counted);
	}
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct target *t = &s->targets.list[i];
		const struct target_process *tp = process_tracker__find(&s->tracker, t->pid);
		const struct profile_process *pp = tp ? tp->record : NULL;

		if (s->opts->verbose && pp && pp->python)
			fprintf(stderr, "pyflame-bpf: PID %d (%s): CPython %s\n", (int)t->pid, pp->comm, pp->python);
		if (t->exited)
			fprintf(stderr, "pyflame-bpf: PID %d (%s) exited after %.2f s\n", (int)t->pid,
				pp ? pp->comm : "?", pp && pp->exited_after >= 0 ? pp->exited_after : s->elapsed);
	}
}

void session__free(struct session *s)
{
	perf_events__close(&s->events);
	sched_events__detach(&s->sched);
	offcpu_intervals__free(&s->intervals);
	ring_buffer__free(s->rb);
	process_tracker__free(&s->tracker);
	sampler__destroy(s->skel);
	targets__free(&s->targets, 1);
	collector__free(&s->collector);
	py_symbols__free(s->py);
	elf_cache__free(&s->elves);
	kallsyms__free(&s->ksyms);
	profile__free(&s->profile);
	free(s->lost_per_cpu);
	for (size_t i = 0; i < s->npending; i++)
		free(s->pending[i]);
	free(s->pending);
	memset(s, 0, sizeof(*s));
}
