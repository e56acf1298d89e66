/* Which Python frames are the function --slice names: its shown name, qualified or not, with a module or file. */
#ifndef SLICE_FUNC_H
#define SLICE_FUNC_H

/*
 * Whether frame (a Python frame as shown: `QUALNAME (FILE:LINE)`) runs func, given as `do_GET`,
 * `Handler.do_GET`, `views.checkout` (module, then function) or `checkout (views.py)` (function and file). A
 * qualified name matches at a dot boundary of the qualname (`do_GET` is `Handler.do_GET`'s). qualified: the frame
 * shows qualnames (3.11+); before, it shows co_name alone, and `Handler.do_GET` matches a bare `do_GET`.
 */
int slice_func__matches(const char *func, const char *frame, int qualified);

#endif
