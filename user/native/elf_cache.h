/* ELF files shared by every process that maps them: opened once per file, failures remembered once. */
#ifndef ELF_CACHE_H
#define ELF_CACHE_H

#include <sys/types.h>
#include "elf_file.h"
#include "hashmap.h"
#include "proc_maps.h"

struct elf_cache {
	struct pf_hashmap by_inode;    /* "dev:inode" -> struct elf_cache_entry */
	struct pf_hashmap by_build_id; /* build id -> struct elf_file (owned by its inode entry) */
	int verbose;
};

void elf_cache__init(struct elf_cache *c, int verbose);
void elf_cache__free(struct elf_cache *c);
/* The ELF file behind a file mapping of pid, opened through /proc/PID/map_files or /proc/PID/root; NULL if it cannot be
 * read. */
struct elf_file *elf_cache__get(struct elf_cache *c, pid_t pid, const struct proc_map *map);

#endif
