// SPDX-License-Identifier: GPL-2.0
/*
 * Watches.
 *
 * The table keeps every watch in an rbtree ordered by path, so that the
 * watches a change at <path> triggers are found with one lookup per
 * ancestor of <path> (a watch matches its own path and everything below
 * it, down to its depth), and, when <path> is removed, the watches below
 * it with one range walk: every path with the prefix "<path>/" is in one
 * stretch of the order.
 *
 * A watch's events go to its context through kxs_ctx_ops.event, which
 * queues them, bounded, for read().  Events are only sent for nodes the
 * watching domain may read: a changed node's permissions after the
 * change, a removed node's before it.
 */
#include <linux/bsearch.h>
#include <linux/errno.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "checkpoint.h"
#include "domain.h"
#include "proto.h"
#include "stats.h"
#include "store.h"
#include "watch.h"

void kxs_watch_table_init(struct kxs_watch_table *t)
{
	mutex_init(&t->lock);
	t->tree = RB_ROOT;
	t->nr = 0;
}

/* Every context removed its watches. */
void kxs_watch_table_destroy(struct kxs_watch_table *t)
{
	WARN_ON(!RB_EMPTY_ROOT(&t->tree) || t->nr);
	mutex_destroy(&t->lock);
}

/* @path (of @len bytes) against a watch's path, in byte order. */
static int kxs_watch_cmp(const char *path, size_t len,
			 const struct kxs_watch *w)
{
	int r = strncmp(path, w->path, len);

	if (r)
		return r;
	return w->path[len] ? -1 : 0;
}

/* The first watch whose path is @len bytes at @path or after it. */
static struct kxs_watch *kxs_watch_lower_bound(struct kxs_watch_table *t,
					       const char *path, size_t len)
{
	struct rb_node *rb = t->tree.rb_node;
	struct kxs_watch *best = NULL;

	while (rb) {
		struct kxs_watch *w = rb_entry(rb, struct kxs_watch, node);

		if (kxs_watch_cmp(path, len, w) <= 0) {
			best = w;
			rb = rb->rb_left;
		} else {
			rb = rb->rb_right;
		}
	}
	return best;
}

static struct kxs_watch *kxs_watch_next(struct kxs_watch *w)
{
	struct rb_node *rb = rb_next(&w->node);

	return rb ? rb_entry(rb, struct kxs_watch, node) : NULL;
}

