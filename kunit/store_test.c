// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the semantics of each store operation.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "store.h"
#include "kxs_test.h"

static int kxs_store_test_init(struct kunit *test)
{
	struct kxs_store *s = kxs_store_create();

	KUNIT_ASSERT_NOT_NULL(test, s);
	test->priv = s;
	return 0;
}

static void kxs_store_test_exit(struct kunit *test)
{
	kxs_store_destroy(test->priv);
}

/* Expect @path to hold exactly @len bytes of @value. */
static void kxs_expect_value(struct kunit *test, const char *path,
			     const void *value, int len)
{
	char *buf = kunit_kzalloc(test, 4096, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ_MSG(test, kxs_store_read(test->priv, KXS_AS(0), path, buf, 4096),
			    len, "%s", path);
	KUNIT_EXPECT_MEMEQ(test, buf, value, len);
}

/* Expect the children of @path, as the NUL-separated list @list. */
static void kxs_expect_children(struct kunit *test, const char *path,
				const char *list, int len)
{
	char *buf = kunit_kzalloc(test, 4096, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ_MSG(test, kxs_store_directory(test->priv, KXS_AS(0), path, buf,
						      4096), len, "%s", path);
	KUNIT_EXPECT_MEMEQ(test, buf, list, len);
}

static const struct kxs_data *kxs_test_data(struct kunit *test,
					    const char *path)
{
	const struct kxs_data *d = NULL;
	struct kxs_node *n;

	rcu_read_lock();
	n = kxs_store_lookup_rcu(test->priv, path);
	if (n)
		d = rcu_dereference(n->data);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL_MSG(test, d, "%s", path);
	return d;
}

static u64 kxs_test_gen(struct kunit *test, const char *path)
{
	struct kxs_node *n;
	u64 gen = 0;

	rcu_read_lock();
	n = kxs_store_lookup_rcu(test->priv, path);
	if (n)
		gen = READ_ONCE(n->gen);
	rcu_read_unlock();
	return gen;
}

static void kxs_store_starts_with_empty_root(struct kunit *test)
{
	struct kxs_store *s = test->priv;

	kxs_expect_value(test, "/", "", 0);
	kxs_expect_children(test, "/", "", 0);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 1);
}

static void kxs_store_write_creates_missing_parents_empty(struct kunit *test)
{
	struct kxs_store *s = test->priv;

	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a/b/c", "hello", 5), 0);
	kxs_expect_value(test, "/a/b/c", "hello", 5);
	kxs_expect_value(test, "/a/b", "", 0);
	kxs_expect_value(test, "/a", "", 0);
	kxs_expect_children(test, "/", "a", 2);
	kxs_expect_children(test, "/a", "b", 2);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 4);
}

static void kxs_store_write_replaces_value_and_keeps_children(struct kunit *test)
{
	struct kxs_store *s = test->priv;

	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a/b", "x", 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a", "one", 3), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a", "two!", 4), 0);
	kxs_expect_value(test, "/a", "two!", 4);
	kxs_expect_children(test, "/a", "b", 2);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a", "", 0), 0);
	kxs_expect_value(test, "/a", "", 0);
}

static void kxs_store_values_are_binary_safe(struct kunit *test)
{
	static const char bin[] = { 0, 1, 0, 0xff, 'x', 0 };

	KUNIT_ASSERT_EQ(test, kxs_store_write(test->priv, KXS_AS(0), "/bin",
					      bin, sizeof(bin)), 0);
	kxs_expect_value(test, "/bin", bin, sizeof(bin));
}

static void kxs_store_mkdir_is_idempotent_and_keeps_values(struct kunit *test)
{
	struct kxs_store *s = test->priv;
	bool made = false;

	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/d/e", &made), 0);
	KUNIT_EXPECT_TRUE(test, made);
	kxs_expect_value(test, "/d/e", "", 0);
	kxs_expect_value(test, "/d", "", 0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/d", "v", 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/d", &made), 0);
	KUNIT_EXPECT_FALSE(test, made);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/d/e", NULL), 0);
	/* Refused: nothing made. */
	made = true;
	KUNIT_EXPECT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(5, KXS_NO_TARGET),
					      "/d/f", &made), -EACCES);
	KUNIT_EXPECT_FALSE(test, made);
	kxs_expect_value(test, "/d", "v", 1);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 3);
}

