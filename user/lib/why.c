/* The one line a failure is told in: formatted into a caller's buffer where it is decided. */
#include <stdarg.h>
#include <stdio.h>
#include "why.h"

int why__say(char *why, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && size) {
		va_start(ap, fmt);
		vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return err;
}
