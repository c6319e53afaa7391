// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: domains, quotas and every message type, as clients see them
 * through connections of the control domain and connections bound to
 * guest domains; DIRECTORY_PART paging; the request ioctl's path.
 */
#include <kunit/test.h>
#include <linux/ctype.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "conn.h"
#include "domain.h"
#include "store.h"
#include "transaction.h"
#include "kxs_test.h"

/* An errno name ("ENOSPC") rather than a value ("OK", "T", "3"). */
static bool kxs_is_errno_name(const char *s)
{
	return s[0] == 'E' && isupper(s[1]);
}

/*
 * Send on @c a request of @type whose payload is printf(@fmt) with every
 * '|' turned into a NUL, and expect the reply to be the string @want:
 * XS_ERROR for an errno name, else a reply of @type.
 */
static __printf(5, 6) void kxs_req(struct kunit *test, struct kxs_conn *c,
				   u32 type, const char *want,
				   const char *fmt, ...)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *req = kunit_kzalloc(test, KXS_PAYLOAD_MAX + 1, GFP_KERNEL);
	u32 rtype = kxs_is_errno_name(want) ? XS_ERROR : type, rlen, got;
	va_list args;
	int len, i;

	KUNIT_ASSERT_NOT_NULL(test, req);
	va_start(args, fmt);
	len = vsnprintf(req, KXS_PAYLOAD_MAX + 1, fmt, args);
	va_end(args);
	KUNIT_ASSERT_LE(test, len, KXS_PAYLOAD_MAX);
	for (i = 0; i < len; i++)
		if (req[i] == '|')
			req[i] = '\0';
	got = kxs_w_call(test, c, 0, type, req, len, &rlen);
	KUNIT_EXPECT_EQ_MSG(test, got, rtype, "type %u \"%s\": \"%s\"", type,
			    fmt, fx->reply);
	KUNIT_EXPECT_EQ_MSG(test, rlen, (u32)strlen(want) + 1,
			    "type %u \"%s\": \"%s\"", type, fmt, fx->reply);
	KUNIT_EXPECT_STREQ_MSG(test, (char *)fx->reply, want,
			       "type %u \"%s\"", type, fmt);
}

/* WRITE @vlen bytes of 'x' to @path on @c, expecting @want. */
static void kxs_write_x(struct kunit *test, struct kxs_conn *c,
			const char *path, size_t vlen, const char *want)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *req = kunit_kzalloc(test, KXS_PAYLOAD_MAX, GFP_KERNEL);
	size_t plen = strlen(path) + 1;
	u32 rlen, got;

	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_LE(test, plen + vlen, (size_t)KXS_PAYLOAD_MAX);
	memcpy(req, path, plen);
	memset(req + plen, 'x', vlen);
	got = kxs_w_call(test, c, 0, XS_WRITE, req, plen + vlen, &rlen);
	KUNIT_EXPECT_EQ_MSG(test, got,
			    kxs_is_errno_name(want) ? (u32)XS_ERROR : XS_WRITE,
			    "WRITE %s (%zu bytes): \"%s\"", path, vlen,
			    fx->reply);
	KUNIT_EXPECT_STREQ_MSG(test, (char *)fx->reply, want,
			       "WRITE %s (%zu bytes)", path, vlen);
}

/* @n characters of 'a' to 'z', for names of a given length. */
static char *kxs_name(struct kunit *test, size_t n)
{
	char *s = kunit_kzalloc(test, n + 1, GFP_KERNEL);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < n; i++)
		s[i] = 'a' + i % 26;
	return s;
}

/* /local/domain/<domid>, owned by the guest, as a toolstack makes it. */
static void kxs_home(struct kunit *test, u16 domid)
{
	struct kxs_store *s = kxs_fx(test)->store;
	struct kxs_perm owner = { .domid = domid, .access = KXS_PERM_NONE };
	char path[32];

	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	KUNIT_ASSERT_EQ(test, kxs_store_mkdir(s, KXS_AS(0), path, NULL), 0);
	KUNIT_ASSERT_EQ(test, kxs_store_set_perms(s, KXS_AS(0), path, &owner,
						  1), 0);
}

/* Quotas: each one reached gives its error, and freed works again. */

static void kxs_domain_quota_nodes(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g;
	u32 tx;

	fx->quota[KXS_QUOTA_NODES] = 4;
	kxs_home(test, 5);		/* 5 owns one node */
	g = kxs_fx_guest(test, 5);
	kxs_req(test, g, XS_WRITE, "OK", "a|1");
	kxs_req(test, g, XS_MKDIR, "OK", "b|");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 3);
	/* Two new nodes do not fit in the one left: neither is made. */
	kxs_req(test, g, XS_WRITE, "ENOSPC", "c/d|v");
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/5/c"));
	kxs_req(test, g, XS_WRITE, "OK", "c|");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 4);
	kxs_req(test, g, XS_WRITE, "ENOSPC", "e|v");
	kxs_req(test, g, XS_MKDIR, "ENOSPC", "e|");
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/5/e"));
	/* Existing nodes can still be written. */
	kxs_req(test, g, XS_WRITE, "OK", "a|22");
	kxs_req(test, g, XS_MKDIR, "OK", "b|");
	/* RM frees. */
	kxs_req(test, g, XS_RM, "OK", "a|");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 3);
	kxs_req(test, g, XS_WRITE, "OK", "e|v");
	KXS_W_RT(test, g, XS_READ, "e\0", XS_READ, "v");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 4);
	kxs_req(test, g, XS_WRITE, "ENOSPC", "f|");
	/* In a transaction, the copy's counts apply; commit keeps them. */
	tx = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, tx, XS_MKDIR, "x\0", XS_ERROR, "ENOSPC\0");
	KXS_W_TX(test, g, tx, XS_RM, "b\0", XS_RM, "OK\0");
	KXS_W_TX(test, g, tx, XS_MKDIR, "x\0", XS_MKDIR, "OK\0");
	KXS_W_TX(test, g, tx, XS_MKDIR, "y\0", XS_ERROR, "ENOSPC\0");
	kxs_req(test, g, XS_MKDIR, "ENOSPC", "y|");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		 "OK\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 4);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/5/b"));
	KUNIT_EXPECT_TRUE(test, kxs_fx_exists(test, "/local/domain/5/x"));
	kxs_req(test, g, XS_WRITE, "ENOSPC", "f|");
	kxs_fx_expect_check(test, fx->store);
}

/*
 * Transactions that do not conflict check their quotas against their own
 * views: at commit, against the live tree again, or two of them together
 * pass what each stayed within (the reference checks at TRANSACTION_END).
 */
static void kxs_domain_quota_parallel_transactions(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g;
	u32 ta, tb;

	fx->quota[KXS_QUOTA_NODES] = 4;
	fx->quota[KXS_QUOTA_NODE_SIZE] = 100;
	kxs_home(test, 5);		/* 5 owns one node */
	g = kxs_fx_guest(test, 5);
	/* Nodes: two each, in two views of one owned node. */
	ta = kxs_w_tx_start(test, g);
	tb = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, ta, XS_WRITE, "a/b\0", XS_WRITE, "OK\0");
	KXS_W_TX(test, g, tb, XS_WRITE, "c/d\0", XS_WRITE, "OK\0");
	KXS_W_TX(test, g, ta, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		 "OK\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 3);
	KXS_W_TX(test, g, tb, XS_TRANSACTION_END, "T\0", XS_ERROR,
		 "ENOSPC\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 3);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/5/c"));
	/* One that removes as much as it adds still commits. */
	tb = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, tb, XS_RM, "a\0", XS_RM, "OK\0");
	KXS_W_TX(test, g, tb, XS_WRITE, "c/d\0", XS_WRITE, "OK\0");
	KXS_W_TX(test, g, tb, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		 "OK\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 3);
	/*
	 * Node size: 24 + 8 for one permission + 36 for a child's name is
	 * 68; a second child's 36 more is over 100.
	 */
	KXS_W_TX(test, g, 0, XS_RM, "c\0", XS_RM, "OK\0");
	KXS_W_TX(test, g, 0, XS_MKDIR, "p\0", XS_MKDIR, "OK\0");
	ta = kxs_w_tx_start(test, g);
	tb = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, ta, XS_MKDIR,
		 "p/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0", XS_MKDIR, "OK\0");
	KXS_W_TX(test, g, tb, XS_MKDIR,
		 "p/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\0", XS_MKDIR, "OK\0");
	KXS_W_TX(test, g, ta, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		 "OK\0");
	KXS_W_TX(test, g, tb, XS_TRANSACTION_END, "T\0", XS_ERROR,
		 "ENOSPC\0");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 3);	/* home, p, p/a... */
	/* The control domain is exempt. */
	ta = kxs_w_tx_start(test, fx->conn);
	KXS_W_TX(test, fx->conn, ta, XS_MKDIR,
		 "/local/domain/5/p/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\0",
		 XS_MKDIR, "OK\0");
	KXS_W_TX(test, fx->conn, ta, XS_TRANSACTION_END, "T\0",
		 XS_TRANSACTION_END, "OK\0");
	kxs_fx_expect_check(test, fx->store);
}

