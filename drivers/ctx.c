// SPDX-License-Identifier: GPL-2.0
/*
 * Request contexts: the part of a connection that requests act through,
 * and its lifetime.  A connection holds one reference; a RELEASE of the
 * connection's domain holds another while it ends the connection.
 */
#include <linux/lockdep.h>

#include "ctx.h"
#include "domain.h"
#include "proto.h"
#include "transaction.h"
#include "watch.h"

/**
 * kxs_ctx_init() - a context acting for the control domain
 * @ctx: the context
 * @store: the store requests act on
 * @doms: its domain table
 * @ops: the owner's callbacks
 */
void kxs_ctx_init(struct kxs_ctx *ctx, struct kxs_store *store,
		  struct kxs_domains *doms, const struct kxs_ctx_ops *ops)
{
	ctx->store = store;
	ctx->doms = doms;
	ctx->dom = NULL;
	INIT_LIST_HEAD(&ctx->dom_link);
	INIT_LIST_HEAD(&ctx->dying_link);
	INIT_LIST_HEAD(&ctx->watches);
	mutex_init(&ctx->lock);
	kref_init(&ctx->ref);
	ctx->ops = ops;
	ctx->domid = KXS_DOMID_CONTROL;
	ctx->dead = false;
	kxs_tx_init(ctx);
}

static void kxs_ctx_release(struct kref *ref)
{
	struct kxs_ctx *ctx = container_of(ref, struct kxs_ctx, ref);

	mutex_destroy(&ctx->lock);
	if (ctx->ops && ctx->ops->free)
		ctx->ops->free(ctx);
}

void kxs_ctx_put(struct kxs_ctx *ctx)
{
	kref_put(&ctx->ref, kxs_ctx_release);
}

/**
 * kxs_ctx_reset() - RESET_WATCHES: end the context's watches and
 * transactions
 * @ctx: the context, its request lock held
 */
void kxs_ctx_reset(struct kxs_ctx *ctx)
{
	lockdep_assert_held(&ctx->lock);
	kxs_watch_remove_all(ctx->doms, ctx);
	kxs_tx_release_all(ctx);
}

/**
 * kxs_ctx_close() - the connection is closed
 * @ctx: the context; the caller's reference is dropped
 */
void kxs_ctx_close(struct kxs_ctx *ctx)
{
	struct kxs_domains *d = ctx->doms;

	percpu_down_read(&d->quiesce);
	mutex_lock(&ctx->lock);
	kxs_watch_remove_all(d, ctx);
	kxs_tx_release_all(ctx);
	kxs_domain_unbind(d, ctx);
	mutex_unlock(&ctx->lock);
	percpu_up_read(&d->quiesce);
	kxs_ctx_put(ctx);
}

/**
 * kxs_ctx_kill() - the context's domain was released
 * @ctx: a context bound to that domain
 *
 * Its watches and transactions end and it takes no more requests.  It stays bound
 * to the (released) domain until it is closed, so that nothing can make
 * it act for the control domain.
 *
 * Context: may hold the request lock of another context (the control
 * domain's, handling RELEASE), never one of this domain's.
 */
void kxs_ctx_kill(struct kxs_ctx *ctx)
{
	mutex_lock_nested(&ctx->lock, SINGLE_DEPTH_NESTING);
	WRITE_ONCE(ctx->dead, true);
	kxs_watch_remove_all(ctx->doms, ctx);
	kxs_tx_release_all(ctx);
	mutex_unlock(&ctx->lock);
	if (ctx->ops && ctx->ops->killed)
		ctx->ops->killed(ctx);
}
