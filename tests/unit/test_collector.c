/* Tests for collector's --no-idle rule: which off-CPU stacks are waits for work. */
#include <criterion/criterion.h>

#include "collector.h"
#include "profile_fixture.h"

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

	cr_expect(IDLE(consumer, frame(FRAME_PYTHON, "Queue.get (queue.py:171)"), frame(FRAME_PYTHON, "Condition.wait (threading.py:320)"), futex));
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
