// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions.
 *
 * A transaction copies nothing when it starts.  It keeps, per path it
 * touches, a record (struct kxs_txn) of what the live tree had there on
 * its first access (a reference to the node's data and its generations),
 * and of what the transaction made of it.  Its requests see the live
 * tree through these records: whatever it read, listed or wrote stays as
 * it saw or made it (repeatable reads, its own writes), and nobody else
 * sees its writes before the commit.  A removed or recreated node hides
 * the live subtree below it from the transaction.
 *
 * The commit (kxs_store_commit_tx()) fails with EAGAIN only if a node the
 * transaction read, wrote, listed or found absent changed since that
 * access; it then applies the changes in one step for readers.  Two
 * transactions on disjoint subtrees both commit: creating a node records
 * its parent's data, not its list of children.
 *
 * A transaction belongs to the context that started it and is used only
 * under that context's request lock.  Ids come from the domain table,
 * unique among all live transactions.
 */
#include <linux/err.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "domain.h"
#include "path.h"
#include "proto.h"
#include "stats.h"
#include "store.h"
#include "transaction.h"
#include "tx_records.h"
#include "watch.h"

/*
 * The domain table's transactions by id.  A hash table rather than an
 * allocating xarray: ids go up cyclically, so each new one lands where
 * no live transaction is, and an xarray built and freed a chain of
 * nodes for almost every TRANSACTION_START and its end.  Linking a
 * transaction here allocates nothing.
 */
static const struct rhashtable_params kxs_txid_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct kxs_tx, id),
	.head_offset = offsetof(struct kxs_tx, id_node),
	.automatic_shrinking = true,
};

int kxs_tx_table_init(struct kxs_domains *d)
{
	return rhashtable_init(&d->txs, &kxs_txid_params);
}

/* At unload: every transaction is gone by then. */
void kxs_tx_table_destroy(struct kxs_domains *d)
{
	WARN_ON(atomic_read(&d->txs.nelems));
	rhashtable_destroy(&d->txs);
}

/**
 * kxs_tx_lookup() - the live or parked transaction with an id
 * @d: the domain table
 * @id: the id
 *
 * Return: the transaction, or NULL.  It stays valid under
 * rcu_read_lock(), or while @d's quiesce lock is held for writing (every
 * end of a transaction holds it for reading); a parked one also while
 * @d's lock is held.
 */
struct kxs_tx *kxs_tx_lookup(struct kxs_domains *d, u32 id)
{
	return rhashtable_lookup_fast(&d->txs, &id, kxs_txid_params);
}

static int kxs_tx_id_cmp(const void *a, const void *b)
{
	u32 x = (*(struct kxs_tx * const *)a)->id;
	u32 y = (*(struct kxs_tx * const *)b)->id;

	return (x > y) - (x < y);
}

/**
 * kxs_tx_all() - every transaction of the domain table, by id
 * @d: the domain table
 * @nr: set to their number
 *
 * The table may be resizing meanwhile (its worker runs on its own): a
 * walk then goes from the old table on to the new one, where it can see
 * again what the rehash has moved already, and finds in the old one only
 * what the rehash has not.  So it keeps all it sees, and the duplicates
 * go after the sort.
 *
 * Context: @d's quiesce lock held for writing (nothing starts or ends).
 * Return: an array for kvfree() (NULL when @nr is 0), or an ERR_PTR().
 */
struct kxs_tx **kxs_tx_all(struct kxs_domains *d, unsigned int *nr)
{
	unsigned int room = atomic_read(&d->txs.nelems), seen, i, j;
	struct rhashtable_iter iter;
	struct kxs_tx **all, *tx;

	*nr = 0;
	if (!room)
		return NULL;
	for (;;) {
		all = kvmalloc_array(room, sizeof(*all), GFP_KERNEL);
		if (!all)
			return ERR_PTR(-ENOMEM);
		seen = 0;
		rhashtable_walk_enter(&d->txs, &iter);
		rhashtable_walk_start(&iter);
		while ((tx = rhashtable_walk_next(&iter))) {
			/* -EAGAIN: on to the new table; what was seen stays. */
			if (IS_ERR(tx))
				continue;
			if (seen < room)
				all[seen] = tx;
			seen++;
		}
		rhashtable_walk_stop(&iter);
		rhashtable_walk_exit(&iter);
		if (seen <= room)
			break;
		/* Seen twice more often than there was room for: again. */
		kvfree(all);
		room = seen;
	}
	sort(all, seen, sizeof(*all), kxs_tx_id_cmp, NULL);
	for (i = 0, j = 0; i < seen; i++)
		if (!j || all[j - 1] != all[i])
			all[j++] = all[i];
	*nr = j;
	return all;
}

/*
 * Link @tx under the next free id, going on cyclically from where the
 * last search ended (after U32_MAX, KXS_TXID_FIRST again).
 */
static int kxs_tx_link_new(struct kxs_domains *d, struct kxs_tx *tx)
{
	/* Of as many ids as there are live ones and one, one is free. */
	unsigned int tries = atomic_read(&d->txs.nelems) + 1;
	int ret;

	do {
		do
			tx->id = (u32)atomic_fetch_inc(&d->next_txid);
		while (tx->id < KXS_TXID_FIRST);
		ret = rhashtable_lookup_insert_fast(&d->txs, &tx->id_node,
						    kxs_txid_params);
	} while (ret == -EEXIST && tries--);
	/* The table's own errors (no memory, a resize due) read ENOMEM. */
	if (ret == -EEXIST)
		return -ENOSPC;
	return ret ? -ENOMEM : 0;
}

void kxs_tx_init(struct kxs_ctx *ctx)
{
	INIT_LIST_HEAD(&ctx->txs);
	ctx->nr_txs = 0;
}

/**
 * kxs_tx_start() - start a transaction
 * @ctx: the connection's context
 * @c: the caller, whose transactions quota applies
 * @id: set to the new transaction's id, never 0
 *
 * Costs the same whatever the size of the store.
 *
 * Return: 0, -ENOSPC if the domain has its quota of transactions open,
 * -ENOMEM.
 */
