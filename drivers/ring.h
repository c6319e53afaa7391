/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xenstore ring: a connection whose bytes come and go through a
 * shared page (xen/include/public/io/xs_wire.h) instead of a file.
 */
#ifndef _KXS_RING_H
#define _KXS_RING_H

#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <xen/interface/io/xs_wire.h>

struct kxs_conn;
struct kxs_domains;
struct kxs_ring;
struct kxs_store;

/**
 * struct kxs_ring_ops - what the owner of the page and its event channel
 *	provides
 * @notify: signal the other end (the event channel)
 * @done: a run of the ring's work is over (where a late EOI goes);
 *	@idle: it found nothing to do (an event that brought nothing is
 *	spurious, and a storm of them is slowed down by the EOI)
 */
struct kxs_ring_ops {
	void (*notify)(struct kxs_ring *r);
	void (*done)(struct kxs_ring *r, bool idle);
};

/**
 * struct kxs_ring - one connection served on a ring page
 * @intf: the page, shared with the client: every field may change under
 *	us at any time and is read once per use, validated, and copied
 *	before it is parsed
 * @ops: the page's owner's callbacks
 * @priv: for @ops
 * @store: the store the connection acts on
 * @doms: the store's domain table
 * @conn: the connection; replaced by a new one on a reconnect
 * @wait: our entry on @conn's read_wq: a reply or an event queued there
 *	schedules @work, as a reader's wake-up would
 * @work: moves bytes between the page and @conn
 * @req_cons: the next request byte to take in (the page's copy is only
 *	written)
 * @rsp_prod: the next reply byte to write (likewise)
 * @error: an XENSTORE_ERROR_* this end set in the page: nothing more is
 *	served until the client asks for a reconnect
 * @domid: the client
 * @flags: KXS_RING_* given to kxs_ring_create()
 * @paused: take in no new message (a live update is under way): only
 *	the rest of the one being taken in, and those of open transactions,
 *	so that they can end; replies still go out
 * @quiet: paused, and the connection holds nothing a checkpoint cannot
 *	carry: no part of a message, no open transaction, no reply or event
 *	not yet in the page (set by @work)
 * @adopt: on the next run, take the watches a restore parked for the
 *	connection's domain
 * @reset: on the next run, start a new connection with empty rings, as
 *	for a reconnect (kxs_ring_reset())
 *
 * Locking: only @work touches @intf, @conn, @req_cons, @rsp_prod,
 * @error and @adopt after kxs_ring_create() (a work item never runs on
 * two CPUs at once).  Whoever kicks @work (the event channel's handler,
 * @wait) is stopped before kxs_ring_destroy() returns (see there).
 * @paused is written by kxs_ring_pause(), @reset by kxs_ring_reset() and
 * @work, @quiet by @work; all are read without a lock.
 */
struct kxs_ring {
	struct xenstore_domain_interface *intf;
	const struct kxs_ring_ops *ops;
	void *priv;
	struct kxs_store *store;
	struct kxs_domains *doms;
	struct kxs_conn *conn;
	struct wait_queue_entry wait;
	struct delayed_work work;
	u32 req_cons;
	u32 rsp_prod;
	u32 error;
	u16 domid;
	unsigned int flags;
	bool paused;
	bool quiet;
	bool adopt;
	bool reset;
};

/* kxs_ring_create()'s flags */
#define KXS_RING_DOM0	1	/* dom0's kernel's: kxs_ctx.dom0_ring */
#define KXS_RING_GUEST	2	/* the connection acts for the domain */
#define KXS_RING_PAUSED	4	/* start paused: see kxs_ring_pause() */
#define KXS_RING_ADOPT	8	/* take parked watches: see kxs_ring_create() */

struct kxs_ring *kxs_ring_create(struct kxs_store *store,
				 struct kxs_domains *doms, u16 domid,
				 unsigned int flags,
				 struct xenstore_domain_interface *intf,
				 const struct kxs_ring_ops *ops, void *priv);
void kxs_ring_kick(struct kxs_ring *r);
void kxs_ring_pause(struct kxs_ring *r, bool paused);
bool kxs_ring_quiet(struct kxs_ring *r);
void kxs_ring_reset(struct kxs_ring *r);
void kxs_ring_destroy(struct kxs_ring *r);

#endif /* _KXS_RING_H */
