// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: who may do what to a node (the control domain, the owner, the
 * default and per-domain entries, SET_TARGET), who owns new nodes, and
 * the per-domain count of owned nodes through every change of the tree.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "conn.h"
#include "domain.h"
#include "store.h"
#include "transaction.h"
#include "kxs_test.h"

#define KXS_BUF 4096

/* Set @path's permissions as the control domain, from their wire form. */
static void kxs_set_perms(struct kunit *test, const char *path,
			  const char *list, size_t len)
{
	struct kxs_perm perms[16];
	int nr = kxs_perms_parse(list, len, perms, ARRAY_SIZE(perms));

	KUNIT_ASSERT_GT(test, nr, 0);
	KUNIT_ASSERT_EQ_MSG(test, kxs_store_set_perms(kxs_fx(test)->store,
						      KXS_AS(0), path, perms,
						      nr), 0, "%s", path);
}

/* @list: entries separated by "\0", without the last one's NUL. */
#define KXS_PERMS(test, path, list) \
	kxs_set_perms(test, path, list, sizeof(list))

/* Expect @path's permissions (as GET_PERMS gives them to dom0). */
static void kxs_expect_perms(struct kunit *test, const char *path,
			     const char *list, size_t len)
{
	char *buf = kunit_kzalloc(test, KXS_BUF, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ_MSG(test, kxs_store_get_perms(kxs_fx(test)->store,
						      KXS_AS(0), path, buf,
						      KXS_BUF),
			    (int)len, "%s: \"%s\"", path, buf);
	KUNIT_EXPECT_MEMEQ_MSG(test, buf, list, len, "%s", path);
}

/* @list: entries each followed by "\0", as GET_PERMS gives them. */
#define KXS_EXPECT_PERMS(test, path, list) \
	kxs_expect_perms(test, path, list, sizeof(list) - 1)

static u16 kxs_owner(struct kunit *test, const char *path)
{
	char *buf = kunit_kzalloc(test, KXS_BUF, GFP_KERNEL);
	struct kxs_perm perms[16];
	int len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	len = kxs_store_get_perms(kxs_fx(test)->store, KXS_AS(0), path, buf,
				  KXS_BUF);
	KUNIT_ASSERT_GT_MSG(test, len, 0, "%s", path);
	KUNIT_ASSERT_GT(test, kxs_perms_parse(buf, len, perms,
					      ARRAY_SIZE(perms)), 0);
	return perms[0].domid;
}

/*
 * The node @path with value "val" and a child "kid", both with the
 * permissions @list (dom0 creates the child, so it keeps the owner).
 */
static void kxs_make_node(struct kunit *test, const char *path,
			  const char *list, size_t len)
{
	struct kxs_store *s = kxs_fx(test)->store;
	char kid[64];

	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), path, "val", 3), 0);
	kxs_set_perms(test, path, list, len);
	snprintf(kid, sizeof(kid), "%s/kid", path);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), kid, NULL), 0);
	kxs_expect_perms(test, kid, list, len);
}

#define KXS_MAKE_NODE(test, path, list) \
	kxs_make_node(test, path, list, sizeof(list))

/*
 * Try every operation on @path (made by kxs_make_node()) as @c, and
 * expect exactly the access @r (read), @w (write) and @own (SET_PERMS).
 * A missing node is ENOENT only to a caller with the access the
 * operation wants on its nearest existing ancestor, EACCES otherwise.
 * Ends with RM of @path, which succeeds iff @w.
 */
