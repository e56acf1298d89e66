/* pyflame-bpf: parse the command line, record one session (or read a saved profile), write it, report. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "output.h"
#include "output_format.h"
#include "profile_view.h"
#include "reader_folded.h"
#include "session.h"
#include "writer_folded.h"
#include "writer_pprof.h"
#include "writer_speedscope.h"
#include "writer_svg.h"

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

/* Renders the profile in the chosen format into out and commits it; *lines gets the stacks written. */
static int write_profile(const struct profile *before, const struct profile *p, const struct view_options *vo,
			 const struct pf_options *o, const char *subtitle, struct output *out, size_t *lines)
{
	struct svg_options svg = { .title = o->title, .subtitle = subtitle, .inverted = o->inverted };
	struct profile_view view;
	int err = before ? profile_view__diff(&view, before, p, vo) : profile_view__build(&view, p, vo);

	if (!err) {
		switch (o->format) {
		case FORMAT_SVG:
			err = svg__write(&view, &svg, out->file);
			*lines = view.nstacks;
			break;
		case FORMAT_SPEEDSCOPE:
			/* A recording's samples are 1/F s each; a saved profile's rate is unknown: plain counts. */
			err = speedscope__write(&view, o->title,
						o->report ? 0 : view.measure != MEASURE_CPU ? 1e-6 : 1.0 / o->frequency,
						out->file);
			*lines = view.nstacks;
			break;
		case FORMAT_PPROF:
			/* A sample stands for 1/F s of CPU; for `report`, -F says the saved profile's rate (default 99). */
			err = pprof__write(&view, view.measure != MEASURE_CPU ? 1e3 : 1e9 / o->frequency, out->file);
			*lines = view.nstacks;
			break;
		default:
			err = folded__write(&view, out->file, lines);
			break;
		}
	}
	profile_view__free(&view);
	return output__commit(out, err);
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
	if (err)
		output__abort(out);
	else
		err = write_profile(o->diff_base ? &before : NULL, &p, &vo, o, NULL, out, &lines);
	profile__free(&p);
	profile__free(&before);
	return err ? 1 : 0;
}

struct window_writer {
	const struct pf_options *o;
	int err;
};

/* The file a window starting at wall-clock time t goes to: -o's strftime pattern expanded. */
static int window_path(const char *pattern, double t, char *path, size_t size)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (!localtime_r(&secs, &tm) || !strftime(path, size, pattern, &tm))
		return -EINVAL;
	return 0;
}

/* How a recording's stacks are rooted: by process when there are several or --per-process, by thread on request. */
static struct view_options record_view(const struct pf_options *o, const struct session *s)
{
	return (struct view_options){
		.per_process = o->per_process || s->targets.n > 1 || o->children || o->all || o->cgroup,
		.threads = o->threads,
		.no_kernel = o->no_kernel,
	};
}

/* The picture's subtitle: what the counts are, how many, over how long (`what`: e.g. " (snapshot while recording)"). */
static void profile_subtitle(const struct pf_options *o, uint64_t total, double seconds, const char *what, char *buf,
			     size_t size)
{
	if (o->mode == MODE_CPU)
		snprintf(buf, size, "%llu samples at %u Hz in %.1f s%s", (unsigned long long)total, o->frequency, seconds,
			 what);
	else
		snprintf(buf, size, "%s time in microseconds: %.2f s in %.1f s%s%s",
			 o->mode == MODE_WALL ? "wall-clock (on + off CPU)" : "off-CPU", (double)total / 1e6, seconds,
			 o->gil ? ", GIL holders and GIL waits only" : "", what);
}

/* --interval: one window's samples (those since the last mark) into the file its start time names. */
static void write_window(void *ctx, struct session *s, double start_wall)
{
	struct window_writer *ww = ctx;
	const struct pf_options *o = ww->o;
	struct view_options vo = record_view(o, s);
	struct output out;
	char path[4096], subtitle[160];
	size_t lines = 0;
	int err;

	vo.since_mark = 1;
	if (window_path(o->output, start_wall, path, sizeof(path))) {
		fprintf(stderr, "pyflame-bpf: cannot expand the pattern '%s'\n", o->output);
		ww->err = -EINVAL;
		return;
	}
	profile_subtitle(o, s->profile.total - s->profile.total_mark, o->interval, "", subtitle, sizeof(subtitle));
	err = output__open(&out, path, o->compress);
	if (!err) {
		double t = session__cpu_s();

		err = write_profile(NULL, &s->profile, &vo, o, subtitle, &out, &lines);
		s->write_s += session__cpu_s() - t;
	}
	if (err)
		ww->err = err;
	else if (!o->quiet)
		fprintf(stderr, "pyflame-bpf: wrote %s (%llu samples)\n", path,
			(unsigned long long)(s->profile.total - s->profile.total_mark));
}

