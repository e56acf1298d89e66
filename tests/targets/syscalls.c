/* A syscall-heavy program: copies /dev/zero to /dev/null in main -> pump, so most samples are in the kernel. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static char buf[1 << 16];

/* Raw syscalls made here, not through libc: libc's wrappers have no frame pointer and would hide pump. */
static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) void pump(int in, int out)
{
	if (raw_syscall3(SYS_read, in, (long)buf, sizeof(buf)) > 0)
		raw_syscall3(SYS_write, out, (long)buf, sizeof(buf));
}

int main(void)
{
	int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);

	if (in < 0 || out < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pump(in, out);
}
