/* Names user-space addresses of target processes: maps snapshot -> ELF file -> symbol. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "user_symbols.h"

/* A target's mappings as last read. */
struct native_maps {
	struct proc_maps maps;
	int err; /* last snapshot's error: the process may be gone */
};

void user_symbols__init(struct user_symbols *u, struct elf_cache *elves)
{
	u->elves = elves;
	u->addresses = 0;
}

void native_maps__free(struct native_maps *m)
{
	if (!m)
		return;
	proc_maps__free(&m->maps);
	free(m);
}

/* t's snapshot, read now if it has none yet. */
static struct native_maps *maps_of(struct target_process *t)
{
	if (t->maps || !t->alive) /* a gone process's maps cannot be read any more */
		return t->maps;
	t->maps = calloc(1, sizeof(*t->maps));
	if (!t->maps)
		return NULL;
	t->maps->err = proc_maps__read(&t->maps->maps, t->pid);
	return t->maps;
}

/* Opens every executable file mapping now: once the process exits its files can no longer be reached. */
static void open_files(struct user_symbols *u, pid_t pid, const struct proc_maps *maps)
{
	for (size_t i = 0; i < maps->n; i++)
		if (maps->maps[i].perms[2] == 'x' && maps->maps[i].path[0] == '/')
			/* A file that cannot be read is remembered with its reason (said under -v) and named by its
			 * module; one not cached (out of memory) is opened again when an address in it is named. */
			(void)elf_cache__get(u->elves, pid, &maps->maps[i]);
}

int user_symbols__snapshot(struct user_symbols *u, struct target_process *t)
{
	struct native_maps *m = t->maps;
	struct proc_maps fresh;
	int err;

	if (!m) {
		m = maps_of(t);
		if (!m)
			return -ENOMEM;
		if (!m->err)
			open_files(u, t->pid, &m->maps);
		return m->err;
	}
	err = proc_maps__read(&fresh, t->pid);
	if (err)
		return err; /* keep the old snapshot: the process may have exited */
	proc_maps__free(&m->maps);
	m->maps = fresh;
	m->err = 0;
	open_files(u, t->pid, &m->maps);
	return 0;
}

int user_symbols__inherit(struct user_symbols *u, struct target_process *child, const struct target_process *parent)
{
	const struct native_maps *from = parent ? parent->maps : NULL;
	struct native_maps *m;
	int err;

	if (!from || from->err)
		return user_symbols__snapshot(u, child);
	native_maps__free(child->maps);
	child->maps = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	err = proc_maps__dup(&m->maps, &from->maps);
	if (err) {
		free(m);
		return err;
	}
	child->maps = m;
	return 0;
}

const struct proc_map *user_symbols__map(struct user_symbols *u, struct target_process *t, uint64_t addr)
{
	struct native_maps *m = t ? maps_of(t) : NULL;
	const struct proc_map *map;

	if (!m)
		return NULL;
	map = proc_maps__find(&m->maps, addr);
	/* A library loaded after the snapshot: take a new one while the process is still alive. */
	if (!map && !user_symbols__snapshot(u, t))
		map = proc_maps__find(&m->maps, addr);
	return map;
}

void user_symbols__name(struct user_symbols *u, struct target_process *t, uint64_t addr, int return_addr, char *buf,
			size_t size)
{
	const struct proc_map *map = user_symbols__map(u, t, addr);
	uint64_t file_off, vaddr;
	struct elf_file *elf;
	const char *sym;

	if (!map) {
		snprintf(buf, size, "[unknown]");
		return;
	}
	if (map->path[0] != '/') {
		snprintf(buf, size, "%s", map->path[0] ? map->path : "[anon]");
		return;
	}
	file_off = addr - map->start + map->offset;
	elf = elf_cache__get(u->elves, t->pid, map);
	if (!elf || elf_file__vaddr(elf, file_off, &vaddr)) {
		if (u->addresses)
			snprintf(buf, size, "[%s+0x%" PRIx64 "]", proc_map__basename(map), file_off);
		else
			snprintf(buf, size, "[%s]", proc_map__basename(map));
		return;
	}
	sym = elf_file__symbolize(elf, return_addr && vaddr ? vaddr - 1 : vaddr);
	if (sym)
		snprintf(buf, size, "%s", sym);
	else if (u->addresses)
		snprintf(buf, size, "[%s+0x%" PRIx64 "]", elf->name, vaddr);
	else
		snprintf(buf, size, "[%s]", elf->name);
}
