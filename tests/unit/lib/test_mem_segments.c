/* Tests for mem_segments: a sampler's record of memory pieces parsed, and reads served only from inside one. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "mem_segments.h"
#include "pyflame.h"

struct buf {
	_Alignas(8) uint8_t bytes[256];
	size_t len;
};

static void add(struct buf *b, uint64_t addr, const char *text)
{
	struct pf_mem_segment seg = { addr, (uint32_t)strlen(text), 0 };

	memcpy(b->bytes + b->len, &seg, sizeof(seg));
	memcpy(b->bytes + b->len + sizeof(seg), text, seg.len);
	b->len += sizeof(seg) + ((seg.len + 7) & ~(size_t)7);
}

Test(mem_segments, parse_finds_each_segment_and_reads_come_from_inside_one)
{
	struct buf b = { .len = 0 };
	struct mem_segments m;
	char out[8] = "";

	add(&b, 0x1000, "header!!x");
	add(&b, 0x2000, "name");
	cr_assert_eq(mem_segments__parse(&m, b.bytes, b.len), 0);
	cr_assert_eq(m.n, 2);
	cr_expect_eq(mem_segments__read(&m, 0x1002, out, 4), 0);
	cr_expect_arr_eq(out, "ader", 4);
	cr_expect_eq(mem_segments__read(&m, 0x2000, out, 4), 0);
	cr_expect_arr_eq(out, "name", 4);
	/* Past the end of a segment (its padding is not memory), or in no segment. */
	cr_expect_eq(mem_segments__read(&m, 0x2002, out, 4), -EFAULT);
	cr_expect_eq(mem_segments__read(&m, 0x3000, out, 1), -EFAULT);
	cr_expect_eq(mem_segments__read(&m, 0, out, 0), -EFAULT);
}

Test(mem_segments, parse_refuses_a_segment_longer_than_the_record)
{
	struct buf b = { .len = 0 };
	struct mem_segments m;

	add(&b, 0x1000, "abcdefgh");
	cr_expect_eq(mem_segments__parse(&m, b.bytes, b.len - 1), -EINVAL);
	cr_expect_eq(mem_segments__parse(&m, b.bytes, 10), -EINVAL); /* a header cut short */
	cr_expect_eq(mem_segments__parse(&m, b.bytes, 0), 0);
	cr_expect_eq(m.n, 0);
}

Test(mem_segments, parse_stops_at_the_most_segments_it_holds)
{
	struct mem_segments m;
	uint8_t big[(MEM_SEGMENTS_MAX + 1) * sizeof(struct pf_mem_segment)] = { 0 };

	for (size_t i = 0; i <= MEM_SEGMENTS_MAX; i++) {
		struct pf_mem_segment seg = { 0x1000 + i, 0, 0 };

		memcpy(big + i * sizeof(seg), &seg, sizeof(seg));
	}
	cr_expect_eq(mem_segments__parse(&m, big, sizeof(big)), -EINVAL);
}
