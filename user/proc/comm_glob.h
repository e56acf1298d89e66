/* --comm patterns: compiled into the table BPF and userspace match process names with (include/glob_match.h). */
#ifndef COMM_GLOB_H
#define COMM_GLOB_H

#include <stddef.h>
#include "glob_match.h"

/*
 * Compiles a shell pattern as fnmatch(3) reads it without flags: `*`, `?`, bracket expressions with ranges and
 * `!`/`^` negation, `\` escapes; a `[` without its `]` is a literal. Refused (-EINVAL, why says it): an empty
 * pattern, a trailing `\`, a reversed range, `[:class:]`/`[=x=]`/`[.x.]`, more than PF_GLOB_MAX_TOKENS elements.
 */
int comm_glob__compile(struct pf_glob *g, const char *pattern, char *why, size_t why_size);
/* Whether a process name matches; an inactive pattern matches every name. */
int comm_glob__match(const struct pf_glob *g, const char *comm);

#endif
