/* Tests for writer_svg over hand-built profiles: document, widths, escaping, colours, dropped frames, inversion. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile.h"
#include "profile_fixture.h"
#include "writer_svg.h"

TestSuite(writer_svg, .init = profile_fixture__setup, .fini = profile_fixture__teardown);

/* svg__write's whole output for the profile built so far. */
static char *render(const struct view_options *vo, const struct svg_options *so)
{
	struct view_options none = { 0 };
	struct profile_view view;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(profile_view__build(&view, &prof, vo ? vo : &none), 0);
	cr_assert_eq(svg__write(&view, so, f), 0);
	profile_view__free(&view);
	fclose(f);
	return text;
}

/* One drawn frame as the writer emitted it. */
struct drawn {
	uint64_t x, n;
	double rx, ry, rw;
	unsigned rgb[3];
	char title[256];
	char label[256]; /* "" when the frame has no label */
};

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void copy_until(char *dst, size_t size, const char *src, const char *end)
{
	const char *e = strstr(src, end);
	size_t n;

	cr_assert_not_null(e, "no %s after %.40s", end, src);
	n = (size_t)(e - src);
	cr_assert_lt(n, size);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Parses every `<g data-x=..>` frame of the output, in document order; *n gets how many. */
static struct drawn *parse(const char *svg, size_t *n)
{
	size_t cap = count_of(svg, "<g data-x=\"") + 1;
	struct drawn *d = calloc(cap, sizeof(*d));

	cr_assert_not_null(d);
	*n = 0;
	for (const char *at = strstr(svg, "<g data-x=\""); at; at = strstr(at + 1, "<g data-x=\"")) {
		struct drawn *f = &d[(*n)++];
		char g[1024]; /* one frame's markup: sscanf on the whole document would measure it at every call */
		const char *p, *t;
		int used = 0;

		copy_until(g, sizeof(g), at, "</g>");
		cr_assert_eq(
		    sscanf(g, "<g data-x=\"%" SCNu64 "\" data-n=\"%" SCNu64 "\"><title>%n", &f->x, &f->n, &used), 2,
		    "bad frame: %.120s", g);
		copy_until(f->title, sizeof(f->title), g + used, "</title>");
		p = strstr(g, "<rect ");
		cr_assert_not_null(p, "no rect: %s", g);
		cr_assert_eq(sscanf(p, "<rect x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"15\" fill=\"rgb(%u,%u,%u)\"/>",
				    &f->rx, &f->ry, &f->rw, &f->rgb[0], &f->rgb[1], &f->rgb[2]),
			     6, "bad rect: %.120s", p);
		t = strstr(p, "<text ");
		if (t)
			copy_until(f->label, sizeof(f->label), strchr(t, '>') + 1, "</text>");
	}
	return d;
}

/* The drawn frame whose title starts with name followed by " (", or NULL. */
static const struct drawn *find(const struct drawn *d, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (!strncmp(d[i].title, name, len) && !strncmp(d[i].title + len, " (", 2))
			return &d[i];
	return NULL;
}

static double hue_of(const unsigned rgb[3])
{
	double r = rgb[0] / 255.0, g = rgb[1] / 255.0, b = rgb[2] / 255.0;
	double max = r > g ? (r > b ? r : b) : (g > b ? g : b), min = r < g ? (r < b ? r : b) : (g < b ? g : b);
	double h;

	if (max == min)
		return -1; /* grey */
	if (max == r)
		h = 60 * ((g - b) / (max - min));
	else if (max == g)
		h = 60 * (2 + (b - r) / (max - min));
	else
		h = 60 * (4 + (r - g) / (max - min));
	return h < 0 ? h + 360 : h;
}

/* main -> {work -> read (kernel), idle} */
static void small_tree(void)
{
	uint32_t a[] = { frame(FRAME_PYTHON, "main (app.py:1)"), frame(FRAME_NATIVE, "work"),
			 frame(FRAME_KERNEL, "sys_read") };
	uint32_t b[] = { a[0], frame(FRAME_PYTHON, "idle (app.py:9)") };

	add(a, 3, 30);
	add(a, 2, 10);
	add(b, 2, 60);
}

Test(writer_svg, output_is_one_self_contained_svg_document)
{
	char *svg;

	small_tree();
	svg = render(NULL, NULL);
	cr_expect(!strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"", 36), "starts %.60s", svg);
	cr_expect_not_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	cr_expect(strlen(svg) > 7 && !strcmp(svg + strlen(svg) - 7, "</svg>\n"), "must end with </svg>");
	cr_expect_eq(count_of(svg, "<script"), 1);
	cr_expect_eq(count_of(svg, "<style>"), 1);
	/* The script is one CDATA section: nothing inside may close it early. */
	cr_expect_eq(count_of(svg, "<![CDATA["), 1);
	cr_expect_eq(count_of(svg, "]]>"), 1);
	/* Nothing fetched from elsewhere; and no eval or markup parsing of names in the script. */
	cr_expect_null(strstr(svg, "href"));
	cr_expect_eq(count_of(svg, "http"), 2, "only the SVG namespace (root and createElementNS)");
	cr_expect_null(strstr(svg, "eval("));
	cr_expect_null(strstr(svg, "innerHTML"));
	cr_expect_not_null(strstr(svg, "<title>Flame Graph</title>"));
	cr_expect_not_null(strstr(svg, "Reset zoom"));
	cr_expect_not_null(strstr(svg, "id=\"search\""));
	cr_expect_not_null(strstr(svg, "id=\"clear\""));
	cr_expect_not_null(strstr(svg, "Matched: "));
	free(svg);
}

