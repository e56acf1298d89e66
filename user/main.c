/* pyflame-bpf: parse the command line, record one session (or read a saved profile), write it, report. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "dump.h"
#include "clock.h"
#include "output.h"
#include "profile_output.h"
#include "reader_folded.h"
#include "run_summary.h"
#include "session.h"
#include "slice_output.h"

static volatile int stop_signal;

/* SIGINT/SIGTERM end the recording; SIGHUP asks for a snapshot and never hides a pending SIGINT/SIGTERM. */
static void on_signal(int sig)
{
	if (sig != SIGHUP || !stop_signal)
		stop_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* --unit over what the file's header said: microseconds keep an off-CPU file's measure, else are wall-clock. */
static void apply_unit(struct profile *p, int unit)
{
	if (unit == UNIT_SAMPLES)
		p->measure = MEASURE_CPU;
	else if (unit == UNIT_US && p->measure == MEASURE_CPU)
		p->measure = MEASURE_WALL;
}

/* `report FILE` (a saved profile into another file or format) and `diff BEFORE AFTER`; need no privileges. */
static int report(const struct pf_options *o, struct output *out)
{
	struct view_options vo = { 0 }; /* roots, if any, are already frames of the saved stacks */
	struct profile p, before;
	size_t lines;
	int err;

	profile__init(&p);
	profile__init(&before);
	err = folded__read(&p, o->report);
	if (!err && o->diff_base)
		err = folded__read(&before, o->diff_base);
	apply_unit(&p, o->out.unit);
	apply_unit(&before, o->out.unit);
	if (!err && o->diff_base && (before.measure == MEASURE_CPU) != (p.measure == MEASURE_CPU)) {
		/* Samples against microseconds would compare numbers of different things. */
		fprintf(stderr,
			"pyflame-bpf: diff: %s counts %s, %s %s: compare profiles of one unit (or give --unit)\n",
			o->diff_base, before.measure == MEASURE_CPU ? "samples" : "microseconds", o->report,
			p.measure == MEASURE_CPU ? "samples" : "microseconds");
		err = -EINVAL;
	}
	if (err)
		output__abort(out);
	else
		err = profile_output__write(o->diff_base ? &before : NULL, &p, &vo, o, NULL, out, &lines);
	profile__free(&p);
	profile__free(&before);
	return err ? 1 : 0;
}

/* SIGHUP: everything collected so far, written whole to -o (renamed into place, like the final profile), then a
 * new temporary file opened for the next write; the recording goes on. With --interval, the current window so far
 * goes to its file (rewritten when the window closes). 0, or -errno when -o can no longer be written. */
static int snapshot(const struct pf_options *o, struct session *s, struct output *out)
{
	struct view_options vo = profile_output__record_view(o, s->targets.n);
	char subtitle[160];
	size_t lines;
	int err;

	if (o->out.interval > 0) {
		interval_windows__snapshot(&s->windows);
		return 0;
	}
	if (!out->tmp) {
		fprintf(stderr,
			"pyflame-bpf: SIGHUP: no snapshot, the profile goes to %s, not to a regular file; "
			"still recording\n",
			o->out.output ? o->out.output : "stdout");
		return 0;
	}
	profile_output__subtitle(o, s->profile.total, session__elapsed(s), " (snapshot while recording)", subtitle,
				 sizeof(subtitle));
	s->profile.duration_ns = (uint64_t)(session__elapsed(s) * 1e9);
	err = profile_output__write(NULL, &s->profile, &vo, o, subtitle, out, &lines);
	err = err ?: output__open(out, o->out.output, o->out.compress);
	if (!err && !o->quiet)
		fprintf(stderr, "pyflame-bpf: SIGHUP: wrote %s (%llu samples so far); still recording\n", o->out.output,
			(unsigned long long)s->profile.total);
	return err;
}

/* The whole profile, once the recording stopped (with --interval every window is written already). */
static int write_recording(const struct pf_options *o, struct session *s, struct output *out)
{
	struct view_options vo = profile_output__record_view(o, s->targets.n);
	char subtitle[160];
	double t;
	int err;

	if (o->out.interval > 0)
		return 0;
	if (o->slice.func)
		return slice_output__write(o, &s->slicer, &s->profile, s->targets.n, out, &s->run.lines_written);
	profile_output__subtitle(o, s->profile.total, s->times.elapsed, "", subtitle, sizeof(subtitle));
	t = clock__cpu_s();
	err = profile_output__write(NULL, &s->profile, &vo, o, subtitle, out, &s->run.lines_written);
	s->times.write_s += clock__cpu_s() - t;
	return err;
}

static int record(const struct pf_options *o, struct output *out)
{
	struct session s;
	int err;

	/* Never fetch debug info over the network from a production host (libdw would, with 90 s timeouts). */
	unsetenv("DEBUGINFOD_URLS");
	install_signals();
	session__init(&s, o);
	err = session__start(&s);
	while (!err) {
		err = session__run(&s, &stop_signal);
		if (err || stop_signal != SIGHUP)
			break;
		stop_signal = 0; /* before writing: a SIGINT/SIGTERM meanwhile still ends the run */
		err = snapshot(o, &s, out);
	}
	err = session__stop(&s) ?: err;
	if (err) {
		if (out)
			output__abort(out);
		session__free(&s);
		return 1;
	}
	err = write_recording(o, &s, out);
	if (!o->quiet)
		run_summary__print(&s, !err);
	session__free(&s);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct pf_options opts;
	struct output out;
	int err;

	err = cli__parse(&opts, argc, argv);
	if (err) {
		cli__free(&opts);
		return err > 0 ? 0 : 2;
	}
	if (opts.out.interval > 0) {
		/* One file per window, opened when it closes: check now that the first one could be written. */
		err = interval_windows__check(opts.out.output) ? 2 : record(&opts, NULL);
		cli__free(&opts);
		return err;
	}
	if (output__open(&out, opts.out.output, opts.out.compress)) {
		cli__free(&opts);
		return 2;
	}
	err = opts.report ? report(&opts, &out) : opts.dump ? dump__run(&opts, &out) : record(&opts, &out);
	cli__free(&opts);
	return err;
}
