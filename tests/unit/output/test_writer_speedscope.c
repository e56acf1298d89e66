/* Tests for writer_speedscope over hand-built profiles: document structure, weights, grouping by roots, escaping. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "profile_fixture.h"
#include "writer_speedscope.h"

TestSuite(writer_speedscope, .init = profile_fixture__setup, .fini = profile_fixture__teardown);

/* speedscope__write's whole output for the profile built so far. */
static char *render(const struct view_options *vo, const char *name, double seconds_per_sample)
{
	struct view_options none = { 0 };
	struct profile_view view;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(profile_view__build(&view, &prof, vo ? vo : &none), 0);
	cr_assert_eq(speedscope__write(&view, name, seconds_per_sample, f), 0);
	profile_view__free(&view);
	fclose(f);
	return text;
}

/* A strict JSON reader, enough to check the document's structure and to decode its strings back to bytes. */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct json {
	enum jtype type;
	double num;
	char *str;	     /* J_STR: decoded UTF-8 */
	size_t n;	     /* J_ARR, J_OBJ: members */
	struct json **items; /* J_ARR, J_OBJ */
	char **keys;	     /* J_OBJ */
};

struct reader {
	const char *p;
};

static void ws(struct reader *r)
{
	while (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r')
		r->p++;
}

static void put_utf8(char **buf, size_t *len, uint32_t cp)
{
	char *b = *buf + *len;

	if (cp < 0x80) {
		b[0] = (char)cp, *len += 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), *len += 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), *len += 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), *len += 4;
	}
}

static char *read_string(struct reader *r)
{
	const char *start = ++r->p;
	char *out;
	size_t len = 0;

	while (*r->p != '"') {
		cr_assert(*r->p, "unterminated string at %.40s", start);
		cr_assert_geq((unsigned char)*r->p, 0x20, "raw control character in a string: %.40s", start);
		r->p += *r->p == '\\' ? 2 : 1;
	}
	out = malloc((size_t)(r->p - start) * 2 + 1);
	cr_assert_not_null(out);
	for (const char *p = start; p < r->p; p++) {
		unsigned cp;

		if (*p != '\\') {
			out[len++] = *p;
			continue;
		}
		switch (*++p) {
		case '"':
		case '\\':
		case '/': out[len++] = *p; break;
		case 'n': out[len++] = '\n'; break;
		case 't': out[len++] = '\t'; break;
		case 'r': out[len++] = '\r'; break;
		case 'b': out[len++] = '\b'; break;
		case 'f': out[len++] = '\f'; break;
		case 'u':
			cr_assert_eq(sscanf(p + 1, "%4x", &cp), 1, "bad \\u escape: %.10s", p);
			cr_assert(cp < 0xd800 || cp > 0xdfff, "surrogate escapes are not expected");
			put_utf8(&out, &len, cp);
			p += 4;
			break;
		default: cr_assert_fail("bad escape \\%c", *p);
		}
	}
	out[len] = '\0';
	r->p++;
	return out;
}

static struct json *read_value(struct reader *r)
{
	struct json *j = calloc(1, sizeof(*j));
	size_t cap = 0;

	cr_assert_not_null(j);
	ws(r);
	if (*r->p == '{' || *r->p == '[') {
		char close = *r->p == '{' ? '}' : ']';

		j->type = close == '}' ? J_OBJ : J_ARR;
		r->p++;
		ws(r);
		while (*r->p != close) {
			if (j->n) {
				cr_assert_eq(*r->p, ',', "expected , at %.40s", r->p);
				r->p++;
				ws(r);
			}
			if (j->n == cap) {
				cap = cap ? cap * 2 : 8;
				j->items = realloc(j->items, cap * sizeof(*j->items));
				j->keys = realloc(j->keys, cap * sizeof(*j->keys));
			}
			j->keys[j->n] = NULL;
			if (j->type == J_OBJ) {
				cr_assert_eq(*r->p, '"', "expected a key at %.40s", r->p);
				j->keys[j->n] = read_string(r);
				ws(r);
				cr_assert_eq(*r->p, ':', "expected : at %.40s", r->p);
				r->p++;
			}
			j->items[j->n++] = read_value(r);
			ws(r);
		}
		r->p++;
	} else if (*r->p == '"') {
		j->type = J_STR;
		j->str = read_string(r);
	} else if (!strncmp(r->p, "null", 4)) {
		r->p += 4;
	} else if (!strncmp(r->p, "true", 4) || !strncmp(r->p, "false", 5)) {
		j->type = J_BOOL;
		j->num = *r->p == 't';
		r->p += *r->p == 't' ? 4 : 5;
	} else {
		char *end;

		cr_assert(*r->p == '-' || (*r->p >= '0' && *r->p <= '9'), "bad value at %.40s", r->p);
		j->type = J_NUM;
		j->num = strtod(r->p, &end);
		r->p = end;
	}
	return j;
}

