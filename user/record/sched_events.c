/* Off-CPU tracking: the scheduler program (every context switch) and the pass over threads off CPU at the start. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "sampler.skel.h"
#include "sched_events.h"

/* Runs the start pass: an iterator over every task, which writes its records to the ring buffer. */
static int start_pass(struct sampler *skel)
{
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.pf_start_pass, NULL);
	char buf[64];
	int fd, err = 0;
	ssize_t n;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

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
	err = start_pass(skel);
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot record the threads already off CPU: %s\n", strerror(-err));
		sched_events__detach(se);
	}
	return err;
}

void sched_events__detach(struct sched_events *se)
{
	bpf_link__destroy(se->link);
	se->link = NULL;
}
