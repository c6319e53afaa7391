// SPDX-License-Identifier: GPL-2.0
/*
 * Domains.
 *
 * There is no hypervisor behind this store: INTRODUCE records a domain
 * (its ring page and event channel are kept, never mapped or bound) and a
 * guest's "ring" is any connection bound to its domid with the bind
 * ioctl.  What xenstore does with a domain is real: its connections get
 * its identity, permissions and quotas; RELEASE removes the nodes it owns
 * and ends its connections.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "domain.h"
#include "proto.h"
#include "store.h"
#include "transaction.h"

const char *const kxs_quota_names[KXS_QUOTA_NR] = {
	[KXS_QUOTA_NODES]		= "nodes",
	[KXS_QUOTA_WATCHES]		= "watches",
	[KXS_QUOTA_TRANSACTIONS]	= "transactions",
	[KXS_QUOTA_NODE_SIZE]		= "node-size",
	[KXS_QUOTA_PERMS]		= "permissions",
	[KXS_QUOTA_TX_NODES]		= "transaction-nodes",
	[KXS_QUOTA_MEMORY]		= "memory",
};

/**
 * kxs_quota_lookup() - a quota by its wire name
 * @name: e.g. "nodes"
 *
 * Return: the KXS_QUOTA_* value, or -EINVAL for an unknown name.
 */
int kxs_quota_lookup(const char *name)
{
	int q;

	for (q = 0; q < KXS_QUOTA_NR; q++)
		if (!strcmp(name, kxs_quota_names[q]))
			return q;
	return -EINVAL;
}

static const char *const kxs_special_paths[KXS_SPECIAL_NR] = {
	[KXS_SPECIAL_INTRODUCE]	= "@introduceDomain",
	[KXS_SPECIAL_RELEASE]	= "@releaseDomain",
};

/**
 * kxs_special_lookup() - which special path @path is
 * @path: a path starting with '@'
 *
 * Return: the KXS_SPECIAL_* value, or -EINVAL for any other path.
 */
int kxs_special_lookup(const char *path)
{
	int sp;

	for (sp = 0; sp < KXS_SPECIAL_NR; sp++)
		if (!strcmp(path, kxs_special_paths[sp]))
			return sp;
	return -EINVAL;
}

/* The path of a special, "@introduceDomain" or "@releaseDomain". */
const char *kxs_special_name(int sp)
{
	return kxs_special_paths[sp];
}

/**
 * kxs_special_perms() - a copy of a special path's permissions
 * @d: the domain table
 * @sp: the special path
 * @nr: set to the number of entries
 *
 * Return: the copy, to kfree(), or NULL if memory ran out.
 */
struct kxs_perm *kxs_special_perms(struct kxs_domains *d, int sp,
				   unsigned int *nr)
{
	struct kxs_perm *p;

	mutex_lock(&d->lock);
	*nr = d->nr_special[sp];
	p = kmemdup(d->special[sp], *nr * sizeof(*p), GFP_KERNEL);
	mutex_unlock(&d->lock);
	return p;
}

/* Permissions of the special paths before any SET_PERMS: "n0". */
static const struct kxs_perm kxs_special_default = {
	.domid = KXS_DOMID_CONTROL, .access = KXS_PERM_NONE,
};

/**
 * kxs_domains_init() - an empty domain table
 * @d: the table
 * @quota: KXS_QUOTA_NR global quota values, kept up to date by SET_QUOTA
 *
 * Return: 0 or -ENOMEM.
 */
int kxs_domains_init(struct kxs_domains *d, u32 *quota)
{
	int sp;

	if (percpu_init_rwsem(&d->quiesce))
		return -ENOMEM;
	if (kxs_tx_table_init(d)) {
		percpu_free_rwsem(&d->quiesce);
		return -ENOMEM;
	}
	mutex_init(&d->lock);
	seqcount_mutex_init(&d->caller_seq, &d->lock);
	kxs_watch_table_init(&d->watches);
	xa_init(&d->doms);
	atomic_set(&d->next_txid, KXS_TXID_FIRST);
	INIT_LIST_HEAD(&d->parked_txs);
	INIT_LIST_HEAD(&d->parked_watches);
	d->quota = quota;
	for (sp = 0; sp < KXS_SPECIAL_NR; sp++) {
		d->special[sp] = kmemdup(&kxs_special_default,
					 sizeof(kxs_special_default),
					 GFP_KERNEL);
		if (!d->special[sp]) {
			kxs_domains_destroy(d);
			return -ENOMEM;
		}
		d->nr_special[sp] = 1;
	}
	return 0;
}

static void kxs_domain_free(struct kref *ref)
{
	struct kxs_domain *dom = container_of(ref, struct kxs_domain, ref);

	WARN_ON(!list_empty(&dom->conns) || dom->nr_txs || dom->nr_watches);
	kfree(dom);
}

