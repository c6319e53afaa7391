// SPDX-License-Identifier: GPL-2.0
/*
 * Connections: framing of the byte stream a client writes into messages,
 * and the queue of replies it reads back.
 *
 * Writes are a byte stream too: a message may arrive in several writes
 * and one write may carry several messages.  A header announcing more
 * than KXS_PAYLOAD_MAX bytes is refused with E2BIG and the partial
 * message dropped; messages before it in the same write were taken in,
 * so the write then returns their length and the next write starts with
 * the refused header.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "conn.h"
#include "domain.h"
#include "stats.h"
#include "store.h"
#include "transaction.h"
#include "watch.h"

static struct kxs_msg *kxs_msg_alloc(size_t len)
{
	size_t size = offsetof(struct kxs_msg, buf) + len;
	struct kxs_msg *m;

	m = kmalloc(size, GFP_KERNEL);
	if (!m)
		return NULL;
	kxs_stat_inc(KXS_STAT_MSGS);
	m->size = size;
	m->event = false;
	m->len = len;
	m->off = 0;
	return m;
}

static void kxs_msg_free(struct kxs_msg *m)
{
	if (!m)
		return;
	kxs_stat_dec(KXS_STAT_MSGS);
	kfree(m);
}

static void kxs_conn_killed(struct kxs_ctx *ctx)
{
	struct kxs_conn *c = container_of(ctx, struct kxs_conn, ctx);

	/* Blocked readers see the end of the stream, writers EPIPE. */
	wake_up_interruptible_all(&c->read_wq);
	wake_up_interruptible_all(&c->space_wq);
}

/* The file is gone and no RELEASE holds the context: free everything. */
static void kxs_conn_free(struct kxs_ctx *ctx)
{
	struct kxs_conn *c = container_of(ctx, struct kxs_conn, ctx);
	struct kxs_msg *m, *tmp;

	list_splice_tail_init(&c->held, &c->out);
	list_for_each_entry_safe(m, tmp, &c->out, list)
		kxs_msg_free(m);
	kxs_msg_free(c->spare);
	kxs_msg_free(c->recycled);
	kvfree(c->ioc);
	mutex_destroy(&c->in_lock);
	mutex_destroy(&c->read_lock);
	kvfree(c);
	kxs_stat_dec(KXS_STAT_CONNS);
}

/*
 * Wake whoever waits, without taking the wait queue's lock when nobody
 * does (the usual case: a client reads its reply after it wrote the
 * request).  wq_has_sleeper() orders the change before the check, as
 * wait_event() and poll orders theirs.
 */
static void kxs_conn_wake_readers(struct kxs_conn *c)
{
	if (wq_has_sleeper(&c->read_wq))
		wake_up_interruptible_poll(&c->read_wq, EPOLLIN | EPOLLRDNORM);
}

static void kxs_conn_wake_writers(struct kxs_conn *c)
{
	if (wq_has_sleeper(&c->space_wq))
		wake_up_interruptible_poll(&c->space_wq,
					   EPOLLOUT | EPOLLWRNORM);
}

/*
 * Queue a watch event, or drop it when the connection has
 * KXS_CONN_EVENTS_MAX bytes of events waiting (or memory is short, or it
 * would not fit a message), counted and logged with the reason.
 * While a WATCH is handled, events wait in @held, but for its initial
 * event (@initial).
 */
