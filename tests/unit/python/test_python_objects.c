/* Tests for python_objects: dicts, keys and instances laid out by hand in our own memory, read back as a target's. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "python_code.h"
#include "python_objects.h"

static const char str_type_name[] = "str";
static _Alignas(16) uint8_t str_type[64];
static _Alignas(16) uint8_t strs[4][64];
static _Alignas(16) uint8_t dict[64];
static _Alignas(16) uint8_t keys[512];
static _Alignas(16) uint8_t type[1024];
static _Alignas(16) uint8_t object[256]; /* an instance at object + 32: room for its managed words before it */
static _Alignas(16) uint8_t values[64];
static struct py_process py;

static void put_u64(uint8_t *at, int off, uint64_t v)
{
	memcpy(at + off, &v, sizeof(v));
}

static uint64_t addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void ascii_str(uint8_t *obj, const char *text)
{
	const struct py_offsets *o = &py.off;
	uint32_t state = 1u << 2 | 1u << 5 | 1u << 6; /* kind 1, compact, ascii */

	memset(obj, 0, 64);
	put_u64(obj, o->object_type, addr(str_type));
	memcpy(obj + o->unicode_state, &state, sizeof(state));
	put_u64(obj, o->unicode_length, strlen(text));
	memcpy(obj + o->unicode_ascii_data, text, strlen(text) + 1);
}

static void use(unsigned version)
{
	const struct py_offsets *o = py_offsets__find(0x030c); /* str layout: the same 3.3 on */

	cr_assert_not_null(o);
	memset(&py, 0, sizeof(py));
	py.pid = getpid(); /* process_vm_readv on ourselves */
	py.off = *o;
	py.objs = py_objects__find(version);
	cr_assert_not_null(py.objs, "no layout for %x", version);
	put_u64(str_type, o->type_name, addr(str_type_name));
	ascii_str(strs[0], "_target");
	ascii_str(strs[1], "_name");
	ascii_str(strs[2], "_ident");
}

/* A 3.11+ keys object of n entries, 8 index bytes; general entries (hash, key, value) or unicode ones (key, value). */
static uint8_t *log2_keys(int unicode, int n)
{
	const struct py_objects *o = py.objs;

	memset(keys, 0, sizeof(keys));
	keys[o->keys_size] = 3;	       /* 8 slots */
	keys[o->keys_index_bytes] = 3; /* 8 bytes of indices */
	keys[o->keys_kind] = (uint8_t)unicode;
	put_u64(keys, o->keys_nentries, (uint64_t)n);
	return keys + o->keys_indices + 8;
}

static void log2_dict(uint64_t values)
{
	memset(dict, 0, sizeof(dict));
	put_u64(dict, py.objs->dict_keys, addr(keys));
	put_u64(dict, py.objs->dict_values, values);
}

Test(python_objects, a_table_per_known_version)
{
	static const unsigned versions[] = { 0x0207, 0x0306, 0x0307, 0x0308, 0x0309, 0x030a,
					     0x030b, 0x030c, 0x030d, 0x030e, 0x030f };

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		cr_expect_not_null(py_objects__find(versions[i]), "%x", versions[i]);
	cr_expect_null(py_objects__find(0x0305));
	cr_expect_str_eq(py_objects__find(0x0207)->thread_name, "_Thread__name");
	cr_expect_str_eq(py_objects__find(0x030e)->thread_name, "_name");
}

Test(python_objects, an_int_keyed_dict_is_searched_by_hash_and_skips_deleted_entries)
{
	uint8_t *e;
	uint64_t v = 0;

	use(0x030c);
	e = log2_keys(0, 3);
	put_u64(e, 0, 0x7f00aa); /* deleted: no key, no value */
	put_u64(e, 24 + 0, 0x7f00bb);
	put_u64(e, 24 + 8, addr(strs[3]));
	put_u64(e, 24 + 16, 0x1111);
	put_u64(e, 48 + 0, 0x7f00aa);
	put_u64(e, 48 + 8, addr(strs[3]));
	put_u64(e, 48 + 16, 0x2222);
	log2_dict(0);
	cr_assert_eq(py_dict__get_hash(&py, addr(dict), 0x7f00aa, &v), 0);
	cr_expect_eq(v, 0x2222);
	cr_assert_eq(py_dict__get_hash(&py, addr(dict), 0x7f00bb, &v), 0);
	cr_expect_eq(v, 0x1111);
	cr_expect_eq(py_dict__get_hash(&py, addr(dict), 0x7f00cc, &v), -ENOENT);
}

Test(python_objects, a_str_keyed_dict_gives_the_value_of_its_key)
{
	uint8_t *e;
	uint64_t v = 0;

	use(0x030d);
	e = log2_keys(1, 2);
	put_u64(e, 0, addr(strs[0]));
	put_u64(e, 8, 0xaaaa);
	put_u64(e, 16, addr(strs[1]));
	put_u64(e, 24, 0xbbbb);
	log2_dict(0);
	cr_assert_eq(py_dict__get_str(&py, addr(dict), "_name", &v), 0);
	cr_expect_eq(v, 0xbbbb);
	cr_expect_eq(py_dict__get_str(&py, addr(dict), "_nam", &v), -ENOENT);
	cr_expect_eq(py_dict__get_hash(&py, addr(dict), 1, &v), -ENOENT, "unicode entries hold no hash");
}

