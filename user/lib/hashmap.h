/* A small open-addressing hash map from byte-string keys to pointers, used for every interning table. */
#ifndef HASHMAP_H
#define HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct hashmap_entry {
	uint64_t hash; /* 0 = empty slot */
	void *key;     /* owned copy of the key bytes */
	size_t key_len;
	void *value;
};

struct hashmap {
	struct hashmap_entry *slots;
	size_t cap; /* power of two */
	size_t len;
};

uint64_t hash_bytes(const void *data, size_t len);
void hashmap__init(struct hashmap *m);
/* Frees the table and key copies; values are the caller's. */
void hashmap__free(struct hashmap *m);
void *hashmap__get(const struct hashmap *m, const void *key, size_t key_len);
/* Inserts or replaces; returns 0 or -ENOMEM. */
int hashmap__set(struct hashmap *m, const void *key, size_t key_len, void *value);
/* Removes key; returns its value, or NULL when absent. Invalidates iterators. */
void *hashmap__delete(struct hashmap *m, const void *key, size_t key_len);
/* Iteration: for (i = 0; hashmap__next(m, &i, &e);) */
int hashmap__next(const struct hashmap *m, size_t *iter, struct hashmap_entry **entry);

#endif
