/* How a Python frame is named in every output, `NAME (FILE:LINE)` or `NAME (FILE)`, and how writers split it again. */
#ifndef PYTHON_FRAME_NAME_H
#define PYTHON_FRAME_NAME_H

#include <stddef.h>

/* Writes the frame's name into buf; line < 0: the line is unknown. */
void py_frame_name__format(char *buf, size_t size, const char *func, const char *file, int line);
/*
 * Splits a name made by py_frame_name__format: *func_len is the function's length, file/file_len the file, *line the
 * line (-1 when absent). 0 when name is not of that form. Python function names (identifiers, `<locals>`,
 * `<lambda>`) hold no " (", so the first one opens the location; the file may hold anything.
 */
int py_frame_name__split(const char *name, size_t *func_len, const char **file, size_t *file_len, long *line);

#endif
