/* Prints the runtime address of known functions, then waits: the symbol-lookup tests resolve them through
 * /proc/PID/maps. */
#include <stdio.h>
#include <unistd.h>

#ifdef USE_SYMLIB
int symlib_work(int x);
int symlib_other(int x);
#endif

__attribute__((noinline)) int symtest_alpha(int x)
{
	return x + 1;
}

__attribute__((noinline)) static int symtest_local_beta(int x)
{
	return x * 2;
}

int main(void)
{
	printf("symtest_alpha %p\n", (void *)symtest_alpha);
	printf("symtest_local_beta %p\n", (void *)symtest_local_beta);
#ifdef USE_SYMLIB
	printf("symlib_work %p\n", (void *)symlib_work);
	printf("symlib_other %p\n", (void *)symlib_other);
#endif
	printf("ready\n");
	fflush(stdout);
	/* Read until the test closes stdin, so the process is alive while it is inspected. */
	while (getchar() != EOF)
		;
	return symtest_alpha(0) + symtest_local_beta(0) == 42;
}
