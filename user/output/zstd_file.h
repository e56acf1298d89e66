/* A FILE* whose writes are zstd-compressed into another FILE*, so every writer can produce .zst output unchanged. */
#ifndef ZSTD_FILE_H
#define ZSTD_FILE_H

#include <stdio.h>

/* Wraps sink (not closed by us); fclose() on the result ends the zstd frame. NULL with errno on failure. */
FILE *zstd_file__open(FILE *sink, int level);

#endif
