/* Turns streamed sample records into profile stacks: resolves stack ids, names frames, counts. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "collector.h"
#include "python_frame_name.h"
#include "python_symbols.h"
#include "record.h"

/* A resolved native stack: frame ids root first; for a Python leaf also whether it is the interpreter's. */
struct frame_ids {
	uint32_t n;
	int leaf_in_interpreter;
	uint32_t ids[];
};

/* A target's resolved user stacks and native leaves (struct target_process.stacks): its addresses mean nothing
 * elsewhere. */
struct stack_cache {
	struct pf_hashmap ustacks; /* stack id -> struct frame_ids */
	struct pf_hashmap leaves;  /* user ip -> struct frame_ids of one frame (Python processes) */
};

/* The sampler's stack map: addresses leaf first, zero-filled after the last. */
static int map_read_stack(void *ctx, int32_t id, uint64_t *ips)
{
	return bpf_map_lookup_elem(*(int *)ctx, &id, ips) ? -errno : 0;
}

void collector__init(struct collector *c, struct profile *p, const struct kallsyms *ksyms, struct user_symbols *usyms,
		     int stack_map_fd)
{
	memset(c, 0, sizeof(*c));
	c->profile = p;
	c->ksyms = ksyms;
	c->usyms = usyms;
	c->stack_map_fd = stack_map_fd;
	c->stacks.read = map_read_stack;
	c->stacks.ctx = &c->stack_map_fd;
	pf_hashmap__init(&c->kstacks);
}

static void free_values(struct pf_hashmap *m)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	while (pf_hashmap__next(m, &it, &e))
		free(e->value);
	pf_hashmap__free(m);
}

void collector__free(struct collector *c)
{
	free_values(&c->kstacks);
	free(c->buf);
}

void stack_cache__free(struct stack_cache *sc)
{
	if (!sc)
		return;
	free_values(&sc->ustacks);
	free_values(&sc->leaves);
	free(sc);
}

/* t's cache, made on first use; NULL on -ENOMEM. */
static struct stack_cache *cache_of(struct target_process *t)
{
	if (!t->stacks && t->alive && (t->stacks = calloc(1, sizeof(*t->stacks)))) {
		pf_hashmap__init(&t->stacks->ustacks);
		pf_hashmap__init(&t->stacks->leaves);
	}
	return t->stacks;
}

static int push(struct collector *c, size_t *n, int64_t id)
{
	if (id < 0)
		return (int)id;
	if (*n == c->buf_cap) {
		size_t cap = c->buf_cap ? c->buf_cap * 2 : 256;
		uint32_t *b = realloc(c->buf, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->buf_cap = cap;
	}
	c->buf[(*n)++] = (uint32_t)id;
	return 0;
}

static int marker(struct collector *c, size_t *n, const char *name)
{
	return push(c, n, profile__frame(c->profile, FRAME_MARKER, name));
}

/* Reads a stack's addresses from the stack map; returns how many (leaf first). */
static int read_stack(struct collector *c, int32_t id, uint64_t *ips)
{
	int n = 0;

	int err;

	memset(ips, 0, PF_MAX_STACK_ADDRS * sizeof(*ips));
	err = c->stacks.read(c->stacks.ctx, id, ips);
	if (err)
		return err;
	while (n < PF_MAX_STACK_ADDRS && ips[n])
		n++;
	return n;
}

/* Name of address ips[i] of a stack, written into buf. */
typedef void (*name_fn)(struct collector *c, struct target_process *t, const uint64_t *ips, int i, char *buf,
			size_t size);

static void kernel_name(struct collector *c, struct target_process *t, const uint64_t *ips, int i, char *buf,
			size_t size)
{
	const char *name = c->ksyms ? kallsyms__lookup(c->ksyms, ips[i]) : NULL;

	(void)t;
	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)ips[i]);
}

static void user_name(struct collector *c, struct target_process *t, const uint64_t *ips, int i, char *buf, size_t size)
{
	/* Every frame but the leaf holds a return address: look it up at ip - 1. */
	user_symbols__name(c->usyms, t, ips[i], i > 0, buf, size);
}

