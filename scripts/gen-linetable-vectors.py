#!/usr/bin/env python
# Prints, as C arrays for tests/unit/test_python_linetable.c, the line tables of a few crafted functions
# and the line the running interpreter itself gives for each of their instructions.
#
# Usage: run once per interpreter (2.7 and 3.6+; the same source works everywhere) and paste the output:
#	for py in python2.7 python3.6 ... python3.13; do $py scripts/gen-linetable-vectors.py; done
# (3.14+ run in the Debian unstable root: chroot "$(scripts/sid-root.sh)" python3.14 /PATH/IN/ROOT/gen-linetable-vectors.py)
#
# The oracle is the interpreter's own C decoder, PyCode_Addr2Line(code, byte_offset), reached through
# ctypes: it is what f_lineno and tracebacks use. Its answer is checked against the Python-level view
# (dis.findlinestarts up to 3.9, co_lines() on 3.10, co_positions() on 3.11+); a disagreement aborts.
from __future__ import print_function

import ctypes
import dis
import opcode
import sys

VER = sys.version_info[0] << 8 | sys.version_info[1]
TAG = "v%04x" % VER

# Padding is blank lines: they cost no bytecode, so each gap is a pure line jump in the table.
PAD_300 = "\n" * 300
PAD_150 = "\n" * 150
PAD_200 = "\n" * 200
WIDE_TUPLE = ",".join(["a"] * 140)

# Line 1 is the first line of SOURCE; every function is compiled from here, so lines do not depend
# on this script's layout or on the interpreter's file handling.
SOURCE = (
	# Jumps of more than 255 and 127 lines, then one line whose bytecode exceeds 255 bytes (<= 3.10:
	# several address-only pairs; 3.11+: several entries of at most 8 code units).
	"def long_jumps(a):\n"
	"    b = a + 1\n" + PAD_300 +
	"    c = b + 2\n" + PAD_150 +
	"    d = (" + WIDE_TUPLE + ")\n"
	"    return len(d) + c\n"
	"\n"
	# Lines going backwards: loops jump back to their header (the while body spans 200 lines), and
	# multi-line expressions put their later instructions on their first line (max() spans 150).
	"def backwards(xs):\n"
	"    total = 0\n"
	"    for x in xs:\n"
	"        total += (x +\n"
	"                  1)\n"
	"    while total > 10:\n"
	"        total = total - 3\n" + PAD_200 +
	"        total = total - 1\n"
	"    return max(total,\n" + PAD_150 +
	"               len(xs))\n"
	"\n"
	# 3.10+: exception cleanup and the with-exit path carry no line (0x80 / code 15).
	"def cleanup(path):\n"
	"    try:\n"
	"        x = int(path)\n"
	"    except ValueError:\n"
	"        x = 0\n"
	"    with open(path) as f:\n"
	"        f.read()\n"
	"    if x:\n"
	"        return x\n"
	"\n"
	"def gen(n):\n"
	"    for i in range(n):\n"
	"        yield i\n"
	"\n"
	"square = lambda x: x * x\n"
	"\n"
	"def one(): return 42\n"
)

FUNCTIONS = ["long_jumps", "backwards", "cleanup", "gen", "square", "one"]


def addr2line_fn():
	fn = ctypes.pythonapi.PyCode_Addr2Line
	fn.argtypes = [ctypes.py_object, ctypes.c_int]
	fn.restype = ctypes.c_int
	return fn


def table_of(code):
	# <= 3.9: co_lnotab; 3.10: co_linetable (PEP 626); 3.11+: co_linetable (location table).
	if VER >= 0x030a:
		return bytearray(code.co_linetable)
	return bytearray(code.co_lnotab)


def instruction_offsets(code):
	raw = bytearray(code.co_code)
	if VER >= 0x0306:
		# Wordcode: every 2-byte unit is an instruction, or (3.11+) an inline cache entry, which a
		# frame's instruction pointer can also rest on; all of them are checked.
		return list(range(0, len(raw), 2))
	offsets, i = [], 0
	while i < len(raw):
		offsets.append(i)
		i += 3 if raw[i] >= opcode.HAVE_ARGUMENT else 1
	return offsets


def python_level_line(code, off):
	"""The line by the Python-level API, independently of PyCode_Addr2Line; -1 for None."""
	if VER >= 0x030b:
		pos = list(code.co_positions())
		if off // 2 >= len(pos):
			return -1
		line = pos[off // 2][0]
		return -1 if line is None else line
	if VER == 0x030a:
		for start, end, line in code.co_lines():
			if start <= off < end:
				return -1 if line is None else line
		return -1
	line = code.co_firstlineno
	for start, start_line in dis.findlinestarts(code):
		if start <= off:
			line = start_line
	return line


def c_bytes(data):
	rows = []
	for i in range(0, len(data), 16):
		rows.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 16]))
	return "\n".join(rows)


def c_points(points):
	rows = []
	for i in range(0, len(points), 8):
		rows.append("\t" + " ".join("{ %d, %d }," % p for p in points[i:i + 8]))
	return "\n".join(rows)


def main():
	addr2line = addr2line_fn()
	ns = {}
	exec(compile(SOURCE, "<vectors>", "exec"), ns)
	ver = "%d.%d.%d" % sys.version_info[:3]
	entries = []
	print("/* CPython %s */" % ver)
	for name in FUNCTIONS:
		code = ns[name].__code__
		table = table_of(code)
		offsets = instruction_offsets(code)
		# Also ask for a negative offset (frame not started) and one past the last instruction.
		points = []
		for off in [-2] + offsets + [len(code.co_code)]:
			line = addr2line(code, off)
			if 0 <= off < len(code.co_code):
				other = python_level_line(code, off)
				if other != line:
					sys.exit("%s %s offset %d: PyCode_Addr2Line says %d, Python-level API says %d"
						 % (ver, name, off, line, other))
			points.append((off, line))
		ident = "%s_%s" % (TAG, name)
		print("static const uint8_t %s_table[] = {" % ident)
		# C has no empty initializer: an empty table gets one dummy byte, its length stays 0.
		print(c_bytes(table) if table else "\t0x00, /* unused: the table is empty */")
		print("};")
		print("static const struct lt_point %s_points[] = {" % ident)
		print(c_points(points))
		print("};")
		entries.append((name, ident, code.co_firstlineno, len(table)))
	print("static const struct lt_vector %s[] = {" % TAG)
	for name, ident, first, size in entries:
		print("\t{ \"%s %s\", 0x%04x, %d, %s_table, %d, %s_points, ARRAY_SIZE(%s_points) },"
		      % (ver, name, VER, first, ident, size, ident, ident))
	print("};")
	print("")


if __name__ == "__main__":
	main()
