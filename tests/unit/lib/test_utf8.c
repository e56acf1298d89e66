/* utf8: decoding, encoding, validating and sanitizing names read from profiled processes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "utf8.h"

Test(utf8, next_reads_shortest_forms_only)
{
	uint32_t cp;

	cr_expect_eq(utf8__next((const unsigned char *)"\xc3\xb6", &cp), 2);
	cr_expect_eq(cp, 0xf6);
	cr_expect_eq(utf8__next((const unsigned char *)"\xc0\xaf", &cp), 1); /* overlong '/' */
	cr_expect_eq(cp, 0xfffd);
	cr_expect_eq(utf8__next((const unsigned char *)"\xed\xb3\xbf", &cp), 1); /* a surrogate */
	cr_expect_eq(cp, 0xfffd);
	cr_expect_eq(utf8__next((const unsigned char *)"\xe2\x80", &cp), 1); /* cut by the NUL */
	cr_expect_eq(cp, 0xfffd);
}

Test(utf8, valid_checks_exactly_len_bytes)
{
	cr_expect(utf8__valid("", 0));
	cr_expect(utf8__valid("gr\xc3\xb6\xc3\x9f"
			      "e",
			      7));
	cr_expect_not(utf8__valid("bad\xff", 4));
	/* A sequence that runs past len is not valid inside the slice, whatever follows it. */
	cr_expect_not(utf8__valid("a\xc3\xb6", 2));
	cr_expect_not(utf8__valid("a\0b", 3));
}

Test(utf8, sanitize_replaces_each_invalid_byte_and_keeps_valid_text)
{
	size_t len;
	char *s = utf8__sanitize("a\xff\xfe"
				 "b\xc3\xb6\xed\xb3\xbf",
				 9, &len);

	cr_assert_not_null(s);
	cr_expect_str_eq(s, "a\xef\xbf\xbd\xef\xbf\xbd"
			    "b\xc3\xb6\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	cr_expect_eq(len, strlen(s));
	free(s);
	/* A cut at len never leaves half a character. */
	s = utf8__sanitize("x\xc3\xb6", 2, &len);
	cr_expect_str_eq(s, "x\xef\xbf\xbd");
	free(s);
}
