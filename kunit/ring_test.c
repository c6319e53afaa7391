// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the xenstore ring transport, with the test as the client (the
 * part a guest's or dom0's kernel plays) on a page of its own and an
 * event channel that only counts notifications.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "conn.h"
#include "domain.h"
#include "proto.h"
#include "ring.h"
#include "watch.h"
#include "kxs_test.h"

/* Runs of the ring's work a case may need before it is called stuck. */
#define KXS_RT_RUNS	10000

struct kxs_rt {
	struct kxs_fx *fx;
	struct xenstore_domain_interface *intf;
	struct kxs_ring *ring;
	atomic_t notified;
	atomic_t runs, idle_runs;
	u32 req_id;
	u8 *msg;	/* a message being sent or received */
};

static void kxs_rt_notify(struct kxs_ring *r)
{
	struct kxs_rt *t = r->priv;

	atomic_inc(&t->notified);
}

static void kxs_rt_done(struct kxs_ring *r, bool idle)
{
	struct kxs_rt *t = r->priv;

	atomic_inc(&t->runs);
	if (idle)
		atomic_inc(&t->idle_runs);
}

static const struct kxs_ring_ops kxs_rt_ops = {
	.notify = kxs_rt_notify,
	.done = kxs_rt_done,
};

/* The case's ring, for the exit of a case that failed before its end. */
static struct kxs_rt *kxs_rt_current;

/* A ring whose indexes all start at @start. */
static struct kxs_rt *kxs_rt_start(struct kunit *test, u32 start)
{
	struct kxs_rt *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->fx = kxs_fx(test);
	t->intf = kunit_kzalloc(test, sizeof(*t->intf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->intf);
	t->msg = kunit_kzalloc(test, KXS_MSG_MAX + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->msg);
	t->intf->req_cons = start;
	t->intf->req_prod = start;
	t->intf->rsp_cons = start;
	t->intf->rsp_prod = start;
	t->ring = kxs_ring_create(t->fx->store, &t->fx->doms, 7, 0,
				  t->intf, &kxs_rt_ops, t);
	KUNIT_ASSERT_NOT_NULL(test, t->ring);
	kxs_rt_current = t;
	return t;
}

static void kxs_rt_stop(struct kxs_rt *t)
{
	kxs_ring_destroy(t->ring);
	t->ring = NULL;
}

static void kxs_rt_exit(struct kunit *test)
{
	if (kxs_rt_current && kxs_rt_current->ring)
		kxs_rt_stop(kxs_rt_current);
	kxs_rt_current = NULL;
	kxs_fx_exit(test);
}

/* Let the ring's work run until it has nothing more to do. */
static void kxs_rt_run(struct kunit *test, struct kxs_rt *t)
{
	int i;

	kxs_ring_kick(t->ring);
	for (i = 0; i < KXS_RT_RUNS && flush_delayed_work(&t->ring->work); i++)
		;
	KUNIT_ASSERT_LT(test, i, KXS_RT_RUNS);
}

/* The client: put what fits of @len bytes into the request queue. */
static u32 kxs_rt_put(struct kxs_rt *t, const u8 *p, u32 len)
{
	struct xenstore_domain_interface *intf = t->intf;
	u32 prod = intf->req_prod, n = 0;

	while (n < len && prod - READ_ONCE(intf->req_cons) < XENSTORE_RING_SIZE)
		intf->req[MASK_XENSTORE_IDX(prod++)] = p[n++];
	smp_wmb();	/* the bytes before the index that shows them */
	WRITE_ONCE(intf->req_prod, prod);
	return n;
}

/* The client: take up to @max bytes out of the reply queue. */
static u32 kxs_rt_get(struct kxs_rt *t, u8 *p, u32 max)
{
	struct xenstore_domain_interface *intf = t->intf;
	u32 cons = intf->rsp_cons, n = 0;

	smp_rmb();	/* the index (read below) before the bytes */
	while (n < max && cons != READ_ONCE(intf->rsp_prod))
		p[n++] = intf->rsp[MASK_XENSTORE_IDX(cons++)];
	smp_mb();	/* the bytes read before the server may reuse them */
	WRITE_ONCE(intf->rsp_cons, cons);
	return n;
}

/* Build a request in t->msg: @type, then @n NUL-terminated strings. */
static u32 kxs_rt_build(struct kxs_rt *t, u32 type, int n, ...)
{
	struct xsd_sockmsg *hdr = (struct xsd_sockmsg *)t->msg;
	char *p = (char *)(hdr + 1);
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *s = va_arg(ap, const char *);
		size_t len = strlen(s) + (i < n - 1 || type != XS_WRITE);

		memcpy(p, s, len);
		p += len;
	}
	va_end(ap);
	hdr->type = type;
	hdr->req_id = ++t->req_id;
	hdr->tx_id = 0;
	hdr->len = p - (char *)(hdr + 1);
	return KXS_HDR_SIZE + hdr->len;
}

