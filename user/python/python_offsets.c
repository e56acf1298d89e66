/* Looks up a CPython version's layout: the generated table up to 3.12; from 3.13 the interpreter's own
 * _Py_DebugOffsets (python_debug_offsets.c). Also names the versions both know. */
#include <stdio.h>

#include "python_debug_offsets.h"
#include "python_offsets.h"

/* First version whose _PyRuntime starts with _Py_DebugOffsets; from here on the table is only a cross-check. */
#define PY_DEBUG_OFFSETS_SINCE 0x030d

const struct py_offsets *py_offsets__find(unsigned int version)
{
	unsigned int i;

	if (version >= PY_DEBUG_OFFSETS_SINCE)
		return NULL;
	for (i = 0; i < py_offsets_table_len; i++) {
		if (py_offsets_table[i].version == version)
			return &py_offsets_table[i];
	}
	return NULL;
}

static int known(unsigned int version)
{
	if (version >= PY_DEBUG_OFFSETS_SINCE) {
		for (unsigned int i = 0; i < py_debug_maps_len; i++) {
			if (py_debug_maps[i].version == version)
				return 1;
		}
		return 0;
	}
	return py_offsets__find(version) != NULL;
}

void py_offsets__supported(char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int major = 2; major <= 3; major++) {
		for (unsigned int minor = 0; minor < 64; minor++) {
			unsigned int last = minor;

			if (!known(major << 8 | minor))
				continue;
			while (last + 1 < 64 && known(major << 8 | (last + 1)))
				last++;
			if (n < size)
				n += snprintf(buf + n, size - n, n ? ", %u.%u" : "%u.%u", major, minor);
			if (last != minor && n < size)
				n += snprintf(buf + n, size - n, "-%u.%u", major, last);
			minor = last;
		}
	}
}
