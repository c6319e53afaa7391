// SPDX-License-Identifier: GPL-2.0
/*
 * The xenstore ring transport (docs/misc/xenstore-ring.txt): a page shared
 * with the client holds two 1024-byte byte streams, requests in and
 * replies and watch events out, each with free-running producer and
 * consumer indexes; either end signals an event channel after it moves
 * an index.
 *
 * The ring is a second transport of the connection the device file
 * uses: request bytes go in through kxs_conn_write() and replies and
 * events come out through kxs_conn_read(), neither of which blocks here.
 * A reply queue at its bound (KXS_CONN_OUT_MAX) stops the intake of
 * requests until the client has read replies, as it blocks a writer of
 * the file; a message may span the wrap of the buffer and any number of
 * notifications.
 *
 * The page belongs to the client: an index is read once and checked, and
 * request bytes are copied out of the page (into the connection's
 * message buffer) before anything parses them.  A client that breaks the
 * rules finds the page's error field set and is served no more until it
 * asks for a reconnect.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/uio.h>
#include <asm/barrier.h>

#include "conn.h"
#include "domain.h"
#include "ring.h"
#include "watch.h"

/* Rounds of intake and output in one run of the work before it yields. */
#define KXS_RING_ROUNDS		16

/* How long to wait before trying again when memory ran out. */
#define KXS_RING_RETRY		(HZ / 10)

/* @len bytes of a ring buffer from free-running index @idx, in @kv. */
static unsigned int kxs_ring_span(char *buf, u32 idx, u32 len,
				  struct kvec kv[2])
{
	u32 off = MASK_XENSTORE_IDX(idx);
	u32 first = min_t(u32, len, XENSTORE_RING_SIZE - off);

	kv[0].iov_base = buf + off;
	kv[0].iov_len = first;
	kv[1].iov_base = buf;
	kv[1].iov_len = len - first;
	return len > first ? 2 : 1;
}

/* A reply or an event was queued: move it to the page. */
static int kxs_ring_wake(struct wait_queue_entry *wait, unsigned int mode,
			 int sync, void *key)
{
	kxs_ring_kick(container_of(wait, struct kxs_ring, wait));
	return 0;
}

/*
 * A new connection for the ring: a guest's acts for the guest from its
 * first byte on.
 *
 * Return: 0, or -ENOMEM (nothing changed).
 */
static int kxs_ring_attach(struct kxs_ring *r)
{
	struct kxs_conn *c = kxs_conn_create(r->store, r->doms);

	if (!c)
		return -ENOMEM;
	if ((r->flags & KXS_RING_GUEST) &&
	    kxs_domain_bind(r->doms, &c->ctx, r->domid)) {
		kxs_conn_close(c);
		return -ENOMEM;
	}
	c->ctx.dom0_ring = r->flags & KXS_RING_DOM0;
	r->conn = c;
	add_wait_queue(&c->read_wq, &r->wait);
	return 0;
}

/* The connection ends: its watches and transactions go with it. */
static void kxs_ring_detach(struct kxs_ring *r)
{
	if (!r->conn)
		return;
	remove_wait_queue(&r->conn->read_wq, &r->wait);
	kxs_conn_close(r->conn);
	r->conn = NULL;
}

/*
 * Stop serving a client that broke the rules, telling it why in the
 * page, until it asks for a reconnect.
 */
static void kxs_ring_fail(struct kxs_ring *r, u32 error, const char *why)
{
	pr_warn_ratelimited("domain %u's ring: %s: served no more until it reconnects\n",
			    r->domid, why);
	r->error = error;
	kxs_ring_detach(r);
	WRITE_ONCE(r->intf->error, error);
	r->ops->notify(r);
}

/*
 * The client asked to start again: a new connection, empty queues, no
 * error; then the connection state the client waits for.
 *
 * Return: 0, or -ENOMEM (nothing changed).
 */