static void kxs_expect_access(struct kunit *test, const struct kxs_caller *c,
			      const char *path, bool r, bool w, bool own)
{
	struct kxs_store *s = kxs_fx(test)->store;
	char *buf = kunit_kzalloc(test, KXS_BUF, GFP_KERNEL);
	int rerr = r ? -ENOENT : -EACCES, werr = w ? -ENOENT : -EACCES;
	char sub[64], deep[80];
	struct kxs_perm perms[16];
	int len, nr, ret;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	snprintf(sub, sizeof(sub), "%s/missing", path);
	snprintf(deep, sizeof(deep), "%s/missing/deeper", path);

#define KXS_OP(expr, want) \
	KUNIT_EXPECT_EQ_MSG(test, (expr), (want), "%s as dom%u: %s", path, \
			    c->domid, #expr)

	/* READ, DIRECTORY, DIRECTORY_PART and GET_PERMS need read. */
	KXS_OP(kxs_store_read(s, c, path, buf, KXS_BUF), r ? 3 : -EACCES);
	KXS_OP(kxs_store_directory(s, c, path, buf, KXS_BUF),
	       r ? 4 : -EACCES);
	ret = kxs_store_directory_part(s, c, path, 0, buf, KXS_BUF);
	if (r)
		KXS_OP(ret > 0, true);
	else
		KXS_OP(ret, -EACCES);
	ret = kxs_store_get_perms(s, c, path, buf, KXS_BUF);
	if (r)
		KXS_OP(ret > 0, true);
	else
		KXS_OP(ret, -EACCES);
	KXS_OP(kxs_store_read(s, c, sub, buf, KXS_BUF), rerr);
	KXS_OP(kxs_store_read(s, c, deep, buf, KXS_BUF), rerr);
	KXS_OP(kxs_store_directory(s, c, deep, buf, KXS_BUF), rerr);
	KXS_OP(kxs_store_directory_part(s, c, sub, 0, buf, KXS_BUF), rerr);
	KXS_OP(kxs_store_get_perms(s, c, sub, buf, KXS_BUF), rerr);

	/* WRITE, MKDIR and RM need write; creating needs it on @path. */
	KXS_OP(kxs_store_write(s, c, path, "val", 3), w ? 0 : -EACCES);
	KXS_OP(kxs_store_mkdir(s, c, path, NULL), w ? 0 : -EACCES);
	KXS_OP(kxs_store_mkdir(s, c, deep, NULL), w ? 0 : -EACCES);
	KXS_OP(kxs_fx_exists(test, deep), w);
	if (w) {
		u16 owner = c->priv ? kxs_owner(test, path) : c->domid;

		KXS_OP(kxs_owner(test, sub), owner);
		KXS_OP(kxs_owner(test, deep), owner);
		KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), sub), 0);
	}
	KXS_OP(kxs_store_write(s, c, sub, "new", 3), w ? 0 : -EACCES);
	KXS_OP(kxs_fx_exists(test, sub), w);
	if (w)
		KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), sub), 0);
	/* RM of a missing node is fine if its parent exists. */
	KXS_OP(kxs_store_rm(s, c, sub), w ? 0 : -EACCES);
	KXS_OP(kxs_store_rm(s, c, deep), werr);

	/* SET_PERMS needs ownership (here: the same permissions again). */
	len = kxs_store_get_perms(s, KXS_AS(0), path, buf, KXS_BUF);
	KUNIT_ASSERT_GT(test, len, 0);
	nr = kxs_perms_parse(buf, len, perms, ARRAY_SIZE(perms));
	KUNIT_ASSERT_GT(test, nr, 0);
	KXS_OP(kxs_store_set_perms(s, c, path, perms, nr),
	       own ? 0 : -EACCES);
	KXS_OP(kxs_store_set_perms(s, c, sub, perms, nr),
	       w || own ? -ENOENT : -EACCES);

	KXS_OP(kxs_store_rm(s, c, path), w ? 0 : -EACCES);
	KXS_OP(kxs_fx_exists(test, path), !w);
#undef KXS_OP
}

static void kxs_perms_control_domain_has_all_access(struct kunit *test)
{
	KXS_MAKE_NODE(test, "/p", "n5");
	/* Owned by 5, no access for others: dom0 still does everything ... */
	kxs_expect_access(test, KXS_GUEST(7, KXS_NO_TARGET), "/p", false,
			  false, false);
	kxs_expect_access(test, KXS_AS(0), "/p", true, true, true);

	/* ... including changing the owner. */
	KXS_MAKE_NODE(test, "/q", "n5");
	KXS_PERMS(test, "/q", "n6\0r5");
	KXS_EXPECT_PERMS(test, "/q", "n6\0r5\0");
	KUNIT_EXPECT_EQ(test, kxs_owner(test, "/q"), 6);
}

static void kxs_perms_owner_has_all_access(struct kunit *test)
{
	/* An entry naming the owner does not restrict it. */
	KXS_MAKE_NODE(test, "/p", "n5\0n5\0r6");
	kxs_expect_access(test, KXS_GUEST(6, KXS_NO_TARGET), "/p", true,
			  false, false);
	kxs_expect_access(test, KXS_GUEST(7, KXS_NO_TARGET), "/p", false,
			  false, false);
	kxs_expect_access(test, KXS_GUEST(5, KXS_NO_TARGET), "/p", true,
			  true, true);

	KXS_MAKE_NODE(test, "/q", "n5");
	kxs_expect_access(test, KXS_GUEST(5, KXS_NO_TARGET), "/q", true,
			  true, true);
}

