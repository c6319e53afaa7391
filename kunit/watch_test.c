// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: watches as clients see them on the wire: the initial event,
 * matching by ancestor and depth, removal of an ancestor, relative paths,
 * permissions, transactions (events at commit, once per node, none on
 * abort), special watches, the quota and the bounded event queue.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "conn.h"
#include "domain.h"
#include "store.h"
#include "kxs_test.h"

/*
 * Events a request's reply was found behind, per connection, kept for
 * kxs_wt_events() so that no event is lost or reordered.  KUnit runs one
 * case at a time.
 */
static struct kxs_wt_pending {
	struct kxs_conn *c;
	size_t len;
	char buf[8192];
} kxs_wt_pending[KXS_FX_CONNS + 1];

static struct kxs_wt_pending *kxs_wt_pending_of(struct kunit *test,
						struct kxs_conn *c)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kxs_wt_pending); i++) {
		if (kxs_wt_pending[i].c == c)
			return &kxs_wt_pending[i];
		if (!kxs_wt_pending[i].c) {
			kxs_wt_pending[i].c = c;
			return &kxs_wt_pending[i];
		}
	}
	KUNIT_FAIL(test, "too many connections");
	return &kxs_wt_pending[0];
}

/* "a|b|" with '|' for NUL, as a payload; returns its length. */
static size_t kxs_wt_payload(char *buf, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		buf[i] = s[i] == '|' ? '\0' : s[i];
	return n;
}

/*
 * Send a request ('|' for NUL) on @c in transaction @tx and read its
 * reply; events queued after it stay queued.  Expect @want: "OK",
 * another payload, or an errno name for an XS_ERROR reply.
 */
static void kxs_wt_req(struct kunit *test, struct kxs_conn *c, u32 tx,
		       u32 type, const char *req, const char *want)
{
	struct kxs_fx *fx = kxs_fx(test);
	char *p = kunit_kzalloc(test, KXS_PAYLOAD_MAX, GFP_KERNEL);
	size_t len, n;
	struct xsd_sockmsg hdr;
	bool err = want[0] == 'E' && strcmp(want, "E");

	KUNIT_ASSERT_NOT_NULL(test, p);
	len = kxs_wt_payload(p, req);
	n = kxs_w_msg(fx->buf, type, ++fx->req_id, tx, p, len);
	KUNIT_ASSERT_EQ(test, kxs_w_write(c, fx->buf, n), (ssize_t)n);
	for (;;) {
		struct kxs_wt_pending *pe;

		kxs_w_next(test, c, &hdr);
		if (hdr.type != XS_WATCH_EVENT)
			break;
		/* An event the request caused, before its reply. */
		pe = kxs_wt_pending_of(test, c);
		KUNIT_ASSERT_LE(test, pe->len + hdr.len, sizeof(pe->buf));
		memcpy(pe->buf + pe->len, fx->reply, hdr.len);
		pe->len += hdr.len;
	}
	KUNIT_EXPECT_EQ_MSG(test, hdr.type, err ? (u32)XS_ERROR : type,
			    "%u \"%s\": %s", type, req, fx->reply);
	KUNIT_EXPECT_EQ(test, hdr.req_id, fx->req_id);
	KUNIT_EXPECT_STREQ_MSG(test, (char *)fx->reply, want, "%u \"%s\"",
			       type, req);
}

#define KXS_WT(test, c, type, req, want) \
	kxs_wt_req(test, c, 0, type, req, want)

/*
 * Expect exactly the events @want ("path|token|path|token|"), in order,
 * queued on @c, and nothing else.
 */