/* A stack id resolved to frame ids (root first), once per cache (the kernel's, or a target's). */
static struct frame_ids *resolve_stack(struct collector *c, struct pf_hashmap *cache, struct target_process *t,
				       int32_t id, enum frame_kind kind, name_fn name_of)
{
	struct frame_ids *f = pf_hashmap__get(cache, &id, sizeof(id));
	uint64_t ips[PF_MAX_STACK_ADDRS];
	char name[512];
	int n;

	if (f)
		return f;
	n = read_stack(c, id, ips);
	if (n < 0)
		return NULL;
	f = calloc(1, sizeof(*f) + n * sizeof(uint32_t));
	if (!f)
		return NULL;
	for (int i = 0; i < n; i++) {
		int64_t fid;

		name_of(c, t, ips, i, name, sizeof(name));
		fid = profile__frame(c->profile, kind, name);
		if (fid < 0) {
			free(f);
			return NULL;
		}
		f->ids[n - 1 - i] = (uint32_t)fid; /* the map holds the leaf first */
	}
	f->n = n;
	if (pf_hashmap__set(cache, &id, sizeof(id), f)) {
		free(f);
		return NULL;
	}
	return f;
}

/* Whether t's frames show qualnames (3.11+): --slice's Handler.do_GET is a bare do_GET before. */
static int qualified(const struct target_process *t)
{
	const char *v = py_symbols__version(t);

	return v && (v[0] > '3' || (v[0] == '3' && atoi(v + 2) >= 11));
}

static int add_python(struct collector *c, struct target_process *t, size_t *n, const struct pf_sample *s)
{
	int err = 0;

	/* The walk goes leaf to root: a cut (depth limit or failed read) loses the root side, so mark it there. */
	if (s->flags & PF_SAMPLE_PY_TRUNC)
		err = marker(c, n, "[truncated]");
	else if (s->flags & PF_SAMPLE_PY_ERROR)
		err = marker(c, n, "[read error]");
	/* The record holds the leaf first: the profile wants the root first. */
	for (int i = (int)s->py_nframes - 1; !err && i >= 0; i--) {
		int64_t id = py_symbols__frame(c->py, c->profile, t, &s->frames[i], !!(s->flags & PF_SAMPLE_CODE_TAGS));

		if (id >= 0 && c->slicer && !c->has_call && slicer__is_func(c->slicer, (uint32_t)id, qualified(t))) {
			c->call = (struct slice_call){ s->frames[i].code, s->frames[i].frame,
						       (uint32_t)(s->py_nframes - 1 - i) };
			c->has_call = 1;
		}
		err = id == -ENOENT ? 0 : push(c, n, id);
	}
	return err;
}

/* ld.so's code in a Python process runs for the interpreter (__tls_get_addr for its thread state, lazy binding):
 * as a leaf it says nothing about the Python code, so it counts as the interpreter's own. */
static int is_dynamic_linker(const struct proc_map *map)
{
	const char *base = map ? proc_map__basename(map) : "";

	return !strncmp(base, "ld-linux", 8) || !strncmp(base, "ld-2.", 5) || !strncmp(base, "ld.so", 5);
}

