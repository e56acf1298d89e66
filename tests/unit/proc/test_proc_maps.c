/* Tests for proc_maps: parsing /proc/PID/maps text, finding the mapping of an address, reading a live process. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_loop_fixture.h"
#include "proc_maps.h"
#include "proc_stat.h"

static const char sample[] =
    "55d0c0a00000-55d0c0a01000 r--p 00000000 fd:01 1234                       /usr/bin/app\n"
    "55d0c0a01000-55d0c0a05000 r-xp 00001000 fd:01 1234                       /usr/bin/app\n"
    "55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                          [heap]\n"
    "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \n"
    "7f0000200000-7f0000201000 r-xp 00002000 08:02 98765                      /home/user/my dir/lib with spaces.so\n"
    "7f0000300000-7f0000301000 r-xp 00000000 08:02 4242                       /tmp/old.so (deleted)\n"
    "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n"
    "7ffc000fe000-7ffc00100000 r-xp 00000000 00:00 0                          [vdso]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static void parse_text(struct proc_maps *m, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	cr_assert_not_null(f);
	cr_assert_eq(proc_maps__parse(m, f), 0);
	fclose(f);
}

Test(proc_maps, parse_reads_every_field_of_a_file_mapping)
{
	struct proc_maps m;
	const struct proc_map *p;

	parse_text(&m, sample);
	cr_assert_eq(m.n, 9);
	p = &m.maps[1];
	cr_expect_eq(p->start, 0x55d0c0a01000);
	cr_expect_eq(p->end, 0x55d0c0a05000);
	cr_expect_str_eq(p->perms, "r-xp");
	cr_expect_eq(p->offset, 0x1000);
	cr_expect_eq(p->dev_major, 0xfd);
	cr_expect_eq(p->dev_minor, 0x01);
	cr_expect_eq(p->inode, 1234);
	cr_expect_str_eq(p->path, "/usr/bin/app");
	cr_expect_str_eq(proc_map__basename(p), "app");
	proc_maps__free(&m);
}

Test(proc_maps, parse_keeps_spaces_inside_a_path)
{
	struct proc_maps m;

	parse_text(&m, sample);
	cr_assert_eq(m.n, 9);
	cr_expect_str_eq(m.maps[4].path, "/home/user/my dir/lib with spaces.so");
	cr_expect_str_eq(proc_map__basename(&m.maps[4]), "lib with spaces.so");
	cr_expect_eq(m.maps[4].dev_major, 8);
	cr_expect_eq(m.maps[4].dev_minor, 2);
	cr_expect_eq(m.maps[4].offset, 0x2000);
	proc_maps__free(&m);
}

Test(proc_maps, parse_keeps_the_deleted_marker_in_the_path)
{
	struct proc_maps m;

	parse_text(&m, sample);
	cr_assert_eq(m.n, 9);
	cr_expect_str_eq(m.maps[5].path, "/tmp/old.so (deleted)");
	proc_maps__free(&m);
}

Test(proc_maps, parse_gives_anonymous_mappings_an_empty_path)
{
	struct proc_maps m;

	parse_text(&m, sample);
	cr_assert_eq(m.n, 9);
	cr_expect_str_eq(m.maps[3].path, "");
	cr_expect_eq(m.maps[3].inode, 0);
	cr_expect_str_eq(proc_map__basename(&m.maps[3]), "");
	proc_maps__free(&m);
}

Test(proc_maps, parse_keeps_special_mapping_names)
{
	struct proc_maps m;

	parse_text(&m, sample);
	cr_assert_eq(m.n, 9);
	cr_expect_str_eq(m.maps[2].path, "[heap]");
	cr_expect_str_eq(m.maps[6].path, "[stack]");
	cr_expect_str_eq(m.maps[7].path, "[vdso]");
	cr_expect_str_eq(proc_map__basename(&m.maps[7]), "[vdso]");
	proc_maps__free(&m);
}

Test(proc_maps, parse_reads_addresses_above_2_to_the_63)
{
	struct proc_maps m;

	parse_text(&m, sample);
	cr_assert_eq(m.n, 9);
	cr_expect_eq(m.maps[8].start, 0xffffffffff600000);
	cr_expect_eq(m.maps[8].end, 0xffffffffff601000);
	cr_expect_str_eq(m.maps[8].perms, "--xp");
	cr_expect_str_eq(m.maps[8].path, "[vsyscall]");
	proc_maps__free(&m);
}

Test(proc_maps, parse_reads_a_last_line_without_newline_or_path)
{
	struct proc_maps m;

	parse_text(&m, "1000-2000 r-xp 00000000 08:01 7 /bin/x\n3000-4000 rw-p 00000000 00:00 0");
	cr_assert_eq(m.n, 2);
	cr_expect_str_eq(m.maps[0].path, "/bin/x");
	cr_expect_eq(m.maps[1].start, 0x3000);
	cr_expect_str_eq(m.maps[1].path, "");
	proc_maps__free(&m);
}

Test(proc_maps, parse_skips_malformed_lines)
{
	struct proc_maps m;

	parse_text(&m, "nonsense\n\n1000-2000 r-xp\n5000-6000 r-xp 00000000 08:01 7 /bin/y\n");
	cr_assert_eq(m.n, 1);
	cr_expect_str_eq(m.maps[0].path, "/bin/y");
	proc_maps__free(&m);
}

Test(proc_maps, find_includes_start_and_excludes_end)
{
	struct proc_maps m;

	parse_text(&m, sample);
	cr_expect_eq(proc_maps__find(&m, 0x55d0c0a00000), &m.maps[0]);
	cr_expect_eq(proc_maps__find(&m, 0x55d0c0a00fff), &m.maps[0]);
	/* Adjacent mappings: the end of one is the start of the next. */
	cr_expect_eq(proc_maps__find(&m, 0x55d0c0a01000), &m.maps[1]);
	cr_expect_eq(proc_maps__find(&m, 0x55d0c0a04fff), &m.maps[1]);
	cr_expect_eq(proc_maps__find(&m, 0x7ffc000fe000), &m.maps[7]);
	cr_expect_eq(proc_maps__find(&m, 0xffffffffff600abc), &m.maps[8]);
	proc_maps__free(&m);
}

