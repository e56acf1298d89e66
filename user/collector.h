/* Turns streamed sample records into profile stacks: resolves stack ids, names frames, counts. */
#ifndef COLLECTOR_H
#define COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include "hashmap.h"
#include "kallsyms.h"
#include "profile.h"
#include "user_symbols.h"
#include "pyflame.h"

struct py_symbols;

struct collector {
	struct profile *profile;
	const struct kallsyms *ksyms;   /* NULL: kernel frames shown by address */
	struct user_symbols *usyms;
	struct py_symbols *py;          /* NULL: no Python naming */
	int stack_map_fd;
	struct hashmap kstacks;         /* (0, stack id) -> struct frame_ids */
	struct hashmap ustacks;         /* (tgid, stack id) -> struct frame_ids */
	struct hashmap leaves;          /* (tgid, user ip) -> struct frame_ids of one frame (Python processes) */
	uint32_t *buf;                  /* frame ids of the stack being built */
	size_t buf_cap;
	uint64_t records;               /* records handled */
	uint64_t bad_records;           /* records too short for their frame count */
	uint64_t py_samples;            /* samples with at least one Python frame */
};

int collector__init(struct collector *c, struct profile *p, const struct kallsyms *ksyms, struct user_symbols *usyms,
		    int stack_map_fd);
void collector__free(struct collector *c);
/* Drops what was resolved for process tgid (it exited or exec'd: a later process with its PID maps other files). */
void collector__forget(struct collector *c, uint32_t tgid);
/* One record from the ring buffer. */
int collector__add(struct collector *c, const struct pf_sample *s, size_t size);

#endif