/* Send @len bytes of t->msg, however many rounds it takes. */
static void kxs_rt_send(struct kunit *test, struct kxs_rt *t, u32 len)
{
	u32 done = 0;
	int i;

	for (i = 0; done < len && i < KXS_RT_RUNS; i++) {
		done += kxs_rt_put(t, t->msg + done, len - done);
		kxs_rt_run(test, t);
	}
	KUNIT_ASSERT_EQ(test, done, len);
}

/* Receive the next message into t->msg; return its header. */
static struct xsd_sockmsg *kxs_rt_recv(struct kunit *test, struct kxs_rt *t)
{
	struct xsd_sockmsg *hdr = (struct xsd_sockmsg *)t->msg;
	u32 done = 0, want = KXS_HDR_SIZE;
	int i;

	for (i = 0; done < want && i < KXS_RT_RUNS; i++) {
		done += kxs_rt_get(t, t->msg + done, want - done);
		if (done == KXS_HDR_SIZE && want == KXS_HDR_SIZE) {
			KUNIT_ASSERT_LE(test, hdr->len, KXS_PAYLOAD_MAX);
			want += hdr->len;
			continue;
		}
		if (done < want)
			kxs_rt_run(test, t);
	}
	KUNIT_ASSERT_EQ(test, done, want);
	t->msg[done] = '\0';
	return hdr;
}

/* Send the request of @len bytes built in t->msg; expect @rtype, @expect. */
static void kxs_rt_expect(struct kunit *test, struct kxs_rt *t, u32 rtype,
			  const char *expect, u32 len)
{
	u32 id = t->req_id;
	struct xsd_sockmsg *h;

	kxs_rt_send(test, t, len);
	h = kxs_rt_recv(test, t);
	KUNIT_EXPECT_EQ(test, h->type, rtype);
	KUNIT_EXPECT_EQ(test, h->req_id, id);
	KUNIT_EXPECT_STREQ(test, (char *)(h + 1), expect);
}

static void kxs_ring_test_features(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);

	KUNIT_EXPECT_EQ(test, t->intf->server_features,
			(u32)(XENSTORE_SERVER_FEATURE_RECONNECTION |
			      XENSTORE_SERVER_FEATURE_ERROR | 4));
	kxs_rt_stop(t);
}

/*
 * Indexes that start just short of 2^32 and of the buffer's end: the
 * messages wrap around both.
 */
static void kxs_ring_test_wrap(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0xfffffff0);
	int i;

	for (i = 0; i < 100; i++) {
		kxs_rt_expect(test, t, XS_WRITE, "OK",
			      kxs_rt_build(t, XS_WRITE, 2, "/a", "hello"));
		kxs_rt_expect(test, t, XS_READ, "hello",
			      kxs_rt_build(t, XS_READ, 1, "/a"));
	}
	KUNIT_EXPECT_GT(test, t->intf->req_cons, (u32)0);
	KUNIT_EXPECT_LT(test, t->intf->req_cons, (u32)0xfffffff0);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_cons, t->intf->rsp_prod);
	KUNIT_EXPECT_GT(test, atomic_read(&t->notified), 0);
	kxs_rt_stop(t);
}

