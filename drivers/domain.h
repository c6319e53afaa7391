/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Domains: the guests xenstore knows about, their limits and the
 * connections that act for them.
 *
 * Locking rule: kxs_domains.lock (a mutex) protects the table, every
 * field of every struct kxs_domain, the special paths' permissions, the
 * global quotas and the parked transactions and watches.  It nests inside
 * a connection's request lock (kxs_ctx.lock) and outside the store lock;
 * it is never held while a request lock is taken.  Its writers also bump
 * kxs_domains.caller_seq around every change of a domain's target and
 * quotas and of the global quotas, which every guest request reads
 * (kxs_domain_caller()) without taking the lock.
 *
 * kxs_domains.quiesce comes before every lock above: every request,
 * close and adoption at bind holds it for reading around its request
 * lock (inside the connection's input lock, which checkpoint and restore
 * never take); checkpoint and restore hold it for writing, so that they
 * see and change the whole store, its transactions and its watches at
 * one instant.
 */
#ifndef _KXS_DOMAIN_H
#define _KXS_DOMAIN_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu-rwsem.h>
#include <linux/rhashtable-types.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "perms.h"
#include "watch.h"

struct kxs_ctx;
struct kxs_domains;
struct kxs_store;

/* Feature bits of docs/misc/xenstore-ring.txt that GET_FEATURE offers. */
#define KXS_FEATURE_RECONNECTION	1
#define KXS_FEATURE_ERROR		2
#define KXS_FEATURE_WATCHDEPTH		4
#define KXS_FEATURES_SUPPORTED	(KXS_FEATURE_RECONNECTION | \
				 KXS_FEATURE_ERROR | KXS_FEATURE_WATCHDEPTH)

/* The special paths whose permissions GET_PERMS and SET_PERMS reach. */
enum kxs_special {
	KXS_SPECIAL_INTRODUCE,	/* @introduceDomain */
	KXS_SPECIAL_RELEASE,	/* @releaseDomain */
	KXS_SPECIAL_NR,
};

/**
 * struct kxs_domain - what xenstore knows about one guest domain
 * @ref: held by the table while the domain is in it, and by each
 *	connection bound to it
 * @conns: the bound connections (kxs_ctx.dom_link)
 * @domid: the domain id
 * @introduced: INTRODUCE was received and RELEASE was not
 * @released: RELEASE removed the domain: its connections are dead
 * @shutdown: the hypervisor said it shut down (and @releaseDomain fired);
 *	RESUME clears it
 * @gfn: the ring page INTRODUCE gave (recorded, not mapped)
 * @port: the event channel INTRODUCE gave (recorded, not bound)
 * @target: the domain this one acts for (SET_TARGET), or KXS_NO_TARGET
 * @features: the feature bits of its ring (SET_FEATURE)
 * @quota: its own quota values, for the bits set in @quota_set
 * @quota_set: KXS_QUOTA_* bits set by SET_QUOTA for this domain
 * @nr_txs: open transactions, over all bound connections
 * @nr_watches: registered watches, over all bound connections
 * @nr_conns: entries in @conns
 * @events_dropped: watch events its connections lost (full queues, no
 *	memory, too long)
 * @mem: bytes its transactions (records, their data, listings and
 *	events) and watches hold, for the memory quota with the bytes of
 *	the nodes it owns (kxs_store_owned_bytes()); atomic, no lock
 */
struct kxs_domain {
	struct kref ref;
	struct list_head conns;
	u16 domid;
	bool introduced;
	bool released;
	bool shutdown;
	s64 gfn;
	u32 port;
	int target;
	u32 features;
	u32 quota[KXS_QUOTA_NR];
	unsigned long quota_set;
	unsigned int nr_txs;
	unsigned int nr_watches;
	unsigned int nr_conns;
	unsigned long events_dropped;
	atomic_long_t mem;
};