static void kxs_wt_events(struct kunit *test, struct kxs_conn *c,
			  const char *want)
{
	char *got = kunit_kzalloc(test, 16384, GFP_KERNEL);
	struct kxs_wt_pending *pe = kxs_wt_pending_of(test, c);
	size_t off = 0, i;
	struct xsd_sockmsg hdr;

	KUNIT_ASSERT_NOT_NULL(test, got);
	memcpy(got, pe->buf, pe->len);
	off = pe->len;
	pe->len = 0;
	while (kxs_w_read(c, &hdr, sizeof(hdr)) == sizeof(hdr)) {
		KUNIT_EXPECT_EQ(test, hdr.type, (u32)XS_WATCH_EVENT);
		KUNIT_EXPECT_EQ(test, hdr.req_id, 0);
		KUNIT_EXPECT_EQ(test, hdr.tx_id, 0);
		KUNIT_ASSERT_LE(test, off + hdr.len, (size_t)8000);
		KUNIT_ASSERT_EQ(test, kxs_w_read(c, got + off, hdr.len),
				(ssize_t)hdr.len);
		off += hdr.len;
	}
	for (i = 0; i < off; i++)
		if (!got[i])
			got[i] = '|';
	got[off] = '\0';
	KUNIT_EXPECT_STREQ(test, got, want);
}

static int kxs_watch_test_init(struct kunit *test)
{
	memset(kxs_wt_pending, 0, sizeof(kxs_wt_pending));
	return kxs_fx_init(test);
}

static void kxs_watch_test_exit(struct kunit *test)
{
	kxs_fx_exit(test);
}

static void kxs_watch_initial_event_after_reply(struct kunit *test)
{
	struct kxs_conn *w = kxs_fx_conn(test);

	KXS_WT(test, w, XS_WATCH, "/a|tok|", "OK");
	kxs_wt_events(test, w, "/a|tok|");
	/* The path need not exist; the tx_id of a WATCH is ignored. */
	kxs_wt_req(test, w, 77, XS_WATCH, "/nowhere/x|t2|", "OK");
	kxs_wt_events(test, w, "/nowhere/x|t2|");
	/* Same path, other token: a second watch. */
	KXS_WT(test, w, XS_WATCH, "/a|tok2|", "OK");
	kxs_wt_events(test, w, "/a|tok2|");
}

static void kxs_watch_bad_requests(struct kunit *test)
{
	struct kxs_conn *w = kxs_fx_conn(test);

	KXS_WT(test, w, XS_WATCH, "/a|tok|", "OK");
	kxs_wt_events(test, w, "/a|tok|");
	KXS_WT(test, w, XS_WATCH, "/a|tok|", "EEXIST");
	KXS_WT(test, w, XS_WATCH, "/a|", "EINVAL");
	KXS_WT(test, w, XS_WATCH, "/a|t|x|", "EINVAL");
	KXS_WT(test, w, XS_WATCH, "/a/|t|", "EINVAL");
	KXS_WT(test, w, XS_WATCH, "@/|t|", "EINVAL");
	KXS_WT(test, w, XS_WATCH, "/a b|t|", "EINVAL");
	KXS_WT(test, w, XS_UNWATCH, "/a|other|", "ENOENT");
	KXS_WT(test, w, XS_UNWATCH, "/b|tok|", "ENOENT");
	KXS_WT(test, w, XS_UNWATCH, "/a|", "EINVAL");
	KXS_WT(test, w, XS_UNWATCH, "/a|tok|", "OK");
	KXS_WT(test, w, XS_UNWATCH, "/a|tok|", "ENOENT");
	kxs_wt_events(test, w, "");
	/* Gone: a change reports nothing. */
	KXS_WT(test, kxs_fx(test)->conn, XS_WRITE, "/a|v", "OK");
	kxs_wt_events(test, w, "");
}

