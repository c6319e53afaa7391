// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: checkpoint and restore in QEMU's xenstore format.  Byte identity
 * of checkpoint -> restore -> checkpoint, in the same store and in a new
 * one; streams built by hand as QEMU writes them; every truncation and a
 * batch of random mutations rejected with nothing changed, or loaded
 * whole; transactions and watches carried on by the domain's next
 * connection; and oxenstored's live-update property: random requests from
 * several connections give the same replies and events whether or not
 * checkpoint+restore runs between them.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "checkpoint.h"
#include "conn.h"
#include "domain.h"
#include "store.h"
#include "sysfs.h"
#include "kxs_test.h"

/* A second store with its domain table, as a freshly loaded module. */
struct kxs_cpt_env {
	struct kxs_store *store;
	struct kxs_domains doms;
	u32 quota[KXS_QUOTA_NR];
	struct kxs_conn *conns[4];
};

static void kxs_cpt_env_init(struct kunit *test, struct kxs_cpt_env *e)
{
	memset(e, 0, sizeof(*e));
	e->store = kxs_store_create();
	KUNIT_ASSERT_NOT_NULL(test, e->store);
	KUNIT_ASSERT_EQ(test, kxs_domains_init(&e->doms, e->quota), 0);
}

static struct kxs_conn *kxs_cpt_env_conn(struct kunit *test,
					 struct kxs_cpt_env *e, int domid)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(e->conns) && e->conns[i]; i++)
		;
	KUNIT_ASSERT_LT(test, i, (int)ARRAY_SIZE(e->conns));
	e->conns[i] = kxs_conn_create(e->store, &e->doms);
	KUNIT_ASSERT_NOT_NULL(test, e->conns[i]);
	if (domid)
		KUNIT_ASSERT_EQ(test, kxs_conn_bind(e->conns[i], domid), 0);
	return e->conns[i];
}

static void kxs_cpt_env_exit(struct kxs_cpt_env *e)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(e->conns); i++)
		if (e->conns[i])
			kxs_conn_close(e->conns[i]);
	kxs_domains_destroy(&e->doms);
	kxs_store_destroy(e->store);
}

static u8 *kxs_cpt_save(struct kunit *test, struct kxs_store *s,
			struct kxs_domains *d, size_t *len)
{
	u8 *buf;

	KUNIT_ASSERT_EQ(test, kxs_checkpoint_save(s, d, 1, &buf, len), 0);
	return buf;
}

static void kxs_cpt_expect_same(struct kunit *test, const u8 *a,
				size_t alen, const u8 *b, size_t blen,
				const char *what)
{
	size_t i;

	for (i = 0; i < min(alen, blen) && a[i] == b[i]; i++)
		;
	KUNIT_EXPECT_TRUE_MSG(test, alen == blen && i == alen,
			      "%s: %zu and %zu bytes, first difference at %zu",
			      what, alen, blen, i);
}

/*
 * What QEMU's loader, xs_impl_deserialize() in hw/i386/kvm/xenstore_impl.c,
 * answers for a stream of guest @guest's watches, as far as the bytes
 * decide it: 0, -EINVAL where its consume_*() functions refuse the
 * grammar (a short field, a string without its NUL, a length beyond the
 * stream, a flag byte other than NODE_REF alone with bits beyond
 * MODIFIED_IN_TX | DELETED_IN_TX, a tree id above last_tx, trailing
 * bytes), or, negated, what do_xs_impl_watch() returns for a watch (QEMU
 * returns it positive): EINVAL from validate_path() (a "//", a character
 * outside a-zA-Z0-9-/_), E2BIG from it (an absolute path over 3072 bytes,
 * a relative one over 2048), EEXIST for a second watch of one absolute
 * path and token, E2BIG for a watch beyond its XS_MAX_WATCHES, 128.
 * Written from reading that code, in QEMU 8.0 and later; not modelled:
 * whether a NODE_REF's path is in the tree it names.
 */
struct kxs_qemu_in {
	const u8 *p;
	size_t left;
};

static int kxs_qemu_be32(struct kxs_qemu_in *in, u32 *v)
{
	__be32 be;

	if (in->left < sizeof(be))
		return -EINVAL;
	memcpy(&be, in->p, sizeof(be));
	*v = be32_to_cpu(be);
	in->p += sizeof(be);
	in->left -= sizeof(be);
	return 0;
}

static int kxs_qemu_str(struct kxs_qemu_in *in, const char **s)
{
	size_t n = strnlen((const char *)in->p, in->left);

	if (n == in->left)
		return -EINVAL;
	*s = (const char *)in->p;
	in->p += n + 1;
	in->left -= n + 1;
	return 0;
}

/* consume_tree(): an id, then the nodes, without recursion. */
static int kxs_qemu_tree(struct kxs_qemu_in *in, u32 last_tx)
{
	unsigned int depth = 0;
	const char *s;
	u32 v;

	if (kxs_qemu_be32(in, &v) || v > last_tx)
		return -EINVAL;
	for (;;) {
		u8 flags;

		if (!in->left)
			return -EINVAL;
		flags = *in->p++;
		in->left--;
		if (flags == KXS_CP_NODE_REF) {
			if (kxs_qemu_be32(in, &v))
				return -EINVAL;
		} else {
			if (flags & ~(KXS_CP_MODIFIED_IN_TX |
				      KXS_CP_DELETED_IN_TX))
				return -EINVAL;
			if (kxs_qemu_be32(in, &v) || v > in->left)
				return -EINVAL;
			in->p += v;
			in->left -= v;
			do {
				if (kxs_qemu_str(in, &s))
					return -EINVAL;
			} while (*s);
			depth++;
		}
		/* The next child's name, or the ends of child lists. */
		for (;;) {
			if (!depth)
				return 0;
			if (kxs_qemu_str(in, &s))
				return -EINVAL;
			if (*s)
				break;
			depth--;
		}
	}
}

/* validate_path(): the absolute path QEMU files a watch under. */
static int kxs_qemu_watch_path(const char *path, u16 guest, char *abs)
{
	static const char valid[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_";
	size_t len = strlen(path);

	if (!len || strstr(path, "//") || strspn(path, valid) != len)
		return -EINVAL;
	if (path[0] == '/') {
		if (len > XENSTORE_ABS_PATH_MAX)
			return -E2BIG;
		strscpy(abs, path, XENSTORE_ABS_PATH_MAX + 1);
	} else {
		if (len > XENSTORE_REL_PATH_MAX)
			return -E2BIG;
		snprintf(abs, XENSTORE_ABS_PATH_MAX, "/local/domain/%u/%s",
			 guest, path);
	}
	return 0;
}

static int kxs_qemu_load(struct kunit *test, const u8 *buf, size_t len,
			 u16 guest)
{
	struct {
		char abs[XENSTORE_ABS_PATH_MAX + 1];
		char other[XENSTORE_ABS_PATH_MAX + 1];
		const char *seen[2 * KXS_CP_QEMU_WATCHES];
	} *w = kzalloc(sizeof(*w), GFP_KERNEL);
	struct kxs_qemu_in in = { buf, len };
	char *abs, *other;
	const char *path, *token, **seen;
	u32 last_tx, base, domid;
	unsigned int nr = 0, i;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, w);
	abs = w->abs;
	other = w->other;
	seen = w->seen;
	ret = kxs_qemu_be32(&in, &last_tx);
	if (!ret)
		ret = kxs_qemu_tree(&in, last_tx);
	while (!ret) {				/* the transactions */
		ret = kxs_qemu_be32(&in, &base);
		if (ret || !base)
			break;
		ret = kxs_qemu_be32(&in, &domid);
		if (!ret)
			ret = kxs_qemu_tree(&in, last_tx);
	}
	while (!ret) {				/* the watches */
		ret = kxs_qemu_str(&in, &path);
		if (ret || !*path)
			break;
		ret = kxs_qemu_str(&in, &token);
		if (!ret)
			ret = kxs_qemu_watch_path(path, guest, abs);
		for (i = 0; !ret && i < nr; i++) {
			kxs_qemu_watch_path(seen[2 * i], guest, other);
			if (!strcmp(abs, other) &&
			    !strcmp(token, seen[2 * i + 1]))
				ret = -EEXIST;
		}
		if (!ret && nr == KXS_CP_QEMU_WATCHES)
			ret = -E2BIG;
		if (ret)
			break;
		seen[2 * nr] = path;
		seen[2 * nr + 1] = token;
		nr++;
	}
	if (!ret && in.left)
		ret = -EINVAL;
	kfree(w);
	return ret;
}