Test(proc_maps, find_in_a_gap_or_outside_every_mapping_is_null)
{
	struct proc_maps m;

	parse_text(&m, sample);
	cr_expect_null(proc_maps__find(&m, 0));
	cr_expect_null(proc_maps__find(&m, 0x55d0c09fffff));
	cr_expect_null(proc_maps__find(&m, 0x55d0c0a05000)); /* end of the text mapping, before the heap */
	cr_expect_null(proc_maps__find(&m, 0x7f0000100000));
	cr_expect_null(proc_maps__find(&m, 0x7ffc00100000));
	cr_expect_null(proc_maps__find(&m, 0xffffffffff601000));
	cr_expect_null(proc_maps__find(&m, UINT64_MAX));
	proc_maps__free(&m);
}

Test(proc_maps, find_in_an_empty_list_is_null)
{
	struct proc_maps m;

	parse_text(&m, "");
	cr_expect_eq(m.n, 0);
	cr_expect_null(proc_maps__find(&m, 0x1000));
	proc_maps__free(&m);
}

Test(proc_maps, open_path_names_the_map_files_entry)
{
	struct proc_maps m;
	char buf[128];

	parse_text(&m, sample);
	proc_map__open_path(&m.maps[1], 4321, buf, sizeof(buf));
	cr_expect_str_eq(buf, "/proc/4321/map_files/55d0c0a01000-55d0c0a05000");
	proc_maps__free(&m);
}

Test(proc_maps, read_of_self_finds_this_test_code_in_the_test_binary)
{
	char exe[PATH_MAX];
	struct proc_maps m;
	const struct proc_map *p;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	cr_assert_gt(n, 0);
	exe[n] = '\0';
	cr_assert_eq(proc_maps__read(&m, getpid()), 0);
	cr_assert_gt(m.n, 0);
	for (size_t i = 1; i < m.n; i++)
		cr_expect_leq(m.maps[i - 1].end, m.maps[i].start, "maps not sorted at %zu", i);
	p = proc_maps__find(&m, (uint64_t)(uintptr_t)&parse_text);
	cr_assert_not_null(p);
	cr_expect_str_eq(p->path, exe);
	cr_expect_eq(p->perms[2], 'x');
	cr_expect_neq(p->inode, 0);
	proc_maps__free(&m);
}

Test(proc_maps, read_of_a_nonexistent_pid_is_esrch)
{
	struct proc_maps m;
	pid_t pid = fork();

	/* A child that exited and was reaped: its PID is free until reused, which is far away. */
	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_expect_eq(proc_maps__read(&m, pid), -ESRCH);
	cr_expect_eq(proc_maps__read(&m, INT_MAX), -ESRCH);
}

Test(proc_maps, read_of_a_zombie_is_esrch)
{
	struct proc_stat st = {};
	struct proc_maps m;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	/* Exited, not reaped: its /proc entry stays, with an empty maps file. */
	for (int i = 0; i < 5000 && !proc_stat__read(&st, pid) && st.state != 'Z'; i++)
		usleep(1000);
	cr_expect_eq(st.state, 'Z');
	cr_expect_eq(proc_maps__read(&m, pid), -ESRCH);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
}

/* An exec empties the maps file for a moment (the old memory is released before the new program is mapped, and a
 * file opened before the exec reads the old, released memory): that is -EAGAIN, never "gone" (-ESRCH). */
Test(proc_maps, read_of_a_process_mid_exec_is_never_esrch)
{
	struct exec_loop loop;
	long reads = 0, again = 0;
	int esrch = 0;

	exec_loop__start(&loop, 300);
	while (!exec_loop__done(&loop) && !esrch) {
		struct proc_maps m;
		int err = proc_maps__read(&m, loop.pid);

		reads++;
		if (!err)
			proc_maps__free(&m);
		again += err == -EAGAIN;
		esrch = err == -ESRCH && waitpid(loop.pid, NULL, WNOHANG) == 0;
		cr_expect(!err || err == -EAGAIN || err == -ESRCH, "read: %s", strerror(-err));
	}
	cr_expect(!esrch, "read %ld times, %ld mid-exec: -ESRCH for a process that lives", reads, again);
	exec_loop__stop(&loop);
}
