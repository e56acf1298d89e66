/* The static build's stand-in for libdw's debuginfod client, linked into pyflame-bpf-static only. */
/*
 * elfutils' libdwfl/debuginfod-client.c dlopen()s libdebuginfod.so at the first lookup that finds no local debug
 * file, and a static binary cannot load a shared library built against another libc (glibc's static dlopen needs
 * the very glibc it was linked with, at run time). Defining its four entry points here keeps that archive member,
 * and dlopen with it, out of the link; each answers as the real one does when libdebuginfod is absent: no client,
 * no file (-1). Signatures as in elfutils 0.188 (libdwfl.h, libdwflP.h). The dynamic build keeps the real client.
 */
#include <stddef.h>
#include <elfutils/libdwfl.h>

int __libdwfl_debuginfod_find_executable(Dwfl *dwfl, const unsigned char *build_id, size_t len); // NOLINT
int __libdwfl_debuginfod_find_debuginfo(Dwfl *dwfl, const unsigned char *build_id, size_t len);	 // NOLINT
void __libdwfl_debuginfod_end(debuginfod_client *client);					 // NOLINT

debuginfod_client *dwfl_get_debuginfod_client(Dwfl *dwfl)
{
	(void)dwfl;
	return NULL;
}

int __libdwfl_debuginfod_find_executable(Dwfl *dwfl, const unsigned char *build_id, size_t len) // NOLINT
{
	(void)dwfl, (void)build_id, (void)len;
	return -1;
}

int __libdwfl_debuginfod_find_debuginfo(Dwfl *dwfl, const unsigned char *build_id, size_t len) // NOLINT
{
	(void)dwfl, (void)build_id, (void)len;
	return -1;
}

void __libdwfl_debuginfod_end(debuginfod_client *client) // NOLINT
{
	(void)client;
}
