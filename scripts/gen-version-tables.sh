#!/usr/bin/env bash
# Regenerates every table a CPython version adds, for the versions named: the _Py_DebugOffsets slot maps
# (gen-debug-offsets.sh), the object layouts thread names are read through (gen-python-objects.sh), both from every
# build with headers found, and the named versions' line-table vectors (gen-linetable-vectors.py, run under each
# one's interpreter and spliced into tests/unit/python/test_python_linetable.c). Adding a version is this one run and
# a commit of what it writes; the tests take the supported versions from the binary's --version.
#
# Usage: scripts/gen-version-tables.sh MINOR...   (e.g. 3.16)
# Env:   PYENV_ROOT (else `pyenv root`), CC, SID_ROOT (else scripts/sid-root.sh makes or finds one).
#
# Each MINOR's interpreter and headers come from a pyenv build ($PYENV_ROOT/versions/MINOR.N, with its internal
# headers) or from the Debian unstable root of scripts/sid-root.sh (python3.X and libpython3.X-dev; add the version
# to the versions that script installs). Its interpreter runs there with chroot, so this needs root for those.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$script_dir")
vectors=$repo/tests/unit/python/test_python_linetable.c
[[ $# -gt 0 ]] || { echo "usage: scripts/gen-version-tables.sh MINOR... (e.g. 3.16)" >&2; exit 2; }
# shellcheck source=python-headers.sh
. "$script_dir/python-headers.sh"
export PYENV_ROOT SID_ROOT

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# vectors_of MINOR OUT: the line-table vectors of MINOR's interpreter into OUT.
vectors_of() {
	local minor=$1 out=$2 d inside
	[[ $minor =~ ^[23]\.[0-9]+$ ]] || { echo "gen-version-tables: $minor is not a minor version (3.16)" >&2; exit 2; }
	for d in "${PYENV_ROOT:-/nonexistent}"/versions/"$minor".*; do
		[[ $(basename "$d") =~ ^[0-9]+\.[0-9]+\.[0-9]+$ && -x $d/bin/python$minor ]] || continue
		"$d/bin/python$minor" "$script_dir/gen-linetable-vectors.py" >"$out"
		return 0
	done
	if [[ -n $SID_ROOT && -x $SID_ROOT/usr/bin/python$minor ]]; then
		inside=$(mktemp -d "$SID_ROOT/tmp/vectors.XXXXXX")
		cp "$script_dir/gen-linetable-vectors.py" "$inside/"
		chroot "$SID_ROOT" "/usr/bin/python$minor" "${inside#"$SID_ROOT"}/gen-linetable-vectors.py" >"$out" ||
			{ rm -rf "$inside"; exit 1; }
		rm -rf "$inside"
		return 0
	fi
	echo "gen-version-tables: no CPython $minor: no pyenv build of it and no python$minor in the Debian unstable" \
		"root (add it to the versions of scripts/sid-root.sh)" >&2
	exit 1
}

blocks=()
for minor in "$@"; do
	vectors_of "$minor" "$tmp/vectors-$minor"
	blocks+=("$tmp/vectors-$minor")
done
"$script_dir/gen-debug-offsets.sh"
"$script_dir/gen-python-objects.sh"
python3 "$script_dir/gen-linetable-vectors.py" --into "$vectors" "${blocks[@]}"
echo "gen-version-tables: wrote the line-table vectors of $* into ${vectors#"$repo"/}"
