/* The in-memory profile every writer reads: interned frames, stacks with counts, processes and threads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "profile.h"

void profile__init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	pf_hashmap__init(&p->intern.frames);
	pf_hashmap__init(&p->intern.stacks);
	pf_hashmap__init(&p->processes);
	pf_hashmap__init(&p->threads);
	p->next_key = PROFILE_FIRST_KEY;
}

void profile__free(struct profile *p)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	for (size_t i = 0; i < p->nframes; i++)
		free(p->frames[i].name);
	free(p->frames);
	for (size_t i = 0; i < p->nstacks; i++)
		free(p->stacks[i]);
	free(p->stacks);
	free(p->timeline.events);
	while (pf_hashmap__next(&p->processes, &it, &e)) {
		struct profile_process *proc = e->value;

		free(proc->python);
		free(proc);
	}
	it = 0;
	while (pf_hashmap__next(&p->threads, &it, &e)) {
		struct profile_thread *t = e->value;

		free(t->name);
		free(t);
	}
	pf_hashmap__free(&p->intern.frames);
	pf_hashmap__free(&p->intern.stacks);
	pf_hashmap__free(&p->processes);
	pf_hashmap__free(&p->threads);
	profile__init(p);
}

int64_t profile__frame(struct profile *p, enum frame_kind kind, const char *name)
{
	size_t len = strlen(name);
	char key[len + 1];
	void *hit;

	/* The key is kind then name: the same text as a kernel and a native symbol are two frames. */
	key[0] = (char)kind;
	memcpy(key + 1, name, len);
	hit = pf_hashmap__get(&p->intern.frames, key, len + 1);
	if (hit)
		return (int64_t)(uintptr_t)hit - 1;
	if (array__grow((void **)&p->frames, &p->intern.frames_cap, p->nframes + 1, sizeof(*p->frames)))
		return -ENOMEM;
	p->frames[p->nframes].name = strdup(name);
	if (!p->frames[p->nframes].name)
		return -ENOMEM;
	p->frames[p->nframes].kind = kind;
	if (pf_hashmap__set(&p->intern.frames, key, len + 1, (void *)(uintptr_t)(p->nframes + 1))) {
		free(p->frames[p->nframes].name);
		return -ENOMEM;
	}
	return (int64_t)p->nframes++;
}

/* A new stack record, indexed under key; NULL when out of memory. */
static struct profile_stack *stack_new(struct profile *p, const uint32_t *key, size_t key_len)
{
	uint32_t nframes = (uint32_t)(key_len / sizeof(uint32_t) - 2);
	struct profile_stack *s;

	if (array__grow((void **)&p->stacks, &p->intern.stacks_cap, p->nstacks + 1, sizeof(*p->stacks)))
		return NULL;
	s = calloc(1, sizeof(*s) + nframes * sizeof(uint32_t));
	if (!s)
		return NULL;
	s->tgid = key[0];
	s->tid = key[1];
	s->id = (uint32_t)p->nstacks;
	s->nframes = nframes;
	memcpy(s->frames, key + 2, nframes * sizeof(uint32_t));
	if (pf_hashmap__set(&p->intern.stacks, key, key_len, s)) {
		free(s);
		return NULL;
	}
	p->stacks[p->nstacks++] = s;
	return s;
}

int profile__add(struct profile *p, struct profile_process *proc, uint32_t tid, const uint32_t *frames,
		 uint32_t nframes, uint64_t count)
{
	return profile__add_timed(p, proc, tid, frames, nframes, count, 0, 0);
}

int profile__add_timed(struct profile *p, struct profile_process *proc, uint32_t tid, const uint32_t *frames,
		       uint32_t nframes, uint64_t count, uint64_t start_ns, uint64_t duration_ns)
{
	size_t key_len = (2 + (size_t)nframes) * sizeof(uint32_t);
	struct profile_stack *s;
	uint32_t *key;

	/* Counts read from a saved profile can be anything; every count is at most the total. */
	if (count > UINT64_MAX - p->total)
		return -EOVERFLOW;
	key = malloc(key_len);
	if (!key || !proc) {
		free(key);
		return -ENOMEM;
	}
	proc->samples += count;
	key[0] = proc->key;
	key[1] = tid;
	if (nframes) /* frames may be NULL then, which memcpy may not be given */
		memcpy(key + 2, frames, nframes * sizeof(uint32_t));
	s = pf_hashmap__get(&p->intern.stacks, key, key_len);
	if (!s)
		s = stack_new(p, key, key_len);
	free(key);
	if (!s)
		return -ENOMEM;
	if (p->timeline.keep && duration_ns) {
		struct profile_timeline *t = &p->timeline;

		if (array__grow((void **)&t->events, &t->cap, t->n + 1, sizeof(*t->events)))
			return -ENOMEM;
		t->events[t->n++] = (struct profile_event){ start_ns, duration_ns, s->id, 0 };
	}
	s->count += count;
	p->total += count;
	p->last_stack = s->id;
	return 0;
}

