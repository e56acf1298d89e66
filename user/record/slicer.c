#include "slicer.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "array.h"
#include "slice_func.h"
#include "target_process.h"

#define MAX_RECORDS (1u << 16) /* held per open invocation; more are counted, not kept (its time still is) */
#define BUCKET_STEP 1.02       /* each latency bucket 2% wider than the one before */

struct slice_rec {
	uint32_t stack;
	uint64_t weight;
};

/* A thread's invocation in progress: its records are held until it ends, then go to its latency's bucket. */
struct slice_open {
	uint32_t tid;
	struct slice_call call;
	uint64_t start_ns, end_ns;
	struct slice_rec *recs;
	size_t n, cap;
};

struct slice_threads {
	struct slicer *s;
	struct target_process *t;	     /* whose t->slices this is */
	struct pf_hashmap open;		     /* tid -> struct slice_open */
	struct slice_threads *next, **pprev; /* in s->with_open */
};

struct weight_key {
	uint32_t stack;
	uint32_t bucket;
};

void slicer__init(struct slicer *s, const struct slicer_options *o, struct profile *p)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->p = p;
	pf_hashmap__init(&s->matches);
	pf_hashmap__init(&s->weights);
}

static void open_free(struct slice_open *o)
{
	free(o->recs);
	free(o);
}

/* t's open invocations, made (and listed in s) on first use; NULL when out of memory. */
static struct slice_threads *threads_of(struct slicer *s, struct target_process *t)
{
	struct slice_threads *st = t->slices;

	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->s = s;
	st->t = t;
	pf_hashmap__init(&st->open);
	st->next = s->with_open;
	if (st->next)
		st->next->pprev = &st->next;
	st->pprev = &s->with_open;
	s->with_open = st;
	t->slices = st;
	return st;
}

/* Unlinks st from its slicer and its process and frees it, with the invocations still open in it (not counted). */
static void threads_free(struct slice_threads *st)
{
	struct pf_hashmap_entry *e;

	for (size_t i = 0; pf_hashmap__next(&st->open, &i, &e);)
		open_free(e->value);
	pf_hashmap__free(&st->open);
	*st->pprev = st->next;
	if (st->next)
		st->next->pprev = st->pprev;
	st->t->slices = NULL;
	free(st);
}

static void free_weights(struct slicer *s)
{
	struct pf_hashmap_entry *e;

	for (size_t i = 0; pf_hashmap__next(&s->weights, &i, &e);)
		free(e->value);
	pf_hashmap__free(&s->weights);
}

void slicer__new_window(struct slicer *s)
{
	free_weights(s);
	pf_hashmap__init(&s->weights);
	memset(s->counts, 0, sizeof(s->counts));
	memset(s->durations_ns, 0, sizeof(s->durations_ns));
	s->seen = s->unresolved = s->overflow = s->max_ns = 0;
}

void slicer__free(struct slicer *s)
{
	while (s->with_open)
		threads_free(s->with_open);
	free_weights(s);
	pf_hashmap__free(&s->matches);
}

unsigned slicer__bucket(uint64_t ns)
{
	double us = (double)ns / 1e3;
	double b = us <= 1 ? 0 : floor(log(us) / log(BUCKET_STEP));

	return b >= SLICE_BUCKETS - 1 ? SLICE_BUCKETS - 1 : (unsigned)b;
}

uint64_t slicer__bucket_ns(unsigned bucket)
{
	return (uint64_t)(pow(BUCKET_STEP, bucket + 0.5) * 1e3);
}

int slicer__is_func(struct slicer *s, uint32_t id, int qualified)
{
	uintptr_t known = (uintptr_t)pf_hashmap__get(&s->matches, &id, sizeof(id));
	int yes;

	if (known)
		return known == 1;
	yes = s->p->frames[id].kind == FRAME_PYTHON && slice_func__matches(s->o.func, s->p->frames[id].name, qualified);
	pf_hashmap__set(&s->matches, &id, sizeof(id), (void *)(uintptr_t)(yes ? 1 : 2)); /* no memory: asked again */
	return yes;
}

