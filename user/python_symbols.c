/* Python support in userspace: finds each target's interpreter and names the code objects its samples point at. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python_code.h"
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
	struct hashmap codes;   /* (tgid, code address) -> struct code_entry */
	struct hashmap frames;  /* (code_entry, line) -> profile frame id + 1 */
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

/* The entry naming the code object at addr now: re-checked once per drain, re-read when the address was re-used. */
static struct code_entry *code_entry(struct py_symbols *py, struct py_process *proc, uint64_t addr)
{
	struct {
		uint32_t tgid;
		uint32_t pad;
		uint64_t addr;
	} key = { (uint32_t)proc->pid, 0, addr };
	struct code_entry *e = hashmap__get(&py->codes, &key, sizeof(key));
	uint64_t fp[PY_CODE_FINGERPRINT];

	if (e && e->checked_epoch == py->epoch)
		return e;
	if (e && e->code) {
		/* An unreadable header means the process is gone: keep the name we have. */
		if (py_code__fingerprint(proc, addr, fp) || !memcmp(fp, e->code->fingerprint, sizeof(fp))) {
			e->checked_epoch = py->epoch;
			return e;
		}
		py->stats.code_reused++;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->checked_epoch = py->epoch;
	if (py_code__read(&e->code, proc, addr))
		py->stats.read_errors++;
	else
		py->stats.code_objects++;
	e->next = py->entries;
	py->entries = e;
	hashmap__set(&py->codes, &key, sizeof(key), e);
	return e;
}

int64_t py_symbols__frame(struct py_symbols *py, struct profile *p, uint32_t tgid, uint64_t code, int32_t instr)
{
	pid_t pid = (pid_t)tgid;
	struct py_process *proc = hashmap__get(&py->procs, &pid, sizeof(pid));
	struct code_entry *e;
	struct {
		struct code_entry *entry;
		int64_t line;
	} key;
	char name[8192];
	int64_t id;
	void *hit;
	int line;

	if (!proc)
		return profile__frame(p, FRAME_MARKER, "[unknown Python frame]");
	e = code_entry(py, proc, code);
	if (!e)
		return -ENOMEM;
	if (!e->code)
		return profile__frame(p, FRAME_MARKER, "[unreadable Python code]");
	line = py->opts.function ? e->code->firstlineno : py_code__line(e->code, proc, instr);
	memset(&key, 0, sizeof(key));
	key.entry = e;
	key.line = line;
	hit = hashmap__get(&py->frames, &key, sizeof(key));
	if (hit)
		return (int64_t)(uintptr_t)hit - 1;
	if (line >= 0)
		snprintf(name, sizeof(name), "%s (%s:%d)", e->code->name,
			 py->opts.full_filenames ? e->code->file : py_process__short_filename(proc, e->code->file), line);
	else
		snprintf(name, sizeof(name), "%s (%s)", e->code->name,
			 py->opts.full_filenames ? e->code->file : py_process__short_filename(proc, e->code->file));
	id = profile__frame(p, FRAME_PYTHON, name);
	if (id >= 0)
		hashmap__set(&py->frames, &key, sizeof(key), (void *)(uintptr_t)(id + 1));
	return id;
}

void py_symbols__stats(const struct py_symbols *py, struct py_symbols_stats *out)
{
	*out = py->stats;
}