static void kxs_perms_default_access_from_first_entry(struct kunit *test)
{
	static const char letters[] = "nrwb";
	char path[8], list[8];
	int i;

	for (i = 0; i < 4; i++) {
		bool r = i & KXS_PERM_READ, w = i & KXS_PERM_WRITE;

		snprintf(path, sizeof(path), "/%c", letters[i]);
		snprintf(list, sizeof(list), "%c1", letters[i]);
		kxs_make_node(test, path, list, strlen(list) + 1);
		/* Everybody without an entry gets the first entry's access. */
		kxs_expect_access(test, KXS_GUEST(7, KXS_NO_TARGET), path, r,
				  w, false);
		kxs_make_node(test, path, list, strlen(list) + 1);
		kxs_expect_access(test, KXS_GUEST(1, KXS_NO_TARGET), path,
				  true, true, true);
	}
}

static void kxs_perms_named_entries_override_default(struct kunit *test)
{
	/* The first entry naming a domain wins; later ones are ignored. */
	static const char list[] = "r1\0w7\0n8\0b9\0n7\0b8";

	KXS_MAKE_NODE(test, "/p", list);
	kxs_expect_access(test, KXS_GUEST(7, KXS_NO_TARGET), "/p", false,
			  true, false);
	KXS_MAKE_NODE(test, "/p", list);
	kxs_expect_access(test, KXS_GUEST(8, KXS_NO_TARGET), "/p", false,
			  false, false);
	kxs_expect_access(test, KXS_GUEST(9, KXS_NO_TARGET), "/p", true,
			  true, false);
	KXS_MAKE_NODE(test, "/p", list);
	kxs_expect_access(test, KXS_GUEST(10, KXS_NO_TARGET), "/p", true,
			  false, false);
	/* An entry can take away what the default gives. */
	KXS_MAKE_NODE(test, "/q", "b1\0n7");
	kxs_expect_access(test, KXS_GUEST(7, KXS_NO_TARGET), "/q", false,
			  false, false);
	kxs_expect_access(test, KXS_GUEST(8, KXS_NO_TARGET), "/q", true,
			  true, false);
}

static void kxs_perms_target_gets_targets_rights(struct kunit *test)
{
	const struct kxs_caller *dm = KXS_GUEST(3, 4);

	/* Nodes the target owns: everything, as if the owner. */
	KXS_MAKE_NODE(test, "/own", "n4");
	kxs_expect_access(test, KXS_GUEST(3, KXS_NO_TARGET), "/own", false,
			  false, false);
	kxs_expect_access(test, dm, "/own", true, true, true);
	/* Entries for the target count as the caller's own ... */
	KXS_MAKE_NODE(test, "/r", "n1\0r4");
	kxs_expect_access(test, dm, "/r", true, false, false);
	/* ... and the first entry for either of them wins. */
	KXS_MAKE_NODE(test, "/w", "n1\0w4\0r3");
	kxs_expect_access(test, dm, "/w", false, true, false);
	KXS_MAKE_NODE(test, "/r3", "n1\0r3\0w4");
	kxs_expect_access(test, dm, "/r3", true, false, false);
	/* The default applies when neither is named. */
	KXS_MAKE_NODE(test, "/n", "n1\0b5");
	kxs_expect_access(test, dm, "/n", false, false, false);
}

