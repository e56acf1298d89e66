/* UTF-8 decoding and encoding for names read from profiled processes: invalid bytes never pass through. */
#include <stdlib.h>
#include <string.h>
#include "utf8.h"

size_t utf8__next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c, lowest;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1f, lowest = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0f, lowest = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07, lowest = 0x10000;
	else
		goto invalid;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) /* a continuation byte; the terminating NUL is not one */
			goto invalid;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < lowest || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*cp = c;
	return len;
invalid:
	*cp = 0xfffd;
	return 1;
}

size_t utf8__put(char *out, uint32_t c)
{
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* The length of the character at p inside [p, end): a sequence running past end counts as one invalid byte. */
static size_t next_in(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
	size_t n = utf8__next(p, cp);

	if (n > (size_t)(end - p)) {
		*cp = 0xfffd;
		n = 1;
	}
	return n;
}

char *utf8__sanitize(const char *s, size_t len, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	char *out = malloc(3 * len + 1), *o = out;

	if (!out)
		return NULL;
	while (p < end && *p) {
		uint32_t cp;
		size_t n = next_in(p, end, &cp);

		if (cp == 0xfffd && n == 1) { /* an invalid byte; a real U+FFFD is 3 bytes long */
			o += utf8__put(o, cp);
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	if (out_len)
		*out_len = (size_t)(o - out);
	return out;
}

int utf8__valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		uint32_t cp;
		size_t n;

		if (!*p)
			return 0;
		n = next_in(p, end, &cp);
		if (cp == 0xfffd && n == 1)
			return 0;
		p += n;
	}
	return 1;
}
