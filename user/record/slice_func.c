#include "slice_func.h"
#include <stdbool.h>
#include <string.h>

/* Does s end in tail at a boundary: all of s, or after a sep? */
static bool ends_at(const char *s, size_t n, const char *tail, size_t tn, char sep)
{
	if (tn > n || memcmp(s + n - tn, tail, tn))
		return false;
	return tn == n || s[n - tn - 1] == sep;
}

/* The qualname and file of a shown frame; false for a name that is not `QUALNAME (FILE:LINE)`. */
static bool split_frame(const char *frame, size_t *qual_len, const char **file, size_t *file_len)
{
	const char *open = strstr(frame, " (");
	const char *colon;

	/* The last " (": a qualname may hold one (`<lambda> (x)` never does, but be safe). */
	for (const char *p = open; p; p = strstr(p + 1, " ("))
		open = p;
	if (!open || frame[strlen(frame) - 1] != ')')
		return false;
	colon = strrchr(open, ':');
	if (!colon)
		return false;
	*qual_len = (size_t)(open - frame);
	*file = open + 2;
	*file_len = (size_t)(colon - *file);
	return true;
}

/* Whether the function part of a pattern names the qualname q (co_name alone when !qualified). */
static bool func_is(const char *q, size_t qn, const char *f, size_t fn, int qualified)
{
	if (ends_at(q, qn, f, fn, '.'))
		return true;
	/* Before 3.11 a frame shows co_name alone: `Handler.do_GET` is then a bare `do_GET`. */
	if (qualified)
		return false;
	for (size_t i = fn; i > 0; i--)
		if (f[i - 1] == '.')
			return fn - i == qn && !memcmp(f + i, q, qn);
	return false;
}

/* Does the module of file (a path ending in .py, shown relative to its sys.path root) end in mod? */
static bool module_is(const char *file, size_t n, const char *mod, size_t mn)
{
	char path[512];

	if (n < 3 || memcmp(file + n - 3, ".py", 3) || n - 3 >= sizeof(path))
		return false;
	n -= 3;
	memcpy(path, file, n);
	for (size_t i = 0; i < n; i++)
		if (path[i] == '/')
			path[i] = '.';
	if (n >= 9 && !memcmp(path + n - 9, ".__init__", 9))
		n -= 9; /* a package's own code */
	return ends_at(path, n, mod, mn, '.');
}

int slice_func__matches(const char *func, const char *frame, int qualified)
{
	size_t qn, filen, fn = strlen(func);
	const char *file, *paren = strstr(func, " (");

	if (!split_frame(frame, &qn, &file, &filen))
		return 0;
	if (paren && func[fn - 1] == ')') { /* `checkout (views.py)` */
		size_t want = fn - (size_t)(paren - func) - 3;

		return func_is(frame, qn, func, (size_t)(paren - func), qualified) &&
		       ends_at(file, filen, paren + 2, want, '/');
	}
	if (ends_at(frame, qn, func, fn, '.'))
		return 1;
	/* `views.checkout`, `app.views.Handler.get`: a module, then the function's qualname. */
	for (size_t i = 1; i < fn; i++)
		if (func[i] == '.' && module_is(file, filen, func, i) &&
		    func_is(frame, qn, func + i + 1, fn - i - 1, qualified))
			return 1;
	return func_is(frame, qn, func, fn, qualified);
}