/* Does checkpoint_omits for guest 1 say QEMU's loader would refuse? */
static bool kxs_cpt_omits_qemu(struct kunit *test, struct kxs_domains *d)
{
	char *omits = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	int len;

	KUNIT_ASSERT_NOT_NULL(test, omits);
	len = kxs_checkpoint_omits(d, 1, false, omits, PAGE_SIZE - 1);
	KUNIT_ASSERT_GE(test, len, 0);
	return !strncmp(omits, "qemu: ", 6) || strstr(omits, "\nqemu: ");
}

/* Drain what is queued for @c (replies, events); return the bytes. */
static size_t kxs_cpt_drain(struct kxs_conn *c, struct kxs_sbuf *log)
{
	u8 buf[512];
	size_t total = 0;
	ssize_t n;

	while ((n = kxs_w_read(c, buf, sizeof(buf))) > 0) {
		if (log)
			kxs_sbuf_bytes(log, buf, n);
		total += n;
	}
	return total;
}

/*
 * A request whose reply comes with events (a WATCH, a commit heard by
 * the connection's own watches): the reply's type, and its payload in
 * fx->reply; the events are drained.
 */
static u32 kxs_cpt_req(struct kunit *test, struct kxs_conn *c, u32 tx,
		       u32 type, const char *req, size_t len)
{
	struct kxs_fx *fx = kxs_fx(test);
	size_t n = kxs_w_msg(fx->buf, type, 7, tx, req, len), off = 0;
	struct kxs_sbuf log = { };
	struct xsd_sockmsg hdr;

	KUNIT_ASSERT_EQ(test, kxs_w_write(c, fx->buf, n), (ssize_t)n);
	kxs_cpt_drain(c, &log);
	/* Events the request set off may come before its reply. */
	for (;;) {
		KUNIT_ASSERT_GE(test, log.len, off + sizeof(hdr));
		memcpy(&hdr, log.buf + off, sizeof(hdr));
		KUNIT_ASSERT_GE(test, log.len, off + sizeof(hdr) + hdr.len);
		if (hdr.type != XS_WATCH_EVENT)
			break;
		off += sizeof(hdr) + hdr.len;
	}
	memcpy(fx->reply, log.buf + off + sizeof(hdr), hdr.len);
	fx->reply[hdr.len] = '\0';
	kvfree(log.buf);
	return hdr.type;
}

static void kxs_cpt_watch(struct kunit *test, struct kxs_conn *c,
			  const char *req, size_t len)
{
	KUNIT_EXPECT_EQ_MSG(test, kxs_cpt_req(test, c, 0, XS_WATCH, req, len),
			    (u32)XS_WATCH, "WATCH %s", req);
}

#define KXS_CPT_WATCH(test, c, req) \
	kxs_cpt_watch(test, c, req, sizeof(req) - 1)

/*
 * A store built by every kind of request, with open transactions that
 * write, remove and resurrect subtrees, a transaction bound to fail, and
 * watches of guest 1 (relative, absolute, special) and of others.
 */
static void kxs_cpt_build(struct kunit *test, u32 *t1, u32 *t4)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *d0 = fx->conn, *g1, *g2, *d0b, *g1b;
	u32 t2, t3, t5;

	KXS_W_RT(test, d0, XS_WRITE, "/a/b\0x", XS_WRITE, "OK\0");
	KXS_W_RT(test, d0, XS_WRITE, "/a/c\0", XS_WRITE, "OK\0");
	KXS_W_RT(test, d0, XS_MKDIR, "/m/n\0", XS_MKDIR, "OK\0");
	KXS_W_RT(test, d0, XS_WRITE, "/gone/x\0y", XS_WRITE, "OK\0");
	KXS_W_RT(test, d0, XS_RM, "/gone\0", XS_RM, "OK\0");
	KXS_W_RT(test, d0, XS_SET_PERMS, "/a/c\0n0\0r1\0w2\0", XS_SET_PERMS,
		 "OK\0");
	KXS_W_RT(test, d0, XS_MKDIR, "/local/domain/1\0", XS_MKDIR, "OK\0");
	KXS_W_RT(test, d0, XS_SET_PERMS, "/local/domain/1\0n1\0", XS_SET_PERMS,
		 "OK\0");
	KXS_W_RT(test, d0, XS_MKDIR, "/local/domain/2\0", XS_MKDIR, "OK\0");
	KXS_W_RT(test, d0, XS_SET_PERMS, "/local/domain/2\0b2\0", XS_SET_PERMS,
		 "OK\0");

	g1 = kxs_fx_guest(test, 1);
	g2 = kxs_fx_guest(test, 2);
	d0b = kxs_fx_conn(test);
	KXS_W_RT(test, g1, XS_WRITE, "data/v\0value", XS_WRITE, "OK\0");
	KXS_W_RT(test, g1, XS_WRITE, "data/old/k\0o", XS_WRITE, "OK\0");
	KXS_W_RT(test, g1, XS_WRITE, "data/deep/dark\0foo", XS_WRITE, "OK\0");
	KXS_W_RT(test, g1, XS_WRITE, "data/deep/dark/rel/p\0q", XS_WRITE,
		 "OK\0");
	KXS_W_RT(test, g1, XS_SET_PERMS, "data/v\0n1\0r2\0", XS_SET_PERMS,
		 "OK\0");
	KXS_W_RT(test, g2, XS_WRITE, "mine\0two", XS_WRITE, "OK\0");

	/* Watches, each with its initial event (drained). */
	KXS_CPT_WATCH(test, g1, "data\0t1\0");
	KXS_CPT_WATCH(test, g1, "/local/domain/1/data/v\0t2\0");
	KXS_CPT_WATCH(test, g1, "@releaseDomain\0t3\0");
	KXS_CPT_WATCH(test, g2, "mine\0t4\0");
	KXS_CPT_WATCH(test, d0b, "/a\0t5\0");
	/* The same watch on another connection of guest 1. */
	g1b = kxs_fx_guest(test, 1);
	KXS_CPT_WATCH(test, g1b, "data\0t1\0");

	/* Guest 1: writes, removes, resurrects. */
	*t1 = kxs_w_tx_start(test, g1);
	KXS_W_TX(test, g1, *t1, XS_WRITE, "data/new\0n", XS_WRITE, "OK\0");
	KXS_W_TX(test, g1, *t1, XS_RM, "data/old\0", XS_RM, "OK\0");
	KXS_W_TX(test, g1, *t1, XS_RM, "data/deep\0", XS_RM, "OK\0");
	KXS_W_TX(test, g1, *t1, XS_WRITE, "data/deep/dark/different/path\0s",
		 XS_WRITE, "OK\0");
	KXS_W_TX(test, g1, *t1, XS_READ, "data/v\0", XS_READ, "value");
	/* The control domain: a write and new permissions. */
	t2 = kxs_w_tx_start(test, d0b);
	KXS_W_TX(test, d0b, t2, XS_WRITE, "/a/new\0z", XS_WRITE, "OK\0");
	KXS_W_TX(test, d0b, t2, XS_SET_PERMS, "/a/b\0n0\0r2\0", XS_SET_PERMS,
		 "OK\0");
	/* Guest 2: nothing yet, and one that makes and removes a node. */
	t3 = kxs_w_tx_start(test, g2);
	KUNIT_EXPECT_NE(test, t3, t2);
	t5 = kxs_w_tx_start(test, g2);
	KXS_W_TX(test, g2, t5, XS_WRITE, "/a/c/tmp\0x", XS_WRITE, "OK\0");
	KXS_W_TX(test, g2, t5, XS_RM, "/a/c/tmp\0", XS_RM, "OK\0");
	/* Bound to fail: what it read changes outside. */
	*t4 = kxs_w_tx_start(test, d0);
	KXS_W_TX(test, d0, *t4, XS_READ, "/m/n\0", XS_READ, "");
	KXS_W_RT(test, d0, XS_WRITE, "/m/n\0changed", XS_WRITE, "OK\0");

	kxs_cpt_drain(g1, NULL);
	kxs_cpt_drain(g1b, NULL);
	kxs_cpt_drain(g2, NULL);
	kxs_cpt_drain(d0b, NULL);
	kxs_cpt_drain(d0, NULL);
}