int kxs_tx_start(struct kxs_ctx *ctx, const struct kxs_caller *c, u32 *id)
{
	struct kxs_domains *d = ctx->doms;
	struct kxs_tx *tx;
	int ret;

	ret = kxs_domain_tx_get(d, ctx, c);
	if (ret)
		return ret;
	tx = kzalloc(sizeof(*tx), GFP_KERNEL);
	if (!tx) {
		ret = -ENOMEM;
		goto err;
	}
	kxs_stat_inc(KXS_STAT_TXS);
	tx->ctx = ctx;
	tx->store = ctx->store;
	tx->doms = d;
	tx->domid = ctx->domid;
	kxs_tx_records_init(tx);
	if (!c->priv) {
		tx->max_nodes = c->quota[KXS_QUOTA_TX_NODES];
		tx->max_mem = c->quota[KXS_QUOTA_MEMORY];
		tx->dom = ctx->dom;
	}
	tx->events = RB_ROOT;
	ret = kxs_tx_charge(tx, sizeof(*tx), true);
	if (!ret)
		ret = kxs_tx_link_new(d, tx);
	if (ret) {
		if (tx->dom)
			kxs_domain_mem_uncharge(tx->dom, tx->mem);
		kxs_tx_records_free(tx);
		kxs_stat_dec(KXS_STAT_TXS);
		kfree(tx);
		goto err;
	}
	list_add_tail(&tx->ctx_link, &ctx->txs);
	ctx->nr_txs++;
	*id = tx->id;
	return 0;

err:
	kxs_domain_tx_put(d, ctx);
	return ret;
}

/**
 * kxs_tx_charge() - count bytes a transaction holds against its domain
 * @tx: the transaction
 * @size: the bytes
 * @check: refuse them over the domain's memory quota (else only count)
 *
 * They stay counted until the transaction ends, even if freed before:
 * a transaction only grows, by the rules of its view.
 *
 * Return: 0, or -ENOMEM over the quota.
 */
int kxs_tx_charge(struct kxs_tx *tx, size_t size, bool check)
{
	int ret;

	if (!tx->dom)
		return 0;
	ret = kxs_domain_mem_charge(tx->dom, tx->store,
				    check ? tx->max_mem : 0, size);
	if (!ret)
		tx->mem += size;
	return ret;
}

/* New data for the view, counted against the transaction's domain. */
static struct kxs_data *kxs_tx_data_new(struct kxs_tx *tx,
					const struct kxs_perm *perms,
					u16 nr_perms, const void *value,
					size_t len)
{
	struct kxs_data *d = kxs_data_new(perms, nr_perms, value, len);

	if (d && kxs_tx_charge(tx, d->size, true)) {
		kxs_data_put(d);
		d = NULL;
	}
	return d;
}

/*
 * A parked transaction of the context's domain becomes the context's on
 * first use: a restore brought it back for whichever connection of that
 * domain carries on with it.
 */
static struct kxs_tx *kxs_tx_adopt(struct kxs_ctx *ctx, u32 id)
{
	struct kxs_domains *d = ctx->doms;
	struct kxs_tx *tx;

	mutex_lock(&d->lock);
	/*
	 * Another connection may end the transaction that has @id (RCU
	 * frees it); a parked one ends only under d->lock, held here.
	 */
	rcu_read_lock();
	tx = kxs_tx_lookup(d, id);
	if (tx && (READ_ONCE(tx->ctx) || tx->domid != ctx->domid))
		tx = NULL;
	rcu_read_unlock();
	if (tx) {
		list_move_tail(&tx->ctx_link, &ctx->txs);
		WRITE_ONCE(tx->ctx, ctx);
		kxs_domain_adopt_locked(ctx, 1, 0);
		/* From now on, as bounded as one the guest started. */
		tx->max_nodes = kxs_domain_quota_locked(ctx,
							KXS_QUOTA_TX_NODES);
	}
	mutex_unlock(&d->lock);
	return tx;
}

/**
 * kxs_tx_find() - the context's transaction with that id
 * @ctx: the context
 * @id: the id from a request's header
 *
 * Return: the transaction, or NULL if the context has none with @id
 * (another context's transaction is none of its business).
 */
struct kxs_tx *kxs_tx_find(struct kxs_ctx *ctx, u32 id)
{
	struct kxs_tx *tx;
	bool parked;

	rcu_read_lock();
	tx = kxs_tx_lookup(ctx->doms, id);
	parked = tx && !READ_ONCE(tx->ctx);
	/* Only its own context frees it, so a match stays valid. */
	if (tx && READ_ONCE(tx->ctx) != ctx)
		tx = NULL;
	rcu_read_unlock();
	if (parked)
		return kxs_tx_adopt(ctx, id);
	return tx;
}

static void kxs_tx_event_free(struct kxs_tx_event *ev)
{
	kfree(ev->plan);
	kfree(ev->perms);
	kfree(ev);
}

/**
 * kxs_tx_note() - remember a change a transaction made, for its commit
 * @tx: the transaction
 * @path: canonical path of the node changed
 * @rm: the node was removed
 * @perms: for a removal, the node's permissions, taken over (kfree()d
 *	here if not kept); NULL otherwise
 * @nr: entries in @perms
 *
 * Return: 0, or -ENOMEM (the change will not be reported; its commit
 * counts it as a dropped event).
 */
int kxs_tx_note(struct kxs_tx *tx, const char *path, bool rm,
		struct kxs_perm *perms, unsigned int nr)
{
	struct rb_node **link, *parent = NULL;
	struct kxs_tx_event *ev;
	size_t len = strlen(path);

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
	if (!ev) {
		kfree(perms);
		tx->events_lost++;
		return -ENOMEM;
	}
	/* Counted, never refused: the change it reports is made already. */
	kxs_tx_charge(tx, struct_size(ev, path, len + 1) +
		      nr * sizeof(*perms), false);
	ev->rm = rm;
	ev->perms = perms;
	ev->nr_perms = nr;
	ev->plan = NULL;
	memcpy(ev->path, path, len + 1);
	rb_link_node(&ev->node, parent, link);
	rb_insert_color(&ev->node, &tx->events);
	return 0;
}

/* Forget the changes of a transaction that is over, without reporting. */
static void kxs_tx_drop_events(struct kxs_tx *tx)
{
	struct kxs_tx_event *ev, *tmp;

	rbtree_postorder_for_each_entry_safe(ev, tmp, &tx->events, node)
		kxs_tx_event_free(ev);
	tx->events = RB_ROOT;
}

/*
 * Commit with the watch table held, so that the watches judged before
 * the commit for each removal are the ones told after it; then report
 * the changes in path order, each once.
 */
