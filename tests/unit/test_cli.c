/* Tests for cli: what cli__parse accepts, what it rejects with -EINVAL, and how it hands over `-- CMD ARGS`. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "output_format.h"

/* argv from string literals (they outlive the parse, as getopt's saved state requires). */
#define ARGV(...) ((char *[]){ "pyflame-bpf", __VA_ARGS__, NULL })
#define ARGC(argv) ((int)(sizeof(argv) / sizeof(char *)) - 1)
#define PARSE(o, ...) parse(o, ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__))

static struct pf_options opts;
static char self[16], self_list[40];

static void setup(void)
{
	snprintf(self, sizeof(self), "%d", (int)getpid());
	snprintf(self_list, sizeof(self_list), "%d,%d", (int)getpid(), (int)getppid());
}

static void teardown(void)
{
	cli__free(&opts);
}

TestSuite(cli, .init = setup, .fini = teardown);

static int parse(struct pf_options *o, int argc, char **argv)
{
	cli__free(o);
	return cli__parse(o, argc, argv);
}

/* A PID that no process has: a child that was reaped. */
static char *gone_pid(void)
{
	static char buf[16];
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return buf;
}

Test(cli, defaults_apply_when_only_a_pid_is_given)
{
	cr_assert_eq(PARSE(&opts, "-p", self), 0);
	cr_assert_eq(opts.scope.npids, 1);
	cr_expect_eq(opts.scope.pids[0], getpid());
	cr_expect_null(opts.scope.command);
	cr_expect_eq(opts.sampling.duration, 0);
	cr_expect_eq(opts.sampling.frequency, 99);
	cr_expect_null(opts.out.output);
	cr_expect_eq(opts.sampling.buffer_size, 8UL << 20);
	cr_expect_eq(opts.sampling.max_stacks, 16384);
	cr_expect_eq(opts.sampling.max_depth, 128);
	cr_expect_eq(opts.out.per_process + opts.out.threads + opts.out.no_kernel + opts.out.full_filenames +
			 opts.out.function + opts.quiet + opts.verbose,
		     0);
}

Test(cli, pid_list_is_comma_separated)
{
	cr_assert_eq(PARSE(&opts, "-p", self_list), 0);
	cr_assert_eq(opts.scope.npids, 2);
	cr_expect_eq(opts.scope.pids[0], getpid());
	cr_expect_eq(opts.scope.pids[1], getppid());
}

Test(cli, repeated_pid_flags_accumulate)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "--pid", self_list, "-p", self), 0);
	cr_assert_eq(opts.scope.npids, 4);
	cr_expect_eq(opts.scope.pids[0], getpid());
	cr_expect_eq(opts.scope.pids[1], getpid());
	cr_expect_eq(opts.scope.pids[2], getppid());
	cr_expect_eq(opts.scope.pids[3], getpid());
}

Test(cli, every_flag_sets_its_field)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "-d", "2.5", "-F", "997", "-o", "out.folded", "--buffer-size", "16M",
			   "--max-stacks", "1024", "--max-depth", "512", "--per-process", "--threads", "--no-kernel",
			   "--full-filenames", "--function", "-q", "-v"),
		     0);
	cr_expect_eq(opts.sampling.duration, 2.5);
	cr_expect_eq(opts.sampling.frequency, 997);
	cr_expect_str_eq(opts.out.output, "out.folded");
	cr_expect_eq(opts.sampling.buffer_size, 16UL << 20);
	cr_expect_eq(opts.sampling.max_stacks, 1024);
	cr_expect_eq(opts.sampling.max_depth, 512);
	cr_expect(opts.out.per_process && opts.out.threads && opts.out.no_kernel && opts.out.full_filenames &&
		  opts.out.function);
	cr_expect(opts.quiet && opts.verbose);
}

