/* Python support in userspace: finds each target's interpreter and names the code objects its samples point at. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "python_code.h"
#include "python_frame_name.h"
#include "python_process.h"
#include "python_symbols.h"
#include "python_threads.h"

/* A code object as first read at an address; replaced (not changed) when the address turns out re-used. Shared by
 * every index key that points at it: a process's by-address and tag keys, and its forked children's. */
struct code_entry {
	struct py_code *code; /* NULL: unreadable (retried at the next drain) */
	int err;	      /* then why: -ESRCH, the process was gone */
	uint64_t addr;
	uint64_t checked_epoch;	 /* drain in which the fingerprint was last confirmed */
	unsigned refs;		 /* index keys that point at it */
	struct pf_hashmap lines; /* instruction -> profile frame id + 1: a line table decoded once per instruction */
};

/* Where a code object is indexed in its process: tag 0 for what lives at the address now. */
struct code_key {
	uint32_t tag;
	uint32_t pad;
	uint64_t addr;
};

/* One Python process as the symbolizer knows it (struct target_process.py): freed with its index when it exits or
 * exec's. */
struct py_target {
	struct py_process proc;
	struct pf_hashmap codes;    /* struct code_key -> struct code_entry */
	struct py_threads *threads; /* its threads' Python names, made on first use */
};

struct py_symbols {
	struct elf_cache *elves;
	struct py_symbols_options opts;
	uint64_t epoch;
	struct py_symbols_stats stats;
};

struct py_symbols *py_symbols__new(struct elf_cache *elves, const struct py_symbols_options *opts)
{
	struct py_symbols *py = calloc(1, sizeof(*py));

	if (!py)
		return NULL;
	py->elves = elves;
	py->opts = *opts;
	py->epoch = 1;
	return py;
}

static void entry_unref(struct code_entry *e)
{
	if (--e->refs)
		return;
	py_code__free(e->code);
	pf_hashmap__free(&e->lines);
	free(e);
}

void py_target__free(struct py_target *pt)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	if (!pt)
		return;
	while (pf_hashmap__next(&pt->codes, &it, &e))
		entry_unref(e->value);
	pf_hashmap__free(&pt->codes);
	py_threads__free(pt->threads);
	py_process__free(&pt->proc);
	free(pt);
}

void py_symbols__free(struct py_symbols *py)
{
	free(py);
}

/* Makes pt t's interpreter, replacing an earlier one. */
static void attach(struct target_process *t, struct py_target *pt)
{
	py_target__free(t->py);
	t->py = pt;
}

static struct py_target *py_target_new(void)
{
	struct py_target *pt = calloc(1, sizeof(*pt));

	if (pt)
		pf_hashmap__init(&pt->codes);
	return pt;
}

static void bpf_value(const struct py_process *proc, struct pf_py_proc *out)
{
	memset(out, 0, sizeof(*out));
	out->interp_head_addr = proc->interp_head_addr;
	out->none_addr = proc->none_addr;
	out->gil_addr = proc->gil_addr;
	out->layout = proc->off.layout;
}

int py_symbols__discover(struct py_symbols *py, struct target_process *t, struct pf_py_proc *out, char *why,
			 size_t why_size)
{
	struct py_target *pt = py_target_new();
	int err;

	if (!pt)
		return -ENOMEM;
	err = py_process__discover(&pt->proc, t->pid, py->elves, why, why_size);
	if (err) {
		py_target__free(pt);
		return err;
	}
	attach(t, pt);
	bpf_value(&pt->proc, out);
	return 0;
}

static char *strdup_or_null(const char *s, int *err)
{
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy)
		*err = -ENOMEM;
	return copy;
}

int py_symbols__inherit(struct py_symbols *py, struct target_process *child, struct pf_py_proc *out)
{
	const struct py_target *from = child->parent ? child->parent->py : NULL;
	struct py_target *pt;
	int err = 0;

	(void)py;
	if (!from)
		return -ENOENT;
	pt = py_target_new();
	if (!pt)
		return -ENOMEM;
	pt->proc = from->proc;
	pt->proc.pid = child->pid;
	pt->proc.stdlib_dir = strdup_or_null(from->proc.stdlib_dir, &err);
	pt->proc.script_dir = strdup_or_null(from->proc.script_dir, &err);
	pt->proc.script_dir_given = strdup_or_null(from->proc.script_dir_given, &err);
	if (err) {
		py_target__free(pt);
		return err;
	}
	attach(child, pt);
	bpf_value(&pt->proc, out);
	return 0;
}