static int kxs_tx_commit(struct kxs_tx *tx, const struct kxs_caller *c)
{
	struct kxs_domains *d = tx->doms;
	struct kxs_tx_event *ev;
	struct kxs_perm *perms;
	struct rb_node *rb;
	unsigned int nr;
	int ret;

	if (tx->doomed)
		return -EAGAIN;
	kxs_watch_lock(d);
	for (rb = rb_first(&tx->events); rb; rb = rb_next(rb)) {
		ev = rb_entry(rb, struct kxs_tx_event, node);
		if (ev->rm)
			ev->plan = kxs_watch_rm_prepare(d, tx->store,
							ev->path);
	}
	ret = kxs_store_commit_tx(tx->store, tx, c);
	for (rb = rb_first(&tx->events); !ret && rb; rb = rb_next(rb)) {
		ev = rb_entry(rb, struct kxs_tx_event, node);
		if (ev->rm) {
			kxs_watch_rm_fire(d, ev->path, ev->perms, ev->nr_perms,
					  ev->plan);
			ev->plan = NULL;
			continue;
		}
		/* An error pointer: the events are counted lost. */
		perms = kxs_store_perms(tx->store, ev->path, &nr);
		if (perms)
			kxs_watch_fire_locked(d, ev->path, perms, nr);
		if (!IS_ERR(perms))
			kfree(perms);
	}
	if (!ret && tx->events_lost)
		kxs_domain_events_lost(d, tx->events_lost);
	kxs_watch_unlock(d);
	return ret;
}

/*
 * Free the records and events of a transaction that is over.
 * Context: may sleep (the hash table's resizing is waited for).
 */
static void kxs_tx_drop(struct kxs_tx *tx)
{
	kxs_tx_drop_events(tx);
	kxs_tx_records_free(tx);
}

static void kxs_tx_free(struct kxs_ctx *ctx, struct kxs_tx *tx)
{
	kxs_tx_drop(tx);
	if (tx->dom)
		kxs_domain_mem_uncharge(tx->dom, tx->mem);
	rhashtable_remove_fast(&ctx->doms->txs, &tx->id_node,
			       kxs_txid_params);
	list_del(&tx->ctx_link);
	ctx->nr_txs--;
	kxs_domain_tx_put(ctx->doms, ctx);
	kxs_stat_dec(KXS_STAT_TXS);
	kfree_rcu(tx, rcu);
}

/**
 * kxs_tx_end() - commit or abort a transaction
 * @ctx: the connection's context
 * @c: its caller identity, whose nodes and node-size quotas the commit
 *	checks again against the live tree
 * @id: the transaction
 * @commit: apply its changes (true) or discard them
 *
 * The transaction is over whatever the result.
 *
 * Return: 0, -ENOENT for an unknown id, -EAGAIN if the commit failed
 * because something the transaction used changed meanwhile, -ENOSPC if
 * its result would pass a quota, -ENOMEM.
 */
int kxs_tx_end(struct kxs_ctx *ctx, const struct kxs_caller *c, u32 id,
	       bool commit)
{
	struct kxs_tx *tx = id ? kxs_tx_find(ctx, id) : NULL;
	int ret = 0;

	if (!tx)
		return -ENOENT;
	if (commit)
		ret = kxs_tx_commit(tx, c);
	kxs_tx_free(ctx, tx);
	return ret;
}

/* End every transaction of a connection that is going away or dead. */
void kxs_tx_release_all(struct kxs_ctx *ctx)
{
	struct kxs_tx *tx, *tmp;

	list_for_each_entry_safe(tx, tmp, &ctx->txs, ctx_link)
		kxs_tx_free(ctx, tx);
}

static unsigned int kxs_txn_access(const struct kxs_caller *c,
				   const struct kxs_txn *e)
{
	return kxs_perm_access(c, e->data->perms, e->data->nr_perms);
}

/* The errno for a path missing from the view: see kxs_missing_err(). */
static int kxs_txn_missing(struct kxs_tx *tx, const struct kxs_caller *c,
			   const char *path, unsigned int want)
{
	struct kxs_txn *anc = kxs_txn_nearest(tx, path);

	if (IS_ERR(anc))
		return PTR_ERR(anc);
	return kxs_txn_access(c, anc) & want ? -ENOENT : -EACCES;
}

/* The record of @path if it is present and @c may access it as @want. */
static struct kxs_txn *kxs_txn_access_check(struct kxs_tx *tx,
					    const struct kxs_caller *c,
					    const char *path,
					    unsigned int want)
{
	struct kxs_txn *e = kxs_txn_get(tx, path, strlen(path));

	if (IS_ERR(e))
		return e;
	if (!e->data)
		return ERR_PTR(kxs_txn_missing(tx, c, path, want));
	if ((kxs_txn_access(c, e) & want) != want)
		return ERR_PTR(-EACCES);
	return e;
}

int kxs_tx_read(struct kxs_tx *tx, const struct kxs_caller *c,
		const char *path, void *buf, size_t size)
{
	struct kxs_txn *e = kxs_txn_access_check(tx, c, path, KXS_PERM_READ);

	if (IS_ERR(e))
		return PTR_ERR(e);
	if (e->data->len > size)
		return -E2BIG;
	memcpy(buf, kxs_data_value(e->data), e->data->len);
	return e->data->len;
}

int kxs_tx_get_perms(struct kxs_tx *tx, const struct kxs_caller *c,
		     const char *path, char *buf, size_t size)
{
	struct kxs_txn *e = kxs_txn_access_check(tx, c, path, KXS_PERM_READ);

	if (IS_ERR(e))
		return PTR_ERR(e);
	return kxs_perms_format(e->data->perms, e->data->nr_perms, buf, size);
}

/* The size of child names of a node in the view. */
static size_t kxs_txn_children_len(const struct kxs_txn *e)
{
	return (e->flags & KXS_TXN_FRESH ? 0 : e->clen) + e->cdelta;
}

/*
 * Merge a live list of child names of @path (@base, @blen bytes, sorted)
 * with the transaction's records of children of @path, which add
 * (present) or remove (absent) names: the view's list, sorted, in a
 * kvmalloc()ed buffer.
 */
