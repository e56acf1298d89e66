/* JSON strings from names a target chose: escaped, and valid UTF-8 whatever bytes they hold. */
#include <stdint.h>
#include <string.h>
#include "json.h"
#include "utf8.h"

void json__chars(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end && *p) {
		uint32_t cp;
		size_t n = utf8__next(p, &cp);

		/* A sequence running past len (a cut name) is invalid here, not read beyond the slice. */
		if (n > (size_t)(end - p))
			n = 1, cp = 0xfffd;
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (char)cp);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(out, "\\u%04x", (unsigned)cp);
		else if (cp == 0xfffd && n == 1) /* an invalid byte; a real U+FFFD is 3 bytes long */
			fputs("\xef\xbf\xbd", out);
		else
			fwrite(p, 1, n, out);
		p += n;
	}
}

void json__string(FILE *out, const char *s)
{
	fputc('"', out);
	json__chars(out, s, strlen(s));
	fputc('"', out);
}