Test(writer_svg, each_frame_is_a_group_with_title_rect_and_label_and_widths_follow_samples)
{
	size_t n;
	char *svg;
	struct drawn *d;
	const struct drawn *all, *main_, *work, *read, *idle;

	small_tree();
	svg = render(NULL, NULL);
	d = parse(svg, &n);
	cr_assert_eq(n, 5, "all, main, work, sys_read, idle: got %zu", n);
	all = find(d, n, "all");
	main_ = find(d, n, "main (app.py:1)");
	work = find(d, n, "work");
	read = find(d, n, "sys_read_[k]");
	idle = find(d, n, "idle (app.py:9)");
	cr_assert(all && main_ && work && read && idle, "missing frame:\n%s", svg);
	cr_expect_str_eq(all->title, "all (100 samples, 100.00%)");
	cr_expect_str_eq(main_->title, "main (app.py:1) (100 samples, 100.00%)");
	cr_expect_str_eq(work->title, "work (40 samples, 40.00%)");
	cr_expect_str_eq(read->title, "sys_read_[k] (30 samples, 30.00%)");
	cr_expect_str_eq(idle->title, "idle (app.py:9) (60 samples, 60.00%)");
	/* 1200 px wide, 10 px margins: 11.8 px per sample. */
	for (size_t i = 0; i < n; i++) {
		cr_expect_float_eq(d[i].rw, d[i].n * 11.8, 0.002, "%s: width %f", d[i].title, d[i].rw);
		cr_expect_float_eq(d[i].rx, 10 + d[i].x * 11.8, 0.002, "%s: x %f", d[i].title, d[i].rx);
	}
	/* Callees lie inside their caller, siblings side by side. */
	cr_expect_eq(main_->x, 0);
	cr_expect(work->x >= main_->x && work->x + work->n <= main_->x + main_->n);
	cr_expect(idle->x >= work->x + work->n || idle->x + idle->n <= work->x);
	cr_expect_eq(read->x, work->x);
	cr_expect_str_eq(main_->label, "main (app.py:1)");
	free(d);
	free(svg);
}

