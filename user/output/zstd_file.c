/* A FILE* whose writes are zstd-compressed into another FILE*, so every writer can produce .zst output unchanged. */
#include <errno.h>
#include <stdlib.h>
#include <zstd.h>
#include "zstd_file.h"

struct zstd_file {
	ZSTD_CStream *stream;
	FILE *sink;
	void *out;
	size_t out_size;
	int failed;
};

/* Compresses what ZSTD holds with the given directive into the sink; 0 or -1 with errno. */
static int pump(struct zstd_file *z, ZSTD_inBuffer *in, ZSTD_EndDirective mode)
{
	size_t left;

	do {
		ZSTD_outBuffer out = { z->out, z->out_size, 0 };

		left = ZSTD_compressStream2(z->stream, &out, in, mode);
		if (ZSTD_isError(left)) {
			errno = EIO;
			return -1;
		}
		if (out.pos && fwrite(z->out, 1, out.pos, z->sink) != out.pos)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in->pos < in->size);
	return 0;
}

static ssize_t zstd_write(void *cookie, const char *buf, size_t size)
{
	struct zstd_file *z = cookie;
	ZSTD_inBuffer in = { buf, size, 0 };

	if (z->failed || pump(z, &in, ZSTD_e_continue)) {
		z->failed = 1;
		return -1;
	}
	return (ssize_t)size;
}

static int zstd_close(void *cookie)
{
	struct zstd_file *z = cookie;
	ZSTD_inBuffer in = { NULL, 0, 0 };
	int rc = z->failed || pump(z, &in, ZSTD_e_end) ? -1 : 0;

	ZSTD_freeCStream(z->stream);
	free(z->out);
	free(z);
	return rc;
}

FILE *zstd_file__open(FILE *sink, int level)
{
	cookie_io_functions_t io = { .write = zstd_write, .close = zstd_close };
	struct zstd_file *z = calloc(1, sizeof(*z));
	FILE *f;

	if (!z)
		return NULL;
	z->sink = sink;
	z->out_size = ZSTD_CStreamOutSize();
	z->out = malloc(z->out_size);
	z->stream = ZSTD_createCStream();
	if (!z->out || !z->stream || ZSTD_isError(ZSTD_CCtx_setParameter(z->stream, ZSTD_c_compressionLevel, level)))
		goto fail;
	f = fopencookie(z, "w", io);
	if (f)
		return f;
fail:
	ZSTD_freeCStream(z->stream);
	free(z->out);
	free(z);
	errno = ENOMEM;
	return NULL;
}
