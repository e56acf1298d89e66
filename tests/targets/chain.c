/* A CPU-bound program with a known call chain main -> level_one -> level_two -> spin; runs for argv[1] seconds (default
 * forever). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void spin(void)
{
	for (unsigned long i = 0; i < 1000000; i++)
		sink += i * i;
}

__attribute__((noinline)) void level_two(void)
{
	spin();
}

__attribute__((noinline)) void level_one(void)
{
	level_two();
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 0;
	time_t end = time(NULL) + (time_t)seconds;

	printf("ready\n");
	fflush(stdout);
	while (!seconds || time(NULL) < end)
		level_one();
	return 0;
}
