/* Routes the ring buffer's records in stream order: process events to the tracker, samples (with their target) to
 * the collector, off-CPU starts held until their ends, records of a later --interval window held until it opens. */
#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "record.h"
#include "record_stream.h"

void record_stream__init(struct record_stream *rs, struct process_tracker *tracker, struct collector *collector,
			 struct interval_windows *windows)
{
	memset(rs, 0, sizeof(*rs));
	rs->tracker = tracker;
	rs->collector = collector;
	rs->windows = windows;
	offcpu_intervals__init(&rs->intervals);
}

/* The first error stops the recording (the run loop sees rs->err), said once: what failed is what. */
static void record_error(struct record_stream *rs, int err, const char *what)
{
	if (err && !rs->err) {
		fprintf(stderr, "pyflame-bpf: cannot %s: %s\n", what, strerror(-err));
		rs->err = err;
	}
}

int record_stream__consume(void *ctx, const void *data, size_t size)
{
	struct record_stream *rs = ctx;
	unsigned int kind = record__kind(data, size);
	struct profile *p = rs->collector->profile;
	struct target_process *tp = NULL;
	uint64_t before = p->total;
	int err;

	if (kind == PF_REC_PROC_EVENT)
		return process_tracker__event(rs->tracker, data);
	if (kind == PF_REC_CODE) {
		err = process_tracker__code_copy(rs->tracker, data);
		record_error(rs, err, "name code objects from the sampler's copies");
		return err;
	}
	if (kind == PF_REC_SAMPLE)
		tp = process_tracker__sample(rs->tracker, data);
	err = collector__add(rs->collector, tp, data, size);
	record_error(rs, err, "record samples");
	if (!before && p->total && !rs->first_counted) { /* start-up, for -v */
		rs->first_counted = clock__now_s();
		rs->first_sample_ns = ((const struct pf_sample *)data)->time_ns;
	}
	return err;
}

/* A complete record into the current window, or held for a later one. */
static void add_record(struct record_stream *rs, const void *data, size_t size)
{
	int held = interval_windows__hold(rs->windows, data, size);

	if (held < 0)
		record_error(rs, held, "record samples");
	else if (!held)
		(void)record_stream__consume(rs, data, size); /* its errors are recorded where they happen */
}

int record_stream__handle(void *ctx, void *data, size_t size)
{
	struct record_stream *rs = ctx;
	const struct pf_sample *rec = data;
	int sample = record__kind(data, size) == PF_REC_SAMPLE;
	struct offcpu_interval iv;

	/* A copy names its code object now, in stream order: the samples that show it may be held for later. */
	if (record__kind(data, size) == PF_REC_CODE)
		return record_stream__consume(rs, data, size);
	if (sample && (rec->flags & PF_SAMPLE_DUMP) && rs->on_dump)
		rs->on_dump(rs->dump_ctx, rec);
	/* An off-CPU interval counts once it has ended, in the window of its end. */
	if (sample && (rec->flags & PF_SAMPLE_OFF_END)) {
		if (offcpu_intervals__end(&rs->intervals, rec, &iv)) {
			add_record(rs, iv.rec, iv.size);
			offcpu_interval__free(&iv);
		}
	} else if (sample && (rec->flags & PF_SAMPLE_PY_LATE)) {
		record_error(rs, offcpu_intervals__late_python(&rs->intervals, rec, size), "record samples");
	} else if (sample && (rec->flags & PF_SAMPLE_OFFCPU)) {
		record_error(rs, offcpu_intervals__start(&rs->intervals, rec, size), "record samples");
	} else {
		add_record(rs, data, size);
	}
	return 0;
}

void record_stream__close_intervals(struct record_stream *rs, uint64_t end_ns)
{
	struct offcpu_interval iv;

	while (offcpu_intervals__close_next(&rs->intervals, end_ns, &iv)) {
		add_record(rs, iv.rec, iv.size);
		offcpu_interval__free(&iv);
	}
}

void record_stream__free(struct record_stream *rs)
{
	offcpu_intervals__free(&rs->intervals);
}
