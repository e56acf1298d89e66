/*
 * Fuzzes the line-table decoders (user/python/python_linetable.c). Input: u16 version (major << 8 | minor), i32
 * co_firstlineno, i32 byte offset, then the table's bytes (co_lnotab or co_linetable). The corpus holds real tables
 * of every installed CPython (scripts/gen-fuzz-corpus.py).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python_linetable.h"

#define HEADER 10
#define SWEEP 256 /* byte offsets asked besides the input's own: a real table's instructions lie here */

static void check(unsigned version, const uint8_t *table, size_t len, int firstlineno, int offset)
{
	int line = py_linetable__line(version, table, len, firstlineno, offset);

	/* A line is never negative, except co_firstlineno itself for a frame that has not started. */
	if (line < 0 && line != PY_LINETABLE_NO_LINE && !(offset < 0 && line == firstlineno))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t version;
	int32_t firstlineno, offset;
	uint8_t *table;
	size_t len;

	if (size < HEADER)
		return 0;
	memcpy(&version, data, sizeof(version));
	memcpy(&firstlineno, data + 2, sizeof(firstlineno));
	memcpy(&offset, data + 6, sizeof(offset));
	/* A copy of exactly the table's size, so that a read past its end is caught. */
	len = size - HEADER;
	table = malloc(len ? len : 1);
	if (!table)
		return 0;
	memcpy(table, data + HEADER, len);
	check(version, len ? table : NULL, len, firstlineno, offset);
	for (int o = -2; o < SWEEP; o++)
		check(version, table, len, firstlineno, o);
	check(version, table, len, firstlineno, INT_MAX);
	check(version, table, len, firstlineno, INT_MIN);
	free(table);
	return 0;
}