static void kxs_cpt_round_trip(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_cpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct kxs_conn *g1, *d0;
	size_t alen, blen, clen;
	u8 *a, *b, *c;
	u32 t1, t4, len;
	char req[32];
	int dom;

	KUNIT_ASSERT_NOT_NULL(test, e);
	kxs_cpt_build(test, &t1, &t4);
	a = kxs_cpt_save(test, fx->store, &fx->doms, &alen);
	/* QEMU would refuse its @releaseDomain watch, and is said to. */
	KUNIT_EXPECT_EQ(test, kxs_qemu_load(test, a, alen, 1), -EINVAL);
	KUNIT_EXPECT_TRUE(test, kxs_cpt_omits_qemu(test, &fx->doms));

	/* The same store: a no-op, byte for byte. */
	KUNIT_EXPECT_EQ(test, kxs_checkpoint_restore(fx->store, &fx->doms, 1,
						     a, alen), 0);
	b = kxs_cpt_save(test, fx->store, &fx->doms, &blen);
	kxs_cpt_expect_same(test, a, alen, b, blen, "same store");
	kvfree(b);

	/* A new store: the same bytes, the same tree and accounting. */
	kxs_cpt_env_init(test, e);
	KUNIT_EXPECT_EQ(test, kxs_checkpoint_restore(e->store, &e->doms, 1,
						     a, alen), 0);
	c = kxs_cpt_save(test, e->store, &e->doms, &clen);
	kxs_cpt_expect_same(test, a, alen, c, clen, "new store");
	kvfree(c);
	for (dom = 0; dom < 3; dom++)
		KUNIT_EXPECT_EQ_MSG(test, kxs_store_owned(e->store, dom),
				    kxs_store_owned(fx->store, dom),
				    "nodes of domain %d", dom);
	kxs_fx_expect_check(test, e->store);

	/*
	 * Guest 1's next connection gets its watches and transaction.  The
	 * copy of "data" on guest 1's second connection is not carried.
	 */
	g1 = kxs_cpt_env_conn(test, e, 1);
	KUNIT_EXPECT_EQ(test, kxs_cpt_drain(g1, NULL),
			3 * KXS_HDR_SIZE + sizeof("data\0t1") +
			sizeof("/local/domain/1/data/v\0t2") +
			sizeof("@releaseDomain\0t3"));
	KXS_W_RT(test, g1, XS_WATCH, "data\0t1\0", XS_ERROR, "EEXIST\0");
	KUNIT_EXPECT_EQ(test, kxs_cpt_drain(kxs_cpt_env_conn(test, e, 1),
					    NULL), 0);
	/* Adopted under the guest's transaction-nodes quota. */
	e->quota[KXS_QUOTA_TX_NODES] = 1;
	KXS_W_TX(test, g1, t1, XS_READ, "data/new\0", XS_READ, "n");
	KXS_W_TX(test, g1, t1, XS_WRITE, "data/more\0m", XS_ERROR,
		 "ENOSPC\0");
	e->quota[KXS_QUOTA_TX_NODES] = 0;
	KUNIT_EXPECT_EQ_MSG(test, kxs_cpt_req(test, g1, t1,
					      XS_TRANSACTION_END, "T", 2),
			    (u32)XS_TRANSACTION_END, "%s", fx->reply);
	KXS_W_RT(test, g1, XS_READ, "data/deep/dark/different/path\0", XS_READ,
		 "s");
	KXS_W_RT(test, g1, XS_READ, "data/old/k\0", XS_ERROR, "ENOENT\0");
	/* The one bound to fail fails, for the control domain. */
	d0 = kxs_cpt_env_conn(test, e, 0);
	snprintf(req, sizeof(req), "T");
	KUNIT_EXPECT_EQ(test, kxs_w_call(test, d0, t4, XS_TRANSACTION_END,
					 req, 2, &len), (u32)XS_ERROR);
	KUNIT_EXPECT_STREQ(test, fx->reply, "EAGAIN");
	kxs_fx_expect_check(test, e->store);
	kxs_cpt_env_exit(e);
	kvfree(a);
}

/*
 * An older checkpoint restored over a changed store brings back exactly
 * its tree: what changed since (values, permissions, nodes added and
 * removed deep and shallow) is undone, the rest is left alone.
 */
static void kxs_cpt_older(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *d0 = fx->conn;
	size_t alen, blen;
	u8 *a, *b;

	KXS_W_RT(test, d0, XS_WRITE, "/a/b/c\0x", XS_WRITE, "OK\0");
	KXS_W_RT(test, d0, XS_WRITE, "/a/d\0y", XS_WRITE, "OK\0");
	KXS_W_RT(test, d0, XS_WRITE, "/e/f/g/h\0z", XS_WRITE, "OK\0");
	KXS_W_RT(test, d0, XS_WRITE, "/keep/me\0k", XS_WRITE, "OK\0");
	a = kxs_cpt_save(test, fx->store, &fx->doms, &alen);

	KXS_W_RT(test, d0, XS_WRITE, "/a/b/c\0changed", XS_WRITE, "OK\0");
	KXS_W_RT(test, d0, XS_SET_PERMS, "/a/d\0n0\0r3\0", XS_SET_PERMS,
		 "OK\0");
	KXS_W_RT(test, d0, XS_RM, "/e/f\0", XS_RM, "OK\0");
	KXS_W_RT(test, d0, XS_WRITE, "/a/b/new/deep\0n", XS_WRITE, "OK\0");
	KXS_W_RT(test, d0, XS_WRITE, "/top\0t", XS_WRITE, "OK\0");

	KUNIT_ASSERT_EQ(test, kxs_checkpoint_restore(fx->store, &fx->doms, 1,
						     a, alen), 0);
	b = kxs_cpt_save(test, fx->store, &fx->doms, &blen);
	kxs_cpt_expect_same(test, a, alen, b, blen, "older checkpoint");
	KXS_W_RT(test, d0, XS_READ, "/e/f/g/h\0", XS_READ, "z");
	KXS_W_RT(test, d0, XS_READ, "/top\0", XS_ERROR, "ENOENT\0");
	kxs_fx_expect_check(test, fx->store);
	kvfree(a);
	kvfree(b);
}

/* A stream written as QEMU does: children unsorted, NODE_REFs. */
static void kxs_cpt_node(struct kxs_sbuf *b, const char *name, u8 flags,
			 const char *value, const char *perms)
{
	if (name)
		kxs_sbuf_str(b, name);
	kxs_sbuf_u8(b, flags);
	kxs_sbuf_be32(b, strlen(value));
	kxs_sbuf_bytes(b, value, strlen(value));
	for (; *perms; perms += strlen(perms) + 1)
		kxs_sbuf_str(b, perms);
	kxs_sbuf_u8(b, 0);
}

static void kxs_cpt_ref(struct kxs_sbuf *b, const char *name, u32 tx)
{
	kxs_sbuf_str(b, name);
	kxs_sbuf_u8(b, KXS_CP_NODE_REF);
	kxs_sbuf_be32(b, tx);
}

/* Variants of the hand-built stream, each made invalid in one way. */
enum kxs_cpt_bad {
	KXS_BAD_NONE,
	KXS_BAD_REF_UNKNOWN,
	KXS_BAD_REF_IN_MAIN,
	KXS_BAD_DUP_CHILD,
	KXS_BAD_PERM,
	KXS_BAD_NAME,
	KXS_BAD_TX_ID_1,
	KXS_BAD_TRAILING,
	KXS_BAD_NO_PERMS,
	KXS_BAD_LAST_TX,
	KXS_BAD_WATCH_PATH,
	KXS_BAD_FLAGS,
	KXS_BAD_SLASH,
	KXS_BAD_LIVE_BELOW_DELETED,
	KXS_BAD_NR,
};