/*
 * The memory quota: the bytes of a guest's nodes, transactions and
 * watches together, ENOMEM past it (the reference's error), given back
 * when they go.
 */
static void kxs_domain_quota_memory(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *req = kunit_kzalloc(test, KXS_PAYLOAD_MAX, GFP_KERNEL);
	struct xsd_sockmsg hdr;
	struct kxs_conn *g;
	char path[32];
	int i, k;
	u32 tx;

	KUNIT_ASSERT_NOT_NULL(test, req);
	fx->quota[KXS_QUOTA_MEMORY] = 16384;
	kxs_home(test, 5);
	g = kxs_fx_guest(test, 5);
	/* Nodes: 2000-byte values until the quota refuses one. */
	for (k = 0; k < 12; k++) {
		size_t n = snprintf(req, 32, "v%d", k) + 1;
		u32 len, got;

		memset(req + n, 'x', 2000);
		got = kxs_w_call(test, g, 0, XS_WRITE, req, n + 2000, &len);
		if (got == XS_ERROR) {
			KUNIT_EXPECT_STREQ(test, fx->reply, "ENOMEM");
			break;
		}
		KUNIT_EXPECT_EQ(test, got, (u32)XS_WRITE);
	}
	KUNIT_EXPECT_GE(test, k, 3);
	KUNIT_EXPECT_LT(test, k, 8);
	KUNIT_EXPECT_LE(test, kxs_store_owned_bytes(fx->store, 5), 16384);
	snprintf(path, sizeof(path), "/local/domain/5/v%d", k);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, path));
	/* Smaller writes still fit; the control domain is exempt. */
	kxs_req(test, g, XS_WRITE, "OK", "small|1");
	kxs_write_x(test, fx->conn, "/local/domain/5/big", 3000, "OK");
	kxs_req(test, g, XS_WRITE, "ENOMEM", "more|1");
	kxs_req(test, fx->conn, XS_RM, "OK", "/local/domain/5/big|");
	/* A transaction's records and data count, until it ends. */
	kxs_req(test, g, XS_RM, "OK", "v0|");
	tx = kxs_w_tx_start(test, g);
	for (i = 0; i < 40; i++) {
		size_t n = snprintf(req, 32, "t/%d", i) + 1;
		u32 len, got;

		memset(req + n, 'y', 500);
		got = kxs_w_call(test, g, tx, XS_WRITE, req, n + 500, &len);
		if (got == XS_ERROR) {
			KUNIT_EXPECT_STREQ(test, fx->reply, "ENOMEM");
			break;
		}
	}
	KUNIT_EXPECT_GT(test, i, 0);
	KUNIT_EXPECT_LT(test, i, 40);
	kxs_write_x(test, g, "/local/domain/5/after", 1500, "ENOMEM");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "F\0", XS_TRANSACTION_END,
		 "OK\0");
	KUNIT_EXPECT_EQ(test, kxs_domain_mem_used(&fx->doms, 5), 0);
	kxs_write_x(test, g, "/local/domain/5/after", 1500, "OK");
	/* Watches count their path and token. */
	for (i = 0; i < 20; i++) {
		size_t n;

		memset(req, 'w', 1000);
		n = 1000 + snprintf(req + 1000, 32, "%d", i) + 1;
		memcpy(req + n, "t", 2);
		n = kxs_w_msg(fx->buf, XS_WATCH, ++fx->req_id, 0, req, n + 2);
		KUNIT_ASSERT_EQ(test, kxs_w_write(g, fx->buf, n), (ssize_t)n);
		kxs_w_next(test, g, &hdr);
		if (hdr.type == XS_ERROR) {
			KUNIT_EXPECT_STREQ(test, fx->reply, "ENOMEM");
			break;
		}
		KUNIT_EXPECT_EQ(test, hdr.type, (u32)XS_WATCH);
		kxs_w_next(test, g, &hdr);	/* its first event */
		KUNIT_EXPECT_EQ(test, hdr.type, (u32)XS_WATCH_EVENT);
	}
	KUNIT_EXPECT_LT(test, i, 20);
	kxs_fx_expect_check(test, fx->store);
}

/*
 * A guest's path is at most 2048 bytes after "/local/domain/<domid>/",
 * absolute or relative, as the reference's path-max quota is by default;
 * the control domain may use the whole 3072.
 */
static void kxs_domain_guest_path_max(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *p = kunit_kzalloc(test, KXS_PATH_BUF + 8, GFP_KERNEL);
	struct kxs_conn *g;
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, p);
	kxs_home(test, 5);
	kxs_home(test, 6);
	g = kxs_fx_guest(test, 5);
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK", "/local/domain/6|n6|b5|");
	kxs_req(test, fx->conn, XS_WRITE, "OK", "/open|");
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK", "/open|b0|");
	/* 2048 after another domain's home: fine; 2049: EINVAL. */
	n = snprintf(p, 32, "/local/domain/6/");
	memset(p + n, 'a', 2048);
	p[n + 2048] = '\0';
	kxs_write_x(test, g, p, 1, "OK");
	p[n + 2048] = 'b';
	p[n + 2049] = '\0';
	kxs_write_x(test, g, p, 1, "EINVAL");
	kxs_write_x(test, fx->conn, p, 1, "OK");
	/* Elsewhere the whole path counts. */
	n = snprintf(p, 32, "/open/");
	memset(p + n, 'c', 2043);
	p[n + 2043] = '\0';
	kxs_req(test, g, XS_READ, "EINVAL", "%s|", p);
	p[n + 2042] = '\0';
	kxs_write_x(test, g, p, 1, "OK");
	kxs_fx_expect_check(test, fx->store);
}

static void kxs_domain_quota_node_size_value(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g;
	char path[80];

	/* 24 + 8 per permission + value + children's names: < 100. */
	fx->quota[KXS_QUOTA_NODE_SIZE] = 100;
	kxs_home(test, 5);
	g = kxs_fx_guest(test, 5);
	/* New nodes, one permission: 32 + 67 = 99 fits, 32 + 68 does not. */
	kxs_write_x(test, g, "v", 67, "OK");
	kxs_write_x(test, g, "w", 68, "ENOSPC");
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/5/w"));
	/* Existing nodes: the value is kept when the new one is refused. */
	kxs_write_x(test, g, "v", 68, "ENOSPC");
	kxs_write_x(test, g, "v", 10, "OK");
	KXS_W_RT(test, g, XS_READ, "v\0", XS_READ, "xxxxxxxxxx");
	kxs_write_x(test, g, "v", 67, "OK");
	/* SET_PERMS counts the new entries: 24 + 3 * 8 + 67 = 115. */
	kxs_req(test, g, XS_SET_PERMS, "ENOSPC", "v|n5|r6|r7|");
	/* Three permissions: 24 + 24 + 51 = 99 fits, with 52 it does not. */
	kxs_write_x(test, g, "v", 10, "OK");
	kxs_req(test, g, XS_SET_PERMS, "OK", "v|n5|r6|r7|");
	kxs_write_x(test, g, "v", 52, "ENOSPC");
	kxs_write_x(test, g, "v", 51, "OK");
	/* A fourth permission would make it 107. */
	kxs_req(test, g, XS_SET_PERMS, "ENOSPC", "v|n5|r6|r7|r8|");
	KXS_W_RT(test, g, XS_GET_PERMS, "v\0", XS_GET_PERMS, "n5\0r6\0r7\0");
	kxs_write_x(test, g, "v", 43, "OK");
	kxs_req(test, g, XS_SET_PERMS, "OK", "v|n5|r6|r7|r8|");
	/* An intermediate node counts its one child's name: 32 + 68. */
	snprintf(path, sizeof(path), "i/%s", kxs_name(test, 67));
	kxs_write_x(test, g, path, 0, "ENOSPC");
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/5/i"));
	snprintf(path, sizeof(path), "i/%s", kxs_name(test, 66));
	kxs_write_x(test, g, path, 0, "OK");
	/* The control domain has no limit, on the guest's nodes too. */
	kxs_write_x(test, fx->conn, "/local/domain/5/v", 3000, "OK");
	kxs_write_x(test, fx->conn, "/local/domain/5/big", 3000, "OK");
	kxs_fx_expect_check(test, fx->store);
}

