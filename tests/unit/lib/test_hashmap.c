/* Tests for hashmap: set, get, replace, growth, keys that share a prefix, iteration. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

static struct pf_hashmap map;

static void setup(void)
{
	pf_hashmap__init(&map);
}

static void teardown(void)
{
	pf_hashmap__free(&map);
}

TestSuite(hashmap, .init = setup, .fini = teardown);

static void *val(uintptr_t v)
{
	return (void *)v;
}

static void set_str(const char *key, uintptr_t v)
{
	cr_assert_eq(pf_hashmap__set(&map, key, strlen(key), val(v)), 0);
}

static void *get_str(const char *key)
{
	return pf_hashmap__get(&map, key, strlen(key));
}

Test(hashmap, get_from_an_empty_map_is_null)
{
	cr_expect_null(get_str("x"));
	cr_expect_null(pf_hashmap__get(&map, "", 0));
	cr_expect_eq(map.len, 0);
}

Test(hashmap, set_then_get_returns_the_value)
{
	set_str("alpha", 1);
	set_str("beta", 2);
	cr_expect_eq(get_str("alpha"), val(1));
	cr_expect_eq(get_str("beta"), val(2));
	cr_expect_null(get_str("gamma"));
	cr_expect_eq(map.len, 2);
}

Test(hashmap, set_of_an_existing_key_replaces_without_growing_len)
{
	set_str("k", 1);
	set_str("k", 2);
	set_str("k", 3);
	cr_expect_eq(get_str("k"), val(3));
	cr_expect_eq(map.len, 1);
}

Test(hashmap, the_map_keeps_its_own_copy_of_the_key)
{
	char key[] = "mutable";

	cr_assert_eq(pf_hashmap__set(&map, key, strlen(key), val(7)), 0);
	memcpy(key, "changed", 7);
	cr_expect_null(pf_hashmap__get(&map, key, strlen(key)));
	cr_expect_eq(get_str("mutable"), val(7));
}

Test(hashmap, keys_sharing_a_prefix_are_distinct)
{
	set_str("a", 1);
	set_str("ab", 2);
	set_str("abc", 3);
	cr_assert_eq(pf_hashmap__set(&map, "", 0, val(4)), 0);
	/* Same bytes, different length: a key with an embedded NUL is not its prefix. */
	cr_assert_eq(pf_hashmap__set(&map, "ab\0", 3, val(5)), 0);
	cr_expect_eq(get_str("a"), val(1));
	cr_expect_eq(get_str("ab"), val(2));
	cr_expect_eq(get_str("abc"), val(3));
	cr_expect_eq(pf_hashmap__get(&map, "", 0), val(4));
	cr_expect_eq(pf_hashmap__get(&map, "ab\0", 3), val(5));
	cr_expect_null(get_str("abcd"));
	cr_expect_eq(map.len, 5);
}

Test(hashmap, binary_keys_of_the_same_length_are_distinct)
{
	uint32_t a = 1, b = 1u << 24;

	cr_assert_eq(pf_hashmap__set(&map, &a, sizeof(a), val(10)), 0);
	cr_assert_eq(pf_hashmap__set(&map, &b, sizeof(b), val(20)), 0);
	cr_expect_eq(pf_hashmap__get(&map, &a, sizeof(a)), val(10));
	cr_expect_eq(pf_hashmap__get(&map, &b, sizeof(b)), val(20));
}

Test(hashmap, grows_past_thousands_of_keys_and_keeps_every_one)
{
	enum { N = 50000 };
	char key[32];

	for (uintptr_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "key-%lu", (unsigned long)i);
		set_str(key, i + 1);
	}
	cr_expect_eq(map.len, N);
	cr_expect_geq(map.cap, N);
	cr_expect_eq(map.cap & (map.cap - 1), 0, "capacity %zu is not a power of two", map.cap);
	cr_expect_leq(map.len * 4, map.cap * 3, "load above 3/4");
	for (uintptr_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "key-%lu", (unsigned long)i);
		cr_assert_eq(get_str(key), val(i + 1), "%s", key);
	}
	cr_expect_null(get_str("key-50000"));
}

