/* speedscope's JSON file format: the view's frames shared, one sampled profile per process/thread root. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python_frame_name.h"
#include "utf8.h"
#include "array.h"
#include "hashmap.h"
#include "json.h"
#include "timeline.h"
#include "writer_speedscope.h"

#define SCHEMA_URL "https://www.speedscope.app/file-format-schema.json"
#define DEFAULT_NAME "pyflame-bpf"
#define NOT_SHARED UINT32_MAX

/* The view's stacks split by their leading root frames: profile g holds stacks order[start[g]] .. order[start[g+1]-1],
 * in view order; first[g] is one of them, whose root frames name the profile. */
struct groups {
	size_t n;
	size_t *order;
	size_t *start; /* n + 1 entries */
	size_t *first;
	uint64_t *samples; /* per group: the sum of its stacks' counts */
};

/* Root frames at the start of a stack: the process (`COMM (PID)`) and, with --threads, the thread. */
static uint32_t roots_of(const struct profile_view *v, const struct view_stack *s)
{
	uint32_t n = 0;

	while (n < s->nframes && v->frames[s->frames[n]].kind == VIEW_ROOT)
		n++;
	return n;
}

static void groups__free(struct groups *g)
{
	free(g->order);
	free(g->start);
	free(g->first);
	free(g->samples);
	memset(g, 0, sizeof(*g));
}

/* Groups the stacks by their root frames with one counting pass: groups numbered in order of first appearance. */
static int groups__build(struct groups *g, const struct profile_view *v)
{
	size_t cap = v->nstacks + 1, no_roots = SIZE_MAX;
	size_t *of_stack = calloc(cap, sizeof(*of_stack)); /* per stack: its group */
	struct pf_hashmap index;
	int err = -ENOMEM;

	memset(g, 0, sizeof(*g));
	pf_hashmap__init(&index);
	g->first = calloc(cap, sizeof(*g->first));
	g->samples = calloc(cap, sizeof(*g->samples));
	g->start = calloc(cap + 1, sizeof(*g->start));
	g->order = calloc(cap, sizeof(*g->order));
	if (!of_stack || !g->first || !g->samples || !g->start || !g->order)
		goto cleanup;
	for (size_t i = 0; i < v->nstacks; i++) {
		const struct view_stack *s = &v->stacks[i];
		uint32_t nroots = roots_of(v, s);
		size_t id;

		if (!nroots) {
			if (no_roots == SIZE_MAX) {
				no_roots = g->n++;
				g->first[no_roots] = i;
			}
			id = no_roots;
		} else {
			void *hit = pf_hashmap__get(&index, s->frames, nroots * sizeof(*s->frames));

			if (hit) {
				id = (uintptr_t)hit - 1;
			} else {
				id = g->n++;
				g->first[id] = i;
				if (pf_hashmap__set(&index, s->frames, nroots * sizeof(*s->frames),
						    (void *)(uintptr_t)(id + 1)))
					goto cleanup;
			}
		}
		of_stack[i] = id;
		g->samples[id] += s->count;
		g->start[id + 1]++;
	}
	if (!g->n) /* an empty view is still one (empty) profile */
		g->n = 1;
	for (size_t k = 0; k < g->n; k++)
		g->start[k + 1] += g->start[k];
	/* start[k] is group k's fill position; once filled it is where group k + 1 starts, and is shifted back. */
	for (size_t i = 0; i < v->nstacks; i++)
		g->order[g->start[of_stack[i]]++] = i;
	for (size_t k = g->n; k > 0; k--)
		g->start[k] = g->start[k - 1];
	g->start[0] = 0;
	err = 0;
cleanup:
	free(of_stack);
	pf_hashmap__free(&index);
	if (err)
		groups__free(g);
	return err;
}

static void frame_json(FILE *out, const struct view_frame *f)
{
	const char *file;
	size_t func_len, file_len;
	long line;

	fputs("{\"name\":\"", out);
	json__chars(out, f->name, strlen(f->name));
	fputs(f->kind == VIEW_KERNEL ? "_[k]\"" : "\"", out); /* flamegraph.pl's kernel suffix, as folded output has */
	if (f->kind == VIEW_PYTHON && py_frame_name__split(f->name, &func_len, &file, &file_len, &line)) {
		fputs(",\"file\":\"", out);
		json__chars(out, file, file_len);
		fputc('"', out);
		if (line > 0)
			fprintf(out, ",\"line\":%ld", line);
	}
	fputc('}', out);
}

