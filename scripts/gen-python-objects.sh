#!/usr/bin/env bash
# Generates user/python/python_objects_table.c: for each CPython minor version, where the objects that name a thread
# keep their parts (sys.modules, module and instance dicts, dict internals, type fields).
#
# Usage: scripts/gen-python-objects.sh [OUTPUT]   (default: user/python/python_objects_table.c next to this script)
# Env:   PYENV_ROOT (else `pyenv root`), CC (default cc), SID_ROOT (else scripts/sid-root.sh makes or finds one).
#
# Compiled with -DPy_BUILD_CORE against each version's own headers (pyenv builds; 3.14 and later from Debian's
# libpython3.X-dev in the unstable root), never run inside Python. Dict keys before 3.11 live in Objects/dict-common.h,
# which no build installs: that one layout (3.6-3.10, unchanged between them) is written in the probe.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$script_dir")
out=${1:-$repo/user/python/python_objects_table.c}
cc=${CC:-cc}
# shellcheck source=python-headers.sh
. "$script_dir/python-headers.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/probe.c" <<'PROBE'
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#if PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_interp.h>
#include <internal/pycore_dict.h>
#include <internal/pycore_moduleobject.h>
#include <internal/pycore_object.h>
#elif PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_interp.h>
#elif PY_VERSION_HEX >= 0x03080000
#include <internal/pycore_pystate.h>
#elif PY_VERSION_HEX >= 0x03070000
#include <internal/pystate.h>
#endif

#define OFF(type, field) ((int)offsetof(type, field))
#define ROW(field, value) printf("\t\t." #field " = %d,\n", (int)(value))

int main(void)
{
	printf("\t{ /* %s */\n", PY_VERSION);
	printf("\t\t.version = 0x%02x%02x,\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
#if PY_VERSION_HEX >= 0x030c0000
	ROW(interp_modules, OFF(PyInterpreterState, imports.modules));
#else
	ROW(interp_modules, OFF(PyInterpreterState, modules));
#endif
	ROW(type_flags, OFF(PyTypeObject, tp_flags));
	ROW(type_basicsize, OFF(PyTypeObject, tp_basicsize));
	ROW(type_dictoffset, OFF(PyTypeObject, tp_dictoffset));
#if PY_MAJOR_VERSION == 2
	printf("\t\t.dict = PY_DICT_TABLE,\n");
	ROW(dict_mask, OFF(PyDictObject, ma_mask));
	ROW(dict_table, OFF(PyDictObject, ma_table));
	ROW(module_dict, 2 * sizeof(void *)); /* moduleobject.c: PyObject_HEAD, then md_dict */
	printf("\t\t.thread_name = \"_Thread__name\",\n");
#else
	ROW(dict_keys, OFF(PyDictObject, ma_keys));
	ROW(dict_values, OFF(PyDictObject, ma_values));
	printf("\t\t.thread_name = \"_name\",\n");
#endif
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t\t.dict = PY_DICT_LOG2,\n");
	ROW(module_dict, OFF(PyModuleObject, md_dict));
	ROW(keys_size, OFF(PyDictKeysObject, dk_log2_size));
	ROW(keys_index_bytes, OFF(PyDictKeysObject, dk_log2_index_bytes));
	ROW(keys_kind, OFF(PyDictKeysObject, dk_kind));
	ROW(keys_nentries, OFF(PyDictKeysObject, dk_nentries));
	ROW(keys_indices, OFF(PyDictKeysObject, dk_indices));
	ROW(values_values, OFF(PyDictValues, values));
	ROW(heaptype_cached_keys, OFF(PyHeapTypeObject, ht_cached_keys));
	ROW(flag_managed_dict, Py_TPFLAGS_MANAGED_DICT);
#elif PY_MAJOR_VERSION == 3
	/* Objects/dict-common.h, 3.6-3.10: dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries, dk_indices. */
	printf("\t\t.dict = PY_DICT_SIZED,\n");
	ROW(module_dict, 2 * sizeof(void *));
	ROW(keys_size, 1 * sizeof(Py_ssize_t));
	ROW(keys_nentries, 4 * sizeof(Py_ssize_t));
	ROW(keys_indices, 5 * sizeof(Py_ssize_t));
#endif
	/* Where a managed dict's instance attributes are: 3.11 a values pointer before the dict pointer, 3.12 one word
	 * that is either (tagged), 3.13+ the dict pointer and the values inline after the object. */
#if PY_VERSION_HEX >= 0x030d0000
	printf("\t\t.managed = PY_MANAGED_INLINE,\n");
	ROW(managed_dict, MANAGED_DICT_OFFSET);
	ROW(flag_inline_values, Py_TPFLAGS_INLINE_VALUES);
	ROW(values_valid, OFF(PyDictValues, valid));
#elif PY_VERSION_HEX >= 0x030c0000
	printf("\t\t.managed = PY_MANAGED_TAGGED,\n");
	ROW(managed_dict, -3 * (int)sizeof(PyObject *)); /* _PyObject_DictOrValuesPointer */
#elif PY_VERSION_HEX >= 0x030b0000
	printf("\t\t.managed = PY_MANAGED_VALUES_PTR,\n");
	ROW(managed_dict, MANAGED_DICT_OFFSET);
	ROW(managed_values, -4 * (int)sizeof(PyObject *)); /* _PyObject_ValuesPointer */
#endif
	printf("\t},\n");
	return 0;
}
PROBE

# "MINOR INCLUDE_DIR" per minor version, the first build found of each.
declare -A seen=()
sources=()
for d in "${PYENV_ROOT:-/nonexistent}"/versions/*/; do
	[[ $(basename "$d") =~ ^([23])\.([0-9]+)\.[0-9]+$ ]] || continue
	minor="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
	incs=("${d}include/python${minor}"*/)
	[[ -z ${seen[$minor]:-} && -f ${incs[0]}Python.h ]] || continue
	seen[$minor]=1
	sources+=("$minor ${incs[0]%/}")
