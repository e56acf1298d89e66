/* Turns the _Py_DebugOffsets at the start of a 3.13+ interpreter's _PyRuntime into a struct py_offsets, through
 * the generated slot map of its minor version. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "python_debug_offsets.h"
#include "python_offsets.h"
#include "why.h"

#define PY_DEBUG_COOKIE "xdebugpy"
#define PY_DEBUG_COOKIE_LEN 8
#define PY_RELEASE_FINAL 0xf

static const struct py_debug_map *map_for(unsigned int version)
{
	for (unsigned int i = 0; i < py_debug_maps_len; i++) {
		if (py_debug_maps[i].version == version)
			return &py_debug_maps[i];
	}
	return NULL;
}

static uint64_t slot(const void *buf, const struct py_debug_map *m, enum py_debug_slot s)
{
	uint64_t v;

	memcpy(&v, (const char *)buf + m->slot[s], sizeof(v)); /* buf may be unaligned */
	return v;
}

/* Offsets into the code object header read in one block by userspace: up to the furthest one, plus a pointer
 * (in long long: a target's offsets can be near INT32_MAX). */
static long long code_block_size(const struct py_offsets *o)
{
	int max = o->code_name;

	if (o->code_qualname > max)
		max = o->code_qualname;
	if (o->code_filename > max)
		max = o->code_filename;
	if (o->code_firstlineno > max)
		max = o->code_firstlineno;
	if (o->code_linetable > max)
		max = o->code_linetable;
	return ((long long)max + 8 + 7) & ~7LL;
}

/* The GIL: where it is comes from the target's table, where its waiters block from the headers. The table's
 * locked and holder offsets must agree with the headers', or the GIL is left unknown (never guessed). */
static void gil_layout(const void *buf, const struct py_debug_map *m, struct py_offsets *o)
{
	struct pf_py_layout *l = &o->layout;
	uint64_t gil = slot(buf, m, PY_DEBUG_INTERP_GIL);

	l->gil_locked = l->gil_holder = l->gil_wait_begin = l->gil_wait_end = -1;
	o->interp_gil_ptr = -1;
	if (slot(buf, m, PY_DEBUG_INTERP_GIL_HOLDER) != gil + m->gil_holder ||
	    slot(buf, m, PY_DEBUG_INTERP_GIL_LOCKED) != gil + m->gil_locked ||
	    slot(buf, m, PY_DEBUG_INTERP_CEVAL_GIL) >= slot(buf, m, PY_DEBUG_INTERP_SIZE))
		return;
	o->interp_gil_ptr = (int)slot(buf, m, PY_DEBUG_INTERP_CEVAL_GIL);
	l->gil_holder = (__s16)m->gil_holder;
	l->gil_locked = (__s16)m->gil_locked;
	l->gil_wait_begin = (__s16)m->gil_wait_begin;
	l->gil_wait_end = (__s16)m->gil_wait_end;
}

