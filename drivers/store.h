/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xenstore tree: nodes in per-parent rbtrees, read under RCU.
 *
 * Locking rule (one for the whole tree, see Documentation/design.rst):
 *
 *  - Writers hold kxs_store.lock (a mutex) for the whole of an operation.
 *    Every node field is written only under it.
 *  - Readers hold rcu_read_lock() and nothing else.  They may follow
 *    kxs_node.children and kxs_node.data, and read the immutable fields
 *    (name, namelen).  A child is looked up in kxs_store.index, by parent
 *    and name; the parent's rbtree is searched instead when some of its
 *    children are not in the index (kxs_node.unhashed).  A lookup that
 *    misses is retried while the parent's children_seq shows a concurrent
 *    change, because a descent racing an rbtree rotation can miss a node
 *    that is there.  A reader copying a value copies again when the
 *    node's data_seq moved: a WRITE may rewrite a value in place.
 *  - Nodes and node data are freed only after an RCU grace period.
 */
#ifndef _KXS_STORE_H
#define _KXS_STORE_H

#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "perms.h"

/**
 * struct kxs_data - a node's value and permissions
 * @rcu: frees the data after a grace period once the last reference goes
 *	(data of its own allocation; data made with its node lets the node's
 *	memory go instead, kxs_node.mem)
 * @ref: one for the node that holds it, one per transaction that saw or
 *	made it (kxs_store_observe(), kxs_data_put()); 0 while a WRITE
 *	rewrites the value in place (kxs_data_rewrite())
 * @len: length of the value in bytes
 * @size: bytes allocated, the most kxs_data_size() may grow to in place
 * @nr_perms: number of permission entries (at least one)
 * @node_off: for data made with its node, in the node's allocation, its
 *	offset from the node's start; 0 for data allocated on its own
 * @perms: @nr_perms entries, then @len bytes of value
 *
 * The permissions never change once published through kxs_node.data: a
 * SET_PERMS replaces the whole object.  The value does not either while
 * anyone but the node holds a reference; a WRITE of a node whose data
 * only the node holds rewrites the value in place inside the node's
 * @data_seq, which a reader copying the value checks (so it sees the
 * value of one instant), instead of allocating new data.
 */
struct kxs_data {
	struct rcu_head rcu;
	refcount_t ref;
	u32 len;
	u32 size;
	u16 nr_perms;
	u16 node_off;
	struct kxs_perm perms[];
};

static inline const u8 *kxs_data_value(const struct kxs_data *d)
{
	return (const u8 *)&d->perms[d->nr_perms];
}

/* kxs_node.unhashed of a removed node */
#define KXS_UNHASHED_ALL	U32_MAX

/**
 * struct kxs_node - one node of the tree
 * @rb: link in the parent's @children
 * @index_node: link in kxs_store.index, by @parent and @name
 * @children: the child nodes, ordered by name; readers under RCU
 * @children_seq: bumped around every change of @children, so that a
 *	lockless lookup can tell a true miss from one caused by a rotation
 * @data_seq: bumped around a rewrite of @data's value in place, so that
 *	a lockless reader copies the value of one instant
 * @parent: the parent node, NULL for the root; set before the node is
 *	linked and never changed after (the index compares it locklessly)
 * @data: value and permissions; readers under RCU
 * @gen: store generation of the last change to the node, its value,
 *	permissions or list of children; written under the store lock
 * @dgen: store generation of the node's creation or the last change of
 *	its value or permissions (not of its children): what a transaction
 *	that read the node checks at commit
 * @nr_children: number of nodes in @children
 * @children_len: sum over the children of (name length + 1), the size
 *	of the node's DIRECTORY reply
 * @unhashed: children not in kxs_store.index (an insert that failed), or
 *	KXS_UNHASHED_ALL once the node is removed: lookups of its children
 *	then search @children
 * @mem: references to the node's memory: one for the node until it is
 *	unlinked, one for the data made with it (kxs_data.node_off) until
 *	that data's last reference goes, which a transaction may hold
 *	after the node is gone
 * @rcu: frees the node's memory after a grace period once @mem is 0
 * @hashed: the node is in kxs_store.index
 * @namelen: length of @name
 * @name: the last path component, NUL terminated; "" for the root
 */
struct kxs_node {
	struct rb_node rb;
	struct rhash_head index_node;
	struct rb_root children;
	seqcount_t children_seq;
	seqcount_t data_seq;
	struct kxs_node *parent;
	struct kxs_data __rcu *data;
	u64 gen;
	u64 dgen;
	u32 nr_children;
	u32 children_len;
	u32 unhashed;
	refcount_t mem;
	struct rcu_head rcu;
	bool hashed;
	u16 namelen;
	char name[];
};

/**
 * struct kxs_store - a whole xenstore tree
 * @lock: serialises every writer; see the rule at the top of this file
 * @root: the node "/"; readers under RCU
 * @index: every node but the root, by parent and name: a lookup costs a
 *	probe per path component, whatever the size of the directories
 * @commit_seq: written around the whole of a transaction's commit, so
 *	that readers, who retry when it moved, see all of it or none
 * @owned_bytes: bytes of those nodes and their data, by domid
 *	(xa_mk_value()): the memory quota's share of the tree; under @lock,
 *	read without it by kxs_store_owned_bytes()
 * @owned: nodes owned by each domain, by domid (xa_mk_value()); under
 *	@lock
 * @committing: a commit is being applied: emptied counts stay (as 0)
 *	until it is done; under @lock
 * @gen: last generation handed out; under @lock
 * @nr_nodes: nodes in the tree; under @lock
 * @bytes: bytes allocated for nodes and their data; under @lock
 * @index_fails: set by KUnit only: every insert into @index fails, as
 *	when memory runs out; under @lock
 * @commit_max_ns: the longest a commit kept preemption off in its
 *	commit_seq section (readers spin meanwhile), in nanoseconds;
 *	written under @lock, read and reset without it
 */