static void kxs_perms_set_target_through_domain_table(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *dm = kxs_fx_guest(test, 3);
	struct kxs_caller c;

	KXS_MAKE_NODE(test, "/t", "n4");
	kxs_domain_caller(&fx->doms, &dm->ctx, &c);
	KUNIT_EXPECT_EQ(test, c.domid, 3);
	KUNIT_EXPECT_FALSE(test, c.priv);
	KUNIT_EXPECT_EQ(test, c.target, KXS_NO_TARGET);
	KXS_W_RT(test, dm, XS_READ, "/t\0", XS_ERROR, "EACCES\0");

	/* SET_TARGET needs both domains introduced. */
	KUNIT_EXPECT_EQ(test, kxs_domain_set_target(&fx->doms, 3, 4), -ENOENT);
	KUNIT_ASSERT_EQ(test, kxs_domain_introduce(&fx->doms, 3, 30, 1), 0);
	KUNIT_EXPECT_EQ(test, kxs_domain_set_target(&fx->doms, 3, 4), -ENOENT);
	KUNIT_ASSERT_EQ(test, kxs_domain_introduce(&fx->doms, 4, 40, 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_domain_set_target(&fx->doms, 3, 4), 0);

	kxs_domain_caller(&fx->doms, &dm->ctx, &c);
	KUNIT_EXPECT_EQ(test, c.domid, 3);
	KUNIT_EXPECT_FALSE(test, c.priv);
	KUNIT_EXPECT_EQ(test, c.target, 4);

	/* The bound connection now acts for 4 too. */
	KXS_W_RT(test, dm, XS_READ, "/t\0", XS_READ, "val");
	KXS_W_RT(test, dm, XS_WRITE, "/t\0new", XS_WRITE, "OK\0");
	KXS_W_RT(test, dm, XS_SET_PERMS, "/t\0n3\0", XS_ERROR, "EPERM\0");
	KXS_W_RT(test, dm, XS_SET_PERMS, "/t\0b4\0r7\0", XS_SET_PERMS,
		 "OK\0");
	KXS_EXPECT_PERMS(test, "/t", "b4\0r7\0");
	/* What it creates is its own, not the target's. */
	KXS_W_RT(test, dm, XS_WRITE, "/t/x\0", XS_WRITE, "OK\0");
	KXS_EXPECT_PERMS(test, "/t/x", "b3\0r7\0");
	KXS_MAKE_NODE(test, "/other", "n1");
	kxs_expect_access(test, &c, "/other", false, false, false);
	KXS_MAKE_NODE(test, "/own", "n4");
	kxs_expect_access(test, &c, "/own", true, true, true);
}

static void kxs_perms_missing_node_errors_follow_nearest_ancestor(struct kunit *test)
{
	static const char * const readable[] = {
		"/open/x", "/open/x/y", "/closed/open/x", "/closed/open/x/y",
	};
	static const char * const unreadable[] = {
		"/missing", "/closed/x", "/closed/x/y", "/open/closed/x/y",
		"/open/closed",
	};
	struct kxs_store *s = kxs_fx(test)->store;
	const struct kxs_caller *g = KXS_GUEST(7, KXS_NO_TARGET);
	char *buf = kunit_kzalloc(test, KXS_BUF, GFP_KERNEL);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/open/closed", NULL), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/closed/open", NULL), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/wonly", NULL), 0);
	KXS_PERMS(test, "/open", "r0");
	KXS_PERMS(test, "/open/closed", "n0");
	KXS_PERMS(test, "/closed", "n0");
	KXS_PERMS(test, "/closed/open", "r0");
	KXS_PERMS(test, "/wonly", "w0");

	for (i = 0; i < ARRAY_SIZE(readable); i++) {
		const char *p = readable[i];

		KUNIT_EXPECT_EQ_MSG(test, kxs_store_read(s, g, p, buf, KXS_BUF),
				    -ENOENT, "%s", p);
		KUNIT_EXPECT_EQ_MSG(test, kxs_store_directory(s, g, p, buf,
							      KXS_BUF),
				    -ENOENT, "%s", p);
		KUNIT_EXPECT_EQ_MSG(test, kxs_store_directory_part(s, g, p, 0,
								   buf,
								   KXS_BUF),
				    -ENOENT, "%s", p);
		KUNIT_EXPECT_EQ_MSG(test, kxs_store_get_perms(s, g, p, buf,
							      KXS_BUF),
				    -ENOENT, "%s", p);
	}
	for (i = 0; i < ARRAY_SIZE(unreadable); i++) {
		const char *p = unreadable[i];

		KUNIT_EXPECT_EQ_MSG(test, kxs_store_read(s, g, p, buf, KXS_BUF),
				    -EACCES, "%s", p);
		KUNIT_EXPECT_EQ_MSG(test, kxs_store_directory(s, g, p, buf,
							      KXS_BUF),
				    -EACCES, "%s", p);
		KUNIT_EXPECT_EQ_MSG(test, kxs_store_directory_part(s, g, p, 0,
								   buf,
								   KXS_BUF),
				    -EACCES, "%s", p);
		KUNIT_EXPECT_EQ_MSG(test, kxs_store_get_perms(s, g, p, buf,
							      KXS_BUF),
				    -EACCES, "%s", p);
		/* The control domain is told the truth. */
		if (strcmp(p, "/open/closed"))
			KUNIT_EXPECT_EQ_MSG(test, kxs_store_read(s, KXS_AS(0),
								 p, buf,
								 KXS_BUF),
					    -ENOENT, "%s", p);
	}
	/*
	 * Operations that want write judge the ancestor by write, as the
	 * reference daemon's errno_from_parents() does with the access the
	 * operation wants.
	 */
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, g, "/wonly/x/y"), -ENOENT);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, g, "/wonly/x"), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, g, "/open/x/y"), -EACCES);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, g, "/open/x"), -EACCES);
	KUNIT_EXPECT_EQ(test, kxs_store_rm(s, g, "/closed/x"), -EACCES);
	KUNIT_EXPECT_EQ(test, kxs_store_read(s, g, "/wonly/x", buf, KXS_BUF),
			-EACCES);
}

