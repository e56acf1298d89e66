/* The processes a --children, --all or --cgroup run starts with (the kernel follows them from then on), and the
 * cgroup --cgroup names. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "array.h"
#include "comm_glob.h"
#include "hashmap.h"
#include "process_scope.h"

int cgroup_scope__resolve(const char *path, uint64_t *id, unsigned *level, char *why, size_t why_size)
{
	char dir[PATH_MAX], up[PATH_MAX];
	struct statfs fs;
	struct stat st, parent;
	unsigned depth = 0;

	if (!realpath(path, dir) || stat(dir, &st)) {
		snprintf(why, why_size, "%s", strerror(errno));
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode) || statfs(dir, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, why_size,
			 "not a cgroup v2 directory (a hybrid layout mounts v2 at /sys/fs/cgroup/unified)");
		return -EINVAL;
	}
	*id = st.st_ino;
	/* Up to the hierarchy's root: the last directory still on the same cgroup2 file system. */
	for (;;) {
		char *slash = strrchr(dir, '/');
		size_t len = slash ? (size_t)(slash - dir) : 0;

		if (!slash || !strcmp(dir, "/"))
			break;
		memcpy(up, dir, len);
		strcpy(up + len, len ? "" : "/");
		if (stat(up, &parent) || parent.st_dev != st.st_dev || statfs(up, &fs) ||
		    fs.f_type != CGROUP2_SUPER_MAGIC)
			break;
		depth++;
		strcpy(dir, up);
	}
	*level = depth;
	return 0;
}

/* Calls fn for every numeric entry of /proc with its stat. */
static int each_process(int (*fn)(void *ctx, const struct proc_stat *st), void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		struct proc_stat st;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (proc_stat__read(&st, (pid_t)atoi(de->d_name)))
			continue; /* gone meanwhile */
		err = fn(ctx, &st);
	}
	closedir(d);
	return err;
}

/* A user process that still runs, and is not us. */
static int worth_profiling(const struct proc_stat *st)
{
	return !(st->flags & PROC_STAT_KTHREAD) && st->state != 'Z' && st->state != 'X' && st->pid != getpid();
}

struct filter {
	const struct pf_glob *glob;
	process_scope_fn fn;
	void *ctx;
};

static int filter_one(void *ctx, const struct proc_stat *st)
{
	struct filter *f = ctx;

	if (!worth_profiling(st) || !comm_glob__match(f->glob, st->comm))
		return 0;
	return f->fn(f->ctx, st);
}

int process_scope__scan_all(const struct pf_glob *g, process_scope_fn fn, void *ctx)
{
	struct filter f = { g, fn, ctx };

	return each_process(filter_one, &f);
}

/* The PIDs in dir/cgroup.procs, then in every cgroup below dir. */
static int scan_cgroup_dir(const char *dir, struct filter *f, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	FILE *procs;
	DIR *d;
	int pid, err = 0;

	if (depth > 64)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	procs = fopen(path, "re");
	if (!procs)
		return errno == ENOENT ? 0 : -errno; /* removed meanwhile */
	while (!err && fscanf(procs, "%d", &pid) == 1) {
		struct proc_stat st;

		if (!proc_stat__read(&st, pid))
			err = filter_one(f, &st);
	}
	fclose(procs);
	d = opendir(dir);
	if (!d)
		return err;
	while (!err && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err = scan_cgroup_dir(path, f, depth + 1);
	}
	closedir(d);
	return err;
}

int process_scope__scan_cgroup(const char *path, const struct pf_glob *g, process_scope_fn fn, void *ctx)
{
	struct filter f = { g, fn, ctx };

	return scan_cgroup_dir(path, &f, 0);
}

struct snapshot {
	struct proc_stat *procs;
	size_t n, cap;
};

static int snapshot_one(void *ctx, const struct proc_stat *st)
{
	struct snapshot *s = ctx;

	if (array__grow((void **)&s->procs, &s->cap, s->n + 1, sizeof(*s->procs)))
		return -ENOMEM;
	s->procs[s->n++] = *st;
	return 0;
}

int process_scope__scan_children(int (*is_root)(void *ctx, pid_t pid), process_scope_fn fn, void *ctx)
{
	struct snapshot s = {};
	struct pf_hashmap in; /* pid -> 1: a root or a descendant found */
	int err = each_process(snapshot_one, &s), grew = 1;

	pf_hashmap__init(&in);
	for (size_t i = 0; !err && i < s.n; i++)
		if (is_root(ctx, s.procs[i].pid))
			err = pf_hashmap__set(&in, &s.procs[i].pid, sizeof(pid_t), (void *)1);
	/* Parents before children: each round takes the processes whose parent is in (a zombie parent too: its
	 * children still run). */
	while (!err && grew) {
		grew = 0;
		for (size_t i = 0; !err && i < s.n; i++) {
			if (pf_hashmap__get(&in, &s.procs[i].pid, sizeof(pid_t)) ||
			    !pf_hashmap__get(&in, &s.procs[i].ppid, sizeof(pid_t)))
				continue;
			grew = 1;
			err = pf_hashmap__set(&in, &s.procs[i].pid, sizeof(pid_t), (void *)1);
			if (!err && worth_profiling(&s.procs[i]))
				err = fn(ctx, &s.procs[i]);
		}
	}
	pf_hashmap__free(&in);
	free(s.procs);
	return err;
}
