/* `pyflame-bpf dump`: every thread of the named processes now, read without stopping them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "dump.h"
#include "session.h"
#include "writer_dump.h"

struct dump_list {
	struct dump_thread *threads;
	size_t n, cap;
	int err;
};

/* A thread's record, before it is counted: what it was doing (the profile keeps only its stack). */
static void remember(void *ctx, const struct pf_sample *rec)
{
	struct dump_list *l = ctx;

	if (array__grow((void **)&l->threads, &l->cap, l->n + 1, sizeof(*l->threads))) {
		l->err = -ENOMEM;
		return;
	}
	l->threads[l->n++] =
	    (struct dump_thread){ rec->tgid, rec->tid, rec->flags, rec->weight_ns ? (int64_t)rec->weight_ns - 1 : -1 };
}

int dump__run(const struct pf_options *o, struct output *out)
{
	struct dump_list list = { 0 };
	struct pf_hashmap_entry *e;
	struct session s;
	size_t it = 0;
	int err;

	session__init(&s, o);
	s.stream.on_dump = remember;
	s.stream.dump_ctx = &list;
	err = session__start(&s);
	/* One pass per process over its threads; the records wait in the ring buffer for the drain. */
	while (!err && pf_hashmap__next(&s.tracker.procs, &it, &e)) {
		const struct target_process *t = e->value;

		if (t->alive && (err = sampler_bpf__dump(&s.bpf, t->pid)))
			fprintf(stderr, "pyflame-bpf: cannot read the threads of PID %d: %s\n", (int)t->pid,
				strerror(-err));
	}
	err = session__stop(&s) ?: err ?: list.err;
	if (!err)
		err = output__commit(
		    out, dump__write(&s.profile, list.threads, list.n, o->json, o->out.no_kernel, out->file));
	else
		output__abort(out);
	session__free(&s);
	free(list.threads);
	return err ? 1 : 0;
}