static void kxs_perms_creation_needs_write_on_nearest_ancestor(struct kunit *test)
{
	struct kxs_store *s = kxs_fx(test)->store;
	const struct kxs_caller *g = KXS_GUEST(7, KXS_NO_TARGET);

	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/w/ro", NULL), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/named", NULL), 0);
	KXS_PERMS(test, "/w", "w0");
	KXS_PERMS(test, "/w/ro", "r0");
	KXS_PERMS(test, "/named", "n0\0w7");

	/* Root ("n0") is not writable for a guest. */
	KUNIT_EXPECT_EQ(test, kxs_store_write(s, g, "/top", "v", 1), -EACCES);
	KUNIT_EXPECT_EQ(test, kxs_store_mkdir(s, g, "/top/a", NULL), -EACCES);
	/* Several missing levels below a writable node. */
	KUNIT_EXPECT_EQ(test, kxs_store_write(s, g, "/w/a/b/c", "v", 1), 0);
	KXS_EXPECT_PERMS(test, "/w/a", "w7\0");
	KXS_EXPECT_PERMS(test, "/w/a/b", "w7\0");
	KXS_EXPECT_PERMS(test, "/w/a/b/c", "w7\0");
	/* The nearest existing ancestor decides, not a writable one above. */
	KUNIT_EXPECT_EQ(test, kxs_store_write(s, g, "/w/ro/x", "v", 1),
			-EACCES);
	KUNIT_EXPECT_EQ(test, kxs_store_mkdir(s, g, "/w/ro/x/y", NULL), -EACCES);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/w/ro/x"));
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/top"));
	/* A named write entry is enough; the entries are inherited. */
	KUNIT_EXPECT_EQ(test, kxs_store_mkdir(s, g, "/named/x/y", NULL), 0);
	KXS_EXPECT_PERMS(test, "/named/x", "n7\0w7\0");
	KXS_EXPECT_PERMS(test, "/named/x/y", "n7\0w7\0");
	KUNIT_EXPECT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(8, KXS_NO_TARGET),
					      "/named/z", NULL), -EACCES);
	kxs_fx_expect_check(test, s);
}

static void kxs_perms_new_node_owners(struct kunit *test)
{
	struct kxs_store *s = kxs_fx(test)->store;

	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/g5", NULL), 0);
	KXS_PERMS(test, "/g5", "r5\0w6");
	/* dom0 keeps the parent's owner, at every new level ... */
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_AS(0), "/g5/a/b", "", 0),
			0);
	KXS_EXPECT_PERMS(test, "/g5/a", "r5\0w6\0");
	KXS_EXPECT_PERMS(test, "/g5/a/b", "r5\0w6\0");
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/top", NULL), 0);
	KXS_EXPECT_PERMS(test, "/top", "n0\0");
	/* ... a guest owns what it creates, even with a target. */
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(5, KXS_NO_TARGET),
					      "/g5/five", NULL), 0);
	KXS_EXPECT_PERMS(test, "/g5/five", "r5\0w6\0");
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(6, KXS_NO_TARGET),
					      "/g5/six/x", NULL), 0);
	KXS_EXPECT_PERMS(test, "/g5/six", "r6\0w6\0");
	KXS_EXPECT_PERMS(test, "/g5/six/x", "r6\0w6\0");
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(9, 5),
					      "/g5/nine", NULL), 0);
	KXS_EXPECT_PERMS(test, "/g5/nine", "r9\0w6\0");
	kxs_fx_expect_check(test, s);
}

