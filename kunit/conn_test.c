// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: wire framing of a connection, and request/reply handling as a
 * client sees it through write() and read().
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "conn.h"
#include "domain.h"
#include "proto.h"
#include "store.h"
#include "kxs_test.h"
#include "transaction.h"

struct kxs_conn_test {
	struct kxs_store *store;
	struct kxs_domains doms;
	u32 quota[KXS_QUOTA_NR];
	struct kxs_conn *conn;
	u8 *buf;		/* scratch for building and reading messages */
};

static int kxs_conn_test_init(struct kunit *test)
{
	struct kxs_conn_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->store = kxs_store_create();
	KUNIT_ASSERT_NOT_NULL(test, t->store);
	t->quota[KXS_QUOTA_TRANSACTIONS] = 10;
	KUNIT_ASSERT_EQ(test, kxs_domains_init(&t->doms, t->quota), 0);
	t->conn = kxs_conn_create(t->store, &t->doms);
	KUNIT_ASSERT_NOT_NULL(test, t->conn);
	t->buf = kunit_kzalloc(test, 4 * KXS_MSG_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->buf);
	test->priv = t;
	return 0;
}

static void kxs_conn_test_exit(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;

	kxs_conn_close(t->conn);
	kxs_domains_destroy(&t->doms);
	kxs_store_destroy(t->store);
}

static ssize_t kxs_test_write(struct kxs_conn *c, const void *buf, size_t len)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	return kxs_conn_write(c, &it, true);
}

static ssize_t kxs_test_read(struct kxs_conn *c, void *buf, size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	return kxs_conn_read(c, &it, true);
}

/* Lay out a message at @buf; return its total length. */
static size_t kxs_test_msg(void *buf, u32 type, u32 req_id, u32 tx_id,
			   const void *payload, u32 len)
{
	struct xsd_sockmsg hdr = {
		.type = type, .req_id = req_id, .tx_id = tx_id, .len = len,
	};

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy((u8 *)buf + sizeof(hdr), payload, len);
	return sizeof(hdr) + len;
}

/* Read one whole reply and check it. */
static void kxs_expect_reply(struct kunit *test, u32 type, u32 req_id,
			     u32 tx_id, const void *payload, u32 len)
{
	struct kxs_conn_test *t = test->priv;
	struct xsd_sockmsg hdr;

	KUNIT_ASSERT_EQ(test, kxs_test_read(t->conn, &hdr, sizeof(hdr)),
			(ssize_t)sizeof(hdr));
	KUNIT_EXPECT_EQ(test, hdr.type, type);
	KUNIT_EXPECT_EQ(test, hdr.req_id, req_id);
	KUNIT_EXPECT_EQ(test, hdr.tx_id, tx_id);
	KUNIT_ASSERT_EQ(test, hdr.len, len);
	if (!len)
		return;
	KUNIT_ASSERT_EQ(test, kxs_test_read(t->conn, t->buf, len),
			(ssize_t)len);
	KUNIT_EXPECT_MEMEQ(test, t->buf, payload, len);
}

static void kxs_expect_no_reply(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, kxs_test_read(t->conn, t->buf, 1),
			(ssize_t)-EAGAIN);
}

/* Send one request in one write and check the reply. */
static void kxs_roundtrip(struct kunit *test, u32 type, const void *req,
			  u32 len, u32 rtype, const void *reply, u32 rlen)
{
	struct kxs_conn_test *t = test->priv;
	size_t n = kxs_test_msg(t->buf, type, 42, 0, req, len);

	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	kxs_expect_reply(test, rtype, 42, 0, reply, rlen);
}

#define KXS_RT(test, type, req, rtype, reply)				\
	kxs_roundtrip(test, type, req, sizeof(req) - 1, rtype, reply,	\
		      sizeof(reply) - 1)

