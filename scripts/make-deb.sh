#!/usr/bin/env bash
# Builds a Debian package of a pyflame-bpf binary with dpkg-deb, from the tree `make install` lays out (PREFIX=/usr).
#
# Usage: scripts/make-deb.sh PACKAGE VERSION BINARY WORKDIR     (run by `make deb` and `make deb-static`)
#   pyflame-bpf          the dynamic binary; Depends: what dpkg-shlibdeps finds for the libraries it links
#   pyflame-bpf-static   the static binary; no Depends; Provides, Conflicts with and Replaces pyflame-bpf
# Writes ./PACKAGE_VERSION_ARCH.deb. Env: MAKE, DEB_MAINTAINER.
set -euo pipefail

package=$1 version=$2 binary=$3 work=$4
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-pyflame-bpf developers <pyflame-bpf@localhost>}
stage=$work/debian/$package # where dpkg-shlibdeps expects a package's files
out=${package}_${version}_${arch}.deb

rm -rf "$stage"
"${MAKE:-make}" --no-print-directory -s install DESTDIR="$stage" PREFIX=/usr INSTALL_BIN="$binary"
gzip -9n "$stage/usr/share/man/man1/pyflame-bpf.1" # Debian policy: man pages compressed, binaries stripped
strip --strip-unneeded --remove-section=.comment "$stage/usr/bin/pyflame-bpf"
mkdir -p "$stage/DEBIAN" # also how dpkg-shlibdeps finds the package's root

case $package in
pyflame-bpf)
	# dpkg-shlibdeps reads the binary's NEEDED libraries, finds the package of each (dpkg -S) and its shlibs or
	# symbols file: the versions the binary needs, not a hand-kept list. It wants a debian/control naming the package.
	printf 'Source: pyflame-bpf\n\nPackage: pyflame-bpf\nArchitecture: any\n' >"$work/debian/control"
	depends=$(cd "$work" && dpkg-shlibdeps -O "debian/$package/usr/bin/pyflame-bpf" | sed -n 's/^shlibs:Depends=//p')
	[[ -n $depends ]] || { echo "make-deb: dpkg-shlibdeps found no libraries in $binary" >&2; exit 1; }
	relations="Depends: $depends"
	;;
pyflame-bpf-static)
	if readelf -d "$binary" | grep -q NEEDED; then
		echo "make-deb: $binary links shared libraries; the static package needs the static build" >&2
		exit 1
	fi
	relations=$'Provides: pyflame-bpf\nConflicts: pyflame-bpf\nReplaces: pyflame-bpf'
	;;
*)
	echo "make-deb: unknown package $package (pyflame-bpf or pyflame-bpf-static)" >&2
	exit 2
	;;
esac

cat >"$stage/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
$relations
Section: devel
Priority: optional
Description: sampling CPU and wall-clock profiler for Python, built on BPF
 Attaches to running Python processes by PID, without restarting or ptrace-ing
 them, and writes every thread's Python stack with its native and kernel frames
 as folded stacks, SVG flame graphs, pprof or speedscope profiles.
EOF
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
