#include "python_objects.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "python_code.h"
#include "python_process.h"

#define MAX_ENTRIES (1u << 16) /* more than any sys.modules, threading._active or instance dict */
#define CHUNK 256	       /* entries read at once */

const struct py_objects *py_objects__find(unsigned int version)
{
	for (unsigned int i = 0; i < py_objects_table_len; i++)
		if (py_objects_table[i].version == version)
			return &py_objects_table[i];
	return NULL;
}

static int read_mem(const struct py_process *py, uint64_t addr, void *buf, size_t size)
{
	return py_process__read(py, addr, buf, size);
}

static int read_u64(const struct py_process *py, uint64_t addr, uint64_t *out)
{
	return py_process__read(py, addr, out, sizeof(*out));
}

/* A dict's entries as laid out in memory: where they start, how many, and where a value is. */
struct dict_view {
	uint64_t entries; /* first entry */
	uint64_t values;  /* split or managed values: value i is values[i]; 0: in the entry */
	uint32_t n;
	int esize, hash_off, key_off, value_off; /* hash_off -1: the entries hold no hash */
};

/* The entries of a keys object (3.x); values as given. */
static int keys_view(const struct py_process *py, uint64_t keys, uint64_t values, struct dict_view *v)
{
	const struct py_objects *o = py->objs;
	uint8_t hdr[64];
	uint64_t size, index_bytes, n, entries;
	int kind = 0;

	if (!keys || o->keys_indices > (int)sizeof(hdr) || read_mem(py, keys, hdr, (size_t)o->keys_indices))
		return -EFAULT;
	if (o->dict == PY_DICT_LOG2) {
		if (hdr[o->keys_size] > 30 || hdr[o->keys_index_bytes] > 33)
			return -EINVAL;
		size = 1ull << hdr[o->keys_size];
		index_bytes = 1ull << hdr[o->keys_index_bytes];
		kind = hdr[o->keys_kind];
	} else {
		memcpy(&size, hdr + o->keys_size, sizeof(size));
		index_bytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffull ? 4 : 8);
	}
	memcpy(&n, hdr + o->keys_nentries, sizeof(n));
	if (n > size || n > MAX_ENTRIES || index_bytes > (64ull << 20))
		return -EINVAL;
	entries = keys + (uint64_t)o->keys_indices + index_bytes;
	if (kind) /* unicode keys: (key, value) */
		*v = (struct dict_view){ entries, values, (uint32_t)n, 16, -1, 0, 8 };
	else
		*v = (struct dict_view){ entries, values, (uint32_t)n, 24, 0, 8, 16 };
	return 0;
}

static int dict_view(const struct py_process *py, uint64_t dict, struct dict_view *v)
{
	const struct py_objects *o = py->objs;
	uint64_t a, b;

	if (!dict)
		return -EFAULT;
	if (o->dict == PY_DICT_TABLE) {
		if (read_u64(py, dict + (uint64_t)o->dict_mask, &a) || read_u64(py, dict + (uint64_t)o->dict_table, &b))
			return -EFAULT;
		if (a >= MAX_ENTRIES)
			return -EINVAL;
		*v = (struct dict_view){ b, 0, (uint32_t)a + 1, 24, 0, 8, 16 };
		return 0;
	}
	if (read_u64(py, dict + (uint64_t)o->dict_keys, &a) || read_u64(py, dict + (uint64_t)o->dict_values, &b))
		return -EFAULT;
	return keys_view(py, a, b, v);
}

/* Calls match(entry's hash, key, value) for each live entry until it returns nonzero; that entry's value. */
typedef int (*entry_match)(const struct py_process *py, uint64_t hash, uint64_t key, const void *ctx);

static int dict_find(const struct py_process *py, const struct dict_view *v, entry_match match, const void *ctx,
		     uint64_t *value)
{
	uint8_t buf[CHUNK * 24];
	uint64_t vals[CHUNK];

	for (uint32_t at = 0; at < v->n; at += CHUNK) {
		uint32_t n = v->n - at < CHUNK ? v->n - at : CHUNK;

		if (read_mem(py, v->entries + (uint64_t)at * v->esize, buf, (size_t)n * v->esize) ||
		    (v->values && read_mem(py, v->values + (uint64_t)at * 8, vals, (size_t)n * 8)))
			return -EFAULT;
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *e = buf + (size_t)i * v->esize;
			uint64_t hash = 0, key, val;

			memcpy(&key, e + v->key_off, sizeof(key));
			if (v->hash_off >= 0)
				memcpy(&hash, e + v->hash_off, sizeof(hash));
			if (v->values)
				val = vals[i];
			else
				memcpy(&val, e + v->value_off, sizeof(val));
			if (key && val && match(py, hash, key, ctx)) {
				*value = val;
				return 0;
			}
		}
	}
	return -ENOENT;
}

