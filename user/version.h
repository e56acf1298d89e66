/* What this build is: its version, commit, libraries, and the CPython versions it reads (--version). */
#ifndef VERSION_H
#define VERSION_H

#include <stdio.h>

/* Three lines: version, commit and linkage; the libbpf and libdw it was built with (and runs with, when those
 * differ); the supported CPython versions. */
void version__print(FILE *f);

#endif
