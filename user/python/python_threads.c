#include "python_threads.h"
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "python_objects.h"
#include "python_code.h"
#include "python_process.h"

#define RECHECK_NS 1000000000ull      /* a known name is read again this often: renames show within a second */
#define UNNAMED_RETRY_NS 10000000ull  /* a thread not (yet) in threading._active */
#define MODULE_RETRY_NS 1000000000ull /* threading not imported yet: sys.modules is searched again */
/* Threads whose names one process keeps (not the sampler's bound on a thread-state search, a walk's length). */
#define MAX_NAMED_THREADS 4096

struct thread_name {
	uint64_t ident;
	uint64_t read_ns; /* when the name was last read (or looked for) */
	char *name;	  /* NULL: none found */
};

struct py_threads {
	struct pf_hashmap by_tid; /* tid -> struct thread_name */
	uint64_t active;	  /* address of threading._active, 0 until found */
	uint64_t active_retry_ns; /* when to search sys.modules again */
};

struct py_threads *py_threads__new(void)
{
	struct py_threads *pt = calloc(1, sizeof(*pt));

	if (pt)
		pf_hashmap__init(&pt->by_tid);
	return pt;
}

/* Forgets every thread (they are read again on their next sample). */
static void clear(struct py_threads *pt)
{
	struct pf_hashmap_entry *e;

	for (size_t i = 0; pf_hashmap__next(&pt->by_tid, &i, &e);) {
		struct thread_name *t = e->value;

		free(t->name);
		free(t);
	}
	pf_hashmap__free(&pt->by_tid);
	pf_hashmap__init(&pt->by_tid);
}

void py_threads__free(struct py_threads *pt)
{
	if (!pt)
		return;
	clear(pt);
	pf_hashmap__free(&pt->by_tid);
	free(pt);
}

/* threading._active: sys.modules["threading"].__dict__["_active"]. */
static int find_active(struct py_threads *pt, struct py_process *py, uint64_t now_ns)
{
	uint64_t interp, modules, module, globals;

	if (pt->active)
		return 0;
	if (now_ns < pt->active_retry_ns)
		return -EAGAIN;
	pt->active_retry_ns = now_ns + MODULE_RETRY_NS;
	if (!py->objs || py_process__read(py, py->interp_head_addr, &interp, sizeof(interp)) || !interp ||
	    py_process__read(py, interp + (uint64_t)py->objs->interp_modules, &modules, sizeof(modules)) ||
	    py_dict__get_str(py, modules, "threading", &module) ||
	    py_process__read(py, module + (uint64_t)py->objs->module_dict, &globals, sizeof(globals)) ||
	    py_dict__get_str(py, globals, "_active", &pt->active))
		return -ENOENT;
	return 0;
}

/* Whether thread tid of process pid is alive: while it is, ident (its pthread_t) is its own. */
static int alive(pid_t pid, uint32_t tid)
{
	return syscall(SYS_tgkill, pid, (pid_t)tid, 0) == 0;
}

/* The name of the Thread registered under ident; NULL when there is none. */
static char *read_name(struct py_threads *pt, struct py_process *py, uint64_t ident, uint64_t now_ns)
{
	uint64_t thread, name;
	char *s = NULL;

	if (find_active(pt, py, now_ns) || py_dict__get_hash(py, pt->active, ident, &thread) ||
	    py_object__attr(py, thread, py->objs->thread_name, &name) || py_string__read(py, name, &s))
		return NULL;
	return s;
}

const char *py_threads__name(struct py_threads *pt, struct py_process *py, uint32_t tid, uint64_t ident,
			     uint64_t now_ns)
{
	struct thread_name *t = pf_hashmap__get(&pt->by_tid, &tid, sizeof(tid));
	char *name;

	if (!ident)
		return t ? t->name : NULL;
	if (t && t->ident == ident && now_ns - t->read_ns < (t->name ? RECHECK_NS : UNNAMED_RETRY_NS))
		return t->name;
	if (!t) {
		/* Threads that ended are never told of: a process that starts thread after thread keeps the last
		 * MAX_NAMED_THREADS known, then starts again. */
		if (pt->by_tid.len >= MAX_NAMED_THREADS)
			clear(pt);
		t = calloc(1, sizeof(*t));
		if (!t || pf_hashmap__set(&pt->by_tid, &tid, sizeof(tid), t)) {
			free(t);
			return NULL;
		}
	}
	/* Names are read at the drain, up to 50 ms after the sample: a thread that ended since may have left its
	 * ident to the next one (glibc reuses thread descriptors). Only a thread alive before and after the read is
	 * sure to be the one registered under it. */
	name = alive(py->pid, tid) ? read_name(pt, py, ident, now_ns) : NULL;
	if (name && !alive(py->pid, tid)) {
		free(name);
		name = NULL;
	}
	/* Still the same thread, gone from the registry (it is ending): it keeps the name it had. */
	if (name || t->ident != ident) {
		free(t->name);
		t->name = name;
	}
	t->ident = ident;
	t->read_ns = now_ns;
	return t->name;
}