static void kxs_domain_quota_node_size_children(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *name66 = kxs_name(test, 66), *name67 = kxs_name(test, 67);
	struct kxs_conn *g;

	fx->quota[KXS_QUOTA_NODE_SIZE] = 100;
	kxs_home(test, 5);
	g = kxs_fx_guest(test, 5);
	kxs_req(test, g, XS_MKDIR, "OK", "p|");
	kxs_req(test, g, XS_MKDIR, "OK", "q|");
	/* A child list of 67 bytes: 32 + 67 = 99 fits ... */
	kxs_req(test, g, XS_MKDIR, "OK", "p/%s|", name66);
	/* ... another child's "x\0" would make it 101. */
	kxs_req(test, g, XS_MKDIR, "ENOSPC", "p/x|");
	kxs_req(test, g, XS_WRITE, "ENOSPC", "p/x/y|v");
	kxs_req(test, g, XS_DIRECTORY, name66, "p|");
	/* 68 bytes of names: 100, refused. */
	kxs_req(test, g, XS_MKDIR, "ENOSPC", "q/%s|", name67);
	KXS_W_RT(test, g, XS_DIRECTORY, "q\0", XS_DIRECTORY, "");
	/* Removing the child frees the room. */
	kxs_req(test, g, XS_RM, "OK", "p/%s|", name66);
	kxs_req(test, g, XS_MKDIR, "OK", "p/x|");
	/* The value counts too: 32 + 60 + "x\0" + "yyyyy\0" = 100. */
	kxs_write_x(test, g, "p", 60, "OK");
	kxs_req(test, g, XS_MKDIR, "ENOSPC", "p/yyyyy|");
	kxs_req(test, g, XS_MKDIR, "OK", "p/yyyy|");
	/* And the children make a bigger value too big. */
	kxs_write_x(test, g, "p", 61, "ENOSPC");
	/* The control domain has no limit. */
	kxs_req(test, fx->conn, XS_MKDIR, "OK", "/local/domain/5/p/%s|",
		name66);
	kxs_fx_expect_check(test, fx->store);
}

static void kxs_domain_quota_permissions(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g;

	fx->quota[KXS_QUOTA_PERMS] = 2;
	kxs_home(test, 5);
	g = kxs_fx_guest(test, 5);
	kxs_req(test, g, XS_MKDIR, "OK", "p|");
	kxs_req(test, g, XS_SET_PERMS, "ENOSPC", "p|n5|r6|r7|");
	kxs_req(test, g, XS_GET_PERMS, "n5", "p|");
	kxs_req(test, g, XS_SET_PERMS, "OK", "p|n5|r6|");
	/* The special paths count the same way. */
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK", "@releaseDomain|n5|");
	kxs_req(test, g, XS_SET_PERMS, "ENOSPC", "@releaseDomain|n5|r6|r7|");
	kxs_req(test, g, XS_SET_PERMS, "OK", "@releaseDomain|n5|r6|");
	/* The domain's own quota replaces the global one. */
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "5|permissions|3|");
	kxs_req(test, g, XS_SET_PERMS, "OK", "p|n5|r6|r7|");
	kxs_req(test, g, XS_SET_PERMS, "ENOSPC", "p|n5|r6|r7|r8|");
	/* No limit for the control domain. */
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK",
		"/local/domain/5/p|n5|r1|r2|r3|r4|r6|r7|r8|r9|");
}

static void kxs_domain_quota_transactions(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *a, *b, *other;
	unsigned int txs = 0, watches, conns = 0;
	unsigned long dropped;
	u32 ta, tb, tb2;
	int i;

	fx->quota[KXS_QUOTA_TRANSACTIONS] = 2;
	a = kxs_fx_guest(test, 5);
	b = kxs_fx_guest(test, 5);
	other = kxs_fx_guest(test, 6);
	/* Counted for the domain, over both of its connections. */
	ta = kxs_w_tx_start(test, a);
	tb = kxs_w_tx_start(test, b);
	kxs_req(test, a, XS_TRANSACTION_START, "ENOSPC", "|");
	kxs_req(test, b, XS_TRANSACTION_START, "ENOSPC", "|");
	KUNIT_EXPECT_EQ(test, kxs_domain_usage(&fx->doms, 5, &txs, &watches,
					       &conns, &dropped), 0);
	KUNIT_EXPECT_EQ(test, txs, 2);
	KUNIT_EXPECT_EQ(test, conns, 2);
	/* Another domain has its own. */
	kxs_w_tx_start(test, other);
	kxs_w_tx_start(test, other);
	kxs_req(test, other, XS_TRANSACTION_START, "ENOSPC", "|");
	/* Ending one (abort or commit) frees a slot for either connection. */
	KXS_W_TX(test, a, ta, XS_TRANSACTION_END, "F\0", XS_TRANSACTION_END,
		 "OK\0");
	tb2 = kxs_w_tx_start(test, b);
	KUNIT_EXPECT_NE(test, tb2, tb);
	kxs_req(test, a, XS_TRANSACTION_START, "ENOSPC", "|");
	KXS_W_TX(test, b, tb, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		 "OK\0");
	ta = kxs_w_tx_start(test, a);
	kxs_req(test, b, XS_TRANSACTION_START, "ENOSPC", "|");
	/* A failed commit ends the transaction too. */
	KXS_W_TX(test, a, ta, XS_READ, "/y\0", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, fx->conn, XS_WRITE, "/y\0", XS_WRITE, "OK\0");
	KXS_W_TX(test, a, ta, XS_TRANSACTION_END, "T\0", XS_ERROR,
		 "EAGAIN\0");
	ta = kxs_w_tx_start(test, a);
	/* Closing a connection ends its transactions. */
	kxs_fx_close(test, b);
	KUNIT_EXPECT_EQ(test, kxs_domain_usage(&fx->doms, 5, &txs, &watches,
					       &conns, &dropped), 0);
	KUNIT_EXPECT_EQ(test, txs, 1);
	KUNIT_EXPECT_EQ(test, conns, 1);
	kxs_w_tx_start(test, a);
	kxs_req(test, a, XS_TRANSACTION_START, "ENOSPC", "|");
	/* The control domain has no limit. */
	for (i = 0; i < 5; i++)
		kxs_w_tx_start(test, fx->conn);
}

static void kxs_domain_quota_control_domain_exempt(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g;
	int q, i;

	for (q = 0; q < KXS_QUOTA_NR; q++)
		fx->quota[q] = q == KXS_QUOTA_MEMORY ? 0 : 1;
	kxs_home(test, 5);
	g = kxs_fx_guest(test, 5);
	/* Every quota bites the guest ... */
	kxs_req(test, g, XS_MKDIR, "ENOSPC", "a|");
	kxs_write_x(test, g, "/local/domain/5", 0, "ENOSPC");
	kxs_req(test, g, XS_SET_PERMS, "ENOSPC", "/local/domain/5|n5|r6|");
	kxs_w_tx_start(test, g);
	kxs_req(test, g, XS_TRANSACTION_START, "ENOSPC", "|");
	fx->quota[KXS_QUOTA_MEMORY] = 1;
	kxs_req(test, g, XS_WATCH, "ENOMEM", "w|t|");
	/* ... and none the control domain, even in the guest's nodes. */
	for (i = 0; i < 10; i++)
		kxs_req(test, fx->conn, XS_MKDIR, "OK", "/local/domain/5/n%d|",
			i);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 11);
	kxs_write_x(test, fx->conn, "/local/domain/5/n0", 3000, "OK");
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK",
		"/local/domain/5|n5|r1|r2|r3|r4|");
	for (i = 0; i < 5; i++)
		kxs_w_tx_start(test, fx->conn);
	kxs_fx_expect_check(test, fx->store);
}

static void kxs_domain_quota_zero_is_unlimited(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g, *six;
	char *name = kxs_name(test, 60);
	int i;

	/* The fixture's quotas are all 0. */
	kxs_home(test, 5);
	kxs_home(test, 6);
	g = kxs_fx_guest(test, 5);
	six = kxs_fx_guest(test, 6);
	for (i = 0; i < 80; i++)
		kxs_req(test, g, XS_MKDIR, "OK", "d/%s%02d|", name, i);
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 82);
	kxs_write_x(test, g, "big", 4000, "OK");
	kxs_req(test, g, XS_SET_PERMS, "OK",
		"big|n5|r1|r2|r3|r4|r6|r7|r8|r9|r10|r11|r12|");
	for (i = 0; i < 20; i++)
		kxs_w_tx_start(test, g);

	/* 0 for one domain lifts a global limit for it alone. */
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "nodes|2|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "5|nodes|0|");
	kxs_req(test, g, XS_MKDIR, "OK", "more|");
	kxs_req(test, six, XS_MKDIR, "OK", "a|");
	kxs_req(test, six, XS_MKDIR, "ENOSPC", "b|");
	/* And 0 again globally lifts it for everybody. */
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "nodes|0|");
	kxs_req(test, six, XS_MKDIR, "OK", "b|");
	kxs_fx_expect_check(test, fx->store);
}

static void kxs_domain_quota_per_domain_overrides_global(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *five, *six;
	struct kxs_caller c;

	fx->quota[KXS_QUOTA_NODES] = 2;
	kxs_home(test, 5);
	kxs_home(test, 6);
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "ENOENT", "5|nodes|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "5|nodes|4|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "4", "5|nodes|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "2", "nodes|");
	five = kxs_fx_guest(test, 5);
	six = kxs_fx_guest(test, 6);
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "2", "6|nodes|");
	kxs_domain_caller(&fx->doms, &five->ctx, &c);
	KUNIT_EXPECT_EQ(test, c.quota[KXS_QUOTA_NODES], 4);
	kxs_domain_caller(&fx->doms, &six->ctx, &c);
	KUNIT_EXPECT_EQ(test, c.quota[KXS_QUOTA_NODES], 2);

	kxs_req(test, five, XS_MKDIR, "OK", "a|");
	kxs_req(test, five, XS_MKDIR, "OK", "b|");
	kxs_req(test, five, XS_MKDIR, "OK", "c|");
	kxs_req(test, five, XS_MKDIR, "ENOSPC", "d|");
	kxs_req(test, six, XS_MKDIR, "OK", "a|");
	kxs_req(test, six, XS_MKDIR, "ENOSPC", "b|");
	/* A new global value reaches only domains without their own. */
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "nodes|3|");
	kxs_req(test, six, XS_MKDIR, "OK", "b|");
	kxs_req(test, six, XS_MKDIR, "ENOSPC", "c|");
	kxs_req(test, five, XS_MKDIR, "ENOSPC", "d|");
	/* Lowering a domain's quota below its usage keeps what it has. */
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "5|nodes|1|");
	KXS_W_RT(test, five, XS_READ, "a\0", XS_READ, "");
	kxs_req(test, five, XS_MKDIR, "ENOSPC", "d|");
	kxs_req(test, five, XS_RM, "OK", "a|");
	kxs_req(test, five, XS_MKDIR, "ENOSPC", "a|");
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 3);
}

