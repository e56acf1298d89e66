/* One target process: the one object holding what the run knows of it, owned by the tracker's table. */
#ifndef TARGET_PROCESS_H
#define TARGET_PROCESS_H

#include <stdint.h>
#include <sys/types.h>
#include "pyflame.h"

struct native_maps;
struct py_target;
struct stack_cache;
struct slice_threads;
struct profile_process;

/* The search for a target's interpreter (process_tracker.c). */
struct discovery {
	int python;  /* the sampler walks its Python frames */
	int active;  /* its interpreter is still to be found */
	int expects; /* its executable links a libpython: the interpreter is due within milliseconds */
	double from, until, next_try;
	uint64_t exec_ns;	  /* when it exec'd (CLOCK_MONOTONIC ns), for the discovery latency; 0 unknown */
	uint64_t python_since_ns; /* when its Python entry went into the targets map */
};

/*
 * A process, as perf's `struct thread` is one: identity, its BPF entry, and each module's state of it, which
 * target_process__forget() drops at once when the process exits or exec's (a new program maps other files and code).
 * Nothing else keeps per-process state in a table of its own.
 */
struct target_process {
	pid_t pid;
	uint64_t start;	      /* clock ticks since boot: PID + start time are the process */
	int named;	      /* by -p or as the command: reported by PID */
	int alive;	      /* not exited nor out of scope (a gone one keeps only its record) */
	struct pf_target bpf; /* what the targets map holds for it */
	struct discovery discovery;
	struct profile_process *record; /* where its samples count (the profile owns records: they outlive it) */
	struct native_maps *maps;	/* its maps snapshot (user_symbols.c) */
	struct py_target *py;		/* its interpreter and code objects (python_symbols.c); NULL: none known */
	struct stack_cache *stacks;	/* its resolved user stacks and native leaves (collector.c) */
	struct slice_threads *slices;	/* its threads' open invocations of --slice FUNC (slicer.c); NULL: none */
	struct target_process *parent;	/* the target it was forked from (held: its code names ours); NULL: none */
	unsigned refs;			/* the tracker's table, and each child whose parent it is */
};

/* A new target with one reference (the caller's); NULL on -ENOMEM. */
struct target_process *target_process__new(pid_t pid, uint64_t start);
/* Points t at the process it was forked from (taking a reference), or at none. */
void target_process__set_parent(struct target_process *t, struct target_process *parent);
/* Drops the maps, interpreter, code objects and stacks known of t, and ends its open --slice invocations: every
 * sample it took before was counted. */
void target_process__forget(struct target_process *t);
/* Drops a reference; the last one forgets and frees t. */
void target_process__put(struct target_process *t);

#endif