/* A request and a reply of a few ring sizes each. */
static void kxs_ring_test_larger_than_ring(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 1000);
	char *value = kunit_kzalloc(test, 3001, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, value);
	memset(value, 'v', 3000);
	kxs_rt_expect(test, t, XS_WRITE, "OK",
		      kxs_rt_build(t, XS_WRITE, 2, "/big", value));
	kxs_rt_expect(test, t, XS_READ, value,
		      kxs_rt_build(t, XS_READ, 1, "/big"));
	kxs_rt_stop(t);
}

/*
 * A client that writes requests and does not read the replies: the ring
 * fills, then the connection's reply queue to its bound, then the intake
 * stops; when the client reads, every reply comes, in order, once.
 */
static void kxs_ring_test_unread_replies_stop_intake(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);
	char *value = kunit_kzalloc(test, 4001, GFP_KERNEL);
	u32 len, sent = 0, done = 0, next;
	struct xsd_sockmsg *h;
	u8 cut[64];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, value);
	memset(value, 'x', 4000);
	kxs_rt_expect(test, t, XS_WRITE, "OK",
		      kxs_rt_build(t, XS_WRITE, 2, "/v", value));
	next = t->req_id + 1;
	/* READs of 4000 bytes until one no longer fits in the ring. */
	for (i = 0; i < 1000; i++) {
		len = kxs_rt_build(t, XS_READ, 1, "/v");
		done = kxs_rt_put(t, t->msg, len);
		kxs_rt_run(test, t);
		if (done < len)
			break;
		sent++;
	}
	KUNIT_ASSERT_LE(test, len, sizeof(cut));
	memcpy(cut, t->msg, len);	/* t->msg receives the replies */
	KUNIT_ASSERT_LT(test, i, 1000);
	/* More than the ring and the bounded queue hold were taken in... */
	KUNIT_EXPECT_GT(test, sent * (KXS_HDR_SIZE + 4000),
			(u32)(KXS_CONN_OUT_MAX + XENSTORE_RING_SIZE));
	/* ...and the rest waits in the ring, untouched. */
	KUNIT_EXPECT_EQ(test, t->intf->req_prod - t->intf->req_cons,
			(u32)XENSTORE_RING_SIZE);
	/*
	 * Now read: every reply comes, in order, once, and the rest of the
	 * cut request goes in as room is made.
	 */
	for (i = 0; next <= t->req_id && i < KXS_RT_RUNS; i++) {
		if (done < len)
			done += kxs_rt_put(t, cut + done, len - done);
		h = kxs_rt_recv(test, t);
		KUNIT_ASSERT_EQ(test, h->type, (u32)XS_READ);
		KUNIT_ASSERT_EQ(test, h->req_id, next);
		KUNIT_ASSERT_EQ(test, h->len, (u32)4000);
		next++;
	}
	KUNIT_EXPECT_EQ(test, done, len);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_cons, t->intf->rsp_prod);
	KUNIT_EXPECT_EQ(test, t->intf->error, (u32)XENSTORE_ERROR_NONE);
	kxs_rt_stop(t);
}

/* A WATCH through the ring hears a write through another connection. */
static void kxs_ring_test_watch_event(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);
	struct xsd_sockmsg *h;

	kxs_rt_expect(test, t, XS_WATCH, "OK",
		      kxs_rt_build(t, XS_WATCH, 2, "/w", "tok"));
	h = kxs_rt_recv(test, t);	/* the initial event */
	KUNIT_EXPECT_EQ(test, h->type, (u32)XS_WATCH_EVENT);
	KXS_W_RT(test, t->fx->conn, XS_WRITE, "/w/x\0001", XS_WRITE, "OK\0");
	kxs_rt_run(test, t);
	h = kxs_rt_recv(test, t);
	KUNIT_EXPECT_EQ(test, h->type, (u32)XS_WATCH_EVENT);
	KUNIT_EXPECT_STREQ(test, (char *)(h + 1), "/w/x");
	kxs_rt_stop(t);
}