Test(hashmap, iteration_visits_every_entry_once)
{
	enum { N = 3000 };
	unsigned char *seen = calloc(N, 1);
	struct pf_hashmap_entry *e;
	size_t it = 0, visits = 0;

	cr_assert_not_null(seen);
	for (uint32_t i = 0; i < N; i++)
		cr_assert_eq(pf_hashmap__set(&map, &i, sizeof(i), val(i)), 0);
	/* Replacing must not add a second entry for the same key. */
	for (uint32_t i = 0; i < N; i += 2)
		cr_assert_eq(pf_hashmap__set(&map, &i, sizeof(i), val(i)), 0);
	while (pf_hashmap__next(&map, &it, &e)) {
		uint32_t k;

		cr_assert_eq(e->key_len, sizeof(k));
		memcpy(&k, e->key, sizeof(k));
		cr_assert_lt(k, N);
		cr_expect_eq(e->value, val(k));
		cr_expect_eq(seen[k], 0, "key %u visited twice", k);
		seen[k] = 1;
		visits++;
	}
	cr_expect_eq(visits, N);
	cr_expect_eq(pf_hashmap__next(&map, &it, &e), 0, "iteration must stay finished");
	free(seen);
}

Test(hashmap, iteration_of_an_empty_map_visits_nothing)
{
	struct pf_hashmap_entry *e;
	size_t it = 0;

	cr_expect_eq(pf_hashmap__next(&map, &it, &e), 0);
}

Test(hashmap, free_leaves_an_empty_reusable_map)
{
	set_str("a", 1);
	pf_hashmap__free(&map);
	cr_expect_eq(map.len, 0);
	cr_expect_null(get_str("a"));
	set_str("a", 2);
	cr_expect_eq(get_str("a"), val(2));
}

Test(hashmap, hash_bytes_is_never_zero_and_depends_on_length)
{
	cr_expect_neq(hash_bytes("", 0), 0);
	cr_expect_neq(hash_bytes("a", 1), hash_bytes("a\0", 2));
	cr_expect_eq(hash_bytes("same", 4), hash_bytes("same", 4));
}

Test(hashmap, delete_returns_the_value_and_forgets_the_key)
{
	set_str("a", 1);
	set_str("b", 2);
	cr_expect_eq(pf_hashmap__delete(&map, "a", 1), val(1));
	cr_expect_null(get_str("a"));
	cr_expect_eq(get_str("b"), val(2));
	cr_expect_eq(map.len, 1);
	cr_expect_null(pf_hashmap__delete(&map, "a", 1), "a second delete finds nothing");
	cr_expect_null(pf_hashmap__delete(&map, "zz", 2));
	cr_expect_eq(map.len, 1);
}

Test(hashmap, delete_from_an_empty_map_is_null)
{
	cr_expect_null(pf_hashmap__delete(&map, "x", 1));
}

/* Random inserts and deletes against a plain array of what should be there: every survivor stays reachable
 * (probe runs are repaired after each delete), every deleted key is gone. */
Test(hashmap, interleaved_sets_and_deletes_keep_every_survivor_reachable)
{
	enum { KEYS = 3000, ROUNDS = 40000 };
	uintptr_t *want = calloc(KEYS, sizeof(*want)); /* 0 = absent */
	uint64_t x = 88172645463325252ULL;
	size_t present = 0;

	cr_assert_not_null(want);
	for (int r = 0; r < ROUNDS; r++) {
		uint32_t k;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		k = (uint32_t)(x % KEYS);
		if (x & (1ULL << 40)) {
			cr_assert_eq(pf_hashmap__set(&map, &k, sizeof(k), val(r + 1)), 0);
			present += !want[k];
			want[k] = r + 1;
		} else {
			cr_assert_eq(pf_hashmap__delete(&map, &k, sizeof(k)), want[k] ? val(want[k]) : NULL);
			present -= !!want[k];
			want[k] = 0;
		}
	}
	cr_expect_eq(map.len, present);
	for (uint32_t k = 0; k < KEYS; k++)
		cr_expect_eq(pf_hashmap__get(&map, &k, sizeof(k)), want[k] ? val(want[k]) : NULL, "key %u", k);
	free(want);
}
