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
#include <linux/string.h>
#include <linux/xarray.h>

#include "domain.h"
#include "proto.h"
#include "store.h"
#include "transaction.h"
#include "watch.h"

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

static void kxs_tx_event_free(struct kxs_tx_event *ev)
{
	kfree(ev->perms);
	kfree(ev);
}

/**
 * kxs_tx_note() - remember a change a transaction made, for its commit
 * @ctx: the connection's context
 * @id: the transaction
 * @path: canonical path of the node changed
 * @rm: the node was removed
 * @perms: for a removal, the node's permissions, taken over (kfree()d
 *	here if not kept); NULL otherwise
 * @nr: entries in @perms
 *
 * Return: 0, or -ENOMEM (the change will not be reported).
 */
int kxs_tx_note(struct kxs_ctx *ctx, u32 id, const char *path, bool rm,
		struct kxs_perm *perms, unsigned int nr)
{
	struct kxs_tx *tx = xa_load(&ctx->txs, id);
	struct rb_node **link, *parent = NULL;
	struct kxs_tx_event *ev;
	size_t len = strlen(path);

	if (!tx)
		goto err;
	for (link = &tx->events.rb_node; *link;) {
		int r;

		ev = rb_entry(*link, struct kxs_tx_event, node);
		r = strcmp(path, ev->path);
		parent = *link;
		if (!r) {
			/* Once per node: its last change decides the kind. */
			kfree(ev->perms);
			ev->rm = rm;
			ev->perms = perms;
			ev->nr_perms = nr;
			return 0;
		}
		link = r < 0 ? &parent->rb_left : &parent->rb_right;
	}
	ev = kmalloc(struct_size(ev, path, len + 1), GFP_KERNEL);
	if (!ev)
		goto err;
	ev->rm = rm;
	ev->perms = perms;
	ev->nr_perms = nr;
	memcpy(ev->path, path, len + 1);
	rb_link_node(&ev->node, parent, link);
	rb_insert_color(&ev->node, &tx->events);
	return 0;

err:
	kfree(perms);
	return -ENOMEM;
}

/* Report a committed transaction's changes in path order, then forget them. */
static void kxs_tx_fire(struct kxs_ctx *ctx, struct kxs_tx *tx, bool commit)
{
	struct rb_node *rb;

	while ((rb = rb_first(&tx->events))) {
		struct kxs_tx_event *ev = rb_entry(rb, struct kxs_tx_event,
						   node);
		struct kxs_perm *perms;
		unsigned int nr;

		rb_erase(rb, &tx->events);
		if (commit && ev->rm) {
			kxs_watch_fire(ctx->doms, ev->path, ev->perms,
				       ev->nr_perms, true);
		} else if (commit) {
			perms = kxs_store_perms(ctx->store, ev->path, &nr);
			if (perms)
				kxs_watch_fire(ctx->doms, ev->path, perms, nr,
					       false);
			kfree(perms);
		}
		kxs_tx_event_free(ev);
	}
}

static void kxs_tx_free(struct kxs_ctx *ctx, struct kxs_tx *tx)
{
	kxs_tx_fire(ctx, tx, false);
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
	kxs_tx_fire(ctx, tx, commit && !ret);
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
