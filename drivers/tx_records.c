// SPDX-License-Identifier: GPL-2.0
/*
 * A transaction's records (struct kxs_txn): where they are, how a path's
 * record is found or made, and what hides the live tree from a path.
 *
 * Records are in an rbtree by path, for walks in order (a node's
 * children, a subtree), and in a hash table by a hash of the path, for
 * the questions asked of every ancestor of a path.  Used only under the
 * transaction's context's request lock, or with requests held off.
 */
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/once.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "path.h"
#include "stats.h"
#include "store.h"
#include "transaction.h"
#include "tx_records.h"

/*
 * Records are found by path through a hash table as well as the ordered
 * tree: a question about every ancestor of a path (up to 1500 of them)
 * then costs one pass over the path's bytes, where a search of the tree
 * compares the whole prefix at every level (cubic in the depth for a walk
 * down a deep chain).  The hash of a path is chained over its components
 * with a keyed hash: the hashes of all its prefixes come in one pass, and
 * a guest cannot choose paths that collide.
 */
static siphash_key_t kxs_txn_key __read_mostly;

static struct kxs_txn *kxs_txn_of(struct rb_node *rb)
{
	return rb ? rb_entry(rb, struct kxs_txn, node) : NULL;
}

/* Start at the prefix of @len bytes (a node's path) whose hash is @hash. */
void kxs_txn_walk_at(struct kxs_txn_walk *w, const char *path,
		     size_t end, size_t len, u64 hash)
{
	w->path = path;
	w->end = end;
	w->len = len;
	w->hash = hash;
}

/* The root: its hash is 0. */
static void kxs_txn_walk_start(struct kxs_txn_walk *w, const char *path,
			       size_t end)
{
	kxs_txn_walk_at(w, path, end, 1, 0);
}

/* One component further down; false at the end of the path. */
bool kxs_txn_walk_down(struct kxs_txn_walk *w)
{
	size_t from = w->len > 1 ? w->len + 1 : 1;
	const char *slash;
	size_t n;

	if (from >= w->end)
		return false;
	slash = memchr(w->path + from, '/', w->end - from);
	n = slash ? slash - (w->path + from) : w->end - from;
	w->hash = siphash_2u64(w->hash, siphash(w->path + from, n,
						&kxs_txn_key), &kxs_txn_key);
	w->len = from + n;
	return true;
}

u64 kxs_txn_hash(const char *path, size_t len)
{
	struct kxs_txn_walk w;

	kxs_txn_walk_start(&w, path, len);
	while (kxs_txn_walk_down(&w))
		;
	return w.hash;
}

struct kxs_txn_key {
	const char *path;
	size_t len;
	u64 hash;
};

static u32 kxs_txn_bucket(u64 hash, u32 seed)
{
	return jhash_2words(lower_32_bits(hash), upper_32_bits(hash), seed);
}

static u32 kxs_txn_key_hashfn(const void *key, u32 len, u32 seed)
{
	return kxs_txn_bucket(((const struct kxs_txn_key *)key)->hash, seed);
}

static u32 kxs_txn_obj_hashfn(const void *obj, u32 len, u32 seed)
{
	return kxs_txn_bucket(((const struct kxs_txn *)obj)->hash, seed);
}

static int kxs_txn_obj_cmpfn(struct rhashtable_compare_arg *arg,
			     const void *obj)
{
	const struct kxs_txn_key *k = arg->key;
	const struct kxs_txn *e = obj;

	return e->hash != k->hash || e->len != k->len ||
	       memcmp(e->path, k->path, k->len);
}

static const struct rhashtable_params kxs_txn_params = {
	.head_offset = offsetof(struct kxs_txn, index_node),
	.hashfn = kxs_txn_key_hashfn,
	.obj_hashfn = kxs_txn_obj_hashfn,
	.obj_cmpfn = kxs_txn_obj_cmpfn,
	.nelem_hint = 4,
};