static int kxs_txn_merge(struct kxs_tx *tx, const char *path,
			 const char *base, size_t blen, char **out,
			 size_t *out_len)
{
	size_t elen = strlen(path), plen, off = 0, boff = 0, room;
	const char *oname = NULL;
	struct kxs_txn *first, *end, *o;
	char *buf, *prefix;

	/* "<path>/", or "/" for the root. */
	prefix = kmalloc(elen + 2, GFP_KERNEL);
	if (!prefix)
		return -ENOMEM;
	memcpy(prefix, path, elen);
	plen = elen;
	if (elen > 1)
		prefix[plen++] = '/';
	prefix[plen] = '\0';
	first = kxs_txn_lower_bound(tx, prefix, plen);
	end = kxs_txn_after_prefix(tx, prefix, plen);

	room = blen + 1;
	for (o = kxs_txn_next_child(tx, first, end, plen, &oname); o;
	     o = kxs_txn_next_child(tx, kxs_txn_next(o), end, plen, &oname))
		room += strlen(oname) + 1;
	buf = kvmalloc(room, GFP_KERNEL);
	if (!buf) {
		kfree(prefix);
		return -ENOMEM;
	}

	o = kxs_txn_next_child(tx, first, end, plen, &oname);
	while (o || boff < blen) {
		const char *bname = boff < blen ? base + boff : NULL;
		int r = !o ? -1 : !bname ? 1 : strcmp(bname, oname);
		const char *name = NULL;

		if (r <= 0) {
			/* A live name, unless the transaction removed it. */
			if (r < 0 || o->data)
				name = bname;
			boff += strlen(bname) + 1;
		} else if (o->data) {
			name = oname;
		}
		if (name) {
			size_t n = strlen(name) + 1;

			memcpy(buf + off, name, n);
			off += n;
		}
		if (r >= 0)
			o = kxs_txn_next_child(tx, kxs_txn_next(o), end, plen,
					       &oname);
	}
	kfree(prefix);
	*out = buf;
	*out_len = off;
	return 0;
}

/*
 * The view's child names of @e, sorted, in a kvmalloc()ed buffer: the
 * live list as first listed (none for a node the transaction made),
 * merged with the transaction's records of children of @e.
 */
static int kxs_txn_list(struct kxs_tx *tx, struct kxs_txn *e, char **out,
			size_t *out_len)
{
	int ret;

	if (!(e->flags & KXS_TXN_FRESH) && !(e->flags & KXS_TXN_LISTED)) {
		ret = kxs_store_children(tx->store, e->path, &e->children,
					 &e->children_len, &e->cgen);
		if (!ret && kxs_tx_charge(tx, e->children_len, true)) {
			kvfree(e->children);
			ret = -ENOMEM;
		}
		/* Gone from the live tree: the commit will fail. */
		if (ret == -ENOENT) {
			e->children = NULL;
			e->children_len = 0;
			e->cgen = 0;
		} else if (ret) {
			e->children = NULL;
			return ret;
		}
		e->flags |= KXS_TXN_LISTED;
	}
	if (e->flags & KXS_TXN_FRESH)
		return kxs_txn_merge(tx, e->path, NULL, 0, out, out_len);
	return kxs_txn_merge(tx, e->path, e->children, e->children_len, out,
			     out_len);
}

int kxs_tx_directory(struct kxs_tx *tx, const struct kxs_caller *c,
		     const char *path, char *buf, size_t size)
{
	struct kxs_txn *e = kxs_txn_access_check(tx, c, path, KXS_PERM_READ);
	size_t len;
	char *list;
	int ret;

	if (IS_ERR(e))
		return PTR_ERR(e);
	ret = kxs_txn_list(tx, e, &list, &len);
	if (ret)
		return ret;
	ret = len;
	if (len > size)
		ret = -E2BIG;
	else
		memcpy(buf, list, len);
	kvfree(list);
	return ret;
}

/*
 * DIRECTORY_PART in a transaction: as kxs_store_directory_part(), over
 * the view's list.  The generation is the live one when the list was
 * first taken plus the transaction's own changes of it, so it changes
 * whenever the list the transaction sees does.
 */
int kxs_tx_directory_part(struct kxs_tx *tx, const struct kxs_caller *c,
			  const char *path, u32 offset, char *buf,
			  size_t size)
{
	struct kxs_txn *e = kxs_txn_access_check(tx, c, path, KXS_PERM_READ);
	size_t len, genlen, pos = 0, off;
	char *list;
	int ret;

	if (IS_ERR(e))
		return PTR_ERR(e);
	ret = kxs_txn_list(tx, e, &list, &len);
	if (ret)
		return ret;
	genlen = scnprintf(buf, size, "%llu", e->cgen + e->changes) + 1;
	off = genlen;
	/* From @offset, whole names (the first maybe cut) that fit. */
	while (pos < len) {
		size_t n = strlen(list + pos) + 1, skip = 0;

		if (pos + n <= offset) {
			pos += n;
			continue;
		}
		if (pos < offset)
			skip = offset - pos;
		if (off + n - skip > size - 1)
			break;
		memcpy(buf + off, list + pos + skip, n - skip);
		off += n - skip;
		pos += n;
	}
	if (pos >= len)
		buf[off++] = '\0';
	kvfree(list);
	return off;
}

/* New data for a node made under @parent: its permissions, owned by @owner. */
static struct kxs_data *kxs_txn_child_data(struct kxs_tx *tx,
					   const struct kxs_data *parent,
					   u16 owner, const void *value,
					   size_t len)
{
	struct kxs_data *d = kxs_tx_data_new(tx, parent->perms,
					     parent->nr_perms, value, len);

	if (d)
		d->perms[0].domid = owner;
	return d;
}

static void kxs_txn_set(struct kxs_txn *e, struct kxs_data *d)
{
	kxs_data_put(e->data);
	e->data = d;
	e->flags |= KXS_TXN_WRITTEN;
}

/* Nodes the caller's domain owns in the view, for the nodes quota. */
static unsigned long kxs_tx_owned(struct kxs_tx *tx, u16 domid)
{
	long n = kxs_store_owned(tx->store, domid) + tx->owned_delta;

	return n > 0 ? n : 0;
}

/*
 * Create @path and its missing parents in the view, below its nearest
 * present ancestor; the last gets @value.  All or nothing.
 */