static void kxs_domain_put(struct kxs_domain *dom)
{
	kref_put(&dom->ref, kxs_domain_free);
}

/* Every connection is gone. */
void kxs_domains_destroy(struct kxs_domains *d)
{
	struct kxs_domain *dom;
	unsigned long domid;
	int sp;

	kxs_tx_free_parked(d, -1);
	kxs_watch_free_parked(d, -1);
	xa_for_each(&d->doms, domid, dom) {
		xa_erase(&d->doms, domid);
		kxs_domain_put(dom);
	}
	xa_destroy(&d->doms);
	for (sp = 0; sp < KXS_SPECIAL_NR; sp++) {
		kfree(d->special[sp]);
		d->special[sp] = NULL;
	}
	kxs_tx_table_destroy(d);
	kxs_watch_table_destroy(&d->watches);
	percpu_free_rwsem(&d->quiesce);
	mutex_destroy(&d->lock);
}

/**
 * kxs_domid_is_guest() - can @domid name a guest domain?
 * @domid: the domain id
 *
 * Return: true unless it is the control domain or a DOMID_* special.
 */
bool kxs_domid_is_guest(u16 domid)
{
	return domid != KXS_DOMID_CONTROL && domid < KXS_DOMID_FIRST_RESERVED;
}

static struct kxs_domain *kxs_domain_find(struct kxs_domains *d, u16 domid)
{
	lockdep_assert_held(&d->lock);
	return xa_load(&d->doms, domid);
}

/* The domain's entry, made if it has none: Return: it or ERR_PTR. */
static struct kxs_domain *kxs_domain_find_or_create(struct kxs_domains *d,
						    u16 domid)
{
	struct kxs_domain *dom = kxs_domain_find(d, domid);
	int ret;

	if (dom)
		return dom;
	dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	if (!dom)
		return ERR_PTR(-ENOMEM);
	kref_init(&dom->ref);
	INIT_LIST_HEAD(&dom->conns);
	dom->domid = domid;
	dom->target = KXS_NO_TARGET;
	dom->features = KXS_FEATURES_SUPPORTED;
	ret = xa_err(xa_store(&d->doms, domid, dom, GFP_KERNEL));
	if (ret) {
		kfree(dom);
		return ERR_PTR(ret);
	}
	return dom;
}

/**
 * kxs_domain_caller() - the identity and limits of a connection's request
 * @d: the domain table
 * @ctx: the connection
 * @c: filled in
 */
void kxs_domain_caller(struct kxs_domains *d, struct kxs_ctx *ctx,
		       struct kxs_caller *c)
{
	struct kxs_domain *dom = ctx->dom;
	int q;

	unsigned int seq;

	c->domid = ctx->domid;
	c->target = KXS_NO_TARGET;
	c->priv = !dom;
	c->mem = 0;
	if (!dom) {
		memset(c->quota, 0, sizeof(c->quota));
		return;
	}
	c->mem = atomic_long_read(&dom->mem);
	/*
	 * Every guest request comes here: a snapshot that takes no lock, so
	 * that guests reading in parallel share nothing they write.  The
	 * connection's reference keeps @dom.
	 */
	do {
		seq = read_seqcount_begin(&d->caller_seq);
		c->target = READ_ONCE(dom->target);
		for (q = 0; q < KXS_QUOTA_NR; q++)
			c->quota[q] = test_bit(q, &dom->quota_set) ?
				      READ_ONCE(dom->quota[q]) :
				      READ_ONCE(d->quota[q]);
	} while (read_seqcount_retry(&d->caller_seq, seq));
}

/**
 * kxs_domain_bind() - make a connection act for a guest domain
 * @d: the domain table
 * @ctx: the connection, acting for the control domain so far
 * @domid: the guest
 *
 * Return: 0, -EINVAL for a domid that is not a guest's, -EBUSY if the
 * connection is bound already, -ENOMEM.
 */
int kxs_domain_bind(struct kxs_domains *d, struct kxs_ctx *ctx, u16 domid)
{
	struct kxs_domain *dom;
	int ret = 0;

	if (!kxs_domid_is_guest(domid))
		return -EINVAL;
	mutex_lock(&d->lock);
	if (ctx->dom) {
		ret = -EBUSY;
		goto out;
	}
	dom = kxs_domain_find_or_create(d, domid);
	if (IS_ERR(dom)) {
		ret = PTR_ERR(dom);
		goto out;
	}
	kref_get(&dom->ref);
	list_add_tail(&ctx->dom_link, &dom->conns);
	dom->nr_conns++;
	ctx->dom = dom;
	ctx->domid = domid;
out:
	mutex_unlock(&d->lock);
	return ret;
}