static struct json *parse(const char *text)
{
	struct reader r = { text };
	struct json *j = read_value(&r);

	ws(&r);
	cr_assert_eq(*r.p, '\0', "trailing text: %.40s", r.p);
	return j;
}

static void json_free(struct json *j)
{
	for (size_t i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	free(j);
}

/* Member key of object j, or NULL. */
static const struct json *get(const struct json *j, const char *key)
{
	cr_assert_eq(j->type, J_OBJ);
	for (size_t i = 0; i < j->n; i++)
		if (!strcmp(j->keys[i], key))
			return j->items[i];
	return NULL;
}

static const struct json *need(const struct json *j, const char *key, enum jtype type)
{
	const struct json *m = get(j, key);

	cr_assert_not_null(m, "no member %s", key);
	cr_assert_eq(m->type, type, "member %s has type %d", key, m->type);
	return m;
}

static const char *str_of(const struct json *j, const char *key)
{
	return need(j, key, J_STR)->str;
}

static double num_of(const struct json *j, const char *key)
{
	return need(j, key, J_NUM)->num;
}

/* Index of the shared frame with this name, or -1. */
static int frame_index(const struct json *doc, const char *name)
{
	const struct json *frames = need(need(doc, "shared", J_OBJ), "frames", J_ARR);

	for (size_t i = 0; i < frames->n; i++)
		if (!strcmp(str_of(frames->items[i], "name"), name))
			return (int)i;
	return -1;
}

/* The profile with this name, or NULL. */
static const struct json *profile_named(const struct json *doc, const char *name)
{
	const struct json *profiles = need(doc, "profiles", J_ARR);

	for (size_t i = 0; i < profiles->n; i++)
		if (!strcmp(str_of(profiles->items[i], "name"), name))
			return profiles->items[i];
	return NULL;
}

/* The sample's frames as names joined by ';' (root first). */
static void sample_path(const struct json *doc, const struct json *sample, char *buf, size_t size)
{
	const struct json *frames = need(need(doc, "shared", J_OBJ), "frames", J_ARR);
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sample->n; i++) {
		size_t k = (size_t)sample->items[i]->num;

		cr_assert_lt(k, frames->n);
		at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ";" : "", str_of(frames->items[k], "name"));
		cr_assert_lt(at, size);
	}
}

/* The weight of the sample whose path is path in profile p, or -1 when none has it. */
static double weight_of(const struct json *doc, const struct json *p, const char *path)
{
	const struct json *samples = need(p, "samples", J_ARR), *weights = need(p, "weights", J_ARR);
	char buf[1024];

	cr_assert_eq(samples->n, weights->n);
	for (size_t i = 0; i < samples->n; i++) {
		sample_path(doc, samples->items[i], buf, sizeof(buf));
		if (!strcmp(buf, path))
			return weights->items[i]->num;
	}
	return -1;
}

