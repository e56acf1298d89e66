/* Off-CPU intervals: pairs each thread's start record (its stacks as it left the CPU) with its end record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "offcpu_intervals.h"

void offcpu_intervals__init(struct offcpu_intervals *oi)
{
	memset(oi, 0, sizeof(*oi));
	pf_hashmap__init(&oi->open);
}

void offcpu_intervals__free(struct offcpu_intervals *oi)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	while (pf_hashmap__next(&oi->open, &it, &e)) {
		offcpu_interval__free(e->value);
		free(e->value);
	}
	pf_hashmap__free(&oi->open);
}

void offcpu_interval__free(struct offcpu_interval *iv)
{
	if (!iv)
		return;
	free(iv->rec);
	iv->rec = NULL;
	iv->size = 0;
}

int offcpu_intervals__start(struct offcpu_intervals *oi, const struct pf_sample *rec, size_t size)
{
	struct offcpu_interval *iv = pf_hashmap__get(&oi->open, &rec->tid, sizeof(rec->tid));
	struct pf_sample *copy = malloc(size);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, rec, size);
	if (!iv) {
		iv = calloc(1, sizeof(*iv));
		if (!iv || pf_hashmap__set(&oi->open, &rec->tid, sizeof(rec->tid), iv)) {
			free(iv);
			free(copy);
			return -ENOMEM;
		}
	}
	/* A start without an end before it: the thread's end record was lost; the newer start wins. */
	offcpu_interval__free(iv);
	iv->rec = copy;
	iv->size = size;
	return 0;
}

int offcpu_intervals__late_python(struct offcpu_intervals *oi, const struct pf_sample *late, size_t size)
{
	struct offcpu_interval *iv = pf_hashmap__get(&oi->open, &late->tid, sizeof(late->tid));
	size_t frames = (size_t)late->py_nframes * sizeof(late->frames[0]), kips, old_frames, merged_size;
	struct pf_sample *old, *merged;

	if (size < sizeof(*late) + frames)
		return -EINVAL;
	/* Ended already (it woke before the pass read it), another interval, a start with Python frames, or nothing
	 * read late either: nothing to complete. */
	if (!iv || iv->rec->time_ns != late->time_ns || iv->rec->py_nframes || !late->py_nframes)
		return 0;
	old = iv->rec;
	old_frames = (size_t)old->py_nframes * sizeof(old->frames[0]);
	kips = old->flags & PF_SAMPLE_KIPS ? (size_t)old->kips_n * sizeof(uint64_t) : 0;
	merged_size = sizeof(*old) + frames + kips;
	merged = malloc(merged_size);
	if (!merged)
		return -ENOMEM;
	/* The start's kernel side and times, with the Python frames and user IP read late (the thread has not run
	 * since); its user stack was a native walk of an interpreter without frame pointers, not to be shown. */
	*merged = *old;
	merged->flags &= ~(PF_SAMPLE_NO_TSTATE | PF_SAMPLE_PY_ERROR); /* what the start's own walk found, read again */
	merged->flags |= late->flags & (PF_SAMPLE_PYTHON | PF_SAMPLE_CODE_TAGS | PF_SAMPLE_PY_TRUNC |
					PF_SAMPLE_PY_ERROR | PF_SAMPLE_NO_TSTATE);
	merged->ustack_id = PF_NO_USTACK;
	merged->user_ip = late->user_ip;
	merged->py_thread = late->py_thread;
	merged->py_nframes = late->py_nframes;
	memcpy(merged->frames, late->frames, frames);
	memcpy((uint8_t *)merged->frames + frames, (const uint8_t *)old->frames + old_frames, kips);
	free(old);
	iv->rec = merged;
	iv->size = merged_size;
	oi->late_python++;
	return 0;
}

int offcpu_intervals__end(struct offcpu_intervals *oi, const struct pf_sample *end, struct offcpu_interval *done)
{
	struct offcpu_interval *iv = pf_hashmap__get(&oi->open, &end->tid, sizeof(end->tid));

	/* The kernel measured from the start it recorded: a start of another time is not this interval's. */
	if (!iv || iv->rec->time_ns + end->weight_ns != end->time_ns) {
		oi->unmatched++;
		return 0;
	}
	*done = *iv;
	done->rec->weight_ns = end->weight_ns;
	done->rec->time_ns = end->time_ns;
	free(pf_hashmap__delete(&oi->open, &end->tid, sizeof(end->tid))); /* bounded by the threads off CPU now */
	return 1;
}

int offcpu_intervals__close_next(struct offcpu_intervals *oi, uint64_t end_ns, struct offcpu_interval *done)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	if (!pf_hashmap__next(&oi->open, &it, &e))
		return 0;
	*done = *(struct offcpu_interval *)e->value;
	done->rec->weight_ns = end_ns > done->rec->time_ns ? end_ns - done->rec->time_ns : 0;
	done->rec->time_ns = end_ns;
	done->rec->flags |= PF_SAMPLE_STILL_OFF;
	free(pf_hashmap__delete(&oi->open, &done->rec->tid, sizeof(done->rec->tid)));
	return 1;
}
