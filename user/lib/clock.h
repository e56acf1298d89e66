/* The clocks a recording is timed by: CLOCK_MONOTONIC (the sampler's bpf_ktime_get_ns), this thread's CPU time, and
 * the wall clock for the outputs' timestamps. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline double clock__now_s(void)
{
	return (double)clock__now_ns() / 1e9;
}

/* Wall-clock time, ns since the epoch: when a profile was taken, for the outputs that carry it. */
static inline uint64_t clock__realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CPU time of this thread: what draining or writing costs, whatever else the machine runs. */
static inline double clock__cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