/* A new transaction's (empty) records.  Return: 0 or -ENOMEM. */
/*
 * A transaction's hash table is made once it holds this many records:
 * below that, searching the few records costs less than making and
 * destroying a table for each transaction.
 */
#define KXS_TXN_INDEX_MIN	8

void kxs_tx_records_init(struct kxs_tx *tx)
{
	get_random_once(&kxs_txn_key, sizeof(kxs_txn_key));
	tx->nodes = RB_ROOT;
	tx->indexed = false;
}

/*
 * Make the hash table of @tx's records.  Without memory for it, the
 * records are searched as before: slower, never wrong.
 */
static void kxs_tx_index_records(struct kxs_tx *tx)
{
	struct rb_node *rb;

	if (rhashtable_init(&tx->index, &kxs_txn_params))
		return;
	for (rb = rb_first(&tx->nodes); rb; rb = rb_next(rb)) {
		struct kxs_txn *e = kxs_txn_of(rb);

		if (rhashtable_insert_fast(&tx->index, &e->index_node,
					   kxs_txn_params)) {
			rhashtable_destroy(&tx->index);
			return;
		}
	}
	tx->indexed = true;
}

static void kxs_txn_free(struct kxs_txn *e)
{
	kxs_data_put(e->data);
	kvfree(e->children);
	kxs_stat_dec(KXS_STAT_TX_RECORDS);
	kfree(e);
}

/*
 * Free a transaction's records (and the hash table).
 * Context: may sleep (the hash table's resizing is waited for).
 */
void kxs_tx_records_free(struct kxs_tx *tx)
{
	struct kxs_txn *e, *tmp;

	if (tx->indexed)
		rhashtable_destroy(&tx->index);
	tx->indexed = false;
	rbtree_postorder_for_each_entry_safe(e, tmp, &tx->nodes, node)
		kxs_txn_free(e);
	tx->nodes = RB_ROOT;
}

/* The record of the prefix @w is at, if there is one. */
struct kxs_txn *kxs_txn_find(struct kxs_tx *tx,
			     const struct kxs_txn_walk *w)
{
	struct kxs_txn_key k = { .path = w->path, .len = w->len,
				 .hash = w->hash };
	struct kxs_txn *e;

	if (tx->indexed)
		return rhashtable_lookup_fast(&tx->index, &k, kxs_txn_params);
	e = kxs_txn_of(kxs_path_bound(&tx->nodes, KXS_TXN_PATH_OFF, w->path,
				      w->len, false));
	return e && e->len == w->len && !memcmp(e->path, w->path, w->len) ?
	       e : NULL;
}

/* Is the node absent, or made by the transaction (no live children)? */
bool kxs_txn_hides_below(const struct kxs_txn *e)
{
	return !e->data || (e->flags & KXS_TXN_FRESH);
}

/*
 * The length of the shortest proper ancestor of the @len first bytes of
 * @path whose record hides what is below it, or SIZE_MAX: every prefix
 * of @path longer than that is wiped (kxs_txn_wiped_above()).
 */
size_t kxs_txn_hidden_from(struct kxs_tx *tx, const char *path,
			   size_t len)
{
	struct kxs_txn_walk w;
	struct rb_node *rb;
	size_t found;

	if (!tx->indexed) {
		/* Few records: ask each whether it is such an ancestor. */
		found = SIZE_MAX;
		for (rb = rb_first(&tx->nodes); rb; rb = rb_next(rb)) {
			struct kxs_txn *e = kxs_txn_of(rb);

			if (e->len < len && e->len < found &&
			    (path[e->len] == '/' || e->len == 1) &&
			    !memcmp(e->path, path, e->len) &&
			    kxs_txn_hides_below(e))
				found = e->len;
		}
		return found;
	}
	kxs_txn_walk_start(&w, path, len);
	while (kxs_txn_walk_down(&w) && w.len < len) {
		struct kxs_txn *e = kxs_txn_find(tx, &w);

		if (e && kxs_txn_hides_below(e))
			return w.len;
	}
	return SIZE_MAX;
}

