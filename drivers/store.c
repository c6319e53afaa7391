// SPDX-License-Identifier: GPL-2.0
/*
 * The xenstore tree.
 *
 * Every node keeps its children in an rbtree ordered by name, so that
 * DIRECTORY lists them in sorted order, and every node but the root is in
 * the store's hash table by parent and name, so that a lookup costs a
 * probe per path component, not a descent of each directory (a store of
 * 100000 nodes has directories of thousands).  Readers look up without
 * the store lock under RCU; the locking rule is in store.h and
 * Documentation/design.rst.
 */
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/overflow.h>
#include <linux/rhashtable.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "path.h"
#include "stats.h"
#include "store.h"
#include "transaction.h"
#include "tx_records.h"

struct kxs_name {
	const char *name;
	size_t len;
};

/*
 * Byte order of names; for names without NULs it is strcmp() order.
 * Inline, and a loop rather than memcmp(), as the dcache compares names:
 * a descent compares a few short names per path component.
 */
static __always_inline int kxs_name_cmp(const char *a, size_t alen,
					const char *b, size_t blen)
{
	size_t i, n = min(alen, blen);

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return (u8)a[i] - (u8)b[i];
	return (alen > blen) - (alen < blen);
}

static int kxs_node_key_cmp(const void *key, const struct rb_node *rb)
{
	const struct kxs_name *k = key;
	const struct kxs_node *n = rb_entry(rb, struct kxs_node, rb);

	return kxs_name_cmp(k->name, k->len, n->name, n->namelen);
}

/*
 * Next component of a canonical absolute path: returns its start and sets
 * *@len, advancing *@pos past it; NULL when there is none left.  Start with
 * *@pos at the path ("/" has no components).
 */
static __always_inline const char *
kxs_next_component(const char **pos, size_t *len)
{
	const char *p = *pos, *end;

	if (p[0] != '/' || p[1] == '\0')
		return NULL;
	p++;
	/* strchrnul(), inline: components are short. */
	for (end = p; *end && *end != '/'; end++)
		;
	*len = end - p;
	*pos = end;
	return p;
}

static size_t kxs_data_size(u16 nr_perms, size_t len)
{
	return struct_size_t(struct kxs_data, perms, nr_perms) + len;
}

static size_t kxs_node_size(const struct kxs_node *n)
{
	return struct_size(n, name, n->namelen + 1);
}

/* Data of @size bytes for @nr_perms entries and a @len byte value. */
static void kxs_data_init(struct kxs_data *d, u16 nr_perms, size_t len,
			  size_t size, u16 node_off)
{
	kxs_stat_inc(KXS_STAT_DATA);
	refcount_set(&d->ref, 1);
	d->len = len;
	d->size = size;
	d->nr_perms = nr_perms;
	d->node_off = node_off;
}

/*
 * Data for @nr_perms entries and a value of @len bytes, the entries and
 * value left to fill.  It takes the whole of the slab object kmalloc()
 * would give anyway, so that a later value up to that size can be
 * rewritten in place (kxs_data_rewrite()).
 */
static struct kxs_data *kxs_data_alloc_raw(u16 nr_perms, size_t len)
{
	size_t size = kmalloc_size_roundup(kxs_data_size(nr_perms, len));
	struct kxs_data *d;

	d = kmalloc(size, GFP_KERNEL);
	if (!d)
		return NULL;
	kxs_data_init(d, nr_perms, len, size, 0);
	return d;
}

static void kxs_data_fill(struct kxs_data *d, const struct kxs_perm *perms,
			  const void *value)
{
	memcpy(d->perms, perms, d->nr_perms * sizeof(*perms));
	if (d->len)
		memcpy((u8 *)kxs_data_value(d), value, d->len);
}

static struct kxs_data *kxs_data_alloc(const struct kxs_perm *perms,
				       u16 nr_perms, const void *value,
				       size_t len)
{
	struct kxs_data *d = kxs_data_alloc_raw(nr_perms, len);

	if (d)
		kxs_data_fill(d, perms, value);
	return d;
}

/**
 * kxs_data_new() - new node data, with one reference
 * @perms: permission entries
 * @nr_perms: their number, at least one
 * @value: the value
 * @len: its length
 *
 * Return: the data, or NULL if memory ran out.
 */
struct kxs_data *kxs_data_new(const struct kxs_perm *perms, u16 nr_perms,
			      const void *value, size_t len)
{
	return kxs_data_alloc(perms, nr_perms, value, len);
}

/**
 * kxs_data_is() - does node data hold exactly this?
 * @d: the data
 * @value: a value
 * @len: its length
 * @perms: permissions
 * @nr: their number
 *
 * Return: true if @d has this value and these permissions, in order.
 */
bool kxs_data_is(const struct kxs_data *d, const void *value, size_t len,
		 const struct kxs_perm *perms, unsigned int nr)
{
	unsigned int i;

	if (d->len != len || d->nr_perms != nr ||
	    memcmp(kxs_data_value(d), value, len))
		return false;
	for (i = 0; i < nr; i++)
		if (d->perms[i].domid != perms[i].domid ||
		    d->perms[i].access != perms[i].access)
			return false;
	return true;
}

/*
 * Drop a reference to a node's memory; the last one frees it after a
 * grace period.
 */
static void kxs_node_mem_put(struct kxs_node *n)
{
	if (refcount_dec_and_test(&n->mem)) {
		kxs_stat_dec(KXS_STAT_NODES);
		kfree_rcu(n, rcu);
	}
}

/*
 * Drop a reference; the last one frees the data after a grace period, or
 * for data made with its node, lets the node's memory go.
 */
void kxs_data_put(struct kxs_data *d)
{
	if (!d || !refcount_dec_and_test(&d->ref))
		return;
	kxs_stat_dec(KXS_STAT_DATA);
	if (d->node_off)
		kxs_node_mem_put((struct kxs_node *)((u8 *)d - d->node_off));
	else
		kfree_rcu(d, rcu);
}

/* Free data of its own allocation that was never published or shared. */
static void kxs_data_kfree(struct kxs_data *d)
{
	if (!d || WARN_ON_ONCE(d->node_off))
		return;
	kxs_stat_dec(KXS_STAT_DATA);
	kfree(d);
}

static struct kxs_data *kxs_data_get(struct kxs_store *s,
				     const struct kxs_node *n)
{
	return rcu_dereference_protected(n->data, lockdep_is_held(&s->lock));
}

static u16 kxs_data_owner(const struct kxs_data *d)
{
	return d->perms[0].domid;
}

/*
 * Nodes owned per domain (s->owned), and the bytes of those nodes and
 * their data (s->owned_bytes, for the memory quota).  A domain has a
 * slot in both or in neither.  A slot is only written after
 * kxs_owned_reserve() made room for it, so that a change of the tree,
 * once decided, cannot fail half way for lack of memory.
 */
static unsigned long kxs_owned_get(struct kxs_store *s, u16 domid)
{
	void *e = xa_load(s->owned, domid);

	return e ? xa_to_value(e) : 0;
}

static int kxs_owned_reserve(struct kxs_store *s, u16 domid)
{
	int ret;

	if (xa_load(s->owned, domid))
		return 0;
	ret = xa_reserve(s->owned_bytes, domid, GFP_KERNEL);
	if (!ret) {
		ret = xa_reserve(s->owned, domid, GFP_KERNEL);
		if (ret)
			xa_release(s->owned_bytes, domid);
	}
	return ret;
}

/* Give back a reservation that was not used. */
static void kxs_owned_unreserve(struct kxs_store *s, u16 domid)
{
	xa_release(s->owned, domid);
	xa_release(s->owned_bytes, domid);
}

/* Erase a domain's slots: it owns nothing any more. */
static void kxs_owned_erase(struct kxs_store *s, u16 domid)
{
	void *b = xa_erase(s->owned_bytes, domid);

	WARN_ON_ONCE(b && xa_to_value(b));
	xa_erase(s->owned, domid);
}

static void kxs_owned_add(struct kxs_store *s, u16 domid, long delta)
{
	unsigned long n = kxs_owned_get(s, domid) + delta;
	void *old;

	/*
	 * A commit keeps emptied counts (as 0) until it is applied, so that
	 * a later change in it finds the slot still there: applying must
	 * not allocate.  kxs_commit_cleanup() erases them.
	 */
	if (!n && !s->committing) {
		kxs_owned_erase(s, domid);
		return;
	}
	/* The slot exists (reserved or counting): no allocation. */
	old = xa_store(s->owned, domid, xa_mk_value(n), GFP_NOWAIT);
	WARN_ON_ONCE(xa_is_err(old));
}

static void kxs_owned_bytes_add(struct kxs_store *s, u16 domid, long delta)
{
	void *e = xa_load(s->owned_bytes, domid), *old;
	unsigned long n = (e ? xa_to_value(e) : 0) + delta;

	old = xa_store(s->owned_bytes, domid, xa_mk_value(n), GFP_NOWAIT);
	WARN_ON_ONCE(xa_is_err(old));
}

/* Count @d's bytes in the store's and its owner's totals, or stop. */
static void kxs_data_account(struct kxs_store *s, const struct kxs_data *d,
			     bool add)
{
	size_t size = kxs_data_size(d->nr_perms, d->len);

	if (add)
		s->bytes += size;
	else
		s->bytes -= size;
	kxs_owned_bytes_add(s, kxs_data_owner(d), add ? size : -(long)size);
}

/*
 * Count a node and its data in the store's totals and its owner's count,
 * or stop counting them.  Adding needs the owner's slot reserved.
 */
static void kxs_node_account(struct kxs_store *s, const struct kxs_node *n,
			     bool add)
{
	const struct kxs_data *d = kxs_data_get(s, n);
	size_t size = kxs_node_size(n);

	if (add) {
		s->nr_nodes++;
		s->bytes += size;
	} else {
		s->nr_nodes--;
		s->bytes -= size;
	}
	kxs_data_account(s, d, add);
	kxs_owned_bytes_add(s, kxs_data_owner(d), add ? size : -(long)size);
	kxs_owned_add(s, kxs_data_owner(d), add ? 1 : -1);
}

/**
 * kxs_store_totals() - the nodes of the whole store and their bytes
 * @s: the store
 * @nodes: set to the number of nodes
 * @bytes: set to the bytes of the nodes and their data
 */
void kxs_store_totals(struct kxs_store *s, unsigned long *nodes,
		      size_t *bytes)
{
	mutex_lock(&s->lock);
	*nodes = s->nr_nodes;
	*bytes = s->bytes;
	mutex_unlock(&s->lock);
}

/**
 * kxs_store_owned_bytes() - bytes of the nodes a domain owns
 * @s: the store
 * @domid: the domain
 *
 * For the memory quota: the nodes' and their data's sizes as the store
 * counts them (kxs_node_size(), kxs_data_size()).  Without the store
 * lock: a figure of a moment.
 *
 * Return: the bytes.
 */