static int kxs_tx_create(struct kxs_tx *tx, const struct kxs_caller *c,
			 const char *path, struct kxs_txn *anc,
			 const void *value, size_t vlen)
{
	struct kxs_txn *e;
	size_t alen, len = strlen(path), pos, count = 0, i, size;
	size_t chain_hidden = KXS_HIDDEN_UNKNOWN;
	struct kxs_txn_walk w;
	struct kxs_txn **chain;
	struct kxs_data **data;
	u16 owner;
	int ret;

	if (!anc || !anc->data)
		anc = kxs_txn_nearest(tx, path);
	if (IS_ERR(anc))
		return PTR_ERR(anc);
	if (!(kxs_txn_access(c, anc) & KXS_PERM_WRITE))
		return -EACCES;
	owner = c->priv ? anc->data->perms[0].domid : c->domid;
	alen = anc->len;
	for (pos = alen + (alen > 1 ? 1 : 0); pos <= len; pos++)
		count += pos == len || path[pos] == '/';
	pos = alen + (alen > 1 ? 1 : 0);
	size = kxs_node_quota_size(anc->data->nr_perms, anc->data->len,
				   kxs_txn_children_len(anc) +
				   strcspn(path + pos, "/") + 1);
	if (kxs_node_too_big(c, size))
		return -ENOSPC;
	if (owner == c->domid &&
	    kxs_over_quota(c, KXS_QUOTA_NODES, kxs_tx_owned(tx, owner) + count))
		return -ENOSPC;

	chain = kcalloc(count, sizeof(*chain), GFP_KERNEL);
	data = kcalloc(count, sizeof(*data), GFP_KERNEL);
	ret = -ENOMEM;
	if (!chain || !data)
		goto out;
	/* Records and data for each new node, before changing any. */
	kxs_txn_walk_at(&w, path, len, alen, anc->hash);
	for (i = 0; i < count; i++) {
		bool last;
		size_t next;

		ret = -EIO;
		if (WARN_ON_ONCE(!kxs_txn_walk_down(&w)))
			goto out;
		last = w.len == len;
		next = last ? 0 : strcspn(path + w.len + 1, "/") + 1;
		ret = -ENOSPC;
		size = kxs_node_quota_size(anc->data->nr_perms,
					   last ? vlen : 0, next);
		if (kxs_node_too_big(c, size))
			goto out;
		/* Below the first new node, every level is hidden by it. */
		e = kxs_txn_get_at(tx, &w, i ? chain_hidden :
					       KXS_HIDDEN_UNKNOWN);
		ret = PTR_ERR_OR_ZERO(e);
		if (ret)
			goto out;
		chain[i] = e;
		if (!i)
			chain_hidden = w.len;
		ret = -ENOMEM;
		data[i] = kxs_txn_child_data(tx, anc->data, owner,
					     last ? value : NULL,
					     last ? vlen : 0);
		if (!data[i])
			goto out;
	}
	anc->cdelta += strlen(strrchr(chain[0]->path, '/') + 1) + 1;
	anc->changes++;
	for (i = 0; i < count; i++) {
		e = chain[i];
		kxs_txn_set(e, data[i]);
		data[i] = NULL;
		e->flags |= KXS_TXN_FRESH;
		e->cdelta = 0;
		e->changes++;
		if (i + 1 < count)
			e->cdelta = strlen(strrchr(chain[i + 1]->path, '/') +
					   1) + 1;
		if (owner == c->domid)
			tx->owned_delta++;
	}
	ret = 0;
out:
	for (i = 0; data && i < count; i++)
		kxs_data_put(data[i]);
	kfree(data);
	kfree(chain);
	return ret;
}

int kxs_tx_write(struct kxs_tx *tx, const struct kxs_caller *c,
		 const char *path, const void *value, size_t len)
{
	struct kxs_txn *e = kxs_txn_get(tx, path, strlen(path));
	struct kxs_data *d;

	if (IS_ERR(e))
		return PTR_ERR(e);
	if (!e->data)
		return kxs_tx_create(tx, c, path, NULL, value, len);
	if (!(kxs_txn_access(c, e) & KXS_PERM_WRITE))
		return -EACCES;
	if (kxs_node_too_big(c, kxs_node_quota_size(e->data->nr_perms, len,
						    kxs_txn_children_len(e))))
		return -ENOSPC;
	d = kxs_tx_data_new(tx, e->data->perms, e->data->nr_perms, value,
			    len);
	if (!d)
		return -ENOMEM;
	kxs_txn_set(e, d);
	return 0;
}

/* Return: 1 if the node was made, 0 if it was there, or a negative errno. */
int kxs_tx_mkdir(struct kxs_tx *tx, const struct kxs_caller *c,
		 const char *path)
{
	struct kxs_txn *e = kxs_txn_get(tx, path, strlen(path));
	int ret;

	if (IS_ERR(e))
		return PTR_ERR(e);
	if (e->data)
		return kxs_txn_access(c, e) & KXS_PERM_WRITE ? 0 : -EACCES;
	ret = kxs_tx_create(tx, c, path, NULL, NULL, 0);
	return ret ? ret : 1;
}

/*
 * Remove the node of record @e (present in the view, not the root, which
 * @c may write) and its subtree; @parent is its parent's record.  As
 * kxs_tx_rm().
 */
static int kxs_txn_rm(struct kxs_tx *tx, const struct kxs_caller *c,
		      struct kxs_txn *e, struct kxs_txn *parent,
		      struct kxs_perm **perms, unsigned int *nr)
{
	const char *path = e->path;
	size_t len = e->len, plen = parent->len;
	unsigned long live = 0, made = 0;
	struct kxs_txn *o;

	*nr = e->data->nr_perms;
	*perms = kmemdup(e->data->perms, *nr * sizeof(**perms), GFP_KERNEL);
	if (!*perms)
		return -ENOMEM;

	/* The caller's nodes this takes out of the view, for its quota. */
	if ((e->flags & KXS_TXN_OBSERVED) && e->dgen &&
	    !(e->flags & KXS_TXN_FRESH)) {
		live = kxs_store_owned_below(tx->store, path, c->domid);
		e->flags |= KXS_TXN_SUBTREE;
	}
	if (e->data->perms[0].domid == c->domid &&
	    (e->flags & KXS_TXN_FRESH))
		made++;
	for (o = kxs_txn_next(e); o && !strncmp(o->path, path, len);
	     o = kxs_txn_next(o)) {
		if (o->path[len] != '/')
			continue;
		live -= min(live, o->removed_live);
		if (o->data && (o->flags & KXS_TXN_FRESH) &&
		    o->data->perms[0].domid == c->domid)
			made++;
		/* Hidden from now on, with what it held. */
		kxs_data_put(o->data);
		o->data = NULL;
		o->flags &= ~KXS_TXN_FRESH;
	}
	/* Added up: a recreated and removed again node took out none. */
	e->removed_live += live;
	tx->owned_delta -= live + made;
	kxs_txn_set(e, NULL);
	e->flags &= ~KXS_TXN_FRESH;
	parent->cdelta -= len - plen - (plen > 1) + 1;
	parent->changes++;
	return 0;
}

/*
 * Remove @path and its subtree from the view.  *@perms (to kfree()) gets
 * the removed node's permissions, for watches, or NULL when there was no
 * node (not an error when its parent is there).
 */