static void kxs_perms_unprivileged_owner_cannot_change_owner(struct kunit *test)
{
	struct kxs_store *s = kxs_fx(test)->store;
	static const struct kxs_perm to6[] = { { 6, KXS_PERM_NONE } };
	static const struct kxs_perm keep[] = {
		{ 5, KXS_PERM_BOTH }, { 6, KXS_PERM_READ },
	};
	static const struct kxs_perm by6[] = {
		{ 5, KXS_PERM_BOTH }, { 6, KXS_PERM_BOTH },
	};

	KXS_MAKE_NODE(test, "/o", "n5");
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_GUEST(5, KXS_NO_TARGET),
						  "/o", to6, 1), -EPERM);
	KXS_EXPECT_PERMS(test, "/o", "n5\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 0);
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_GUEST(5, KXS_NO_TARGET),
						  "/o", keep, 2), 0);
	KXS_EXPECT_PERMS(test, "/o", "b5\0r6\0");
	/* Read access, or write access, is not ownership. */
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_GUEST(6, KXS_NO_TARGET),
						  "/o", by6, 2), -EACCES);
	KXS_PERMS(test, "/o", "n5\0b6");
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_GUEST(6, KXS_NO_TARGET),
						  "/o", by6, 2), -EACCES);
	KXS_EXPECT_PERMS(test, "/o", "n5\0b6\0");
	/* The control domain gives it away; the old owner has lost it. */
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_AS(0), "/o", to6, 1),
			0);
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_GUEST(5, KXS_NO_TARGET),
						  "/o", keep, 2), -EACCES);
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_GUEST(6, KXS_NO_TARGET),
						  "/o", to6, 1), 0);
	KXS_EXPECT_PERMS(test, "/o", "n6\0");
}

/* Accounting: kxs_store_owned() after every kind of change. */

static void kxs_perms_owned_after_creates(struct kunit *test)
{
	struct kxs_store *s = kxs_fx(test)->store;

	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 1);	/* "/" */
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/w", NULL), 0);
	KXS_PERMS(test, "/w", "w0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 2);
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_GUEST(5, KXS_NO_TARGET),
					      "/w/a/b", "x", 1), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 2);
	/* Rewriting and MKDIR of existing nodes count nothing new. */
	KUNIT_ASSERT_EQ(test, kxs_store_write(s, KXS_GUEST(5, KXS_NO_TARGET),
					      "/w/a/b", "yy", 2), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/w/a", NULL), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 2);
	/* dom0 creating under 5's node: the new node is 5's. */
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/w/a/c/d", NULL), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 4);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 2);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(6, KXS_NO_TARGET),
					      "/w/six", NULL), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 1);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 7);
	/* Refused creations count nothing. */
	KXS_PERMS(test, "/w/a", "n5");
	KUNIT_EXPECT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(6, KXS_NO_TARGET),
					      "/w/a/no", NULL), -EACCES);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 1);
	kxs_fx_expect_check(test, s);
}

static void kxs_perms_owned_after_owner_change(struct kunit *test)
{
	struct kxs_store *s = kxs_fx(test)->store;
	static const struct kxs_perm same[] = {
		{ 5, KXS_PERM_READ }, { 6, KXS_PERM_WRITE },
	};

	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/w", NULL), 0);
	KXS_PERMS(test, "/w", "w0");
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(5, KXS_NO_TARGET),
					      "/w/a/b", NULL), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 2);
	KXS_PERMS(test, "/w/a", "n6");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 1);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 1);
	kxs_fx_expect_check(test, s);
	/* The same owner again: no change. */
	KXS_PERMS(test, "/w/a", "b6\0r5");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 1);
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_GUEST(5, KXS_NO_TARGET),
						  "/w/a/b", same, 2), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 1);
	/* The last node of 5 goes to 0; 5 owns nothing. */
	KXS_PERMS(test, "/w/a/b", "n0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 3);
	kxs_fx_expect_check(test, s);
	/* A refused change changes nothing. */
	KUNIT_EXPECT_EQ(test, kxs_store_set_perms(s, KXS_GUEST(6, KXS_NO_TARGET),
						  "/w/a", same, 2), -EPERM);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 1);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 0);
	kxs_fx_expect_check(test, s);
}

static void kxs_perms_owned_after_rm_of_mixed_subtree(struct kunit *test)
{
	struct kxs_store *s = kxs_fx(test)->store;
	unsigned long nodes = s->nr_nodes;

	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/keep", NULL), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/t/a/x", NULL), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/t/b/y/z", NULL), 0);
	KXS_PERMS(test, "/keep", "n1");
	KXS_PERMS(test, "/t", "n1");
	KXS_PERMS(test, "/t/a", "n2");
	KXS_PERMS(test, "/t/a/x", "n3");
	KXS_PERMS(test, "/t/b", "b3");
	KXS_PERMS(test, "/t/b/y", "n2");
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_GUEST(4, KXS_NO_TARGET),
					      "/t/b/w", NULL), 0);
	/* 1: /keep /t; 2: /t/a /t/b/y; 3: /t/a/x /t/b; 0: "/" /t/b/y/z */
	KXS_PERMS(test, "/t/b/y/z", "n0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 1), 2);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 2), 2);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 3), 2);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 4), 1);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 2);
	kxs_fx_expect_check(test, s);

	/* A guest with write access removes a subtree with others' nodes. */
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_GUEST(4, KXS_NO_TARGET),
					   "/t/b"), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 2), 1);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 3), 1);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 4), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 1);
	kxs_fx_expect_check(test, s);
	KUNIT_ASSERT_EQ(test, kxs_store_rm(s, KXS_AS(0), "/t"), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 1), 1);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 2), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 3), 0);
	KUNIT_EXPECT_EQ(test, s->nr_nodes, nodes + 1);
	kxs_fx_expect_check(test, s);
}