static int key_is_str(const struct py_process *py, uint64_t hash, uint64_t key, const void *ctx)
{
	char *s = NULL;
	int same;

	(void)hash;
	if (py_string__read((struct py_process *)py, key, &s))
		return 0;
	same = !strcmp(s, ctx);
	free(s);
	return same;
}

static int key_hash_is(const struct py_process *py, uint64_t hash, uint64_t key, const void *ctx)
{
	(void)py;
	(void)key;
	return hash == *(const uint64_t *)ctx;
}

int py_dict__get_str(struct py_process *py, uint64_t dict, const char *key, uint64_t *value)
{
	struct dict_view v;
	int err = dict_view(py, dict, &v);

	return err ?: dict_find(py, &v, key_is_str, key, value);
}

int py_dict__get_hash(struct py_process *py, uint64_t dict, uint64_t hash, uint64_t *value)
{
	struct dict_view v;
	int err = dict_view(py, dict, &v);

	if (!err && v.hash_off < 0)
		return -ENOENT;
	return err ?: dict_find(py, &v, key_hash_is, &hash, value);
}

/* Managed values (3.11+): the keys are the type's shared ones. */
static int values_get(struct py_process *py, uint64_t type, uint64_t values, const char *name, uint64_t *value)
{
	const struct py_objects *o = py->objs;
	struct dict_view v;
	uint64_t keys;
	int err;

	if (read_u64(py, type + (uint64_t)o->heaptype_cached_keys, &keys))
		return -EFAULT;
	err = keys_view(py, keys, values + (uint64_t)o->values_values, &v);
	return err ?: dict_find(py, &v, key_is_str, name, value);
}

int py_object__attr(struct py_process *py, uint64_t obj, const char *name, uint64_t *value)
{
	const struct py_objects *o = py->objs;
	uint64_t type, flags, word;
	int64_t basicsize, dictoffset;
	uint8_t valid;

	if (!o || read_u64(py, obj + (uint64_t)py->off.object_type, &type) || !type ||
	    read_u64(py, type + (uint64_t)o->type_flags, &flags) ||
	    read_mem(py, type + (uint64_t)o->type_basicsize, &basicsize, sizeof(basicsize)) ||
	    read_mem(py, type + (uint64_t)o->type_dictoffset, &dictoffset, sizeof(dictoffset)))
		return -EFAULT;
	if (o->managed != PY_MANAGED_NONE && (flags & (uint64_t)o->flag_managed_dict)) {
		switch (o->managed) {
		case PY_MANAGED_VALUES_PTR:
			if (read_u64(py, obj + (uint64_t)(int64_t)o->managed_values, &word))
				return -EFAULT;
			if (word)
				return values_get(py, type, word, name, value);
			break;
		case PY_MANAGED_TAGGED:
			if (read_u64(py, obj + (uint64_t)(int64_t)o->managed_dict, &word))
				return -EFAULT;
			if (word & 1)
				return values_get(py, type, word + 1, name, value);
			return word ? py_dict__get_str(py, word, name, value) : -ENOENT;
		case PY_MANAGED_INLINE:
			if (read_u64(py, obj + (uint64_t)(int64_t)o->managed_dict, &word))
				return -EFAULT;
			if (word || !(flags & (uint64_t)o->flag_inline_values))
				break;
			if (basicsize <= 0 || basicsize > 4096 ||
			    read_mem(py, obj + (uint64_t)basicsize + (uint64_t)o->values_valid, &valid, 1))
				return -EFAULT;
			return valid ? values_get(py, type, obj + (uint64_t)basicsize, name, value) : -ENOENT;
		default: break;
		}
		if (read_u64(py, obj + (uint64_t)(int64_t)o->managed_dict, &word))
			return -EFAULT;
		return word ? py_dict__get_str(py, word, name, value) : -ENOENT;
	}
	if (dictoffset <= 0 || dictoffset > 4096 || read_u64(py, obj + (uint64_t)dictoffset, &word))
		return -ENOENT;
	return word ? py_dict__get_str(py, word, name, value) : -ENOENT;
}