Test(cli, duration_accepts_fractions_of_a_second)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "-d", "0.25"), 0);
	cr_expect_eq(opts.sampling.duration, 0.25);
	cr_assert_eq(PARSE(&opts, "-d", ".5", "-p", self), 0);
	cr_expect_eq(opts.sampling.duration, 0.5);
	cr_assert_eq(PARSE(&opts, "--duration=3", "-p", self), 0);
	cr_expect_eq(opts.sampling.duration, 3);
}

Test(cli, buffer_size_takes_k_and_m_suffixes)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "--buffer-size", "4K"), 0);
	cr_expect_eq(opts.sampling.buffer_size, 4096);
	cr_assert_eq(PARSE(&opts, "-p", self, "--buffer-size", "1048576"), 0);
	cr_expect_eq(opts.sampling.buffer_size, 1UL << 20);
	cr_assert_eq(PARSE(&opts, "-p", self, "--buffer-size=1G"), 0);
	cr_expect_eq(opts.sampling.buffer_size, 1UL << 30);
}

Test(cli, bad_pid_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p", "abc"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", "0"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", "-5"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", "12x"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", "99999999999"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", ""), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", ","), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", "1,,x"), -EINVAL);
}

Test(cli, nonexistent_pid_is_einval)
{
	char *gone = gone_pid();

	cr_expect_eq(PARSE(&opts, "-p", gone), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-p", gone), -EINVAL);
}

Test(cli, zero_or_out_of_range_frequency_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "-F", "0"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-F", "100001"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-F", "fast"), -EINVAL);
}

Test(cli, bad_duration_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "-d", "0"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-d", "-1"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-d", "5s"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-d", "inf"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-d", "nan"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-d", ""), -EINVAL);
}

Test(cli, max_depth_outside_1_to_512_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "--max-depth", "0"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--max-depth", "513"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--max-depth", "1"), 0);
	cr_expect_eq(opts.sampling.max_depth, 1);
}

Test(cli, buffer_size_not_a_power_of_two_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "--buffer-size", "5000"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--buffer-size", "3M"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--buffer-size", "0"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--buffer-size", "2048"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--buffer-size", "2G"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--buffer-size", "8X"), -EINVAL);
}

Test(cli, buffer_size_that_wraps_when_scaled_is_einval)
{
	/* (2^54 + 4) KiB is 2^64 + 4096 bytes: it must not wrap to a valid 4096. */
	cr_expect_eq(PARSE(&opts, "-p", self, "--buffer-size", "18014398509481988K"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--buffer-size", "17179869184G"), -EINVAL);
}

Test(cli, max_stacks_out_of_range_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "--max-stacks", "63"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--max-stacks", "16777217"), -EINVAL);
}

Test(cli, empty_output_file_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "-o", ""), -EINVAL);
}

Test(cli, unknown_option_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "--bogus"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-x"), -EINVAL);
}

/* stderr of the one parse the test ran. */
static void read_stderr(char *text, size_t size)
{
	size_t n;

	fflush(stderr);
	n = fread(text, 1, size - 1, cr_get_redirected_stderr());
	text[n] = '\0';
}

Test(cli, unknown_option_inside_a_group_names_that_group)
{
	char text[512];

	cr_redirect_stderr();
	cr_assert_eq(PARSE(&opts, "-p", self, "-xq"), -EINVAL);
	read_stderr(text, sizeof(text));
	cr_expect_not_null(strstr(text, "unknown option '-xq'"), "stderr: %s", text);
}

Test(cli, unknown_long_option_is_named)
{
	char text[512];

	cr_redirect_stderr();
	cr_assert_eq(PARSE(&opts, "-p", self, "--bogus"), -EINVAL);
	read_stderr(text, sizeof(text));
	cr_expect_not_null(strstr(text, "unknown option '--bogus'"), "stderr: %s", text);
}

Test(cli, option_missing_its_value_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-p"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "-F"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--max-depth"), -EINVAL);
}

