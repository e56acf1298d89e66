/* Off-CPU intervals: pairs each thread's start record (its stacks as it left the CPU) with its end record. */
#ifndef OFFCPU_INTERVALS_H
#define OFFCPU_INTERVALS_H

#include <stddef.h>
#include <stdint.h>
#include "hashmap.h"
#include "pyflame.h"

/* A completed interval: the start record, its weight_ns and time_ns set to the interval's length and end. */
struct offcpu_interval {
	size_t size;
	struct pf_sample *rec;
};

struct offcpu_intervals {
	struct pf_hashmap open; /* tid -> struct offcpu_interval of the threads off CPU now */
	uint64_t unmatched;	/* end records without their start (lost in a full ring buffer) */
	uint64_t late_python;	/* starts completed with Python frames read after their interpreter was found */
};

void offcpu_intervals__init(struct offcpu_intervals *oi);
void offcpu_intervals__free(struct offcpu_intervals *oi);
/* Keeps a start record (PF_SAMPLE_OFFCPU) until its thread's end record. 0 or -ENOMEM. */
int offcpu_intervals__start(struct offcpu_intervals *oi, const struct pf_sample *rec, size_t size);
/* A late pass's record (PF_SAMPLE_PY_LATE): the Python frames of the thread's open interval, whose start has none
 * (recorded before its interpreter or thread state was found), go into that start. 0 (also when the interval ended
 * already, or its start has frames), or -errno. */
int offcpu_intervals__late_python(struct offcpu_intervals *oi, const struct pf_sample *late, size_t size);
/* An end record (PF_SAMPLE_OFF_END): fills *done with the completed interval, which the caller frees with
 * offcpu_interval__free(). 1 when there is one, 0 when the start is unknown. */
int offcpu_intervals__end(struct offcpu_intervals *oi, const struct pf_sample *end, struct offcpu_interval *done);
/* The next interval still open, closed at end_ns and flagged PF_SAMPLE_STILL_OFF; 0 when none is left. */
int offcpu_intervals__close_next(struct offcpu_intervals *oi, uint64_t end_ns, struct offcpu_interval *done);
void offcpu_interval__free(struct offcpu_interval *iv);

#endif