Test(writer_svg, script_and_markup_in_names_are_inert_escaped_text)
{
	uint32_t a[] = { frame(FRAME_PYTHON, "<script>alert(1)</script>"), frame(FRAME_NATIVE, "a & b \"q\" 'x'") };
	char *svg;

	add(a, 2, 5);
	svg = render(NULL, NULL);
	cr_expect_eq(count_of(svg, "<script"), 1, "only our own script element");
	cr_expect_null(strstr(svg, "alert(1)</script>"));
	cr_expect_not_null(strstr(svg, "<title>&lt;script&gt;alert(1)&lt;/script&gt; (5 samples"));
	cr_expect_not_null(strstr(svg, ">&lt;script&gt;alert(1)&lt;/script&gt;</text>"));
	cr_expect_not_null(strstr(svg, "<title>a &amp; b &quot;q&quot; &apos;x&apos; (5 samples"));
	cr_expect_null(strstr(svg, "a & b"));
	free(svg);
}

Test(writer_svg, invalid_utf8_and_control_characters_are_replaced_valid_utf8_is_kept)
{
	uint32_t a[] = { frame(FRAME_PYTHON, "bad\xff\xc0\x80z"), frame(FRAME_PYTHON, "ctl\x01\x1b\n\t\x7f"),
			 frame(FRAME_PYTHON, "surrogate\xed\xa0\x80 cut\xe2\x98"),
			 frame(FRAME_PYTHON, "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9d\x84\x9e") };
	char *svg;

	add(a, 4, 1);
	svg = render(NULL, NULL);
	cr_expect_not_null(strstr(svg, "<title>bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz ("));
	cr_expect_not_null(strstr(svg, "<title>ctl????? ("));
	cr_expect_not_null(
	    strstr(svg, "<title>surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd cut\xef\xbf\xbd\xef\xbf\xbd ("));
	cr_expect_not_null(strstr(svg, "<title>h\xc3\xa9llo \xe2\x98\x83 \xf0\x9d\x84\x9e ("));
	cr_expect_null(strstr(svg, "\xff"));
	cr_expect_null(strstr(svg, "\x01"));
	free(svg);
}

Test(writer_svg, colours_come_from_one_hue_family_per_kind_and_are_stable_per_name)
{
	struct view_options vo = { .per_process = 1 };
	uint32_t a[] = { frame(FRAME_PYTHON, "py (a.py:1)"), frame(FRAME_NATIVE, "native_fn"),
			 frame(FRAME_KERNEL, "kernel_fn"), frame(FRAME_MARKER, "[truncated]") };
	uint32_t b[] = { a[0], frame(FRAME_NATIVE, "py (a.py:1)") };
	struct drawn *d, *d2;
	size_t n, n2;
	char *svg, *svg2;
	const struct drawn *py, *nat, *ker, *mark, *proc, *same_name;
	double h;

	name_process(1, "python3");
	add(a, 4, 50);
	add(b, 2, 50);
	svg = render(&vo, NULL);
	d = parse(svg, &n);
	py = find(d, n, "py (a.py:1)");
	nat = find(d, n, "native_fn");
	ker = find(d, n, "kernel_fn_[k]");
	mark = find(d, n, "[truncated]");
	proc = find(d, n, "python3 (1)");
	cr_assert(py && nat && ker && mark && proc, "missing frame:\n%s", svg);
	h = hue_of(py->rgb);
	cr_expect(h >= 79 && h <= 141, "Python hue %f", h);
	h = hue_of(nat->rgb);
	cr_expect(h >= 0 && h <= 36, "native hue %f", h);
	h = hue_of(ker->rgb);
	cr_expect(h >= 189 && h <= 231, "kernel hue %f", h);
	h = hue_of(proc->rgb);
	cr_expect(h >= 264 && h <= 296, "process hue %f", h);
	cr_expect_eq(hue_of(mark->rgb), -1, "markers are grey");
	/* The native frame named like the Python one: same name, another family. */
	same_name = NULL;
	for (size_t i = 0; i < n; i++)
		if (&d[i] != py && !strncmp(d[i].title, "py (a.py:1) (", 13))
			same_name = &d[i];
	cr_assert_not_null(same_name);
	cr_expect(memcmp(same_name->rgb, py->rgb, sizeof(py->rgb)), "kind must change the colour");
	/* Same profile written again: the same colours. */
	svg2 = render(&vo, NULL);
	d2 = parse(svg2, &n2);
	cr_assert_eq(n, n2);
	for (size_t i = 0; i < n; i++)
		cr_expect(!memcmp(d[i].rgb, d2[i].rgb, sizeof(d[i].rgb)), "%s changed colour", d[i].title);
	cr_expect_not_null(strstr(svg, "<g id=\"legend\">"));
	cr_expect_not_null(strstr(svg, ">Python</text>"));
	cr_expect_not_null(strstr(svg, ">kernel</text>"));
	free(d);
	free(d2);
	free(svg);
	free(svg2);
}

