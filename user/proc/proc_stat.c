/* A process's identity and parentage, parsed from /proc/PID/stat. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "proc_stat.h"

int proc_stat__parse(struct proc_stat *st, const char *line)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	unsigned long long start;
	size_t len;
	int pid, ppid;

	memset(st, 0, sizeof(*st));
	if (!open || !close || close < open || sscanf(line, "%d", &pid) != 1)
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, len);
	/* After the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime
	 * cstime priority nice num_threads itrealvalue starttime (fields 3 to 22, proc(5)). */
	if (sscanf(close + 1, " %c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &st->state, &ppid, &st->flags, &start) != 4)
		return -EINVAL;
	st->pid = pid;
	st->ppid = ppid;
	st->start_ticks = start;
	return 0;
}

int proc_stat__read(struct proc_stat *st, pid_t pid)
{
	char path[64], line[1024];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	err = fgets(line, sizeof(line), f) ? proc_stat__parse(st, line) : -ESRCH;
	fclose(f);
	return err;
}

uint64_t proc_stat__ticks_from_ns(uint64_t ns)
{
	long hz = sysconf(_SC_CLK_TCK);

	return ns / (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
}
