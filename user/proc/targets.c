/* The processes being profiled: given PIDs or a command started held until sampling is attached. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "proc_stat.h"
#include "targets.h"

void targets__init(struct targets *t)
{
	memset(t, 0, sizeof(*t));
	t->go_fd = -1;
	t->exec_err_fd = -1;
}

int targets__add(struct targets *t, pid_t pid)
{
	struct proc_stat st;
	struct target *n;

	for (size_t i = 0; i < t->n; i++)
		if (t->list[i].pid == pid)
			return 0;
	n = realloc(t->list, (t->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->list = n;
	memset(&t->list[t->n], 0, sizeof(t->list[0]));
	if (!proc_stat__read(&st, pid))
		t->list[t->n].start = st.start_ticks;
	t->list[t->n++].pid = pid;
	return 0;
}

int targets__spawn(struct targets *t, char **argv, int stdout_to_stderr)
{
	int go[2], exec_err[2], err;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(exec_err, O_CLOEXEC)) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		close(exec_err[0]);
		close(exec_err[1]);
		return err;
	}
	if (pid == 0) {
		char c;

		close(go[1]);
		close(exec_err[0]);
		/* Held here until the sampler is attached: its first instruction is profiled. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		/* Our own dispositions must not leak into the command (an ignored SIGPIPE survives exec). */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[0], argv);
		err = errno;
		if (write(exec_err[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(exec_err[1]);
	t->go_fd = go[1];
	t->exec_err_fd = exec_err[0];
	err = targets__add(t, pid);
	if (!err)
		t->list[t->n - 1].is_child = 1;
	return err;
}

int targets__release(struct targets *t, const char *cmd)
{
	int child_err = 0;
	ssize_t n;

	if (t->go_fd < 0)
		return 0;
	if (write(t->go_fd, "g", 1) != 1)
		return -errno;
	close(t->go_fd);
	t->go_fd = -1;
	n = read(t->exec_err_fd, &child_err, sizeof(child_err));
	close(t->exec_err_fd);
	t->exec_err_fd = -1;
	if (n == (ssize_t)sizeof(child_err)) {
		fprintf(stderr, "pyflame-bpf: cannot run '%s': %s\n", cmd, strerror(child_err));
		return -child_err;
	}
	return 0;
}

/* A process that is gone, a zombie, or another process that got its PID (another start time) no longer runs. */
static int process_running(pid_t pid, uint64_t start)
{
	struct proc_stat st;

	if (proc_stat__read(&st, pid))
		return 0;
	return st.state != 'Z' && st.state != 'X' && (!start || st.start_ticks == start);
}

size_t targets__poll(struct targets *t)
{
	size_t alive = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct target *tg = &t->list[i];

		if (tg->exited)
			continue;
		if (tg->is_child) {
			if (waitpid(tg->pid, NULL, WNOHANG) == tg->pid)
				tg->exited = 1;
		} else if (!process_running(tg->pid, tg->start)) {
			tg->exited = 1;
		}
		if (!tg->exited)
			alive++;
	}
	return alive;
}

/* Waits up to 2 s for a child to exit, then kills it: a command that ignores SIGTERM must not hang us. */
static void reap(pid_t pid)
{
	const struct timespec tick = { 0, 20 * 1000000L };

	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

void targets__free(struct targets *t, int kill_child)
{
	int held = t->go_fd >= 0;

	if (held)
		close(t->go_fd); /* a held child reads EOF and exits */
	if (t->exec_err_fd >= 0)
		close(t->exec_err_fd);
	for (size_t i = 0; i < t->n; i++) {
		struct target *tg = &t->list[i];

		if (!tg->is_child || tg->exited)
			continue;
		if (kill_child)
			kill(tg->pid, SIGTERM);
		if (kill_child || held)
			reap(tg->pid);
	}
	free(t->list);
	targets__init(t);
}