static void kxs_watch_matches_node_and_descendants(struct kunit *test)
{
	struct kxs_conn *d0 = kxs_fx(test)->conn;
	struct kxs_conn *w = kxs_fx_conn(test);

	KXS_WT(test, w, XS_WATCH, "/a|any|", "OK");
	KXS_WT(test, w, XS_WATCH, "/a|d0|0|", "OK");
	KXS_WT(test, w, XS_WATCH, "/a|d1|1|", "OK");
	KXS_WT(test, w, XS_WATCH, "/|root|", "OK");
	kxs_wt_events(test, w, "/a|any|/a|d0|/a|d1|/|root|");
	/* Ancestors first, as the table is walked; each watch once. */
	KXS_WT(test, d0, XS_WRITE, "/a|v", "OK");
	kxs_wt_events(test, w, "/a|root|/a|any|/a|d0|/a|d1|");
	KXS_WT(test, d0, XS_WRITE, "/a/b|v", "OK");
	kxs_wt_events(test, w, "/a/b|root|/a/b|any|/a/b|d1|");
	KXS_WT(test, d0, XS_WRITE, "/a/b/c|v", "OK");
	kxs_wt_events(test, w, "/a/b/c|root|/a/b/c|any|");
	/* Not below /a: only the root's watch; "/ab" is no child of "/a". */
	KXS_WT(test, d0, XS_WRITE, "/ab|v", "OK");
	kxs_wt_events(test, w, "/ab|root|");
	/* MKDIR of an existing node is no change; of a new one it is. */
	KXS_WT(test, d0, XS_MKDIR, "/a/b|", "OK");
	kxs_wt_events(test, w, "");
	KXS_WT(test, d0, XS_MKDIR, "/a/m|", "OK");
	kxs_wt_events(test, w, "/a/m|root|/a/m|any|/a/m|d1|");
	/* SET_PERMS is a change. */
	KXS_WT(test, d0, XS_SET_PERMS, "/a|n0|", "OK");
	kxs_wt_events(test, w, "/a|root|/a|any|/a|d0|/a|d1|");
	/* Failed requests report nothing. */
	KXS_WT(test, d0, XS_RM, "/a/zz/y|", "ENOENT");
	KXS_WT(test, d0, XS_RM, "/a/zz|", "OK");
	kxs_wt_events(test, w, "");
}

static void kxs_watch_removed_ancestor_reports_watch_path(struct kunit *test)
{
	struct kxs_conn *d0 = kxs_fx(test)->conn;
	struct kxs_conn *w = kxs_fx_conn(test);

	KXS_WT(test, d0, XS_WRITE, "/r/s/t|v", "OK");
	KXS_WT(test, w, XS_WATCH, "/r/s/t/u|deep|", "OK");
	KXS_WT(test, w, XS_WATCH, "/r/s|mid|", "OK");
	KXS_WT(test, w, XS_WATCH, "/r/s/t|node|", "OK");
	KXS_WT(test, w, XS_WATCH, "/rs|other|", "OK");
	kxs_wt_events(test, w, "/r/s/t/u|deep|/r/s|mid|/r/s/t|node|/rs|other|");
	KXS_WT(test, d0, XS_RM, "/r|", "OK");
	/*
	 * Their own path for watches below the removed node that name a
	 * removed node, in order; none for /r/s/t/u, which was no node
	 * (the reference's rule: an event per removed node).
	 */
	kxs_wt_events(test, w, "/r/s|mid|/r/s/t|node|");
}

static void kxs_watch_relative_paths_stay_relative(struct kunit *test)
{
	struct kxs_conn *d0 = kxs_fx(test)->conn;
	struct kxs_conn *g;

	KXS_WT(test, d0, XS_MKDIR, "/local/domain/5|", "OK");
	KXS_WT(test, d0, XS_SET_PERMS, "/local/domain/5|n5|", "OK");
	g = kxs_fx_guest(test, 5);
	KXS_WT(test, g, XS_WATCH, "some|rel|", "OK");
	KXS_WT(test, g, XS_WATCH, "/local/domain/5/some|abs|", "OK");
	kxs_wt_events(test, g, "some|rel|/local/domain/5/some|abs|");
	KXS_WT(test, d0, XS_WRITE, "/local/domain/5/some/x|1", "OK");
	kxs_wt_events(test, g, "some/x|rel|/local/domain/5/some/x|abs|");
	KXS_WT(test, g, XS_UNWATCH, "some|rel|", "OK");
	KXS_WT(test, g, XS_UNWATCH, "/local/domain/5/some|rel|", "ENOENT");
	KXS_WT(test, g, XS_UNWATCH, "some|abs|", "OK");
	kxs_wt_events(test, g, "");
}

