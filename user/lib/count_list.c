/* A summary line's list of counts, where a count of zero is left out unless every count is asked for (-v). */
#include <stdarg.h>
#include <stdio.h>
#include "count_list.h"

void count_list__init(struct count_list *l, int all)
{
	l->text[0] = '\0';
	l->len = 0;
	l->all = all;
}

void count_list__add(struct count_list *l, int nonzero, const char *fmt, ...)
{
	va_list ap;
	int n;

	if ((!nonzero && !l->all) || l->len + 1 >= sizeof(l->text))
		return;
	if (l->len) {
		n = snprintf(l->text + l->len, sizeof(l->text) - l->len, ", ");
		l->len += (size_t)n < sizeof(l->text) - l->len ? (size_t)n : sizeof(l->text) - l->len - 1;
	}
	va_start(ap, fmt);
	n = vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->text) - l->len ? (size_t)n : sizeof(l->text) - l->len - 1;
}
