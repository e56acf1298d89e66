/* Tests for the collector: its --no-idle rule (which off-CPU stacks are waits for work), and records through a fake
 * stack source. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "elf_cache.h"
#include "profile_fixture.h"
#include "target_process.h"
#include "user_symbols.h"

TestSuite(collector, .init = profile_fixture__setup, .fini = profile_fixture__teardown);

#define FRAMES(...) (uint32_t[]){ __VA_ARGS__ }, sizeof((uint32_t[]){ __VA_ARGS__ }) / 4
#define IDLE(...) collector__is_idle_wait(&prof, FRAMES(__VA_ARGS__), 0)

Test(collector, event_loop_waits_are_idle_by_what_the_kernel_saw)
{
	uint32_t loop = frame(FRAME_PYTHON, "run_forever (asyncio/base_events.py:604)");
	uint32_t sel = frame(FRAME_PYTHON, "EpollSelector.select (selectors.py:468)");
	uint32_t sleep = frame(FRAME_PYTHON, "backoff (retry.py:9)");

	cr_expect(collector__is_idle_wait(&prof, FRAMES(loop, sel, frame(FRAME_KERNEL, "do_epoll_wait")), 1));
	/* 2.7's time.sleep is a select() without descriptors: the kernel frames alone would call it idle. */
	cr_expect(!collector__is_idle_wait(&prof, FRAMES(sleep, frame(FRAME_KERNEL, "do_select")), 0));
}

Test(collector, an_empty_queue_and_an_idle_pool_worker_are_idle)
{
	uint32_t consumer = frame(FRAME_PYTHON, "consume (app.py:10)");
	uint32_t futex = frame(FRAME_KERNEL, "futex_wait");

	cr_expect(IDLE(consumer, frame(FRAME_PYTHON, "Queue.get (queue.py:171)"),
		       frame(FRAME_PYTHON, "Condition.wait (threading.py:320)"), futex));
	cr_expect(IDLE(consumer, frame(FRAME_PYTHON, "get (Queue.py:168)"), futex), "2.7's module is Queue");
	cr_expect(IDLE(consumer, frame(FRAME_PYTHON, "get (multiprocessing/queues.py:103)"), futex));
	cr_expect(IDLE(frame(FRAME_PYTHON, "_worker (concurrent/futures/thread.py:81)"), futex));
}

Test(collector, lock_socket_and_sleep_waits_are_not_idle)
{
	uint32_t futex = frame(FRAME_KERNEL, "futex_wait");

	cr_expect(!IDLE(frame(FRAME_PYTHON, "transfer (bank.py:20)"), futex), "a lock held by someone else");
	cr_expect(!IDLE(frame(FRAME_PYTHON, "fetch (db.py:5)"), frame(FRAME_KERNEL, "tcp_recvmsg"),
			frame(FRAME_KERNEL, "sk_wait_data")));
	cr_expect(!IDLE(frame(FRAME_PYTHON, "backoff (retry.py:9)"), frame(FRAME_KERNEL, "do_nanosleep")));
	/* A pool worker running a task that itself waits is busy, not idle. */
	cr_expect(!IDLE(frame(FRAME_PYTHON, "_worker (concurrent/futures/thread.py:80)"),
			frame(FRAME_PYTHON, "task (app.py:30)"), futex));
	/* Someone's own get() is not the queue module's. */
	cr_expect(!IDLE(frame(FRAME_PYTHON, "Cache.get (cache.py:12)"), futex));
}

/* The collector through a fake stack source: stacks resolved per target, kernel stacks shared, records checked. */
static uint64_t fake_stacks[4][PF_MAX_STACK_ADDRS];

static int fake_read(void *ctx, int32_t id, uint64_t *ips)
{
	(void)ctx;
	if (id < 0 || id >= 4 || !fake_stacks[id][0])
		return -ENOENT;
	memcpy(ips, fake_stacks[id], sizeof(fake_stacks[id]));
	return 0;
}

__attribute__((noinline)) void collector_test_leaf(void)
{
	__asm__ volatile("");
}

