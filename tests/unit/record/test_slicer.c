/* Tests for slicer: invocations from records in time order, latency buckets, the slow ones' profile. */
#include <criterion/criterion.h>
#include <string.h>

#include "profile.h"
#include "slicer.h"
#include "target_process.h"

#define MS 1000000ull

static struct profile p;
static struct slicer s;
static struct target_process *target; /* PID 100, whose thread 101 serves the requests */
static uint32_t fast_stack, slow_stack;

/* Frames root first: handler, then what it runs. */
static uint32_t stack_of(const char *leaf)
{
	uint32_t ids[3];
	struct profile_process *proc = profile__process(&p, 100);

	ids[0] = (uint32_t)profile__frame(&p, FRAME_PYTHON, "serve (srv.py:1)");
	ids[1] = (uint32_t)profile__frame(&p, FRAME_PYTHON, "Handler.do_GET (srv.py:5)");
	ids[2] = (uint32_t)profile__frame(&p, FRAME_PYTHON, leaf);
	cr_assert_eq(profile__add(&p, proc, 101, ids, 3, 0), 0);
	return p.last_stack;
}

static void setup(void)
{
	struct slicer_options o = { .func = "do_GET", .percentile = 50, .period_ns = MS };

	profile__init(&p);
	fast_stack = stack_of("fast (srv.py:9)");
	slow_stack = stack_of("slow (srv.py:12)");
	slicer__init(&s, &o, &p);
	target = target_process__new(100, 0);
	cr_assert(target);
	cr_assert(slicer__is_func(&s, p.stacks[fast_stack]->frames[1], 1));
	cr_assert(!slicer__is_func(&s, p.stacks[fast_stack]->frames[0], 1));
}

static void teardown(void)
{
	slicer__free(&s);
	target_process__put(target);
	profile__free(&p);
}

TestSuite(slicer, .init = setup, .fini = teardown);

/* One request at t ms: n one-ms samples of stack, in call frame. */
static void request(uint64_t t, int n, uint32_t stack, uint64_t frame)
{
	struct slice_call call = { 0x1000, frame, 1 };

	for (int i = 0; i < n; i++)
		cr_assert_eq(slicer__add(&s, target, 101, stack, (t + i) * MS, (t + i + 1) * MS, 1, &call), 0);
	/* the thread waits for the next request: a record without do_GET */
	cr_assert_eq(slicer__add(&s, target, 101, 0, (t + n) * MS, (t + n + 1) * MS, 0, NULL), 0);
}

Test(slicer, buckets_are_2_percent_wide_and_ordered)
{
	cr_expect_lt(slicer__bucket(5 * MS), slicer__bucket(6 * MS));
	cr_expect_eq(slicer__bucket(100 * MS), slicer__bucket(101 * MS));
	cr_expect_gt(slicer__bucket_ns(slicer__bucket(100 * MS)), 98 * MS);
	cr_expect_lt(slicer__bucket_ns(slicer__bucket(100 * MS)), 102 * MS);
	cr_expect_eq(slicer__bucket(0), 0);
}

Test(slicer, the_slow_half_of_the_invocations_is_the_profile_cut_at_func)
{
	struct profile slow, rest;
	struct slice_summary sum;

	for (int i = 0; i < 10; i++)
		request(100 * (uint64_t)i, i % 2 ? 50 : 5, i % 2 ? slow_stack : fast_stack, 0x7000);
	cr_assert_eq(slicer__finish(&s), 0);
	profile__init(&slow);
	profile__init(&rest);
	cr_assert_eq(slicer__result(&s, &slow, &rest, &sum), 0);
	cr_expect_eq(sum.seen, 10);
	cr_expect_eq(sum.resolved, 10);
	cr_expect_eq(sum.slow, 5);
	cr_expect_gt(sum.p90_ns, 45 * MS);
	cr_expect_lt(sum.p50_ns, 8 * MS);
	cr_expect_eq(sum.max_ns, 50 * MS);
	cr_assert_eq(slow.nstacks, 1);
	cr_expect_eq(slow.stacks[0]->count, 250);
	cr_expect_eq(slow.stacks[0]->nframes, 2, "cut at do_GET");
	cr_expect_str_eq(slow.frames[slow.stacks[0]->frames[0]].name, "Handler.do_GET (srv.py:5)");
	cr_expect_eq(rest.total, 25);
	cr_expect_not_null(profile__process_by_key(&slow, 100), "the process carried over");
	profile__free(&slow);
	profile__free(&rest);
}