static void kxs_conn_write_read_directory_rm(struct kunit *test)
{
	KXS_RT(test, XS_WRITE, "/a/b\0hello", XS_WRITE, "OK\0");
	KXS_RT(test, XS_READ, "/a/b\0", XS_READ, "hello");
	KXS_RT(test, XS_MKDIR, "/a/c\0", XS_MKDIR, "OK\0");
	KXS_RT(test, XS_DIRECTORY, "/a\0", XS_DIRECTORY, "b\0c\0");
	KXS_RT(test, XS_RM, "/a/b\0", XS_RM, "OK\0");
	KXS_RT(test, XS_READ, "/a/b\0", XS_ERROR, "ENOENT\0");
	KXS_RT(test, XS_RM, "/x/y\0", XS_ERROR, "ENOENT\0");
	KXS_RT(test, XS_RM, "/\0", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_DIRECTORY, "/a\0", XS_DIRECTORY, "c\0");
}

static void kxs_conn_relative_paths_use_domain_home(struct kunit *test)
{
	KXS_RT(test, XS_WRITE, "rel\0v", XS_WRITE, "OK\0");
	KXS_RT(test, XS_READ, "/local/domain/0/rel\0", XS_READ, "v");
	KXS_RT(test, XS_READ, "rel\0", XS_READ, "v");
}

static void kxs_conn_write_value_may_hold_nuls(struct kunit *test)
{
	KXS_RT(test, XS_WRITE, "/v\0a\0b\0", XS_WRITE, "OK\0");
	KXS_RT(test, XS_READ, "/v\0", XS_READ, "a\0b\0");
	KXS_RT(test, XS_WRITE, "/v\0", XS_WRITE, "OK\0");
	KXS_RT(test, XS_READ, "/v\0", XS_READ, "");
}

static void kxs_conn_malformed_payloads_get_einval(struct kunit *test)
{
	KXS_RT(test, XS_READ, "", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_READ, "/a", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_READ, "/a\0\0", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_READ, "/a\0b\0", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_WRITE, "/nonul", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_WRITE, "/a b\0v", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_MKDIR, "/a//b\0", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_RM, "/a/\0", XS_ERROR, "EINVAL\0");
	KXS_RT(test, XS_DIRECTORY, "@introduceDomain\0", XS_ERROR, "EINVAL\0");
	/* Nothing of that reached the store. */
	KXS_RT(test, XS_DIRECTORY, "/\0", XS_DIRECTORY, "");
}

static void kxs_conn_unknown_and_reply_only_types_get_enosys(struct kunit *test)
{
	static const u32 types[] = {
		XS_WATCH_EVENT, XS_ERROR, 20, 27, 1000, XS_INVALID,
		0xffffffff,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		KXS_RT(test, types[i], "/a\0", XS_ERROR, "ENOSYS\0");
}

/* An errno the protocol has no name for travels as EINVAL (upstream's). */
static void kxs_conn_unnamed_errno_is_einval(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, kxs_errno_name(ENOENT), "ENOENT");
	KUNIT_EXPECT_STREQ(test, kxs_errno_name(E2BIG), "E2BIG");
	KUNIT_EXPECT_STREQ(test, kxs_errno_name(EFAULT), "EINVAL");
	KUNIT_EXPECT_STREQ(test, kxs_errno_name(EOVERFLOW), "EINVAL");
	KUNIT_EXPECT_STREQ(test, kxs_errno_name(0), "EINVAL");
}

static void kxs_conn_reply_echoes_req_and_tx_id(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	size_t n = kxs_test_msg(t->buf, XS_READ, 0xdeadbeef, 0, "/\0", 2);

	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	kxs_expect_reply(test, XS_READ, 0xdeadbeef, 0, "", 0);
	/* Errors too, even for a tx_id that names no transaction. */
	n = kxs_test_msg(t->buf, XS_READ, 6, 7, "/\0", 2);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	kxs_expect_reply(test, XS_ERROR, 6, 7, "ENOENT", 7);
	n = kxs_test_msg(t->buf, 99, 5, 0xffffffff, "", 0);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	kxs_expect_reply(test, XS_ERROR, 5, 0xffffffff, "ENOSYS", 7);
}