Test(writer_svg, frames_narrower_than_the_minimum_are_dropped_and_their_samples_stay_in_the_parent)
{
	uint32_t big[] = { frame(FRAME_NATIVE, "main"), frame(FRAME_NATIVE, "big") };
	uint32_t tiny[] = { big[0], frame(FRAME_NATIVE, "tiny"), frame(FRAME_NATIVE, "tiny_callee") };
	struct svg_options wide = { .min_width_px = 600 };
	const struct drawn *m;
	struct drawn *d;
	size_t n;
	char *svg;

	/* 1 sample in 100000 is 0.0118 px: under the default 0.1 px. */
	add(big, 2, 99999);
	add(tiny, 3, 1);
	svg = render(NULL, NULL);
	d = parse(svg, &n);
	cr_expect_eq(n, 3, "all, main, big:\n%s", svg);
	cr_expect_null(find(d, n, "tiny"));
	cr_expect_null(find(d, n, "tiny_callee"));
	m = find(d, n, "main");
	cr_assert_not_null(m);
	cr_expect_eq(m->n, 100000, "main keeps the dropped frame's sample");
	cr_expect_float_eq(m->rw, 1180, 0.01);
	free(d);
	free(svg);
	/* An explicit minimum: `big` (99999 samples, 1179.99 px) stays, nothing narrower than 600 px is drawn. */
	svg = render(NULL, &wide);
	d = parse(svg, &n);
	cr_expect_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		cr_expect_geq(d[i].rw, 600, "%s drawn at %f px", d[i].title, d[i].rw);
	free(d);
	free(svg);
}

Test(writer_svg, dropped_siblings_leave_their_gap_and_later_frames_keep_their_place)
{
	uint32_t a[] = { frame(FRAME_NATIVE, "a") }, b[] = { frame(FRAME_NATIVE, "b") },
		 c[] = { frame(FRAME_NATIVE, "c") };
	const struct drawn *fa, *fc;
	struct drawn *d;
	size_t n;
	char *svg;

	add(a, 1, 50000);
	add(b, 1, 1); /* sorts between a and c, too narrow to draw */
	add(c, 1, 50000);
	svg = render(NULL, NULL);
	d = parse(svg, &n);
	fa = find(d, n, "a");
	fc = find(d, n, "c");
	cr_assert(fa && fc && !find(d, n, "b"));
	cr_expect_eq(fa->x, 0);
	cr_expect_eq(fc->x, 50001);
	free(d);
	free(svg);
}

Test(writer_svg, inverted_puts_the_root_at_the_top)
{
	struct svg_options down = { 0 }, up = { .inverted = 1 };
	struct drawn *d;
	size_t n;
	char *svg;

	small_tree();
	svg = render(NULL, &down);
	d = parse(svg, &n);
	cr_expect_gt(find(d, n, "all")->ry, find(d, n, "main (app.py:1)")->ry);
	cr_expect_gt(find(d, n, "main (app.py:1)")->ry, find(d, n, "sys_read_[k]")->ry);
	cr_expect_float_eq(find(d, n, "main (app.py:1)")->ry - find(d, n, "work")->ry, 16, 1e-9);
	free(d);
	free(svg);
	svg = render(NULL, &up);
	d = parse(svg, &n);
	cr_expect_lt(find(d, n, "all")->ry, find(d, n, "main (app.py:1)")->ry);
	cr_expect_lt(find(d, n, "main (app.py:1)")->ry, find(d, n, "sys_read_[k]")->ry);
	cr_expect_not_null(strstr(svg, "data-inverted=\"1\""));
	free(d);
	free(svg);
}

