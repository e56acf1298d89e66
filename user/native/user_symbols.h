/* Names user-space addresses of target processes: maps snapshot -> ELF file -> symbol. */
#ifndef USER_SYMBOLS_H
#define USER_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "elf_cache.h"
#include "proc_maps.h"
#include "target_process.h"

struct user_symbols {
	struct elf_cache *elves;
	/* An address without a symbol: 0 names it by its module alone, so the unsymbolised code of one library is one
	 * frame ([libcrypto.so.3]); 1 (--native-addresses) keeps the per-address [libcrypto.so.3+0x29c298]. */
	int addresses;
};

void user_symbols__init(struct user_symbols *u, struct elf_cache *elves);
/* Takes (or refreshes) t's maps now, while it is alive; -ESRCH when it is gone (the old snapshot is kept). */
int user_symbols__snapshot(struct user_symbols *u, struct target_process *t);
/* A forked child starts with its parent's mappings (read again on a miss while it lives); else a snapshot. */
int user_symbols__inherit(struct user_symbols *u, struct target_process *child, const struct target_process *parent);
/* The mapping holding addr, re-reading the maps once if it is not in the snapshot; NULL if none (or no t). */
const struct proc_map *user_symbols__map(struct user_symbols *u, struct target_process *t, uint64_t addr);
/*
 * Writes the name of the function at addr of t into buf: the symbol, or [module] ([module+0xVADDR] with
 * u->addresses), or [unknown].
 * return_addr: addr is a return address (every frame but the leaf), looked up at addr - 1.
 */
void user_symbols__name(struct user_symbols *u, struct target_process *t, uint64_t addr, int return_addr, char *buf,
			size_t size);
/* A target's snapshot, freed by target_process__forget() (its ELF files stay cached by the elf_cache). */
void native_maps__free(struct native_maps *m);

#endif
