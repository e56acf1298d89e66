/* How a Python frame is named in every output, `NAME (FILE:LINE)` or `NAME (FILE)`, and how writers split it again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python_frame_name.h"

void py_frame_name__format(char *buf, size_t size, const char *func, const char *file, int line)
{
	if (line >= 0)
		snprintf(buf, size, "%s (%s:%d)", func, file, line);
	else
		snprintf(buf, size, "%s (%s)", func, file);
}

int py_frame_name__split(const char *name, size_t *func_len, const char **file, size_t *file_len, long *line)
{
	const char *open = strstr(name, " ("), *close = name + strlen(name) - 1, *colon;

	if (!open || open == name || close <= open + 2 || *close != ')')
		return 0;
	*func_len = (size_t)(open - name);
	*file = open + 2;
	*file_len = (size_t)(close - *file);
	*line = -1;
	colon = close;
	while (colon > *file && colon[-1] >= '0' && colon[-1] <= '9')
		colon--;
	if (colon < close && colon > *file + 1 && colon[-1] == ':' && close - colon <= 9) {
		*line = strtol(colon, NULL, 10);
		*file_len = (size_t)(colon - 1 - *file);
	}
	return 1;
}