__attribute__((noinline)) void collector_test_root(void)
{
	collector_test_leaf();
	__asm__ volatile("");
}

struct collect_fixture {
	struct elf_cache elves;
	struct user_symbols usyms;
	struct collector c;
};

static void collect_setup(struct collect_fixture *f)
{
	elf_cache__init(&f->elves, 0);
	user_symbols__init(&f->usyms, &f->elves);
	collector__init(&f->c, &prof, NULL, &f->usyms, -1);
	f->c.stacks.read = fake_read;
	memset(fake_stacks, 0, sizeof(fake_stacks));
}

static void collect_teardown(struct collect_fixture *f)
{
	collector__free(&f->c);
	elf_cache__free(&f->elves);
}

static struct pf_sample native_sample(uint32_t tgid, int32_t ustack, int32_t kstack)
{
	struct pf_sample s = {
		.kind = PF_REC_SAMPLE, .tgid = tgid, .tid = tgid, .ustack_id = ustack, .kstack_id = kstack
	};

	snprintf(s.comm, sizeof(s.comm), "test");
	return s;
}

/* The only stack of the profile, as text (frames root first, ';'-joined). */
static void expect_only_stack(const char *want, uint64_t count)
{
	char got[1024] = "";
	size_t n = 0;

	cr_assert_eq(prof.nstacks, 1, "%zu stacks", prof.nstacks);
	for (uint32_t i = 0; i < prof.stacks[0]->nframes; i++)
		n += snprintf(got + n, sizeof(got) - n, "%s%s", i ? ";" : "",
			      prof.frames[prof.stacks[0]->frames[i]].name);
	cr_expect_str_eq(got, want);
	cr_expect_eq(prof.stacks[0]->count, count);
}

Test(collector, user_and_kernel_stacks_come_from_the_stack_source_and_are_named)
{
	struct collect_fixture f;
	struct target_process *me = target_process__new(getpid(), 0);
	struct pf_sample s = native_sample((uint32_t)getpid(), 1, 2);

	collect_setup(&f);
	/* Leaf first, as the stack map holds them; every frame but the leaf is a return address. */
	fake_stacks[1][0] = (uint64_t)(uintptr_t)collector_test_leaf;
	fake_stacks[1][1] = (uint64_t)(uintptr_t)collector_test_root + 1;
	fake_stacks[2][0] = 0xffffffff81000010ULL;
	cr_assert_eq(collector__add(&f.c, me, &s, sizeof(s)), 0);
	cr_assert_eq(collector__add(&f.c, me, &s, sizeof(s)), 0);
	expect_only_stack("collector_test_root;collector_test_leaf;0xffffffff81000010", 2);
	cr_expect_not_null(me->stacks, "the user stack is cached in its target");
	target_process__put(me);
	collect_teardown(&f);
}

Test(collector, a_gone_or_unknown_process_gets_no_user_stack_and_a_bad_record_is_counted)
{
	struct collect_fixture f;
	struct target_process *gone = target_process__new(getpid(), 0);
	struct pf_sample s = native_sample((uint32_t)getpid(), 1, -EFAULT);

	collect_setup(&f);
	fake_stacks[1][0] = (uint64_t)(uintptr_t)collector_test_leaf;
	gone->alive = 0;
	cr_assert_eq(collector__add(&f.c, gone, &s, sizeof(s)), 0);
	cr_assert_eq(collector__add(&f.c, NULL, &s, sizeof(s)), 0);
	expect_only_stack("[no user stack]", 2);
	cr_expect_null(gone->stacks, "nothing is cached for a process that is gone");
	s.kind = 0;
	cr_assert_eq(collector__add(&f.c, NULL, &s, sizeof(s)), 0);
	cr_assert_eq(collector__add(&f.c, NULL, &s, sizeof(s) - 1), 0);
	cr_expect_eq(f.c.counts.bad_records, 2);
	cr_expect_eq(f.c.counts.records, 2);
	target_process__put(gone);
	collect_teardown(&f);
}
