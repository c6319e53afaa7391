/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A transaction's records, for transaction.c (tx_records.c).
 */
#ifndef _KXS_TX_RECORDS_H
#define _KXS_TX_RECORDS_H

#include <linux/rbtree.h>
#include <linux/types.h>

struct kxs_tx;
struct kxs_txn;

/* A walk down a canonical path: its prefixes from the root, hashed. */
struct kxs_txn_walk {
	const char *path;
	size_t end;
	size_t len;
	u64 hash;
};

/* Where a record's path is, from its link in kxs_tx.nodes. */
#define KXS_TXN_PATH_OFF \
	(offsetof(struct kxs_txn, path) - offsetof(struct kxs_txn, node))

/* kxs_txn_get_at(): find out whether an ancestor hides the path */
#define KXS_HIDDEN_UNKNOWN	(SIZE_MAX - 1)

void kxs_txn_walk_at(struct kxs_txn_walk *w, const char *path,
		     size_t end, size_t len, u64 hash);
bool kxs_txn_walk_down(struct kxs_txn_walk *w);
u64 kxs_txn_hash(const char *path, size_t len);
void kxs_tx_records_init(struct kxs_tx *tx);
void kxs_tx_records_free(struct kxs_tx *tx);
struct kxs_txn *kxs_txn_find(struct kxs_tx *tx,
			     const struct kxs_txn_walk *w);
bool kxs_txn_hides_below(const struct kxs_txn *e);
size_t kxs_txn_hidden_from(struct kxs_tx *tx, const char *path,
			   size_t len);
struct kxs_txn *kxs_txn_get_at(struct kxs_tx *tx,
			       const struct kxs_txn_walk *w,
			       size_t hidden);
struct kxs_txn *kxs_txn_get(struct kxs_tx *tx, const char *path,
			    size_t len);
size_t kxs_parent_len(const char *path, size_t len);
struct kxs_txn *kxs_txn_nearest(struct kxs_tx *tx, const char *path);
struct kxs_txn *kxs_txn_lower_bound(struct kxs_tx *tx,
				    const char *path, size_t len);
struct kxs_txn *kxs_txn_next(struct kxs_txn *e);
struct kxs_txn *kxs_txn_after_prefix(struct kxs_tx *tx,
				     const char *prefix, size_t len);
struct kxs_txn *kxs_txn_next_child(struct kxs_tx *tx,
				   struct kxs_txn *o,
				   struct kxs_txn *end, size_t plen,
				   const char **name);

#endif /* _KXS_TX_RECORDS_H */
