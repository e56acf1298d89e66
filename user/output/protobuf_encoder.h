/* A small protocol-buffers wire encoder: varints, fixed keys and length-delimited fields into a growable buffer. */
#ifndef PROTOBUF_ENCODER_H
#define PROTOBUF_ENCODER_H

#include <stddef.h>
#include <stdint.h>

/* Wire types (protobuf encoding spec): only the two our messages use. */
enum pb_wire_type {
	PB_WIRE_VARINT = 0,
	PB_WIRE_LEN = 2,
};

/* Bytes written so far. The first failed allocation is kept in err and makes later writes no-ops, so a
 * message can be built with unchecked calls and checked once at the end. */
struct pb_buf {
	uint8_t *data;
	size_t len, cap;
	int err; /* 0 or -ENOMEM */
};

void pb_buf__init(struct pb_buf *b);
void pb_buf__free(struct pb_buf *b);
/* Empties the buffer (keeps its memory) and clears err: for scratch buffers holding one sub-message at a time. */
void pb_buf__reset(struct pb_buf *b);

/* Bytes a varint encoding of v takes (1-10). */
size_t pb__varint_size(uint64_t v);

/* Each returns b->err: 0 or -ENOMEM. */
int pb_buf__put_raw(struct pb_buf *b, const void *data, size_t len);
int pb_buf__put_varint(struct pb_buf *b, uint64_t v);
int pb_buf__put_key(struct pb_buf *b, uint32_t field, enum pb_wire_type type);
/* A uint64/int64 field (int64 negatives as their two's complement, 10 bytes, as protobuf does). Written even
 * when 0: proto3 readers treat an absent field as 0, so callers skip zeros when they want the shortest output. */
int pb_buf__put_uint(struct pb_buf *b, uint32_t field, uint64_t v);
int pb_buf__put_int(struct pb_buf *b, uint32_t field, int64_t v);
/* A length-delimited field: bytes (a string without its NUL), or an embedded message already encoded in msg. */
int pb_buf__put_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len);
int pb_buf__put_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg);
/* A packed repeated varint field; nothing is written for n == 0 (an empty list). */
int pb_buf__put_packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);

#endif