static void kxs_cpt_qemu_stream(struct kxs_sbuf *b, enum kxs_cpt_bad bad)
{
	kxs_sbuf_be32(b, bad == KXS_BAD_LAST_TX ? 6 : 7);
	kxs_sbuf_be32(b, 5);				/* main tree */
	kxs_cpt_node(b, NULL, KXS_CP_MODIFIED_IN_TX, "", "n0\0");
	kxs_cpt_node(b, "b", 0, "B", "r0\0");
	kxs_sbuf_u8(b, 0);
	kxs_cpt_node(b, "a", 0, "A", "n0\0r1\0");
	kxs_cpt_node(b, bad == KXS_BAD_NAME ? "x y" :
		     bad == KXS_BAD_SLASH ? "x/z" : "x", 0, "X",
		     bad == KXS_BAD_PERM ? "x0\0" : "n0\0r1\0");
	kxs_sbuf_u8(b, 0);
	if (bad == KXS_BAD_REF_IN_MAIN)
		kxs_cpt_ref(b, "r", 5);
	kxs_sbuf_u8(b, 0);				/* end of a */
	/* QEMU can leave a removed node in its main tree: absent. */
	kxs_cpt_node(b, "gone", KXS_CP_DELETED_IN_TX, "", "n0\0");
	kxs_sbuf_u8(b, 0);
	kxs_cpt_node(b, "d", 0, "D", "b1\0");		/* d/e/f */
	kxs_cpt_node(b, "e", 0, "E", "b1\0");
	kxs_cpt_node(b, "f", 0, "F", "b1\0");
	kxs_sbuf_u8(b, 0);
	kxs_sbuf_u8(b, 0);
	kxs_sbuf_u8(b, 0);
	kxs_cpt_node(b, "r", 0, "R", "b1\0");		/* r/s, r/t */
	kxs_cpt_node(b, "t", 0, "T", "b1\0");
	kxs_sbuf_u8(b, 0);
	kxs_cpt_node(b, "s", 0, "S", "b1\0");
	kxs_sbuf_u8(b, 0);
	kxs_sbuf_u8(b, 0);
	if (bad == KXS_BAD_DUP_CHILD) {
		kxs_cpt_node(b, "b", 0, "B", "r0\0");
		kxs_sbuf_u8(b, 0);
	}
	kxs_sbuf_u8(b, 0);				/* end of / */

	kxs_sbuf_be32(b, 5);				/* base: current */
	kxs_sbuf_be32(b, 1);				/* guest 1 */
	kxs_sbuf_be32(b, bad == KXS_BAD_TX_ID_1 ? 1 : 6);
	kxs_cpt_node(b, NULL, 0, "", "n0\0");
	kxs_cpt_node(b, "c", bad == KXS_BAD_FLAGS ? 0x10 :
		     KXS_CP_MODIFIED_IN_TX, "C6",
		     bad == KXS_BAD_NO_PERMS ? "" : "n1\0");
	kxs_sbuf_u8(b, 0);
	kxs_cpt_ref(b, "a", bad == KXS_BAD_REF_UNKNOWN ? 9 : 5);
	kxs_cpt_node(b, "b", KXS_CP_MODIFIED_IN_TX, "B6", "r0\0");
	kxs_sbuf_u8(b, 0);
	/* QEMU's removal: the whole subtree, each node a removed copy. */
	kxs_cpt_node(b, "d", KXS_CP_DELETED_IN_TX | KXS_CP_MODIFIED_IN_TX, "",
		     "b1\0");
	kxs_cpt_node(b, "e", KXS_CP_DELETED_IN_TX, "", "b1\0");
	kxs_cpt_node(b, "f", bad == KXS_BAD_LIVE_BELOW_DELETED ? 0 :
		     KXS_CP_DELETED_IN_TX, "", "b1\0");
	kxs_sbuf_u8(b, 0);
	kxs_sbuf_u8(b, 0);
	kxs_sbuf_u8(b, 0);
	kxs_cpt_ref(b, "gone", 5);
	/* Removed, then made again below: the rest stays removed. */
	kxs_cpt_node(b, "r", KXS_CP_MODIFIED_IN_TX, "", "b1\0");
	kxs_cpt_node(b, "s", KXS_CP_DELETED_IN_TX, "", "b1\0");
	kxs_sbuf_u8(b, 0);
	kxs_cpt_node(b, "new", KXS_CP_MODIFIED_IN_TX, "N", "b1\0");
	kxs_sbuf_u8(b, 0);
	kxs_cpt_node(b, "t", KXS_CP_DELETED_IN_TX, "", "");
	kxs_sbuf_u8(b, 0);
	kxs_sbuf_u8(b, 0);
	kxs_sbuf_u8(b, 0);

	kxs_sbuf_be32(b, 4);				/* base: stale */
	kxs_sbuf_be32(b, 0);
	kxs_sbuf_be32(b, 7);
	kxs_cpt_node(b, NULL, 0, "", "n0\0");
	kxs_cpt_ref(b, "b", 6);				/* into tx 6 */
	kxs_cpt_ref(b, "a", 6);				/* via tx 6 to 5 */
	kxs_sbuf_u8(b, 0);
	kxs_sbuf_be32(b, 0);				/* XBT_NULL */

	kxs_sbuf_str(b, bad == KXS_BAD_WATCH_PATH ? "da//ta" : "data");
	kxs_sbuf_str(b, "tok");
	kxs_sbuf_str(b, "/a");
	kxs_sbuf_str(b, "tok2");
	kxs_sbuf_u8(b, 0);
	if (bad == KXS_BAD_TRAILING)
		kxs_sbuf_u8(b, 0);
}

