/* Runs a task-iterator program once: over every task, or over one process's threads. */
#ifndef TASK_PASS_H
#define TASK_PASS_H

#include <sys/types.h>

struct bpf_program;

/* Reads prog's iterator to its end (its records go to the ring buffer); pid 0: every task. 0 or -errno. */
int task_pass__run(struct bpf_program *prog, pid_t pid);

#endif
