/*
 * ASan's defaults for every fuzz harness, fuzzing or replaying: fill all of each allocation (not only its first
 * 4 KiB) with a non-zero byte, so that a parser reading past the data it was given into uninitialised heap runs on to
 * the redzone instead of stopping at a zero byte that happened to be there.
 */
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "max_malloc_fill_size=268435456";
}
