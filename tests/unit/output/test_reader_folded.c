/* Tests for reader_folded: saved folded profiles (plain or zstd) read back, and what the reader refuses. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_folded.h"

static struct profile prof;

static void setup(void)
{
	profile__init(&prof);
}

static void teardown(void)
{
	profile__free(&prof);
}

TestSuite(reader_folded, .init = setup, .fini = teardown);

static int read_text(const char *text, size_t len)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int err;

	cr_assert_not_null(f);
	err = folded__read_file(&prof, f, "saved.folded");
	fclose(f);
	return err;
}

Test(reader_folded, frames_get_their_kind_from_their_shape_and_counts_add_up)
{
	static const char text[] = "python3 (12);main (app.py:9);do_sys_open_[k] 3\n"
				   "python3 (12);main (app.py:9);[unknown] 2\n"
				   "python3 (12);main (app.py:9);do_sys_open_[k] 4\n";
	const struct profile_stack *s;

	cr_assert_eq(read_text(text, strlen(text)), 0);
	cr_assert_eq(prof.nstacks, 2);
	cr_expect_eq(prof.total, 9);
	s = prof.stacks[0];
	cr_assert_eq(s->nframes, 3);
	cr_expect_eq(s->count, 7);
	cr_expect_eq(prof.frames[s->frames[0]].kind, FRAME_ROOT);
	cr_expect_eq(prof.frames[s->frames[1]].kind, FRAME_PYTHON);
	cr_expect_eq(prof.frames[s->frames[2]].kind, FRAME_KERNEL);
	cr_expect_str_eq(prof.frames[s->frames[2]].name, "do_sys_open");
	cr_expect_eq(prof.frames[prof.stacks[1]->frames[2]].kind, FRAME_MARKER);
}

/*
 * Found by tests/fuzz/reader_folded.c: counts are read as they are, and a file whose counts add up past 2^64 wrapped
 * the profile's total below its stacks' counts; every writer divides by that total (an SVG frame wider than its
 * graph, a float-to-integer conversion out of range).
 */
Test(reader_folded, counts_adding_up_past_2_64_are_refused_naming_the_line, .init = cr_redirect_stderr)
{
	static const char text[] = "main;work 18446744073709551615\n"
				   "main;idle 1\n";
	char err[256] = "";

	cr_expect_eq(read_text(text, strlen(text)), -EOVERFLOW);
	fflush(stderr);
	cr_expect_not_null(fgets(err, sizeof(err), cr_get_redirected_stderr()));
	cr_expect_not_null(strstr(err, "saved.folded:2:"), "message: %s", err);
}

Test(reader_folded, one_count_of_2_64_minus_1_is_a_profile)
{
	static const char text[] = "main;work 18446744073709551615\n";

	cr_expect_eq(read_text(text, strlen(text)), 0);
	cr_expect_eq(prof.total, UINT64_MAX);
}

/*
 * Found by tests/fuzz/reader_folded.c once its allocations were filled whole (tests/fuzz/asan_options.c): the text
 * was not NUL-terminated, so a last line without a newline ran on into uninitialised heap. The buffer the reader
 * allocates is first filled and freed here, so that it is not zero past the text whatever the allocator.
 */
Test(reader_folded, a_last_line_without_a_newline_ends_at_the_end_of_the_file)
{
	static const char text[] = "main;work 5\nmain;idle 3";
	char *garbage = malloc(1 << 16);

	cr_assert_not_null(garbage);
	for (size_t i = 0; i + 4 <= 1 << 16; i += 4)
		memcpy(garbage + i, ";x 7", 4);
	free(garbage);
	cr_assert_eq(read_text(text, strlen(text)), 0);
	cr_assert_eq(prof.nstacks, 2);
	cr_expect_eq(prof.stacks[1]->count, 3);
	cr_expect_eq(prof.stacks[1]->nframes, 2);
	cr_expect_eq(prof.total, 8);
}

Test(reader_folded, no_header_line_means_samples)
{
	static const char text[] = "main;work 5\n";

	cr_assert_eq(read_text(text, sizeof(text) - 1), 0);
	cr_expect_eq(prof.measure, MEASURE_CPU);
	cr_expect_eq(prof.total, 5);
}

Test(reader_folded, header_line_gives_the_measure_and_is_no_stack)
{
	static const char wall[] = "# pyflame-bpf measure=wall unit=us\nmain;work 5000\n";
	static const char off[] = "# pyflame-bpf measure=off-cpu unit=us\nmain;recv 7\n";

	cr_assert_eq(read_text(wall, sizeof(wall) - 1), 0);
	cr_expect_eq(prof.measure, MEASURE_WALL);
	cr_expect_eq(prof.total, 5000);
	cr_expect_eq(prof.nstacks, 1);
	profile__free(&prof);
	profile__init(&prof);
	cr_assert_eq(read_text(off, sizeof(off) - 1), 0);
	cr_expect_eq(prof.measure, MEASURE_OFF_CPU);
	cr_expect_eq(prof.total, 7);
}

Test(reader_folded, a_header_with_an_unknown_measure_is_refused, .init = cr_redirect_stderr)
{
	static const char text[] = "# pyflame-bpf measure=gpu unit=ns\nmain;work 5\n";

	cr_expect_eq(read_text(text, sizeof(text) - 1), -EINVAL);
	fflush(stderr);
	cr_expect_stderr_eq_str("pyflame-bpf: saved.folded:1: a header of pyflame-bpf without a measure it knows (cpu, "
				"wall, off-cpu)\n");
}

Test(reader_folded, a_later_line_like_the_header_is_a_stack)
{
	/* A process may name itself so: only the first line is the header. */
	static const char text[] = "main;work 5\n# pyflame-bpf measure=wall (12);main 3\n";

	cr_assert_eq(read_text(text, sizeof(text) - 1), 0);
	cr_expect_eq(prof.measure, MEASURE_CPU);
	cr_expect_eq(prof.total, 8);
}

Test(reader_folded, header_gives_when_and_how_long_and_ignores_what_is_not_a_count_of_ns)
{
	static const char timed[] = "# pyflame-bpf measure=cpu unit=samples time=1796293398128724507ns "
				    "duration=1500000000ns\nmain;work 5\n";
	static const char bad[] = "# pyflame-bpf measure=cpu unit=samples time=17962x duration=15s\nmain;work 5\n";

	cr_assert_eq(read_text(timed, sizeof(timed) - 1), 0);
	cr_expect_eq(prof.time_ns, 1796293398128724507ULL);
	cr_expect_eq(prof.duration_ns, 1500000000ULL);
	cr_expect_eq(prof.total, 5);
	profile__free(&prof);
	profile__init(&prof);
	cr_assert_eq(read_text(bad, sizeof(bad) - 1), 0);
	cr_expect_eq(prof.time_ns, 0);
	cr_expect_eq(prof.duration_ns, 0);
	cr_expect_eq(prof.total, 5);
}