/* Ask for a reconnect and wait for it, as xenstore-ring.txt says. */
static void kxs_rt_reconnect(struct kunit *test, struct kxs_rt *t)
{
	WRITE_ONCE(t->intf->connection, XENSTORE_RECONNECT);
	kxs_rt_run(test, t);
	KUNIT_ASSERT_EQ(test, t->intf->connection, (u32)XENSTORE_CONNECTED);
	KUNIT_EXPECT_EQ(test, t->intf->error, (u32)XENSTORE_ERROR_NONE);
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, (u32)0);
	KUNIT_EXPECT_EQ(test, t->intf->req_prod, (u32)0);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_cons, (u32)0);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_prod, (u32)0);
}

/* A reconnect ends the watches, transactions and half-sent requests. */
static void kxs_ring_test_reconnect(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 500);
	struct xsd_sockmsg *h;
	u32 len, tx;

	kxs_rt_expect(test, t, XS_WATCH, "OK",
		      kxs_rt_build(t, XS_WATCH, 2, "/w", "tok"));
	kxs_rt_recv(test, t);
	kxs_rt_send(test, t, kxs_rt_build(t, XS_TRANSACTION_START, 1, ""));
	h = kxs_rt_recv(test, t);
	KUNIT_ASSERT_EQ(test, h->type, (u32)XS_TRANSACTION_START);
	KUNIT_ASSERT_EQ(test, kstrtou32((char *)(h + 1), 10, &tx), 0);
	/* Half a request, then the reconnect. */
	len = kxs_rt_build(t, XS_WRITE, 2, "/half", "x");
	kxs_rt_put(t, t->msg, len / 2);
	kxs_rt_run(test, t);
	kxs_rt_reconnect(test, t);

	KXS_W_RT(test, t->fx->conn, XS_WRITE, "/w/x\0001", XS_WRITE, "OK\0");
	kxs_rt_expect(test, t, XS_ERROR, "ENOENT",
		      kxs_rt_build(t, XS_READ, 1, "/half"));
	/* No event came for the old watch; the transaction is gone. */
	h = (struct xsd_sockmsg *)t->msg;
	kxs_rt_build(t, XS_READ, 1, "/w/x");
	h->tx_id = tx;
	kxs_rt_send(test, t, KXS_HDR_SIZE + h->len);
	h = kxs_rt_recv(test, t);
	KUNIT_EXPECT_EQ(test, h->type, (u32)XS_ERROR);
	KUNIT_EXPECT_STREQ(test, (char *)(h + 1), "ENOENT");
	KUNIT_EXPECT_EQ(test, t->intf->rsp_cons, t->intf->rsp_prod);
	kxs_rt_stop(t);
}

/*
 * A producer index more than a ring ahead: the error is set, nothing is
 * taken in, and nothing more is served until a reconnect.
 */
static void kxs_ring_test_bad_req_index(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);
	u32 len = kxs_rt_build(t, XS_WRITE, 2, "/bad", "x");

	kxs_rt_put(t, t->msg, len);
	t->intf->req_prod += XENSTORE_RING_SIZE;
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->error, (u32)XENSTORE_ERROR_RINGIDX);
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, (u32)0);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_prod, (u32)0);
	/* Put right, still not served. */
	t->intf->req_prod -= XENSTORE_RING_SIZE;
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, (u32)0);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/bad"));

	kxs_rt_reconnect(test, t);
	kxs_rt_expect(test, t, XS_WRITE, "OK",
		      kxs_rt_build(t, XS_WRITE, 2, "/good", "x"));
	kxs_rt_stop(t);
}