Test(writer_svg, labels_are_cut_to_fit_their_frame)
{
	uint32_t wide[] = { frame(FRAME_NATIVE, "wide") };
	uint32_t narrow[] = { frame(FRAME_NATIVE, "a_rather_long_function_name_that_cannot_fit") };
	uint32_t tiny[] = { frame(FRAME_NATIVE, "xyzzy_too_small_for_even_three_characters") };
	const struct drawn *f;
	struct drawn *d;
	size_t n;
	char *svg;

	add(wide, 1, 1000);
	add(narrow, 1, 10);
	add(tiny, 1, 2);
	svg = render(NULL, &(struct svg_options){ .width_px = 12000 });
	d = parse(svg, &n);
	/* 10 samples at 11980 / 1012 px per sample: 118.4 px, room for 15 glyphs: 13 characters and "..". */
	f = find(d, n, "a_rather_long_function_name_that_cannot_fit");
	cr_assert_not_null(f);
	cr_expect_str_eq(f->label, "a_rather_long..");
	cr_expect_leq(strlen(f->label) * 7.2, f->rw - 6);
	/* 2 samples: 23.7 px, room for 2 glyphs: no label at all. */
	f = find(d, n, "xyzzy_too_small_for_even_three_characters");
	cr_assert_not_null(f);
	cr_expect_str_eq(f->label, "");
	cr_expect_str_eq(find(d, n, "wide")->label, "wide");
	free(d);
	free(svg);
}

Test(writer_svg, title_and_subtitle_are_escaped)
{
	struct svg_options o = { .title = "CPU <main> & co", .subtitle = "12345 samples, 99 Hz, 30 s" };
	char *svg;

	small_tree();
	svg = render(NULL, &o);
	cr_expect_not_null(strstr(svg, "<title>CPU &lt;main&gt; &amp; co</title>"));
	cr_expect_not_null(strstr(svg, ">CPU &lt;main&gt; &amp; co</text>"));
	cr_expect_not_null(strstr(svg, ">12345 samples, 99 Hz, 30 s</text>"));
	free(svg);
}

Test(writer_svg, empty_profile_is_a_document_with_a_message_and_no_frames)
{
	char *svg = render(NULL, NULL);

	cr_expect_eq(count_of(svg, "<g data-x="), 0);
	cr_expect_not_null(strstr(svg, ">No samples</text>"));
	cr_expect(!strcmp(svg + strlen(svg) - 7, "</svg>\n"));
	free(svg);
}

/*
 * Found by tests/fuzz/reader_folded.c: a diff's frames are faded by their change relative to the largest change of a
 * drawn frame, but the root also carries the bases of frames too narrow to draw, so its change can be larger; the
 * fade went below 0 and became a colour component of billions (undefined in C).
 */