static void kxs_store_rm_removes_whole_subtree(struct kunit *test)
{
	struct kxs_store *s = test->priv;
	char buf[8];

	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/t/a/x", "1", 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/t/a/y/z", "2", 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/t/b", "3", 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/t/a"), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/t/a", buf, 8), -ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/t/a/y/z", buf, 8), -ENOENT);
	kxs_expect_children(test, "/t", "b", 2);
	kxs_expect_value(test, "/t/b", "3", 1);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 3);
}

static void kxs_store_rm_missing_node_needs_parent(struct kunit *test)
{
	struct kxs_store *s = test->priv;

	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/p", NULL), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/p/missing"), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/p/missing/deeper"), -ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/q/missing"), -ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/q"), 0);
	kxs_expect_children(test, "/", "p", 2);
}

static void kxs_store_rm_of_root_is_refused(struct kunit *test)
{
	struct kxs_store *s = test->priv;

	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a", "1", 1), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/"), -EINVAL);
	kxs_expect_value(test, "/a", "1", 1);
}

static void kxs_store_read_and_directory_of_missing_node(struct kunit *test)
{
	char buf[8];

	KUNIT_EXPECT_EQ(test, kxs_store_read(test->priv, KXS_AS(0), "/nope", buf, 8),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_directory(test->priv, KXS_AS(0), "/nope", buf,
						  8), -ENOENT);
}

static void kxs_store_directory_lists_children_sorted(struct kunit *test)
{
	static const char * const names[] = {
		"b", "a", "ab", "B", "0", "a-", "_", "aa",
	};
	static const char sorted[] = "0\0B\0_\0a\0a-\0aa\0ab\0b";
	struct kxs_store *s = test->priv;
	char path[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "/dir/%s", names[i]);
		KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), path, NULL), 0);
	}
	kxs_expect_children(test, "/dir", sorted, sizeof(sorted));
}

static void kxs_store_directory_too_big_for_buffer(struct kunit *test)
{
	struct kxs_store *s = test->priv;
	char buf[8];

	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/d/abc", NULL), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/d/def", NULL), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_directory(s, KXS_AS(0), "/d", buf, 7), -E2BIG);
	KUNIT_EXPECT_EQ(test, kxs_store_directory(s, KXS_AS(0), "/d", buf, 8), 8);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/d", buf, 0), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/d", "12", 2), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/d", buf, 1), -E2BIG);
}

static void kxs_store_many_children_stay_ordered(struct kunit *test)
{
	struct kxs_store *s = test->priv;
	char path[32], *buf, *p;
	int i, len;

	buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* Insert in an order that makes the rbtree rotate a lot. */
	for (i = 0; i < 500; i++) {
		snprintf(path, sizeof(path), "/m/%03d", (i * 7) % 500);
		KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), path, path, 6), 0);
	}
	for (i = 0; i < 500; i += 2) {
		snprintf(path, sizeof(path), "/m/%03d", i);
		KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), path), 0);
	}
	len = kxs_store_directory(s, KXS_AS(0), "/m", buf, 4096);
	KUNIT_ASSERT_EQ(test, len, 250 * 4);
	for (i = 1, p = buf; i < 500; i += 2, p += 4) {
		snprintf(path, sizeof(path), "%03d", i);
		KUNIT_EXPECT_STREQ(test, p, path);
		snprintf(path, sizeof(path), "/m/%03d", i);
		kxs_expect_value(test, path, path, 6);
	}
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 2 + 250);
}

/* Paths can nest ~1500 levels: creation and removal must not recurse. */
static void kxs_store_handles_deepest_paths(struct kunit *test)
{
	struct kxs_store *s = test->priv;
	size_t len = 3072, i;	/* "/x" 1536 times: the longest path */
	char *path = kunit_kzalloc(test, len + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, path);
	for (i = 0; i < len; i += 2) {
		path[i] = '/';
		path[i + 1] = 'x';
	}
	KUNIT_ASSERT_EQ(test, strlen(path), len);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), path, "deep", 4), 0);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 1 + len / 2);
	kxs_expect_value(test, path, "deep", 4);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/x"), 0);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 1);
}

static void kxs_store_accounting_returns_to_start(struct kunit *test)
{
	struct kxs_store *s = test->priv;
	size_t bytes = s->bytes;

	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a/b/c", "v", 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a/b/c", "longer", 6), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/a/d", NULL), 0);
	KUNIT_EXPECT_GT(test, s->bytes, bytes);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/a"), 0);
	KUNIT_EXPECT_EQ(test, s->bytes, bytes);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 1);
}