static void kxs_conn_header_split_across_writes(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	size_t n = kxs_test_msg(t->buf, XS_WRITE, 1, 0, "/s\0xy", 5), i;

	/* One byte per write: nothing happens before the last byte. */
	for (i = 0; i < n; i++) {
		kxs_expect_no_reply(test);
		KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf + i, 1),
				(ssize_t)1);
	}
	kxs_expect_reply(test, XS_WRITE, 1, 0, "OK", 3);
	KXS_RT(test, XS_READ, "/s\0", XS_READ, "xy");
}

static void kxs_conn_several_messages_in_one_write(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	size_t n = 0;

	n += kxs_test_msg(t->buf + n, XS_WRITE, 1, 0, "/m\0one", 6);
	n += kxs_test_msg(t->buf + n, XS_READ, 2, 0, "/m\0", 3);
	n += kxs_test_msg(t->buf + n, 20, 3, 0, "", 0);
	n += kxs_test_msg(t->buf + n, XS_RM, 4, 0, "/m\0", 3);
	/* ... and the start of a fifth, finished by a second write. */
	n += kxs_test_msg(t->buf + n, XS_READ, 5, 0, "/m\0", 3);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n - 2),
			(ssize_t)(n - 2));
	kxs_expect_reply(test, XS_WRITE, 1, 0, "OK", 3);
	kxs_expect_reply(test, XS_READ, 2, 0, "one", 3);
	kxs_expect_reply(test, XS_ERROR, 3, 0, "ENOSYS", 7);
	kxs_expect_reply(test, XS_RM, 4, 0, "OK", 3);
	kxs_expect_no_reply(test);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf + n - 2, 2),
			(ssize_t)2);
	kxs_expect_reply(test, XS_ERROR, 5, 0, "ENOENT", 7);
}

static void kxs_conn_oversize_len_is_refused_and_dropped(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	struct xsd_sockmsg bad = { .type = XS_WRITE, .len = KXS_PAYLOAD_MAX + 1 };

	/* Header in two pieces: the refusal comes with the piece completing it. */
	KUNIT_EXPECT_EQ(test, kxs_test_write(t->conn, &bad, 10), (ssize_t)10);
	KUNIT_EXPECT_EQ(test, kxs_test_write(t->conn, (u8 *)&bad + 10, 6),
			(ssize_t)-E2BIG);
	kxs_expect_no_reply(test);
	/* The connection is back at a message boundary. */
	KXS_RT(test, XS_WRITE, "/ok\0fine", XS_WRITE, "OK\0");
	bad.len = 0xffffffff;
	KUNIT_EXPECT_EQ(test, kxs_test_write(t->conn, &bad, sizeof(bad)),
			(ssize_t)-E2BIG);
	KXS_RT(test, XS_READ, "/ok\0", XS_READ, "fine");
}

static void kxs_conn_oversize_after_good_message_in_same_write(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	struct xsd_sockmsg bad = { .type = XS_READ, .len = 5000 };
	size_t good = kxs_test_msg(t->buf, XS_MKDIR, 1, 0, "/g\0", 3);

	memcpy(t->buf + good, &bad, sizeof(bad));
	/* The good message is taken, the write stops before the bad header ... */
	KUNIT_EXPECT_EQ(test, kxs_test_write(t->conn, t->buf,
					     good + sizeof(bad)),
			(ssize_t)good);
	kxs_expect_reply(test, XS_MKDIR, 1, 0, "OK", 3);
	/* ... which is refused when written again. */
	KUNIT_EXPECT_EQ(test, kxs_test_write(t->conn, t->buf + good,
					     sizeof(bad)), (ssize_t)-E2BIG);
	kxs_expect_no_reply(test);
}