static int kxs_ring_reconnect(struct kxs_ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;
	struct kxs_conn *old = r->conn;

	if (old)
		remove_wait_queue(&old->read_wq, &r->wait);
	r->conn = NULL;
	if (kxs_ring_attach(r)) {
		r->conn = old;
		if (old)
			add_wait_queue(&old->read_wq, &r->wait);
		return -ENOMEM;
	}
	if (old)
		kxs_conn_close(old);
	r->req_cons = 0;
	r->rsp_prod = 0;
	r->error = XENSTORE_ERROR_NONE;
	WRITE_ONCE(r->reset, false);
	WRITE_ONCE(intf->req_cons, 0);
	WRITE_ONCE(intf->req_prod, 0);
	WRITE_ONCE(intf->rsp_cons, 0);
	WRITE_ONCE(intf->rsp_prod, 0);
	WRITE_ONCE(intf->error, XENSTORE_ERROR_NONE);
	/* The reset ring before the state that lets the client use it. */
	virt_wmb();
	WRITE_ONCE(intf->connection, XENSTORE_CONNECTED);
	r->ops->notify(r);
	return 0;
}

/*
 * Replies and events into the output queue, as many as fit.
 *
 * Return: bytes written, or -EPROTO if the client's consumer index is
 * not one this end could have left.
 */
static int kxs_ring_output(struct kxs_ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;
	u32 cons = READ_ONCE(intf->rsp_cons);
	u32 used = r->rsp_prod - cons, room;
	struct iov_iter to;
	struct kvec kv[2];
	ssize_t n;

	if (used > XENSTORE_RING_SIZE)
		return -EPROTO;
	room = XENSTORE_RING_SIZE - used;
	if (!room)
		return 0;
	/* The client has read what it consumed before we write over it. */
	virt_mb();
	iov_iter_kvec(&to, ITER_DEST, kv,
		      kxs_ring_span(intf->rsp, r->rsp_prod, room, kv), room);
	n = kxs_conn_read(r->conn, &to, true);
	if (n <= 0)
		return 0;	/* nothing queued */
	/* The bytes are in place before the index that shows them. */
	virt_wmb();
	r->rsp_prod += n;
	WRITE_ONCE(intf->rsp_prod, r->rsp_prod);
	return n;
}

/*
 * While paused: how many of @avail bytes to take in.  The rest of the
 * message being taken in, or the header of a message of an open
 * transaction (then, in later rounds, its rest), so that transactions
 * can end; nothing else.  The header is peeked at in the page, and read
 * again when taken in: a client that changes it meanwhile only gets a
 * message served while paused, which the live update's check of the
 * store then sees.
 */
static u32 kxs_ring_paused_room(struct kxs_ring *r, u32 avail)
{
	size_t missing = kxs_conn_in_missing(r->conn);
	struct xsd_sockmsg hdr;
	struct iov_iter from;
	struct kvec kv[2];

	if (missing)
		return min_t(size_t, avail, missing);
	if (!r->conn->ctx.nr_txs || avail < KXS_HDR_SIZE)
		return 0;
	iov_iter_kvec(&from, ITER_SOURCE, kv,
		      kxs_ring_span(r->intf->req, r->req_cons, KXS_HDR_SIZE,
				    kv), KXS_HDR_SIZE);
	if (copy_from_iter(&hdr, KXS_HDR_SIZE, &from) != KXS_HDR_SIZE)
		return 0;
	return hdr.tx_id ? KXS_HDR_SIZE : 0;
}

/*
 * Request bytes from the input queue into the connection, which handles
 * each message as it completes.
 *
 * Return: bytes taken in; -EPROTO if the client's producer index is more
 * than a ring ahead, -EMSGSIZE for a message over XENSTORE_PAYLOAD_MAX,
 * -ENOMEM if the connection found no memory for a reply.
 */