static void kxs_watch_events_only_for_readable_nodes(struct kunit *test)
{
	struct kxs_conn *d0 = kxs_fx(test)->conn;
	struct kxs_conn *g = kxs_fx_guest(test, 5);

	KXS_WT(test, d0, XS_WRITE, "/p/secret|s", "OK");
	KXS_WT(test, g, XS_WATCH, "/p|w|", "OK");
	kxs_wt_events(test, g, "/p|w|");
	/* "n0" everywhere: the guest hears nothing. */
	KXS_WT(test, d0, XS_WRITE, "/p/secret|t", "OK");
	KXS_WT(test, d0, XS_WRITE, "/p/new|t", "OK");
	kxs_wt_events(test, g, "");
	/* Made readable: the change of permissions itself is reported. */
	KXS_WT(test, d0, XS_SET_PERMS, "/p/secret|n0|r5|", "OK");
	kxs_wt_events(test, g, "/p/secret|w|");
	KXS_WT(test, d0, XS_WRITE, "/p/secret|u", "OK");
	kxs_wt_events(test, g, "/p/secret|w|");
	/* Its removal, judged by the permissions it had. */
	KXS_WT(test, d0, XS_RM, "/p/secret|", "OK");
	kxs_wt_events(test, g, "/p/secret|w|");
	KXS_WT(test, d0, XS_RM, "/p/new|", "OK");
	kxs_wt_events(test, g, "");
}

static void kxs_watch_transaction_events_at_commit(struct kunit *test)
{
	struct kxs_conn *d0 = kxs_fx(test)->conn;
	struct kxs_conn *w = kxs_fx_conn(test);
	u32 tx;

	KXS_WT(test, d0, XS_WRITE, "/t/old|o", "OK");
	KXS_WT(test, w, XS_WATCH, "/t|w|", "OK");
	kxs_wt_events(test, w, "/t|w|");
	tx = kxs_w_tx_start(test, d0);
	kxs_wt_req(test, d0, tx, XS_WRITE, "/t/b|1", "OK");
	kxs_wt_req(test, d0, tx, XS_WRITE, "/t/a|1", "OK");
	kxs_wt_req(test, d0, tx, XS_WRITE, "/t/a|2", "OK");
	kxs_wt_req(test, d0, tx, XS_RM, "/t/old|", "OK");
	kxs_wt_req(test, d0, tx, XS_MKDIR, "/t/b|", "OK");
	kxs_wt_events(test, w, "");
	kxs_wt_req(test, d0, tx, XS_TRANSACTION_END, "T|", "OK");
	/* Once per node, in path order. */
	kxs_wt_events(test, w, "/t/a|w|/t/b|w|/t/old|w|");

	/* Aborted, or failed: nothing. */
	tx = kxs_w_tx_start(test, d0);
	kxs_wt_req(test, d0, tx, XS_WRITE, "/t/c|1", "OK");
	kxs_wt_req(test, d0, tx, XS_TRANSACTION_END, "F|", "OK");
	kxs_wt_events(test, w, "");
	tx = kxs_w_tx_start(test, d0);
	kxs_wt_req(test, d0, tx, XS_WRITE, "/t/d|1", "OK");
	/* A node the transaction found absent appears: a conflict. */
	KXS_WT(test, kxs_fx_conn(test), XS_WRITE, "/t/d|2", "OK");
	kxs_wt_events(test, w, "/t/d|w|");
	kxs_wt_req(test, d0, tx, XS_TRANSACTION_END, "T|", "EAGAIN");
	kxs_wt_events(test, w, "");
}

/*
 * QEMU's resurrection scenario: inside a transaction a subtree is removed
 * and part of it written again; the watch sees both at commit.
 */