static void kxs_conn_zero_length_write_does_nothing(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, kxs_test_write(t->conn, t->buf, 0), (ssize_t)0);
	kxs_expect_no_reply(test);
	KXS_RT(test, XS_DIRECTORY, "/\0", XS_DIRECTORY, "");
}

static void kxs_conn_largest_payload_is_accepted(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	u8 *req = kunit_kzalloc(test, KXS_PAYLOAD_MAX, GFP_KERNEL);
	u32 vlen = KXS_PAYLOAD_MAX - 4;
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, req);
	memcpy(req, "/big", 5);
	memset(req + 5, 'v', vlen - 1);
	n = kxs_test_msg(t->buf, XS_WRITE, 1, 0, req, KXS_PAYLOAD_MAX);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	kxs_expect_reply(test, XS_WRITE, 1, 0, "OK", 3);
	n = kxs_test_msg(t->buf, XS_READ, 2, 0, "/big\0", 5);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	kxs_expect_reply(test, XS_READ, 2, 0, req + 5, vlen - 1);
}

static void kxs_conn_directory_reply_over_payload_max(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	char path[64];
	int i;

	/* 100 children of 49 bytes each: a 4900-byte list. */
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "/d/%048d", i);
		KUNIT_ASSERT_EQ(test, kxs_store_mkdir(t->store, KXS_AS(0), path, NULL), 0);
	}
	KXS_RT(test, XS_DIRECTORY, "/d\0", XS_ERROR, "E2BIG\0");
}

static void kxs_conn_reads_are_a_byte_stream(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	size_t n = 0, got = 0;
	u8 *out;
	ssize_t r;

	out = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);
	n += kxs_test_msg(t->buf + n, XS_WRITE, 1, 0, "/b\0abc", 6);
	n += kxs_test_msg(t->buf + n, XS_READ, 2, 0, "/b\0", 3);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	/* Two replies, 19 + 19 bytes, read 5 bytes at a time. */
	while ((r = kxs_test_read(t->conn, out + got, 5)) > 0)
		got += r;
	KUNIT_EXPECT_EQ(test, r, (ssize_t)-EAGAIN);
	KUNIT_ASSERT_EQ(test, got, (size_t)38);
	n = kxs_test_msg(t->buf, XS_WRITE, 1, 0, "OK", 3);
	n += kxs_test_msg(t->buf + n, XS_READ, 2, 0, "abc", 3);
	KUNIT_ASSERT_EQ(test, n, (size_t)38);
	KUNIT_EXPECT_MEMEQ(test, out, t->buf, 38);
}

static void kxs_conn_unread_replies_stop_new_requests(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	size_t n = kxs_test_msg(t->buf, XS_READ, 1, 0, "/\0", 2);
	int sent = 0, read = 0;
	ssize_t r;

	/* A client that never reads is stopped once the queue is full. */
	while ((r = kxs_test_write(t->conn, t->buf, n)) == (ssize_t)n)
		sent++;
	KUNIT_EXPECT_EQ(test, r, (ssize_t)-EAGAIN);
	KUNIT_EXPECT_GT(test, sent, 0);
	KUNIT_EXPECT_LE(test, t->conn->out_bytes,
			(size_t)KXS_CONN_OUT_MAX + KXS_MSG_MAX + 64);
	/* Every request taken in still gets its reply. */
	while (kxs_test_read(t->conn, t->buf + 64, KXS_HDR_SIZE) ==
	       KXS_HDR_SIZE)
		read++;
	KUNIT_EXPECT_EQ(test, read, sent);
	KUNIT_EXPECT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
}

/*
 * A reply read before the next request is the spare itself, handed back
 * by the reader; replies behind others are right-sized copies.  A
 * largest-size watch event handed back the same way becomes a reply:
 * the queue's accounting must still come back to zero.
 */