size_t kxs_store_owned_bytes(struct kxs_store *s, u16 domid)
{
	void *e = xa_load(s->owned_bytes, domid);

	return e ? xa_to_value(e) : 0;
}

static void kxs_node_init(struct kxs_node *n, const char *name, size_t len,
			  struct kxs_data *data)
{
	kxs_stat_inc(KXS_STAT_NODES);
	RB_CLEAR_NODE(&n->rb);
	n->children = RB_ROOT;
	seqcount_init(&n->children_seq);
	seqcount_init(&n->data_seq);
	n->parent = NULL;
	RCU_INIT_POINTER(n->data, data);
	n->gen = 0;
	n->dgen = 0;
	n->nr_children = 0;
	n->children_len = 0;
	n->unhashed = 0;
	refcount_set(&n->mem, 1);
	n->hashed = false;
	n->namelen = len;
	memcpy(n->name, name, len);
	n->name[len] = '\0';
}

static struct kxs_node *kxs_node_alloc(const char *name, size_t len,
				       struct kxs_data *data)
{
	struct kxs_node *n;

	n = kmalloc(struct_size(n, name, len + 1), GFP_KERNEL);
	if (n)
		kxs_node_init(n, name, len, data);
	return n;
}

/*
 * A node and its data in one allocation, the data after the name: a
 * lookup finds the value beside the key it compared, and a restore makes
 * one allocation per node, not two.  The data keeps the node's memory
 * (kxs_node.mem) while it has references, and a new value up to the rest
 * of the slab object is rewritten in place there.
 */
static struct kxs_node *kxs_node_alloc_with_data(const char *name,
						 size_t len,
						 const struct kxs_perm *perms,
						 u16 nr_perms,
						 const void *value,
						 size_t vlen)
{
	size_t off = ALIGN(struct_size_t(struct kxs_node, name, len + 1),
			   __alignof__(struct kxs_data));
	size_t size = kmalloc_size_roundup(off +
					   kxs_data_size(nr_perms, vlen));
	struct kxs_node *n;
	struct kxs_data *d;

	/* Names are shorter than paths: the offset fits node_off. */
	BUILD_BUG_ON(sizeof(struct kxs_node) + KXS_PATH_BUF +
		     __alignof__(struct kxs_data) > U16_MAX);
	n = kmalloc(size, GFP_KERNEL);
	if (!n)
		return NULL;
	d = (struct kxs_data *)((u8 *)n + off);
	kxs_data_init(d, nr_perms, vlen, size - off, off);
	kxs_data_fill(d, perms, value);
	kxs_node_init(n, name, len, d);
	refcount_set(&n->mem, 2);
	return n;
}

/* A child's key in kxs_store.index. */
struct kxs_child_key {
	const struct kxs_node *parent;
	const char *name;
	size_t len;
};

static u32 kxs_child_hash(const struct kxs_node *parent, const char *name,
			  size_t len, u32 seed)
{
	return jhash(name, len, seed ^ hash32_ptr(parent));
}

static u32 kxs_child_key_hashfn(const void *key, u32 len, u32 seed)
{
	const struct kxs_child_key *k = key;

	return kxs_child_hash(k->parent, k->name, k->len, seed);
}

static u32 kxs_child_obj_hashfn(const void *obj, u32 len, u32 seed)
{
	const struct kxs_node *n = obj;

	return kxs_child_hash(n->parent, n->name, n->namelen, seed);
}

static __always_inline int
kxs_child_obj_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct kxs_child_key *k = arg->key;
	const struct kxs_node *n = obj;

	return n->parent != k->parent ||
	       kxs_name_cmp(n->name, n->namelen, k->name, k->len);
}

static const struct rhashtable_params kxs_child_params = {
	.head_offset = offsetof(struct kxs_node, index_node),
	.hashfn = kxs_child_key_hashfn,
	.obj_hashfn = kxs_child_obj_hashfn,
	.obj_cmpfn = kxs_child_obj_cmpfn,
	.automatic_shrinking = true,
};

/*
 * Put @n (its parent set, for good) in the index.  An insert can fail
 * (memory, a chain too long while the table grows): the parent then
 * counts it, and lookups of its children search its rbtree.  Never
 * sleeps: a commit links nodes with preemption off.
 */
static void kxs_child_hash_add(struct kxs_store *s, struct kxs_node *n)
{
	if (!s->index_fails &&
	    !rhashtable_insert_fast(&s->index, &n->index_node,
				    kxs_child_params)) {
		n->hashed = true;
		return;
	}
	WRITE_ONCE(n->parent->unhashed, n->parent->unhashed + 1);
}

/* Take @n out of the index (or out of its parent's count). */
static void kxs_child_hash_del(struct kxs_store *s, struct kxs_node *n)
{
	if (n->hashed) {
		rhashtable_remove_fast(&s->index, &n->index_node,
				       kxs_child_params);
		n->hashed = false;
	} else if (n->parent && n->parent->unhashed != KXS_UNHASHED_ALL) {
		WRITE_ONCE(n->parent->unhashed, n->parent->unhashed - 1);
	}
}

/* Free a node (not its data) that was never published to readers. */
static void kxs_node_kfree(struct kxs_node *n)
{
	if (!n)
		return;
	kxs_stat_dec(KXS_STAT_NODES);
	kfree(n);
}

/* Free a node and its data, never published to readers (nor shared). */
static void kxs_node_free_unpublished(struct kxs_node *n)
{
	struct kxs_data *d = rcu_dereference_protected(n->data, 1);

	if (d && d->node_off)
		kxs_stat_dec(KXS_STAT_DATA);	/* made with @n: freed with it */
	else
		kxs_data_kfree(d);
	kxs_node_kfree(n);
}

/* Up to this many children, a lookup descends the rbtree (3 levels). */
#define KXS_FEW_CHILDREN	8

/*
 * Writer-side child lookup: the store lock keeps the tree and the index
 * still, so a miss in the index is the answer unless @parent has
 * children the index lacks.
 */
static struct kxs_node *kxs_child_find(struct kxs_store *s,
				       const struct kxs_node *parent,
				       const char *name, size_t len)
{
	struct kxs_child_key k = { .parent = parent, .name = name,
				   .len = len };
	struct kxs_name key = { .name = name, .len = len };
	struct kxs_node *found;
	struct rb_node *rb;

	lockdep_assert_held(&s->lock);
	if (parent->nr_children > KXS_FEW_CHILDREN) {
		found = rhashtable_lookup_fast(&s->index, &k,
					       kxs_child_params);
		if (found || !parent->unhashed)
			return found;
	}
	rb = rb_find(&key, &parent->children, kxs_node_key_cmp);
	return rb ? rb_entry(rb, struct kxs_node, rb) : NULL;
}

/*
 * One lockless descent of @parent's children.  A rotation racing with it
 * can make it miss a node that is present, never return a wrong one: the
 * tree code publishes child pointers with WRITE_ONCE() and nodes are
 * freed only after a grace period.
 */
static __always_inline struct kxs_node *
kxs_child_descend_rcu(const struct kxs_node *parent, const char *name,
		      size_t len)
{
	struct rb_node *rb = rcu_dereference_raw(parent->children.rb_node);

	while (rb) {
		struct kxs_node *n = rb_entry(rb, struct kxs_node, rb);
		int c = kxs_name_cmp(name, len, n->name, n->namelen);

		if (c < 0)
			rb = rcu_dereference_raw(rb->rb_left);
		else if (c > 0)
			rb = rcu_dereference_raw(rb->rb_right);
		else
			return n;
	}
	return NULL;
}

/*
 * Reader-side child lookup: in the index, or in @parent's rbtree if it
 * has few children or some of them are not in the index.  A miss is
 * trusted only if no writer raced.
 */
static __always_inline struct kxs_node *
kxs_child_lookup_rcu(struct kxs_store *s, struct kxs_node *parent,
		     const char *name, size_t len)
{
	struct kxs_child_key k = { .parent = parent, .name = name,
				   .len = len };
	struct kxs_node *found;
	unsigned int seq;
	bool few;

	do {
		seq = read_seqcount_begin(&parent->children_seq);
		/* A few children: their rbtree is as short, and on fewer pages. */
		few = READ_ONCE(parent->nr_children) <= KXS_FEW_CHILDREN;
		found = NULL;
		if (!few) {
			found = rhashtable_lookup(&s->index, &k,
						  kxs_child_params);
			if (found)
				break;
			/* Read after the miss: see kxs_subtree_free_rcu(). */
			smp_rmb();
		}
		if (few || READ_ONCE(parent->unhashed))
			found = kxs_child_descend_rcu(parent, name, len);
	} while (!found && read_seqcount_retry(&parent->children_seq, seq));
	return found;
}

/*
 * The write side of a node's children_seq or data_seq.  seqcount_t
 * writers must not be preempted (readers would spin on an odd count); the
 * store mutex serialises them.
 */
static void kxs_seq_write_begin(struct kxs_store *s, seqcount_t *seq)
{
	lockdep_assert_held(&s->lock);
	preempt_disable();
	write_seqcount_begin(seq);
}

static void kxs_seq_write_end(seqcount_t *seq)
{
	write_seqcount_end(seq);
	preempt_enable();
}

/*
 * Insert @child under @parent and publish it to readers.  A non-zero @gen
 * becomes the parent's generation in the same seqcount section, so that a
 * reader sees the generation that goes with the list of children.
 */
static void kxs_child_link(struct kxs_store *s, struct kxs_node *parent,
			   struct kxs_node *child, u64 gen)
{
	struct rb_node **link = &parent->children.rb_node, *rb_parent = NULL;

	while (*link) {
		struct kxs_node *n = rb_entry(*link, struct kxs_node, rb);

		rb_parent = *link;
		if (kxs_name_cmp(child->name, child->namelen,
				 n->name, n->namelen) < 0)
			link = &(*link)->rb_left;
		else
			link = &(*link)->rb_right;
	}
	child->parent = parent;
	kxs_seq_write_begin(s, &parent->children_seq);
	rb_link_node_rcu(&child->rb, rb_parent, link);
	rb_insert_color(&child->rb, &parent->children);
	kxs_child_hash_add(s, child);
	WRITE_ONCE(parent->nr_children, parent->nr_children + 1);
	WRITE_ONCE(parent->children_len,
		   parent->children_len + child->namelen + 1);
	if (gen)
		WRITE_ONCE(parent->gen, gen);
	kxs_seq_write_end(&parent->children_seq);
}