/* The ended invocation's records go to the bucket of its latency; one too short to tell is only counted. */
static int end(struct slicer *s, struct slice_open *o)
{
	uint64_t d = o->end_ns - o->start_ns;
	unsigned b = slicer__bucket(d);

	s->seen++;
	if (d < 2 * s->o.period_ns) {
		s->unresolved++;
		return 0;
	}
	s->counts[b]++;
	s->durations_ns[b] += d;
	if (d > s->max_ns)
		s->max_ns = d;
	for (size_t i = 0; i < o->n; i++) {
		struct weight_key k = { o->recs[i].stack, b };
		uint64_t *w = pf_hashmap__get(&s->weights, &k, sizeof(k));

		if (!w) {
			w = calloc(1, sizeof(*w));
			if (!w || pf_hashmap__set(&s->weights, &k, sizeof(k), w)) {
				free(w);
				return -ENOMEM;
			}
		}
		*w += o->recs[i].weight;
	}
	return 0;
}

static int same_call(const struct slice_call *a, const struct slice_call *b)
{
	return a->code == b->code && a->frame == b->frame && a->depth == b->depth;
}

/* Ends every invocation st holds (counted), then frees st. 0 or -ENOMEM (the first end that failed). */
static int threads_end(struct slice_threads *st)
{
	struct pf_hashmap_entry *e;
	int err = 0;

	for (size_t i = 0; pf_hashmap__next(&st->open, &i, &e);) {
		err = err ?: end(st->s, e->value);
		open_free(e->value);
	}
	pf_hashmap__free(&st->open);
	pf_hashmap__init(&st->open);
	threads_free(st);
	return err;
}

void slice_threads__close(struct slice_threads *st)
{
	struct slicer *s;
	int err;

	if (!st)
		return;
	s = st->s;
	err = threads_end(st);
	if (!s->err) /* the run's next call of the slicer returns it */
		s->err = err;
}

int slicer__add(struct slicer *s, struct target_process *t, uint32_t tid, uint32_t stack, uint64_t start_ns,
		uint64_t end_ns, uint64_t weight, const struct slice_call *call)
{
	struct slice_threads *st;
	struct slice_open *o;
	int err = s->err;

	/* A process the run does not know has no Python names, so no call of FUNC: it has nothing to end either. */
	if (err || !t)
		return err;
	st = t->slices;
	o = st ? pf_hashmap__get(&st->open, &tid, sizeof(tid)) : NULL;
	if (o && (!call || !same_call(&o->call, call))) {
		err = end(s, o);
		pf_hashmap__delete(&st->open, &tid, sizeof(tid));
		open_free(o);
		o = NULL;
	}
	if (err || !call)
		return err;
	if (!o) {
		st = threads_of(s, t);
		o = st ? calloc(1, sizeof(*o)) : NULL;
		if (!o || pf_hashmap__set(&st->open, &tid, sizeof(tid), o)) {
			free(o);
			return -ENOMEM;
		}
		o->tid = tid;
		o->call = *call;
		o->start_ns = start_ns;
	}
	if (end_ns > o->end_ns)
		o->end_ns = end_ns;
	if (!weight)
		return 0;
	if (o->n && o->recs[o->n - 1].stack == stack) { /* a hot loop: one record */
		o->recs[o->n - 1].weight += weight;
		return 0;
	}
	if (o->n >= MAX_RECORDS) {
		s->overflow++;
		return 0;
	}
	if (array__grow((void **)&o->recs, &o->cap, o->n + 1, sizeof(*o->recs)))
		return -ENOMEM;
	o->recs[o->n++] = (struct slice_rec){ stack, weight };
	return 0;
}

/* Ends st's invocations of threads that exited; 0 or -ENOMEM. */
static int threads_expire(struct slice_threads *st, uint64_t now_ns)
{
	struct pf_hashmap_entry *e;
	uint32_t *gone = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	for (size_t i = 0; pf_hashmap__next(&st->open, &i, &e);) {
		struct slice_open *o = e->value;

		if (o->end_ns + 1000000000ull > now_ns || syscall(SYS_tgkill, st->t->pid, (pid_t)o->tid, 0) == 0)
			continue;
		if (array__grow((void **)&gone, &cap, n + 1, sizeof(*gone))) {
			err = -ENOMEM;
			break;
		}
		gone[n++] = o->tid;
	}
	for (size_t i = 0; i < n; i++) { /* deleting while iterating would move entries under the iterator */
		struct slice_open *o = pf_hashmap__delete(&st->open, &gone[i], sizeof(gone[i]));

		err = err ?: end(st->s, o);
		open_free(o);
	}
	free(gone);
	return err;
}

int slicer__expire(struct slicer *s, uint64_t now_ns)
{
	int err = s->err;

	if (err || now_ns < s->expire_at_ns)
		return err;
	s->expire_at_ns = now_ns + 1000000000ull;
	for (struct slice_threads *st = s->with_open; !err && st; st = st->next)
		err = threads_expire(st, now_ns);
	return err;
}

