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
	FRAME_MARKER,   /* synthetic: [truncated], [unknown], ... */
	FRAME_ROOT,     /* a process or thread root read back from a saved profile */
};

/* What a profile's counts measure. */
enum profile_measure {
	MEASURE_CPU,            /* on-CPU samples */
	MEASURE_WALL,           /* microseconds on and off CPU */
	MEASURE_OFF_CPU,        /* microseconds off CPU */
};

struct profile_frame {
	char *name;
	enum frame_kind kind;
};

struct profile_stack {
	uint32_t tgid;
	uint32_t tid;
	uint64_t count;
	uint64_t mark;          /* count at the last profile__mark(): a window's samples are count - mark */
	uint32_t nframes;
	uint32_t frames[];      /* frame ids, root first */
};

struct profile_process {
	uint32_t tgid;
	char comm[16];
	char *python;           /* "3.12" when Python frames are read, else NULL */
	double exited_after;    /* seconds into the recording it exited, < 0 if it did not */
};

struct profile_thread {
	uint32_t tid;
	uint32_t tgid;
	char comm[16];
};

struct profile {
	struct profile_frame *frames;
	size_t nframes, frames_cap;
	struct hashmap frame_index;
	struct profile_stack **stacks;
	size_t nstacks, stacks_cap;
	struct hashmap stack_index;
	struct hashmap processes;       /* tgid -> struct profile_process */
	struct hashmap threads;         /* tid -> struct profile_thread */
	uint64_t total;
	uint64_t total_mark;    /* total at the last profile__mark() */
	enum profile_measure measure;
};

void profile__init(struct profile *p);
void profile__free(struct profile *p);
/* Interns a frame; returns its id (≥ 0) or -ENOMEM. */
int64_t profile__frame(struct profile *p, enum frame_kind kind, const char *name);
/* Adds count samples of the stack (frame ids, root first) seen in thread tid of process tgid; 0, -ENOMEM, or
 * -EOVERFLOW when the profile's total would pass UINT64_MAX. */
int profile__add(struct profile *p, uint32_t tgid, uint32_t tid, const uint32_t *frames, uint32_t nframes,
		 uint64_t count);
/* Process and thread records, created on first use. */
struct profile_process *profile__process(struct profile *p, uint32_t tgid);
struct profile_thread *profile__thread(struct profile *p, uint32_t tid, uint32_t tgid);
const struct profile_process *profile__find_process(const struct profile *p, uint32_t tgid);
const struct profile_thread *profile__find_thread(const struct profile *p, uint32_t tid);
/* Closes a window: the counts so far become the base the next window's counts are taken from. */
void profile__mark(struct profile *p);

#endif