static void kxs_perms_owned_after_commit(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_store *s = fx->store;
	struct kxs_conn *g = kxs_fx_guest(test, 5);
	struct kxs_tx *t;
	u32 tx;

	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/w", NULL), 0);
	KXS_PERMS(test, "/w", "w0");

	/* A guest's creations count in its view, and once committed. */
	tx = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, tx, XS_WRITE, "/w/a/b\0x", XS_WRITE, "OK\0");
	t = kxs_tx_find(&g->ctx, tx);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, t->owned_delta, 2);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 0);
	kxs_fx_expect_check(test, s);
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		 "OK\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 2);
	kxs_fx_expect_check(test, s);

	/* dom0: an owner change and a removal, in one transaction. */
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/w/d", NULL), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 3);
	tx = kxs_w_tx_start(test, fx->conn);
	KXS_W_TX(test, fx->conn, tx, XS_SET_PERMS, "/w/d\0n6\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_TX(test, fx->conn, tx, XS_RM, "/w/a\0", XS_RM, "OK\0");
	KXS_W_TX(test, fx->conn, tx, XS_MKDIR, "/w/d/e\0", XS_MKDIR, "OK\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 2);
	KXS_W_TX(test, fx->conn, tx, XS_TRANSACTION_END, "T\0",
		 XS_TRANSACTION_END, "OK\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 2);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 2);
	kxs_fx_expect_check(test, s);

	/* A commit that fails, or an abort, counts nothing. */
	tx = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, tx, XS_MKDIR, "/w/f\0", XS_MKDIR, "OK\0");
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/w/f\0", XS_MKDIR, "OK\0");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "T\0", XS_ERROR,
		 "EAGAIN\0");
	tx = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, tx, XS_MKDIR, "/w/h\0", XS_MKDIR, "OK\0");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "F\0", XS_TRANSACTION_END,
		 "OK\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 3);
	kxs_fx_expect_check(test, s);
}

static void kxs_perms_owned_after_release(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_store *s = fx->store;
	struct kxs_conn *g = kxs_fx_guest(test, 5);
	struct kxs_conn *other = kxs_fx_guest(test, 6);

	KUNIT_ASSERT_EQ(test, kxs_domain_introduce(&fx->doms, 5, 50, 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/local/domain/5", NULL),
			0);
	KXS_PERMS(test, "/local/domain/5", "n5");
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/shared/six", NULL), 0);
	KXS_PERMS(test, "/shared", "b0");
	KXS_PERMS(test, "/shared/six", "b6");

	/* 5's own nodes, a 6 node and a 0 node below them ... */
	KXS_W_RT(test, g, XS_WRITE, "data/x\0001", XS_WRITE, "OK\0");
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0),
					      "/local/domain/5/data/six", NULL), 0);
	KXS_PERMS(test, "/local/domain/5/data/six", "n6");
	KXS_W_RT(test, g, XS_WRITE, "/shared/five\0v", XS_WRITE, "OK\0");
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0),
					      "/shared/five/zero", NULL), 0);
	KXS_PERMS(test, "/shared/five/zero", "n0");
	/* ... and a 5 node below a 6 node. */
	KXS_W_RT(test, g, XS_MKDIR, "/shared/six/five\0", XS_MKDIR, "OK\0");
	KXS_W_RT(test, other, XS_MKDIR, "/shared/six/six\0", XS_MKDIR, "OK\0");

	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 5);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 3);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 5);
	kxs_fx_expect_check(test, s);

	KUNIT_ASSERT_EQ(test, kxs_domain_release(&fx->doms, s, 5), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 0);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 6), 2);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 4);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/5"));
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/shared/five"));
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/shared/six/five"));
	KUNIT_EXPECT_TRUE(test, kxs_fx_exists(test, "/shared/six/six"));
	KUNIT_EXPECT_TRUE(test, kxs_fx_exists(test, "/local/domain"));
	KUNIT_EXPECT_EQ(test, s->nr_nodes, 6);
	kxs_fx_expect_check(test, s);
	/* The other domain's connection goes on. */
	KXS_W_RT(test, other, XS_DIRECTORY, "/shared/six\0", XS_DIRECTORY,
		 "six\0");
}