/* Checks what every profile must satisfy: its fields, frame indexes in range, endValue = sum of weights. */
static void check_profiles(const struct json *doc)
{
	const struct json *profiles = need(doc, "profiles", J_ARR);
	size_t nframes = need(need(doc, "shared", J_OBJ), "frames", J_ARR)->n;

	cr_assert_geq(profiles->n, 1);
	for (size_t i = 0; i < profiles->n; i++) {
		const struct json *p = profiles->items[i];
		const struct json *samples = need(p, "samples", J_ARR), *weights = need(p, "weights", J_ARR);
		double sum = 0;

		cr_expect_str_eq(str_of(p, "type"), "sampled");
		need(p, "name", J_STR);
		need(p, "unit", J_STR);
		cr_expect_eq(num_of(p, "startValue"), 0);
		cr_assert_eq(samples->n, weights->n);
		for (size_t k = 0; k < samples->n; k++) {
			cr_assert_eq(samples->items[k]->type, J_ARR);
			for (size_t f = 0; f < samples->items[k]->n; f++)
				cr_expect_lt(samples->items[k]->items[f]->num, nframes);
			cr_assert_eq(weights->items[k]->type, J_NUM);
			sum += weights->items[k]->num;
		}
		cr_expect_float_eq(num_of(p, "endValue"), sum, 1e-9 * (sum + 1), "%s: endValue %f, weights sum to %f",
				   str_of(p, "name"), num_of(p, "endValue"), sum);
	}
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

Test(writer_speedscope, document_has_the_schema_shared_frames_and_one_sampled_profile)
{
	char *text;
	struct json *doc;
	const struct json *p;

	small_tree();
	text = render(NULL, "my run", 0);
	doc = parse(text);
	cr_expect_str_eq(str_of(doc, "$schema"), "https://www.speedscope.app/file-format-schema.json");
	cr_expect_str_eq(str_of(doc, "name"), "my run");
	cr_expect_eq(num_of(doc, "activeProfileIndex"), 0);
	cr_expect_eq(need(need(doc, "shared", J_OBJ), "frames", J_ARR)->n, 4);
	cr_assert_eq(need(doc, "profiles", J_ARR)->n, 1);
	check_profiles(doc);
	p = need(doc, "profiles", J_ARR)->items[0];
	cr_expect_str_eq(str_of(p, "name"), "my run");
	cr_expect_str_eq(str_of(p, "unit"), "none");
	cr_expect_eq(num_of(p, "endValue"), 100);
	cr_expect_eq(need(p, "samples", J_ARR)->n, 3);
	cr_expect_eq(weight_of(doc, p, "main (app.py:1);work;sys_read_[k]"), 30);
	cr_expect_eq(weight_of(doc, p, "main (app.py:1);work"), 10);
	cr_expect_eq(weight_of(doc, p, "main (app.py:1);idle (app.py:9)"), 60);
	cr_expect_eq(text[strlen(text) - 1], '\n');
	json_free(doc);
	free(text);
}

Test(writer_speedscope, weights_are_seconds_when_the_sample_period_is_known)
{
	char *text;
	struct json *doc;
	const struct json *p;

	small_tree();
	text = render(NULL, NULL, 1.0 / 99);
	doc = parse(text);
	check_profiles(doc);
	p = need(doc, "profiles", J_ARR)->items[0];
	cr_expect_str_eq(str_of(p, "name"), "pyflame-bpf", "NULL name: the default");
	cr_expect_str_eq(str_of(p, "unit"), "seconds");
	cr_expect_float_eq(num_of(p, "endValue"), 100.0 / 99, 1e-10);
	cr_expect_float_eq(weight_of(doc, p, "main (app.py:1);idle (app.py:9)"), 60.0 / 99, 1e-10);
	cr_expect_float_eq(weight_of(doc, p, "main (app.py:1);work"), 10.0 / 99, 1e-10);
	json_free(doc);
	free(text);
}

Test(writer_speedscope, python_frames_carry_file_and_line_and_other_kinds_do_not)
{
	uint32_t a[] = { frame(FRAME_PYTHON, "Order.total (shop/models.py:203)"),
			 frame(FRAME_PYTHON, "<module> (my (odd) dir/x.py:7)"),
			 frame(FRAME_PYTHON, "no_line (lib.py)"),
			 frame(FRAME_PYTHON, "[unreadable Python code]"),
			 frame(FRAME_NATIVE, "f (not python:3)"),
			 frame(FRAME_KERNEL, "do_syscall_64"),
			 frame(FRAME_MARKER, "[truncated]") };
	const struct json *frames, *f;
	struct json *doc;
	char *text;

	add(a, 7, 1);
	text = render(NULL, NULL, 0);
	doc = parse(text);
	frames = need(need(doc, "shared", J_OBJ), "frames", J_ARR);
	cr_assert_eq(frames->n, 7);
	f = frames->items[frame_index(doc, "Order.total (shop/models.py:203)")];
	cr_expect_str_eq(str_of(f, "file"), "shop/models.py");
	cr_expect_eq(num_of(f, "line"), 203);
	f = frames->items[frame_index(doc, "<module> (my (odd) dir/x.py:7)")];
	cr_expect_str_eq(str_of(f, "file"), "my (odd) dir/x.py");
	cr_expect_eq(num_of(f, "line"), 7);
	f = frames->items[frame_index(doc, "no_line (lib.py)")];
	cr_expect_str_eq(str_of(f, "file"), "lib.py");
	cr_expect_null(get(f, "line"));
	for (size_t i = 0; i < frames->n; i++) {
		const char *name = str_of(frames->items[i], "name");

		if (strcmp(name, "Order.total (shop/models.py:203)") &&
		    strcmp(name, "<module> (my (odd) dir/x.py:7)") && strcmp(name, "no_line (lib.py)")) {
			cr_expect_null(get(frames->items[i], "file"), "%s has a file", name);
			cr_expect_null(get(frames->items[i], "line"), "%s has a line", name);
		}
	}
	cr_expect_geq(frame_index(doc, "do_syscall_64_[k]"), 0, "kernel frames get flamegraph.pl's suffix");
	cr_expect_eq(frame_index(doc, "do_syscall_64"), -1);
	cr_expect_geq(frame_index(doc, "[truncated]"), 0);
	json_free(doc);
	free(text);
}

Test(writer_speedscope, quotes_backslashes_and_control_characters_are_escaped)
{
	uint32_t a[] = { frame(FRAME_NATIVE, "say \"hi\" \\o/"), frame(FRAME_NATIVE, "ctl\x01\x1f\n\t\x7f end"),
			 frame(FRAME_PYTHON, "q\"uote (dir\\\"x.py:5)") };
	const struct json *f;
	struct json *doc;
	char *text;

	add(a, 3, 2);
	text = render(NULL, "title \"with\" \\ and \x02", 0);
	cr_expect_not_null(strstr(text, "\"say \\\"hi\\\" \\\\o/\""), "%s", text);
	cr_expect_not_null(strstr(text, "\"ctl\\u0001\\u001f\\u000a\\u0009\\u007f end\""), "%s", text);
	for (const char *p = text; *p; p++)
		cr_expect((unsigned char)*p >= 0x20 || *p == '\n', "raw control byte 0x%02x in the output", *p);
	doc = parse(text);
	cr_expect_str_eq(str_of(doc, "name"), "title \"with\" \\ and \x02");
	cr_expect_geq(frame_index(doc, "say \"hi\" \\o/"), 0);
	cr_expect_geq(frame_index(doc, "ctl\x01\x1f\n\t\x7f end"), 0, "escapes decode back to the same bytes");
	f = need(need(doc, "shared", J_OBJ), "frames", J_ARR)->items[frame_index(doc, "q\"uote (dir\\\"x.py:5)")];
	cr_expect_str_eq(str_of(f, "file"), "dir\\\"x.py");
	cr_expect_eq(num_of(f, "line"), 5);
	json_free(doc);
	free(text);
}

Test(writer_speedscope, invalid_utf8_becomes_replacement_characters_and_valid_utf8_is_kept)
{
	uint32_t a[] = { frame(FRAME_NATIVE, "bad\xff\xc0\x80z"),
			 frame(FRAME_NATIVE, "surrogate\xed\xa0\x80 cut\xe2\x98"),
			 frame(FRAME_NATIVE, "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9d\x84\x9e \xef\xbf\xbd"),
			 frame(FRAME_PYTHON, "f (caf\xc3\xa9\xff.py:3)"), frame(FRAME_NATIVE, "over\xf4\x90\x80\x80") };
	const struct json *f;
	struct json *doc;
	char *text;

	add(a, 5, 1);
	text = render(NULL, "n\xfe", 0);
	cr_expect_null(strstr(text, "\xff"));
	cr_expect_null(strstr(text, "\xfe"));
	cr_expect_null(strstr(text, "\xc0"));
	cr_expect_null(strstr(text, "\xed\xa0"));
	doc = parse(text);
	cr_expect_str_eq(str_of(doc, "name"), "n\xef\xbf\xbd");
	cr_expect_geq(frame_index(doc, "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz"), 0, "%s", text);
	cr_expect_geq(frame_index(doc, "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd cut\xef\xbf\xbd\xef\xbf\xbd"), 0,
		      "%s", text);
	cr_expect_geq(frame_index(doc, "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9d\x84\x9e \xef\xbf\xbd"), 0, "%s", text);
	cr_expect_geq(frame_index(doc, "over\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"), 0, "above U+10FFFF");
	f = need(need(doc, "shared", J_OBJ), "frames", J_ARR)
		->items[frame_index(doc, "f (caf\xc3\xa9\xef\xbf\xbd.py:3)")];
	cr_expect_str_eq(str_of(f, "file"), "caf\xc3\xa9\xef\xbf\xbd.py");
	json_free(doc);
	free(text);
}

/* Two processes, the second with two threads; --per-process and --threads roots. */
static void two_processes(void)
{
	uint32_t a[] = { frame(FRAME_PYTHON, "main (a.py:1)"), frame(FRAME_PYTHON, "spin (a.py:5)") };
	uint32_t b[] = { frame(FRAME_NATIVE, "main"), frame(FRAME_NATIVE, "worker") };
	uint32_t c[] = { b[0], frame(FRAME_KERNEL, "schedule") };

	name_process(100, "python3");
	name_process(200, "server");
	name_thread(100, 100, "python3");
	name_thread(200, 200, "server");
	name_thread(201, 200, "worker \"1\"");
	add_in(100, 100, a, 2, 7);
	add_in(200, 200, c, 2, 3);
	add_in(200, 201, b, 2, 11);
	add_in(200, 201, c, 2, 2);
}

Test(writer_speedscope, stacks_are_grouped_into_one_profile_per_process_root)
{
	struct view_options vo = { .per_process = 1 };
	const struct json *py, *srv;
	struct json *doc;
	char *text;

	two_processes();
	text = render(&vo, "ignored", 0);
	doc = parse(text);
	check_profiles(doc);
	cr_assert_eq(need(doc, "profiles", J_ARR)->n, 2);
	py = profile_named(doc, "python3 (100)");
	srv = profile_named(doc, "server (200)");
	cr_assert(py && srv, "profiles by process:\n%s", text);
	cr_expect_eq(num_of(py, "endValue"), 7);
	cr_expect_eq(num_of(srv, "endValue"), 16);
	cr_expect_eq(weight_of(doc, py, "main (a.py:1);spin (a.py:5)"), 7);
	cr_expect_eq(weight_of(doc, srv, "main;schedule_[k]"), 5, "both threads' samples of one stack merge");
	cr_expect_eq(weight_of(doc, srv, "main;worker"), 11);
	cr_expect_eq(need(srv, "samples", J_ARR)->n, 2);
	cr_expect_eq(frame_index(doc, "python3 (100)"), -1, "root frames are profiles, not frames");
	cr_expect_eq(frame_index(doc, "server (200)"), -1);
	json_free(doc);
	free(text);
}

Test(writer_speedscope, with_threads_each_thread_is_a_profile_named_after_process_and_thread)
{
	struct view_options vo = { .per_process = 1, .threads = 1 };
	const struct json *main_t, *worker;
	struct json *doc;
	char *text;

	two_processes();
	text = render(&vo, NULL, 0.5);
	doc = parse(text);
	check_profiles(doc);
	cr_assert_eq(need(doc, "profiles", J_ARR)->n, 3);
	cr_assert_not_null(profile_named(doc, "python3 (100) / thread python3 (100)"), "%s", text);
	main_t = profile_named(doc, "server (200) / thread server (200)");
	worker = profile_named(doc, "server (200) / thread worker \"1\" (201)");
	cr_assert(main_t && worker, "%s", text);
	cr_expect_str_eq(str_of(worker, "unit"), "seconds");
	cr_expect_float_eq(num_of(worker, "endValue"), 6.5, 1e-12);
	cr_expect_float_eq(weight_of(doc, worker, "main;worker"), 5.5, 1e-12);
	cr_expect_float_eq(weight_of(doc, worker, "main;schedule_[k]"), 1, 1e-12);
	cr_expect_float_eq(weight_of(doc, main_t, "main;schedule_[k]"), 1.5, 1e-12);
	cr_expect_eq(weight_of(doc, main_t, "main;worker"), -1, "not the worker's stack");
	for (size_t i = 0; i < need(need(doc, "shared", J_OBJ), "frames", J_ARR)->n; i++)
		cr_expect_null(
		    strstr(str_of(need(need(doc, "shared", J_OBJ), "frames", J_ARR)->items[i], "name"), "thread "));
	json_free(doc);
	free(text);
}

Test(writer_speedscope, roots_read_back_from_a_folded_file_group_the_same_way)
{
	uint32_t a[] = { frame(FRAME_ROOT, "python3 (4242)"), frame(FRAME_PYTHON, "main (a.py:1)") };
	uint32_t b[] = { frame(FRAME_ROOT, "chain (4243)"), frame(FRAME_NATIVE, "spin") };
	uint32_t c[] = { a[0], frame(FRAME_PYTHON, "other (a.py:9)") };
	struct json *doc;
	char *text;

	add(a, 2, 4);
	add(b, 2, 9);
	add(c, 2, 1);
	text = render(NULL, NULL, 0);
	doc = parse(text);
	check_profiles(doc);
	cr_assert_eq(need(doc, "profiles", J_ARR)->n, 2);
	cr_expect_eq(num_of(profile_named(doc, "python3 (4242)"), "endValue"), 5);
	cr_expect_eq(num_of(profile_named(doc, "chain (4243)"), "endValue"), 9);
	cr_expect_eq(weight_of(doc, profile_named(doc, "chain (4243)"), "spin"), 9);
	json_free(doc);
	free(text);
}

Test(writer_speedscope, empty_profile_is_a_valid_document_with_one_empty_profile)
{
	struct json *doc;
	const struct json *p;
	char *text = render(NULL, "empty", 0.01);

	doc = parse(text);
	check_profiles(doc);
	cr_assert_eq(need(doc, "profiles", J_ARR)->n, 1);
	p = need(doc, "profiles", J_ARR)->items[0];
	cr_expect_str_eq(str_of(p, "name"), "empty");
	cr_expect_eq(need(p, "samples", J_ARR)->n, 0);
	cr_expect_eq(num_of(p, "endValue"), 0);
	cr_expect_eq(need(need(doc, "shared", J_OBJ), "frames", J_ARR)->n, 0);
	json_free(doc);
	free(text);
}

Test(writer_speedscope, a_failed_write_is_reported)
{
	struct view_options none = { 0 };
	struct profile_view view;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		cr_skip_test("no /dev/full");
	small_tree();
	setvbuf(f, NULL, _IONBF, 0);
	cr_assert_eq(profile_view__build(&view, &prof, &none), 0);
	cr_expect_eq(speedscope__write(&view, NULL, 0, f), -EIO);
	profile_view__free(&view);
	fclose(f);
}

/* The events of the evented profile p as "O name@at" / "C name@at" words. */
static void events_text(const struct json *doc, const struct json *p, char *buf, size_t size)
{
	const struct json *frames = need(need(doc, "shared", J_OBJ), "frames", J_ARR), *ev = need(p, "events", J_ARR);
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ev->n; i++) {
		const struct json *e = ev->items[i];
		const struct json *f = frames->items[(size_t)num_of(e, "frame")];

		at += snprintf(buf + at, size - at, "%s%s %s@%.0f", i ? " " : "", str_of(e, "type"), str_of(f, "name"),
			       num_of(e, "at"));
		cr_assert_lt(at, size);
	}
}

