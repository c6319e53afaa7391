/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counts of the objects the module allocates, by kind, over every store:
 * what /sys/module/kxenstore/stats shows, what must be back to zero when
 * the module goes (checked at unload), and what the KUnit fixtures check
 * after each case.
 */
#ifndef _KXS_STATS_H
#define _KXS_STATS_H

#include <linux/percpu.h>

enum kxs_stat {
	KXS_STAT_NODES,		/* struct kxs_node, until its memory goes */
	KXS_STAT_DATA,		/* struct kxs_data */
	KXS_STAT_CONNS,		/* struct kxs_conn */
	KXS_STAT_MSGS,		/* struct kxs_msg: replies, events, spares */
	KXS_STAT_TXS,		/* struct kxs_tx */
	KXS_STAT_TX_RECORDS,	/* struct kxs_txn */
	KXS_STAT_WATCHES,	/* struct kxs_watch */
	KXS_STAT_NR,
};

/*
 * Per CPU: the counts change on every write and every request's reply,
 * on every CPU, and a shared counter would bounce its cache line between
 * them.  One CPU's count can go negative; only the sum means anything.
 */
struct kxs_stat_counts {
	long n[KXS_STAT_NR];
};

DECLARE_PER_CPU(struct kxs_stat_counts, kxs_stats);
extern const char *const kxs_stat_names[KXS_STAT_NR];

static inline void kxs_stat_inc(enum kxs_stat s)
{
	this_cpu_inc(kxs_stats.n[s]);
}

static inline void kxs_stat_dec(enum kxs_stat s)
{
	this_cpu_dec(kxs_stats.n[s]);
}

long kxs_stat(enum kxs_stat s);

#endif /* _KXS_STATS_H */
