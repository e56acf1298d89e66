#!/usr/bin/env bash
# Generates user/python/python_debug_offsets_table.c: for each CPython minor version from 3.13 on, where the slots we
# read sit in its _Py_DebugOffsets, plus the few facts the walk needs that the table leaves out.
#
# Usage: scripts/gen-debug-offsets.sh [OUTPUT]   (default: user/python/python_debug_offsets_table.c next to this script)
# Env:   PYENV_ROOT (else `pyenv root`), CC (default cc), SID_ROOT (else scripts/sid-root.sh makes or finds one).
#
# Headers come from each build that ships its internal headers: 3.13 from the pyenv build under $PYENV_ROOT,
# 3.14 and later from Debian's libpython3.X-dev in the unstable root. The probe is compiled (never run inside
# Python) with -DPy_BUILD_CORE against them, so every number is the compiler's. Adding a version = a build with
# its headers + rerunning this; a slot moved or renamed upstream fails the compile here, not a user's profile.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$script_dir")
out=${1:-$repo/user/python/python_debug_offsets_table.c}
cc=${CC:-cc}
# shellcheck source=python-headers.sh
. "$script_dir/python-headers.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/probe.c" <<'PROBE'
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_frame.h>
#if __has_include(<internal/pycore_debug_offsets.h>) /* 3.14+; 3.13 has it in pycore_runtime.h */
#include <internal/pycore_debug_offsets.h>
#endif
#if __has_include(<internal/pycore_interpframe_structs.h>)
#include <internal/pycore_interpframe_structs.h>
#endif
#if __has_include(<internal/pycore_stackref.h>) /* Py_TAG_BITS */
#include <internal/pycore_stackref.h>
#endif
#include "python_debug_offsets.h"

#define SLOT(name, member) printf("\t\t\t[PY_DEBUG_" #name "] = %zu,\n", offsetof(_Py_DebugOffsets, member));

int main(void)
{
	unsigned skip = 0, tag_bits = 0;
	_PyInterpreterFrame *f = NULL;

#ifdef OWNER_INTERPRETER
	skip |= 1u << FRAME_OWNED_BY_INTERPRETER;
#endif
#ifdef OWNER_CSTACK
	skip |= 1u << FRAME_OWNED_BY_CSTACK;
#endif
#ifdef Py_TAG_BITS
	tag_bits = _Generic(f->f_executable, PyObject *: 0, default: (unsigned)Py_TAG_BITS);
#endif
	(void)f;
	printf("\t{ /* %s */\n", PY_VERSION);
	printf("\t\t.version = 0x%02x%02x,\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
	printf("\t\t.table_size = %zu,\n", sizeof(_Py_DebugOffsets));
	printf("\t\t.slot = {\n");
	PY_DEBUG_SLOTS(SLOT)
	printf("\t\t},\n");
	printf("\t\t.unicode_data_ptr = %zu,\n", sizeof(PyUnicodeObject) - sizeof(PyCompactUnicodeObject));
	printf("\t\t.gil_locked = %zu,\n", offsetof(struct _gil_runtime_state, locked));
	printf("\t\t.gil_holder = %zu,\n", offsetof(struct _gil_runtime_state, last_holder));
	printf("\t\t.gil_wait_begin = %zu,\n", offsetof(struct _gil_runtime_state, cond));
	printf("\t\t.gil_wait_end = %zu,\n", sizeof(struct _gil_runtime_state));
	printf("\t\t.owner_skip = 0x%02x,\n", skip);
	printf("\t\t.exec_ref_bits = %u,\n", tag_bits);
	printf("\t},\n");
	return 0;
}
PROBE

# "MINOR INCLUDE_DIR" for every build with internal headers, first found per minor version.
declare -A seen=()
sources=()
add() { # minor include-dir
	[[ -z ${seen[$1]:-} && -f $2/internal/pycore_runtime.h ]] || return 0
	grep -q _Py_DebugOffsets "$2"/internal/pycore_runtime.h "$2"/internal/pycore_debug_offsets.h 2>/dev/null || return 0
	seen[$1]=1
	sources+=("$1 $2")
}
for d in "${PYENV_ROOT:-/nonexistent}"/versions/3.*; do
	[[ $(basename "$d") =~ ^3\.([0-9]+)\.[0-9]+$ ]] || continue
	add "3.${BASH_REMATCH[1]}" "$d/include/python3.${BASH_REMATCH[1]}"
done
if [[ -n $SID_ROOT ]]; then
	for d in "$SID_ROOT"/usr/include/python3.*; do
		[[ $(basename "$d") =~ ^python(3\.[0-9]+)$ ]] && add "${BASH_REMATCH[1]}" "$d"
	done
fi
[[ ${#sources[@]} -gt 0 ]] || { echo "gen-debug-offsets: no CPython 3.13+ headers found" >&2; exit 1; }
mapfile -t sources < <(printf '%s\n' "${sources[@]}" | sort -t. -k2,2n)

{
	cat <<'HEAD'
/* Where each CPython minor version keeps the _Py_DebugOffsets slots we read; GENERATED, do not edit.
 *
 * Regenerate with scripts/gen-debug-offsets.sh (compiles offsetof() against each version's own headers with
 * -DPy_BUILD_CORE: 3.13 from a pyenv build, 3.14+ from Debian's libpython3.X-dev).
 */
#include "python_debug_offsets.h"

const struct py_debug_map py_debug_maps[] = {
HEAD
	for s in "${sources[@]}"; do
		minor=${s%% *} inc=${s#* }
		python_header_flags "$minor" "$inc" "$tmp"
		flags=("${header_flags[@]}" -I"$repo/user/python")
		# Owners of frames that run no Python code, by name: an enum member cannot be tested with #ifdef.
		owners=$(grep -h -A12 'enum _frameowner' "$inc"/internal/pycore_frame.h \
			"$inc"/internal/pycore_interpframe_structs.h 2>/dev/null || true)
		grep -q FRAME_OWNED_BY_INTERPRETER <<<"$owners" && flags+=(-DOWNER_INTERPRETER)
		grep -q FRAME_OWNED_BY_CSTACK <<<"$owners" && flags+=(-DOWNER_CSTACK)
		"$cc" "${flags[@]}" -o "$tmp/probe$minor" "$tmp/probe.c"
		"$tmp/probe$minor"
	done
	printf '};\n\nconst unsigned int py_debug_maps_len = sizeof(py_debug_maps) / sizeof(py_debug_maps[0]);\n'
} >"$tmp/out.c"
mv "$tmp/out.c" "$out"
echo "gen-debug-offsets: wrote $out (${sources[*]%% *})" | sed "s|$repo/||"
