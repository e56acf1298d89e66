/* Tests for process_scope: descendants found parents first, --all's filter (name, no kernel threads, not us). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "comm_glob.h"
#include "process_scope.h"

struct found {
	pid_t pids[4096];
	struct proc_stat st[64];
	size_t n;
};

static int collect(void *ctx, const struct proc_stat *st)
{
	struct found *f = ctx;

	if (f->n < sizeof(f->pids) / sizeof(f->pids[0])) {
		if (f->n < sizeof(f->st) / sizeof(f->st[0]))
			f->st[f->n] = *st;
		f->pids[f->n++] = st->pid;
	}
	return 0;
}

static int is_us(void *ctx, pid_t pid)
{
	(void)ctx;
	return pid == getpid();
}

/* A child that forks a grandchild; both sleep until killed. Returns the child; *grandchild read from a pipe. */
static pid_t spawn_family(pid_t *grandchild)
{
	int fd[2];
	pid_t child;

	cr_assert_eq(pipe(fd), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (!child) {
		pid_t g = fork();

		if (!g) {
			pause();
			_exit(0);
		}
		if (write(fd[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		pause();
		_exit(0);
	}
	cr_assert_eq(read(fd[0], grandchild, sizeof(*grandchild)), (ssize_t)sizeof(*grandchild));
	close(fd[0]);
	close(fd[1]);
	return child;
}

static void end_family(pid_t child, pid_t grandchild)
{
	kill(grandchild, SIGKILL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

Test(process_scope, descendants_are_found_parents_first)
{
	static struct found f;
	pid_t grandchild, child = spawn_family(&grandchild);
	ssize_t at_child = -1, at_grandchild = -1;

	cr_assert_eq(process_scope__scan_children(is_us, collect, &f), 0);
	for (size_t i = 0; i < f.n; i++) {
		if (f.pids[i] == child)
			at_child = (ssize_t)i;
		if (f.pids[i] == grandchild)
			at_grandchild = (ssize_t)i;
		cr_expect_neq(f.pids[i], getpid(), "the root itself is not a descendant");
	}
	end_family(child, grandchild);
	cr_expect_geq(at_child, 0, "child %d not found", (int)child);
	cr_expect_gt(at_grandchild, at_child, "grandchild %d must come after its parent", (int)grandchild);
}

Test(process_scope, all_keeps_matching_user_processes_other_than_us)
{
	static struct found f;
	struct pf_glob g;
	char why[128], pattern[32];
	struct proc_stat self;
	pid_t grandchild, child = spawn_family(&grandchild);
	int saw_child = 0;

	cr_assert_eq(proc_stat__read(&self, getpid()), 0);
	snprintf(pattern, sizeof(pattern), "%s", self.comm); /* our children share our name */
	cr_assert_eq(comm_glob__compile(&g, pattern, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(process_scope__scan_all(&g, collect, &f), 0);
	for (size_t i = 0; i < f.n && i < 64; i++) {
		cr_expect_str_eq(f.st[i].comm, self.comm);
		cr_expect_neq(f.st[i].pid, getpid(), "pyflame-bpf never profiles itself");
		cr_expect_not(f.st[i].flags & PROC_STAT_KTHREAD);
		saw_child |= f.st[i].pid == child;
	}
	end_family(child, grandchild);
	cr_expect(saw_child, "our child %d (named %s) was not found", (int)child, self.comm);
}

Test(process_scope, kernel_threads_are_left_out_of_all)
{
	static struct found f;
	struct pf_glob everything = {};

	cr_assert_eq(process_scope__scan_all(&everything, collect, &f), 0);
	cr_expect_gt(f.n, 0);
	for (size_t i = 0; i < f.n && i < 64; i++)
		cr_expect_not(f.st[i].flags & PROC_STAT_KTHREAD, "kernel thread %d (%s)", (int)f.st[i].pid,
			      f.st[i].comm);
	for (size_t i = 0; i < f.n; i++)
		cr_expect_neq(f.pids[i], 2, "kthreadd is a kernel thread");
}
