/* Tests for profile_view: differential views over hand-built profiles. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "profile_fixture.h"
#include "profile_view.h"

TestSuite(profile_view, .init = profile_fixture__setup, .fini = profile_fixture__teardown);

/* The differential view of before against the fixture's profile. */
static void diff_against(struct profile_view *v, struct profile *before)
{
	struct view_options none = { 0 };

	cr_assert_eq(profile_view__diff(v, before, &prof, &none), 0);
}

Test(profile_view, diff_bases_are_before_counts_and_compare_as_exact_shares)
{
	struct profile before;
	struct profile_view v;
	uint32_t a = frame(FRAME_NATIVE, "a"), b;

	profile__init(&before);
	b = (uint32_t)profile__frame(&before, FRAME_NATIVE, "a");
	cr_assert_eq(profile__add(&before, profile__process(&before, 1), 1, &b, 1, 3), 0);
	add(&a, 1, 6);
	diff_against(&v, &before);
	cr_assert_eq(v.nstacks, 1);
	cr_expect_eq(v.stacks[0].count, 6);
	cr_expect_eq(v.stacks[0].base, 3);
	cr_expect_eq(v.base_total, 3);
	cr_expect_eq(profile_view__base_scaled(&v, v.stacks[0].base), 6);
	cr_expect(profile_view__change(&v, v.stacks[0].count, v.stacks[0].base) == 0.0, "the same share");
	profile_view__free(&v);
	profile__free(&before);
}

/* Totals 3 and 7: shares of 1/3 against 3/7 differ by exactly 2/21, and the whole profile by nothing. */
Test(profile_view, diff_change_is_the_difference_of_shares)
{
	struct profile before;
	struct profile_view v;
	uint32_t a = frame(FRAME_NATIVE, "a"), x = frame(FRAME_NATIVE, "x"), b, y;

	profile__init(&before);
	b = (uint32_t)profile__frame(&before, FRAME_NATIVE, "a");
	y = (uint32_t)profile__frame(&before, FRAME_NATIVE, "x");
	cr_assert_eq(profile__add(&before, profile__process(&before, 1), 1, &b, 1, 1), 0);
	cr_assert_eq(profile__add(&before, profile__process(&before, 1), 1, &y, 1, 2), 0);
	add(&a, 1, 3);
	add(&x, 1, 4);
	diff_against(&v, &before);
	cr_expect(profile_view__change(&v, v.total, v.base_total) == 0.0);
	cr_expect_float_eq(profile_view__change(&v, 3, 1), 3.0 / 7 - 1.0 / 3, 1e-12);
	cr_expect_float_eq(profile_view__change(&v, 4, 2), 4.0 / 7 - 2.0 / 3, 1e-12);
	profile_view__free(&v);
	profile__free(&before);
}

/*
 * Found by reading the code beside the overflow tests/fuzz/reader_folded.c found: a before count scaled to an after
 * total near 2^64 rounds to 2^64 as a double, and converting that to uint64_t is undefined (0 on x86-64).
 */
Test(profile_view, diff_base_scaled_past_2_64_is_clamped)
{
	struct profile before;
	struct profile_view v;
	uint32_t a = frame(FRAME_NATIVE, "a"), b;

	profile__init(&before);
	b = (uint32_t)profile__frame(&before, FRAME_NATIVE, "a");
	cr_assert_eq(profile__add(&before, profile__process(&before, 1), 1, &b, 1, 1), 0);
	add(&a, 1, UINT64_MAX);
	diff_against(&v, &before);
	cr_assert_eq(v.nstacks, 1);
	cr_expect_eq(profile_view__base_scaled(&v, v.stacks[0].base), UINT64_MAX);
	profile_view__free(&v);
	profile__free(&before);
}
