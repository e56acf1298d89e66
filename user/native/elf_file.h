/* One ELF file opened through libdwfl: symbols (.symtab, .dynsym, separate debug files), segments, DT_NEEDED. */
#ifndef ELF_FILE_H
#define ELF_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <elfutils/libdwfl.h>

struct elf_file {
	char *name; /* display name: the file's base name */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Elf *elf;
	GElf_Addr bias; /* where libdwfl placed the module: dwfl address = file vaddr + bias */
	unsigned char build_id[64];
	int build_id_len;
};

/* Opens path (e.g. /proc/PID/map_files/...); name is what frames without a symbol show. */
int elf_file__open(struct elf_file **out, const char *path, const char *name);
void elf_file__close(struct elf_file *f);
/* File offset -> link-time virtual address, through the PT_LOAD segment holding that offset. */
int elf_file__vaddr(const struct elf_file *f, uint64_t file_offset, uint64_t *vaddr);
/* Name of the function containing vaddr, or NULL; the string lives as long as the file. */
const char *elf_file__symbolize(const struct elf_file *f, uint64_t vaddr);
/* Link-time address of a named symbol (any table, debug files included). */
int elf_file__find_symbol(const struct elf_file *f, const char *name, uint64_t *vaddr, uint64_t *size);
/* Whether the file names a library starting with prefix among its DT_NEEDED entries. */
int elf_file__needs(const struct elf_file *f, const char *prefix);

#endif