static void kxs_conn_recycled_messages_keep_the_accounting(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	u8 *req = kunit_kzalloc(test, KXS_PAYLOAD_MAX, GFP_KERNEL);
	size_t n;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, req);
	/* "/w\0<token>\0": an initial event of the largest payload. */
	memcpy(req, "/w", 3);
	memset(req + 3, 't', KXS_PAYLOAD_MAX - 4);
	n = kxs_test_msg(t->buf, XS_WATCH, 1, 0, req, KXS_PAYLOAD_MAX);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	kxs_expect_reply(test, XS_WATCH, 1, 0, "OK", 3);
	kxs_expect_reply(test, XS_WATCH_EVENT, 0, 0, req, KXS_PAYLOAD_MAX);
	KUNIT_EXPECT_NOT_NULL(test, t->conn->recycled);
	for (i = 0; i < 3; i++) {
		KXS_RT(test, XS_WRITE, "/x\0v", XS_WRITE, "OK\0");
		KUNIT_EXPECT_EQ(test, t->conn->out_bytes, (size_t)0);
		KUNIT_EXPECT_EQ(test, t->conn->ev_bytes, (size_t)0);
	}
	/* Three in one write: the first is the spare, the others copies. */
	n = 0;
	for (i = 0; i < 3; i++)
		n += kxs_test_msg(t->buf + n, XS_READ, i, 0, "/x\0", 3);
	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	KUNIT_EXPECT_LT(test, t->conn->out_bytes, (size_t)KXS_MSG_MAX + 256);
	for (i = 0; i < 3; i++)
		kxs_expect_reply(test, XS_READ, i, 0, "v", 1);
	KUNIT_EXPECT_EQ(test, t->conn->out_bytes, (size_t)0);
	KUNIT_EXPECT_EQ(test, t->conn->ev_bytes, (size_t)0);
}

static struct kunit_case kxs_conn_cases[] = {
	KUNIT_CASE(kxs_conn_write_read_directory_rm),
	KUNIT_CASE(kxs_conn_relative_paths_use_domain_home),
	KUNIT_CASE(kxs_conn_write_value_may_hold_nuls),
	KUNIT_CASE(kxs_conn_malformed_payloads_get_einval),
	KUNIT_CASE(kxs_conn_unnamed_errno_is_einval),
	KUNIT_CASE(kxs_conn_unknown_and_reply_only_types_get_enosys),
	KUNIT_CASE(kxs_conn_reply_echoes_req_and_tx_id),
	KUNIT_CASE(kxs_conn_header_split_across_writes),
	KUNIT_CASE(kxs_conn_several_messages_in_one_write),
	KUNIT_CASE(kxs_conn_oversize_len_is_refused_and_dropped),
	KUNIT_CASE(kxs_conn_oversize_after_good_message_in_same_write),
	KUNIT_CASE(kxs_conn_zero_length_write_does_nothing),
	KUNIT_CASE(kxs_conn_largest_payload_is_accepted),
	KUNIT_CASE(kxs_conn_directory_reply_over_payload_max),
	KUNIT_CASE(kxs_conn_reads_are_a_byte_stream),
	KUNIT_CASE(kxs_conn_unread_replies_stop_new_requests),
	KUNIT_CASE(kxs_conn_recycled_messages_keep_the_accounting),
	{}
};

static struct kunit_suite kxs_conn_suite = {
	.name = "kxenstore_conn",
	.init = kxs_conn_test_init,
	.exit = kxs_conn_test_exit,
	.test_cases = kxs_conn_cases,
};

/* Send a request in transaction @tx and expect the given reply. */
static void kxs_tx_roundtrip(struct kunit *test, u32 tx, u32 type,
			     const void *req, u32 len, u32 rtype,
			     const void *reply, u32 rlen)
{
	struct kxs_conn_test *t = test->priv;
	size_t n = kxs_test_msg(t->buf, type, 9, tx, req, len);

	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	kxs_expect_reply(test, rtype, 9, tx, reply, rlen);
}

#define KXS_TX_RT(test, tx, type, req, rtype, reply)			\
	kxs_tx_roundtrip(test, tx, type, req, sizeof(req) - 1, rtype,	\
			 reply, sizeof(reply) - 1)