/* The connection is going away: it no longer counts for its domain. */
void kxs_domain_unbind(struct kxs_domains *d, struct kxs_ctx *ctx)
{
	struct kxs_domain *dom = ctx->dom;

	if (!dom)
		return;
	mutex_lock(&d->lock);
	list_del(&ctx->dom_link);
	dom->nr_conns--;
	mutex_unlock(&d->lock);
	ctx->dom = NULL;
	kxs_domain_put(dom);
}

/*
 * Count one more of a domain's resources (@count, under its @q quota),
 * or refuse with @err; the control domain is not counted.
 */
static int kxs_domain_count_get(struct kxs_domains *d,
				const struct kxs_caller *c, enum kxs_quota q,
				unsigned int *count, int err)
{
	int ret = 0;

	mutex_lock(&d->lock);
	if (kxs_over_quota(c, q, *count + 1))
		ret = err;
	else
		(*count)++;
	mutex_unlock(&d->lock);
	return ret;
}

static void kxs_domain_count_put(struct kxs_domains *d, unsigned int *count)
{
	mutex_lock(&d->lock);
	(*count)--;
	mutex_unlock(&d->lock);
}

/**
 * kxs_domain_watch_get() - count a new watch against the domain
 * @d: the domain table
 * @ctx: the connection adding it
 * @c: its caller identity (the quota to meet)
 *
 * Return: 0, or -ENOSPC if the domain has its quota of watches (upstream
 * xenstored's error; 4.17 and earlier answered E2BIG).
 */
int kxs_domain_watch_get(struct kxs_domains *d, struct kxs_ctx *ctx,
			 const struct kxs_caller *c)
{
	if (!ctx->dom)
		return 0;
	return kxs_domain_count_get(d, c, KXS_QUOTA_WATCHES,
				    &ctx->dom->nr_watches, -ENOSPC);
}

/* A watch counted by kxs_domain_watch_get() was removed. */
void kxs_domain_watch_put(struct kxs_domains *d, struct kxs_ctx *ctx)
{
	if (ctx->dom)
		kxs_domain_count_put(d, &ctx->dom->nr_watches);
}

/**
 * kxs_domain_mem_charge() - count bytes a domain makes the kernel hold
 * @dom: the domain
 * @s: the store, whose nodes the domain owns count too
 * @quota: the domain's memory quota, 0 for none
 * @size: the bytes
 *
 * Checked, then counted, without a lock: requests of one domain running
 * at once on several CPUs may each pass a check the other's bytes would
 * have failed, by at most what one request holds.
 *
 * Return: 0, or -ENOMEM if they would take the domain over @quota, the
 * reference daemon's error for its memory quota.
 */
int kxs_domain_mem_charge(struct kxs_domain *dom, struct kxs_store *s,
			  u32 quota, size_t size)
{
	if (quota && kxs_store_owned_bytes(s, dom->domid) +
		     atomic_long_read(&dom->mem) + size > quota)
		return -ENOMEM;
	atomic_long_add(size, &dom->mem);
	return 0;
}

/* Bytes counted by kxs_domain_mem_charge() were freed. */
void kxs_domain_mem_uncharge(struct kxs_domain *dom, size_t size)
{
	atomic_long_sub(size, &dom->mem);
}

/**
 * kxs_domain_event_dropped() - count a watch event a connection lost
 * @d: the domain table
 * @ctx: the connection
 * @why: what the log line gives as the reason
 */
void kxs_domain_event_dropped(struct kxs_domains *d, struct kxs_ctx *ctx,
			      const char *why)
{
	pr_warn_ratelimited("domain %u: watch event dropped, %s\n", ctx->domid,
			    why);
	mutex_lock(&d->lock);
	d->events_dropped++;
	if (ctx->dom)
		ctx->dom->events_dropped++;
	mutex_unlock(&d->lock);
}

/**
 * kxs_domain_events_lost() - count watch events lost before any watcher
 *	was known
 * @d: the domain table
 * @n: how many changes went unreported
 *
 * A transaction that could not note a change (no memory) reports it to
 * nobody at its commit: each such change counts once, in the table's
 * total only, since no connection was chosen to hear of it.
 */
void kxs_domain_events_lost(struct kxs_domains *d, unsigned int n)
{
	pr_warn_ratelimited("%u watch event(s) lost at a commit, no memory\n",
			    n);
	mutex_lock(&d->lock);
	d->events_dropped += n;
	mutex_unlock(&d->lock);
}

/**
 * kxs_domain_tx_get() - count a new transaction against the domain
 * @d: the domain table
 * @ctx: the connection starting it
 * @c: its caller identity (the quota to meet)
 *
 * Return: 0, or -ENOSPC if the domain has its quota of transactions open.
 */