/* A consumer index the server could not have left. */
static void kxs_ring_test_bad_rsp_index(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);

	kxs_rt_expect(test, t, XS_WRITE, "OK",
		      kxs_rt_build(t, XS_WRITE, 2, "/a", "x"));
	t->intf->rsp_cons += 2 * XENSTORE_RING_SIZE;
	kxs_rt_build(t, XS_READ, 1, "/a");
	kxs_rt_put(t, t->msg, KXS_HDR_SIZE + 3);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->error, (u32)XENSTORE_ERROR_RINGIDX);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_prod,
			t->intf->rsp_cons - 2 * XENSTORE_RING_SIZE);
	kxs_rt_stop(t);
}

/* A header announcing more than XENSTORE_PAYLOAD_MAX: a protocol error. */
static void kxs_ring_test_payload_too_long(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);
	struct xsd_sockmsg *h = (struct xsd_sockmsg *)t->msg;
	u32 len = kxs_rt_build(t, XS_WRITE, 2, "/long", "x");

	h->len = KXS_PAYLOAD_MAX + 1;
	kxs_rt_put(t, t->msg, len);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->error, (u32)XENSTORE_ERROR_PROTO);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_prod, (u32)0);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/long"));
	kxs_rt_stop(t);
}

/*
 * A ring served before (by the module a live update replaced) is taken
 * as it is: a request the client wrote while nobody served it is
 * answered after the replies already in the page.
 */
static void kxs_ring_test_resume(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);
	u32 cons, len;

	kxs_rt_expect(test, t, XS_WRITE, "OK",
		      kxs_rt_build(t, XS_WRITE, 2, "/r", "resumed"));
	kxs_rt_stop(t);
	cons = t->intf->req_cons;
	KUNIT_ASSERT_GT(test, cons, (u32)0);
	len = kxs_rt_build(t, XS_READ, 1, "/r");
	KUNIT_ASSERT_EQ(test, kxs_rt_put(t, t->msg, len), len);

	t->ring = kxs_ring_create(t->fx->store, &t->fx->doms, 7, 0,
				  t->intf, &kxs_rt_ops, t);
	KUNIT_ASSERT_NOT_NULL(test, t->ring);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, cons + len);
	KUNIT_EXPECT_STREQ(test, (char *)(kxs_rt_recv(test, t) + 1),
			   "resumed");
	kxs_rt_stop(t);
}

/*
 * A run that found nothing to do says so (its owner's late EOI then
 * marks the event spurious); a run that moved bytes does not.
 */
static void kxs_ring_test_idle_runs(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);

	kxs_rt_run(test, t);
	KUNIT_EXPECT_GT(test, atomic_read(&t->runs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->idle_runs),
			atomic_read(&t->runs));
	kxs_rt_expect(test, t, XS_WRITE, "OK",
		      kxs_rt_build(t, XS_WRITE, 2, "/a", "x"));
	KUNIT_EXPECT_LT(test, atomic_read(&t->idle_runs),
			atomic_read(&t->runs));
	/* An error ends the service: events then bring nothing. */
	t->intf->req_prod += 2 * XENSTORE_RING_SIZE;
	kxs_rt_run(test, t);
	atomic_set(&t->runs, 0);
	atomic_set(&t->idle_runs, 0);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_GT(test, atomic_read(&t->runs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->idle_runs),
			atomic_read(&t->runs));
	kxs_rt_stop(t);
}

/*
 * Paused, the ring finishes the message it is taking in and takes no
 * new one; it is quiet once the replies are in the page; resumed, it
 * serves what waited.
 */
