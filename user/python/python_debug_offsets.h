/* The slots of CPython's _Py_DebugOffsets (3.13+) that we read, and where each minor version keeps them. */
#ifndef PYTHON_DEBUG_OFFSETS_H
#define PYTHON_DEBUG_OFFSETS_H

/*
 * X(NAME, member of _Py_DebugOffsets): every slot py_offsets__from_debug reads. scripts/gen-debug-offsets.sh
 * compiles offsetof(_Py_DebugOffsets, member) for each against a version's own headers; the list is the one
 * place a new slot is added.
 */
#define PY_DEBUG_SLOTS(X)                                                                                              \
	X(VERSION, version)                                                                                            \
	X(FREE_THREADED, free_threaded)                                                                                \
	X(RUNTIME_SIZE, runtime_state.size)                                                                            \
	X(RUNTIME_INTERP_HEAD, runtime_state.interpreters_head)                                                        \
	X(INTERP_SIZE, interpreter_state.size)                                                                         \
	X(INTERP_NEXT, interpreter_state.next)                                                                         \
	X(INTERP_THREADS_HEAD, interpreter_state.threads_head)                                                         \
	X(INTERP_CEVAL_GIL, interpreter_state.ceval_gil)                                                               \
	X(INTERP_GIL, interpreter_state.gil_runtime_state)                                                             \
	X(INTERP_GIL_LOCKED, interpreter_state.gil_runtime_state_locked)                                               \
	X(INTERP_GIL_HOLDER, interpreter_state.gil_runtime_state_holder)                                               \
	X(TSTATE_SIZE, thread_state.size)                                                                              \
	X(TSTATE_NEXT, thread_state.next)                                                                              \
	X(TSTATE_CURRENT_FRAME, thread_state.current_frame)                                                            \
	X(TSTATE_THREAD_ID, thread_state.thread_id)                                                                    \
	X(FRAME_SIZE, interpreter_frame.size)                                                                          \
	X(FRAME_PREVIOUS, interpreter_frame.previous)                                                                  \
	X(FRAME_EXECUTABLE, interpreter_frame.executable)                                                              \
	X(FRAME_INSTR_PTR, interpreter_frame.instr_ptr)                                                                \
	X(FRAME_OWNER, interpreter_frame.owner)                                                                        \
	X(CODE_SIZE, code_object.size)                                                                                 \
	X(CODE_FILENAME, code_object.filename)                                                                         \
	X(CODE_NAME, code_object.name)                                                                                 \
	X(CODE_QUALNAME, code_object.qualname)                                                                         \
	X(CODE_LINETABLE, code_object.linetable)                                                                       \
	X(CODE_FIRSTLINENO, code_object.firstlineno)                                                                   \
	X(CODE_ADAPTIVE, code_object.co_code_adaptive)                                                                 \
	X(OBJECT_SIZE, pyobject.size)                                                                                  \
	X(OBJECT_TYPE, pyobject.ob_type)                                                                               \
	X(TYPE_SIZE, type_object.size)                                                                                 \
	X(TYPE_NAME, type_object.tp_name)                                                                              \
	X(BYTES_SIZE, bytes_object.size)                                                                               \
	X(BYTES_OB_SIZE, bytes_object.ob_size)                                                                         \
	X(BYTES_OB_SVAL, bytes_object.ob_sval)                                                                         \
	X(UNICODE_SIZE, unicode_object.size)                                                                           \
	X(UNICODE_STATE, unicode_object.state)                                                                         \
	X(UNICODE_LENGTH, unicode_object.length)                                                                       \
	X(UNICODE_ASCII_SIZE, unicode_object.asciiobject_size)

#define PY_DEBUG_SLOT_ENUM(name, member) PY_DEBUG_##name,
enum py_debug_slot { PY_DEBUG_SLOTS(PY_DEBUG_SLOT_ENUM) PY_DEBUG__COUNT };
#undef PY_DEBUG_SLOT_ENUM

/* One minor version's table: where its slots are, and what the walk needs from its headers that the table omits
 * (values of the default build; a free-threaded build is refused). */
struct py_debug_map {
	unsigned int version;		      /* major << 8 | minor */
	unsigned int table_size;	      /* sizeof(_Py_DebugOffsets) */
	unsigned short slot[PY_DEBUG__COUNT]; /* byte offset of each slot in the table */
	int unicode_data_ptr;		      /* sizeof(PyUnicodeObject) - sizeof(PyCompactUnicodeObject) */
	int gil_locked, gil_holder;	      /* offsetof(struct _gil_runtime_state, locked / last_holder) */
	int gil_wait_begin, gil_wait_end;     /* cond up to sizeof(struct _gil_runtime_state): where waiters block */
	unsigned char owner_skip;	      /* bit per enum _frameowner value of frames that run no Python code */
	unsigned char exec_ref_bits;	      /* Py_TAG_BITS when f_executable is a _PyStackRef, else 0 */
};

/* Generated by scripts/gen-debug-offsets.sh into user/python_debug_offsets_table.c, ascending by version. */
extern const struct py_debug_map py_debug_maps[];
extern const unsigned int py_debug_maps_len;

#endif