Test(cli, nothing_to_profile_is_einval)
{
	cr_expect_eq(PARSE(&opts, "-q"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-F", "49", "--"), -EINVAL);
}

Test(cli, command_without_double_dash_is_einval)
{
	cr_expect_eq(PARSE(&opts, "sleep", "1"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "sleep"), -EINVAL);
}

Test(cli, command_after_double_dash_keeps_its_own_flags)
{
	char *argv[] = { "pyflame-bpf", "-F", "49", "--", "python3", "-p", "x", "--threads", "-F", "0", NULL };

	cr_assert_eq(parse(&opts, ARGC(argv), argv), 0);
	cr_assert_not_null(opts.scope.command);
	cr_expect_eq(opts.scope.command, &argv[4], "the command must point into argv");
	cr_expect_str_eq(opts.scope.command[0], "python3");
	cr_expect_str_eq(opts.scope.command[1], "-p");
	cr_expect_str_eq(opts.scope.command[2], "x");
	cr_expect_str_eq(opts.scope.command[3], "--threads");
	cr_expect_str_eq(opts.scope.command[4], "-F");
	cr_expect_str_eq(opts.scope.command[5], "0");
	cr_expect_null(opts.scope.command[6]);
	cr_expect_eq(opts.sampling.frequency, 49);
	cr_expect_eq(opts.scope.npids, 0, "-p after -- belongs to the command");
	cr_expect_eq(opts.out.threads, 0, "--threads after -- belongs to the command");
}

Test(cli, command_and_pids_together_are_accepted)
{
	/* A named array: opts.scope.command points into it, and PARSE's literal would end with the assertion's block.
	 */
	char *argv[] = { "pyflame-bpf", "-p", self, "--", "true", NULL };

	cr_assert_eq(parse(&opts, ARGC(argv), argv), 0);
	cr_expect_eq(opts.scope.npids, 1);
	cr_assert_not_null(opts.scope.command);
	cr_expect_str_eq(opts.scope.command[0], "true");
}

Test(cli, help_lists_every_option_and_returns_1)
{
	static const char *const flags[] = { "--pid",		"--duration",	"--frequency",	    "--output",
					     "--buffer-size",	"--max-stacks", "--max-depth",	    "--per-process",
					     "--threads",	"--no-kernel",	"--full-filenames", "--function",
					     "--quiet",		"--verbose",	"--help",	    "--version",
					     "--children",	"--all",	"--cgroup",	    "--comm",
					     "--max-processes", "--rate",	"--subprocesses",   "--idle" };
	char text[16384];
	size_t n;
	FILE *f;

	cr_redirect_stdout();
	cr_assert_eq(PARSE(&opts, "--help"), 1);
	fflush(stdout);
	f = cr_get_redirected_stdout();
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		cr_expect_not_null(strstr(text, flags[i]), "--help does not mention %s", flags[i]);
}

Test(cli, version_returns_1)
{
	cr_redirect_stdout();
	cr_expect_eq(PARSE(&opts, "-V"), 1);
}

Test(cli, mode_defaults_to_cpu_and_takes_off_and_wall)
{
	cr_assert_eq(PARSE(&opts, "-p", self), 0);
	cr_expect_eq(opts.sampling.mode, MODE_CPU);
	cr_assert_eq(PARSE(&opts, "-p", self, "--mode", "off"), 0);
	cr_expect_eq(opts.sampling.mode, MODE_OFF);
	cr_assert_eq(PARSE(&opts, "-p", self, "--mode", "wall", "--no-idle", "--gil"), 0);
	cr_expect_eq(opts.sampling.mode, MODE_WALL);
	cr_expect(opts.sampling.no_idle && opts.sampling.gil);
	cr_expect_eq(PARSE(&opts, "-p", self, "--mode", "offcpu"), -EINVAL);
}

Test(cli, min_block_takes_a_unit)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "--mode", "off", "--min-block", "250us"), 0);
	cr_expect_eq(opts.sampling.min_block_ns, 250000);
	cr_assert_eq(PARSE(&opts, "-p", self, "--mode", "off", "--min-block", "1.5ms"), 0);
	cr_expect_eq(opts.sampling.min_block_ns, 1500000);
	cr_assert_eq(PARSE(&opts, "-p", self, "--mode", "wall", "--min-block", "2s"), 0);
	cr_expect_eq(opts.sampling.min_block_ns, 2000000000ULL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--mode", "off", "--min-block", "250"), -EINVAL, "no unit");
	cr_expect_eq(PARSE(&opts, "-p", self, "--mode", "off", "--min-block", "-1ms"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--mode", "off", "--min-block", "5 ms"), -EINVAL);
}

Test(cli, off_cpu_filters_without_an_off_cpu_mode_are_einval, .init = cr_redirect_stderr)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "--no-idle"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--min-block", "1ms"), -EINVAL);
	fflush(stderr);
	cr_expect_stderr_eq_str("pyflame-bpf: --no-idle applies to off-CPU time: add --mode off or --mode wall\n"
				"pyflame-bpf: --min-block applies to off-CPU time: add --mode off or --mode wall\n");
}

Test(cli, children_follows_the_pids_or_the_command)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "--children"), 0);
	cr_expect(opts.scope.children);
	cr_assert_eq(PARSE(&opts, "--children", "--", "true"), 0);
	cr_expect(opts.scope.children);
	cr_expect_eq(opts.sampling.max_processes, 8192);
}

