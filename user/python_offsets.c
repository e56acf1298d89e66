/* Looks up a CPython version's layout: the generated table up to 3.12, the interpreter's own _Py_DebugOffsets for 3.13. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "python_offsets.h"

/* First version whose _PyRuntime starts with _Py_DebugOffsets; from here on the table is only a cross-check. */
#define PY_DEBUG_OFFSETS_SINCE 0x030d

const struct py_offsets *py_offsets__find(unsigned int version)
{
	unsigned int i;

	if (version >= PY_DEBUG_OFFSETS_SINCE)
		return NULL;
	for (i = 0; i < py_offsets_table_len; i++) {
		if (py_offsets_table[i].version == version)
			return &py_offsets_table[i];
	}
	return NULL;
}

/*
 * _Py_DebugOffsets of 3.13.x (Include/internal/pycore_runtime.h, 3.13.0) is an 8-byte cookie then uint64_t
 * slots, grouped per struct, each group starting with that struct's sizeof(). Slot numbers count the cookie
 * as slot 0; only the slots we read are named, the comments list every slot of a group. The header promises
 * the layout across patch releases of one minor version only, so these numbers are 3.13's and nobody else's.
 */
enum py313_slot {
	D13_VERSION = 1,                /* PY_VERSION_HEX */
	D13_FREE_THREADED = 2,
	/* runtime_state: size, finalizing, interpreters_head */
	D13_RUNTIME_SIZE = 3,
	D13_RUNTIME_INTERP_HEAD = 5,
	/* interpreter_state: size, id, next, threads_head, gc, imports_modules, sysdict, builtins, ceval_gil,
	 * gil_runtime_state, gil_runtime_state_enabled, gil_runtime_state_locked, gil_runtime_state_holder */
	D13_INTERP_SIZE = 6,
	D13_INTERP_NEXT = 8,
	D13_INTERP_THREADS_HEAD = 9,
	D13_INTERP_CEVAL_GIL = 14,
	D13_INTERP_GIL = 15,
	D13_INTERP_GIL_LOCKED = 17,     /* these two from the interpreter's start, not the GIL's */
	D13_INTERP_GIL_HOLDER = 18,
	/* thread_state: size, prev, next, interp, current_frame, thread_id, native_thread_id, datastack_chunk, status */
	D13_TSTATE_SIZE = 19,
	D13_TSTATE_NEXT = 21,
	D13_TSTATE_CURRENT_FRAME = 23,
	D13_TSTATE_THREAD_ID = 24,
	/* interpreter_frame: size, previous, executable, instr_ptr, localsplus, owner */
	D13_FRAME_SIZE = 28,
	D13_FRAME_PREVIOUS = 29,
	D13_FRAME_EXECUTABLE = 30,
	D13_FRAME_INSTR_PTR = 31,
	D13_FRAME_OWNER = 33,
	/* code_object: size, filename, name, qualname, linetable, firstlineno, argcount, localsplusnames,
	 * localspluskinds, co_code_adaptive */
	D13_CODE_SIZE = 34,
	D13_CODE_FILENAME = 35,
	D13_CODE_NAME = 36,
	D13_CODE_QUALNAME = 37,
	D13_CODE_LINETABLE = 38,
	D13_CODE_FIRSTLINENO = 39,
	D13_CODE_ADAPTIVE = 43,
	/* pyobject: size, ob_type */
	D13_OBJECT_SIZE = 44,
	D13_OBJECT_TYPE = 45,
	/* type_object: size, tp_name, tp_repr, tp_flags */
	D13_TYPE_SIZE = 46,
	D13_TYPE_NAME = 47,
	/* tuple_object 50-52, list_object 53-55, dict_object 56-58, float_object 59-60, long_object 61-63 */
	/* bytes_object: size, ob_size, ob_sval */
	D13_BYTES_SIZE = 64,
	D13_BYTES_OB_SIZE = 65,
	D13_BYTES_OB_SVAL = 66,
	/* unicode_object: size (sizeof(PyUnicodeObject)), state, length, asciiobject_size */
	D13_UNICODE_SIZE = 67,
	D13_UNICODE_STATE = 68,
	D13_UNICODE_LENGTH = 69,
	D13_UNICODE_ASCII_SIZE = 70,
	/* gc: size, collecting */
	D13_SLOTS = 73,                 /* 584 bytes */
};

#define PY_DEBUG_COOKIE "xdebugpy"
#define PY_DEBUG_COOKIE_LEN 8
#define PY_RELEASE_FINAL 0xf

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