static void kxs_conn_queue_event(struct kxs_conn *c, const char *path,
				 const char *token, bool initial)
{
	size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;
	const char *why = "it is too long for a message";
	struct kxs_msg *m = NULL;
	bool queued = false, held = false;

	if (plen + tlen <= KXS_PAYLOAD_MAX) {
		m = kxs_msg_alloc(KXS_HDR_SIZE + plen + tlen);
		why = m ? "its connection's event queue is full" :
		      "no memory for it";
	}
	if (m) {
		m->event = true;
		m->hdr.type = XS_WATCH_EVENT;
		m->hdr.req_id = 0;
		m->hdr.tx_id = 0;
		m->hdr.len = plen + tlen;
		memcpy(m->buf + KXS_HDR_SIZE, path, plen);
		memcpy(m->buf + KXS_HDR_SIZE + plen, token, tlen);
	}
	spin_lock(&c->out_lock);
	if (m && c->ev_bytes + m->size <= KXS_CONN_EVENTS_MAX) {
		held = c->holding && !initial;
		list_add_tail(&m->list, held ? &c->held : &c->out);
		c->ev_bytes += m->size;
		queued = true;
	} else {
		c->events_dropped++;
	}
	spin_unlock(&c->out_lock);
	if (queued) {
		if (!held)
			kxs_conn_wake_readers(c);
	} else {
		kxs_msg_free(m);
		kxs_domain_event_dropped(c->ctx.doms, &c->ctx, why);
	}
}

static void kxs_conn_event(struct kxs_ctx *ctx, const char *path,
			   const char *token)
{
	kxs_conn_queue_event(container_of(ctx, struct kxs_conn, ctx), path,
			     token, false);
}

static void kxs_conn_event_lost(struct kxs_ctx *ctx)
{
	struct kxs_conn *c = container_of(ctx, struct kxs_conn, ctx);

	spin_lock(&c->out_lock);
	c->events_dropped++;
	spin_unlock(&c->out_lock);
	kxs_domain_event_dropped(ctx->doms, ctx,
				 "no memory to judge who hears of it");
}

static const struct kxs_ctx_ops kxs_conn_ctx_ops = {
	.killed = kxs_conn_killed,
	.free = kxs_conn_free,
	.event = kxs_conn_event,
	.lost = kxs_conn_event_lost,
};

/**
 * kxs_conn_create() - a connection acting for the control domain
 * @store: the store it serves
 * @doms: the store's domain table
 *
 * Return: the connection, or NULL if memory ran out.
 */
struct kxs_conn *kxs_conn_create(struct kxs_store *store,
				 struct kxs_domains *doms)
{
	struct kxs_conn *c;

	c = kvzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	kxs_stat_inc(KXS_STAT_CONNS);
	kxs_ctx_init(&c->ctx, store, doms, &kxs_conn_ctx_ops);
	mutex_init(&c->in_lock);
	mutex_init(&c->read_lock);
	spin_lock_init(&c->out_lock);
	INIT_LIST_HEAD(&c->out);
	INIT_LIST_HEAD(&c->held);
	init_waitqueue_head(&c->read_wq);
	init_waitqueue_head(&c->space_wq);
	return c;
}

/* The file is closed: nobody reads, writes or polls any more. */
void kxs_conn_close(struct kxs_conn *c)
{
	kxs_ctx_close(&c->ctx);
}

static bool kxs_conn_dead(struct kxs_conn *c)
{
	return READ_ONCE(c->ctx.dead);
}

/**
 * kxs_conn_bind() - make the connection act for a guest domain
 * @c: the connection
 * @domid: the guest
 *
 * Return: 0, -EBUSY once a request byte was taken in or if bound already,
 * -EINVAL for a domid that is not a guest's, -ENOMEM, -EINTR.
 */
int kxs_conn_bind(struct kxs_conn *c, u16 domid)
{
	int ret;

	if (mutex_lock_interruptible(&c->in_lock))
		return -EINTR;
	ret = c->used ? -EBUSY : kxs_domain_bind(c->ctx.doms, &c->ctx, domid);
	if (!ret) {
		/* What a restore kept for the domain's next connection. */
		percpu_down_read(&c->ctx.doms->quiesce);
		kxs_watch_adopt(c->ctx.doms, &c->ctx);
		percpu_up_read(&c->ctx.doms->quiesce);
	}
	mutex_unlock(&c->in_lock);
	return ret;
}

