/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Request contexts: on whose behalf requests are handled, and their
 * lifetime (ctx.c).
 */
#ifndef _KXS_CTX_H
#define _KXS_CTX_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct kxs_domain;
struct kxs_domains;
struct kxs_store;
struct kxs_ctx;

/**
 * struct kxs_ctx_ops - what the owner of a context provides
 * @killed: the context's domain was released; wake whoever waits on it
 * @free: the last reference is gone; free the context
 * @event: queue a WATCH_EVENT with @path and @token for the client; it
 *	may drop it (bounded queue) but must not sleep for room
 * @lost: an event for the client could not even be made (no memory to
 *	judge who hears of a change); count it as dropped
 */
struct kxs_ctx_ops {
	void (*killed)(struct kxs_ctx *ctx);
	void (*free)(struct kxs_ctx *ctx);
	void (*event)(struct kxs_ctx *ctx, const char *path, const char *token);
	void (*lost)(struct kxs_ctx *ctx);
};

/**
 * struct kxs_ctx - on whose behalf requests are handled (a connection)
 * @store: the store they act on
 * @doms: the domain table of @store
 * @dom: the guest domain the connection is bound to; NULL for the
 *	control domain.  Set once, before the first request
 * @dom_link: link in @dom's connections; under @doms->lock
 * @dying_link: link in the list of a RELEASE that kills the context
 * @lock: held while a request is handled, so one at a time; protects
 *	@txs, @nr_txs and @dead
 * @ref: the connection's own, and one per RELEASE in progress
 * @ops: see struct kxs_ctx_ops
 * @domid: @dom's domid, or 0
 * @dom0_ring: the connection of dom0's kernel's ring (xen_dom0.c): a
 *	checkpoint for domain 0 carries its watches, and a restore's
 *	watches of domain 0 wait for it.  Set once, before the first request
 * @dead: the domain was released: no more requests
 * @watches: the context's watches (kxs_watch.ctx_link), under the watch
 *	table's lock
 * @txs: open transactions (kxs_tx.ctx_link)
 * @nr_txs: number of entries in @txs
 */
struct kxs_ctx {
	struct kxs_store *store;
	struct kxs_domains *doms;
	struct kxs_domain *dom;
	struct list_head dom_link;
	struct list_head dying_link;
	struct mutex lock;	/* one request at a time */
	struct kref ref;
	const struct kxs_ctx_ops *ops;
	u16 domid;
	bool dom0_ring;
	bool dead;
	struct list_head watches;
	struct list_head txs;
	unsigned int nr_txs;
};

void kxs_ctx_init(struct kxs_ctx *ctx, struct kxs_store *store,
		  struct kxs_domains *doms, const struct kxs_ctx_ops *ops);
void kxs_ctx_close(struct kxs_ctx *ctx);
void kxs_ctx_reset(struct kxs_ctx *ctx);
void kxs_ctx_kill(struct kxs_ctx *ctx);
void kxs_ctx_put(struct kxs_ctx *ctx);

static inline void kxs_ctx_get(struct kxs_ctx *ctx)
{
	kref_get(&ctx->ref);
}

#endif /* _KXS_CTX_H */
