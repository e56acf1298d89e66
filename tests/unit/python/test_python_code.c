/* Tests for python_code: code objects and strings laid out by hand in our own memory, read back as a target's, and
 * real 3.14 and 3.15 code objects from the fuzz seeds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python_code.h"
#include "python_offsets.h"

/* One code object with its type, names and line table, laid out as CPython 3.12 lays them out. */
struct fake {
	_Alignas(16) uint8_t code[512];
	_Alignas(16) uint8_t type[64];
	_Alignas(16) uint8_t str_type[64];
	_Alignas(16) uint8_t bytes_type[64];
	_Alignas(16) uint8_t name[128];
	_Alignas(16) uint8_t file[128];
	_Alignas(16) uint8_t linetable[64];
};

static const char code_type_name[] = "code", str_type_name[] = "str", bytes_type_name[] = "bytes";
static struct fake fake;
static struct py_process py;

static void put_u64(uint8_t *obj, int off, uint64_t v)
{
	memcpy(obj + off, &v, sizeof(v));
}

static void put_u32(uint8_t *obj, int off, uint32_t v)
{
	memcpy(obj + off, &v, sizeof(v));
}

/* A compact str whose state says ASCII, holding the bytes of text as they are. */
static void ascii_str(uint8_t *obj, const char *text)
{
	const struct py_offsets *o = &py.off;

	memset(obj, 0, 128);
	put_u64(obj, 0, 1);					     /* ob_refcnt */
	put_u64(obj, o->object_type, (uintptr_t)fake.str_type);	     /* names must be the interpreter's str */
	put_u32(obj, o->unicode_state, 1u << 2 | 1u << 5 | 1u << 6); /* kind 1, compact, ascii */
	put_u64(obj, o->unicode_length, strlen(text));
	memcpy(obj + o->unicode_ascii_data, text, strlen(text) + 1);
}

static void setup(void)
{
	const struct py_offsets *o = py_offsets__find(0x030c);

	cr_assert_not_null(o);
	memset(&py, 0, sizeof(py));
	py.pid = getpid(); /* process_vm_readv on ourselves */
	py.off = *o;
	/* As py_process__discover() completes the layout. */
	py.off.layout.code_tag = (int16_t)(o->code_name + 8 - PF_CODE_TAG_BYTES);
	py.off.layout.str_hash = 24;

	memset(&fake, 0, sizeof(fake));
	put_u64(fake.type, o->type_name, (uintptr_t)code_type_name);
	put_u64(fake.str_type, o->type_name, (uintptr_t)str_type_name);
	put_u64(fake.bytes_type, o->type_name, (uintptr_t)bytes_type_name);
	put_u64(fake.code, 0, 1);
	put_u64(fake.code, o->object_type, (uintptr_t)fake.type);
	put_u64(fake.code, o->code_name, (uintptr_t)fake.name);
	put_u64(fake.code, o->code_qualname, (uintptr_t)fake.name);
	put_u64(fake.code, o->code_filename, (uintptr_t)fake.file);
	put_u64(fake.code, o->code_linetable, (uintptr_t)fake.linetable);
	put_u32(fake.code, o->code_firstlineno, 7);
	put_u64(fake.linetable, 0, 1);
	put_u64(fake.linetable, o->object_type, (uintptr_t)fake.bytes_type);
	put_u64(fake.linetable, o->bytes_size, 0); /* an empty table */
	ascii_str(fake.name, "handle");
	ascii_str(fake.file, "app.py");
}

TestSuite(python_code, .init = setup);

Test(python_code, read_gives_name_file_and_first_line)
{
	struct py_code *c;

	cr_assert_eq(py_code__read(&c, &py, (uintptr_t)fake.code), 0);
	cr_expect_str_eq(c->name, "handle");
	cr_expect_str_eq(c->file, "app.py");
	cr_expect_eq(c->firstlineno, 7);
	py_code__free(c);
}

Test(python_code, still_is_yes_for_the_same_object_and_no_once_its_name_changed)
{
	struct py_code *c;

	cr_assert_eq(py_code__read(&c, &py, (uintptr_t)fake.code), 0);
	cr_expect_eq(py_code__still(&py, (uintptr_t)fake.code, c), 1);
	/* Another string at the old name's address: same pointers in the code object, another function. */
	ascii_str(fake.name, "handla");
	cr_expect_eq(py_code__still(&py, (uintptr_t)fake.code, c), 0);
	py_code__free(c);
}

Test(python_code, still_is_no_once_a_field_of_the_code_object_changed)
{
	struct py_code *c;

	cr_assert_eq(py_code__read(&c, &py, (uintptr_t)fake.code), 0);
	put_u32(fake.code, py.off.code_firstlineno, 8);
	cr_expect_eq(py_code__still(&py, (uintptr_t)fake.code, c), 0);
	py_code__free(c);
}

