/* A view's samples in time, thread by thread: what speedscope's evented profiles draw. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "hashmap.h"
#include "timeline.h"

static const struct profile_event *sort_events; /* qsort has no context argument */

/* By start time; equal starts keep the order they were added in. */
static int event_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint64_t sx = sort_events[x].start_ns, sy = sort_events[y].start_ns;

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x < y ? -1 : x > y;
}

int timeline__build(struct timeline *t, const struct profile_view *v)
{
	const struct profile *p = v->source;
	struct pf_hashmap index; /* (key, tid) -> thread index + 1 */
	size_t cap = 0;
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (!p || !p->timeline.keep || !v->view_of)
		return 0;
	pf_hashmap__init(&index);
	for (size_t i = 0; !err && i < p->timeline.n; i++) {
		const struct profile_event *e = &p->timeline.events[i];
		const struct profile_stack *s = p->stacks[e->stack];
		uint32_t key[2] = { s->tgid, s->tid };
		struct timeline_thread *th;
		void *hit;

		if (v->view_of[e->stack] == VIEW_NONE)
			continue;
		hit = pf_hashmap__get(&index, key, sizeof(key));
		if (!hit) {
			if (array__grow((void **)&t->threads, &cap, t->n + 1, sizeof(*t->threads)) ||
			    pf_hashmap__set(&index, key, sizeof(key), (void *)(uintptr_t)(t->n + 1))) {
				err = -ENOMEM;
				break;
			}
			t->threads[t->n] = (struct timeline_thread){ .key = s->tgid, .tid = s->tid };
			hit = (void *)(uintptr_t)++t->n;
		}
		th = &t->threads[(uintptr_t)hit - 1];
		if (array__grow((void **)&th->events, &th->cap, th->n + 1, sizeof(*th->events))) {
			err = -ENOMEM;
			break;
		}
		th->events[th->n++] = i;
		if (t->n == 1 && th->n == 1)
			t->start_ns = e->start_ns;
		else if (e->start_ns < t->start_ns)
			t->start_ns = e->start_ns;
	}
	pf_hashmap__free(&index);
	if (err) {
		timeline__free(t);
		return err;
	}
	/* Intervals come at their end, samples as they are taken: sorted, each thread reads as it ran. */
	sort_events = p->timeline.events;
	for (size_t k = 0; k < t->n; k++)
		qsort(t->threads[k].events, t->threads[k].n, sizeof(size_t), event_cmp);
	return 0;
}

void timeline__free(struct timeline *t)
{
	for (size_t k = 0; k < t->n; k++)
		free(t->threads[k].events);
	free(t->threads);
	memset(t, 0, sizeof(*t));
}