int kxs_domain_tx_get(struct kxs_domains *d, struct kxs_ctx *ctx,
		      const struct kxs_caller *c)
{
	if (!ctx->dom)
		return 0;
	return kxs_domain_count_get(d, c, KXS_QUOTA_TRANSACTIONS,
				    &ctx->dom->nr_txs, -ENOSPC);
}

/* A transaction counted by kxs_domain_tx_get() ended. */
void kxs_domain_tx_put(struct kxs_domains *d, struct kxs_ctx *ctx)
{
	if (ctx->dom)
		kxs_domain_count_put(d, &ctx->dom->nr_txs);
}

/**
 * kxs_domain_adopt_locked() - count parked transactions and watches a
 * connection adopted
 * @ctx: the connection
 * @nr_txs: transactions it adopted
 * @nr_watches: watches it adopted
 *
 * They were the domain's before the checkpoint, so they are counted
 * without a quota check, as a restore brings the nodes back.
 *
 * Context: the domain table's lock held.
 */
void kxs_domain_adopt_locked(struct kxs_ctx *ctx, unsigned int nr_txs,
			     unsigned int nr_watches)
{
	lockdep_assert_held(&ctx->doms->lock);
	ctx->nr_txs += nr_txs;
	if (!ctx->dom)
		return;
	ctx->dom->nr_txs += nr_txs;
	ctx->dom->nr_watches += nr_watches;
}

/**
 * kxs_domain_quota_locked() - a quota of the domain a context acts for
 * @ctx: the context
 * @q: the quota
 *
 * Context: the domain table's lock held.
 * Return: its value, 0 (no limit) for the control domain.
 */
u32 kxs_domain_quota_locked(struct kxs_ctx *ctx, enum kxs_quota q)
{
	struct kxs_domain *dom = ctx->dom;

	lockdep_assert_held(&ctx->doms->lock);
	if (!dom)
		return 0;
	return test_bit(q, &dom->quota_set) ? dom->quota[q] :
					       ctx->doms->quota[q];
}

/* A domain whose state a checkpoint cannot carry in QEMU's format. */
static bool kxs_domain_stateful(const struct kxs_domain *dom)
{
	return dom->introduced || dom->target != KXS_NO_TARGET ||
	       dom->features != KXS_FEATURES_SUPPORTED || dom->quota_set;
}

/**
 * kxs_domain_has_state() - a domain whose state a checkpoint cannot carry
 * @d: the domain table
 * @domid: in: where to start looking; out: the domain found
 *
 * Introduced domains, targets, features and per-domain quotas live in the
 * domain table, not in the tree, and QEMU's format has no room for them.
 *
 * Return: true if such a domain with an id >= *@domid exists.
 */
bool kxs_domain_has_state(struct kxs_domains *d, u16 *domid)
{
	struct kxs_domain *dom;
	unsigned long id = *domid;
	bool found = false;

	mutex_lock(&d->lock);
	xa_for_each_start(&d->doms, id, dom, id) {
		if (kxs_domain_stateful(dom)) {
			*domid = id;
			found = true;
			break;
		}
	}
	mutex_unlock(&d->lock);
	return found;
}

/**
 * kxs_domain_states() - the state of every domain that has some
 * @d: the domain table
 * @out: set to the states, by domid (kvfree() it)
 *
 * Context: the quiesce lock held for writing (nothing changes).
 * Return: how many, or -ENOMEM.
 */
int kxs_domain_states(struct kxs_domains *d, struct kxs_domain_state **out)
{
	struct kxs_domain_state *st = NULL;
	struct kxs_domain *dom;
	unsigned long id;
	int n = 0, i = 0;

	mutex_lock(&d->lock);
	xa_for_each(&d->doms, id, dom)
		n += kxs_domain_stateful(dom);
	if (n) {
		st = kvcalloc(n, sizeof(*st), GFP_KERNEL);
		if (!st) {
			mutex_unlock(&d->lock);
			return -ENOMEM;
		}
	}
	xa_for_each(&d->doms, id, dom) {
		if (!kxs_domain_stateful(dom))
			continue;
		st[i].domid = dom->domid;
		st[i].introduced = dom->introduced;
		st[i].shutdown = dom->shutdown;
		st[i].gfn = dom->gfn;
		st[i].port = dom->port;
		st[i].target = dom->target;
		st[i].features = dom->features;
		st[i].quota_set = dom->quota_set;
		memcpy(st[i].quota, dom->quota, sizeof(st[i].quota));
		i++;
	}
	mutex_unlock(&d->lock);
	*out = st;
	return n;
}

/**
 * kxs_domain_restore() - bring back a domain's state (a live update)
 * @d: the domain table
 * @st: the state, checked: a guest domid, a target that is one, known
 *	feature and quota bits
 *
 * The domain must have no state yet.  An introduced one's ring is served
 * again by a hypervisor's hooks (struct kxs_domain_hooks.restore); no
 * @introduceDomain fires.
 *
 * Return: 0, -EBUSY if the domain has state already, -ENOMEM.
 */
