// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint: the whole store as one stream in QEMU's xenstore
 * serialization format (Documentation/checkpoint.rst has the grammar).
 *
 * The stream is taken with every request held off (the domain table's
 * quiesce lock), so that the tree, the open transactions and the watches
 * are those of one instant.  It is deterministic: children in name
 * order, transactions in id order, watches by path and token; the same
 * store always gives the same bytes.
 *
 * A transaction is written as QEMU keeps it, as a whole tree: its view of
 * the store.  Every subtree of the view that is the live tree's (nothing
 * the transaction did or saw differs there) is a NODE_REF to the main
 * tree, so an open transaction costs the stream what it touched.
 */
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/percpu-rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "checkpoint.h"
#include "checkpoint_domains.h"
#include "domain.h"
#include "path.h"
#include "proto.h"
#include "store.h"
#include "transaction.h"
#include "watch.h"

static bool kxs_sbuf_room(struct kxs_sbuf *b, size_t len)
{
	size_t size;
	u8 *buf;

	if (b->err)
		return false;
	if (b->size - b->len >= len)
		return true;
	size = max3(b->size * 2, b->len + len, (size_t)PAGE_SIZE);
	if (b->max)
		size = max(b->len + len, min(size, b->max));
	/* Beyond INT_MAX kvmalloc() fails; it need not warn as well. */
	buf = kvmalloc(size, GFP_KERNEL | __GFP_NOWARN);
	if (!buf) {
		b->err = -ENOMEM;
		return false;
	}
	if (b->len)
		memcpy(buf, b->buf, b->len);
	kvfree(b->buf);
	b->buf = buf;
	b->size = size;
	return true;
}

void kxs_sbuf_bytes(struct kxs_sbuf *b, const void *p, size_t len)
{
	if (!kxs_sbuf_room(b, len))
		return;
	memcpy(b->buf + b->len, p, len);
	b->len += len;
}

void kxs_sbuf_u8(struct kxs_sbuf *b, u8 v)
{
	kxs_sbuf_bytes(b, &v, 1);
}

void kxs_sbuf_be32(struct kxs_sbuf *b, u32 v)
{
	__be32 be = cpu_to_be32(v);

	kxs_sbuf_bytes(b, &be, sizeof(be));
}

/* A string with its NUL. */
void kxs_sbuf_str(struct kxs_sbuf *b, const char *s)
{
	kxs_sbuf_bytes(b, s, strlen(s) + 1);
}

/* perms: each permission string, then a NUL. */
static void kxs_cp_perms(struct kxs_sbuf *b, const struct kxs_perm *perms,
			 unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		char one[KXS_PERM_STR];

		kxs_perm_string(&perms[i], one);
		kxs_sbuf_str(b, one);
	}
	kxs_sbuf_u8(b, 0);
}

/* content perms: the value, then the permissions. */
static void kxs_cp_data(struct kxs_sbuf *b, const struct kxs_data *d)
{
	kxs_sbuf_be32(b, d->len);
	kxs_sbuf_bytes(b, kxs_data_value(d), d->len);
	kxs_cp_perms(b, d->perms, d->nr_perms);
}

static struct kxs_data *kxs_cp_node_data(struct kxs_store *s,
					 struct kxs_node *n)
{
	return rcu_dereference_protected(n->data, lockdep_is_held(&s->lock));
}

/*
 * The main tree, in pre-order, without recursion (paths can be 1500
 * levels deep): each node, its children, and a NUL after them.
 */
static void kxs_cp_main_tree(struct kxs_store *s, struct kxs_sbuf *b)
{
	struct kxs_node *root, *n;
	struct rb_node *rb;

	mutex_lock(&s->lock);
	root = rcu_dereference_protected(s->root, lockdep_is_held(&s->lock));
	n = root;
	for (;;) {
		if (n != root)
			kxs_sbuf_str(b, n->name);
		kxs_sbuf_u8(b, 0);	/* flags */
		kxs_cp_data(b, kxs_cp_node_data(s, n));
		rb = rb_first(&n->children);
		if (rb) {
			n = rb_entry(rb, struct kxs_node, rb);
			continue;
		}
		/* A leaf: end its list, then those of the parents it ends. */
		kxs_sbuf_u8(b, 0);
		while (n != root) {
			rb = rb_next(&n->rb);
			if (rb)
				break;
			n = n->parent;
			kxs_sbuf_u8(b, 0);
		}
		if (n == root || b->err)
			break;
		n = rb_entry(rb, struct kxs_node, rb);
		cond_resched();
	}
	mutex_unlock(&s->lock);
}