/**
 * kxs_txn_wiped_above() - is the live tree below an ancestor hidden?
 * @tx: the transaction
 * @path: canonical path
 *
 * Return: true if an ancestor of @path is absent in the transaction's
 * view or was made by it: the live nodes at and below @path are not part
 * of the view, and are replaced when it commits.
 */
bool kxs_txn_wiped_above(struct kxs_tx *tx, const char *path)
{
	size_t len = strlen(path);

	return kxs_txn_hidden_from(tx, path, len) < len;
}

/* A new record of the prefix @w is at, in both indexes. */
static struct kxs_txn *kxs_txn_insert(struct kxs_tx *tx,
				      const struct kxs_txn_walk *w)
{
	struct rb_node **link, *parent, *next;
	size_t len = w->len;
	struct kxs_txn *e;

	/* Just before the first record after it (it has no record). */
	next = kxs_path_bound(&tx->nodes, KXS_TXN_PATH_OFF, w->path, len,
			      false);
	parent = next ? rb_prev(next) : rb_last(&tx->nodes);
	if (next && !next->rb_left) {
		parent = next;
		link = &next->rb_left;
	} else if (parent) {
		link = &parent->rb_right;
	} else {
		link = &tx->nodes.rb_node;
	}
	e = kzalloc(struct_size(e, path, len + 1), GFP_KERNEL);
	if (!e)
		return NULL;
	if (kxs_tx_charge(tx, struct_size(e, path, len + 1), true)) {
		kfree(e);
		return NULL;
	}
	memcpy(e->path, w->path, len);
	e->path[len] = '\0';
	e->len = len;
	e->hash = w->hash;
	if (tx->indexed && rhashtable_insert_fast(&tx->index, &e->index_node,
						  kxs_txn_params)) {
		kfree(e);
		return NULL;
	}
	kxs_stat_inc(KXS_STAT_TX_RECORDS);
	rb_link_node(&e->node, parent, link);
	rb_insert_color(&e->node, &tx->nodes);
	tx->nr_nodes++;
	if (!tx->indexed && tx->nr_nodes == KXS_TXN_INDEX_MIN)
		kxs_tx_index_records(tx);
	return e;
}

/*
 * The transaction's record of the prefix @w is at, made on the first
 * access: what the live tree has there, unless an ancestor hides it
 * (@hidden: what kxs_txn_hidden_from() answers for it, or
 * KXS_HIDDEN_UNKNOWN).
 */
struct kxs_txn *kxs_txn_get_at(struct kxs_tx *tx,
			       const struct kxs_txn_walk *w,
			       size_t hidden)
{
	struct kxs_txn *e = kxs_txn_find(tx, w);

	if (e)
		return e;
	/* Its records are the kernel memory a guest's transaction holds. */
	if (tx->max_nodes && tx->nr_nodes >= tx->max_nodes)
		return ERR_PTR(-ENOSPC);
	e = kxs_txn_insert(tx, w);
	if (!e)
		return ERR_PTR(-ENOMEM);
	if (hidden == KXS_HIDDEN_UNKNOWN)
		hidden = kxs_txn_hidden_from(tx, w->path, w->len);
	if (hidden < w->len)
		return e;
	kxs_store_observe(tx->store, e->path, &e->data, &e->dgen,
			  &e->ogen, &e->clen);
	e->flags |= KXS_TXN_OBSERVED;
	return e;
}

static struct kxs_txn *kxs_txn_get_below(struct kxs_tx *tx, const char *path,
					 size_t len, size_t hidden)
{
	struct kxs_txn_walk w;

	kxs_txn_walk_at(&w, path, len, len, kxs_txn_hash(path, len));
	return kxs_txn_get_at(tx, &w, hidden);
}

struct kxs_txn *kxs_txn_get(struct kxs_tx *tx, const char *path,
			    size_t len)
{
	return kxs_txn_get_below(tx, path, len, KXS_HIDDEN_UNKNOWN);
}

