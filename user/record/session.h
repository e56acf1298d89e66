/* One recording: load the sampler, attach to every CPU, drain samples until stopped, detach, keep the profile. */
#ifndef SESSION_H
#define SESSION_H

#include "cli.h"
#include "collector.h"
#include "slicer.h"
#include "elf_cache.h"
#include "interval_windows.h"
#include "kallsyms.h"
#include "process_tracker.h"
#include "profile.h"
#include "record_stream.h"
#include "sampler_bpf.h"
#include "targets.h"
#include "user_symbols.h"

struct py_symbols;

/* When the recording ran, and what it cost in userspace (-v, `make bench`). */
struct session_times {
	double launched;	   /* CLOCK_MONOTONIC seconds when the session was set up (≈ process start) */
	double start;		   /* ... when sampling started */
	uint64_t start_ns, end_ns; /* the start, and the end, in ns (the sampler's clock) */
	double elapsed;		   /* the recording's length, once stopped */
	double drain_s;		   /* CPU time spent draining: counting records and naming what they hold */
	double write_s;		   /* CPU time spent writing the output, added by the writer's caller */
};

enum session_stop {
	STOP_DURATION = 1,
	STOP_SIGNAL,
	STOP_TARGETS_EXITED,
};

/* How the run went: what the live status line and the summary tell. */
struct session_run {
	int stop_reason;      /* enum session_stop */
	size_t lines_written; /* by the writer, for the summary */
	int progress;	      /* a live status line on stderr (a terminal) */
	double progress_at;   /* when it was last drawn, seconds into the recording */
};

struct session {
	const struct pf_options *opts;
	struct sampler_bpf bpf;
	struct record_stream stream;
	struct interval_windows windows; /* --interval */
	struct targets targets;		 /* named by -p or the command */
	struct kallsyms ksyms;
	struct elf_cache elves;
	struct user_symbols usyms;
	struct py_symbols *py;
	struct collector collector;
	struct profile profile;
	struct slicer slicer;		/* --slice */
	struct process_tracker tracker; /* every target: the named ones and those followed (--children, ...) */
	struct session_times times;
	struct session_run run;
};

void session__init(struct session *s, const struct pf_options *opts);
/* Checks privileges and BTF, loads the sampler, registers targets, attaches. 0, or -errno with one message printed. */
int session__start(struct session *s);
/* Drains until the duration elapses, a signal arrives or every target exited. */
int session__run(struct session *s, volatile int *stop_signal);
/* Detaches from every CPU, then drains what is left and reads the loss counters. */
int session__stop(struct session *s);
/* Seconds recorded so far (the whole recording once stopped). */
double session__elapsed(const struct session *s);
void session__free(struct session *s);

#endif
