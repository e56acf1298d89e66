/* A child that exec's itself over and over, then settles in cat: for the tests that read a process mid-exec. */
#ifndef EXEC_LOOP_FIXTURE_H
#define EXEC_LOOP_FIXTURE_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Each pass is a fresh exec of sh; the last becomes cat, which waits for its stdin to close. */
#define EXEC_LOOP_SCRIPT                                                                                               \
	"N=$((N+1)); if [ $N -lt %d ]; then export N; exec /bin/sh -c \"$0\" \"$0\"; fi; exec cat >/dev/null"

struct exec_loop {
	pid_t pid;
	int stdin_fd;
	char script[256];
};

static inline void exec_loop__start(struct exec_loop *l, int execs)
{
	char *argv[] = { "/bin/sh", "-c", l->script, l->script, NULL };
	posix_spawn_file_actions_t fa;
	int in[2], err;

	snprintf(l->script, sizeof(l->script), EXEC_LOOP_SCRIPT, execs);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	err = posix_spawn(&l->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	cr_assert_eq(err, 0, "spawn /bin/sh: %s", strerror(err));
	l->stdin_fd = in[1];
}

/* Whether the loop is over: the child runs cat (or has exited). */
static inline int exec_loop__done(const struct exec_loop *l)
{
	char link[64], exe[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)l->pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return waitpid(l->pid, NULL, WNOHANG) != 0;
	exe[n] = '\0';
	return n >= 4 && !strcmp(exe + n - 4, "/cat");
}

static inline void exec_loop__stop(struct exec_loop *l)
{
	close(l->stdin_fd);
	waitpid(l->pid, NULL, 0);
}

#endif