/**
 * struct kxs_domain_state - what a live update carries of one domain
 * @domid: the domain
 * @introduced: see struct kxs_domain, and @gfn, @port, @target,
 *	@features, @shutdown, @quota and @quota_set there
 */
struct kxs_domain_state {
	u16 domid;
	bool introduced;
	bool shutdown;
	s64 gfn;
	u32 port;
	int target;
	u32 features;
	unsigned long quota_set;
	u32 quota[KXS_QUOTA_NR];
};

/**
 * struct kxs_domain_hooks - a hypervisor behind the domain table
 * @introduce: INTRODUCE of @domid with event channel @port, before the
 *	domain is marked introduced: serve its ring, or, if it is served
 *	already (a toolstack reconnecting or resuming it), bind the channel
 *	again and reset the connection; an error refuses the INTRODUCE
 * @release: @domid was released (RELEASE or its death) and its
 *	connections are dead: stop serving its ring
 * @exists: whether the hypervisor knows domain @domid (SET_PERMS names
 *	only domains that exist: kxs_domain_existing_perms())
 * @restore: a restore brought back introduced domain @domid: serve its
 *	ring again, from its indexes as they are; a ring that cannot be
 *	served is logged, and the domain stays introduced (as with the
 *	reference daemon), its death still seen
 *
 * Without hooks (no hypervisor: emulated domains) INTRODUCE only records
 * a domain, and connections act for it through KXS_IOC_BIND.  Called
 * without any lock of the table's.
 */
struct kxs_domain_hooks {
	int (*introduce)(struct kxs_domains *d, u16 domid, u32 port);
	void (*release)(struct kxs_domains *d, u16 domid);
	bool (*exists)(struct kxs_domains *d, u16 domid);
	void (*restore)(struct kxs_domains *d, u16 domid, u32 port);
};

/**
 * struct kxs_domains - the domain table and the watches of one store
 * @lock: see the rule at the top of this file
 * @caller_seq: changes of targets and quotas (see the rule above)
 * @watches: every watch on the store (its own lock: see watch.h)
 * @doms: struct kxs_domain by domid
 * @quota: the global quotas, defaults for every domain; owned by the
 *	caller of kxs_domains_init() (the module parameters)
 * @special: permission entries of each special path
 * @nr_special: their number, at least one
 * @events_dropped: watch events lost (full queues, no memory, too
 *	long), all connections
 * @txs: every open transaction by id (ids unique among live ones;
 *	transaction.c)
 * @next_txid: the next transaction id to try (as a u32); ids start at 2,
 *	because checkpoint streams call the main tree 1
 * @quiesce: see the rule at the top of this file
 * @parked_txs: transactions a restore brought back that no connection
 *	adopted yet (kxs_tx.ctx_link)
 * @parked_watches: watches a restore brought back that no connection
 *	adopted yet (kxs_watch.ctx_link)
 * @hooks: the hypervisor's, or NULL; set (WRITE_ONCE) before requests
 *	that need them can arrive, cleared after the last
 */
struct kxs_domains {
	struct percpu_rw_semaphore quiesce;
	struct mutex lock;	/* the table and every domain in it */
	seqcount_mutex_t caller_seq;
	struct kxs_watch_table watches;
	struct xarray doms;
	u32 *quota;
	struct kxs_perm *special[KXS_SPECIAL_NR];
	unsigned int nr_special[KXS_SPECIAL_NR];
	unsigned long events_dropped;
	struct rhashtable txs;
	atomic_t next_txid;
	struct list_head parked_txs;
	struct list_head parked_watches;
	const struct kxs_domain_hooks *hooks;
};

/* The first transaction id handed out; 1 names the main tree in streams. */
#define KXS_TXID_FIRST		2

extern const char *const kxs_quota_names[KXS_QUOTA_NR];
int kxs_quota_lookup(const char *name);

int kxs_domains_init(struct kxs_domains *d, u32 *quota);
void kxs_domains_destroy(struct kxs_domains *d);