static void kxs_store_new_nodes_inherit_permissions(struct kunit *test)
{
	static const struct kxs_perm perms[] = {
		{ 0, KXS_PERM_NONE }, { 5, KXS_PERM_BOTH },
	};
	struct kxs_store *s = test->priv;
	const struct kxs_data *d;

	/* The control domain keeps the parent's owner ... */
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a", "", 0), 0);
	d = kxs_test_data(test, "/a");
	KUNIT_ASSERT_EQ(test, d->nr_perms, 1);
	KUNIT_EXPECT_EQ(test, d->perms[0].domid, 0);
	KUNIT_EXPECT_EQ(test, d->perms[0].access, KXS_PERM_NONE);
	/* ... a guest owns what it creates, with the parent's access. */
	KUNIT_ASSERT_EQ(test, kxs_store_set_perms(s, KXS_AS(0), "/a", perms,
						  ARRAY_SIZE(perms)), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(5), "/a/g/h", "", 0), 0);
	d = kxs_test_data(test, "/a/g");
	KUNIT_EXPECT_EQ(test, d->perms[0].domid, 5);
	KUNIT_EXPECT_EQ(test, d->perms[0].access, KXS_PERM_NONE);
	d = kxs_test_data(test, "/a/g/h");
	KUNIT_EXPECT_EQ(test, d->perms[0].domid, 5);
	/* Rewriting a value keeps the permissions. */
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a/g", "v", 1), 0);
	d = kxs_test_data(test, "/a/g");
	KUNIT_EXPECT_EQ(test, d->perms[0].domid, 5);
}

static void kxs_store_generation_tracks_changes(struct kunit *test)
{
	struct kxs_store *s = test->priv;
	u64 g1, g2, g3;

	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/g/a", "1", 1), 0);
	g1 = kxs_test_gen(test, "/g");
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/g/a", "2", 1), 0);
	/* A child's new value is not a change of the parent ... */
	KUNIT_EXPECT_EQ(test, kxs_test_gen(test, "/g"), g1);
	KUNIT_EXPECT_GT(test, kxs_test_gen(test, "/g/a"), g1);
	/* ... a new or removed child is. */
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/g/b", NULL), 0);
	g2 = kxs_test_gen(test, "/g");
	KUNIT_EXPECT_GT(test, g2, g1);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/g/b"), 0);
	g3 = kxs_test_gen(test, "/g");
	KUNIT_EXPECT_GT(test, g3, g2);
	/* MKDIR of an existing node changes nothing. */
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/g", NULL), 0);
	KUNIT_EXPECT_EQ(test, kxs_test_gen(test, "/g"), g3);
}

static void kxs_store_drop_grants_removes_a_domains_entries(struct kunit *test)
{
	static const struct kxs_perm acl[] = {
		{ 0, KXS_PERM_NONE }, { 5, KXS_PERM_READ },
		{ 6, KXS_PERM_BOTH }, { 5, KXS_PERM_WRITE },
	};
	static const struct kxs_perm owned[] = {
		{ 5, KXS_PERM_NONE }, { 6, KXS_PERM_READ },
	};
	struct kxs_store *s = test->priv;
	char buf[32];
	u64 gen;

	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a", "v", 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_set_perms(s, KXS_AS(0), "/a", acl,
						  ARRAY_SIZE(acl)), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/b", NULL), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_set_perms(s, KXS_AS(0), "/b", owned,
						  ARRAY_SIZE(owned)), 0);
	gen = kxs_test_gen(test, "/a");
	/* Domain 5 no longer reads /a; its owner entry on /b stays. */
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(5), "/a", buf, 32), 1);
	KUNIT_EXPECT_EQ(test, kxs_store_drop_grants(s, 5), 1);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(5), "/a", buf, 32),
			-EACCES);
	KUNIT_EXPECT_GT(test, kxs_test_gen(test, "/a"), gen);
	KUNIT_ASSERT_EQ(test, kxs_store_get_perms(s, KXS_AS(0), "/a", buf, 32),
			6);
	KUNIT_EXPECT_MEMEQ(test, buf, "n0\0b6\0", 6);
	KUNIT_ASSERT_EQ(test, kxs_store_get_perms(s, KXS_AS(0), "/b", buf, 32),
			6);
	KUNIT_EXPECT_MEMEQ(test, buf, "n5\0r6\0", 6);
	/* The value survives, and nothing is left to drop. */
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/a", buf, 32), 1);
	KUNIT_EXPECT_EQ(test, kxs_store_drop_grants(s, 5), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_check(s, buf, sizeof(buf)), 0);
}

