// SPDX-License-Identifier: GPL-2.0
/*
 * Restore: a stream in QEMU's xenstore serialization format made the
 * store's state (Documentation/checkpoint.rst).
 *
 * All or nothing.  The stream is first parsed whole into a private form
 * and checked (grammar, lengths, names and paths, permission strings,
 * NODE_REF targets, transaction ids, watch paths, trailing bytes); a
 * stream that fails changes nothing.  Then, with every request held off:
 *
 *  - the tree is made equal to the stream's main tree by one transaction
 *    of the control domain: only the nodes that differ change, so
 *    restoring a checkpoint of the current state changes nothing, and
 *    watches hear what does change, as they would a commit.  Into a
 *    store that has only its root and no watch (a freshly loaded
 *    module), the tree is built directly and published in one step;
 *  - each transaction of the stream whose id a live transaction of the
 *    same domain holds is left to the live one; the others are rebuilt
 *    as records over the restored tree and parked for their domain;
 *  - each watch of the stream that is not registered already is parked
 *    for the guest the stream's watches belong to.
 *
 * The parsed form is kept in one arena, freed at once.  Walks are
 * iterative: trees can be 1500 levels deep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu-rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "checkpoint.h"
#include "checkpoint_domains.h"
#include "domain.h"
#include "path.h"
#include "proto.h"
#include "store.h"
#include "transaction.h"
#include "watch.h"

/**
 * struct kxs_pn - a node of a parsed stream
 * @target: for a NODE_REF, the node it refers to (never itself a
 *	reference); otherwise the node itself
 * @kids: the children, sorted by name, once all are parsed
 * @first: the last child parsed, while the children are parsed
 * @next: the previous sibling, while the parent's children are parsed
 * @name: the node's name (in the stream), "" for a tree's root
 * @value: its value (in the stream)
 * @perms: its permissions
 * @len: length of @value
 * @nr_kids: entries in @kids
 * @nr_perms: entries in @perms
 * @flags: KXS_CP_* flags
 */
struct kxs_pn {
	struct kxs_pn *target;
	struct kxs_pn **kids;
	struct kxs_pn *first;
	struct kxs_pn *next;
	const char *name;
	const u8 *value;
	struct kxs_perm *perms;
	u32 len;
	u32 nr_kids;
	u16 nr_perms;
	u8 flags;
};

struct kxs_ptree {
	u32 id;
	u32 base;
	u32 domid;
	struct kxs_pn *root;
	struct kxs_tx *tx;	/* while applied: its rebuilt records */
	bool live;		/* a live transaction of its domain has its id */
};

struct kxs_pwatch {
	struct kxs_watch *w;	/* to park; NULL once parked */
	bool there;		/* registered or parked already */
};

struct kxs_chunk {
	struct kxs_chunk *next;
	size_t used;
	size_t size;
	u8 data[];
};

#define KXS_CHUNK_SIZE	(64 * 1024)

/**
 * struct kxs_pstream - a parsed stream
 * @p: the next byte to parse
 * @left: bytes left from @p
 * @guest: the guest domain its watches belong to
 * @domains: a domain section follows the watch list
 * @dsec: the parsed domain section
 * @last_tx: the last transaction id handed out
 * @main: the main tree
 * @txs: its transactions, in stream order
 * @nr_txs: entries in @txs
 * @watches: its watches, in stream order
 * @nr_watches: entries in @watches
 * @cur: the tree being parsed (a NODE_REF cannot name it)
 * @ids: index + 1 in @txs of each transaction parsed, by id
 * @chunks: the arena everything above lives in
 * @path: scratch for the path being parsed or applied
 */
struct kxs_pstream {
	const u8 *p;
	size_t left;
	u16 guest;
	bool domains;
	struct kxs_dsec *dsec;
	u32 last_tx;
	struct kxs_ptree main;
	struct kxs_ptree *txs;
	u32 nr_txs;
	struct kxs_pwatch *watches;
	u32 nr_watches;
	struct kxs_ptree *cur;
	struct xarray ids;
	struct kxs_chunk *chunks;
	char path[KXS_PATH_BUF];
};

static void *kxs_arena_alloc(struct kxs_pstream *ps, size_t size)
{
	struct kxs_chunk *c = ps->chunks;
	void *p;

	size = ALIGN(size, sizeof(long));
	if (!c || c->size - c->used < size) {
		size_t room = max_t(size_t, size, KXS_CHUNK_SIZE);

		c = kvmalloc(struct_size(c, data, room), GFP_KERNEL);
		if (!c)
			return NULL;
		c->size = room;
		c->used = 0;
		/* A big one goes behind the current chunk, which has room. */
		if (ps->chunks && room > KXS_CHUNK_SIZE) {
			c->next = ps->chunks->next;
			ps->chunks->next = c;
		} else {
			c->next = ps->chunks;
			ps->chunks = c;
		}
	}
	p = c->data + c->used;
	c->used += size;
	return p;
}