static int kxs_ring_input(struct kxs_ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;
	u32 prod = READ_ONCE(intf->req_prod);
	u32 avail = prod - r->req_cons;
	struct iov_iter from;
	struct kvec kv[2];
	ssize_t n;

	if (avail > XENSTORE_RING_SIZE)
		return -EPROTO;
	if (!avail)
		return 0;
	/* The index is read before the bytes it covers. */
	virt_rmb();
	if (READ_ONCE(r->paused)) {
		avail = kxs_ring_paused_room(r, avail);
		if (!avail)
			return 0;
	}
	iov_iter_kvec(&from, ITER_SOURCE, kv,
		      kxs_ring_span(intf->req, r->req_cons, avail, kv), avail);
	n = kxs_conn_write(r->conn, &from, true);
	if (n == -E2BIG)
		return -EMSGSIZE;
	if (n == -ENOMEM)
		return n;
	if (n <= 0)
		return 0;	/* -EAGAIN: the replies must be read first */
	/* The bytes are copied before the client may write over them. */
	virt_mb();
	r->req_cons += n;
	WRITE_ONCE(intf->req_cons, r->req_cons);
	return n;
}

/* What a restore parked for the connection's domain, once unpaused. */
static void kxs_ring_adopt(struct kxs_ring *r)
{
	r->adopt = false;
	if (!r->conn)
		return;
	percpu_down_read(&r->doms->quiesce);
	kxs_watch_adopt(r->doms, &r->conn->ctx);
	percpu_up_read(&r->doms->quiesce);
}

/* Nothing in the connection that a checkpoint could not carry. */
static bool kxs_ring_holds_nothing(struct kxs_ring *r)
{
	struct kxs_conn *c = r->conn;

	return !c || (!kxs_conn_in_missing(c) && !c->ctx.nr_txs &&
		      kxs_conn_drained(c));
}

static void kxs_ring_work(struct work_struct *work)
{
	struct kxs_ring *r = container_of(to_delayed_work(work),
					  struct kxs_ring, work);
	unsigned long again = 0;
	bool idle = true;
	int i, out, in;

	if (r->adopt && !READ_ONCE(r->paused))
		kxs_ring_adopt(r);
	for (i = 0; i < KXS_RING_ROUNDS; i++) {
		/* The domain was released: its ring is about to go. */
		if (r->conn && READ_ONCE(r->conn->ctx.dead))
			break;
		if (READ_ONCE(r->reset) ||
		    READ_ONCE(r->intf->connection) == XENSTORE_RECONNECT) {
			if (kxs_ring_reconnect(r)) {
				again = KXS_RING_RETRY;
				break;
			}
			idle = false;
			continue;
		}
		if (r->error)
			break;
		out = kxs_ring_output(r);
		in = out < 0 ? 0 : kxs_ring_input(r);
		if (out == -EPROTO || in == -EPROTO) {
			kxs_ring_fail(r, XENSTORE_ERROR_RINGIDX,
				      "an index out of range");
			break;
		}
		if (in == -EMSGSIZE) {
			kxs_ring_fail(r, XENSTORE_ERROR_PROTO,
				      "a message longer than XENSTORE_PAYLOAD_MAX");
			break;
		}
		if (out > 0 || in > 0) {
			r->ops->notify(r);
			idle = false;
		}
		if (in == -ENOMEM) {
			again = KXS_RING_RETRY;
			break;
		}
		if (!out && !in)
			break;
	}
	/* Out of rounds: the rest in a later run, after other work. */
	if (i == KXS_RING_ROUNDS)
		again = 1;
	WRITE_ONCE(r->quiet, READ_ONCE(r->paused) && kxs_ring_holds_nothing(r));
	if (again)
		queue_delayed_work(system_wq, &r->work, again);
	if (r->ops->done)
		r->ops->done(r, idle);
}

/**
 * kxs_ring_kick() - have the ring looked at soon
 * @r: the ring
 *
 * For the event channel's handler: any context.
 */
void kxs_ring_kick(struct kxs_ring *r)
{
	mod_delayed_work(system_wq, &r->work, 0);
}

/**
 * kxs_ring_pause() - stop or resume taking in new messages
 * @r: the ring
 * @paused: whether to stop
 *
 * Stopping lets the message being taken in, and the transactions open,
 * finish (kxs_ring_quiet() says when); resuming first hands the
 * connection the watches a restore parked for its domain.
 */