/*
 * A WRITE of a value that fits where the old one was rewrites it there,
 * a new generation and all; a longer one gets new data.
 */
static void kxs_store_write_rewrites_a_value_in_place(struct kunit *test)
{
	char *big = kunit_kzalloc(test, 2000, GFP_KERNEL);
	struct kxs_store *s = test->priv;
	const struct kxs_data *d;
	long nr;
	u64 gen;

	KUNIT_ASSERT_NOT_NULL(test, big);
	memset(big, 'b', 2000);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/v", "0123456789",
					      10), 0);
	d = kxs_test_data(test, "/v");
	gen = kxs_test_gen(test, "/v");
	nr = kxs_stat(KXS_STAT_DATA);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/v", "abc", 3), 0);
	KUNIT_EXPECT_PTR_EQ(test, kxs_test_data(test, "/v"), d);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_DATA), nr);
	KUNIT_EXPECT_GT(test, kxs_test_gen(test, "/v"), gen);
	kxs_expect_value(test, "/v", "abc", 3);
	/* Back to 10 bytes: still the same allocation. */
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/v", "9876543210",
					      10), 0);
	KUNIT_EXPECT_PTR_EQ(test, kxs_test_data(test, "/v"), d);
	kxs_expect_value(test, "/v", "9876543210", 10);
	/* 2000 bytes do not fit: new data, the old freed. */
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/v", big, 2000),
			0);
	KUNIT_EXPECT_PTR_NE(test, kxs_test_data(test, "/v"), d);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_DATA), nr);
	kxs_expect_value(test, "/v", big, 2000);
	KUNIT_EXPECT_EQ(test, kxs_store_check(s, big, 64), 0);
}

/*
 * A node's first data is made in the node's allocation.  A reference to
 * it (a transaction's) keeps that memory after the node is removed, and
 * the last reference lets it go; KASAN reports a read of it after the
 * node's removal if the memory went with the node.  New data of its own
 * allocation leaves the node's.
 */
static void kxs_store_data_made_with_a_node_outlives_it(struct kunit *test)
{
	long nodes = kxs_stat(KXS_STAT_NODES), data = kxs_stat(KXS_STAT_DATA);
	char *big = kunit_kzalloc(test, 2000, GFP_KERNEL);
	struct kxs_store *s = test->priv;
	const struct kxs_data *made;
	struct kxs_data *d;
	struct kxs_node *n;
	u32 children_len;
	u64 dgen, gen;

	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/a", "held", 4), 0);
	rcu_read_lock();
	n = kxs_store_lookup_rcu(s, "/a");
	KUNIT_ASSERT_NOT_NULL(test, n);
	made = rcu_dereference(n->data);
	KUNIT_EXPECT_NE(test, made->node_off, 0);
	KUNIT_EXPECT_PTR_EQ(test, (const u8 *)made, (u8 *)n + made->node_off);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_NODES), nodes + 1);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_DATA), data + 1);

	KUNIT_ASSERT_TRUE(test, kxs_store_observe(s, "/a", &d, &dgen, &gen,
						  &children_len));
	KUNIT_EXPECT_PTR_EQ(test, (const struct kxs_data *)d, made);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/a"), 0);
	rcu_barrier();
	kvfree_rcu_barrier();
	/* Gone from the tree; its memory stays for @d. */
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 1);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_NODES), nodes + 1);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_DATA), data + 1);
	KUNIT_EXPECT_EQ(test, d->len, 4);
	KUNIT_EXPECT_MEMEQ(test, kxs_data_value(d), "held", 4);
	kxs_data_put(d);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_NODES), nodes);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_DATA), data);

	/* Data made with the node and replaced: the node's memory stays. */
	memset(big, 'b', 2000);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/b", "x", 1), 0);
	made = kxs_test_data(test, "/b");
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/b", big, 2000),
			0);
	d = (struct kxs_data *)kxs_test_data(test, "/b");
	KUNIT_EXPECT_PTR_NE(test, (const struct kxs_data *)d, made);
	KUNIT_EXPECT_EQ(test, d->node_off, 0);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_NODES), nodes + 1);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_DATA), data + 1);
	kxs_expect_value(test, "/b", big, 2000);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/b"), 0);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_NODES), nodes);
	KUNIT_EXPECT_EQ(test, kxs_stat(KXS_STAT_DATA), data);
}