static void kxs_child_unlink(struct kxs_store *s, struct kxs_node *child,
			     u64 gen)
{
	struct kxs_node *parent = child->parent;

	kxs_seq_write_begin(s, &parent->children_seq);
	kxs_child_hash_del(s, child);
	rb_erase(&child->rb, &parent->children);
	WRITE_ONCE(parent->nr_children, parent->nr_children - 1);
	WRITE_ONCE(parent->children_len,
		   parent->children_len - child->namelen - 1);
	WRITE_ONCE(parent->gen, gen);
	kxs_seq_write_end(&parent->children_seq);
}

/*
 * Post-order walk of a subtree without recursion (paths can be 1500 levels
 * deep): children before their parent, so each node may be freed as soon
 * as it is visited, once its successor has been computed.
 */
static struct kxs_node *kxs_postorder_first(struct kxs_node *n)
{
	struct rb_node *rb;

	while ((rb = rb_first_postorder(&n->children)))
		n = rb_entry(rb, struct kxs_node, rb);
	return n;
}

static struct kxs_node *kxs_postorder_next(struct kxs_node *n,
					   const struct kxs_node *top)
{
	struct rb_node *rb;

	if (n == top)
		return NULL;
	rb = rb_next_postorder(&n->rb);
	if (rb)
		return kxs_postorder_first(rb_entry(rb, struct kxs_node, rb));
	return n->parent;
}

/*
 * Pre-order successor of @n within the subtree @top, without recursion;
 * with @skip, @n's own children are not visited.
 */
static struct kxs_node *kxs_preorder_next(struct kxs_node *n,
					  const struct kxs_node *top,
					  bool skip)
{
	struct rb_node *rb = skip ? NULL : rb_first(&n->children);

	if (rb)
		return rb_entry(rb, struct kxs_node, rb);
	while (n != top) {
		rb = rb_next(&n->rb);
		if (rb)
			return rb_entry(rb, struct kxs_node, rb);
		n = n->parent;
	}
	return NULL;
}

/*
 * Free an unlinked subtree once the readers that may see it are gone.
 * Readers already in it find its nodes as before, in the rbtrees: each
 * node is marked removed (lookups of its children then search its
 * rbtree) before any of its children leaves the index.
 */
static void kxs_subtree_free_rcu(struct kxs_store *s, struct kxs_node *top)
{
	struct kxs_node *n, *next;

	for (n = top; n; n = kxs_preorder_next(n, top, false))
		WRITE_ONCE(n->unhashed, KXS_UNHASHED_ALL);
	/* Marks before removals: see kxs_child_lookup_rcu(). */
	smp_wmb();
	for (n = kxs_postorder_first(top); n; n = next) {
		struct kxs_data *d = kxs_data_get(s, n);

		next = kxs_postorder_next(n, top);
		if (n != top)
			kxs_child_hash_del(s, n);
		kxs_node_account(s, n, false);
		kxs_data_put(d);
		kxs_node_mem_put(n);
	}
}

static struct kxs_node *kxs_root(struct kxs_store *s)
{
	return rcu_dereference_protected(s->root, lockdep_is_held(&s->lock));
}

static const struct kxs_perm kxs_root_perms[] = {
	{ .domid = KXS_DOMID_CONTROL, .access = KXS_PERM_NONE },
};

/* A store without a root yet. */
static struct kxs_store *kxs_store_alloc(void)
{
	struct kxs_store *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	/* Both per-domain xarrays in one allocation. */
	s->owned = kmalloc_array(2, sizeof(*s->owned), GFP_KERNEL);
	if (!s->owned) {
		kfree(s);
		return NULL;
	}
	if (rhashtable_init(&s->index, &kxs_child_params)) {
		kfree(s->owned);
		kfree(s);
		return NULL;
	}
	s->owned_bytes = s->owned + 1;
	xa_init(s->owned);
	xa_init(s->owned_bytes);
	mutex_init(&s->lock);
	seqcount_init(&s->commit_seq);
	return s;
}

static void kxs_store_free(struct kxs_store *s)
{
	WARN_ON(!xa_empty(s->owned));
	WARN_ON(!xa_empty(s->owned_bytes));
	WARN_ON(atomic_read(&s->index.nelems));
	rhashtable_destroy(&s->index);
	xa_destroy(s->owned);
	xa_destroy(s->owned_bytes);
	kfree(s->owned);
	mutex_destroy(&s->lock);
	kfree(s);
}

struct kxs_store *kxs_store_create(void)
{
	struct kxs_store *s;
	struct kxs_node *root;
	struct kxs_data *d;

	s = kxs_store_alloc();
	if (!s)
		return NULL;
	/* "", not NULL: some configs' -Wnonnull sees the memcpy() anyway. */
	d = kxs_data_alloc(kxs_root_perms, ARRAY_SIZE(kxs_root_perms),
			   "", 0);
	if (!d)
		goto err_store;
	root = kxs_node_alloc("", 0, d);
	if (!root)
		goto err_data;
	mutex_lock(&s->lock);
	if (kxs_owned_reserve(s, KXS_DOMID_CONTROL)) {
		mutex_unlock(&s->lock);
		kxs_node_kfree(root);
		goto err_data;
	}
	/* Generation 0 means "no node" to transactions: start at 1. */
	s->gen = 1;
	root->gen = 1;
	root->dgen = 1;
	RCU_INIT_POINTER(s->root, root);
	kxs_node_account(s, root, true);
	mutex_unlock(&s->lock);
	return s;

err_data:
	kxs_data_kfree(d);
err_store:
	kxs_store_free(s);
	return NULL;
}

/* No reader or writer may use @s any more: the last connection is gone. */
void kxs_store_destroy(struct kxs_store *s)
{
	struct kxs_node *root;

	if (!s)
		return;
	mutex_lock(&s->lock);
	root = kxs_root(s);
	if (root)
		kxs_subtree_free_rcu(s, root);
	WARN_ON(s->nr_nodes || s->bytes);
	mutex_unlock(&s->lock);
	kxs_store_free(s);
}

static unsigned int kxs_access(const struct kxs_caller *c,
			       const struct kxs_data *d)
{
	return kxs_perm_access(c, d->perms, d->nr_perms);
}

/*
 * The error for a node that is missing, or that @c may not access as
 * @want asks: a missing node is ENOENT only to callers with that access
 * to its nearest existing ancestor @anc, so that nothing is learnt about
 * the existence of nodes one may not see (the reference's rule).
 */
static int kxs_missing_err(const struct kxs_caller *c,
			   const struct kxs_data *anc, unsigned int want)
{
	return kxs_access(c, anc) & want ? -ENOENT : -EACCES;
}

/*
 * Writer-side walk: the node at @path, or NULL with *@anc its nearest
 * existing ancestor and *@rest the part of @path below it.
 */
static struct kxs_node *kxs_walk(struct kxs_store *s, const char *path,
				 struct kxs_node **anc, const char **rest)
{
	struct kxs_node *node = kxs_root(s), *child;
	const char *pos = path, *name, *before;
	size_t len;

	for (;;) {
		before = pos;
		name = kxs_next_component(&pos, &len);
		if (!name)
			return node;
		child = kxs_child_find(s, node, name, len);
		if (!child) {
			*anc = node;
			*rest = before;
			return NULL;
		}
		node = child;
	}
}

/*
 * Check that the missing part @rest of a path below @parent may be made
 * by @c: every new node within the node-size quota, the new nodes within
 * @owner's nodes quota, and their bytes within @owner's memory quota
 * (with what the caller's transactions and watches hold).  Done before
 * anything is allocated, so that a refused creation never touches the
 * store (nor its index, which lock-free readers walk).
 */
static int kxs_create_check(struct kxs_store *s, const struct kxs_caller *c,
			    const struct kxs_node *parent,
			    const struct kxs_data *pd, u16 owner,
			    const char *rest, size_t vlen)
{
	const char *name, *next_name, *pos = rest;
	size_t len, next_len = 0, bytes = 0;
	unsigned int count = 0;

	name = kxs_next_component(&pos, &len);
	if (kxs_node_too_big(c, kxs_node_quota_size(pd->nr_perms, pd->len,
						    parent->children_len +
						    len + 1)))
		return -ENOSPC;
	do {
		next_name = kxs_next_component(&pos, &next_len);
		if (kxs_node_too_big(c, kxs_node_quota_size(pd->nr_perms,
							    next_name ? 0 : vlen,
							    next_name ?
							    next_len + 1 : 0)))
			return -ENOSPC;
		/* As kxs_node_account() will count them. */
		bytes += struct_size_t(struct kxs_node, name, len + 1) +
			 kxs_data_size(pd->nr_perms, next_name ? 0 : vlen);
		count++;
		name = next_name;
		len = next_len;
	} while (name);
	if (kxs_over_quota(c, KXS_QUOTA_NODES,
			   kxs_owned_get(s, owner) + count))
		return -ENOSPC;
	if (owner == c->domid &&
	    kxs_over_quota(c, KXS_QUOTA_MEMORY,
			   kxs_store_owned_bytes(s, owner) + c->mem + bytes))
		return -ENOMEM;
	return 0;
}

/*
 * Build the missing part @rest of a path below @parent off-tree, then
 * publish it with a single link, so readers see all of it or nothing.
 * The last node gets @value; the others are empty.  New nodes inherit
 * the permissions of @parent; an unprivileged creator owns them (the
 * control domain keeps the parent's owner, as the reference daemon does).
 *
 * The chain enters the index only once nothing can fail any more: a node
 * a lock-free reader may have found in a hash bucket is never freed
 * without a grace period, and an unpublished one can then be kfree()d.
 */
static int kxs_create_path(struct kxs_store *s, const struct kxs_caller *c,
			   struct kxs_node *parent, const char *rest,
			   const void *value, size_t vlen)
{
	const struct kxs_data *pd = kxs_data_get(s, parent);
	struct kxs_node *top = NULL, *bottom = NULL, *n, *next;
	u16 owner = c->priv ? kxs_data_owner(pd) : c->domid;
	const char *name, *pos = rest;
	size_t len;
	int ret;
	u64 gen;

	if (!(kxs_access(c, pd) & KXS_PERM_WRITE))
		return -EACCES;
	ret = kxs_create_check(s, c, parent, pd, owner, rest, vlen);
	if (ret)
		return ret;
	ret = kxs_owned_reserve(s, owner);
	if (ret)
		return ret;
	name = kxs_next_component(&pos, &len);
	do {
		const char *next_name;
		size_t next_len = 0;
		struct kxs_data *d;

		next_name = kxs_next_component(&pos, &next_len);
		n = kxs_node_alloc_with_data(name, len, pd->perms,
					     pd->nr_perms,
					     next_name ? NULL : value,
					     next_name ? 0 : vlen);
		if (!n)
			goto nomem;
		d = rcu_dereference_protected(n->data, 1);
		d->perms[0].domid = owner;
		if (bottom) {
			/* Off-tree: no reader sees it, no seqcount. */
			rb_link_node(&n->rb, NULL, &bottom->children.rb_node);
			rb_insert_color(&n->rb, &bottom->children);
			n->parent = bottom;
			bottom->nr_children = 1;
			bottom->children_len = len + 1;
		} else {
			top = n;
		}
		bottom = n;
		name = next_name;
		len = next_len;
	} while (name);

	gen = ++s->gen;
	for (n = kxs_postorder_first(top); n; n = kxs_postorder_next(n, top)) {
		n->gen = gen;
		n->dgen = gen;
		if (n != top)
			kxs_child_hash_add(s, n);
		kxs_node_account(s, n, true);
	}
	kxs_child_link(s, parent, top, gen);
	return 0;

nomem:
	for (n = top ? kxs_postorder_first(top) : NULL; n; n = next) {
		next = kxs_postorder_next(n, top);
		kxs_node_free_unpublished(n);
	}
	kxs_owned_unreserve(s, owner);
	return -ENOMEM;
}