static void kxs_cpt_qemu(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *d0 = fx->conn, *g1;
	struct kxs_sbuf b = { };
	int bad;

	for (bad = KXS_BAD_NONE + 1; bad < KXS_BAD_NR; bad++) {
		struct kxs_sbuf x = { };
		int ret;

		kxs_cpt_qemu_stream(&x, bad);
		KUNIT_ASSERT_EQ(test, x.err, 0);
		/* As QEMU's loader, the model refuses these: */
		if (bad == KXS_BAD_LAST_TX || bad == KXS_BAD_FLAGS ||
		    bad == KXS_BAD_TRAILING)
			KUNIT_EXPECT_EQ_MSG(test, kxs_qemu_load(test, x.buf,
								x.len, 1),
					    -EINVAL, "variant %d", bad);
		if (bad == KXS_BAD_WATCH_PATH)
			KUNIT_EXPECT_EQ(test, kxs_qemu_load(test, x.buf, x.len,
							    1), -EINVAL);
		ret = kxs_checkpoint_restore(fx->store, &fx->doms, 1, x.buf,
					     x.len);
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL, "variant %d", bad);
		kvfree(x.buf);
	}
	KXS_W_RT(test, d0, XS_DIRECTORY, "/\0", XS_DIRECTORY, "");

	kxs_cpt_qemu_stream(&b, KXS_BAD_NONE);
	KUNIT_ASSERT_EQ(test, b.err, 0);
	/* The model of QEMU's loader takes it. */
	KUNIT_EXPECT_EQ(test, kxs_qemu_load(test, b.buf, b.len, 1), 0);
	KUNIT_ASSERT_EQ(test, kxs_checkpoint_restore(fx->store, &fx->doms, 1,
						     b.buf, b.len), 0);
	kvfree(b.buf);
	KXS_W_RT(test, d0, XS_DIRECTORY, "/\0", XS_DIRECTORY,
		 "a\0b\0d\0r\0");
	KXS_W_RT(test, d0, XS_READ, "/a\0", XS_READ, "A");
	KXS_W_RT(test, d0, XS_READ, "/a/x\0", XS_READ, "X");
	KXS_W_RT(test, d0, XS_GET_PERMS, "/a\0", XS_GET_PERMS, "n0\0r1\0");
	KXS_W_RT(test, d0, XS_READ, "/b\0", XS_READ, "B");
	KXS_W_RT(test, d0, XS_READ, "/d/e/f\0", XS_READ, "F");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 0), 4UL);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 1), 6UL);

	g1 = kxs_fx_guest(test, 1);
	/* Two watches adopted, each fires once. */
	KUNIT_EXPECT_EQ(test, kxs_cpt_drain(g1, NULL),
			2 * KXS_HDR_SIZE + sizeof("data\0tok") +
			sizeof("/a\0tok2"));
	KXS_W_TX(test, g1, 6, XS_READ, "/b\0", XS_READ, "B6");
	KXS_W_TX(test, g1, 6, XS_READ, "/c\0", XS_READ, "C6");
	KXS_W_TX(test, g1, 6, XS_READ, "/a/x\0", XS_READ, "X");
	/* Gone: guest 1 may read /d, not the root, its nearest ancestor. */
	KXS_W_TX(test, g1, 6, XS_READ, "/d\0", XS_ERROR, "EACCES\0");
	KXS_W_TX(test, g1, 6, XS_READ, "/r\0", XS_READ, "");
	KXS_W_TX(test, g1, 6, XS_DIRECTORY, "/r\0", XS_DIRECTORY, "new\0");
	KXS_W_TX(test, g1, 6, XS_READ, "/r/new\0", XS_READ, "N");
	KXS_W_TX(test, d0, 7, XS_READ, "/b\0", XS_READ, "B6");
	KXS_W_TX(test, d0, 7, XS_READ, "/c\0", XS_ERROR, "ENOENT\0");
	KXS_W_TX(test, d0, 7, XS_TRANSACTION_END, "T\0", XS_ERROR, "EAGAIN\0");
	KUNIT_EXPECT_EQ(test, kxs_cpt_req(test, g1, 6, XS_TRANSACTION_END,
					  "T", 2), (u32)XS_TRANSACTION_END);
	KXS_W_RT(test, d0, XS_READ, "/b\0", XS_READ, "B6");
	KXS_W_RT(test, d0, XS_READ, "/c\0", XS_READ, "C6");
	KXS_W_RT(test, d0, XS_DIRECTORY, "/\0", XS_DIRECTORY,
		 "a\0b\0c\0r\0");
	KXS_W_RT(test, d0, XS_DIRECTORY, "/r\0", XS_DIRECTORY, "new\0");
	/* Ids go on after the stream's last one. */
	KUNIT_EXPECT_EQ(test, kxs_w_tx_start(test, d0), 8U);
	kxs_fx_expect_check(test, fx->store);
}

/* The stream of a store with only its root, up to its watch list. */
static void kxs_cpt_empty_head(struct kxs_sbuf *b)
{
	kxs_sbuf_be32(b, KXS_CP_MAIN_TX);		/* last_tx */
	kxs_sbuf_be32(b, KXS_CP_MAIN_TX);
	kxs_cpt_node(b, NULL, 0, "", "n0\0");
	kxs_sbuf_u8(b, 0);				/* no children */
	kxs_sbuf_be32(b, 0);				/* XBT_NULL */
}

/*
 * The watches that guest 1's next connection adopts: the bytes of their
 * events.  The connection is closed: its watches go with it.
 */
static size_t kxs_cpt_adopted(struct kunit *test)
{
	struct kxs_conn *g1 = kxs_fx_guest(test, 1);
	size_t n = kxs_cpt_drain(g1, NULL);

	kxs_fx_close(test, g1);
	return n;
}

/*
 * A restored watch is one WATCH could have made: its events (the path as
 * the stream gives it, the token, their NULs) fit in a message.  With
 * "/t" (or "t", relative: its events say "t") the longest token is 4092
 * (4093) bytes; one more and the stream is refused, nothing parked,
 * where it used to be parked and never fire.
 */
static void kxs_cpt_watch_too_long(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *token = kunit_kzalloc(test, KXS_PAYLOAD_MAX + 1, GFP_KERNEL);
	static const char *const paths[] = { "/t", "t" };
	char omits[64];
	int i, extra;

	KUNIT_ASSERT_NOT_NULL(test, token);
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		for (extra = 1; extra >= 0; extra--) {
			size_t plen = strlen(paths[i]);
			size_t tlen = KXS_PAYLOAD_MAX - plen - 2 + extra;
			struct kxs_sbuf b = { };
			int ret;

			memset(token, 'k', tlen);
			token[tlen] = '\0';
			kxs_cpt_empty_head(&b);
			kxs_sbuf_str(&b, paths[i]);
			kxs_sbuf_str(&b, token);
			kxs_sbuf_u8(&b, 0);
			KUNIT_ASSERT_EQ(test, b.err, 0);
			ret = kxs_checkpoint_restore(fx->store, &fx->doms, 1,
						     b.buf, b.len);
			kvfree(b.buf);
			KUNIT_EXPECT_EQ_MSG(test, ret, extra ? -EINVAL : 0,
					    "%s, token of %zu bytes",
					    paths[i], tlen);
			/* Parked for guest 1: listed when guest 2's are. */
			omits[kxs_checkpoint_omits(&fx->doms, 2, false, omits,
						   sizeof(omits))] = '\0';
			KUNIT_EXPECT_STREQ_MSG(test, omits,
					       extra ? "" :
					       "watches 1 (domain 1, ...)\n",
					       "%s, token of %zu bytes",
					       paths[i], tlen);
		}
		/* It fires: one event of the most a message holds. */
		KUNIT_EXPECT_EQ(test, kxs_cpt_adopted(test),
				KXS_HDR_SIZE + KXS_PAYLOAD_MAX);
	}
}

/*
 * Copies of one watch of the checkpointed guest (the same path, made
 * absolute, and token) on two of its connections: the stream carries one
 * of each, as QEMU's loader takes one (do_xs_impl_watch(): EEXIST for a
 * second), an absolute one rather than a relative one; checkpoint_omits
 * counts the copies left out.  A new store's guest 1 gets one of each.
 */
static void kxs_cpt_watch_copies(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	static const char want[] = "\0\0\0\0/local/domain/1/x\0tx\0data\0t1\0";
	struct kxs_cpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct kxs_sbuf s = { };
	struct kxs_conn *a, *b;
	char omits[64];
	size_t len;
	u8 *buf;

	KUNIT_ASSERT_NOT_NULL(test, e);
	a = kxs_fx_guest(test, 1);
	b = kxs_fx_guest(test, 1);
	KXS_CPT_WATCH(test, a, "data\0t1\0");
	KXS_CPT_WATCH(test, a, "/local/domain/1/x\0tx\0");
	KXS_CPT_WATCH(test, b, "data\0t1\0");
	KXS_CPT_WATCH(test, b, "x\0tx\0");

	/* XBT_NULL, then the list: each once, in saved path order. */
	buf = kxs_cpt_save(test, fx->store, &fx->doms, &len);
	KUNIT_ASSERT_GE(test, len, sizeof(want));
	KUNIT_EXPECT_MEMEQ(test, buf + len - sizeof(want), want,
			   sizeof(want));
	omits[kxs_checkpoint_omits(&fx->doms, 1, false, omits,
				   sizeof(omits))] = 0;
	KUNIT_EXPECT_STREQ(test, omits, "watches 2 (domain 1, ...)\n");
	KUNIT_EXPECT_EQ(test, kxs_qemu_load(test, buf, len, 1), 0);
	/* What QEMU's loader would have said of the copies. */
	kxs_cpt_empty_head(&s);
	kxs_sbuf_bytes(&s, want + 4, sizeof(want) - 5);
	kxs_sbuf_bytes(&s, "x\0tx\0", 6);
	kxs_sbuf_u8(&s, 0);
	KUNIT_ASSERT_EQ(test, s.err, 0);
	KUNIT_EXPECT_EQ(test, kxs_qemu_load(test, s.buf, s.len, 1), -EEXIST);
	kvfree(s.buf);

	kxs_cpt_env_init(test, e);
	KUNIT_EXPECT_EQ(test, kxs_checkpoint_restore(e->store, &e->doms, 1,
						     buf, len), 0);
	KUNIT_EXPECT_EQ(test, kxs_cpt_drain(kxs_cpt_env_conn(test, e, 1),
					    NULL),
			2 * KXS_HDR_SIZE + sizeof("/local/domain/1/x\0tx") +
			sizeof("data\0t1"));
	KUNIT_EXPECT_EQ(test, kxs_cpt_drain(kxs_cpt_env_conn(test, e, 1),
					    NULL), 0);
	kxs_cpt_env_exit(e);
	kvfree(buf);
}