static int fill(const void *buf, const struct py_debug_map *m, struct py_offsets *o)
{
	struct pf_py_layout *l = &o->layout;
	/* Each offset with the slot holding the size of the struct it points into (trailing arrays such as
	 * co_code_adaptive[1] and ob_sval[1] count in sizeof, so they are inside too). */
	const struct {
		enum py_debug_slot off, size;
		__s16 *dst;
	} walk[] = {
		{ PY_DEBUG_INTERP_THREADS_HEAD, PY_DEBUG_INTERP_SIZE, &l->interp_tstate_head },
		{ PY_DEBUG_TSTATE_NEXT, PY_DEBUG_TSTATE_SIZE, &l->tstate_next },
		{ PY_DEBUG_TSTATE_THREAD_ID, PY_DEBUG_TSTATE_SIZE, &l->tstate_thread_id },
		{ PY_DEBUG_TSTATE_CURRENT_FRAME, PY_DEBUG_TSTATE_SIZE, &l->tstate_frame },
		{ PY_DEBUG_FRAME_PREVIOUS, PY_DEBUG_FRAME_SIZE, &l->frame_back },
		{ PY_DEBUG_FRAME_EXECUTABLE, PY_DEBUG_FRAME_SIZE, &l->frame_code },
		{ PY_DEBUG_FRAME_INSTR_PTR, PY_DEBUG_FRAME_SIZE, &l->frame_instr },
		{ PY_DEBUG_FRAME_OWNER, PY_DEBUG_FRAME_SIZE, &l->frame_owner },
		{ PY_DEBUG_CODE_ADAPTIVE, PY_DEBUG_CODE_SIZE, &l->code_adaptive },
	};
	const struct {
		enum py_debug_slot off, size;
		int *dst;
	} user[] = {
		{ PY_DEBUG_RUNTIME_INTERP_HEAD, PY_DEBUG_RUNTIME_SIZE, &o->runtime_interp_head },
		{ PY_DEBUG_INTERP_NEXT, PY_DEBUG_INTERP_SIZE, &o->interp_next },
		{ PY_DEBUG_CODE_NAME, PY_DEBUG_CODE_SIZE, &o->code_name },
		{ PY_DEBUG_CODE_QUALNAME, PY_DEBUG_CODE_SIZE, &o->code_qualname },
		{ PY_DEBUG_CODE_FILENAME, PY_DEBUG_CODE_SIZE, &o->code_filename },
		{ PY_DEBUG_CODE_FIRSTLINENO, PY_DEBUG_CODE_SIZE, &o->code_firstlineno },
		{ PY_DEBUG_CODE_LINETABLE, PY_DEBUG_CODE_SIZE, &o->code_linetable },
		{ PY_DEBUG_OBJECT_TYPE, PY_DEBUG_OBJECT_SIZE, &o->object_type },
		{ PY_DEBUG_TYPE_NAME, PY_DEBUG_TYPE_SIZE, &o->type_name },
		{ PY_DEBUG_BYTES_OB_SIZE, PY_DEBUG_BYTES_SIZE, &o->bytes_size },
		{ PY_DEBUG_BYTES_OB_SVAL, PY_DEBUG_BYTES_SIZE, &o->bytes_data },
		{ PY_DEBUG_UNICODE_STATE, PY_DEBUG_UNICODE_SIZE, &o->unicode_state },
		{ PY_DEBUG_UNICODE_LENGTH, PY_DEBUG_UNICODE_SIZE, &o->unicode_length },
		{ PY_DEBUG_UNICODE_ASCII_SIZE, PY_DEBUG_UNICODE_SIZE, &o->unicode_ascii_data },
	};
	uint64_t unicode_size = slot(buf, m, PY_DEBUG_UNICODE_SIZE), v;
	long long block;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->version = m->version;
	/* A value outside its own struct means a corrupt or misread table: refuse it rather than walk garbage. */
	for (i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		v = slot(buf, m, walk[i].off);
		if (v >= slot(buf, m, walk[i].size) || v > INT16_MAX)
			return -EINVAL;
		*walk[i].dst = (__s16)v;
	}
	for (i = 0; i < sizeof(user) / sizeof(user[0]); i++) {
		v = slot(buf, m, user[i].off);
		if (v >= slot(buf, m, user[i].size) || v > INT32_MAX)
			return -EINVAL;
		*user[i].dst = (int)v;
	}
	/* The data of a non-ASCII compact string follows PyCompactUnicodeObject, which the table does not size
	 * (before 3.15): PyUnicodeObject minus its `data` pointer, the same in a free-threaded build. */
	if (unicode_size > INT32_MAX || unicode_size < (uint64_t)m->unicode_data_ptr ||
	    unicode_size - m->unicode_data_ptr < slot(buf, m, PY_DEBUG_UNICODE_ASCII_SIZE))
		return -EINVAL;
	o->unicode_compact_data = (int)(unicode_size - m->unicode_data_ptr);
	l->owner_skip = m->owner_skip;
	l->exec_ref_bits = m->exec_ref_bits;
	l->cframe_current_frame = -1;
	l->frame_link = PF_LINK_CURRENT;  /* no _PyCFrame: the frame hangs off PyThreadState.current_frame */
	l->instr_kind = PF_INSTR_POINTER; /* instr_ptr points into co_code_adaptive */
	o->str_is_bytes = 0;
	block = code_block_size(o);
	if (block > INT32_MAX)
		return -EINVAL;
	o->code_size = (int)block;
	o->runtime_gil = -1;
	gil_layout(buf, m, o);
	return 0;
}

int py_offsets__from_debug(const void *buf, size_t len, struct py_offsets *out, char *why, size_t why_size)
{
	const struct py_debug_map *m;
	unsigned int major, minor, level;
	struct py_offsets o;
	uint64_t version;
	char supported[64];
	int err;

	if (len < 2 * sizeof(uint64_t) || memcmp(buf, PY_DEBUG_COOKIE, PY_DEBUG_COOKIE_LEN) != 0)
		return why__say(why, why_size, -EINVAL, "_PyRuntime does not start with _Py_DebugOffsets");
	memcpy(&version, (const char *)buf + sizeof(uint64_t), sizeof(version)); /* slot 1 in every version */
	major = (version >> 24) & 0xff;
	minor = (version >> 16) & 0xff;
	level = (version >> 4) & 0xf;
	py_offsets__supported(supported, sizeof(supported));
	/* The header promises a table's layout across the patch releases of one minor version; pre-releases are
	 * outside that promise and outside the maps we generated. */
	m = map_for(major << 8 | minor);
	if (!m || level != PY_RELEASE_FINAL)
		return why__say(why, why_size, -ENOTSUP,
				"CPython %u.%u%s: its _Py_DebugOffsets layout is not one we know (supported: %s)",
				major, minor, level != PY_RELEASE_FINAL ? " (a pre-release)" : "", supported);
	if (len < m->table_size)
		return why__say(why, why_size, -EINVAL, "CPython %u.%u: _Py_DebugOffsets cut short (%zu of %u bytes)",
				major, minor, len, m->table_size);
	if (slot(buf, m, PY_DEBUG_FREE_THREADED))
		return why__say(why, why_size, -ENOTSUP, "CPython %u.%u free-threaded build: not supported yet", major,
				minor);
	err = fill(buf, m, &o);
	if (err)
		return why__say(why, why_size, err,
				"CPython %u.%u: _Py_DebugOffsets holds an offset outside its struct", major, minor);
	*out = o; /* all or nothing */
	return 0;
}