/* Shared frame indexes: every frame that appears below the roots, in view order; roots are profile names instead. */
static uint32_t *shared_ids(const struct profile_view *v, uint32_t *n)
{
	uint32_t *ids = malloc((v->nframes + 1) * sizeof(*ids));

	if (!ids)
		return NULL;
	for (size_t i = 0; i < v->nframes; i++)
		ids[i] = NOT_SHARED;
	for (size_t i = 0; i < v->nstacks; i++) {
		const struct view_stack *s = &v->stacks[i];

		for (uint32_t j = roots_of(v, s); j < s->nframes; j++)
			ids[s->frames[j]] = 0;
	}
	*n = 0;
	for (size_t i = 0; i < v->nframes; i++)
		if (ids[i] != NOT_SHARED)
			ids[i] = (*n)++;
	return ids;
}

/* A profile's name: its root frames joined by " / ", else the file's name. */
static void profile_name(FILE *out, const struct profile_view *v, const struct view_stack *s, const char *name)
{
	uint32_t nroots = s ? roots_of(v, s) : 0;

	if (!nroots) {
		json__string(out, name);
		return;
	}
	fputc('"', out);
	for (uint32_t j = 0; j < nroots; j++) {
		const char *root = v->frames[s->frames[j]].name;

		if (j)
			fputs(" / ", out);
		json__chars(out, root, strlen(root));
	}
	fputc('"', out);
}

/* A weight: the count itself, or seconds printed with enough digits to sum back to the recording's length. */
static void weight_json(FILE *out, uint64_t count, double seconds_per_sample)
{
	if (seconds_per_sample > 0)
		fprintf(out, "%.12g", (double)count * seconds_per_sample);
	else
		fprintf(out, "%" PRIu64, count);
}

static void profile_json(FILE *out, const struct profile_view *v, const struct groups *g, size_t k, const uint32_t *ids,
			 const char *name, double seconds_per_sample)
{
	size_t from = g->start[k], to = g->start[k + 1];

	fputs("{\"type\":\"sampled\",\"name\":", out);
	profile_name(out, v, from < to ? &v->stacks[g->first[k]] : NULL, name);
	fprintf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":", seconds_per_sample > 0 ? "seconds" : "none");
	weight_json(out, g->samples[k], seconds_per_sample);
	fputs(",\n \"samples\":[", out);
	for (size_t i = from; i < to; i++) {
		const struct view_stack *s = &v->stacks[g->order[i]];
		uint32_t nroots = roots_of(v, s);

		fputs(i > from ? ",\n  [" : "\n  [", out);
		for (uint32_t j = nroots; j < s->nframes; j++)
			fprintf(out, j > nroots ? ",%" PRIu32 : "%" PRIu32, ids[s->frames[j]]);
		fputc(']', out);
	}
	fputs("],\n \"weights\":[", out);
	for (size_t i = from; i < to; i++) {
		if (i > from)
			fputc(',', out);
		weight_json(out, v->stacks[g->order[i]].count, seconds_per_sample);
	}
	fputs("]}", out);
}

/* An evented profile's name: its process and thread as their root frames name them. */
static void thread_name(FILE *out, const struct profile *p, const struct timeline_thread *th)
{
	const struct profile_process *proc = profile__process_by_key(p, th->key);
	const struct profile_thread *t = profile__find_thread(p, th->key, th->tid);
	char buf[96];

	fputc('"', out);
	snprintf(buf, sizeof(buf), "%s (%u) / thread ", proc && proc->comm[0] ? proc->comm : "?",
		 proc ? proc->tgid : th->key);
	json__chars(out, buf, strlen(buf));
	json__chars(out, profile_thread__label(t), strlen(profile_thread__label(t)));
	snprintf(buf, sizeof(buf), " (%u)", th->tid);
	json__chars(out, buf, strlen(buf));
	fputc('"', out);
}

static void frame_event(FILE *out, char type, uint32_t frame, uint64_t at, int *first)
{
	fprintf(out, "%s{\"type\":\"%c\",\"frame\":%" PRIu32 ",\"at\":%" PRIu64 "}", *first ? "\n  " : ",\n  ", type,
		frame, at);
	*first = 0;
}

/*
 * One thread's samples as frames opened and closed in time (ns from the timeline's start): each sample holds its
 * stack for its duration; one that overlaps the previous, or follows it within half a sample (timer jitter), starts
 * where that one ended; a longer gap (the thread did not run, or was not sampled) closes every frame; frames two
 * samples in a row share stay open across them.
 */
