// SPDX-License-Identifier: GPL-2.0
/*
 * The xenstore tree.
 *
 * Every node keeps its children in an rbtree ordered by name, so a lookup
 * costs O(depth * log(children)) and DIRECTORY lists the children in
 * sorted order.  Readers descend without the store lock under RCU; the
 * locking rule is in store.h and Documentation/design.rst.
 */
#include <linux/lockdep.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "store.h"

struct kxs_name {
	const char *name;
	size_t len;
};

/* Byte order of names; for names without NULs it is strcmp() order. */
static int kxs_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, min(alen, blen));

	if (r)
		return r;
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
static const char *kxs_next_component(const char **pos, size_t *len)
{
	const char *p = *pos, *end;

	if (p[0] != '/' || p[1] == '\0')
		return NULL;
	p++;
	end = strchrnul(p, '/');
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

static struct kxs_data *kxs_data_alloc(const struct kxs_perm *perms,
				       u16 nr_perms, const void *value,
				       size_t len)
{
	struct kxs_data *d;

	d = kmalloc(kxs_data_size(nr_perms, len), GFP_KERNEL);
	if (!d)
		return NULL;
	d->len = len;
	d->nr_perms = nr_perms;
	memcpy(d->perms, perms, nr_perms * sizeof(*perms));
	if (len)
		memcpy((u8 *)kxs_data_value(d), value, len);
	return d;
}

static struct kxs_data *kxs_data_get(struct kxs_store *s,
				     const struct kxs_node *n)
{
	return rcu_dereference_protected(n->data, lockdep_is_held(&s->lock));
}

static void kxs_data_account(struct kxs_store *s, const struct kxs_data *d,
			     bool add)
{
	size_t size = kxs_data_size(d->nr_perms, d->len);

	if (add)
		s->bytes += size;
	else
		s->bytes -= size;
}

/* Count a node and its data in the store's totals, or stop counting them. */
static void kxs_node_account(struct kxs_store *s, const struct kxs_node *n,
			     bool add)
{
	size_t size = kxs_node_size(n);

	if (add) {
		s->nr_nodes++;
		s->bytes += size;
	} else {
		s->nr_nodes--;
		s->bytes -= size;
	}
	kxs_data_account(s, kxs_data_get(s, n), add);
}

static struct kxs_node *kxs_node_alloc(const char *name, size_t len,
				       struct kxs_data *data)
{
	struct kxs_node *n;

	n = kmalloc(struct_size(n, name, len + 1), GFP_KERNEL);
	if (!n)
		return NULL;
	RB_CLEAR_NODE(&n->rb);
	n->children = RB_ROOT;
	seqcount_init(&n->children_seq);
	n->parent = NULL;
	RCU_INIT_POINTER(n->data, data);
	n->gen = 0;
	n->nr_children = 0;
	n->children_len = 0;
	n->namelen = len;
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	return n;
}

/* Free a node that was never published to readers. */
static void kxs_node_free_unpublished(struct kxs_node *n)
{
	kfree(rcu_dereference_protected(n->data, 1));
	kfree(n);
}

/* Writer-side child lookup: the store lock keeps the tree still. */
static struct kxs_node *kxs_child_find(struct kxs_store *s,
				       const struct kxs_node *parent,
				       const char *name, size_t len)
{
	struct kxs_name key = { .name = name, .len = len };
	struct rb_node *rb;

	lockdep_assert_held(&s->lock);
	rb = rb_find(&key, &parent->children, kxs_node_key_cmp);
	return rb ? rb_entry(rb, struct kxs_node, rb) : NULL;
}

/*
 * One lockless descent of @parent's children.  A rotation racing with it
 * can make it miss a node that is present, never return a wrong one: the
 * tree code publishes child pointers with WRITE_ONCE() and nodes are
 * freed only after a grace period.
 */
static struct kxs_node *kxs_child_descend_rcu(const struct kxs_node *parent,
					      const char *name, size_t len)
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

/* Reader-side child lookup; a miss is trusted only if no writer raced. */
static struct kxs_node *kxs_child_lookup_rcu(struct kxs_node *parent,
					     const char *name, size_t len)
{
	struct kxs_node *found;
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&parent->children_seq);
		found = kxs_child_descend_rcu(parent, name, len);
	} while (!found && read_seqcount_retry(&parent->children_seq, seq));
	return found;
}

/*
 * The children_seq write side.  seqcount_t writers must not be preempted
 * (readers would spin on an odd count); the store mutex serialises them.
 */
static void kxs_children_write_begin(struct kxs_store *s, struct kxs_node *n)
{
	lockdep_assert_held(&s->lock);
	preempt_disable();
	write_seqcount_begin(&n->children_seq);
}

