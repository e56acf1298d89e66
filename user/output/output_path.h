/* Where -o's path leads, walked one component at a time so that no symlink is followed that the policy refuses. */
#ifndef OUTPUT_PATH_H
#define OUTPUT_PATH_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The policy, fs.protected_symlinks' rule applied by us whatever the sysctl says (writing to a temporary file and
 * renaming it over the final name would otherwise bypass the kernel's check): a symlink in a world-writable sticky
 * directory (/tmp) is followed only when it is owned by the caller (euid) or by that directory's owner; so is a FIFO
 * or device found there written to (fs.protected_fifos' rule). Every symlink on the path is checked, intermediate
 * ones too. A symlink inside /proc (/dev/stdout -> /proc/self/fd/1) is left to the kernel: written in place.
 */
struct output_path {
	int dirfd;     /* the directory the final name is in (O_PATH) */
	char *name;    /* the final name in it, never a symlink we have not resolved */
	int exists;    /* the final name exists */
	int in_place;  /* write through openat(dirfd, name) without a temporary file: not a regular file, or /proc */
	int proc_link; /* name is a /proc link the kernel must follow; every other name is opened O_NOFOLLOW */
};

/* Resolves path; 0, or -errno with why holding one sentence (which link, whose, where) for the caller to print. */
int output_path__resolve(struct output_path *op, const char *path, char *why, size_t why_size);
void output_path__free(struct output_path *op);

#endif