Test(writer_svg, diff_colours_stay_in_range_when_the_root_changed_more_than_any_drawn_frame)
{
	struct profile before;
	struct profile_view view;
	struct view_options none = { 0 };
	char *svg = NULL, name[16];
	size_t len = 0, n;
	FILE *f = open_memstream(&svg, &len);
	struct drawn *d;

	cr_assert_not_null(f);
	/* Before: eight stacks of 1. After: four of them, one twice (5 samples); the four gone are not drawn, yet their
	 * normalised bases (round(5/8) = 1 each) count in the root: root 5 vs 8, drawn frames +1 or 0. */
	profile__init(&before);
	for (int i = 0; i < 8; i++) {
		uint32_t id;

		snprintf(name, sizeof(name), "f%d", i);
		id = (uint32_t)profile__frame(&before, FRAME_NATIVE, name);
		cr_assert_eq(profile__add(&before, profile__process(&before, 1), 1, &id, 1, 1), 0);
		if (i < 4) {
			uint32_t mine = frame(FRAME_NATIVE, name);

			add(&mine, 1, i == 0 ? 2 : 1);
		}
	}
	cr_assert_eq(profile_view__diff(&view, &before, &prof, &none), 0);
	cr_assert_eq(svg__write(&view, NULL, f), 0);
	fclose(f);
	d = parse(svg, &n);
	cr_assert_eq(n, 5, "the root and f0-f3 are drawn: %zu", n);
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < 3; c++)
			cr_expect_leq(d[i].rgb[c], 255, "%s: rgb %u,%u,%u", d[i].title, d[i].rgb[0], d[i].rgb[1],
				      d[i].rgb[2]);
	free(d);
	free(svg);
	profile_view__free(&view);
	profile__free(&before);
}

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(writer_svg, hundred_thousand_stacks_draw_a_bounded_number_of_frames_quickly)
{
	struct view_options vo = { 0 };
	struct profile_view view;
	char name[64], *text = NULL;
	uint32_t fr[40];
	uint64_t seed = 1, total = 0;
	size_t len = 0, n;
	struct drawn *d;
	double t0;
	FILE *f;

	/* 100k distinct stacks of depth 8..39, fan-out 3 near the root and 12 below, skewed counts. */
	for (int i = 0; i < 100000; i++) {
		int depth;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		depth = 8 + (int)(seed >> 59);
		for (int j = 0; j < depth; j++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			snprintf(name, sizeof(name), "f%d_%d (m.py:%d)", j, (int)((seed >> 33) % (j < 3 ? 3 : 12)), j);
			fr[j] = frame(j < depth - 2 ? FRAME_PYTHON : FRAME_KERNEL, name);
		}
		fr[depth - 1] = frame(FRAME_NATIVE, "leaf");
		profile__add(&prof, profile__process(&prof, 1), 1, fr, (uint32_t)depth, 1 + (seed >> 40) % 20);
		total += 1 + (seed >> 40) % 20;
	}
	cr_assert_eq(profile_view__build(&view, &prof, &vo), 0);
	cr_assert_geq(view.nstacks, 99000);
	f = open_memstream(&text, &len);
	t0 = seconds();
	cr_assert_eq(svg__write(&view, NULL, f), 0);
	fclose(f);
	cr_log_info("svg__write: %zu stacks in %.3f s, %zu bytes", view.nstacks, seconds() - t0, len);
	cr_expect_lt(seconds() - t0, 5.0);
	profile_view__free(&view);
	d = parse(text, &n);
	cr_expect_leq(n, 30001);
	cr_expect_eq(d[0].n, total, "the root holds every sample, drawn or not");
	for (size_t i = 0; i < n; i++)
		cr_expect_geq(d[i].rw, 0.1, "%s: %f px", d[i].title, d[i].rw);
	free(d);
	free(text);
}

Test(writer_svg, over_the_frame_budget_the_narrowest_and_deepest_go_first)
{
	char name[32];
	uint32_t fr[10];
	size_t n;
	struct drawn *d;
	char *svg;
	double min_y = 1e9;

	/* 5000 equal chains of 10 frames: 50000 frames of 0.236 px, over the 30000 budget. */
	for (int i = 0; i < 5000; i++) {
		for (int j = 0; j < 10; j++) {
			snprintf(name, sizeof(name), "c%d_%d", i, j);
			fr[j] = frame(FRAME_NATIVE, name);
		}
		add(fr, 10, 1);
	}
	svg = render(NULL, NULL);
	d = parse(svg, &n);
	cr_expect_eq(n, 30001, "the budget, plus the root");
	/* Whole levels are kept from the root up: all, then 6 levels of 5000 (the root is at the bottom). */
	for (size_t i = 0; i < n; i++)
		if (d[i].ry < min_y)
			min_y = d[i].ry;
	cr_expect_float_eq(min_y, d[0].ry - 6 * 16, 1e-9);
	cr_expect_eq(count_of(svg, "<title>c4999_5 ("), 1);
	cr_expect_eq(count_of(svg, "<title>c0_6 ("), 0);
	cr_expect_eq(d[0].n, 5000);
	free(d);
	free(svg);
}
