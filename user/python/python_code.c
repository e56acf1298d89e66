/* CPython code objects read from a target's memory: qualified name, file, first line, line table. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "mem_segments.h"
#include "proc_mem.h"
#include "python_code.h"
#include "python_linetable.h"
#include "utf8.h"

#define MAX_STRING_CHARS 4096 /* longer names and paths are cut: they come from an untrusted process */
#define MAX_LINETABLE (256 * 1024)
#define MAX_HEADER 512 /* the largest code_size and string header of any layout */
#define NAME_PEEK 128  /* bytes of the name object read along with a code header */

static uint64_t get_u64(const uint8_t *b, int off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static int64_t get_i64(const uint8_t *b, int off)
{
	int64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint32_t get_u32(const uint8_t *b, int off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* The target's memory: the process's own, or while naming from a sampler's copy, the copy's. */
static int mem_read(const struct py_process *py, uint64_t addr, void *buf, size_t size)
{
	return py_process__read(py, addr, buf, size);
}

static int mem_read_u64(const struct py_process *py, uint64_t addr, uint64_t *out)
{
	return mem_read(py, addr, out, sizeof(*out));
}

/* Does a field of size bytes at offset off lie inside a block of block bytes read at once? */
static bool inside(int off, int size, int block)
{
	return off >= 0 && off <= block - size;
}

/* Is type the interpreter's type called name ("code", "str", "bytes")? *known is its address, learnt from the first
 * object whose type says so: afterwards one comparison. A wild pointer in a scribbled object fails here. */
static int check_type(struct py_process *py, uint64_t type, const char *name, uint64_t *known)
{
	char buf[8];
	size_t n = strlen(name) + 1;
	uint64_t tp_name;
	int err;

	if (*known)
		return type == *known ? 0 : -EINVAL;
	/* A copy holds the objects, not their types: those are read from the process (static, they live as long as
	 * it does). Once it is gone, the copy is trusted: the sampler took it from a live frame's code object. */
	if (n > sizeof(buf))
		return -EINVAL;
	err = proc_mem__read_u64(py->pid, type + py->off.type_name, &tp_name);
	if (err)
		return py->mem && err == -ESRCH ? 0 : -EINVAL;
	if (proc_mem__read(py->pid, tp_name, buf, n) || memcmp(buf, name, n))
		return -EINVAL;
	*known = type;
	return 0;
}

/* Bytes of a bytes object (2.7: str) into a new NUL-terminated buffer. Longer than max: cut to max when cut is set
 * (a name), else -EINVAL (a line table, useless in part). */
static int read_bytes(struct py_process *py, uint64_t addr, size_t max, int cut, uint8_t **out, size_t *len)
{
	const struct py_offsets *o = &py->off;
	uint8_t hdr[64];
	int64_t n;
	uint8_t *data;
	int err;

	/* 2.7's str is its bytes type. */
	if (o->bytes_data > (int)sizeof(hdr) || o->bytes_size + 8 > o->bytes_data)
		return -EINVAL;
	err = mem_read(py, addr, hdr, o->bytes_data);
	if (err)
		return err;
	if (o->str_is_bytes ? check_type(py, get_u64(hdr, o->object_type), "str", &py->types.str)
			    : check_type(py, get_u64(hdr, o->object_type), "bytes", &py->types.bytes))
		return -EINVAL;
	n = get_i64(hdr, o->bytes_size);
	if (n < 0 || ((uint64_t)n > max && !cut))
		return -EINVAL;
	if ((uint64_t)n > max)
		n = (int64_t)max;
	data = malloc(n + 1);
	if (!data)
		return -ENOMEM;
	err = n ? mem_read(py, addr + o->bytes_data, data, n) : 0;
	if (err) {
		free(data);
		return err;
	}
	data[n] = '\0';
	*out = data;
	*len = (size_t)n;
	return 0;
}

int py_string__read(struct py_process *py, uint64_t addr, char **out)
{
	const struct py_offsets *o = &py->off;
	uint8_t hdr[128];
	unsigned kind, compact, ascii;
	int64_t length;
	uint8_t *raw;
	size_t size;
	char *s;
	int err;

	if (o->str_is_bytes) {
		err = read_bytes(py, addr, MAX_STRING_CHARS, 1, &raw, &size);
		if (err)
			return err;
		/* 2.7 names are bytes: UTF-8 when sane; anything else becomes U+FFFD, as 3.x surrogates do. */
		s = utf8__sanitize((char *)raw, size, NULL);
		free(raw);
		if (!s)
			return -ENOMEM;
		*out = s;
		return 0;
	}
	if (o->unicode_compact_data + 8 > (int)sizeof(hdr) || !inside(o->unicode_state, 4, o->unicode_compact_data) ||
	    !inside(o->unicode_length, 8, o->unicode_compact_data) ||
	    !inside(o->object_type, 8, o->unicode_compact_data))
		return -EINVAL;
	err = mem_read(py, addr, hdr, o->unicode_compact_data);
	if (err)
		return err;
	if (check_type(py, get_u64(hdr, o->object_type), "str", &py->types.str))
		return -EINVAL;
	/* PyASCIIObject.state: interned:2, kind:3, compact:1, ascii:1 (3.3-3.13). */
	kind = (get_u32(hdr, o->unicode_state) >> 2) & 7;
	compact = (get_u32(hdr, o->unicode_state) >> 5) & 1;
	ascii = (get_u32(hdr, o->unicode_state) >> 6) & 1;
	length = get_i64(hdr, o->unicode_length);
	if (!compact || length < 0 || (kind != 1 && kind != 2 && kind != 4))
		return -EINVAL; /* legacy (non-compact) strings are never code names */
	if (length > MAX_STRING_CHARS)
		length = MAX_STRING_CHARS;
	size = (size_t)length * kind;
	raw = malloc(size + 1);
	if (!raw)
		return -ENOMEM;
	err = size ? mem_read(py, addr + (ascii ? o->unicode_ascii_data : o->unicode_compact_data), raw, size) : 0;
	if (err) {
		free(raw);
		return err;
	}
	s = malloc((size_t)length * 4 + 1);
	if (!s) {
		free(raw);
		return -ENOMEM;
	}
	size = 0;
	for (int64_t i = 0; i < length; i++) {
		uint32_t c = kind == 1 ? raw[i] : kind == 2 ? ((uint16_t *)raw)[i] : ((uint32_t *)raw)[i];

		size += utf8__put(s + size, c);
	}
	s[size] = '\0';
	free(raw);
	*out = s;
	return 0;
}

/*
 * Bytes of a code object read at once: every field we name it by, and the bytes its tag is made of; 0 when they do
 * not fit in MAX_HEADER or ob_type lies outside them (from 3.13 the offsets are the target's own).
 */
static int header_size(const struct py_offsets *o)
{
	int tag_end = o->layout.code_tag + PF_CODE_TAG_BYTES;
	int size = o->code_size > tag_end ? o->code_size : tag_end;

	if (o->layout.code_tag < 0 || size > MAX_HEADER || !inside(o->object_type, 8, size))
		return 0;
	return size;
}

static int read_header(struct py_process *py, uint64_t addr, uint8_t *hdr)
{
	int size = header_size(&py->off);

	if (!size)
		return -EINVAL;
	return mem_read(py, addr, hdr, size);
}

/* A tag of the immutable bytes alone (3.12+: co_version, unique), compared at each drain's re-check. */
static uint32_t words_tag(const struct py_offsets *o, const uint8_t *hdr)
{
	uint32_t words[PF_CODE_TAG_BYTES / 4];

	memcpy(words, hdr + o->layout.code_tag, sizeof(words));
	return pf_code_tag(words, 0);
}

/* The tag BPF computes, from the tag bytes (the last 8 of which are co_name) and the name's hash. */
static int tag_from(struct py_process *py, const uint32_t *words, uint32_t *tag)
{
	uint64_t name, hash;
	int err;

	memcpy(&name, &words[PF_CODE_TAG_BYTES / 4 - 2], sizeof(name));
	err = mem_read_u64(py, name + py->off.layout.str_hash, &hash);
	if (!err)
		*tag = pf_code_tag(words, hash);
	return err;
}

int py_code__tag_now(struct py_process *py, uint64_t addr, uint32_t *tag)
{
	uint32_t words[PF_CODE_TAG_BYTES / 4];
	int err = mem_read(py, addr + py->off.layout.code_tag, words, sizeof(words));

	return err ?: tag_from(py, words, tag);
}

static void fingerprint_of(const struct py_offsets *o, const uint8_t *hdr, uint64_t fp[PY_CODE_FINGERPRINT])
{
	fp[0] = get_u64(hdr, o->object_type);
	fp[1] = get_u64(hdr, o->code_name);
	fp[2] = o->code_qualname >= 0 ? get_u64(hdr, o->code_qualname) : 0;
	fp[3] = get_u64(hdr, o->code_filename);
	fp[4] = get_u64(hdr, o->code_linetable) ^ ((uint64_t)get_u32(hdr, o->code_firstlineno) << 32);
}

/*
 * Do the first bytes of a string object in buf (a compact ASCII str, or a 2.7 str) show that it holds exactly name?
 * 1 yes; -1 they do not say: not compact ASCII, longer than the peek, a 2.7 name that is not UTF-8 (stored
 * sanitized), or other bytes than name's. Only reading the whole string may answer no: name was decoded, and a byte
 * that is not plain ASCII decodes into other bytes.
 */
static int peeked_name_is(const struct py_process *py, const uint8_t *buf, size_t len, const char *name)
{
	const struct py_offsets *o = &py->off;
	size_t n = strlen(name), data;
	int64_t size;

	if (o->str_is_bytes) {
		if (!inside(o->bytes_size, 8, (int)len))
			return -1;
		size = get_i64(buf, o->bytes_size);
		data = o->bytes_data;
	} else {
		uint32_t state;

		if (!inside(o->unicode_state, 4, (int)len) || !inside(o->unicode_length, 8, (int)len))
			return -1;
		state = get_u32(buf, o->unicode_state);
		if (!((state >> 5) & 1) || !((state >> 6) & 1)) /* compact, ascii */
			return -1;
		size = get_i64(buf, o->unicode_length);
		data = o->unicode_ascii_data;
	}
	if (size < 0 || data + (uint64_t)size > len)
		return -1;
	/* A 2.7 name that is not UTF-8 was stored sanitized: only a full read compares like with like. */
	if (o->str_is_bytes && !utf8__valid((const char *)buf + data, (size_t)size))
		return -1;
	return (size_t)size == n && !memcmp(buf + data, name, n) ? 1 : -1;
}

int py_code__still(struct py_process *py, uint64_t addr, const struct py_code *c)
{
	const struct py_offsets *o = &py->off;
	int size = header_size(o);
	uint8_t hdr[MAX_HEADER], peek[NAME_PEEK];
	uint64_t name_ptr = o->code_qualname >= 0 ? c->fingerprint[2] : c->fingerprint[1];
	uint64_t fp[PY_CODE_FINGERPRINT];
	ssize_t n;
	char *name;
	int same;

	if (!size)
		return -EINVAL;
	/* One system call for the header and the start of the name it had. */
	n = proc_mem__read2(py->pid, addr, hdr, size, name_ptr, peek, sizeof(peek));
	if (n < size)
		return n < 0 ? (int)n : -EFAULT;
	fingerprint_of(o, hdr, fp);
	if (memcmp(fp, c->fingerprint, sizeof(fp)) || words_tag(o, hdr) != c->words_tag)
		return 0;
	/* Same pointers: but the name may be a new string at the old string's address. */
	if (n == size + (ssize_t)sizeof(peek) && peeked_name_is(py, peek, sizeof(peek), c->name) == 1)
		return 1;
	if (py_string__read(py, name_ptr, &name))
		return 0;
	same = !strcmp(name, c->name);
	free(name);
	return same;
}

/* A code object's header, read at once; -EINVAL when it is not a live code object. */
static int read_live_header(struct py_process *py, uint64_t addr, uint8_t *hdr)
{
	const struct py_offsets *o = &py->off;
	int err = read_header(py, addr, hdr);

	if (err)
		return err;
	err = check_type(py, get_u64(hdr, o->object_type), "code", &py->types.code);
	if (!err && (get_u64(hdr, 0) == 0 || get_u64(hdr, 0) >= (1ULL << 40)))
		err = -EINVAL; /* ob_refcnt 0 or a free-list pointer: a freed object whose type field survived */
	return err;
}

/* Whether the live code object at addr still has the fields c was read from: 0 yes, else -EAGAIN or -errno. */
static int same_object(struct py_process *py, uint64_t addr, const struct py_code *c)
{
	uint8_t hdr[MAX_HEADER];
	uint64_t fp[PY_CODE_FINGERPRINT];
	int err = read_live_header(py, addr, hdr);

	if (err)
		return err;
	fingerprint_of(&py->off, hdr, fp);
	return memcmp(fp, c->fingerprint, sizeof(fp)) || words_tag(&py->off, hdr) != c->words_tag ? -EAGAIN : 0;
}

int py_code__read(struct py_code **out, struct py_process *py, uint64_t addr)
{
	const struct py_offsets *o = &py->off;
	uint32_t words[PF_CODE_TAG_BYTES / 4];
	uint8_t hdr[MAX_HEADER];
	struct py_code *c;
	int err;

	err = read_live_header(py, addr, hdr);
	if (err)
		return err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	fingerprint_of(o, hdr, c->fingerprint);
	c->words_tag = words_tag(o, hdr);
	memcpy(words, hdr + o->layout.code_tag, sizeof(words));
	if (tag_from(py, words, &c->tag))
		c->tag = 0;
	c->firstlineno = (int)get_u32(hdr, o->code_firstlineno);
	err = py_string__read(py, get_u64(hdr, o->code_qualname >= 0 ? o->code_qualname : o->code_name), &c->name);
	err = err ?: py_string__read(py, get_u64(hdr, o->code_filename), &c->file);
	if (!err &&
	    read_bytes(py, get_u64(hdr, o->code_linetable), MAX_LINETABLE, 0, &c->linetable, &c->linetable_len)) {
		/* A live code object always has its line table: without one, it is a scribbled copy of a code object
		 * (its type word kept), not code. The sampler's copy leaves out a table over 4 KB: named without lines.
		 */
		if (!py->mem)
			err = -EINVAL;
		c->linetable_len = 0;
	}
	/* Freed meanwhile, and its memory given to another code object? Then the strings and line table may be the
	 * other one's: keep the result only if the same live object is still there after reading them. */
	if (!err && same_object(py, addr, c))
		err = -EAGAIN;
	if (err) {
		py_code__free(c);
		return err;
	}
	*out = c;
	return 0;
}

int py_code__read_copy(struct py_code **out, struct py_process *py, const struct mem_segments *copy, uint64_t addr)
{
	int err;

	py->mem = copy;
	err = py_code__read(out, py, addr);
	py->mem = NULL;
	return err;
}

int py_code__same(const struct py_code *a, const struct py_code *b)
{
	return !memcmp(a->fingerprint, b->fingerprint, sizeof(a->fingerprint)) && a->words_tag == b->words_tag &&
	       !strcmp(a->name, b->name) && !strcmp(a->file, b->file);
}

void py_code__copy_layout(struct py_offsets *o)
{
	struct pf_code_copy *c = &o->layout.copy;

	c->header = (__u16)header_size(o);
	c->name = (__s16)(o->code_qualname >= 0 ? o->code_qualname : o->code_name);
	c->file = (__s16)o->code_filename;
	c->lines = (__s16)o->code_linetable;
	c->str_head = (__s16)(o->str_is_bytes ? o->bytes_data : o->unicode_compact_data);
	c->str_state = (__s16)(o->str_is_bytes ? -1 : o->unicode_state);
	c->str_len = (__s16)(o->str_is_bytes ? o->bytes_size : o->unicode_length);
	c->str_ascii = (__s16)o->unicode_ascii_data;
	c->bytes_head = (__s16)o->bytes_data;
	c->bytes_len = (__s16)o->bytes_size;
}

int py_code__line(const struct py_code *c, const struct py_process *py, int32_t instr)
{
	unsigned version = py->off.version;
	/* f_lasti counts bytes up to 3.9 and code units in 3.10; 3.11+ instr is already a code-unit index. */
	int64_t byte_offset = version <= 0x0309 ? (int64_t)instr : (int64_t)instr * 2;

	if (byte_offset > INT32_MAX)
		return -1; /* from an untrusted frame: no code is that long */

	return py_linetable__line(version, c->linetable, c->linetable_len, c->firstlineno, (int)byte_offset);
}

void py_code__free(struct py_code *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->file);
	free(c->linetable);
	free(c);
}
