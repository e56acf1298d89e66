/*
 * Fuzzes the code-object and string readers (user/python/python_code.c) over a fake target memory (mem_image.c, linked
 * in place of user/proc/proc_mem.c), with the layout found as py_process__discover() finds it: the generated table
 * before 3.13, the target's own _Py_DebugOffsets (read at the start of its _PyRuntime) from 3.13 on. Input: u16 version
 * (major << 8 | minor), u64 address of _PyRuntime, u64 address of the code object, two i32 instruction positions, then
 * the memory image's segments. The corpus holds code objects dumped from every installed CPython by
 * scripts/gen-fuzz-corpus.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mem_image.h"
#include "proc_mem.h"
#include "python_code.h"
#include "python_linetable.h"
#include "utf8.h"

#define HEADER 26

/* The layout of the given version, 0 or -1 when the target's own table is refused. */
static int layout_of(struct py_process *py, unsigned version, uint64_t runtime)
{
	if (version >= 0x030d) {
		static uint8_t buf[PY_DEBUG_OFFSETS_READ];

		if (proc_mem__read(py->pid, runtime, buf, sizeof(buf)) ||
		    py_offsets__from_debug(buf, sizeof(buf), &py->off, NULL, 0))
			return -1;
		return 0;
	}
	for (unsigned i = 0; i < py_offsets_table_len; i++) {
		if (py_offsets_table[i].version == version) {
			py->off = py_offsets_table[i];
			return 0;
		}
	}
	/* An unknown version picks a row, so that every input exercises some layout. */
	py->off = py_offsets_table[version % py_offsets_table_len];
	return 0;
}

/* Names reach every writer (JSON, SVG, protobuf): the reader promises valid UTF-8. */
static void check_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp;
		size_t n = utf8__next(p, &cp);

		if (cp == 0xfffd && n == 1)
			abort();
		p += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_process py = { .pid = 1 };
	uint64_t runtime, addr;
	struct py_code *c;
	uint16_t version;
	int32_t instr[2];
	uint32_t tag;
	char *s;

	if (size < HEADER)
		return 0;
	memcpy(&version, data, sizeof(version));
	memcpy(&runtime, data + 2, sizeof(runtime));
	memcpy(&addr, data + 10, sizeof(addr));
	memcpy(instr, data + 18, sizeof(instr));
	mem_image__load(data + HEADER, size - HEADER);
	if (layout_of(&py, version, runtime))
		goto out;
	/* As py_process__discover() completes the layout. */
	py.off.layout.code_tag = (int16_t)(py.off.code_name + 8 - PF_CODE_TAG_BYTES);
	py.off.layout.str_hash = 24;

	if (!py_code__read(&c, &py, addr)) {
		check_utf8(c->name);
		check_utf8(c->file);
		for (int i = 0; i < 2; i++) {
			int line = py_code__line(c, &py, instr[i]);

			if (line < 0 && line != PY_LINETABLE_NO_LINE && instr[i] >= 0)
				abort();
		}
		/* Nothing changed in between: the object must still be itself. */
		if (py_code__still(&py, addr, c) != 1)
			abort();
		py_code__free(c);
	}
	py_code__tag_now(&py, addr, &tag);
	if (!py_string__read(&py, addr, &s)) {
		check_utf8(s);
		free(s);
	}
out:
	mem_image__clear();
	return 0;
}
