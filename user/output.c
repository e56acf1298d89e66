/* Where the profile goes: stdout, or a file written beside its final name and renamed into place when complete. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output.h"
#include "zstd_file.h"

#define ZSTD_LEVEL 3 /* zstd's default: fast, and folded text shrinks about 20x */

int output__open(struct output *o, const char *path, int compress)
{
	struct stat st;
	int fd;

	memset(o, 0, sizeof(*o));
	if (!path) {
		o->raw = stdout;
		goto compress;
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
	o->raw = o->file;
compress:
	o->file = compress ? zstd_file__open(o->raw, ZSTD_LEVEL) : o->raw;
	if (!o->file) {
		fprintf(stderr, "pyflame-bpf: cannot start zstd compression: %s\n", strerror(errno));
		output__abort(o);
		return -ENOMEM;
	}
	return 0;
}

int output__commit(struct output *o, int err)
{
	/* The zstd stream first: closing it writes the end of the frame into the file. */
	if (o->file != o->raw && fclose(o->file) && !err)
		err = errno ? -errno : -EIO;
	o->file = NULL;
	if (!err && fflush(o->raw))
		err = -errno;
	if (o->raw != stdout && fclose(o->raw) && !err)
		err = -errno;
	o->raw = NULL;
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
	if (o->file && o->file != o->raw)
		fclose(o->file);
	if (o->raw && o->raw != stdout)
		fclose(o->raw);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}