static void kxs_conn_queue(struct kxs_conn *c, struct kxs_msg *m)
{
	spin_lock(&c->out_lock);
	list_add_tail(&m->list, &c->out);
	WRITE_ONCE(c->out_bytes, c->out_bytes + m->size);
	spin_unlock(&c->out_lock);
	kxs_conn_wake_readers(c);
}

/*
 * Without the lock: only the writer (under in_lock) adds to out_bytes,
 * so a stale value is one a reader has lowered since; the reader then
 * wakes space_wq, which a waiting writer checks again after.  (A reader
 * whose copy out faulted puts back a message it took off a moment
 * before: a writer that saw the lower count lets in one message more.)
 */
static bool kxs_conn_has_space(struct kxs_conn *c)
{
	return READ_ONCE(c->out_bytes) < KXS_CONN_OUT_MAX;
}

/*
 * Before a new message is taken in: room in the reply queue, and a spare
 * reply so that handling the message cannot fail for lack of memory.
 */
static int kxs_conn_prepare(struct kxs_conn *c, bool nonblock)
{
	if (!kxs_conn_has_space(c)) {
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(c->space_wq,
					     kxs_conn_has_space(c) ||
					     kxs_conn_dead(c)))
			return -ERESTARTSYS;
		if (kxs_conn_dead(c))
			return -EPIPE;
	}
	if (!c->spare) {
		c->spare = xchg(&c->recycled, NULL);
		if (!c->spare)
			c->spare = kxs_msg_alloc(KXS_MSG_MAX);
		if (!c->spare)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Handle one request: @hdr and its payload in, the reply's header and
 * payload written at @reply (room for KXS_MSG_MAX bytes).
 */
static void kxs_conn_dispatch(struct kxs_conn *c, const struct xsd_sockmsg *hdr,
			      struct xsd_sockmsg *reply)
{
	struct kxs_request req = {
		.ctx = &c->ctx,
		.hdr = hdr,
		.payload = (const char *)(hdr + 1),
		.path = c->path,
		.reply = (char *)(reply + 1),
	};

	/*
	 * A new watch may fire as soon as it is added, on another CPU: its
	 * events wait until the reply and the initial event are queued
	 * (kxs_conn_watch_done()).
	 */
	if (hdr->type == XS_WATCH) {
		spin_lock(&c->out_lock);
		c->holding = true;
		spin_unlock(&c->out_lock);
	}
	/* Outside the request lock: see the rule in domain.h. */
	percpu_down_read(&c->ctx.doms->quiesce);
	mutex_lock(&c->ctx.lock);
	if (c->ctx.dead) {
		/* Released while the request came in: it is not served. */
		reply->type = XS_ERROR;
		kxs_reply_string(&req, kxs_errno_name(EIO));
	} else {
		reply->type = kxs_proto_handle(&req);
	}
	mutex_unlock(&c->ctx.lock);
	percpu_up_read(&c->ctx.doms->quiesce);
	reply->req_id = hdr->req_id;
	reply->tx_id = hdr->tx_id;
	reply->len = req.reply_len;
	/* Pointers into the request, valid until the next one is taken in. */
	c->watch_path = req.watch_path;
	c->watch_token = req.watch_token;
}

/*
 * After a WATCH's reply: its initial event, then the events held while it
 * was handled.
 */
static void kxs_conn_watch_done_slow(struct kxs_conn *c)
{
	bool wake;

	if (c->watch_path)
		kxs_conn_queue_event(c, c->watch_path, c->watch_token, true);
	c->watch_path = NULL;
	if (!c->holding)
		return;
	spin_lock(&c->out_lock);
	wake = !list_empty(&c->held);
	list_splice_tail_init(&c->held, &c->out);
	c->holding = false;
	spin_unlock(&c->out_lock);
	if (wake)
		kxs_conn_wake_readers(c);
}

/* Every request ends here; only a WATCH has more to do. */
static inline void kxs_conn_watch_done(struct kxs_conn *c)
{
	/* holding is set and cleared under our in_lock */
	if (unlikely(c->watch_path || c->holding))
		kxs_conn_watch_done_slow(c);
}

/* Handle the complete message in c->in and queue its reply. */
static void kxs_conn_handle(struct kxs_conn *c)
{
	struct kxs_msg *reply = c->spare, *m;

	kxs_conn_dispatch(c, &c->in.hdr, &reply->hdr);
	reply->len = KXS_HDR_SIZE + reply->hdr.len;
	reply->off = 0;
	reply->event = false;	/* it may have been an event, recycled */

	/*
	 * A client usually reads each reply before it writes the next
	 * request: with nothing queued, the spare itself is queued, and the
	 * reader hands it back (kxs_conn_recycle()).  Behind other messages
	 * the reply is queued as a right-sized copy, so that pipelined
	 * replies do not each hold the largest size; under memory pressure,
	 * the spare itself.
	 */
	m = NULL;
	/* Unlocked: a stale answer only picks the other of the two ways. */
	if (data_race(c->out_bytes | c->ev_bytes)) {
		m = kxs_msg_alloc(reply->len);
		if (m)
			memcpy(m->buf, reply->buf, reply->len);
	}
	if (!m) {
		m = reply;
		c->spare = NULL;
	}
	kxs_conn_queue(c, m);
	kxs_conn_watch_done(c);
}

/**
 * kxs_conn_write() - take in bytes a client wrote
 * @c: the connection
 * @from: the bytes
 * @nonblock: fail with -EAGAIN instead of waiting for queue space
 *
 * Return: bytes taken in, or a negative errno if none were.
 */
ssize_t kxs_conn_write(struct kxs_conn *c, struct iov_iter *from,
		       bool nonblock)
{
	size_t done = 0, msg_start = 0;
	int ret = 0;

	if (!iov_iter_count(from))
		return 0;
	if (mutex_lock_interruptible(&c->in_lock))
		return -ERESTARTSYS;

	while (iov_iter_count(from)) {
		if (kxs_conn_dead(c)) {
			/*
			 * Released: a message cut short is not taken in, so
			 * that the client sees EPIPE, not a short write.
			 */
			if (c->in_len)
				done = msg_start;
			c->in_len = 0;
			ret = -EPIPE;
			break;
		}
		size_t want, n;

		if (!c->in_len) {
			msg_start = done;
			ret = kxs_conn_prepare(c, nonblock);
			if (ret)
				break;
		}
		if (!c->in_len && iov_iter_count(from) >= KXS_HDR_SIZE) {
			/*
			 * A whole header, the usual start: its constant size
			 * spares the hardened usercopy check a heap walk.
			 */
			n = copy_from_iter(&c->in.hdr, KXS_HDR_SIZE, from);
		} else {
			if (c->in_len < KXS_HDR_SIZE)
				want = KXS_HDR_SIZE - c->in_len;
			else
				want = KXS_HDR_SIZE + c->in.hdr.len -
				       c->in_len;
			n = copy_from_iter(c->in.buf + c->in_len, want, from);
		}
		if (!n) {
			ret = -EFAULT;
			break;
		}
		c->in_len += n;
		done += n;
		c->used = true;

		if (c->in_len == KXS_HDR_SIZE &&
		    c->in.hdr.len > KXS_PAYLOAD_MAX) {
			c->in_len = 0;
			done = msg_start;
			ret = -E2BIG;
			break;
		}
		if (c->in_len == KXS_HDR_SIZE + c->in.hdr.len) {
			kxs_conn_handle(c);
			c->in_len = 0;
		}
	}
	mutex_unlock(&c->in_lock);
	return done ? done : ret;
}

/*
 * A message read whole: a largest-size one becomes the writer's next
 * spare (one kept; an older one is freed), any other is freed.
 */
static void kxs_conn_recycle(struct kxs_conn *c, struct kxs_msg *m)
{
	if (m->size == offsetof(struct kxs_msg, buf) + KXS_MSG_MAX)
		m = xchg(&c->recycled, m);
	kxs_msg_free(m);
}

static struct kxs_msg *kxs_conn_first(struct kxs_conn *c)
{
	struct kxs_msg *m;

	spin_lock(&c->out_lock);
	m = list_first_entry_or_null(&c->out, struct kxs_msg, list);
	spin_unlock(&c->out_lock);
	return m;
}

/* Something to read, or the end of a dead connection's stream. */
static bool kxs_conn_readable(struct kxs_conn *c)
{
	return kxs_conn_first(c) || kxs_conn_dead(c);
}

/*
 * Take @m, the head of @c->out, off the queue.  Return: whether the
 * queue was full (writers wait only for a full one, kxs_conn_prepare()).
 */
static bool kxs_conn_unqueue(struct kxs_conn *c, struct kxs_msg *m)
{
	bool was_full = c->out_bytes >= KXS_CONN_OUT_MAX;

	lockdep_assert_held(&c->out_lock);
	list_del(&m->list);
	if (m->event)
		c->ev_bytes -= m->size;
	else
		WRITE_ONCE(c->out_bytes, c->out_bytes - m->size);
	return was_full;
}

/* Put @m back at the head, as if never taken (a copy out faulted). */
static void kxs_conn_requeue(struct kxs_conn *c, struct kxs_msg *m)
{
	spin_lock(&c->out_lock);
	list_add(&m->list, &c->out);
	if (m->event)
		c->ev_bytes += m->size;
	else
		WRITE_ONCE(c->out_bytes, c->out_bytes + m->size);
	spin_unlock(&c->out_lock);
	/* A poller may have found the queue empty meanwhile. */
	kxs_conn_wake_readers(c);
}

/**
 * kxs_conn_in_missing() - bytes the message being taken in still lacks
 * @c: the connection
 *
 * For a transport that must stop between messages: 0 between messages;
 * while only part of the header is in, the rest of the header.
 *
 * Context: the connection's only writer (its input is not locked here).
 * Return: the number of bytes.
 */
size_t kxs_conn_in_missing(struct kxs_conn *c)
{
	if (!c->in_len)
		return 0;
	if (c->in_len < KXS_HDR_SIZE)
		return KXS_HDR_SIZE - c->in_len;
	return KXS_HDR_SIZE + c->in.hdr.len - c->in_len;
}

/**
 * kxs_conn_drained() - nothing is queued for reading
 * @c: the connection
 *
 * Return: whether the read queue (and what a WATCH holds back) is empty.
 */
bool kxs_conn_drained(struct kxs_conn *c)
{
	bool empty;

	spin_lock(&c->out_lock);
	empty = list_empty(&c->out) && list_empty(&c->held);
	spin_unlock(&c->out_lock);
	return empty;
}

/**
 * kxs_conn_read() - read queued replies as a byte stream
 * @c: the connection
 * @to: where to copy them
 * @nonblock: fail with -EAGAIN instead of waiting for a reply
 *
 * A message that fits in the rest of @to is taken off the queue in the
 * same locked section that finds it, then copied out (and put back if
 * the copy faults); a bigger one is copied in part where it stays: only
 * readers remove messages, and read_lock serialises them.
 *
 * Return: bytes read, or a negative errno if none were.
 */
ssize_t kxs_conn_read(struct kxs_conn *c, struct iov_iter *to, bool nonblock)
{
	struct kxs_msg *m;
	size_t done = 0;
	int ret = 0;

	if (!iov_iter_count(to))
		return 0;
	if (mutex_lock_interruptible(&c->read_lock))
		return -ERESTARTSYS;

	while (iov_iter_count(to)) {
		bool whole, was_full = false;
		size_t n;

		spin_lock(&c->out_lock);
		m = list_first_entry_or_null(&c->out, struct kxs_msg, list);
		whole = m && m->len - m->off <= iov_iter_count(to);
		if (whole)
			was_full = kxs_conn_unqueue(c, m);
		spin_unlock(&c->out_lock);
		if (!m) {
			if (done)
				break;
			mutex_unlock(&c->read_lock);
			if (kxs_conn_dead(c))
				return 0;
			if (nonblock)
				return -EAGAIN;
			if (wait_event_interruptible(c->read_wq,
						     kxs_conn_readable(c)))
				return -ERESTARTSYS;
			if (mutex_lock_interruptible(&c->read_lock))
				return -ERESTARTSYS;
			continue;
		}
		n = copy_to_iter(m->buf + m->off, m->len - m->off, to);
		done += n;
		m->off += n;
		if (m->off < m->len) {
			if (whole)
				kxs_conn_requeue(c, m);
			if (!n)
				ret = -EFAULT;
			break;
		}
		kxs_conn_recycle(c, m);
		if (was_full)
			kxs_conn_wake_writers(c);
	}
	mutex_unlock(&c->read_lock);
	return done ? done : ret;
}

/* Readable when a message is queued, writable while the queue has room. */
__poll_t kxs_conn_poll(struct kxs_conn *c, struct file *file,
		       poll_table *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &c->read_wq, wait);
	poll_wait(file, &c->space_wq, wait);
	/*
	 * Queued before the lockless look at out_bytes, as the reader that
	 * lowers it looks for waiters (wq_has_sleeper()) after.
	 */
	smp_mb();
	if (kxs_conn_readable(c))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (kxs_conn_has_space(c))
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (kxs_conn_dead(c))
		mask |= EPOLLHUP;
	return mask;
}