Test(cli, all_needs_no_pid_and_comm_compiles_its_pattern)
{
	cr_assert_eq(PARSE(&opts, "--all"), 0);
	cr_expect(opts.scope.all);
	cr_expect_not(opts.scope.comm_glob.active, "no --comm: every process");
	cr_assert_eq(PARSE(&opts, "--all", "--comm", "python3.1[0-3]*"), 0);
	cr_expect_str_eq(opts.scope.comm, "python3.1[0-3]*");
	cr_expect(opts.scope.comm_glob.active);
	cr_expect_eq(opts.scope.comm_glob.ntokens, 11); /* 9 characters, a bracket expression, a star */
}

Test(cli, scopes_that_contradict_each_other_are_einval)
{
	cr_expect_eq(PARSE(&opts, "--all", "-p", self), -EINVAL);
	cr_expect_eq(PARSE(&opts, "--all", "--children"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "--all", "--", "true"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "--comm", "python*", "-p", self), -EINVAL, "--comm filters --all or --cgroup");
	cr_expect_eq(PARSE(&opts, "--all", "--comm", "[b-a]"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "--all", "--comm", ""), -EINVAL);
}

Test(cli, max_processes_out_of_range_is_einval)
{
	cr_expect_eq(PARSE(&opts, "--all", "--max-processes", "15"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "--all", "--max-processes", "4194305"), -EINVAL);
	cr_assert_eq(PARSE(&opts, "--all", "--max-processes", "100000"), 0);
	cr_expect_eq(opts.sampling.max_processes, 100000);
}

/* Where the cgroup v2 hierarchy is mounted, or NULL. */
static char *cgroup2_mount(void)
{
	static char dir[4096];
	char line[8192], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %4095s %63s", dir, type) == 2 && !strcmp(type, "cgroup2")) {
			fclose(f);
			return dir;
		}
	}
	fclose(f);
	return NULL;
}

Test(cli, cgroup_must_be_a_cgroup_v2_directory)
{
	cr_expect_eq(PARSE(&opts, "--cgroup", "/tmp"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "--cgroup", "/nonexistent/cgroup"), -EINVAL);
}