int py_symbols__expects_libpython(struct py_symbols *py, pid_t pid)
{
	return py_process__links_libpython(pid, py->elves);
}

const char *py_symbols__thread_name(struct target_process *t, uint32_t tid, uint64_t ident, uint64_t now_ns)
{
	struct py_target *pt = t ? t->py : NULL;

	if (!pt || !ident)
		return NULL;
	if (!pt->threads)
		pt->threads = py_threads__new();
	return pt->threads ? py_threads__name(pt->threads, &pt->proc, tid, ident, now_ns) : NULL;
}

const char *py_symbols__version(const struct target_process *t)
{
	return t && t->py ? t->py->proc.version : NULL;
}

int py_symbols__in_interpreter(const struct target_process *t, const struct proc_map *map)
{
	const struct py_process *proc = t && t->py ? &t->py->proc : NULL;

	return proc && map && map->inode == proc->file.inode && map->dev_major == proc->file.dev_major &&
	       map->dev_minor == proc->file.dev_minor;
}

void py_symbols__begin_drain(struct py_symbols *py)
{
	py->epoch++;
}

/* A new entry for the code object at addr of proc, read now (*err: the read's result). */
/* An empty entry for addr, checked in this drain; NULL when out of memory. */
static struct code_entry *entry_alloc(struct py_symbols *py, uint64_t addr)
{
	struct code_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->addr = addr;
	e->checked_epoch = py->epoch;
	pf_hashmap__init(&e->lines);
	return e;
}

static struct code_entry *entry_new(struct py_symbols *py, struct py_process *proc, uint64_t addr, int *err)
{
	struct code_entry *e = entry_alloc(py, addr);

	*err = -ENOMEM;
	if (!e)
		return NULL;
	*err = py_code__read(&e->code, proc, addr);
	e->err = *err;
	if (*err)
		py->stats.read_errors++;
	else
		py->stats.code_objects++;
	return e;
}

/* Points pt's key (tag, addr) at e. */
static int index_set(struct py_target *pt, uint32_t tag, uint64_t addr, struct code_entry *e)
{
	struct code_key key = { tag, 0, addr };
	struct code_entry *old = pf_hashmap__get(&pt->codes, &key, sizeof(key));

	if (old == e)
		return 0;
	if (pf_hashmap__set(&pt->codes, &key, sizeof(key), e))
		return -ENOMEM;
	e->refs++;
	if (old)
		entry_unref(old);
	return 0;
}

/* Indexes e as what lives at addr now, and (when readable) under its tag, for tagged samples that come late.
 * NULL when a key could not be set (out of memory): e stays under the keys that took it, and is freed if none did. */
static struct code_entry *entry_index(struct py_target *pt, uint64_t addr, struct code_entry *e)
{
	int err;

	e->refs++; /* held while indexing: an entry indexed before keeps at least one more reference */
	err = index_set(pt, 0, addr, e);
	if (!err && e->code)
		err = index_set(pt, e->code->tag, addr, e);
	if (e->refs == 1) {
		entry_unref(e); /* no key took it */
		return NULL;
	}
	e->refs--;
	return err ? NULL : e;
}

static struct code_entry *index_get(struct py_target *pt, uint32_t tag, uint64_t addr)
{
	struct code_key key = { tag, 0, addr };

	return pf_hashmap__get(&pt->codes, &key, sizeof(key));
}

/* The Python process t was forked from, while it is known (until it exits or exec's). */
static struct py_target *parent_of(const struct target_process *t)
{
	return t->parent ? t->parent->py : NULL;
}

/*
 * A forked child's code object at addr, from its parent: the entry the parent has for addr when the child's object
 * is still the one it inherited (one read of the child), or, once the child is gone, the parent's object there.
 * NULL when there is none, or with *err -ENOMEM when it could not be kept.
 */
