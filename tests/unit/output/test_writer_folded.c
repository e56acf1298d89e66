/* Tests for writer_folded over a hand-built profile: exact folded text for each option and escaping rule. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "profile_fixture.h"
#include "writer_folded.h"

TestSuite(writer_folded, .init = profile_fixture__setup, .fini = profile_fixture__teardown);

#define CPU_HEADER "# pyflame-bpf measure=cpu unit=samples\n"

/* folded__write's output after its header line (checked to be the samples one), as a string to compare. */
static void expect_folded(const struct view_options *o, const char *want)
{
	char *text = NULL;
	size_t len = 0, lines = 0, want_lines = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	struct profile_view view;

	cr_assert_eq(profile_view__build(&view, &prof, o), 0);
	cr_assert_eq(folded__write(&view, f, &lines), 0);
	profile_view__free(&view);
	fclose(f);
	cr_assert_eq(strncmp(text, CPU_HEADER, strlen(CPU_HEADER)), 0, "no header line: %s", text);
	cr_expect_str_eq(text + strlen(CPU_HEADER), want, "got:\n%s\nwant:\n%s", text, want);
	for (const char *p = want; *p; p++)
		want_lines += *p == '\n';
	cr_expect_eq(lines, want_lines, "lines written: %zu, want %zu", lines, want_lines);
	free(text);
}

/* main -> work -> sys_read (kernel), sampled in two threads of one process. */
static void two_threads_same_stack(void)
{
	uint32_t s[] = { frame(FRAME_PYTHON, "main (app.py:10)"), frame(FRAME_NATIVE, "work"),
			 frame(FRAME_KERNEL, "sys_read") };

	name_process(100, "python3");
	name_thread(100, 100, "python3");
	name_thread(101, 100, "worker");
	add_in(100, 100, s, 3, 5);
	add_in(100, 101, s, 3, 7);
}

Test(writer_folded, identical_stacks_of_two_threads_merge_into_one_line)
{
	struct view_options o = {};

	two_threads_same_stack();
	expect_folded(&o, "main (app.py:10);work;sys_read_[k] 12\n");
}

Test(writer_folded, threads_option_keeps_threads_apart_under_a_thread_root)
{
	struct view_options o = { .threads = 1 };

	two_threads_same_stack();
	expect_folded(&o, "thread python3 (100);main (app.py:10);work;sys_read_[k] 5\n"
			  "thread worker (101);main (app.py:10);work;sys_read_[k] 7\n");
}

Test(writer_folded, per_process_roots_each_stack_at_comm_and_pid)
{
	struct view_options o = { .per_process = 1 };
	uint32_t a[] = { frame(FRAME_NATIVE, "main"), frame(FRAME_NATIVE, "loop") };

	name_process(200, "redis");
	name_process(300, "nginx");
	add_in(300, 300, a, 2, 1);
	add_in(200, 201, a, 2, 2);
	add_in(200, 200, a, 2, 3);
	expect_folded(&o, "nginx (300);main;loop 1\n"
			  "redis (200);main;loop 5\n");
}

Test(writer_folded, per_process_and_threads_put_the_thread_below_the_process)
{
	struct view_options o = { .per_process = 1, .threads = 1 };

	two_threads_same_stack();
	expect_folded(&o, "python3 (100);thread python3 (100);main (app.py:10);work;sys_read_[k] 5\n"
			  "python3 (100);thread worker (101);main (app.py:10);work;sys_read_[k] 7\n");
}

Test(writer_folded, unknown_process_and_thread_names_are_question_marks)
{
	struct view_options o = { .per_process = 1, .threads = 1 };
	uint32_t a[] = { frame(FRAME_NATIVE, "f") };

	add_in(42, 43, a, 1, 1);
	expect_folded(&o, "? (42);thread ? (43);f 1\n");
}

Test(writer_folded, kernel_frames_are_suffixed_and_no_kernel_drops_them)
{
	struct view_options with = {}, without = { .no_kernel = 1 };
	uint32_t a[] = { frame(FRAME_NATIVE, "main"), frame(FRAME_KERNEL, "entry_SYSCALL_64"),
			 frame(FRAME_KERNEL, "do_syscall_64") };
	uint32_t b[] = { frame(FRAME_NATIVE, "main") };

	add_in(1, 1, a, 3, 4);
	add_in(1, 1, b, 1, 6);
	expect_folded(&with, "main 6\n"
			     "main;entry_SYSCALL_64_[k];do_syscall_64_[k] 4\n");
	/* Without kernel frames the two stacks are the same text: one line, counts summed. */
	expect_folded(&without, "main 10\n");
}

