/* A small open-addressing hash map from byte-string keys to pointers, used for every interning table. */
/* pf_: libbpf.a exports hashmap__init/hashmap__free of its own (only its .so hides them), and the static build
 * links both. */
#ifndef HASHMAP_H
#define HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct pf_hashmap_entry {
	uint64_t hash; /* 0 = empty slot */
	void *key;     /* owned copy of the key bytes */
	size_t key_len;
	void *value;
};

struct pf_hashmap {
	struct pf_hashmap_entry *slots;
	size_t cap; /* power of two */
	size_t len;
};

uint64_t hash_bytes(const void *data, size_t len);
void pf_hashmap__init(struct pf_hashmap *m);
/* Frees the table and key copies; values are the caller's. */
void pf_hashmap__free(struct pf_hashmap *m);
void *pf_hashmap__get(const struct pf_hashmap *m, const void *key, size_t key_len);
/* Inserts or replaces; returns 0 or -ENOMEM. */
int pf_hashmap__set(struct pf_hashmap *m, const void *key, size_t key_len, void *value);
/* Removes key; returns its value, or NULL when absent. Invalidates iterators. */
void *pf_hashmap__delete(struct pf_hashmap *m, const void *key, size_t key_len);
/* Iteration: for (i = 0; pf_hashmap__next(m, &i, &e);) */
int pf_hashmap__next(const struct pf_hashmap *m, size_t *iter, struct pf_hashmap_entry **entry);

#endif