int kxs_domain_restore(struct kxs_domains *d,
		       const struct kxs_domain_state *st)
{
	const struct kxs_domain_hooks *hooks = READ_ONCE(d->hooks);
	struct kxs_domain *dom;
	int ret = 0;

	mutex_lock(&d->lock);
	dom = kxs_domain_find_or_create(d, st->domid);
	if (IS_ERR(dom)) {
		ret = PTR_ERR(dom);
	} else if (kxs_domain_stateful(dom)) {
		ret = -EBUSY;
	} else {
		write_seqcount_begin(&d->caller_seq);
		dom->target = st->target;
		dom->quota_set = st->quota_set;
		memcpy(dom->quota, st->quota, sizeof(dom->quota));
		write_seqcount_end(&d->caller_seq);
		dom->features = st->features;
		dom->introduced = st->introduced;
		dom->shutdown = st->shutdown;
		dom->gfn = st->gfn;
		dom->port = st->port;
	}
	mutex_unlock(&d->lock);
	if (!ret && st->introduced && hooks)
		hooks->restore(d, st->domid, st->port);
	return ret;
}

/**
 * kxs_domain_introduce() - INTRODUCE: start serving a domain
 * @d: the domain table
 * @domid: a guest's domid
 * @gfn: its ring page
 * @port: its event channel
 *
 * With a hypervisor's hooks, its ring is served from here on (see
 * struct kxs_domain_hooks).  Introducing an introduced domain again only
 * records the new event channel (a toolstack reconnecting or resuming
 * it); the ring page given then is ignored, as the reference daemon
 * ignores it.
 *
 * Return: 0, -EINVAL for a bad domid or event channel 0, -ENOMEM, or the
 * hooks' error.
 */
int kxs_domain_introduce(struct kxs_domains *d, u16 domid, s64 gfn, u32 port)
{
	const struct kxs_domain_hooks *hooks = READ_ONCE(d->hooks);
	struct kxs_domain *dom;
	int ret = 0;

	if (!kxs_domid_is_guest(domid) || !port)
		return -EINVAL;
	if (hooks) {
		ret = hooks->introduce(d, domid, port);
		if (ret)
			return ret;
	}
	mutex_lock(&d->lock);
	dom = kxs_domain_find_or_create(d, domid);
	if (IS_ERR(dom)) {
		ret = PTR_ERR(dom);
	} else {
		if (!dom->introduced)
			dom->gfn = gfn;
		dom->introduced = true;
		dom->port = port;
	}
	mutex_unlock(&d->lock);
	if (ret && hooks)
		hooks->release(d, domid);
	return ret;
}

/*
 * Remove the nodes a released domain owns, with their subtrees, as RM
 * would: watches hear of it.
 */
static void kxs_domain_rm_owned(struct kxs_domains *d, struct kxs_store *s,
				u16 domid)
{
	static const struct kxs_caller control = {
		.domid = KXS_DOMID_CONTROL, .target = KXS_NO_TARGET,
		.priv = true,
	};
	char **paths;
	int i, nr;

	nr = kxs_store_owned_tops(s, domid, &paths);
	if (nr < 0) {
		pr_warn("RELEASE %u: out of memory finding the nodes it owns\n",
			domid);
		return;
	}
	for (i = 0; i < nr; i++) {
		kxs_watch_rm(d, s, &control, paths[i]);
		kfree(paths[i]);
	}
	kfree(paths);
}

/*
 * Take a released domain out of the permissions of the special paths, as
 * the reference daemon does: an owner entry naming it passes to the
 * control domain, other entries naming it go.  Done in place: the lists
 * only shrink, and their readers hold the table's lock.
 */
static void kxs_special_drop_domain(struct kxs_domains *d, u16 domid)
{
	unsigned int sp, i, nr;

	mutex_lock(&d->lock);
	for (sp = 0; sp < KXS_SPECIAL_NR; sp++) {
		struct kxs_perm *p = d->special[sp];

		if (p[0].domid == domid)
			p[0].domid = KXS_DOMID_CONTROL;
		for (i = nr = 1; i < d->nr_special[sp]; i++)
			if (p[i].domid != domid)
				p[nr++] = p[i];
		d->nr_special[sp] = nr;
	}
	mutex_unlock(&d->lock);
}

/**
 * kxs_domain_release() - RELEASE: forget a domain
 * @d: the domain table
 * @s: the store
 * @domid: an introduced domain
 *
 * The domain's entry goes (with its quotas, features and target), its
 * connections end their transactions and are dead from then on, the
 * nodes it owns are removed with their subtrees, as the specification
 * says of a domain that goes away, and the permission entries naming it
 * are removed, so that a new domain with the same domid inherits no
 * access.  A hypervisor's hooks stop serving its ring.
 *
 * Context: the caller's own request lock may be held; it must not be
 * one of the domain's connections.
 * Return: 0, -EINVAL for a bad domid, -ENOENT if it is not introduced.
 */
