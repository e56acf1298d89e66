# Sourced by the generators that compile probes against CPython's own headers (gen-debug-offsets.sh,
# gen-python-objects.sh): where the headers are, and the flags that compile against them.
# Needs script_dir set; sets PYENV_ROOT and SID_ROOT when they are not.

[[ -n ${PYENV_ROOT:-} ]] || PYENV_ROOT=$(pyenv root 2>/dev/null || true)
[[ -n ${SID_ROOT:-} ]] || SID_ROOT=$("$script_dir/sid-root.sh" || true)

# python_header_flags MINOR INCLUDE_DIR TMP: fills the array header_flags with -DPy_BUILD_CORE and the include
# directories. Debian's pyconfig.h includes <TRIPLET/python3.X/pyconfig.h> from the multiarch include dir, which is
# linked under TMP.
python_header_flags() {
	local minor=$1 inc=$2 tmp=$3 m triplet
	header_flags=(-DPy_BUILD_CORE -I"$inc")
	[[ -n $SID_ROOT && $inc == "$SID_ROOT"/* ]] || return 0
	for m in "$SID_ROOT"/usr/include/*-linux-gnu/python"$minor"; do
		[[ -d $m ]] || continue
		triplet=$(basename "$(dirname "$m")")
		mkdir -p "$tmp/multiarch/$triplet"
		ln -sfn "$m" "$tmp/multiarch/$triplet/python$minor"
		header_flags+=(-I"$tmp/multiarch")
	done
}