static struct code_entry *inherited_entry(struct py_symbols *py, struct target_process *t, uint64_t addr,
					  int child_gone, int *err)
{
	struct py_target *pt = t->py, *parent = parent_of(t);
	struct code_entry *e;

	*err = 0;
	if (!parent)
		return NULL;
	e = index_get(parent, 0, addr);
	if (!child_gone && (!e || !e->code))
		return NULL; /* the child is alive: read its own */
	if (!child_gone) {
		int same = py_code__still(&pt->proc, addr, e->code);

		if (!same)
			return NULL;
		child_gone = same < 0;
	} else if (!e || !e->code) {
		e = entry_new(py, &parent->proc, addr, err);
		if (!e)
			return NULL; /* -ENOMEM in *err */
		*err = 0;	     /* the parent's object unreadable: none to inherit */
		e = entry_index(parent, addr, e);
		if (!e) {
			*err = -ENOMEM;
			return NULL;
		}
		if (!e->code)
			return NULL;
	}
	if (child_gone)
		py->stats.code_from_parent++;
	e = entry_index(pt, addr, e);
	if (!e)
		*err = -ENOMEM;
	return e;
}

/* An entry that was unreadable is named now (c: read again, or from a copy); indexed under its tag too. */
static int entry_named_late(struct py_symbols *py, struct py_target *pt, struct code_entry *e, struct py_code *c)
{
	e->code = c;
	e->err = 0;
	py->stats.code_objects++;
	py->stats.read_errors--;
	return entry_index(pt, e->addr, e) ? 0 : -ENOMEM; /* indexed already: this adds its tag key */
}

/* Untagged samples: the entry at addr, re-checked once per drain, re-read when the address was re-used; NULL when
 * out of memory. */
static struct code_entry *code_entry(struct py_symbols *py, struct target_process *t, uint64_t addr)
{
	struct py_target *pt = t->py;
	struct py_process *proc = &pt->proc;
	struct code_entry *e = index_get(pt, 0, addr);
	int err;

	if (e && e->checked_epoch == py->epoch)
		return e;
	if (e && !e->code) {
		struct py_code *c;

		/* Unreadable last time: retry once per drain, in place. */
		e->checked_epoch = py->epoch;
		e->err = py_code__read(&c, proc, addr);
		if (!e->err && entry_named_late(py, pt, e, c))
			return NULL; /* named, but its tag key could not be kept: out of memory */
		return e;
	}
	if (e) {
		struct code_entry *fresh;

		/* Unreadable means the process is gone: keep the name we have. */
		if (py_code__still(proc, addr, e->code)) {
			e->checked_epoch = py->epoch;
			return e;
		}
		/* Changed. Another code object there: a reuse. Anything else (freed at exit, scribbled): the samples
		 * were taken while the object we know was alive, so they keep its name. */
		fresh = entry_new(py, proc, addr, &err);
		if (!fresh || !fresh->code) {
			if (fresh) {
				fresh->refs = 1;
				entry_unref(fresh);
			}
			e->checked_epoch = py->epoch;
			return e;
		}
		py->stats.code_reused++;
		proc->code_reused = 1; /* from now on its frames carry tags */
		return entry_index(pt, addr, fresh);
	}
	if ((e = inherited_entry(py, t, addr, 0, &err)) || err)
		return e;
	e = entry_new(py, proc, addr, &err);
	if (e && !e->code && err == -ESRCH && t->parent) {
		struct code_entry *from_parent = inherited_entry(py, t, addr, 1, &err);

		if (from_parent || err) {
			e->refs = 1;
			entry_unref(e);
			return from_parent;
		}
	}
	return e ? entry_index(pt, addr, e) : NULL;
}

/* Tagged samples: the entry for exactly the code object sampled, or NULL (with *gone) when it no longer exists;
 * NULL without *gone when out of memory. */
