/*
 * Fuzzes the _Py_DebugOffsets parser (user/python/python_debug_offsets.c), which reads the start of a 3.13+ target's
 * _PyRuntime. The corpus holds the .PyRuntime section of the installed CPython 3.13 (scripts/gen-fuzz-corpus.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python_offsets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_offsets o;
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size); /* exactly sized: a read past the end is caught */
	if (!py_offsets__from_debug(copy, size, &o, NULL, 0)) {
		/* Accepted offsets are inside their structs: never negative. */
		if (o.code_name < 0 || o.code_filename < 0 || o.code_linetable < 0 || o.code_firstlineno < 0 ||
		    o.object_type < 0 || o.type_name < 0 || o.unicode_state < 0 || o.unicode_length < 0 ||
		    o.unicode_ascii_data < 0 || o.unicode_compact_data < 0 || o.layout.frame_back < 0 ||
		    o.layout.frame_code < 0 || o.layout.tstate_thread_id < 0 || o.code_size <= 0)
			abort();
	}
	free(copy);
	return 0;
}