int kxs_domain_release(struct kxs_domains *d, struct kxs_store *s, u16 domid)
{
	const struct kxs_domain_hooks *hooks;
	struct kxs_ctx *ctx, *tmp;
	struct kxs_domain *dom;
	LIST_HEAD(dying);

	if (!kxs_domid_is_guest(domid))
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = kxs_domain_find(d, domid);
	if (!dom || !dom->introduced) {
		mutex_unlock(&d->lock);
		return -ENOENT;
	}
	xa_erase(&d->doms, domid);
	dom->introduced = false;
	dom->released = true;
	list_for_each_entry(ctx, &dom->conns, dom_link) {
		kxs_ctx_get(ctx);
		list_add_tail(&ctx->dying_link, &dying);
	}
	mutex_unlock(&d->lock);

	list_for_each_entry_safe(ctx, tmp, &dying, dying_link) {
		list_del(&ctx->dying_link);
		kxs_ctx_kill(ctx);
		kxs_ctx_put(ctx);
	}
	hooks = READ_ONCE(d->hooks);
	if (hooks)
		hooks->release(d, domid);
	kxs_tx_free_parked(d, domid);
	kxs_watch_free_parked(d, domid);
	kxs_domain_rm_owned(d, s, domid);
	kxs_special_drop_domain(d, domid);
	if (kxs_store_drop_grants(s, domid) < 0)
		pr_warn("RELEASE %u: out of memory removing it from permission lists\n",
			domid);
	kxs_domain_put(dom);
	return 0;
}

/**
 * kxs_domain_resume() - RESUME: the domain runs again after a shutdown
 * @d: the domain table
 * @domid: an introduced domain
 *
 * A shutdown the hypervisor reported (kxs_domain_shutdown()) is
 * forgotten: the next one fires @releaseDomain again.
 *
 * Return: 0, -EINVAL for a bad domid, -ENOENT if it is not introduced.
 */