/*
 * The GIL's fields from the table; where its waiters block is not in it. 3.13.0's Include/internal/pycore_gil.h
 * (default build): interval, last_holder, locked, switch_number, then cond, mutex, switch_cond, switch_mutex —
 * glibc's pthread_cond_t (48 bytes) and pthread_mutex_t (40) on x86-64. A free-threaded build puts `enabled`
 * first and may run without a GIL at all: its GIL is left unknown.
 */
static void gil_layout(const uint64_t *s, struct py_offsets *o)
{
	struct pf_py_layout *l = &o->layout;

	l->gil_locked = l->gil_holder = l->gil_wait_begin = l->gil_wait_end = -1;
	if (o->free_threaded || s[D13_INTERP_GIL_HOLDER] != s[D13_INTERP_GIL] + 8 ||
	    s[D13_INTERP_GIL_LOCKED] != s[D13_INTERP_GIL] + 16 || s[D13_INTERP_CEVAL_GIL] >= s[D13_INTERP_SIZE]) {
		o->interp_gil_ptr = -1;
		return;
	}
	l->gil_holder = 8;
	l->gil_locked = 16;
	l->gil_wait_begin = 32;                 /* after switch_number */
	l->gil_wait_end = 32 + 2 * (48 + 40);   /* through switch_mutex */
}

static int py313_fill(const uint64_t *s, struct py_offsets *o)
{
	struct pf_py_layout *l = &o->layout;
	/* Each offset with the slot holding the size of the struct it points into (trailing arrays such as
	 * co_code_adaptive[1] and ob_sval[1] count in sizeof, so they are inside too). */
	const struct {
		enum py313_slot off, size;
		__s16 *dst;
	} walk[] = {
		{ D13_INTERP_THREADS_HEAD, D13_INTERP_SIZE, &l->interp_tstate_head },
		{ D13_TSTATE_NEXT, D13_TSTATE_SIZE, &l->tstate_next },
		{ D13_TSTATE_THREAD_ID, D13_TSTATE_SIZE, &l->tstate_thread_id },
		{ D13_TSTATE_CURRENT_FRAME, D13_TSTATE_SIZE, &l->tstate_frame },
		{ D13_FRAME_PREVIOUS, D13_FRAME_SIZE, &l->frame_back },
		{ D13_FRAME_EXECUTABLE, D13_FRAME_SIZE, &l->frame_code },
		{ D13_FRAME_INSTR_PTR, D13_FRAME_SIZE, &l->frame_instr },
		{ D13_FRAME_OWNER, D13_FRAME_SIZE, &l->frame_owner },
		{ D13_CODE_ADAPTIVE, D13_CODE_SIZE, &l->code_adaptive },
	};
	const struct {
		enum py313_slot off, size;
		int *dst;
	} user[] = {
		{ D13_RUNTIME_INTERP_HEAD, D13_RUNTIME_SIZE, &o->runtime_interp_head },
		{ D13_INTERP_NEXT, D13_INTERP_SIZE, &o->interp_next },
		{ D13_CODE_NAME, D13_CODE_SIZE, &o->code_name },
		{ D13_CODE_QUALNAME, D13_CODE_SIZE, &o->code_qualname },
		{ D13_CODE_FILENAME, D13_CODE_SIZE, &o->code_filename },
		{ D13_CODE_FIRSTLINENO, D13_CODE_SIZE, &o->code_firstlineno },
		{ D13_CODE_LINETABLE, D13_CODE_SIZE, &o->code_linetable },
		{ D13_OBJECT_TYPE, D13_OBJECT_SIZE, &o->object_type },
		{ D13_TYPE_NAME, D13_TYPE_SIZE, &o->type_name },
		{ D13_BYTES_OB_SIZE, D13_BYTES_SIZE, &o->bytes_size },
		{ D13_BYTES_OB_SVAL, D13_BYTES_SIZE, &o->bytes_data },
		{ D13_UNICODE_STATE, D13_UNICODE_SIZE, &o->unicode_state },
		{ D13_UNICODE_LENGTH, D13_UNICODE_SIZE, &o->unicode_length },
		{ D13_UNICODE_ASCII_SIZE, D13_UNICODE_SIZE, &o->unicode_ascii_data },
	};
	uint64_t unicode_size = s[D13_UNICODE_SIZE];
	long long block;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->version = (s[D13_VERSION] >> 16) & 0xffff;
	o->free_threaded = s[D13_FREE_THREADED] != 0;

	/* A value outside its own struct means a corrupt or misread table: refuse it rather than walk garbage. */
	for (i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		if (s[walk[i].off] >= s[walk[i].size] || s[walk[i].off] > INT16_MAX)
			return -EINVAL;
		*walk[i].dst = (__s16)s[walk[i].off];
	}
	for (i = 0; i < sizeof(user) / sizeof(user[0]); i++) {
		if (s[user[i].off] >= s[user[i].size] || s[user[i].off] > INT32_MAX)
			return -EINVAL;
		*user[i].dst = (int)s[user[i].off];
	}

	/*
	 * Not in the table; from 3.13.0's headers instead:
	 * - PyUnicodeObject is PyCompactUnicodeObject plus the `data` union (one pointer), so
	 *   sizeof(PyCompactUnicodeObject) = sizeof(PyUnicodeObject) - 8 (Include/cpython/unicodeobject.h);
	 *   this also holds for a free-threaded build, whose larger PyObject header both sizes include.
	 * - enum _frameowner: FRAME_OWNED_BY_CSTACK = 3 (Include/internal/pycore_frame.h).
	 * - No _PyCFrame any more: the frame hangs off PyThreadState.current_frame, and
	 *   _PyInterpreterFrame.instr_ptr points into co_code_adaptive.
	 * - co_name and co_filename are unicode, as in every 3.x.
	 */
	if (unicode_size < 8 || unicode_size > INT32_MAX || unicode_size - 8 < s[D13_UNICODE_ASCII_SIZE])
		return -EINVAL;
	o->unicode_compact_data = (int)(unicode_size - 8);
	l->owner_cstack = 3;
	l->cframe_current_frame = -1;
	l->frame_link = PF_LINK_CURRENT;
	l->instr_kind = PF_INSTR_POINTER;
	o->str_is_bytes = 0;
	block = code_block_size(o);
	if (block > INT32_MAX)
		return -EINVAL;
	o->code_size = (int)block;
	o->runtime_gil = -1;
	o->interp_gil_ptr = (int)s[D13_INTERP_CEVAL_GIL];
	gil_layout(s, o);
	return 0;
}