/* DIRECTORY_PART */

/* The parts of a DIRECTORY_PART reply: the generation and the names. */
static void kxs_part(struct kunit *test, struct kxs_conn *c, const char *path,
		     u32 offset, char *gen, const char **names, u32 *len)
{
	struct kxs_fx *fx = kxs_fx(test);
	char req[64];
	int n = snprintf(req, sizeof(req), "%s%c%u", path, 0, offset) + 1;
	size_t genlen;
	u32 rlen;

	KUNIT_ASSERT_EQ(test, kxs_w_call(test, c, 0, XS_DIRECTORY_PART, req, n,
					 &rlen), (u32)XS_DIRECTORY_PART);
	genlen = strnlen(fx->reply, rlen);
	KUNIT_ASSERT_LT(test, genlen, (size_t)rlen);
	KUNIT_ASSERT_GT(test, genlen, 0);
	KUNIT_ASSERT_LT(test, genlen, (size_t)24);
	memcpy(gen, fx->reply, genlen + 1);
	*names = fx->reply + genlen + 1;
	*len = rlen - genlen - 1;
}

/* 100 children of 48 characters: 4900 bytes of names. */
static char *kxs_big_directory(struct kunit *test, const char *path)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *list = kunit_kzalloc(test, 100 * 49, GFP_KERNEL);
	char name[80];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, list);
	/* Created out of order; listed sorted. */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "%s/%048d", path, (i * 37) % 100);
		KUNIT_ASSERT_EQ(test, kxs_store_mkdir(fx->store, KXS_AS(0),
						      name, NULL), 0);
		snprintf(list + i * 49, 49, "%048d", i);
	}
	return list;
}

static void kxs_domain_directory_part_reassembles_big_directory(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *list = kxs_big_directory(test, "/d");
	char *all = kunit_kzalloc(test, 2 * 4900, GFP_KERNEL);
	char gen0[24], gen[24];
	const char *names;
	u32 off = 0, len;
	int parts = 0;
	bool last = false;

	KUNIT_ASSERT_NOT_NULL(test, all);
	KXS_W_RT(test, fx->conn, XS_DIRECTORY, "/d\0", XS_ERROR, "E2BIG\0");
	/* Page through it as a client does: offset += what came. */
	while (!last) {
		kxs_part(test, fx->conn, "/d", off, gen, &names, &len);
		KUNIT_ASSERT_GT(test, len, 0);
		KUNIT_ASSERT_LE(test, off + len, (u32)2 * 4900);
		if (!parts)
			strscpy(gen0, gen, sizeof(gen0));
		KUNIT_EXPECT_STREQ(test, gen, gen0);
		/* The last part ends with an empty name. */
		last = !names[len - 1] && (len == 1 || !names[len - 2]);
		memcpy(all + off, names, len);
		off += last ? len - 1 : len;
		KUNIT_ASSERT_LT(test, ++parts, 10);
	}
	KUNIT_EXPECT_GE(test, parts, 2);
	KUNIT_ASSERT_EQ(test, off, (u32)4900);
	KUNIT_EXPECT_MEMEQ(test, all, list, 4900);
}

static void kxs_domain_directory_part_generation_changes(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	char gen1[24], gen2[24], gen3[24];
	const char *names;
	u32 len1, len2;

	kxs_big_directory(test, "/d");
	kxs_part(test, fx->conn, "/d", 0, gen1, &names, &len1);
	/* A child's value is not a change of the list ... */
	KXS_W_RT(test, fx->conn, XS_WRITE,
		 "/d/000000000000000000000000000000000000000000000007\0v",
		 XS_WRITE, "OK\0");
	kxs_part(test, fx->conn, "/d", 0, gen2, &names, &len2);
	KUNIT_EXPECT_STREQ(test, gen2, gen1);
	/* ... a child added between two parts is: the client restarts. */
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/d/zz\0", XS_MKDIR, "OK\0");
	kxs_part(test, fx->conn, "/d", len1, gen3, &names, &len2);
	KUNIT_EXPECT_STRNEQ(test, gen3, gen1);
	/* So is one removed. */
	KXS_W_RT(test, fx->conn, XS_RM, "/d/zz\0", XS_RM, "OK\0");
	kxs_part(test, fx->conn, "/d", len1, gen2, &names, &len2);
	KUNIT_EXPECT_STRNEQ(test, gen2, gen3);
	KUNIT_EXPECT_STRNEQ(test, gen2, gen1);
}

static void kxs_domain_directory_part_small_and_past_end(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);
	char gen[24], gen2[24];
	const char *names;
	u32 len;

	KXS_W_RT(test, fx->conn, XS_MKDIR, "/s/ab\0", XS_MKDIR, "OK\0");
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/s/c\0", XS_MKDIR, "OK\0");
	/* All of it in one part, then the empty name. */
	kxs_part(test, fx->conn, "/s", 0, gen, &names, &len);
	KUNIT_ASSERT_EQ(test, len, 6);
	KUNIT_EXPECT_MEMEQ(test, names, "ab\0c\0\0", 6);
	kxs_part(test, fx->conn, "/s", 3, gen2, &names, &len);
	KUNIT_EXPECT_STREQ(test, gen2, gen);
	KUNIT_ASSERT_EQ(test, len, 3);
	KUNIT_EXPECT_MEMEQ(test, names, "c\0\0", 3);
	/* At or past the end: "<gen>\0\0". */
	kxs_part(test, fx->conn, "/s", 5, gen2, &names, &len);
	KUNIT_EXPECT_STREQ(test, gen2, gen);
	KUNIT_ASSERT_EQ(test, len, 1);
	KUNIT_EXPECT_EQ(test, names[0], '\0');
	kxs_part(test, fx->conn, "/s", 100000, gen2, &names, &len);
	KUNIT_EXPECT_STREQ(test, gen2, gen);
	KUNIT_ASSERT_EQ(test, len, 1);
	KUNIT_EXPECT_EQ(test, names[0], '\0');
	/* A node without children. */
	kxs_part(test, fx->conn, "/s/c", 0, gen2, &names, &len);
	KUNIT_ASSERT_EQ(test, len, 1);
	/* Errors. */
	KXS_W_RT(test, fx->conn, XS_DIRECTORY_PART, "/s\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_DIRECTORY_PART, "/s\0x\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_DIRECTORY_PART, "/s\0-1\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_DIRECTORY_PART, "/s//\0000\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_DIRECTORY_PART, "/nope\0000\0", XS_ERROR,
		 "ENOENT\0");
	KXS_W_RT(test, g, XS_DIRECTORY_PART, "/s\0000\0", XS_ERROR,
		 "EACCES\0");
	KXS_W_RT(test, g, XS_DIRECTORY_PART, "/nope\0000\0", XS_ERROR,
		 "EACCES\0");
}

/* Every message type through the wire: successes and errors. */

