/* Off-CPU tracking: the scheduler program (every context switch) and the pass over threads off CPU at the start. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "sampler.skel.h"
#include "sched_events.h"
#include "task_pass.h"

int sched_events__attach(struct sched_events *se, struct sampler *skel)
{
	int err;

	memset(se, 0, sizeof(*se));
	se->link = bpf_program__attach(skel->progs.pf_switch);
	if (!se->link) {
		err = -errno;
		fprintf(stderr, "pyflame-bpf: cannot attach to the sched_switch tracepoint: %s\n", strerror(-err));
		return err;
	}
	err = task_pass__run(skel->progs.pf_start_pass, 0);
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot record the threads already off CPU: %s\n", strerror(-err));
		sched_events__detach(se);
	}
	return err;
}

int sched_events__late_python(struct sched_events *se, struct sampler *skel, pid_t pid)
{
	if (!se->link)
		return 0; /* not attached (yet): the start pass reads every Python stack itself */
	int err;

	skel->bss->late_tgid = (__u32)pid;
	err = task_pass__run(skel->progs.pf_start_pass, pid);
	skel->bss->late_tgid = 0;
	return err;
}

void sched_events__detach(struct sched_events *se)
{
	bpf_link__destroy(se->link);
	se->link = NULL;
}