/*
 * Found by tests/fuzz/python_code.c: a name whose raw bytes differ from its decoded text (here a byte above 0x7f in a
 * string flagged ASCII, decoded as U+00FF) was compared raw against the decoded name, so an unchanged code object
 * read as "address reused" at every drain, which also switched its process to code tags.
 */
Test(python_code, still_is_yes_for_an_unchanged_object_whose_name_bytes_decode_differently)
{
	struct py_code *c;

	ascii_str(fake.name, "\xfflambda>");
	cr_assert_eq(py_code__read(&c, &py, (uintptr_t)fake.code), 0);
	cr_expect_str_eq(c->name, "\xc3\xbflambda>");
	cr_expect_eq(py_code__still(&py, (uintptr_t)fake.code, c), 1);
	py_code__free(c);
}

/*
 * Found by tests/fuzz/python_code.c: from 3.13 the offsets come from the target's _Py_DebugOffsets, which may put
 * PyObject.ob_type anywhere below sizeof(PyObject) as it declares it; the reader indexed its 512-byte header buffer
 * with it (a read far outside the stack).
 */
Test(python_code, read_refuses_a_layout_whose_type_field_lies_outside_the_header)
{
	struct py_code *c = NULL;

	py.off.object_type = 1 << 30;
	cr_expect_eq(py_code__read(&c, &py, (uintptr_t)fake.code), -EINVAL);
	cr_expect_null(c);
}

/* The same for the str header: state and length must lie inside the bytes read before the string's data. */
Test(python_code, string_reader_refuses_a_layout_whose_header_fields_lie_outside_the_str_header)
{
	char *s = NULL;

	py.off.unicode_compact_data = 120;
	py.off.unicode_state = 126;
	cr_expect_eq(py_string__read(&py, (uintptr_t)fake.name, &s), -EINVAL);
	py.off.unicode_state = 32;
	py.off.unicode_length = 116;
	cr_expect_eq(py_string__read(&py, (uintptr_t)fake.name, &s), -EINVAL);
	cr_expect_null(s);
}

/* The record the sampler would send for fake.code, made by the rules of o->layout.copy as bpf/sampler.bpf.c applies
 * them: the header, then each object whole by its own length field. */
struct copy_buf {
	_Alignas(8) uint8_t bytes[PF_CODE_RECORD_MAX];
	size_t len;
};

static void copy_segment(struct copy_buf *b, const void *addr, size_t len)
{
	struct pf_mem_segment seg = { (uintptr_t)addr, (uint32_t)len, 0 };

	cr_assert_leq(b->len + sizeof(seg) + len + 7, sizeof(b->bytes));
	memcpy(b->bytes + b->len, &seg, sizeof(seg));
	memcpy(b->bytes + b->len + sizeof(seg), addr, len);
	b->len += sizeof(seg) + ((len + 7) & ~(size_t)7);
}

static void copy_object(struct copy_buf *b, const uint8_t *obj, int is_name)
{
	const struct pf_code_copy *c = &py.off.layout.copy;
	size_t head = is_name ? c->str_head : c->bytes_head, len;
	int64_t n;

	if (is_name && c->str_state >= 0) {
		uint32_t state;

		memcpy(&state, obj + c->str_state, sizeof(state));
		memcpy(&n, obj + c->str_len, sizeof(n));
		len = ((state >> 6) & 1 ? (size_t)c->str_ascii : head) + (size_t)n * ((state >> 2) & 7);
	} else {
		memcpy(&n, obj + (is_name ? c->str_len : c->bytes_len), sizeof(n));
		len = head + (size_t)n;
	}
	copy_segment(b, obj, len < head ? head : len);
}

static void copy_of_fake(struct copy_buf *b, int with_lines)
{
	b->len = 0;
	copy_segment(b, fake.code, py.off.layout.copy.header);
	copy_object(b, fake.name, 1);
	copy_object(b, fake.file, 1);
	if (with_lines)
		copy_object(b, fake.linetable, 0);
}

/* As py_process__discover() completes the layout, and with a PID no process has: every read must come from the
 * copy. */
static void copy_setup(void)
{
	setup();
	py_code__copy_layout(&py.off);
	py.pid = 0x3fffffff;
}

Test(python_code, copy_layout_covers_every_field_the_reader_reads)
{
	const struct pf_code_copy *c = &py.off.layout.copy;

	py_code__copy_layout(&py.off);
	cr_expect_geq(c->header, py.off.code_size);
	cr_expect_leq(c->header, PF_CODE_HEADER_MAX);
	cr_expect_eq(c->name, py.off.code_qualname);
	cr_expect_eq(c->file, py.off.code_filename);
	cr_expect_eq(c->lines, py.off.code_linetable);
	cr_expect_eq(c->str_head, py.off.unicode_compact_data);
	cr_expect_eq(c->bytes_head, py.off.bytes_data);
}