int slicer__finish(struct slicer *s)
{
	int err = s->err;

	while (s->with_open) {
		int ended = threads_end(s->with_open);

		err = err ?: ended;
	}
	return err;
}

/* The bucket whose invocations reach the p-th percentile of n. */
static unsigned percentile(const struct slicer *s, uint64_t n, double p)
{
	uint64_t want = (uint64_t)ceil(p / 100 * (double)n), seen = 0;

	for (unsigned b = 0; b < SLICE_BUCKETS; b++) {
		seen += s->counts[b];
		if (seen >= want && seen)
			return b;
	}
	return SLICE_BUCKETS - 1;
}

/* Index of the outermost FUNC frame of a stack (0 when none: never, a held stack had one). */
static uint32_t func_index(struct slicer *s, const struct profile_stack *st)
{
	for (uint32_t i = 0; i < st->nframes; i++)
		if ((uintptr_t)pf_hashmap__get(&s->matches, &st->frames[i], sizeof(st->frames[i])) == 1)
			return i;
	return 0;
}

int slicer__result(struct slicer *s, struct profile *slow, struct profile *rest, struct slice_summary *sum)
{
	struct pf_hashmap_entry *e;
	unsigned first_slow, part_bucket = SLICE_BUCKETS;
	double part = 0; /* of the percentile's bucket, the share in the slowest (100 - p)% */
	uint64_t n = 0;
	int err = 0;

	for (unsigned b = 0; b < SLICE_BUCKETS; b++)
		n += s->counts[b];
	memset(sum, 0, sizeof(*sum));
	sum->seen = s->seen;
	sum->resolved = n;
	sum->unresolved = s->unresolved;
	sum->overflow = s->overflow;
	sum->max_ns = s->max_ns;
	if (n) {
		sum->p50_ns = slicer__bucket_ns(percentile(s, n, 50));
		sum->p90_ns = slicer__bucket_ns(percentile(s, n, 90));
		sum->p99_ns = slicer__bucket_ns(percentile(s, n, 99));
	}
	/*
	 * Slower than a time: the buckets above the one it falls in (2% wide). Slower than a percentile: the
	 * slowest (100 - p)% of the invocations, the buckets above the percentile's, and of its own bucket the share
	 * that makes up the count: a request class of one latency fills one bucket, and within 2% its invocations
	 * are alike, so that share of its records stands for them.
	 */
	if (s->o.percentile >= 0) {
		unsigned b = percentile(s, n, s->o.percentile);
		uint64_t want = n - (uint64_t)ceil(s->o.percentile / 100 * (double)n), above = 0;

		for (unsigned i = b + 1; i < SLICE_BUCKETS; i++)
			above += s->counts[i];
		part_bucket = b;
		part = above < want && s->counts[b] ? (double)(want - above) / (double)s->counts[b] : 0;
		first_slow = part > 0 ? b : b + 1;
		sum->threshold_ns = slicer__bucket_ns(b);
	} else {
		first_slow = slicer__bucket(s->o.slower_ns) + 1;
		sum->threshold_ns = s->o.slower_ns;
	}
	sum->first_slow_bucket = first_slow;
	for (unsigned b = first_slow; b < SLICE_BUCKETS; b++) {
		double share = b == part_bucket ? part : 1;

		sum->slow += (uint64_t)llround(share * (double)s->counts[b]);
		sum->slow_s += share * (double)s->durations_ns[b] / 1e9;
	}
	slow->measure = s->p->measure;
	if (rest)
		rest->measure = s->p->measure;
	for (size_t i = 0; !err && pf_hashmap__next(&s->weights, &i, &e);) {
		const struct weight_key *k = e->key;
		const struct profile_stack *st = s->p->stacks[k->stack];
		uint64_t w = *(uint64_t *)e->value, w_slow;
		uint32_t first = s->o.root ? 0 : func_index(s, st);

		w_slow = k->bucket < first_slow	    ? 0
			 : k->bucket == part_bucket ? (uint64_t)llround(part * (double)w)
						    : w;
		if (w_slow)
			err = profile__copy_stack(slow, s->p, st, first, w_slow);
		sum->slow_weight += w_slow;
		if (!err && rest && w > w_slow)
			err = profile__copy_stack(rest, s->p, st, first, w - w_slow);
	}
	return err;
}