int kxs_domain_resume(struct kxs_domains *d, u16 domid)
{
	struct kxs_domain *dom;
	int ret = -ENOENT;

	if (!kxs_domid_is_guest(domid))
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = kxs_domain_find(d, domid);
	if (dom && dom->introduced) {
		dom->shutdown = false;
		ret = 0;
	}
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * kxs_domain_shutdown() - the hypervisor says a domain shut down
 * @d: the domain table
 * @domid: the domain
 *
 * Return: 1 if the domain is introduced and was not known to be shut
 * down (then @releaseDomain is to fire, as the reference does), else 0.
 */
int kxs_domain_shutdown(struct kxs_domains *d, u16 domid)
{
	struct kxs_domain *dom;
	int ret = 0;

	mutex_lock(&d->lock);
	dom = kxs_domain_find(d, domid);
	if (dom && dom->introduced && !dom->shutdown) {
		dom->shutdown = true;
		ret = 1;
	}
	mutex_unlock(&d->lock);
	return ret;
}

/* The control domain, an introduced domain, or one the hypervisor knows. */
static bool kxs_domain_exists(struct kxs_domains *d,
			      const struct kxs_domain_hooks *hooks, u16 domid)
{
	return kxs_domain_is_introduced(d, domid) > 0 ||
	       hooks->exists(d, domid);
}

/**
 * kxs_domain_existing_perms() - SET_PERMS names only domains that exist
 * @d: the domain table
 * @perms: the entries given: those of domains that do not exist are
 *	taken out
 * @nr: their number
 *
 * With a hypervisor behind the table, as the reference daemon does: an
 * owner that does not exist is refused, and access entries of domains
 * that do not exist are ignored (so that a domain created later with
 * that domid inherits nothing).  Without one every domain exists.
 *
 * Return: the number of entries left, or -ENOENT for an owner that does
 * not exist.
 */
int kxs_domain_existing_perms(struct kxs_domains *d, struct kxs_perm *perms,
			      int nr)
{
	const struct kxs_domain_hooks *hooks = READ_ONCE(d->hooks);
	int i, n;

	if (!hooks || nr < 1)
		return nr;
	if (!kxs_domain_exists(d, hooks, perms[0].domid))
		return -ENOENT;
	for (i = n = 1; i < nr; i++)
		if (kxs_domain_exists(d, hooks, perms[i].domid))
			perms[n++] = perms[i];
	return n;
}

/**
 * kxs_domain_is_introduced() - IS_DOMAIN_INTRODUCED
 * @d: the domain table
 * @domid: the domain
 *
 * The control domain always is, as with the reference daemon.
 *
 * Return: 1 or 0, or -EINVAL for a DOMID_* special.
 */
int kxs_domain_is_introduced(struct kxs_domains *d, u16 domid)
{
	struct kxs_domain *dom;
	int ret;

	if (domid == KXS_DOMID_CONTROL)
		return 1;
	if (!kxs_domid_is_guest(domid))
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = kxs_domain_find(d, domid);
	ret = dom && dom->introduced;
	mutex_unlock(&d->lock);
	return ret;
}

static void kxs_domain_set_target_locked(struct kxs_domains *d,
					 struct kxs_domain *dom, int target)
{
	write_seqcount_begin(&d->caller_seq);
	WRITE_ONCE(dom->target, target);
	write_seqcount_end(&d->caller_seq);
}

/**
 * kxs_domain_set_target() - SET_TARGET: @domid acts for @tdomid
 * @d: the domain table
 * @domid: an introduced domain (a device model, say)
 * @tdomid: an introduced domain, the one it serves
 *
 * Return: 0, -EINVAL for bad domids, -ENOENT if one is not introduced.
 */
int kxs_domain_set_target(struct kxs_domains *d, u16 domid, u16 tdomid)
{
	struct kxs_domain *dom, *tdom;
	int ret = 0;

	if (!kxs_domid_is_guest(domid) || !kxs_domid_is_guest(tdomid) ||
	    domid == tdomid)
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = kxs_domain_find(d, domid);
	tdom = kxs_domain_find(d, tdomid);
	if (!dom || !dom->introduced || !tdom || !tdom->introduced)
		ret = -ENOENT;
	else
		kxs_domain_set_target_locked(d, dom, tdomid);
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * kxs_domain_get_features() - the feature bits of a domain's ring
 * @d: the domain table
 * @domid: a known guest domain
 * @features: set to the bits
 *
 * Return: 0, -EINVAL for a bad domid, -ENOENT for an unknown domain.
 */
int kxs_domain_get_features(struct kxs_domains *d, u16 domid, u32 *features)
{
	struct kxs_domain *dom;
	int ret = 0;

	if (!kxs_domid_is_guest(domid))
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = kxs_domain_find(d, domid);
	if (dom)
		*features = dom->features;
	else
		ret = -ENOENT;
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * kxs_domain_set_features() - SET_FEATURE, before the domain's INTRODUCE
 * @d: the domain table
 * @domid: a guest domain
 * @features: bits out of KXS_FEATURES_SUPPORTED
 *
 * Return: 0, -EINVAL for a bad domid or an unsupported bit, -EBUSY if the
 * domain is introduced, -ENOMEM.
 */
int kxs_domain_set_features(struct kxs_domains *d, u16 domid, u32 features)
{
	struct kxs_domain *dom;
	int ret = 0;

	if (!kxs_domid_is_guest(domid) || (features & ~KXS_FEATURES_SUPPORTED))
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = kxs_domain_find_or_create(d, domid);
	if (IS_ERR(dom))
		ret = PTR_ERR(dom);
	else if (dom->introduced)
		ret = -EBUSY;
	else
		WRITE_ONCE(dom->features, features);
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * kxs_domain_get_quota() - a quota value, global or of one domain
 * @d: the domain table
 * @domid: a known guest domain, or -1 for the global value
 * @q: the quota
 * @val: set to its value (0: unlimited)
 *
 * Return: 0, -EINVAL for a bad domid, -ENOENT for an unknown domain.
 */
int kxs_domain_get_quota(struct kxs_domains *d, int domid, enum kxs_quota q,
			 u32 *val)
{
	struct kxs_domain *dom;
	int ret = 0;

	if (domid >= 0 && !kxs_domid_is_guest(domid))
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = domid < 0 ? NULL : kxs_domain_find(d, domid);
	if (domid >= 0 && !dom)
		ret = -ENOENT;
	else if (dom && test_bit(q, &dom->quota_set))
		*val = dom->quota[q];
	else
		*val = d->quota[q];
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * kxs_domain_set_quota() - set a quota, globally or for one domain
 * @d: the domain table
 * @domid: a guest domain, or -1 for the global value (the default of
 *	every domain without its own)
 * @q: the quota
 * @val: its new value (0: unlimited)
 *
 * Usage above a lowered quota stays; it only cannot grow.
 *
 * Return: 0, -EINVAL for a bad domid, -ENOMEM.
 */
int kxs_domain_set_quota(struct kxs_domains *d, int domid, enum kxs_quota q,
			 u32 val)
{
	struct kxs_domain *dom;
	int ret = 0;

	if (domid >= 0 && !kxs_domid_is_guest(domid))
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = domid < 0 ? NULL : kxs_domain_find_or_create(d, domid);
	if (IS_ERR(dom)) {
		ret = PTR_ERR(dom);
	} else {
		write_seqcount_begin(&d->caller_seq);
		if (!dom) {
			WRITE_ONCE(d->quota[q], val);
		} else {
			WRITE_ONCE(dom->quota[q], val);
			set_bit(q, &dom->quota_set);
		}
		write_seqcount_end(&d->caller_seq);
	}
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * kxs_domain_list() - the domids of the domain table, in order
 * @d: the domain table
 * @ids: where to put them
 * @max: room in @ids
 *
 * Return: how many there are (more than @max if they did not all fit).
 */
unsigned int kxs_domain_list(struct kxs_domains *d, u16 *ids,
			     unsigned int max)
{
	struct kxs_domain *dom;
	unsigned long id;
	unsigned int n = 0;

	mutex_lock(&d->lock);
	xa_for_each(&d->doms, id, dom) {
		if (n < max)
			ids[n] = id;
		n++;
	}
	mutex_unlock(&d->lock);
	return n;
}

/**
 * kxs_domain_mem_used() - bytes a domain's transactions and watches hold
 * @d: the domain table
 * @domid: the domain
 *
 * Return: the bytes (kxs_domain.mem), 0 for a domain the table lacks.
 */
size_t kxs_domain_mem_used(struct kxs_domains *d, u16 domid)
{
	struct kxs_domain *dom;
	size_t mem = 0;

	mutex_lock(&d->lock);
	dom = kxs_domain_find(d, domid);
	if (dom)
		mem = atomic_long_read(&dom->mem);
	mutex_unlock(&d->lock);
	return mem;
}

/**
 * kxs_domain_usage() - what a domain uses, besides the nodes it owns
 * @d: the domain table
 * @domid: a known guest domain
 * @nr_txs: set to its open transactions
 * @nr_watches: set to its watches
 * @nr_conns: set to its bound connections
 * @events_dropped: set to the watch events its full queues dropped
 *
 * Return: 0, -EINVAL for a bad domid, -ENOENT for an unknown domain.
 */
int kxs_domain_usage(struct kxs_domains *d, u16 domid, unsigned int *nr_txs,
		     unsigned int *nr_watches, unsigned int *nr_conns,
		     unsigned long *events_dropped)
{
	struct kxs_domain *dom;
	int ret = 0;

	if (!kxs_domid_is_guest(domid))
		return -EINVAL;
	mutex_lock(&d->lock);
	dom = kxs_domain_find(d, domid);
	if (dom) {
		*nr_txs = dom->nr_txs;
		*nr_watches = dom->nr_watches;
		*nr_conns = dom->nr_conns;
		*events_dropped = dom->events_dropped;
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * kxs_special_get_perms() - GET_PERMS of a special path
 * @d: the domain table
 * @c: the caller, who needs read access
 * @sp: the path
 * @buf: where to put the permissions (see kxs_perms_format())
 * @size: size of @buf
 *
 * Return: bytes written, -EACCES or -E2BIG.
 */
int kxs_special_get_perms(struct kxs_domains *d, const struct kxs_caller *c,
			  enum kxs_special sp, char *buf, size_t size)
{
	int ret;

	mutex_lock(&d->lock);
	if (kxs_perm_access(c, d->special[sp], d->nr_special[sp]) &
	    KXS_PERM_READ)
		ret = kxs_perms_format(d->special[sp], d->nr_special[sp], buf,
				       size);
	else
		ret = -EACCES;
	mutex_unlock(&d->lock);
	return ret;
}

/**
 * kxs_special_set_perms() - SET_PERMS of a special path
 * @d: the domain table
 * @c: the caller: its owner or privileged
 * @sp: the path
 * @perms: the new entries
 * @nr: their number, at least one
 *
 * Return: 0, -EACCES, -EPERM (unprivileged change of owner), -ENOSPC
 * (permissions quota) or -ENOMEM.
 */
int kxs_special_set_perms(struct kxs_domains *d, const struct kxs_caller *c,
			  enum kxs_special sp, const struct kxs_perm *perms,
			  unsigned int nr)
{
	const unsigned int want = KXS_PERM_WRITE | KXS_PERM_OWNER;
	struct kxs_perm *copy;
	int ret = 0;

	if (!nr)
		return -EINVAL;
	if (kxs_over_quota(c, KXS_QUOTA_PERMS, nr))
		return -ENOSPC;
	copy = kmemdup(perms, nr * sizeof(*perms), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	mutex_lock(&d->lock);
	if ((kxs_perm_access(c, d->special[sp], d->nr_special[sp]) & want) !=
	    want) {
		ret = -EACCES;
	} else if (!c->priv && perms[0].domid != d->special[sp][0].domid) {
		ret = -EPERM;
	} else {
		swap(d->special[sp], copy);
		d->nr_special[sp] = nr;
	}
	mutex_unlock(&d->lock);
	kfree(copy);
	return ret;
}
