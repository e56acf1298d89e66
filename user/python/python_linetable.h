/* Maps a CPython instruction position to its source line, for every line-table format from 2.7 to 3.13+. */
#ifndef PYTHON_LINETABLE_H
#define PYTHON_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* What py_linetable__line() returns when the table gives the instruction no line, or cannot be read. */
#define PY_LINETABLE_NO_LINE (-1)

/*
 * version: major << 8 | minor (0x0207, 0x0306 ... 0x030d and later 3.x).
 * table, len: the bytes of co_lnotab (2.7-3.9) or co_linetable (3.10; 3.11+ location table).
 * byte_offset: offset in bytes into co_code of the instruction being executed: f_lasti on <= 3.9,
 *   f_lasti * 2 on 3.10, code-unit index * 2 on 3.11+. Negative (frame not started) gives firstlineno.
 * Returns the line, or PY_LINETABLE_NO_LINE when the instruction has no line (None), the table is
 * malformed or the version unknown. Past the end of the table: 2.7-3.9 give the last line (co_lnotab only
 * marks where lines start), 3.10+ give PY_LINETABLE_NO_LINE (their entries cover exact ranges), as
 * PyCode_Addr2Line() does. Reads no byte at or past table + len; pure, reentrant.
 */
int py_linetable__line(unsigned version, const uint8_t *table, size_t len, int firstlineno, int byte_offset);

#endif /* PYTHON_LINETABLE_H */
