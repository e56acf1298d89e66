/* Names user-space addresses of target processes: maps snapshot -> ELF file -> symbol. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "user_symbols.h"

struct proc_symbols {
	struct proc_maps maps;
	int err;                /* last snapshot's error: the process may be gone */
};

void user_symbols__init(struct user_symbols *u, struct elf_cache *elves)
{
	u->elves = elves;
	hashmap__init(&u->procs);
}

static void proc_symbols__free(struct proc_symbols *ps)
{
	proc_maps__free(&ps->maps);
	free(ps);
}

void user_symbols__free(struct user_symbols *u)
{
	struct hashmap_entry *e;
	size_t it = 0;

	while (hashmap__next(&u->procs, &it, &e))
		if (e->value)
			proc_symbols__free(e->value);
	hashmap__free(&u->procs);
}

static struct proc_symbols *proc_get(struct user_symbols *u, pid_t pid)
{
	struct proc_symbols *ps = hashmap__get(&u->procs, &pid, sizeof(pid));

	if (ps)
		return ps;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return NULL;
	if (hashmap__set(&u->procs, &pid, sizeof(pid), ps)) {
		free(ps);
		return NULL;
	}
	ps->err = proc_maps__read(&ps->maps, pid);
	return ps;
}

/* Opens every executable file mapping now: once the process exits its files can no longer be reached. */
static void open_files(struct user_symbols *u, pid_t pid, const struct proc_maps *maps)
{
	for (size_t i = 0; i < maps->n; i++)
		if (maps->maps[i].perms[2] == 'x' && maps->maps[i].path[0] == '/')
			elf_cache__get(u->elves, pid, &maps->maps[i]);
}

int user_symbols__snapshot(struct user_symbols *u, pid_t pid)
{
	struct proc_symbols *ps = hashmap__get(&u->procs, &pid, sizeof(pid));
	struct proc_maps fresh;
	int err;

	if (!ps) {
		ps = proc_get(u, pid);
		if (!ps)
			return -ENOMEM;
		if (!ps->err)
			open_files(u, pid, &ps->maps);
		return ps->err;
	}
	err = proc_maps__read(&fresh, pid);
	if (err)
		return err; /* keep the old snapshot: the process may have exited */
	proc_maps__free(&ps->maps);
	ps->maps = fresh;
	ps->err = 0;
	open_files(u, pid, &ps->maps);
	return 0;
}

int user_symbols__inherit(struct user_symbols *u, pid_t child, pid_t parent)
{
	struct proc_symbols *from = hashmap__get(&u->procs, &parent, sizeof(parent)), *ps;
	int err;

	if (!from || from->err)
		return user_symbols__snapshot(u, child);
	user_symbols__forget(u, child);
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	err = proc_maps__dup(&ps->maps, &from->maps);
	if (!err && hashmap__set(&u->procs, &child, sizeof(child), ps)) {
		proc_maps__free(&ps->maps);
		err = -ENOMEM;
	}
	if (err)
		free(ps);
	return err;
}

void user_symbols__forget(struct user_symbols *u, pid_t pid)
{
	struct proc_symbols *ps = hashmap__delete(&u->procs, &pid, sizeof(pid));

	if (ps)
		proc_symbols__free(ps);
}

const struct proc_map *user_symbols__map(struct user_symbols *u, pid_t pid, uint64_t addr)
{
	struct proc_symbols *ps = proc_get(u, pid);
	const struct proc_map *map;

	if (!ps)
		return NULL;
	map = proc_maps__find(&ps->maps, addr);
	/* A library loaded after the snapshot: take a new one while the process is still alive. */
	if (!map && !user_symbols__snapshot(u, pid))
		map = proc_maps__find(&ps->maps, addr);
	return map;
}

void user_symbols__name(struct user_symbols *u, pid_t pid, uint64_t addr, int return_addr, char *buf, size_t size)
{
	const struct proc_map *map = user_symbols__map(u, pid, addr);
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
	elf = elf_cache__get(u->elves, pid, map);
	if (!elf || elf_file__vaddr(elf, file_off, &vaddr)) {
		snprintf(buf, size, "[%s+0x%" PRIx64 "]", proc_map__basename(map), file_off);
		return;
	}
	sym = elf_file__symbolize(elf, return_addr && vaddr ? vaddr - 1 : vaddr);
	if (sym)
		snprintf(buf, size, "%s", sym);
	else
		snprintf(buf, size, "[%s+0x%" PRIx64 "]", elf->name, vaddr);
}