Test(slicer, another_call_of_func_ends_the_invocation_and_short_ones_are_unresolved)
{
	struct slice_call a = { 0x1000, 0x7000, 1 }, b = { 0x1000, 0x7100, 1 };
	struct profile slow;
	struct slice_summary sum;

	for (int i = 0; i < 4; i++)
		cr_assert_eq(slicer__add(&s, target, 101, fast_stack, i * MS, (i + 1) * MS, 1, i < 2 ? &a : &b), 0);
	cr_assert_eq(slicer__add(&s, target, 101, fast_stack, 10 * MS, 11 * MS, 1, &a), 0); /* one period */
	cr_assert_eq(slicer__finish(&s), 0);
	profile__init(&slow);
	cr_assert_eq(slicer__result(&s, &slow, NULL, &sum), 0);
	cr_expect_eq(sum.seen, 3);
	cr_expect_eq(sum.resolved, 2, "two calls of 2 ms; the 1 ms one cannot be told");
	cr_expect_eq(sum.unresolved, 1);
	profile__free(&slow);
}

Test(slicer, a_duration_threshold_no_invocation_crosses_leaves_the_profile_empty)
{
	struct slicer_options o = { .func = "do_GET", .percentile = -1, .slower_ns = 10000 * MS, .period_ns = MS };
	struct profile slow;
	struct slice_summary sum;

	slicer__free(&s);
	slicer__init(&s, &o, &p);
	cr_assert(slicer__is_func(&s, p.stacks[fast_stack]->frames[1], 1));
	request(0, 20, slow_stack, 0x7000);
	cr_assert_eq(slicer__finish(&s), 0);
	profile__init(&slow);
	cr_assert_eq(slicer__result(&s, &slow, NULL, &sum), 0);
	cr_expect_eq(sum.resolved, 1);
	cr_expect_eq(sum.slow, 0);
	cr_expect_eq(slow.nstacks, 0);
	profile__free(&slow);
}

Test(slicer, a_percentile_inside_a_class_of_one_latency_takes_the_share_of_it_that_is_slower)
{
	struct slicer_options o = { .func = "do_GET", .percentile = 70, .period_ns = MS };
	struct profile slow;
	struct slice_summary sum;

	slicer__free(&s);
	slicer__init(&s, &o, &p);
	cr_assert(slicer__is_func(&s, p.stacks[fast_stack]->frames[1], 1));
	for (int i = 0; i < 10; i++) /* 6 of 5 ms, then 4 of 50 ms: p70 falls among the 50 ms ones */
		request(100 * (uint64_t)i, i < 6 ? 5 : 50, i < 6 ? fast_stack : slow_stack, 0x7000);
	cr_assert_eq(slicer__finish(&s), 0);
	profile__init(&slow);
	cr_assert_eq(slicer__result(&s, &slow, NULL, &sum), 0);
	cr_expect_eq(sum.slow, 3, "the slowest 30%%: 3 of the 4");
	cr_expect_eq(slow.total, 150, "3/4 of their 200 samples");
	cr_expect_eq(sum.threshold_ns / MS, 50);
	profile__free(&slow);
}

Test(slicer, a_process_forgotten_mid_invocation_has_it_ended_and_counted_and_its_threads_state_freed)
{
	struct slice_call call = { 0x1000, 0x7000, 1 };
	struct profile slow;
	struct slice_summary sum;

	for (int i = 0; i < 5; i++)
		cr_assert_eq(slicer__add(&s, target, 101, slow_stack, i * MS, (i + 1) * MS, 1, &call), 0);
	cr_assert(target->slices, "the open invocation hangs off its process");
	target_process__forget(target); /* it exited or exec'd */
	cr_expect_null(target->slices);
	cr_assert_eq(slicer__finish(&s), 0);
	profile__init(&slow);
	cr_assert_eq(slicer__result(&s, &slow, NULL, &sum), 0);
	cr_expect_eq(sum.seen, 1);
	cr_expect_eq(sum.resolved, 1);
	cr_expect_eq(sum.max_ns, 5 * MS, "ended at its last record's end");
	profile__free(&slow);
}
