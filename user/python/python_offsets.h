/* Per-version CPython memory layouts: the generated table (≤ 3.12) and the _Py_DebugOffsets parser (3.13+). */
#ifndef PYTHON_OFFSETS_H
#define PYTHON_OFFSETS_H

#include <stddef.h>

#include "pyflame.h"

/* Everything pyflame-bpf needs to know about one CPython minor version's memory layout; -1 = field absent. */
struct py_offsets {
	unsigned int version;	    /* major << 8 | minor, e.g. 0x030c */
	int runtime_interp_head;    /* offsetof(_PyRuntimeState, interpreters.head);
				       -1 for 2.7/3.6 (they use the interp_head symbol) */
	int interp_next;	    /* PyInterpreterState.next */
	int runtime_gil;	    /* offsetof(_PyRuntimeState, ceval.gil), 3.7-3.11; else -1 */
	int interp_gil_ptr;	    /* offsetof(PyInterpreterState, ceval.gil), a pointer, 3.12+; else -1 */
	struct pf_py_layout layout; /* what the BPF walk needs (include/pyflame.h) */
	/* code objects, read by userspace to name frames */
	int code_name;
	int code_qualname; /* -1 before 3.11 */
	int code_filename;
	int code_firstlineno;	    /* an int, not a pointer */
	int code_linetable;	    /* co_lnotab ≤ 3.9, co_linetable 3.10+ */
	int object_type;	    /* PyObject.ob_type */
	int type_name;		    /* PyTypeObject.tp_name */
	int bytes_size, bytes_data; /* PyBytesObject (2.7: PyStringObject) ob_size, ob_sval */
	int str_is_bytes;	    /* 1 on 2.7: co_name/co_filename are PyStringObject, not unicode */
	int unicode_state;	    /* PyASCIIObject.state (bit 5 compact, bit 6 ascii); -1 on 2.7 */
	int unicode_length;	    /* PyASCIIObject.length */
	int unicode_ascii_data;	    /* sizeof(PyASCIIObject): data of a compact ASCII string */
	int unicode_compact_data;   /* sizeof(PyCompactUnicodeObject): data of other compact strings */
	int code_size;		    /* bytes of code object header to read in one block to get every code_* field
				       (furthest field offset + 8, rounded up to 8) */
};

/* The generated table (user/python_offsets_table.c, by scripts/gen-python-offsets.sh), ascending by version. */
extern const struct py_offsets py_offsets_table[];
extern const unsigned int py_offsets_table_len;

/*
 * Exact minor version from the generated table, NULL when unknown (never the nearest).
 * Versions that carry _Py_DebugOffsets (3.13+) are NULL too: their table row describes the default
 * build only, while the interpreter's own table also covers free-threaded builds.
 */
const struct py_offsets *py_offsets__find(unsigned int version);

/*
 * 3.13+: fill @out from the _Py_DebugOffsets that starts _PyRuntime (cookie "xdebugpy"), e.g. the bytes of the ELF
 * section .PyRuntime, through the generated slot map of its minor version (python_debug_offsets.h). Returns 0;
 * -EINVAL for a bad cookie, a short buffer or an offset outside its struct; -ENOTSUP for a version without a map
 * (or a pre-release) and for a free-threaded build. On failure @why (if not NULL) gets one line saying why, and
 * @out is left alone.
 */
int py_offsets__from_debug(const void *buf, size_t len, struct py_offsets *out, char *why, size_t why_size);

/* Bytes of _PyRuntime read for its _Py_DebugOffsets: more than any version's table (3.13: 584, 3.14: 760,
 * 3.15: 888), less than _PyRuntime. */
#define PY_DEBUG_OFFSETS_READ 2048

/* The versions pyflame-bpf walks, as "2.7, 3.6-3.15": from the generated tables, never written by hand. */
void py_offsets__supported(char *buf, size_t size);

#endif