/* Start a transaction; return its id. */
static u32 kxs_tx_begin(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	size_t n = kxs_test_msg(t->buf, XS_TRANSACTION_START, 3, 0, "", 1);
	struct xsd_sockmsg hdr;
	char id[16] = "";
	u32 tx = 0;

	KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf, n), (ssize_t)n);
	KUNIT_ASSERT_EQ(test, kxs_test_read(t->conn, &hdr, sizeof(hdr)),
			(ssize_t)sizeof(hdr));
	KUNIT_ASSERT_EQ(test, hdr.type, XS_TRANSACTION_START);
	KUNIT_ASSERT_LT(test, hdr.len, sizeof(id));
	KUNIT_ASSERT_EQ(test, kxs_test_read(t->conn, id, hdr.len),
			(ssize_t)hdr.len);
	KUNIT_ASSERT_EQ(test, id[hdr.len - 1], '\0');
	KUNIT_ASSERT_EQ(test, kstrtou32(id, 10, &tx), 0);
	KUNIT_ASSERT_NE(test, tx, 0);
	return tx;
}

static void kxs_tx_writes_are_private_until_commit(struct kunit *test)
{
	u32 tx;

	KXS_RT(test, XS_WRITE, "/a\0old", XS_WRITE, "OK\0");
	tx = kxs_tx_begin(test);
	KXS_TX_RT(test, tx, XS_WRITE, "/a\0new", XS_WRITE, "OK\0");
	KXS_TX_RT(test, tx, XS_WRITE, "/b/c\0x", XS_WRITE, "OK\0");
	KXS_TX_RT(test, tx, XS_READ, "/a\0", XS_READ, "new");
	KXS_TX_RT(test, tx, XS_DIRECTORY, "/\0", XS_DIRECTORY, "a\0b\0");
	KXS_RT(test, XS_READ, "/a\0", XS_READ, "old");
	KXS_RT(test, XS_DIRECTORY, "/\0", XS_DIRECTORY, "a\0");
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		  "OK\0");
	KXS_RT(test, XS_READ, "/a\0", XS_READ, "new");
	KXS_RT(test, XS_READ, "/b/c\0", XS_READ, "x");
	/* The id is gone. */
	KXS_TX_RT(test, tx, XS_READ, "/a\0", XS_ERROR, "ENOENT\0");
}

static void kxs_tx_abort_discards_everything(struct kunit *test)
{
	u32 tx;

	KXS_RT(test, XS_WRITE, "/keep\0v", XS_WRITE, "OK\0");
	tx = kxs_tx_begin(test);
	KXS_TX_RT(test, tx, XS_RM, "/keep\0", XS_RM, "OK\0");
	KXS_TX_RT(test, tx, XS_MKDIR, "/new\0", XS_MKDIR, "OK\0");
	KXS_TX_RT(test, tx, XS_READ, "/keep\0", XS_ERROR, "ENOENT\0");
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "F\0", XS_TRANSACTION_END,
		  "OK\0");
	KXS_RT(test, XS_READ, "/keep\0", XS_READ, "v");
	KXS_RT(test, XS_DIRECTORY, "/\0", XS_DIRECTORY, "keep\0");
}