bool kxs_domid_is_guest(u16 domid);
void kxs_domain_caller(struct kxs_domains *d, struct kxs_ctx *ctx,
		       struct kxs_caller *c);

int kxs_domain_bind(struct kxs_domains *d, struct kxs_ctx *ctx, u16 domid);
void kxs_domain_unbind(struct kxs_domains *d, struct kxs_ctx *ctx);

int kxs_domain_watch_get(struct kxs_domains *d, struct kxs_ctx *ctx,
			 const struct kxs_caller *c);
void kxs_domain_watch_put(struct kxs_domains *d, struct kxs_ctx *ctx);
int kxs_domain_mem_charge(struct kxs_domain *dom, struct kxs_store *s,
			  u32 quota, size_t size);
void kxs_domain_mem_uncharge(struct kxs_domain *dom, size_t size);
void kxs_domain_events_lost(struct kxs_domains *d, unsigned int n);
void kxs_domain_event_dropped(struct kxs_domains *d, struct kxs_ctx *ctx,
			      const char *why);

int kxs_domain_tx_get(struct kxs_domains *d, struct kxs_ctx *ctx,
		      const struct kxs_caller *c);
void kxs_domain_tx_put(struct kxs_domains *d, struct kxs_ctx *ctx);
void kxs_domain_adopt_locked(struct kxs_ctx *ctx, unsigned int nr_txs,
			     unsigned int nr_watches);
bool kxs_domain_has_state(struct kxs_domains *d, u16 *domid);
u32 kxs_domain_quota_locked(struct kxs_ctx *ctx, enum kxs_quota q);

int kxs_domain_introduce(struct kxs_domains *d, u16 domid, s64 gfn, u32 port);
int kxs_domain_release(struct kxs_domains *d, struct kxs_store *s,
		       u16 domid);
int kxs_domain_resume(struct kxs_domains *d, u16 domid);
int kxs_domain_shutdown(struct kxs_domains *d, u16 domid);
int kxs_domain_existing_perms(struct kxs_domains *d, struct kxs_perm *perms,
			      int nr);
int kxs_domain_states(struct kxs_domains *d, struct kxs_domain_state **out);
int kxs_domain_restore(struct kxs_domains *d,
		       const struct kxs_domain_state *st);
int kxs_domain_is_introduced(struct kxs_domains *d, u16 domid);
int kxs_domain_set_target(struct kxs_domains *d, u16 domid, u16 tdomid);
int kxs_domain_get_features(struct kxs_domains *d, u16 domid, u32 *features);
int kxs_domain_set_features(struct kxs_domains *d, u16 domid, u32 features);
int kxs_domain_get_quota(struct kxs_domains *d, int domid,
			 enum kxs_quota q, u32 *val);
int kxs_domain_set_quota(struct kxs_domains *d, int domid,
			 enum kxs_quota q, u32 val);
size_t kxs_domain_mem_used(struct kxs_domains *d, u16 domid);
unsigned int kxs_domain_list(struct kxs_domains *d, u16 *ids,
			     unsigned int max);
int kxs_domain_usage(struct kxs_domains *d, u16 domid,
		     unsigned int *nr_txs, unsigned int *nr_watches,
		     unsigned int *nr_conns, unsigned long *events_dropped);

int kxs_special_lookup(const char *path);
const char *kxs_special_name(int sp);
struct kxs_perm *kxs_special_perms(struct kxs_domains *d, int sp,
				   unsigned int *nr);
int kxs_special_get_perms(struct kxs_domains *d, const struct kxs_caller *c,
			  enum kxs_special sp, char *buf, size_t size);
int kxs_special_set_perms(struct kxs_domains *d, const struct kxs_caller *c,
			  enum kxs_special sp, const struct kxs_perm *perms,
			  unsigned int nr);

#endif /* _KXS_DOMAIN_H */
