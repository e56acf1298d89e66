/* The sampler's BPF side over a recording: load with the options' limits, attach, detach, read the kernel's counts. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sampler.skel.h"
#include "sampler_bpf.h"
#include "task_pass.h"

static int verbose_libbpf;

/* libbpf's log only with -v: without it, the one-line error we print says what failed. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return verbose_libbpf ? vfprintf(stderr, fmt, args) : 0;
}

/* The kernel's BTF, which CO-RE relocates the programs against: a kernel without it, and a root (chroot, container)
 * without sysfs at /sys, are told apart. */
static int check_environment(void)
{
	int err;

	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		return 0;
	err = -errno;
	if (access("/sys/kernel", F_OK)) {
		fprintf(stderr,
			"pyflame-bpf: cannot reach the kernel's BTF (/sys/kernel/btf/vmlinux): %s: sysfs is not "
			"mounted at /sys (in a chroot or container: mount it, or bind the host's /sys)\n",
			strerror(-err));
		return err;
	}
	if (err == -ENOENT) {
		fprintf(stderr, "pyflame-bpf: this kernel has no BTF (/sys/kernel/btf/vmlinux): "
				"a kernel built with CONFIG_DEBUG_INFO_BTF (5.8+) is needed\n");
		return -ENOTSUP;
	}
	fprintf(stderr, "pyflame-bpf: cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): %s\n", strerror(-err));
	return err;
}

/* kernel.bpf_stats_enabled=1: the user is measuring the sampler's cost, so the program times its samples too. */
static bool bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c == '1';
}

/* Configuration before load: rodata, the programs the mode needs, the maps' sizes. 0 or -errno. */
static int configure(struct sampler *skel, const struct pf_options *o)
{
	int err = 0;

	skel->rodata->max_py_depth = o->sampling.max_depth;
	skel->rodata->read_gil = o->sampling.gil;
	/* Only what the mode needs is loaded: cpu mode does not depend on the scheduler hooks, a dump samples nothing.
	 */
	err = err ?: bpf_program__set_autoload(skel->progs.pf_dump, o->dump);
	if (o->dump)
		err = err ?: bpf_program__set_autoload(skel->progs.pf_sample, false);
	if (o->sampling.mode == MODE_CPU) {
		err = err ?: bpf_program__set_autoload(skel->progs.pf_switch, false);
		err = err ?: bpf_program__set_autoload(skel->progs.pf_start_pass, false);
	}
	skel->rodata->measure_cost = bpf_stats_enabled();
	if (o->verbose) /* verifier statistics (instructions processed, states) in libbpf's log */
		err = err ?: bpf_program__set_log_level(skel->progs.pf_sample, 4);
	err = err ?: bpf_map__set_max_entries(skel->maps.samples, o->sampling.buffer_size);
	err = err ?: bpf_map__set_max_entries(skel->maps.stacks, o->sampling.max_stacks);
	err = err ?: bpf_map__set_max_entries(skel->maps.targets, o->sampling.max_processes);
	return err;
}

int sampler_bpf__load(struct sampler_bpf *b, const struct pf_options *o)
{
	int err = check_environment();

	if (err)
		return err;
	if (geteuid() != 0 && !o->quiet)
		fprintf(stderr,
			"pyflame-bpf: not running as root: loading will fail without CAP_BPF and CAP_PERFMON\n");
	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);
	b->skel = sampler__open();
	if (!b->skel) {
		err = -errno;
		fprintf(stderr, "pyflame-bpf: cannot open the BPF sampler: %s\n", strerror(-err));
		return err;
	}
	err = configure(b->skel, o);
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot configure the BPF sampler: %s\n", strerror(-err));
		return err;
	}
	err = sampler__load(b->skel);
	if (err == -EPERM)
		fprintf(stderr, "pyflame-bpf: not permitted to load BPF programs: run as root "
				"(or with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)\n");
	else if (err)
		fprintf(stderr, "pyflame-bpf: cannot load the BPF sampler: %s (-v shows libbpf's log)\n",
			strerror(-err));
	return err;
}