/* Length of the parent's path ("/a" for "/a/b", "/" for "/a"). */
size_t kxs_parent_len(const char *path, size_t len)
{
	while (len > 1 && path[--len] != '/')
		;
	return len ? len : 1;
}

/*
 * The nearest ancestor of @path present in the transaction's view (the
 * root always is), recorded.
 */
struct kxs_txn *kxs_txn_nearest(struct kxs_tx *tx, const char *path)
{
	size_t full = strlen(path), len = 1, child = 0, hidden, live;
	struct kxs_txn_walk w;
	struct kxs_txn *e, *anc;

	/*
	 * What hides the ancestors is asked once: records made on the way
	 * change nothing for the ancestors above them.
	 */
	hidden = kxs_txn_hidden_from(tx, path, full);
	/*
	 * Find the ancestor without recording the missing levels below it
	 * (a path has up to 1500): only it and the first missing level
	 * decide the answer, and a deeper level cannot appear unless that
	 * one does, which its record sees at commit.  Top down, in one
	 * pass: the deepest level present is the answer.
	 */
	live = kxs_store_live_prefix(tx->store, path);
	kxs_txn_walk_start(&w, path, full);
	while (kxs_txn_walk_down(&w)) {
		if (child <= len)
			child = w.len;
		if (w.len == full)
			break;
		e = kxs_txn_find(tx, &w);
		if (e ? !!e->data : hidden >= w.len && w.len <= live)
			len = w.len;
	}
	anc = kxs_txn_get_below(tx, path, len, hidden);
	if (IS_ERR(anc) || !anc->data)
		goto raced;
	e = kxs_txn_get_below(tx, path, child, hidden);
	if (IS_ERR(e))
		return e;
	if (!e->data)
		return anc;
raced:
	/* A writer changed the live tree meanwhile: level by level. */
	len = full;
	do {
		len = kxs_parent_len(path, len);
		e = kxs_txn_get_below(tx, path, len, hidden);
		if (IS_ERR(e) || e->data)
			return e;
	} while (len > 1);
	return ERR_PTR(-EIO);	/* the root is missing: cannot happen */
}

/* The first record whose path is @len bytes at @path or after it. */
struct kxs_txn *kxs_txn_lower_bound(struct kxs_tx *tx,
				    const char *path, size_t len)
{
	return kxs_txn_of(kxs_path_bound(&tx->nodes, KXS_TXN_PATH_OFF, path,
					 len, false));
}

struct kxs_txn *kxs_txn_next(struct kxs_txn *e)
{
	return kxs_txn_of(rb_next(&e->node));
}

/*
 * The first record after every one whose path starts with the @len bytes
 * at @prefix (all of those are adjacent in the order).
 */
struct kxs_txn *kxs_txn_after_prefix(struct kxs_tx *tx,
				     const char *prefix, size_t len)
{
	return kxs_txn_of(kxs_path_bound(&tx->nodes, KXS_TXN_PATH_OFF, prefix,
					 len, true));
}

/*
 * From @o on, the next record of a child of the node whose path and '/'
 * are the @plen bytes at @prefix; @end is the first record after those
 * that start so.  The records below a child are skipped with one search
 * each, not walked: a checkpoint asks this for every node of a chain
 * 1500 deep.
 */
struct kxs_txn *kxs_txn_next_child(struct kxs_tx *tx,
				   struct kxs_txn *o,
				   struct kxs_txn *end, size_t plen,
				   const char **name)
{
	while (o && o != end) {
		const char *rel = o->path + plen;
		const char *slash = strchr(rel, '/');

		if (*rel && !slash) {
			*name = rel;
			return o;
		}
		if (slash)
			o = kxs_txn_after_prefix(tx, o->path,
						 slash - o->path + 1);
		else
			o = kxs_txn_next(o);
	}
	return NULL;
}