/* @node's value or permissions changed: a new generation. */
static void kxs_node_data_changed(struct kxs_store *s, struct kxs_node *node)
{
	WRITE_ONCE(node->gen, ++s->gen);
	WRITE_ONCE(node->dgen, node->gen);
}

/*
 * Give @node new data (value and permissions) and a new generation, both
 * in one data_seq section: kxs_store_observe() pairs a node's data with
 * its data generation, and a transaction's commit trusts that pair.
 */
static void kxs_node_set_data(struct kxs_store *s, struct kxs_node *node,
			      struct kxs_data *d)
{
	struct kxs_data *old = kxs_data_get(s, node);

	kxs_data_account(s, old, false);
	kxs_data_account(s, d, true);
	if (kxs_data_owner(old) != kxs_data_owner(d)) {
		kxs_owned_bytes_add(s, kxs_data_owner(d), kxs_node_size(node));
		kxs_owned_bytes_add(s, kxs_data_owner(old),
				    -(long)kxs_node_size(node));
		kxs_owned_add(s, kxs_data_owner(d), 1);
		kxs_owned_add(s, kxs_data_owner(old), -1);
	}
	kxs_seq_write_begin(s, &node->data_seq);
	rcu_assign_pointer(node->data, d);
	kxs_node_data_changed(s, node);
	kxs_seq_write_end(&node->data_seq);
	kxs_data_put(old);
}

/*
 * Rewrite the value of @node's data @d in place, if the node alone holds
 * @d and the new value fits: no allocation, no grace period to wait for
 * before the old one can go.  Its reference count is 0 meanwhile, so that
 * kxs_store_observe() cannot take a reference to a value being rewritten,
 * and readers copying the value see @data_seq move and copy again.
 *
 * The node's new generation is given in the same data_seq section, as
 * kxs_node_set_data() does.
 *
 * Return: true if done.
 */
static bool kxs_data_rewrite(struct kxs_store *s, struct kxs_node *node,
			     struct kxs_data *d, const void *value,
			     size_t len)
{
	if (kxs_data_size(d->nr_perms, len) > d->size ||
	    !refcount_dec_if_one(&d->ref))
		return false;
	kxs_data_account(s, d, false);
	kxs_seq_write_begin(s, &node->data_seq);
	WRITE_ONCE(d->len, len);
	memcpy((u8 *)kxs_data_value(d), value, len);
	kxs_node_data_changed(s, node);
	kxs_seq_write_end(&node->data_seq);
	refcount_set(&d->ref, 1);
	kxs_data_account(s, d, true);
	return true;
}

