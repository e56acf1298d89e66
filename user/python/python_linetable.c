/* Decoders for CPython's line tables (co_lnotab, 3.10 co_linetable, 3.11+ location table): offset to line. */
#include <limits.h>
#include <stdbool.h>

#include "python_linetable.h"

/* The tables come from another process's memory: a hostile one can sum deltas past int. */
static int line_or_none(long long line)
{
	if (line < 0 || line > INT_MAX)
		return PY_LINETABLE_NO_LINE;
	return (int)line;
}

/*
 * co_lnotab, 2.7-3.9 (Objects/lnotab_notes.txt): pairs of (address increment, line increment) bytes,
 * each pair saying "from this summed address on, the line is the summed line". Line increments are
 * unsigned bytes up to 3.5, signed bytes from 3.6 (bpo-26107). The table has no end: the last line
 * runs to the end of co_code. A trailing odd byte is not a pair and is ignored, as CPython does.
 */
static int lnotab__line(const uint8_t *t, size_t len, int firstlineno, int offset, bool signed_lines)
{
	long long line = firstlineno, addr = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		addr += t[i];
		if (addr > offset)
			break;
		line += signed_lines ? (int8_t)t[i + 1] : t[i + 1];
	}
	return line_or_none(line);
}

/*
 * co_linetable, 3.10 only (PEP 626; Objects/lnotab_notes.txt of 3.10): pairs of (range length in
 * bytes, unsigned; line delta, signed byte). Ranges are contiguous from offset 0. A delta of -128
 * (0x80) means the range has no line, and leaves the running line alone for the next delta.
 * Zero-length ranges only carry a delta (long jumps are split into several pairs).
 */
static int linetable310__line(const uint8_t *t, size_t len, int firstlineno, int offset)
{
	long long line = firstlineno, end = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		int8_t delta = (int8_t)t[i + 1];

		end += t[i];
		if (delta != -128)
			line += delta;
		/* Earlier ranges all ended at or before offset, so this one starts there. */
		if (offset < end)
			return delta == -128 ? PY_LINETABLE_NO_LINE : line_or_none(line);
	}
	return PY_LINETABLE_NO_LINE;
}

/* Bytes that continue a 3.11+ location entry have bit 7 clear; every entry starts with bit 7 set. */
#define LOC_ENTRY_START 0x80
/* varint: 6-bit chunks, least significant first, bit 6 set on every chunk but the last. */
#define LOC_VARINT_MORE 0x40
#define LOC_VARINT_BITS 0x3f
/* Six chunks hold 36 bits, enough for any int CPython writes; more is a malformed table. */
#define LOC_VARINT_MAX_CHUNKS 6

static int location__read_varint(const uint8_t *t, size_t len, size_t *i, unsigned long long *out)
{
	unsigned long long v = 0;
	int chunk;

	for (chunk = 0; chunk < LOC_VARINT_MAX_CHUNKS; chunk++) {
		uint8_t b;

		if (*i >= len || (t[*i] & LOC_ENTRY_START))
			return -1; /* truncated: the table or the entry ended inside the number */
		b = t[(*i)++];
		v |= (unsigned long long)(b & LOC_VARINT_BITS) << (6 * chunk);
		if (!(b & LOC_VARINT_MORE)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* svarint: the varint of (|s| << 1) | (s < 0). */
static int location__read_svarint(const uint8_t *t, size_t len, size_t *i, long long *out)
{
	unsigned long long v;

	if (location__read_varint(t, len, i, &v))
		return -1;
	*out = (v & 1) ? -(long long)(v >> 1) : (long long)(v >> 1);
	return 0;
}

/* _PyCodeLocationInfoKind, Include/cpython/code.h (3.11+). */
enum location_code {
	LOC_SHORT_LAST = 9, /* 0-9 short forms: same line as the previous entry */
	LOC_ONE_LINE0 = 10, /* 10-12 one-line forms: line delta is code - 10 */
	LOC_ONE_LINE2 = 12,
	LOC_NO_COLUMNS = 13, /* line delta as svarint, no columns */
	LOC_LONG = 14,	     /* line delta as svarint, then end line and columns */
	LOC_NONE = 15,	     /* no location: no line, the running line is kept */
};

/*
 * co_linetable, 3.11+ (Objects/locations.md; InternalDocs/code_objects.md later): entries of one
 * byte (bit 7 set, code in bits 3-6, length in code units - 1 in bits 0-2), then bytes with bit 7
 * clear. Only the start line matters here; it is a delta from the previous entry's start line,
 * beginning at co_firstlineno. Columns are skipped by looking for the next entry's first byte.
 */
static int locations__line(const uint8_t *t, size_t len, int firstlineno, int offset)
{
	long long line = firstlineno, end = 0;
	long long unit = offset / 2; /* entries count 2-byte code units, caches included */
	size_t i = 0;

	while (i < len) {
		uint8_t first = t[i++];
		unsigned code = (first >> 3) & 0xf;
		bool has_line = true;
		long long delta;

		if (!(first & LOC_ENTRY_START))
			return PY_LINETABLE_NO_LINE; /* not an entry start: not a location table */
		end += (first & 7) + 1;
		if (code == LOC_NONE) {
			has_line = false;
		} else if (code == LOC_LONG || code == LOC_NO_COLUMNS) {
			if (location__read_svarint(t, len, &i, &delta))
				return PY_LINETABLE_NO_LINE;
			line += delta;
		} else if (code >= LOC_ONE_LINE0 && code <= LOC_ONE_LINE2) {
			line += code - LOC_ONE_LINE0;
		} /* else a short form (0 - LOC_SHORT_LAST): the line does not move */
		if (unit < end)
			return has_line ? line_or_none(line) : PY_LINETABLE_NO_LINE;
		while (i < len && !(t[i] & LOC_ENTRY_START))
			i++;
	}
	return PY_LINETABLE_NO_LINE;
}

int py_linetable__line(unsigned version, const uint8_t *table, size_t len, int firstlineno, int byte_offset)
{
	unsigned major = version >> 8, minor = version & 0xff;

	if (major != 2 && major != 3)
		return PY_LINETABLE_NO_LINE;
	/* Every version's PyCode_Addr2Line() answers co_firstlineno for a frame that has not started. */
	if (byte_offset < 0)
		return firstlineno;
	if (!table)
		len = 0;
	if (major == 2 || minor < 6)
		return lnotab__line(table, len, firstlineno, byte_offset, false);
	if (minor < 10)
		return lnotab__line(table, len, firstlineno, byte_offset, true);
	if (minor == 10)
		return linetable310__line(table, len, firstlineno, byte_offset);
	return locations__line(table, len, firstlineno, byte_offset);
}