/* The native leaf of a Python process's sample, when it is outside the interpreter (libc, a C extension). */
static int add_python_leaf(struct collector *c, struct target_process *t, size_t *n, const struct pf_sample *s)
{
	struct stack_cache *sc = t ? cache_of(t) : NULL;
	struct frame_ids *f = sc ? pf_hashmap__get(&sc->leaves, &s->user_ip, sizeof(s->user_ip)) : NULL;

	if (!s->user_ip)
		return 0;
	if (!sc)
		return t && t->alive ? -ENOMEM : marker(c, n, "[unknown]");
	if (!f) {
		const struct proc_map *map;

		f = calloc(1, sizeof(*f) + sizeof(uint32_t));
		if (!f)
			return -ENOMEM;
		if (pf_hashmap__set(&sc->leaves, &s->user_ip, sizeof(s->user_ip), f)) {
			free(f);
			return -ENOMEM;
		}
		map = user_symbols__map(c->usyms, t, s->user_ip);
		f->leaf_in_interpreter = py_symbols__in_interpreter(t, map) || is_dynamic_linker(map);
	}
	/* Inside the interpreter the Python frames say it all; with no Python frame the leaf is all there is. */
	if (f->leaf_in_interpreter && s->py_nframes)
		return 0;
	/* Named only when shown: the interpreter's many leaf addresses under Python frames never need a symbol. */
	if (!f->n) {
		char name[512];
		int64_t id;

		user_symbols__name(c->usyms, t, s->user_ip, 0, name, sizeof(name));
		id = profile__frame(c->profile, FRAME_NATIVE, name);
		if (id < 0)
			return (int)id;
		f->n = 1;
		f->ids[0] = (uint32_t)id;
	}
	return push(c, n, f->ids[0]);
}

/* Native user frames: the whole stack for native processes; for Python ones only a leaf outside the interpreter,
 * since libpython has no frame pointers and everything deeper is garbage. */
static int add_native(struct collector *c, struct target_process *t, size_t *n, const struct pf_sample *s, int python)
{
	struct stack_cache *sc;
	struct frame_ids *u;
	int err = 0;

	/* A dump has only each thread's user IP: the leaf, named as a Python process's. */
	if (python || ((s->flags & PF_SAMPLE_DUMP) && s->user_ip))
		return add_python_leaf(c, t, n, s);
	if (s->ustack_id < 0)
		return marker(c, n, "[no user stack]");
	sc = t ? cache_of(t) : NULL;
	if (!sc)
		return t && t->alive ? -ENOMEM : marker(c, n, "[no user stack]");
	u = resolve_stack(c, &sc->ustacks, t, s->ustack_id, FRAME_NATIVE, user_name);
	if (!u)
		return marker(c, n, "[no user stack]");
	for (uint32_t i = 0; !err && i < u->n; i++)
		err = push(c, n, u->ids[i]);
	return err;
}

/* The leaf of an off-CPU kernel stack: the scheduler and the tracepoint's way into our program, the same in every
 * one (the program itself, loaded after kallsyms was read, resolves to the symbol below it: _einittext). */
static int is_switch_internal(const char *name)
{
	return !strcmp(name, "schedule") || !strcmp(name, "__schedule") || !strncmp(name, "bpf_trace_run", 13) ||
	       !strncmp(name, "__bpf_trace_", 12) || !strncmp(name, "bpf_prog_", 9) || !strcmp(name, "_einittext");
}

/* Drops the scheduler's internals from the leaf end of the kernel frames pushed since `from`. */
static void trim_switch_internals(struct collector *c, size_t from, size_t *n)
{
	while (*n > from && is_switch_internal(c->profile->frames[c->buf[*n - 1]].name))
		(*n)--;
}

/* A kernel stack sent inline (the start pass over threads already off CPU): addresses after the Python frames. */
static int add_kernel_inline(struct collector *c, size_t *n, const struct pf_sample *s)
{
	const uint64_t *ips = (const uint64_t *)&s->frames[s->py_nframes];
	char name[512];
	int err = 0;

	for (int i = (int)s->kips_n - 1; !err && i >= 0; i--) {
		kernel_name(c, 0, ips, i, name, sizeof(name));
		err = push(c, n, profile__frame(c->profile, FRAME_KERNEL, name));
	}
	return err;
}

static int add_kernel(struct collector *c, size_t *n, const struct pf_sample *s)
{
	struct frame_ids *k;
	size_t from = *n;
	int err = 0;

	if (s->flags & PF_SAMPLE_KIPS) {
		err = add_kernel_inline(c, n, s);
	} else if (s->kstack_id >= 0) {
		k = resolve_stack(c, &c->kstacks, NULL, s->kstack_id, FRAME_KERNEL,
				  kernel_name); /* kernel: any process */
		for (uint32_t i = 0; k && !err && i < k->n; i++)
			err = push(c, n, k->ids[i]);
	}
	if (!err && (s->flags & (PF_SAMPLE_OFFCPU | PF_SAMPLE_DUMP)))
		trim_switch_internals(c, from, n);
	return err;
}

