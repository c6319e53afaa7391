/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transactions: a private view of the store, built path by path as the
 * transaction touches it, and committed only if none of what it touched
 * changed meanwhile.
 */
#ifndef _KXS_TRANSACTION_H
#define _KXS_TRANSACTION_H

#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

#include "perms.h"

struct kxs_ctx;
struct kxs_data;
struct kxs_domain;
struct kxs_node;
struct kxs_store;
struct kxs_watch_plan;

/* kxs_txn.flags */
#define KXS_TXN_OBSERVED	0x01	/* @dgen describes the live tree */
#define KXS_TXN_LISTED		0x02	/* @children and @cgen are set */
#define KXS_TXN_WRITTEN		0x04	/* @data (or its absence) is to apply */
#define KXS_TXN_FRESH		0x08	/* made by it: no live children */
#define KXS_TXN_SUBTREE		0x10	/* removed by it: @ogen is checked */
#define KXS_TXN_STALE		0x20	/* see kxs_tx_view_begin() */

/**
 * struct kxs_txn - what a transaction knows of one path
 * @node: link in kxs_tx.nodes, ordered by @path
 * @index_node: link in kxs_tx.index, by @hash
 * @hash: kxs_txn_hash() of @path
 * @len: length of @path
 * @flags: KXS_TXN_*
 * @dgen: with OBSERVED, the live node's data generation at the first
 *	access, 0 if there was no node: the commit fails if it differs
 * @cgen: with LISTED, the live node's generation when its children were
 *	listed: the commit fails if it differs
 * @ogen: the live node's generation at the first access; with SUBTREE
 *	(the transaction removed it), the commit fails if it differs, so
 *	that a child added meanwhile is not removed unseen
 * @clen: the live node's size of child names at the first access
 * @cdelta: bytes of child names the transaction added, minus removed
 * @changes: children the transaction added or removed (its gencnt)
 * @removed_live: nodes of the transaction's domain a removal of this
 *	path took out of the live tree's view
 * @data: the node in the transaction's view (a reference), NULL if absent
 * @prep: at commit, the node made for a creation
 * @live: at commit, the live node the change replaces or removes, if any
 * @parent: at commit, the node a creation links under (live, or made by
 *	the same commit)
 * @children: with LISTED, the live child names at the listing
 * @children_len: their size
 * @path: canonical path
 *
 * Locking: a record belongs to its transaction and follows its rule
 * (struct kxs_tx); @prep, @live and @parent are only used during a
 * commit, under the store lock.
 */
struct kxs_txn {
	struct rb_node node;
	struct rhash_head index_node;
	u64 hash;
	u32 len;
	unsigned int flags;
	u64 dgen;
	u64 cgen;
	u64 ogen;
	u32 clen;
	s32 cdelta;
	u32 changes;
	unsigned long removed_live;
	struct kxs_data *data;
	struct kxs_node *prep;
	struct kxs_node *live;
	struct kxs_node *parent;
	char *children;
	u32 children_len;
	char path[];
};

/**
 * struct kxs_tx - one open transaction
 * @rcu: frees it after a grace period (kxs_tx_find() looks without locks)
 * @ctx_link: link in the context's list of transactions, or in the
 *	domain table's parked ones
 * @ctx: the context that started or adopted it, the only one that may use
 *	it; NULL while it is parked (a restore brought it back)
 * @store: the store it is a view of
 * @doms: that store's domain table
 * @domid: the domain it acts for
 * @doomed: its commit fails (a restored transaction that had lost a
 *	race before the checkpoint)
 * @id: its id, unique among live transactions, never 0 or 1
 * @id_node: link in the domain table's transactions, by @id
 * @nodes: what it touched (struct kxs_txn by path)
 * @index: the same records by hash of their path, once there are a few
 * @indexed: @index is made
 * @nr_nodes: entries in @nodes
 * @max_nodes: the domain's transaction-nodes quota when it started, 0
 *	for none: touching one path more is ENOSPC
 * @owned_delta: nodes of its domain it created, minus those it removed
 * @events: the nodes it changed (struct kxs_tx_event by path), reported
 *	to watches when it commits, once each
 * @events_lost: changes it could not note in @events (no memory); a
 *	commit counts each as a dropped event
 * @dom: the guest domain whose memory quota it counts against, with a
 *	reference through @ctx; NULL for the control domain and for a
 *	transaction a restore brought back
 * @max_mem: that domain's memory quota when it started, 0 for none
 * @mem: bytes it counted there (its records, their data and listings,
 *	its events); given back when it ends
 *
 * Locking: a transaction is used only by requests of its context, under
 * that connection's request lock (kxs_conn.in_lock), so its records,
 * events and counts need no lock of their own; @ctx_link is in its
 * context's list under that request lock, or, parked, in the domain
 * table's list under the table's lock (adoption too); @id_node is in the
 * domain table's id table (an rhashtable: lookups under RCU, @rcu frees
 * it after a grace period); it ends, and a checkpoint reads it, with the
 * domain table's quiesce lock held (kxs_domains.quiesce).
 */
struct kxs_tx {
	struct rcu_head rcu;
	struct list_head ctx_link;
	struct kxs_ctx *ctx;
	struct kxs_store *store;
	struct kxs_domains *doms;
	u16 domid;
	bool doomed;
	u32 id;
	struct rhash_head id_node;
	struct rb_root nodes;
	struct rhashtable index;
	bool indexed;
	unsigned long nr_nodes;
	unsigned long max_nodes;
	long owned_delta;
	struct rb_root events;
	unsigned int events_lost;
	struct kxs_domain *dom;
	u32 max_mem;
	size_t mem;
};

