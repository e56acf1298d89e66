#!/usr/bin/env bash
# Prints the path of a Debian unstable root holding CPython 3.14 and 3.15 and their headers (libpython3.X-dev),
# made once with debootstrap and cached outside the checkout, shared by every test and script that needs it.
# Those interpreters need a newer glibc than the host's, so they run in this root (chroot), never on the host.
#
# Usage: scripts/sid-root.sh      Env: XDG_CACHE_HOME (default ~/.cache)
# Exit 1 with one line on stderr when the root cannot be made (no debootstrap, archive unreachable).
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/pyflame-bpf
root=$cache/sid
packages=python3.14,python3.15,libpython3.14-dev,libpython3.15-dev

mkdir -p "$cache"
exec 9>"$cache/sid.lock"
flock 9 # tests may ask at once: one makes it, the others wait and reuse it
if [[ -f $root/.pyflame-ready ]]; then
	echo "$root"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "sid-root: debootstrap is not installed" >&2; exit 1; }

# The archive this machine already uses (deb822 sources, else a one-line list); its name is never written down.
uri=$(awk '$1 == "URIs:" { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[[ -n $uri ]] || uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
	/etc/apt/sources.list 2>/dev/null || true)
[[ -n $uri ]] || { echo "sid-root: no archive URI in the machine's apt sources" >&2; exit 1; }

rm -rf "$root.tmp"
if ! debootstrap --variant=minbase --include="$packages" sid "$root.tmp" "$uri" >"$cache/sid.log" 2>&1; then
	echo "sid-root: debootstrap of unstable failed (log: $cache/sid.log)" >&2
	exit 1
fi
touch "$root.tmp/.pyflame-ready"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "$root"
