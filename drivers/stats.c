// SPDX-License-Identifier: GPL-2.0
/*
 * Object counts (see stats.h).
 */
#include "stats.h"

atomic_long_t kxs_stats[KXS_STAT_NR];

const char *const kxs_stat_names[KXS_STAT_NR] = {
	[KXS_STAT_NODES]	= "nodes",
	[KXS_STAT_DATA]		= "node-data",
	[KXS_STAT_CONNS]	= "connections",
	[KXS_STAT_MSGS]		= "messages",
	[KXS_STAT_TXS]		= "transactions",
	[KXS_STAT_TX_RECORDS]	= "transaction-records",
	[KXS_STAT_WATCHES]	= "watches",
};
