// SPDX-License-Identifier: GPL-2.0
/*
 * Object counts (see stats.h).
 */
#include <linux/cpumask.h>
#include <linux/percpu.h>

#include "stats.h"

DEFINE_PER_CPU(struct kxs_stat_counts, kxs_stats);

const char *const kxs_stat_names[KXS_STAT_NR] = {
	[KXS_STAT_NODES]	= "nodes",
	[KXS_STAT_DATA]		= "node-data",
	[KXS_STAT_CONNS]	= "connections",
	[KXS_STAT_MSGS]		= "messages",
	[KXS_STAT_TXS]		= "transactions",
	[KXS_STAT_TX_RECORDS]	= "transaction-records",
	[KXS_STAT_WATCHES]	= "watches",
};

/**
 * kxs_stat() - the count of one kind of object
 * @s: the kind
 *
 * Exact when nothing of the kind is being allocated or freed meanwhile.
 *
 * Return: the sum of the CPUs' counts.
 */
long kxs_stat(enum kxs_stat s)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(kxs_stats.n[s], cpu);
	return sum;
}