static void kxs_ring_test_pause_between_messages(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);
	u8 second[64];
	u32 len1, len2, cons;

	len2 = kxs_rt_build(t, XS_WRITE, 2, "/second", "2");
	memcpy(second, t->msg, len2);
	len1 = kxs_rt_build(t, XS_WRITE, 2, "/first", "1");
	KUNIT_ASSERT_EQ(test, kxs_rt_put(t, t->msg, len1 / 2), len1 / 2);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, len1 / 2);
	kxs_ring_pause(t->ring, true);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_FALSE(test, kxs_ring_quiet(t->ring));
	kxs_rt_put(t, t->msg + len1 / 2, len1 - len1 / 2);
	kxs_rt_put(t, second, len2);
	kxs_rt_run(test, t);
	/* The first completed, the second waits in the page. */
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, len1);
	KUNIT_EXPECT_TRUE(test, kxs_fx_exists(test, "/first"));
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/second"));
	/* Its reply is in the page: nothing left in the connection. */
	KUNIT_EXPECT_TRUE(test, kxs_ring_quiet(t->ring));
	KUNIT_EXPECT_EQ(test, kxs_rt_recv(test, t)->type, (u32)XS_WRITE);
	cons = t->intf->req_cons;
	kxs_ring_pause(t->ring, false);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_FALSE(test, kxs_ring_quiet(t->ring));
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, cons + len2);
	KUNIT_EXPECT_TRUE(test, kxs_fx_exists(test, "/second"));
	kxs_rt_stop(t);
}

/*
 * Paused with a transaction open: its requests are served so that it
 * can end, other ones wait, and the ring is quiet only once it ended.
 */
static void kxs_ring_test_pause_lets_transactions_end(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);
	struct xsd_sockmsg *h = (struct xsd_sockmsg *)t->msg;
	u32 tx, len;

	kxs_rt_send(test, t, kxs_rt_build(t, XS_TRANSACTION_START, 1, ""));
	h = kxs_rt_recv(test, t);
	KUNIT_ASSERT_EQ(test, h->type, (u32)XS_TRANSACTION_START);
	KUNIT_ASSERT_EQ(test, kstrtou32((char *)(h + 1), 10, &tx), 0);
	kxs_ring_pause(t->ring, true);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_FALSE(test, kxs_ring_quiet(t->ring));

	/* Outside the transaction: waits. */
	len = kxs_rt_build(t, XS_WRITE, 2, "/outside", "o");
	KUNIT_ASSERT_EQ(test, kxs_rt_put(t, t->msg, len), len);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, t->intf->req_prod - len);
	/*
	 * Behind it, nothing of the transaction can pass either: a ring is
	 * one stream.  So undo it, as a client that had not sent it yet.
	 */
	t->intf->req_prod -= len;

	kxs_rt_build(t, XS_WRITE, 2, "/inside", "i");
	h->tx_id = tx;
	kxs_rt_send(test, t, KXS_HDR_SIZE + h->len);
	KUNIT_EXPECT_EQ(test, kxs_rt_recv(test, t)->type, (u32)XS_WRITE);
	KUNIT_EXPECT_FALSE(test, kxs_ring_quiet(t->ring));
	kxs_rt_build(t, XS_TRANSACTION_END, 1, "T");
	h->tx_id = tx;
	kxs_rt_send(test, t, KXS_HDR_SIZE + h->len);
	KUNIT_EXPECT_EQ(test, kxs_rt_recv(test, t)->type,
			(u32)XS_TRANSACTION_END);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_TRUE(test, kxs_ring_quiet(t->ring));
	KUNIT_EXPECT_TRUE(test, kxs_fx_exists(test, "/inside"));
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/outside"));
	kxs_rt_stop(t);
}

/*
 * dom0's ring started paused (a live update's new module) takes the
 * watches a restore parked for domain 0 when resumed.
 */
