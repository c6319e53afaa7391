/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the KUnit suites.
 */
#ifndef _KXS_TEST_H
#define _KXS_TEST_H

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "conn.h"
#include "domain.h"
#include "perms.h"
#include "stats.h"
#include "store.h"

static inline const struct kxs_caller *
kxs_test_as(struct kxs_caller *c, u16 domid)
{
	c->domid = domid;
	c->target = KXS_NO_TARGET;
	c->priv = domid == KXS_DOMID_CONTROL;
	return c;
}

/*
 * A caller acting for @d: the control domain for 0 (privileged), else a
 * guest without target and without quotas.  Valid in the enclosing block.
 */
#define KXS_AS(d) kxs_test_as(&(struct kxs_caller){ }, (d))

/* An unprivileged caller @d acting for target @t, without quotas. */
#define KXS_GUEST(d, t) (&(const struct kxs_caller){ \
	.domid = (d), .target = (t), .priv = false })

/*
 * A store, its domain table (all quotas 0: unlimited, until a test sets
 * them in @quota) and a connection of the control domain; guest
 * connections are added by kxs_fx_guest() and closed with the fixture.
 */
#define KXS_FX_CONNS	6

struct kxs_fx {
	struct kxs_store *store;
	struct kxs_domains doms;
	u32 quota[KXS_QUOTA_NR];
	struct kxs_conn *conn;
	struct kxs_conn *conns[KXS_FX_CONNS];
	char *buf;	/* the request being sent */
	char *reply;	/* the payload of the last reply */
	u32 req_id;
	long stats[KXS_STAT_NR];	/* the object counts before */
};

static inline struct kxs_fx *kxs_fx(struct kunit *test)
{
	return test->priv;
}

static inline int kxs_fx_init(struct kunit *test)
{
	struct kxs_fx *fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, fx);
	for (i = 0; i < KXS_STAT_NR; i++)
		fx->stats[i] = kxs_stat(i);
	fx->buf = kunit_kzalloc(test, KXS_MSG_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fx->buf);
	fx->reply = kunit_kzalloc(test, KXS_MSG_MAX + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fx->reply);
	fx->store = kxs_store_create();
	KUNIT_ASSERT_NOT_NULL(test, fx->store);
	KUNIT_ASSERT_EQ(test, kxs_domains_init(&fx->doms, fx->quota), 0);
	fx->conn = kxs_conn_create(fx->store, &fx->doms);
	KUNIT_ASSERT_NOT_NULL(test, fx->conn);
	test->priv = fx;
	return 0;
}

static inline void kxs_fx_exit(struct kunit *test)
{
	struct kxs_fx *fx = test->priv;
	int i;

	for (i = 0; i < KXS_FX_CONNS; i++)
		if (fx->conns[i])
			kxs_conn_close(fx->conns[i]);
	kxs_conn_close(fx->conn);
	kxs_domains_destroy(&fx->doms);
	kxs_store_destroy(fx->store);
	/* Every object the case made is freed: nothing leaks. */
	for (i = 0; i < KXS_STAT_NR; i++)
		KUNIT_EXPECT_EQ_MSG(test, kxs_stat(i), fx->stats[i],
				    "%s left", kxs_stat_names[i]);
}

/* Another connection, acting for the control domain until bound. */
static inline struct kxs_conn *kxs_fx_conn(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	int i;

	for (i = 0; i < KXS_FX_CONNS; i++)
		if (!fx->conns[i])
			break;
	KUNIT_ASSERT_LT(test, i, KXS_FX_CONNS);
	fx->conns[i] = kxs_conn_create(fx->store, &fx->doms);
	KUNIT_ASSERT_NOT_NULL(test, fx->conns[i]);
	return fx->conns[i];
}

/* A connection bound to guest domain @domid, as the bind ioctl makes it. */
static inline struct kxs_conn *kxs_fx_guest(struct kunit *test, u16 domid)
{
	struct kxs_conn *c = kxs_fx_conn(test);

	KUNIT_ASSERT_EQ(test, kxs_conn_bind(c, domid), 0);
	return c;
}

/* Close a connection of kxs_fx_conn() before the end of the test. */
static inline void kxs_fx_close(struct kunit *test, struct kxs_conn *c)
{
	struct kxs_fx *fx = kxs_fx(test);
	int i;

	for (i = 0; i < KXS_FX_CONNS; i++) {
		if (fx->conns[i] == c) {
			fx->conns[i] = NULL;
			kxs_conn_close(c);
			return;
		}
	}
	KUNIT_FAIL(test, "not a connection of the fixture");
}

/* Does @path exist (whoever may see it)? */
static inline bool kxs_fx_exists(struct kunit *test, const char *path)
{
	char buf[1];

	return kxs_store_read(kxs_fx(test)->store, KXS_AS(0), path, buf,
			      0) != -ENOENT;
}

/* Nodes @domid owns in the fixture's store. */
static inline unsigned long kxs_fx_owned(struct kunit *test, u16 domid)
{
	return kxs_store_owned(kxs_fx(test)->store, domid);
}