/* fake.code named from the copy the sampler would send of it now (in b and m, the caller's). */
static int read_fake_copy(struct copy_buf *b, struct mem_segments *m, int with_lines, struct py_code **c)
{
	copy_of_fake(b, with_lines);
	cr_assert_eq(mem_segments__parse(m, b->bytes, b->len), 0);
	return py_code__read_copy(c, &py, m, (uintptr_t)fake.code);
}

Test(python_code, read_copy_names_a_code_object_whose_process_is_gone, .init = copy_setup)
{
	struct copy_buf b;
	struct mem_segments m;
	struct py_code *c = NULL;

	cr_assert_neq(py_code__read(&c, &py, (uintptr_t)fake.code), 0, "the live read must fail: no such process");
	cr_assert_eq(read_fake_copy(&b, &m, 1, &c), 0);
	cr_expect_eq(m.n, 4);
	cr_expect_str_eq(c->name, "handle");
	cr_expect_str_eq(c->file, "app.py");
	cr_expect_eq(c->firstlineno, 7);
	cr_expect_null(py.mem, "the copy is used for that read only");
	py_code__free(c);
}

Test(python_code, read_copy_without_a_line_table_still_names_it, .init = copy_setup)
{
	struct copy_buf b;
	struct mem_segments m;
	struct py_code *c = NULL;

	cr_assert_eq(read_fake_copy(&b, &m, 0, &c), 0);
	cr_expect_str_eq(c->name, "handle");
	cr_expect_eq(c->linetable_len, 0);
	py_code__free(c);
}

Test(python_code, read_copy_with_a_name_cut_short_names_nothing, .init = copy_setup)
{
	struct copy_buf b;
	struct mem_segments m;
	struct py_code *c = NULL;

	copy_of_fake(&b, 1);
	cr_assert_eq(mem_segments__parse(&m, b.bytes, b.len), 0);
	m.seg[1].len -= 3; /* the name's segment ends before its last characters */
	cr_expect_neq(py_code__read_copy(&c, &py, &m, (uintptr_t)fake.code), 0);
	cr_expect_null(c);
}

Test(python_code, same_tells_the_same_object_from_another_at_its_address, .init = copy_setup)
{
	struct copy_buf b;
	struct mem_segments m;
	struct py_code *a = NULL, *c = NULL;

	cr_assert_eq(read_fake_copy(&b, &m, 1, &a), 0);
	cr_assert_eq(read_fake_copy(&b, &m, 1, &c), 0);
	cr_expect(py_code__same(a, c));
	py_code__free(c);
	put_u32(fake.code, py.off.code_firstlineno, 9);
	cr_assert_eq(read_fake_copy(&b, &m, 1, &c), 0);
	cr_expect_not(py_code__same(a, c));
	py_code__free(a);
	py_code__free(c);
}

Test(python_code, read_copy_of_an_object_that_is_no_code_object_is_refused_while_its_process_lives, .init = copy_setup)
{
	static const char not_code[] = "dict";
	struct copy_buf b;
	struct mem_segments m;
	struct py_code *c = NULL;

	py.pid = getpid(); /* alive: the type is checked in its memory */
	put_u64(fake.type, py.off.type_name, (uintptr_t)not_code);
	cr_expect_eq(read_fake_copy(&b, &m, 1, &c), -EINVAL);
	cr_expect_null(c);
}

/*
 * Real code objects of Debian's 3.14.10 and 3.15.2: the fuzz seeds scripts/gen-fuzz-corpus.py dumps from each
 * interpreter (the memory of a code object, its names, file and line table, and _PyRuntime's _Py_DebugOffsets), read
 * as a sampler's copy of a process that is gone. The expected names and lines are what those interpreters say of the
 * same source (co_qualname, co_filename, co_positions() at the seeds' two instructions).
 */
struct seed {
	uint8_t *bytes;
	size_t len;
	uint64_t code;
	int32_t instr[2];
	struct mem_segments mem;
};

/* Reads tests/fuzz/corpus/python_code/seed-MINOR-LABEL (the unit tests run from the top of the tree) and lays py out
 * as py_process__discover() would from the seed's _PyRuntime. */