int sampler_bpf__open_ring(struct sampler_bpf *b, ring_buffer_sample_fn fn, void *ctx)
{
	int err;

	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.samples), fn, ctx, NULL);
	if (b->rb)
		return 0;
	err = -errno;
	fprintf(stderr, "pyflame-bpf: cannot open the ring buffer: %s\n", strerror(-err));
	return err;
}

int sampler_bpf__attach(struct sampler_bpf *b, const struct pf_options *o, uint64_t start_ns)
{
	int err;

	if (o->sampling.mode != MODE_CPU) {
		b->skel->bss->start_ns = start_ns;
		if ((err = sched_events__attach(&b->sched, b->skel)))
			return err;
		b->attached = 1;
	}
	if (o->sampling.mode != MODE_OFF &&
	    (err = perf_events__open(&b->events, b->skel->progs.pf_sample, o->sampling.frequency)))
		return err;
	b->attached = 1;
	return 0;
}

int sampler_bpf__dump(struct sampler_bpf *b, pid_t pid)
{
	b->skel->bss->dump_tgid = (__u32)pid;
	return task_pass__run(b->skel->progs.pf_dump, pid);
}

int sampler_bpf__late_python(struct sampler_bpf *b, pid_t pid)
{
	return b->skel ? sched_events__late_python(&b->sched, b->skel, pid) : 0;
}

void sampler_bpf__detach(struct sampler_bpf *b)
{
	perf_events__close(&b->events);
	sched_events__detach(&b->sched);
	b->attached = 0;
}

/* BPF run time, counted by the kernel only while kernel.bpf_stats_enabled=1. */
static void prog_stats(struct bpf_program *prog, uint64_t *run_ns, uint64_t *runs)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(prog);

	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*run_ns = info.run_time_ns;
		*runs = info.run_cnt;
	}
}

void sampler_bpf__read_stats(struct sampler_bpf *b)
{
	struct sampler_counters *c = &b->counters;
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals;

	memset(c->stats, 0, sizeof(c->stats));
	if (ncpus <= 0) {
		fprintf(stderr, "pyflame-bpf: cannot count the CPUs: %s\n", strerror(-ncpus));
		return;
	}
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals) {
		fprintf(stderr, "pyflame-bpf: cannot read the sampler's counters: %s\n", strerror(ENOMEM));
		return;
	}
	for (__u32 k = 0; k < PF_STAT__COUNT; k++) {
		if (bpf_map__lookup_elem(b->skel->maps.stats, &k, sizeof(k), vals, ncpus * sizeof(*vals), 0))
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++)
			c->stats[k] += vals[cpu];
		if (k == PF_STAT_LOST_RINGBUF && c->stats[k]) {
			free(c->lost_per_cpu);
			c->lost_per_cpu = calloc(ncpus, sizeof(*c->lost_per_cpu));
			if (c->lost_per_cpu)
				memcpy(c->lost_per_cpu, vals, ncpus * sizeof(*vals));
			c->ncpus = ncpus;
		}
	}
	free(vals);
}

void sampler_bpf__read_counters(struct sampler_bpf *b)
{
	if (!b->skel)
		return;
	sampler_bpf__read_stats(b);
	prog_stats(b->skel->progs.pf_sample, &b->counters.prog_run_ns, &b->counters.prog_runs);
	prog_stats(b->skel->progs.pf_switch, &b->counters.switch_run_ns, &b->counters.switch_runs);
}

void sampler_bpf__free(struct sampler_bpf *b)
{
	sampler_bpf__detach(b);
	ring_buffer__free(b->rb);
	sampler__destroy(b->skel);
	free(b->counters.lost_per_cpu);
	memset(b, 0, sizeof(*b));
}