/* SIGHUP: everything collected so far, written whole to -o (renamed into place, like the final profile), then a
 * new temporary file opened for the next write; the recording goes on. With --interval, the current window so far
 * goes to its file (rewritten when the window closes). 0, or -errno when -o can no longer be written. */
static int snapshot(const struct pf_options *o, struct session *s, struct output *out, struct window_writer *ww)
{
	struct view_options vo = record_view(o, s);
	char subtitle[160];
	size_t lines;
	int err;

	if (o->interval > 0) {
		write_window(ww, s, s->window_start_wall); /* a failure is kept in ww->err, as for any window */
		return 0;
	}
	if (!out->tmp) {
		fprintf(stderr, "pyflame-bpf: SIGHUP: no snapshot, the profile goes to %s, not to a regular file; "
				"still recording\n", o->output ? o->output : "stdout");
		return 0;
	}
	profile_subtitle(o, s->profile.total, session__elapsed(s), " (snapshot while recording)", subtitle,
			 sizeof(subtitle));
	err = write_profile(NULL, &s->profile, &vo, o, subtitle, out, &lines);
	err = err ?: output__open(out, o->output, o->compress);
	if (!err && !o->quiet)
		fprintf(stderr, "pyflame-bpf: SIGHUP: wrote %s (%llu samples so far); still recording\n", o->output,
			(unsigned long long)s->profile.total);
	return err;
}

static int record(const struct pf_options *o, struct output *out)
{
	struct window_writer ww = { .o = o };
	char subtitle[160];
	struct view_options vo;
	struct session s;
	double t;
	int err;

	/* Never fetch debug info over the network from a production host (libdw would, with 90 s timeouts). */
	unsetenv("DEBUGINFOD_URLS");
	install_signals();
	session__init(&s, o);
	if (o->interval > 0) {
		s.on_window = write_window;
		s.on_window_ctx = &ww;
	}
	err = session__start(&s);
	while (!err) {
		err = session__run(&s, &stop_signal);
		if (err || stop_signal != SIGHUP)
			break;
		stop_signal = 0; /* before writing: a SIGINT/SIGTERM meanwhile still ends the run */
		err = snapshot(o, &s, out, &ww);
	}
	err = session__stop(&s) ?: err ?: ww.err;
	if (err) {
		if (out)
			output__abort(out);
		session__free(&s);
		return 1;
	}
	if (o->interval > 0) { /* every window, the last one too, is written */
		if (!o->quiet)
			session__summary(&s);
		session__free(&s);
		return 0;
	}
	vo = record_view(o, &s);
	profile_subtitle(o, s.profile.total, s.elapsed, "", subtitle, sizeof(subtitle));
	t = session__cpu_s();
	err = write_profile(NULL, &s.profile, &vo, o, subtitle, out, &s.lines_written);
	s.write_s += session__cpu_s() - t;
	if (!o->quiet)
		session__summary(&s);
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
	if (opts.interval > 0) {
		/* One file per window, opened when it closes: check now that the first one could be written. */
		char path[4096], dir[4096], *slash;
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		if (window_path(opts.output, now.tv_sec, path, sizeof(path))) {
			fprintf(stderr, "pyflame-bpf: invalid output pattern '%s'\n", opts.output);
			cli__free(&opts);
			return 2;
		}
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (access(slash ? (*dir ? dir : "/") : ".", W_OK)) {
			fprintf(stderr, "pyflame-bpf: cannot write '%s': %s\n", path, strerror(errno));
			cli__free(&opts);
			return 2;
		}
		err = record(&opts, NULL);
		cli__free(&opts);
		return err;
	}
	if (output__open(&out, opts.output, opts.compress)) {
		cli__free(&opts);
		return 2;
	}
	err = opts.report ? report(&opts, &out) : record(&opts, &out);
	cli__free(&opts);
	return err;
}