static void kxs_domain_wire_control(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);
	static const char * const cmds[] = { "check", "help", "print",
					      "quota" };
	u32 len;
	size_t i;

	KUNIT_ASSERT_EQ(test, kxs_w_call(test, fx->conn, 0, XS_CONTROL,
					 "help", 5, &len), (u32)XS_CONTROL);
	KUNIT_EXPECT_EQ(test, fx->reply[len - 1], '\0');
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(fx->reply, cmds[i]),
					  "%s", cmds[i]);
	kxs_req(test, fx->conn, XS_CONTROL, "OK", "check|");
	kxs_req(test, fx->conn, XS_CONTROL, "OK", "print|hello from kunit|");

	fx->quota[KXS_QUOTA_NODES] = 1000;
	KUNIT_ASSERT_EQ(test, kxs_w_call(test, fx->conn, 0, XS_CONTROL,
					 "quota", 6, &len), (u32)XS_CONTROL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(fx->reply, "Quota settings"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(fx->reply, "nodes"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(fx->reply, "1000"));
	kxs_req(test, fx->conn, XS_CONTROL, "OK", "quota|set|nodes|7|");
	KUNIT_EXPECT_EQ(test, fx->quota[KXS_QUOTA_NODES], 7);
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "7", "nodes|");
	KUNIT_ASSERT_EQ(test, kxs_w_call(test, fx->conn, 0, XS_CONTROL,
					 "quota\0005", 8, &len),
			(u32)XS_CONTROL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(fx->reply, "Domain 5"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(fx->reply, "/7"));

	kxs_req(test, fx->conn, XS_CONTROL, "EINVAL", "bogus|");
	kxs_req(test, fx->conn, XS_CONTROL, "EINVAL", "quota|set|bogus|1|");
	kxs_req(test, fx->conn, XS_CONTROL, "EINVAL", "quota|set|nodes|x|");
	kxs_req(test, fx->conn, XS_CONTROL, "EINVAL", "quota|0|");
	kxs_req(test, fx->conn, XS_CONTROL, "EINVAL", "check|extra|");
	kxs_req(test, fx->conn, XS_CONTROL, "EINVAL", "print|");
	KXS_W_RT(test, fx->conn, XS_CONTROL, "", XS_ERROR, "EINVAL\0");
	KUNIT_EXPECT_EQ(test, fx->quota[KXS_QUOTA_NODES], 7);
	/* Guests may not. */
	kxs_req(test, g, XS_CONTROL, "EACCES", "check|");
	kxs_req(test, g, XS_CONTROL, "EACCES", "help|");
	kxs_req(test, g, XS_CONTROL, "EACCES", "quota|set|nodes|0|");
	KUNIT_EXPECT_EQ(test, fx->quota[KXS_QUOTA_NODES], 7);
}

static void kxs_domain_wire_read_directory(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);

	kxs_home(test, 5);
	KXS_W_RT(test, fx->conn, XS_WRITE, "/a/b\0val", XS_WRITE, "OK\0");
	KXS_W_RT(test, fx->conn, XS_READ, "/a/b\0", XS_READ, "val");
	KXS_W_RT(test, fx->conn, XS_DIRECTORY, "/a\0", XS_DIRECTORY, "b\0");
	KXS_W_RT(test, fx->conn, XS_READ, "/a/c\0", XS_ERROR, "ENOENT\0");
	KXS_W_RT(test, fx->conn, XS_DIRECTORY, "/a/c\0", XS_ERROR,
		 "ENOENT\0");
	KXS_W_RT(test, fx->conn, XS_READ, "/a/\0", XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_DIRECTORY, "/a", XS_ERROR, "EINVAL\0");
	/* A guest: its home (relative paths) yes, dom0's nodes no. */
	KXS_W_RT(test, g, XS_WRITE, "x\0y", XS_WRITE, "OK\0");
	KXS_W_RT(test, g, XS_READ, "x\0", XS_READ, "y");
	KXS_W_RT(test, g, XS_READ, "/local/domain/5/x\0", XS_READ, "y");
	KXS_W_RT(test, g, XS_DIRECTORY, "\0", XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_DIRECTORY, "/local/domain/5\0",
		 XS_DIRECTORY, "x\0");
	KXS_W_RT(test, g, XS_READ, "/a/b\0", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, g, XS_DIRECTORY, "/a\0", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, g, XS_READ, "/a/c\0", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, g, XS_READ, "nothere\0", XS_ERROR, "ENOENT\0");
}

static void kxs_domain_wire_get_perms(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *five = kxs_fx_guest(test, 5);
	struct kxs_conn *six = kxs_fx_guest(test, 6);

	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "/\0", XS_GET_PERMS, "n0\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/\0r0\0b5\0", XS_SET_PERMS,
		 "OK\0");
	KXS_W_RT(test, five, XS_GET_PERMS, "/\0", XS_GET_PERMS, "r0\0b5\0");
	KXS_W_RT(test, six, XS_GET_PERMS, "/\0", XS_GET_PERMS, "r0\0b5\0");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "/x\0", XS_ERROR, "ENOENT\0");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "/x\0y\0", XS_ERROR,
		 "EINVAL\0");
	/* The special paths: "n0" until set, only for who may read them. */
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "@introduceDomain\0",
		 XS_GET_PERMS, "n0\0");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "@releaseDomain\0",
		 XS_GET_PERMS, "n0\0");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "@other\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "@introduceDomain/1\0",
		 XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, five, XS_GET_PERMS, "@introduceDomain\0", XS_ERROR,
		 "EACCES\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "@releaseDomain\0n0\0r5\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_RT(test, five, XS_GET_PERMS, "@releaseDomain\0", XS_GET_PERMS,
		 "n0\0r5\0");
	KXS_W_RT(test, six, XS_GET_PERMS, "@releaseDomain\0", XS_ERROR,
		 "EACCES\0");
	KXS_W_RT(test, five, XS_GET_PERMS, "@introduceDomain\0", XS_ERROR,
		 "EACCES\0");
	/* Reading is not owning. */
	KXS_W_RT(test, five, XS_SET_PERMS, "@releaseDomain\0n0\0r6\0",
		 XS_ERROR, "EACCES\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "@other\0n0\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "@releaseDomain\0",
		 XS_GET_PERMS, "n0\0r5\0");
	/* An owning guest changes the entries, not the owner. */
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "@introduceDomain\0n5\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_RT(test, five, XS_SET_PERMS, "@introduceDomain\0n6\0",
		 XS_ERROR, "EPERM\0");
	KXS_W_RT(test, six, XS_SET_PERMS, "@introduceDomain\0n5\0r6\0",
		 XS_ERROR, "EACCES\0");
	KXS_W_RT(test, five, XS_SET_PERMS, "@introduceDomain\0n5\0r6\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_RT(test, six, XS_GET_PERMS, "@introduceDomain\0", XS_GET_PERMS,
		 "n5\0r6\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "@introduceDomain\0n0\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_RT(test, six, XS_GET_PERMS, "@introduceDomain\0", XS_ERROR,
		 "EACCES\0");
}

static void kxs_domain_wire_write_mkdir_rm_set_perms(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);

	KXS_W_RT(test, fx->conn, XS_WRITE, "/a\0v", XS_WRITE, "OK\0");
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/m/n\0", XS_MKDIR, "OK\0");
	KXS_W_RT(test, fx->conn, XS_RM, "/m/n\0", XS_RM, "OK\0");
	KXS_W_RT(test, fx->conn, XS_RM, "/m/n\0", XS_RM, "OK\0");
	KXS_W_RT(test, fx->conn, XS_RM, "/m/n/o\0", XS_ERROR, "ENOENT\0");
	KXS_W_RT(test, fx->conn, XS_RM, "/\0", XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_WRITE, "/a b\0v", XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_WRITE, "/a", XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/m//x\0", XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_RM, "@releaseDomain\0", XS_ERROR,
		 "EINVAL\0");
	/* A guest without access. */
	KXS_W_RT(test, g, XS_WRITE, "/a\0x", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, g, XS_MKDIR, "/g\0", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, g, XS_RM, "/a\0", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, g, XS_RM, "/m\0", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, g, XS_SET_PERMS, "/a\0n5\0", XS_ERROR, "EACCES\0");
	KXS_W_RT(test, fx->conn, XS_READ, "/a\0", XS_READ, "v");

	/* SET_PERMS and its malformed permission lists. */
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a\0b5\0", XS_SET_PERMS,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a\0x5\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a\0r\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a\0r70000\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a\0r-1\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a\0r5", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a\0r5\0\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a\0", XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a", XS_ERROR, "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/a/\0r5\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/nope\0r5\0", XS_ERROR,
		 "ENOENT\0");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "/a\0", XS_GET_PERMS, "b5\0");
	/* Now the guest may. */
	KXS_W_RT(test, g, XS_WRITE, "/a\0x", XS_WRITE, "OK\0");
	KXS_W_RT(test, g, XS_MKDIR, "/a/g\0", XS_MKDIR, "OK\0");
	KXS_W_RT(test, g, XS_SET_PERMS, "/a\0b5\0r6\0", XS_SET_PERMS,
		 "OK\0");
	KXS_W_RT(test, g, XS_SET_PERMS, "/a\0b6\0", XS_ERROR, "EPERM\0");
	KXS_W_RT(test, g, XS_RM, "/a\0", XS_RM, "OK\0");
	KXS_W_RT(test, fx->conn, XS_READ, "/a\0", XS_ERROR, "ENOENT\0");
}

static void kxs_domain_wire_transactions(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);
	u32 tx;

	kxs_home(test, 5);
	tx = kxs_w_tx_start(test, g);
	KXS_W_TX(test, g, tx, XS_WRITE, "t\0in", XS_WRITE, "OK\0");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_START, "\0", XS_ERROR,
		 "EBUSY\0");
	KXS_W_RT(test, g, XS_READ, "t\0", XS_ERROR, "ENOENT\0");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		 "OK\0");
	KXS_W_RT(test, g, XS_READ, "t\0", XS_READ, "in");
	KXS_W_TX(test, g, tx, XS_TRANSACTION_END, "T\0", XS_ERROR,
		 "ENOENT\0");
	KXS_W_RT(test, g, XS_TRANSACTION_END, "F\0", XS_ERROR, "ENOENT\0");
	/* Another connection's transaction is not ours. */
	tx = kxs_w_tx_start(test, fx->conn);
	KXS_W_TX(test, g, tx, XS_READ, "t\0", XS_ERROR, "ENOENT\0");
	KXS_W_TX(test, fx->conn, tx, XS_TRANSACTION_END, "X\0", XS_ERROR,
		 "EINVAL\0");
	KXS_W_TX(test, fx->conn, tx, XS_TRANSACTION_END, "F\0",
		 XS_TRANSACTION_END, "OK\0");
}