static struct profile_process *process_new(struct profile *p, uint32_t tgid, uint32_t key)
{
	struct profile_process *proc = calloc(1, sizeof(*proc));

	if (!proc)
		return NULL;
	proc->tgid = tgid;
	proc->key = key;
	proc->exited_after = -1;
	if (pf_hashmap__set(&p->processes, &key, sizeof(key), proc)) {
		free(proc);
		return NULL;
	}
	return proc;
}

struct profile_process *profile__process(struct profile *p, uint32_t tgid)
{
	struct profile_process *proc = pf_hashmap__get(&p->processes, &tgid, sizeof(tgid));

	return proc ? proc : process_new(p, tgid, tgid);
}

struct profile_process *profile__new_process(struct profile *p, struct profile_process *old, uint32_t tgid)
{
	if (!old)
		return profile__process(p, tgid);
	if (!old->samples) {
		free(old->python);
		memset(old->comm, 0, sizeof(old->comm));
		old->python = NULL;
		old->start = 0;
		old->exited_after = -1;
		return old;
	}
	return process_new(p, tgid, p->next_key++);
}

/* dst's record under src's key, made like it on first use. */
static struct profile_process *adopt_process(struct profile *dst, const struct profile *src, uint32_t key)
{
	const struct profile_process *from = profile__process_by_key(src, key);
	struct profile_process *proc = pf_hashmap__get(&dst->processes, &key, sizeof(key));

	if (proc)
		return proc;
	proc = process_new(dst, from ? from->tgid : key, key);
	if (!proc || !from)
		return proc;
	memcpy(proc->comm, from->comm, sizeof(proc->comm));
	proc->start = from->start;
	proc->exited_after = from->exited_after;
	proc->python = from->python ? strdup(from->python) : NULL;
	if (key >= dst->next_key)
		dst->next_key = key + 1;
	return from->python && !proc->python ? NULL : proc;
}

int profile__copy_stack(struct profile *dst, const struct profile *src, const struct profile_stack *s, uint32_t first,
			uint64_t count)
{
	struct profile_process *proc = adopt_process(dst, src, s->tgid);
	const struct profile_thread *from = profile__find_thread(src, s->tgid, s->tid);
	struct profile_thread *t = proc ? profile__thread(dst, s->tid, s->tgid) : NULL;
	uint32_t *ids = malloc(((size_t)s->nframes + 1) * sizeof(*ids));
	uint32_t n = 0;
	int err = !proc || !t || !ids ? -ENOMEM : 0;

	if (!err && from) {
		memcpy(t->comm, from->comm, sizeof(t->comm));
		err = profile_thread__set_name(t, from->name);
	}
	for (uint32_t i = first; !err && i < s->nframes; i++) {
		const struct profile_frame *f = &src->frames[s->frames[i]];
		int64_t id = profile__frame(dst, f->kind, f->name);

		if (id < 0)
			err = (int)id;
		else
			ids[n++] = (uint32_t)id;
	}
	err = err ?: profile__add(dst, proc, s->tid, ids, n, count);
	free(ids);
	return err;
}

struct profile_thread *profile__thread(struct profile *p, uint32_t tid, uint32_t key_of_process)
{
	uint32_t key[2] = { key_of_process, tid };
	struct profile_thread *t = pf_hashmap__get(&p->threads, key, sizeof(key));

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->tgid = key[0];
	if (pf_hashmap__set(&p->threads, key, sizeof(key), t)) {
		free(t);
		return NULL;
	}
	return t;
}

const char *profile_thread__label(const struct profile_thread *t)
{
	return !t ? "?" : t->name ? t->name : t->comm[0] ? t->comm : "?";
}

int profile_thread__set_name(struct profile_thread *t, const char *name)
{
	char *copy;

	if (!name || (t->name && !strcmp(t->name, name)))
		return 0;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	free(t->name);
	t->name = copy;
	return 0;
}

const struct profile_process *profile__process_by_key(const struct profile *p, uint32_t key)
{
	return pf_hashmap__get(&p->processes, &key, sizeof(key));
}

const struct profile_thread *profile__find_thread(const struct profile *p, uint32_t key, uint32_t tid)
{
	uint32_t k[2] = { key, tid };

	return pf_hashmap__get(&p->threads, k, sizeof(k));
}

void profile__mark(struct profile *p)
{
	for (size_t i = 0; i < p->nstacks; i++)
		p->stacks[i]->mark = p->stacks[i]->count;
	p->total_mark = p->total;
	p->timeline.n = 0; /* a window's timeline is its own */
}
