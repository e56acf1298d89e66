/* Off-CPU tracking: the scheduler program (every context switch) and the pass over threads off CPU at the start. */
#ifndef SCHED_EVENTS_H
#define SCHED_EVENTS_H

#include <sys/types.h>

struct sampler;
struct bpf_link;

struct sched_events {
	struct bpf_link *link; /* tp_btf/sched_switch */
};

/*
 * Attaches the scheduler program, then records the threads of the targets already off CPU (their intervals
 * start at the sampler's start_ns, which must be set). 0, or -errno with one message printed.
 */
int sched_events__attach(struct sched_events *se, struct sampler *skel);
/* pid's interpreter was just found: its threads blocked since before then get their Python stacks (the late pass).
 * 0 or -errno. */
int sched_events__late_python(struct sched_events *se, struct sampler *skel, pid_t pid);
/* Safe to call twice. */
void sched_events__detach(struct sched_events *se);

#endif