static void seed_load(struct seed *s, const char *minor, const char *label)
{
	char path[256];
	uint8_t runtime_bytes[PY_DEBUG_OFFSETS_READ];
	uint64_t runtime;
	char why[256] = "";
	size_t at = 26;
	FILE *f;

	snprintf(path, sizeof(path), "tests/fuzz/corpus/python_code/seed-%s-%s", minor, label);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s (run from the top of the tree)", path, strerror(errno));
	s->bytes = malloc(64 * 1024);
	cr_assert_not_null(s->bytes);
	s->len = fread(s->bytes, 1, 64 * 1024, f);
	fclose(f);
	cr_assert(s->len > at && s->len < 64 * 1024, "%s: %zu bytes", path, s->len);
	memcpy(&runtime, s->bytes + 2, sizeof(runtime));
	memcpy(&s->code, s->bytes + 10, sizeof(s->code));
	memcpy(s->instr, s->bytes + 18, sizeof(s->instr));
	/* The segments as mem_image.c serves them to the fuzz harness: u64 address, u16 length, the bytes. */
	s->mem.n = 0;
	while (s->len - at >= 10) {
		uint64_t addr;
		uint16_t len;

		memcpy(&addr, s->bytes + at, sizeof(addr));
		memcpy(&len, s->bytes + at + 8, sizeof(len));
		at += 10;
		cr_assert_leq(len, s->len - at, "%s: a segment cut short", path);
		cr_assert_eq(mem_segments__add(&s->mem, addr, s->bytes + at, len), 0);
		at += len;
	}
	memset(&py, 0, sizeof(py));
	py.pid = 0x3fffffff; /* no such process: every read comes from the seed */
	cr_assert_eq(mem_segments__read(&s->mem, runtime, runtime_bytes, sizeof(runtime_bytes)), 0, "%s: no _PyRuntime",
		     path);
	cr_assert_eq(py_offsets__from_debug(runtime_bytes, sizeof(runtime_bytes), &py.off, why, sizeof(why)), 0,
		     "%s: %s", path, why);
	py.off.layout.code_tag = (int16_t)(py.off.code_name + 8 - PF_CODE_TAG_BYTES);
	py.off.layout.str_hash = 24;
}

/* The seed's code object has qualified name `name`, file app/handlers.py, first line `first`, and its two
 * instructions on lines `line0` and `line4`. */
static void expect_seed(const char *minor, const char *label, const char *name, int first, int line0, int line4)
{
	struct py_code *c = NULL;
	struct seed s;

	seed_load(&s, minor, label);
	cr_assert_eq(py_code__read_copy(&c, &py, &s.mem, s.code), 0, "%s %s: not read", minor, label);
	cr_expect_str_eq(c->name, name, "%s %s: named %s", minor, label, c->name);
	cr_expect_str_eq(c->file, "app/handlers.py", "%s %s: file %s", minor, label, c->file);
	cr_expect_eq(c->firstlineno, first, "%s %s: first line %d", minor, label, c->firstlineno);
	cr_expect_gt(c->linetable_len, 0, "%s %s: no line table", minor, label);
	py.mem = &s.mem; /* py_code__line reads nothing, but keep every read in the seed */
	for (int i = 0; i < 2; i++) {
		int got = py_code__line(c, &py, s.instr[i]);

		cr_expect_eq(got, i ? line4 : line0, "%s %s: instruction %d on line %d", minor, label, s.instr[i], got);
	}
	py.mem = NULL;
	py_code__free(c);
	free(s.bytes);
}

Test(python_code_real, cpython_3_14_functions_methods_closures_and_lambdas)
{
	expect_seed("3.14", "handle", "handle", 1, 1, 3);
	expect_seed("3.14", "method", "Service.method", 308, 308, 312);
	expect_seed("3.14", "inner", "Service.method.<locals>.inner", 309, 309, 310);
	expect_seed("3.14", "lambda", "<lambda>", 317, 317, 317);
}

Test(python_code_real, cpython_3_15_functions_methods_closures_and_lambdas)
{
	expect_seed("3.15", "handle", "handle", 1, 1, 3);
	expect_seed("3.15", "method", "Service.method", 308, 308, 309);
	expect_seed("3.15", "inner", "Service.method.<locals>.inner", 309, 309, 310);
	expect_seed("3.15", "lambda", "<lambda>", 317, 317, 317);
}

/* Names of every str kind: latin-1 (1 byte, not ASCII), UCS-2 and UCS-4, decoded to UTF-8. */
Test(python_code_real, cpython_3_14_latin1_ucs2_and_ucs4_names)
{
	expect_seed("3.14", "latin1", "caf\xc3\xa9", 318, 318, 319);
	expect_seed("3.14", "ucs2", "\xe9\x96\xa2\xe6\x95\xb0", 320, 320, 321);
	expect_seed("3.14", "ucs4", "\xf0\x90\x90\x80", 322, 322, 323);
}

Test(python_code_real, cpython_3_15_latin1_ucs2_and_ucs4_names)
{
	expect_seed("3.15", "latin1", "caf\xc3\xa9", 318, 318, 319);
	expect_seed("3.15", "ucs2", "\xe9\x96\xa2\xe6\x95\xb0", 320, 320, 321);
	expect_seed("3.15", "ucs4", "\xf0\x90\x90\x80", 322, 322, 323);
}
