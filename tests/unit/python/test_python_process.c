/* Tests for python_process: file-name shortening, the pre-3.11 version ladder, and discovery in live interpreters. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_cache.h"
#include "exec_loop_fixture.h"
#include "elf_file.h"
#include "proc_mem.h"
#include "python_process.h"

extern char **environ;

/* ---- py_process__short_filename ---- */

static struct py_process paths = {
	.stdlib_dir = "/opt/py/lib/python3.12/",
	.script_dir = "/home/u/app/",
};

Test(short_filename, site_packages_file_is_relative_to_site_packages)
{
	cr_expect_str_eq(py_process__short_filename(&paths, "/opt/py/lib/python3.12/site-packages/requests/api.py"),
			 "requests/api.py");
	cr_expect_str_eq(py_process__short_filename(&paths, "/venv/lib/python3.12/site-packages/six.py"), "six.py");
}

Test(short_filename, dist_packages_file_is_relative_to_dist_packages)
{
	cr_expect_str_eq(py_process__short_filename(&paths, "/usr/lib/python3/dist-packages/apt/cache.py"),
			 "apt/cache.py");
}

Test(short_filename, innermost_site_packages_wins)
{
	cr_expect_str_eq(py_process__short_filename(&paths, "/a/site-packages/vendored/lib/site-packages/pkg/mod.py"),
			 "pkg/mod.py");
	cr_expect_str_eq(py_process__short_filename(&paths, "/a/dist-packages/b/site-packages/c.py"), "c.py");
	cr_expect_str_eq(py_process__short_filename(&paths, "/a/site-packages/b/dist-packages/c.py"), "c.py");
}

Test(short_filename, site_packages_inside_the_stdlib_dir_beats_the_stdlib_dir)
{
	cr_expect_str_eq(py_process__short_filename(&paths, "/opt/py/lib/python3.12/site-packages/pip/main.py"),
			 "pip/main.py");
}

Test(short_filename, stdlib_file_is_relative_to_the_stdlib_dir)
{
	cr_expect_str_eq(py_process__short_filename(&paths, "/opt/py/lib/python3.12/json/decoder.py"),
			 "json/decoder.py");
	cr_expect_str_eq(py_process__short_filename(&paths, "/opt/py/lib/python3.12/threading.py"), "threading.py");
}

Test(short_filename, script_dir_file_is_relative_to_the_script_dir)
{
	cr_expect_str_eq(py_process__short_filename(&paths, "/home/u/app/main.py"), "main.py");
	cr_expect_str_eq(py_process__short_filename(&paths, "/home/u/app/pkg/util.py"), "pkg/util.py");
}