static struct code_entry *tagged_entry(struct py_symbols *py, struct target_process *t, uint64_t addr, uint32_t tag,
				       int *gone)
{
	struct py_target *pt = t->py, *parent;
	struct py_process *proc = &pt->proc;
	struct code_entry *e = index_get(pt, tag, addr);
	uint32_t now;
	int err;

	*gone = 0;
	if (e)
		return e;
	if (!tag) /* BPF could not read the tag: trust what lives there */
		return code_entry(py, t, addr);
	/* The same tag at the same address in the parent is the same object, inherited. */
	parent = parent_of(t);
	if (parent && (e = index_get(parent, tag, addr)))
		return index_set(pt, tag, addr, e) ? NULL : e; /* NULL, not gone: out of memory */
	err = py_code__tag_now(proc, addr, &now);
	if (err == -ESRCH && parent && !py_code__tag_now(&parent->proc, addr, &now) && now == tag)
		proc = &parent->proc, pt = parent, err = 0; /* the child is gone; its parent still holds the object */
	if (err || now != tag) {
		*gone = 1; /* freed (and maybe reused) before this drain: never name it after another object */
		py->stats.code_gone++;
		return NULL;
	}
	e = entry_new(py, proc, addr, &err);
	e = e ? entry_index(pt, addr, e) : NULL;
	if (e && (!e->code || e->code->tag != tag)) {
		*gone = 1; /* freed between the tag check and the read: the entry is the new object's, not this one */
		py->stats.code_gone++;
		return NULL;
	}
	return e;
}

int py_symbols__code_copy(struct py_symbols *py, struct target_process *t, const struct pf_code_record *r)
{
	struct py_target *pt = t ? t->py : NULL;
	struct mem_segments copy;
	struct code_entry *e, *now;
	struct py_code *c;
	int err;

	if (!pt)
		return -ENOENT;
	err = mem_segments__parse(&copy, r + 1, r->size);
	err = err ?: py_code__read_copy(&c, &pt->proc, &copy, r->key.code);
	if (err) {
		py->stats.copy_errors++;
		return err;
	}
	now = index_get(pt, r->key.tag, r->key.code);
	if (now && now->code && py_code__same(now->code, c)) {
		py_code__free(c);
		return 0;
	}
	if (now && !now->code) {
		/* Read too late before: the copy names it, in place. */
		now->checked_epoch = py->epoch;
		py->stats.code_copied++;
		return entry_named_late(py, pt, now, c);
	}
	e = entry_alloc(py, r->key.code);
	if (!e) {
		py_code__free(c);
		return -ENOMEM;
	}
	e->code = c;
	if (now) {
		/* Another code object than the one known there: the address was re-used. */
		py->stats.code_reused++;
		pt->proc.code_reused = 1;
	}
	py->stats.code_objects++;
	py->stats.code_copied++;
	return entry_index(pt, r->key.code, e) ? 0 : -ENOMEM;
}

int64_t py_symbols__frame(struct py_symbols *py, struct profile *p, struct target_process *t,
			  const struct pf_py_frame *f, int tagged)
{
	struct py_process *proc;
	struct code_entry *e;
	char name[8192];
	const char *file;
	int64_t id, instr;
	void *hit;
	int line, gone = 0;

	if (!t || !t->py)
		return profile__frame(p, FRAME_MARKER, "[unknown Python frame]");
	proc = &t->py->proc;
	if (proc->shim_code && f->code == proc->shim_code)
		return -ENOENT;
	e = tagged ? tagged_entry(py, t, f->code, f->tag, &gone) : code_entry(py, t, f->code);
	if (gone)
		return profile__frame(p, FRAME_MARKER, "[freed code object]");
	if (!e)
		return -ENOMEM;
	if (!e->code)
		return profile__frame(p, FRAME_MARKER,
				      e->err == -ESRCH ? "[exited before naming]" : "[unreadable Python code]");
	/* Cached per instruction, so a line table is decoded once per (code object, instruction), not per sample. */
	instr = py->opts.function ? INT64_MIN : f->instr;
	hit = pf_hashmap__get(&e->lines, &instr, sizeof(instr));
	if (hit)
		return (int64_t)(uintptr_t)hit - 1;
	line = py->opts.function ? e->code->firstlineno : py_code__line(e->code, proc, f->instr);
	file = py->opts.full_filenames ? e->code->file : py_process__short_filename(proc, e->code->file);
	py_frame_name__format(name, sizeof(name), e->code->name, file, line);
	id = profile__frame(p, FRAME_PYTHON, name);
	if (id >= 0 && pf_hashmap__set(&e->lines, &instr, sizeof(instr), (void *)(uintptr_t)(id + 1)))
		return -ENOMEM; /* the caller says so: "cannot record samples" */
	return id;
}

int py_symbols__code_reused(const struct target_process *t)
{
	return t && t->py && t->py->proc.code_reused;
}

void py_symbols__stats(const struct py_symbols *py, struct py_symbols_stats *out)
{
	*out = py->stats;
}