int py_offsets__from_debug(const void *buf, size_t len, struct py_offsets *out)
{
	uint64_t slots[D13_SLOTS];
	struct py_offsets o;
	unsigned int major, minor, level;
	uint64_t version;
	int err;

	if (len < (D13_VERSION + 1) * sizeof(uint64_t) || memcmp(buf, PY_DEBUG_COOKIE, PY_DEBUG_COOKIE_LEN) != 0)
		return -EINVAL;
	memcpy(&version, (const char *)buf + D13_VERSION * sizeof(uint64_t), sizeof(version));
	major = (version >> 24) & 0xff;
	minor = (version >> 16) & 0xff;
	level = (version >> 4) & 0xf;

	/*
	 * Only final 3.13.x releases: the header's stability promise covers patch releases, and 3.13.0's is the
	 * table we have read; pre-releases are outside both.
	 *
	 * 3.14 is refused on purpose (-ENOTSUP). From the 3.14-era sources we could read (python/cpython
	 * Include/internal/pycore_debug_offsets.h and pycore_interpframe_structs.h), none of them the v3.14.0 tag:
	 * - the table is longer and its slots move (760 bytes vs 584): interpreter_state gains threads_main right
	 *   after threads_head, interpreter_frame gains stackpointer (and tlbc_index), code_object gains co_tlbc,
	 *   new set_object, gen_object, llist_node and debugger_support groups;
	 * - _PyInterpreterFrame.f_executable becomes a _PyStackRef, a pointer with tag bits in its low bits: the
	 *   BPF walk would need a mask that struct pf_py_layout does not carry;
	 * - enum _frameowner gains FRAME_OWNED_BY_INTERPRETER = 3 and FRAME_OWNED_BY_CSTACK moves to 4; both
	 *   mark frames to skip, which one owner_cstack value compared for equality cannot express.
	 */
	if (major != 3 || minor != 13 || level != PY_RELEASE_FINAL)
		return -ENOTSUP;
	if (len < sizeof(slots))
		return -EINVAL;
	memcpy(slots, buf, sizeof(slots)); /* buf may be unaligned */
	err = py313_fill(slots, &o);
	if (err)
		return err;
	*out = o; /* all or nothing */
	return 0;
}
