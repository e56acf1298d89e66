/* A syscall-heavy program: copies /dev/zero to /dev/null in main -> pump, so most samples are in the kernel. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static char buf[1 << 16];

__attribute__((noinline)) void pump(int in, int out)
{
	if (read(in, buf, sizeof(buf)) > 0 && write(out, buf, sizeof(buf)) < 0)
		perror("write");
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