/* Guest 1's checkpoint_omits, as text. */
static const char *kxs_cpt_omits(struct kunit *test, struct kxs_domains *d)
{
	char *omits = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, omits);
	KUNIT_ASSERT_GE(test, kxs_checkpoint_omits(d, 1, false, omits,
						   PAGE_SIZE - 1), 0);
	return omits;
}

/*
 * Watches that QEMU's loader refuses, carried for kxenstore's own restore
 * and listed in checkpoint_omits: paths with an '@' (special ones, and
 * others), more than 128 watches of the guest (128 registered, then a
 * restore parks one more).  Without them the stream loads.
 */
static void kxs_cpt_qemu_watches(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_cpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct kxs_conn *g1 = kxs_fx_guest(test, 1);
	size_t len, events = 0;
	struct kxs_sbuf b = { };
	char req[32];
	int i, n;
	u8 *buf;

	KUNIT_ASSERT_NOT_NULL(test, e);
	KXS_CPT_WATCH(test, g1, "@releaseDomain\0t\0");
	KXS_CPT_WATCH(test, g1, "/a@b\0t\0");
	KXS_CPT_WATCH(test, g1, "w1\0t\0");
	buf = kxs_cpt_save(test, fx->store, &fx->doms, &len);
	KUNIT_EXPECT_EQ(test, kxs_qemu_load(test, buf, len, 1), -EINVAL);
	kvfree(buf);
	KUNIT_EXPECT_STREQ(test, kxs_cpt_omits(test, &fx->doms),
			   "qemu: 2 watches on paths with '@' (e.g. @releaseDomain)\n");
	KXS_W_RT(test, g1, XS_UNWATCH, "@releaseDomain\0t\0", XS_UNWATCH,
		 "OK\0");
	KXS_W_RT(test, g1, XS_UNWATCH, "/a@b\0t\0", XS_UNWATCH, "OK\0");

	/* 128: the most QEMU takes. */
	for (i = 2; i <= KXS_CP_QEMU_WATCHES; i++) {
		n = scnprintf(req, sizeof(req), "w%d%ct", i, 0);
		kxs_cpt_watch(test, g1, req, n + 1);
	}
	buf = kxs_cpt_save(test, fx->store, &fx->doms, &len);
	KUNIT_EXPECT_EQ(test, kxs_qemu_load(test, buf, len, 1), 0);
	kvfree(buf);
	KUNIT_EXPECT_STREQ(test, kxs_cpt_omits(test, &fx->doms), "");

	/* One more, parked by a restore. */
	kxs_cpt_empty_head(&b);
	kxs_sbuf_str(&b, "w0");
	kxs_sbuf_str(&b, "t");
	kxs_sbuf_u8(&b, 0);
	KUNIT_ASSERT_EQ(test, b.err, 0);
	KUNIT_ASSERT_EQ(test, kxs_checkpoint_restore(fx->store, &fx->doms, 1,
						     b.buf, b.len), 0);
	kvfree(b.buf);
	buf = kxs_cpt_save(test, fx->store, &fx->doms, &len);
	KUNIT_EXPECT_EQ(test, kxs_qemu_load(test, buf, len, 1), -E2BIG);
	KUNIT_EXPECT_STREQ(test, kxs_cpt_omits(test, &fx->doms),
			   "qemu: 129 watches, more than the 128 QEMU takes\n");

	/* kxenstore's restore takes them all: 129 events at adoption. */
	for (i = 0; i <= KXS_CP_QEMU_WATCHES; i++)
		events += KXS_HDR_SIZE + scnprintf(req, sizeof(req), "w%d", i) +
			  sizeof("t") + 1;
	kxs_cpt_env_init(test, e);
	KUNIT_EXPECT_EQ(test, kxs_checkpoint_restore(e->store, &e->doms, 1,
						     buf, len), 0);
	KUNIT_EXPECT_EQ(test, kxs_cpt_drain(kxs_cpt_env_conn(test, e, 1),
					    NULL), events);
	kxs_cpt_env_exit(e);
	kvfree(buf);
}

/*
 * Every truncation and many random mutations of a stream: rejected with
 * nothing changed (the store's own checkpoint is the same bytes), or
 * loaded whole.
 */
static void kxs_cpt_corrupt(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_cpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct rnd_state rnd;
	size_t alen, blen, nlen, cut;
	u8 *a, *before, *now, *m;
	u32 t1, t4;
	int i, ret, loaded = 0;

	KUNIT_ASSERT_NOT_NULL(test, e);
	kxs_cpt_build(test, &t1, &t4);
	a = kxs_cpt_save(test, fx->store, &fx->doms, &alen);
	m = kunit_kzalloc(test, alen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);

	/* The target: another store, with content of its own. */
	kxs_cpt_env_init(test, e);
	KXS_W_RT(test, kxs_cpt_env_conn(test, e, 0), XS_WRITE,
		 "/other\0content", XS_WRITE, "OK\0");
	before = kxs_cpt_save(test, e->store, &e->doms, &blen);

	for (cut = 0; cut < alen; cut++) {
		memcpy(m, a, cut);
		ret = kxs_checkpoint_restore(e->store, &e->doms, 1, m, cut);
		if (ret != -EINVAL)
			KUNIT_FAIL(test, "cut at %zu: %d", cut, ret);
		now = kxs_cpt_save(test, e->store, &e->doms, &nlen);
		if (nlen != blen || memcmp(now, before, blen))
			KUNIT_FAIL(test, "cut at %zu changed the store", cut);
		kvfree(now);
	}

	prandom_seed_state(&rnd, 20261121);
	for (i = 0; i < 400; i++) {
		int n = 1 + prandom_u32_state(&rnd) % 3;

		memcpy(m, a, alen);
		while (n--)
			m[prandom_u32_state(&rnd) % alen] ^=
				1 + prandom_u32_state(&rnd) % 255;
		ret = kxs_checkpoint_restore(e->store, &e->doms, 1, m, alen);
		now = kxs_cpt_save(test, e->store, &e->doms, &nlen);
		if (ret) {
			if (nlen != blen || memcmp(now, before, blen))
				KUNIT_FAIL(test, "mutation %d failed (%d) and changed the store",
					   i, ret);
			kvfree(now);
			continue;
		}
		/* Loaded: the store is consistent and is the stream's. */
		loaded++;
		kxs_fx_expect_check(test, e->store);
		kvfree(before);
		before = now;
		blen = nlen;
		ret = kxs_checkpoint_restore(e->store, &e->doms, 1, before,
					     blen);
		KUNIT_EXPECT_EQ(test, ret, 0);
	}
	kunit_info(test, "%d of 400 mutated streams were valid and loaded\n",
		   loaded);
	kvfree(before);
	kvfree(a);
	kxs_cpt_env_exit(e);
}

/*
 * Streams arrive at the sysfs file a page (or less) at a time: the
 * scanner finds their end whatever the pieces, and refuses bytes after it.
 */