Test(writer_folded, same_name_as_kernel_and_native_frame_are_two_frames)
{
	struct view_options o = {};
	uint32_t k = frame(FRAME_KERNEL, "memcpy"), n = frame(FRAME_NATIVE, "memcpy");

	cr_expect_neq(k, n);
	cr_expect_eq(frame(FRAME_KERNEL, "memcpy"), k, "interning must return the same id");
	add_in(1, 1, &n, 1, 1);
	add_in(1, 1, &k, 1, 2);
	expect_folded(&o, "memcpy 1\nmemcpy_[k] 2\n");
}

Test(writer_folded, semicolons_in_names_become_colons)
{
	struct view_options o = {};
	uint32_t a[] = { frame(FRAME_NATIVE, "std::vector<int; x>::push"), frame(FRAME_PYTHON, ";;") };

	add_in(1, 1, a, 2, 3);
	expect_folded(&o, "std::vector<int: x>::push;:: 3\n");
}

Test(writer_folded, newlines_and_control_characters_become_question_marks)
{
	struct view_options o = {};
	uint32_t a[] = { frame(FRAME_PYTHON, "evil\nname"), frame(FRAME_PYTHON, "tab\there\r\x01\x7f") };

	add_in(1, 1, a, 2, 1);
	expect_folded(&o, "evil?name;tab?here??? 1\n");
}

Test(writer_folded, escaping_applies_to_process_and_thread_roots)
{
	struct view_options o = { .per_process = 1, .threads = 1 };
	uint32_t a[] = { frame(FRAME_NATIVE, "f") };

	name_process(7, "a;b\n");
	name_thread(8, 7, "t;\t");
	add_in(7, 8, a, 1, 1);
	expect_folded(&o, "a:b? (7);thread t:? (8);f 1\n");
}

Test(writer_folded, escape_truncates_to_the_buffer)
{
	char buf[4];

	folded__escape(buf, sizeof(buf), "ab;cd");
	cr_expect_str_eq(buf, "ab:");
	folded__escape(buf, 1, "xyz");
	cr_expect_str_eq(buf, "");
}

