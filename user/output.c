/* Where the profile goes: stdout, or a file written beside its final name and renamed into place when complete. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output.h"

int output__open(struct output *o, const char *path)
{
	struct stat st;
	int fd;

	memset(o, 0, sizeof(*o));
	if (!path) {
		o->file = stdout;
		return 0;
	}
	/* A symlink is followed: the file it names is replaced, never the link itself. */
	o->path = realpath(path, NULL);
	if (!o->path)
		o->path = strdup(path); /* does not exist yet */
	if (!o->path)
		return -ENOMEM;
	/* Devices, pipes and FIFOs are written in place; regular files atomically, so a killed run leaves no half file. */
	if (!stat(o->path, &st) && !S_ISREG(st.st_mode)) {
		o->file = fopen(o->path, "we");
	} else if (asprintf(&o->tmp, "%s.tmp.%d", o->path, (int)getpid()) > 0 &&
		   (fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) >= 0) {
		o->file = fdopen(fd, "w");
	}
	if (!o->file) {
		fprintf(stderr, "pyflame-bpf: cannot write '%s': %s\n", path, strerror(errno));
		if (o->tmp)
			unlink(o->tmp);
		free(o->tmp);
		free(o->path);
		memset(o, 0, sizeof(*o));
		return -EINVAL;
	}
	return 0;
}

int output__commit(struct output *o, int err)
{
	if (!err && fflush(o->file))
		err = -errno;
	if (o->file != stdout && fclose(o->file) && !err)
		err = -errno;
	o->file = NULL;
	if (!err && o->tmp && rename(o->tmp, o->path))
		err = -errno;
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot write '%s': %s\n", o->path ? o->path : "stdout", strerror(-err));
		if (o->tmp)
			unlink(o->tmp);
	}
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	return err;
}

void output__abort(struct output *o)
{
	if (o->file && o->file != stdout)
		fclose(o->file);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}