/* Python functions that wait for work: `get` of queue.Queue (Queue.py on 2.7) and of multiprocessing's queues. */
static int is_idle_python(const char *name, int innermost)
{
	size_t func_len, file_len;
	const char *file, *base;
	long line;

	if (!py_frame_name__split(name, &func_len, &file, &file_len, &line))
		return 0;
	for (base = file + file_len; base > file && base[-1] != '/'; base--)
		;
	/* 3.11+ names methods by qualified name: Queue.get */
	for (size_t i = func_len; i > 0; i--) {
		if (name[i - 1] == '.') {
			name += i;
			func_len -= i;
			break;
		}
	}
	if (func_len == 3 && !strncmp(name, "get", 3) &&
	    ((size_t)(file + file_len - base) == 8 || (size_t)(file + file_len - base) == 9) &&
	    (!strncasecmp(base, "queue.py", 8) || !strncmp(base, "queues.py", 9)))
		return 1;
	/* concurrent.futures' pool worker blocked in its work queue's C get(): its innermost Python frame. */
	return innermost && func_len == 7 && !strncmp(name, "_worker", 7) && file_len >= 28 &&
	       !strncmp(file + file_len - 28, "concurrent/futures/thread.py", 28);
}

int collector__is_idle_wait(const struct profile *p, const uint32_t *frames, size_t n, int event_wait)
{
	int innermost = 1;

	if (event_wait)
		return 1;
	for (size_t i = n; i-- > 0;) {
		const struct profile_frame *f = &p->frames[frames[i]];

		if (f->kind == FRAME_PYTHON) {
			if (is_idle_python(f->name, innermost))
				return 1;
			innermost = 0;
		}
	}
	return 0;
}

/* --gil: on CPU only GIL holders, off CPU only waits for the GIL; a process whose GIL we cannot read drops out. */
static int keep_for_gil(struct collector *c, const struct pf_sample *s)
{
	if (!c->filter.gil_only)
		return 1;
	if (!(s->flags & PF_SAMPLE_GIL_KNOWN)) {
		c->counts.gil_unknown++;
		return 0;
	}
	if (s->flags & (s->flags & PF_SAMPLE_OFFCPU ? PF_SAMPLE_GIL_WAIT : PF_SAMPLE_GIL_HELD))
		return 1;
	c->counts.gil_dropped++;
	return 0;
}

/* Microseconds (off, wall) or one sample (cpu). */
static uint64_t record_weight(const struct collector *c, const struct pf_sample *s)
{
	if (!c->filter.time_weighted)
		return 1;
	if (s->flags & PF_SAMPLE_OFFCPU)
		return (s->weight_ns + 500) / 1000;
	return c->filter.period_us;
}

/* The leaf side of an off-CPU interval: what the thread waited for. */
static int add_offcpu_leaf(struct collector *c, struct target_process *t, size_t *n, const struct pf_sample *s,
			   int python)
{
	int err;

	/* Waiting for the GIL: the futex under it is always the same, the Python stack says where. */
	if (s->flags & PF_SAMPLE_GIL_WAIT)
		return marker(c, n, "[GIL wait]");
	err = add_native(c, t, n, s, python);
	/* Runnable but not running: no kernel stack of a wait, just the time without a CPU. */
	if (!err && (s->flags & PF_SAMPLE_PREEMPTED))
		return marker(c, n, "[waiting for CPU]");
	return err ?: add_kernel(c, n, s);
}

