/* The stacks as every writer shows them: root frames added, hidden frames dropped, identical stacks merged, sorted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "hashmap.h"
#include "profile_view.h"

struct builder {
	struct profile_view *v;
	size_t frames_cap, stacks_cap, offsets_cap, ids_len, ids_cap;
	size_t *offsets; /* per stack: where its ids start in v->ids (pointers are set at the end) */
	struct pf_hashmap frame_index, stack_index;
};

static int64_t frame_id(struct builder *b, enum view_kind kind, const char *name)
{
	struct profile_view *v = b->v;
	size_t len = strlen(name);
	char *key = malloc(len + 1);
	void *hit;
	int64_t id = -ENOMEM;

	if (!key)
		return -ENOMEM;
	key[0] = (char)kind;
	memcpy(key + 1, name, len);
	hit = pf_hashmap__get(&b->frame_index, key, len + 1);
	if (hit) {
		id = (int64_t)(uintptr_t)hit - 1;
		goto out;
	}
	if (array__grow((void **)&v->frames, &b->frames_cap, v->nframes + 1, sizeof(*v->frames)))
		goto out;
	v->frames[v->nframes].name = strdup(name);
	v->frames[v->nframes].kind = kind;
	if (!v->frames[v->nframes].name)
		goto out;
	if (pf_hashmap__set(&b->frame_index, key, len + 1, (void *)(uintptr_t)(v->nframes + 1))) {
		free(v->frames[v->nframes].name);
		goto out;
	}
	id = (int64_t)v->nframes++;
out:
	free(key);
	return id;
}

static enum view_kind kind_of(enum frame_kind k)
{
	switch (k) {
	case FRAME_PYTHON: return VIEW_PYTHON;
	case FRAME_NATIVE: return VIEW_NATIVE;
	case FRAME_KERNEL: return VIEW_KERNEL;
	case FRAME_ROOT: return VIEW_ROOT;
	default: return VIEW_MARKER;
	}
}

static int push(struct builder *b, int64_t id)
{
	if (id < 0)
		return (int)id;
	if (array__grow((void **)&b->v->ids, &b->ids_cap, b->ids_len + 1, sizeof(*b->v->ids)))
		return -ENOMEM;
	b->v->ids[b->ids_len++] = (uint32_t)id;
	return 0;
}

/* Appends one profile stack's view frames to the id pool; returns how many. */
static int64_t stack_ids(struct builder *b, const struct profile *p, const struct profile_stack *s,
			 const struct view_options *o)
{
	size_t start = b->ids_len;
	char root[128];
	int err = 0;

	if (o->per_process) {
		const struct profile_process *proc = profile__process_by_key(p, s->tgid);

		snprintf(root, sizeof(root), "%s (%u)", proc && proc->comm[0] ? proc->comm : "?",
			 proc ? proc->tgid : s->tgid);
		err = push(b, frame_id(b, VIEW_ROOT, root));
	}
	if (!err && o->threads) {
		const char *name = profile_thread__label(profile__find_thread(p, s->tgid, s->tid));
		size_t len = strlen(name) + 32; /* a Python name is as long as the program made it */
		char *text = malloc(len);

		if (!text)
			return -ENOMEM;
		snprintf(text, len, "thread %s (%u)", name, s->tid);
		err = push(b, frame_id(b, VIEW_ROOT, text));
		free(text);
	}
	for (uint32_t i = 0; !err && i < s->nframes; i++) {
		const struct profile_frame *f = &p->frames[s->frames[i]];

		if (f->kind == FRAME_KERNEL && o->no_kernel)
			continue;
		err = push(b, frame_id(b, kind_of(f->kind), f->name));
	}
	if (!err && b->ids_len == start)
		err = push(b, frame_id(b, VIEW_MARKER, "[empty]"));
	return err ? err : (int64_t)(b->ids_len - start);
}

/* Adds the stack just appended to the pool, or merges it into an identical one (and drops the copy); *at gets its
 * index (before the sort). */
static int stack_add(struct builder *b, size_t start, uint32_t n, uint64_t count, uint64_t base, uint32_t *at)
{
	struct profile_view *v = b->v;
	size_t key_len = n * sizeof(uint32_t);
	void *hit = pf_hashmap__get(&b->stack_index, v->ids + start, key_len);

	if (hit) {
		struct view_stack *s = &v->stacks[(uintptr_t)hit - 1];

		s->count += count; /* a part of the profile's total: cannot pass UINT64_MAX */
		s->base = base > UINT64_MAX - s->base ? UINT64_MAX : s->base + base;
		b->ids_len = start;
		*at = (uint32_t)((uintptr_t)hit - 1);
		return 0;
	}
	if (array__grow((void **)&v->stacks, &b->stacks_cap, v->nstacks + 1, sizeof(*v->stacks)) ||
	    array__grow((void **)&b->offsets, &b->offsets_cap, v->nstacks + 1, sizeof(*b->offsets)))
		return -ENOMEM;
	if (pf_hashmap__set(&b->stack_index, v->ids + start, key_len, (void *)(uintptr_t)(v->nstacks + 1)))
		return -ENOMEM;
	b->offsets[v->nstacks] = start;
	v->stacks[v->nstacks].count = count;
	v->stacks[v->nstacks].base = base;
	v->stacks[v->nstacks].nframes = n;
	v->stacks[v->nstacks].seq = (uint32_t)v->nstacks;
	*at = (uint32_t)v->nstacks++;
	return 0;
}

static const struct profile_view *sort_view; /* qsort has no context argument */

