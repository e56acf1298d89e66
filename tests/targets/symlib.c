/* A shared library whose symbols survive only in .dynsym (the Makefile strips it): for symbol-lookup tests. */
__attribute__((noinline)) int symlib_work(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) int symlib_other(int x)
{
	return symlib_work(x) ^ 7;
}