/*
 * One level of a transaction's tree being written: the node, its children
 * in the view, and those the transaction removed, both sorted (disjoint).
 */
struct kxs_cp_frame {
	struct kxs_tx_at at;
	char *kids;
	size_t klen;
	size_t koff;
	char *gone;
	size_t glen;
	size_t goff;
};

static void kxs_cp_frame_free(struct kxs_cp_frame *f)
{
	kvfree(f->kids);
	kvfree(f->gone);
	f->kids = NULL;
	f->gone = NULL;
}

/* A node of the view that differs from the live tree, and its lists. */
static int kxs_cp_tx_node(struct kxs_sbuf *b, struct kxs_tx *tx,
			  const struct kxs_tx_at *at, struct kxs_cp_frame *f)
{
	struct kxs_data *d = kxs_tx_view_data(tx, at);
	const char *path = at->path;
	int ret;

	memset(f, 0, sizeof(*f));
	f->at = *at;
	if (WARN_ON_ONCE(!d))
		return -EIO;
	kxs_sbuf_u8(b, kxs_tx_view_changed(tx, path) ?
		    KXS_CP_MODIFIED_IN_TX : 0);
	kxs_cp_data(b, d);
	kxs_data_put(d);
	ret = kxs_tx_view_children(tx, at, &f->kids, &f->klen);
	if (!ret)
		ret = kxs_tx_view_removed(tx, at, &f->gone, &f->glen);
	return ret ? ret : b->err;
}

/*
 * Is a listed child there?  A transaction lists names, not what is below
 * them: one that lost its node since the listing is left out (such a
 * transaction's commit fails anyway).
 */
static bool kxs_cp_in_view(struct kxs_tx *tx, const struct kxs_tx_at *at)
{
	struct kxs_data *d = kxs_tx_view_data(tx, at);

	kxs_data_put(d);
	return d;
}

/* The next child name of @f, in order; *@gone says which list it is in. */
static const char *kxs_cp_next_child(struct kxs_cp_frame *f, bool *gone)
{
	const char *k = f->koff < f->klen ? f->kids + f->koff : NULL;
	const char *g = f->goff < f->glen ? f->gone + f->goff : NULL;

	*gone = g && (!k || strcmp(g, k) < 0);
	if (*gone) {
		f->goff += strlen(g) + 1;
		return g;
	}
	if (k)
		f->koff += strlen(k) + 1;
	return k;
}

