// SPDX-License-Identifier: GPL-2.0
/*
 * CONTROL requests (xenstore-control): inspection and administration of
 * the store, for the control domain only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "domain.h"
#include "proto.h"
#include "store.h"

struct kxs_control_cmd {
	const char *name;
	const char *args;
	int (*fn)(struct kxs_request *req, const char **argv, int argc);
};

static const struct kxs_control_cmd kxs_control_cmds[];

/* Append to the reply, which stays NUL-terminated; returns 0. */
static __printf(2, 3) int kxs_reply_append(struct kxs_request *req,
					    const char *fmt, ...)
{
	size_t off = req->reply_len ? req->reply_len - 1 : 0;
	va_list args;

	va_start(args, fmt);
	off += vscnprintf(req->reply + off, KXS_PAYLOAD_MAX - off, fmt, args);
	va_end(args);
	req->reply_len = off + 1;
	return 0;
}

/* check: the store's invariants and accounting, "OK" if they hold. */
static int kxs_control_check(struct kxs_request *req, const char **argv,
			     int argc)
{
	int problems;

	if (argc)
		return -EINVAL;
	problems = kxs_store_check(req->ctx->store, req->reply,
				   KXS_PAYLOAD_MAX - 1);
	if (problems < 0)
		return problems;
	if (!problems)
		return kxs_reply_string(req, "OK");
	pr_warn("CONTROL check: %d problems:\n%s", problems, req->reply);
	req->reply_len = strlen(req->reply) + 1;
	return 0;
}

/* help: one line per command. */
static int kxs_control_help(struct kxs_request *req, const char **argv,
			    int argc)
{
	const struct kxs_control_cmd *cmd;

	if (argc)
		return -EINVAL;
	for (cmd = kxs_control_cmds; cmd->name; cmd++)
		kxs_reply_append(req, "%s%s%s\n", cmd->name,
				 cmd->args[0] ? " " : "", cmd->args);
	return 0;
}

/* print <string>: into the kernel log. */
static int kxs_control_print(struct kxs_request *req, const char **argv,
			     int argc)
{
	int i;

	if (!argc)
		return -EINVAL;
	for (i = 0; i < argc; i++)
		kxs_reply_append(req, "%s%s", i ? " " : "", argv[i]);
	pr_info("%s\n", req->reply);
	return kxs_reply_ok(req);
}

static int kxs_control_quota_show(struct kxs_request *req)
{
	u32 val;
	int q;

	kxs_reply_append(req, "Quota settings:\n");
	for (q = 0; q < KXS_QUOTA_NR; q++) {
		kxs_domain_get_quota(req->ctx->doms, -1, q, &val);
		kxs_reply_append(req, "%-12s %u\n", kxs_quota_names[q], val);
	}
	return 0;
}

/* Usage and limits of one domain. */
static int kxs_control_quota_domain(struct kxs_request *req, u16 domid)
{
	unsigned int nr_txs = 0, nr_watches = 0, nr_conns = 0;
	unsigned long dropped = 0;
	u32 quota[KXS_QUOTA_NR];
	int q, ret;

	ret = kxs_domain_usage(req->ctx->doms, domid, &nr_txs, &nr_watches,
			       &nr_conns, &dropped);
	if (ret == -ENOENT)
		ret = 0;	/* unknown to the table: defaults, no usage */
	for (q = 0; !ret && q < KXS_QUOTA_NR; q++) {
		ret = kxs_domain_get_quota(req->ctx->doms, domid, q, &quota[q]);
		if (ret == -ENOENT)
			ret = kxs_domain_get_quota(req->ctx->doms, -1, q,
						   &quota[q]);
	}
	if (ret)
		return ret;
	kxs_reply_append(req, "Domain %u:\n", domid);
	kxs_reply_append(req, "%-12s %lu/%u\n", "nodes",
			 kxs_store_owned(req->ctx->store, domid),
			 quota[KXS_QUOTA_NODES]);
	kxs_reply_append(req, "%-12s %u/%u\n", "watches", nr_watches,
			 quota[KXS_QUOTA_WATCHES]);
	kxs_reply_append(req, "%-12s %u/%u\n", "transactions", nr_txs,
			 quota[KXS_QUOTA_TRANSACTIONS]);
	kxs_reply_append(req, "%-12s %u\n", "node-size",
			 quota[KXS_QUOTA_NODE_SIZE]);
	kxs_reply_append(req, "%-12s %u\n", "permissions",
			 quota[KXS_QUOTA_PERMS]);
	kxs_reply_append(req, "%-12s %u\n", "transaction-nodes",
			 quota[KXS_QUOTA_TX_NODES]);
	kxs_reply_append(req, "%-12s %zu/%u\n", "memory",
			 kxs_store_owned_bytes(req->ctx->store, domid) +
			 kxs_domain_mem_used(req->ctx->doms, domid),
			 quota[KXS_QUOTA_MEMORY]);
	kxs_reply_append(req, "%-12s %u\n", "connections", nr_conns);
	kxs_reply_append(req, "%-12s %lu\n", "events-dropped", dropped);
	return 0;
}