static void kxs_domain_wire_introduce(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);

	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "7|12|3|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "T", "7|");
	/*
	 * Again: a new event channel only; the ring page is ignored, as
	 * the reference ignores it (a guest resumed or reconnected).
	 */
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "7|12|4|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "7|13|4|");
	/* Event channel 0 is no event channel. */
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "7|12|0|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "11|12|0|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "F", "11|");
	/* The gfn is signed. */
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "8|-1|1|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "0|1|1|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "32752|1|1|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "65536|1|1|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "x|1|1|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "9|1|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "9|1|x|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "F", "9|");
	/* Strings after the third are ignored, as the reference does. */
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "10|1|1|extra|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "T", "10|");
	/* Guests may not. */
	kxs_req(test, g, XS_INTRODUCE, "EACCES", "9|1|1|");
	kxs_req(test, g, XS_INTRODUCE, "EACCES", "5|1|1|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "F", "5|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "F", "9|");
}

static void kxs_domain_wire_release(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);
	struct kxs_conn *six = kxs_fx_guest(test, 6);
	unsigned int txs, watches, conns;
	unsigned long dropped;
	size_t n;

	kxs_req(test, fx->conn, XS_RELEASE, "ENOENT", "5|");
	kxs_req(test, fx->conn, XS_RELEASE, "EINVAL", "0|");
	kxs_req(test, fx->conn, XS_RELEASE, "EINVAL", "x|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "5|50|1|");
	kxs_req(test, six, XS_RELEASE, "EACCES", "5|");
	kxs_req(test, g, XS_RELEASE, "EACCES", "5|");
	kxs_home(test, 5);
	kxs_req(test, g, XS_WRITE, "OK", "data|1");
	kxs_w_tx_start(test, g);
	/* A request whose reply is still queued at the release. */
	n = kxs_w_msg(fx->buf, XS_READ, 77, 0, "data", 5);
	KUNIT_ASSERT_EQ(test, kxs_w_write(g, fx->buf, n), (ssize_t)n);

	kxs_req(test, fx->conn, XS_RELEASE, "OK", "5|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "F", "5|");
	kxs_req(test, fx->conn, XS_RELEASE, "ENOENT", "5|");
	KUNIT_EXPECT_EQ(test, kxs_domain_usage(&fx->doms, 5, &txs, &watches,
					       &conns, &dropped), -ENOENT);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/5"));
	KUNIT_EXPECT_EQ(test, kxs_fx_owned(test, 5), 0);
	/* The released domain's connection: EPIPE, then end of stream. */
	KUNIT_EXPECT_EQ(test, kxs_w_write(g, fx->buf, n), (ssize_t)-EPIPE);
	KUNIT_ASSERT_EQ(test, kxs_w_read(g, fx->reply, KXS_HDR_SIZE),
			(ssize_t)KXS_HDR_SIZE);
	KUNIT_EXPECT_EQ(test, ((struct xsd_sockmsg *)fx->reply)->req_id, 77);
	KUNIT_EXPECT_EQ(test, ((struct xsd_sockmsg *)fx->reply)->len, 1);
	KUNIT_EXPECT_EQ(test, kxs_w_read(g, fx->reply, 64), (ssize_t)1);
	KUNIT_EXPECT_EQ(test, kxs_w_read(g, fx->reply, 64), (ssize_t)0);
	KUNIT_EXPECT_EQ(test, kxs_w_read(g, fx->reply, 64), (ssize_t)0);
	KUNIT_EXPECT_EQ(test, kxs_w_write(g, fx->buf, 1), (ssize_t)-EPIPE);
	KUNIT_EXPECT_EQ(test, kxs_w_write(g, fx->buf, 0), (ssize_t)0);
	/* Others go on; the domain can come back. */
	kxs_req(test, six, XS_GET_DOMAIN_PATH, "/local/domain/6", "6|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "5|51|1|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "T", "5|");
	KUNIT_EXPECT_EQ(test, kxs_w_write(g, fx->buf, n), (ssize_t)-EPIPE);
	kxs_fx_expect_check(test, fx->store);
}

/*
 * A released domain leaves the permissions of the special paths, as it
 * leaves those of nodes: a later guest with its domid inherits nothing.
 * An owner entry naming it goes to the control domain (the reference's
 * rule).
 */
static void kxs_domain_wire_release_special_perms(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);

	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "5|50|1|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "6|60|1|");
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK",
		"@releaseDomain|n0|r5|r6|b5|");
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK", "@introduceDomain|n5|r6|");
	kxs_req(test, fx->conn, XS_RELEASE, "OK", "5|");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "@releaseDomain\0",
		 XS_GET_PERMS, "n0\0r6\0");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "@introduceDomain\0",
		 XS_GET_PERMS, "n0\0r6\0");
	/* The domid comes back: no access from before. */
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "5|51|1|");
	kxs_req(test, kxs_fx_guest(test, 5), XS_GET_PERMS, "EACCES",
		"@releaseDomain|");
	KXS_W_RT(test, kxs_fx_guest(test, 6), XS_GET_PERMS,
		 "@releaseDomain\0", XS_GET_PERMS, "n0\0r6\0");
}

static void kxs_domain_wire_get_domain_path(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);

	kxs_req(test, fx->conn, XS_GET_DOMAIN_PATH, "/local/domain/5", "5|");
	kxs_req(test, fx->conn, XS_GET_DOMAIN_PATH, "/local/domain/0", "0|");
	kxs_req(test, fx->conn, XS_GET_DOMAIN_PATH, "/local/domain/65535",
		"65535|");
	kxs_req(test, g, XS_GET_DOMAIN_PATH, "/local/domain/7", "7|");
	kxs_req(test, fx->conn, XS_GET_DOMAIN_PATH, "EINVAL", "x|");
	kxs_req(test, fx->conn, XS_GET_DOMAIN_PATH, "EINVAL", "65536|");
	kxs_req(test, fx->conn, XS_GET_DOMAIN_PATH, "EINVAL", "|");
	kxs_req(test, fx->conn, XS_GET_DOMAIN_PATH, "EINVAL", "1|2|");
	kxs_req(test, g, XS_GET_DOMAIN_PATH, "EINVAL", "-5|");
}

static void kxs_domain_wire_is_introduced_resume(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);

	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "F", "5|");
	kxs_req(test, fx->conn, XS_RESUME, "ENOENT", "5|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "5|1|1|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "T", "5|");
	kxs_req(test, fx->conn, XS_RESUME, "OK", "5|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "EINVAL", "x|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "EINVAL", "32752|");
	/* The control domain always is (the reference daemon's answer). */
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "T", "0|");
	kxs_req(test, fx->conn, XS_RESUME, "EINVAL", "0|");
	kxs_req(test, fx->conn, XS_RESUME, "EINVAL", "|");
	kxs_req(test, g, XS_IS_DOMAIN_INTRODUCED, "EACCES", "5|");
	kxs_req(test, g, XS_RESUME, "EACCES", "5|");
}

/* Hooks that record what a hypervisor would have been asked. */
static struct {
	int introduced, released, fail;
	u16 domid;
	u32 port;
} kxs_hk;

static int kxs_hk_introduce(struct kxs_domains *d, u16 domid, u32 port)
{
	if (kxs_hk.fail)
		return kxs_hk.fail;
	kxs_hk.introduced++;
	kxs_hk.domid = domid;
	kxs_hk.port = port;
	return 0;
}

static void kxs_hk_release(struct kxs_domains *d, u16 domid)
{
	kxs_hk.released++;
	kxs_hk.domid = domid;
}

/* Domains 1 to 9 exist. */
static bool kxs_hk_exists(struct kxs_domains *d, u16 domid)
{
	return domid >= 1 && domid <= 9;
}

static const struct kxs_domain_hooks kxs_hk_hooks = {
	.introduce = kxs_hk_introduce,
	.release = kxs_hk_release,
	.exists = kxs_hk_exists,
};

/*
 * With a hypervisor's hooks: INTRODUCE asks them first (again for a
 * re-INTRODUCE, with the new channel), and their refusal leaves the
 * domain unknown; RELEASE tells them after the domain is gone.
 */
