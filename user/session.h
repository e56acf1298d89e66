/* One recording: load the sampler, attach to every CPU, drain samples until stopped, detach, keep the profile. */
#ifndef SESSION_H
#define SESSION_H

#include <bpf/libbpf.h>
#include "cli.h"
#include "collector.h"
#include "elf_cache.h"
#include "kallsyms.h"
#include "perf_events.h"
#include "process_tracker.h"
#include "profile.h"
#include "offcpu_intervals.h"
#include "sched_events.h"
#include "pyflame.h"
#include "targets.h"
#include "user_symbols.h"

struct sampler;
struct py_symbols;
struct session;

/* A record held back for the next continuous window. */
struct pending {
	size_t size;
	unsigned char data[];
};

/* Called when a continuous window closes: write the samples counted since the last mark. */
typedef void (*session_window_fn)(void *ctx, struct session *s, double start_wall);

struct session {
	const struct pf_options *opts;
	struct sampler *skel;
	struct perf_events events;
	struct sched_events sched;      /* --mode off/wall */
	struct offcpu_intervals intervals; /* off-CPU intervals whose end has not come yet */
	struct ring_buffer *rb;
	struct targets targets;
	struct kallsyms ksyms;
	int have_ksyms;
	struct elf_cache elves;
	struct user_symbols usyms;
	struct py_symbols *py;
	struct collector collector;
	struct profile profile;
	struct process_tracker tracker; /* every live target: the named ones and those followed (--children, ...) */
	double start;                   /* monotonic seconds when sampling started */
	uint64_t start_ns, end_ns;      /* the same, and the end, in CLOCK_MONOTONIC ns (the sampler's clock) */
	double elapsed;
	int attached;
	int stop_reason;                /* enum session_stop */
	size_t lines_written;           /* by the writer, for the summary */
	int progress;                   /* a live status line on stderr (a terminal) */
	double progress_at;             /* when it was last drawn, seconds into the recording */
	uint64_t stats[PF_STAT__COUNT];
	uint64_t *lost_per_cpu;         /* ring-buffer losses by CPU, when there were any */
	int ncpus;
	uint64_t prog_run_ns, prog_runs; /* from the kernel when kernel.bpf_stats_enabled=1 */
	uint64_t switch_run_ns, switch_runs; /* the same for the scheduler program (off, wall) */
	int callback_err;               /* first error while collecting (printed when it happened) */
	/* what the recording cost in userspace and how soon it started, for -v (and `make bench`) */
	double launched;                /* monotonic seconds when the session was set up (≈ process start) */
	double first_counted;           /* monotonic seconds when the first sample was counted, 0 before */
	uint64_t first_sample_ns;       /* that sample's kernel timestamp (CLOCK_MONOTONIC) */
	double drain_s;                 /* CPU time spent draining: counting records and naming what they hold */
	double write_s;                 /* CPU time spent writing the output, added by the writer's caller */
	/* --interval: windows of the recording, each written when it closes */
	uint64_t window_end_ns;         /* CLOCK_MONOTONIC end of the current window, 0 without --interval */
	double window_start_wall;       /* its start, wall clock (names the file) */
	session_window_fn on_window;
	void *on_window_ctx;
	struct pending **pending;
	size_t npending, pending_cap;
	unsigned windows;
};

enum session_stop {
	STOP_DURATION = 1,
	STOP_SIGNAL,
	STOP_TARGETS_EXITED,
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
/* Prints the run summary on stderr. */
void session__summary(const struct session *s);
void session__free(struct session *s);
/* This thread's CPU time in seconds (CLOCK_THREAD_CPUTIME_ID), for the -v cost figures. */
double session__cpu_s(void);

#endif
