/*
 * --slice FUNC --slower-than: each thread's invocations of FUNC, found in its records in time order, their latency
 * distribution, and the profile of the slow ones (and of the rest, for --compare).
 */
#ifndef SLICER_H
#define SLICER_H

#include <stdint.h>
#include "hashmap.h"
#include "profile.h"

#define SLICE_BUCKETS 1200 /* log-scaled latency buckets, 2% wide, from 1 us to 2e10 us */

struct target_process;
/* One target's threads' open invocations: hung off its target_process (t->slices), ended when it is forgotten. */
struct slice_threads;

struct slicer_options {
	const char *func;
	double percentile;  /* --slower-than pNN; < 0 when a duration was given */
	uint64_t slower_ns; /* --slower-than DURATION */
	int root;	    /* --slice-root: keep the frames above FUNC */
	uint64_t period_ns; /* the sampling period: a sample stands for this long; two of them resolve an invocation */
};

/* Which call of FUNC a record is in: its outermost FUNC frame. */
struct slice_call {
	uint64_t code, frame; /* the frame's code object and address */
	uint32_t depth;	      /* from the root */
};

struct slice_summary {
	uint64_t seen, resolved, unresolved, overflow;
	uint64_t p50_ns, p90_ns, p99_ns, max_ns;
	uint64_t threshold_ns;	    /* the invocations slower than this are the slow ones */
	unsigned first_slow_bucket; /* they are those of this bucket and above */
	uint64_t slow, slow_weight;
	double slow_s; /* their wall time */
};

struct slicer {
	struct slicer_options o;
	struct profile *p;		 /* the recording's profile: its stacks are what the records name */
	struct pf_hashmap matches;	 /* frame id -> 1 FUNC, 2 not */
	struct slice_threads *with_open; /* the targets' open invocations, for the look at threads that exited */
	int err;			 /* an invocation ended as its process was forgotten could not be counted */
	struct pf_hashmap weights;	 /* (stack id, bucket) -> uint64_t *weight of ended invocations */
	uint64_t counts[SLICE_BUCKETS];
	uint64_t durations_ns[SLICE_BUCKETS];
	uint64_t seen, unresolved, overflow, max_ns;
	uint64_t expire_at_ns;
};

void slicer__init(struct slicer *s, const struct slicer_options *o, struct profile *p);
void slicer__free(struct slicer *s);
/* Whether profile frame id is FUNC (cached; qualified: the frame shows a qualname). */
int slicer__is_func(struct slicer *s, uint32_t id, int qualified);
/*
 * One record of thread tid of target t, in time order for that thread: its stack (profile stack id), the time it
 * covers, its weight, and its call of FUNC (NULL: none; the thread's open invocation ends). The invocation is kept
 * on t until it ends. 0 or -ENOMEM (also one that ending a forgotten process's invocations met).
 */
int slicer__add(struct slicer *s, struct target_process *t, uint32_t tid, uint32_t stack, uint64_t start_ns,
		uint64_t end_ns, uint64_t weight, const struct slice_call *call);
/* Ends (counts) the invocations st holds and frees it: its process is forgotten (exit, exec). NULL: none. */
void slice_threads__close(struct slice_threads *st);
/*
 * Ends the invocations of threads that exited (a thread-per-request server leaves one behind per request), looked
 * at once a second for those without a record for a second. now_ns: CLOCK_MONOTONIC. 0 or -ENOMEM.
 */
int slicer__expire(struct slicer *s, uint64_t now_ns);
/* Ends every open invocation: the recording stopped. */
int slicer__finish(struct slicer *s);
/*
 * The slow invocations' records into slow, cut at FUNC unless --slice-root; with rest, the others' (--compare).
 * Processes and threads keep their names. 0 or -ENOMEM.
 */
int slicer__result(struct slicer *s, struct profile *slow, struct profile *rest, struct slice_summary *sum);
/* --interval: the invocations ended so far were written; the next window counts those that end from now on. */
void slicer__new_window(struct slicer *s);
/* Bucket of a duration, and the duration a bucket stands for (its geometric middle). */
unsigned slicer__bucket(uint64_t ns);
uint64_t slicer__bucket_ns(unsigned bucket);

#endif
