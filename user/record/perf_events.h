/* Opens the cpu-clock sampling event on every online CPU and attaches a BPF program to each. */
#ifndef PERF_EVENTS_H
#define PERF_EVENTS_H

#include <bpf/libbpf.h>

struct perf_events {
	int *fds;
	struct bpf_link **links;
	int n;
};

/* Parses a CPU list such as "0-3,8,10-11" into a bitmap of up to max CPUs; returns the count or -EINVAL. */
int cpu_list__parse(const char *s, unsigned char *online, int max);
int perf_events__open(struct perf_events *pe, struct bpf_program *prog, unsigned frequency);
/* Detaches and closes everything; safe to call twice. */
void perf_events__close(struct perf_events *pe);

#endif