Test(cli, cgroup_resolves_to_its_inode_and_depth)
{
	char *root = cgroup2_mount();
	char sub[4200];
	struct stat st;

	if (!root)
		cr_skip_test("no cgroup v2 hierarchy mounted");
	cr_assert_eq(PARSE(&opts, "--cgroup", root), 0);
	cr_assert_eq(stat(root, &st), 0);
	cr_expect_eq(opts.scope.cgroup_id, (uint64_t)st.st_ino);
	cr_expect_eq(opts.scope.cgroup_level, 0);
	snprintf(sub, sizeof(sub), "%s/pyflame-unit-%d", root, (int)getpid());
	if (mkdir(sub, 0755))
		cr_skip_test("cannot create a cgroup under %s", root);
	cr_expect_eq(PARSE(&opts, "--cgroup", sub, "--comm", "py*"), 0);
	cr_assert_eq(stat(sub, &st), 0);
	cr_expect_eq(opts.scope.cgroup_id, (uint64_t)st.st_ino);
	cr_expect_eq(opts.scope.cgroup_level, 1);
	cr_expect_eq(PARSE(&opts, "--cgroup", sub, "--all"), -EINVAL);
	rmdir(sub);
}

Test(cli, record_subcommand_is_the_default_recording)
{
	cr_assert_eq(PARSE(&opts, "record", "-p", self, "-d", "2"), 0);
	cr_expect_null(opts.report);
	cr_expect_eq(opts.scope.npids, 1);
	cr_expect_eq(opts.sampling.duration, 2);
}

Test(cli, record_subcommand_takes_a_command_after_double_dash)
{
	char *argv[] = { "pyflame-bpf", "record", "-r", "49", "--", "true", NULL };

	cr_assert_eq(parse(&opts, ARGC(argv), argv), 0);
	cr_assert_not_null(opts.scope.command);
	cr_expect_str_eq(opts.scope.command[0], "true");
	cr_expect_eq(opts.sampling.frequency, 49);
}

Test(cli, py_spy_top_is_refused_in_one_line, .init = cr_redirect_stderr)
{
	cr_expect_eq(PARSE(&opts, "top", "--pid", self), -EINVAL);
	fflush(stderr);
	cr_expect_stderr_eq_str(
	    "pyflame-bpf: there is no 'top' subcommand (py-spy has one); pyflame-bpf has record (the "
	    "default), dump, report and diff (see --help)\n");
}

Test(cli, dump_takes_pids_and_json_and_refuses_what_a_recording_takes, .init = cr_redirect_stderr)
{
	cr_assert_eq(PARSE(&opts, "dump", "--pid", self, "--json"), 0);
	cr_expect(opts.dump && opts.json);
	cr_expect_eq(opts.scope.npids, 1);
	cr_expect_eq(PARSE(&opts, "dump", "--pid", self, "-d", "5"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "dump", "--pid", self, "--mode", "wall"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "dump", "--", "true"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "--pid", self, "--json"), -EINVAL);
}

Test(cli, rate_is_frequency)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "-r", "250"), 0);
	cr_expect_eq(opts.sampling.frequency, 250);
	cr_assert_eq(PARSE(&opts, "-p", self, "--rate", "33"), 0);
	cr_expect_eq(opts.sampling.frequency, 33);
	cr_expect_eq(PARSE(&opts, "-p", self, "--rate", "0"), -EINVAL);
}

Test(cli, subprocesses_is_children)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "-s"), 0);
	cr_expect(opts.scope.children);
	cr_assert_eq(PARSE(&opts, "--subprocesses", "--", "true"), 0);
	cr_expect(opts.scope.children);
}

Test(cli, idle_is_wall_mode_with_idle_waits_kept)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "--idle"), 0);
	cr_expect_eq(opts.sampling.mode, MODE_WALL);
	cr_expect_not(opts.sampling.no_idle);
	cr_assert_eq(PARSE(&opts, "-p", self, "--idle", "--mode", "wall", "--min-block", "1ms"), 0);
	cr_expect_eq(opts.sampling.mode, MODE_WALL);
}

