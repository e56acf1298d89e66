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

/* A code object as first read at an address; replaced (not changed) when the address turns out re-used. Shared by
 * every index key that points at it: a process's by-address and tag keys, and its forked children's. */
struct code_entry {
	struct py_code *code;   /* NULL: unreadable (retried at the next drain) */
	uint64_t addr;
	uint64_t checked_epoch; /* drain in which the fingerprint was last confirmed */
	unsigned refs;          /* index keys that point at it */
	struct hashmap lines;   /* instruction -> profile frame id + 1: a line table decoded once per instruction */
};

struct code_key {
	uint32_t tgid;
	uint32_t tag;           /* 0 in the by-address index */
	uint64_t addr;
};

/* One Python process as the symbolizer knows it: forgotten (with its keys) when it exits or exec's. */
struct py_proc {
	struct py_process proc;
	uint64_t serial;        /* tells it from a later process with its PID */
	pid_t parent;           /* forked from this Python process (0: none): its code objects are ours until they differ */
	uint64_t parent_serial;
	struct code_key *keys;  /* the index keys it added */
	size_t nkeys, keys_cap;
};

struct py_symbols {
	struct elf_cache *elves;
	struct user_symbols *usyms;
	struct py_symbols_options opts;
	struct hashmap procs;   /* pid -> struct py_proc */
	struct hashmap codes;   /* (tgid, 0, address): what lives there now; (tgid, tag, address): that object */
	uint64_t epoch;
	uint64_t next_serial;
	struct py_symbols_stats stats;
};

struct py_symbols *py_symbols__new(struct elf_cache *elves, struct user_symbols *usyms,
				   const struct py_symbols_options *opts)
{
	struct py_symbols *py = calloc(1, sizeof(*py));

	if (!py)
		return NULL;
	py->elves = elves;
	py->usyms = usyms;
	py->opts = *opts;
	py->epoch = 1;
	py->next_serial = 1;
	hashmap__init(&py->procs);
	hashmap__init(&py->codes);
	return py;
}

static void entry_unref(struct code_entry *e)
{
	if (--e->refs)
		return;
	py_code__free(e->code);
	hashmap__free(&e->lines);
	free(e);
}

static void proc_free(struct py_proc *pp)
{
	py_process__free(&pp->proc);
	free(pp->keys);
	free(pp);
}

void py_symbols__forget(struct py_symbols *py, pid_t pid)
{
	struct py_proc *pp = hashmap__delete(&py->procs, &pid, sizeof(pid));

	if (!pp)
		return;
	for (size_t i = 0; i < pp->nkeys; i++) {
		struct code_entry *e = hashmap__delete(&py->codes, &pp->keys[i], sizeof(pp->keys[i]));

		if (e)
			entry_unref(e);
	}
	proc_free(pp);
}

void py_symbols__free(struct py_symbols *py)
{
	struct hashmap_entry *e;
	size_t it = 0;

	if (!py)
		return;
	while (hashmap__next(&py->codes, &it, &e))
		entry_unref(e->value);
	it = 0;
	while (hashmap__next(&py->procs, &it, &e))
		proc_free(e->value);
	hashmap__free(&py->procs);
	hashmap__free(&py->codes);
	free(py);
}

static struct py_proc *proc_of(struct py_symbols *py, pid_t pid)
{
	return hashmap__get(&py->procs, &pid, sizeof(pid));
}

/* Registers pp as pid's process, replacing (forgetting) an earlier one. */
static int proc_register(struct py_symbols *py, pid_t pid, struct py_proc *pp)
{
	py_symbols__forget(py, pid);
	pp->serial = py->next_serial++;
	if (hashmap__set(&py->procs, &pid, sizeof(pid), pp)) {
		proc_free(pp);
		return -ENOMEM;
	}
	return 0;
}

static void bpf_value(const struct py_process *proc, struct pf_py_proc *out)
{
	memset(out, 0, sizeof(*out));
	out->interp_head_addr = proc->interp_head_addr;
	out->none_addr = proc->none_addr;
	out->gil_addr = proc->gil_addr;
	out->layout = proc->off.layout;
}

int py_symbols__discover(struct py_symbols *py, pid_t pid, struct pf_py_proc *out, char *why, size_t why_size)
{
	struct py_proc *pp = calloc(1, sizeof(*pp));
	int err;

	if (!pp)
		return -ENOMEM;
	err = py_process__discover(&pp->proc, pid, py->elves, why, why_size);
	if (err) {
		free(pp);
		return err;
	}
	err = proc_register(py, pid, pp);
	if (!err)
		bpf_value(&pp->proc, out);
	return err;
}

static char *strdup_or_null(const char *s, int *err)
{
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy)
		*err = -ENOMEM;
	return copy;
}

