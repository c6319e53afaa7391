/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Node permissions and the identity a request acts with.
 */
#ifndef _KXS_PERMS_H
#define _KXS_PERMS_H

#include <linux/types.h>

/* Access bits of a permission entry, and the owner's extra right. */
#define KXS_PERM_NONE	0
#define KXS_PERM_READ	1
#define KXS_PERM_WRITE	2
#define KXS_PERM_BOTH	(KXS_PERM_READ | KXS_PERM_WRITE)
#define KXS_PERM_OWNER	4	/* may change permissions: owner or privileged */
#define KXS_PERM_ALL	(KXS_PERM_BOTH | KXS_PERM_OWNER)

/* Domain ids: 0 is the control domain, DOMID_FIRST_RESERVED and up special. */
#define KXS_DOMID_CONTROL	0
#define KXS_DOMID_FIRST_RESERVED 0x7ff0
#define KXS_NO_TARGET		(-1)

/* Size of the record the reference daemon stores for a node (its header). */
#define KXS_NODE_HDR_SIZE	24
#define KXS_NODE_PERM_SIZE	8

/**
 * struct kxs_perm - one permission entry of a node
 * @domid: the domain the entry is about
 * @access: KXS_PERM_READ and/or KXS_PERM_WRITE
 *
 * The first entry of a node names its owner and the access of every
 * domain without an entry of its own.
 */
struct kxs_perm {
	u16 domid;
	u8 access;
};

/* The quotas, in the order GET_QUOTA lists them. */
enum kxs_quota {
	KXS_QUOTA_NODES,	/* nodes a domain owns */
	KXS_QUOTA_WATCHES,	/* watches of a domain */
	KXS_QUOTA_TRANSACTIONS,	/* open transactions of a domain */
	KXS_QUOTA_NODE_SIZE,	/* size of one node, see kxs_node_quota_size() */
	KXS_QUOTA_PERMS,	/* permission entries of one node */
	KXS_QUOTA_TX_NODES,	/* paths one transaction may touch */
	KXS_QUOTA_MEMORY,	/* bytes a domain makes the kernel hold */
	KXS_QUOTA_NR,
};

/**
 * struct kxs_caller - who a request acts for, and the limits it meets
 * @domid: the client's domain
 * @target: the domain @domid acts for after SET_TARGET, or KXS_NO_TARGET
 * @priv: the control domain: every access, no quota
 * @quota: the domain's KXS_QUOTA_* limits, 0 for none; ignored if @priv
 * @mem: bytes the domain's transactions and watches held when the
 *	request came (kxs_domain.mem), for the memory quota
 */
struct kxs_caller {
	u16 domid;
	int target;
	bool priv;
	u32 quota[KXS_QUOTA_NR];
	size_t mem;
};

/* Is the caller over (or, with @add, about to pass) quota @q at @used? */
static inline bool kxs_over_quota(const struct kxs_caller *c,
				  enum kxs_quota q, u64 used)
{
	return !c->priv && c->quota[q] && used > c->quota[q];
}

/*
 * The size of a node as the reference daemon counts it for the node-size
 * quota: record header, permissions, value and the names of the children.
 */
static inline size_t kxs_node_quota_size(unsigned int nr_perms, size_t len,
					 size_t children_len)
{
	return KXS_NODE_HDR_SIZE + nr_perms * KXS_NODE_PERM_SIZE + len +
	       children_len;
}

/* A node of that size is refused (the reference's ">="). */
static inline bool kxs_node_too_big(const struct kxs_caller *c, size_t size)
{
	return !c->priv && c->quota[KXS_QUOTA_NODE_SIZE] &&
	       size >= c->quota[KXS_QUOTA_NODE_SIZE];
}

static inline bool kxs_caller_is(const struct kxs_caller *c, u16 domid)
{
	return domid == c->domid || domid == c->target;
}

/**
 * kxs_perm_access() - what a caller may do to a node
 * @c: the caller
 * @perms: the node's permission entries
 * @nr: their number, at least one
 *
 * The rule is in perms.c.  Inline: every request that names a node asks
 * it at least once, and the usual answer (the control domain's, or the
 * owner's) takes two compares.
 *
 * Return: KXS_PERM_* bits, KXS_PERM_OWNER included for owners.
 */
static inline unsigned int kxs_perm_access(const struct kxs_caller *c,
					   const struct kxs_perm *perms,
					   unsigned int nr)
{
	unsigned int i;

	if (c->priv || kxs_caller_is(c, perms[0].domid))
		return KXS_PERM_ALL;
	for (i = 1; i < nr; i++)
		if (kxs_caller_is(c, perms[i].domid))
			return perms[i].access;
	return perms[0].access;
}

int kxs_perms_parse(const char *s, size_t len, struct kxs_perm *perms,
		    unsigned int max);
/* Room for one entry as a string: a letter, a domid, a NUL. */
#define KXS_PERM_STR	8

int kxs_perm_string(const struct kxs_perm *perm, char *out);
int kxs_perms_format(const struct kxs_perm *perms, unsigned int nr,
		     char *buf, size_t size);
int kxs_domid_parse(const char *s, u16 *domid);

#endif /* _KXS_PERMS_H */
