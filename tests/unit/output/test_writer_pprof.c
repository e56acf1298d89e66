/* Tests for protobuf_encoder (wire bytes of the protobuf encoding guide's examples) and writer_pprof (its output
 * gunzipped and decoded here: string table, sample types, counts, leaf-first locations, functions). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.h"
#include "profile_fixture.h"
#include "protobuf_encoder.h"
#include "utf8.h"
#include "writer_pprof.h"

/* ---- encoder ---- */

static struct pb_buf buf;

static void enc_setup(void)
{
	pb_buf__init(&buf);
}

static void enc_teardown(void)
{
	pb_buf__free(&buf);
}

TestSuite(protobuf_encoder, .init = enc_setup, .fini = enc_teardown);

static void expect_bytes(const struct pb_buf *b, const uint8_t *want, size_t n)
{
	cr_assert_eq(b->err, 0);
	cr_assert_eq(b->len, n, "encoded %zu bytes, wanted %zu", b->len, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(b->data[i], want[i], "byte %zu: 0x%02x, wanted 0x%02x", i, b->data[i], want[i]);
}

#define EXPECT(b, ...)                                                                                                 \
	do {                                                                                                           \
		const uint8_t want_[] = { __VA_ARGS__ };                                                               \
		expect_bytes((b), want_, sizeof(want_));                                                               \
	} while (0)

Test(protobuf_encoder, varints_are_seven_bits_per_byte_low_group_first)
{
	static const struct {
		uint64_t v;
		uint8_t bytes[10];
		size_t n;
	} cases[] = {
		{ 0, { 0x00 }, 1 },
		{ 1, { 0x01 }, 1 },
		{ 127, { 0x7f }, 1 },
		{ 128, { 0x80, 0x01 }, 2 },
		{ 150, { 0x96, 0x01 }, 2 },
		{ 300, { 0xac, 0x02 }, 2 },
		{ 16384, { 0x80, 0x80, 0x01 }, 3 },
		{ 0xffffffffULL, { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5 },
		{ UINT64_MAX, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 10 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pb_buf__reset(&buf);
		cr_assert_eq(pb_buf__put_varint(&buf, cases[i].v), 0);
		expect_bytes(&buf, cases[i].bytes, cases[i].n);
		cr_expect_eq(pb__varint_size(cases[i].v), cases[i].n, "size of %llu", (unsigned long long)cases[i].v);
	}
}

Test(protobuf_encoder, a_varint_field_is_its_key_then_its_value)
{
	pb_buf__put_uint(&buf, 1, 150);
	EXPECT(&buf, 0x08, 0x96, 0x01);
	pb_buf__reset(&buf);
	/* Field 16 needs a two-byte key. */
	pb_buf__put_uint(&buf, 16, 1);
	EXPECT(&buf, 0x80, 0x01, 0x01);
	pb_buf__reset(&buf);
	/* A negative int64 is its 64-bit two's complement: ten bytes. */
	pb_buf__put_int(&buf, 1, -1);
	EXPECT(&buf, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
}

Test(protobuf_encoder, strings_and_bytes_are_length_delimited)
{
	pb_buf__put_bytes(&buf, 2, "testing", strlen("testing"));
	EXPECT(&buf, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g');
	pb_buf__reset(&buf);
	pb_buf__put_bytes(&buf, 6, "", 0);
	EXPECT(&buf, 0x32, 0x00);
	pb_buf__reset(&buf);
	pb_buf__put_bytes(&buf, 1, "\0\1", 2);
	EXPECT(&buf, 0x0a, 0x02, 0x00, 0x01);
}

Test(protobuf_encoder, a_long_string_gets_a_multi_byte_length)
{
	char s[300];

	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	pb_buf__put_bytes(&buf, 1, s, strlen(s));
	cr_assert_eq(buf.len, 1 + 2 + 299);
	cr_expect_eq(buf.data[0], 0x0a);
	cr_expect_eq(buf.data[1], 0xab); /* 299 = 0b10_0101011 */
	cr_expect_eq(buf.data[2], 0x02);
	cr_expect_eq(buf.data[3], 'x');
	cr_expect_eq(buf.data[buf.len - 1], 'x');
}

Test(protobuf_encoder, an_embedded_message_is_length_delimited_bytes)
{
	struct pb_buf inner;

	pb_buf__init(&inner);
	pb_buf__put_uint(&inner, 1, 150);
	pb_buf__put_message(&buf, 3, &inner);
	EXPECT(&buf, 0x1a, 0x03, 0x08, 0x96, 0x01);
	pb_buf__free(&inner);
}

Test(protobuf_encoder, packed_varints_are_one_length_delimited_field_and_empty_lists_are_omitted)
{
	uint64_t v[] = { 3, 270, 86942 };

	pb_buf__put_packed(&buf, 4, v, 3);
	EXPECT(&buf, 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05);
	pb_buf__reset(&buf);
	cr_assert_eq(pb_buf__put_packed(&buf, 4, v, 0), 0);
	cr_expect_eq(buf.len, 0);
}

Test(protobuf_encoder, the_buffer_grows_past_its_first_allocation_and_reset_keeps_it)
{
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(pb_buf__put_uint(&buf, 1, (uint64_t)i), 0);
	cr_assert_geq(buf.len, 10000 * 2);
	cr_expect_eq(buf.data[0], 0x08);
	cr_expect_eq(buf.data[1], 0x00);
	pb_buf__reset(&buf);
	cr_expect_eq(buf.len, 0);
	cr_expect_neq(buf.data, NULL);
}

/* ---- writer ---- */

TestSuite(writer_pprof, .init = profile_fixture__setup, .fini = profile_fixture__teardown);

/* pprof__write's output for the profile built so far, gunzipped; *len gets its size. */
static uint8_t *render(double nanos_per_sample, size_t *len)
{
	struct view_options none = { 0 };
	struct profile_view view;
	char *gz = NULL;
	size_t gz_len = 0, cap = 1 << 16;
	uint8_t *pb = malloc(cap);
	FILE *f = open_memstream(&gz, &gz_len);
	z_stream zs;
	int rc;

	cr_assert(f && pb);
	cr_assert_eq(profile_view__build(&view, &prof, &none), 0);
	cr_assert_eq(pprof__write(&view, nanos_per_sample, f), 0);
	profile_view__free(&view);
	fclose(f);
	cr_assert_geq(gz_len, 18);
	cr_assert(gz[0] == '\x1f' && gz[1] == '\x8b', "no gzip magic");
	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(inflateInit2(&zs, 16 + 15), Z_OK); /* gzip only: a zlib or raw stream is an error */
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)gz_len;
	zs.next_out = pb;
	zs.avail_out = (uInt)cap;
	rc = inflate(&zs, Z_FINISH);
	cr_assert_eq(rc, Z_STREAM_END, "inflate: %d", rc);
	cr_assert_eq(zs.avail_in, 0, "bytes after the gzip member");
	*len = zs.total_out;
	inflateEnd(&zs);
	free(gz);
	return pb;
}

/* A tiny protobuf reader: one field at a time. */
struct field {
	uint32_t num;
	int wire;
	uint64_t v;	     /* varint fields */
	const uint8_t *data; /* length-delimited fields */
	size_t len;
};

static uint64_t read_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		cr_assert_lt(*p, end, "varint runs past the end");
		v |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			return v;
	}
	cr_assert_fail("varint longer than 10 bytes");
	return 0;
}

static int next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key;

	if (*p >= end)
		return 0;
	key = read_varint(p, end);
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	cr_assert(f->wire == 0 || f->wire == 2, "field %u: wire type %d", f->num, f->wire);
	if (f->wire == 0) {
		f->v = read_varint(p, end);
	} else {
		f->len = read_varint(p, end);
		cr_assert_leq(f->len, (size_t)(end - *p), "field %u: length past the end", f->num);
		f->data = *p;
		*p += f->len;
	}
	return 1;
}

#define MAXN 64

struct decoded {
	char *strings[MAXN];
	size_t nstrings;
	uint64_t sample_type[2][2];
	size_t nsample_types;
	struct {
		uint64_t loc[MAXN], nloc, value[4], nvalue;
	} samples[MAXN];
	size_t nsamples;
	struct {
		uint64_t id, mapping_id, function_id, line, nlines;
	} locations[MAXN];
	size_t nlocations;
	struct {
		uint64_t id, name, system_name, filename, start_line;
	} functions[MAXN];
	size_t nfunctions;
	uint64_t period_type[2], period;
	uint64_t time_nanos, duration_nanos;
	size_t nmappings;
	uint64_t mapping_id, mapping_filename, mapping_flags; /* flags: bit per has_functions/filenames/line_numbers */
};

static void read_packed(const struct field *f, uint64_t *out, uint64_t *n)
{
	const uint8_t *p = f->data, *end = f->data + f->len;

	cr_assert_eq(f->wire, 2, "field %u not packed", f->num);
	while (p < end) {
		cr_assert_lt(*n, MAXN);
		out[(*n)++] = read_varint(&p, end);
	}
}

static void decode_value_type(const struct field *outer, uint64_t vt[2])
{
	const uint8_t *p = outer->data, *end = p + outer->len;
	struct field f;

	vt[0] = vt[1] = 0;
	while (next_field(&p, end, &f))
		if (f.num == 1 || f.num == 2)
			vt[f.num - 1] = f.v;
}

static void decode(const uint8_t *pb, size_t len, struct decoded *d)
{
	const uint8_t *p = pb, *end = pb + len;
	struct field f, g, h;

	memset(d, 0, sizeof(*d));
	while (next_field(&p, end, &f)) {
		const uint8_t *q = f.data, *qend = f.data + f.len;

		switch (f.num) {
		case 1: /* sample_type */
			cr_assert_lt(d->nsample_types, 2);
			decode_value_type(&f, d->sample_type[d->nsample_types++]);
			break;
		case 2: /* sample */
			cr_assert_lt(d->nsamples, MAXN);
			while (next_field(&q, qend, &g)) {
				if (g.num == 1)
					read_packed(&g, d->samples[d->nsamples].loc, &d->samples[d->nsamples].nloc);
				else if (g.num == 2)
					read_packed(&g, d->samples[d->nsamples].value, &d->samples[d->nsamples].nvalue);
			}
			d->nsamples++;
			break;
		case 4: /* location */
			cr_assert_lt(d->nlocations, MAXN);
			while (next_field(&q, qend, &g)) {
				if (g.num == 1) {
					d->locations[d->nlocations].id = g.v;
				} else if (g.num == 2) {
					d->locations[d->nlocations].mapping_id = g.v;
				} else if (g.num == 4) {
					const uint8_t *r = g.data, *rend = g.data + g.len;

					d->locations[d->nlocations].nlines++;
					while (next_field(&r, rend, &h)) {
						if (h.num == 1)
							d->locations[d->nlocations].function_id = h.v;
						else if (h.num == 2)
							d->locations[d->nlocations].line = h.v;
					}
				}
			}
			d->nlocations++;
			break;
		case 5: /* function */
			cr_assert_lt(d->nfunctions, MAXN);
			while (next_field(&q, qend, &g)) {
				uint64_t *fld[] = { NULL,
						    &d->functions[d->nfunctions].id,
						    &d->functions[d->nfunctions].name,
						    &d->functions[d->nfunctions].system_name,
						    &d->functions[d->nfunctions].filename,
						    &d->functions[d->nfunctions].start_line };

				if (g.num >= 1 && g.num <= 5)
					*fld[g.num] = g.v;
			}
			d->nfunctions++;
			break;
		case 6: /* string_table */
			cr_assert_lt(d->nstrings, MAXN);
			d->strings[d->nstrings] = strndup((const char *)f.data, f.len);
			d->nstrings++;
			break;
		case 3: /* mapping */
			d->nmappings++;
			while (next_field(&q, qend, &g)) {
				if (g.num == 1)
					d->mapping_id = g.v;
				else if (g.num == 5)
					d->mapping_filename = g.v;
				else if (g.num >= 7 && g.num <= 9 && g.v)
					d->mapping_flags |= 1u << (g.num - 7);
			}
			break;
		case 9: d->time_nanos = f.v; break;
		case 10: d->duration_nanos = f.v; break;
		case 11: decode_value_type(&f, d->period_type); break;
		case 12: d->period = f.v; break;
		default: cr_assert_fail("unexpected Profile field %u", f.num);
		}
	}
}

static void decoded_free(struct decoded *d)
{
	for (size_t i = 0; i < d->nstrings; i++)
		free(d->strings[i]);
}

static const char *str(const struct decoded *d, uint64_t i)
{
	cr_assert_lt(i, d->nstrings, "string index %llu of %zu", (unsigned long long)i, d->nstrings);
	return d->strings[i];
}

/* The function of location id (1-based ids, checked to be unique and in the profile). */
static size_t location_index(const struct decoded *d, uint64_t id)
{
	size_t found = SIZE_MAX;

	for (size_t i = 0; i < d->nlocations; i++)
		if (d->locations[i].id == id) {
			cr_assert_eq(found, SIZE_MAX, "location id %llu twice", (unsigned long long)id);
			found = i;
		}
	cr_assert_neq(found, SIZE_MAX, "no location %llu", (unsigned long long)id);
	return found;
}

static size_t function_index(const struct decoded *d, uint64_t id)
{
	for (size_t i = 0; i < d->nfunctions; i++)
		if (d->functions[i].id == id)
			return i;
	cr_assert_fail("no function %llu", (unsigned long long)id);
	return 0;
}

static const char *location_name(const struct decoded *d, uint64_t id)
{
	return str(d, d->functions[function_index(d, d->locations[location_index(d, id)].function_id)].name);
}

/* The sample whose leaf-first names are names (NULL-terminated), or fails. */
static size_t find_sample(const struct decoded *d, const char *const *names)
{
	size_t n = 0;

	while (names[n])
		n++;
	for (size_t i = 0; i < d->nsamples; i++) {
		size_t j = 0;

		if (d->samples[i].nloc != n)
			continue;
		while (j < n && !strcmp(location_name(d, d->samples[i].loc[j]), names[j]))
			j++;
		if (j == n)
			return i;
	}
	cr_assert_fail("no sample %s;...", names[0]);
	return 0;
}

/* <module> -> {handle:17 -> recv (native) -> tcp_recvmsg (kernel), handle:18, lambda:9} */
static void small_tree(void)
{
	uint32_t a[] = { frame(FRAME_PYTHON, "<module> (app.py:3)"), frame(FRAME_PYTHON, "handle (views.py:17)"),
			 frame(FRAME_NATIVE, "recv"), frame(FRAME_KERNEL, "tcp_recvmsg") };
	uint32_t b[] = { a[0], frame(FRAME_PYTHON, "handle (views.py:18)") };
	uint32_t c[] = { a[0], frame(FRAME_PYTHON, "Idle.<locals>.<lambda> (lib/idle.py:9)") };

	add(a, 4, 30);
	add(a, 2, 10);
	add(b, 2, 5);
	add(c, 2, 55);
}

Test(writer_pprof, string_table_starts_empty_and_sample_and_period_types_name_samples_and_cpu_nanoseconds)
{
	struct decoded d;
	size_t len;
	uint8_t *pb;

	small_tree();
	pb = render(1e9 / 99, &len);
	decode(pb, len, &d);
	cr_assert_geq(d.nstrings, 1);
	cr_expect_str_eq(d.strings[0], "");
	for (size_t i = 1; i < d.nstrings; i++)
		for (size_t j = 0; j < i; j++)
			cr_expect_str_neq(d.strings[i], d.strings[j], "string %zu repeated", i);
	cr_assert_eq(d.nsample_types, 2);
	cr_expect_str_eq(str(&d, d.sample_type[0][0]), "samples");
	cr_expect_str_eq(str(&d, d.sample_type[0][1]), "count");
	cr_expect_str_eq(str(&d, d.sample_type[1][0]), "cpu");
	cr_expect_str_eq(str(&d, d.sample_type[1][1]), "nanoseconds");
	cr_expect_str_eq(str(&d, d.period_type[0]), "cpu");
	cr_expect_str_eq(str(&d, d.period_type[1]), "nanoseconds");
	cr_expect_eq(d.period, 10101010, "period %llu", (unsigned long long)d.period);
	decoded_free(&d);
	free(pb);
}

Test(writer_pprof, one_sample_per_stack_with_its_count_and_cpu_time)
{
	const char *const a[] = { "tcp_recvmsg_[k]", "recv", "handle", "<module>", NULL };
	const char *const a2[] = { "handle", "<module>", NULL };
	struct decoded d;
	uint64_t total = 0;
	size_t len, i;
	uint8_t *pb;

	small_tree();
	pb = render(1e6, &len);
	decode(pb, len, &d);
	cr_assert_eq(d.nsamples, 4);
	for (i = 0; i < d.nsamples; i++) {
		cr_assert_eq(d.samples[i].nvalue, 2);
		cr_expect_eq(d.samples[i].value[1], d.samples[i].value[0] * 1000000);
		total += d.samples[i].value[0];
	}
	cr_expect_eq(total, 100);
	i = find_sample(&d, a);
	cr_expect_eq(d.samples[i].value[0], 30);
	/* handle:17 and handle:18 are two locations of one function: two samples named alike. */
	i = find_sample(&d, a2);
	cr_expect(d.samples[i].value[0] == 10 || d.samples[i].value[0] == 5);
	decoded_free(&d);
	free(pb);
}

Test(writer_pprof, location_ids_are_leaf_first_and_frame_index_plus_one)
{
	struct profile_view view;
	struct view_options none = { 0 };
	struct decoded d;
	size_t len;
	uint8_t *pb;

	small_tree();
	pb = render(1e6, &len);
	decode(pb, len, &d);
	cr_assert_eq(profile_view__build(&view, &prof, &none), 0);
	cr_assert_eq(d.nlocations, view.nframes);
	for (size_t i = 0; i < view.nstacks; i++) {
		const struct view_stack *s = &view.stacks[i];

		cr_assert_eq(d.samples[i].nloc, s->nframes);
		for (uint32_t j = 0; j < s->nframes; j++)
			cr_expect_eq(d.samples[i].loc[j], (uint64_t)s->frames[s->nframes - 1 - j] + 1,
				     "stack %zu position %u", i, j);
		cr_expect_eq(d.samples[i].value[0], s->count);
	}
	/* The leaf of the deepest stack is the kernel frame; its root is <module>. */
	for (size_t i = 0; i < d.nsamples; i++)
		cr_expect_str_eq(location_name(&d, d.samples[i].loc[d.samples[i].nloc - 1]), "<module>");
	profile_view__free(&view);
	decoded_free(&d);
	free(pb);
}

Test(writer_pprof, python_frames_split_into_name_file_and_line_and_functions_are_shared_by_lines)
{
	struct decoded d;
	size_t len, handles = 0;
	uint8_t *pb;
	uint64_t handle_fn = 0;

	small_tree();
	pb = render(1e6, &len);
	decode(pb, len, &d);
	/* <module>, handle (x2 lines), recv, tcp_recvmsg, lambda: 6 locations, 5 functions. */
	cr_expect_eq(d.nlocations, 6);
	cr_expect_eq(d.nfunctions, 5);
	for (size_t i = 0; i < d.nlocations; i++) {
		size_t fi = function_index(&d, d.locations[i].function_id);
		const char *name = str(&d, d.functions[fi].name), *file = str(&d, d.functions[fi].filename);

		cr_expect_eq(d.locations[i].nlines, 1);
		cr_expect_eq(d.functions[fi].start_line, 0);
		if (!strcmp(name, "handle")) {
			handles++;
			cr_expect_str_eq(file, "views.py");
			cr_expect(d.locations[i].line == 17 || d.locations[i].line == 18);
			cr_expect(!handle_fn || handle_fn == d.locations[i].function_id);
			handle_fn = d.locations[i].function_id;
			cr_expect_eq(d.functions[fi].system_name, 0, "Python names are not mangled");
		} else if (!strcmp(name, "<module>")) {
			cr_expect_str_eq(file, "app.py");
			cr_expect_eq(d.locations[i].line, 3);
		} else if (!strcmp(name, "Idle.<locals>.<lambda>")) {
			cr_expect_str_eq(file, "lib/idle.py");
			cr_expect_eq(d.locations[i].line, 9);
		} else if (!strcmp(name, "recv")) {
			cr_expect_str_eq(file, "");
			cr_expect_eq(d.locations[i].line, 0);
			cr_expect_str_eq(str(&d, d.functions[fi].system_name), "recv");
		} else {
			cr_expect_str_eq(name, "tcp_recvmsg_[k]");
			cr_expect_str_eq(file, "");
		}
	}
	cr_expect_eq(handles, 2);
	decoded_free(&d);
	free(pb);
}

Test(writer_pprof, frames_not_of_the_python_form_keep_their_whole_name)
{
	uint32_t a[] = { frame(FRAME_ROOT, "chain (4242)"), frame(FRAME_MARKER, "[truncated]"),
			 frame(FRAME_PYTHON, "odd (no line)"), frame(FRAME_PYTHON, "weird (a:b:12)") };
	const char *const want[] = { "weird", "odd (no line)", "[truncated]", "chain (4242)", NULL };
	struct decoded d;
	size_t len, i;
	uint8_t *pb;

	add(a, 4, 7);
	pb = render(1e6, &len);
	decode(pb, len, &d);
	i = find_sample(&d, want);
	cr_expect_eq(d.samples[i].value[0], 7);
	/* The file is everything between ` (` and the last colon. */
	i = location_index(&d, d.samples[i].loc[0]);
	cr_expect_str_eq(str(&d, d.functions[function_index(&d, d.locations[i].function_id)].filename), "a:b");
	cr_expect_eq(d.locations[i].line, 12);
	decoded_free(&d);
	free(pb);
}

Test(writer_pprof, strings_that_are_not_utf8_are_stored_with_replacement_characters)
{
	/* A thread name and a native symbol from the target, neither of them UTF-8; a Python frame whose file is. */
	uint32_t a[] = { frame(FRAME_ROOT, "thread t\xff\xfe (7)"),
			 frame(FRAME_PYTHON, "<script>x</script> (f\xc3.py:3)"), frame(FRAME_NATIVE, "sym\xc3\x28") };
	const char *const want[] = { "sym\xef\xbf\xbd(", "<script>x</script>", "thread t\xef\xbf\xbd\xef\xbf\xbd (7)",
				     NULL };
	struct decoded d;
	size_t len, i;
	uint8_t *pb;

	add(a, 3, 2);
	pb = render(1e6, &len);
	decode(pb, len, &d);
	for (i = 0; i < d.nstrings; i++)
		cr_expect(utf8__valid(d.strings[i], strlen(d.strings[i])), "string %zu is not UTF-8: %s", i,
			  d.strings[i]);
	i = find_sample(&d, want);
	i = location_index(&d, d.samples[i].loc[1]);
	cr_expect_str_eq(str(&d, d.functions[function_index(&d, d.locations[i].function_id)].filename),
			 "f\xef\xbf\xbd.py");
	decoded_free(&d);
	free(pb);
}

Test(writer_pprof, an_empty_profile_is_a_valid_profile_without_samples)
{
	struct decoded d;
	size_t len;
	uint8_t *pb = render(1e9 / 99, &len);

	decode(pb, len, &d);
	cr_expect_eq(d.nsamples, 0);
	cr_expect_eq(d.nlocations, 0);
	cr_expect_eq(d.nsample_types, 2);
	cr_expect_str_eq(d.strings[0], "");
	decoded_free(&d);
	free(pb);
}

Test(writer_pprof, a_non_positive_rate_is_refused)
{
	struct view_options none = { 0 };
	struct profile_view view;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	small_tree();
	cr_assert_eq(profile_view__build(&view, &prof, &none), 0);
	cr_expect_eq(pprof__write(&view, 0, f), -EINVAL);
	cr_expect_eq(pprof__write(&view, -5, f), -EINVAL);
	profile_view__free(&view);
	fclose(f);
	cr_expect_eq(len, 0);
	free(out);
}

Test(writer_pprof, one_mapping_names_the_busiest_process_and_the_profile_carries_its_time_and_duration)
{
	struct profile_process *quiet = profile__process(&prof, 2);
	uint32_t a[] = { frame(FRAME_PYTHON, "handle (views.py:17)") };
	struct decoded d;
	size_t len;
	uint8_t *pb;

	small_tree(); /* process 1 */
	snprintf(profile__process(&prof, 1)->comm, 16, "python3.12");
	snprintf(quiet->comm, 16, "sleepy");
	cr_assert_eq(profile__add(&prof, quiet, 2, a, 1, 1), 0);
	prof.time_ns = 1796293398128724507ULL;
	prof.duration_ns = 30000000000ULL;
	pb = render(1e9 / 99, &len);
	decode(pb, len, &d);
	cr_expect_eq(d.nmappings, 1);
	cr_expect_eq(d.mapping_id, 1);
	cr_expect_str_eq(str(&d, d.mapping_filename), "python3.12");
	cr_expect_eq(d.mapping_flags, 7, "has_functions, has_filenames, has_line_numbers");
	for (size_t i = 0; i < d.nlocations; i++)
		cr_expect_eq(d.locations[i].mapping_id, 1);
	cr_expect_eq(d.time_nanos, 1796293398128724507ULL);
	cr_expect_eq(d.duration_nanos, 30000000000ULL);
	decoded_free(&d);
	free(pb);
}
