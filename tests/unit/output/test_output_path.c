/* Tests for output_path: where -o leads, and which symlinks and special files its policy refuses (run as root:
 * the fixtures give files to another user with lchown). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output_path.h"

#define OTHER 65534 /* nobody */

static char dir[200], path[256], why[256];
static struct output_path op;

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/pyflame-output-path-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	op.dirfd = -1;
}

static void teardown(void)
{
	char cmd[256];

	output_path__free(&op);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(output_path, .init = setup, .fini = teardown);

/* dir/rel */
static const char *at(const char *rel)
{
	static char buf[4][320];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel);
	return buf[i];
}

static void touch(const char *rel)
{
	int fd = open(at(rel), O_CREAT | O_WRONLY, 0644);

	cr_assert_geq(fd, 0);
	close(fd);
}

/* Whether op's directory is dir/rel (the same inode). */
static int op_dir_is(const char *rel)
{
	struct stat a, b;

	return !fstat(op.dirfd, &a) && !stat(at(rel), &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int resolve(const char *p)
{
	output_path__free(&op);
	return output_path__resolve(&op, p, why, sizeof(why));
}

Test(output_path, a_new_file_and_an_existing_one)
{
	cr_assert_eq(resolve(at("new.folded")), 0);
	cr_expect_str_eq(op.name, "new.folded");
	cr_expect(!op.exists && !op.in_place && op_dir_is("."));
	touch("old.folded");
	cr_assert_eq(resolve(at("./old.folded")), 0);
	cr_expect(op.exists && !op.in_place);
	cr_expect_eq(resolve(at("missing/x.folded")), -ENOENT);
	cr_expect_eq(resolve(at(".")), -EISDIR);
	cr_expect_eq(resolve(dir), -EISDIR);
}

Test(output_path, a_chain_of_trusted_symlinks_leads_to_the_file_it_names)
{
	cr_assert_eq(mkdir(at("real"), 0755), 0);
	touch("real/f.svg");
	cr_assert_eq(symlink("real", at("d")), 0);
	cr_assert_eq(symlink("d/f.svg", at("l1")), 0);
	cr_assert_eq(symlink(at("l1"), at("real/l2")), 0); /* absolute */
	cr_assert_eq(resolve(at("real/l2")), 0);
	cr_expect_str_eq(op.name, "f.svg");
	cr_expect(op.exists && op_dir_is("real"));
	/* A dangling link: the file is created where it points. */
	cr_assert_eq(symlink("real/new.svg", at("dangling")), 0);
	cr_assert_eq(resolve(at("dangling")), 0);
	cr_expect(!op.exists && !strcmp(op.name, "new.svg") && op_dir_is("real"));
}

Test(output_path, a_loop_of_symlinks_is_eloop)
{
	cr_assert_eq(symlink("b", at("a")), 0);
	cr_assert_eq(symlink("a", at("b")), 0);
	cr_expect_eq(resolve(at("a")), -ELOOP);
}

Test(output_path, a_stranger_s_symlink_in_a_sticky_world_writable_directory_is_refused)
{
	touch("victim");
	cr_assert_eq(chmod(dir, 01777), 0);
	cr_assert_eq(symlink("victim", at("evil")), 0);
	cr_assert_eq(lchown(at("evil"), OTHER, OTHER), 0);
	cr_expect_eq(resolve(at("evil")), -EPERM);
	cr_expect(strstr(why, "refusing to follow symlink 'evil'") && strstr(why, "uid 65534"), "why: %s", why);
	/* As a directory on the way too. */
	cr_assert_eq(mkdir(at("sub"), 0755), 0);
	cr_assert_eq(symlink("sub", at("evildir")), 0);
	cr_assert_eq(lchown(at("evildir"), OTHER, OTHER), 0);
	cr_expect_eq(resolve(at("evildir/x.folded")), -EPERM);
	/* The same link in a directory that is not sticky, or not world-writable, is followed. */
	cr_assert_eq(chmod(dir, 0777), 0);
	cr_expect_eq(resolve(at("evil")), 0);
	cr_assert_eq(chmod(dir, 01755), 0);
	cr_expect_eq(resolve(at("evil")), 0);
	cr_expect_str_eq(op.name, "victim");
}

Test(output_path, the_caller_s_or_the_directory_owner_s_symlink_is_followed)
{
	touch("victim");
	cr_assert_eq(chmod(dir, 01777), 0);
	cr_assert_eq(symlink("victim", at("mine")), 0);
	cr_expect_eq(resolve(at("mine")), 0);
	cr_expect_str_eq(op.name, "victim");
	cr_assert_eq(chown(dir, OTHER, OTHER), 0);
	cr_assert_eq(symlink("victim", at("owners")), 0);
	cr_assert_eq(lchown(at("owners"), OTHER, OTHER), 0);
	cr_expect_eq(resolve(at("owners")), 0);
	cr_expect_str_eq(op.name, "victim");
}

Test(output_path, a_stranger_s_fifo_in_a_sticky_world_writable_directory_is_refused)
{
	cr_assert_eq(chmod(dir, 01777), 0);
	cr_assert_eq(mkfifo(at("fifo"), 0666), 0);
	cr_assert_eq(chown(at("fifo"), OTHER, OTHER), 0);
	cr_expect_eq(resolve(at("fifo")), -EPERM);
	cr_expect(strstr(why, "special file 'fifo'"), "why: %s", why);
	cr_assert_eq(chown(at("fifo"), 0, 0), 0);
	cr_assert_eq(resolve(at("fifo")), 0);
	cr_expect(op.exists && op.in_place);
}

Test(output_path, devices_and_proc_fd_links_are_written_in_place)
{
	int fds[2];

	cr_assert_eq(resolve("/dev/null"), 0);
	cr_expect(op.in_place && !op.proc_link && !strcmp(op.name, "null"));
	cr_assert_eq(pipe(fds), 0);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[1]);
	cr_assert_eq(resolve(path), 0); /* /dev/fd -> /proc/self/fd, then the kernel's link to the pipe */
	cr_expect(op.in_place && op.proc_link);
	snprintf(path, sizeof(path), "%d", fds[1]);
	cr_expect_str_eq(op.name, path);
	close(fds[0]);
	close(fds[1]);
}