static void kxs_watch_insert(struct kxs_watch_table *t, struct kxs_watch *w)
{
	struct rb_node **link = &t->tree.rb_node, *parent = NULL;

	while (*link) {
		struct kxs_watch *n = rb_entry(*link, struct kxs_watch, node);

		parent = *link;
		/* Equal paths go right: the order among them is arrival. */
		if (kxs_watch_cmp(w->path, strlen(w->path), n) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&w->node, parent, link);
	rb_insert_color(&w->node, &t->tree);
	WRITE_ONCE(t->nr, t->nr + 1);
}

/* Free a watch that is in no table or list. */
void kxs_watch_kfree(struct kxs_watch *w)
{
	if (!w)
		return;
	kxs_stat_dec(KXS_STAT_WATCHES);
	kfree(w);
}

static void kxs_watch_free(struct kxs_domains *d, struct kxs_watch *w)
{
	lockdep_assert_held(&d->watches.lock);
	rb_erase(&w->node, &d->watches.tree);
	WRITE_ONCE(d->watches.nr, d->watches.nr - 1);
	list_del(&w->ctx_link);
	kxs_domain_watch_put(d, w->ctx);
	if (w->mem)
		kxs_domain_mem_uncharge(w->ctx->dom, w->mem);
	kxs_watch_kfree(w);
}

/* A context's watch on @path with @token, if it has one. */
static struct kxs_watch *kxs_watch_find(struct kxs_watch_table *t,
					struct kxs_ctx *ctx, const char *path,
					const char *token)
{
	size_t len = strlen(path);
	struct kxs_watch *w;

	for (w = kxs_watch_lower_bound(t, path, len);
	     w && !kxs_watch_cmp(path, len, w); w = kxs_watch_next(w))
		if (w->ctx == ctx && !strcmp(w->token, token))
			return w;
	return NULL;
}

/**
 * kxs_watch_add() - WATCH: register a watch for a context
 * @d: the domain table, holding the watch table
 * @ctx: the context
 * @c: its caller identity, whose watches quota applies
 * @path: canonical path, or a special path ("@...")
 * @relative: @path was given relative to the domain's directory
 * @token: the token
 * @depth: levels below @path to match, or KXS_WATCH_DEPTH_ANY
 *
 * Return: 0, -EEXIST for a second watch with the same path and token,
 * -ENOSPC over the watches quota, -ENOMEM (also over the memory quota).
 */
int kxs_watch_add(struct kxs_domains *d, struct kxs_ctx *ctx,
		  const struct kxs_caller *c, const char *path, bool relative,
		  const char *token, u32 depth)
{
	size_t plen = strlen(path), tlen = strlen(token);
	struct kxs_watch *w;
	int ret;

	w = kmalloc(struct_size(w, path, plen + 1 + tlen + 1), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	kxs_stat_inc(KXS_STAT_WATCHES);
	w->ctx = ctx;
	w->mem = 0;
	w->depth = depth;
	w->relative = relative;
	memcpy(w->path, path, plen + 1);
	w->token = w->path + plen + 1;
	memcpy(w->token, token, tlen + 1);

	mutex_lock(&d->watches.lock);
	ret = -EEXIST;
	if (kxs_watch_find(&d->watches, ctx, path, token))
		goto err;
	ret = kxs_domain_watch_get(d, ctx, c);
	if (ret)
		goto err;
	if (ctx->dom) {
		w->mem = struct_size(w, path, plen + 1 + tlen + 1);
		ret = kxs_domain_mem_charge(ctx->dom, ctx->store,
					    c->quota[KXS_QUOTA_MEMORY], w->mem);
		if (ret) {
			kxs_domain_watch_put(d, ctx);
			goto err;
		}
	}
	kxs_watch_insert(&d->watches, w);
	list_add_tail(&w->ctx_link, &ctx->watches);
	mutex_unlock(&d->watches.lock);
	return 0;

err:
	mutex_unlock(&d->watches.lock);
	kxs_watch_kfree(w);
	return ret;
}

/**
 * kxs_watch_remove() - UNWATCH: remove a context's watch
 * @d: the domain table, holding the watch table
 * @ctx: the context
 * @path: the path as registered (canonical, or special)
 * @token: the token
 *
 * Return: 0, or -ENOENT if the context has no such watch.
 */
int kxs_watch_remove(struct kxs_domains *d, struct kxs_ctx *ctx,
		     const char *path, const char *token)
{
	struct kxs_watch *w;
	int ret = -ENOENT;

	mutex_lock(&d->watches.lock);
	w = kxs_watch_find(&d->watches, ctx, path, token);
	if (w) {
		kxs_watch_free(d, w);
		ret = 0;
	}
	mutex_unlock(&d->watches.lock);
	return ret;
}

/* Remove every watch of a context (RESET_WATCHES, close, RELEASE). */
void kxs_watch_remove_all(struct kxs_domains *d, struct kxs_ctx *ctx)
{
	struct kxs_watch *w, *tmp;

	mutex_lock(&d->watches.lock);
	list_for_each_entry_safe(w, tmp, &ctx->watches, ctx_link)
		kxs_watch_free(d, w);
	mutex_unlock(&d->watches.lock);
}

static bool kxs_watch_may_read(const struct kxs_watch *w,
			       const struct kxs_perm *perms, unsigned int nr)
{
	struct kxs_ctx *ctx = w->ctx;
	struct kxs_caller c = {
		.domid = ctx->domid,
		.priv = !ctx->dom,
		.target = ctx->dom ? READ_ONCE(ctx->dom->target) :
				     KXS_NO_TARGET,
	};

	return kxs_perm_access(&c, perms, nr) & KXS_PERM_READ;
}

/* Components of @path below its prefix of @len bytes. */
static u32 kxs_depth_below(const char *path, size_t len)
{
	u32 n = 0;

	if (!path[len])
		return 0;
	if (len == 1)		/* below the root: every component counts */
		len = 0;
	for (path += len; *path; path++)
		n += *path == '/';
	return n;
}

/* Send one event for @w, its path made relative if @w's was. */
static void kxs_watch_send(const struct kxs_watch *w, const char *epath)
{
	struct kxs_ctx *ctx = w->ctx;

	if (w->relative)
		epath = kxs_path_home_relative(epath, ctx->domid);
	ctx->ops->event(ctx, epath, w->token);
}

/* An event @w should have had is lost: no memory to judge it. */
static void kxs_watch_lost(const struct kxs_watch *w)
{
	w->ctx->ops->lost(w->ctx);
}

/*
 * The watches on @path and on each of its ancestors, depth honoured: with
 * @perms, tell those that may read; with an error pointer (the node's
 * permissions could not be copied), count each one's event as dropped;
 * with NULL, only say whether there is one (permissions aside).
 */
static bool kxs_watch_above(struct kxs_domains *d, const char *path,
			    const struct kxs_perm *perms, unsigned int nr)
{
	size_t len = strlen(path), end;
	struct kxs_watch *w;

	for (end = 1; end <= len; end++) {
		/* "/", then each prefix ending before a '/', then the path. */
		if (end != 1 && end < len && path[end] != '/')
			continue;
		for (w = kxs_watch_lower_bound(&d->watches, path, end);
		     w && !kxs_watch_cmp(path, end, w);
		     w = kxs_watch_next(w)) {
			if (kxs_depth_below(path, end) > w->depth)
				continue;
			if (!perms)
				return true;
			if (IS_ERR(perms))
				kxs_watch_lost(w);
			else if (kxs_watch_may_read(w, perms, nr))
				kxs_watch_send(w, path);
		}
	}
	return false;
}

/**
 * kxs_watch_fire_changed() - report a change made outside a transaction
 * @d: the domain table, holding the watch table
 * @s: the store
 * @path: canonical path of the node written, created or given new
 *	permissions
 *
 * The node's permissions, which decide who is told, are looked up only
 * when some watch matches: most changes of a store nobody watches there
 * cost no more than the change.
 */
void kxs_watch_fire_changed(struct kxs_domains *d, struct kxs_store *s,
			    const char *path)
{
	struct kxs_perm *perms;
	unsigned int nr;

	/* Nothing registered at all (a registration orders before it). */
	if (!READ_ONCE(d->watches.nr))
		return;
	mutex_lock(&d->watches.lock);
	if (kxs_watch_above(d, path, NULL, 0)) {
		/* None: the node went since (its RM reports that). */
		perms = kxs_store_perms(s, path, &nr);
		if (perms)
			kxs_watch_above(d, path, perms, nr);
		if (!IS_ERR(perms))
			kfree(perms);
	}
	mutex_unlock(&d->watches.lock);
}

/* The first watch strictly below @path (of @len bytes), or NULL. */
static struct kxs_watch *kxs_watch_below(struct kxs_domains *d,
					 struct kxs_watch *w,
					 const char *path, size_t len)
{
	for (; w && !strncmp(w->path, path, len); w = kxs_watch_next(w))
		if (len > 1 && w->path[len] == '/')
			return w;
	return NULL;
}

/**
 * kxs_watch_lock() - hold the watch table across a change and its events
 * @d: the domain table, holding the watch table
 *
 * With the table held from before a removal to its events, the watches
 * judged (kxs_watch_rm_prepare()) are the watches told.  The store lock
 * nests inside.
 */
void kxs_watch_lock(struct kxs_domains *d)
{
	mutex_lock(&d->watches.lock);
}

void kxs_watch_unlock(struct kxs_domains *d)
{
	mutex_unlock(&d->watches.lock);
}

/* A watch's verdict in a plan: no event, an event, or one lost. */
enum { KXS_PLAN_NONE, KXS_PLAN_TELL, KXS_PLAN_LOST };

/**
 * struct kxs_watch_plan - what the watches below a removed node are told
 * @n: watches below the node when it was judged
 * @verdict: per watch, in table order: a KXS_PLAN_* value
 */
struct kxs_watch_plan {
	size_t n;
	u8 verdict[];
};

/**
 * kxs_watch_rm_prepare() - judge the watches below a node to be removed
 * @d: the domain table, its watch table held (kxs_watch_lock())
 * @s: the store, before the removal
 * @path: canonical path of the node
 *
 * A watch below the removed node will be told (with its own path) if its
 * path names a node, removed with the others, that it can read now: as
 * the specification promises, a client may rely on hearing of the
 * removal of a node it can read even when an unreadable parent goes with
 * it.  A watch on a path below that names no node hears nothing, as with
 * the reference daemon (an event for each removed node, exact match).
 * A watch whose node's permissions cannot be copied loses its event,
 * counted as dropped.
 *
 * Return: the verdicts, for kxs_watch_rm_fire(), or NULL if memory ran
 * out (the removed node's permissions then decide for all).
 */
struct kxs_watch_plan *kxs_watch_rm_prepare(struct kxs_domains *d,
					    struct kxs_store *s,
					    const char *path)
{
	size_t len = strlen(path), i, n = 0;
	struct kxs_watch_plan *plan;
	struct kxs_watch *w, *first;
	struct kxs_perm *wp;
	unsigned int wnr;

	lockdep_assert_held(&d->watches.lock);
	first = kxs_watch_lower_bound(&d->watches, path, len);
	for (w = first; (w = kxs_watch_below(d, w, path, len));
	     w = kxs_watch_next(w))
		n++;
	plan = kzalloc(struct_size(plan, verdict, n), GFP_KERNEL);
	if (!plan)
		return NULL;
	plan->n = n;
	for (w = first, i = 0; (w = kxs_watch_below(d, w, path, len));
	     w = kxs_watch_next(w), i++) {
		wp = kxs_store_perms(s, w->path, &wnr);
		if (IS_ERR(wp)) {
			plan->verdict[i] = KXS_PLAN_LOST;
			continue;
		}
		if (wp && kxs_watch_may_read(w, wp, wnr))
			plan->verdict[i] = KXS_PLAN_TELL;
		kfree(wp);
	}
	return plan;
}

/**
 * kxs_watch_rm_fire() - report a removal judged by kxs_watch_rm_prepare()
 * @d: the domain table, its watch table held since the prepare
 * @path: canonical path of the removed node
 * @perms: its permissions before the removal, or an error pointer if
 *	they could not be copied (the events they would decide are lost,
 *	and counted)
 * @nr: their number
 * @plan: the verdicts (freed here), or NULL: @perms decide
 */
void kxs_watch_rm_fire(struct kxs_domains *d, const char *path,
		       const struct kxs_perm *perms, unsigned int nr,
		       struct kxs_watch_plan *plan)
{
	size_t len = strlen(path), i;
	struct kxs_watch *w;

	lockdep_assert_held(&d->watches.lock);
	kxs_watch_above(d, path, perms, nr);
	for (w = kxs_watch_lower_bound(&d->watches, path, len), i = 0;
	     (w = kxs_watch_below(d, w, path, len));
	     w = kxs_watch_next(w), i++) {
		if (plan && i < plan->n) {
			if (plan->verdict[i] == KXS_PLAN_TELL)
				kxs_watch_send(w, w->path);
			else if (plan->verdict[i] == KXS_PLAN_LOST)
				kxs_watch_lost(w);
		} else if (IS_ERR(perms)) {
			kxs_watch_lost(w);
		} else if (kxs_watch_may_read(w, perms, nr)) {
			kxs_watch_send(w, w->path);
		}
	}
	kfree(plan);
}

/**
 * kxs_watch_rm() - RM a node outside transactions, and report it
 * @d: the domain table, holding the watch table
 * @s: the store
 * @c: the caller
 * @path: canonical path
 *
 * See kxs_watch_rm_prepare() for who hears of it.
 *
 * Return: kxs_store_rm()'s result.
 */
int kxs_watch_rm(struct kxs_domains *d, struct kxs_store *s,
		 const struct kxs_caller *c, const char *path)
{
	struct kxs_watch_plan *plan;
	struct kxs_perm *perms;
	unsigned int nr;
	int ret;

	kxs_watch_lock(d);
	plan = kxs_watch_rm_prepare(d, s, path);
	perms = kxs_store_perms(s, path, &nr);
	ret = kxs_store_rm(s, c, path);
	/* No node, no events (an error pointer: they are counted lost). */
	if (!ret && perms)
		kxs_watch_rm_fire(d, path, perms, nr, plan);
	else
		kfree(plan);
	kxs_watch_unlock(d);
	if (!IS_ERR(perms))
		kfree(perms);
	return ret;
}

/**
 * kxs_watch_fire_locked() - report a change to the watches, table held
 * @d: the domain table, its watch table held
 * @path: canonical path of the changed node
 * @perms: its permissions after the change
 * @nr: their number
 */
void kxs_watch_fire_locked(struct kxs_domains *d, const char *path,
			   const struct kxs_perm *perms, unsigned int nr)
{
	lockdep_assert_held(&d->watches.lock);
	kxs_watch_above(d, path, perms, nr);
}

/**
 * kxs_watch_fire_special() - report a domain event to the special watches
 * @d: the domain table, holding the watch table
 * @special: KXS_SPECIAL_INTRODUCE or KXS_SPECIAL_RELEASE
 * @domid: the domain introduced or released
 *
 * A watch on "@<event>" gets "@<event>", or "@<event>/<domid>" with depth
 * 1; a watch on "@<event>/<domid>" gets that path for that domain only.
 * Only domains that may read the special path's permissions are told.
 */
void kxs_watch_fire_special(struct kxs_domains *d, int special, u16 domid)
{
	const char *name = kxs_special_name(special);
	size_t len = strlen(name);
	struct kxs_perm *perms;
	struct kxs_watch *w;
	unsigned int nr;
	char epath[32];

	perms = kxs_special_perms(d, special, &nr);
	if (!perms)
		return;		/* out of memory: watches may miss events */
	snprintf(epath, sizeof(epath), "%s/%u", name, domid);
	mutex_lock(&d->watches.lock);
	for (w = kxs_watch_lower_bound(&d->watches, name, len);
	     w && !strncmp(w->path, name, len); w = kxs_watch_next(w)) {
		if (!kxs_watch_may_read(w, perms, nr))
			continue;
		if (!w->path[len])
			kxs_watch_send(w, w->depth == 1 ? epath : name);
		else if (!strcmp(w->path, epath))
			kxs_watch_send(w, epath);
	}
	mutex_unlock(&d->watches.lock);
	kfree(perms);
}

/**
 * kxs_watch_canon() - the path a WATCH or UNWATCH names, made canonical
 * @wpath: the path as given: absolute, relative to the domain's home, or
 *	special ("@...", kept as it is)
 * @domid: the domain of the caller
 * @out: KXS_PATH_BUF bytes for the result
 * @relative: set to whether @wpath was relative
 *
 * Return: 0, or -EINVAL for a path that is not valid.
 */
int kxs_watch_canon(const char *wpath, u16 domid, char *out, bool *relative)
{
	size_t len = strnlen(wpath, KXS_PATH_BUF);
	int ret;

	*relative = false;
	if (wpath[0] == '@') {
		/*
		 * Any syntax a path may have after the '@', or nothing: the
		 * specification lets a special watch path have any syntax,
		 * and the reference takes "@" alone too.
		 */
		if (len > KXS_PATH_MAX)
			return -EINVAL;
		out[0] = '/';
		memcpy(out + 1, wpath + 1, len);
		ret = kxs_path_valid(out) ? 0 : -EINVAL;
		memcpy(out, wpath, len + 1);
		return ret;
	}
	*relative = wpath[0] != '/';
	return kxs_path_resolve(wpath, domid, out);
}

static u16 kxs_watch_domid(const struct kxs_watch *w)
{
	return w->ctx ? w->ctx->domid : w->domid;
}

/**
 * kxs_watch_saved_path() - a watch's path as a checkpoint stream has it
 * @w: the watch
 * @domid: its domain
 *
 * Return: the path as it was registered: relative to the domain's home
 * if it was given so, as QEMU saves it.
 */
const char *kxs_watch_saved_path(const struct kxs_watch *w, u16 domid)
{
	return w->relative ? kxs_path_home_relative(w->path, domid) : w->path;
}

/* Does a checkpoint carry @w: a watch of @guest without a depth? */
static bool kxs_watch_is_saved(const struct kxs_watch *w, u16 guest)
{
	if (w->ctx && !w->ctx->dom && !w->ctx->dom0_ring)
		return false;	/* the control domain's: not a guest's */
	return kxs_watch_domid(w) == guest && w->depth == KXS_WATCH_DEPTH_ANY;
}

/* Registered path (canonical), token, then absolute before relative. */
static int kxs_watch_canon_cmp(const void *a, const void *b)
{
	const struct kxs_watch *x = *(const struct kxs_watch **)a;
	const struct kxs_watch *y = *(const struct kxs_watch **)b;
	int r = strcmp(x->path, y->path);

	if (!r)
		r = strcmp(x->token, y->token);
	return r ? r : (int)x->relative - (int)y->relative;
}

/* The order of a stream's watch list: path as saved, then token. */
static int kxs_watch_save_cmp(const void *a, const void *b)
{
	const struct kxs_watch *x = *(const struct kxs_watch **)a;
	const struct kxs_watch *y = *(const struct kxs_watch **)b;
	int r = strcmp(kxs_watch_saved_path(x, kxs_watch_domid(x)),
		       kxs_watch_saved_path(y, kxs_watch_domid(y)));

	return r ? r : strcmp(x->token, y->token);
}

/**
 * kxs_watch_saved() - the watches a checkpoint carries
 * @d: the domain table, its watch table and its lock held
 * @guest: the guest domain whose watches a stream carries
 * @nr: set to how many it carries
 * @copies: set to how many are left out as copies of one carried
 *
 * The watches of @guest without a depth, registered or parked, one of
 * each path (made absolute) and token: QEMU's loader refuses a second
 * (EEXIST from do_xs_impl_watch(), which compares the absolute path, the
 * token and the domain), and its guest has one connection, which can
 * have one.  Of equal ones, an absolute one is kept before a relative
 * one.
 *
 * Return: the watches, sorted by registered path and token (kvfree() it),
 * or NULL if memory ran out.
 */
static struct kxs_watch **kxs_watch_saved(struct kxs_domains *d, u16 guest,
					  size_t *nr, unsigned int *copies)
{
	size_t n = 0, i, k = 0, room = d->watches.nr + 1;
	struct kxs_watch **all, *w;
	struct rb_node *rb;

	lockdep_assert_held(&d->watches.lock);
	lockdep_assert_held(&d->lock);
	list_for_each_entry(w, &d->parked_watches, ctx_link)
		room++;
	all = kvmalloc_array(room, sizeof(*all), GFP_KERNEL);
	if (!all)
		return NULL;
	for (rb = rb_first(&d->watches.tree); rb; rb = rb_next(rb)) {
		w = rb_entry(rb, struct kxs_watch, node);
		if (kxs_watch_is_saved(w, guest))
			all[n++] = w;
	}
	list_for_each_entry(w, &d->parked_watches, ctx_link)
		if (kxs_watch_is_saved(w, guest))
			all[n++] = w;
	sort(all, n, sizeof(*all), kxs_watch_canon_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (k && !strcmp(all[i]->path, all[k - 1]->path) &&
		    !strcmp(all[i]->token, all[k - 1]->token))
			continue;
		all[k++] = all[i];
	}
	*nr = k;
	*copies = n - k;
	return all;
}

/**
 * kxs_watch_save() - a checkpoint's list of watches
 * @d: the domain table
 * @guest: the guest domain whose watches the stream carries
 * @b: where to append "path\0token\0" for each (kxs_watch_saved()),
 *	sorted by path as saved and token, then a NUL
 *
 * Context: the domain table's quiesce lock held for writing.
 * Return: 0 or -ENOMEM.
 */
int kxs_watch_save(struct kxs_domains *d, u16 guest, struct kxs_sbuf *b)
{
	struct kxs_watch **all;
	unsigned int copies;
	size_t n, i;

	mutex_lock(&d->watches.lock);
	mutex_lock(&d->lock);
	all = kxs_watch_saved(d, guest, &n, &copies);
	if (!all) {
		mutex_unlock(&d->lock);
		mutex_unlock(&d->watches.lock);
		return -ENOMEM;
	}
	sort(all, n, sizeof(*all), kxs_watch_save_cmp, NULL);
	for (i = 0; i < n; i++) {
		kxs_sbuf_str(b, kxs_watch_saved_path(all[i], guest));
		kxs_sbuf_str(b, all[i]->token);
	}
	kxs_sbuf_u8(b, 0);
	mutex_unlock(&d->lock);
	mutex_unlock(&d->watches.lock);
	kvfree(all);
	return b->err;
}

/**
 * kxs_watch_census() - what a checkpoint does with the guests' watches
 * @d: the domain table
 * @guest: the guest domain whose watches a stream carries
 * @c: set to the counts
 *
 * Return: 0, or -ENOMEM.
 */
int kxs_watch_census(struct kxs_domains *d, u16 guest,
		     struct kxs_watch_census *c)
{
	struct kxs_watch **all, *w;
	unsigned int copies;
	struct rb_node *rb;
	size_t n;

	memset(c, 0, sizeof(*c));
	mutex_lock(&d->watches.lock);
	mutex_lock(&d->lock);
	all = kxs_watch_saved(d, guest, &n, &copies);
	if (!all) {
		mutex_unlock(&d->lock);
		mutex_unlock(&d->watches.lock);
		return -ENOMEM;
	}
	c->saved = n;
	while (n--)
		c->saved_at += !!strchr(all[n]->path, '@');
	if (copies) {
		c->unsaved = copies;
		c->domid = guest;
	}
	kvfree(all);
	for (rb = rb_first(&d->watches.tree); rb; rb = rb_next(rb)) {
		w = rb_entry(rb, struct kxs_watch, node);
		if (w->ctx->dom && !kxs_watch_is_saved(w, guest)) {
			c->domid = w->ctx->domid;
			c->unsaved++;
		}
	}
	list_for_each_entry(w, &d->parked_watches, ctx_link) {
		if (!kxs_watch_is_saved(w, guest)) {
			c->domid = w->domid;
			c->unsaved++;
		}
	}
	mutex_unlock(&d->lock);
	mutex_unlock(&d->watches.lock);
	return 0;
}

static int kxs_watch_ptr_cmp(const void *a, const void *b)
{
	const struct kxs_watch *x = *(const struct kxs_watch **)a;
	const struct kxs_watch *y = *(const struct kxs_watch **)b;

	return x < y ? -1 : x > y;
}

/* A guest's watch (or one of dom0's ring's) that a stream would omit. */
static bool kxs_watch_unsaved(struct kxs_watch *w, struct kxs_watch **saved,
			      size_t nr)
{
	if (w->ctx && !w->ctx->dom && !w->ctx->dom0_ring)
		return false;	/* the control domain's: a process's */
	return !bsearch(&w, saved, nr, sizeof(*saved), kxs_watch_ptr_cmp);
}

/**
 * kxs_watch_for_unsaved() - the watches a stream leaves out
 * @d: the domain table
 * @guest: the guest domain whose watches the stream carries
 * @fn: called for each, with its domain; an error stops the walk
 * @arg: for @fn
 *
 * The watches of guests and of dom0's ring, registered or parked, that
 * kxs_watch_save() leaves out: another domain's, one with a depth, a
 * copy of one carried.  What a checkpoint's domain section carries.
 *
 * Context: the domain table's quiesce lock held for writing; @fn is
 * called with the watch table's and the domain table's locks held.
 * Return: 0, @fn's error, or -ENOMEM.
 */
int kxs_watch_for_unsaved(struct kxs_domains *d, u16 guest,
			  int (*fn)(void *arg, const struct kxs_watch *w,
				    u16 domid),
			  void *arg)
{
	struct kxs_watch **saved, *w;
	unsigned int copies;
	struct rb_node *rb;
	int ret = 0;
	size_t n;

	mutex_lock(&d->watches.lock);
	mutex_lock(&d->lock);
	saved = kxs_watch_saved(d, guest, &n, &copies);
	if (!saved) {
		ret = -ENOMEM;
		goto out;
	}
	sort(saved, n, sizeof(*saved), kxs_watch_ptr_cmp, NULL);
	for (rb = rb_first(&d->watches.tree); rb && !ret; rb = rb_next(rb)) {
		w = rb_entry(rb, struct kxs_watch, node);
		if (kxs_watch_unsaved(w, saved, n))
			ret = fn(arg, w, kxs_watch_domid(w));
	}
	list_for_each_entry(w, &d->parked_watches, ctx_link) {
		if (ret)
			break;
		if (kxs_watch_unsaved(w, saved, n))
			ret = fn(arg, w, w->domid);
	}
	kvfree(saved);
out:
	mutex_unlock(&d->lock);
	mutex_unlock(&d->watches.lock);
	return ret;
}

/**
 * kxs_watch_alloc() - a watch for a restore to park
 * @path: canonical or special path
 * @relative: it was registered relative to the domain's home
 * @token: the token
 * @domid: the guest domain it belongs to
 *
 * Return: the watch, or NULL if memory ran out.
 */
struct kxs_watch *kxs_watch_alloc(const char *path, bool relative,
				  const char *token, u16 domid)
{
	size_t plen = strlen(path), tlen = strlen(token);
	struct kxs_watch *w;

	w = kmalloc(struct_size(w, path, plen + 1 + tlen + 1), GFP_KERNEL);
	if (!w)
		return NULL;
	kxs_stat_inc(KXS_STAT_WATCHES);
	w->ctx = NULL;
	w->mem = 0;
	w->domid = domid;
	w->depth = KXS_WATCH_DEPTH_ANY;
	w->relative = relative;
	memcpy(w->path, path, plen + 1);
	w->token = w->path + plen + 1;
	memcpy(w->token, token, tlen + 1);
	INIT_LIST_HEAD(&w->ctx_link);
	return w;
}

static bool kxs_watch_same(const struct kxs_watch *a,
			   const struct kxs_watch *b)
{
	return kxs_watch_domid(a) == b->domid && a->relative == b->relative &&
	       a->depth == b->depth && !strcmp(a->path, b->path) &&
	       !strcmp(a->token, b->token);
}

/**
 * kxs_watch_count_equal() - how many watches equal one of a stream
 * @d: the domain table
 * @w: a watch of kxs_watch_alloc()
 *
 * Context: the domain table's quiesce lock held for writing.
 * Return: the registered (by guests) and parked watches equal to @w.
 */
unsigned int kxs_watch_count_equal(struct kxs_domains *d,
				   struct kxs_watch *w)
{
	size_t len = strlen(w->path);
	unsigned int n = 0;
	struct kxs_watch *o;

	mutex_lock(&d->watches.lock);
	for (o = kxs_watch_lower_bound(&d->watches, w->path, len);
	     o && !kxs_watch_cmp(w->path, len, o); o = kxs_watch_next(o))
		n += (o->ctx->dom || o->ctx->dom0_ring) &&
		     kxs_watch_same(o, w);
	mutex_unlock(&d->watches.lock);
	mutex_lock(&d->lock);
	list_for_each_entry(o, &d->parked_watches, ctx_link)
		n += kxs_watch_same(o, w);
	mutex_unlock(&d->lock);
	return n;
}

/* Keep a watch of kxs_watch_alloc() for its domain's next connection. */
void kxs_watch_park(struct kxs_domains *d, struct kxs_watch *w)
{
	mutex_lock(&d->lock);
	list_add_tail(&w->ctx_link, &d->parked_watches);
	mutex_unlock(&d->lock);
}

/**
 * kxs_watch_free_parked() - forget parked watches
 * @d: the domain table
 * @domid: those of this domain (RELEASE), or -1 for all (unload)
 */
void kxs_watch_free_parked(struct kxs_domains *d, int domid)
{
	struct kxs_watch *w, *tmp;

	mutex_lock(&d->lock);
	list_for_each_entry_safe(w, tmp, &d->parked_watches, ctx_link) {
		if (domid >= 0 && w->domid != domid)
			continue;
		list_del(&w->ctx_link);
		kxs_watch_kfree(w);
	}
	mutex_unlock(&d->lock);
}

/**
 * kxs_watch_adopt() - a connection just bound to a guest takes over the
 * watches a restore parked for that guest
 * @d: the domain table
 * @ctx: the connection
 *
 * Each adopted watch fires once, as a new watch does: events may have
 * been missed since the checkpoint (the protocol allows spurious ones).
 * A connection takes one watch of each path and token, as WATCH allows;
 * equal ones stay parked for the domain's next connection.
 */
void kxs_watch_adopt(struct kxs_domains *d, struct kxs_ctx *ctx)
{
	struct kxs_watch *w, *tmp;
	unsigned int n = 0;
	LIST_HEAD(adopted);

	mutex_lock(&d->watches.lock);
	mutex_lock(&d->lock);
	/*
	 * Released meanwhile: the connection is dead, RELEASE forgets them.
	 * Of the control domain's connections only dom0's ring takes any.
	 */
	if (ctx->dom ? ctx->dom->released : !ctx->dom0_ring)
		goto out;
	list_for_each_entry_safe(w, tmp, &d->parked_watches, ctx_link) {
		if (w->domid != ctx->domid ||
		    kxs_watch_find(&d->watches, ctx, w->path, w->token))
			continue;	/* one of each for a connection, as WATCH */
		list_move_tail(&w->ctx_link, &adopted);
		w->ctx = ctx;
		kxs_watch_insert(&d->watches, w);
		n++;
	}
	kxs_domain_adopt_locked(ctx, 0, n);
out:
	mutex_unlock(&d->lock);
	list_for_each_entry(w, &adopted, ctx_link)
		kxs_watch_send(w, w->path);
	list_splice_tail(&adopted, &ctx->watches);
	mutex_unlock(&d->watches.lock);
}
