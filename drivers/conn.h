/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client connection: message framing in, a queue of replies out.
 */
#ifndef _KXS_CONN_H
#define _KXS_CONN_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "proto.h"

/*
 * Bytes of replies a connection may have queued before it must read some:
 * a client that writes requests and never reads is stopped here, and
 * blocks (or gets EAGAIN) before its next request is taken in.
 */
#define KXS_CONN_OUT_MAX	(128 * 1024)

/*
 * Bytes of watch events a connection may have queued.  Events beyond it
 * are dropped and counted (kxs_conn.events_dropped, and in the domain
 * for "xenstore-control quota <domid>"): a client that does not read
 * cannot make the kernel allocate without bound, and replies, which are
 * never dropped, do not compete with events for room.
 */
#define KXS_CONN_EVENTS_MAX	(64 * 1024)

/**
 * struct kxs_msg - one message queued for reading
 * @list: link in kxs_conn.out
 * @size: bytes allocated for the message, counted in kxs_conn.out_bytes
 *	(a reply) or kxs_conn.ev_bytes (an event)
 * @event: a watch event, not a reply
 * @len: bytes in @buf, header included
 * @off: bytes of @buf already read
 * @hdr: the header, at the start of @buf
 * @buf: header, then payload
 *
 * Locking: filled by its producer before it is queued; once on a
 * connection's @out or @held list, @list is under kxs_conn.out_lock and
 * @off under kxs_conn.read_lock (only readers take messages off @out).
 */
struct kxs_msg {
	struct list_head list;
	u32 size;
	bool event;
	u32 len;
	u32 off;
	union {
		struct xsd_sockmsg hdr;
		DECLARE_FLEX_ARRAY(u8, buf);
	};
};

/* The request ioctl's buffers: a request in, its reply out. */
struct kxs_conn_ioc {
	union {
		struct xsd_sockmsg hdr;
		u8 buf[KXS_MSG_MAX];
	} req, reply;
};

/**
 * struct kxs_conn - one connection (one open file)
 * @ctx: the store and the identity requests act with
 * @nr_open: the device's count of open files, or NULL (KUnit)
 * @in_lock: serialises writers and request ioctls; protects @in_len,
 *	@used, @in, @spare, @ioc and @path, and so takes this connection's
 *	requests in one at a time, in order
 * @in_len: bytes of the current incoming message in @in
 * @used: a byte of a request was taken in: too late to bind
 * @ioc: request and reply of the request ioctl, allocated on first use
 * @watch_path: the initial event of a WATCH just handled, to queue after
 *	its reply; points into the request
 * @watch_token: its token
 * @spare: a reply of the largest size, allocated before a request is
 *	taken in, so that a request once taken always gets its reply
 * @recycled: a largest-size reply a reader is done with, for the next
 *	@spare (exchanged with xchg(): readers and writers both reach it)
 * @path: scratch for the canonical path of the request being handled
 * @read_lock: serialises readers, the only ones that remove from @out
 * @out_lock: protects @out, @held, @holding, @out_bytes, @ev_bytes and
 *	@events_dropped (@out_bytes is read without it by writers)
 *	(spinlock: appended to from any context that produces replies or
 *	events)
 * @out: queued messages, oldest first
 * @held: events held back while a WATCH is handled (see @holding)
 * @holding: a WATCH is being handled: events go to @held until its reply
 *	and initial event are queued, so that none comes before them
 * @out_bytes: bytes allocated for the replies in @out
 * @ev_bytes: bytes allocated for the events in @out
 * @events_dropped: events not queued: @ev_bytes was at its bound, there
 *	was no memory for them (or to judge whether they were due), or they
 *	were too long for a message
 * @read_wq: readers and pollers wait here for @out to fill
 * @space_wq: writers wait here for @out to drain below KXS_CONN_OUT_MAX
 * @in: the message being received
 */
struct kxs_conn {
	struct kxs_ctx ctx;
	atomic_t *nr_open;

	struct mutex in_lock;		/* writers: input and request handling */
	size_t in_len;
	bool used;
	struct kxs_msg *spare;
	struct kxs_msg *recycled;
	struct kxs_conn_ioc *ioc;
	const char *watch_path;
	const char *watch_token;
	char path[KXS_PATH_BUF];

	struct mutex read_lock;		/* readers: consuming @out */
	spinlock_t out_lock;		/* @out, @out_bytes */
	struct list_head out;
	struct list_head held;
	bool holding;
	size_t out_bytes;
	size_t ev_bytes;
	unsigned long events_dropped;
	wait_queue_head_t read_wq;
	wait_queue_head_t space_wq;

	union {
		struct xsd_sockmsg hdr;
		u8 buf[KXS_MSG_MAX];
	} in;
};

struct kxs_conn *kxs_conn_create(struct kxs_store *store,
				 struct kxs_domains *doms);
void kxs_conn_close(struct kxs_conn *c);
int kxs_conn_bind(struct kxs_conn *c, u16 domid);
int kxs_conn_request(struct kxs_conn *c, const void __user *request,
		     u32 request_len, void __user *reply, u32 *reply_len);
ssize_t kxs_conn_write(struct kxs_conn *c, struct iov_iter *from,
		       bool nonblock);
ssize_t kxs_conn_read(struct kxs_conn *c, struct iov_iter *to, bool nonblock);
size_t kxs_conn_in_missing(struct kxs_conn *c);
bool kxs_conn_drained(struct kxs_conn *c);
__poll_t kxs_conn_poll(struct kxs_conn *c, struct file *file,
		       poll_table *wait);

#endif /* _KXS_CONN_H */