Test(cli, idle_with_no_idle_or_another_mode_is_einval, .init = cr_redirect_stderr)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "--idle", "--no-idle"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--mode", "off", "--idle"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "-p", self, "--idle", "--mode", "cpu"), -EINVAL);
}

Test(cli, format_takes_py_spy_names)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "--format", "flamegraph"), 0);
	cr_expect_eq(opts.out.format, FORMAT_SVG);
	cr_assert_eq(PARSE(&opts, "-p", self, "--format", "raw", "-o", "x.svg"), 0);
	cr_expect_eq(opts.out.format, FORMAT_FOLDED);
	cr_expect_eq(PARSE(&opts, "-p", self, "--format", "speedscopes"), -EINVAL);
}

Test(cli, unknown_output_suffix_is_einval_in_one_line, .init = cr_redirect_stderr)
{
	cr_expect_eq(PARSE(&opts, "-p", self, "-o", "profile.txt"), -EINVAL);
	fflush(stderr);
	cr_expect_stderr_eq_str("pyflame-bpf: cannot tell a format from the suffix of 'profile.txt': end it in "
				".folded, .svg, .pb.gz, .pb, .pprof, .speedscope.json or .json (.zst to compress), or "
				"give --format\n");
}

Test(cli, unknown_output_suffix_is_accepted_with_a_format)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "-o", "profile.txt", "--format", "folded"), 0);
	cr_expect_eq(opts.out.format, FORMAT_FOLDED);
	cr_assert_eq(PARSE(&opts, "report", "in.folded", "-o", "x.html", "--format", "svg"), 0);
	cr_expect_eq(opts.out.format, FORMAT_SVG);
}

Test(cli, output_suffix_picks_the_format_ignoring_case)
{
	cr_assert_eq(PARSE(&opts, "-p", self, "-o", "x.SVG"), 0);
	cr_expect_eq(opts.out.format, FORMAT_SVG);
	cr_assert_eq(PARSE(&opts, "-p", self, "-o", "profile.json"), 0);
	cr_expect_eq(opts.out.format, FORMAT_SPEEDSCOPE);
	cr_assert_eq(PARSE(&opts, "-p", self, "-o", "x.pb"), 0);
	cr_expect_eq(opts.out.format, FORMAT_PPROF);
	cr_assert_eq(PARSE(&opts, "-p", self, "-o", "x.pprof.ZST"), 0);
	cr_expect_eq(opts.out.format, FORMAT_PPROF);
	cr_expect(opts.out.compress);
}

Test(cli, diff_to_pprof_or_speedscope_is_refused_in_one_line, .init = cr_redirect_stderr)
{
	cr_expect_eq(PARSE(&opts, "diff", "a.folded", "b.folded", "-o", "d.pb.gz"), -EINVAL);
	cr_expect_eq(PARSE(&opts, "diff", "a.folded", "b.folded", "--format", "speedscope"), -EINVAL);
	fflush(stderr);
	cr_expect_stderr_eq_str(
	    "pyflame-bpf: diff writes svg or folded (STACK BEFORE AFTER); for pprof or speedscope, "
	    "report each profile (go tool pprof -diff_base BEFORE.pb.gz AFTER.pb.gz compares two)\n"
	    "pyflame-bpf: diff writes svg or folded (STACK BEFORE AFTER); for pprof or speedscope, "
	    "report each profile (go tool pprof -diff_base BEFORE.pb.gz AFTER.pb.gz compares two)\n");
}

Test(cli, diff_to_svg_or_folded_is_accepted)
{
	cr_assert_eq(PARSE(&opts, "diff", "a.folded", "b.folded", "-o", "d.svg"), 0);
	cr_expect_str_eq(opts.diff_base, "a.folded");
	cr_expect_str_eq(opts.report, "b.folded");
	cr_assert_eq(PARSE(&opts, "diff", "a.folded", "b.folded", "--format", "raw"), 0);
	cr_expect_eq(opts.out.format, FORMAT_FOLDED);
}
