/* Python support in userspace: finds each target's interpreter and names the code objects its samples point at. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python_code.h"
#include "python_frame_name.h"
#include "python_process.h"
#include "python_symbols.h"

/* A code object as first read at an address; replaced (not freed) when the address turns out re-used. */
struct code_entry {
	struct py_code *code;   /* NULL: unreadable (retried at the next drain) */
	uint64_t checked_epoch; /* drain in which the fingerprint was last confirmed */
	struct code_entry *next;
};

struct py_symbols {
	struct elf_cache *elves;
	struct user_symbols *usyms;
	struct py_symbols_options opts;
	struct hashmap procs;   /* pid -> struct py_process */
	struct hashmap codes;   /* (tgid, 0, address): what lives there now; (tgid, tag, address): that object */
	struct hashmap frames;  /* (code_entry, instruction) -> profile frame id + 1 */
	struct code_entry *entries;
	uint64_t epoch;
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
	hashmap__init(&py->procs);
	hashmap__init(&py->codes);
	hashmap__init(&py->frames);
	return py;
}

void py_symbols__free(struct py_symbols *py)
{
	struct hashmap_entry *e;
	size_t it = 0;

	if (!py)
		return;
	while (hashmap__next(&py->procs, &it, &e)) {
		py_process__free(e->value);
		free(e->value);
	}
	while (py->entries) {
		struct code_entry *next = py->entries->next;

		py_code__free(py->entries->code);
		free(py->entries);
		py->entries = next;
	}
	hashmap__free(&py->procs);
	hashmap__free(&py->codes);
	hashmap__free(&py->frames);
	free(py);
}

int py_symbols__discover(struct py_symbols *py, pid_t pid, struct pf_py_proc *out, char *why, size_t why_size)
{
	struct py_process *proc = calloc(1, sizeof(*proc)), *old;
	int err;

	if (!proc)
		return -ENOMEM;
	err = py_process__discover(proc, pid, py->elves, why, why_size);
	if (err) {
		free(proc);
		return err;
	}
	old = hashmap__get(&py->procs, &pid, sizeof(pid));
	if (hashmap__set(&py->procs, &pid, sizeof(pid), proc)) {
		py_process__free(proc);
		free(proc);
		return -ENOMEM;
	}
	if (old) {
		py_process__free(old);
		free(old);
	}
	memset(out, 0, sizeof(*out));
	out->interp_head_addr = proc->interp_head_addr;
	out->none_addr = proc->none_addr;
	out->gil_addr = proc->gil_addr;
	out->layout = proc->off.layout;
	return 0;
}

const char *py_symbols__version(struct py_symbols *py, pid_t pid)
{
	struct py_process *proc = hashmap__get(&py->procs, &pid, sizeof(pid));

	return proc ? proc->version : NULL;
}

int py_symbols__in_interpreter(struct py_symbols *py, uint32_t tgid, const struct proc_map *map)
{
	pid_t pid = (pid_t)tgid;
	struct py_process *proc = hashmap__get(&py->procs, &pid, sizeof(pid));

	return proc && map && map->inode == proc->inode && map->dev_major == proc->dev_major &&
	       map->dev_minor == proc->dev_minor;
}

void py_symbols__begin_drain(struct py_symbols *py)
{
	py->epoch++;
}

struct code_key {
	uint32_t tgid;
	uint32_t tag;           /* 0 in the by-address index */
	uint64_t addr;
};

static struct code_entry *entry_new(struct py_symbols *py, struct py_process *proc, uint64_t addr)
{
	struct code_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->checked_epoch = py->epoch;
	if (py_code__read(&e->code, proc, addr))
		py->stats.read_errors++;
	else
		py->stats.code_objects++;
	e->next = py->entries;
	py->entries = e;
	return e;
}

/* Indexes e as what lives at addr now, and (when readable) under its tag, for tagged samples that come late. */
static void entry_index(struct py_symbols *py, struct py_process *proc, uint64_t addr, struct code_entry *e)
{
	struct code_key key = { (uint32_t)proc->pid, 0, addr };

	hashmap__set(&py->codes, &key, sizeof(key), e);
	if (e->code) {
		key.tag = e->code->tag;
		hashmap__set(&py->codes, &key, sizeof(key), e);
	}
}

