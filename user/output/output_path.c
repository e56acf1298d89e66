/* Where -o's path leads, walked one component at a time so that no symlink is followed that the policy refuses. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "output_path.h"

#define MAX_LINKS 40 /* the kernel's own limit on symlinks in one lookup */

/* Whether an object owned by uid, found in the directory dir, may be trusted: fs.protected_symlinks' rule. */
static int trusted(const struct stat *dir, uid_t uid)
{
	int sticky_world_writable = (dir->st_mode & S_ISVTX) && (dir->st_mode & S_IWOTH);

	return !sticky_world_writable || uid == geteuid() || uid == dir->st_uid;
}

static int in_procfs(int dirfd)
{
	struct statfs fs;

	return !fstatfs(dirfd, &fs) && fs.f_type == PROC_SUPER_MAGIC;
}

/* The first component of *rest (skipping `/` and `.`), cut out in place; NULL when none is left. */
static char *next_component(char **rest)
{
	char *s = *rest, *end;

	for (;;) {
		while (*s == '/')
			s++;
		if (!*s) {
			*rest = s;
			return NULL;
		}
		end = strchr(s, '/');
		if (end)
			*end++ = '\0';
		else
			end = s + strlen(s);
		*rest = end;
		if (strcmp(s, "."))
			return s;
		s = end;
	}
}

static int has_component(const char *rest)
{
	for (; *rest; rest++)
		if (*rest != '/' && !(rest[0] == '.' && (rest[1] == '/' || !rest[1])))
			return 1;
	return 0;
}

/* Replaces the descriptor *fd by fd (closing the old one); fd < 0: -errno. */
static int move_to(int *dirfd, int fd)
{
	if (fd < 0)
		return -errno;
	close(*dirfd);
	*dirfd = fd;
	return 0;
}

/* Splices the symlink comp's target in front of rest (a new buffer, into *buf). */
static int follow(int dirfd, const char *comp, const char *rest, char **buf, char **restp, int *dirfdp)
{
	char target[4096], *joined;
	ssize_t n = readlinkat(dirfd, comp, target, sizeof(target) - 1);
	int err;

	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target) - 1)
		return -ENAMETOOLONG;
	target[n] = '\0';
	if (asprintf(&joined, "%s/%s", target, rest) < 0)
		return -ENOMEM;
	if (target[0] == '/' && (err = move_to(dirfdp, open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)))) {
		free(joined);
		return err;
	}
	free(*buf);
	*buf = joined;
	*restp = joined;
	return 0;
}

int output_path__resolve(struct output_path *op, const char *path, char *why, size_t why_size)
{
	char *buf = strdup(path), *rest = buf, *comp;
	struct stat st, dir;
	int links = 0, err;

	memset(op, 0, sizeof(*op));
	why[0] = '\0';
	op->dirfd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!buf || op->dirfd < 0) {
		err = buf ? -errno : -ENOMEM;
		goto cleanup;
	}
	while ((comp = next_component(&rest))) {
		int last = !has_component(rest);

		if (!strcmp(comp, "..")) {
			if ((err = move_to(&op->dirfd, openat(op->dirfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC))))
				goto cleanup;
			if (last)
				break;
			continue;
		}
		if (fstatat(op->dirfd, comp, &st, AT_SYMLINK_NOFOLLOW)) {
			err = -errno;
			if (err == -ENOENT && last) { /* a new file */
				op->name = strdup(comp);
				err = op->name ? 0 : -ENOMEM;
			}
			goto cleanup;
		}
		if (fstat(op->dirfd, &dir)) {
			err = -errno;
			goto cleanup;
		}
		if ((S_ISLNK(st.st_mode) || (last && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) &&
		    !trusted(&dir, st.st_uid)) {
			snprintf(why, why_size,
				 "refusing to %s '%s': it is in a world-writable sticky directory and owned "
				 "by uid %u, neither you (uid %u) nor the directory's owner (uid %u)",
				 S_ISLNK(st.st_mode) ? "follow symlink" : "write to special file", comp,
				 (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)dir.st_uid);
			err = -EPERM;
			goto cleanup;
		}
		if (S_ISLNK(st.st_mode) && in_procfs(op->dirfd) && last) {
			/* /proc/PID/fd/N names an open file, pipe or socket, not a path: the kernel follows it. */
			op->in_place = op->exists = op->proc_link = 1;
			op->name = strdup(comp);
			err = op->name ? 0 : -ENOMEM;
			goto cleanup;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++links > MAX_LINKS) {
				err = -ELOOP;
				goto cleanup;
			}
			if ((err = follow(op->dirfd, comp, rest, &buf, &rest, &op->dirfd)))
				goto cleanup;
			continue;
		}
		if (last) {
			if (S_ISDIR(st.st_mode)) {
				err = -EISDIR;
				goto cleanup;
			}
			op->exists = 1;
			op->in_place = !S_ISREG(st.st_mode);
			op->name = strdup(comp);
			err = op->name ? 0 : -ENOMEM;
			goto cleanup;
		}
		if ((err = move_to(&op->dirfd, openat(op->dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))))
			goto cleanup;
	}
	err = -EISDIR; /* the path named a directory ("dir/", "..") */
cleanup:
	free(buf);
	if (err)
		output_path__free(op);
	return err;
}

void output_path__free(struct output_path *op)
{
	if (op->dirfd >= 0)
		close(op->dirfd);
	free(op->name);
	memset(op, 0, sizeof(*op));
	op->dirfd = -1;
}
