/* The in-memory profile every writer reads: interned frames, stacks with counts, processes and threads. */
#ifndef PROFILE_H
#define PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include "hashmap.h"

enum frame_kind {
	FRAME_PYTHON,
	FRAME_NATIVE,
	FRAME_KERNEL,
	FRAME_MARKER, /* synthetic: [truncated], [unknown], ... */
	FRAME_ROOT,   /* a process or thread root read back from a saved profile */
};

/* What a profile's counts measure. */
enum profile_measure {
	MEASURE_CPU,	 /* on-CPU samples */
	MEASURE_WALL,	 /* microseconds on and off CPU */
	MEASURE_OFF_CPU, /* microseconds off CPU */
};

struct profile_frame {
	char *name;
	enum frame_kind kind;
};

struct profile_stack {
	uint32_t tgid; /* the process's key: its PID, or a key of its own for a later process with that PID */
	uint32_t tid;
	uint32_t id; /* its index in profile.stacks */
	uint64_t count;
	uint64_t mark; /* count at the last profile__mark(): a window's samples are count - mark */
	uint32_t nframes;
	uint32_t frames[]; /* frame ids, root first */
};

/* One process, or one program a process ran: a later process with the same PID, or the program a process exec'd,
 * gets a record (and a key) of its own, so that each keeps its own name and stacks. */
struct profile_process {
	uint32_t tgid;	/* its PID */
	uint32_t key;	/* its stacks' key: the PID for the first record of a PID */
	uint64_t start; /* its start time (clock ticks since boot), 0 unknown */
	uint64_t samples;
	char comm[16];
	char *python;	     /* "3.12" when Python frames are read, else NULL */
	double exited_after; /* seconds into the recording it exited, < 0 if it did not */
};

struct profile_thread {
	uint32_t tid;
	uint32_t tgid; /* its process's key */
	char comm[16];
	char *name; /* the name Python gave it (threading), NULL: none */
};

/* The name a thread is shown by: Python's, else its comm ("?" when neither is known). */
const char *profile_thread__label(const struct profile_thread *t);
/* Sets the Python name (NULL keeps the one it had); 0 or -ENOMEM. */
int profile_thread__set_name(struct profile_thread *t, const char *name);

/* One sample or off-CPU interval in time, kept when the profile keeps a timeline (speedscope's evented profiles). */
struct profile_event {
	uint64_t start_ns; /* CLOCK_MONOTONIC */
	uint64_t duration_ns;
	uint32_t stack; /* its stack's id */
	uint32_t pad;
};

/* Keys of later records of a PID: above any PID (PID_MAX_LIMIT is 2^22). */
#define PROFILE_FIRST_KEY (1u << 31)

/* profile.c's own: what interns frames and stacks (writers read the arrays, never these). */
struct profile_intern {
	struct pf_hashmap frames; /* (kind, name) -> frame id + 1 */
	struct pf_hashmap stacks; /* (process key, tid, frame ids) -> struct profile_stack */
	size_t frames_cap, stacks_cap;
};

/* Each sample's time in order (speedscope's evented profiles), kept only when asked before the first sample. */
struct profile_timeline {
	int keep;
	struct profile_event *events; /* since the last profile__mark(), in the order they were added */
	size_t n, cap;
};

struct profile {
	struct profile_frame *frames;
	size_t nframes;
	struct profile_stack **stacks;
	size_t nstacks;
	struct profile_intern intern;
	struct pf_hashmap processes; /* key -> struct profile_process */
	struct pf_hashmap threads;   /* (process key, tid) -> struct profile_thread */
	uint32_t next_key;
	uint64_t total;
	uint64_t total_mark; /* total at the last profile__mark() */
	enum profile_measure measure;
	uint64_t time_ns;     /* when the samples written next began, ns since the epoch; 0 unknown */
	uint64_t duration_ns; /* over how long they were taken; 0 unknown */
	struct profile_timeline timeline;
	uint32_t last_stack; /* id of the stack the last profile__add counted into */
};

void profile__init(struct profile *p);
void profile__free(struct profile *p);
/* Interns a frame; returns its id (≥ 0) or -ENOMEM. */
int64_t profile__frame(struct profile *p, enum frame_kind kind, const char *name);
/* Adds count samples of the stack (frame ids, root first) seen in thread tid of record proc; 0, -ENOMEM, or
 * -EOVERFLOW when the profile's total would pass UINT64_MAX. */
int profile__add(struct profile *p, struct profile_process *proc, uint32_t tid, const uint32_t *frames,
		 uint32_t nframes, uint64_t count);
/* The same, for a sample or interval taken at start_ns for duration_ns: an event too when the profile keeps a
 * timeline. */
int profile__add_timed(struct profile *p, struct profile_process *proc, uint32_t tid, const uint32_t *frames,
		       uint32_t nframes, uint64_t count, uint64_t start_ns, uint64_t duration_ns);
/* The first record of PID tgid (its key is the PID), created on first use. */
struct profile_process *profile__process(struct profile *p, uint32_t tgid);
/* Thread tid of the record whose key is given, created on first use. */
struct profile_thread *profile__thread(struct profile *p, uint32_t tid, uint32_t key);
/*
 * PID tgid is now another process (the PID was reused) or runs another program (exec): the record its later samples
 * go to, after old (its record until now; NULL: none, the PID's first record). Old keeps its stacks and name; one
 * without samples is reused instead.
 */
struct profile_process *profile__new_process(struct profile *p, struct profile_process *old, uint32_t tgid);
/* Records by the key their stacks carry (profile_stack.tgid), for writers. */
const struct profile_process *profile__process_by_key(const struct profile *p, uint32_t key);
const struct profile_thread *profile__find_thread(const struct profile *p, uint32_t key, uint32_t tid);
/*
 * Adds count to stack s of profile src (its frames from the first-th on) in dst, with its process and thread records
 * (names, PID, Python version) carried over under the same keys. 0 or -ENOMEM.
 */
int profile__copy_stack(struct profile *dst, const struct profile *src, const struct profile_stack *s, uint32_t first,
			uint64_t count);
/* Closes a window: the counts so far become the base the next window's counts are taken from. */
void profile__mark(struct profile *p);

#endif
