/* ELF files shared by every process that maps them: opened once per file, failures remembered once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf_cache.h"

struct elf_cache_entry {
	struct elf_file *file; /* NULL: could not be opened (err says why) */
	int owner;	       /* this entry opened file (others may share it through the build id) */
	int err;
};

void elf_cache__init(struct elf_cache *c, int verbose)
{
	pf_hashmap__init(&c->by_inode);
	pf_hashmap__init(&c->by_build_id);
	c->verbose = verbose;
}

void elf_cache__free(struct elf_cache *c)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	while (pf_hashmap__next(&c->by_inode, &it, &e)) {
		struct elf_cache_entry *ce = e->value;

		if (ce->owner)
			elf_file__close(ce->file);
		free(ce);
	}
	pf_hashmap__free(&c->by_inode);
	pf_hashmap__free(&c->by_build_id);
}

/* Opens the file as the process sees it: map_files first (works across mount namespaces), then its root. */
static int open_mapped(struct elf_file **out, pid_t pid, const struct proc_map *map)
{
	char path[4096 + 64];
	int err;

	proc_map__open_path(map, pid, path, sizeof(path));
	err = elf_file__open(out, path, proc_map__basename(map));
	if (!err || map->path[0] != '/')
		return err;
	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, map->path);
	return elf_file__open(out, path, proc_map__basename(map));
}

struct elf_file *elf_cache__get(struct elf_cache *c, pid_t pid, const struct proc_map *map)
{
	char key[64];
	struct elf_cache_entry *ce;
	struct elf_file *shared;

	if (map->path[0] != '/')
		return NULL;
	snprintf(key, sizeof(key), "%x:%x:%llu", map->dev_major, map->dev_minor, (unsigned long long)map->inode);
	ce = pf_hashmap__get(&c->by_inode, key, strlen(key));
	if (ce)
		return ce->file;
	ce = calloc(1, sizeof(*ce));
	if (!ce)
		return NULL;
	ce->err = open_mapped(&ce->file, pid, map);
	if (ce->err) {
		if (c->verbose)
			fprintf(stderr, "pyflame-bpf: cannot read %s of PID %d: %s\n", map->path, (int)pid,
				strerror(-ce->err));
	} else if (ce->file->build_id_len &&
		   (shared = pf_hashmap__get(&c->by_build_id, ce->file->build_id, ce->file->build_id_len))) {
		/* The same build seen through another path (another container, a copy): parse it once. */
		elf_file__close(ce->file);
		ce->file = shared;
	} else {
		ce->owner = 1;
	}
	if (pf_hashmap__set(&c->by_inode, key, strlen(key), ce)) {
		if (ce->owner)
			elf_file__close(ce->file);
		free(ce);
		return NULL;
	}
	/* Shared by build id only once its owner is safely in the cache. */
	if (ce->owner && ce->file->build_id_len &&
	    pf_hashmap__set(&c->by_build_id, ce->file->build_id, ce->file->build_id_len, ce->file) && c->verbose)
		fprintf(stderr, "pyflame-bpf: %s: not shared by build id (out of memory)\n", ce->file->name);
	return ce->file;
}