static void kxs_cpt_scan(struct kunit *test)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 4096, 1 << 20 };
	struct kxs_fx *fx = kxs_fx(test);
	size_t alen, i, cut;
	u32 t1, t4;
	u8 *a, *m;

	kxs_cpt_build(test, &t1, &t4);
	a = kxs_cpt_save(test, fx->store, &fx->doms, &alen);
	m = kunit_kzalloc(test, alen + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	memcpy(m, a, alen);
	for (i = 0; i < ARRAY_SIZE(chunks); i++) {
		KUNIT_EXPECT_EQ_MSG(test, kxs_sysfs_scan(a, alen, chunks[i], false),
				    (ssize_t)alen, "pieces of %zu", chunks[i]);
		KUNIT_EXPECT_EQ_MSG(test, kxs_sysfs_scan(m, alen + 1,
							 chunks[i], false),
				    (ssize_t)-EINVAL, "trailing byte, pieces of %zu",
				    chunks[i]);
	}
	for (cut = 0; cut < alen; cut++)
		if (kxs_sysfs_scan(a, cut, 4096, false) != 0)
			KUNIT_FAIL(test, "complete after %zu of %zu bytes", cut,
				   alen);
	/* A bad flag is refused as soon as it is seen. */
	m[8] = 0x40;
	KUNIT_EXPECT_EQ(test, kxs_sysfs_scan(m, 9, 4096, false),
			(ssize_t)-EINVAL);
	kvfree(a);
}

/* Where @n bytes of @needle are in @len bytes of @hay, or NULL. */
static u8 *kxs_cpt_find(u8 *hay, size_t len, const void *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* A checkpoint with the domain section. */
static u8 *kxs_cpt_save_domains(struct kunit *test, struct kxs_store *s,
				struct kxs_domains *d, size_t *len)
{
	u8 *buf;

	KUNIT_ASSERT_EQ(test, kxs_checkpoint_save_domains(s, d, 1, &buf, len),
			0);
	return buf;
}

/*
 * The domain section carries what QEMU's format cannot: the domains'
 * state, the special paths' permissions, and the watches the list leaves
 * out (another guest's, with a depth, a copy).  Restored into a fresh
 * store, a checkpoint of that is the same bytes, and the watches go to
 * their domains' next connections; a section that is not valid, or a
 * store with domains already, changes nothing.
 */
static void kxs_cpt_domain_section(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_cpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct kxs_conn *g1 = kxs_fx_guest(test, 1);
	struct kxs_conn *g1b = kxs_fx_guest(test, 1);
	struct kxs_conn *g5 = kxs_fx_guest(test, 5);
	char *omits = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	static const char ev5[] = "x\0t 5\n";
	struct kxs_sbuf log = { };
	size_t alen, blen, i;
	struct kxs_domain_state *st;
	u8 *a, *b, *bad;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_NOT_NULL(test, omits);
	KXS_W_RT(test, fx->conn, XS_INTRODUCE, "5\00050\0003\0", XS_INTRODUCE,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_INTRODUCE, "6\000-1\0004\0", XS_INTRODUCE,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_TARGET, "6\0005\0", XS_SET_TARGET,
		 "OK\0");
	KUNIT_ASSERT_EQ(test, kxs_domain_set_quota(&fx->doms, 5,
						   KXS_QUOTA_NODES, 77), 0);
	KUNIT_ASSERT_EQ(test, kxs_domain_shutdown(&fx->doms, 6), 1);
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "@releaseDomain\0n0\0r5\0",
		 XS_SET_PERMS, "OK\0");
	KXS_CPT_WATCH(test, g1, "data\0t1\0");
	KXS_CPT_WATCH(test, g1b, "data\0t1\0");		/* a copy */
	KXS_CPT_WATCH(test, g1, "/local/domain/1/d\0td\0002\0");	/* depth */
	KXS_CPT_WATCH(test, g5, "x\0t 5\n\0");
	KXS_CPT_WATCH(test, g5, "@releaseDomain\0r\0");

	a = kxs_cpt_save_domains(test, fx->store, &fx->doms, &alen);
	n = kxs_checkpoint_omits(&fx->doms, 1, true, omits, PAGE_SIZE - 1);
	KUNIT_ASSERT_GE(test, n, 0);
	omits[n] = '\0';
	KUNIT_EXPECT_STREQ(test, omits, "");
	KUNIT_EXPECT_EQ(test, kxs_sysfs_scan(a, alen, 7, true), (ssize_t)alen);
	KUNIT_EXPECT_EQ(test, kxs_sysfs_scan(a, alen, 4096, false),
			(ssize_t)-EINVAL);

	kxs_cpt_env_init(test, e);
	KUNIT_ASSERT_EQ(test, kxs_checkpoint_restore_domains(e->store, &e->doms,
							     1, a, alen), 0);
	b = kxs_cpt_save_domains(test, e->store, &e->doms, &blen);
	kxs_cpt_expect_same(test, a, alen, b, blen, "domains round trip");
	kvfree(b);
	n = kxs_domain_states(&e->doms, &st);
	KUNIT_ASSERT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, st[0].domid, 5);
	KUNIT_EXPECT_EQ(test, st[0].port, 3);
	KUNIT_EXPECT_EQ(test, st[0].gfn, 50);
	KUNIT_EXPECT_EQ(test, st[0].quota[KXS_QUOTA_NODES], 77);
	KUNIT_EXPECT_EQ(test, st[1].target, 5);
	KUNIT_EXPECT_EQ(test, st[1].gfn, -1);
	KUNIT_EXPECT_TRUE(test, st[1].shutdown);
	kvfree(st);
	/* Guest 5's next connection has its watches, each fires once. */
	kxs_cpt_drain(kxs_cpt_env_conn(test, e, 5), &log);
	KUNIT_ASSERT_EQ(test, log.err, 0);
	KUNIT_EXPECT_EQ(test, log.len, 2 * KXS_HDR_SIZE + sizeof(ev5) +
			sizeof("@releaseDomain\0r"));
	KUNIT_EXPECT_NOT_NULL(test,
			      kxs_cpt_find(log.buf, log.len, ev5, sizeof(ev5)));
	kvfree(log.buf);
	/* A store with domains takes no section. */
	KUNIT_EXPECT_EQ(test, kxs_checkpoint_restore_domains(e->store, &e->doms,
							     1, a, alen),
			-EBUSY);
	kxs_cpt_env_exit(e);

	/* Each corruption is refused whole: the fresh store stays empty. */
	bad = kunit_kzalloc(test, alen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bad);
	for (i = 0; i < 5; i++) {
		static const char *const from[] = {
			"kxenstore-domains 1", "domain 5 1", "special @r",
			"watch 5 ", "end\n",
		};
		static const char *const to[] = {
			"kxenstore-domains 2", "domain 0 1", "special @x",
			"watch 5x", "enD\n",
		};
		u8 *at;

		memcpy(bad, a, alen);
		at = kxs_cpt_find(bad, alen, from[i], strlen(from[i]));
		KUNIT_ASSERT_NOT_NULL(test, at);
		memcpy(at, to[i], strlen(to[i]));
		kxs_cpt_env_init(test, e);
		KUNIT_EXPECT_EQ_MSG(test,
				    kxs_checkpoint_restore_domains(e->store,
								   &e->doms, 1,
								   bad, alen),
				    -EINVAL, "%s", to[i]);
		KUNIT_EXPECT_EQ(test, e->store->nr_nodes, 1);
		n = kxs_domain_states(&e->doms, &st);
		KUNIT_EXPECT_EQ(test, n, 0);
		kvfree(st);
		kxs_cpt_env_exit(e);
	}
	kvfree(a);
}

/* oxenstored's live-update property, with a fixed list of seeds. */
#define KXS_PROP_OPS	300
#define KXS_PROP_CONNS	4

static const char *const kxs_prop_paths[] = {
	"data", "data/a", "data/a/b", "data/c", "/local/domain/1/data/a",
	"/local/domain/2/data", "/tool", "/tool/x", "/tool/x/y", "@releaseDomain",
};

struct kxs_prop {
	struct kxs_conn *c[KXS_PROP_CONNS];
	u32 txs[KXS_PROP_CONNS][4];
	struct kxs_sbuf log;
	size_t op_end[KXS_PROP_OPS];
};

static u32 kxs_prop_rnd(struct rnd_state *r, u32 n)
{
	return prandom_u32_state(r) % n;
}