static void kxs_perms_check_reports_corruption(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_store *s = fx->store;
	char *text = kunit_kzalloc(test, KXS_BUF, GFP_KERNEL);
	unsigned long owned;
	u32 len;

	KUNIT_ASSERT_NOT_NULL(test, text);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), "/a/b", NULL), 0);
	KXS_PERMS(test, "/a/b", "n5");
	kxs_fx_expect_check(test, s);
	KXS_W_RT(test, fx->conn, XS_CONTROL, "check\0", XS_CONTROL, "OK\0");

	/* One node too many in the store's total. */
	mutex_lock(&s->lock);
	s->nr_nodes++;
	mutex_unlock(&s->lock);
	KUNIT_EXPECT_GT(test, kxs_store_check(s, text, KXS_BUF), 0);
	KUNIT_EXPECT_GT(test, strlen(text), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "nodes"));
	/* CONTROL check tells the client too. */
	KUNIT_EXPECT_EQ(test, kxs_w_call(test, fx->conn, 0, XS_CONTROL,
					 "check", 6, &len), (u32)XS_CONTROL);
	KUNIT_EXPECT_STRNEQ(test, (char *)fx->reply, "OK");
	KUNIT_EXPECT_NOT_NULL(test, strstr((char *)fx->reply, "nodes"));
	mutex_lock(&s->lock);
	s->nr_nodes--;
	mutex_unlock(&s->lock);
	kxs_fx_expect_check(test, s);

	/* A wrong per-domain count. */
	owned = kxs_fx_owned(test, 5);
	KUNIT_ASSERT_EQ(test, owned, 1);
	mutex_lock(&s->lock);
	KUNIT_EXPECT_FALSE(test, xa_is_err(xa_store(s->owned, 5,
						    xa_mk_value(owned + 1),
						    GFP_KERNEL)));
	mutex_unlock(&s->lock);
	text[0] = 'x';
	KUNIT_EXPECT_GT(test, kxs_store_check(s, text, KXS_BUF), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "domain 5"));
	mutex_lock(&s->lock);
	xa_store(s->owned, 5, xa_mk_value(owned), GFP_KERNEL);
	mutex_unlock(&s->lock);
	kxs_fx_expect_check(test, s);

	/* Bytes that nothing accounts for. */
	mutex_lock(&s->lock);
	s->bytes += 8;
	mutex_unlock(&s->lock);
	KUNIT_EXPECT_GT(test, kxs_store_check(s, text, KXS_BUF), 0);
	KUNIT_EXPECT_GT(test, strlen(text), 0);
	mutex_lock(&s->lock);
	s->bytes -= 8;
	mutex_unlock(&s->lock);
	kxs_fx_expect_check(test, s);
}

static struct kunit_case kxs_perms_cases[] = {
	KUNIT_CASE(kxs_perms_control_domain_has_all_access),
	KUNIT_CASE(kxs_perms_owner_has_all_access),
	KUNIT_CASE(kxs_perms_default_access_from_first_entry),
	KUNIT_CASE(kxs_perms_named_entries_override_default),
	KUNIT_CASE(kxs_perms_target_gets_targets_rights),
	KUNIT_CASE(kxs_perms_set_target_through_domain_table),
	KUNIT_CASE(kxs_perms_missing_node_errors_follow_nearest_ancestor),
	KUNIT_CASE(kxs_perms_creation_needs_write_on_nearest_ancestor),
	KUNIT_CASE(kxs_perms_new_node_owners),
	KUNIT_CASE(kxs_perms_unprivileged_owner_cannot_change_owner),
	KUNIT_CASE(kxs_perms_owned_after_creates),
	KUNIT_CASE(kxs_perms_owned_after_owner_change),
	KUNIT_CASE(kxs_perms_owned_after_rm_of_mixed_subtree),
	KUNIT_CASE(kxs_perms_owned_after_commit),
	KUNIT_CASE(kxs_perms_owned_after_release),
	KUNIT_CASE(kxs_perms_check_reports_corruption),
	{}
};

static struct kunit_suite kxs_perms_suite = {
	.name = "kxenstore_perms",
	.init = kxs_fx_init,
	.exit = kxs_fx_exit,
	.test_cases = kxs_perms_cases,
};

kunit_test_suite(kxs_perms_suite);
