/* A small open-addressing hash map from byte-string keys to pointers, used for every interning table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"

/* FNV-1a, finished with a 64-bit mixer so that the low bits used for probing are well spread. */
uint64_t hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

void pf_hashmap__init(struct pf_hashmap *m)
{
	memset(m, 0, sizeof(*m));
}

void pf_hashmap__free(struct pf_hashmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	pf_hashmap__init(m);
}

static struct pf_hashmap_entry *find_slot(const struct pf_hashmap *m, uint64_t h, const void *key, size_t key_len)
{
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct pf_hashmap_entry *e = &m->slots[i];

		if (!e->hash)
			return e;
		if (e->hash == h && e->key_len == key_len && !memcmp(e->key, key, key_len))
			return e;
	}
}

static int grow(struct pf_hashmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct pf_hashmap_entry *old = m->slots;
	size_t old_cap = m->cap;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -ENOMEM;
	}
	m->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].hash)
			*find_slot(m, old[i].hash, old[i].key, old[i].key_len) = old[i];
	free(old);
	return 0;
}

void *pf_hashmap__get(const struct pf_hashmap *m, const void *key, size_t key_len)
{
	struct pf_hashmap_entry *e;

	if (!m->cap)
		return NULL;
	e = find_slot(m, hash_bytes(key, key_len), key, key_len);
	return e->hash ? e->value : NULL;
}

int pf_hashmap__set(struct pf_hashmap *m, const void *key, size_t key_len, void *value)
{
	uint64_t h = hash_bytes(key, key_len);
	struct pf_hashmap_entry *e;

	if ((m->len + 1) * 4 > m->cap * 3 && grow(m))
		return -ENOMEM;
	e = find_slot(m, h, key, key_len);
	if (!e->hash) {
		e->key = malloc(key_len ? key_len : 1);
		if (!e->key)
			return -ENOMEM;
		memcpy(e->key, key, key_len);
		e->key_len = key_len;
		e->hash = h;
		m->len++;
	}
	e->value = value;
	return 0;
}

/* Linear probing: after removing a slot, later entries of the same probe run move back so that every entry stays
 * reachable from its home slot without tombstones. */
void *pf_hashmap__delete(struct pf_hashmap *m, const void *key, size_t key_len)
{
	struct pf_hashmap_entry *e;
	size_t mask = m->cap - 1, hole, i;
	void *value;

	if (!m->cap)
		return NULL;
	e = find_slot(m, hash_bytes(key, key_len), key, key_len);
	if (!e->hash)
		return NULL;
	value = e->value;
	free(e->key);
	hole = (size_t)(e - m->slots);
	for (i = (hole + 1) & mask; m->slots[i].hash; i = (i + 1) & mask) {
		size_t home = m->slots[i].hash & mask;

		/* The entry at i may fill the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
	m->len--;
	return value;
}

int pf_hashmap__next(const struct pf_hashmap *m, size_t *iter, struct pf_hashmap_entry **entry)
{
	while (*iter < m->cap) {
		struct pf_hashmap_entry *e = &m->slots[(*iter)++];

		if (e->hash) {
			*entry = e;
			return 1;
		}
	}
	return 0;
}