int kxs_tx_rm(struct kxs_tx *tx, const struct kxs_caller *c,
	      const char *path, struct kxs_perm **perms, unsigned int *nr)
{
	size_t len = strlen(path), plen = kxs_parent_len(path, len);
	struct kxs_txn *e, *parent;
	int ret;

	*perms = NULL;
	e = kxs_txn_get(tx, path, len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	if (!e->data) {
		ret = kxs_txn_missing(tx, c, path, KXS_PERM_WRITE);
		if (ret != -ENOENT)
			return ret;
		parent = kxs_txn_get(tx, path, plen);
		if (IS_ERR(parent))
			return PTR_ERR(parent);
		return parent->data ? 0 : -ENOENT;
	}
	if (!(kxs_txn_access(c, e) & KXS_PERM_WRITE))
		return -EACCES;
	if (len == 1)
		return -EINVAL;
	parent = kxs_txn_get(tx, path, plen);
	if (IS_ERR(parent))
		return PTR_ERR(parent);
	return kxs_txn_rm(tx, c, e, parent, perms, nr);
}

/* A walk down a path, at the node of @at. */
static void kxs_txn_walk_of(struct kxs_txn_walk *w,
			    const struct kxs_tx_at *at)
{
	kxs_txn_walk_at(w, at->path, at->len, at->len, at->hash);
}

/* The record of a node of a walk, made on the first access. */
static struct kxs_txn *kxs_txn_get_walked(struct kxs_tx *tx,
					  const struct kxs_tx_at *at)
{
	struct kxs_txn_walk w;

	kxs_txn_walk_of(&w, at);
	return kxs_txn_get_at(tx, &w, at->wiped ? 0 : SIZE_MAX);
}

/* The record of the parent of a node of a walk (not the root). */
static struct kxs_txn *kxs_txn_get_walked_parent(struct kxs_tx *tx,
						 const struct kxs_tx_at *at)
{
	struct kxs_txn_walk w;

	kxs_txn_walk_at(&w, at->path, at->len, at->plen, at->phash);
	return kxs_txn_get_at(tx, &w, KXS_HIDDEN_UNKNOWN);
}

/**
 * kxs_tx_rm_at() - kxs_tx_rm() of a node of a walk, present in the view
 * @tx: the transaction
 * @c: the caller
 * @at: the node (not the root)
 * @perms: as kxs_tx_rm()
 * @nr: as kxs_tx_rm()
 *
 * Return: as kxs_tx_rm().
 */
int kxs_tx_rm_at(struct kxs_tx *tx, const struct kxs_caller *c,
		 const struct kxs_tx_at *at, struct kxs_perm **perms,
		 unsigned int *nr)
{
	struct kxs_txn *e, *parent;

	*perms = NULL;
	if (!at->plen)
		return -EINVAL;
	e = kxs_txn_get_walked(tx, at);
	if (IS_ERR(e) || !e->data)
		return kxs_tx_rm(tx, c, at->path, perms, nr);
	if (!(kxs_txn_access(c, e) & KXS_PERM_WRITE))
		return -EACCES;
	parent = kxs_txn_get_walked_parent(tx, at);
	if (IS_ERR(parent))
		return PTR_ERR(parent);
	return kxs_txn_rm(tx, c, e, parent, perms, nr);
}

int kxs_tx_set_perms(struct kxs_tx *tx, const struct kxs_caller *c,
		     const char *path, const struct kxs_perm *perms,
		     unsigned int nr)
{
	const unsigned int want = KXS_PERM_WRITE | KXS_PERM_OWNER;
	struct kxs_txn *e;
	struct kxs_data *d;
	u16 old;

	if (!nr)
		return -EINVAL;
	if (kxs_over_quota(c, KXS_QUOTA_PERMS, nr))
		return -ENOSPC;
	e = kxs_txn_access_check(tx, c, path, want);
	if (IS_ERR(e))
		return PTR_ERR(e);
	old = e->data->perms[0].domid;
	if (!c->priv && perms[0].domid != old)
		return -EPERM;
	if (kxs_node_too_big(c, kxs_node_quota_size(nr, e->data->len,
						    kxs_txn_children_len(e))))
		return -ENOSPC;
	d = kxs_tx_data_new(tx, perms, nr, kxs_data_value(e->data),
			    e->data->len);
	if (!d)
		return -ENOMEM;
	tx->owned_delta += (perms[0].domid == c->domid) - (old == c->domid);
	kxs_txn_set(e, d);
	return 0;
}

/**
 * kxs_tx_new() - a transaction without a connection or an id
 * @s: the store it is a view of
 * @d: that store's domain table
 * @domid: the domain it acts for
 *
 * What a restore builds: the change that makes the tree equal to a
 * stream's (committed by kxs_tx_commit_detached()), or a transaction of
 * the stream that kxs_tx_park() keeps for its domain.
 *
 * Return: the transaction, or NULL if memory ran out.
 */
struct kxs_tx *kxs_tx_new(struct kxs_store *s, struct kxs_domains *d,
			  u16 domid)
{
	struct kxs_tx *tx = kzalloc(sizeof(*tx), GFP_KERNEL);

	if (!tx)
		return NULL;
	kxs_tx_records_init(tx);
	kxs_stat_inc(KXS_STAT_TXS);
	INIT_LIST_HEAD(&tx->ctx_link);
	tx->store = s;
	tx->doms = d;
	tx->domid = domid;
	tx->events = RB_ROOT;
	return tx;
}

/* Free a transaction of kxs_tx_new() that was never parked. */
void kxs_tx_discard(struct kxs_tx *tx)
{
	if (!tx)
		return;
	kxs_tx_drop(tx);
	kxs_stat_dec(KXS_STAT_TXS);
	kfree(tx);
}

/**
 * kxs_tx_commit_detached() - commit a transaction of kxs_tx_new()
 * @tx: the transaction; still the caller's to discard afterwards
 *
 * Return: as kxs_tx_end().
 */
int kxs_tx_commit_detached(struct kxs_tx *tx)
{
	return kxs_tx_commit(tx, NULL);
}

/**
 * kxs_tx_park() - keep a transaction of kxs_tx_new() for its domain
 * @tx: the transaction
 * @id: the id it had when it was checkpointed
 *
 * The first request of a connection of @tx's domain that names @id
 * adopts it (kxs_tx_find()).
 *
 * Context: the domain table's quiesce lock held for writing.
 * Return: 0, -EBUSY if a live transaction has @id, -ENOMEM.
 */
int kxs_tx_park(struct kxs_tx *tx, u32 id)
{
	struct kxs_domains *d = tx->doms;
	int ret;

	tx->id = id;
	ret = rhashtable_lookup_insert_fast(&d->txs, &tx->id_node,
					    kxs_txid_params);
	if (ret)
		return ret == -EEXIST ? -EBUSY : -ENOMEM;
	mutex_lock(&d->lock);
	list_add_tail(&tx->ctx_link, &d->parked_txs);
	mutex_unlock(&d->lock);
	return 0;
}

/**
 * kxs_tx_free_parked() - end parked transactions
 * @d: the domain table
 * @domid: those of this domain (RELEASE), or -1 for all (unload)
 */
void kxs_tx_free_parked(struct kxs_domains *d, int domid)
{
	struct kxs_tx *tx, *tmp;

	mutex_lock(&d->lock);
	list_for_each_entry_safe(tx, tmp, &d->parked_txs, ctx_link) {
		if (domid >= 0 && tx->domid != domid)
			continue;
		list_del(&tx->ctx_link);
		rhashtable_remove_fast(&d->txs, &tx->id_node,
				       kxs_txid_params);
		kxs_tx_drop(tx);
		kxs_stat_dec(KXS_STAT_TXS);
		kfree_rcu(tx, rcu);
	}
	mutex_unlock(&d->lock);
}

/**
 * kxs_tx_at_root() - start a walk down a transaction's view
 * @at: set to the root
 * @path: a buffer holding "/", where the walk writes its paths
 */
void kxs_tx_at_root(struct kxs_tx_at *at, const char *path)
{
	*at = (struct kxs_tx_at){ .path = path, .len = 1 };
}

/**
 * kxs_tx_at_child() - go from a node of a walk to one of its children
 * @tx: the transaction
 * @parent: the node
 * @len: the child's path length: parent->path now holds the child's
 *	path, the parent's followed by "/" and a name
 * @at: set to the child
 */
void kxs_tx_at_child(struct kxs_tx *tx, const struct kxs_tx_at *parent,
		     size_t len, struct kxs_tx_at *at)
{
	struct kxs_txn_walk w;
	struct kxs_txn *pe;

	kxs_txn_walk_at(&w, parent->path, len, parent->len, parent->hash);
	pe = kxs_txn_find(tx, &w);
	at->path = parent->path;
	at->plen = parent->len;
	at->phash = parent->hash;
	at->wiped = parent->wiped || (pe && kxs_txn_hides_below(pe));
	if (WARN_ON_ONCE(!kxs_txn_walk_down(&w) || w.len != len)) {
		/* Not a child: asked in full. */
		at->plen = kxs_parent_len(at->path, len);
		at->phash = kxs_txn_hash(at->path, at->plen);
		at->wiped = kxs_txn_hidden_from(tx, at->path, len) < len;
		w.hash = kxs_txn_hash(at->path, len);
	}
	at->len = len;
	at->hash = w.hash;
}

/**
 * kxs_tx_put_node() - make a node of the view exactly so
 * @tx: the transaction
 * @c: a privileged caller acting for the transaction's domain (its
 *	count of owned nodes follows the owners set here)
 * @at: the node, a walk's, whose parent is in the view
 * @value: the value
 * @len: its length
 * @perms: the permissions, or NULL: if the node is missing, made as a
 *	write of @value would make it, else left so
 * @nr: their number, at least one
 * @written: record the node as written even if it is so already (its
 *	commit then reports it)
 *
 * Return: 1 if the view changed, 0 if the node was so already, or a
 * negative errno (the transaction is then to be discarded).
 */
int kxs_tx_put_node(struct kxs_tx *tx, const struct kxs_caller *c,
		    const struct kxs_tx_at *at, const void *value, size_t len,
		    const struct kxs_perm *perms, unsigned int nr,
		    bool written)
{
	struct kxs_txn *e = kxs_txn_get_walked(tx, at), *parent = NULL;
	struct kxs_data *d;
	u16 old;
	int ret;

	if (IS_ERR(e))
		return PTR_ERR(e);
	if (!perms && e->data)
		return 0;
	if (e->data && kxs_data_is(e->data, value, len, perms, nr)) {
		if (written) {
			refcount_inc(&e->data->ref);
			kxs_txn_set(e, e->data);
		}
		return 0;
	}
	if (!e->data) {
		if (at->plen) {
			parent = kxs_txn_get_walked_parent(tx, at);
			if (IS_ERR(parent))
				return PTR_ERR(parent);
		}
		ret = kxs_tx_create(tx, c, at->path, parent, value, len);
		if (ret || !perms)
			return ret ? ret : 1;
	}
	old = e->data->perms[0].domid;
	d = kxs_data_new(perms, nr, value, len);
	if (!d)
		return -ENOMEM;
	tx->owned_delta += (perms[0].domid == c->domid) - (old == c->domid);
	kxs_txn_set(e, d);
	return 1;
}

/**
 * kxs_tx_view_data() - a node's data in the transaction's view
 * @tx: the transaction
 * @at: the node, a walk's
 *
 * Records nothing: the transaction's commit depends on no more than it
 * did before.
 *
 * Return: a reference to the data (kxs_data_put() it), NULL if the node
 * is not in the view.
 */
struct kxs_data *kxs_tx_view_data(struct kxs_tx *tx,
				  const struct kxs_tx_at *at)
{
	struct kxs_txn_walk w;
	struct kxs_txn *e;
	struct kxs_data *d;
	u64 dgen, gen;
	u32 clen;

	kxs_txn_walk_of(&w, at);
	e = kxs_txn_find(tx, &w);
	if (e) {
		if (e->data)
			refcount_inc(&e->data->ref);
		return e->data;
	}
	if (at->wiped)
		return NULL;
	kxs_store_observe(tx->store, at->path, &d, &dgen, &gen, &clen);
	return d;
}

/**
 * kxs_tx_view_children() - a node's child names in the view
 * @tx: the transaction
 * @at: a node of a walk, in the view
 * @names: set to the names, sorted (kvfree() them)
 * @len: set to their size
 *
 * Records nothing.
 *
 * Return: 0 or -ENOMEM.
 */
int kxs_tx_view_children(struct kxs_tx *tx, const struct kxs_tx_at *at,
			 char **names, size_t *len)
{
	const char *path = at->path;
	struct kxs_txn_walk w;
	struct kxs_txn *e;
	char *live = NULL;
	u32 llen = 0;
	u64 gen;
	int ret;

	kxs_txn_walk_of(&w, at);
	e = kxs_txn_find(tx, &w);
	if (e && (e->flags & KXS_TXN_FRESH))
		return kxs_txn_merge(tx, path, NULL, 0, names, len);
	if (e && (e->flags & KXS_TXN_LISTED))
		return kxs_txn_merge(tx, path, e->children, e->children_len,
				     names, len);
	ret = kxs_store_children(tx->store, path, &live, &llen, &gen);
	if (ret && ret != -ENOENT)
		return ret;
	ret = kxs_txn_merge(tx, path, live, llen, names, len);
	kvfree(live);
	return ret;
}

/* Where an event's path is, from its link in kxs_tx.events. */
#define KXS_TX_EVENT_PATH_OFF \
	(offsetof(struct kxs_tx_event, path) - \
	 offsetof(struct kxs_tx_event, node))

static struct kxs_tx_event *kxs_tx_event_of(struct rb_node *rb)
{
	return rb ? rb_entry(rb, struct kxs_tx_event, node) : NULL;
}

/* The first event whose path is at or after the @len bytes at @path. */
static struct kxs_tx_event *kxs_tx_event_lower_bound(struct kxs_tx *tx,
						     const char *path,
						     size_t len)
{
	return kxs_tx_event_of(kxs_path_bound(&tx->events,
					      KXS_TX_EVENT_PATH_OFF, path,
					      len, false));
}

/* The first event after every one whose path starts with @len bytes. */
static struct kxs_tx_event *kxs_tx_event_after_prefix(struct kxs_tx *tx,
						      const char *prefix,
						      size_t len)
{
	return kxs_tx_event_of(kxs_path_bound(&tx->events,
					      KXS_TX_EVENT_PATH_OFF, prefix,
					      len, true));
}

/**
 * kxs_tx_view_removed() - children of a node the transaction removed
 * @tx: the transaction
 * @at: a node of a walk, in the view
 * @names: set to their names, sorted (kvfree() them)
 * @len: set to their size
 *
 * These are the nodes whose removal its commit reports and that are not
 * in the view (QEMU's DELETED_IN_TX nodes).
 *
 * Return: 0 or -ENOMEM.
 */
int kxs_tx_view_removed(struct kxs_tx *tx, const struct kxs_tx_at *at,
			char **names, size_t *len)
{
	size_t plen = at->len, room = 1, off = 0, pass;
	struct kxs_tx_event *first, *end, *ev, *next;
	const char *path = at->path;
	struct kxs_txn_walk w;
	struct kxs_txn *e;
	struct rb_node *rb;
	char *buf = NULL;

	if (plen == 1)
		plen = 0;
	first = kxs_tx_event_lower_bound(tx, path, plen);
	/* The events from the first to @end all start with @path. */
	end = kxs_tx_event_after_prefix(tx, path, plen);
	for (pass = 0; pass < 2; pass++) {
		for (ev = first; ev && ev != end;
		     ev = rb ? rb_entry(rb, struct kxs_tx_event, node) : NULL) {
			const char *name = ev->path + plen + 1;
			const char *slash = NULL;

			rb = rb_next(&ev->node);
			if (ev->path[plen] == '/')
				slash = strchr(name, '/');
			if (slash) {
				/* Below a child: skip its subtree at once. */
				next = kxs_tx_event_after_prefix(tx, ev->path,
								 slash -
								 ev->path + 1);
				rb = next ? &next->node : NULL;
				continue;
			}
			if (!ev->rm || ev->path[plen] != '/')
				continue;
			/* Made again after the removal: in the view. */
			kxs_txn_walk_at(&w, ev->path, plen + 1 + strlen(name),
					at->len, at->hash);
			e = kxs_txn_walk_down(&w) ? kxs_txn_find(tx, &w) : NULL;
			if (e && e->data)
				continue;
			if (buf)
				memcpy(buf + off, name, strlen(name) + 1);
			off += strlen(name) + 1;
		}
		if (pass)
			break;
		room += off;
		off = 0;
		buf = kvmalloc(room, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	*names = buf;
	*len = off;
	return 0;
}

/**
 * kxs_tx_view_changed() - does the commit report a change of @path?
 * @tx: the transaction
 * @path: canonical path
 *
 * Return: true for a node the transaction wrote, made or gave
 * permissions (QEMU's MODIFIED_IN_TX nodes).
 */
bool kxs_tx_view_changed(struct kxs_tx *tx, const char *path)
{
	size_t len = strlen(path);
	struct kxs_tx_event *ev = kxs_tx_event_lower_bound(tx, path, len);

	return ev && !strcmp(ev->path, path) && !ev->rm;
}

/**
 * kxs_tx_view_removed_perms() - permissions of a node the transaction
 * removed, as they were
 * @tx: the transaction
 * @path: a path kxs_tx_view_removed() listed
 * @nr: set to their number
 *
 * Return: the permissions (the transaction's; valid while it is), or NULL.
 */
const struct kxs_perm *kxs_tx_view_removed_perms(struct kxs_tx *tx,
						 const char *path,
						 unsigned int *nr)
{
	size_t len = strlen(path);
	struct kxs_tx_event *ev = kxs_tx_event_lower_bound(tx, path, len);

	if (!ev || strcmp(ev->path, path) || !ev->rm)
		return NULL;
	*nr = ev->nr_perms;
	return ev->perms;
}

/**
 * kxs_tx_view_begin() - compare the transaction's records with the live
 * tree, for kxs_tx_view_differs()
 * @tx: the transaction
 *
 * Each record is compared once, not once per level above it: a
 * checkpoint asks kxs_tx_view_differs() at every level of a chain up to
 * 1500 deep.
 *
 * Context: requests held off (the domain table's quiesce lock) until
 * the last kxs_tx_view_differs() for @tx: the live tree stays so.
 */
void kxs_tx_view_begin(struct kxs_tx *tx)
{
	struct rb_node *rb;

	for (rb = rb_first(&tx->nodes); rb; rb = rb_next(rb)) {
		struct kxs_txn *e = rb_entry(rb, struct kxs_txn, node);
		struct kxs_data *d;
		u64 dgen, gen;
		u32 clen;

		e->flags &= ~KXS_TXN_STALE;
		if (!(e->flags & KXS_TXN_OBSERVED))
			continue;
		kxs_store_observe(tx->store, e->path, &d, &dgen, &gen, &clen);
		kxs_data_put(d);
		if (dgen != e->dgen ||
		    ((e->flags & KXS_TXN_LISTED) && gen != e->cgen))
			e->flags |= KXS_TXN_STALE;
		cond_resched();
	}
}

/**
 * kxs_tx_view_differs() - does the view differ from the live tree at or
 * below @path?
 * @tx: the transaction, after kxs_tx_view_begin()
 * @path: canonical path
 *
 * Return: true if the transaction changed something there, or saw
 * something there that has changed since.
 */
bool kxs_tx_view_differs(struct kxs_tx *tx, const char *path)
{
	size_t len = strlen(path);
	struct kxs_txn *e, *end;

	if (len == 1)
		len = 0;
	/* The records from the first to @end all start with @path. */
	end = kxs_txn_after_prefix(tx, path, len);
	for (e = kxs_txn_lower_bound(tx, path, len); e && e != end;
	     e = kxs_txn_next(e)) {
		if (e->path[len] && e->path[len] != '/')
			continue;
		if (e->flags & (KXS_TXN_WRITTEN | KXS_TXN_STALE))
			return true;
	}
	return false;
}
