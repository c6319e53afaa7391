/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transactions, in the protocol specification's own model: a transaction
 * works on a private copy of the store, made when it starts, and commits
 * only if the store did not change meanwhile.
 */
#ifndef _KXS_TRANSACTION_H
#define _KXS_TRANSACTION_H

#include <linux/types.h>

struct kxs_caller;
struct kxs_ctx;
struct kxs_store;

/**
 * struct kxs_tx - one open transaction
 * @copy: the private copy of the store the transaction reads and writes
 * @base_gen: the store's generation when @copy was made
 */
struct kxs_tx {
	struct kxs_store *copy;
	u64 base_gen;
};

void kxs_tx_init(struct kxs_ctx *ctx);
int kxs_tx_start(struct kxs_ctx *ctx, const struct kxs_caller *c, u32 *id);
int kxs_tx_end(struct kxs_ctx *ctx, u32 id, bool commit);
struct kxs_store *kxs_tx_store(struct kxs_ctx *ctx, u32 id);
void kxs_tx_release_all(struct kxs_ctx *ctx);

#endif /* _KXS_TRANSACTION_H */
