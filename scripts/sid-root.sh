#!/usr/bin/env bash
# Prints the path of a Debian unstable root holding CPython 3.14 and 3.15 and their headers (libpython3.X-dev),
# made once with debootstrap and cached outside the checkout, shared by every test and script that needs it.
# Those interpreters need a newer glibc than the host's, so they run in this root (chroot), never on the host.
#
# Usage: scripts/sid-root.sh [--versions]      Env: XDG_CACHE_HOME (default ~/.cache)
# --versions prints the CPython versions the root holds (the tests run those there) and makes nothing.
# Exit 1 with one line on stderr when the root cannot be made (no debootstrap, archive unreachable).
set -euo pipefail

# The versions Debian unstable has that no pyenv build here does; a version added here is installed into a cached
# root that lacks it.
versions=(3.14 3.15)
if [[ ${1:-} == --versions ]]; then
	echo "${versions[*]}"
	exit 0
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}/pyflame-bpf
root=$cache/sid
packages=()
for v in "${versions[@]}"; do
	packages+=("python$v" "libpython$v-dev")
done

mkdir -p "$cache"
exec 9>"$cache/sid.lock"
flock 9 # tests may ask at once: one makes it, the others wait and reuse it
if [[ -f $root/.pyflame-ready ]]; then
	missing=()
	for v in "${versions[@]}"; do
		[[ -x $root/usr/bin/python$v && -d $root/usr/include/python$v ]] || missing+=("python$v" "libpython$v-dev")
	done
	if [[ ${#missing[@]} -gt 0 ]] &&
		! chroot "$root" apt-get install -y --no-install-recommends "${missing[@]}" >"$cache/sid.log" 2>&1; then
		echo "sid-root: installing ${missing[*]} in $root failed (log: $cache/sid.log)" >&2
		exit 1
	fi
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
if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" sid "$root.tmp" "$uri" >"$cache/sid.log" 2>&1; then
	echo "sid-root: debootstrap of unstable failed (log: $cache/sid.log)" >&2
	exit 1
fi
touch "$root.tmp/.pyflame-ready"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "$root"
