/* Tests for the one object per target process: its references and parts, and its lifecycle through the tracker's
 * events (fork, exec, PID reuse, exit), against a real BPF hash map standing in for the sampler's `targets`. */
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "elf_cache.h"
#include "lifecycle.h"
#include "process_tracker.h"
#include "python_symbols.h"
#include "target_process.h"
#include "user_symbols.h"

/* PIDs no process has: above the kernel's PID_MAX_LIMIT, so /proc never answers for them. */
#define PARENT 5000001
#define CHILD 5000002
#define TICKS_NS 10000000ULL /* one clock tick (USER_HZ 100), as proc_stat__ticks_from_ns counts */

static struct pf_options opts;
static struct profile prof;
static struct elf_cache elves;
static struct user_symbols usyms;
static struct py_symbols *py;
static struct process_tracker tr;

static void setup(void)
{
	struct py_symbols_options po = { 0 };

	memset(&opts, 0, sizeof(opts));
	opts.quiet = 1;
	profile__init(&prof);
	elf_cache__init(&elves, 0);
	user_symbols__init(&usyms, &elves);
	py = py_symbols__new(&elves, &po);
	cr_assert_not_null(py);
	process_tracker__init(&tr, &opts, &prof, py, &usyms);
	tr.targets_fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, sizeof(__u32), sizeof(struct pf_target), 64, NULL);
	if (tr.targets_fd < 0)
		cr_skip_test("cannot create a BPF hash map (run as root): %s", strerror(errno));
	process_tracker__started(&tr, 0);
}

static void teardown(void)
{
	if (tr.targets_fd >= 0)
		close(tr.targets_fd);
	process_tracker__free(&tr);
	py_symbols__free(py);
	elf_cache__free(&elves);
	profile__free(&prof);
}

TestSuite(target_process, .init = setup, .fini = teardown);

static void event(__u32 type, __u32 pid, __u32 ppid, __u64 start_ticks, __u64 time_ns, const char *comm)
{
	struct pf_proc_event ev = { .kind = PF_REC_PROC_EVENT,
				    .type = type,
				    .pid = pid,
				    .ppid = ppid,
				    .start_ns = start_ticks * TICKS_NS,
				    .time_ns = time_ns };

	snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	cr_assert_eq(process_tracker__event(&tr, &ev), 0);
}

Test(target_process, references_keep_a_parent_until_its_last_child_goes)
{
	struct target_process *parent = target_process__new(PARENT, 1), *child = target_process__new(CHILD, 2);

	cr_assert(parent && child);
	cr_expect(parent->alive && parent->refs == 1);
	target_process__set_parent(child, parent);
	cr_expect_eq(parent->refs, 2, "the child holds its parent");
	target_process__put(parent); /* the tracker lets go of it: the child's reference keeps it */
	cr_expect_eq(child->parent, parent);
	cr_expect_eq(parent->refs, 1);
	target_process__forget(child); /* a new program: no parent, nothing known */
	cr_expect_null(child->parent);
	cr_expect_null(child->maps);
	cr_expect_null(child->py);
	cr_expect_null(child->stacks);
	target_process__put(child);
}

Test(target_process, a_fork_makes_a_child_with_its_own_record_and_its_parent_linked)
{
	struct target_process *p, *c;

	event(PF_PROC_ENTER, PARENT, 0, 100, 1000, "master");
	event(PF_PROC_FORK, CHILD, PARENT, 200, 2000, "worker");
	p = process_tracker__find(&tr, PARENT);
	c = process_tracker__find(&tr, CHILD);
	cr_assert(p && c);
	cr_expect(p->alive && c->alive);
	cr_expect_eq(c->parent, p);
	cr_expect_eq(c->start, 200);
	cr_assert(c->record && p->record && c->record != p->record);
	cr_expect_str_eq(c->record->comm, "worker");
	cr_expect_eq(process_tracker__alive(&tr), 2);
}

Test(target_process, an_exec_forgets_the_old_program_and_counts_in_a_new_record)
{
	struct profile_process *before;
	struct target_process *c;

	event(PF_PROC_ENTER, PARENT, 0, 100, 1000, "master");
	event(PF_PROC_FORK, CHILD, PARENT, 200, 2000, "worker");
	c = process_tracker__find(&tr, CHILD);
	before = c->record;
	before->samples = 5; /* it took samples as the old program */
	event(PF_PROC_EXEC, CHILD, 0, 200, 3000, "python3");
	cr_expect_eq(process_tracker__find(&tr, CHILD), c, "the same process");
	cr_expect(c->alive);
	cr_expect_null(c->parent, "a new program inherits nothing");
	cr_expect_neq(c->record, before);
	cr_expect_geq(c->record->key, PROFILE_FIRST_KEY);
	cr_expect_str_eq(c->record->comm, "python3");
	cr_expect_str_eq(before->comm, "worker", "the old program keeps its name and samples");
}

Test(target_process, an_exit_keeps_the_record_and_a_reused_pid_gets_a_new_one)
{
	struct profile_process *first;
	struct target_process *c, *again;

	event(PF_PROC_ENTER, CHILD, 0, 200, 1000, "first");
	c = process_tracker__find(&tr, CHILD);
	first = c->record;
	first->samples = 3;
	event(PF_PROC_EXIT, CHILD, 0, 200, 2000000000ULL, "first");
	cr_expect_eq(process_tracker__find(&tr, CHILD), c, "still known after its exit, for its late samples");
	cr_expect(!c->alive);
	cr_expect_eq(process_tracker__alive(&tr), 0);
	cr_expect_float_eq(first->exited_after, 2.0, 1e-9);
	/* Another process gets the PID. */
	event(PF_PROC_ENTER, CHILD, 0, 900, 3000000000ULL, "second");
	again = process_tracker__find(&tr, CHILD);
	cr_assert(again && again != c);
	cr_expect(again->alive);
	cr_expect_neq(again->record, first);
	cr_expect_str_eq(again->record->comm, "second");
	cr_expect_str_eq(first->comm, "first");
	cr_expect_eq(tr.stats.pid_reuses, 1);
}

Test(target_process, a_child_outlives_its_parent_without_dangling)
{
	struct target_process *c;

	event(PF_PROC_ENTER, PARENT, 0, 100, 1000, "master");
	event(PF_PROC_FORK, CHILD, PARENT, 200, 2000, "worker");
	event(PF_PROC_EXIT, PARENT, 0, 100, 3000, "master");
	c = process_tracker__find(&tr, CHILD);
	cr_assert_not_null(c->parent);
	cr_expect(!c->parent->alive);
	cr_expect_null(c->parent->py, "a gone parent's interpreter and code are dropped");
	/* A new process with the parent's PID replaces its entry; the child still holds the old object. */
	event(PF_PROC_ENTER, PARENT, 0, 5000, 4000, "stranger");
	cr_expect_neq(process_tracker__find(&tr, PARENT), c->parent);
	cr_expect_eq(c->parent->refs, 1);
	event(PF_PROC_EXIT, CHILD, 0, 200, 5000, "worker");
}