void kxs_ring_pause(struct kxs_ring *r, bool paused)
{
	WRITE_ONCE(r->quiet, false);
	WRITE_ONCE(r->paused, paused);
	kxs_ring_kick(r);
}

/**
 * kxs_ring_quiet() - paused, with nothing a checkpoint could not carry
 * @r: the ring
 *
 * Return: whether the ring is paused and its connection holds no part
 * of a message, no open transaction and nothing not yet in the page.
 */
bool kxs_ring_quiet(struct kxs_ring *r)
{
	return READ_ONCE(r->paused) && READ_ONCE(r->quiet);
}

/**
 * kxs_ring_create() - serve a connection on a ring page
 * @store: the store the connection acts on
 * @doms: its domain table
 * @domid: the client: with KXS_RING_GUEST the connection acts for it,
 *	else for the control domain (and @domid is for the log)
 * @flags: KXS_RING_DOM0: dom0's kernel's ring (see struct kxs_ring);
 *	KXS_RING_GUEST: a guest's; KXS_RING_PAUSED: start paused (a live
 *	update restores the store first): the watches a restore parks are
 *	adopted when resumed; KXS_RING_ADOPT: adopt them on the first run
 *	not paused (a restore parked them already)
 * @intf: the page; its indexes are taken as they are, so that a ring
 *	served before (by the module a live update replaced) goes on where
 *	it was
 * @ops: the owner's callbacks
 * @priv: for @ops
 *
 * Offers the page the server features, and does nothing more until
 * kicked (kxs_ring_kick()).
 *
 * Return: the ring, or NULL if memory ran out.
 */
struct kxs_ring *kxs_ring_create(struct kxs_store *store,
				 struct kxs_domains *doms, u16 domid,
				 unsigned int flags,
				 struct xenstore_domain_interface *intf,
				 const struct kxs_ring_ops *ops, void *priv)
{
	struct kxs_ring *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	r->intf = intf;
	r->ops = ops;
	r->priv = priv;
	r->store = store;
	r->doms = doms;
	r->domid = domid;
	r->flags = flags;
	r->paused = flags & KXS_RING_PAUSED;
	r->adopt = flags & (KXS_RING_PAUSED | KXS_RING_ADOPT);
	r->req_cons = READ_ONCE(intf->req_cons);
	r->rsp_prod = READ_ONCE(intf->rsp_prod);
	init_waitqueue_func_entry(&r->wait, kxs_ring_wake);
	INIT_DELAYED_WORK(&r->work, kxs_ring_work);
	if (kxs_ring_attach(r)) {
		kfree(r);
		return NULL;
	}
	/* Bits are only ever added (xenstore-ring.txt). */
	WRITE_ONCE(intf->server_features,
		   READ_ONCE(intf->server_features) | KXS_FEATURES_SUPPORTED);
	return r;
}

/**
 * kxs_ring_reset() - start again with a new connection and empty rings
 * @r: the ring
 *
 * What INTRODUCE of a served domain does (the reference's
 * domain_conn_reset()): on the next run of the work its watches,
 * transactions and queued messages go, both rings' indexes are set to
 * zero, and a client waiting for a reconnect is told it is connected.
 * Asynchronous: the caller may hold locks the work takes.
 */
void kxs_ring_reset(struct kxs_ring *r)
{
	WRITE_ONCE(r->reset, true);
	kxs_ring_kick(r);
}

/**
 * kxs_ring_destroy() - stop serving and close the connection
 * @r: the ring
 *
 * The owner has stopped the event channel's handler first (no more
 * kxs_ring_kick() from it); the indexes stay in the page as they are.
 */
void kxs_ring_destroy(struct kxs_ring *r)
{
	/* No more kicks from the connection, then none from the work. */
	if (r->conn)
		remove_wait_queue(&r->conn->read_wq, &r->wait);
	cancel_delayed_work_sync(&r->work);
	if (r->conn)
		kxs_conn_close(r->conn);
	kfree(r);
}