Test(python_objects, a_3_6_dict_with_sized_keys_and_split_values)
{
	const struct py_objects *o;
	uint64_t *vals = (uint64_t *)values, v = 0;
	uint8_t *e;

	use(0x0306);
	o = py.objs;
	memset(keys, 0, sizeof(keys));
	put_u64(keys, o->keys_size, 8); /* 8 slots: 1 byte of index each */
	put_u64(keys, o->keys_nentries, 2);
	e = keys + o->keys_indices + 8;
	put_u64(e, 8, addr(strs[2]));
	put_u64(e, 24 + 8, addr(strs[1]));
	vals[0] = 0xcccc;
	vals[1] = 0xdddd;
	memset(dict, 0, sizeof(dict));
	put_u64(dict, o->dict_keys, addr(keys));
	put_u64(dict, o->dict_values, addr(values));
	cr_assert_eq(py_dict__get_str(&py, addr(dict), "_name", &v), 0);
	cr_expect_eq(v, 0xdddd, "a split dict's value is in its values array");
}

/* An instance of a heap type with managed attributes: the type's shared keys (_target, _name). */
static uint8_t *managed_instance(int64_t basicsize)
{
	const struct py_objects *o = py.objs;
	uint8_t *obj = object + 32;
	uint64_t flags = (uint64_t)o->flag_managed_dict | (uint64_t)o->flag_inline_values;
	uint8_t *e = log2_keys(2, 2);

	put_u64(e, 0, addr(strs[0]));
	put_u64(e, 16, addr(strs[1]));
	memset(type, 0, sizeof(type));
	put_u64(type, o->type_flags, flags);
	put_u64(type, o->type_basicsize, (uint64_t)basicsize);
	put_u64(type, o->heaptype_cached_keys, addr(keys));
	memset(object, 0, sizeof(object));
	put_u64(obj, py.off.object_type, addr(type));
	return obj;
}

Test(python_objects, a_3_12_instance_reads_its_attribute_from_tagged_values)
{
	uint8_t *obj;
	uint64_t v = 0;

	use(0x030c);
	obj = managed_instance(16);
	put_u64(values, py.objs->values_values + 8, 0x5555); /* _name is the second value */
	put_u64(obj, py.objs->managed_dict, addr(values) - 1);
	cr_assert_eq(py_object__attr(&py, addr(obj), "_name", &v), 0);
	cr_expect_eq(v, 0x5555);
	cr_expect_eq(py_object__attr(&py, addr(obj), "_ident", &v), -ENOENT);
}

Test(python_objects, a_3_13_instance_reads_inline_values_unless_they_are_invalid)
{
	uint8_t *obj;
	uint64_t v = 0;

	use(0x030d);
	obj = managed_instance(16);
	put_u64(obj, 16 + py.objs->values_values + 8, 0x6666);
	obj[16 + py.objs->values_valid] = 1;
	cr_assert_eq(py_object__attr(&py, addr(obj), "_name", &v), 0);
	cr_expect_eq(v, 0x6666);
	obj[16 + py.objs->values_valid] = 0;
	cr_expect_eq(py_object__attr(&py, addr(obj), "_name", &v), -ENOENT);
}

Test(python_objects, a_3_13_instance_with_a_dict_reads_the_dict)
{
	uint8_t *obj, *e;
	uint64_t v = 0;

	use(0x030d);
	obj = managed_instance(16);
	e = log2_keys(1, 1); /* the dict's own keys replace the shared ones */
	put_u64(e, 0, addr(strs[1]));
	put_u64(e, 8, 0x7777);
	log2_dict(0);
	put_u64(obj, py.objs->managed_dict, addr(dict));
	cr_assert_eq(py_object__attr(&py, addr(obj), "_name", &v), 0);
	cr_expect_eq(v, 0x7777);
}

Test(python_objects, a_2_7_instance_dict_at_its_dictoffset)
{
	const struct py_objects *o;
	uint8_t *obj = object + 32;
	uint64_t v = 0;

	use(0x0207);
	o = py.objs;
	py.off.str_is_bytes = 0;       /* the keys here are 3.x str: only the table layout is under test */
	memset(keys, 0, sizeof(keys)); /* 2.7's table: 8 slots of (hash, key, value) */
	put_u64(keys, 5 * 24 + 8, addr(strs[1]));
	put_u64(keys, 5 * 24 + 16, 0x8888);
	memset(dict, 0, sizeof(dict));
	put_u64(dict, o->dict_mask, 7);
	put_u64(dict, o->dict_table, addr(keys));
	memset(type, 0, sizeof(type));
	put_u64(type, o->type_dictoffset, 16);
	memset(object, 0, sizeof(object));
	put_u64(obj, py.off.object_type, addr(type));
	put_u64(obj, 16, addr(dict));
	cr_assert_eq(py_object__attr(&py, addr(obj), "_name", &v), 0);
	cr_expect_eq(v, 0x8888);
}

Test(python_objects, unreadable_memory_is_an_error_not_a_value)
{
	uint64_t v = 0;

	use(0x030c);
	cr_expect_neq(py_dict__get_str(&py, 8, "_name", &v), 0);
	cr_expect_neq(py_object__attr(&py, 8, "_name", &v), 0);
	cr_expect_eq(v, 0);
}