struct kxs_store {
	struct mutex lock;	/* every writer; see the rule above */
	struct kxs_node __rcu *root;
	struct rhashtable index;
	seqcount_t commit_seq;
	struct xarray *owned;
	struct xarray *owned_bytes;
	bool committing;
	u64 gen;
	unsigned long nr_nodes;
	size_t bytes;
	bool index_fails;
	u64 commit_max_ns;
};

struct kxs_store *kxs_store_create(void);
void kxs_store_destroy(struct kxs_store *s);

struct kxs_tx;
int kxs_store_commit_tx(struct kxs_store *s, struct kxs_tx *tx,
			const struct kxs_caller *c);
bool kxs_store_tx_conflicts(struct kxs_store *s, struct kxs_tx *tx);

/* What transactions need of the live tree. */
struct kxs_data *kxs_data_new(const struct kxs_perm *perms, u16 nr_perms,
			      const void *value, size_t len);
void kxs_data_put(struct kxs_data *d);
bool kxs_data_is(const struct kxs_data *d, const void *value, size_t len,
		 const struct kxs_perm *perms, unsigned int nr);
size_t kxs_store_live_prefix(struct kxs_store *s, const char *path);
bool kxs_store_observe(struct kxs_store *s, const char *path,
		       struct kxs_data **data, u64 *dgen, u64 *gen,
		       u32 *children_len);
int kxs_store_children(struct kxs_store *s, const char *path, char **names,
		       u32 *len, u64 *gen);
unsigned long kxs_store_owned_below(struct kxs_store *s, const char *path,
				    u16 domid);

/*
 * Operations on canonical absolute paths (see path.h), with the access
 * rights and quotas of @c.  Nodes a caller creates inherit their parent's
 * permissions; an unprivileged creator becomes their owner.
 */
int kxs_store_write(struct kxs_store *s, const struct kxs_caller *c,
		    const char *path, const void *value, size_t len);
int kxs_store_mkdir(struct kxs_store *s, const struct kxs_caller *c,
		    const char *path, bool *made);
int kxs_store_rm(struct kxs_store *s, const struct kxs_caller *c,
		 const char *path);
int kxs_store_set_perms(struct kxs_store *s, const struct kxs_caller *c,
			const char *path, const struct kxs_perm *perms,
			unsigned int nr);

int kxs_store_read(struct kxs_store *s, const struct kxs_caller *c,
		   const char *path, void *buf, size_t size);
int kxs_store_directory(struct kxs_store *s, const struct kxs_caller *c,
			const char *path, char *buf, size_t size);
int kxs_store_directory_part(struct kxs_store *s, const struct kxs_caller *c,
			     const char *path, u32 offset, char *buf,
			     size_t size);
int kxs_store_get_perms(struct kxs_store *s, const struct kxs_caller *c,
			const char *path, char *buf, size_t size);
struct kxs_perm *kxs_store_perms(struct kxs_store *s, const char *path,
				 unsigned int *nr);

unsigned long kxs_store_owned(struct kxs_store *s, u16 domid);
size_t kxs_store_owned_bytes(struct kxs_store *s, u16 domid);
void kxs_store_totals(struct kxs_store *s, unsigned long *nodes,
		      size_t *bytes);
int kxs_store_owned_tops(struct kxs_store *s, u16 domid, char ***paths);
long kxs_store_drop_grants(struct kxs_store *s, u16 domid);
int kxs_store_check(struct kxs_store *s, char *buf, size_t size);

struct kxs_node *kxs_store_lookup_rcu(struct kxs_store *s, const char *path);

/**
 * struct kxs_load - a whole tree built for a store that has only its root
 * @s: the store, whose lock is held from kxs_store_load_begin() to the
 *	commit or the abort
 * @top: a stand-in for the root, holding the new nodes until the commit
 * @root_data: the root's value and permissions, given at the commit
 * @stack: the last node made at each depth
 * @owner: the owner of the last nodes made, not counted yet
 * @owned: how many of them (counted when the owner changes)
 */
struct kxs_load {
	struct kxs_store *s;
	struct kxs_node *top;
	struct kxs_data *root_data;
	struct kxs_node **stack;
	u16 owner;
	unsigned long owned;
};

int kxs_store_load_begin(struct kxs_store *s, struct kxs_load *l,
			 const struct kxs_perm *perms, u16 nr,
			 const void *value, size_t len);
int kxs_store_load_node(struct kxs_load *l, unsigned int depth,
			const char *name, size_t nlen,
			const struct kxs_perm *perms, u16 nr,
			const void *value, size_t len);
int kxs_store_load_commit(struct kxs_load *l);
void kxs_store_load_abort(struct kxs_load *l);

#endif /* _KXS_STORE_H */