Test(short_filename, unmatched_file_is_returned_unchanged)
{
	static const char *const files[] = { "/srv/other/x.py",
					     "<frozen importlib._bootstrap>",
					     "<string>",
					     "",
					     "relative.py",
					     "/opt/py/lib/python3.1/x.py",
					     "/opt/py/lib/python3.12x/y.py",
					     "/home/u/application/z.py" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		cr_expect_eq(py_process__short_filename(&paths, files[i]), files[i], "%s was shortened", files[i]);
}

Test(short_filename, file_equal_to_a_prefix_is_returned_unchanged)
{
	static const char *const files[] = { "/opt/py/lib/python3.12/", "/home/u/app/", "/x/site-packages/",
					     "/x/dist-packages/" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		cr_expect_eq(py_process__short_filename(&paths, files[i]), files[i], "%s was shortened", files[i]);
}

Test(short_filename, no_known_dirs_only_site_packages_apply)
{
	struct py_process none = {};

	cr_expect_str_eq(py_process__short_filename(&none, "/x/site-packages/a.py"), "a.py");
	cr_expect_str_eq(py_process__short_filename(&none, "/opt/py/lib/python3.12/json/decoder.py"),
			 "/opt/py/lib/python3.12/json/decoder.py");
}

/* ---- py_version__from_symbols ---- */

/* ctx: a NULL-terminated list of the symbols the fake interpreter exports. */
static int has_in_list(void *ctx, const char *sym)
{
	for (const char *const *s = ctx; *s; s++)
		if (!strcmp(*s, sym))
			return 1;
	return 0;
}

static unsigned version_of(const char *const *syms)
{
	return py_version__from_symbols(has_in_list, (void *)syms);
}

Test(version_ladder, each_version_is_told_by_the_symbols_it_added)
{
	static const char *const v2_7[] = { "Py_Main", "Py_InitModule4_64", "PyInterpreterState_Head", NULL };
	static const char *const v3_6[] = { "Py_Main", "PyOS_FSPath", "PyInterpreterState_Head", NULL };
	static const char *const v3_7[] = { "Py_Main", "PyOS_FSPath", "_PyRuntime", NULL };
	static const char *const v3_8[] = { "Py_Main", "PyOS_FSPath", "_PyRuntime", "Py_BytesMain", NULL };
	static const char *const v3_9[] = { "PyOS_FSPath", "_PyRuntime", "Py_BytesMain", "PyFrame_GetCode", NULL };
	static const char *const v3_10[] = {
		"PyOS_FSPath", "_PyRuntime", "Py_BytesMain", "PyFrame_GetCode", "PyModule_AddObjectRef", NULL,
	};

	cr_expect_eq(version_of(v2_7), 0x0207, "%#x", version_of(v2_7));
	cr_expect_eq(version_of(v3_6), 0x0306, "%#x", version_of(v3_6));
	cr_expect_eq(version_of(v3_7), 0x0307, "%#x", version_of(v3_7));
	cr_expect_eq(version_of(v3_8), 0x0308, "%#x", version_of(v3_8));
	cr_expect_eq(version_of(v3_9), 0x0309, "%#x", version_of(v3_9));
	cr_expect_eq(version_of(v3_10), 0x030a, "%#x", version_of(v3_10));
}

Test(version_ladder, the_newest_symbol_wins_whatever_else_is_there)
{
	/* Only the 3.9 marker: the ladder does not need the older ones to be present. */
	static const char *const only_3_9[] = { "PyFrame_GetCode", NULL };

	cr_expect_eq(version_of(only_3_9), 0x0309);
}

Test(version_ladder, an_interpreter_without_any_marker_is_0)
{
	static const char *const none[] = { NULL };
	static const char *const v3_5[] = { "Py_Main", "PyModule_Create2", "PyInterpreterState_Head", NULL };
	static const char *const v2_6_32bit[] = { "Py_Main", "Py_InitModule4", NULL };

	cr_expect_eq(version_of(none), 0);
	cr_expect_eq(version_of(v3_5), 0);
	cr_expect_eq(version_of(v2_6_32bit), 0);
}

/* ---- live interpreters ---- */

static struct elf_cache elves;
static pid_t child_pid;
static int child_stdin = -1;

static void live_setup(void)
{
	elf_cache__init(&elves, 0);
}

static void live_teardown(void)
{
	if (child_pid > 0) {
		close(child_stdin);
		waitpid(child_pid, NULL, 0);
	}
	elf_cache__free(&elves);
}

TestSuite(discover, .init = live_setup, .fini = live_teardown, .timeout = 60);

/* Starts argv with pipes on stdin and stdout, writes input (if any) to its stdin, waits for its `ready` line; it
 * runs until its stdin closes. */
static void start_after(char *const argv[], const char *input)
{
	posix_spawn_file_actions_t fa;
	int in[2], out[2], err;
	char line[256] = "";
	FILE *f;

	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	err = posix_spawn(&child_pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	cr_assert_eq(err, 0, "spawn %s: %s", argv[0], strerror(err));
	child_stdin = in[1];
	if (input)
		cr_assert_eq(write(child_stdin, input, strlen(input)), (ssize_t)strlen(input));
	f = fdopen(out[0], "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f), "%s exited before saying ready", argv[0]);
	cr_assert_str_eq(line, "ready\n");
	fclose(f);
}

static void start(char *const argv[])
{
	start_after(argv, NULL);
}

static const char ready_then_wait[] = "import sys; sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read()";

/* The pyenv install of X.Y ($PYENV_ROOT/versions/X.Y.*), or a skip saying why not. */
static void pyenv_install(const char *xy, char *dir, size_t size)
{
	const char *root = getenv("PYENV_ROOT");
	char versions[PATH_MAX], prefix[16];
	struct dirent *d;
	DIR *dp;

	if (!root || !*root) {
		cr_log_warn("skipped: PYENV_ROOT is not set");
		cr_skip_test("PYENV_ROOT is not set");
	}
	snprintf(versions, sizeof(versions), "%s/versions", root);
	snprintf(prefix, sizeof(prefix), "%s.", xy);
	dir[0] = '\0';
	dp = opendir(versions);
	while (dp && (d = readdir(dp)))
		if (!strncmp(d->d_name, prefix, strlen(prefix)))
			snprintf(dir, size, "%s/%s", versions, d->d_name);
	if (dp)
		closedir(dp);
	if (!dir[0]) {
		cr_log_warn("skipped: no Python %s under %s", xy, versions);
		cr_skip_test("no Python %s under %s", xy, versions);
	}
}

/* Starts the interpreter exe, discovers it, and checks what discovery found against what is true of it. */
static void expect_discovered(const char *exe, const char *xy, const char *stdlib_dir)
{
	char *argv[] = { (char *)exe, "-c", (char *)ready_then_wait, NULL };
	struct py_process py;
	char why[256] = "";
	uint64_t head = 0;
	int err;

	if (access(exe, X_OK)) {
		cr_log_warn("skipped: %s: %s", exe, strerror(errno));
		cr_skip_test("%s: %s", exe, strerror(errno));
	}
	start(argv);
	err = py_process__discover(&py, child_pid, &elves, why, sizeof(why));
	cr_assert_eq(err, 0, "%s: %s (%s)", exe, strerror(-err), why);
	cr_expect_eq(py.pid, child_pid);
	cr_expect_str_eq(py.version, xy);
	cr_expect_eq(py.off.version, (unsigned)((xy[0] - '0') << 8 | atoi(xy + 2)), "offsets of %#x", py.off.version);
	cr_assert_neq(py.interp_head_addr, 0);
	cr_expect_neq(py.none_addr, 0);
	cr_expect_neq(py.file.inode, 0);
	/* After startup the head points at the main interpreter. */
	cr_expect_eq(proc_mem__read_u64(child_pid, py.interp_head_addr, &head), 0);
	cr_expect_neq(head, 0, "interpreter head at %#llx is NULL", (unsigned long long)py.interp_head_addr);
	cr_assert_not_null(py.stdlib_dir);
	cr_expect_str_eq(py.stdlib_dir, stdlib_dir);
	cr_expect_null(py.script_dir, "-c has no script directory, got %s", py.script_dir);
	py_process__free(&py);
}

static void expect_pyenv_discovered(const char *xy)
{
	char dir[PATH_MAX + 300], real[PATH_MAX], exe[PATH_MAX + 400], stdlib_dir[PATH_MAX + 32];

	pyenv_install(xy, dir, sizeof(dir));
	cr_assert_not_null(realpath(dir, real), "%s: %s", dir, strerror(errno));
	snprintf(exe, sizeof(exe), "%s/bin/python%s", dir, xy);
	snprintf(stdlib_dir, sizeof(stdlib_dir), "%s/lib/python%s/", real, xy);
	expect_discovered(exe, xy, stdlib_dir);
}

Test(discover, finds_pyenv_cpython_2_7)
{
	expect_pyenv_discovered("2.7");
}

Test(discover, finds_pyenv_cpython_3_6)
{
	expect_pyenv_discovered("3.6");
}

Test(discover, finds_pyenv_cpython_3_7)
{
	expect_pyenv_discovered("3.7");
}

Test(discover, finds_pyenv_cpython_3_8)
{
	expect_pyenv_discovered("3.8");
}

Test(discover, finds_pyenv_cpython_3_9)
{
	expect_pyenv_discovered("3.9");
}

Test(discover, finds_pyenv_cpython_3_10)
{
	expect_pyenv_discovered("3.10");
}

Test(discover, finds_pyenv_cpython_3_11)
{
	expect_pyenv_discovered("3.11");
}

Test(discover, finds_pyenv_cpython_3_12)
{
	expect_pyenv_discovered("3.12");
}

Test(discover, finds_pyenv_cpython_3_13)
{
	expect_pyenv_discovered("3.13");
}

Test(discover, finds_debian_static_stripped_cpython_3_11)
{
	expect_discovered("/usr/bin/python3.11", "3.11", "/usr/lib/python3.11/");
}

Test(discover, non_python_process_is_enoent)
{
	char *argv[] = { "/bin/sh", "-c", "exec cat", NULL };
	struct py_process py;
	char why[256] = "";

	/* cat echoes the line: it runs, its exec finished (a shell's `echo ready; exec cat` could be read mid-exec). */
	start_after(argv, "ready\n");
	cr_expect_eq(py_process__discover(&py, child_pid, &elves, why, sizeof(why)), -ENOENT);
	cr_expect_not_null(strstr(why, "not a CPython process"), "why: %s", why);
	cr_expect_null(py.stdlib_dir);
}

/* A target caught mid-exec (its maps read empty) is to be looked at again, not given up as gone. */
Test(discover, process_mid_exec_is_eagain_never_esrch)
{
	struct exec_loop loop;
	long tries = 0, again = 0;
	int esrch = 0;

	exec_loop__start(&loop, 300);
	while (!exec_loop__done(&loop) && !esrch) {
		struct py_process py;
		char why[256] = "";
		int err = py_process__discover(&py, loop.pid, &elves, why, sizeof(why));

		tries++;
		again += err == -EAGAIN;
		esrch = err == -ESRCH && waitpid(loop.pid, NULL, WNOHANG) == 0;
		cr_expect(err == -ENOENT || err == -EAGAIN || err == -ESRCH, "discover: %d: %s", err, why);
		if (err == -EAGAIN)
			cr_expect_not_null(strstr(why, "mid-exec"), "why: %s", why);
	}
	cr_expect(!esrch, "%ld tries, %ld mid-exec: -ESRCH for a process that lives", tries, again);
	exec_loop__stop(&loop);
}

Test(discover, exited_process_is_esrch)
{
	struct py_process py;
	char why[256] = "";
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_expect_eq(py_process__discover(&py, pid, &elves, why, sizeof(why)), -ESRCH);
	cr_expect_neq(why[0], '\0');
}

/* The ladder against real builds: each pre-3.11 libpython must be told apart by its own symbols. */
static int elf_has(void *ctx, const char *sym)
{
	uint64_t vaddr;

	return !elf_file__find_symbol(ctx, sym, &vaddr, NULL);
}

Test(version_ladder, real_pyenv_libpythons_before_3_11_are_told_apart)
{
	static const struct {
		const char *xy;
		unsigned version;
	} builds[] = { { "2.7", 0x0207 }, { "3.6", 0x0306 }, { "3.7", 0x0307 },
		       { "3.8", 0x0308 }, { "3.9", 0x0309 }, { "3.10", 0x030a } };
	const char *root = getenv("PYENV_ROOT");
	int checked = 0;

	if (!root || !*root) {
		cr_log_warn("skipped: PYENV_ROOT is not set");
		cr_skip_test("PYENV_ROOT is not set");
	}
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		char versions[PATH_MAX], path[PATH_MAX + 300], prefix[16];
		struct elf_file *elf = NULL;
		struct dirent *d;
		DIR *dp;

		snprintf(versions, sizeof(versions), "%s/versions", root);
		snprintf(prefix, sizeof(prefix), "%s.", builds[i].xy);
		path[0] = '\0';
		dp = opendir(versions);
		while (dp && (d = readdir(dp))) {
			if (strncmp(d->d_name, prefix, strlen(prefix)))
				continue;
			/* 3.6 and 3.7 name it libpython3.Xm (the pymalloc ABI flag). */
			snprintf(path, sizeof(path), "%s/%s/lib/libpython%s.so.1.0", versions, d->d_name, builds[i].xy);
			if (access(path, R_OK))
				snprintf(path, sizeof(path), "%s/%s/lib/libpython%sm.so.1.0", versions, d->d_name,
					 builds[i].xy);
		}
		if (dp)
			closedir(dp);
		if (!path[0] || access(path, R_OK) || elf_file__open(&elf, path, "libpython")) {
			cr_log_info("no shared libpython %s to check", builds[i].xy);
			continue;
		}
		cr_expect_eq(py_version__from_symbols(elf_has, elf), builds[i].version, "%s: %#x", path,
			     py_version__from_symbols(elf_has, elf));
		elf_file__close(elf);
		checked++;
	}
	if (!checked) {
		cr_log_warn("skipped: no shared libpython before 3.11 under %s/versions", root);
		cr_skip_test("no shared libpython before 3.11 under %s/versions", root);
	}
}