static void kxs_domain_wire_hooks(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);

	memset(&kxs_hk, 0, sizeof(kxs_hk));
	fx->doms.hooks = &kxs_hk_hooks;
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "7|12|3|");
	KUNIT_EXPECT_EQ(test, kxs_hk.introduced, 1);
	KUNIT_EXPECT_EQ(test, kxs_hk.domid, 7);
	KUNIT_EXPECT_EQ(test, kxs_hk.port, 3);
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "7|12|4|");
	KUNIT_EXPECT_EQ(test, kxs_hk.introduced, 2);
	KUNIT_EXPECT_EQ(test, kxs_hk.port, 4);
	/* Bad arguments never reach them. */
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "8|12|0|");
	KUNIT_EXPECT_EQ(test, kxs_hk.introduced, 2);
	kxs_hk.fail = -EINVAL;
	kxs_req(test, fx->conn, XS_INTRODUCE, "EINVAL", "8|12|5|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "F", "8|");
	kxs_hk.fail = -EOPNOTSUPP;
	kxs_req(test, fx->conn, XS_INTRODUCE, "ENOSYS", "8|12|5|");
	kxs_req(test, fx->conn, XS_IS_DOMAIN_INTRODUCED, "F", "8|");
	KUNIT_EXPECT_EQ(test, kxs_hk.released, 0);
	kxs_req(test, fx->conn, XS_RELEASE, "OK", "7|");
	KUNIT_EXPECT_EQ(test, kxs_hk.released, 1);
	KUNIT_EXPECT_EQ(test, kxs_hk.domid, 7);
	kxs_req(test, fx->conn, XS_RELEASE, "ENOENT", "7|");
	KUNIT_EXPECT_EQ(test, kxs_hk.released, 1);
	fx->doms.hooks = NULL;
}

/*
 * With a hypervisor, SET_PERMS names only domains that exist: an owner
 * that does not is ENOENT (nothing changes), an access entry of one is
 * left out.  Introduced domains exist whatever the hypervisor says.
 */
static void kxs_domain_wire_set_perms_existing(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);

	memset(&kxs_hk, 0, sizeof(kxs_hk));
	kxs_req(test, fx->conn, XS_WRITE, "OK", "/p|v");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "12|1|1|");
	fx->doms.hooks = &kxs_hk_hooks;
	kxs_req(test, fx->conn, XS_SET_PERMS, "ENOENT", "/p|n10|");
	kxs_req(test, fx->conn, XS_SET_PERMS, "ENOENT", "/p|r32767|r1|");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "/p\0", XS_GET_PERMS, "n0\0");
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK", "/p|n3|r10|b9|w11|r12|");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "/p\0", XS_GET_PERMS,
		 "n3\0b9\0r12\0");
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK", "/p|n12|");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "/p\0", XS_GET_PERMS, "n12\0");
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK", "/p|n0|");
	/* Without one, every domain exists. */
	fx->doms.hooks = NULL;
	kxs_req(test, fx->conn, XS_SET_PERMS, "OK", "/p|n10|r11|");
	KXS_W_RT(test, fx->conn, XS_GET_PERMS, "/p\0", XS_GET_PERMS,
		 "n10\0r11\0");
}

/*
 * A shutdown the hypervisor reports is news once; RESUME makes the next
 * one news again; a domain not introduced has none.
 */
static void kxs_domain_shutdown_once_until_resume(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);

	KUNIT_EXPECT_EQ(test, kxs_domain_shutdown(&fx->doms, 5), 0);
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "5|1|1|");
	KUNIT_EXPECT_EQ(test, kxs_domain_shutdown(&fx->doms, 5), 1);
	KUNIT_EXPECT_EQ(test, kxs_domain_shutdown(&fx->doms, 5), 0);
	kxs_req(test, fx->conn, XS_RESUME, "OK", "5|");
	KUNIT_EXPECT_EQ(test, kxs_domain_shutdown(&fx->doms, 5), 1);
	kxs_req(test, fx->conn, XS_RELEASE, "OK", "5|");
	KUNIT_EXPECT_EQ(test, kxs_domain_shutdown(&fx->doms, 5), 0);
}

static void kxs_domain_wire_set_target(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 3);
	struct kxs_caller c;

	kxs_req(test, fx->conn, XS_SET_TARGET, "ENOENT", "3|4|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "3|1|1|");
	kxs_req(test, fx->conn, XS_SET_TARGET, "ENOENT", "3|4|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "4|2|1|");
	kxs_req(test, fx->conn, XS_SET_TARGET, "EINVAL", "3|3|");
	kxs_req(test, fx->conn, XS_SET_TARGET, "EINVAL", "3|0|");
	kxs_req(test, fx->conn, XS_SET_TARGET, "EINVAL", "3|");
	kxs_req(test, fx->conn, XS_SET_TARGET, "EINVAL", "3|x|");
	kxs_req(test, g, XS_SET_TARGET, "EACCES", "3|4|");
	kxs_domain_caller(&fx->doms, &g->ctx, &c);
	KUNIT_EXPECT_EQ(test, c.target, KXS_NO_TARGET);
	kxs_req(test, fx->conn, XS_SET_TARGET, "OK", "3|4|");
	kxs_domain_caller(&fx->doms, &g->ctx, &c);
	KUNIT_EXPECT_EQ(test, c.target, 4);
	KUNIT_EXPECT_EQ(test, c.domid, 3);
}

static void kxs_domain_wire_features(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g;

	/* RECONNECTION, ERROR and WATCHDEPTH. */
	kxs_req(test, fx->conn, KXS_TYPE_GET_FEATURE, "7", "|");
	KXS_W_RT(test, fx->conn, KXS_TYPE_GET_FEATURE, "", KXS_TYPE_GET_FEATURE,
		 "7\0");
	kxs_req(test, fx->conn, KXS_TYPE_GET_FEATURE, "ENOENT", "5|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_FEATURE, "OK", "5|1|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_FEATURE, "1", "5|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_FEATURE, "EINVAL", "5|8|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_FEATURE, "EINVAL", "5|15|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_FEATURE, "EINVAL", "5|x|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_FEATURE, "EINVAL", "0|1|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_FEATURE, "EINVAL", "5|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_FEATURE, "1", "5|");
	/* The guest sees its own features. */
	g = kxs_fx_guest(test, 5);
	kxs_req(test, g, KXS_TYPE_GET_FEATURE, "1", "|");
	kxs_req(test, g, KXS_TYPE_GET_FEATURE, "EACCES", "5|");
	kxs_req(test, g, KXS_TYPE_SET_FEATURE, "EACCES", "5|3|");
	/* Fixed once introduced. */
	kxs_req(test, fx->conn, KXS_TYPE_SET_FEATURE, "OK", "5|3|");
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "5|1|1|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_FEATURE, "EBUSY", "5|0|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_FEATURE, "3", "5|");
	/* A watch depth only with WATCHDEPTH (4), as the reference. */
	kxs_req(test, g, XS_WATCH, "EINVAL", "/a|t|1|");
	kxs_req(test, g, XS_UNWATCH, "ENOENT", "/a|t|");
}

static void kxs_domain_wire_quota(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);

	fx->quota[KXS_QUOTA_WATCHES] = 128;
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA,
		"nodes watches transactions node-size permissions transaction-nodes memory",
		"|");
	KXS_W_RT(test, fx->conn, KXS_TYPE_GET_QUOTA, "", KXS_TYPE_GET_QUOTA,
		 "nodes watches transactions node-size permissions transaction-nodes memory\0");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "128", "watches|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "0", "node-size|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "EINVAL", "bogus|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "EINVAL", "5|bogus|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "EINVAL", "x|nodes|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "EINVAL", "1|2|3|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "node-size|2048|");
	KUNIT_EXPECT_EQ(test, fx->quota[KXS_QUOTA_NODE_SIZE], 2048);
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "2048", "node-size|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "2048", "5|node-size|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "OK", "5|node-size|99|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "99", "5|node-size|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "2048", "node-size|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "EINVAL", "bogus|1|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "EINVAL", "5|bogus|1|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "EINVAL", "nodes|x|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "EINVAL", "nodes|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "EINVAL", "0|nodes|1|");
	kxs_req(test, fx->conn, KXS_TYPE_SET_QUOTA, "EINVAL", "|");
	KUNIT_EXPECT_EQ(test, fx->quota[KXS_QUOTA_NODES], 0);
	/* Guests may not. */
	kxs_req(test, g, KXS_TYPE_GET_QUOTA, "EACCES", "|");
	kxs_req(test, g, KXS_TYPE_GET_QUOTA, "EACCES", "nodes|");
	kxs_req(test, g, KXS_TYPE_SET_QUOTA, "EACCES", "5|nodes|0|");
	kxs_req(test, fx->conn, KXS_TYPE_GET_QUOTA, "99", "5|node-size|");
}

static void kxs_domain_wire_unsupported_types_get_enosys(struct kunit *test)
{
	static const u32 types[] = {
		XS_WATCH_EVENT, XS_ERROR, 20, 27, 0xffff,
	};
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		kxs_req(test, fx->conn, types[i], "ENOSYS", "/a|");
		kxs_req(test, g, types[i], "ENOSYS", "/a|");
		kxs_req(test, fx->conn, types[i], "ENOSYS", "|");
	}
	KXS_W_RT(test, fx->conn, XS_DIRECTORY, "/\0", XS_DIRECTORY, "");
}