/* The store's own check: expect no problem, and print them if any. */
static inline void kxs_fx_expect_check(struct kunit *test,
				       struct kxs_store *s)
{
	char *text = kunit_kzalloc(test, 4096, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, text);
	KUNIT_EXPECT_EQ_MSG(test, kxs_store_check(s, text, 4096), 0, "%s",
			    text);
}

/* write() and read() of a client, never blocking. */
static inline ssize_t kxs_w_write(struct kxs_conn *c, const void *buf,
				  size_t len)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	return kxs_conn_write(c, &it, true);
}

static inline ssize_t kxs_w_read(struct kxs_conn *c, void *buf, size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	return kxs_conn_read(c, &it, true);
}

/* Lay out a message at @buf; return its total length. */
static inline size_t kxs_w_msg(void *buf, u32 type, u32 req_id, u32 tx_id,
			       const void *payload, u32 len)
{
	struct xsd_sockmsg hdr = {
		.type = type, .req_id = req_id, .tx_id = tx_id, .len = len,
	};

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy((u8 *)buf + sizeof(hdr), payload, len);
	return sizeof(hdr) + len;
}

/*
 * Read the next message queued for @c, whole: its header in *@hdr, its
 * payload in fx->reply (NUL-terminated one byte past it).
 */
static inline void kxs_w_next(struct kunit *test, struct kxs_conn *c,
			      struct xsd_sockmsg *hdr)
{
	struct kxs_fx *fx = kxs_fx(test);

	KUNIT_ASSERT_EQ(test, kxs_w_read(c, hdr, sizeof(*hdr)),
			(ssize_t)sizeof(*hdr));
	KUNIT_ASSERT_LE(test, hdr->len, (u32)KXS_PAYLOAD_MAX);
	if (hdr->len)
		KUNIT_ASSERT_EQ(test, kxs_w_read(c, fx->reply, hdr->len),
				(ssize_t)hdr->len);
	fx->reply[hdr->len] = '\0';
}

/*
 * Send one request on @c in transaction @tx and read its reply: returns
 * the reply's type, its payload in fx->reply (NUL-terminated one byte
 * past it, for string checks) and its length in *@rlen.
 */
static inline u32 kxs_w_call(struct kunit *test, struct kxs_conn *c, u32 tx,
			     u32 type, const void *req, u32 len, u32 *rlen)
{
	struct kxs_fx *fx = kxs_fx(test);
	u32 req_id = ++fx->req_id;
	size_t n = kxs_w_msg(fx->buf, type, req_id, tx, req, len);
	struct xsd_sockmsg hdr;
	u8 extra;

	KUNIT_ASSERT_EQ(test, kxs_w_write(c, fx->buf, n), (ssize_t)n);
	kxs_w_next(test, c, &hdr);
	KUNIT_EXPECT_EQ(test, hdr.req_id, req_id);
	KUNIT_EXPECT_EQ(test, hdr.tx_id, tx);
	/* One reply per request: nothing else is queued. */
	KUNIT_EXPECT_EQ(test, kxs_w_read(c, &extra, 1), (ssize_t)-EAGAIN);
	*rlen = hdr.len;
	return hdr.type;
}

/* Send one request and expect exactly the reply @rtype, @reply. */
static inline void kxs_w_rt(struct kunit *test, struct kxs_conn *c, u32 tx,
			    u32 type, const void *req, u32 len, u32 rtype,
			    const void *reply, u32 rlen)
{
	struct kxs_fx *fx = kxs_fx(test);
	u32 got_len, got;

	got = kxs_w_call(test, c, tx, type, req, len, &got_len);
	KUNIT_EXPECT_EQ_MSG(test, got, rtype, "type %u \"%.*s\": reply \"%s\"",
			    type, (int)len, (const char *)req, fx->reply);
	KUNIT_ASSERT_EQ_MSG(test, got_len, rlen,
			    "type %u \"%.*s\": reply \"%s\"", type, (int)len,
			    (const char *)req, fx->reply);
	KUNIT_EXPECT_MEMEQ(test, fx->reply, reply, rlen);
}

/* String literals, embedded NULs included, without the literal's own. */
#define KXS_W_RT(test, c, type, req, rtype, reply)			\
	kxs_w_rt(test, c, 0, type, req, sizeof(req) - 1, rtype, reply,	\
		 sizeof(reply) - 1)
#define KXS_W_TX(test, c, tx, type, req, rtype, reply)			\
	kxs_w_rt(test, c, tx, type, req, sizeof(req) - 1, rtype, reply,	\
		 sizeof(reply) - 1)

/* Start a transaction on @c; return its id. */
static inline u32 kxs_w_tx_start(struct kunit *test, struct kxs_conn *c)
{
	struct kxs_fx *fx = kxs_fx(test);
	u32 len, tx = 0;

	KUNIT_ASSERT_EQ(test, kxs_w_call(test, c, 0, XS_TRANSACTION_START,
					 "", 1, &len),
			(u32)XS_TRANSACTION_START);
	KUNIT_ASSERT_GT(test, len, 1);
	KUNIT_ASSERT_EQ(test, fx->reply[len - 1], '\0');
	KUNIT_ASSERT_EQ(test, kstrtou32(fx->reply, 10, &tx), 0);
	KUNIT_ASSERT_NE(test, tx, 0);
	return tx;
}

#endif /* _KXS_TEST_H */