done
if [[ -n $SID_ROOT ]]; then
	for d in "$SID_ROOT"/usr/include/python3.*; do
		[[ $(basename "$d") =~ ^python(3\.[0-9]+)$ && -z ${seen[${BASH_REMATCH[1]}]:-} ]] || continue
		seen[${BASH_REMATCH[1]}]=1
		sources+=("${BASH_REMATCH[1]} $d")
	done
fi
[[ ${#sources[@]} -gt 0 ]] || { echo "gen-python-objects: no CPython headers found" >&2; exit 1; }
mapfile -t sources < <(printf '%s\n' "${sources[@]}" | sort -V)

{
	cat <<'HEAD'
/* Where each CPython minor version keeps the objects a thread's name is read from; GENERATED, do not edit.
 *
 * Regenerate with scripts/gen-python-objects.sh (compiles offsetof() against each version's own headers with
 * -DPy_BUILD_CORE: pyenv builds, 3.14+ from Debian's libpython3.X-dev).
 */
#include "python_objects.h"

const struct py_objects py_objects_table[] = {
HEAD
	for s in "${sources[@]}"; do
		minor=${s%% *} inc=${s#* }
		python_header_flags "$minor" "$inc" "$tmp"
		"$cc" "${header_flags[@]}" -o "$tmp/probe$minor" "$tmp/probe.c" ||
			{ echo "gen-python-objects: $minor: probe does not compile against $inc" >&2; exit 1; }
		"$tmp/probe$minor"
	done
	printf '};\n\nconst unsigned int py_objects_table_len = sizeof(py_objects_table) / sizeof(py_objects_table[0]);\n'
} >"$tmp/out.c"
mv "$tmp/out.c" "$out"
echo "gen-python-objects: wrote $out (${sources[*]%% *})" | sed "s|$repo/||"
