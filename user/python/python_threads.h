/* The names a Python program gave its threads (threading.Thread.name), read from the target's memory. */
#ifndef PYTHON_THREADS_H
#define PYTHON_THREADS_H

#include <stdint.h>

struct py_process;
struct py_threads;

struct py_threads *py_threads__new(void);
void py_threads__free(struct py_threads *pt);
/*
 * The Python name of thread tid, whose threading ident (pthread_self()) a sample gave: NULL when it has none (not
 * started by threading, the module never imported, the process unreadable). Read from threading._active the first
 * time, again a second later (a thread renamed since gets its new name) and at once when the ident changes (its
 * TID now belongs to another thread); a thread not registered yet is looked for again every 10 ms.
 */
const char *py_threads__name(struct py_threads *pt, struct py_process *py, uint32_t tid, uint64_t ident,
			     uint64_t now_ns);

#endif
