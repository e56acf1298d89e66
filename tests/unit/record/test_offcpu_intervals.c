/* Tests for offcpu_intervals: start and end records of a thread paired into one interval, the rest closed at the end.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "offcpu_intervals.h"

static struct offcpu_intervals oi;

static void setup(void)
{
	offcpu_intervals__init(&oi);
}

static void teardown(void)
{
	offcpu_intervals__free(&oi);
}

TestSuite(offcpu_intervals, .init = setup, .fini = teardown);

/* A start record of tid at time t with one Python frame (code address `code`). */
static void start(uint32_t tid, uint64_t t, uint64_t code)
{
	size_t size = sizeof(struct pf_sample) + sizeof(struct pf_py_frame);
	struct pf_sample *s = calloc(1, size);

	s->kind = PF_REC_SAMPLE;
	s->time_ns = t;
	s->tid = s->tgid = tid;
	s->flags = PF_SAMPLE_OFFCPU;
	s->py_nframes = 1;
	s->frames[0].code = code;
	cr_assert_eq(offcpu_intervals__start(&oi, s, size), 0);
	free(s);
}

/* The end record the kernel sends when tid runs again at t, `weight` after the start it recorded. */
static struct pf_sample end(uint32_t tid, uint64_t t, uint64_t weight)
{
	struct pf_sample e = { .kind = PF_REC_SAMPLE,
			       .time_ns = t,
			       .weight_ns = weight,
			       .tid = tid,
			       .tgid = tid,
			       .flags = PF_SAMPLE_OFF_END };

	return e;
}

Test(offcpu_intervals, an_end_completes_its_threads_start)
{
	struct pf_sample e = end(7, 1500, 500);
	struct offcpu_interval iv;

	start(7, 1000, 0xabc);
	cr_assert_eq(offcpu_intervals__end(&oi, &e, &iv), 1);
	cr_expect_eq(iv.rec->weight_ns, 500);
	cr_expect_eq(iv.rec->time_ns, 1500, "the interval counts in the window of its end");
	cr_expect_eq(iv.rec->frames[0].code, 0xabc, "the stacks are the start's");
	cr_expect_eq(iv.size, sizeof(struct pf_sample) + sizeof(struct pf_py_frame));
	offcpu_interval__free(&iv);
	cr_expect_eq(offcpu_intervals__end(&oi, &e, &iv), 0, "an interval ends once");
}

Test(offcpu_intervals, threads_are_paired_by_tid)
{
	struct pf_sample e8 = end(8, 3000, 1000), e7 = end(7, 3000, 2000);
	struct offcpu_interval iv;

	start(7, 1000, 0x7);
	start(8, 2000, 0x8);
	cr_assert_eq(offcpu_intervals__end(&oi, &e8, &iv), 1);
	cr_expect_eq(iv.rec->frames[0].code, 0x8);
	offcpu_interval__free(&iv);
	cr_assert_eq(offcpu_intervals__end(&oi, &e7, &iv), 1);
	cr_expect_eq(iv.rec->frames[0].code, 0x7);
	offcpu_interval__free(&iv);
}

Test(offcpu_intervals, an_end_of_another_start_is_unmatched)
{
	struct pf_sample lost_start = end(7, 5000, 1000); /* began at 4000: its start record never arrived */
	struct pf_sample unknown = end(9, 5000, 1000);
	struct offcpu_interval iv;

	start(7, 1000, 0x7);
	cr_expect_eq(offcpu_intervals__end(&oi, &lost_start, &iv), 0);
	cr_expect_eq(offcpu_intervals__end(&oi, &unknown, &iv), 0);
	cr_expect_eq(oi.unmatched, 2);
}

Test(offcpu_intervals, a_newer_start_replaces_one_whose_end_was_lost)
{
	struct pf_sample e = end(7, 2500, 500);
	struct offcpu_interval iv;

	start(7, 1000, 0x1);
	start(7, 2000, 0x2);
	cr_assert_eq(offcpu_intervals__end(&oi, &e, &iv), 1);
	cr_expect_eq(iv.rec->frames[0].code, 0x2);
	offcpu_interval__free(&iv);
}

