/* The one line a failure is told in: formatted into a caller's buffer where it is decided. */
#ifndef WHY_H
#define WHY_H

#include <stddef.h>

/* Writes the formatted reason into why (when there is one) and returns err, so that `return why__say(...)` both
 * says and fails. */
int why__say(char *why, size_t size, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
