/* The processes being profiled: given PIDs or a command started held until sampling is attached. */
#ifndef TARGETS_H
#define TARGETS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	uint64_t start; /* start time (clock ticks since boot), 0 unknown: a later process with its PID is not it */
	int exited;
	int is_child; /* started by us from -- COMMAND */
};

struct targets {
	struct target *list;
	size_t n;
	int go_fd;	 /* write end: one byte releases the held child */
	int exec_err_fd; /* read end: the child's errno if exec failed, EOF if it succeeded */
};

void targets__init(struct targets *t);
int targets__add(struct targets *t, pid_t pid);
/* Forks argv[0] held before exec; it becomes a target. stdout_to_stderr: the profile owns our stdout. */
int targets__spawn(struct targets *t, char **argv, int stdout_to_stderr);
/* Lets the held child exec; -errno (with one message) if exec failed. */
int targets__release(struct targets *t, const char *cmd);
/* Updates exited flags; returns how many targets are still running. */
size_t targets__poll(struct targets *t);
/* Kills (SIGTERM) and reaps a child still held or running, e.g. after a setup failure. */
void targets__free(struct targets *t, int kill_child);

#endif
