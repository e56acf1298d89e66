/* One recording: load the sampler, attach to every CPU, drain samples until stopped, detach, keep the profile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "output_format.h"
#include "python_symbols.h"
#include "run_summary.h"
#include "sampler.skel.h"
#include "session.h"

#define DRAIN_INTERVAL_MS 50

void session__init(struct session *s, const struct pf_options *opts)
{
	memset(s, 0, sizeof(*s));
	s->opts = opts;
	s->times.launched = clock__now_s();
	targets__init(&s->targets);
	profile__init(&s->profile);
	elf_cache__init(&s->elves, opts->verbose);
	user_symbols__init(&s->usyms, &s->elves);
	s->usyms.addresses = opts->out.native_addresses;
	interval_windows__init(&s->windows, opts, &s->profile, record_stream__consume, &s->stream);
	record_stream__init(&s->stream, &s->tracker, &s->collector, &s->windows);
}

/* The symbolizers and the collector, configured from the options. */
static int setup_collection(struct session *s)
{
	const struct pf_options *o = s->opts;
	struct py_symbols_options py_opts = { .full_filenames = o->out.full_filenames, .function = o->out.function };

	s->py = py_symbols__new(&s->elves, &py_opts);
	if (!s->py) {
		fprintf(stderr, "pyflame-bpf: cannot set up Python symbols: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	collector__init(&s->collector, &s->profile, NULL, &s->usyms, bpf_map__fd(s->bpf.skel->maps.stacks));
	s->collector.py = s->py;
	s->collector.filter.time_weighted = o->sampling.mode != MODE_CPU;
	s->collector.filter.period_us = (1000000 + o->sampling.frequency / 2) / o->sampling.frequency;
	/* speedscope draws each thread's samples on a timeline: only then is each sample's time kept. */
	s->profile.timeline.keep = o->out.format == FORMAT_SPEEDSCOPE;
	s->collector.filter.gil_only = o->sampling.gil;
	s->collector.filter.no_idle = o->sampling.no_idle;
	s->collector.filter.min_block_ns = o->sampling.min_block_ns;
	s->collector.filter.thread_names = o->out.threads || o->dump || o->out.format == FORMAT_SPEEDSCOPE;
	if (o->slice.func) {
		struct slicer_options so = { .func = o->slice.func,
					     .percentile = o->slice.percentile,
					     .slower_ns = o->slice.slower_ns,
					     .root = o->slice.root,
					     .period_ns = s->collector.filter.period_us * 1000 };

		slicer__init(&s->slicer, &so, &s->profile);
		s->collector.slicer = &s->slicer;
		s->windows.slicer = &s->slicer;
	}
	s->profile.measure = o->sampling.mode == MODE_WALL  ? MEASURE_WALL
			     : o->sampling.mode == MODE_OFF ? MEASURE_OFF_CPU
							    : MEASURE_CPU;
	process_tracker__init(&s->tracker, o, &s->profile, s->py, &s->usyms);
	return 0;
}

/* The named targets (-p, the command, held until attached) and those in scope now (--children, --all, --cgroup). */
static int register_targets(struct session *s)
{
	const struct pf_options *o = s->opts;
	int err;

	for (size_t i = 0; i < o->scope.npids; i++)
		if ((err = targets__add(&s->targets, o->scope.pids[i])))
			return err;
	if (o->scope.command && (err = targets__spawn(&s->targets, o->scope.command, !o->out.output))) {
		fprintf(stderr, "pyflame-bpf: cannot start '%s': %s\n", o->scope.command[0], strerror(-err));
		return err;
	}
	for (size_t i = 0; i < s->targets.n; i++)
		if ((err =
			 process_tracker__add_named(&s->tracker, s->targets.list[i].pid, s->targets.list[i].is_child)))
			return err;
	return process_tracker__scan(&s->tracker);
}

static int load_kernel_symbols(struct session *s)
{
	int err = kallsyms__load(&s->ksyms, "/proc/kallsyms");

	if (err)
		fprintf(stderr, "pyflame-bpf: kernel symbols unavailable (%s): kernel frames shown as addresses\n",
			strerror(-err));
	s->collector.ksyms = err ? NULL : &s->ksyms;
	return 0;
}

int session__start(struct session *s)
{
	const struct pf_options *o = s->opts;
	int err;

	err = sampler_bpf__load(&s->bpf, o);
	err = err ?: setup_collection(s);
	err = err ?: sampler_bpf__open_ring(&s->bpf, record_stream__handle, &s->stream);
	/* Attached before any target is registered: no fork or exec of a target goes unseen. */
	err = err ?: process_tracker__attach(&s->tracker, &s->bpf);
	err = err ?: register_targets(s);
	if (err)
		return err;
	if (o->dump)
		return load_kernel_symbols(s); /* no sampling: the dump's passes come next */
	s->times.start_ns = clock__now_ns();
	s->profile.time_ns = clock__realtime_ns();
	s->times.start = (double)s->times.start_ns / 1e9;
	err = sampler_bpf__attach(&s->bpf, o, s->times.start_ns);
	if (err)
		return err;
	process_tracker__started(&s->tracker, s->times.start);
	if (o->verbose) /* scripts wait for this line before they start what they want recorded */
		fprintf(stderr, "pyflame-bpf: recording: %zu processes at %u Hz\n", process_tracker__alive(&s->tracker),
			o->sampling.frequency);
	interval_windows__start(&s->windows, s->times.start, s->targets.n);
	if (o->scope.command && (err = targets__release(&s->targets, o->scope.command[0])))
		return err;
	/* Kernel symbols are first needed at the first drain: reading /proc/kallsyms (~100k lines, tens of ms)
	 * while the sampler already runs keeps it out of the start-up. */
	return load_kernel_symbols(s);
}

/* The slicer ending invocations (of exited threads, at the end): a failure stops the recording, said once. */
static void slicer_error(struct session *s, int err)
{
	if (err && !s->stream.err) {
		fprintf(stderr, "pyflame-bpf: cannot keep --slice's invocations: %s\n", strerror(-err));
		s->stream.err = err;
	}
}

static void drain(struct session *s)
{
	double t = clock__cpu_s();
	int err;

	py_symbols__begin_drain(s->py);
	err = ring_buffer__consume(s->bpf.rb);
	if (err < 0 && err != -EINTR && !s->stream.err) {
		fprintf(stderr, "pyflame-bpf: cannot read the ring buffer: %s\n", strerror(-err));
		s->stream.err = err;
	}
	if (s->collector.slicer && !s->stream.err)
		slicer_error(s, slicer__expire(s->collector.slicer, clock__now_ns()));
	s->times.drain_s += clock__cpu_s() - t;
	/* With a drain's slack, so that the records of all CPUs are in. */
	interval_windows__close_due(&s->windows, 2ULL * DRAIN_INTERVAL_MS * 1000000ULL, 0);
}

/* Named targets that exited: their records say when (a process whose exit event was lost among them). */
static void mark_exited(struct session *s)
{
	for (size_t i = 0; i < s->targets.n; i++) {
		struct target *t = &s->targets.list[i];
		struct target_process *tp = process_tracker__find(&s->tracker, t->pid);
		struct profile_process *pp = tp ? tp->record : NULL;

		if (t->exited && pp && pp->exited_after < 0)
			pp->exited_after = clock__now_s() - s->times.start;
	}
}

/* Why the run should stop after this drain, or 0. */
static int stop_reason(struct session *s, volatile int *stop_signal)
{
	size_t alive;

	if (*stop_signal)
		return STOP_SIGNAL;
	alive = targets__poll(&s->targets) + process_tracker__followed_alive(&s->tracker);
	if (!alive && !s->opts->scope.all && !s->opts->scope.cgroup)
		return STOP_TARGETS_EXITED;
	mark_exited(s);
	if (s->opts->sampling.duration > 0 && clock__now_s() - s->times.start >= s->opts->sampling.duration)
		return STOP_DURATION;
	return 0;
}

int session__run(struct session *s, volatile int *stop_signal)
{
	/* Drains keep a fixed schedule from the attach: the first comes at once when the start-up's last steps
	 * (kernel symbols) already took a drain interval. */
	double next_drain = s->times.start + DRAIN_INTERVAL_MS / 1e3;

	s->run.progress = !s->opts->quiet && isatty(STDERR_FILENO);
	for (;;) {
		double wait = next_drain - clock__now_s();

		/* Samples wait for the drain; a process event that needs an interpreter found (an exec) wakes us at
		 * once, and so do the retries of the interpreters still being looked for. */
		if (wait > 0) {
			/* An error here (a signal) is the drain's to see: it reads the same ring buffer. */
			(void)ring_buffer__poll(s->bpf.rb, process_tracker__retry(&s->tracker, (int)(wait * 1e3) + 1));
			(void)process_tracker__retry(&s->tracker, 0); /* the due lookups; when the next is due: above */
			continue;
		}
		next_drain += DRAIN_INTERVAL_MS / 1e3;
		if (next_drain < clock__now_s())
			next_drain = clock__now_s() + DRAIN_INTERVAL_MS / 1e3;
		drain(s);
		run_summary__progress(s, 0);
		process_tracker__tick(&s->tracker);
		if (s->stream.err)
			break;
		if ((s->run.stop_reason = stop_reason(s, stop_signal)))
			break;
	}
	mark_exited(s);
	run_summary__progress(s, 1);
	return s->stream.err;
}

int session__stop(struct session *s)
{
	if (s->bpf.attached) {
		/* Detach first: the last drain then sees every record and the counters are final. */
		s->times.end_ns = clock__now_ns();
		sampler_bpf__detach(&s->bpf);
		process_tracker__detach(&s->tracker);
		s->times.elapsed = (double)(s->times.end_ns - s->times.start_ns) / 1e9;
		s->profile.duration_ns = s->times.end_ns - s->times.start_ns;
	}
	if (s->bpf.rb)
		drain(s);
	record_stream__close_intervals(&s->stream, s->times.end_ns);
	if (s->collector.slicer && !s->stream.err)
		slicer_error(s, slicer__finish(s->collector.slicer));
	sampler_bpf__read_counters(&s->bpf);
	interval_windows__close_due(&s->windows, 0, 1); /* the partial last window */
	s->times.write_s += s->windows.write_s;
	return s->stream.err ?: s->windows.err; /* printed where they happened */
}

double session__elapsed(const struct session *s)
{
	return s->bpf.attached ? clock__now_s() - s->times.start : s->times.elapsed;
}

void session__free(struct session *s)
{
	sampler_bpf__detach(&s->bpf);
	record_stream__free(&s->stream);
	if (s->collector.slicer)
		slicer__free(s->collector.slicer);
	interval_windows__free(&s->windows);
	process_tracker__free(&s->tracker);
	sampler_bpf__free(&s->bpf);
	targets__free(&s->targets, 1);
	collector__free(&s->collector);
	py_symbols__free(s->py);
	elf_cache__free(&s->elves);
	kallsyms__free(&s->ksyms);
	profile__free(&s->profile);
	memset(s, 0, sizeof(*s));
}
