/* A profile built by hand for the writer tests: one per test, frames interned, stacks added, processes named. */
#ifndef PROFILE_FIXTURE_H
#define PROFILE_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include "profile.h"

static struct profile prof;

static inline void profile_fixture__setup(void)
{
	profile__init(&prof);
}

static inline void profile_fixture__teardown(void)
{
	profile__free(&prof);
}

static inline uint32_t frame(enum frame_kind kind, const char *name)
{
	int64_t id = profile__frame(&prof, kind, name);

	cr_assert_geq(id, 0);
	return (uint32_t)id;
}

/* A stack seen in thread tid of process tgid. */
static inline void add_in(uint32_t tgid, uint32_t tid, const uint32_t *frames, uint32_t n, uint64_t count)
{
	cr_assert_eq(profile__add(&prof, profile__process(&prof, tgid), tid, frames, n, count), 0);
}

/* A stack of thread 1 of process 1. */
static inline void add(const uint32_t *frames, uint32_t n, uint64_t count)
{
	add_in(1, 1, frames, n, count);
}

static inline void name_process(uint32_t tgid, const char *comm)
{
	struct profile_process *p = profile__process(&prof, tgid);

	cr_assert_not_null(p);
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
}

static inline void name_thread(uint32_t tid, uint32_t tgid, const char *comm)
{
	struct profile_thread *t = profile__thread(&prof, tid, tgid);

	cr_assert_not_null(t);
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

#endif