/* Untagged samples: the entry at addr, re-checked once per drain, re-read when the address was re-used. */
static struct code_entry *code_entry(struct py_symbols *py, struct py_process *proc, uint64_t addr)
{
	struct code_key key = { (uint32_t)proc->pid, 0, addr };
	struct code_entry *e = hashmap__get(&py->codes, &key, sizeof(key));

	if (e && e->checked_epoch == py->epoch)
		return e;
	if (e && !e->code) {
		/* Unreadable last time: retry once per drain, in place. */
		e->checked_epoch = py->epoch;
		if (!py_code__read(&e->code, proc, addr)) {
			py->stats.code_objects++;
			py->stats.read_errors--;
			entry_index(py, proc, addr, e);
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
		fresh = entry_new(py, proc, addr);
		if (!fresh || !fresh->code) {
			e->checked_epoch = py->epoch;
			return e;
		}
		py->stats.code_reused++;
		proc->code_reused = 1; /* from now on its frames carry tags */
		entry_index(py, proc, addr, fresh);
		return fresh;
	}
	e = entry_new(py, proc, addr);
	if (e)
		entry_index(py, proc, addr, e);
	return e;
}

/* Tagged samples: the entry for exactly the code object sampled, or NULL (with *gone) when it no longer exists. */
static struct code_entry *tagged_entry(struct py_symbols *py, struct py_process *proc, uint64_t addr, uint32_t tag,
				       int *gone)
{
	struct code_key key = { (uint32_t)proc->pid, tag, addr };
	struct code_entry *e = hashmap__get(&py->codes, &key, sizeof(key));
	uint32_t now;

	*gone = 0;
	if (e)
		return e;
	if (!tag) /* BPF could not read the tag: trust what lives there */
		return code_entry(py, proc, addr);
	if (py_code__tag_now(proc, addr, &now) || now != tag) {
		*gone = 1; /* freed (and maybe reused) before this drain: never name it after another object */
		py->stats.code_gone++;
		return NULL;
	}
	e = entry_new(py, proc, addr);
	if (e)
		entry_index(py, proc, addr, e);
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
	pid_t pid = (pid_t)tgid;
	struct py_process *proc = hashmap__get(&py->procs, &pid, sizeof(pid));
	struct code_entry *e;
	struct {
		struct code_entry *entry;
		int64_t instr;
	} key;
	char name[8192];
	const char *file;
	int64_t id;
	void *hit;
	int line, gone = 0;

	if (!proc)
		return profile__frame(p, FRAME_MARKER, "[unknown Python frame]");
	if (proc->shim_code && f->code == proc->shim_code)
		return -ENOENT;
	e = tagged ? tagged_entry(py, proc, f->code, f->tag, &gone) : code_entry(py, proc, f->code);
	if (gone)
		return profile__frame(p, FRAME_MARKER, "[freed code object]");
	if (!e)
		return -ENOMEM;
	if (!e->code)
		return profile__frame(p, FRAME_MARKER, "[unreadable Python code]");
	/* Cached per instruction, so a line table is decoded once per (code object, instruction), not per sample. */
	memset(&key, 0, sizeof(key));
	key.entry = e;
	key.instr = py->opts.function ? INT64_MIN : f->instr;
	hit = hashmap__get(&py->frames, &key, sizeof(key));
	if (hit)
		return (int64_t)(uintptr_t)hit - 1;
	line = py->opts.function ? e->code->firstlineno : py_code__line(e->code, proc, f->instr);
	file = py->opts.full_filenames ? e->code->file : py_process__short_filename(proc, e->code->file);
	py_frame_name__format(name, sizeof(name), e->code->name, file, line);
	id = profile__frame(p, FRAME_PYTHON, name);
	if (id >= 0)
		hashmap__set(&py->frames, &key, sizeof(key), (void *)(uintptr_t)(id + 1));
	return id;
}

int py_symbols__code_reused(struct py_symbols *py, pid_t pid)
{
	struct py_process *proc = hashmap__get(&py->procs, &pid, sizeof(pid));

	return proc && proc->code_reused;
}

void py_symbols__stats(const struct py_symbols *py, struct py_symbols_stats *out)
{
	*out = py->stats;
}
