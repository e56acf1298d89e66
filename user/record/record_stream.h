/* Routes the ring buffer's records in stream order: process events to the tracker, samples (with their target) to
 * the collector, off-CPU starts held until their ends, records of a later --interval window held until it opens. */
#ifndef RECORD_STREAM_H
#define RECORD_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include "collector.h"
#include "interval_windows.h"
#include "offcpu_intervals.h"
#include "process_tracker.h"

struct record_stream {
	struct process_tracker *tracker;
	struct collector *collector;
	struct interval_windows *windows;
	struct offcpu_intervals intervals; /* off-CPU intervals whose end has not come yet */
	int err;			   /* the first error while collecting (printed when it happened) */
	double first_counted;	  /* CLOCK_MONOTONIC seconds when the first sample was counted, 0 before (-v) */
	uint64_t first_sample_ns; /* that sample's kernel timestamp */
	/* `dump`: sees each thread's record before it is counted (what the thread waits for is not in the profile) */
	void (*on_dump)(void *ctx, const struct pf_sample *rec);
	void *dump_ctx;
};

void record_stream__init(struct record_stream *rs, struct process_tracker *tracker, struct collector *collector,
			 struct interval_windows *windows);
/* A ring-buffer record (libbpf's ring_buffer_sample_fn). */
int record_stream__handle(void *ctx, void *data, size_t size);
/* A record counted now, in stream order (also for records a window held back). */
int record_stream__consume(void *ctx, const void *data, size_t size);
/* Threads still off CPU when the recording ends at end_ns: their intervals end with it. */
void record_stream__close_intervals(struct record_stream *rs, uint64_t end_ns);
void record_stream__free(struct record_stream *rs);

#endif
