/* Growing a heap array by doubling: the one helper every table in userspace uses. */
#ifndef ARRAY_H
#define ARRAY_H

#include <errno.h>
#include <stdlib.h>

/* Makes room for need elements of elem bytes in *arr (capacity *cap); 0 or -ENOMEM (the array is unchanged). */
static inline int array__grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

#endif
