/* One ELF file opened through libdwfl: symbols (.symtab, .dynsym, separate debug files), segments, DT_NEEDED. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include "elf_file.h"

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

int elf_file__open(struct elf_file **out, const char *path, const char *name)
{
	struct elf_file *f = calloc(1, sizeof(*f));
	const unsigned char *id;
	GElf_Addr id_vaddr;
	int n, err;

	if (!f)
		return -ENOMEM;
	f->name = strdup(name);
	f->dwfl = dwfl_begin(&offline_callbacks);
	if (!f->name || !f->dwfl) {
		err = -ENOMEM;
		goto fail;
	}
	f->mod = dwfl_report_offline(f->dwfl, name, path, -1);
	if (!f->mod) {
		err = dwfl_errno() ? -ENOEXEC : -ENOENT;
		goto fail;
	}
	dwfl_report_end(f->dwfl, NULL, NULL);
	f->elf = dwfl_module_getelf(f->mod, &f->bias);
	if (!f->elf) {
		err = -ENOEXEC;
		goto fail;
	}
	n = dwfl_module_build_id(f->mod, &id, &id_vaddr);
	if (n > 0 && n <= (int)sizeof(f->build_id)) {
		memcpy(f->build_id, id, n);
		f->build_id_len = n;
	}
	*out = f;
	return 0;
fail:
	elf_file__close(f);
	return err;
}

void elf_file__close(struct elf_file *f)
{
	if (!f)
		return;
	if (f->dwfl)
		dwfl_end(f->dwfl);
	free(f->name);
	free(f);
}

int elf_file__vaddr(const struct elf_file *f, uint64_t file_offset, uint64_t *vaddr)
{
	size_t nph;

	if (elf_getphdrnum(f->elf, &nph))
		return -ENOEXEC;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (file_offset >= ph.p_offset && file_offset < ph.p_offset + ph.p_memsz) {
			*vaddr = file_offset - ph.p_offset + ph.p_vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

const char *elf_file__symbolize(const struct elf_file *f, uint64_t vaddr)
{
	GElf_Off off;
	GElf_Sym sym;

	return dwfl_module_addrinfo(f->mod, vaddr + f->bias, &off, &sym, NULL, NULL, NULL);
}

int elf_file__find_symbol(const struct elf_file *f, const char *name, uint64_t *vaddr, uint64_t *size)
{
	int n = dwfl_module_getsymtab(f->mod);

	for (int i = 1; i < n; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *s = dwfl_module_getsym_info(f->mod, i, &sym, &addr, NULL, NULL, NULL);

		if (s && sym.st_shndx != SHN_UNDEF && !strcmp(s, name)) {
			*vaddr = addr - f->bias;
			if (size)
				*size = sym.st_size;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__needs(const struct elf_file *f, const char *prefix)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(f->elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;
			GElf_Dyn dyn;

			if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
				continue;
			name = elf_strptr(f->elf, sh.sh_link, dyn.d_un.d_val);
			if (name && !strncmp(name, prefix, strlen(prefix)))
				return 1;
		}
	}
	return 0;
}