static void kxs_pstream_free(struct kxs_pstream *ps)
{
	struct kxs_chunk *c, *next;
	u32 i;

	kxs_dsec_free(ps->dsec);
	for (i = 0; ps->watches && i < ps->nr_watches; i++)
		kxs_watch_kfree(ps->watches[i].w);
	for (i = 0; ps->txs && i < ps->nr_txs; i++)
		kxs_tx_discard(ps->txs[i].tx);
	for (c = ps->chunks; c; c = next) {
		next = c->next;
		kvfree(c);
	}
	xa_destroy(&ps->ids);
	kvfree(ps->txs);
	kvfree(ps->watches);
	kvfree(ps);
}

static int kxs_get_u8(struct kxs_pstream *ps, u8 *v)
{
	if (ps->left < 1)
		return -EINVAL;
	*v = *ps->p++;
	ps->left--;
	return 0;
}

static int kxs_get_be32(struct kxs_pstream *ps, u32 *v)
{
	__be32 be;

	if (ps->left < sizeof(be))
		return -EINVAL;
	memcpy(&be, ps->p, sizeof(be));
	*v = be32_to_cpu(be);
	ps->p += sizeof(be);
	ps->left -= sizeof(be);
	return 0;
}

/* A NUL-terminated string of the stream; *@len excludes the NUL. */
static int kxs_get_str(struct kxs_pstream *ps, const char **s, size_t *len)
{
	size_t n = strnlen((const char *)ps->p, ps->left);

	if (n == ps->left)
		return -EINVAL;
	*s = (const char *)ps->p;
	*len = n;
	ps->p += n + 1;
	ps->left -= n + 1;
	return 0;
}

/* The tree a NODE_REF names: the main tree or an earlier transaction. */
static struct kxs_pn *kxs_ptree_root(struct kxs_pstream *ps, u32 id)
{
	u32 i;

	void *v;

	if (id == ps->main.id)
		return ps->main.root;
	/* Only the earlier transactions are in @ids: not the current one. */
	v = xa_load(&ps->ids, id);
	if (!v)
		return NULL;
	i = xa_to_value(v) - 1;
	return ps->txs[i].root;
}

static int kxs_pn_cmp(const void *a, const void *b)
{
	const struct kxs_pn *x = *(const struct kxs_pn **)a;
	const struct kxs_pn *y = *(const struct kxs_pn **)b;

	return strcmp(x->name, y->name);
}