int py_symbols__inherit(struct py_symbols *py, pid_t child, pid_t parent, struct pf_py_proc *out)
{
	struct py_proc *from = proc_of(py, parent), *pp;
	int err = 0;

	if (!from)
		return -ENOENT;
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return -ENOMEM;
	pp->proc = from->proc;
	pp->proc.pid = child;
	pp->proc.stdlib_dir = strdup_or_null(from->proc.stdlib_dir, &err);
	pp->proc.script_dir = strdup_or_null(from->proc.script_dir, &err);
	pp->proc.script_dir_given = strdup_or_null(from->proc.script_dir_given, &err);
	pp->parent = parent;
	pp->parent_serial = from->serial;
	if (err) {
		proc_free(pp);
		return err;
	}
	err = proc_register(py, child, pp);
	if (!err)
		bpf_value(&pp->proc, out);
	return err;
}

int py_symbols__expects_libpython(struct py_symbols *py, pid_t pid)
{
	return py_process__links_libpython(pid, py->elves);
}

const char *py_symbols__version(struct py_symbols *py, pid_t pid)
{
	struct py_proc *pp = proc_of(py, pid);

	return pp ? pp->proc.version : NULL;
}

int py_symbols__in_interpreter(struct py_symbols *py, uint32_t tgid, const struct proc_map *map)
{
	struct py_proc *pp = proc_of(py, (pid_t)tgid);

	return pp && map && map->inode == pp->proc.inode && map->dev_major == pp->proc.dev_major &&
	       map->dev_minor == pp->proc.dev_minor;
}

void py_symbols__begin_drain(struct py_symbols *py)
{
	py->epoch++;
}

/* A new entry for the code object at addr of proc, read now (*err: the read's result). */
static struct code_entry *entry_new(struct py_symbols *py, struct py_process *proc, uint64_t addr, int *err)
{
	struct code_entry *e = calloc(1, sizeof(*e));

	*err = -ENOMEM;
	if (!e)
		return NULL;
	e->addr = addr;
	e->checked_epoch = py->epoch;
	hashmap__init(&e->lines);
	*err = py_code__read(&e->code, proc, addr);
	if (*err)
		py->stats.read_errors++;
	else
		py->stats.code_objects++;
	return e;
}

/* Points pp's key (tag, addr) at e; the process remembers its keys to drop them when it is forgotten. */
static int index_set(struct py_symbols *py, struct py_proc *pp, uint32_t tag, uint64_t addr, struct code_entry *e)
{
	struct code_key key = { (uint32_t)pp->proc.pid, tag, addr };
	struct code_entry *old = hashmap__get(&py->codes, &key, sizeof(key));

	if (old == e)
		return 0;
	if (!old && array__grow((void **)&pp->keys, &pp->keys_cap, pp->nkeys + 1, sizeof(*pp->keys)))
		return -ENOMEM;
	if (hashmap__set(&py->codes, &key, sizeof(key), e))
		return -ENOMEM;
	e->refs++;
	if (old)
		entry_unref(old);
	else
		pp->keys[pp->nkeys++] = key;
	return 0;
}

/* Indexes e as what lives at addr now, and (when readable) under its tag, for tagged samples that come late.
 * An entry no key took is freed; NULL then. */
static struct code_entry *entry_index(struct py_symbols *py, struct py_proc *pp, uint64_t addr, struct code_entry *e)
{
	e->refs++; /* held while indexing: an entry indexed before keeps at least one more reference */
	index_set(py, pp, 0, addr, e);
	if (e->code)
		index_set(py, pp, e->code->tag, addr, e);
	if (e->refs == 1) {
		entry_unref(e); /* no key took it */
		return NULL;
	}
	e->refs--;
	return e;
}

static struct code_entry *index_get(struct py_symbols *py, pid_t pid, uint32_t tag, uint64_t addr)
{
	struct code_key key = { (uint32_t)pid, tag, addr };

	return hashmap__get(&py->codes, &key, sizeof(key));
}

/* The Python process pp was forked from, if it is still the one known under that PID. */
static struct py_proc *parent_of(struct py_symbols *py, struct py_proc *pp)
{
	struct py_proc *parent = pp->parent ? proc_of(py, pp->parent) : NULL;

	return parent && parent->serial == pp->parent_serial ? parent : NULL;
}

/*
 * A forked child's code object at addr, from its parent: the entry the parent has for addr when the child's object
 * is still the one it inherited (one read of the child), or, once the child is gone, the parent's object there.
 */
static struct code_entry *inherited_entry(struct py_symbols *py, struct py_proc *pp, uint64_t addr, int child_gone)
{
	struct py_proc *parent = parent_of(py, pp);
	struct code_entry *e;
	int err;

	if (!parent)
		return NULL;
	e = index_get(py, parent->proc.pid, 0, addr);
	if (!child_gone && (!e || !e->code))
		return NULL; /* the child is alive: read its own */
	if (!child_gone) {
		int same = py_code__still(&pp->proc, addr, e->code);

		if (!same)
			return NULL;
		child_gone = same < 0;
	} else if (!e || !e->code) {
		e = entry_new(py, &parent->proc, addr, &err);
		if (!e)
			return NULL;
		e = entry_index(py, parent, addr, e);
		if (!e || !e->code)
			return NULL;
	}
	if (child_gone)
		py->stats.code_from_parent++;
	return entry_index(py, pp, addr, e);
}