static void kxs_domain_bind_rules(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *c = kxs_fx_conn(test);
	unsigned int txs, watches, conns;
	unsigned long dropped;

	KUNIT_EXPECT_EQ(test, kxs_conn_bind(c, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kxs_conn_bind(c, 0x7ff0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kxs_conn_bind(c, 0xffff), -EINVAL);
	KUNIT_ASSERT_EQ(test, kxs_conn_bind(c, 0x7fef), 0);
	KUNIT_EXPECT_EQ(test, kxs_conn_bind(c, 5), -EBUSY);
	kxs_req(test, c, XS_WRITE, "EACCES", "x|");
	kxs_req(test, c, XS_GET_DOMAIN_PATH, "/local/domain/32751", "32751|");
	KUNIT_EXPECT_EQ(test, kxs_domain_usage(&fx->doms, 0x7fef, &txs,
					       &watches, &conns, &dropped), 0);
	KUNIT_EXPECT_EQ(test, conns, 1);
	/* Too late once a byte of a request came in. */
	c = kxs_fx_conn(test);
	KUNIT_ASSERT_EQ(test, kxs_w_write(c, fx->buf, 1), (ssize_t)1);
	KUNIT_EXPECT_EQ(test, kxs_conn_bind(c, 5), -EBUSY);
	/* The unbound connections are the control domain's. */
	kxs_req(test, fx->conn, XS_WRITE, "OK", "x|");
	KXS_W_RT(test, fx->conn, XS_READ, "/local/domain/0/x\0", XS_READ, "");
}

/*
 * The request ioctl's path, kxs_conn_request(), with its user pointers
 * in memory mapped into the test's own mm (kunit_vm_mmap()).
 */
static void kxs_domain_request_ioctl_path(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct xsd_sockmsg *hdr = (struct xsd_sockmsg *)fx->reply;
	struct kxs_conn *g;
	unsigned long addr;
	void __user *ureq, *urep;
	u32 rlen = 0;
	size_t n;

	addr = kunit_vm_mmap(test, NULL, 0, 4 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!addr || IS_ERR_VALUE(addr))
		kunit_skip(test, "no user memory for the test");
	ureq = (void __user *)addr;
	urep = (void __user *)(addr + 2 * PAGE_SIZE);

#define KXS_IOC(c, len, want)						\
	KUNIT_EXPECT_EQ(test, kxs_conn_request(c, ureq, len, urep, &rlen), \
			want)
	/* A WRITE, then a READ of it: replies come back directly. */
	n = kxs_w_msg(fx->buf, XS_WRITE, 11, 0, "/io\0val", 7);
	KUNIT_ASSERT_EQ(test, copy_to_user(ureq, fx->buf, n), 0);
	KXS_IOC(fx->conn, n, 0);
	KUNIT_ASSERT_EQ(test, rlen, KXS_HDR_SIZE + 3);
	KUNIT_ASSERT_EQ(test, copy_from_user(fx->reply, urep, rlen), 0);
	KUNIT_EXPECT_EQ(test, hdr->type, XS_WRITE);
	KUNIT_EXPECT_EQ(test, hdr->req_id, 11);
	KUNIT_EXPECT_MEMEQ(test, fx->reply + KXS_HDR_SIZE, "OK", 3);
	KUNIT_EXPECT_EQ(test, kxs_w_read(fx->conn, fx->reply, 1),
			(ssize_t)-EAGAIN);
	n = kxs_w_msg(fx->buf, XS_READ, 12, 0, "/io", 4);
	KUNIT_ASSERT_EQ(test, copy_to_user(ureq, fx->buf, n), 0);
	KXS_IOC(fx->conn, n, 0);
	KUNIT_ASSERT_EQ(test, rlen, KXS_HDR_SIZE + 3);
	KUNIT_ASSERT_EQ(test, copy_from_user(fx->reply, urep, rlen), 0);
	KUNIT_EXPECT_EQ(test, hdr->type, XS_READ);
	KUNIT_EXPECT_MEMEQ(test, fx->reply + KXS_HDR_SIZE, "val", 3);
	/* A refused request is a reply, not a failed call. */
	n = kxs_w_msg(fx->buf, XS_READ, 13, 0, "/nope", 6);
	KUNIT_ASSERT_EQ(test, copy_to_user(ureq, fx->buf, n), 0);
	KXS_IOC(fx->conn, n, 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(fx->reply, urep, rlen), 0);
	KUNIT_EXPECT_EQ(test, hdr->type, XS_ERROR);
	KUNIT_EXPECT_MEMEQ(test, fx->reply + KXS_HDR_SIZE, "ENOENT", 7);
	/* Calls that cannot be taken in. */
	KXS_IOC(fx->conn, KXS_HDR_SIZE - 1, -EINVAL);
	KXS_IOC(fx->conn, n - 1, -EINVAL);
	KXS_IOC(fx->conn, n + 1, -EINVAL);
	n = kxs_w_msg(fx->buf, XS_READ, 14, 0, "", 0);
	((struct xsd_sockmsg *)fx->buf)->len = KXS_PAYLOAD_MAX + 1;
	KUNIT_ASSERT_EQ(test, copy_to_user(ureq, fx->buf, n), 0);
	KXS_IOC(fx->conn, KXS_HDR_SIZE + KXS_PAYLOAD_MAX + 1, -E2BIG);
	KUNIT_EXPECT_EQ(test, kxs_conn_request(fx->conn,
					       (void __user *)PAGE_SIZE, 16,
					       urep, &rlen), -EFAULT);
	KUNIT_EXPECT_EQ(test, kxs_w_read(fx->conn, fx->reply, 1),
			(ssize_t)-EAGAIN);

	/* A guest's connection: bound first, its identity applies. */
	g = kxs_fx_guest(test, 5);
	n = kxs_w_msg(fx->buf, XS_WRITE, 15, 0, "/io\0x", 5);
	KUNIT_ASSERT_EQ(test, copy_to_user(ureq, fx->buf, n), 0);
	KXS_IOC(g, n, 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(fx->reply, urep, rlen), 0);
	KUNIT_EXPECT_EQ(test, hdr->type, XS_ERROR);
	KUNIT_EXPECT_MEMEQ(test, fx->reply + KXS_HDR_SIZE, "EACCES", 7);
	KUNIT_EXPECT_EQ(test, kxs_conn_bind(g, 6), -EBUSY);
	/* Once released: EPIPE. */
	kxs_req(test, fx->conn, XS_INTRODUCE, "OK", "5|1|1|");
	kxs_req(test, fx->conn, XS_RELEASE, "OK", "5|");
	KXS_IOC(g, n, -EPIPE);
	/* A request made this way also makes binding too late. */
	g = kxs_fx_conn(test);
	KXS_IOC(g, n, 0);
	KUNIT_EXPECT_EQ(test, kxs_conn_bind(g, 6), -EBUSY);
#undef KXS_IOC
}

static struct kunit_case kxs_domain_cases[] = {
	KUNIT_CASE(kxs_domain_quota_nodes),
	KUNIT_CASE(kxs_domain_quota_parallel_transactions),
	KUNIT_CASE(kxs_domain_quota_memory),
	KUNIT_CASE(kxs_domain_guest_path_max),
	KUNIT_CASE(kxs_domain_quota_node_size_value),
	KUNIT_CASE(kxs_domain_quota_node_size_children),
	KUNIT_CASE(kxs_domain_quota_permissions),
	KUNIT_CASE(kxs_domain_quota_transactions),
	KUNIT_CASE(kxs_domain_quota_control_domain_exempt),
	KUNIT_CASE(kxs_domain_quota_zero_is_unlimited),
	KUNIT_CASE(kxs_domain_quota_per_domain_overrides_global),
	KUNIT_CASE(kxs_domain_directory_part_reassembles_big_directory),
	KUNIT_CASE(kxs_domain_directory_part_generation_changes),
	KUNIT_CASE(kxs_domain_directory_part_small_and_past_end),
	KUNIT_CASE(kxs_domain_wire_control),
	KUNIT_CASE(kxs_domain_wire_read_directory),
	KUNIT_CASE(kxs_domain_wire_get_perms),
	KUNIT_CASE(kxs_domain_wire_write_mkdir_rm_set_perms),
	KUNIT_CASE(kxs_domain_wire_transactions),
	KUNIT_CASE(kxs_domain_wire_introduce),
	KUNIT_CASE(kxs_domain_wire_release),
	KUNIT_CASE(kxs_domain_wire_release_special_perms),
	KUNIT_CASE(kxs_domain_wire_get_domain_path),
	KUNIT_CASE(kxs_domain_wire_is_introduced_resume),
	KUNIT_CASE(kxs_domain_wire_hooks),
	KUNIT_CASE(kxs_domain_wire_set_perms_existing),
	KUNIT_CASE(kxs_domain_shutdown_once_until_resume),
	KUNIT_CASE(kxs_domain_wire_set_target),
	KUNIT_CASE(kxs_domain_wire_features),
	KUNIT_CASE(kxs_domain_wire_quota),
	KUNIT_CASE(kxs_domain_wire_unsupported_types_get_enosys),
	KUNIT_CASE(kxs_domain_bind_rules),
	KUNIT_CASE(kxs_domain_request_ioctl_path),
	{}
};

static struct kunit_suite kxs_domain_suite = {
	.name = "kxenstore_domain",
	.init = kxs_fx_init,
	.exit = kxs_fx_exit,
	.test_cases = kxs_domain_cases,
};

kunit_test_suite(kxs_domain_suite);
