/* Turns streamed sample records into profile stacks: resolves stack ids, names frames, counts. */
#ifndef COLLECTOR_H
#define COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include "hashmap.h"
#include "kallsyms.h"
#include "profile.h"
#include "slicer.h"
#include "user_symbols.h"
#include "pyflame.h"
#include "target_process.h"

struct py_symbols;

/* Where stack ids are turned into addresses: the sampler's stack map, or a test's fake. */
struct stack_source {
	/* Fills ips (PF_MAX_STACK_ADDRS entries, leaf first, zero after the last) for stack id; 0 or -errno. */
	int (*read)(void *ctx, int32_t id, uint64_t *ips);
	void *ctx;
};

/* What a record counts for and which ones are kept (--mode, --gil, --no-idle, --min-block). */
struct collector_filter {
	int time_weighted;     /* counts are microseconds (off and wall modes), not samples */
	uint64_t period_us;    /* the time one timer sample stands for (the weight of one in wall mode) */
	int gil_only;	       /* --gil */
	int no_idle;	       /* --no-idle */
	uint64_t min_block_ns; /* --min-block */
	int thread_names;      /* the output shows threads: read the names Python gave them */
};

/* What became of the records handed in, for the summary. */
struct collector_counts {
	uint64_t records;		  /* records handled */
	uint64_t bad_records;		  /* records too short for their frame count */
	uint64_t py_samples;		  /* samples with at least one Python frame */
	uint64_t short_records, short_us; /* off-CPU intervals --min-block dropped, and their time */
	uint64_t offcpu_in;		  /* off-CPU intervals handed in (records counts them too) */
	uint64_t offcpu_records;	  /* off-CPU intervals counted */
	uint64_t offcpu_us;		  /* their time */
	uint64_t still_off;		  /* of them, closed at the end (the thread had not run again) */
	uint64_t gil_wait_us;		  /* of their time, waiting for the GIL */
	uint64_t gil_unknown;		  /* records --gil dropped: the process's GIL state is unknown (2.7, 3.6) */
	uint64_t gil_dropped;		  /* records --gil dropped: not holding the GIL, or blocked on something else */
	uint64_t idle_us;		  /* off-CPU time --no-idle dropped */
};

struct collector {
	struct profile *profile;
	const struct kallsyms *ksyms; /* NULL: kernel frames shown by address */
	struct user_symbols *usyms;
	struct py_symbols *py; /* NULL: no Python naming */
	int stack_map_fd;
	struct stack_source stacks; /* reads stack_map_fd unless replaced */
	struct pf_hashmap kstacks;  /* stack id -> struct frame_ids (user stacks are each target's) */
	uint32_t *buf;		    /* frame ids of the stack being built */
	size_t buf_cap;
	struct collector_filter filter;
	struct collector_counts counts;
	struct slicer *slicer;	/* --slice: every record's call of FUNC goes to it; NULL: off */
	struct slice_call call; /* of the record being added: its outermost FUNC frame */
	int has_call;
};

void collector__init(struct collector *c, struct profile *p, const struct kallsyms *ksyms, struct user_symbols *usyms,
		     int stack_map_fd);
void collector__free(struct collector *c);
/* Whether an off-CPU interval with these frames (root first) is a wait for work: an event loop's wait (event_wait:
 * the kernel saw epoll, or select/poll on descriptors), an empty queue, an idle pool worker. The rule --no-idle
 * applies; Python frame names as the profile has them. */
int collector__is_idle_wait(const struct profile *p, const uint32_t *frames, size_t n, int event_wait);
/* One sample record from the ring buffer, of target tp (NULL: a process the run does not know). */
int collector__add(struct collector *c, struct target_process *tp, const struct pf_sample *s, size_t size);
/* A target's resolved stacks, freed by target_process__forget(). */
void stack_cache__free(struct stack_cache *sc);

#endif
