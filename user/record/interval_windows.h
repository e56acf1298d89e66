/* --interval: the recording cut into windows of fixed length, each written to the file -o's strftime pattern names
 * for its start, when it closes; records of a later window wait in stream order until then. */
#ifndef INTERVAL_WINDOWS_H
#define INTERVAL_WINDOWS_H

#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "profile.h"
#include "slicer.h"

/* Hands a record on to be counted now. */
typedef int (*record_consume_fn)(void *ctx, const void *data, size_t size);

struct pending;

struct interval_windows {
	const struct pf_options *o; /* --interval and -o's pattern; o->interval 0: no windows */
	struct profile *profile;
	size_t ntargets;	  /* named targets: how the files' stacks are rooted */
	uint64_t end_ns;	  /* CLOCK_MONOTONIC end of the current window, 0 before the start */
	double start_wall;	  /* its start, wall clock (names the file) */
	struct pending **pending; /* records of later windows, in stream order */
	size_t npending, pending_cap;
	unsigned written; /* windows closed */
	double write_s;	  /* CPU time spent writing them */
	int err;	  /* the first write's error (printed) */
	record_consume_fn consume;
	void *consume_ctx;
	struct slicer *slicer; /* --slice: each window holds the slow invocations that ended in it */
};

/* Whether -o's pattern expands to a file that can be written now (checked before recording); 0 or -errno, said. */
int interval_windows__check(const char *pattern);
void interval_windows__init(struct interval_windows *w, const struct pf_options *o, struct profile *profile,
			    record_consume_fn consume, void *ctx);
/* The first window starts with the sampling, at start_s (CLOCK_MONOTONIC seconds). */
void interval_windows__start(struct interval_windows *w, double start_s, size_t ntargets);
/* A record in stream order: 1 held back for a later window (an event waits behind held-back records, so the samples
 * before it count first), 0 to be counted now, or -ENOMEM. */
int interval_windows__hold(struct interval_windows *w, const void *data, size_t size);
/* Closes every window whose end has passed, with slack_ns for records still on their way; final: the partial last
 * one, every held record counted first. */
void interval_windows__close_due(struct interval_windows *w, uint64_t slack_ns, int final);
/* SIGHUP: the current window so far, written to its file (rewritten when it closes). */
void interval_windows__snapshot(struct interval_windows *w);
void interval_windows__free(struct interval_windows *w);

#endif
