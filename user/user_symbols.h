/* Names user-space addresses of target processes: maps snapshot -> ELF file -> symbol. */
#ifndef USER_SYMBOLS_H
#define USER_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "elf_cache.h"
#include "hashmap.h"
#include "proc_maps.h"

struct user_symbols {
	struct elf_cache *elves;
	struct hashmap procs;   /* pid -> struct proc_symbols */
};

void user_symbols__init(struct user_symbols *u, struct elf_cache *elves);
void user_symbols__free(struct user_symbols *u);
/* Takes (or refreshes) pid's maps now, while it is alive; -ESRCH when it is gone. */
int user_symbols__snapshot(struct user_symbols *u, pid_t pid);
/* A forked child starts with its parent's mappings (read again on a miss while it lives); else a snapshot. */
int user_symbols__inherit(struct user_symbols *u, pid_t child, pid_t parent);
/* Drops pid's maps (it exited or exec'd; its ELF files stay cached by the elf_cache). */
void user_symbols__forget(struct user_symbols *u, pid_t pid);
/* The mapping holding addr, re-reading the maps once if it is not in the snapshot; NULL if none. */
const struct proc_map *user_symbols__map(struct user_symbols *u, pid_t pid, uint64_t addr);
/*
 * Writes the name of the function at addr into buf: the symbol, or [module+0xVADDR], or [unknown].
 * return_addr: addr is a return address (every frame but the leaf), looked up at addr - 1.
 */
void user_symbols__name(struct user_symbols *u, pid_t pid, uint64_t addr, int return_addr, char *buf, size_t size);

#endif