/* One request; its reply (and any events) appended to the log. */
static void kxs_prop_send(struct kunit *test, struct kxs_prop *p, int ci,
			  u32 tx, u32 type, const char *payload, u32 len)
{
	struct kxs_fx *fx = kxs_fx(test);
	size_t n = kxs_w_msg(fx->buf, type, 0x100 + type, tx, payload, len);
	size_t start = 0;
	struct xsd_sockmsg hdr;
	int i;

	KUNIT_ASSERT_EQ(test, kxs_w_write(p->c[ci], fx->buf, n), (ssize_t)n);
	for (i = 0; i < KXS_PROP_CONNS; i++) {
		kxs_sbuf_u8(&p->log, i);
		if (i == ci)
			start = p->log.len;
		kxs_cpt_drain(p->c[i], &p->log);
	}
	if (type != XS_TRANSACTION_START || p->log.err ||
	    p->log.len < start + sizeof(hdr))
		return;
	/* A new transaction's id, to use later. */
	memcpy(&hdr, p->log.buf + start, sizeof(hdr));
	if (hdr.type == XS_TRANSACTION_START) {
		char s[16] = { };
		u32 id;

		memcpy(s, p->log.buf + start + sizeof(hdr),
		       min_t(u32, hdr.len, sizeof(s) - 1));
		if (!kstrtou32(s, 10, &id))
			p->txs[ci][id % 4] = id;
	}
}

static void kxs_prop_run(struct kunit *test, u32 seed, bool restore,
			 struct kxs_prop *p)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct rnd_state rnd, rst;
	char req[128];
	int op;

	p->c[0] = fx->conn;
	p->c[1] = kxs_fx_guest(test, 1);
	p->c[2] = kxs_fx_guest(test, 2);
	p->c[3] = kxs_fx_guest(test, 1);
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/local/domain/1/data\0", XS_MKDIR,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/local/domain/1\0b1\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/local/domain/1/data\0b1\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/local/domain/2\0", XS_MKDIR,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/local/domain/2\0b2\0",
		 XS_SET_PERMS, "OK\0");

	prandom_seed_state(&rnd, seed);
	prandom_seed_state(&rst, seed ^ 0x5a5a);
	for (op = 0; op < KXS_PROP_OPS; op++) {
		int ci = kxs_prop_rnd(&rnd, KXS_PROP_CONNS);
		const char *path = kxs_prop_paths[kxs_prop_rnd(&rnd,
					ARRAY_SIZE(kxs_prop_paths))];
		u32 tx = 0, kind = kxs_prop_rnd(&rnd, 12), len;

		if (kxs_prop_rnd(&rnd, 3) == 0)
			tx = p->txs[ci][kxs_prop_rnd(&rnd, 4)];
		if (restore && kxs_prop_rnd(&rst, 6) == 0) {
			size_t slen;
			u8 *s = kxs_cpt_save(test, fx->store, &fx->doms, &slen);

			int q = kxs_qemu_load(test, s, slen, 1);
			int r = kxs_checkpoint_restore(fx->store, &fx->doms,
							1, s, slen);

			/* QEMU's loader takes it unless omits says not. */
			KUNIT_EXPECT_EQ_MSG(test, !q,
					    !kxs_cpt_omits_qemu(test, &fx->doms),
					    "seed %u op %d: QEMU's loader: %d",
					    seed, op, q);

			if (r)
				print_hex_dump(KERN_INFO, "stream: ",
					       DUMP_PREFIX_OFFSET, 16, 1, s,
					       slen, true);
			KUNIT_ASSERT_EQ_MSG(test, r, 0, "seed %u op %d", seed,
					    op);
			kvfree(s);
		}
		switch (kind) {
		case 0: case 1: case 2:
			len = scnprintf(req, sizeof(req), "%s%cv%d", path, 0,
					op) + 1;
			kxs_prop_send(test, p, ci, tx, XS_WRITE, req, len - 1);
			break;
		case 3:
			kxs_prop_send(test, p, ci, tx, XS_READ, path,
				      strlen(path) + 1);
			break;
		case 4:
			kxs_prop_send(test, p, ci, tx, XS_DIRECTORY, path,
				      strlen(path) + 1);
			break;
		case 5:
			kxs_prop_send(test, p, ci, tx, XS_RM, path,
				      strlen(path) + 1);
			break;
		case 6:
			len = scnprintf(req, sizeof(req), "%s%cb%d%cr%d", path,
					0, ci ? (ci & 1 ? 1 : 2) : 0, 0,
					kxs_prop_rnd(&rnd, 3));
			kxs_prop_send(test, p, ci, tx, XS_SET_PERMS, req,
				      len + 1);
			break;
		case 7:
			kxs_prop_send(test, p, ci, 0, XS_TRANSACTION_START,
				      "", 1);
			break;
		case 8:
			kxs_prop_send(test, p, ci, tx, XS_TRANSACTION_END,
				      kxs_prop_rnd(&rnd, 4) ? "T" : "F", 2);
			break;
		case 9:
			len = scnprintf(req, sizeof(req), "%s%ctok%d", path, 0,
					kxs_prop_rnd(&rnd, 2));
			kxs_prop_send(test, p, ci, 0, XS_WATCH, req, len + 1);
			break;
		case 10:
			len = scnprintf(req, sizeof(req), "%s%ctok%d", path, 0,
					kxs_prop_rnd(&rnd, 2));
			kxs_prop_send(test, p, ci, 0, XS_UNWATCH, req, len + 1);
			break;
		default:
			kxs_prop_send(test, p, ci, tx, XS_GET_PERMS, path,
				      strlen(path) + 1);
			break;
		}
		p->op_end[op] = p->log.len;
	}
	for (op = 1; op < KXS_PROP_CONNS; op++)
		kxs_fx_close(test, p->c[op]);
}

static const u32 kxs_prop_seeds[] = { 1, 2, 3, 42, 1000, 31337, 20261121 };

static void kxs_cpt_property(struct kunit *test)
{
	struct kxs_prop *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct kxs_prop *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	int s, op;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	for (s = 0; s < ARRAY_SIZE(kxs_prop_seeds); s++) {
		u32 seed = kxs_prop_seeds[s];

		/* Each run in a store of its own, from the same start. */
		kxs_fx_exit(test);
		kxs_fx_init(test);
		memset(a, 0, sizeof(*a));
		kxs_prop_run(test, seed, false, a);
		kxs_fx_exit(test);
		kxs_fx_init(test);
		memset(b, 0, sizeof(*b));
		kxs_prop_run(test, seed, true, b);
		KUNIT_ASSERT_EQ(test, a->log.err, 0);
		KUNIT_ASSERT_EQ(test, b->log.err, 0);
		for (op = 0; op < KXS_PROP_OPS; op++)
			if (a->op_end[op] != b->op_end[op] ||
			    memcmp(a->log.buf, b->log.buf, a->op_end[op]))
				break;
		KUNIT_EXPECT_EQ_MSG(test, op, KXS_PROP_OPS,
				    "seed %u: replies differ from request %d on",
				    seed, op);
		kvfree(a->log.buf);
		kvfree(b->log.buf);
	}
}

static int kxs_cpt_init(struct kunit *test)
{
	return kxs_fx_init(test);
}

static void kxs_cpt_exit(struct kunit *test)
{
	kxs_fx_exit(test);
}

static struct kunit_case kxs_cpt_cases[] = {
	KUNIT_CASE(kxs_cpt_round_trip),
	KUNIT_CASE(kxs_cpt_older),
	KUNIT_CASE(kxs_cpt_qemu),
	KUNIT_CASE(kxs_cpt_watch_too_long),
	KUNIT_CASE(kxs_cpt_watch_copies),
	KUNIT_CASE(kxs_cpt_qemu_watches),
	KUNIT_CASE_SLOW(kxs_cpt_corrupt),
	KUNIT_CASE(kxs_cpt_scan),
	KUNIT_CASE(kxs_cpt_domain_section),
	KUNIT_CASE_SLOW(kxs_cpt_property),
	{}
};

static struct kunit_suite kxs_cpt_suite = {
	.name = "kxenstore_checkpoint",
	.init = kxs_cpt_init,
	.exit = kxs_cpt_exit,
	.test_cases = kxs_cpt_cases,
};

kunit_test_suite(kxs_cpt_suite);