/**
 * struct kxs_tx_event - a node a transaction changed
 * @node: link in kxs_tx.events
 * @rm: the node was removed (its last change in the transaction)
 * @nr_perms: entries in @perms
 * @perms: for a removal, the removed node's permissions
 * @plan: for a removal, during the commit: who is told (watch.c)
 * @path: canonical path
 *
 * Locking: as its transaction's (struct kxs_tx); @plan is made and used
 * with the watch table's lock held across the commit.
 */
struct kxs_tx_event {
	struct rb_node node;
	bool rm;
	unsigned int nr_perms;
	struct kxs_perm *perms;
	struct kxs_watch_plan *plan;
	char path[];
};

/**
 * struct kxs_tx_at - a node of a walk down a transaction's view
 * @path: its path, canonical, in a buffer that starts with its parent's
 * @len: the path's length
 * @hash: the path's hash (transaction.c)
 * @plen: the parent's path length, 0 for the root
 * @phash: the parent's hash
 * @wiped: kxs_txn_wiped_above() of the path
 *
 * A walk from nodes to their children (checkpoint, restore) asks about
 * each with what it learnt at its parent: a node then costs its name,
 * not its whole path (up to 1500 components).
 */
struct kxs_tx_at {
	const char *path;
	size_t len;
	u64 hash;
	size_t plen;
	u64 phash;
	bool wiped;
};

int kxs_tx_table_init(struct kxs_domains *d);
void kxs_tx_table_destroy(struct kxs_domains *d);
struct kxs_tx *kxs_tx_lookup(struct kxs_domains *d, u32 id);
struct kxs_tx **kxs_tx_all(struct kxs_domains *d, unsigned int *nr);
void kxs_tx_init(struct kxs_ctx *ctx);
int kxs_tx_start(struct kxs_ctx *ctx, const struct kxs_caller *c, u32 *id);
int kxs_tx_end(struct kxs_ctx *ctx, const struct kxs_caller *c, u32 id,
	       bool commit);
int kxs_tx_charge(struct kxs_tx *tx, size_t size, bool check);
struct kxs_tx *kxs_tx_find(struct kxs_ctx *ctx, u32 id);
void kxs_tx_release_all(struct kxs_ctx *ctx);
int kxs_tx_note(struct kxs_tx *tx, const char *path, bool rm,
		struct kxs_perm *perms, unsigned int nr);

int kxs_tx_read(struct kxs_tx *tx, const struct kxs_caller *c,
		const char *path, void *buf, size_t size);
int kxs_tx_get_perms(struct kxs_tx *tx, const struct kxs_caller *c,
		     const char *path, char *buf, size_t size);
int kxs_tx_directory(struct kxs_tx *tx, const struct kxs_caller *c,
		     const char *path, char *buf, size_t size);
int kxs_tx_directory_part(struct kxs_tx *tx, const struct kxs_caller *c,
			  const char *path, u32 offset, char *buf,
			  size_t size);
int kxs_tx_write(struct kxs_tx *tx, const struct kxs_caller *c,
		 const char *path, const void *value, size_t len);
int kxs_tx_mkdir(struct kxs_tx *tx, const struct kxs_caller *c,
		 const char *path);
int kxs_tx_rm(struct kxs_tx *tx, const struct kxs_caller *c,
	      const char *path, struct kxs_perm **perms, unsigned int *nr);
int kxs_tx_set_perms(struct kxs_tx *tx, const struct kxs_caller *c,
		     const char *path, const struct kxs_perm *perms,
		     unsigned int nr);

/* Transactions without a connection: restore (checkpoint.c, restore.c). */
struct kxs_tx *kxs_tx_new(struct kxs_store *s, struct kxs_domains *d,
			  u16 domid);
void kxs_tx_discard(struct kxs_tx *tx);
int kxs_tx_commit_detached(struct kxs_tx *tx);
int kxs_tx_park(struct kxs_tx *tx, u32 id);
void kxs_tx_free_parked(struct kxs_domains *d, int domid);
int kxs_tx_put_node(struct kxs_tx *tx, const struct kxs_caller *c,
		    const struct kxs_tx_at *at, const void *value, size_t len,
		    const struct kxs_perm *perms, unsigned int nr,
		    bool written);

void kxs_tx_at_root(struct kxs_tx_at *at, const char *path);
void kxs_tx_at_child(struct kxs_tx *tx, const struct kxs_tx_at *parent,
		     size_t len, struct kxs_tx_at *at);
int kxs_tx_rm_at(struct kxs_tx *tx, const struct kxs_caller *c,
		 const struct kxs_tx_at *at, struct kxs_perm **perms,
		 unsigned int *nr);

/* The transaction's view, read without recording anything (checkpoint). */
void kxs_tx_view_begin(struct kxs_tx *tx);
struct kxs_data *kxs_tx_view_data(struct kxs_tx *tx,
				  const struct kxs_tx_at *at);
int kxs_tx_view_children(struct kxs_tx *tx, const struct kxs_tx_at *at,
			 char **names, size_t *len);
int kxs_tx_view_removed(struct kxs_tx *tx, const struct kxs_tx_at *at,
			char **names, size_t *len);
bool kxs_tx_view_differs(struct kxs_tx *tx, const char *path);
bool kxs_tx_view_changed(struct kxs_tx *tx, const char *path);
const struct kxs_perm *kxs_tx_view_removed_perms(struct kxs_tx *tx,
						 const char *path,
						 unsigned int *nr);

bool kxs_txn_wiped_above(struct kxs_tx *tx, const char *path);

#endif /* _KXS_TRANSACTION_H */
