/* One target process: creation, its parent link, and forgetting everything the modules keep about it. */
#include <stdlib.h>
#include "collector.h"
#include "python_symbols.h"
#include "slicer.h"
#include "target_process.h"
#include "user_symbols.h"

struct target_process *target_process__new(pid_t pid, uint64_t start)
{
	struct target_process *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->pid = pid;
	t->start = start;
	t->alive = 1;
	t->refs = 1;
	return t;
}

void target_process__set_parent(struct target_process *t, struct target_process *parent)
{
	if (parent)
		parent->refs++;
	if (t->parent)
		target_process__put(t->parent);
	t->parent = parent;
}

void target_process__forget(struct target_process *t)
{
	native_maps__free(t->maps);
	t->maps = NULL;
	py_target__free(t->py);
	t->py = NULL;
	stack_cache__free(t->stacks);
	t->stacks = NULL;
	slice_threads__close(t->slices); /* sets t->slices to NULL */
	target_process__set_parent(t, NULL);
}

void target_process__put(struct target_process *t)
{
	if (!t || --t->refs)
		return;
	target_process__forget(t);
	free(t);
}