/* A transaction's view as a tree, sharing what it did not change. */
static int kxs_cp_tx_tree(struct kxs_sbuf *b, struct kxs_tx *tx)
{
	struct kxs_cp_frame *frames;
	struct kxs_tx_at at;
	int depth = 0, ret;
	char *path;

	/*
	 * The root is always written in full, even when the whole view is
	 * the main tree's: QEMU's loader looks a NODE_REF at a tree's root up
	 * at a wrong path.
	 */
	frames = kvcalloc(KXS_DEPTH_MAX + 1, sizeof(*frames), GFP_KERNEL);
	path = kmalloc(KXS_PATH_BUF, GFP_KERNEL);
	ret = -ENOMEM;
	if (!frames || !path)
		goto out;
	kxs_tx_view_begin(tx);
	strscpy(path, "/", KXS_PATH_BUF);
	kxs_tx_at_root(&at, path);
	ret = kxs_cp_tx_node(b, tx, &at, &frames[0]);
	while (!ret && depth >= 0) {
		struct kxs_cp_frame *f = &frames[depth];
		size_t off = f->at.len > 1 ? f->at.len + 1 : 1;
		const char *name;
		bool gone;

		cond_resched();
		name = kxs_cp_next_child(f, &gone);
		if (!name) {
			kxs_sbuf_u8(b, 0);
			kxs_cp_frame_free(f);
			depth--;
			continue;
		}
		ret = -EIO;
		if (off + strlen(name) > KXS_PATH_MAX ||
		    depth == KXS_DEPTH_MAX)
			break;
		path[off - 1] = '/';
		strscpy(path + off, name, KXS_PATH_BUF - off);
		kxs_tx_at_child(tx, &f->at, off + strlen(name), &at);
		ret = 0;
		if (!gone && !kxs_cp_in_view(tx, &at))
			continue;
		kxs_sbuf_str(b, name);
		if (gone) {
			const struct kxs_perm *perms;
			unsigned int nr = 0;

			/*
			 * Removed here: reported at commit, nothing below.
			 * With its permissions as they were, as QEMU keeps
			 * them (a node it makes below copies them).
			 */
			perms = kxs_tx_view_removed_perms(tx, path, &nr);
			kxs_sbuf_u8(b, KXS_CP_DELETED_IN_TX);
			kxs_sbuf_be32(b, 0);
			kxs_cp_perms(b, perms, perms ? nr : 0);
			kxs_sbuf_u8(b, 0);
			ret = b->err;
		} else if (!kxs_tx_view_differs(tx, path)) {
			kxs_sbuf_u8(b, KXS_CP_NODE_REF);
			kxs_sbuf_be32(b, KXS_CP_MAIN_TX);
			ret = b->err;
		} else {
			ret = kxs_cp_tx_node(b, tx, &at, &frames[++depth]);
		}
	}
out:
	while (frames && depth >= 0)
		kxs_cp_frame_free(&frames[depth--]);
	kvfree(frames);
	kfree(path);
	return ret;
}

static int kxs_checkpoint_take(struct kxs_store *s, struct kxs_domains *d,
			       u16 guest, bool domains, u8 **buf, size_t *len)
{
	struct kxs_sbuf b = { };
	struct kxs_tx **txs;
	unsigned int nr, i;
	u32 last;
	int ret = 0;

	percpu_down_write(&d->quiesce);
	txs = kxs_tx_all(d, &nr);
	if (IS_ERR(txs)) {
		percpu_up_write(&d->quiesce);
		return PTR_ERR(txs);
	}
	/* The last id handed out: ids go on from there after a restore. */
	last = max_t(u32, atomic_read(&d->next_txid), KXS_TXID_FIRST) - 1;
	if (nr)
		last = max_t(u32, last, txs[nr - 1]->id);
	kxs_sbuf_be32(&b, last);
	kxs_sbuf_be32(&b, KXS_CP_MAIN_TX);
	kxs_cp_main_tree(s, &b);
	for (i = 0; i < nr && !ret; i++) {
		struct kxs_tx *tx = txs[i];
		bool stale = tx->doomed || kxs_store_tx_conflicts(s, tx);

		kxs_sbuf_be32(&b, stale ? KXS_CP_STALE_BASE : KXS_CP_MAIN_TX);
		kxs_sbuf_be32(&b, tx->domid);
		kxs_sbuf_be32(&b, tx->id);
		ret = kxs_cp_tx_tree(&b, tx);
	}
	kxs_sbuf_be32(&b, 0);
	if (!ret)
		ret = kxs_watch_save(d, guest, &b);
	if (!ret && domains)
		ret = kxs_dsec_save(d, guest, &b);
	percpu_up_write(&d->quiesce);
	kvfree(txs);
	if (!ret)
		ret = b.err;
	if (ret) {
		kvfree(b.buf);
		return ret;
	}
	*buf = b.buf;
	*len = b.len;
	return 0;
}

/**
 * kxs_grow() - room for one more entry in an array a parse grows
 * @old: the array (kvmalloc()ed), or NULL when @count is 0
 * @count: entries in it
 * @size: the size of one
 *
 * Room for 8, then doubled each time it is full.
 *
 * Return: the array to use (@old, or a copy of it: @old is then freed),
 * or NULL if memory ran out (@old is left as it is).
 */