static void kxs_watch_transaction_resurrects_subtree(struct kunit *test)
{
	struct kxs_conn *d0 = kxs_fx(test)->conn;
	struct kxs_conn *g, *g2;
	char buf[16];
	u32 tx;

	KXS_WT(test, d0, XS_MKDIR, "/local/domain/5|", "OK");
	KXS_WT(test, d0, XS_SET_PERMS, "/local/domain/5|n5|", "OK");
	g = kxs_fx_guest(test, 5);
	/* The guest's second connection works in the transaction. */
	g2 = kxs_fx_guest(test, 5);
	KXS_WT(test, g, XS_WRITE, "some/relative/path|something", "OK");
	KXS_WT(test, g, XS_WRITE, "some/place/safe|keepme", "OK");
	KXS_WT(test, g, XS_WRITE, "some/deep/dark|foo", "OK");
	KXS_WT(test, g, XS_WATCH, "some|watch|", "OK");
	kxs_wt_events(test, g, "some|watch|");
	tx = kxs_w_tx_start(test, g2);
	kxs_wt_req(test, g2, tx, XS_RM, "some/deep|", "OK");
	kxs_wt_req(test, g2, tx, XS_WRITE,
		   "some/deep/dark/different/path|something", "OK");
	kxs_wt_events(test, g, "");
	kxs_wt_req(test, g2, tx, XS_TRANSACTION_END, "T|", "OK");
	kxs_wt_events(test, g,
		      "some/deep|watch|some/deep/dark/different/path|watch|");
	/* The old value is lost, the new path and the rest are there. */
	KXS_WT(test, g, XS_READ, "some/deep/dark|", "");
	KXS_WT(test, g, XS_READ, "some/deep/dark/different/path|",
	       "something");
	KXS_WT(test, g, XS_READ, "some/place/safe|", "keepme");
	KUNIT_EXPECT_EQ(test, kxs_store_read(kxs_fx(test)->store, KXS_AS(0),
					     "/local/domain/5/some/deep/dark",
					     buf, sizeof(buf)), 0);
	kxs_fx_expect_check(test, kxs_fx(test)->store);
}

static void kxs_watch_special_paths(struct kunit *test)
{
	struct kxs_conn *d0 = kxs_fx(test)->conn;
	struct kxs_conn *w = kxs_fx_conn(test);
	struct kxs_conn *g = kxs_fx_guest(test, 9);

	KXS_WT(test, w, XS_WATCH, "@introduceDomain|i|", "OK");
	KXS_WT(test, w, XS_WATCH, "@introduceDomain|i1|1|", "OK");
	KXS_WT(test, w, XS_WATCH, "@releaseDomain|r|", "OK");
	KXS_WT(test, w, XS_WATCH, "@releaseDomain/6|r6|", "OK");
	KXS_WT(test, w, XS_WATCH, "@other|o|", "OK");
	kxs_wt_events(test, w,
		      "@introduceDomain|i|@introduceDomain|i1|@releaseDomain|r|@releaseDomain/6|r6|@other|o|");
	KXS_WT(test, g, XS_WATCH, "@releaseDomain|g|", "OK");
	kxs_wt_events(test, g, "@releaseDomain|g|");

	KXS_WT(test, d0, XS_INTRODUCE, "5|1|1|", "OK");
	kxs_wt_events(test, w, "@introduceDomain|i|@introduceDomain/5|i1|");
	KXS_WT(test, d0, XS_INTRODUCE, "6|1|1|", "OK");
	KXS_WT(test, d0, XS_RELEASE, "5|", "OK");
	kxs_wt_events(test, w,
		      "@introduceDomain|i|@introduceDomain/6|i1|@releaseDomain|r|");
	/* Not readable for the guest until the control domain says so. */
	kxs_wt_events(test, g, "");
	KXS_WT(test, d0, XS_SET_PERMS, "@releaseDomain|n0|r9|", "OK");
	KXS_WT(test, d0, XS_RELEASE, "6|", "OK");
	kxs_wt_events(test, w,
		      "@releaseDomain|r|@releaseDomain/6|r6|");
	kxs_wt_events(test, g, "@releaseDomain|g|");
	/* No node events for special watches. */
	KXS_WT(test, d0, XS_WRITE, "/x|1", "OK");
	kxs_wt_events(test, w, "");
}

