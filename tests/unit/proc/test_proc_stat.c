/* Tests for proc_stat: /proc/PID/stat lines, names with spaces and parentheses, our own process. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_stat.h"

Test(proc_stat, parses_state_parent_flags_and_start_time)
{
	struct proc_stat st;

	cr_assert_eq(proc_stat__parse(&st, "4242 (python3.12) S 1 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 3 0 "
					   "987654 12345 678 18446744073709551615\n"),
		     0);
	cr_expect_eq(st.pid, 4242);
	cr_expect_str_eq(st.comm, "python3.12");
	cr_expect_eq(st.state, 'S');
	cr_expect_eq(st.ppid, 1);
	cr_expect_eq(st.flags, 4194560u);
	cr_expect_eq(st.start_ticks, 987654u);
}

Test(proc_stat, a_name_with_spaces_and_parentheses_is_read_to_its_last_parenthesis)
{
	struct proc_stat st;

	cr_assert_eq(proc_stat__parse(&st, "7 (a) b (c)) Z 3 0 0 0 -1 2097216 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0"), 0);
	cr_expect_str_eq(st.comm, "a) b (c)");
	cr_expect_eq(st.state, 'Z');
	cr_expect_eq(st.ppid, 3);
	cr_expect(st.flags & PROC_STAT_KTHREAD);
	cr_expect_eq(st.start_ticks, 55u);
}

Test(proc_stat, truncated_lines_are_refused)
{
	struct proc_stat st;

	cr_expect_eq(proc_stat__parse(&st, "12 (x) S 1 2 3"), -EINVAL);
	cr_expect_eq(proc_stat__parse(&st, "12 x S 1"), -EINVAL);
	cr_expect_eq(proc_stat__parse(&st, ""), -EINVAL);
}

Test(proc_stat, our_own_process_reads_back_with_our_parent_and_a_start_before_now)
{
	struct proc_stat st;
	struct timespec boot;

	cr_assert_eq(proc_stat__read(&st, getpid()), 0);
	cr_expect_eq(st.pid, getpid());
	cr_expect_eq(st.ppid, getppid());
	clock_gettime(CLOCK_BOOTTIME, &boot);
	cr_expect_leq(st.start_ticks, proc_stat__ticks_from_ns((uint64_t)boot.tv_sec * 1000000000ULL + boot.tv_nsec));
}

Test(proc_stat, a_reaped_process_is_esrch)
{
	struct proc_stat st;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_expect_eq(proc_stat__read(&st, pid), -ESRCH);
}
