/* pyflame-bpf: parse the command line, record one session, write the profile, report. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "output.h"
#include "session.h"
#include "writer_folded.h"

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

int main(int argc, char **argv)
{
	struct pf_options opts;
	struct view_options vo;
	struct profile_view view;
	struct session s;
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
	/* Never fetch debug info over the network from a production host (libdw would, with 90 s timeouts). */
	unsetenv("DEBUGINFOD_URLS");
	install_signals();
	session__init(&s, &opts);
	err = session__start(&s);
	if (!err)
		err = session__run(&s, &stop_signal);
	err = session__stop(&s) ?: err;
	if (err) {
		output__abort(&out);
		session__free(&s);
		cli__free(&opts);
		return 1;
	}
	vo = (struct view_options){
		.per_process = opts.per_process || s.targets.n > 1,
		.threads = opts.threads,
		.no_kernel = opts.no_kernel,
	};
	err = profile_view__build(&view, &s.profile, &vo);
	if (!err)
		err = folded__write(&view, out.file, &s.lines_written);
	profile_view__free(&view);
	err = output__commit(&out, err);
	if (!opts.quiet)
		session__summary(&s);
	session__free(&s);
	cli__free(&opts);
	return err ? 1 : 0;
}