/* Untagged samples: the entry at addr, re-checked once per drain, re-read when the address was re-used. */
static struct code_entry *code_entry(struct py_symbols *py, struct py_proc *pp, uint64_t addr)
{
	struct py_process *proc = &pp->proc;
	struct code_entry *e = index_get(py, proc->pid, 0, addr);
	int err;

	if (e && e->checked_epoch == py->epoch)
		return e;
	if (e && !e->code) {
		/* Unreadable last time: retry once per drain, in place. */
		e->checked_epoch = py->epoch;
		if (!py_code__read(&e->code, proc, addr)) {
			py->stats.code_objects++;
			py->stats.read_errors--;
			entry_index(py, pp, addr, e); /* indexed already: this adds its tag key */
		}
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
		return entry_index(py, pp, addr, fresh);
	}
	if ((e = inherited_entry(py, pp, addr, 0)))
		return e;
	e = entry_new(py, proc, addr, &err);
	if (e && !e->code && err == -ESRCH && pp->parent) {
		struct code_entry *from_parent = inherited_entry(py, pp, addr, 1);

		if (from_parent) {
			e->refs = 1;
			entry_unref(e);
			return from_parent;
		}
	}
	return e ? entry_index(py, pp, addr, e) : NULL;
}

/* Tagged samples: the entry for exactly the code object sampled, or NULL (with *gone) when it no longer exists. */
static struct code_entry *tagged_entry(struct py_symbols *py, struct py_proc *pp, uint64_t addr, uint32_t tag,
				       int *gone)
{
	struct py_process *proc = &pp->proc;
	struct code_entry *e = index_get(py, proc->pid, tag, addr);
	struct py_proc *parent;
	uint32_t now;
	int err;

	*gone = 0;
	if (e)
		return e;
	if (!tag) /* BPF could not read the tag: trust what lives there */
		return code_entry(py, pp, addr);
	/* The same tag at the same address in the parent is the same object, inherited. */
	parent = parent_of(py, pp);
	if (parent && (e = index_get(py, parent->proc.pid, tag, addr)) && !index_set(py, pp, tag, addr, e))
		return e;
	err = py_code__tag_now(proc, addr, &now);
	if (err == -ESRCH && parent && !py_code__tag_now(&parent->proc, addr, &now) && now == tag)
		proc = &parent->proc, pp = parent, err = 0; /* the child is gone; its parent still holds the object */
	if (err || now != tag) {
		*gone = 1; /* freed (and maybe reused) before this drain: never name it after another object */
		py->stats.code_gone++;
		return NULL;
	}
	e = entry_new(py, proc, addr, &err);
	e = e ? entry_index(py, pp, addr, e) : NULL;
	if (e && (!e->code || e->code->tag != tag)) {
		*gone = 1; /* freed between the tag check and the read: the entry is the new object's, not this one */
		py->stats.code_gone++;
		return NULL;
	}
	return e;
}

int64_t py_symbols__frame(struct py_symbols *py, struct profile *p, uint32_t tgid, const struct pf_py_frame *f,
			  int tagged)
{
	struct py_proc *pp = proc_of(py, (pid_t)tgid);
	struct py_process *proc;
	struct code_entry *e;
	char name[8192];
	const char *file;
	int64_t id, instr;
	void *hit;
	int line, gone = 0;

	if (!pp)
		return profile__frame(p, FRAME_MARKER, "[unknown Python frame]");
	proc = &pp->proc;
	if (proc->shim_code && f->code == proc->shim_code)
		return -ENOENT;
	e = tagged ? tagged_entry(py, pp, f->code, f->tag, &gone) : code_entry(py, pp, f->code);
	if (gone)
		return profile__frame(p, FRAME_MARKER, "[freed code object]");
	if (!e)
		return -ENOMEM;
	if (!e->code)
		return profile__frame(p, FRAME_MARKER, "[unreadable Python code]");
	/* Cached per instruction, so a line table is decoded once per (code object, instruction), not per sample. */
	instr = py->opts.function ? INT64_MIN : f->instr;
	hit = hashmap__get(&e->lines, &instr, sizeof(instr));
	if (hit)
		return (int64_t)(uintptr_t)hit - 1;
	line = py->opts.function ? e->code->firstlineno : py_code__line(e->code, proc, f->instr);
	file = py->opts.full_filenames ? e->code->file : py_process__short_filename(proc, e->code->file);
	py_frame_name__format(name, sizeof(name), e->code->name, file, line);
	id = profile__frame(p, FRAME_PYTHON, name);
	if (id >= 0)
		hashmap__set(&e->lines, &instr, sizeof(instr), (void *)(uintptr_t)(id + 1));
	return id;
}

int py_symbols__code_reused(struct py_symbols *py, pid_t pid)
{
	struct py_proc *pp = proc_of(py, pid);

	return pp && pp->proc.code_reused;
}

void py_symbols__stats(const struct py_symbols *py, struct py_symbols_stats *out)
{
	*out = py->stats;
}
