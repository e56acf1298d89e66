/* A view's samples in time, thread by thread: what speedscope's evented profiles draw. */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include "profile_view.h"

/* One thread's events (indexes into the source profile's events), by start time. */
struct timeline_thread {
	uint32_t key, tid; /* its process's key, and its TID */
	size_t *events;
	size_t n, cap;
};

struct timeline {
	struct timeline_thread *threads; /* in order of their first event */
	size_t n;
	uint64_t start_ns; /* the earliest event's start */
};

/* The view's source events that it shows, grouped by thread and sorted; t->n is 0 when the profile kept no
 * timeline. 0 or -ENOMEM. */
int timeline__build(struct timeline *t, const struct profile_view *v);
void timeline__free(struct timeline *t);

#endif