/* quota [set <name> <value>|<domid>]: show or set the global quotas. */
static int kxs_control_quota(struct kxs_request *req, const char **argv,
			     int argc)
{
	u16 domid;
	u32 val;
	int q, ret;

	if (!argc)
		return kxs_control_quota_show(req);
	if (argc == 3 && !strcmp(argv[0], "set")) {
		q = kxs_quota_lookup(argv[1]);
		if (q < 0 || kstrtou32(argv[2], 10, &val))
			return -EINVAL;
		ret = kxs_domain_set_quota(req->ctx->doms, -1, q, val);
		return ret ? ret : kxs_reply_ok(req);
	}
	if (argc == 1 && !kxs_domid_parse(argv[0], &domid) &&
	    kxs_domid_is_guest(domid))
		return kxs_control_quota_domain(req, domid);
	return -EINVAL;
}

/* Domains memreport lists one by one; the rest are summed up. */
#define KXS_MEMREPORT_DOMAINS	64

/*
 * memreport: what the store holds, in bytes as the memory quota counts
 * them: the whole tree, then the control domain and each domain of the
 * domain table, its nodes and what its transactions and watches hold.
 */
static int kxs_control_memreport(struct kxs_request *req, const char **argv,
				 int argc)
{
	struct kxs_store *s = req->ctx->store;
	u16 ids[KXS_MEMREPORT_DOMAINS];
	unsigned long nodes;
	unsigned int n, i;
	size_t bytes;

	if (argc)
		return -EINVAL;
	kxs_store_totals(s, &nodes, &bytes);
	kxs_reply_append(req, "store: %lu nodes, %zu bytes\n", nodes, bytes);
	kxs_reply_append(req, "domain 0: %lu nodes, %zu bytes\n",
			 kxs_store_owned(s, 0), kxs_store_owned_bytes(s, 0));
	n = kxs_domain_list(req->ctx->doms, ids, ARRAY_SIZE(ids));
	for (i = 0; i < n && i < ARRAY_SIZE(ids); i++)
		kxs_reply_append(req,
				 "domain %u: %lu nodes, %zu bytes; %s %zu bytes\n",
				 ids[i], kxs_store_owned(s, ids[i]),
				 kxs_store_owned_bytes(s, ids[i]),
				 "transactions and watches",
				 kxs_domain_mem_used(req->ctx->doms, ids[i]));
	if (n > ARRAY_SIZE(ids))
		kxs_reply_append(req, "(%u more domains: xenstore-control quota <domid>)\n",
				 n - (unsigned int)ARRAY_SIZE(ids));
	return 0;
}

static const struct kxs_control_cmd kxs_control_cmds[] = {
	{ "check", "", kxs_control_check },
	{ "help", "", kxs_control_help },
	{ "memreport", "", kxs_control_memreport },
	{ "print", "<string>", kxs_control_print },
	{ "quota", "[set <name> <value>|<domid>]", kxs_control_quota },
	{ }
};

/**
 * kxs_control() - handle a CONTROL request
 * @req: the request, from the control domain
 * @argv: the command, then its parameters
 * @argc: their number, at least one
 *
 * Return: 0 with the reply in @req, or a negative errno; -EINVAL for an
 * unknown command or bad parameters.
 */
int kxs_control(struct kxs_request *req, const char **argv, int argc)
{
	const struct kxs_control_cmd *cmd;

	for (cmd = kxs_control_cmds; cmd->name; cmd++)
		if (!strcmp(argv[0], cmd->name))
			return cmd->fn(req, argv + 1, argc - 1);
	return -EINVAL;
}