static void kxs_ring_test_dom0_adopts_parked_watches(struct kunit *test)
{
	struct kxs_fx *fx = kxs_fx(test);
	struct kxs_rt *t = kxs_rt_start(test, 0);
	struct kxs_watch *w;
	struct xsd_sockmsg *h;

	kxs_rt_stop(t);
	w = kxs_watch_alloc("/parked", false, "tok", 0);
	KUNIT_ASSERT_NOT_NULL(test, w);
	kxs_watch_park(&fx->doms, w);
	t->ring = kxs_ring_create(fx->store, &fx->doms, 0,
				  KXS_RING_DOM0 | KXS_RING_PAUSED,
				  t->intf, &kxs_rt_ops, t);
	KUNIT_ASSERT_NOT_NULL(test, t->ring);
	kxs_rt_run(test, t);
	/* Paused: not yet adopted, no event. */
	KUNIT_EXPECT_EQ(test, t->intf->rsp_prod, t->intf->rsp_cons);
	kxs_ring_pause(t->ring, false);
	kxs_rt_run(test, t);
	h = kxs_rt_recv(test, t);	/* the adopted watch's first event */
	KUNIT_EXPECT_EQ(test, h->type, (u32)XS_WATCH_EVENT);
	KXS_W_RT(test, fx->conn, XS_WRITE, "/parked/x\0001", XS_WRITE, "OK\0");
	kxs_rt_run(test, t);
	h = kxs_rt_recv(test, t);
	KUNIT_EXPECT_EQ(test, h->type, (u32)XS_WATCH_EVENT);
	KUNIT_EXPECT_STREQ(test, (char *)(h + 1), "/parked/x");
	kxs_rt_stop(t);
}

/* A guest's ring: created for domain 7, its connection acts for it. */
static struct kxs_rt *kxs_rt_guest(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_start(test, 0);
	struct kxs_fx *fx = t->fx;

	kxs_rt_stop(t);
	KXS_W_RT(test, fx->conn, XS_MKDIR, "/local/domain/7\0", XS_MKDIR,
		 "OK\0");
	KXS_W_RT(test, fx->conn, XS_SET_PERMS, "/local/domain/7\0n7\0",
		 XS_SET_PERMS, "OK\0");
	KXS_W_RT(test, fx->conn, XS_WRITE, "/private\0secret", XS_WRITE,
		 "OK\0");
	KUNIT_ASSERT_EQ(test, kxs_domain_introduce(&fx->doms, 7, 70, 1), 0);
	t->ring = kxs_ring_create(fx->store, &fx->doms, 7, KXS_RING_GUEST,
				  t->intf, &kxs_rt_ops, t);
	KUNIT_ASSERT_NOT_NULL(test, t->ring);
	return t;
}

/*
 * A guest's ring acts for the guest from its first byte: relative paths
 * are below its home, dom0's private node is out of reach, the nodes it
 * makes are its own.
 */
static void kxs_ring_test_guest_acts_for_its_domain(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_guest(test);

	kxs_rt_expect(test, t, XS_ERROR, "EACCES",
		      kxs_rt_build(t, XS_READ, 1, "/private"));
	kxs_rt_expect(test, t, XS_WRITE, "OK",
		      kxs_rt_build(t, XS_WRITE, 2, "data/x", "mine"));
	kxs_rt_expect(test, t, XS_GET_PERMS, "n7",
		      kxs_rt_build(t, XS_GET_PERMS, 1, "data/x"));
	KXS_W_RT(test, t->fx->conn, XS_READ, "/local/domain/7/data/x\0",
		 XS_READ, "mine");
	kxs_rt_expect(test, t, XS_ERROR, "EACCES",
		      kxs_rt_build(t, XS_INTRODUCE, 3, "8", "80", "1"));
	kxs_rt_stop(t);
}

/*
 * A reset (a re-INTRODUCE) ends the connection's watches, transactions
 * and half-sent request, and empties both rings, as a reconnect does.
 */