static int kxs_store_update(struct kxs_store *s, const struct kxs_caller *c,
			    const char *path, const void *value, size_t len,
			    bool set_value, bool *made)
{
	struct kxs_node *node, *anc;
	struct kxs_data *old, *d;
	const char *rest;
	int ret = 0;

	mutex_lock(&s->lock);
	node = kxs_walk(s, path, &anc, &rest);
	if (!node) {
		ret = kxs_create_path(s, c, anc, rest, value, len);
		if (made)
			*made = !ret;
		goto out;
	}
	old = kxs_data_get(s, node);
	if (!(kxs_access(c, old) & KXS_PERM_WRITE)) {
		ret = -EACCES;
		goto out;
	}
	/* The node exists: MKDIR leaves it alone, WRITE replaces its value. */
	if (!set_value)
		goto out;
	if (kxs_node_too_big(c, kxs_node_quota_size(old->nr_perms, len,
						    node->children_len))) {
		ret = -ENOSPC;
		goto out;
	}
	/* A longer value of its own node: within its memory quota. */
	if (len > old->len && kxs_data_owner(old) == c->domid &&
	    kxs_over_quota(c, KXS_QUOTA_MEMORY,
			   kxs_store_owned_bytes(s, c->domid) + c->mem +
			   len - old->len)) {
		ret = -ENOMEM;
		goto out;
	}
	if (kxs_data_rewrite(s, node, old, value, len))
		goto out;
	d = kxs_data_alloc(old->perms, old->nr_perms, value, len);
	if (!d) {
		ret = -ENOMEM;
		goto out;
	}
	kxs_node_set_data(s, node, d);
out:
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * kxs_store_write() - set a node's value, creating it and its parents
 * @s: the store
 * @c: the caller
 * @path: canonical absolute path
 * @value: the value
 * @len: its length
 *
 * Return: 0, -EACCES, -ENOSPC (a quota), or -ENOMEM.
 */
int kxs_store_write(struct kxs_store *s, const struct kxs_caller *c,
		    const char *path, const void *value, size_t len)
{
	return kxs_store_update(s, c, path, value, len, true, NULL);
}

/**
 * kxs_store_mkdir() - make sure a node exists
 * @s: the store
 * @c: the caller
 * @path: canonical absolute path
 * @made: if not NULL, set to whether this call made the node (decided
 *	under the store lock: a removal racing with the MKDIR cannot make
 *	its creation go unreported)
 *
 * Return: 0, -EACCES, -ENOSPC (a quota), or -ENOMEM.
 */
int kxs_store_mkdir(struct kxs_store *s, const struct kxs_caller *c,
		    const char *path, bool *made)
{
	if (made)
		*made = false;
	return kxs_store_update(s, c, path, NULL, 0, false, made);
}

/* Unlink @node and free its subtree after a grace period. */
static void kxs_subtree_remove(struct kxs_store *s, struct kxs_node *node)
{
	kxs_child_unlink(s, node, ++s->gen);
	kxs_subtree_free_rcu(s, node);
}

/**
 * kxs_store_rm() - remove a node and everything below it
 * @s: the store
 * @c: the caller
 * @path: canonical absolute path
 *
 * A missing node is not an error when its parent exists.
 *
 * Return: 0, -ENOENT (no parent either), -EACCES, or -EINVAL for "/".
 */
int kxs_store_rm(struct kxs_store *s, const struct kxs_caller *c,
		 const char *path)
{
	struct kxs_node *node, *anc;
	const char *rest;
	size_t len;
	int ret = 0;

	mutex_lock(&s->lock);
	node = kxs_walk(s, path, &anc, &rest);
	if (!node) {
		ret = kxs_missing_err(c, kxs_data_get(s, anc), KXS_PERM_WRITE);
		/* Missing is fine as long as the parent is there. */
		if (ret == -ENOENT) {
			kxs_next_component(&rest, &len);
			if (!*rest)
				ret = 0;
		}
		goto out;
	}
	if (!(kxs_access(c, kxs_data_get(s, node)) & KXS_PERM_WRITE)) {
		ret = -EACCES;
		goto out;
	}
	if (!node->parent) {
		ret = -EINVAL;
		goto out;
	}
	kxs_subtree_remove(s, node);
out:
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * kxs_store_set_perms() - replace a node's permissions
 * @s: the store
 * @c: the caller: the node's owner or privileged
 * @path: canonical absolute path
 * @perms: the new entries, the first naming the owner
 * @nr: their number, at least one
 *
 * Return: 0, -ENOENT, -EACCES, -EPERM (an unprivileged caller changing
 * the owner), -ENOSPC (a quota), or -ENOMEM.
 */
int kxs_store_set_perms(struct kxs_store *s, const struct kxs_caller *c,
			const char *path, const struct kxs_perm *perms,
			unsigned int nr)
{
	const unsigned int want = KXS_PERM_WRITE | KXS_PERM_OWNER;
	struct kxs_node *node, *anc;
	const struct kxs_data *old;
	struct kxs_data *d;
	const char *rest;
	int ret;

	if (!nr)
		return -EINVAL;
	if (kxs_over_quota(c, KXS_QUOTA_PERMS, nr))
		return -ENOSPC;
	mutex_lock(&s->lock);
	node = kxs_walk(s, path, &anc, &rest);
	if (!node) {
		ret = kxs_missing_err(c, kxs_data_get(s, anc), want);
		goto out;
	}
	old = kxs_data_get(s, node);
	ret = -EACCES;
	if ((kxs_access(c, old) & want) != want)
		goto out;
	ret = -EPERM;
	if (!c->priv && perms[0].domid != kxs_data_owner(old))
		goto out;
	ret = -ENOSPC;
	if (kxs_node_too_big(c, kxs_node_quota_size(nr, old->len,
						    node->children_len)))
		goto out;
	ret = kxs_owned_reserve(s, perms[0].domid);
	if (ret)
		goto out;
	d = kxs_data_alloc(perms, nr, kxs_data_value(old), old->len);
	if (!d) {
		kxs_owned_unreserve(s, perms[0].domid);
		ret = -ENOMEM;
		goto out;
	}
	kxs_node_set_data(s, node, d);
	ret = 0;
out:
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * kxs_store_owned() - the number of nodes a domain owns
 * @s: the store
 * @domid: the domain
 *
 * Return: the count.
 */
unsigned long kxs_store_owned(struct kxs_store *s, u16 domid)
{
	unsigned long n;

	mutex_lock(&s->lock);
	n = kxs_owned_get(s, domid);
	mutex_unlock(&s->lock);
	return n;
}

/* The canonical path of @n, kmalloc()ed. */
static char *kxs_node_path(struct kxs_store *s, const struct kxs_node *n)
{
	const struct kxs_node *p;
	size_t len = 0;
	char *path;

	for (p = n; p->parent; p = p->parent)
		len += p->namelen + 1;
	path = kmalloc(max_t(size_t, len, 1) + 1, GFP_KERNEL);
	if (!path)
		return NULL;
	path[len] = '\0';
	if (!len)
		path[0] = '/';
	for (p = n; p->parent; p = p->parent) {
		len -= p->namelen;
		memcpy(path + len, p->name, p->namelen);
		path[--len] = '/';
	}
	return path;
}

/**
 * kxs_store_owned_tops() - the topmost nodes a domain owns
 * @s: the store
 * @domid: the domain, never the owner of "/"
 * @paths: set to an array of their paths (kfree() each, and the array)
 *
 * Every node the domain owns is one of them or below one: removing them
 * with their subtrees removes everything it owns, as the specification
 * asks when a domain goes away.
 *
 * Return: the number of paths, or -ENOMEM.
 */
int kxs_store_owned_tops(struct kxs_store *s, u16 domid, char ***paths)
{
	struct kxs_node *root, *n, *next;
	char **out = NULL, **grown;
	int nr = 0, room = 0, ret = 0;

	mutex_lock(&s->lock);
	root = kxs_root(s);
	for (n = kxs_preorder_next(root, root, false); n; n = next) {
		if (kxs_data_owner(kxs_data_get(s, n)) != domid) {
			next = kxs_preorder_next(n, root, false);
			continue;
		}
		next = kxs_preorder_next(n, root, true);
		if (nr == room) {
			room = room ? 2 * room : 8;
			grown = krealloc_array(out, room, sizeof(*out),
					       GFP_KERNEL);
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			out = grown;
		}
		out[nr] = kxs_node_path(s, n);
		if (!out[nr]) {
			ret = -ENOMEM;
			break;
		}
		nr++;
	}
	mutex_unlock(&s->lock);
	if (ret) {
		while (nr--)
			kfree(out[nr]);
		kfree(out);
		return ret;
	}
	*paths = out;
	return nr;
}

/* Permission data of @old without the non-owner entries naming @domid. */
static struct kxs_data *kxs_data_without(const struct kxs_data *old,
					 u16 domid)
{
	struct kxs_data *d;
	unsigned int i, nr = 1;

	for (i = 1; i < old->nr_perms; i++)
		nr += old->perms[i].domid != domid;
	if (nr == old->nr_perms)
		return NULL;
	d = kxs_data_alloc_raw(nr, old->len);
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->nr_perms = 0;
	for (i = 0; i < old->nr_perms; i++)
		if (!i || old->perms[i].domid != domid)
			d->perms[d->nr_perms++] = old->perms[i];
	memcpy((u8 *)kxs_data_value(d), kxs_data_value(old), old->len);
	return d;
}

/**
 * kxs_store_drop_grants() - take a domain out of every permission list
 * @s: the store
 * @domid: the domain, gone
 *
 * Entries naming a released domain would otherwise grant their access to
 * the next domain that gets its domid, as the reference daemon also
 * guards against.  Owner entries are not touched (RELEASE removed the
 * nodes the domain owned).
 *
 * Return: the number of nodes changed, or -ENOMEM (those changed so far
 * stay changed).
 */
long kxs_store_drop_grants(struct kxs_store *s, u16 domid)
{
	struct kxs_node *root, *n;
	long changed = 0;

	mutex_lock(&s->lock);
	root = kxs_root(s);
	for (n = root; n; n = kxs_preorder_next(n, root, false)) {
		struct kxs_data *d = kxs_data_without(kxs_data_get(s, n),
						       domid);

		if (!d)
			continue;
		if (IS_ERR(d)) {
			changed = PTR_ERR(d);
			break;
		}
		kxs_node_set_data(s, n, d);
		changed++;
	}
	mutex_unlock(&s->lock);
	return changed;
}

/*
 * Reader-side walk: the node at @path, or NULL with *@anc set to its
 * nearest existing ancestor.
 */
static struct kxs_node *kxs_lookup_rcu(struct kxs_store *s, const char *path,
				       struct kxs_node **anc)
{
	struct kxs_node *node = rcu_dereference(s->root), *child;
	const char *pos = path, *name;
	size_t len;

	while ((name = kxs_next_component(&pos, &len))) {
		child = kxs_child_lookup_rcu(s, node, name, len);
		if (!child) {
			*anc = node;
			return NULL;
		}
		node = child;
	}
	return node;
}

/**
 * kxs_store_lookup_rcu() - find the node at a canonical absolute path
 * @s: the store
 * @path: the path
 *
 * Context: rcu_read_lock() held; the node stays valid until it is dropped.
 * Return: the node, or NULL if there is none.
 */
struct kxs_node *kxs_store_lookup_rcu(struct kxs_store *s, const char *path)
{
	struct kxs_node *anc;

	return kxs_lookup_rcu(s, path, &anc);
}

/*
 * The node at @path if @c may read it, else ERR_PTR(-ENOENT or -EACCES).
 * Context: rcu_read_lock() held.
 */
static struct kxs_node *kxs_readable_rcu(struct kxs_store *s,
					 const struct kxs_caller *c,
					 const char *path)
{
	struct kxs_node *anc, *node = kxs_lookup_rcu(s, path, &anc);

	if (!node)
		return ERR_PTR(kxs_missing_err(c, rcu_dereference(anc->data),
					       KXS_PERM_READ));
	if (!(kxs_access(c, rcu_dereference(node->data)) & KXS_PERM_READ))
		return ERR_PTR(-EACCES);
	return node;
}

typedef int (*kxs_data_fn)(const struct kxs_data *d, void *buf,
			   size_t size);

/*
 * @fn on the data of the node at @path, if @c may read it: under RCU,
 * again if a commit ran meanwhile (readers see commits whole) or the value
 * was rewritten in place.  The access is checked on the data @fn reads.
 * Inline, so that each caller's @fn is a direct call.
 */
static __always_inline int kxs_store_with_data(struct kxs_store *s,
					       const struct kxs_caller *c,
					       const char *path, kxs_data_fn fn,
					       void *buf, size_t size)
{
	struct kxs_node *node, *anc;
	const struct kxs_data *d;
	unsigned int cseq, dseq;
	int ret;

	do {
		cseq = read_seqcount_begin(&s->commit_seq);
		rcu_read_lock();
		node = kxs_lookup_rcu(s, path, &anc);
		if (!node) {
			ret = kxs_missing_err(c, rcu_dereference(anc->data),
					      KXS_PERM_READ);
		} else {
			do {
				dseq = read_seqcount_begin(&node->data_seq);
				d = rcu_dereference(node->data);
				ret = kxs_access(c, d) & KXS_PERM_READ ?
				      fn(d, buf, size) : -EACCES;
			} while (read_seqcount_retry(&node->data_seq, dseq));
		}
		rcu_read_unlock();
	} while (read_seqcount_retry(&s->commit_seq, cseq));
	return ret;
}

/* Under RCU: @d's value may be rewritten meanwhile (see data_seq). */
static int kxs_data_copy_value(const struct kxs_data *d, void *buf,
			       size_t size)
{
	u32 len = READ_ONCE(d->len);

	if (len > size)
		return -E2BIG;
	/* Torn if rewritten meanwhile, and then copied again. */
	data_race(memcpy(buf, kxs_data_value(d), len));
	return len;
}

static int kxs_data_format_perms(const struct kxs_data *d, void *buf,
				 size_t size)
{
	return kxs_perms_format(d->perms, d->nr_perms, buf, size);
}

/**
 * kxs_store_read() - copy a node's value
 * @s: the store
 * @c: the caller
 * @path: canonical absolute path
 * @buf: where to copy the value
 * @size: size of @buf
 *
 * Return: the value's length, -ENOENT, -EACCES, or -E2BIG if it does
 * not fit.
 */
int kxs_store_read(struct kxs_store *s, const struct kxs_caller *c,
		   const char *path, void *buf, size_t size)
{
	return kxs_store_with_data(s, c, path, kxs_data_copy_value, buf, size);
}

/**
 * kxs_store_perms() - a copy of a node's permissions
 * @s: the store
 * @path: canonical absolute path
 * @nr: set to the number of entries
 *
 * For reporting a change to watches: no access check.
 *
 * Return: the copy, to kfree(), NULL if there is no such node, or
 * ERR_PTR(-ENOMEM) (an event then cannot be judged: it is lost, and
 * counted as such).
 */
struct kxs_perm *kxs_store_perms(struct kxs_store *s, const char *path,
				 unsigned int *nr)
{
	struct kxs_perm *perms = NULL;
	unsigned int room = 0, want;
	struct kxs_node *node;

	for (;;) {
		const struct kxs_data *d;
		unsigned int cseq;

		do {
			cseq = read_seqcount_begin(&s->commit_seq);
			rcu_read_lock();
			node = kxs_store_lookup_rcu(s, path);
			d = node ? rcu_dereference(node->data) : NULL;
			want = d ? d->nr_perms : 0;
			if (d && want <= room)
				memcpy(perms, d->perms,
				       want * sizeof(*perms));
			rcu_read_unlock();
		} while (read_seqcount_retry(&s->commit_seq, cseq));
		if (!want) {
			kfree(perms);
			return NULL;
		}
		if (want <= room) {
			*nr = want;
			return perms;
		}
		/* Allocate outside the read section, then look again. */
		kfree(perms);
		room = want;
		perms = kmalloc_array(room, sizeof(*perms), GFP_KERNEL);
		if (!perms)
			return ERR_PTR(-ENOMEM);
	}
}

/**
 * kxs_store_get_perms() - a node's permissions in wire form
 * @s: the store
 * @c: the caller
 * @path: canonical absolute path
 * @buf: where to put them (see kxs_perms_format())
 * @size: size of @buf
 *
 * Return: bytes written, -ENOENT, -EACCES or -E2BIG.
 */
int kxs_store_get_perms(struct kxs_store *s, const struct kxs_caller *c,
			const char *path, char *buf, size_t size)
{
	return kxs_store_with_data(s, c, path, kxs_data_format_perms, buf,
				   size);
}

/*
 * Deepest rbtree a walk follows: a red-black tree of n nodes is at most
 * 2 * log2(n + 1) high, so 64 levels hold more children than a u32 counts.
 */
#define KXS_RB_DEPTH_MAX	64

/*
 * Copy the children's names, each NUL terminated, in order, starting at
 * byte @offset of the whole list, as many whole names (the first one
 * possibly cut by @offset) as fit in @size.  *@end is set when the list
 * was copied to its end.
 *
 * The walk follows child pointers only, with its own stack: lib/rbtree.c
 * publishes those with WRITE_ONCE() for lock-free readers, and not the
 * parent pointers that rb_next() climbs.  Racing writers can make it skip
 * or repeat nodes, or (through rotations) wander; the caller retries on a
 * changed children_seq, and the walk gives up after more names than there
 * were children, or deeper than any rbtree is.
 */
static int kxs_children_copy_rcu(struct kxs_node *n, u32 offset, char *buf,
				 size_t size, bool *end)
{
	struct rb_node *stack[KXS_RB_DEPTH_MAX], *rb;
	u32 steps = READ_ONCE(n->nr_children);
	size_t off = 0, pos = 0;
	unsigned int sp = 0;

	*end = false;
	rb = rcu_dereference_raw(n->children.rb_node);
	while (rb || sp) {
		const struct kxs_node *c;
		size_t skip, len;

		for (; rb; rb = rcu_dereference_raw(rb->rb_left)) {
			if (sp == KXS_RB_DEPTH_MAX)
				return -EAGAIN;
			stack[sp++] = rb;
		}
		rb = stack[--sp];
		if (!steps--)
			return -EAGAIN;
		c = rb_entry(rb, struct kxs_node, rb);
		rb = rcu_dereference_raw(rb->rb_right);
		len = c->namelen + 1;
		pos += len;
		if (pos <= offset)
			continue;
		skip = len - min_t(size_t, len, pos - offset);
		if (off + len - skip > size)
			return off;
		memcpy(buf + off, c->name + skip, len - skip);
		off += len - skip;
	}
	*end = true;
	return off;
}

/**
 * kxs_store_directory() - list a node's children
 * @s: the store
 * @c: the caller
 * @path: canonical absolute path
 * @buf: where to put the names, each followed by a NUL, sorted
 * @size: size of @buf
 *
 * Return: bytes written to @buf, -ENOENT, -EACCES, or -E2BIG if they do
 * not fit.
 */
int kxs_store_directory(struct kxs_store *s, const struct kxs_caller *c,
			const char *path, char *buf, size_t size)
{
	struct kxs_node *node;
	unsigned int seq, cseq;
	bool end;
	int ret;

	do {
		cseq = read_seqcount_begin(&s->commit_seq);
		rcu_read_lock();
		node = kxs_readable_rcu(s, c, path);
		if (IS_ERR(node)) {
			ret = PTR_ERR(node);
			goto next;
		}
		do {
			seq = read_seqcount_begin(&node->children_seq);
			if (READ_ONCE(node->children_len) > size) {
				ret = -E2BIG;
				continue;
			}
			ret = kxs_children_copy_rcu(node, 0, buf, size, &end);
			if (ret >= 0 && !end)
				ret = -EAGAIN;
		} while (read_seqcount_retry(&node->children_seq, seq));
next:
		rcu_read_unlock();
	} while (read_seqcount_retry(&s->commit_seq, cseq));
	return ret;
}

/**
 * kxs_store_directory_part() - list a node's children from an offset
 * @s: the store
 * @c: the caller
 * @path: canonical absolute path
 * @offset: byte offset into the whole list (as DIRECTORY would give it)
 * @buf: where to put the reply: the node's generation in decimal and a
 *	NUL, then the names from @offset that fit, then an empty name if
 *	that reached the end of the list
 * @size: size of @buf
 *
 * The generation changes whenever the list does, so a client that pages
 * through a list and sees the same generation each time has it whole.
 *
 * Return: bytes written to @buf, -ENOENT or -EACCES.
 */
int kxs_store_directory_part(struct kxs_store *s, const struct kxs_caller *c,
			     const char *path, u32 offset, char *buf,
			     size_t size)
{
	struct kxs_node *node;
	unsigned int seq, cseq;
	size_t genlen;
	bool end;
	int ret;

	do {
		cseq = read_seqcount_begin(&s->commit_seq);
		rcu_read_lock();
		node = kxs_readable_rcu(s, c, path);
		if (IS_ERR(node)) {
			ret = PTR_ERR(node);
			goto next;
		}
		do {
			seq = read_seqcount_begin(&node->children_seq);
			genlen = scnprintf(buf, size, "%llu",
					   READ_ONCE(node->gen)) + 1;
			/* Room for the terminating empty name. */
			ret = kxs_children_copy_rcu(node, offset, buf + genlen,
						    size - genlen - 1, &end);
			if (ret >= 0) {
				ret += genlen;
				if (end)
					buf[ret++] = '\0';
			}
		} while (read_seqcount_retry(&node->children_seq, seq));
next:
		rcu_read_unlock();
	} while (read_seqcount_retry(&s->commit_seq, cseq));
	return ret;
}

struct kxs_check {
	char *buf;
	size_t size;
	size_t off;
	int problems;
	unsigned long hashed;
};

static __printf(2, 3) void kxs_check_report(struct kxs_check *ck,
					     const char *fmt, ...)
{
	va_list args;

	ck->problems++;
	va_start(args, fmt);
	ck->off += vscnprintf(ck->buf + ck->off, ck->size - ck->off, fmt,
			      args);
	va_end(args);
}

/* The links, order and per-parent totals of @n's children. */
static void kxs_check_children(struct kxs_check *ck, struct kxs_store *s,
			       struct kxs_node *n)
{
	const struct kxs_node *prev = NULL, *c;
	u32 nr = 0, len = 0, unhashed = 0;
	struct rb_node *rb;

	for (rb = rb_first(&n->children); rb; rb = rb_next(rb)) {
		struct kxs_child_key k;

		c = rb_entry(rb, struct kxs_node, rb);
		nr++;
		len += c->namelen + 1;
		k = (struct kxs_child_key){ .parent = n, .name = c->name,
					    .len = c->namelen };
		if (!c->hashed) {
			unhashed++;
		} else {
			ck->hashed++;
			if (rhashtable_lookup_fast(&s->index, &k,
						   kxs_child_params) != c)
				kxs_check_report(ck, "\"%s\" of \"%s\" not found in the index\n",
						 c->name, n->name);
		}
		if (c->parent != n || !c->namelen ||
		    strlen(c->name) != c->namelen || strchr(c->name, '/'))
			kxs_check_report(ck, "bad child \"%s\" of \"%s\"\n",
					 c->name, n->name);
		if (prev && kxs_name_cmp(prev->name, prev->namelen, c->name,
					 c->namelen) >= 0)
			kxs_check_report(ck, "children of \"%s\" out of order\n",
					 n->name);
		prev = c;
	}
	if (nr != n->nr_children || len != n->children_len)
		kxs_check_report(ck, "\"%s\": %u children of %u bytes, recorded %u of %u\n",
				 n->name, nr, len, n->nr_children,
				 n->children_len);
	if (unhashed != n->unhashed)
		kxs_check_report(ck, "\"%s\": %u children not indexed, recorded %u\n",
				 n->name, unhashed, n->unhashed);
}

/* Add @n to @id's value in the recount @xa. */
static int kxs_check_count(struct xarray *xa, u16 id, unsigned long n)
{
	void *e = xa_load(xa, id);

	n += e ? xa_to_value(e) : 0;
	return xa_err(xa_store(xa, id, xa_mk_value(n), GFP_KERNEL));
}

/* Report where the per-domain @recorded differs from the @counted. */
static void kxs_check_owned(struct kxs_check *ck, struct xarray *counted,
			    struct xarray *recorded, const char *what)
{
	unsigned long idx;
	void *e, *r;

	xa_for_each(counted, idx, e) {
		r = xa_load(recorded, idx);
		if (!r || xa_to_value(r) != xa_to_value(e))
			kxs_check_report(ck, "domain %lu owns %lu %s, recorded %lu\n",
					 idx, xa_to_value(e), what,
					 r ? xa_to_value(r) : 0);
	}
	xa_for_each(recorded, idx, e)
		if (!xa_load(counted, idx))
			kxs_check_report(ck, "domain %lu owns no %s, recorded %lu\n",
					 idx, what, xa_to_value(e));
}

/**
 * kxs_store_check() - verify the tree against its own bookkeeping
 * @s: the store
 * @buf: where to describe each problem found, a line each
 * @size: size of @buf
 *
 * Checks every node's links, the order and totals of its children, its
 * data and generation, and the store's node, byte and per-domain counts
 * against a recount.
 *
 * Return: the number of problems, or -ENOMEM.
 */
int kxs_store_check(struct kxs_store *s, char *buf, size_t size)
{
	struct kxs_check ck = { .buf = buf, .size = size };
	struct kxs_node *root, *n;
	unsigned long nodes = 0;
	struct xarray owned, owned_bytes;
	size_t bytes = 0;
	int ret = 0;

	if (size)
		buf[0] = '\0';
	xa_init(&owned);
	xa_init(&owned_bytes);
	mutex_lock(&s->lock);
	root = kxs_root(s);
	for (n = root; n; n = kxs_preorder_next(n, root, false)) {
		const struct kxs_data *d = kxs_data_get(s, n);

		nodes++;
		bytes += kxs_node_size(n);
		if (!d || !d->nr_perms) {
			kxs_check_report(&ck, "\"%s\": no permissions\n",
					 n->name);
			continue;
		}
		bytes += kxs_data_size(d->nr_perms, d->len);
		if (n->gen > s->gen || n->dgen > n->gen)
			kxs_check_report(&ck, "\"%s\": generations %llu, %llu > %llu\n",
					 n->name, n->dgen, n->gen, s->gen);
		kxs_check_children(&ck, s, n);
		if (kxs_check_count(&owned, kxs_data_owner(d), 1) ||
		    kxs_check_count(&owned_bytes, kxs_data_owner(d),
				    kxs_node_size(n) +
				    kxs_data_size(d->nr_perms, d->len))) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (ck.hashed != atomic_read(&s->index.nelems))
		kxs_check_report(&ck, "index: %lu nodes, holds %d\n", ck.hashed,
				 atomic_read(&s->index.nelems));
	if (nodes != s->nr_nodes || bytes != s->bytes)
		kxs_check_report(&ck, "store: %lu nodes of %zu bytes, recorded %lu of %zu\n",
				 nodes, bytes, s->nr_nodes, s->bytes);
	kxs_check_owned(&ck, &owned, s->owned, "nodes");
	kxs_check_owned(&ck, &owned_bytes, s->owned_bytes, "bytes");
	ret = ck.problems;
out:
	mutex_unlock(&s->lock);
	xa_destroy(&owned);
	xa_destroy(&owned_bytes);
	return ret;
}

/*
 * What transactions need of the live tree.  A transaction records, on
 * its first access to a path, what the live tree had there: a reference
 * to the node's data and its generations.  Its commit checks those
 * against the tree and applies its changes in one commit_seq section.
 */

/**
 * kxs_store_live_prefix() - how much of a path the live tree has
 * @s: the store
 * @path: canonical absolute path
 *
 * A hint for a transaction looking for a path's nearest ancestor: it
 * records what it then relies on with kxs_store_observe(), which may
 * disagree if a writer raced.
 *
 * Return: the length of the longest prefix of @path that names a node
 * (1 for the root alone, strlen(@path) if the node exists).
 */
size_t kxs_store_live_prefix(struct kxs_store *s, const char *path)
{
	const char *pos = path, *name;
	struct kxs_node *node;
	size_t len, have = 1;

	rcu_read_lock();
	node = rcu_dereference(s->root);
	while ((name = kxs_next_component(&pos, &len))) {
		node = kxs_child_lookup_rcu(s, node, name, len);
		if (!node)
			break;
		have = pos - path;
	}
	rcu_read_unlock();
	return have;
}

/**
 * kxs_store_observe() - what the live tree has at a path
 * @s: the store
 * @path: canonical absolute path
 * @data: set to a reference to the node's data (kxs_data_put() it), or
 *	NULL if there is no node
 * @dgen: set to the node's data generation, 0 if there is no node
 * @gen: set to the node's generation (children included)
 * @children_len: set to the size of its list of children
 *
 * Return: true if there is a node.
 */
bool kxs_store_observe(struct kxs_store *s, const char *path,
		       struct kxs_data **data, u64 *dgen, u64 *gen,
		       u32 *children_len)
{
	struct kxs_node *node;
	struct kxs_data *d;
	unsigned int cseq, dseq = 0;

	for (;;) {
		bool again;

		cseq = read_seqcount_begin(&s->commit_seq);
		rcu_read_lock();
		node = kxs_store_lookup_rcu(s, path);
		if (node)
			dseq = read_seqcount_begin(&node->data_seq);
		d = node ? rcu_dereference(node->data) : NULL;
		/*
		 * Data without references belongs to a node being replaced or
		 * removed (unlinked first), or has its value rewritten in
		 * place right now: look again.
		 */
		if (d && !refcount_inc_not_zero(&d->ref)) {
			rcu_read_unlock();
			cond_resched();
			continue;
		}
		*dgen = d ? READ_ONCE(node->dgen) : 0;
		*gen = d ? READ_ONCE(node->gen) : 0;
		*children_len = d ? READ_ONCE(node->children_len) : 0;
		/* A reference taken after a rewrite must see its value. */
		again = d && read_seqcount_retry(&node->data_seq, dseq);
		rcu_read_unlock();
		if (!again && !read_seqcount_retry(&s->commit_seq, cseq))
			break;
		kxs_data_put(d);
	}
	*data = d;
	return d;
}

/**
 * kxs_store_children() - a copy of the live list of a node's children
 * @s: the store
 * @path: canonical absolute path
 * @names: set to the names, each NUL-terminated, sorted (kvfree() them)
 * @len: set to their size
 * @gen: set to the node's generation that goes with the list
 *
 * Return: 0, -ENOENT if there is no node, -ENOMEM.
 */
int kxs_store_children(struct kxs_store *s, const char *path, char **names,
		       u32 *len, u64 *gen)
{
	struct kxs_node *node;
	unsigned int seq, cseq;
	u32 room = 0, want;
	char *buf = NULL;
	bool end;
	int ret;

	for (;;) {
		do {
			cseq = read_seqcount_begin(&s->commit_seq);
			rcu_read_lock();
			node = kxs_store_lookup_rcu(s, path);
			ret = -ENOENT;
			want = 0;
			if (!node)
				goto next;
			do {
				seq = read_seqcount_begin(&node->children_seq);
				want = READ_ONCE(node->children_len);
				*gen = READ_ONCE(node->gen);
				ret = -E2BIG;
				if (want > room)
					continue;
				ret = kxs_children_copy_rcu(node, 0, buf, room,
							    &end);
				if (ret >= 0 && !end)
					ret = -EAGAIN;
			} while (read_seqcount_retry(&node->children_seq,
						     seq));
next:
			rcu_read_unlock();
		} while (read_seqcount_retry(&s->commit_seq, cseq));
		if (ret != -E2BIG)
			break;
		/* Room for the list as it is now, allocated outside RCU. */
		kvfree(buf);
		room = want;
		buf = kvmalloc(max(room, 1U), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	if (ret < 0) {
		kvfree(buf);
		return ret;
	}
	*names = buf;
	*len = ret;
	return 0;
}

/**
 * kxs_store_owned_below() - nodes a domain owns in a live subtree
 * @s: the store
 * @path: canonical absolute path of the subtree's top
 * @domid: the domain
 *
 * Return: the count (0 if there is no such node).
 */
unsigned long kxs_store_owned_below(struct kxs_store *s, const char *path,
				    u16 domid)
{
	struct kxs_node *top, *n, *anc;
	unsigned long count = 0;
	const char *rest;

	mutex_lock(&s->lock);
	top = kxs_walk(s, path, &anc, &rest);
	for (n = top; n; n = kxs_preorder_next(n, top, false))
		count += kxs_data_owner(kxs_data_get(s, n)) == domid;
	mutex_unlock(&s->lock);
	return count;
}

/* Does the transaction's change at @e replace the live node, if any? */
static struct kxs_node *kxs_commit_live(struct kxs_store *s,
					struct kxs_tx *tx,
					const struct kxs_txn *e,
					struct kxs_node **parent)
{
	struct kxs_node *anc = NULL, *node = NULL;
	const char *rest;

	if (!kxs_txn_wiped_above(tx, e->path))
		node = kxs_walk(s, e->path, &anc, &rest);
	if (parent)
		*parent = anc;
	return node;
}

/* The transaction's entries that change something, in path order. */
static struct kxs_txn *kxs_written_from(struct rb_node *rb)
{
	for (; rb; rb = rb_next(rb)) {
		struct kxs_txn *e = rb_entry(rb, struct kxs_txn, node);

		if (e->flags & KXS_TXN_WRITTEN)
			return e;
	}
	return NULL;
}

static struct kxs_txn *kxs_written_first(struct kxs_tx *tx)
{
	return kxs_written_from(rb_first(&tx->nodes));
}

static struct kxs_txn *kxs_written_next(struct kxs_txn *e)
{
	return kxs_written_from(rb_next(&e->node));
}

/* Did anything the transaction relied on change since it looked? */
static bool kxs_commit_conflicts(struct kxs_store *s, struct kxs_tx *tx)
{
	struct kxs_node *node, *anc;
	struct rb_node *rb;
	const char *rest;

	for (rb = rb_first(&tx->nodes); rb; rb = rb_next(rb)) {
		struct kxs_txn *e = rb_entry(rb, struct kxs_txn, node);

		if (!(e->flags & KXS_TXN_OBSERVED))
			continue;
		node = kxs_walk(s, e->path, &anc, &rest);
		if (!e->dgen) {
			if (node)
				return true;
			continue;
		}
		if (!node || node->dgen != e->dgen)
			return true;
		if ((e->flags & KXS_TXN_LISTED) && node->gen != e->cgen)
			return true;
		if ((e->flags & KXS_TXN_SUBTREE) && node->gen != e->ogen)
			return true;
	}
	return false;
}

/**
 * kxs_store_load_begin() - start building a whole tree for a store that
 * has nothing but its root
 * @s: the store
 * @l: the load
 * @perms: the root's permissions
 * @nr: their number
 * @value: the root's value
 * @len: its length
 *
 * A restore into a freshly loaded module: the nodes are made and linked
 * out of the readers' sight, in path order (siblings in name order, so
 * that each is linked after the last without a descent of the parent's
 * rbtree), and kxs_store_load_commit()
 * publishes them in one step, without the records and lookups a
 * transaction needs.  The store lock is held until the commit or abort.
 *
 * Return: 0; -EBUSY if the root has children (use a transaction),
 * -ENOMEM.
 */
int kxs_store_load_begin(struct kxs_store *s, struct kxs_load *l,
			 const struct kxs_perm *perms, u16 nr,
			 const void *value, size_t len)
{
	memset(l, 0, sizeof(*l));
	l->s = s;
	mutex_lock(&s->lock);
	if (!RB_EMPTY_ROOT(&kxs_root(s)->children)) {
		mutex_unlock(&s->lock);
		return -EBUSY;
	}
	l->top = kxs_node_alloc("", 0, NULL);
	l->root_data = kxs_data_alloc(perms, nr, value, len);
	l->stack = kvmalloc_array(KXS_DEPTH_MAX + 1, sizeof(*l->stack),
				  GFP_KERNEL);
	if (!l->top || !l->root_data || !l->stack) {
		kxs_store_load_abort(l);
		return -ENOMEM;
	}
	l->stack[0] = l->top;
	l->stack[1] = NULL;
	return 0;
}

/* Count a node of @owner; the counts go to the store by runs of owners. */
static void kxs_load_count(struct kxs_load *l, int owner)
{
	if (l->owned && (owner < 0 || owner != l->owner)) {
		kxs_owned_add(l->s, l->owner, l->owned);
		l->owned = 0;
	}
	if (owner >= 0) {
		l->owner = owner;
		l->owned++;
	}
}

/**
 * kxs_store_load_node() - the next node of a load, in pre-order
 * @l: the load
 * @depth: its depth, 1 for a child of the root; at most one more than
 *	the node before
 * @name: its name, after the name of the sibling before it
 * @nlen: the name's length
 * @perms: its permissions
 * @nr: their number, at least one
 * @value: its value
 * @len: the value's length
 *
 * Return: 0, -EINVAL for a depth or a name out of order, -ENOMEM (then
 * abort).
 */
int kxs_store_load_node(struct kxs_load *l, unsigned int depth,
			const char *name, size_t nlen,
			const struct kxs_perm *perms, u16 nr,
			const void *value, size_t len)
{
	struct kxs_store *s = l->s;
	struct kxs_node *parent, *prev, *n;
	struct kxs_data *d;
	u16 owner;

	if (!depth || depth > KXS_DEPTH_MAX || !l->stack[depth - 1])
		return -EINVAL;
	parent = l->stack[depth - 1];
	/* The parent's last child so far (made since the parent was). */
	prev = l->stack[depth];
	if (prev && kxs_name_cmp(name, nlen, prev->name, prev->namelen) <= 0)
		return -EINVAL;
	n = kxs_node_alloc_with_data(name, nlen, perms, nr, value, len);
	if (!n)
		return -ENOMEM;
	d = rcu_dereference_protected(n->data, 1);
	/* The slot of the owner of the current run is reserved already. */
	owner = kxs_data_owner(d);
	if ((!l->owned || owner != l->owner) && kxs_owned_reserve(s, owner)) {
		kxs_node_free_unpublished(n);
		return -ENOMEM;
	}
	/*
	 * Not published yet: no readers, no seqcount.  The largest child
	 * has no right child: the new one goes there.
	 */
	if (prev)
		rb_link_node(&n->rb, &prev->rb, &prev->rb.rb_right);
	else
		rb_link_node(&n->rb, NULL, &parent->children.rb_node);
	rb_insert_color(&n->rb, &parent->children);
	n->parent = parent;
	/* A child of the root is indexed when it gets the real root. */
	if (depth > 1)
		kxs_child_hash_add(s, n);
	n->gen = ++s->gen;
	n->dgen = n->gen;
	parent->nr_children++;
	parent->children_len += nlen + 1;
	parent->gen = n->gen;
	/* kxs_node_account(), with the owner counts added up per run. */
	s->nr_nodes++;
	s->bytes += kxs_node_size(n);
	kxs_owned_bytes_add(s, owner, kxs_node_size(n));
	kxs_data_account(s, d, true);
	kxs_load_count(l, owner);
	l->stack[depth] = n;
	if (depth < KXS_DEPTH_MAX)
		l->stack[depth + 1] = NULL;
	return 0;
}

/**
 * kxs_store_load_commit() - publish a load
 * @l: the load, over whatever happens
 *
 * The root gets its data and the new children in one commit_seq section:
 * readers see the empty store or the whole new tree.
 *
 * Return: 0 or -ENOMEM (the load is then aborted).
 */
int kxs_store_load_commit(struct kxs_load *l)
{
	struct kxs_store *s = l->s;
	struct kxs_node *root = kxs_root(s), *n;
	struct rb_node *rb;

	kxs_load_count(l, -1);
	if (kxs_owned_reserve(s, kxs_data_owner(l->root_data))) {
		kxs_store_load_abort(l);
		return -ENOMEM;
	}
	for (rb = rb_first(&l->top->children); rb; rb = rb_next(rb)) {
		n = rb_entry(rb, struct kxs_node, rb);
		n->parent = root;
	}
	preempt_disable();
	write_seqcount_begin(&s->commit_seq);
	if (l->top->nr_children) {
		kxs_seq_write_begin(s, &root->children_seq);
		for (rb = rb_first(&l->top->children); rb; rb = rb_next(rb))
			kxs_child_hash_add(s, rb_entry(rb, struct kxs_node,
						       rb));
		/* All below is written: readers may follow the pointer now. */
		smp_store_release(&root->children.rb_node,
				  l->top->children.rb_node);
		WRITE_ONCE(root->nr_children, l->top->nr_children);
		WRITE_ONCE(root->children_len, l->top->children_len);
		WRITE_ONCE(root->gen, ++s->gen);
		kxs_seq_write_end(&root->children_seq);
	}
	/* The root's data only if it differs: generations say what changed. */
	if (!kxs_data_is(kxs_data_get(s, root), kxs_data_value(l->root_data),
			 l->root_data->len, l->root_data->perms,
			 l->root_data->nr_perms)) {
		kxs_node_set_data(s, root, l->root_data);
		l->root_data = NULL;
	}
	write_seqcount_end(&s->commit_seq);
	preempt_enable();
	kxs_data_kfree(l->root_data);
	l->root_data = NULL;
	kxs_node_kfree(l->top);
	kvfree(l->stack);
	mutex_unlock(&s->lock);
	return 0;
}

/* Give up a load: free what it made, unlock the store. */
void kxs_store_load_abort(struct kxs_load *l)
{
	struct kxs_store *s = l->s;
	struct rb_node *rb;

	kxs_load_count(l, -1);
	while (l->top && (rb = rb_first(&l->top->children))) {
		struct kxs_node *n = rb_entry(rb, struct kxs_node, rb);

		rb_erase(rb, &l->top->children);
		kxs_subtree_free_rcu(s, n);
	}
	kxs_node_kfree(l->top);
	kxs_data_kfree(l->root_data);
	kvfree(l->stack);
	memset(l, 0, sizeof(*l));
	mutex_unlock(&s->lock);
}

/**
 * kxs_store_tx_conflicts() - would a transaction's commit fail now?
 * @s: the store
 * @tx: the transaction
 *
 * Return: true if something it relied on changed since it looked.
 */
bool kxs_store_tx_conflicts(struct kxs_store *s, struct kxs_tx *tx)
{
	bool ret;

	mutex_lock(&s->lock);
	ret = kxs_commit_conflicts(s, tx);
	mutex_unlock(&s->lock);
	return ret;
}

/*
 * Everything a commit needs before its commit_seq section, so that the
 * section only swaps pointers: the live node each change replaces or
 * removes (records in path order: a node below one the commit removes or
 * makes anew has none), the node each creation links under (live, or
 * made by this commit for the parent's record, which comes first), the
 * new nodes themselves and the per-domain count slots they raise.
 * Lookups walk the tree here, under the store lock, not in the section.
 */
static int kxs_commit_prepare(struct kxs_store *s, struct kxs_tx *tx)
{
	struct kxs_txn_walk w;
	struct kxs_txn *e, *pe;
	struct kxs_node *anc;
	size_t plen;
	int ret;

	for (e = kxs_written_first(tx); e; e = kxs_written_next(e)) {
		const char *name;

		e->live = kxs_commit_live(s, tx, e, &anc);
		e->parent = NULL;
		if (!e->data)
			continue;
		ret = kxs_owned_reserve(s, kxs_data_owner(e->data));
		if (ret)
			return ret;
		if (e->live && !(e->flags & KXS_TXN_FRESH))
			continue;
		name = strrchr(e->path, '/') + 1;
		e->prep = kxs_node_alloc(name, strlen(name), NULL);
		if (!e->prep)
			return -ENOMEM;
		plen = kxs_parent_len(e->path, e->len);
		kxs_txn_walk_at(&w, e->path, plen, plen,
				kxs_txn_hash(e->path, plen));
		pe = kxs_txn_find(tx, &w);
		if (pe && (pe->flags & KXS_TXN_WRITTEN) && pe->prep)
			e->parent = pe->prep;
		else
			e->parent = e->live ? e->live->parent : anc;
		/* The view had the parent: the tree has it, or this commit. */
		if (WARN_ON_ONCE(!e->parent))
			return -EIO;
	}
	return 0;
}

/* Free what kxs_commit_prepare() made and did not use. */
static void kxs_commit_cleanup(struct kxs_store *s, struct kxs_tx *tx)
{
	unsigned long domid;
	struct kxs_txn *e;
	void *cnt;

	s->committing = false;
	xa_for_each(s->owned, domid, cnt)
		if (!xa_to_value(cnt))
			kxs_owned_erase(s, domid);

	for (e = kxs_written_first(tx); e; e = kxs_written_next(e)) {
		kxs_node_kfree(e->prep);
		e->prep = NULL;
		e->live = NULL;
		e->parent = NULL;
		if (e->data)
			kxs_owned_unreserve(s, kxs_data_owner(e->data));
	}
}

/*
 * Apply the changes; nothing here may fail or sleep, and nothing here
 * looks anything up (kxs_commit_prepare() did): new data swapped in,
 * removed subtrees unlinked (freed after the section), new nodes linked.
 */
static void kxs_commit_apply(struct kxs_store *s, struct kxs_tx *tx)
{
	struct kxs_txn *e;
	struct kxs_node *n;
	u64 gen;

	for (e = kxs_written_first(tx); e; e = kxs_written_next(e)) {
		if (e->data && !e->prep) {
			if (WARN_ON_ONCE(!e->live))
				continue;
			refcount_inc(&e->data->ref);
			kxs_node_set_data(s, e->live, e->data);
			continue;
		}
		/* Removed, or made anew: the live node goes first. */
		if (e->live)
			kxs_child_unlink(s, e->live, ++s->gen);
		if (!e->data)
			continue;
		n = e->prep;
		e->prep = NULL;
		refcount_inc(&e->data->ref);
		RCU_INIT_POINTER(n->data, e->data);
		gen = ++s->gen;
		n->gen = gen;
		n->dgen = gen;
		kxs_node_account(s, n, true);
		kxs_child_link(s, e->parent, n, gen);
	}
}

/* After the section: free the subtrees the commit unlinked. */
static void kxs_commit_free_removed(struct kxs_store *s, struct kxs_tx *tx)
{
	struct kxs_txn *e;

	for (e = kxs_written_first(tx); e; e = kxs_written_next(e)) {
		if (e->live && (!e->data || e->flags & KXS_TXN_FRESH))
			kxs_subtree_free_rcu(s, e->live);
		e->live = NULL;
	}
}

/*
 * The nodes and node-size quotas of @c, checked again against the live
 * tree: a transaction checked them against its own view, and transactions
 * that do not conflict (several adding nodes, or children to one node)
 * would together pass what each stayed within.  As the reference checks
 * at TRANSACTION_END.  No conflict was found, so the transaction's net
 * change of its domain's nodes, and of each node's child names, applies
 * to the live tree as it is.
 */
static int kxs_commit_quotas(struct kxs_store *s, struct kxs_tx *tx,
			     const struct kxs_caller *c)
{
	struct kxs_node *live, *anc;
	const char *rest;
	struct rb_node *rb;

	if (!c || c->priv)
		return 0;
	if (tx->owned_delta > 0 &&
	    kxs_over_quota(c, KXS_QUOTA_NODES,
			   kxs_owned_get(s, c->domid) + tx->owned_delta))
		return -ENOSPC;
	if (!c->quota[KXS_QUOTA_NODE_SIZE])
		return 0;
	for (rb = rb_first(&tx->nodes); rb; rb = rb_next(rb)) {
		struct kxs_txn *e = rb_entry(rb, struct kxs_txn, node);

		/* A node it made was sized in its view, children and all. */
		if (e->cdelta <= 0 || !e->data || (e->flags & KXS_TXN_FRESH))
			continue;
		live = kxs_walk(s, e->path, &anc, &rest);
		if (live &&
		    kxs_node_too_big(c, kxs_node_quota_size(e->data->nr_perms,
							    e->data->len,
							    live->children_len +
							    e->cdelta)))
			return -ENOSPC;
	}
	return 0;
}

/**
 * kxs_store_commit_tx() - commit a transaction
 * @s: the store
 * @tx: the transaction, whose view is applied
 * @c: who commits it (its quotas are checked again), or NULL for none
 *
 * If a node the transaction read, listed, wrote or found absent changed
 * since (its data generation, its presence, or for a listed node its
 * generation), nothing happens.  Otherwise, if the result stays within
 * @c's quotas, the transaction's changes are applied in path order
 * (parents before children) inside one commit_seq write section: readers
 * see all of them or none.
 *
 * Return: 0, -EAGAIN on a conflict, -ENOSPC over a quota, or -ENOMEM.
 */
int kxs_store_commit_tx(struct kxs_store *s, struct kxs_tx *tx,
			const struct kxs_caller *c)
{
	u64 start, ns;
	int ret;

	mutex_lock(&s->lock);
	ret = -EAGAIN;
	if (kxs_commit_conflicts(s, tx))
		goto out;
	ret = kxs_commit_quotas(s, tx, c);
	if (ret)
		goto out;
	if (!kxs_written_first(tx))
		goto out;
	s->committing = true;
	ret = kxs_commit_prepare(s, tx);
	if (ret)
		goto cleanup;
	preempt_disable();
	start = local_clock();
	write_seqcount_begin(&s->commit_seq);
	kxs_commit_apply(s, tx);
	write_seqcount_end(&s->commit_seq);
	ns = local_clock() - start;
	preempt_enable();
	if (ns > READ_ONCE(s->commit_max_ns))
		WRITE_ONCE(s->commit_max_ns, ns);
	kxs_commit_free_removed(s, tx);
cleanup:
	kxs_commit_cleanup(s, tx);
out:
	mutex_unlock(&s->lock);
	return ret;
}