/* RELEASE removes the domain's nodes as RM would: watches hear of it. */
static void kxs_watch_release_reports_removed_nodes(struct kunit *test)
{
	struct kxs_conn *d0 = kxs_fx(test)->conn;
	struct kxs_conn *w = kxs_fx_conn(test);

	KXS_WT(test, d0, XS_INTRODUCE, "5|1|1|", "OK");
	KXS_WT(test, d0, XS_WRITE, "/local/domain/5/dev/x|1", "OK");
	KXS_WT(test, d0, XS_SET_PERMS, "/local/domain/5|n5|", "OK");
	KXS_WT(test, w, XS_WATCH, "/local/domain|dom|", "OK");
	KXS_WT(test, w, XS_WATCH, "/local/domain/5/dev/x|x|", "OK");
	KXS_WT(test, w, XS_WATCH, "@introduceDomain|i|", "OK");
	kxs_wt_events(test, w,
		      "/local/domain|dom|/local/domain/5/dev/x|x|@introduceDomain|i|");
	KXS_WT(test, d0, XS_RELEASE, "5|", "OK");
	kxs_wt_events(test, w,
		      "/local/domain/5|dom|/local/domain/5/dev/x|x|");
	KXS_WT(test, d0, XS_READ, "/local/domain/5|", "ENOENT");
	/* A second INTRODUCE of an introduced domain is no news. */
	KXS_WT(test, d0, XS_INTRODUCE, "6|1|1|", "OK");
	KXS_WT(test, d0, XS_INTRODUCE, "6|1|2|", "OK");
	kxs_wt_events(test, w, "@introduceDomain|i|");
}

static void kxs_watch_quota_and_reset(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g, *g2, *d0 = fx->conn, *w = kxs_fx_conn(test);
	unsigned int txs, watches, conns;
	unsigned long dropped;

	fx->quota[KXS_QUOTA_WATCHES] = 2;
	g = kxs_fx_guest(test, 5);
	g2 = kxs_fx_guest(test, 5);
	KXS_WT(test, g, XS_WATCH, "/a|1|", "OK");
	KXS_WT(test, g2, XS_WATCH, "/a|2|", "OK");
	/* Per domain, over both connections: ENOSPC as upstream's. */
	KXS_WT(test, g, XS_WATCH, "/a|3|", "ENOSPC");
	KXS_WT(test, g2, XS_WATCH, "/a|3|", "ENOSPC");
	KXS_WT(test, g2, XS_UNWATCH, "/a|2|", "OK");
	KXS_WT(test, g, XS_WATCH, "/a|3|", "OK");
	kxs_wt_events(test, g, "/a|1|/a|3|");
	kxs_wt_events(test, g2, "/a|2|");
	KUNIT_EXPECT_EQ(test, kxs_domain_usage(&fx->doms, 5, &txs, &watches,
					       &conns, &dropped), 0);
	KUNIT_EXPECT_EQ(test, watches, 2);
	/* The control domain has no limit. */
	KXS_WT(test, w, XS_WATCH, "/a|1|", "OK");
	KXS_WT(test, w, XS_WATCH, "/a|2|", "OK");
	KXS_WT(test, w, XS_WATCH, "/a|3|", "OK");
	kxs_wt_events(test, w, "/a|1|/a|2|/a|3|");

	/* RESET_WATCHES ends watches and transactions. */
	kxs_w_tx_start(test, g);
	KXS_WT(test, g, XS_RESET_WATCHES, "", "OK");
	KUNIT_EXPECT_EQ(test, kxs_domain_usage(&fx->doms, 5, &txs, &watches,
					       &conns, &dropped), 0);
	KUNIT_EXPECT_EQ(test, watches, 0);
	KUNIT_EXPECT_EQ(test, txs, 0);
	KXS_WT(test, d0, XS_WRITE, "/a|v", "OK");
	kxs_wt_events(test, g, "");
	kxs_wt_events(test, w, "/a|1|/a|2|/a|3|");
	kxs_wt_events(test, g2, "");
	KXS_WT(test, g, XS_WATCH, "/a|1|", "OK");
	KXS_WT(test, g, XS_WATCH, "/a|2|", "OK");
	kxs_wt_events(test, g, "/a|1|/a|2|");
	/* Closing the connection frees its watches (kmemleak watches). */
	kxs_fx_close(test, g);
	KUNIT_EXPECT_EQ(test, kxs_domain_usage(&fx->doms, 5, &txs, &watches,
					       &conns, &dropped), 0);
	KUNIT_EXPECT_EQ(test, watches, 0);
}