static void kxs_tx_commit_fails_after_intervening_write(struct kunit *test)
{
	u32 tx;

	tx = kxs_tx_begin(test);
	KXS_TX_RT(test, tx, XS_WRITE, "/mine\0tx", XS_WRITE, "OK\0");
	KXS_RT(test, XS_WRITE, "/other\0direct", XS_WRITE, "OK\0");
	/* A write elsewhere is no conflict ... */
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		  "OK\0");
	KXS_RT(test, XS_READ, "/mine\0", XS_READ, "tx");
	/* ... a write to a node the transaction wrote is. */
	tx = kxs_tx_begin(test);
	KXS_TX_RT(test, tx, XS_WRITE, "/mine\0tx2", XS_WRITE, "OK\0");
	KXS_RT(test, XS_WRITE, "/mine\0direct", XS_WRITE, "OK\0");
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "T\0", XS_ERROR,
		  "EAGAIN\0");
	KXS_RT(test, XS_READ, "/mine\0", XS_READ, "direct");
	KXS_RT(test, XS_READ, "/other\0", XS_READ, "direct");
	/* A read-only transaction commits when nothing changed. */
	tx = kxs_tx_begin(test);
	KXS_TX_RT(test, tx, XS_READ, "/other\0", XS_READ, "direct");
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		  "OK\0");
}

static void kxs_tx_ids_are_distinct_and_nonzero(struct kunit *test)
{
	u32 a = kxs_tx_begin(test), b = kxs_tx_begin(test);

	KUNIT_EXPECT_NE(test, a, b);
	KXS_TX_RT(test, a, XS_WRITE, "/a\0", XS_WRITE, "OK\0");
	KXS_TX_RT(test, b, XS_READ, "/a\0", XS_ERROR, "ENOENT\0");
	KXS_TX_RT(test, b, XS_TRANSACTION_END, "F\0", XS_TRANSACTION_END,
		  "OK\0");
	KXS_TX_RT(test, a, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		  "OK\0");
}

/*
 * Ids go on from the last one handed out, skip those still in use, and
 * after U32_MAX start again at 2 (0 is no transaction, 1 the main tree
 * of checkpoint streams).
 */
static void kxs_tx_ids_cycle_and_skip_live_ones(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	u32 a, b, c, d, e;

	a = kxs_tx_begin(test);
	b = kxs_tx_begin(test);
	KUNIT_EXPECT_EQ(test, b, a + 1);
	/* An ended id is not handed out again at once. */
	KXS_TX_RT(test, a, XS_TRANSACTION_END, "F\0", XS_TRANSACTION_END,
		  "OK\0");
	c = kxs_tx_begin(test);
	KUNIT_EXPECT_EQ(test, c, b + 1);
	/* The next id is b's, still live: skipped. */
	atomic_set(&t->doms.next_txid, b);
	d = kxs_tx_begin(test);
	KUNIT_EXPECT_EQ(test, d, c + 1);
	/* Round the end of the id space. */
	atomic_set(&t->doms.next_txid, U32_MAX);
	e = kxs_tx_begin(test);
	KUNIT_EXPECT_EQ(test, e, U32_MAX);
	e = kxs_tx_begin(test);
	KUNIT_EXPECT_EQ(test, e, 2U);
	KXS_TX_RT(test, b, XS_WRITE, "/b\0", XS_WRITE, "OK\0");
	KXS_TX_RT(test, d, XS_READ, "/b\0", XS_ERROR, "ENOENT\0");
	KXS_TX_RT(test, b, XS_TRANSACTION_END, "T\0", XS_TRANSACTION_END,
		  "OK\0");
	KXS_TX_RT(test, U32_MAX, XS_TRANSACTION_END, "F\0",
		  XS_TRANSACTION_END, "OK\0");
	KXS_TX_RT(test, U32_MAX, XS_TRANSACTION_END, "F\0", XS_ERROR,
		  "ENOENT\0");
}

/*
 * kxs_tx_all(), which a checkpoint lists the transactions with, finds
 * each live one once while the id table resizes.  The table's worker
 * grows it after the starts and shrinks it after the ends, and yields
 * between buckets: a walk may then find some transactions in the old
 * table and the rest in the new one, some in both.  (A version that
 * dropped what it had seen in the old table on reaching the new one lost
 * transactions so: the fuzz caught a checkpoint without one.)
 */
