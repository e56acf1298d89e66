/* A small protocol-buffers wire encoder: varints, fixed keys and length-delimited fields into a growable buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "protobuf_encoder.h"

void pb_buf__init(struct pb_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void pb_buf__free(struct pb_buf *b)
{
	free(b->data);
	pb_buf__init(b);
}

void pb_buf__reset(struct pb_buf *b)
{
	b->len = 0;
	b->err = 0;
}

static int reserve(struct pb_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	uint8_t *n;

	if (b->err)
		return b->err;
	if (more > SIZE_MAX - b->len)
		return b->err = -ENOMEM;
	if (b->len + more <= b->cap)
		return 0;
	while (cap < b->len + more)
		cap = cap > SIZE_MAX / 2 ? b->len + more : cap * 2;
	n = realloc(b->data, cap);
	if (!n)
		return b->err = -ENOMEM;
	b->data = n;
	b->cap = cap;
	return 0;
}

size_t pb__varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

int pb_buf__put_raw(struct pb_buf *b, const void *data, size_t len)
{
	if (reserve(b, len))
		return b->err;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int pb_buf__put_varint(struct pb_buf *b, uint64_t v)
{
	/* Seven bits at a time, low group first, the top bit set on every byte but the last. */
	if (reserve(b, 10))
		return b->err;
	while (v >= 0x80) {
		b->data[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (uint8_t)v;
	return 0;
}

int pb_buf__put_key(struct pb_buf *b, uint32_t field, enum pb_wire_type type)
{
	return pb_buf__put_varint(b, ((uint64_t)field << 3) | (uint64_t)type);
}

int pb_buf__put_uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
	pb_buf__put_key(b, field, PB_WIRE_VARINT);
	return pb_buf__put_varint(b, v);
}

int pb_buf__put_int(struct pb_buf *b, uint32_t field, int64_t v)
{
	return pb_buf__put_uint(b, field, (uint64_t)v);
}

int pb_buf__put_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len)
{
	pb_buf__put_key(b, field, PB_WIRE_LEN);
	pb_buf__put_varint(b, len);
	return pb_buf__put_raw(b, data, len);
}

int pb_buf__put_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg)
{
	if (msg->err && !b->err)
		b->err = msg->err;
	return pb_buf__put_bytes(b, field, msg->data, msg->len);
}

int pb_buf__put_packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t len = 0;

	if (!n)
		return b->err;
	for (size_t i = 0; i < n; i++)
		len += pb__varint_size(v[i]);
	pb_buf__put_key(b, field, PB_WIRE_LEN);
	pb_buf__put_varint(b, len);
	for (size_t i = 0; i < n; i++)
		pb_buf__put_varint(b, v[i]);
	return b->err;
}
