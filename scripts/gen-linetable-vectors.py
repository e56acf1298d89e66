#!/usr/bin/env python
# Prints, as C arrays for tests/unit/test_python_linetable.c, the line tables of a few crafted functions
# and the line the running interpreter itself gives for each of their instructions.
#
# Usage: scripts/gen-version-tables.sh MINOR... runs it under each interpreter named (2.7 and 3.6+; the same source
# works everywhere; 3.14+ in the Debian unstable root of scripts/sid-root.sh) and splices the output in:
#	pythonX.Y gen-linetable-vectors.py >BLOCK                 prints one version's vectors
#	gen-linetable-vectors.py --into FILE BLOCK...               puts each BLOCK in FILE between its markers, in place
#	                                                            of the same minor version's, oldest first, and
#	                                                            rewrites the list linetable_vectors[] after them
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


START = "/* Start of generated vectors. */\n"
END = "/* End of generated vectors. */\n"


def block_version(block):
	"""The u16 version a block's vectors are tagged with (its `static const struct lt_vector vXXXX[]`)."""
	import re
	m = re.search(r"^static const struct lt_vector v([0-9a-f]{4})\[\] = \{$", block, re.M)
	if not m:
		sys.exit("gen-linetable-vectors: a block without its vector list")
	return int(m.group(1), 16)


def splice(path, new_blocks):
	"""Replaces (or adds) each new block in path's generated region and rewrites linetable_vectors[]."""
	with open(path) as f:
		text = f.read()
	if START not in text or END not in text:
		sys.exit("gen-linetable-vectors: %s has no generated region" % path)
	head, rest = text.split(START, 1)
	region, tail = rest.split(END, 1)
	region = region.split("static const struct lt_vectors linetable_vectors[]")[0]
	blocks = {}
	for block in region.split("/* CPython ")[1:]:
		block = "/* CPython " + block.rstrip("\n") + "\n"
		blocks[block_version(block)] = block
	for block in new_blocks:
		block = block.rstrip("\n") + "\n"
		blocks[block_version(block)] = block
	out = [head, START]
	for v in sorted(blocks):
		out += [blocks[v], "\n"]
	out.append("static const struct lt_vectors linetable_vectors[] = {\n")
	for v in sorted(blocks):
		out.append("\t{ v%04x, ARRAY_SIZE(v%04x) },\n" % (v, v))
	out += ["};\n", "\n", END, tail]
	with open(path + ".tmp", "w") as f:
		f.write("".join(out))
	os.rename(path + ".tmp", path)


if __name__ == "__main__":
	if len(sys.argv) >= 3 and sys.argv[1] == "--into":
		import os
		new_blocks = []
		for name in sys.argv[3:]:
			with open(name) as f:
				new_blocks.append(f.read())
		splice(sys.argv[2], new_blocks)
	else:
		main()