static void kxs_tx_all_finds_each_one_while_the_table_resizes(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	unsigned int round, i, k, n, nr;
	struct kxs_tx **all;
	char end[KXS_HDR_SIZE + 3];
	u32 *ids;

	ids = kunit_kcalloc(test, 2048, sizeof(*ids), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ids);
	for (round = 0; round < 24; round++) {
		n = 64 + (round * 331) % 1984;
		for (i = 0; i < n; i++)
			ids[i] = kxs_tx_begin(test);
		for (k = 0; k < 4; k++) {
			percpu_down_write(&t->doms.quiesce);
			all = kxs_tx_all(&t->doms, &nr);
			percpu_up_write(&t->doms.quiesce);
			KUNIT_ASSERT_FALSE(test, IS_ERR(all));
			KUNIT_EXPECT_EQ_MSG(test, nr, n, "round %u", round);
			/* Each once, by id: the ids were handed out in order. */
			for (i = 0; i < min(nr, n); i++)
				KUNIT_EXPECT_EQ(test, all[i]->id, ids[i]);
			kvfree(all);
			schedule();
		}
		for (i = 0; i < n; i++) {
			size_t len = kxs_test_msg(t->buf, XS_TRANSACTION_END, 3,
						  ids[i], "F", 2);

			KUNIT_ASSERT_EQ(test, kxs_test_write(t->conn, t->buf,
							     len),
					(ssize_t)len);
			KUNIT_ASSERT_EQ(test, kxs_test_read(t->conn, end,
							    KXS_HDR_SIZE + 3),
					(ssize_t)(KXS_HDR_SIZE + 3));
		}
	}
}

static void kxs_tx_bad_requests_get_errors(struct kunit *test)
{
	struct kxs_conn_test *t = test->priv;
	u32 tx, i;

	/* A guest, whose transactions quota (10 here) applies. */
	KUNIT_ASSERT_EQ(test, kxs_conn_bind(t->conn, 7), 0);
	tx = kxs_tx_begin(test);

	/* No nesting, END needs a transaction and T or F. */
	KXS_TX_RT(test, tx, XS_TRANSACTION_START, "\0", XS_ERROR, "EBUSY\0");
	KXS_RT(test, XS_TRANSACTION_END, "T\0", XS_ERROR, "ENOENT\0");
	KXS_TX_RT(test, tx + 1000, XS_TRANSACTION_END, "T\0", XS_ERROR,
		  "ENOENT\0");
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "X\0", XS_ERROR, "EINVAL\0");
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "T", XS_ERROR, "EINVAL\0");
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "TT\0", XS_ERROR,
		  "EINVAL\0");
	/* Still open after the refusals; the limit counts it. */
	for (i = 1; i < t->quota[KXS_QUOTA_TRANSACTIONS]; i++)
		kxs_tx_begin(test);
	KXS_RT(test, XS_TRANSACTION_START, "\0", XS_ERROR, "ENOSPC\0");
	KXS_TX_RT(test, tx, XS_TRANSACTION_END, "F\0", XS_TRANSACTION_END,
		  "OK\0");
	kxs_tx_begin(test);
	/* The open ones are freed with the connection (KASAN watches). */
}

static struct kunit_case kxs_tx_cases[] = {
	KUNIT_CASE(kxs_tx_writes_are_private_until_commit),
	KUNIT_CASE(kxs_tx_abort_discards_everything),
	KUNIT_CASE(kxs_tx_commit_fails_after_intervening_write),
	KUNIT_CASE(kxs_tx_ids_are_distinct_and_nonzero),
	KUNIT_CASE(kxs_tx_ids_cycle_and_skip_live_ones),
	KUNIT_CASE(kxs_tx_all_finds_each_one_while_the_table_resizes),
	KUNIT_CASE(kxs_tx_bad_requests_get_errors),
	{}
};

static struct kunit_suite kxs_tx_suite = {
	.name = "kxenstore_transaction",
	.init = kxs_conn_test_init,
	.exit = kxs_conn_test_exit,
	.test_cases = kxs_tx_cases,
};

kunit_test_suites(&kxs_conn_suite, &kxs_tx_suite);
