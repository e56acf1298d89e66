/*
 * What --slice costs userspace: N synthetic records of a busy server (T threads, each serving requests of
 * log-normally spread lengths, every record one sampling period of one of S distinct stacks under Handler.do_GET,
 * an idle record between requests) fed to the slicer in time order, then its post-pass (the percentiles and the
 * slow invocations' profile). Prints one line of CPU milliseconds: adding, then finishing plus the post-pass.
 *
 * Usage: slicer_cost [RECORDS [THREADS [STACKS]]]   (default 1000000 8 2000)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "profile.h"
#include "slicer.h"
#include "target_process.h"

#define PERIOD_NS 1001001ull /* 999 Hz */
#define PID 100

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
	       ru.ru_stime.tv_usec / 1e3;
}

/* A deterministic generator, so that two runs measure the same work. */
static uint64_t rng = 88172645463325252ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double uniform(void)
{
	return (double)(next_random() >> 11) / (double)(1ull << 53);
}

/* Records in one request: log-normal around 20, a tail of slow ones in the hundreds. */
static unsigned request_records(void)
{
	double z = sqrt(-2 * log(uniform() + 1e-12)) * cos(6.283185307179586 * uniform());
	double n = exp(log(20) + 0.9 * z);

	return n < 1 ? 1 : n > 5000 ? 5000 : (unsigned)n;
}

/* Stacks serve;Handler.do_GET;f_a;f_b;f_c of a pool of functions, and the idle one (no do_GET). */
static int make_stacks(struct profile *p, uint32_t *ids, unsigned n, uint32_t *idle)
{
	struct profile_process *proc = profile__process(p, PID);
	char name[64];
	uint32_t frames[5];

	if (!proc)
		return -1;
	frames[0] = (uint32_t)profile__frame(p, FRAME_PYTHON, "serve (srv.py:1)");
	frames[1] = (uint32_t)profile__frame(p, FRAME_PYTHON, "Handler.do_GET (srv.py:5)");
	for (unsigned i = 0; i < n; i++) {
		for (unsigned d = 2; d < 5; d++) {
			snprintf(name, sizeof(name), "f_%u (app.py:%u)", (unsigned)(next_random() % 200), d * 10);
			frames[d] = (uint32_t)profile__frame(p, FRAME_PYTHON, name);
		}
		snprintf(name, sizeof(name), "leaf_%u (app.py:99)", i);
		frames[4] = (uint32_t)profile__frame(p, FRAME_PYTHON, name);
		if (profile__add(p, proc, PID + 1, frames, 5, 0))
			return -1;
		ids[i] = p->last_stack;
	}
	frames[1] = (uint32_t)profile__frame(p, FRAME_PYTHON, "accept (srv.py:40)");
	if (profile__add(p, proc, PID + 1, frames, 2, 0))
		return -1;
	*idle = p->last_stack;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long records = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000, added = 0, requests = 0;
	unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 8, nstacks = argc > 3 ? (unsigned)atoi(argv[3]) : 2000;
	struct slicer_options o = { .func = "do_GET", .percentile = 90, .period_ns = PERIOD_NS };
	uint64_t now[64] = { 0 }, frame = 0x7f0000000000ull;
	struct profile p, slow, rest;
	struct slice_summary sum;
	struct target_process *target;
	struct slicer s;
	uint32_t *ids, idle;
	double t0, t1, t2;

	if (!threads || threads > 64 || !nstacks || !(ids = calloc(nstacks, sizeof(*ids)))) {
		fprintf(stderr, "usage: slicer_cost [RECORDS [THREADS (1-64) [STACKS]]]\n");
		return 2;
	}
	profile__init(&p);
	if (make_stacks(&p, ids, nstacks, &idle)) {
		fprintf(stderr, "slicer_cost: out of memory\n");
		return 1;
	}
	slicer__init(&s, &o, &p);
	target = target_process__new(PID, 0);
	if (!target) {
		fprintf(stderr, "slicer_cost: out of memory\n");
		return 1;
	}
	if (!slicer__is_func(&s, p.stacks[ids[0]]->frames[1], 1)) {
		fprintf(stderr, "slicer_cost: Handler.do_GET is not FUNC\n");
		return 1;
	}
	t0 = cpu_ms();
	/* Threads take turns a request at a time; each thread's records are in its own time order. */
	while (added < records) {
		for (unsigned t = 0; t < threads && added < records; t++) {
			struct slice_call call = { 0x1000, frame += 0x240, 2 };
			unsigned n = request_records();

			for (unsigned i = 0; i < n && added < records; i++, added++, now[t] += PERIOD_NS)
				if (slicer__add(&s, target, PID + 1 + t, ids[next_random() % nstacks], now[t],
						now[t] + PERIOD_NS, PERIOD_NS / 1000, &call))
					goto nomem;
			requests++;
			if (added == records)
				break;
			if (slicer__add(&s, target, PID + 1 + t, idle, now[t], now[t] + PERIOD_NS, PERIOD_NS / 1000,
					NULL))
				goto nomem;
			now[t] += PERIOD_NS;
			added++;
		}
	}
	t1 = cpu_ms();
	profile__init(&slow);
	profile__init(&rest);
	if (slicer__finish(&s) || slicer__result(&s, &slow, &rest, &sum))
		goto nomem;
	t2 = cpu_ms();
	printf("records %lu requests %lu resolved %llu slow %llu stacks %zu add_ms %.1f result_ms %.1f\n", added,
	       requests, (unsigned long long)sum.resolved, (unsigned long long)sum.slow, slow.nstacks, t1 - t0,
	       t2 - t1);
	profile__free(&slow);
	profile__free(&rest);
	slicer__free(&s);
	target_process__put(target);
	profile__free(&p);
	free(ids);
	return 0;
nomem:
	fprintf(stderr, "slicer_cost: out of memory\n");
	return 1;
}
