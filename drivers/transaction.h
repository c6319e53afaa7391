/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transactions, in the protocol specification's own model: a transaction
 * works on a private copy of the store, made when it starts, and commits
 * only if the store did not change meanwhile.
 */
#ifndef _KXS_TRANSACTION_H
#define _KXS_TRANSACTION_H

#include <linux/rbtree.h>
#include <linux/types.h>

#include "perms.h"

struct kxs_caller;
struct kxs_ctx;
struct kxs_store;

/**
 * struct kxs_tx - one open transaction
 * @copy: the private copy of the store the transaction reads and writes
 * @base_gen: the store's generation when @copy was made
 * @events: the nodes it changed (struct kxs_tx_event by path), reported
 *	to watches when it commits, once each
 */
struct kxs_tx {
	struct kxs_store *copy;
	u64 base_gen;
	struct rb_root events;
};

/**
 * struct kxs_tx_event - a node a transaction changed
 * @node: link in kxs_tx.events
 * @rm: the node was removed (its last change in the transaction)
 * @nr_perms: entries in @perms
 * @perms: for a removal, the removed node's permissions
 * @path: canonical path
 */
struct kxs_tx_event {
	struct rb_node node;
	bool rm;
	unsigned int nr_perms;
	struct kxs_perm *perms;
	char path[];
};

void kxs_tx_init(struct kxs_ctx *ctx);
int kxs_tx_start(struct kxs_ctx *ctx, const struct kxs_caller *c, u32 *id);
int kxs_tx_end(struct kxs_ctx *ctx, u32 id, bool commit);
struct kxs_store *kxs_tx_store(struct kxs_ctx *ctx, u32 id);
void kxs_tx_release_all(struct kxs_ctx *ctx);
int kxs_tx_note(struct kxs_ctx *ctx, u32 id, const char *path, bool rm,
		struct kxs_perm *perms, unsigned int nr);

#endif /* _KXS_TRANSACTION_H */
