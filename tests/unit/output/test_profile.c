/* Tests for profile: a PID that becomes another process or another program gets a record of its own. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "profile_fixture.h"
#include "profile_view.h"
#include "writer_folded.h"

TestSuite(profile, .init = profile_fixture__setup, .fini = profile_fixture__teardown);

static char *folded(const struct view_options *o)
{
	struct profile_view view;
	char *text = NULL;
	size_t len = 0, lines = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(profile_view__build(&view, &prof, o), 0);
	cr_assert_eq(folded__write(&view, f, &lines), 0);
	profile_view__free(&view);
	fclose(f);
	/* The header line says the unit (test_writer_folded checks it): the stacks follow. */
	cr_assert_not_null(strchr(text, '\n'));
	memmove(text, strchr(text, '\n') + 1, strlen(strchr(text, '\n') + 1) + 1);
	return text;
}

Test(profile, a_new_process_with_the_same_pid_keeps_its_own_name_and_stacks)
{
	struct view_options o = { .per_process = 1, .threads = 1 };
	uint32_t a = frame(FRAME_PYTHON, "serve (old.py:1)"), b = frame(FRAME_NATIVE, "spin");
	struct profile_process *first, *second;
	char *text;

	name_process(42, "python3");
	name_thread(42, 42, "python3");
	add_in(42, 42, &a, 1, 3);
	first = profile__process(&prof, 42);
	second = profile__new_process(&prof, first, 42);
	cr_assert_not_null(second);
	cr_expect_neq(second, first);
	cr_expect_eq(second->tgid, 42);
	cr_expect_geq(second->key, PROFILE_FIRST_KEY);
	cr_expect_eq(profile__process(&prof, 42), first, "the PID's first record stays its own");
	snprintf(second->comm, sizeof(second->comm), "chain");
	snprintf(profile__thread(&prof, 42, second->key)->comm, 16, "chain");
	cr_assert_eq(profile__add(&prof, second, 42, &b, 1, 5), 0);
	cr_expect_eq(first->samples, 3);
	cr_expect_eq(second->samples, 5);
	text = folded(&o);
	cr_expect_str_eq(text, "chain (42);thread chain (42);spin 5\n"
			       "python3 (42);thread python3 (42);serve (old.py:1) 3\n");
	free(text);
}

Test(profile, a_record_without_samples_is_reused_rather_than_left_empty)
{
	struct profile_process *first = profile__process(&prof, 7), *again;

	snprintf(first->comm, sizeof(first->comm), "sh");
	again = profile__new_process(&prof, first, 7);
	cr_expect_eq(again, first);
	cr_expect_eq(again->key, 7);
	cr_expect_str_eq(again->comm, "", "a reused record starts unnamed");
}

Test(profile, records_of_several_generations_of_one_pid_stay_apart)
{
	struct view_options o = { .per_process = 1 };
	uint32_t f = frame(FRAME_NATIVE, "main");
	char *text;

	struct profile_process *p = NULL;

	for (int gen = 0; gen < 3; gen++) {
		p = gen ? profile__new_process(&prof, p, 9) : profile__process(&prof, 9);
		cr_assert_not_null(p);
		snprintf(p->comm, sizeof(p->comm), "gen%d", gen);
		cr_assert_eq(profile__add(&prof, p, 9, &f, 1, (uint64_t)gen + 1), 0);
	}
	text = folded(&o);
	cr_expect_str_eq(text, "gen0 (9);main 1\ngen1 (9);main 2\ngen2 (9);main 3\n");
	free(text);
}