Test(offcpu_intervals, open_intervals_close_at_the_end_flagged_still_off)
{
	struct pf_sample e = end(7, 1500, 500);
	struct offcpu_interval iv;
	uint64_t weights = 0;
	int n = 0;

	start(7, 1000, 0x7);
	start(8, 1200, 0x8);
	start(9, 1900, 0x9);
	cr_assert_eq(offcpu_intervals__end(&oi, &e, &iv), 1);
	offcpu_interval__free(&iv);
	while (offcpu_intervals__close_next(&oi, 2000, &iv)) {
		cr_expect(iv.rec->flags & PF_SAMPLE_STILL_OFF);
		cr_expect_eq(iv.rec->time_ns, 2000);
		weights += iv.rec->weight_ns;
		n++;
		offcpu_interval__free(&iv);
	}
	cr_expect_eq(n, 2, "tid 7 ended; 8 and 9 are still off CPU");
	cr_expect_eq(weights, 800 + 100);
	cr_expect_eq(offcpu_intervals__close_next(&oi, 2000, &iv), 0);
}

/* A start record of tid at t without Python frames, flagged as its walk left it. */
static void start_without_python(uint32_t tid, uint64_t t, uint32_t flags)
{
	struct pf_sample s = {
		.kind = PF_REC_SAMPLE, .time_ns = t, .tid = tid, .tgid = tid, .flags = PF_SAMPLE_OFFCPU | flags
	};

	cr_assert_eq(offcpu_intervals__start(&oi, &s, sizeof(s)), 0);
}

/* What a late pass read of tid, blocked since t: n frames of code `code`. */
static void late(uint32_t tid, uint64_t t, uint32_t n, uint64_t code)
{
	size_t size = sizeof(struct pf_sample) + n * sizeof(struct pf_py_frame);
	struct pf_sample *s = calloc(1, size);

	s->kind = PF_REC_SAMPLE;
	s->time_ns = t;
	s->tid = s->tgid = tid;
	s->flags = PF_SAMPLE_OFFCPU | PF_SAMPLE_PY_LATE | PF_SAMPLE_PYTHON;
	s->py_nframes = n;
	for (uint32_t i = 0; i < n; i++)
		s->frames[i].code = code;
	cr_assert_eq(offcpu_intervals__late_python(&oi, s, size), 0);
	free(s);
}

Test(offcpu_intervals, a_start_without_python_frames_gets_those_a_late_pass_read)
{
	struct pf_sample e7 = end(7, 2000, 1000), e8 = end(8, 2000, 1000), e9 = end(9, 2000, 1000);
	struct offcpu_interval iv;

	start_without_python(7, 1000, 0); /* before its interpreter was found */
	/* under an entry for the program before an exec, or before its thread state: Python, no frames */
	start_without_python(8, 1000, PF_SAMPLE_PYTHON | PF_SAMPLE_NO_TSTATE);
	start(9, 1000, 0xabc); /* frames of its own */
	late(7, 1000, 2, 0x111);
	late(8, 1000, 1, 0x222);
	late(9, 1000, 1, 0x333);
	cr_assert_eq(offcpu_intervals__end(&oi, &e7, &iv), 1);
	cr_expect_eq(iv.rec->py_nframes, 2);
	cr_expect_eq(iv.rec->frames[1].code, 0x111);
	cr_expect(iv.rec->flags & PF_SAMPLE_PYTHON);
	offcpu_interval__free(&iv);
	cr_assert_eq(offcpu_intervals__end(&oi, &e8, &iv), 1);
	cr_expect_eq(iv.rec->py_nframes, 1);
	cr_expect_eq(iv.rec->frames[0].code, 0x222);
	cr_expect(!(iv.rec->flags & PF_SAMPLE_NO_TSTATE), "found late: no longer without a thread state");
	offcpu_interval__free(&iv);
	cr_assert_eq(offcpu_intervals__end(&oi, &e9, &iv), 1);
	cr_expect_eq(iv.rec->frames[0].code, 0xabc, "a start with frames keeps its own");
	offcpu_interval__free(&iv);
	cr_expect_eq(oi.late_python, 2);
}

Test(offcpu_intervals, a_late_read_without_frames_leaves_the_start_as_it_was)
{
	struct pf_sample e = end(7, 2000, 1000);
	struct offcpu_interval iv;

	start_without_python(7, 1000, PF_SAMPLE_PYTHON | PF_SAMPLE_NO_TSTATE); /* a native thread of a Python process */
	late(7, 1000, 0, 0);
	cr_assert_eq(offcpu_intervals__end(&oi, &e, &iv), 1);
	cr_expect_eq(iv.rec->py_nframes, 0);
	cr_expect(iv.rec->flags & PF_SAMPLE_NO_TSTATE);
	offcpu_interval__free(&iv);
	cr_expect_eq(oi.late_python, 0);
}