/*
 * Nodes whose insert into the store's index failed (memory) are found
 * through their parent's rbtree, listed, removed and counted; the check
 * sees the index and the counts agree.
 */
static void kxs_store_lookups_without_the_index(struct kunit *test)
{
	char *list = kunit_kzalloc(test, 4096, GFP_KERNEL);
	struct kxs_store *s = test->priv;
	char path[32], buf[64];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, list);
	/* 20 children, more than a lookup descends, none in the index. */
	s->index_fails = true;
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/big/c%d", i);
		KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), path, "u", 1),
				0);
	}
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/big/c3/x/y", "d",
					      1), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_check(s, buf, sizeof(buf)), 0);
	/* 10 more, in the index. */
	s->index_fails = false;
	for (i = 20; i < 30; i++) {
		snprintf(path, sizeof(path), "/big/c%d", i);
		KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), path, "h", 1),
				0);
	}
	for (i = 0; i < 30; i++) {
		snprintf(path, sizeof(path), "/big/c%d", i);
		kxs_expect_value(test, path, i < 20 ? "u" : "h", 1);
	}
	kxs_expect_value(test, "/big/c3/x/y", "d", 1);
	/* Writes find both kinds: they replace the value, never add a twin. */
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/big/c3", "w", 1),
			0);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/big/c25", "w", 1),
			0);
	kxs_expect_value(test, "/big/c3", "w", 1);
	kxs_expect_value(test, "/big/c25", "w", 1);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/big/c30", buf,
					     sizeof(buf)), -ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_check(s, buf, sizeof(buf)), 0);
	/* Removals of both kinds, and of a subtree with both kinds. */
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/big/c5"), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/big/c25"), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/big/c5", buf,
					     sizeof(buf)), -ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/big/c25", buf,
					     sizeof(buf)), -ENOENT);
	/* c0..c29 but c5 and c25: 9 names of 3 bytes, 19 of 4 */
	KUNIT_EXPECT_EQ(test, kxs_store_directory(s, KXS_AS(0), "/big", list,
						  4096), 9 * 3 + 19 * 4);
	KUNIT_EXPECT_EQ(test, kxs_store_check(s, buf, sizeof(buf)), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/big"), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/big/c3/x/y", buf,
					     sizeof(buf)), -ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_check(s, buf, sizeof(buf)), 0);
}

/* Load one node of @depth named @name, whose value is its name. */
static int kxs_test_load(struct kxs_load *l, unsigned int depth,
			 const char *name)
{
	static const struct kxs_perm p = { .domid = 0,
					   .access = KXS_PERM_NONE };

	return kxs_store_load_node(l, depth, name, strlen(name), &p, 1, name,
				   strlen(name));
}

/*
 * A load takes nodes in pre-order with siblings in name order, refuses
 * anything else (a twin included) and builds the tree the bookkeeping
 * agrees with, children of large directories in the index too.
 */
static void kxs_store_load_wants_names_in_order(struct kunit *test)
{
	static const struct kxs_perm root = { .domid = 0,
					      .access = KXS_PERM_READ };
	struct kxs_store *s = test->priv;
	char name[8], buf[64];
	struct kxs_load l;
	int i;

	KUNIT_ASSERT_EQ(test, kxs_store_load_begin(s, &l, &root, 1, "r", 1),
			0);
	/* No node at depth 1 yet. */
	KUNIT_EXPECT_EQ(test, kxs_test_load(&l, 2, "x"), -EINVAL);
	KUNIT_ASSERT_EQ(test, kxs_test_load(&l, 1, "b"), 0);
	KUNIT_EXPECT_EQ(test, kxs_test_load(&l, 1, "a"), -EINVAL);
	KUNIT_EXPECT_EQ(test, kxs_test_load(&l, 1, "b"), -EINVAL);
	KUNIT_ASSERT_EQ(test, kxs_test_load(&l, 2, "z"), 0);
	KUNIT_ASSERT_EQ(test, kxs_test_load(&l, 1, "ba"), 0);
	/* A new parent's first child may sort before the last one seen. */
	KUNIT_ASSERT_EQ(test, kxs_test_load(&l, 2, "a"), 0);
	KUNIT_EXPECT_EQ(test, kxs_test_load(&l, 2, "a"), -EINVAL);
	KUNIT_ASSERT_EQ(test, kxs_test_load(&l, 1, "c"), 0);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "%02d", i);
		KUNIT_ASSERT_EQ(test, kxs_test_load(&l, 2, name), 0);
	}
	KUNIT_EXPECT_EQ(test, kxs_test_load(&l, 2, "1"), -EINVAL);
	KUNIT_ASSERT_EQ(test, kxs_store_load_commit(&l), 0);

	KUNIT_EXPECT_EQ(test, kxs_store_check(s, buf, sizeof(buf)), 0);
	kxs_expect_value(test, "/", "r", 1);
	kxs_expect_children(test, "/", "b\0ba\0c", 7);
	kxs_expect_value(test, "/b/z", "z", 1);
	kxs_expect_children(test, "/ba", "a", 2);
	for (i = 0; i < 40; i++) {
		snprintf(buf, sizeof(buf), "/c/%02d", i);
		kxs_expect_value(test, buf, buf + 3, 2);
	}
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/c/40", buf,
					     sizeof(buf)), -ENOENT);
	/* Only into a store that has nothing but its root. */
	KUNIT_EXPECT_EQ(test, kxs_store_load_begin(s, &l, &root, 1, "", 0),
			-EBUSY);
}

