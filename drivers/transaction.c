// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions.
 *
 * TRANSACTION_START copies the store; requests carrying the transaction's
 * id act on the copy, so the transaction sees its own writes and nobody
 * else's.  TRANSACTION_END with "T" publishes the copy as the new store
 * in one step (all of its changes at once for readers) if the store is
 * still at the generation the copy was made from, and fails with EAGAIN
 * otherwise; "F" discards the copy.
 *
 * This is the specification's model ("whole db is copied"): correct, but
 * any intervening write makes a commit fail and starting costs a copy of
 * the store.  Per-node conflicts and O(1) start replace it later.
 *
 * The table of a connection's transactions is only used under the
 * context's request lock (kxs_ctx.lock).  Open transactions count against
 * the domain's quota (the control domain has none).
 */
#include <linux/slab.h>
#include <linux/xarray.h>

#include "domain.h"
#include "proto.h"
#include "store.h"
#include "transaction.h"

void kxs_tx_init(struct kxs_ctx *ctx)
{
	xa_init_flags(&ctx->txs, XA_FLAGS_ALLOC1);
	ctx->nr_txs = 0;
	ctx->next_txid = 1;
}

/**
 * kxs_tx_start() - start a transaction
 * @ctx: the connection's context
 * @c: the caller, whose transactions quota applies
 * @id: set to the new transaction's id, never 0
 *
 * Return: 0, -ENOSPC if the domain has its quota of transactions open,
 * -ENOMEM.
 */
int kxs_tx_start(struct kxs_ctx *ctx, const struct kxs_caller *c, u32 *id)
{
	struct kxs_tx *tx;
	int ret;

	ret = kxs_domain_tx_get(ctx->doms, ctx, c);
	if (ret)
		return ret;
	ret = -ENOMEM;
	tx = kzalloc(sizeof(*tx), GFP_KERNEL);
	if (!tx)
		goto err;
	tx->copy = kxs_store_clone(ctx->store);
	if (!tx->copy) {
		kfree(tx);
		goto err;
	}
	/* Nobody else sees the copy: its generation is the base. */
	tx->base_gen = tx->copy->gen;
	ret = xa_alloc_cyclic(&ctx->txs, id, tx, XA_LIMIT(1, U32_MAX),
			      &ctx->next_txid, GFP_KERNEL);
	if (ret < 0) {
		kxs_store_destroy(tx->copy);
		kfree(tx);
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto err;
	}
	ctx->nr_txs++;
	return 0;

err:
	kxs_domain_tx_put(ctx->doms, ctx);
	return ret;
}

/* The store a request with this tx_id acts on, or ERR_PTR(-ENOENT). */
struct kxs_store *kxs_tx_store(struct kxs_ctx *ctx, u32 id)
{
	struct kxs_tx *tx;

	if (!id)
		return ctx->store;
	tx = xa_load(&ctx->txs, id);
	return tx ? tx->copy : ERR_PTR(-ENOENT);
}

static void kxs_tx_free(struct kxs_ctx *ctx, struct kxs_tx *tx)
{
	kxs_store_destroy(tx->copy);
	kfree(tx);
	ctx->nr_txs--;
	kxs_domain_tx_put(ctx->doms, ctx);
}

/**
 * kxs_tx_end() - commit or abort a transaction
 * @ctx: the connection's context
 * @id: the transaction
 * @commit: publish its changes (true) or discard them
 *
 * The transaction is over whatever the result.
 *
 * Return: 0, -ENOENT for an unknown id, -EAGAIN if the commit failed
 * because the store changed since the transaction started.
 */
int kxs_tx_end(struct kxs_ctx *ctx, u32 id, bool commit)
{
	struct kxs_tx *tx = id ? xa_erase(&ctx->txs, id) : NULL;
	int ret = 0;

	if (!tx)
		return -ENOENT;
	if (commit)
		ret = kxs_store_commit(ctx->store, tx->copy, tx->base_gen);
	kxs_tx_free(ctx, tx);
	return ret;
}

/* End every transaction of a connection that is going away or dead. */
void kxs_tx_release_all(struct kxs_ctx *ctx)
{
	struct kxs_tx *tx;
	unsigned long id;

	xa_for_each(&ctx->txs, id, tx) {
		xa_erase(&ctx->txs, id);
		kxs_tx_free(ctx, tx);
	}
	xa_destroy(&ctx->txs);
}
