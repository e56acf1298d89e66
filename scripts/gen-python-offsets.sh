#!/usr/bin/env bash
# Generates user/python/python_offsets_table.c from the headers of every CPython build installed under $PYENV_ROOT/versions.
#
# Usage: scripts/gen-python-offsets.sh [OUTPUT]   (default: user/python/python_offsets_table.c next to this script)
# Env:   PYENV_ROOT (else `pyenv root`), CC (default cc).
#
# Each build's offsets come from offsetof()/sizeof() compiled with -DPy_BUILD_CORE against that build's own
# headers (no link, nothing run inside Python), so the table says what the compiler says, not what we remember.
# 3.13 carries _Py_DebugOffsets and is read at run time (py_offsets__from_debug); its row here is a cross-check
# of that parser. Versions after 3.13 are skipped: the probe does not know their layout.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$(dirname "$script_dir")/user/python/python_offsets_table.c}
cc=${CC:-cc}

if [[ -z ${PYENV_ROOT:-} ]]; then
	PYENV_ROOT=$(pyenv root 2>/dev/null) || { echo "gen-python-offsets: PYENV_ROOT is not set and pyenv is not on PATH" >&2; exit 1; }
fi
[[ -d $PYENV_ROOT/versions ]] || { echo "gen-python-offsets: no $PYENV_ROOT/versions directory" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The probe: prints one designated-initializer row of struct py_offsets for the headers it is compiled against.
cat >"$tmp/probe.c" <<'EOF'
/* Python.h first: it sets feature macros the C library headers depend on. */
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdio.h>
#if PY_VERSION_HEX < 0x030b0000
#include <code.h>
#endif

/* Interpreter and thread state internals: which header defines them moved almost every release. */
#if PY_VERSION_HEX >= 0x030e0000
#error "layout after 3.13 unknown to this probe"
#elif PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_frame.h>
#elif PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>
#elif PY_VERSION_HEX >= 0x03080000
#include <internal/pycore_pystate.h>
#elif PY_VERSION_HEX >= 0x03070000
#include <internal/pystate.h>
#elif PY_VERSION_HEX < 0x02070000 || (PY_VERSION_HEX >= 0x03000000 && PY_VERSION_HEX < 0x03060000)
#error "layout before 2.7 / between 3.0 and 3.5 unknown to this probe"
#endif

#define OFF(type, field) ((int)offsetof(type, field))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

int main(void)
{
	int runtime_interp_head = -1, interp_tstate_head, tstate_frame, cframe_current_frame = -1;
	int frame_back, frame_code, frame_instr, frame_owner = -1, owner_skip = 0, code_adaptive = -1;
	int code_qualname = -1, code_linetable, bytes_size, bytes_data, str_is_bytes = 0;
	int unicode_state = -1, unicode_length = -1, unicode_ascii_data = -1, unicode_compact_data = -1;
	const char *frame_link, *instr_kind;
	int code_size;
	int runtime_gil = -1, interp_gil_ptr = -1, gil_locked = -1, gil_holder = -1, gil_wait_begin = -1, gil_wait_end = -1;

#if PY_VERSION_HEX >= 0x03070000
	runtime_interp_head = OFF(_PyRuntimeState, interpreters.head);
#endif

	/* The GIL: in _PyRuntime 3.7-3.11, per interpreter (ceval.gil points to it) from 3.12. Waiters block in futex()
	 * on its cond or mutex (take_gil), a dropping thread on switch_cond/switch_mutex (FORCE_SWITCHING): every
	 * byte from cond to the struct's end. 2.7 and 3.6 keep it in static variables: unknown. */
#if PY_VERSION_HEX >= 0x030c0000
	interp_gil_ptr = OFF(PyInterpreterState, ceval.gil);
#elif PY_VERSION_HEX >= 0x03070000
	runtime_gil = OFF(_PyRuntimeState, ceval.gil);
#endif
#if PY_VERSION_HEX >= 0x03070000
	gil_locked = (int)offsetof(struct _gil_runtime_state, locked);
	gil_holder = (int)offsetof(struct _gil_runtime_state, last_holder);
	gil_wait_begin = (int)offsetof(struct _gil_runtime_state, cond);
	gil_wait_end = (int)sizeof(struct _gil_runtime_state);
#endif

#if PY_VERSION_HEX >= 0x030b0000
	interp_tstate_head = OFF(PyInterpreterState, threads.head);
#else
	interp_tstate_head = OFF(PyInterpreterState, tstate_head);
#endif

#if PY_VERSION_HEX >= 0x030d0000
	frame_link = "PF_LINK_CURRENT";
	tstate_frame = OFF(PyThreadState, current_frame);
	frame_code = OFF(_PyInterpreterFrame, f_executable);
	frame_instr = OFF(_PyInterpreterFrame, instr_ptr);
#elif PY_VERSION_HEX >= 0x030b0000
	frame_link = "PF_LINK_CFRAME";
	tstate_frame = OFF(PyThreadState, cframe);
	cframe_current_frame = OFF(_PyCFrame, current_frame);
	frame_code = OFF(_PyInterpreterFrame, f_code);
	frame_instr = OFF(_PyInterpreterFrame, prev_instr);
#else
	frame_link = "PF_LINK_FRAME";
	tstate_frame = OFF(PyThreadState, frame);
	frame_back = OFF(PyFrameObject, f_back);
	frame_code = OFF(PyFrameObject, f_code);
	frame_instr = OFF(PyFrameObject, f_lasti);
#endif

#if PY_VERSION_HEX >= 0x030b0000
	instr_kind = "PF_INSTR_POINTER";
	frame_back = OFF(_PyInterpreterFrame, previous);
	code_adaptive = OFF(PyCodeObject, co_code_adaptive);
	code_qualname = OFF(PyCodeObject, co_qualname);
#else
	instr_kind = "PF_INSTR_LASTI";
#endif

	/* 3.11 has an owner field but no C-stack shims (is_entry marks the entry frame): nothing to skip. */
#if PY_VERSION_HEX >= 0x030c0000
	frame_owner = OFF(_PyInterpreterFrame, owner);
	owner_skip = 1 << FRAME_OWNED_BY_CSTACK;
#endif

#if PY_VERSION_HEX >= 0x030a0000
	code_linetable = OFF(PyCodeObject, co_linetable);
#else
	code_linetable = OFF(PyCodeObject, co_lnotab);
#endif

#if PY_MAJOR_VERSION == 2
	str_is_bytes = 1;
	bytes_size = OFF(PyStringObject, ob_size);
	bytes_data = OFF(PyStringObject, ob_sval);
#else
	bytes_size = OFF(PyBytesObject, ob_base.ob_size);
	bytes_data = OFF(PyBytesObject, ob_sval);
	unicode_state = OFF(PyASCIIObject, state);
	unicode_length = OFF(PyASCIIObject, length);
	unicode_ascii_data = (int)sizeof(PyASCIIObject);
	unicode_compact_data = (int)sizeof(PyCompactUnicodeObject);
#endif

	code_size = MAX(OFF(PyCodeObject, co_name), OFF(PyCodeObject, co_filename));
	code_size = MAX(code_size, OFF(PyCodeObject, co_firstlineno));
	code_size = MAX(code_size, code_linetable);
	code_size = MAX(code_size, code_qualname);
	code_size = (code_size + 8 + 7) & ~7;

	printf("\t{ /* %s */\n", PY_VERSION);
	printf("\t\t.version = 0x%02x%02x,\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
	printf("\t\t.runtime_interp_head = %d,\n", runtime_interp_head);
	printf("\t\t.interp_next = %d,\n", OFF(PyInterpreterState, next));
	printf("\t\t.runtime_gil = %d,\n", runtime_gil);
	printf("\t\t.interp_gil_ptr = %d,\n", interp_gil_ptr);
	printf("\t\t.layout = {\n");
	printf("\t\t\t.interp_tstate_head = %d,\n", interp_tstate_head);
	printf("\t\t\t.tstate_next = %d,\n", OFF(PyThreadState, next));
	printf("\t\t\t.tstate_thread_id = %d,\n", OFF(PyThreadState, thread_id));
	printf("\t\t\t.tstate_frame = %d,\n", tstate_frame);
	printf("\t\t\t.cframe_current_frame = %d,\n", cframe_current_frame);
	printf("\t\t\t.frame_back = %d,\n", frame_back);
	printf("\t\t\t.frame_code = %d,\n", frame_code);
	printf("\t\t\t.frame_instr = %d,\n", frame_instr);
	printf("\t\t\t.frame_owner = %d,\n", frame_owner);
	printf("\t\t\t.code_adaptive = %d,\n", code_adaptive);
	printf("\t\t\t.frame_link = %s,\n", frame_link);
	printf("\t\t\t.instr_kind = %s,\n", instr_kind);
	printf("\t\t\t.owner_skip = 0x%02x,\n", owner_skip);
	printf("\t\t\t.gil_locked = %d,\n", gil_locked);
	printf("\t\t\t.gil_holder = %d,\n", gil_holder);
	printf("\t\t\t.gil_wait_begin = %d,\n", gil_wait_begin);
	printf("\t\t\t.gil_wait_end = %d,\n", gil_wait_end);
	printf("\t\t},\n");
	printf("\t\t.code_name = %d,\n", OFF(PyCodeObject, co_name));
	printf("\t\t.code_qualname = %d,\n", code_qualname);
	printf("\t\t.code_filename = %d,\n", OFF(PyCodeObject, co_filename));
	printf("\t\t.code_firstlineno = %d,\n", OFF(PyCodeObject, co_firstlineno));
	printf("\t\t.code_linetable = %d,\n", code_linetable);
	printf("\t\t.object_type = %d,\n", OFF(PyObject, ob_type));
	printf("\t\t.type_name = %d,\n", OFF(PyTypeObject, tp_name));
	printf("\t\t.bytes_size = %d,\n", bytes_size);
	printf("\t\t.bytes_data = %d,\n", bytes_data);
	printf("\t\t.str_is_bytes = %d,\n", str_is_bytes);
	printf("\t\t.unicode_state = %d,\n", unicode_state);
	printf("\t\t.unicode_length = %d,\n", unicode_length);
	printf("\t\t.unicode_ascii_data = %d,\n", unicode_ascii_data);
	printf("\t\t.unicode_compact_data = %d,\n", unicode_compact_data);
	printf("\t\t.code_size = %d,\n", code_size);
	printf("\t},\n");
	return 0;
}
EOF

# One row per minor version; a second build of the same minor must agree with the first.
declare -A row_of
minors=()
for dir in "$PYENV_ROOT"/versions/*/; do
	name=$(basename "$dir")
	[[ $name =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || { echo "gen-python-offsets: skipping $name (not a plain X.Y.Z build)" >&2; continue; }
	major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
	if (( major > 3 || (major == 3 && minor > 13) )); then
		echo "gen-python-offsets: skipping $name: after 3.13, read _Py_DebugOffsets at run time" >&2
		continue
	fi
	incs=("${dir}include/python${major}.${minor}"*/)   # python3.6m, python3.7m, python3.13, ...
	inc=${incs[0]%/}
	[[ -f $inc/Python.h ]] || { echo "gen-python-offsets: $name: no include/python$major.$minor*/Python.h" >&2; exit 1; }

	"$cc" -DPy_BUILD_CORE -I "$inc" -o "$tmp/probe" "$tmp/probe.c" ||
		{ echo "gen-python-offsets: $name: probe does not compile against $inc" >&2; exit 1; }
	row=$("$tmp/probe")
	key="$major.$minor"
	body=$(tail -n +2 <<<"$row")   # everything but the "/* X.Y.Z */" line
	if [[ -n ${row_of[$key]:-} ]]; then
		if [[ $(tail -n +2 <<<"${row_of[$key]}") != "$body" ]]; then
			echo "gen-python-offsets: $name disagrees with another $key build; offsets differ between patch releases" >&2
			exit 1
		fi
		continue
	fi
	row_of[$key]=$row
	minors+=("$key")
done
(( ${#minors[@]} )) || { echo "gen-python-offsets: no CPython build found under $PYENV_ROOT/versions" >&2; exit 1; }
mapfile -t minors < <(printf '%s\n' "${minors[@]}" | sort -V)

{
	cat <<'EOF'
/* CPython struct offsets per minor version, one row each; GENERATED, do not edit.
 *
 * Regenerate with scripts/gen-python-offsets.sh (compiles offsetof() against each build under
 * $PYENV_ROOT/versions with -DPy_BUILD_CORE). The 3.13 row, if present, only cross-checks
 * py_offsets__from_debug: py_offsets__find does not return it.
 */
#include "python_offsets.h"

const struct py_offsets py_offsets_table[] = {
EOF
	for key in "${minors[@]}"; do
		printf '%s\n' "${row_of[$key]}"
	done
	cat <<'EOF'
};

const unsigned int py_offsets_table_len = sizeof(py_offsets_table) / sizeof(py_offsets_table[0]);
EOF
} >"$tmp/table.c"

mv "$tmp/table.c" "$out"
echo "gen-python-offsets: wrote ${#minors[@]} rows (${minors[*]}) to $out" >&2
