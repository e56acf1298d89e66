/* pyflame-bpf: parse the command line, record one session (or read a saved profile), write it, report. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "output.h"
#include "output_format.h"
#include "profile_view.h"
#include "reader_folded.h"
#include "session.h"
#include "writer_folded.h"
#include "writer_svg.h"

static volatile int stop_signal;

static void on_signal(int sig)
{
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

static int record(const struct pf_options *o, struct output *out)
{
	char subtitle[128];
	struct view_options vo;
	struct session s;
	int err;

	/* Never fetch debug info over the network from a production host (libdw would, with 90 s timeouts). */
	unsetenv("DEBUGINFOD_URLS");
	install_signals();
	session__init(&s, o);
	err = session__start(&s);
	if (!err)
		err = session__run(&s, &stop_signal);
	err = session__stop(&s) ?: err;
	if (err) {
		output__abort(out);
		session__free(&s);
		return 1;
	}
	vo = (struct view_options){
		.per_process = o->per_process || s.targets.n > 1,
		.threads = o->threads,
		.no_kernel = o->no_kernel,
	};
	snprintf(subtitle, sizeof(subtitle), "%llu samples at %u Hz in %.1f s", (unsigned long long)s.profile.total,
		 o->frequency, s.elapsed);
	err = write_profile(NULL, &s.profile, &vo, o, subtitle, out, &s.lines_written);
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
	if (output__open(&out, opts.output, opts.compress)) {
		cli__free(&opts);
		return 2;
	}
	err = opts.report ? report(&opts, &out) : record(&opts, &out);
	cli__free(&opts);
	return err;
}