/* READ "/f/0" on @g: its reply comes after the events queued before it. */
static void kxs_wt_flood_reply(struct kunit *test, struct kxs_conn *g)
{
	struct kxs_fx *fx = kxs_fx(test);
	size_t events = 0, n = kxs_w_msg(fx->buf, XS_READ, 99, 0, "/f/0", 5);
	struct xsd_sockmsg hdr;

	KUNIT_ASSERT_EQ(test, kxs_w_write(g, fx->buf, n), (ssize_t)n);
	for (;;) {
		KUNIT_ASSERT_EQ(test, kxs_w_read(g, &hdr, sizeof(hdr)),
				(ssize_t)sizeof(hdr));
		KUNIT_ASSERT_LE(test, hdr.len, (u32)KXS_PAYLOAD_MAX);
		KUNIT_ASSERT_EQ(test, kxs_w_read(g, fx->reply, hdr.len),
				(ssize_t)hdr.len);
		if (hdr.type != XS_WATCH_EVENT)
			break;
		events++;
	}
	KUNIT_EXPECT_EQ(test, hdr.type, (u32)XS_READ);
	KUNIT_EXPECT_EQ(test, hdr.req_id, 99);
	KUNIT_EXPECT_EQ(test, hdr.len, 1);
	KUNIT_EXPECT_GT(test, events, (size_t)100);
	KUNIT_EXPECT_EQ(test, g->ev_bytes, 0);
}

/* A connection that never reads: its events stop at the bound. */
static void kxs_watch_event_queue_is_bounded(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_conn *g = kxs_fx_guest(test, 5), *w = kxs_fx_conn(test);
	unsigned int txs, watches, conns, i;
	unsigned long dropped;
	char path[64];

	KXS_WT(test, g, XS_WATCH, "/f|flood|", "OK");
	KXS_WT(test, w, XS_WATCH, "/f/0|one|", "OK");
	kxs_wt_events(test, w, "/f/0|one|");
	KXS_WT(test, fx->conn, XS_SET_PERMS, "/|r0|", "OK");
	for (i = 0; i < 3000; i++) {
		snprintf(path, sizeof(path), "/f/%u|x", i);
		KXS_WT(test, fx->conn, XS_WRITE, path, "OK");
	}
	KUNIT_EXPECT_LE(test, g->ev_bytes, (size_t)KXS_CONN_EVENTS_MAX);
	KUNIT_EXPECT_GT(test, g->ev_bytes, (size_t)KXS_CONN_EVENTS_MAX / 2);
	KUNIT_EXPECT_GT(test, g->events_dropped, 0);
	KUNIT_EXPECT_EQ(test, kxs_domain_usage(&fx->doms, 5, &txs, &watches,
					       &conns, &dropped), 0);
	KUNIT_EXPECT_EQ(test, dropped, g->events_dropped);
	/* Others are unaffected ... */
	kxs_wt_events(test, w, "/f/0|one|");
	/* ... and the flooded one gets its reply after the queued events. */
	kxs_wt_flood_reply(test, g);
}

static struct kunit_case kxs_watch_cases[] = {
	KUNIT_CASE(kxs_watch_initial_event_after_reply),
	KUNIT_CASE(kxs_watch_bad_requests),
	KUNIT_CASE(kxs_watch_matches_node_and_descendants),
	KUNIT_CASE(kxs_watch_removed_ancestor_reports_watch_path),
	KUNIT_CASE(kxs_watch_relative_paths_stay_relative),
	KUNIT_CASE(kxs_watch_events_only_for_readable_nodes),
	KUNIT_CASE(kxs_watch_transaction_events_at_commit),
	KUNIT_CASE(kxs_watch_transaction_resurrects_subtree),
	KUNIT_CASE(kxs_watch_special_paths),
	KUNIT_CASE(kxs_watch_release_reports_removed_nodes),
	KUNIT_CASE(kxs_watch_quota_and_reset),
	KUNIT_CASE(kxs_watch_event_queue_is_bounded),
	{}
};

static struct kunit_suite kxs_watch_suite = {
	.name = "kxenstore_watch",
	.init = kxs_watch_test_init,
	.exit = kxs_watch_test_exit,
	.test_cases = kxs_watch_cases,
};

kunit_test_suite(kxs_watch_suite);
