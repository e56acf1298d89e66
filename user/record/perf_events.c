/* Opens the cpu-clock sampling event on every online CPU and attaches a BPF program to each. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "perf_events.h"

int cpu_list__parse(const char *s, unsigned char *online, int max)
{
	int count = 0;

	memset(online, 0, max);
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0 || a >= max)
			return -EINVAL;
		b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= max)
				return -EINVAL;
			s = end;
		}
		for (long i = a; i <= b; i++)
			if (!online[i]++)
				count++;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return count;
}

int perf_events__open(struct perf_events *pe, struct bpf_program *prog, unsigned frequency)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	unsigned char *online;
	char list[4096] = "";
	FILE *f;

	memset(pe, 0, sizeof(*pe));
	if (ncpus <= 0) {
		err = ncpus ? ncpus : -ENODEV;
		fprintf(stderr, "pyflame-bpf: cannot count the CPUs (/sys/devices/system/cpu/possible): %s\n",
			strerror(-err));
		return err;
	}
	online = calloc(ncpus, 1);
	pe->fds = calloc(ncpus, sizeof(*pe->fds));
	pe->links = calloc(ncpus, sizeof(*pe->links));
	if (!online || !pe->fds || !pe->links) {
		err = -ENOMEM;
		goto out;
	}
	f = fopen("/sys/devices/system/cpu/online", "re");
	if (!f || !fgets(list, sizeof(list), f) || cpu_list__parse(list, online, ncpus) <= 0)
		memset(online, 1, ncpus); /* unknown: try every possible CPU */
	if (f)
		fclose(f);
	for (int cpu = 0; cpu < ncpus; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(attr),
			.freq = 1,
			.sample_freq = frequency,
		};
		int fd;

		if (!online[cpu])
			continue;
		fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			if (err == -EINVAL)
				fprintf(
				    stderr,
				    "pyflame-bpf: cannot sample at %u Hz: above kernel.perf_event_max_sample_rate?\n",
				    frequency);
			else if (err == -EPERM || err == -EACCES)
				/* A container runtime's seccomp profile refuses perf_event_open (Docker's default). */
				fprintf(stderr,
					"pyflame-bpf: cannot open the cpu-clock event on CPU %d: %s (perf events need "
					"CAP_PERFMON or root, and no seccomp filter refusing perf_event_open)\n",
					cpu, strerror(-err));
			else
				fprintf(stderr, "pyflame-bpf: cannot open the cpu-clock event on CPU %d: %s\n", cpu,
					strerror(-err));
			goto out;
		}
		pe->fds[pe->n] = fd;
		pe->links[pe->n] = bpf_program__attach_perf_event(prog, fd);
		if (!pe->links[pe->n]) {
			err = -errno;
			close(fd);
			fprintf(stderr, "pyflame-bpf: cannot attach to the cpu-clock event on CPU %d: %s\n", cpu,
				strerror(-err));
			goto out;
		}
		pe->n++;
	}
out:
	free(online);
	if (err)
		perf_events__close(pe);
	return err;
}

void perf_events__close(struct perf_events *pe)
{
	for (int i = 0; i < pe->n; i++) {
		bpf_link__destroy(pe->links[i]);
		close(pe->fds[i]);
	}
	free(pe->fds);
	free(pe->links);
	memset(pe, 0, sizeof(*pe));
}