/**
 * kxs_conn_request() - handle one request and return its reply directly
 * @c: the connection
 * @request: user address of the request, header then payload
 * @request_len: its length: the header's and the payload's
 * @reply: user address of room for KXS_MSG_MAX bytes of reply
 * @reply_len: set to the length of the reply written at @reply
 *
 * The request goes through the same handling as one written, in turn
 * with written ones; its reply bypasses the read queue.
 *
 * Return: 0, -EINVAL for a length that does not match the header, -E2BIG
 * for a payload over KXS_PAYLOAD_MAX, -EPIPE once the domain is released,
 * -EFAULT, -ENOMEM, -EINTR.
 */
int kxs_conn_request(struct kxs_conn *c, const void __user *request,
		     u32 request_len, void __user *reply, u32 *reply_len)
{
	struct kxs_conn_ioc *ioc;
	struct xsd_sockmsg hdr;
	int ret = 0;

	if (request_len < KXS_HDR_SIZE)
		return -EINVAL;
	if (copy_from_user(&hdr, request, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len > KXS_PAYLOAD_MAX)
		return -E2BIG;
	if (request_len != KXS_HDR_SIZE + hdr.len)
		return -EINVAL;
	if (mutex_lock_interruptible(&c->in_lock))
		return -EINTR;
	if (kxs_conn_dead(c)) {
		ret = -EPIPE;
		goto out;
	}
	if (!c->ioc) {
		c->ioc = kvmalloc(sizeof(*c->ioc), GFP_KERNEL);
		if (!c->ioc) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ioc = c->ioc;
	if (copy_from_user(ioc->req.buf, request, request_len)) {
		ret = -EFAULT;
		goto out;
	}
	/* The header may have changed since it was checked: use ours. */
	ioc->req.hdr = hdr;
	c->used = true;
	kxs_conn_dispatch(c, &ioc->req.hdr, &ioc->reply.hdr);
	*reply_len = KXS_HDR_SIZE + ioc->reply.hdr.len;
	if (copy_to_user(reply, ioc->reply.buf, *reply_len))
		ret = -EFAULT;
	kxs_conn_watch_done(c);
out:
	mutex_unlock(&c->in_lock);
	return ret;
}
