/* A summary line's list of counts, where a count of zero is left out unless every count is asked for (-v). */
#ifndef COUNT_LIST_H
#define COUNT_LIST_H

#include <stddef.h>

struct count_list {
	char text[768];
	size_t len;
	int all; /* keep the zero counts too */
};

void count_list__init(struct count_list *l, int all);
/* Appends the formatted item, after ", " unless it is the first, when nonzero or l->all; a full line is cut. */
void count_list__add(struct count_list *l, int nonzero, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