static void add_timed(uint32_t tid, const uint32_t *frames, uint32_t n, uint64_t start, uint64_t len)
{
	cr_assert_eq(profile__add_timed(&prof, profile__process(&prof, 1), tid, frames, n, 1, start, len), 0);
}

Test(writer_speedscope, a_timeline_is_one_evented_profile_per_thread_with_frames_opened_and_closed_in_order)
{
	uint32_t ab[] = { frame(FRAME_NATIVE, "a"), frame(FRAME_NATIVE, "b") },
		 ac[] = { ab[0], frame(FRAME_NATIVE, "c") };
	char buf[512], *text;
	struct json *doc;
	const struct json *profiles, *p;

	prof.timeline.keep = 1;
	name_process(1, "app");
	name_thread(1, 1, "main");
	name_thread(2, 1, "worker");
	/* Thread 1: a;c after a;b, 1 ns late (jitter: it follows on, ending at its own end), then a gap, a;b again.
	 * Added out of order, as an interval's record comes at its end. */
	add_timed(1, ac, 2, 1000 + 11, 10);
	add_timed(1, ab, 2, 1000, 10);
	add_timed(1, ab, 2, 1000 + 100, 10);
	add_timed(2, ab, 2, 1000 + 5, 10);
	text = render(NULL, "t", 0);
	doc = parse(text);
	profiles = need(doc, "profiles", J_ARR);
	cr_assert_eq(profiles->n, 2);
	p = profile_named(doc, "app (1) / thread main (1)");
	cr_assert_str_eq(str_of(p, "type"), "evented");
	cr_expect_str_eq(str_of(p, "unit"), "nanoseconds");
	cr_expect_eq(num_of(p, "startValue"), 0);
	cr_expect_eq(num_of(p, "endValue"), 110);
	events_text(doc, p, buf, sizeof(buf));
	cr_expect_str_eq(buf, "O a@0 O b@0 C b@10 O c@10 C c@21 C a@21 O a@100 O b@100 C b@110 C a@110");
	p = profile_named(doc, "app (1) / thread worker (2)");
	events_text(doc, p, buf, sizeof(buf));
	cr_expect_str_eq(buf, "O a@5 O b@5 C b@15 C a@15");
	json_free(doc);
	free(text);
}