/* The record's part in its thread's invocation of FUNC (--slice): the time it covers, its stack and weight. */
static int slice(struct collector *c, struct target_process *tg, const struct pf_sample *s, uint32_t stack,
		 uint64_t weight)
{
	uint64_t start = s->flags & PF_SAMPLE_OFFCPU ? s->time_ns - s->weight_ns : s->time_ns;
	uint64_t end = s->flags & PF_SAMPLE_OFFCPU ? s->time_ns : s->time_ns + c->filter.period_us * 1000;

	if (!c->slicer)
		return 0;
	return slicer__add(c->slicer, tg, s->tid, stack, start, end, weight, c->has_call ? &c->call : NULL);
}

int collector__add(struct collector *c, struct target_process *tg, const struct pf_sample *s, size_t size)
{
	int python = c->py && (s->flags & PF_SAMPLE_PYTHON);
	int offcpu = !!(s->flags & PF_SAMPLE_OFFCPU);
	struct profile_process *proc;
	struct profile_thread *t;
	uint64_t weight;
	size_t n = 0;
	int err;

	if (record__kind(s, size) != PF_REC_SAMPLE ||
	    size < sizeof(*s) + (size_t)s->py_nframes * sizeof(s->frames[0]) +
		       (s->flags & PF_SAMPLE_KIPS ? (size_t)s->kips_n * sizeof(uint64_t) : 0)) {
		c->counts.bad_records++;
		return 0;
	}
	c->counts.records++;
	c->counts.offcpu_in += offcpu;
	if (!keep_for_gil(c, s))
		return 0;
	weight = record_weight(c, s);
	if (offcpu && s->weight_ns < c->filter.min_block_ns) {
		c->counts.short_records++;
		c->counts.short_us += weight;
		return 0;
	}
	proc = tg && tg->record ? tg->record : profile__process(c->profile, s->tgid);
	t = proc ? profile__thread(c->profile, s->tid, proc->key) : NULL;
	if (!proc || !t)
		return -ENOMEM;
	memcpy(t->comm, s->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	if (python && c->filter.thread_names &&
	    profile_thread__set_name(t, py_symbols__thread_name(tg, s->tid, s->py_thread, s->time_ns)))
		return -ENOMEM;
	/* A process keeps the name it had when it started or exec'd (set from /proc or its event): an exec renames
	 * the task before its event, and samples of that instant must not rename the program before it. */
	if (s->tid == s->tgid && !proc->comm[0])
		memcpy(proc->comm, t->comm, sizeof(proc->comm));
	c->has_call = 0;
	err = python && (s->py_nframes || (s->flags & PF_SAMPLE_PY_ERROR)) ? add_python(c, tg, &n, s) : 0;
	if (python && s->py_nframes)
		c->counts.py_samples++;
	if (offcpu) {
		err = err ?: add_offcpu_leaf(c, tg, &n, s, python);
		if (err)
			return err;
		if (c->filter.no_idle && !(s->flags & (PF_SAMPLE_GIL_WAIT | PF_SAMPLE_PREEMPTED)) &&
		    collector__is_idle_wait(c->profile, c->buf, n, !!(s->flags & PF_SAMPLE_EVENT_WAIT))) {
			c->counts.idle_us += weight;
			/* Not counted, but a wait for work ends the thread's invocation of FUNC as much as any record.
			 */
			return slice(c, tg, s, 0, 0);
		}
		c->counts.offcpu_records++;
		c->counts.offcpu_us += weight;
		c->counts.still_off += !!(s->flags & PF_SAMPLE_STILL_OFF);
		if (s->flags & PF_SAMPLE_GIL_WAIT)
			c->counts.gil_wait_us += weight;
	} else {
		err = err ?: add_native(c, tg, &n, s, python);
		err = err ?: add_kernel(c, &n, s);
	}
	if (err)
		return err;
	/* In time: an interval from its start (its record comes at its end), a timer sample for one period. */
	if (offcpu)
		err = profile__add_timed(c->profile, proc, s->tid, c->buf, (uint32_t)n, weight,
					 s->time_ns - s->weight_ns, s->weight_ns);
	else
		err = profile__add_timed(c->profile, proc, s->tid, c->buf, (uint32_t)n, weight, s->time_ns,
					 c->filter.period_us * 1000);
	return err ?: slice(c, tg, s, c->profile->last_stack, weight);
}