/* An aborted load leaves the store as it was. */
static void kxs_store_load_abort_changes_nothing(struct kunit *test)
{
	static const struct kxs_perm root = { .domid = 0,
					      .access = KXS_PERM_READ };
	struct kxs_store *s = test->priv;
	unsigned long nodes = s->nr_nodes;
	size_t bytes = s->bytes;
	char buf[64];
	struct kxs_load l;

	KUNIT_ASSERT_EQ(test, kxs_store_load_begin(s, &l, &root, 1, "r", 1),
			0);
	KUNIT_ASSERT_EQ(test, kxs_test_load(&l, 1, "a"), 0);
	KUNIT_ASSERT_EQ(test, kxs_test_load(&l, 2, "b"), 0);
	kxs_store_load_abort(&l);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, nodes);
	KUNIT_EXPECT_EQ(test, s->bytes, bytes);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/a", buf,
					     sizeof(buf)), -ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, KXS_AS(0), "/", buf,
					     sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_check(s, buf, sizeof(buf)), 0);
	/* The store lock was given back: a write goes through. */
	KUNIT_EXPECT_EQ(test, kxs_store_write(s, KXS_AS(0), "/w", "v", 1), 0);
}

static struct kunit_case kxs_store_cases[] = {
	KUNIT_CASE(kxs_store_starts_with_empty_root),
	KUNIT_CASE(kxs_store_write_creates_missing_parents_empty),
	KUNIT_CASE(kxs_store_write_replaces_value_and_keeps_children),
	KUNIT_CASE(kxs_store_values_are_binary_safe),
	KUNIT_CASE(kxs_store_mkdir_is_idempotent_and_keeps_values),
	KUNIT_CASE(kxs_store_rm_removes_whole_subtree),
	KUNIT_CASE(kxs_store_rm_missing_node_needs_parent),
	KUNIT_CASE(kxs_store_rm_of_root_is_refused),
	KUNIT_CASE(kxs_store_read_and_directory_of_missing_node),
	KUNIT_CASE(kxs_store_directory_lists_children_sorted),
	KUNIT_CASE(kxs_store_directory_too_big_for_buffer),
	KUNIT_CASE(kxs_store_many_children_stay_ordered),
	KUNIT_CASE(kxs_store_handles_deepest_paths),
	KUNIT_CASE(kxs_store_accounting_returns_to_start),
	KUNIT_CASE(kxs_store_new_nodes_inherit_permissions),
	KUNIT_CASE(kxs_store_generation_tracks_changes),
	KUNIT_CASE(kxs_store_drop_grants_removes_a_domains_entries),
	KUNIT_CASE(kxs_store_lookups_without_the_index),
	KUNIT_CASE(kxs_store_write_rewrites_a_value_in_place),
	KUNIT_CASE(kxs_store_data_made_with_a_node_outlives_it),
	KUNIT_CASE(kxs_store_load_wants_names_in_order),
	KUNIT_CASE(kxs_store_load_abort_changes_nothing),
	{}
};

static struct kunit_suite kxs_store_suite = {
	.name = "kxenstore_store",
	.init = kxs_store_test_init,
	.exit = kxs_store_test_exit,
	.test_cases = kxs_store_cases,
};

kunit_test_suite(kxs_store_suite);
