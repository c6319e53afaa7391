/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watches: registered paths whose changes are reported as WATCH_EVENT
 * messages to the connection that registered them.
 *
 * Locking rule: kxs_watch_table.lock (a mutex) protects the table and
 * every watch in it, and each context's list of watches.  It nests inside
 * a context's request lock and outside kxs_domains.lock, the store lock
 * (kxs_watch_rm()) and a connection's queue lock; a watch's context stays alive while the watch
 * is in the table (a context removes its watches before it goes away).
 */
#ifndef _KXS_WATCH_H
#define _KXS_WATCH_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/types.h>

#include "perms.h"

struct kxs_ctx;
struct kxs_domains;

/* A watch without a depth argument matches at any depth. */
#define KXS_WATCH_DEPTH_ANY	U32_MAX

/**
 * struct kxs_watch - one registered watch
 * @node: link in kxs_watch_table.tree, ordered by @path
 * @ctx_link: link in the owning context's list
 * @ctx: the context that registered it, which receives its events;
 *	NULL while the watch is parked (a restore brought it back)
 * @domid: while parked, the domain whose next connection adopts it
 * @depth: levels below @path that match, or KXS_WATCH_DEPTH_ANY
 * @relative: registered with a relative path: events are reported
 *	relative to the domain's directory, as the path was given
 * @mem: bytes counted against its domain's memory quota (0 for a
 *	watch a restore brought back)
 * @token: the token, after @path in the same allocation
 * @path: the canonical path, or the special path ("@...") as given
 */
struct kxs_watch {
	struct rb_node node;
	struct list_head ctx_link;
	struct kxs_ctx *ctx;
	u16 domid;
	u32 depth;
	bool relative;
	size_t mem;
	char *token;
	char path[];
};

/**
 * struct kxs_watch_table - every watch on one store
 * @lock: see the rule at the top of this file
 * @tree: the watches, ordered by path (then by address)
 * @nr: watches in @tree
 */
struct kxs_watch_table {
	struct mutex lock;	/* the table, its watches, contexts' lists */
	struct rb_root tree;
	unsigned long nr;
};

struct kxs_sbuf;

void kxs_watch_table_init(struct kxs_watch_table *t);
void kxs_watch_table_destroy(struct kxs_watch_table *t);

int kxs_watch_add(struct kxs_domains *d, struct kxs_ctx *ctx,
		  const struct kxs_caller *c, const char *path, bool relative,
		  const char *token, u32 depth);
int kxs_watch_remove(struct kxs_domains *d, struct kxs_ctx *ctx,
		     const char *path, const char *token);
void kxs_watch_remove_all(struct kxs_domains *d, struct kxs_ctx *ctx);

void kxs_watch_fire_special(struct kxs_domains *d, int special, u16 domid);

struct kxs_store;
struct kxs_watch_plan;

void kxs_watch_fire_changed(struct kxs_domains *d, struct kxs_store *s,
			    const char *path);

int kxs_watch_rm(struct kxs_domains *d, struct kxs_store *s,
		 const struct kxs_caller *c, const char *path);
void kxs_watch_lock(struct kxs_domains *d);
void kxs_watch_unlock(struct kxs_domains *d);
struct kxs_watch_plan *kxs_watch_rm_prepare(struct kxs_domains *d,
					    struct kxs_store *s,
					    const char *path);
void kxs_watch_rm_fire(struct kxs_domains *d, const char *path,
		       const struct kxs_perm *perms, unsigned int nr,
		       struct kxs_watch_plan *plan);
void kxs_watch_fire_locked(struct kxs_domains *d, const char *path,
			   const struct kxs_perm *perms, unsigned int nr);

int kxs_watch_canon(const char *wpath, u16 domid, char *out, bool *relative);

/* Checkpoint and restore of a guest's watches (checkpoint.c, restore.c). */
const char *kxs_watch_saved_path(const struct kxs_watch *w, u16 domid);
int kxs_watch_save(struct kxs_domains *d, u16 guest, struct kxs_sbuf *b);
struct kxs_watch *kxs_watch_alloc(const char *path, bool relative,
				  const char *token, u16 domid);
unsigned int kxs_watch_count_equal(struct kxs_domains *d,
				   struct kxs_watch *w);
void kxs_watch_park(struct kxs_domains *d, struct kxs_watch *w);
void kxs_watch_kfree(struct kxs_watch *w);
void kxs_watch_free_parked(struct kxs_domains *d, int domid);
void kxs_watch_adopt(struct kxs_domains *d, struct kxs_ctx *ctx);

/**
 * struct kxs_watch_census - what a checkpoint does with the guests' watches
 * @saved: watches of the guest that the stream carries
 * @saved_at: of those, how many have an '@' in their path (special ones,
 *	and others: a path may have an '@', QEMU's may not)
 * @unsaved: watches of guests that it does not carry, registered or
 *	parked: another guest's, with a depth, or a copy of one carried
 * @domid: the domain of one of those (the last found)
 */
struct kxs_watch_census {
	unsigned int saved;
	unsigned int saved_at;
	unsigned int unsaved;
	u16 domid;
};

int kxs_watch_census(struct kxs_domains *d, u16 guest,
		     struct kxs_watch_census *c);
int kxs_watch_for_unsaved(struct kxs_domains *d, u16 guest,
			  int (*fn)(void *arg, const struct kxs_watch *w,
				    u16 domid),
			  void *arg);

#endif /* _KXS_WATCH_H */