Test(writer_folded, escape_leaves_no_separator_line_break_or_invalid_byte)
{
	char buf[64];

	/* `;`, C0/C1 controls, DEL, U+2028/U+2029 (line ends for Python and JavaScript), bytes that are not UTF-8. */
	folded__escape(buf, sizeof(buf), "a;b\nc\r\x1b[0m\x7f\xc2\x85\xe2\x80\xa8\xe2\x80\xa9|\xff\xc3|\xed\xb3\xbf");
	cr_expect_str_eq(buf, "a:b?c??[0m"
			      "????|\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* Valid text beyond ASCII is kept. */
	folded__escape(buf, sizeof(buf),
		       "gr\xc3\xb6\xc3\x9f"
		       "e <script>");
	cr_expect_str_eq(buf, "gr\xc3\xb6\xc3\x9f"
			      "e <script>");
}

Test(writer_folded, escape_cuts_at_a_whole_character)
{
	char buf[5];

	folded__escape(buf, sizeof(buf), "ab\xc3\xb6\xc3\xb6");
	cr_expect_str_eq(buf, "ab\xc3\xb6");
	folded__escape(buf, sizeof(buf), "abc\xff");
	cr_expect_str_eq(buf, "abc");
}

Test(writer_folded, lines_are_sorted_whatever_the_insertion_order)
{
	struct view_options o = {};
	uint32_t z[] = { frame(FRAME_NATIVE, "zeta") }, a[] = { frame(FRAME_NATIVE, "alpha") },
		 ab[] = { a[0], frame(FRAME_NATIVE, "beta") }, m[] = { frame(FRAME_NATIVE, "Main") };

	add_in(1, 1, z, 1, 1);
	add_in(1, 1, ab, 2, 2);
	add_in(1, 1, a, 1, 3);
	add_in(1, 1, m, 1, 4);
	expect_folded(&o, "Main 4\nalpha 3\nalpha;beta 2\nzeta 1\n");
}

Test(writer_folded, counts_of_repeated_adds_are_summed)
{
	struct view_options o = {};
	uint32_t a[] = { frame(FRAME_NATIVE, "main"), frame(FRAME_NATIVE, "hot") };

	add_in(1, 1, a, 2, 1);
	add_in(1, 1, a, 2, 2);
	add_in(1, 1, a, 2, 40000000000ULL);
	cr_expect_eq(prof.nstacks, 1);
	cr_expect_eq(prof.total, 40000000003ULL);
	expect_folded(&o, "main;hot 40000000003\n");
}

Test(writer_folded, empty_stack_is_written_as_empty_marker)
{
	struct view_options o = {}, nok = { .no_kernel = 1 };
	uint32_t k[] = { frame(FRAME_KERNEL, "cpu_idle") };

	add_in(1, 1, NULL, 0, 2);
	expect_folded(&o, "[empty] 2\n");
	/* A kernel-only stack with kernel frames dropped is empty too, and merges with it. */
	add_in(1, 1, k, 1, 3);
	expect_folded(&nok, "[empty] 5\n");
}

Test(writer_folded, empty_profile_writes_nothing)
{
	struct view_options o = { .per_process = 1, .threads = 1 };

	expect_folded(&o, "");
}

/* flamegraph.pl's input rule (its README: "each line is a stack, then a space, then a count"; its parser matches
 * /^(.*)\s+?(\d+(?:\.\d*)?)$/ and skips, counting as ignored, a line that does not match): the header line must
 * not end in whitespace and a number, and every other line must. */
static int flamegraph_pl_parses(const char *line, size_t len)
{
	size_t i = len;

	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i < len && i > 0 && line[i - 1] == '.') /* a fraction: digits, '.', digits */
		for (i--; i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9'; i--)
			;
	return i < len && i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t');
}

static char *write_measure(enum profile_measure m)
{
	struct view_options o = {};
	struct profile_view view;
	uint32_t a[] = { frame(FRAME_NATIVE, "main"), frame(FRAME_NATIVE, "rate 99") };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	prof.measure = m;
	add_in(1, 1, a, 2, 1500);
	cr_assert_eq(profile_view__build(&view, &prof, &o), 0);
	cr_assert_eq(folded__write(&view, f, NULL), 0);
	profile_view__free(&view);
	fclose(f);
	return text;
}

Test(writer_folded, header_line_says_the_unit_and_flamegraph_pl_skips_it)
{
	static const struct {
		enum profile_measure m;
		const char *header;
	} cases[] = {
		{ MEASURE_CPU, "# pyflame-bpf measure=cpu unit=samples" },
		{ MEASURE_WALL, "# pyflame-bpf measure=wall unit=us" },
		{ MEASURE_OFF_CPU, "# pyflame-bpf measure=off-cpu unit=us" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = write_measure(cases[i].m);
		size_t head = strcspn(text, "\n");

		cr_assert_eq(text[head], '\n');
		cr_expect_eq(head, strlen(cases[i].header));
		cr_expect_eq(strncmp(text, cases[i].header, strlen(cases[i].header)), 0, "header: %s", text);
		cr_expect_not(flamegraph_pl_parses(text, head), "flamegraph.pl would read %s", text);
		cr_expect(flamegraph_pl_parses(text + head + 1, strlen(text + head + 1) - 1),
			  "flamegraph.pl would skip %s", text + head + 1);
		free(text);
		profile__free(&prof);
		profile__init(&prof);
	}
}

Test(writer_folded, header_carries_when_and_how_long_and_still_is_no_stack_to_flamegraph_pl)
{
	static const char want[] =
	    "# pyflame-bpf measure=cpu unit=samples time=1796293398128724507ns duration=1500000000ns";
	char *text;
	size_t head;

	prof.time_ns = 1796293398128724507ULL;
	prof.duration_ns = 1500000000ULL;
	text = write_measure(MEASURE_CPU);
	head = strcspn(text, "\n");
	cr_expect_eq(head, strlen(want));
	cr_expect_eq(strncmp(text, want, strlen(want)), 0, "header: %s", text);
	cr_expect_not(flamegraph_pl_parses(text, head), "flamegraph.pl would read %s", text);
	free(text);
}