void *kxs_grow(void *old, u32 count, size_t size)
{
	void *p;

	if (count && (count < 8 || !is_power_of_2(count)))
		return old;
	p = kvmalloc_array(count ? 2 * count : 8, size, GFP_KERNEL);
	if (!p)
		return NULL;
	if (count)
		memcpy(p, old, count * size);
	kvfree(old);
	return p;
}

/**
 * kxs_checkpoint_save() - the whole store as a stream
 * @s: the store
 * @d: its domain table
 * @guest: the guest domain whose watches the stream carries
 * @buf: set to the stream (kvfree() it)
 * @len: set to its length
 *
 * Return: 0, or -ENOMEM.
 */
int kxs_checkpoint_save(struct kxs_store *s, struct kxs_domains *d,
			u16 guest, u8 **buf, size_t *len)
{
	return kxs_checkpoint_take(s, d, guest, false, buf, len);
}

/**
 * kxs_checkpoint_save_domains() - the whole store, and its domains
 * @s: the store
 * @d: its domain table
 * @guest: the guest domain whose watches the stream's list carries
 * @buf: set to the stream (kvfree() it)
 * @len: set to its length
 *
 * The stream of kxs_checkpoint_save(), then the domain section
 * (checkpoint_domains.c), taken at the same instant.
 *
 * Return: 0, or -ENOMEM.
 */
int kxs_checkpoint_save_domains(struct kxs_store *s, struct kxs_domains *d,
				u16 guest, u8 **buf, size_t *len)
{
	return kxs_checkpoint_take(s, d, guest, true, buf, len);
}

/**
 * kxs_checkpoint_omits() - what a checkpoint cannot carry
 * @d: the domain table
 * @guest: the guest domain whose watches a stream carries
 * @domains: the stream has the domain section (checkpoint_domains)
 * @buf: where to write one line per thing left out
 * @size: size of @buf
 *
 * Open connections are not counted here (the device knows them).
 *
 * Return: bytes written, or -ENOMEM.
 */
int kxs_checkpoint_omits(struct kxs_domains *d, u16 guest, bool domains,
			 char *buf, size_t size)
{
	struct kxs_watch_census wc;
	int sp, ret, len = 0;
	u16 domid = 0;

	ret = kxs_watch_census(d, guest, &wc);
	if (ret)
		return ret;
	/* The domain section carries domains, special paths and watches. */
	if (domains)
		goto qemu;
	while (kxs_domain_has_state(d, &domid)) {
		len += scnprintf(buf + len, size - len, "domain %u\n", domid);
		if (domid == U16_MAX)
			break;
		domid++;
	}
	for (sp = 0; sp < KXS_SPECIAL_NR; sp++) {
		unsigned int nr;
		struct kxs_perm *p = kxs_special_perms(d, sp, &nr);

		if (p && (nr != 1 || p[0].domid != KXS_DOMID_CONTROL ||
			  p[0].access != KXS_PERM_NONE))
			len += scnprintf(buf + len, size - len, "special %s\n",
					 kxs_special_name(sp));
		kfree(p);
	}
	if (wc.unsaved)
		len += scnprintf(buf + len, size - len,
				 "watches %u (domain %u, ...)\n", wc.unsaved,
				 wc.domid);
qemu:
	/*
	 * Carried, and restored by kxenstore, but QEMU's loader refuses the
	 * stream: do_xs_impl_watch() takes no '@' in a path (validate_path(),
	 * XS_VALID_CHARS: EINVAL) and at most XS_MAX_WATCHES of the guest
	 * (E2BIG).
	 */
	if (wc.saved_at)
		len += scnprintf(buf + len, size - len,
				 "qemu: %u watches on paths with '@' (e.g. @releaseDomain)\n",
				 wc.saved_at);
	if (wc.saved > KXS_CP_QEMU_WATCHES)
		len += scnprintf(buf + len, size - len,
				 "qemu: %u watches, more than the %u QEMU takes\n",
				 wc.saved, KXS_CP_QEMU_WATCHES);
	return len;
}