/* Frame by frame, root first, by name: the order of the lines a folded writer would sort. */
static int stack_cmp(const void *a, const void *b)
{
	const struct view_stack *x = a, *y = b;

	for (uint32_t i = 0; i < x->nframes && i < y->nframes; i++) {
		int c = strcmp(sort_view->frames[x->frames[i]].name, sort_view->frames[y->frames[i]].name);

		if (c)
			return c;
		if (sort_view->frames[x->frames[i]].kind != sort_view->frames[y->frames[i]].kind)
			return sort_view->frames[x->frames[i]].kind < sort_view->frames[y->frames[i]].kind ? -1 : 1;
	}
	return x->nframes < y->nframes ? -1 : x->nframes > y->nframes;
}

uint64_t profile_view__base_scaled(const struct profile_view *v, uint64_t base)
{
	double x = v->base_total ? (double)base * (double)v->total / (double)v->base_total + 0.5 : 0;

	return x >= 18446744073709549568.0 /* the largest double below 2^64 */ ? UINT64_MAX : (uint64_t)x;
}

double profile_view__change(const struct profile_view *v, uint64_t count, uint64_t base)
{
	/* count * base_total - base * total, exactly: equal shares give 0, not a rounding's residue. */
	__int128 d = (__int128)count * v->base_total - (__int128)base * v->total;
	double whole = (double)v->total * (double)v->base_total;

	if (!v->base_total) /* nothing before: every sample is new */
		return v->total ? (double)count / (double)v->total : 0;
	if (!v->total)
		return -(double)base / (double)v->base_total;
	return d ? (double)d / whole : 0;
}

/* Adds every stack of p, counted as count (or as base, when as_base). */
static int add_profile(struct builder *b, const struct profile *p, const struct view_options *o, int as_base)
{
	int err = 0;

	for (size_t i = 0; !err && i < p->nstacks; i++) {
		size_t start = b->ids_len;
		uint64_t c = p->stacks[i]->count - (o->since_mark ? p->stacks[i]->mark : 0);
		uint32_t at;
		int64_t n;

		if (!c)
			continue;
		n = stack_ids(b, p, p->stacks[i], o);
		if (n < 0)
			return (int)n;
		err =
		    as_base ? stack_add(b, start, (uint32_t)n, 0, c, &at) : stack_add(b, start, (uint32_t)n, c, 0, &at);
		if (!as_base)
			b->v->view_of[i] = at;
		if (as_base)
			b->v->base_total += c;
		else
			b->v->total += c;
	}
	return err;
}

/* The name of the process (record) with the most samples: what pprof calls the main binary. */
static const char *busiest_program(const struct profile *p)
{
	const struct profile_process *best = NULL;
	struct pf_hashmap_entry *e;
	size_t it = 0;

	while (pf_hashmap__next(&p->processes, &it, &e)) {
		const struct profile_process *pp = e->value;

		if (pp->comm[0] && (!best || pp->samples > best->samples))
			best = pp;
	}
	return best ? best->comm : NULL;
}

/* view_of pointed at stacks in their order of appearance: now at where the sort put them. */
static int renumber(struct profile_view *v)
{
	uint32_t *pos = malloc((v->nstacks + 1) * sizeof(*pos));

	if (!pos)
		return -ENOMEM;
	for (size_t i = 0; i < v->nstacks; i++)
		pos[v->stacks[i].seq] = (uint32_t)i;
	for (size_t i = 0; i < v->source->nstacks; i++)
		if (v->view_of[i] != VIEW_NONE)
			v->view_of[i] = pos[v->view_of[i]];
	free(pos);
	return 0;
}

static int build(struct profile_view *v, const struct profile *before, const struct profile *after,
		 const struct view_options *o)
{
	struct builder b = { .v = v };
	int err;

	memset(v, 0, sizeof(*v));
	v->measure = after->measure;
	pf_hashmap__init(&b.frame_index);
	pf_hashmap__init(&b.stack_index);
	v->time_ns = after->time_ns;
	v->duration_ns = after->duration_ns;
	v->program = busiest_program(after);
	v->source = after;
	v->view_of = malloc((after->nstacks + 1) * sizeof(*v->view_of));
	if (!v->view_of)
		return -ENOMEM;
	for (size_t i = 0; i < after->nstacks; i++)
		v->view_of[i] = VIEW_NONE;
	err = add_profile(&b, after, o, 0);
	if (!err && before) {
		v->diff = 1;
		err = add_profile(&b, before, o, 1);
	}
	if (!err) {
		for (size_t i = 0; i < v->nstacks; i++)
			v->stacks[i].frames = v->ids + b.offsets[i];
		sort_view = v;
		if (v->nstacks)
			qsort(v->stacks, v->nstacks, sizeof(*v->stacks), stack_cmp);
		err = renumber(v);
	}
	free(b.offsets);
	pf_hashmap__free(&b.frame_index);
	pf_hashmap__free(&b.stack_index);
	if (err)
		profile_view__free(v);
	return err;
}

int profile_view__build(struct profile_view *v, const struct profile *p, const struct view_options *o)
{
	return build(v, NULL, p, o);
}

int profile_view__diff(struct profile_view *v, const struct profile *before, const struct profile *after,
		       const struct view_options *o)
{
	return build(v, before, after, o);
}

void profile_view__free(struct profile_view *v)
{
	for (size_t i = 0; i < v->nframes; i++)
		free(v->frames[i].name);
	free(v->frames);
	free(v->stacks);
	free(v->ids);
	free(v->view_of);
	memset(v, 0, sizeof(*v));
}