static void kxs_ring_test_reset(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_guest(test);
	struct xsd_sockmsg *h;
	u32 len;

	kxs_rt_expect(test, t, XS_WATCH, "OK",
		      kxs_rt_build(t, XS_WATCH, 2, "data", "tok"));
	kxs_rt_recv(test, t);
	kxs_rt_send(test, t, kxs_rt_build(t, XS_TRANSACTION_START, 1, ""));
	h = kxs_rt_recv(test, t);
	KUNIT_ASSERT_EQ(test, h->type, (u32)XS_TRANSACTION_START);
	len = kxs_rt_build(t, XS_WRITE, 2, "data/half", "x");
	kxs_rt_put(t, t->msg, len / 2);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, kxs_domain_introduce(&t->fx->doms, 7, 70, 2), 0);
	kxs_ring_reset(t->ring);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, (u32)0);
	KUNIT_EXPECT_EQ(test, t->intf->req_prod, (u32)0);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_cons, (u32)0);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_prod, (u32)0);
	KUNIT_EXPECT_EQ(test, t->ring->conn->ctx.nr_txs, 0);
	KXS_W_RT(test, t->fx->conn, XS_WRITE, "/local/domain/7/data/y\0001",
		 XS_WRITE, "OK\0");
	/* No event for the old watch: the next message is this reply. */
	kxs_rt_expect(test, t, XS_ERROR, "ENOENT",
		      kxs_rt_build(t, XS_READ, 1, "data/half"));
	kxs_rt_expect(test, t, XS_READ, "1",
		      kxs_rt_build(t, XS_READ, 1, "data/y"));
	kxs_rt_stop(t);
}

/*
 * A released guest's ring takes nothing more, not even a reconnect: its
 * connection is dead until the ring goes.
 */
static void kxs_ring_test_released_guest_is_not_served(struct kunit *test)
{
	struct kxs_rt *t = kxs_rt_guest(test);
	u32 len;

	kxs_rt_expect(test, t, XS_WRITE, "OK",
		      kxs_rt_build(t, XS_WRITE, 2, "data/x", "1"));
	KUNIT_ASSERT_EQ(test, kxs_domain_release(&t->fx->doms, t->fx->store,
						 7), 0);
	len = kxs_rt_build(t, XS_READ, 1, "data/x");
	KUNIT_EXPECT_EQ(test, kxs_rt_put(t, t->msg, len), len);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->req_cons, t->intf->req_prod - len);
	KUNIT_EXPECT_EQ(test, t->intf->rsp_prod, t->intf->rsp_cons);
	WRITE_ONCE(t->intf->connection, XENSTORE_RECONNECT);
	kxs_rt_run(test, t);
	KUNIT_EXPECT_EQ(test, t->intf->connection, (u32)XENSTORE_RECONNECT);
	KUNIT_EXPECT_FALSE(test, kxs_fx_exists(test, "/local/domain/7"));
	kxs_rt_stop(t);
}

static struct kunit_case kxs_ring_cases[] = {
	KUNIT_CASE(kxs_ring_test_features),
	KUNIT_CASE(kxs_ring_test_wrap),
	KUNIT_CASE(kxs_ring_test_larger_than_ring),
	KUNIT_CASE(kxs_ring_test_unread_replies_stop_intake),
	KUNIT_CASE(kxs_ring_test_watch_event),
	KUNIT_CASE(kxs_ring_test_reconnect),
	KUNIT_CASE(kxs_ring_test_bad_req_index),
	KUNIT_CASE(kxs_ring_test_bad_rsp_index),
	KUNIT_CASE(kxs_ring_test_payload_too_long),
	KUNIT_CASE(kxs_ring_test_resume),
	KUNIT_CASE(kxs_ring_test_idle_runs),
	KUNIT_CASE(kxs_ring_test_pause_between_messages),
	KUNIT_CASE(kxs_ring_test_pause_lets_transactions_end),
	KUNIT_CASE(kxs_ring_test_dom0_adopts_parked_watches),
	KUNIT_CASE(kxs_ring_test_guest_acts_for_its_domain),
	KUNIT_CASE(kxs_ring_test_reset),
	KUNIT_CASE(kxs_ring_test_released_guest_is_not_served),
	{}
};

static struct kunit_suite kxs_ring_suite = {
	.name = "kxenstore_ring",
	.init = kxs_fx_init,
	.exit = kxs_rt_exit,
	.test_cases = kxs_ring_cases,
};

kunit_test_suite(kxs_ring_suite);