static struct kxs_pn *kxs_pn_child(const struct kxs_pn *n, const char *name,
				   size_t len)
{
	u32 lo = 0, hi = n->nr_kids;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		int r = strncmp(name, n->kids[mid]->name, len);

		if (!r && n->kids[mid]->name[len])
			r = -1;
		if (!r)
			return n->kids[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The node at ps->path in the tree @id (the same path, another tree). */
static struct kxs_pn *kxs_ref_resolve(struct kxs_pstream *ps, u32 id)
{
	struct kxs_pn *n = kxs_ptree_root(ps, id);
	const char *p = ps->path;

	while (n && p[0] == '/' && p[1]) {
		size_t len;

		p++;
		len = strchrnul(p, '/') - p;
		n = kxs_pn_child(n->target, p, len);
		p += len;
	}
	return n ? n->target : NULL;
}

/* The children of @n are all parsed: sort them, refuse duplicates. */
static int kxs_pn_seal(struct kxs_pstream *ps, struct kxs_pn *n)
{
	struct kxs_pn *k;
	u32 i = 0;

	if (!n->nr_kids)
		return 0;
	n->kids = kxs_arena_alloc(ps, n->nr_kids * sizeof(*n->kids));
	if (!n->kids)
		return -ENOMEM;
	/* Linked in reverse: put them back in stream order. */
	for (k = n->first, i = n->nr_kids; k; k = k->next)
		n->kids[--i] = k;
	n->first = NULL;
	/* Our streams are sorted already; QEMU's follow its hash tables. */
	for (i = 1; i < n->nr_kids; i++)
		if (strcmp(n->kids[i - 1]->name, n->kids[i]->name) >= 0)
			break;
	if (i == n->nr_kids)
		return 0;
	sort(n->kids, n->nr_kids, sizeof(*n->kids), kxs_pn_cmp, NULL);
	for (i = 1; i < n->nr_kids; i++)
		if (!strcmp(n->kids[i - 1]->name, n->kids[i]->name))
			return -EINVAL;
	return 0;
}

/*
 * A node's flags, and unless it is a NODE_REF, its value and permissions.
 * ps->path is the node's path.
 */
static int kxs_parse_node_head(struct kxs_pstream *ps, struct kxs_pn *n,
			       bool main)
{
	const char *s;
	size_t len;
	u32 i;
	int ret;

	ret = kxs_get_u8(ps, &n->flags);
	if (ret)
		return ret;
	n->target = n;
	if (n->flags == KXS_CP_NODE_REF) {
		u32 id;

		/* The main tree is written first: it can refer to nothing. */
		if (main || kxs_get_be32(ps, &id))
			return -EINVAL;
		n->target = kxs_ref_resolve(ps, id);
		return n->target ? 0 : -EINVAL;
	}
	if (n->flags & ~(KXS_CP_MODIFIED_IN_TX | KXS_CP_DELETED_IN_TX))
		return -EINVAL;
	if (kxs_get_be32(ps, &n->len) || n->len > ps->left ||
	    n->len > KXS_PAYLOAD_MAX)
		return -EINVAL;
	n->value = ps->p;
	ps->p += n->len;
	ps->left -= n->len;

	/* Count the permission strings, then parse them. */
	s = (const char *)ps->p;
	for (i = 0;; i++) {
		ret = kxs_get_str(ps, &s, &len);
		if (ret)
			return ret;
		if (!len)
			break;
		if (i == U16_MAX)
			return -EINVAL;
	}
	n->nr_perms = i;
	if (!i)
		/* Only a removed node may have none (QEMU's loader agrees). */
		return n->flags & KXS_CP_DELETED_IN_TX ? 0 : -EINVAL;
	n->perms = kxs_arena_alloc(ps, i * sizeof(*n->perms));
	if (!n->perms)
		return -ENOMEM;
	for (s = (const char *)n->value + n->len, i = 0; i < n->nr_perms;
	     i++) {
		len = strlen(s);
		if (kxs_perms_parse(s, len + 1, &n->perms[i], 1) != 1)
			return -EINVAL;
		s += len + 1;
	}
	return 0;
}

/* One tree: its id, then its root node, then every node below. */
static int kxs_parse_tree(struct kxs_pstream *ps, struct kxs_ptree *t,
			  bool main)
{
	struct kxs_pn **stack;
	size_t *plen;
	int depth = 0, ret;

	if (kxs_get_be32(ps, &t->id) || !t->id || t->id > ps->last_tx)
		return -EINVAL;
	ps->cur = t;
	stack = kvmalloc_array(KXS_DEPTH_MAX + 1, sizeof(*stack),
			       GFP_KERNEL);
	plen = kvmalloc_array(KXS_DEPTH_MAX + 1, sizeof(*plen), GFP_KERNEL);
	ret = -ENOMEM;
	t->root = kxs_arena_alloc(ps, sizeof(*t->root));
	if (!stack || !plen || !t->root)
		goto out;
	memset(t->root, 0, sizeof(*t->root));
	t->root->name = "";
	strscpy(ps->path, "/", sizeof(ps->path));
	ret = kxs_parse_node_head(ps, t->root, main);
	if (ret)
		goto out;
	/* A tree's root is a node, never a removed one. */
	ret = -EINVAL;
	if (t->root->target->flags & KXS_CP_DELETED_IN_TX)
		goto out;
	ret = 0;
	if (t->root->flags == KXS_CP_NODE_REF)
		goto out;
	stack[0] = t->root;
	plen[0] = 1;
	while (depth >= 0) {
		struct kxs_pn *parent = stack[depth], *n;
		size_t len, off = plen[depth] > 1 ? plen[depth] + 1 : 1;
		const char *name;

		cond_resched();
		ret = kxs_get_str(ps, &name, &len);
		if (ret)
			break;
		if (!len) {
			ret = kxs_pn_seal(ps, parent);
			if (ret)
				break;
			depth--;
			continue;
		}
		/* The parent's path is valid: the name is all to check. */
		ret = -EINVAL;
		if (off + len > KXS_PATH_MAX || depth == KXS_DEPTH_MAX ||
		    parent->nr_kids == U32_MAX ||
		    !kxs_path_name_valid(name, len))
			break;
		ps->path[off - 1] = '/';
		memcpy(ps->path + off, name, len + 1);
		ret = -ENOMEM;
		n = kxs_arena_alloc(ps, sizeof(*n));
		if (!n)
			break;
		memset(n, 0, sizeof(*n));
		n->name = name;
		ret = kxs_parse_node_head(ps, n, main);
		if (ret)
			break;
		/* Below a removed node, everything is removed. */
		ret = -EINVAL;
		if ((parent->flags & KXS_CP_DELETED_IN_TX) &&
		    !(n->target->flags & KXS_CP_DELETED_IN_TX))
			break;
		ret = 0;
		n->next = parent->first;
		parent->first = n;
		parent->nr_kids++;
		if (n->flags == KXS_CP_NODE_REF)
			continue;
		stack[++depth] = n;
		plen[depth] = off + len;
	}
out:
	ps->cur = NULL;
	kvfree(stack);
	kvfree(plen);
	return ret;
}

static int kxs_parse_watch(struct kxs_pstream *ps, struct kxs_pwatch *pw,
			   const char *path, size_t plen, const char *token,
			   size_t tlen)
{
	bool relative;
	int ret;

	/*
	 * Its events (the path as given, the token, their NULs) must fit in
	 * a message, as its WATCH did: one that cannot would never fire.
	 */
	if (plen + 1 + tlen + 1 > KXS_PAYLOAD_MAX)
		return -EINVAL;
	ret = kxs_watch_canon(path, ps->guest, ps->path, &relative);
	if (ret)
		return ret;
	pw->w = kxs_watch_alloc(ps->path, relative, token, ps->guest);
	return pw->w ? 0 : -ENOMEM;
}

/* The whole stream, checked; nothing of the store is looked at. */
static int kxs_parse(struct kxs_pstream *ps)
{
	const char *path, *token;
	size_t plen, tlen;
	u32 base;
	int ret;

	if (kxs_get_be32(ps, &ps->last_tx))
		return -EINVAL;
	ret = kxs_parse_tree(ps, &ps->main, true);
	if (ret)
		return ret;
	for (;;) {
		struct kxs_ptree *t, *grown;

		if (kxs_get_be32(ps, &base))
			return -EINVAL;
		if (!base)
			break;
		grown = kxs_grow(ps->txs, ps->nr_txs, sizeof(*ps->txs));
		if (!grown)
			return -ENOMEM;
		ps->txs = grown;
		t = &ps->txs[ps->nr_txs];
		memset(t, 0, sizeof(*t));
		ps->nr_txs++;
		t->base = base;
		if (kxs_get_be32(ps, &t->domid) || t->domid > U16_MAX ||
		    (t->domid != KXS_DOMID_CONTROL &&
		     !kxs_domid_is_guest(t->domid)))
			return -EINVAL;
		ret = kxs_parse_tree(ps, t, false);
		if (ret)
			return ret;
		/* Ids we hand out start above the main tree's. */
		if (t->id < KXS_TXID_FIRST || t->id == ps->main.id)
			return -EINVAL;
		ret = xa_insert(&ps->ids, t->id, xa_mk_value(ps->nr_txs),
				GFP_KERNEL);
		if (ret)
			return ret == -EBUSY ? -EINVAL : ret;
	}
	for (;;) {
		struct kxs_pwatch *grown;

		ret = kxs_get_str(ps, &path, &plen);
		if (ret)
			return ret;
		if (!plen)
			break;
		ret = kxs_get_str(ps, &token, &tlen);
		if (ret)
			return ret;
		grown = kxs_grow(ps->watches, ps->nr_watches,
				 sizeof(*ps->watches));
		if (!grown)
			return -ENOMEM;
		ps->watches = grown;
		memset(&ps->watches[ps->nr_watches], 0,
		       sizeof(*ps->watches));
		ps->nr_watches++;
		ret = kxs_parse_watch(ps, &ps->watches[ps->nr_watches - 1],
				      path, plen, token, tlen);
		if (ret)
			return ret;
	}
	if (ps->domains) {
		struct kxs_dsec *ds;
		u32 n;

		if (kxs_get_be32(ps, &n) || n != ps->left)
			return -EINVAL;
		ds = kxs_dsec_parse(ps->p, n);
		if (IS_ERR(ds))
			return PTR_ERR(ds);
		ps->dsec = ds;
		ps->left = 0;
	}
	return ps->left ? -EINVAL : 0;
}

/* kxs_pn.flags, beyond the stream's: the live subtree is the same. */
#define KXS_PN_SAME	0x80

/* Is the live node at ps->path the parsed @n, with @nkids children? */
static bool kxs_rs_live_same(struct kxs_pstream *ps, struct kxs_store *s,
			     const struct kxs_pn *n, u32 nkids)
{
	struct kxs_node *node;
	struct kxs_data *d;
	bool same;

	rcu_read_lock();
	node = kxs_store_lookup_rcu(s, ps->path);
	d = node ? rcu_dereference(node->data) : NULL;
	same = d && READ_ONCE(node->nr_children) == nkids &&
	       kxs_data_is(d, n->value, n->len, n->perms, n->nr_perms);
	rcu_read_unlock();
	return same;
}

static u32 kxs_pn_live_kids(const struct kxs_pn *n)
{
	u32 i, nr = 0;

	for (i = 0; i < n->nr_kids; i++)
		nr += !(n->kids[i]->target->flags & KXS_CP_DELETED_IN_TX);
	return nr;
}

struct kxs_same_frame {
	struct kxs_pn *n;
	u32 kid;
	size_t plen;
	bool same;
};

/*
 * Mark the subtrees of the main tree that the live tree has already, the
 * same to the byte: restoring a checkpoint of the current state then
 * touches nothing, and a restore that changes little costs little.  Every
 * request is held off, so nothing changes meanwhile.
 */
static int kxs_rs_mark_same(struct kxs_pstream *ps, struct kxs_store *s)
{
	struct kxs_same_frame *frames;
	int depth = 0;

	frames = kvmalloc_array(KXS_DEPTH_MAX + 1, sizeof(*frames),
				GFP_KERNEL);
	if (!frames)
		return -ENOMEM;
	strscpy(ps->path, "/", sizeof(ps->path));
	frames[0].n = ps->main.root;
	frames[0].kid = 0;
	frames[0].plen = 1;
	frames[0].same = kxs_rs_live_same(ps, s, ps->main.root,
					  kxs_pn_live_kids(ps->main.root));
	while (depth >= 0) {
		struct kxs_same_frame *f = &frames[depth];
		size_t off = f->plen > 1 ? f->plen + 1 : 1, len;
		struct kxs_pn *k;

		cond_resched();
		if (f->kid == f->n->nr_kids) {
			if (f->same)
				f->n->flags |= KXS_PN_SAME;
			if (depth)
				frames[depth - 1].same &= f->same;
			depth--;
			continue;
		}
		k = f->n->kids[f->kid++];
		if (k->flags & KXS_CP_DELETED_IN_TX)
			continue;
		len = strlen(k->name);
		ps->path[off - 1] = '/';
		memcpy(ps->path + off, k->name, len + 1);
		f = &frames[++depth];
		f->n = k;
		f->kid = 0;
		f->plen = off + len;
		f->same = kxs_rs_live_same(ps, s, k, kxs_pn_live_kids(k));
	}
	kvfree(frames);
	return 0;
}

/*
 * One level of a tree being applied: its parsed node, the main tree's
 * node at the same path (for a transaction: what it shares is skipped),
 * and the view's children there, to remove those the stream lacks.
 */
struct kxs_rs_frame {
	struct kxs_pn *n;
	struct kxs_pn *m;
	char *view;
	size_t vlen;
	size_t voff;
	u32 kid;
	struct kxs_tx_at at;
};

/*
 * Make @tx's view at ps->path what the parsed node @n says.  For the main
 * tree (@main), changes are reported; for a transaction, what its flags
 * say is (what its commit reports).  Return: 1 to go below, 0 if done.
 */
static int kxs_rs_node(struct kxs_pstream *ps, struct kxs_tx *tx,
		       const struct kxs_caller *c, struct kxs_pn *n,
		       struct kxs_pn *m, bool main, const struct kxs_tx_at *at)
{
	struct kxs_pn *t = n->target;
	struct kxs_perm *perms;
	struct kxs_data *d;
	unsigned int nr;
	bool written;
	int ret;

	/* A transaction's subtree shared with the main tree is the live one. */
	if (!main && m && t == m)
		return 0;
	/* The stream's subtree is the live one already. */
	if (main && (t->flags & KXS_PN_SAME))
		return 0;
	if (t->flags & KXS_CP_DELETED_IN_TX) {
		d = kxs_tx_view_data(tx, at);
		kxs_data_put(d);
		/*
		 * Made and removed by the transaction: made (with the
		 * permissions the removal is judged by), then removed.
		 */
		if (!d && !main) {
			ret = kxs_tx_put_node(tx, c, at, NULL, 0,
					      t->nr_perms ? t->perms : NULL,
					      t->nr_perms, false);
			if (ret < 0)
				return ret;
			d = ERR_PTR(-EEXIST);
		}
		if (!d)
			return 0;
		ret = kxs_tx_rm_at(tx, c, at, &perms, &nr);
		if (!ret)
			ret = kxs_tx_note(tx, ps->path, true, perms, nr);
		return ret;
	}
	/*
	 * A transaction's node is noted as its flags say, written with what
	 * it had if it must be (its commit still reports it); the main
	 * tree's when it changes.
	 */
	written = !main && (t->flags & KXS_CP_MODIFIED_IN_TX);
	ret = kxs_tx_put_node(tx, c, at, t->value, t->len, t->perms,
			      t->nr_perms, written);
	if (ret < 0)
		return ret;
	if (!main)
		ret = written;
	if (ret) {
		ret = kxs_tx_note(tx, ps->path, false, NULL, 0);
		if (ret)
			return ret;
	}
	return 1;
}

/* Remove the view's child @name of the node @parent (at ps->path). */
static int kxs_rs_rm_child(struct kxs_pstream *ps, struct kxs_tx *tx,
			   const struct kxs_caller *c,
			   const struct kxs_tx_at *parent, const char *name,
			   bool main)
{
	size_t off = parent->len > 1 ? parent->len + 1 : 1;
	size_t len = strlen(name);
	struct kxs_perm *perms;
	struct kxs_tx_at at;
	unsigned int nr;
	int ret;

	if (off + len > KXS_PATH_MAX)
		return -EINVAL;
	ps->path[off - 1] = '/';
	memcpy(ps->path + off, name, len + 1);
	kxs_tx_at_child(tx, parent, off + len, &at);
	ret = kxs_tx_rm_at(tx, c, &at, &perms, &nr);
	if (ret)
		return ret;
	if (main)
		return kxs_tx_note(tx, ps->path, true, perms, nr);
	kfree(perms);
	return 0;
}

static int kxs_rs_frame_open(struct kxs_pstream *ps, struct kxs_tx *tx,
			     struct kxs_rs_frame *f, struct kxs_pn *n,
			     struct kxs_pn *m, const struct kxs_tx_at *at)
{
	f->n = n->target;
	f->m = m;
	f->kid = 0;
	f->voff = 0;
	f->at = *at;
	f->view = NULL;
	ps->path[at->len] = '\0';
	return kxs_tx_view_children(tx, at, &f->view, &f->vlen);
}

/* Make @tx's view of the whole tree that of the parsed tree @root. */
static int kxs_rs_tree(struct kxs_pstream *ps, struct kxs_tx *tx,
		       const struct kxs_caller *c, struct kxs_pn *root,
		       bool main)
{
	struct kxs_rs_frame *frames;
	struct kxs_tx_at at;
	int depth = 0, ret;

	strscpy(ps->path, "/", sizeof(ps->path));
	kxs_tx_at_root(&at, ps->path);
	ret = kxs_rs_node(ps, tx, c, root, main ? NULL : ps->main.root, main,
			  &at);
	if (ret <= 0)
		return ret;
	frames = kvmalloc_array(KXS_DEPTH_MAX + 1, sizeof(*frames),
				GFP_KERNEL);
	if (!frames)
		return -ENOMEM;
	ret = kxs_rs_frame_open(ps, tx, &frames[0], root,
				main ? NULL : ps->main.root->target, &at);
	while (!ret && depth >= 0) {
		struct kxs_rs_frame *f = &frames[depth];
		const char *vname = f->voff < f->vlen ? f->view + f->voff : NULL;
		struct kxs_pn *k = f->kid < f->n->nr_kids ? f->n->kids[f->kid] :
			NULL;
		size_t off = f->at.len > 1 ? f->at.len + 1 : 1, len;
		struct kxs_pn *m = NULL;
		int r;

		cond_resched();
		if (!vname && !k) {
			kvfree(f->view);
			depth--;
			continue;
		}
		r = !k ? -1 : !vname ? 1 : strcmp(vname, k->name);
		if (r <= 0)
			f->voff += strlen(vname) + 1;
		if (r < 0) {
			/* In the view, not in the stream's tree. */
			ret = kxs_rs_rm_child(ps, tx, c, &f->at, vname, main);
			continue;
		}
		f->kid++;
		len = strlen(k->name);
		ps->path[off - 1] = '/';
		memcpy(ps->path + off, k->name, len + 1);
		if (f->m)
			m = kxs_pn_child(f->m, k->name, len);
		m = m ? m->target : NULL;
		kxs_tx_at_child(tx, &f->at, off + len, &at);
		ret = kxs_rs_node(ps, tx, c, k, m, main, &at);
		if (ret <= 0)
			continue;
		ret = -EINVAL;
		if (depth == KXS_DEPTH_MAX)
			break;
		depth++;
		ret = kxs_rs_frame_open(ps, tx, &frames[depth], k, m, &at);
	}
	while (depth >= 0)
		kvfree(frames[depth--].view);
	kvfree(frames);
	return ret;
}

/*
 * The stream's main tree built straight into a store that has only its
 * root (a freshly loaded module) and that nobody watches: nothing to
 * compare, no event to report.  Return: -EBUSY if the store is not so.
 */
static int kxs_rs_load(struct kxs_pstream *ps, struct kxs_store *s,
		       struct kxs_domains *d)
{
	struct kxs_pn *root = ps->main.root->target, **nodes;
	struct kxs_load l;
	u32 *kid;
	int depth = 0, ret;

	if (READ_ONCE(d->watches.nr))
		return -EBUSY;
	nodes = kvmalloc_array(KXS_DEPTH_MAX + 1, sizeof(*nodes),
			       GFP_KERNEL);
	kid = kvmalloc_array(KXS_DEPTH_MAX + 1, sizeof(*kid), GFP_KERNEL);
	ret = -ENOMEM;
	if (!nodes || !kid)
		goto out;
	ret = kxs_store_load_begin(s, &l, root->perms, root->nr_perms,
				   root->value, root->len);
	if (ret)
		goto out;
	nodes[0] = root;
	kid[0] = 0;
	while (!ret && depth >= 0) {
		struct kxs_pn *n;

		cond_resched();
		if (kid[depth] == nodes[depth]->nr_kids) {
			depth--;
			continue;
		}
		n = nodes[depth]->kids[kid[depth]++]->target;
		/* QEMU may leave a removed node in its main tree: absent. */
		if (n->flags & KXS_CP_DELETED_IN_TX)
			continue;
		ret = -EINVAL;
		if (depth == KXS_DEPTH_MAX)
			break;
		ret = kxs_store_load_node(&l, depth + 1, n->name,
					  strlen(n->name), n->perms,
					  n->nr_perms, n->value, n->len);
		nodes[++depth] = n;
		kid[depth] = 0;
	}
	if (ret)
		kxs_store_load_abort(&l);
	else
		ret = kxs_store_load_commit(&l);
out:
	kvfree(nodes);
	kvfree(kid);
	return ret;
}

static int kxs_pwatch_cmp(const void *a, const void *b)
{
	const struct kxs_watch *x = (*(const struct kxs_pwatch **)a)->w;
	const struct kxs_watch *y = (*(const struct kxs_pwatch **)b)->w;
	int r = strcmp(x->path, y->path);

	if (!r)
		r = strcmp(x->token, y->token);
	return r ? r : (int)x->relative - (int)y->relative;
}

/*
 * Mark the stream's watches that are there already: of k equal ones in
 * the stream, as many as are registered or parked (equal ones are
 * interchangeable).  Sorted first, so that it costs W log W, not W^2.
 */
static int kxs_rs_watches_there(struct kxs_pstream *ps,
				struct kxs_domains *d)
{
	struct kxs_pwatch **order;
	u32 i, j, have;

	if (!ps->nr_watches)
		return 0;
	order = kvmalloc_array(ps->nr_watches, sizeof(*order), GFP_KERNEL);
	if (!order)
		return -ENOMEM;
	for (i = 0; i < ps->nr_watches; i++)
		order[i] = &ps->watches[i];
	sort(order, ps->nr_watches, sizeof(*order), kxs_pwatch_cmp, NULL);
	for (i = 0; i < ps->nr_watches; i = j) {
		have = kxs_watch_count_equal(d, order[i]->w);
		for (j = i; j < ps->nr_watches &&
		     !kxs_pwatch_cmp(&order[i], &order[j]); j++)
			order[j]->there = j - i < have;
		cond_resched();
	}
	kvfree(order);
	return 0;
}

/* Apply a parsed stream; requests are held off. */
static int kxs_apply(struct kxs_pstream *ps, struct kxs_store *s,
		     struct kxs_domains *d)
{
	struct kxs_caller c = { .domid = KXS_DOMID_CONTROL, .priv = true,
				.target = KXS_NO_TARGET };
	struct kxs_tx *mtx;
	u32 i;
	int ret;

	/* What is live already, and ids held by another domain. */
	for (i = 0; i < ps->nr_txs; i++) {
		struct kxs_ptree *t = &ps->txs[i];
		struct kxs_tx *live = kxs_tx_lookup(d, t->id);

		if (live && live->domid != t->domid)
			return -EBUSY;
		t->live = live;
	}
	ret = kxs_rs_watches_there(ps, d);
	if (ret)
		return ret;

	ret = kxs_rs_load(ps, s, d);
	if (ret == -EBUSY)
		ret = kxs_rs_mark_same(ps, s);
	else if (!ret)
		ps->main.root->flags |= KXS_PN_SAME;	/* built: done */
	if (!ret && !(ps->main.root->flags & KXS_PN_SAME)) {
		mtx = kxs_tx_new(s, d, KXS_DOMID_CONTROL);
		if (!mtx)
			return -ENOMEM;
		ret = kxs_rs_tree(ps, mtx, &c, ps->main.root, true);
		if (!ret)
			ret = kxs_tx_commit_detached(mtx);
		kxs_tx_discard(mtx);
	}
	if (ret)
		return ret;

	/*
	 * The tree is the stream's now.  Transactions are rebuilt over it;
	 * running out of memory here loses them (and is reported).
	 */
	for (i = 0; i < ps->nr_txs; i++) {
		struct kxs_ptree *t = &ps->txs[i];
		struct kxs_caller tc = { .domid = t->domid, .priv = true,
					 .target = KXS_NO_TARGET };

		if (t->live)
			continue;
		t->tx = kxs_tx_new(s, d, t->domid);
		if (!t->tx) {
			ret = -ENOMEM;
			break;
		}
		t->tx->doomed = t->base != ps->main.id;
		ret = kxs_rs_tree(ps, t->tx, &tc, t->root, false);
		if (!ret)
			ret = kxs_tx_park(t->tx, t->id);
		if (ret)
			break;
		t->tx = NULL;
	}
	for (i = 0; i < ps->nr_watches; i++) {
		if (ps->watches[i].there)
			continue;
		kxs_watch_park(d, ps->watches[i].w);
		ps->watches[i].w = NULL;
	}
	mutex_lock(&d->lock);
	if (ps->last_tx >= (u32)atomic_read(&d->next_txid) &&
	    ps->last_tx < U32_MAX)
		atomic_set(&d->next_txid, ps->last_tx + 1);
	mutex_unlock(&d->lock);
	if (ret)
		pr_warn("restore: transactions of the stream lost: %d\n",
			ret);
	return ret;
}

static int kxs_checkpoint_load(struct kxs_store *s, struct kxs_domains *d,
			       u16 guest, bool domains, const u8 *buf,
			       size_t len)
{
	struct kxs_pstream *ps = kvzalloc(sizeof(*ps), GFP_KERNEL);
	int ret;

	if (!ps)
		return -ENOMEM;
	ps->p = buf;
	ps->left = len;
	ps->guest = guest;
	ps->domains = domains;
	xa_init(&ps->ids);
	ret = kxs_parse(ps);
	if (ret == -EINVAL)
		pr_info_ratelimited("restore: not a valid stream: error at byte %zu of %zu\n",
				    len - ps->left, len);
	if (!ret) {
		percpu_down_write(&d->quiesce);
		ret = ps->dsec ? kxs_dsec_check(ps->dsec, d) : 0;
		if (!ret)
			ret = kxs_apply(ps, s, d);
		if (!ret && ps->dsec)
			ret = kxs_dsec_apply(ps->dsec, d);
		percpu_up_write(&d->quiesce);
	}
	kxs_pstream_free(ps);
	return ret;
}

/**
 * kxs_checkpoint_restore() - make a stream the store's state
 * @s: the store
 * @d: its domain table
 * @guest: the guest domain the stream's watches belong to
 * @buf: the stream
 * @len: its length
 *
 * Return: 0; -EINVAL for a stream that is not valid, -EBUSY if a
 * transaction id of the stream is a live transaction's of another
 * domain, -ENOMEM; the store is then as it was (but for -ENOMEM after
 * the tree was restored: the stream's transactions are then lost).
 */
int kxs_checkpoint_restore(struct kxs_store *s, struct kxs_domains *d,
			   u16 guest, const u8 *buf, size_t len)
{
	return kxs_checkpoint_load(s, d, guest, false, buf, len);
}

/**
 * kxs_checkpoint_restore_domains() - a stream with its domain section
 * @s: the store
 * @d: its domain table
 * @guest: the guest domain the stream's watch list belongs to
 * @buf: the stream (kxs_checkpoint_save_domains())
 * @len: its length
 *
 * As kxs_checkpoint_restore(), then the domains' state, the special
 * paths' permissions and the section's watches (parked for their
 * domains).  The domain table must have no state yet (a fresh module).
 *
 * Return: as kxs_checkpoint_restore(); also -EBUSY if a domain has
 * state already; -ENOMEM after the tree was restored leaves the domains
 * that were not restored yet out.
 */
int kxs_checkpoint_restore_domains(struct kxs_store *s,
				   struct kxs_domains *d, u16 guest,
				   const u8 *buf, size_t len)
{
	return kxs_checkpoint_load(s, d, guest, true, buf, len);
}