static int evented_json(FILE *out, const struct profile_view *v, const struct timeline *tl,
			const struct timeline_thread *th, const uint32_t *ids)
{
	const struct profile *p = v->source;
	uint32_t *open = NULL;
	size_t nopen = 0, cap = 0;
	uint64_t end = 0, last = 0, t0 = tl->start_ns, prev_len = 0;
	int first = 1, started = 0;

	for (size_t i = 0; i < th->n; i++) {
		const struct profile_event *e = &p->timeline.events[th->events[i]];

		if (e->start_ns + e->duration_ns > last)
			last = e->start_ns + e->duration_ns;
	}
	fputs("{\"type\":\"evented\",\"name\":", out);
	thread_name(out, p, th);
	fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":%" PRIu64 ",\"endValue\":%" PRIu64 ",\n \"events\":[",
		th->n ? p->timeline.events[th->events[0]].start_ns - t0 : 0, last ? last - t0 : 0);
	for (size_t i = 0; i < th->n; i++) {
		const struct profile_event *e = &p->timeline.events[th->events[i]];
		const struct view_stack *s = &v->stacks[v->view_of[e->stack]];
		uint32_t nroots = roots_of(v, s), n = s->nframes - nroots, common = 0;
		const uint32_t *frames = s->frames + nroots;
		uint64_t a = e->start_ns, b = a + e->duration_ns;

		/* Timer jitter: a sample a little early or late still follows the one before it. */
		if (started && (a < end || a - end <= (prev_len < e->duration_ns ? prev_len : e->duration_ns) / 2))
			a = end;
		if (b <= a)
			continue; /* wholly inside the previous sample */
		if (started && a > end)
			while (nopen)
				frame_event(out, 'C', ids[open[--nopen]], end - t0, &first);
		while (common < nopen && common < n && open[common] == frames[common])
			common++;
		while (nopen > common)
			frame_event(out, 'C', ids[open[--nopen]], a - t0, &first);
		if (array__grow((void **)&open, &cap, n + 1, sizeof(*open))) {
			free(open);
			return -ENOMEM;
		}
		for (; nopen < n; nopen++) {
			open[nopen] = frames[nopen];
			frame_event(out, 'O', ids[open[nopen]], a - t0, &first);
		}
		end = b;
		prev_len = e->duration_ns;
		started = 1;
	}
	while (nopen)
		frame_event(out, 'C', ids[open[--nopen]], end - t0, &first);
	fputs("]}", out);
	free(open);
	return 0;
}

int speedscope__write(const struct profile_view *v, const char *name, double seconds_per_sample, FILE *out)
{
	struct timeline tl;
	struct groups g;
	uint32_t *ids, nshared;
	int err;

	if (!name)
		name = DEFAULT_NAME;
	if (!isfinite(seconds_per_sample)) /* JSON has no inf or nan */
		seconds_per_sample = 0;
	ids = shared_ids(v, &nshared);
	if (!ids)
		return -ENOMEM;
	err = timeline__build(&tl, v);
	err = err ?: groups__build(&g, v);
	if (err) {
		timeline__free(&tl);
		free(ids);
		return err;
	}
	fputs("{\"$schema\":\"" SCHEMA_URL "\",\n\"exporter\":\"pyflame-bpf\",\n\"name\":", out);
	json__string(out, name);
	fputs(",\n\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[", out);
	for (size_t i = 0, n = 0; i < v->nframes; i++) {
		if (ids[i] == NOT_SHARED)
			continue;
		fputs(n++ ? ",\n " : "\n ", out);
		frame_json(out, &v->frames[i]);
	}
	fputs("]},\n\"profiles\":[", out);
	/* A recording's samples carry their times: one timeline per thread. A saved profile has only counts. */
	for (size_t k = 0; !err && k < tl.n; k++) {
		fputs(k ? ",\n" : "\n", out);
		err = evented_json(out, v, &tl, &tl.threads[k], ids);
	}
	for (size_t k = 0; !tl.n && k < g.n; k++) {
		fputs(k ? ",\n" : "\n", out);
		profile_json(out, v, &g, k, ids, name, seconds_per_sample);
	}
	fputs("]}\n", out);
	timeline__free(&tl);
	groups__free(&g);
	free(ids);
	return err ?: ferror(out) ? -EIO : 0;
}