static void kxs_children_write_end(struct kxs_node *n)
{
	write_seqcount_end(&n->children_seq);
	preempt_enable();
}

/* Insert @child under @parent and publish it to readers. */
static void kxs_child_link(struct kxs_store *s, struct kxs_node *parent,
			   struct kxs_node *child)
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
	kxs_children_write_begin(s, parent);
	rb_link_node_rcu(&child->rb, rb_parent, link);
	rb_insert_color(&child->rb, &parent->children);
	WRITE_ONCE(parent->nr_children, parent->nr_children + 1);
	WRITE_ONCE(parent->children_len,
		   parent->children_len + child->namelen + 1);
	kxs_children_write_end(parent);
}

static void kxs_child_unlink(struct kxs_store *s, struct kxs_node *child)
{
	struct kxs_node *parent = child->parent;

	kxs_children_write_begin(s, parent);
	rb_erase(&child->rb, &parent->children);
	WRITE_ONCE(parent->nr_children, parent->nr_children - 1);
	WRITE_ONCE(parent->children_len,
		   parent->children_len - child->namelen - 1);
	kxs_children_write_end(parent);
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

/* Free an unlinked subtree once the readers that may see it are gone. */
static void kxs_subtree_free_rcu(struct kxs_store *s, struct kxs_node *top)
{
	struct kxs_node *n, *next;

	for (n = kxs_postorder_first(top); n; n = next) {
		struct kxs_data *d = kxs_data_get(s, n);

		next = kxs_postorder_next(n, top);
		kxs_node_account(s, n, false);
		kfree_rcu(d, rcu);
		kfree_rcu(n, rcu);
	}
}

static struct kxs_node *kxs_root(struct kxs_store *s)
{
	return rcu_dereference_protected(s->root, lockdep_is_held(&s->lock));
}

static const struct kxs_perm kxs_root_perms[] = {
	{ .domid = 0, .access = KXS_PERM_NONE },
};

struct kxs_store *kxs_store_create(void)
{
	struct kxs_store *s;
	struct kxs_node *root;
	struct kxs_data *d;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	mutex_init(&s->lock);
	d = kxs_data_alloc(kxs_root_perms, ARRAY_SIZE(kxs_root_perms),
			   NULL, 0);
	if (!d)
		goto err_store;
	root = kxs_node_alloc("", 0, d);
	if (!root)
		goto err_data;
	RCU_INIT_POINTER(s->root, root);
	s->nr_nodes = 1;
	s->bytes = kxs_node_size(root) + kxs_data_size(d->nr_perms, 0);
	return s;

err_data:
	kfree(d);
err_store:
	kfree(s);
	return NULL;
}

/* No reader or writer may use @s any more: the last connection is gone. */
void kxs_store_destroy(struct kxs_store *s)
{
	if (!s)
		return;
	mutex_lock(&s->lock);
	kxs_subtree_free_rcu(s, kxs_root(s));
	WARN_ON(s->nr_nodes || s->bytes);
	mutex_unlock(&s->lock);
	mutex_destroy(&s->lock);
	kfree(s);
}

/*
 * Build the missing part of @path below @parent off-tree, then publish it
 * with a single link, so readers see all of it or nothing.  The last node
 * gets @value; the others are empty.  New nodes inherit the permissions
 * of @parent, owned by @domid unless the control domain creates them (it
 * keeps the parent's owner, as the reference daemon does).
 */
static int kxs_create_path(struct kxs_store *s, struct kxs_node *parent,
			   const char *name, size_t len, const char *pos,
			   const void *value, size_t vlen, u16 domid)
{
	const struct kxs_data *pd = kxs_data_get(s, parent);
	struct kxs_node *top = NULL, *bottom = NULL, *n, *next;
	u64 gen;

	do {
		const char *next_name;
		size_t next_len;
		struct kxs_data *d;
		bool last;

		next_name = kxs_next_component(&pos, &next_len);
		last = !next_name;
		d = kxs_data_alloc(pd->perms, pd->nr_perms,
				   last ? value : NULL, last ? vlen : 0);
		if (!d)
			goto err;
		if (domid)
			d->perms[0].domid = domid;
		n = kxs_node_alloc(name, len, d);
		if (!n) {
			kfree(d);
			goto err;
		}
		if (bottom)
			kxs_child_link(s, bottom, n);
		else
			top = n;
		bottom = n;
		name = next_name;
		len = next_len;
	} while (name);

	gen = ++s->gen;
	for (n = kxs_postorder_first(top); n; n = kxs_postorder_next(n, top)) {
		n->gen = gen;
		kxs_node_account(s, n, true);
	}
	kxs_child_link(s, parent, top);
	parent->gen = gen;
	return 0;

err:
	for (n = top ? kxs_postorder_first(top) : NULL; n; n = next) {
		next = kxs_postorder_next(n, top);
		kxs_node_free_unpublished(n);
	}
	return -ENOMEM;
}

static int kxs_store_update(struct kxs_store *s, const char *path,
			    const void *value, size_t len, bool set_value,
			    u16 domid)
{
	struct kxs_node *node, *child;
	struct kxs_data *old, *d;
	const char *pos = path, *name;
	size_t namelen;
	int ret = 0;

	mutex_lock(&s->lock);
	node = kxs_root(s);
	while ((name = kxs_next_component(&pos, &namelen))) {
		child = kxs_child_find(s, node, name, namelen);
		if (!child) {
			ret = kxs_create_path(s, node, name, namelen, pos,
					      value, len, domid);
			goto out;
		}
		node = child;
	}

	/* The node exists: MKDIR leaves it alone, WRITE replaces its value. */
	if (!set_value)
		goto out;
	old = kxs_data_get(s, node);
	d = kxs_data_alloc(old->perms, old->nr_perms, value, len);
	if (!d) {
		ret = -ENOMEM;
		goto out;
	}
	rcu_assign_pointer(node->data, d);
	kxs_data_account(s, old, false);
	kxs_data_account(s, d, true);
	kfree_rcu(old, rcu);
	node->gen = ++s->gen;
out:
	mutex_unlock(&s->lock);
	return ret;
}

int kxs_store_write(struct kxs_store *s, const char *path, const void *value,
		    size_t len, u16 domid)
{
	return kxs_store_update(s, path, value, len, true, domid);
}

int kxs_store_mkdir(struct kxs_store *s, const char *path, u16 domid)
{
	return kxs_store_update(s, path, NULL, 0, false, domid);
}

int kxs_store_rm(struct kxs_store *s, const char *path)
{
	struct kxs_node *node, *parent = NULL;
	const char *pos = path, *name;
	size_t namelen;
	int ret = 0;

	/* The root cannot be removed. */
	if (!kxs_next_component(&pos, &namelen))
		return -EINVAL;
	pos = path;

	mutex_lock(&s->lock);
	node = kxs_root(s);
	while ((name = kxs_next_component(&pos, &namelen))) {
		parent = node;
		node = kxs_child_find(s, parent, name, namelen);
		if (!node) {
			/* Missing is fine as long as the parent is there. */
			if (*pos)
				ret = -ENOENT;
			goto out;
		}
	}
	kxs_child_unlink(s, node);
	parent->gen = ++s->gen;
	kxs_subtree_free_rcu(s, node);
out:
	mutex_unlock(&s->lock);
	return ret;
}

/* Copy one node of @s (name, data, generation), unlinked. */
static struct kxs_node *kxs_node_copy(struct kxs_store *s,
				      const struct kxs_node *src)
{
	const struct kxs_data *sd = kxs_data_get(s, src);
	struct kxs_data *d;
	struct kxs_node *n;

	d = kxs_data_alloc(sd->perms, sd->nr_perms, kxs_data_value(sd),
			   sd->len);
	if (!d)
		return NULL;
	n = kxs_node_alloc(src->name, src->namelen, d);
	if (!n) {
		kfree(d);
		return NULL;
	}
	n->gen = src->gen;
	return n;
}

/**
 * kxs_store_clone() - copy a whole store
 * @s: the store to copy
 *
 * The copy has the same nodes, values, permissions and generations, and
 * the same generation counter.  Writers of @s wait while it is made;
 * readers do not.
 *
 * Return: the copy, or NULL if memory ran out.
 */
struct kxs_store *kxs_store_clone(struct kxs_store *s)
{
	struct kxs_node *top, *src, *dst, *n;
	struct kxs_store *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	mutex_init(&c->lock);
	mutex_lock(&s->lock);
	mutex_lock_nested(&c->lock, SINGLE_DEPTH_NESTING);
	top = kxs_root(s);
	dst = kxs_node_copy(s, top);
	if (!dst) {
		mutex_unlock(&c->lock);
		mutex_unlock(&s->lock);
		kfree(c);
		return NULL;
	}
	RCU_INIT_POINTER(c->root, dst);
	kxs_node_account(c, dst, true);
	c->gen = s->gen;

	/* Pre-order walk, without recursion: each copy goes under its parent's. */
	for (src = top;;) {
		struct rb_node *rb = rb_first(&src->children);

		/* A leaf: go on with the next sibling of it or of an ancestor. */
		while (!rb && src != top) {
			rb = rb_next(&src->rb);
			src = src->parent;
			dst = dst->parent;
		}
		if (!rb)
			break;
		src = rb_entry(rb, struct kxs_node, rb);
		n = kxs_node_copy(s, src);
		if (!n)
			goto err;
		kxs_child_link(c, dst, n);
		kxs_node_account(c, n, true);
		dst = n;
	}
	mutex_unlock(&c->lock);
	mutex_unlock(&s->lock);
	return c;

err:
	mutex_unlock(&c->lock);
	mutex_unlock(&s->lock);
	kxs_store_destroy(c);
	return NULL;
}

/**
 * kxs_store_commit() - make a copy of @s the new content of @s
 * @s: the store
 * @copy: a copy made by kxs_store_clone() and changed since
 * @base_gen: the generation of @s when @copy was made
 *
 * If @s changed since @copy was made, nothing happens.  Otherwise @s takes
 * the tree of @copy in one step (readers see all of it or none of it) and
 * @copy is left with the old tree, for kxs_store_destroy() to free after
 * a grace period.
 *
 * Return: 0, or -EAGAIN if @s changed meanwhile.
 */
int kxs_store_commit(struct kxs_store *s, struct kxs_store *copy,
		     u64 base_gen)
{
	struct kxs_node *old;
	int ret = 0;

	mutex_lock(&s->lock);
	mutex_lock_nested(&copy->lock, SINGLE_DEPTH_NESTING);
	if (s->gen != base_gen) {
		ret = -EAGAIN;
		goto out;
	}
	/* Nothing written: nothing to publish. */
	if (copy->gen == base_gen)
		goto out;
	old = kxs_root(s);
	rcu_assign_pointer(s->root, kxs_root(copy));
	RCU_INIT_POINTER(copy->root, old);
	swap(s->nr_nodes, copy->nr_nodes);
	swap(s->bytes, copy->bytes);
	s->gen = copy->gen;
out:
	mutex_unlock(&copy->lock);
	mutex_unlock(&s->lock);
	return ret;
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
	struct kxs_node *node = rcu_dereference(s->root);
	const char *pos = path, *name;
	size_t len;

	while (node && (name = kxs_next_component(&pos, &len)))
		node = kxs_child_lookup_rcu(node, name, len);
	return node;
}

/**
 * kxs_store_read() - copy a node's value
 * @s: the store
 * @path: canonical absolute path
 * @buf: where to copy the value
 * @size: size of @buf
 *
 * Return: the value's length, -ENOENT, or -E2BIG if it does not fit.
 */
int kxs_store_read(struct kxs_store *s, const char *path, void *buf,
		   size_t size)
{
	const struct kxs_data *d;
	struct kxs_node *node;
	int ret;

	rcu_read_lock();
	node = kxs_store_lookup_rcu(s, path);
	if (!node) {
		ret = -ENOENT;
		goto out;
	}
	d = rcu_dereference(node->data);
	if (d->len > size) {
		ret = -E2BIG;
		goto out;
	}
	memcpy(buf, kxs_data_value(d), d->len);
	ret = d->len;
out:
	rcu_read_unlock();
	return ret;
}

/*
 * Copy the children's names, each NUL terminated, in order.  Racing
 * writers can make the walk skip or repeat nodes, or (through rotations)
 * wander; the caller retries on a changed children_seq, and the walk
 * gives up after more steps than there were children.
 */
static int kxs_children_copy_rcu(struct kxs_node *n, char *buf, size_t size)
{
	u32 steps = READ_ONCE(n->nr_children);
	struct rb_node *rb;
	size_t off = 0;

	if (READ_ONCE(n->children_len) > size)
		return -E2BIG;
	for (rb = rb_first(&n->children); rb; rb = rb_next(rb)) {
		const struct kxs_node *c = rb_entry(rb, struct kxs_node, rb);

		if (!steps-- || off + c->namelen + 1 > size)
			return -EAGAIN;
		memcpy(buf + off, c->name, c->namelen + 1);
		off += c->namelen + 1;
	}
	return off;
}

/**
 * kxs_store_directory() - list a node's children
 * @s: the store
 * @path: canonical absolute path
 * @buf: where to put the names, each followed by a NUL, sorted
 * @size: size of @buf
 *
 * Return: bytes written to @buf, -ENOENT, or -E2BIG if they do not fit.
 */
int kxs_store_directory(struct kxs_store *s, const char *path, char *buf,
			size_t size)
{
	struct kxs_node *node;
	unsigned int seq;
	int ret;

	rcu_read_lock();
	node = kxs_store_lookup_rcu(s, path);
	if (!node) {
		ret = -ENOENT;
		goto out;
	}
	do {
		seq = read_seqcount_begin(&node->children_seq);
		ret = kxs_children_copy_rcu(node, buf, size);
	} while (read_seqcount_retry(&node->children_seq, seq));
out:
	rcu_read_unlock();
	return ret;
}
