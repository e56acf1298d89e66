/* Where the profile goes: stdout, or a file written beside its final name and renamed into place when complete. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output.h"
#include "output_path.h"
#include "zstd_file.h"

#define ZSTD_LEVEL 3 /* zstd's default: fast, and folded text shrinks about 20x */

/* Frees what open allocated, once the files are closed. */
static void output__release(struct output *o)
{
	if (o->path)
		output_path__free(&o->target);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

int output__open(struct output *o, const char *path, int compress)
{
	char why[256];
	int fd = -1, err;

	memset(o, 0, sizeof(*o));
	if (!path) {
		o->raw = stdout;
		goto compress;
	}
	o->path = strdup(path);
	if (!o->path)
		return -ENOMEM;
	/* Symlinks are followed under output_path's policy: the file a trusted link names is replaced, never the link.
	 */
	err = output_path__resolve(&o->target, path, why, sizeof(why));
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot write '%s': %s\n", path, why[0] ? why : strerror(-err));
		output__release(o);
		return -EINVAL;
	}
	/* Devices, pipes and FIFOs are written in place; regular files atomically, so a killed run leaves no half file.
	 */
	if (o->target.in_place) {
		fd = openat(o->target.dirfd, o->target.name,
			    O_WRONLY | O_TRUNC | O_CLOEXEC | (o->target.proc_link ? 0 : O_NOFOLLOW));
	} else if (asprintf(&o->tmp, "%s.tmp.%d", o->target.name, (int)getpid()) > 0) {
		fd = openat(o->target.dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	}
	if (fd >= 0)
		o->file = fdopen(fd, "w");
	if (!o->file) {
		err = errno ? -errno : -ENOMEM;
		fprintf(stderr, "pyflame-bpf: cannot write '%s': %s\n", path, strerror(-err));
		if (fd >= 0) {
			close(fd);
			if (o->tmp)
				unlinkat(o->target.dirfd, o->tmp, 0);
		}
		output__release(o);
		return err;
	}
	o->raw = o->file;
compress:
	o->file = compress ? zstd_file__open(o->raw, ZSTD_LEVEL) : o->raw;
	if (!o->file) {
		fprintf(stderr, "pyflame-bpf: cannot start zstd compression (out of memory)\n");
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
	/* renameat() replaces whatever is at the name now, itself: a symlink planted since open is not followed. */
	if (!err && o->tmp && renameat(o->target.dirfd, o->tmp, o->target.dirfd, o->target.name))
		err = -errno;
	if (err) {
		fprintf(stderr, "pyflame-bpf: cannot write '%s': %s\n", o->path ? o->path : "stdout", strerror(-err));
		if (o->tmp)
			unlinkat(o->target.dirfd, o->tmp, 0);
	}
	output__release(o);
	return err;
}

void output__abort(struct output *o)
{
	if (o->file && o->file != o->raw)
		fclose(o->file);
	if (o->raw && o->raw != stdout)
		fclose(o->raw);
	if (o->tmp)
		unlinkat(o->target.dirfd, o->tmp, 0);
	output__release(o);
}
